"""lapor / syarat-salur-dbh: reports that condition the payout of Dana Bagi Hasil."""

from runner import sc

SEM = ["Semester II Tahun Anggaran 2023", "Semester II TA 2023", "Tahun Anggaran 2023",
       "s.d. Semester II 2023"]


@sc(tag="cht")
def cht_formal(c):
    r = c.reg("full")
    subj = c.pick("Penyampaian Laporan Penggunaan DBH CHT %s" % r,
                  "Laporan Realisasi Penggunaan DBH CHT Semester II TA 2023 – %s" % c.reg("abbr"),
                  "Penyampaian Laporan Realisasi DBH-CHT %s" % c.reg("short"))
    body = ("%s\n\nBersama ini kami sampaikan Laporan Realisasi Penggunaan Dana Bagi Hasil Cukai "
            "Hasil Tembakau (DBH CHT) %s %s, sebagai salah satu persyaratan penyaluran DBH CHT "
            "Tahap I Tahun Anggaran 2024.\n\nLaporan dimaksud terlampir dalam format PDF yang "
            "telah ditandatangani Kepala %s dan format excel (± 120 kegiatan).\n\n%s\n\n%s"
            % (c.salam(), r, c.pick(*SEM), c.agency, c.tutup(), c.sig()))
    return {"subject": subj, "body": body,
            "atts": [c.fn("Laporan Penggunaan DBH CHT Smt II 2023 %s" % c.short_reg()),
                     c.fn("Lampiran Realisasi DBH CHT %s" % c.short_reg(), "xlsx")]}


@sc(senders=["personal", "pemda-gmail"])
def attach_only(c):
    what = c.pick("BA Rekon DBH %s" % c.short_reg(),
                  "BA Rekonsiliasi Pajak Pusat %s" % c.short_reg(),
                  "Laporan DBH CHT %s" % c.short_reg(),
                  "lap penggunaan dbh %s 2023" % c.rname.lower(),
                  "BA Rekon PPh21 dan PBB %s TW IV 2023" % c.short_reg())
    return {"subject": c.pick("kiriman", "laporan", "Laporan", "kirim berkas", "", "dok", "lap"),
            "body": "", "atts": [c.fn(what)], "subj_enc": None}


def _ba_rekon_body(c, mention_other):
    extra = ("Penyampaian ini sekaligus menindaklanjuti hasil rekonsiliasi DAU dan DBH semester "
             "lalu yang telah kami terima melalui email.\n\n" if mention_other else "")
    return ("%s\n\nMenindaklanjuti surat Direktur Jenderal Perimbangan Keuangan perihal "
            "rekonsiliasi data penerimaan pajak pusat, bersama ini kami sampaikan Berita Acara "
            "Rekonsiliasi Data Penerimaan Pajak Pusat (PPh Pasal 21, PPh Pasal 25/29 Orang "
            "Pribadi dan PBB) antara %s dengan KPP Pratama setempat sebagai dokumen syarat "
            "penyaluran DBH Pajak.\n\n%s%s\n\n%s"
            % (c.salam(), c.reg("gov"), extra, c.tutup(), c.sig()))


@sc()
def ba_rekon(c):
    subj = c.pick("BA Rekonsiliasi Pajak Pusat %s" % c.reg("abbr"),
                  "Berita Acara Rekonsiliasi DBH Pajak Triwulan IV 2023",
                  "Penyampaian BA Rekon DBH PPh Pasal 21 %s" % c.reg("short"),
                  "BA REKON DBH PAJAK %s" % c.reg("upper"))
    return {"subject": subj, "body": _ba_rekon_body(c, c.chance(0.6)),
            "atts": [c.fn("BA Rekonsiliasi DBH Pajak %s TW IV 2023" % c.short_reg())]}


