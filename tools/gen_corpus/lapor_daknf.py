"""lapor / syarat-salur-dak-nf: DAK Non Fisik reports (BOS, BOP, TPG, Tamsil, TKG, BOK ...)."""

from runner import sc


@sc()
def tpg(c):
    subj = c.pick("Laporan Realisasi TPG, Tamsil dan TKG Triwulan IV 2023 %s" % c.reg("abbr"),
                  "Penyampaian Laporan Penyaluran Tunjangan Profesi Guru ASND TW IV",
                  "Lap. DAK NF TPG-Tamsil %s" % c.reg("short"))
    body = ("%s\n\nBersama ini kami sampaikan laporan realisasi penyaluran Tunjangan Profesi Guru "
            "(TPG), Tambahan Penghasilan (Tamsil) dan Tunjangan Khusus Guru (TKG) ASN Daerah %s "
            "Triwulan IV Tahun 2023, sebagai persyaratan penyaluran DAK Non Fisik triwulan "
            "berikutnya.\n\nSisa dana TPG di RKUD per 31 Desember 2023 tercantum pada "
            "lampiran.\n\n%s\n\n%s" % (c.salam(), c.reg("full"), c.tutup(), c.sig()))
    return {"subject": subj, "body": body,
            "atts": [c.fn("Lap Realisasi TPG Tamsil TKG TW IV 2023 %s" % c.short_reg()),
                     c.fn("Rekap Guru Penerima TPG %s" % c.short_reg(), "xlsx")]}


@sc()
def bos(c):
    subj = c.pick("Laporan Realisasi Dana BOS Tahap II TA 2023 %s" % c.reg("abbr"),
                  "Penyampaian Laporan Penggunaan BOS Reguler 2023",
                  "LAPORAN DAK NON FISIK BOS %s" % c.reg("upper"))
    body = ("%s\n\nMenindaklanjuti ketentuan penyaluran DAK Nonfisik, bersama ini kami "
            "sampaikan rekapitulasi laporan realisasi penggunaan Dana Bantuan Operasional Sekolah "
            "(BOS) Reguler satuan pendidikan di wilayah %s Tahap II Tahun 2023.\n\n%s\n\n%s"
            % (c.salam(), c.reg("full"), c.tutup(), c.sig()))
    return {"subject": subj, "body": body,
            "atts": [c.fn("Rekap Realisasi BOS Tahap II 2023 %s" % c.short_reg())]}


@sc()
def bop(c):
    subj = c.pick("Laporan Realisasi BOP PAUD dan BOP Kesetaraan Semester II 2023",
                  "Lap BOP PAUD %s" % c.reg("short"),
                  "Penyampaian Laporan DAK NF BOP PAUD & Kesetaraan %s" % c.reg("abbr"))
    body = ("%s\n\nBersama ini kami sampaikan Laporan Realisasi Penggunaan Dana Bantuan "
            "Operasional Penyelenggaraan PAUD (BOP PAUD) dan BOP Pendidikan Kesetaraan %s "
            "Semester II TA 2023 sebagai dokumen persyaratan penyaluran DAK Non Fisik TA "
            "2024.\n\n%s\n\n%s" % (c.salam(), c.reg("gov"), c.tutup(), c.sig()))
    return {"subject": subj, "body": body,
            "atts": [c.fn("Laporan BOP PAUD Kesetaraan Smt II 2023 %s" % c.short_reg())]}


@sc()
def bok(c):
    subj = c.pick("Laporan Realisasi BOK dan BOKB TA 2023 %s" % c.reg("abbr"),
                  "Laporan Penggunaan Dana BOK Puskesmas TW IV 2023",
                  "laporan DAK nonfisik kesehatan (BOK) %s" % c.reg("short"))
    body = ("%s\n\nBersama ini kami sampaikan laporan realisasi penggunaan Bantuan Operasional "
            "Kesehatan (BOK) Puskesmas, BOK Dinas dan Bantuan Operasional Keluarga Berencana "
            "(BOKB) %s Tahun 2023 sebagai syarat penyaluran DAK Non Fisik bidang kesehatan dan "
            "KB tahap I TA 2024.\n\n%s\n\n%s" % (c.salam(), c.reg("full"), c.tutup(), c.sig()))
    return {"subject": subj, "body": body,
            "atts": [c.fn("Lap Realisasi BOK BOKB 2023 %s" % c.short_reg()),
                     c.fn("Lampiran BOK per Puskesmas", "xlsx")]}


@sc(senders=["personal", "pemda-gmail"])
def attach_only(c):
    what = c.pick("Lap Realisasi DAK NF TW IV %s" % c.short_reg(),
                  "Laporan DAK Non Fisik TPG %s" % c.short_reg(),
                  "laporan dak-nonfisik BOP PAUD %s" % c.rname,
                  "Realisasi TPG Tamsil TW4 2023 %s" % c.short_reg())
    return {"subject": c.pick("laporan", "kiriman", "", "lap tw iv", "mohon diterima"),
            "body": "", "atts": [c.fn(what)], "subj_enc": None}


