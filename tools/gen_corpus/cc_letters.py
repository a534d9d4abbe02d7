"""callcenter / surat-masuk: formal incoming letters that are not a question on one transfer."""

from runner import sc

PEMDA = ["pemda", "pemda", "pemda-sub", "pemda-gmail", "personal"]


def letter(c, hal, isi, sifat="Biasa", lamp="1 (satu) berkas"):
    return ("Nomor    : %s\nSifat    : %s\nLampiran : %s\nHal      : %s\n\n%s\n\n%s\n\n%s\n\n%s"
            % (c.nomor(), sifat, lamp, hal, c.salam(), isi, c.tutup(), c.sig("full")))


@sc(senders=PEMDA)
def narasumber(c):
    keg = c.pick("Bimbingan Teknis Pengelolaan Keuangan Daerah",
                 "Sosialisasi Kebijakan Transfer ke Daerah Tahun 2024",
                 "Rapat Kerja Penyusunan KUA-PPAS Tahun 2025",
                 "Focus Group Discussion Peningkatan Kapasitas Fiskal Daerah")
    isi = ("Dalam rangka pelaksanaan kegiatan “%s” di lingkungan %s yang akan dilaksanakan pada "
           "tanggal %d April 2024 bertempat di Aula Kantor %s, bersama ini kami mohon kesediaan "
           "Bapak/Ibu untuk menugaskan pejabat/pegawai sebagai narasumber pada kegiatan "
           "dimaksud.\n\nSurat resmi terlampir." % (keg, c.reg("gov"), c.rng.randint(2, 25),
                                                       c.agency))
    return {"subject": c.pick("Permohonan Narasumber %s" % keg, "Surat Permohonan Narasumber - %s"
                              % c.reg("abbr"), "PERMOHONAN NARASUMBER"),
            "body": letter(c, "Permohonan Narasumber", isi),
            "atts": [c.fn("Surat Permohonan Narasumber %s" % c.short_reg())]}


@sc(senders=["ministry"])
def undangan_kl(c):
    mname = c.ministry[0]
    acara = c.pick("Rapat Koordinasi Sinkronisasi Kebijakan Pusat dan Daerah",
                   "Rapat Pembahasan Rancangan Peraturan Menteri",
                   "Rapat Koordinasi Penyusunan Rencana Kerja Pemerintah 2025")
    isi = ("Sehubungan dengan penyelenggaraan %s, dengan hormat kami mengundang Bapak/Ibu atau "
           "pejabat yang ditunjuk untuk hadir pada:\n\nhari/tanggal : %s, %d Maret 2024\n"
           "waktu        : 09.00 WIB s.d. selesai\ntempat       : Ruang Rapat %s\n\nUndangan "
           "resmi terlampir." % (acara, c.pick("Selasa", "Rabu", "Kamis"), c.rng.randint(18, 28),
                                 mname))
    body = ("Nomor    : %s\nSifat    : Segera\nHal      : Undangan %s\n\n%s\n\n%s\n\n%s\n\n%s"
            % ("B-%d/%s/III/2024" % (c.rng.randint(100, 999), c.ministry[1].split(".")[0].upper()),
               acara, c.salam(), isi, c.tutup(), c.sig_min()))
    return {"subject": "Undangan %s" % acara, "body": body,
            "atts": [c.fn("Surat Undangan %s" % acara[:40].strip())]}


@sc(senders=PEMDA)
def sk_pejabat(c):
    isi = ("Bersama ini kami sampaikan Surat Keputusan %s tentang Penunjukan Pejabat Pengelola "
           "Keuangan Daerah Tahun Anggaran 2024, beserta spesimen tanda tangan Kepala %s selaku "
           "PPKD dan Kuasa BUD yang baru, untuk dapat dipergunakan sebagaimana mestinya."
           % ({"kab": "Bupati", "kota": "Wali Kota", "prov": "Gubernur"}[c.kind], c.agency))
    return {"subject": c.pick("Penyampaian SK Pejabat Pengelola Keuangan Daerah %s" % c.reg("abbr"),
                              "Penyampaian Spesimen Tanda Tangan PPKD dan Kuasa BUD"),
            "body": letter(c, "Penyampaian SK Pejabat Pengelola Keuangan Daerah", isi,
                           lamp="2 (dua) berkas"),
            "atts": [c.fn("Surat Penyampaian SK PPKD %s" % c.short_reg()),
                     c.fn("Spesimen TTD Kuasa BUD", c.pick("pdf", "jpg"))]}


