"""lapor / apbd: regional budget documents (Perda, Perkada, APBD-P, LRA, realisasi)."""

from runner import sc


@sc()
def perda(c):
    subj = c.pick("Penyampaian Perda APBD dan Perkada Penjabaran APBD TA 2024 %s" % c.reg("abbr"),
                  "Perda APBD TA 2024 %s" % c.reg("full"),
                  "Penyampaian Dokumen APBD Tahun Anggaran 2024")
    body = ("%s\n\nBersama ini kami sampaikan dokumen Peraturan Daerah tentang Anggaran Pendapatan "
            "dan Belanja Daerah Tahun Anggaran 2024 beserta Peraturan %s tentang Penjabaran APBD "
            "TA 2024 %s.\n\n%s\n\n%s"
            % (c.salam(), {"kab": "Bupati", "kota": "Wali Kota", "prov": "Gubernur"}[c.kind],
               c.reg("gov"), c.tutup(), c.sig()))
    return {"subject": subj, "body": body,
            "atts": [c.fn("Perda APBD 2024 %s" % c.short_reg()),
                     c.fn("Perkada Penjabaran APBD 2024 %s" % c.short_reg())]}


@sc()
def apbdp(c):
    subj = c.pick("Penyampaian Perda APBD Perubahan TA 2023", "APBD-P 2023 %s" % c.reg("abbr"),
                  "Dokumen Perubahan APBD 2023 %s" % c.reg("short"))
    body = ("%s\n\nMenindaklanjuti surat Direktur Jenderal Perimbangan Keuangan mengenai "
            "penyampaian data keuangan daerah, bersama ini kami sampaikan Perda Perubahan APBD "
            "dan Perkada Penjabaran Perubahan APBD Tahun Anggaran 2023 %s.\n\n%s\n\n%s"
            % (c.salam(), c.reg("full"), c.tutup(), c.sig()))
    return {"subject": subj, "body": body,
            "atts": [c.fn("Perda Perubahan APBD 2023 %s" % c.short_reg())]}


@sc()
def lra(c):
    bulan = c.pick("Januari", "Februari", "Januari dan Februari")
    subj = c.pick("LRA Bulan %s 2024 %s" % (bulan, c.reg("abbr")),
                  "Laporan Realisasi Anggaran (LRA) APBD %s 2024" % bulan,
                  "Penyampaian LRA APBD %s" % c.reg("short"))
    body = ("%s\n\nBersama ini kami sampaikan Laporan Realisasi Anggaran (LRA) APBD %s bulan %s "
            "Tahun Anggaran 2024 dalam format excel.\n\n%s\n\n%s"
            % (c.salam(), c.reg("full"), bulan, c.tutup(), c.sig()))
    return {"subject": subj, "body": body,
            "atts": [c.fn("LRA %s 2024 %s" % (bulan.split(" ")[0], c.short_reg()), "xlsx")]}


@sc()
def realisasi_semester(c):
    subj = c.pick("Laporan Realisasi APBD Semester II TA 2023 %s" % c.reg("abbr"),
                  "LAPORAN REALISASI SEMESTER II APBD 2023")
    body = ("%s\n\nSesuai ketentuan penyampaian informasi keuangan daerah, bersama ini kami "
            "sampaikan Laporan Realisasi APBD Semester II Tahun Anggaran 2023 %s beserta "
            "prognosis.\n\n%s\n\n%s" % (c.salam(), c.reg("gov"), c.tutup(), c.sig("agency")))
    return {"subject": subj, "body": body,
            "atts": [c.fn("Lap Realisasi APBD Smt II 2023 %s" % c.short_reg()),
                     c.fn("Lampiran Realisasi APBD %s" % c.short_reg(), "xlsx")]}


@sc(senders=["personal", "pemda-gmail"])
def attach_only(c):
    what = c.pick("Perda APBD 2024 %s" % c.short_reg(),
                  "Perkada Penjabaran APBD TA 2024 %s" % c.short_reg(),
                  "LRA Feb 2024 %s" % c.short_reg(),
                  "APBD Murni 2024 %s" % c.short_reg())
    return {"subject": c.pick("kiriman", "dokumen", "", "apbd", "Kirim file"),
            "body": "", "atts": [c.fn(what, c.pick("pdf", "pdf", "xlsx", "zip"))],
            "subj_enc": None}


