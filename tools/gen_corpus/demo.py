"""demo/mail: one demo month (March 2024) for each mailbox, plus demo/mail/expected.tsv.

Different seed and a disjoint set of regions (data.DEMO_REGIONS) from the rules fixtures.
Files are numbered in date order, so loading them in name order replays the month."""

import datetime as dt
import os
import re
import random

import build
import cc_complaints
import cc_dak
import cc_letters
import cc_other
import cc_requests
import cc_transfers
import common
import compose
import data
import lapor_apbd
import lapor_dau
import lapor_daknf
import lapor_dbh
import lapor_misc
import machine
import runner
import spam

OUT = os.path.join(runner.ROOT, "demo", "mail")

# (category, scenario list, how many); machine mail as ("machine", kind-function, n)
LAPOR = [
    ("syarat-salur-dbh", lapor_dbh.SCENARIOS, 12),
    ("syarat-salur-dau", lapor_dau.SCENARIOS, 5),
    ("syarat-salur-dak-nf", [lapor_daknf.attach_only], 1),
    ("syarat-salur-dak-nf", lapor_daknf.SCENARIOS[:4], 3),
    ("apbd", lapor_apbd.SCENARIOS, 3),
    ("insentif-fiskal", lapor_misc.IF_SCENARIOS, 1),
    ("hibah-daerah", lapor_misc.HIBAH_SCENARIOS, 1),
    ("dnkd", lapor_misc.DNKD_SCENARIOS, 1),
    ("spam", [spam.spoof_kemenkeu], 1),
    ("non-djpk", [common.pemda_pph21], 1),
    ("lainnya", [machine.oof_auto_submitted], 1),
]
CALLCENTER = [
    ("surat-masuk", cc_letters.SURAT_MASUK, 6),
    ("dau", cc_transfers.DAU[:1] + cc_transfers.DAU[4:], 3),
    ("dbh", cc_transfers.DBH, 2),
    ("permintaan-data", cc_requests.PERMINTAAN_DATA, 2),
    ("reservasi", cc_requests.RESERVASI, 2),
    ("transfer", cc_transfers.TRANSFER, 1),
    ("aplikasi", cc_other.APLIKASI, 1),
    ("dak-fisik", cc_dak.DAK_FISIK, 1),
    ("dak-nf", cc_dak.DAK_NF, 1),
    ("dana-desa", cc_dak.DANA_DESA, 1),
    ("pengaduan", [cc_complaints.fake_report], 2),
    ("keluhan-kebijakan", cc_complaints.KELUHAN, 1),
    ("pdrd", cc_other.PDRD, 1),
    ("spam", [spam.judi, spam.fake_training_bulk], 2),
    ("non-djpk", [common.spt, common.paket], 2),
    ("lainnya", [machine.bounce_postfix], 1),
    ("lainnya", [common.cc_thanks], 1),
]
MACHINE_FNS = {machine.oof_auto_submitted, machine.bounce_postfix}


def schedule(rng, n, tz):
    """n dates spread over March 2024, mostly office hours, some evenings and weekends."""
    out = []
    for i in range(n):
        day = rng.randint(1, 31)
        if dt.date(2024, 3, day).weekday() >= 5 and rng.random() < 0.6:
            day = max(1, day - 2)  # fewer messages on weekends
        r = rng.random()
        hour = rng.randint(7, 15) if r < 0.75 else rng.choice([5, 6, 17, 18, 19, 20, 21, 22, 23])
        off = data.TZ_OFFSET[tz]
        out.append(dt.datetime(2024, 3, min(day, 31), hour, rng.randint(0, 59),
                               rng.randint(0, 59), tzinfo=dt.timezone(dt.timedelta(hours=off))))
    return out


def mailbox(name, plan, rng):
    jobs = []
    for cat, scen, n in plan:
        for i in range(n):
            jobs.append((cat, scen[i % len(scen)]))
    rng.shuffle(jobs)
    built = []
    for cat, fn in jobs:
        if fn in MACHINE_FNS:
            c = compose.Ctx(rng, name, regions=data.DEMO_REGIONS,
                            sender=rng.choice(["pemda", "personal"]))
        else:
            c = runner.new_ctx(rng, name, fn, data.DEMO_REGIONS)
        built.append((c, cat, fn))
    # assign dates in order of the shuffled list, then write in date order
    stamps = sorted(schedule(rng, len(built), "WIB"))
    rows = []
    for (c, cat, fn), when in zip(built, stamps):
        off = data.TZ_OFFSET[c.tz]
        c.date = when.astimezone(dt.timezone(dt.timedelta(hours=off)))
        if fn in MACHINE_FNS:
            kind, raw = fn(c)
        else:
            kind, raw = "-", build.build(c, fn(c))
            # Spam sent from a no-reply address keeps its machine kind (issue 15).
            if cat == "spam" and re.search(rb"(?im)^From:.*[<\s]no-?reply@", raw):
                kind = "auto-generated"
        rows.append((c.date, cat, kind, raw))
    rows.sort(key=lambda r: r[0])
    lines = []
    for i, (when, cat, kind, raw) in enumerate(rows):
        fname = "%02d.eml" % (i + 1)
        path = os.path.join(OUT, name, fname)
        runner.check_parse(raw, path)
        runner.write(path, raw)
        lines.append("%s\t%s\t%s\t%s" % (name, fname, cat, kind))
        runner.COUNTS[("demo", name, cat)] = runner.COUNTS.get(("demo", name, cat), 0) + 1
    return lines


def generate():
    lines = mailbox("lapor", LAPOR, random.Random("demo:lapor"))
    lines += mailbox("callcenter", CALLCENTER, random.Random("demo:callcenter"))
    with open(os.path.join(OUT, "expected.tsv"), "w", newline="\n") as f:
        f.write("\n".join(lines) + "\n")
