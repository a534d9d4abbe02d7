"""callcenter / pengaduan, keluhan-kebijakan; and the fake invitation text shared with spam."""

from runner import sc

PEMDA = ["pemda", "pemda", "pemda-sub", "pemda-gmail", "personal"]


def fake_invitation(c):
    """(subject, body) of a fake paid-training invitation impersonating DJPK."""
    acara = c.pick("Pelatihan Bendahara Pengeluaran dan Penatausahaan Keuangan Daerah",
                   "Capacity Building Bendahara Pengeluaran SKPD",
                   "Bimbingan Teknis Pengelolaan Dana Transfer ke Daerah",
                   "Workshop Sertifikasi Bendahara Keuangan Daerah")
    biaya = c.pick("Rp 4.750.000", "Rp. 5.500.000,-", "Rp 6.250.000", "Rp3.900.000")
    kota = c.pick("Hotel Grand Mercure Jakarta", "Hotel Aston Bogor", "Swiss-Belhotel Bandung",
                  "Hotel Santika Yogyakarta")
    subj = c.pick("Undangan %s Tahun 2024" % acara, "UNDANGAN %s" % acara.upper(),
                  "Undangan Resmi DJPK - %s" % acara)
    body = ("KEMENTERIAN KEUANGAN REPUBLIK INDONESIA\nDIREKTORAT JENDERAL PERIMBANGAN KEUANGAN\n\n"
            "Nomor : UND-%d/PK/2024\nPerihal : Undangan %s\n\nYth. Kepala BPKAD/Bendahara "
            "Pengeluaran\ndi Tempat\n\nDalam rangka peningkatan kompetensi pengelola keuangan "
            "daerah, kami mengundang Bapak/Ibu untuk mengikuti %s yang akan diselenggarakan pada "
            "tanggal %d-%d April 2024 di %s.\n\nBiaya kontribusi peserta sebesar %s per orang "
            "(sudah termasuk akomodasi dan sertifikat), ditransfer ke rekening panitia BRI "
            "%d-01-%06d-53-%d a.n. PANITIA DIKLAT KEUANGAN paling lambat H-3.\n\nKonfirmasi "
            "peserta via WhatsApp panitia 0812-%04d-%04d.\n\nPanitia Pelaksana"
            % (c.rng.randint(100, 999), acara, acara, 15, 18, kota, biaya,
               c.rng.randint(1000, 9999), c.rng.randint(0, 999999), c.rng.randint(1, 9),
               c.rng.randint(1000, 9999), c.rng.randint(1000, 9999)))
    return subj, body


@sc(senders=PEMDA)
def fake_report(c):
    fs, fb = fake_invitation(c)
    ask = c.pick("Mohon konfirmasi apakah undangan di bawah ini benar dari DJPK? Kami curiga "
                 "karena ada biaya kontribusi yang harus ditransfer ke rekening pribadi.",
                 "Kami menerima undangan pelatihan yang mengatasnamakan DJPK seperti di bawah. "
                 "Apakah ini resmi atau penipuan? Mohon penjelasan.",
                 "Izin melaporkan, kami dapat surat undangan pelatihan bendahara yang meminta "
                 "biaya. Sepertinya palsu. Mohon ditindaklanjuti.")
    body = c.forward("Panitia Diklat", c.pick("panitia.diklatkeuangan@gmail.com",
                                              "djpk.pelatihan2024@gmail.com",
                                              "undangan@djpk-kemenkeu.org"),
                     c.agency_reg(), fs, fb, "%s\n%s\n\n%s" % (c.salam(False), ask, c.sig()))
    return {"subject": c.pick("Fwd: " + fs, "Konfirmasi undangan pelatihan", "Undangan palsu?",
                              "Laporan Undangan Palsu Mengatasnamakan DJPK"), "body": body}


@sc(senders=["personal"])
def fraud_call(c):
    body = ("%s\n\nSaya ingin melaporkan ada orang yang menelepon kantor kami mengaku pegawai "
            "DJPK Kementerian Keuangan dan menjanjikan tambahan alokasi DAK dengan imbalan sejumlah "
            "uang. Nomor yang menghubungi 0813-%04d-%04d. Mohon ditindaklanjuti karena sangat "
            "meresahkan.\n\n%s\n%s" % (c.salam(), c.rng.randint(1000, 9999),
                                       c.rng.randint(1000, 9999), c.tutup(), c.sig("name")))
    return {"subject": c.pick("Pengaduan penipuan mengatasnamakan DJPK", "Laporan oknum penipuan",
                              "PENGADUAN"), "body": body}


