"""The lapor mailbox: routine submissions by Pemda (spam/non-djpk/lainnya are in common.py)."""

import runner
import lapor_apbd
import lapor_dau
import lapor_daknf
import lapor_dbh
import lapor_misc

LAPOR = [
    ("syarat-salur-dbh", lapor_dbh.SCENARIOS, 18),
    ("syarat-salur-dau", lapor_dau.SCENARIOS, 16),
    ("syarat-salur-dak-nf", lapor_daknf.SCENARIOS, 16),
    ("apbd", lapor_apbd.SCENARIOS, 16),
    ("insentif-fiskal", lapor_misc.IF_SCENARIOS, 7),
    ("hibah-daerah", lapor_misc.HIBAH_SCENARIOS, 7),
    ("dnkd", lapor_misc.DNKD_SCENARIOS, 7),
]


def generate():
    for cat, scen, n in LAPOR:
        runner.rules_category("lapor", cat, scen, n)
