"""callcenter / permintaan-data, reservasi, pengaduan, keluhan-kebijakan."""

from runner import sc

PEMDA = ["pemda", "pemda", "pemda-sub", "pemda-gmail", "personal"]


# ------------------------------------------------------------------ permintaan data
@sc(senders=["univ"])
def pd_skripsi(c):
    topik = c.pick("pengaruh Dana Transfer ke Daerah terhadap pertumbuhan ekonomi",
                   "kemandirian fiskal kabupaten/kota", "efektivitas belanja daerah")
    body = ("%s\n\nPerkenalkan saya %s, mahasiswa %s. Saat ini saya sedang menyusun skripsi "
            "tentang %s di Provinsi %s. Untuk itu saya memohon bantuan data realisasi TKD (DAU, "
            "DBH dan DAK) per kabupaten/kota tahun 2018-2023.\n\nSurat pengantar dari kampus "
            "saya lampirkan. Atas bantuannya saya ucapkan terima kasih.\n\n%s"
            % (c.salam(), c.person, c.univ[0], topik, c.pick("Jawa Tengah", "Sumatera Utara",
                                                               "Sulawesi Selatan", "Papua"),
               c.sig_univ()))
    return {"subject": c.pick("Permohonan Data Realisasi TKD untuk Skripsi",
                              "Permintaan data penelitian", "permohonan data TKD 2018-2023"),
            "body": body, "atts": [c.fn("Surat Pengantar Penelitian %s" % c.person)]}


@sc(senders=["univ", "personal"])
def pd_apbd(c):
    body = ("%s\nmohon maaf mengganggu, saya mau minta data APBD (pendapatan, belanja per fungsi) "
            "seluruh provinsi tahun 2020-2023 dalam format excel. di portal hanya bisa download per "
            "daerah. untuk keperluan tesis.\n%s\n%s"
            % (c.salam(False), c.tutup(False), c.sig_univ("Magister Ekonomi Pembangunan")))
    return {"subject": c.pick("minta data apbd", "Permohonan Data APBD Provinsi 2020-2023",
                              "request data APBD"), "body": body}


@sc(senders=["ministry"])
def pd_ministry(c):
    body = ("%s\n\nDalam rangka penyusunan kajian kebijakan, kami memerlukan data alokasi dan "
            "realisasi penyaluran Transfer ke Daerah per daerah Tahun Anggaran 2022 s.d. 2023. "
            "Kami mohon bantuan Bapak/Ibu untuk dapat menyampaikan data tersebut melalui "
            "email ini.\n\n%s\n\n%s" % (c.salam(), c.tutup(), c.sig_min()))
    return {"subject": c.pick("Permohonan Data Alokasi dan Realisasi TKD",
                              "Permintaan Data Realisasi Transfer ke Daerah 2022-2023"),
            "body": body, "atts": [c.fn("Surat Permohonan Data")]}


@sc(senders=["personal", "univ"])
def pd_peneliti(c):
    body = ("%s\n\nSaya peneliti pada lembaga kajian kebijakan publik. Kami membutuhkan data "
            "rasio belanja pegawai dan belanja modal terhadap total belanja APBD kabupaten/kota "
            "se-Indonesia tahun 2023. Apakah data tersebut dapat diberikan, dan bagaimana "
            "prosedurnya?\n\n%s\n%s" % (c.salam(), c.tutup(), c.person))
    return {"subject": "Permintaan Data Belanja Daerah 2023", "body": body}


@sc(senders=PEMDA)
def pd_pemda(c):
    body = ("%s\n\nUntuk bahan penyusunan RPJMD, kami memohon data perbandingan kapasitas fiskal "
            "dan realisasi pendapatan transfer kabupaten/kota se-%s tahun 2019-2023.\n\n%s\n\n%s"
            % (c.salam(), data_prov(c), c.tutup(), c.sig()))
    return {"subject": c.pick("Permohonan Data Kapasitas Fiskal", "permohonan data untuk RPJMD"),
            "body": body}


def data_prov(c):
    import data
    return data.PROV_FULL.get(c.prov, c.prov)


PERMINTAAN_DATA = [pd_skripsi, pd_apbd, pd_ministry, pd_peneliti, pd_pemda, pd_skripsi]


