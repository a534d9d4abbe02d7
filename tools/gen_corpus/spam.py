"""spam (both mailboxes): gambling, illegal lending, phishing, fake trainings, spoofed Kemenkeu."""

from cc_complaints import fake_invitation
from runner import sc

SPOOF_AR = ("Authentication-Results: mx.djpk.test; spf=fail smtp.mailfrom=kemenkeu.go.id; "
            "dkim=none; dmarc=fail header.from=kemenkeu.go.id")


def _rand_host(c, words, tlds):
    return "%s%d.%s" % (c.pick(*words), c.rng.randint(2, 999), c.pick(*tlds))


@sc()
def judi(c):
    site = _rand_host(c, ["gacor", "maxwin", "slot", "zeus", "olympus", "mahjong"],
                      ["xyz", "site", "online", "vip", "top"])
    subj = c.pick("SLOT GACOR HARI INI!!! MAXWIN x500 \U0001F525", "Situs Judi Online Terpercaya "
                  "2024 - Bonus New Member 100%", "bocoran rtp slot gacor malam ini",
                  "Link Alternatif %s Anti Blokir" % site.upper())
    body = ("\U0001F3B0 %s \U0001F3B0\n\nDaftar sekarang di situs slot gacor terpercaya, deposit "
            "mulai 10rb via DANA/OVO/QRIS!\n\n- Bonus new member 100%%\n- Winrate 98%%, pasti "
            "MAXWIN\n- Withdraw diproses 1 menit\n\nKlik: https://%s/daftar?ref=%d\n\n"
            "Admin 24 jam: wa.me/62857%07d" % (subj.upper(), site, c.rng.randint(100, 9999),
                                                c.rng.randint(0, 9999999)))
    return {"subject": subj, "body": body,
            "from": (c.pick("PROMO GACOR", "Admin Slot88", "Bonus Maxwin", ""),
                     "%s@%s" % (c.pick("promo", "admin", "info", "cs"), site)),
            "to": c.pick("undisclosed-recipients:;", "%s@djpk.test" % c.mailbox),
            "shape": c.pick(("html", "quoted-printable", "utf-8", "gmail"),
                            ("alt", "base64", "utf-8", "gmail"))}


@sc()
def pinjol(c):
    host = _rand_host(c, ["danacepat", "pinjamcair", "kreditkilat", "uangmudah"],
                      ["com", "id.top", "online"])
    subj = c.pick("Pinjaman Cair 5 Menit Tanpa BI Checking", "PINJOL LEGAL CAIR 50 JUTA TANPA "
                  "JAMINAN", "Butuh dana cepat? Pinjol cair tanpa BI checking, khusus ASN")
    body = ("Bapak/Ibu ASN yang terhormat,\n\nButuh dana mendesak? Kami siap bantu pinjaman "
            "hingga Rp 50.000.000 cair dalam 5 menit tanpa BI checking, tanpa survei, cukup KTP "
            "dan SK pegawai.\n\nBunga ringan 0,5%% per hari. Proses 100%% online.\n\n"
            "Ajukan sekarang: https://%s/ajukan\nWA: 0838-%04d-%04d"
            % (host, c.rng.randint(1000, 9999), c.rng.randint(1000, 9999)))
    return {"subject": subj, "body": body,
            "from": (c.pick("Dana Cepat", "CS Pinjaman", "Kredit ASN"), "marketing@" + host),
            "to": "undisclosed-recipients:;"}


@sc()
def phishing_mailbox(c):
    host = _rand_host(c, ["webmail-update", "mailbox-verify", "kemenkeu-helpdesk"],
                      ["com", "net", "web.app"])
    subj = c.pick("Peringatan: Mailbox Anda Penuh", "Verifikasi Akun Email Kemenkeu Anda",
                  "[PENTING] Akun email anda akan dinonaktifkan dalam 24 jam",
                  "Kuota mailbox anda telah mencapai 99%")
    body = ("Pengguna %s@djpk.test yang terhormat,\n\nKuota kotak surat Anda telah melebihi batas "
            "(2048MB/2048MB). Email masuk akan ditolak sampai Anda memverifikasi akun.\n\nKlik "
            "tautan di bawah ini untuk verifikasi dan menambah kuota:\nhttps://%s/login?u=%s\n\n"
            "Jika tidak diverifikasi dalam 24 jam akun Anda akan dinonaktifkan.\n\nTim IT "
            "Helpdesk" % (c.mailbox, host, c.mailbox))
    return {"subject": subj, "body": body,
            "from": (c.pick("Admin Email", "IT Helpdesk Kemenkeu", "Mail Administrator"),
                     "no-reply@" + host),
            "shape": ("html", "quoted-printable", "utf-8", "outlook")}


@sc()
def fake_training_bulk(c):
    subj, body = fake_invitation(c)
    return {"subject": subj, "body": body,
            "from": (c.pick("Panitia Diklat Keuangan", "DJPK Kemenkeu", "Pusdiklat Keuangan Daerah"),
                     c.pick("panitia.diklatkeuangan%d@gmail.com" % c.rng.randint(1, 99),
                            "info@diklat-keuangandaerah.id", "undangan.djpk@gmail.com")),
            "to": "undisclosed-recipients:;",
            "atts": [c.fn("Undangan Pelatihan Bendahara 2024")] if c.chance(0.5) else []}


@sc()
def spoof_kemenkeu(c):
    if c.chance(0.5):
        subj, body = fake_invitation(c)
    else:
        subj = c.pick("Pemberitahuan Pembaruan Data Rekening Kas Umum Daerah",
                      "Konfirmasi Data Penyaluran TKD - Segera")
        body = ("Yth. Pengelola Keuangan Daerah,\n\nSehubungan dengan pemutakhiran sistem "
                "penyaluran, seluruh Pemda wajib memperbarui data rekening melalui tautan "
                "berikut paling lambat hari ini:\nhttps://kemenkeu-tkd.%s/update\n\nDirektorat "
                "Jenderal Perimbangan Keuangan" % c.pick("com", "info", "web.id"))
    return {"subject": subj, "body": body,
            "from": (c.pick("Direktorat Jenderal Perimbangan Keuangan", "DJPK Kemenkeu",
                            "Kementerian Keuangan RI"),
                     c.pick("no-reply@kemenkeu.go.id", "djpk@kemenkeu.go.id",
                            "undangan@kemenkeu.go.id")),
            "extra_top": [SPOOF_AR], "received": False,
            "to": c.pick("undisclosed-recipients:;", "%s@djpk.test" % c.mailbox)}


@sc()
def undian(c):
    body = ("SELAMAT!!!\n\nAlamat email Anda terpilih sebagai pemenang undian berhadiah program "
            "HUT Kementerian Keuangan senilai Rp 175.000.000.\n\nUntuk klaim hadiah, kirimkan "
            "nama lengkap, nomor rekening dan foto KTP ke email panitia serta biaya administrasi "
            "Rp 2.500.000.\n\nPanitia Undian")
    return {"subject": c.pick("Selamat Anda Pemenang Undian", "PEMENANG UNDIAN BERHADIAH 2024"),
            "body": body, "from": ("Panitia Undian", "panitia.undian%d@outlook.com"
                                   % c.rng.randint(1, 999)),
            "to": "undisclosed-recipients:;"}


SPAM = [judi, pinjol, phishing_mailbox, fake_training_bulk, spoof_kemenkeu, undian, judi,
        spoof_kemenkeu]
