"""callcenter / aplikasi, jfakpd, shsr, pdrd, pembiayaan, hibah."""

from cc_transfers import ask, scen, PEMDA
from runner import sc

APLIKASI = scen(
    (["Lupa password SIKD", "reset password sikd {reg}", "akun SIKD terkunci"],
     "Akun SIKD operator {reg} terkunci setelah beberapa kali salah memasukkan password. Mohon "
     "bantuan reset password akun kami."),
    (["Tidak bisa login SIKD-Core", "gagal login sikd core"],
     "Sejak kemarin kami tidak bisa login ke SIKD-Core, muncul pesan 'username atau password "
     "salah' padahal sudah benar. Mohon bantuannya."),
    (["Permohonan akun SIKD operator baru", "Pembuatan Akun SIKD"],
     "Operator SIKD di {ag} kami berganti karena mutasi. Mohon dibuatkan akun baru atas nama "
     "operator pengganti; surat penunjukan terlampir."),
    (["Error upload data di SIKD", "SIKD error saat upload"],
     "Saat mengunggah data APBD 2024 ke aplikasi SIKD selalu muncul error 500. Apakah sedang ada "
     "gangguan server? Kami kejar tenggat penyampaian data."),
    (["Aktivasi akun SIKD", "email aktivasi sikd tidak masuk"],
     "Kami sudah mendaftar akun SIKD tetapi email aktivasinya tidak pernah masuk, sudah dicek "
     "di folder spam juga. Mohon bantuan."),
)


@sc(senders=PEMDA)
def app_screenshot(c):
    return ask(c, ["SIKD error", "mohon bantuan aplikasi SIKD"],
               "Berikut screenshot error saat membuka menu laporan di SIKD-Core. Mohon "
               "bantuan tim aplikasi.", atts=[c.fn("error sikd", c.pick("jpg", "png"))])


APLIKASI.append(app_screenshot)

JFAKPD = scen(
    (["Angka kredit JF AKPD", "tanya penilaian angka kredit JFAKPD"],
     "Bagaimana mekanisme penilaian angka kredit bagi pejabat fungsional Analis Keuangan Pusat "
     "dan Daerah di pemerintah daerah setelah berlakunya ketentuan baru?"),
    (["Uji kompetensi JFAKPD 2024", "jadwal ukom AKPD"],
     "Mohon informasi jadwal uji kompetensi kenaikan jenjang JF Analis Keuangan Pusat dan Daerah "
     "tahun 2024 dan persyaratan pendaftarannya."),
    (["Inpassing JF AKPD", "penyesuaian/inpassing analis keuangan"],
     "Apakah masih dibuka inpassing (penyesuaian) ke jabatan fungsional Analis Keuangan Pusat "
     "dan Daerah untuk pegawai {reg}?"),
    (["Formasi JFAKPD", "kebutuhan formasi analis keuangan pusat dan daerah"],
     "Bagaimana cara menghitung kebutuhan formasi JF AKPD di {ag} dan siapa instansi pembina "
     "yang memberikan rekomendasi?"),
    (["Diklat fungsional AKPD", "pelatihan pembentukan JFAKPD"],
     "Kapan pelatihan pembentukan jabatan fungsional AKPD dibuka lagi? Ada 5 pegawai kami yang "
     "baru diangkat."),
)

SHSR = scen(
    (["SHSR 2024 sudah terbit?", "standar harga satuan regional 2024"],
     "Apakah Standar Harga Satuan Regional (SHSR) tahun 2024 sudah ditetapkan? Kami perlu untuk "
     "penyusunan standar harga {reg}."),
    (["Honorarium narasumber di SHSR", "tanya SHSR honor"],
     "Apakah honorarium narasumber dalam SHSR bersifat batas tertinggi atau boleh dilampaui "
     "dengan Perkada?"),
    (["Perjalanan dinas SHSR", "uang harian SHSR"],
     "Untuk uang harian perjalanan dinas dalam SHSR, apakah berlaku juga untuk perjalanan dinas "
     "dalam kabupaten yang jaraknya lebih dari 8 jam?"),
    (["SHSR untuk pengadaan kendaraan", "satuan harga kendaraan dinas SHSR"],
     "Kami ingin memastikan apakah harga kendaraan dinas operasional dalam SHSR sudah termasuk "
     "pajak dan biaya balik nama."),
    (["Perbedaan SHSR dan SBU", "tanya standar harga"],
     "Mohon penjelasan perbedaan SHSR dengan Standar Biaya Masukan, mana yang harus dipedomani "
     "oleh pemda dalam menyusun APBD?"),
)

