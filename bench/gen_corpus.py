#!/usr/bin/env python3
"""Benchmark corpus for pilah: realistic Indonesian mail for both mailboxes, of chosen sizes.

Usage:
  python3 bench/gen_corpus.py --out DIR --count N [--profile typical|small|mixed] [--seed S]
  python3 bench/gen_corpus.py --out DIR --big-mb 25          # one report with a 25 MB attachment

Writes DIR/lapor/NNNNNN.eml, DIR/callcenter/NNNNNN.eml (CRLF line endings, ready for IMAP
APPEND) and DIR/manifest.tsv (file, mailbox, kind, bytes). Python 3 standard library only;
deterministic for a given (profile, count, seed). Profiles, by message size:

  typical  about 20 KB each (14-26 KB): text + HTML alternative + one small attachment, the
           size the issue's parse+classify target is stated for;
  small    2-50 KB, median about 9 KB: what a contact center receives day to day (text-only
           questions, reports with one scanned page or a spreadsheet); used for the drains;
  mixed    2 KB to 4 MB: 40 % text only (2-8 KB), 35 % one attachment (10-100 KB), 20 %
           100 KB-1 MB, 5 % 1-4 MB scans.

The mix of contents is the same in every profile: lapor reports (DBH, DAU, DAK Non Fisik,
APBD, Insentif Fiskal, Hibah, DNKD), callcenter questions and requests, letters, spam,
non-DJPK questions, replies that thread onto earlier messages, and machine mail
(auto-replies, bounces). Encodings vary: RFC 2047 B and Q headers in UTF-8 and ISO-8859-1,
quoted-printable, base64 and 8bit bodies, HTML-only mail, RFC 2231 file names, forwarded
message/rfc822 parts.
"""

import argparse
import base64
import binascii
import os
import random
import sys

CRLF = "\r\n"

REGIONS = [  # (kind, name, domain)
    ("kab", "Cilacap", "cilacapkab.go.id"), ("kota", "Dumai", "dumaikota.go.id"),
    ("prov", "Jawa Timur", "jatimprov.go.id"), ("kab", "Brebes", "brebeskab.go.id"),
    ("kab", "Kudus", "kuduskab.go.id"), ("kab", "Temanggung", "temanggungkab.go.id"),
    ("kab", "Jember", "jemberkab.go.id"), ("kab", "Bojonegoro", "bojonegorokab.go.id"),
    ("kab", "Rokan Hilir", "rohilkab.go.id"), ("kab", "Siak", "siakkab.go.id"),
    ("kab", "Ketapang", "ketapangkab.go.id"), ("kab", "Paser", "paserkab.go.id"),
    ("kab", "Kutai Kartanegara", "kukarkab.go.id"), ("kab", "Musi Banyuasin", "mubakab.go.id"),
    ("prov", "Sumatera Utara", "sumutprov.go.id"), ("kab", "Deli Serdang", "deliserdangkab.go.id"),
    ("kab", "Samosir", "samosirkab.go.id"), ("kota", "Padang", "padang.go.id"),
    ("kab", "Lampung Selatan", "lampungselatankab.go.id"), ("kab", "Natuna", "natunakab.go.id"),
    ("prov", "Jawa Barat", "jabarprov.go.id"), ("kab", "Garut", "garutkab.go.id"),
    ("kota", "Bogor", "kotabogor.go.id"), ("kab", "Banyumas", "banyumaskab.go.id"),
    ("kab", "Sleman", "slemankab.go.id"), ("kab", "Sidoarjo", "sidoarjokab.go.id"),
    ("kab", "Badung", "badungkab.go.id"), ("kota", "Mataram", "mataramkota.go.id"),
    ("kab", "Sikka", "sikkakab.go.id"), ("kab", "Tabalong", "tabalongkab.go.id"),
    ("kota", "Balikpapan", "balikpapan.go.id"), ("kab", "Gowa", "gowakab.go.id"),
    ("kab", "Konawe", "konawekab.go.id"), ("kota", "Gorontalo", "gorontalokota.go.id"),
    ("kota", "Ambon", "ambon.go.id"), ("kab", "Mimika", "mimikakab.go.id"),
    ("kab", "Merauke", "merauke.go.id"), ("kota", "Sorong", "sorongkota.go.id"),
    ("kab", "Jayawijaya", "jayawijayakab.go.id"), ("kab", "Bima", "bimakab.go.id"),
]
FIRST = ["Agus", "Bambang", "Dedi", "Eko", "Fajar", "Hendra", "Joko", "Lukman", "Rahmat",
         "Slamet", "Teguh", "Wahyu", "Yohanes", "Andi", "Made", "Siti", "Sri", "Dewi", "Rina",
         "Nurul", "Fitri", "Ratna", "Endang", "Ayu", "Kadek", "Wulan", "Indah", "Ni Luh"]