@sc(senders=["personal", "pemda", "pemda-gmail"])
def chatty(c):
    subj = c.pick("lap dak-nonfisik", "DAK NF %s" % c.reg("short"), "laporan tpg tw 4",
                  "dak nonfisik tamsil")
    body = ("%s\nizin kirim laporan realisasi dak nonfisik (tpg + tamsil) tw 4 th 2023 %s. "
            "file excel nya menyusul ± 2 hari lagi ya bu, aplikasinya lagi error.\n%s\n%s"
            % (c.salam(False), c.reg("short"), c.tutup(False), c.person + "\n" + c.agency_reg()))
    body = c.typo(body) if c.chance(0.6) else body
    return {"subject": subj, "body": body,
            "atts": [c.fn("lap dak nf tpg %s" % c.rname.lower(), c.pick("pdf", "jpg"))]}


@sc()
def disdik_forward(c):
    orig_subj = c.pick("Laporan TPG TW IV 2023", "laporan realisasi tunjangan profesi guru")
    orig_body = ("Yth. Kabid Anggaran %s,\nBersama ini kami kirimkan laporan realisasi TPG, "
                 "Tamsil dan TKG TW IV 2023 dari Dinas Pendidikan untuk diteruskan ke DJPK "
                 "sebagai syarat salur DAK Non Fisik.\nHormat kami,\nSubbag Keuangan Disdik"
                 % c.agency)
    body = c.forward("Keuangan Disdik", "keuangan.disdik@%s" % c.domain, c.agency_reg(),
                     orig_subj, orig_body, c.pick("Diteruskan, mohon diterima.", "", "fyi"))
    return {"subject": c.pick("Fwd: ", "FW: ", "Fwd: Fwd: ") + orig_subj, "body": body,
            "atts": [c.fn("Lap TPG TW IV 2023 Disdik %s" % c.short_reg())]}


@sc()
def mentions_fisik(c):
    subj = c.pick("Laporan Realisasi DAK Non Fisik TW IV 2023 %s" % c.reg("abbr"),
                  "Penyampaian Laporan DAK Nonfisik %s" % c.reg("abbr"))
    body = ("%s\n\nBersama ini kami sampaikan laporan realisasi DAK Non Fisik %s Triwulan IV "
            "Tahun Anggaran 2023 (TPG, Tamsil, BOK dan BOP PAUD). Sedangkan laporan DAK Fisik "
            "telah kami sampaikan melalui aplikasi OMSPAN sesuai ketentuan.\n\n%s\n\n%s"
            % (c.salam(), c.reg("full"), c.tutup(), c.sig()))
    return {"subject": subj, "body": body,
            "atts": [c.fn("Laporan DAK NF TW IV 2023 %s" % c.short_reg())]}


@sc()
def adminduk(c):
    subj = c.pick("Laporan Dana Pelayanan Administrasi Kependudukan TA 2023",
                  "Laporan DAK NF Adminduk %s" % c.reg("abbr"))
    body = ("%s\n\nBersama ini kami sampaikan laporan realisasi penggunaan DAK Nonfisik Dana "
            "Pelayanan Administrasi Kependudukan %s Tahun 2023.\n\n%s\n\n%s"
            % (c.salam(), c.reg("gov"), c.tutup(), c.sig()))
    return {"subject": subj, "body": body,
            "atts": [c.fn("Lap DAK NF Adminduk 2023 %s" % c.short_reg())]}


@sc()
def subject_only(c):
    return {"subject": c.pick("Laporan DAK NF TPG Tamsil TW IV 2023 %s" % c.reg("abbr"),
                              "LAPORAN REALISASI DAK NON FISIK %s" % c.reg("upper"),
                              "Lap realisasi BOK 2023 %s" % c.reg("short")),
            "body": ""}


@sc()
def reply(c):
    quoted = ("Yth. Bapak/Ibu,\nLaporan TPG yang disampaikan belum mencantumkan sisa dana di RKUD. "
              "Mohon diperbaiki.\nTerima kasih\nDit. Dana Transfer Khusus")
    body = ("Terima kasih, berikut perbaikan laporan realisasi TPG dan Tamsil TW IV kami.\n\n%s\n\n%s"
            % (c.sig("name"), c.quote(quoted, "Lapor DJPK", "lapor@djpk.test")))
    return {"subject": c.pick("Re: Laporan DAK Non Fisik TPG", "RE: Perbaikan laporan TPG TW IV"),
            "body": body, "reply": True,
            "atts": [c.fn("Perbaikan Lap TPG TW IV %s" % c.short_reg())]}


SCENARIOS = [tpg, bos, bop, bok, attach_only, chatty, disdik_forward, mentions_fisik, adminduk,
             subject_only, reply, attach_only]
