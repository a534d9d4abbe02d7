"""tests/fixtures/hostile: malformed messages a parser must survive (no expected category)."""

import os
import random

import runner

OUT = os.path.join(runner.ROOT, "tests", "fixtures", "hostile")


def hdr(subject, frm="BPKAD Kab. Cilacap <bpkad@cilacapkab.go.id>", mid=None, extra=""):
    return ("From: %s\r\nTo: lapor@djpk.test\r\nSubject: %s\r\nDate: Tue, 12 Mar 2024 09:15:00 "
            "+0700\r\nMessage-ID: %s\r\n%s" % (frm, subject, mid or "<hostile-%s@cilacapkab.go.id>"
                                               % abs(hash_(subject)), extra))


def hash_(s):
    h = 0
    for ch in s:
        h = (h * 131 + ord(ch)) % 1000000007
    return h


def files():
    rng = random.Random("hostile")
    garbage = bytes(rng.getrandbits(8) | 0x80 for _ in range(300))
    F = []

    F.append(("missing-boundary.eml", "multipart/mixed without a boundary parameter",
              (hdr("Laporan DBH CHT") + "MIME-Version: 1.0\r\nContent-Type: multipart/mixed\r\n\r\n"
               "--xyz\r\nContent-Type: text/plain\r\n\r\nlaporan terlampir\r\n--xyz--\r\n").encode()))

    F.append(("unterminated-multipart.eml",
              "multipart whose closing boundary never comes; the base64 attachment is cut off",
              (hdr("BA Rekon DBH Kab Cilacap") + "MIME-Version: 1.0\r\nContent-Type: multipart/mixed; "
               "boundary=\"b1\"\r\n\r\n--b1\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"
               "Berikut BA rekon.\r\n--b1\r\nContent-Type: application/pdf; name=\"BA Rekon.pdf\"\r\n"
               "Content-Transfer-Encoding: base64\r\n\r\nJVBERi0xLjQKJeLjz9MKMSAwIG9iago8PCAv\r\n"
               "VGl0bGUgKExhcG9yYW4").encode()))

    F.append(("no-headers.eml", "no header at all: the file starts with body text",
              b"Dengan hormat,\r\nbersama ini kami sampaikan laporan penggunaan DAU.\r\n"
              b"Terima kasih\r\n"))

    F.append(("garbage-8bit.eml", "raw 8-bit bytes (invalid UTF-8) in Subject, From and body, "
              "no charset declared",
              b"From: " + garbage[:20] + b" <bkad@dumaikota.go.id>\r\nTo: callcenter@djpk.test\r\n"
              b"Subject: Laporan " + garbage[20:60] + b"\r\nDate: Wed, 13 Mar 2024 10:00:00 +0700\r\n"
              b"Message-ID: <garbage8bit@dumaikota.go.id>\r\nMIME-Version: 1.0\r\n"
              b"Content-Type: text/plain\r\n\r\n" + garbage[60:] + b"\r\n\x00\x01\x02 DBH\r\n"))

    F.append(("unknown-charset.eml", "body and subject in a charset label nobody knows",
              (hdr("=?x-klingon-7?B?TGFwb3JhbiBEQVU=?=") + "MIME-Version: 1.0\r\nContent-Type: "
               "text/plain; charset=\"x-klingon-7\"\r\nContent-Transfer-Encoding: 8bit\r\n\r\n")
              .encode() + b"Laporan DAU \xe9\xe8\xff\xfe terlampir\r\n"))

    F.append(("cp1252-labelled-latin1.eml", "windows-1252 bytes (curly quotes, en dash, ellipsis) "
              "in a body labelled ISO-8859-1",
              (hdr("=?iso-8859-1?Q?Laporan_DAK_NF_=96_TW_IV?=") + "MIME-Version: 1.0\r\n"
               "Content-Type: text/plain; charset=iso-8859-1\r\nContent-Transfer-Encoding: 8bit"
               "\r\n\r\n").encode()
              + b"Dengan hormat,\r\nBersama ini kami sampaikan \x93Laporan Realisasi DAK Non Fisik\x94 "
                b"\x96 Triwulan IV\x85 \x80 1.250.000\r\n"))

    depth = 300
    parts = [hdr("Nested 300") + "MIME-Version: 1.0\r\n"]
    for i in range(depth):
        parts.append("Content-Type: multipart/mixed; boundary=\"n%d\"\r\n\r\n--n%d\r\n" % (i, i))
    parts.append("Content-Type: text/plain\r\n\r\nlaporan DBH paling dalam\r\n")
    for i in reversed(range(depth)):
        parts.append("--n%d--\r\n" % i)
    F.append(("nested-300.eml", "multipart nested 300 levels deep", "".join(parts).encode()))

    long_subj = "Laporan DBH " + " ".join("x%05d" % i for i in range(200 * 1024 // 7))
    F.append(("header-200kb.eml", "a single unfolded Subject header line of about 200 KB",
              (hdr(long_subj) + "MIME-Version: 1.0\r\nContent-Type: text/plain\r\n\r\nisi\r\n")
              .encode()))

    dup = "<duplicate-id-2024@brebeskab.go.id>"
    for n, txt in (("a", "Laporan DBH CHT pertama"), ("b", "Pertanyaan DAU, pesan lain")):
        F.append(("duplicate-msgid-%s.eml" % n, "same Message-ID as duplicate-msgid-%s.eml"
                  % ("b" if n == "a" else "a"),
                  (hdr(txt, "BPKAD Brebes <bpkad@brebeskab.go.id>", dup) + "MIME-Version: 1.0\r\n"
                   "Content-Type: text/plain; charset=utf-8\r\n\r\n%s\r\n" % txt).encode()))

    F.append(("empty.eml", "an empty file (0 bytes)", b""))
    F.append(("only-crlf.eml", "a file holding only CRLF CRLF", b"\r\n\r\n"))

    F.append(("no-from.eml", "a message without a From header",
              b"To: callcenter@djpk.test\r\nSubject: Tanya DAK Fisik\r\nDate: Thu, 14 Mar 2024 "
              b"08:00:00 +0800\r\nMessage-ID: <nofrom-1@example.invalid>\r\n\r\nkapan kontrak DAK "
              b"fisik paling lambat?\r\n"))

    F.append(("from-undisclosed.eml", "From header that is not an address (\"undisclosed\")",
              hdr("Permintaan data APBD", "undisclosed").encode()
              + b"\r\nmohon data APBD 2023\r\n"))

    F.append(("bad-rfc2047.eml", "malformed encoded words: bad base64 padding, unterminated "
              "word, unknown encoding letter, invalid base64 characters, word glued to text",
              (hdr("=?UTF-8?B?TGFwb3JhbiBEQkg?= =?UTF-8?Q?Kab_Kudus =?utf-8?X?abc?= "
                   "=?UTF-8?B?!!!***?= Laporan=?UTF-8?Q?_DAU?=TW4",
                   "=?UTF-8?B?QlBLQUQ=?=?= <bpkad@kuduskab.go.id>")
               + "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"
               "laporan\r\n").encode()))

    F.append(("bare-lf.eml", "bare LF line endings mixed with CRLF and a lone CR",
              (hdr("Laporan APBD").replace("\r\n", "\n") + "MIME-Version: 1.0\r\n"
               "Content-Type: text/plain\n\nbaris satu\rbaris dua\r\nbaris tiga\n").encode()))

    F.append(("bad-base64.eml", "base64 body with invalid characters and wrong padding; "
              "a quoted-printable part with broken escapes",
              (hdr("BA Rekon", extra="MIME-Version: 1.0\r\n")
               + "Content-Type: multipart/mixed; boundary=\"q\"\r\n\r\n--q\r\nContent-Type: "
               "text/plain; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n"
               "Laporan =ZZ DBH =E2=80 terlampir=\r\n--q\r\nContent-Type: application/pdf; "
               "name=\"x.pdf\"\r\nContent-Transfer-Encoding: base64\r\n\r\nJVBE%%Ri0x$$LjQ=K=\r\n"
               "--q--\r\n").encode()))
    return F


def generate():
    lines = []
    for name, what, raw in files():
        runner.write(os.path.join(OUT, name), raw)
        lines.append("%s\t%s" % (name, what))
    with open(os.path.join(OUT, "README.txt"), "w", newline="\n") as f:
        f.write("# Hostile messages: a parser must survive every one (no crash, hang or blow-up).\n"
                "# Generated by tools/gen_corpus/hostile.py. One line per file: name<TAB>what.\n")
        f.write("\n".join(lines) + "\n")
    runner.COUNTS[("hostile", "-", "-")] = len(lines)