# ------------------------------------------------------------------ reservasi
@sc(senders=PEMDA)
def rs_tatap_muka(c):
    topik = c.pick("penyaluran DBH", "penggunaan DAU earmark", "DAK Fisik 2024",
                   "penyusunan Perda PDRD", "penyaluran TKD")
    tgl = c.rng.randint(18, 29)
    body = ("%s\n\nBersama ini kami mengajukan reservasi konsultasi tatap muka ke DJPK terkait "
            "%s pada hari %s tanggal %d Maret 2024 pukul 10.00 WIB (± 2 jam). Tim %s berjumlah %d orang.\n\n"
            "Mohon konfirmasi ketersediaan jadwal.\n\n%s\n\n%s"
            % (c.salam(), topik, c.pick("Senin", "Selasa", "Rabu", "Kamis"), tgl, c.reg("abbr"),
               c.rng.randint(2, 6), c.tutup(), c.sig()))
    return {"subject": c.pick("Reservasi Konsultasi Tatap Muka %s" % c.reg("abbr"),
                              "Reservasi Konsultasi Tanggal %d Maret 2024" % tgl,
                              "Permohonan Jadwal Konsultasi Tatap Muka"),
            "body": body, "atts": [c.fn("Surat Permohonan Konsultasi %s" % c.short_reg())]}


@sc(senders=PEMDA)
def rs_audiensi(c):
    jab = {"kab": "Bupati", "kota": "Wali Kota", "prov": "Gubernur"}[c.kind]
    body = ("Nomor : %s\nHal   : Permohonan Audiensi\n\n%s\n\nDengan hormat kami sampaikan bahwa "
            "%s %s bermaksud melakukan audiensi dengan Direktur Jenderal Perimbangan Keuangan. "
            "Kami mohon kiranya dapat diberikan jadwal kunjungan pada minggu ketiga atau keempat "
            "bulan Maret 2024.\n\n%s\n\n%s"
            % (c.nomor(), c.salam(), jab, c.rname, c.tutup(), c.sig("agency")))
    return {"subject": c.pick("Permohonan Audiensi %s %s" % (jab, c.rname),
                              "Permohonan Jadwal Kunjungan ke DJPK"),
            "body": body, "atts": [c.fn("Surat Permohonan Audiensi %s" % c.short_reg())]}


@sc(senders=PEMDA)
def rs_chatty(c):
    body = ("%s\nmau booking jadwal konsultasi langsung ke kantor DJPK hari %s tgl %d maret, "
            "kira2 jam berapa bisa ya? kami dari %s rombongan %d orang.\n%s"
            % (c.salam(False), c.pick("kamis", "jumat", "selasa"), c.rng.randint(18, 29),
               c.reg("short"), c.rng.randint(2, 5), c.tutup(False)))
    return {"subject": c.pick("booking jadwal konsultasi", "reservasi konsul", "jadwal kunjungan"),
            "body": body}


@sc(senders=PEMDA)
def rs_dprd(c):
    body = ("%s\n\nSehubungan dengan rencana kunjungan kerja Komisi II DPRD %s ke Direktorat "
            "Jenderal Perimbangan Keuangan dalam rangka konsultasi, kami mohon dapat "
            "dijadwalkan pertemuan pada tanggal %d Maret 2024.\n\n%s\n\nSekretariat DPRD %s"
            % (c.salam(), c.reg("full"), c.rng.randint(20, 28), c.tutup(), c.reg("abbr")))
    return {"subject": "Permohonan Jadwal Kunjungan Kerja DPRD %s" % c.reg("abbr"), "body": body,
            "atts": [c.fn("Surat Kunker DPRD %s" % c.short_reg())]}


@sc(senders=PEMDA)
def rs_reschedule(c):
    quoted = ("Yth. Bapak/Ibu,\nReservasi konsultasi tatap muka tanggal 21 Maret 2024 pukul 13.00 "
              "WIB telah kami catat.\nSalam, Contact Center DJPK")
    body = ("Mohon maaf, apakah jadwal konsultasi kami bisa dimundurkan ke tanggal 26 Maret? "
            "Pimpinan ada agenda mendadak.\n\n%s\n\n%s"
            % (c.sig("short"), c.quote(quoted, "Call Center DJPK", "callcenter@djpk.test")))
    return {"subject": "Re: Konfirmasi Reservasi Konsultasi Tatap Muka", "body": body,
            "reply": True}


RESERVASI = [rs_tatap_muka, rs_audiensi, rs_chatty, rs_dprd, rs_reschedule, rs_tatap_muka]
