"""The callcenter mailbox (spam/non-djpk/lainnya are in common.py)."""

import runner
import cc_complaints
import cc_dak
import cc_letters
import cc_other
import cc_requests
import cc_transfers

CALLCENTER = [
    ("surat-masuk", cc_letters.SURAT_MASUK, 16),
    ("dau", cc_transfers.DAU, 7),
    ("dbh", cc_transfers.DBH, 7),
    ("permintaan-data", cc_requests.PERMINTAAN_DATA, 7),
    ("reservasi", cc_requests.RESERVASI, 7),
    ("transfer", cc_transfers.TRANSFER, 7),
    ("aplikasi", cc_other.APLIKASI, 7),
    ("dak-fisik", cc_dak.DAK_FISIK, 7),
    ("dak-nf", cc_dak.DAK_NF, 7),
    ("dana-desa", cc_dak.DANA_DESA, 7),
    ("did", cc_transfers.DID, 7),
    ("jfakpd", cc_other.JFAKPD, 7),
    ("shsr", cc_other.SHSR, 7),
    ("pdrd", cc_other.PDRD, 7),
    ("pembiayaan", cc_other.PEMBIAYAAN, 7),
    ("hibah", cc_other.HIBAH, 7),
    ("pengaduan", cc_complaints.PENGADUAN, 7),
    ("keluhan-kebijakan", cc_complaints.KELUHAN, 7),
]


def generate():
    for cat, scen, n in CALLCENTER:
        runner.rules_category("callcenter", cat, scen, n)
