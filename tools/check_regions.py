#!/usr/bin/env python3
"""Validate rules/regions.csv, the list of Indonesian regional governments (Pemda).

Usage: python3 tools/check_regions.py [-v] [path/to/regions.csv]

Checks:
  * header and column count; no empty mandatory field;
  * code format (province "NN", regency/city "NN.NN"), unique codes;
  * kind is prov/kab/kota and matches the code (Kemendagri numbering: regencies
    use 01-69, cities 71-99);
  * province_code exists, equals the code for provinces and the code prefix for
    regencies/cities;
  * timezone is WIB/WITA/WIT, identical for every row of a province and equal to
    the expected zone of that province;
  * domains look like host names, are unique across the file, and a domain is
    not a subdomain of another row's domain unless that row is its province
    (the DKI Jakarta administrative units use <unit>.jakarta.go.id);
  * no duplicate (kind, name) inside a province; names and aliases carry no
    kind prefix (Kab., Kabupaten, Pemkab, Kota, Pemkot, Prov., Provinsi, Pemprov);
  * the `adm` marker is the first alias of exactly the DKI Jakarta
    administrative regency/cities and of nothing else;
  * counts: 38 provinces, 416 kab and 98 kota.

About the counts: Kemendagri's official totals (Kepmendagri 2022-2025) are 38
provinces, 416 kabupaten and 98 kota, 514 kabupaten/kota in all. Those totals
already include DKI Jakarta's 6 administrative units (1 kabupaten
administrasi + 5 kota administrasi), so there are 415 autonomous regencies and
93 autonomous cities. The checker therefore requires 416 kab / 98 kota
counting the `adm` rows, which is the same as 415 / 93 without them, plus
exactly 6 `adm` rows (1 kab, 5 kota) in province 31.

Python 3 standard library only. Exit status 0 when the file passes, 1 otherwise.
"""

import csv
import os
import re
import sys
from collections import Counter, defaultdict

HEADER = ["code", "kind", "name", "province_code", "timezone", "domains", "aliases"]
KINDS = ("prov", "kab", "kota")
TIMEZONES = ("WIB", "WITA", "WIT")

EXPECTED_PROVINCES = 38
EXPECTED_KAB = 416  # including the 1 DKI kabupaten administrasi
EXPECTED_KOTA = 98  # including the 5 DKI kota administrasi
EXPECTED_ADM = {"kab": 1, "kota": 5}
ADM_PROVINCE = "31"  # DKI Jakarta

# Expected time zone per province code (UU/Keppres on Indonesian time zones).
WIB = "11 12 13 14 15 16 17 18 19 21 31 32 33 34 35 36 61 62"
WITA = "51 52 53 63 64 65 71 72 73 74 75 76"
WIT = "81 82 91 92 93 94 95 96"
EXPECTED_TZ = {}
for _zone, _codes in (("WIB", WIB), ("WITA", WITA), ("WIT", WIT)):
    for _c in _codes.split():
        EXPECTED_TZ[_c] = _zone

PROV_CODE = re.compile(r"^\d{2}$")
KK_CODE = re.compile(r"^(\d{2})\.(\d{2})$")
LABEL = r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?"
DOMAIN = re.compile(r"^(?:%s\.)+[a-z]{2,}$" % LABEL)
KIND_PREFIX = re.compile(
    r"^(?:kab\.?|kabupaten|pemkab|pemerintah|kota|pemkot|pemkota|prov\.?|propinsi|provinsi|pemprov)(?:\s|$)",
    re.IGNORECASE,
)


def default_path():
    here = os.path.dirname(os.path.abspath(__file__))
    return os.path.join(os.path.dirname(here), "rules", "regions.csv")


def split_list(value):
    return [part.strip() for part in value.split(";")] if value.strip() else []


