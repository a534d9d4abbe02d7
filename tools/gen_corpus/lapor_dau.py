"""lapor / syarat-salur-dau: reports that condition the payout of Dana Alokasi Umum."""

import data
from runner import sc

BIDANG = ["pendidikan", "kesehatan", "pekerjaan umum", "pendidikan, kesehatan dan pekerjaan umum"]


@sc()
def earmark_formal(c):
    bid = c.pick(*BIDANG)
    subj = c.pick("Penyampaian Laporan Realisasi DAU yang Ditentukan Penggunaannya %s"
                  % c.reg("abbr"),
                  "Laporan Penggunaan DAU Earmarked Bidang %s TW IV 2023" % bid.title(),
                  "Laporan Realisasi DAU Yang Ditentukan Penggunaannya Triwulan IV TA 2023")
    body = ("%s\n\nMemenuhi ketentuan persyaratan penyaluran Dana Alokasi Umum yang ditentukan "
            "penggunaannya, bersama ini kami sampaikan Laporan Realisasi Penggunaan DAU yang "
            "Ditentukan Penggunaannya bidang %s %s sampai dengan Triwulan IV Tahun Anggaran "
            "2023.\n\nLaporan telah direviu oleh Inspektorat Daerah dan ditandatangani oleh "
            "Sekretaris Daerah.\n\n%s\n\n%s"
            % (c.salam(), bid, c.reg("full"), c.tutup(), c.sig()))
    return {"subject": subj, "body": body,
            "atts": [c.fn("Laporan Realisasi DAU SG TW IV 2023 %s" % c.short_reg()),
                     c.fn("Hasil Reviu APIP DAU %s" % c.short_reg())]}


@sc(senders=["personal", "pemda-gmail"])
def attach_only(c):
    what = c.pick("Lap DAU earmark %s" % c.short_reg(),
                  "Laporan Realisasi DAU Bid Pendidikan TW IV %s" % c.short_reg(),
                  "DAU SG Kesehatan %s" % c.short_reg(),
                  "Laporan penggunaan DAU %s" % c.rname)
    return {"subject": c.pick("laporan", "Kirim", "Lap", "", "berkas laporan", "Fw:"),
            "body": "", "atts": [c.fn(what, c.pick("pdf", "pdf", "xlsx"))], "subj_enc": None}


@sc()
def pppk(c):
    subj = c.pick("Laporan Penggunaan DAU untuk Penggajian PPPK %s" % c.reg("abbr"),
                  "Data Gaji PPPK - Syarat Salur DAU Bulan April 2024")
    body = ("%s\n\nBersama ini kami sampaikan laporan penggunaan DAU yang ditentukan "
            "penggunaannya untuk penggajian formasi PPPK %s bulan Januari s.d. Februari 2024, "
            "sebagai syarat penyaluran DAU bulan berikutnya.\n\nRincian jumlah pegawai dan "
            "realisasi gaji kami lampirkan dalam file excel.\n\n%s\n\n%s"
            % (c.salam(), c.reg("gov"), c.tutup(), c.sig()))
    return {"subject": subj, "body": body,
            "atts": [c.fn("Rekap Gaji PPPK Jan-Feb 2024 %s" % c.short_reg(), "xlsx"),
                     c.fn("Surat Pengantar DAU PPPK")]}


@sc()
def thr_gaji13(c):
    subj = c.pick("Laporan Kebutuhan THR dan Gaji Ketiga Belas 2024 - DAU",
                  "Penyampaian Data THR & Gaji 13 %s (DAU)" % c.reg("abbr"),
                  "DATA KEBUTUHAN THR DAN GAJI KE-13 %s" % c.reg("upper"))
    body = ("%s\n\nBersama ini kami sampaikan data kebutuhan pembayaran Tunjangan Hari Raya dan "
            "Gaji Ketiga Belas Tahun 2024 bagi ASN %s sebagai bahan penyaluran tambahan DAU "
            "untuk THR dan gaji ketiga belas.\n\n%s\n\n%s"
            % (c.salam(), c.reg("full"), c.tutup(), c.sig("full")))
    return {"subject": subj, "body": body,
            "atts": [c.fn("Data Kebutuhan THR Gaji13 %s" % c.short_reg(), "xlsx")]}


@sc()
def dinkes_forward(c):
    orig_subj = c.pick("Laporan penggunaan DAU bidang kesehatan TW IV",
                       "laporan DAU earmark kesehatan 2023")
    orig_body = ("Selamat siang Pak,\nTerlampir laporan realisasi penggunaan DAU yang ditentukan "
                 "penggunaannya bidang kesehatan Dinas Kesehatan %s TW IV 2023. Mohon "
                 "diteruskan ke Kemenkeu.\n\nTerima kasih\nSubbag Program Dinkes"
                 % c.reg("abbr"))
    body = c.forward("Program Dinkes", "program.dinkes%s@gmail.com" % c.rname.lower().replace(" ", ""),
                     c.person, orig_subj, orig_body,
                     c.pick("Dengan hormat, kami teruskan laporan DAU bidang kesehatan.",
                            "Mohon diterima.", ""))
    return {"subject": c.pick("Fwd: ", "FW: ") + orig_subj, "body": body,
            "atts": [c.fn("Lap DAU Kesehatan TW IV 2023")]}


