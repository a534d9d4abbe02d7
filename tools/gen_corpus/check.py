#!/usr/bin/env python3
"""Check the generated corpus: determinism, parsing, minimum counts, size.

Usage: python3 tools/gen_corpus/check.py      (runs the generator twice)
Exit status 0 when everything holds.
"""

import collections
import email
import email.policy
import hashlib
import os
import subprocess
import sys

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
DIRS = ["tests/fixtures/rules", "tests/fixtures/machine", "tests/fixtures/hostile", "demo/mail"]
COMMON = {("lapor", "syarat-salur-dbh"), ("lapor", "syarat-salur-dau"),
          ("lapor", "syarat-salur-dak-nf"), ("lapor", "apbd"), ("callcenter", "surat-masuk")}
LAPOR = ["syarat-salur-dbh", "syarat-salur-dau", "syarat-salur-dak-nf", "apbd", "insentif-fiskal",
         "hibah-daerah", "dnkd", "non-djpk", "spam", "lainnya"]
CALLCENTER = ["surat-masuk", "dau", "dbh", "permintaan-data", "reservasi", "transfer", "aplikasi",
              "dak-fisik", "dak-nf", "dana-desa", "did", "jfakpd", "shsr", "pdrd", "pembiayaan",
              "hibah", "pengaduan", "keluhan-kebijakan", "non-djpk", "spam", "lainnya"]


def manifest():
    out = {}
    for d in DIRS:
        for dp, _, fs in os.walk(os.path.join(ROOT, d)):
            for f in fs:
                p = os.path.join(dp, f)
                with open(p, "rb") as fh:
                    out[os.path.relpath(p, ROOT)] = hashlib.sha256(fh.read()).hexdigest()
    return out


def run():
    subprocess.run([sys.executable, os.path.join(ROOT, "tools/gen_corpus/main.py")], check=True,
                   stdout=subprocess.DEVNULL)
    return manifest()


def main():
    errors = []
    a, b = run(), run()
    if a != b:
        diff = sorted(set(a.items()) ^ set(b.items()))
        errors.append("not deterministic: %d files differ, e.g. %s" % (len(diff), diff[:3]))
    counts, ids, size = collections.Counter(), collections.Counter(), 0
    for rel in sorted(a):
        size += os.path.getsize(os.path.join(ROOT, rel))
        if not rel.endswith(".eml") or "/hostile/" in rel:
            continue
        with open(os.path.join(ROOT, rel), "rb") as fh:
            raw = fh.read()
        if b"\n" in raw.replace(b"\r\n", b""):
            errors.append("%s: bare LF" % rel)
        try:
            m = email.message_from_bytes(raw, policy=email.policy.default)
            subj, frm = m["subject"], m["from"]
            if subj is None or frm is None or not m["message-id"] or not m["date"]:
                errors.append("%s: missing Subject/From/Message-ID/Date" % rel)
            str(subj), str(frm)
            if m["date"].datetime.strftime("%Y-%m") != "2024-03":
                errors.append("%s: date outside March 2024" % rel)
            ids[m["message-id"]] += 1
        except Exception as e:  # noqa: BLE001
            errors.append("%s: %s" % (rel, e))
        parts = rel.split("/")
        if parts[:3] == ["tests", "fixtures", "rules"]:
            counts[(parts[3], parts[4])] += 1
            with open(os.path.join(ROOT, rel[:-4] + ".expected.toml")) as fh:
                want = 'mailbox = "%s"\ncategory = "%s"\n' % (parts[3], parts[4])
                if fh.read() != want:
                    errors.append("%s: expected file does not match its directory" % rel)
    errors += ["duplicate Message-ID %s" % k for k, v in ids.items() if v > 1]
    for mb, cats in (("lapor", LAPOR), ("callcenter", CALLCENTER)):
        for cat in cats:
            need = 15 if (mb, cat) in COMMON else 6
            if counts[(mb, cat)] < need:
                errors.append("%s/%s: %d fixtures, need %d" % (mb, cat, counts[(mb, cat)], need))
    for cat in ("spam", "non-djpk"):
        if counts[("lapor", cat)] + counts[("callcenter", cat)] < 15:
            errors.append("%s: fewer than 15 fixtures in total" % cat)
    if size > 3 * 1024 * 1024:
        errors.append("corpus is %d bytes, over 3 MB" % size)
    print("%d files, %d bytes; %d rules fixtures" % (len(a), size, sum(counts.values())))
    for e in errors:
        print("ERROR", e)
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