def check(path):
    errors = []

    def err(lineno, msg):
        errors.append("line %s: %s" % (lineno, msg))

    with open(path, newline="", encoding="utf-8") as handle:
        text = handle.read()
    if text.startswith("\ufeff"):
        errors.append("file starts with a UTF-8 BOM")
        text = text[1:]
    reader = csv.reader(text.splitlines())
    try:
        header = next(reader)
    except StopIteration:
        return ["file is empty"], {}
    if header != HEADER:
        return ["header is %r, expected %r" % (header, HEADER)], {}

    rows = []
    for lineno, fields in enumerate(reader, start=2):
        if not fields:
            err(lineno, "empty line")
            continue
        if len(fields) != len(HEADER):
            err(lineno, "has %d columns, expected %d" % (len(fields), len(HEADER)))
            continue
        row = dict(zip(HEADER, fields))
        row["lineno"] = lineno
        for col in HEADER:
            if row[col] != row[col].strip():
                err(lineno, "%s has leading/trailing spaces" % col)
        for col in ("code", "kind", "name", "province_code", "timezone", "domains"):
            if not row[col].strip():
                err(lineno, "%s is empty" % col)
        row["domain_list"] = split_list(row["domains"])
        row["alias_list"] = split_list(row["aliases"])
        rows.append(row)

    # --- codes, kinds, provinces -------------------------------------------
    by_code = {}
    for row in rows:
        code = row["code"]
        if code in by_code:
            err(row["lineno"], "duplicate code %s (first at line %d)" % (code, by_code[code]["lineno"]))
            continue
        by_code[code] = row

    provinces = {r["code"]: r for r in rows if r["kind"] == "prov"}
    for row in rows:
        ln, code, kind, pcode = row["lineno"], row["code"], row["kind"], row["province_code"]
        if kind not in KINDS:
            err(ln, "kind %r is not one of %s" % (kind, "/".join(KINDS)))
            continue
        if kind == "prov":
            if not PROV_CODE.match(code):
                err(ln, "province code %r is not two digits" % code)
            if pcode != code:
                err(ln, "province_code %r differs from the province's own code %r" % (pcode, code))
        else:
            m = KK_CODE.match(code)
            if not m:
                err(ln, "%s code %r is not of the form NN.NN" % (kind, code))
                continue
            prefix, number = m.group(1), int(m.group(2))
            if pcode != prefix:
                err(ln, "province_code %r does not match the code prefix %r" % (pcode, prefix))
            if pcode not in provinces:
                err(ln, "province_code %r has no province row" % pcode)
            if kind == "kab" and not 1 <= number <= 69:
                err(ln, "kab code %s outside 01-69" % code)
            if kind == "kota" and not 71 <= number <= 99:
                err(ln, "kota code %s outside 71-99" % code)

    # --- time zones ----------------------------------------------------------
    for row in rows:
        ln, tz, pcode = row["lineno"], row["timezone"], row["province_code"]
        if tz not in TIMEZONES:
            err(ln, "timezone %r is not one of %s" % (tz, "/".join(TIMEZONES)))
            continue
        prov = provinces.get(pcode)
        if prov is not None and prov is not row and tz != prov["timezone"]:
            err(ln, "timezone %s differs from its province %s (%s)" % (tz, pcode, prov["timezone"]))
        expected = EXPECTED_TZ.get(pcode)
        if expected is None and row["kind"] == "prov":
            err(ln, "province %s has no expected time zone in this checker" % pcode)
        elif expected is not None and tz != expected:
            err(ln, "timezone %s, expected %s for province %s" % (tz, expected, pcode))

    # --- names and aliases ---------------------------------------------------
    seen_names = {}
    for row in rows:
        ln, name, kind = row["lineno"], row["name"], row["kind"]
        if KIND_PREFIX.match(name):
            err(ln, "name %r starts with a kind prefix" % name)
        key = (row["province_code"], kind, name.casefold())
        if key in seen_names:
            err(ln, "duplicate %s %r in province %s (first at line %d)"
                % (kind, name, row["province_code"], seen_names[key]))
        else:
            seen_names[key] = ln

        aliases = row["alias_list"]
        is_adm = bool(aliases) and aliases[0] == "adm"
        row["adm"] = is_adm
        if "adm" in aliases[1:]:
            err(ln, "'adm' must be the first alias")
        if is_adm and (kind == "prov" or row["province_code"] != ADM_PROVINCE):
            err(ln, "'adm' is only for DKI Jakarta's administrative regency/cities")
        if kind != "prov" and row["province_code"] == ADM_PROVINCE and not is_adm:
            err(ln, "DKI Jakarta %s %r must have 'adm' as first alias" % (kind, name))
        seen_alias = set()
        for alias in aliases:
            if not alias:
                err(ln, "empty alias (stray ';')")
                continue
            if alias == "adm":
                continue
            if KIND_PREFIX.match(alias):
                err(ln, "alias %r starts with a kind prefix" % alias)
            if alias.casefold() == name.casefold():
                err(ln, "alias %r repeats the name" % alias)
            if alias.casefold() in seen_alias:
                err(ln, "alias %r listed twice" % alias)
            seen_alias.add(alias.casefold())
            if ";" in alias or "," in alias:
                err(ln, "alias %r contains a separator" % alias)

    # --- domains -------------------------------------------------------------
    owner = {}
    for row in rows:
        ln = row["lineno"]
        if not row["domain_list"]:
            continue
        for domain in row["domain_list"]:
            if not domain:
                err(ln, "empty domain (stray ';')")
                continue
            if not DOMAIN.match(domain) or len(domain) > 253:
                err(ln, "domain %r does not look like a lowercase host name" % domain)
                continue
            if domain.startswith("www."):
                err(ln, "domain %r: list the base domain without www." % domain)
            if domain in owner:
                other = owner[domain]
                if other is row:
                    err(ln, "domain %s listed twice in the row" % domain)
                else:
                    err(ln, "domain %s already used by %s (line %d)" % (domain, other["code"], other["lineno"]))
                continue
            owner[domain] = row
    for domain, row in owner.items():
        labels = domain.split(".")
        for i in range(1, len(labels) - 1):
            parent = ".".join(labels[i:])
            other = owner.get(parent)
            if other is None or other is row:
                continue
            if other["kind"] == "prov" and other["code"] == row["province_code"]:
                continue  # e.g. pusat.jakarta.go.id under jakarta.go.id
            err(row["lineno"], "domain %s is a subdomain of %s owned by %s (line %d)"
                % (domain, parent, other["code"], other["lineno"]))

    # --- coverage --------------------------------------------------------------
    children = Counter(r["province_code"] for r in rows if r["kind"] != "prov")
    for pcode, prov in sorted(provinces.items()):
        if children[pcode] == 0:
            err(prov["lineno"], "province %s (%s) has no kab/kota" % (pcode, prov["name"]))

    counts = Counter(r["kind"] for r in rows)
    adm = Counter(r["kind"] for r in rows if r.get("adm"))
    per_province = defaultdict(Counter)
    for r in rows:
        if r["kind"] != "prov":
            per_province[r["province_code"]][r["kind"]] += 1
    stats = {"counts": counts, "adm": adm, "per_province": per_province, "provinces": provinces}

    if counts["prov"] != EXPECTED_PROVINCES:
        errors.append("%d provinces, expected %d" % (counts["prov"], EXPECTED_PROVINCES))
    if counts["kab"] != EXPECTED_KAB:
        errors.append("%d kab (incl. %d adm), expected %d (= %d autonomous + %d adm)"
                      % (counts["kab"], adm["kab"], EXPECTED_KAB,
                         EXPECTED_KAB - EXPECTED_ADM["kab"], EXPECTED_ADM["kab"]))
    if counts["kota"] != EXPECTED_KOTA:
        errors.append("%d kota (incl. %d adm), expected %d (= %d autonomous + %d adm)"
                      % (counts["kota"], adm["kota"], EXPECTED_KOTA,
                         EXPECTED_KOTA - EXPECTED_ADM["kota"], EXPECTED_ADM["kota"]))
    for kind, n in EXPECTED_ADM.items():
        if adm[kind] != n:
            errors.append("%d adm %s rows, expected %d" % (adm[kind], kind, n))
    return errors, stats