LAST = ["Wahyuni", "Santoso", "Saputra", "Hidayat", "Pratama", "Siregar", "Nasution", "Lubis",
        "Wibowo", "Setiawan", "Purnomo", "Manurung", "Pattiasina", "Rumbiak", "Tanjung",
        "Ginting", "Sembiring", "Nugroho", "Kusuma", "Sinaga", "Hutapea", "Anggraini"]
ACCENTED = ["René Pattiasina", "Dévi Anggraini", "José Ximenes", "Stéfanus Dacosta"]
AGENCIES = ["BPKAD", "BKAD", "BPKPD", "BPKD", "DPPKAD", "BKD"]
LOCAL = ["bpkad", "bkad", "keuangan", "anggaran", "akuntansi", "dana.transfer", "bud"]
WEBMAIL = ["gmail.com", "yahoo.co.id", "yahoo.com", "outlook.com", "hotmail.com"]
MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
DAYS = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]

# (category hint, subject templates, attachment name templates, body sentence)
LAPOR = [
    ("dbh", ["Penyampaian BA Rekonsiliasi DBH {tw} {year} {region}",
             "Laporan Realisasi Penggunaan DBH CHT {region} Semester I {year}",
             "Syarat Salur DBH Sawit {region} Tahap II"],
     ["BA_Rekon_DBH_{slug}_{tw}_{year}.pdf", "Laporan DBH CHT {slug} {year}.xlsx"],
     "laporan realisasi penggunaan Dana Bagi Hasil sebagai syarat penyaluran DBH tahap berikutnya"),
    ("dau", ["Laporan Penggunaan DAU untuk Penggajian PPPK {region}",
             "Syarat Salur DAU yang Ditentukan Penggunaannya Bulan {month} {year}"],
     ["REKAP_GAJI_PPPK_{slug}_{year}.xlsx", "Laporan DAU SG {slug}.pdf"],
     "laporan penggunaan DAU yang ditentukan penggunaannya untuk penggajian formasi PPPK"),
    ("dak-nf", ["Laporan Realisasi DAK Non Fisik BOS {tw} {year} - {region}",
                "Penyampaian Laporan TPG dan Tamsil {region} {tw}"],
     ["Lap_Realisasi_DAK_NF_BOP_PAUD_{slug}.pdf", "TPG_Tamsil_{tw}_{slug}.xlsx"],
     "laporan realisasi penyerapan dan capaian output DAK Non Fisik sebagai syarat salur"),
    ("apbd", ["Penyampaian Perda APBD TA {year} {region}",
              "Perkada Penjabaran APBD Perubahan {year} {region}"],
     ["Perda_APBD_{year}_{slug}.pdf", "Penjabaran APBD-P {year} {slug}.pdf"],
     "Peraturan Daerah tentang APBD dan Peraturan Kepala Daerah tentang Penjabaran APBD"),
    ("insentif", ["Laporan Penggunaan Insentif Fiskal {year} {region}"],
     ["Lap_Insentif_Fiskal_{slug}_{year}.pdf"],
     "laporan penggunaan dana Insentif Fiskal kategori kinerja tahun berjalan"),
    ("hibah", ["Penyampaian NPHD Hibah Daerah {region}"], ["NPHD_{slug}_{year}.pdf"],
     "Naskah Perjanjian Hibah Daerah beserta laporan penggunaan hibah"),
    ("dnkd", ["Laporan DNKD {region} {month} {year}"], ["DNKD_{slug}_{month}.xlsx"],
     "laporan Dana Non Kas Daerah untuk bulan berkenaan"),
]
CALLCENTER = [
    ("permintaan-data", ["Permohonan Data Realisasi TKD {region} {year}",
                         "Permintaan data alokasi DAU dan DBH tahun {year}"],
     ["Surat_Permohonan_Data_{slug}.pdf"],
     "kami memohon data alokasi dan realisasi Transfer ke Daerah untuk keperluan penelitian"),
    ("aplikasi", ["Kendala login aplikasi SIKD", "Tidak bisa upload di SIKD NG"],
     ["screenshot_error_sikd.png"],
     "kami mengalami kendala saat mengunggah dokumen pada aplikasi SIKD karena muncul pesan galat"),
    ("pdrd", ["Pertanyaan tentang opsen PKB dan BBNKB", "Konsultasi retribusi daerah {region}"],
     ["Draft_Perda_PDRD_{slug}.docx"],
     "mohon penjelasan mengenai penerapan opsen pajak kendaraan bermotor sesuai UU HKPD"),
    ("dana-desa", ["Pertanyaan penyaluran Dana Desa tahap II {region}",
                   "BLT Desa belum cair di desa kami"], [],
     "Dana Desa tahap kedua di desa kami belum disalurkan padahal dokumen sudah lengkap"),
    ("reservasi", ["Reservasi konsultasi tatap muka {region}"], ["Surat_Permohonan_Audiensi.pdf"],
     "kami bermaksud melakukan konsultasi tatap muka ke DJPK pada minggu depan"),
    ("pengaduan", ["Pengaduan pelayanan konsultasi", "Keluhan belum ada tanggapan"], [],
     "sudah dua minggu pertanyaan kami belum mendapatkan tanggapan dari petugas"),
    ("surat", ["Surat Undangan Rapat Koordinasi {region}", "Penyampaian surat nomor 900/{n}/BPKAD"],
     ["Surat_{n}_BPKAD_{slug}.pdf"],
     "bersama ini kami sampaikan surat sebagaimana terlampir untuk ditindaklanjuti"),
    ("lainnya", ["Mohon informasi", "Pertanyaan", "Tanya"], [],
     "saya ingin bertanya mengenai prosedur yang berlaku, mohon arahannya"),
]
SPAM = [
    ("Slot gacor maxwin hari ini, deposit pulsa tanpa potongan",
     "Situs slot gacor terpercaya, RTP live tertinggi, link alternatif anti blokir."),
    ("Pinjaman dana cepat cair tanpa jaminan",
     "Pinjaman online cair dalam 5 menit, bunga 0 persen, cair tanpa survei."),
    ("Kuota email anda penuh",
     "Kotak surat anda penuh. Klik tautan berikut untuk verifikasi akun email dalam 24 jam."),
    ("Undangan Pelatihan Bendahara Pengeluaran Pembantu",
     "Undangan bimtek capacity building, biaya kontribusi peserta Rp 5.500.000 ditransfer ke rekening panitia."),
]
NONDJPK = [
    ("Lupa EFIN dan tidak bisa lapor SPT Tahunan", "Bagaimana cara mendapatkan EFIN untuk DJP Online?"),
    ("Paket tertahan di bea cukai", "Paket kiriman saya dari luar negeri tertahan, berapa bea masuknya?"),
    ("Pendaftaran beasiswa LPDP", "Kapan pendaftaran beasiswa LPDP tahap berikutnya dibuka?"),
]
FILLER = [
    "Dengan hormat,",
    "Menindaklanjuti surat Direktur Jenderal Perimbangan Keuangan mengenai penyampaian dokumen persyaratan penyaluran, bersama ini kami sampaikan dokumen yang diperlukan.",
    "Adapun rincian realisasi anggaran per kegiatan kami lampirkan dalam berkas terpisah untuk dapat dipergunakan sebagaimana mestinya.",
    "Sehubungan dengan hal tersebut, kami mohon kiranya Bapak/Ibu berkenan memberikan konfirmasi atas penerimaan dokumen ini.",
    "Apabila terdapat kekurangan dokumen, mohon agar kami diberikan informasi melalui surel ini atau melalui nomor telepon kantor kami.",
    "Data yang kami sampaikan telah diverifikasi oleh Inspektorat Daerah dan ditandatangani oleh Kepala Daerah.",
    "Perlu kami sampaikan pula bahwa terdapat selisih antara data SIKD dan data kas daerah yang sedang kami rekonsiliasi.",
    "Demikian kami sampaikan, atas perhatian dan kerja samanya diucapkan terima kasih.",
]
SIGN = ["Hormat kami,", "Salam,", "Terima kasih,", "Wassalamualaikum Wr. Wb."]