@sc(tag="sawit")
def sawit(c):
    subj = c.pick("Laporan Penggunaan DBH Sawit TA 2023 %s" % c.reg("abbr"),
                  "Penyampaian Laporan Realisasi DBH Sawit",
                  "lap realisasi dbh sawit %s" % c.reg("short").lower())
    body = ("%s\n\nBersama ini kami sampaikan Laporan Realisasi Penggunaan Dana Bagi Hasil "
            "Perkebunan Sawit (DBH Sawit) %s Tahun Anggaran 2023 beserta Rencana Kegiatan dan "
            "Penganggaran DBH Sawit TA 2024, sebagai syarat penyaluran DBH Sawit tahun 2024.\n\n"
            "%s\n\n%s" % (c.salam(), c.reg("gov"), c.tutup(), c.sig()))
    return {"subject": subj, "body": body,
            "atts": [c.fn("Laporan Realisasi DBH Sawit 2023 %s" % c.short_reg()),
                     c.fn("RKP DBH Sawit 2024 %s" % c.short_reg(), "xlsx")]}


@sc(tag="hutan")
def dana_reboisasi(c):
    subj = c.pick("Laporan Penggunaan DBH DR %s" % c.reg("abbr"),
                  "Penyampaian Laporan Realisasi Dana Reboisasi (DBH-DR) TA 2023",
                  "LAPORAN DBH DANA REBOISASI %s" % c.reg("upper"))
    body = ("%s\n\nDengan ini kami sampaikan laporan realisasi penggunaan Dana Bagi Hasil Sumber "
            "Daya Alam Kehutanan Dana Reboisasi (DBH DR) %s sampai dengan Semester II 2023, "
            "sebagai persyaratan penyaluran DBH DR TA 2024.\n\nSisa DBH DR di kas daerah per 31 "
            "Desember 2023 juga kami cantumkan dalam lampiran.\n\n%s\n\n%s"
            % (c.salam(), c.reg("full"), c.tutup(), c.sig("agency")))
    return {"subject": subj, "body": body,
            "atts": [c.fn("Lap Realisasi DBH DR %s 2023" % c.short_reg())]}


@sc(tag="migas")
def sda_forward(c):
    orig_subj = c.pick("Laporan Penggunaan DBH SDA Migas TA 2023",
                       "Lap. Realisasi Dana Bagi Hasil SDA %s" % c.reg("abbr"))
    orig_body = ("Yth. Bapak Kepala Bidang,\n\nBerikut terlampir laporan realisasi penggunaan DBH "
                 "Sumber Daya Alam (Migas dan Minerba) %s tahun 2023 yang sudah ditandatangani, "
                 "mohon diteruskan ke email lapor DJPK.\n\nSalam,\n%s"
                 % (c.reg("abbr"), c.pick("Rina", "staf akuntansi", "Yuni - Sub Bid Transfer")))
    note = c.pick("Mohon diterima laporan DBH SDA kami.", "", "fyi, mohon diproses",
                  "Dengan hormat, bersama ini kami teruskan laporan penggunaan DBH SDA.")
    body = c.forward("Staf " + c.agency, "staf.%s@gmail.com" % c.agency.lower(), "Kabid",
                     orig_subj, orig_body, note)
    return {"subject": c.pick("Fwd: ", "FW: ", "Fw: ") + orig_subj, "body": body,
            "atts": [c.fn("Laporan DBH SDA %s 2023" % c.short_reg())]}


@sc(tag="cht", senders=["personal", "pemda-gmail", "pemda"])
def cht_chatty(c):
    subj = c.pick("lap dbh cht", "laporan dbhcht smt 2 %s" % c.rname.lower(),
                  "DBH CHT %s" % c.reg("short"), "kirim laporan dbh cht")
    body = ("%s\nberikut kami kirim laporan penggunaan dbh cht semester 2 th 2023 %s ya, mohon "
            "dicek dan dikonfirmasi kalau sudah diterima.\n%s\n\n%s"
            % (c.salam(False), c.reg("short"), c.tutup(False),
               c.pick(c.person + "\n" + c.agency_reg(), c.agency_reg(), c.person + " (" +
                      c.reg("short") + ")")))
    body = c.typo(body) if c.chance(0.6) else body
    return {"subject": subj, "body": body,
            "atts": [c.fn("lap dbh cht %s" % c.rname, c.pick("pdf", "xlsx", "jpg"))]}