@sc(senders=["personal", "pemda-gmail", "pemda"])
def chatty(c):
    subj = c.pick("apbd 2024", "kirim dok apbd %s" % c.rname.lower(), "Perda apbd murni 2024",
                  "LRA feb")
    body = ("%s\nmau kirim dokumen APBD murni 2024 %s (perda + perkada penjabaran). file nya "
            "agak besar (± 15 MB) jadi kami pisah jadi 2 email ya.\n%s\n%s"
            % (c.salam(False), c.reg("short"), c.tutup(False), c.person))
    body = c.typo(body) if c.chance(0.6) else body
    return {"subject": subj, "body": body,
            "atts": [c.fn("Perda APBD 2024 bagian 1 %s" % c.rname)]}


@sc()
def forward(c):
    orig_subj = "Perkada Penjabaran APBD 2024 %s" % c.reg("abbr")
    orig_body = ("Pak, perkada penjabaran APBD 2024 yang sudah diundangkan terlampir, tolong "
                 "dikirim ke Kemenkeu dan Kemendagri.\nTrims\n%s" % c.pick("Kabid Anggaran",
                                                                           "Sekretaris BPKAD"))
    body = c.forward(c.pick("Kabid Anggaran", "Sekretaris"), "anggaran@%s" % c.domain, c.person,
                     orig_subj, orig_body, c.pick("Mohon diterima.", "", "Dengan hormat, "
                                                  "disampaikan dokumen APBD 2024."))
    return {"subject": c.pick("Fwd: ", "FW: ") + orig_subj, "body": body,
            "atts": [c.fn("Perkada Penjabaran APBD 2024 %s" % c.short_reg())]}


@sc()
def mentions_transfers(c):
    subj = c.pick("Penyampaian APBD TA 2024 %s" % c.reg("abbr"), "Perda APBD 2024")
    body = ("%s\n\nBersama ini kami sampaikan Perda APBD Tahun Anggaran 2024 %s. Dapat kami "
            "informasikan bahwa pendapatan transfer dalam APBD, termasuk DAU, DBH dan DAK, telah "
            "dianggarkan sesuai rincian alokasi TKD TA 2024.\n\n%s\n\n%s"
            % (c.salam(), c.reg("full"), c.tutup(), c.sig()))
    return {"subject": subj, "body": body,
            "atts": [c.fn("Perda APBD TA 2024 %s" % c.short_reg())]}


@sc()
def subject_only(c):
    return {"subject": c.pick("Perkada Penjabaran APBD 2024 %s" % c.reg("abbr"),
                              "LRA APBD Februari 2024 %s" % c.reg("short"),
                              "PERDA APBD TA 2024 %s" % c.reg("upper")),
            "body": ""}


@sc()
def nomor_letter(c):
    body = ("Nomor    : %s\nLampiran : 2 (dua) berkas\nHal      : Penyampaian Perda APBD dan "
            "Perkada Penjabaran APBD TA 2024\n\n%s\n\nSesuai ketentuan peraturan perundang-"
            "undangan mengenai penyampaian informasi keuangan daerah, bersama ini disampaikan "
            "salinan Perda APBD dan Perkada Penjabaran APBD Tahun Anggaran 2024 %s.\n\n%s\n\n%s"
            % (c.nomor(), c.salam(), c.reg("gov"), c.tutup(), c.sig("full")))
    return {"subject": "Surat Penyampaian Perda APBD 2024 %s" % c.reg("abbr"), "body": body,
            "atts": [c.fn("Surat Penyampaian APBD 2024"), c.fn("Perda APBD 2024 %s"
                                                                % c.short_reg())]}


@sc()
def reply(c):
    quoted = ("Yth. Pemda,\nPerkada penjabaran APBD yang dikirim belum termasuk lampirannya. Mohon "
              "dilengkapi.\nSalam, Email Lapor DJPK")
    body = ("Baik, terlampir lampiran I-III Perkada Penjabaran APBD 2024.\n\n%s\n\n%s"
            % (c.sig("short"), c.quote(quoted, "Lapor DJPK", "lapor@djpk.test")))
    return {"subject": "Re: Kelengkapan Dokumen APBD 2024", "body": body, "reply": True,
            "atts": [c.fn("Lampiran Perkada Penjabaran APBD 2024 %s" % c.short_reg())]}


SCENARIOS = [perda, apbdp, lra, realisasi_semester, attach_only, chatty, forward,
             mentions_transfers, subject_only, nomor_letter, reply, attach_only]