ATTACH_TYPES = {
    "pdf": "application/pdf", "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "png": "image/png", "jpg": "image/jpeg", "zip": "application/zip",
}
MAGIC = {"pdf": b"%PDF-1.5\n", "xlsx": b"PK\x03\x04", "docx": b"PK\x03\x04", "zip": b"PK\x03\x04",
         "png": b"\x89PNG\r\n\x1a\n", "jpg": b"\xff\xd8\xff\xe0"}


def b_word(text, charset="utf-8"):
    return "=?%s?B?%s?=" % (charset, base64.b64encode(text.encode(charset)).decode())


def q_word(text, charset="utf-8"):
    raw = binascii.b2a_qp(text.encode(charset), header=True).decode()
    return "=?%s?Q?%s?=" % (charset, raw.replace("?", "=3F"))


def encode_header(rng, text):
    """Plain ASCII, or an encoded word in one of the forms seen in the wild."""
    try:
        text.encode("ascii")
        ascii_only = True
    except UnicodeEncodeError:
        ascii_only = False
    r = rng.random()
    if ascii_only and r < 0.55:
        return text
    if r < 0.8:
        return b_word(text)
    try:
        return q_word(text, "iso-8859-1")
    except UnicodeEncodeError:
        return q_word(text)


def date_header(rng):
    day = rng.randrange(1, 29)
    month = rng.randrange(1, 13)
    wd = DAYS[(day + month * 3) % 7]
    off = rng.choice(["+0700", "+0800", "+0900"])
    return "%s, %d %s 2024 %02d:%02d:%02d %s" % (
        wd, day, MONTHS[month - 1], rng.randrange(7, 17), rng.randrange(60), rng.randrange(60), off)


