"""lapor / insentif-fiskal, hibah-daerah, dnkd, lainnya."""

from runner import sc


# ------------------------------------------------------------------ insentif fiskal
@sc()
def if_formal(c):
    kin = c.pick("penurunan stunting", "penghapusan kemiskinan ekstrem", "pengendalian inflasi",
                 "peningkatan investasi")
    subj = c.pick("Laporan Penggunaan Insentif Fiskal TA 2023 %s" % c.reg("abbr"),
                  "Penyampaian Laporan Realisasi Insentif Fiskal Kinerja %s" % kin.title())
    body = ("%s\n\nBersama ini kami sampaikan laporan realisasi penggunaan Insentif Fiskal "
            "Tahun Anggaran 2023 atas kategori kinerja %s yang diterima %s.\n\n%s\n\n%s"
            % (c.salam(), kin, c.reg("gov"), c.tutup(), c.sig()))
    return {"subject": subj, "body": body,
            "atts": [c.fn("Lap Insentif Fiskal 2023 %s" % c.short_reg())]}


@sc()
def if_did_name(c):
    subj = c.pick("Laporan Realisasi DID/Insentif Fiskal %s" % c.reg("abbr"),
                  "laporan dana insentif daerah (insentif fiskal) 2023")
    body = ("%s\nberikut kami sampaikan laporan penggunaan insentif fiskal (dulu DID) tahun 2023 "
            "%s. mohon diterima.\n%s\n%s" % (c.salam(False), c.reg("short"), c.tutup(False),
                                             c.sig("name")))
    return {"subject": subj, "body": body,
            "atts": [c.fn("Laporan Insentif Fiskal TA 2023 %s" % c.rname, c.pick("pdf", "xlsx"))]}


@sc(senders=["personal", "pemda-gmail"])
def if_attach(c):
    return {"subject": c.pick("laporan", "", "insentif"), "body": "", "subj_enc": None,
            "atts": [c.fn(c.pick("Laporan Penggunaan Insentif Fiskal %s" % c.short_reg(),
                                 "Lap IF Stunting 2023 %s" % c.short_reg()), keep_case=True)]}


@sc()
def if_subject_only(c):
    return {"subject": "Laporan Realisasi Insentif Fiskal Tahun 2023 %s" % c.reg("abbr"),
            "body": ""}


@sc()
def if_forward(c):
    orig = "Lap realisasi insentif fiskal penghapusan kemiskinan ekstrem"
    body = c.forward("Bappeda", "bappeda@%s" % c.domain, c.agency_reg(), orig,
                     "Terlampir laporan realisasi insentif fiskal kategori kemiskinan ekstrem "
                     "untuk diteruskan.\nTrims\nBappeda %s" % c.reg("abbr"), "Mohon diterima.")
    return {"subject": "Fwd: " + orig, "body": body,
            "atts": [c.fn("Realisasi Insentif Fiskal KE %s" % c.short_reg())]}


IF_SCENARIOS = [if_formal, if_did_name, if_attach, if_subject_only, if_forward, if_formal]


# ------------------------------------------------------------------ hibah daerah
@sc()
def hibah_nphd(c):
    prog = c.pick("Hibah Air Minum Perkotaan", "Hibah Sanitasi", "Program Hibah Jalan Daerah",
                  "Hibah Pengelolaan Air Limbah")
    subj = c.pick("Penyampaian NPHD %s TA 2024" % prog, "NPHD %s %s" % (prog, c.reg("abbr")))
    body = ("%s\n\nBersama ini kami sampaikan Naskah Perjanjian Hibah Daerah (NPHD) %s Tahun "
            "Anggaran 2024 yang telah ditandatangani oleh %s.\n\n%s\n\n%s"
            % (c.salam(), prog, c.reg("gov"), c.tutup(), c.sig()))
    return {"subject": subj, "body": body, "atts": [c.fn("NPHD %s %s" % (prog, c.short_reg()))]}


@sc()
def hibah_realisasi(c):
    subj = c.pick("Laporan Realisasi Hibah Daerah %s" % c.reg("abbr"),
                  "Laporan Penggunaan Dana Hibah ke Daerah TA 2023")
    body = ("%s\n\nBersama ini kami sampaikan laporan realisasi penggunaan hibah dari Pemerintah "
            "Pusat kepada %s (hibah ke daerah) Tahun Anggaran 2023 berikut bukti pertanggung"
            "jawabannya.\n\n%s\n\n%s" % (c.salam(), c.reg("gov"), c.tutup(), c.sig()))
    return {"subject": subj, "body": body,
            "atts": [c.fn("Laporan Realisasi Hibah Daerah 2023 %s" % c.short_reg())]}


@sc(senders=["personal", "pemda-gmail"])
def hibah_attach(c):
    return {"subject": c.pick("kiriman", "nphd", ""), "body": "", "subj_enc": None,
            "atts": [c.fn("NPHD Hibah Daerah %s 2024" % c.short_reg())]}