PDRD = scen(
    (["Perda PDRD sesuai UU HKPD", "tanya perda pajak daerah"],
     "Perda Pajak Daerah dan Retribusi Daerah {reg} sudah kami sesuaikan dengan UU HKPD. "
     "Apakah masih perlu dievaluasi oleh Kementerian Keuangan sebelum diundangkan?"),
    (["Tarif BPHTB", "pertanyaan BPHTB"],
     "Apakah pemda boleh memberikan pengurangan BPHTB untuk waris dan hibah wasiat, dan "
     "bagaimana pengaturannya dalam Perda?"),
    (["PBB-P2 kenaikan NJOP", "stimulus pengurangan PBB-P2"],
     "Banyak warga mengeluhkan kenaikan PBB-P2 setelah penyesuaian NJOP. Apakah pemda boleh "
     "memberikan stimulus pengurangan PBB-P2 secara massal?"),
    (["Opsen PKB dan BBNKB", "opsen pajak kendaraan 2025"],
     "Bagaimana mekanisme pembagian opsen PKB dan opsen BBNKB antara provinsi dan kabupaten/kota "
     "mulai tahun 2025?"),
    (["Retribusi persetujuan bangunan gedung", "retribusi PBG"],
     "Apakah retribusi Persetujuan Bangunan Gedung (PBG) bisa dipungut sebelum Perda PDRD yang "
     "baru ditetapkan?"),
)

PEMBIAYAAN = scen(
    (["Pinjaman daerah ke PT SMI", "tanya pinjaman daerah"],
     "{reg} berencana mengajukan pinjaman daerah kepada PT SMI untuk pembangunan rumah sakit. "
     "Apakah memerlukan pertimbangan Menteri Keuangan, dan apa saja dokumennya?"),
    (["Obligasi daerah", "penerbitan obligasi daerah"],
     "Kami ingin mempelajari mekanisme penerbitan obligasi daerah. Apa tahapan dan persyaratan "
     "yang harus dipenuhi pemda?"),
    (["Batas maksimal defisit dan pinjaman", "batas kumulatif pinjaman daerah 2024"],
     "Berapa batas maksimal defisit APBD dan batas maksimal kumulatif pinjaman daerah tahun "
     "2024, dan di mana ketentuannya?"),
    (["Pelunasan pinjaman daerah", "percepatan pelunasan pinjaman"],
     "Apakah pemda boleh melakukan pelunasan pinjaman daerah lebih cepat dari jadwal, dan "
     "apakah perlu dilaporkan ke DJPK?"),
    (["Pembiayaan kreatif daerah", "KPBU dan pinjaman"],
     "Selain pinjaman daerah, skema pembiayaan apa saja yang bisa dimanfaatkan {reg} untuk "
     "membangun pasar tradisional?"),
)

HIBAH = scen(
    (["Cara mengajukan hibah air minum", "program hibah air minum"],
     "Bagaimana cara {reg} mengikuti Program Hibah Air Minum Perkotaan tahun 2025? Apa saja "
     "kriteria daerah penerimanya?"),
    (["Pencatatan hibah dari pemerintah pusat", "tanya hibah daerah"],
     "Bagaimana pencatatan hibah dari pemerintah pusat dalam APBD, apakah harus melalui APBD "
     "perubahan jika diterima di tengah tahun?"),
    (["Registrasi NPHD", "nomor register hibah"],
     "NPHD hibah daerah kami sudah ditandatangani, bagaimana cara mendapatkan nomor register "
     "hibahnya?"),
    (["Hibah jalan daerah 2024", "program hibah jalan daerah"],
     "Apakah Program Hibah Jalan Daerah masih ada di tahun 2024? Bagaimana mekanisme verifikasi "
     "output sebelum penyaluran?"),
    (["Sisa dana hibah", "pengembalian sisa hibah daerah"],
     "Jika ada sisa dana hibah daerah yang tidak terpakai, apakah harus dikembalikan ke kas "
     "negara dan bagaimana caranya?"),
)


@sc(senders=["pemda", "personal"])
def jf_forward(c):
    orig = ("Mohon ditanyakan ke pembina JF AKPD, apakah angka kredit dari jabatan lama bisa "
            "diakui saat inpassing.\nTrims\nSubbag Kepegawaian")
    body = c.forward("Kepegawaian", "kepegawaian@%s" % c.domain, c.person,
                     "pertanyaan inpassing JF AKPD", orig, "%s\n%s" % (c.salam(False),
                                                                        c.sig("name")))
    return {"subject": "FW: pertanyaan inpassing JF AKPD", "body": body}


JFAKPD.append(jf_forward)