def qp(text):
    return binascii.b2a_qp(text.encode("utf-8")).decode().replace("\n", CRLF)


def b64_lines(data):
    return base64.encodebytes(data).decode().replace("\n", CRLF)


def payload(rng, ext, n):
    head = MAGIC.get(ext, b"")
    return head + rng.randbytes(max(0, n - len(head)))


def paragraphs(rng, lead, n):
    out = ["Selamat %s," % rng.choice(["pagi", "siang", "sore"]), FILLER[0], lead[0].upper() + lead[1:] + "."]
    for _ in range(n):
        out.append(rng.choice(FILLER[1:]))
    return out


def html_of(paras):
    body = "".join('<p class="MsoNormal">%s<o:p></o:p></p>\r\n' % p.replace("&", "&amp;") for p in paras)
    return ('<html xmlns:o="urn:schemas-microsoft-com:office:office"><head>\r\n'
            '<meta http-equiv="Content-Type" content="text/html; charset=utf-8">\r\n'
            '<style>p.MsoNormal{margin:0cm;font-size:11.0pt;font-family:"Calibri",sans-serif;}</style>\r\n'
            '</head><body lang="EN-US"><div class="WordSection1">\r\n%s</div></body></html>\r\n' % body)


def text_part(rng, paras, html):
    """A text body: plain, HTML alternative, or HTML only; varied transfer encodings."""
    plain = CRLF.join(paras) + CRLF
    enc = rng.random()
    if enc < 0.4:
        plain_part = "Content-Type: text/plain; charset=\"utf-8\"\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n" + qp(plain)
    elif enc < 0.6:
        plain_part = "Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\n" + b64_lines(plain.encode())
    elif enc < 0.8:
        try:
            latin = plain.encode("iso-8859-1")
            plain_part = "Content-Type: text/plain; charset=iso-8859-1\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n" + binascii.b2a_qp(latin).decode().replace("\n", CRLF)
        except UnicodeEncodeError:
            plain_part = "Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n" + plain
    else:
        plain_part = "Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n" + plain
    if not html:
        return plain_part
    html_part = "Content-Type: text/html; charset=\"utf-8\"\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n" + qp(html_of(paras))
    if rng.random() < 0.15:
        return html_part  # HTML only
    b = "_alt_%08x_" % rng.getrandbits(32)
    return ("Content-Type: multipart/alternative;\r\n\tboundary=\"%s\"\r\n\r\n--%s\r\n%s\r\n--%s\r\n%s\r\n--%s--\r\n"
            % (b, b, plain_part, b, html_part, b))