@sc(senders=PEMDA)
def no_response(c):
    body = ("%s\nkami sudah kirim email pertanyaan sejak 2 minggu lalu dan telepon berkali-kali tapi "
            "tidak ada respons sama sekali. mohon pelayanannya diperbaiki, kami butuh jawaban "
            "segera.\n%s" % (c.salam(False), c.sig("name")))
    return {"subject": c.pick("Pengaduan pelayanan", "komplain: email tidak dibalas",
                              "Keluhan layanan call center"), "body": body}


@sc(senders=["personal"])
def fake_wa(c):
    body = ("%s\n\nSaya mendapat pesan WhatsApp dari nomor yang mengaku pejabat DJPK dan meminta "
            "saya membayar biaya pendaftaran seleksi pegawai. Apakah benar ada rekrutmen seperti "
            "itu? Saya lampirkan tangkapan layar pesannya.\n\n%s" % (c.salam(), c.person))
    return {"subject": "Laporan penipuan rekrutmen mengatasnamakan DJPK", "body": body,
            "atts": [c.fn("screenshot wa penipuan", "jpg")]}


PENGADUAN = [fake_report, fraud_call, no_response, fake_report, fake_wa, fake_report]


# ------------------------------------------------------------------ keluhan kebijakan
@sc(senders=PEMDA)
def kk_potong_dau(c):
    body = ("%s\n\nKami menyampaikan keberatan atas pemotongan DAU %s bulan Maret 2024 terkait "
            "kewajiban yang menurut kami telah diselesaikan. Pemotongan ini sangat memberatkan "
            "kondisi kas daerah untuk pembayaran gaji pegawai. Mohon kebijakan tersebut dapat "
            "ditinjau kembali.\n\n%s\n\n%s" % (c.salam(), c.reg("gov"), c.tutup(), c.sig()))
    return {"subject": c.pick("Keberatan atas Pemotongan DAU %s" % c.reg("abbr"),
                              "Keberatan Pemotongan DAU Bulan Maret 2024"),
            "body": body, "atts": [c.fn("Surat Keberatan Pemotongan DAU %s" % c.short_reg())]}


@sc(senders=PEMDA)
def kk_penyaluran(c):
    body = ("%s\n\nKebijakan penyaluran yang mensyaratkan banyak laporan sebelum dana ditransfer "
            "sangat memberatkan daerah kami yang SDM-nya terbatas. Akibatnya penyaluran tertunda "
            "dan kegiatan tidak bisa berjalan. Kami mohon kebijakan ini dapat disederhanakan.\n\n"
            "%s\n\n%s" % (c.salam(), c.tutup(), c.sig()))
    return {"subject": c.pick("Kebijakan Penyaluran TKD Memberatkan Daerah",
                              "keluhan atas kebijakan syarat salur"), "body": body}


@sc(senders=PEMDA)
def kk_earmark(c):
    body = ("%s\nmohon maaf pak, kami mau menyampaikan keluhan. kebijakan DAU earmark ini bikin "
            "ruang fiskal kami makin sempit, padahal kebutuhan daerah beda-beda. tolong "
            "dipertimbangkan lagi kebijakannya.\n%s" % (c.salam(False), c.sig("name")))
    return {"subject": c.pick("keluhan kebijakan DAU earmark", "Kebijakan earmarking memberatkan"),
            "body": body}


@sc(senders=PEMDA)
def kk_tdf(c):
    body = ("%s\n\nKami keberatan dengan kebijakan penyaluran sebagian TKD dalam bentuk non tunai "
            "(TDF) karena daerah kami tidak memiliki dana menganggur; kas kami justru kurang. "
            "Kami mohon kebijakan ini tidak diberlakukan bagi daerah dengan kapasitas fiskal "
            "rendah.\n\n%s\n\n%s" % (c.salam(), c.tutup(), c.sig()))
    return {"subject": "Keberatan atas Kebijakan Penyaluran TKD Non Tunai", "body": body}


@sc(senders=PEMDA)
def kk_sanksi(c):
    body = ("%s\n\nBersama ini %s menyampaikan keberatan atas sanksi penundaan penyaluran DBH "
            "karena keterlambatan laporan. Keterlambatan disebabkan gangguan jaringan di daerah "
            "kami, bukan kelalaian. Kami mohon kebijakan sanksi tersebut dapat dipertimbangkan "
            "kembali.\n\n%s\n\n%s" % (c.salam(), c.reg("gov"), c.tutup(), c.sig("agency")))
    return {"subject": c.pick("Keberatan atas Sanksi Penundaan Penyaluran",
                              "KEBERATAN ATAS KEBIJAKAN PENUNDAAN DBH"), "body": body,
            "atts": [c.fn("Surat Keberatan %s" % c.short_reg())]}


KELUHAN = [kk_potong_dau, kk_penyaluran, kk_earmark, kk_tdf, kk_sanksi, kk_potong_dau]