@sc(senders=["univ"])
def magang(c):
    isi = ("Dalam rangka pelaksanaan program magang mahasiswa semester genap tahun akademik "
           "2023/2024, dengan ini kami mohon perkenan Bapak/Ibu untuk menerima %d orang mahasiswa "
           "kami melaksanakan magang di lingkungan Direktorat Jenderal Perimbangan Keuangan "
           "selama 2 (dua) bulan.\n\nDaftar nama mahasiswa terlampir." % c.rng.randint(2, 6))
    body = ("Nomor    : %d/UN.%d/KM/2024\nHal      : Permohonan Izin Magang Mahasiswa\n\n%s\n\n%s"
            "\n\n%s\n\nWakil Dekan Bidang Akademik\n%s"
            % (c.rng.randint(100, 3000), c.rng.randint(1, 40), c.salam(), isi, c.tutup(),
               c.univ[0]))
    return {"subject": c.pick("Permohonan Izin Magang Mahasiswa %s" % c.univ[0],
                              "Surat Permohonan Magang di DJPK"),
            "body": body, "atts": [c.fn("Surat Permohonan Magang %s" % c.univ[1].split(".")[0].upper())]}


@sc(senders=PEMDA)
def surat_only(c):
    jab = {"kab": "Bupati", "kota": "Wali Kota", "prov": "Gubernur"}[c.kind]
    return {"subject": c.pick("Surat", "Kiriman surat", "surat dinas", "Surat %s" % jab),
            "body": c.pick("", "Terlampir surat %s %s. Mohon diterima." % (jab, c.reg("abbr")),
                           "Dengan hormat, bersama ini kami kirimkan surat resmi terlampir.\n\n"
                           + c.sig("agency")),
            "atts": [c.fn("Surat %s %s Nomor %d" % (jab, c.reg("short"), c.rng.randint(100, 999)))]}


@sc(senders=PEMDA)
def surat_forward(c):
    hal = c.pick("Penyampaian Nota Kesepahaman Pengelolaan Keuangan Daerah",
                 "Pemberitahuan Perubahan Alamat Kantor %s" % c.agency,
                 "Penyampaian Rencana Aksi Daerah Reformasi Birokrasi")
    orig = ("Dengan hormat,\nTerlampir surat %s perihal %s untuk diteruskan ke Direktorat Jenderal "
            "Perimbangan Keuangan.\n\nTerima kasih\nSekretariat %s" % (c.reg("gov"), hal, c.agency))
    body = c.forward("Sekretariat " + c.agency, "sekretariat@%s" % c.domain, c.person,
                     "Surat " + hal, orig, c.pick("Mohon diterima surat kami.", "", "fyi"))
    return {"subject": c.pick("Fwd: Surat ", "FW: Surat ") + hal, "body": body,
            "atts": [c.fn("Surat %s" % hal[:50].strip())]}


@sc(senders=PEMDA)
def kerja_sama(c):
    isi = ("Menindaklanjuti pertemuan antara %s dengan Direktorat Jenderal Perimbangan Keuangan, "
           "bersama ini kami sampaikan rancangan Perjanjian Kerja Sama tentang pemanfaatan data "
           "keuangan daerah untuk mendapatkan masukan dan persetujuan." % c.reg("gov"))
    return {"subject": "Penyampaian Rancangan Perjanjian Kerja Sama %s" % c.reg("abbr"),
            "body": letter(c, "Penyampaian Rancangan Perjanjian Kerja Sama", isi),
            "atts": [c.fn("Surat Pengantar PKS %s" % c.short_reg()),
                     c.fn("Draft PKS Pemanfaatan Data", "docx")]}


@sc(senders=["pemda", "pemda-sub"])
def caps_subject(c):
    hal = c.pick("Permohonan Narasumber Rakor TAPD", "Penyampaian Laporan Kinerja Instansi",
                 "Pemberitahuan Pelantikan Kepala %s" % c.agency)
    isi = ("Bersama ini kami sampaikan surat %s perihal %s sebagaimana terlampir."
           % (c.reg("gov"), hal))
    return {"subject": ("SURAT %s %s" % (hal, c.reg("abbr"))).upper(),
            "body": letter(c, hal, isi), "atts": [c.fn("SURAT %s" % hal.upper())]}


SURAT_MASUK = [narasumber, undangan_kl, sk_pejabat, magang, surat_only, surat_forward,
               kerja_sama, caps_subject]