@sc()
def caps_letter(c):
    subj = "LAPORAN REALISASI PENGGUNAAN DANA BAGI HASIL TA 2023 %s" % c.reg("upper")
    body = ("Nomor : %s\nPerihal : Penyampaian Laporan Realisasi Penggunaan DBH\n\n%s\n\n"
            "Sehubungan dengan ketentuan penyaluran Dana Bagi hasil, bersama ini disampaikan "
            "laporan realisasi penggunaan DBH %s tahun anggaran 2023 yang terdiri atas DBH Pajak "
            "dan DBH SDA.\n\n%s\n\n%s" % (c.nomor(), c.salam(), c.reg("gov"), c.tutup(),
                                          c.sig("full")))
    return {"subject": subj, "body": body, "atts": [c.fn("Surat Pengantar Lap DBH %s"
                                                         % c.short_reg()),
                                                    c.fn("Lampiran Lap DBH 2023", "xlsx")]}


@sc(tag="cht")
def reply_revision(c):
    subj = c.pick("Re: Perbaikan Laporan DBH CHT", "RE: Laporan Penggunaan DBH CHT %s belum lengkap"
                  % c.reg("abbr"), "Re: [Lapor DJPK] Konfirmasi Laporan DBH CHT")
    quoted = ("Yth. %s,\nLaporan penggunaan DBH CHT yang disampaikan belum ditandatangani oleh "
              "kepala daerah. Mohon disampaikan kembali.\nSalam,\nDit. Dana Transfer Umum"
              % c.reg("gov"))
    body = ("Selamat siang, berikut kami sampaikan kembali laporan penggunaan DBH CHT yang sudah "
            "ditandatangani sesuai arahan.\n\nTerima kasih\n%s\n\n%s"
            % (c.sig("short"), c.quote(quoted, "Lapor DJPK", "lapor@djpk.test")))
    return {"subject": subj, "body": body, "reply": True,
            "atts": [c.fn("Perbaikan Lap DBH CHT %s ttd" % c.short_reg())]}


@sc(tag="cht")
def subject_only(c):
    return {"subject": c.pick("Laporan Penggunaan DBH CHT %s TA 2023" % c.reg("abbr"),
                              "laporan penggunaan DBH CHT smt II 2023 %s" % c.reg("short"),
                              "Lap. DBH-CHT %s" % c.reg("abbr")),
            "body": ""}


@sc()
def dbh_mentions_dau(c):
    subj = c.pick("Laporan Penggunaan DBH %s Tahun 2023" % c.reg("abbr"),
                  "Penyampaian Dokumen Syarat Salur DBH Tahap I 2024")
    body = ("%s\n\nBersama ini kami sampaikan dokumen persyaratan penyaluran Dana Bagi Hasil "
            "Tahap I TA 2024 %s berupa Laporan Penggunaan DBH TA 2023. Untuk laporan penggunaan "
            "DAU yang ditentukan penggunaannya sudah kami kirim terpisah minggu lalu.\n\n%s\n\n%s"
            % (c.salam(), c.reg("full"), c.tutup(), c.sig()))
    return {"subject": subj, "body": body,
            "atts": [c.fn("Laporan Penggunaan DBH TA 2023 %s" % c.short_reg())]}


SCENARIOS = [cht_formal, attach_only, ba_rekon, sawit, dana_reboisasi, sda_forward, cht_chatty,
             caps_letter, reply_revision, subject_only, dbh_mentions_dau, attach_only]