@sc()
def hibah_chatty(c):
    body = ("%s\nberikut kami lampirkan laporan hibah daerah (hibah air minum) %s TW IV 2023 ya "
            "pak.\n%s\n%s" % (c.salam(False), c.reg("short"), c.tutup(False), c.sig("name")))
    body = c.typo(body) if c.chance(0.6) else body
    return {"subject": c.pick("lap hibah daerah", "laporan hibah air minum %s" % c.rname.lower()),
            "body": body, "atts": [c.fn("Lap Hibah Air Minum TW IV %s" % c.rname, "xlsx")]}


@sc()
def hibah_subject_only(c):
    return {"subject": "NPHD Hibah Daerah TA 2024 %s" % c.reg("abbr"), "body": ""}


HIBAH_SCENARIOS = [hibah_nphd, hibah_realisasi, hibah_attach, hibah_chatty, hibah_subject_only,
                   hibah_nphd]


# ------------------------------------------------------------------ DNKD
@sc()
def dnkd_formal(c):
    per = c.pick("Februari 2024", "Januari 2024", "Triwulan IV 2023")
    subj = c.pick("Penyampaian DNKD %s %s" % (per, c.reg("abbr")), "DNKD %s" % per,
                  "Laporan DNKD %s" % c.reg("full"))
    body = ("%s\n\nBersama ini kami sampaikan data DNKD %s periode %s sesuai format yang "
            "ditetapkan.\n\n%s\n\n%s" % (c.salam(), c.reg("gov"), per, c.tutup(), c.sig()))
    return {"subject": subj, "body": body,
            "atts": [c.fn("DNKD %s %s" % (c.short_reg(), per), "xlsx")]}


@sc(senders=["personal", "pemda-gmail"])
def dnkd_attach(c):
    return {"subject": c.pick("kiriman data", "", "data"), "body": "", "subj_enc": None,
            "atts": [c.fn("DNKD %s Feb 2024" % c.short_reg(), "xlsx")]}


@sc()
def dnkd_chatty(c):
    body = ("%s\nizin kirim DNKD bulan februari %s. maaf terlambat.\n%s\n%s"
            % (c.salam(False), c.reg("short"), c.tutup(False), c.sig("name")))
    body = c.typo(body) if c.chance(0.6) else body
    return {"subject": c.pick("dnkd feb", "DNKD", "kirim dnkd %s" % c.rname.lower()),
            "body": body, "atts": [c.fn("dnkd feb 2024 %s" % c.rname.lower(), "xlsx")]}


@sc()
def dnkd_subject_only(c):
    return {"subject": "DNKD %s Februari 2024" % c.reg("abbr"), "body": ""}


@sc()
def dnkd_reply(c):
    quoted = "Yth. Pemda,\nFile DNKD yang dikirim tidak dapat dibuka. Mohon dikirim ulang.\nLapor DJPK"
    body = "Berikut kami kirim ulang file DNKD nya.\n\n%s\n\n%s" % (
        c.sig("name"), c.quote(quoted, "Lapor DJPK", "lapor@djpk.test"))
    return {"subject": "Re: DNKD %s" % c.reg("abbr"), "body": body, "reply": True,
            "atts": [c.fn("DNKD %s revisi" % c.short_reg(), "xlsx")]}


DNKD_SCENARIOS = [dnkd_formal, dnkd_attach, dnkd_chatty, dnkd_subject_only, dnkd_reply,
                  dnkd_formal]


# ------------------------------------------------------------------ lainnya (lapor)
@sc()
def test_mail(c):
    return {"subject": c.pick("test", "tes", "Test email", "coba kirim"),
            "body": c.pick("", "tes", "test kirim email, mohon abaikan", "coba")}


@sc()
def thanks(c):
    body = ("%s\nTerima kasih atas konfirmasi penerimaan laporan kami kemarin.\n%s\n%s"
            % (c.salam(False), c.tutup(False), c.sig("name")))
    return {"subject": c.pick("Re: Tanda terima", "terima kasih", "Re: [Tiket] Konfirmasi"),
            "body": body, "reply": True}


@sc()
def is_active(c):
    body = ("%s\nmohon maaf mau tanya, apakah email lapor ini masih aktif? kami mau pastikan "
            "alamatnya benar sebelum kirim dokumen.\n%s\n%s"
            % (c.salam(False), c.tutup(False), c.sig("name")))
    return {"subject": c.pick("tanya alamat email", "apakah email ini aktif?", "konfirmasi"),
            "body": body}


@sc()
def greeting(c):
    body = ("%s\n\nKeluarga besar %s mengucapkan Selamat Menunaikan Ibadah Puasa Ramadhan 1445 H. "
            "Mohon maaf lahir dan batin.\n\n%s" % (c.salam(), c.agency_reg(), c.sig("agency")))
    return {"subject": c.pick("Selamat Menunaikan Ibadah Puasa", "Ucapan Ramadhan 1445 H"),
            "body": body}


@sc()
def wa_number(c):
    body = "%s\nmohon info nomor WA petugas yg bisa dihubungi. trims\n%s" % (
        c.salam(False), c.sig("name"))
    return {"subject": c.pick("nomor kontak", "mohon info no hp petugas", "minta kontak"),
            "body": body}


@sc()
def empty(c):
    return {"subject": c.pick("", "-", ""), "body": c.pick("", ".", "\u200b")}


LAINNYA_SCENARIOS = [test_mail, thanks, is_active, greeting, wa_number, empty, test_mail]