def attachment_part(rng, name, nbytes):
    ext = name.rsplit(".", 1)[-1].lower()
    ctype = ATTACH_TYPES.get(ext, "application/octet-stream")
    try:
        name.encode("ascii")
        ascii_name = True
    except UnicodeEncodeError:
        ascii_name = False
    if ascii_name and rng.random() < 0.7:
        disp = 'attachment; filename="%s"' % name
        cname = 'name="%s"' % name
    else:
        from urllib.parse import quote
        disp = "attachment;\r\n\tfilename*=UTF-8''%s" % quote(name)
        cname = 'name="%s"' % b_word(name)
    return ("Content-Type: %s; %s\r\nContent-Disposition: %s\r\nContent-Transfer-Encoding: base64\r\n\r\n%s"
            % (ctype, cname, disp, b64_lines(payload(rng, ext, nbytes))))


def multipart_mixed(rng, parts):
    b = "_mix_%08x_" % rng.getrandbits(32)
    out = ["This is a multi-part message in MIME format.\r\n"]
    for p in parts:
        out.append("\r\n--%s\r\n%s" % (b, p))
    out.append("\r\n--%s--\r\n" % b)
    return "Content-Type: multipart/mixed;\r\n\tboundary=\"%s\"" % b, "".join(out)


class Corpus:
    def __init__(self, seed, profile):
        self.rng = random.Random(seed)
        self.profile = profile
        self.ids = {"lapor": [], "callcenter": []}
        self.n = 0

    def target_size(self):
        rng, p = self.rng, self.profile
        if p == "typical":
            return rng.randrange(14000, 26000)
        if p == "small":
            r = rng.random()
            if r < 0.45:
                return rng.randrange(2000, 6000)
            if r < 0.85:
                return rng.randrange(6000, 20000)
            return rng.randrange(20000, 50000)
        r = rng.random()  # mixed
        if r < 0.40:
            return rng.randrange(2000, 8000)
        if r < 0.75:
            return rng.randrange(10000, 100000)
        if r < 0.95:
            return rng.randrange(100000, 1000000)
        return rng.randrange(1000000, 4000000)

    def sender(self, region, personal):
        rng = self.rng
        first, last = rng.choice(FIRST), rng.choice(LAST)
        if rng.random() < 0.05:
            name = rng.choice(ACCENTED)
        else:
            name = "%s %s" % (first, last)
        if personal:
            local = "%s.%s%d" % (first.lower().replace(" ", ""), last.lower().replace(" ", ""), rng.randrange(100))
            return name, "%s@%s" % (local, rng.choice(WEBMAIL))
        local = "%s.%s" % (rng.choice(LOCAL), first.lower().replace(" ", ""))
        return "%s %s" % (rng.choice(AGENCIES), region[1]), "%s@%s" % (local, region[2])

    def fill(self, vals, template):
        return template.format(**vals)

    def message(self, mailbox, size=None, kind=None, sender=None, message_id=None, big_attachment=0):
        """One message as CRLF text. Returns (kind, text)."""
        rng = self.rng
        self.n += 1
        size = size if size is not None else self.target_size()
        region = rng.choice(REGIONS)
        year = rng.choice([2023, 2024, 2024])
        vals = {"region": "%s %s" % ({"kab": "Kabupaten", "kota": "Kota", "prov": "Provinsi"}[region[0]], region[1]),
                "slug": region[1].replace(" ", "_"), "year": year, "tw": rng.choice(["TW I", "TW II", "TW III", "TW IV"]),
                "month": rng.choice(["Januari", "Februari", "Maret", "April", "Mei", "Juni"]), "n": rng.randrange(100, 999)}
        r = rng.random() if kind is None else None
        personal = False
        attach_names = []
        extra_headers = []
        if kind is None:
            if r < 0.04:
                kind = "machine"
            elif r < 0.09:
                kind = "spam"
            elif r < 0.12:
                kind = "nondjpk"
            elif r < 0.17 and self.ids[mailbox]:
                kind = "reply"
            else:
                kind = "topic"
        if kind == "topic":
            topic = rng.choice(LAPOR if mailbox == "lapor" else CALLCENTER)
            subject = self.fill(vals, rng.choice(topic[1]))
            attach_names = [self.fill(vals, rng.choice(topic[2]))] if topic[2] else []
            lead = topic[3]
            personal = mailbox == "callcenter" and rng.random() < 0.5
            kind = topic[0]
        elif kind == "spam":
            subject, lead = rng.choice(SPAM)
            personal = True
        elif kind == "nondjpk":
            subject, lead = rng.choice(NONDJPK)
            personal = True
        elif kind == "reply":
            parent = rng.choice(self.ids[mailbox][-200:])
            subject = "Re: " + parent[1]
            lead = "menindaklanjuti surel kami sebelumnya, berikut kami sampaikan kelengkapan dokumen"
            extra_headers.append("In-Reply-To: <%s>" % parent[0])
            extra_headers.append("References: <%s>" % parent[0])
        else:  # machine
            subject = rng.choice(["Automatic reply: Laporan DBH", "Out of Office: Permohonan Data",
                                  "Undelivered Mail Returned to Sender"])
            lead = "saya sedang cuti dan akan membalas surel anda setelah kembali ke kantor"
            extra_headers.append("Auto-Submitted: auto-replied")
            extra_headers.append("X-Autoreply: yes")
        name, addr = sender if sender else self.sender(region, personal)
        if big_attachment:
            attach_names = ["Scan_Dokumen_Lengkap_%s_%d.pdf" % (vals["slug"], year)]
        if not attach_names and size > 9000 and kind not in ("spam", "machine", "nondjpk"):
            attach_names = [rng.choice(["Scan_Surat_%s.pdf" % vals["slug"], "Lampiran %s.jpg" % vals["slug"],
                                        "Dokumen Pendukung %s.zip" % vals["slug"]])]
        paras = paragraphs(rng, lead, rng.randrange(2, 7))
        paras += ["", rng.choice(SIGN), name, "%s %s" % (rng.choice(AGENCIES), region[1])]
        html = rng.random() < 0.6
        body_part = text_part(rng, paras, html)
        mid = message_id or "%d.%08x.%d@%s" % (self.n, rng.getrandbits(32), year, addr.split("@")[1])
        headers = [
            "Return-Path: <%s>" % addr,
            "Received: from mail.%s (mail.%s [203.0.113.%d])\r\n\tby mx.djpk.test with ESMTPS id %08X\r\n\tfor <%s@djpk.test>; %s"
            % (addr.split("@")[1], addr.split("@")[1], rng.randrange(1, 254), rng.getrandbits(32), mailbox, date_header(rng)),
            "Authentication-Results: mx.djpk.test; spf=%s smtp.mailfrom=%s; dkim=%s; dmarc=%s"
            % (rng.choice(["pass", "pass", "none"]), addr.split("@")[1], rng.choice(["pass", "none"]), rng.choice(["pass", "none"])),
            "From: %s <%s>" % (encode_header(rng, name), addr),
            "To: %s@djpk.test" % mailbox,
            "Subject: %s" % encode_header(rng, subject),
            "Date: %s" % date_header(rng),
            "Message-ID: <%s>" % mid,
            "MIME-Version: 1.0",
            "X-Mailer: %s" % rng.choice(["Microsoft Outlook 16.0", "Zimbra 9.0", "Roundcube Webmail/1.6", "Mozilla Thunderbird 115"]),
        ] + extra_headers
        self.ids[mailbox].append((mid, subject))
        parts = [body_part]
        # Fill to the target size with the attachment(s).
        base = sum(len(h) + 2 for h in headers) + len(body_part) + 400
        if big_attachment:
            parts.append(attachment_part(rng, attach_names[0], big_attachment))
        elif attach_names:
            room = max(512, int((size - base) / 1.37))
            parts.append(attachment_part(rng, attach_names[0], room))
        elif kind == "reply" and rng.random() < 0.3:
            fwd = "From: %s <%s>\r\nSubject: %s\r\nDate: %s\r\n\r\n%s\r\n" % (name, addr, subject, date_header(rng), CRLF.join(paras))
            parts.append("Content-Type: message/rfc822\r\nContent-Disposition: attachment\r\n\r\n" + fwd)
        if len(parts) == 1 and body_part.startswith("Content-Type: text/plain") and rng.random() < 0.5:
            text = "\r\n".join(headers) + CRLF + body_part
        else:
            ctype, body = multipart_mixed(rng, parts)
            text = "\r\n".join(headers) + CRLF + ctype + CRLF + CRLF + body
        # Text-only messages below their target get quoted history appended, as real threads do.
        if not attach_names and not big_attachment and len(text) < size and kind != "machine":
            text += "\r\n" + ("> " + rng.choice(FILLER[1:]) + "\r\n") * ((size - len(text)) // 120)
        return kind, text


def write_corpus(out, count, profile, seed):
    c = Corpus(seed, profile)
    for mb in ("lapor", "callcenter"):
        os.makedirs(os.path.join(out, mb), exist_ok=True)
    rows = []
    for i in range(count):
        mb = "lapor" if i % 5 < 3 else "callcenter"  # 60 % lapor, 40 % callcenter
        kind, text = c.message(mb)
        rel = "%s/%06d.eml" % (mb, i + 1)
        data = text.encode("utf-8")
        with open(os.path.join(out, rel), "wb") as f:
            f.write(data)
        rows.append("%s\t%s\t%s\t%d" % (rel, mb, kind, len(data)))
    with open(os.path.join(out, "manifest.tsv"), "w") as f:
        f.write("file\tmailbox\tkind\tbytes\n" + "\n".join(rows) + "\n")
    total = sum(int(r.rsplit("\t", 1)[1]) for r in rows)
    sys.stderr.write("gen_corpus: %d messages, %.1f MB, profile %s, in %s\n" % (count, total / 1e6, profile, out))


def write_big(out, mb, seed):
    c = Corpus(seed, "typical")
    os.makedirs(os.path.join(out, "lapor"), exist_ok=True)
    kind, text = c.message("lapor", kind="topic", big_attachment=mb * 1024 * 1024)
    data = text.encode("utf-8")
    with open(os.path.join(out, "lapor", "000001.eml"), "wb") as f:
        f.write(data)
    with open(os.path.join(out, "manifest.tsv"), "w") as f:
        f.write("file\tmailbox\tkind\tbytes\nlapor/000001.eml\tlapor\t%s\t%d\n" % (kind, len(data)))
    sys.stderr.write("gen_corpus: 1 message of %.1f MB (%d MB attachment) in %s\n" % (len(data) / 1e6, mb, out))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", required=True)
    ap.add_argument("--count", type=int, default=1000)
    ap.add_argument("--profile", choices=["typical", "small", "mixed"], default="small")
    ap.add_argument("--seed", type=int, default=8)
    ap.add_argument("--big-mb", type=int, default=0, help="write one message with an attachment of this many MB")
    a = ap.parse_args()
    if a.big_mb:
        write_big(a.out, a.big_mb, a.seed)
    else:
        write_corpus(a.out, a.count, a.profile, a.seed)


if __name__ == "__main__":
    main()