def main(argv):
    flags = [a for a in argv[1:] if a.startswith("-")]
    args = [a for a in argv[1:] if not a.startswith("-")]
    verbose = "-v" in flags or "--verbose" in flags
    path = args[0] if args else default_path()
    errors, stats = check(path)
    if stats:
        counts, adm = stats["counts"], stats["adm"]
        print("%s" % path)
        print("  provinces : %d" % counts["prov"])
        print("  kab       : %d (%d autonomous + %d adm)" % (counts["kab"], counts["kab"] - adm["kab"], adm["kab"]))
        print("  kota      : %d (%d autonomous + %d adm)" % (counts["kota"], counts["kota"] - adm["kota"], adm["kota"]))
        print("  kab+kota  : %d (%d autonomous + %d adm)"
              % (counts["kab"] + counts["kota"],
                 counts["kab"] + counts["kota"] - adm["kab"] - adm["kota"],
                 adm["kab"] + adm["kota"]))
        print("  rows      : %d" % sum(counts.values()))
        if verbose:
            for pcode, prov in sorted(stats["provinces"].items()):
                c = stats["per_province"][pcode]
                print("    %s %-28s %-4s kab %2d kota %2d" % (pcode, prov["name"], prov["timezone"], c["kab"], c["kota"]))
    if errors:
        for e in errors:
            print("ERROR: " + e)
        print("FAILED: %d error(s)" % len(errors))
        return 1
    print("OK")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