@sc()
def dau_mentions_dbh(c):
    subj = c.pick("Laporan Penggunaan DAU Earmarked %s" % c.reg("abbr"),
                  "Syarat Salur DAU - %s" % c.reg("short"))
    body = ("%s\n\nBersama ini kami sampaikan laporan penggunaan DAU yang ditentukan "
            "penggunaannya TA 2023 %s sebagai syarat salur DAU. Adapun laporan DBH CHT akan kami "
            "sampaikan menyusul setelah ditandatangani pimpinan.\n\n%s\n\n%s"
            % (c.salam(), c.reg("gov"), c.tutup(), c.sig()))
    return {"subject": subj, "body": body,
            "atts": [c.fn("Laporan DAU Ditentukan Penggunaannya 2023 %s" % c.short_reg())]}


@sc(senders=["personal", "pemda", "pemda-gmail"])
def chatty(c):
    subj = c.pick("lap dau sg", "laporan dau pendidikan %s" % c.rname.lower(),
                  "DAU earmark %s TW4" % c.reg("short"), "kirim lap DAU")
    body = ("%s\nmohon izin kirim laporan DAU yg ditentukan penggunaannya (pendidikan & PU) TW IV "
            "%s. mohon dicek ya, kalau ada yg kurang kabari kami.\xa0\n%s\n%s"
            % (c.salam(False), c.reg("short"), c.tutup(False),
               c.pick(c.person, c.agency_reg(), "%s %s" % (c.person, c.reg("short")))))
    body = c.typo(body) if c.chance(0.6) else body
    return {"subject": subj, "body": body,
            "atts": [c.fn("Lap DAU SG TW IV %s" % c.rname, c.pick("pdf", "xlsx"))]}


@sc()
def nomor_letter(c):
    subj = "PENYAMPAIAN LAPORAN PENGGUNAAN DAU YANG DITENTUKAN PENGGUNAANNYA"
    body = ("Nomor    : %s\nSifat    : Segera\nLampiran : 1 (satu) berkas\nPerihal  : Penyampaian "
            "Laporan Penggunaan DAU yang Ditentukan Penggunaannya\n\n%s\n\nDalam rangka "
            "pemenuhan persyaratan penyaluran DAU TA 2024, bersama ini disampaikan laporan "
            "realisasi penggunaan DAU yang ditentukan penggunaannya %s.\n\n%s\n\n%s"
            % (c.nomor(), c.salam(), c.reg("gov"), c.tutup(), c.sig("agency")))
    return {"subject": subj, "body": body,
            "atts": [c.fn("Surat Laporan DAU %s" % c.short_reg())]}


@sc(regions=[r for r in data.REGIONS if r[0] == "kota"])
def kelurahan(c):
    subj = c.pick("Laporan Penggunaan DAU Pendanaan Kelurahan %s" % c.reg("abbr"),
                  "Lap. DAU Kelurahan TA 2023 - %s" % c.reg("abbr"))
    body = ("%s\n\nBersama ini kami sampaikan Laporan Realisasi Penggunaan DAU yang Ditentukan "
            "Penggunaannya untuk Pendanaan Kelurahan %s Tahun Anggaran 2023 sebagai persyaratan "
            "penyaluran DAU.\n\n%s\n\n%s" % (c.salam(), c.reg("full"), c.tutup(), c.sig()))
    return {"subject": subj, "body": body,
            "atts": [c.fn("Lap DAU Kelurahan 2023 %s" % c.short_reg())]}


@sc()
def subject_only(c):
    return {"subject": c.pick("Laporan Realisasi DAU Yang Ditentukan Penggunaannya TW IV 2023 %s"
                              % c.reg("abbr"), "Lap DAU SG bidang PU %s" % c.reg("short")),
            "body": ""}


@sc()
def reply(c):
    quoted = ("Yth. Pemda,\nMohon melengkapi laporan penggunaan DAU yang ditentukan penggunaannya "
              "dengan hasil reviu APIP.\nTerima kasih\nDit. Dana Transfer Umum")
    body = ("Baik, berikut kami lampirkan hasil reviu APIP atas laporan DAU kami.\n\n%s\n\n%s"
            % (c.sig("short"), c.quote(quoted, "Lapor DJPK", "lapor@djpk.test")))
    return {"subject": c.pick("Re: Kelengkapan Laporan DAU", "RE: Laporan DAU SG %s"
                              % c.reg("abbr")),
            "body": body, "reply": True,
            "atts": [c.fn("Reviu APIP DAU SG %s" % c.short_reg())]}


SCENARIOS = [earmark_formal, attach_only, pppk, thr_gaji13, dinkes_forward, dau_mentions_dbh,
             chatty, nomor_letter, kelurahan, subject_only, reply, earmark_formal]
