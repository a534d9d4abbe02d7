"""callcenter / dak-fisik, dak-nf, dana-desa."""

from cc_transfers import ask, scen, PEMDA
from runner import sc

DAK_FISIK = scen(
    (["Batas waktu kontrak DAK Fisik 2024", "tanya kontrak DAK fisik"],
     "Mohon informasi batas akhir penyampaian data kontrak DAK Fisik tahun 2024 melalui "
     "OMSPAN, dan apakah kontrak yang ditandatangani setelah batas waktu masih bisa "
     "disalurkan?"),
    (["Usulan DAK Fisik 2025 di KRISNA", "aplikasi KRISNA DAK"],
     "Kapan jadwal pengusulan DAK Fisik tahun 2025 melalui aplikasi KRISNA dibuka? Kami dari "
     "{reg} ingin menyiapkan usulan bidang jalan dan irigasi."),
    (["Penyaluran DAK Fisik Tahap I", "syarat salur DAK fisik tahap 1"],
     "Apa saja dokumen persyaratan penyaluran DAK Fisik tahap I? Kami sudah upload kontrak di "
     "OMSPAN tetapi statusnya masih ditolak KPPN."),
    (["Sisa DAK Fisik 2023", "sisa dana dak fisik"],
     "Di RKUD {reg} masih ada sisa DAK Fisik tahun 2023 karena ada paket yang gagal lelang. "
     "Apakah sisa tersebut boleh digunakan untuk kegiatan lain tahun 2024?"),
    (["Reviu DAK Fisik bidang jalan", "perubahan menu DAK fisik"],
     "Kami ingin mengubah lokasi kegiatan DAK Fisik bidang jalan karena ada bencana. Bagaimana "
     "prosedur perubahan rencana kegiatan DAK Fisik tahun 2024?"),
)

DAK_NF = scen(
    (["TPG triwulan I kapan salur?", "Penyaluran TPG TW I 2024"],
     "Mohon informasi kapan Tunjangan Profesi Guru ASN daerah triwulan I 2024 disalurkan ke "
     "RKUD {reg}? Guru-guru sudah banyak bertanya."),
    (["Juknis BOK 2024", "tanya BOK puskesmas"],
     "Apakah petunjuk teknis BOK Puskesmas tahun 2024 sudah terbit? Kami perlu untuk "
     "penyusunan RKA dinas kesehatan."),
    (["Sisa dana BOP PAUD", "dak-nonfisik BOP PAUD"],
     "Ada sisa dana BOP PAUD tahun 2023 di beberapa lembaga. Apakah sisa dana tersebut "
     "diperhitungkan pada penyaluran DAK Non Fisik tahun 2024?"),
    (["Tamsil guru belum cair", "tanya DAK NF tamsil"],
     "Dana Tamsil guru untuk semester II 2023 sampai sekarang belum kami terima. Mohon "
     "informasi apakah ada laporan yang belum lengkap dari {reg}."),
    (["Alokasi DAK Nonfisik 2024", "rincian DAK NF per jenis"],
     "Di mana kami bisa melihat rincian alokasi DAK Non Fisik 2024 per jenis dana (BOS, BOP, "
     "TPG, BOK) untuk {reg}?"),
)

DANA_DESA = scen(
    (["Penyaluran Dana Desa Tahap I 2024", "dana desa tahap 1 belum salur"],
     "Dana Desa tahap I tahun 2024 untuk beberapa desa di {reg} belum disalurkan ke RKDes. "
     "Mohon informasi apa penyebabnya dan dokumen apa yang kurang."),
    (["BLT Dana Desa 2024", "tanya BLT desa"],
     "Berapa persen Dana Desa 2024 yang wajib digunakan untuk BLT Desa, dan apakah jumlah "
     "keluarga penerima boleh berubah di tengah tahun?"),
    (["Dana desa ketahanan pangan", "penggunaan dana desa"],
     "Apakah penggunaan Dana Desa untuk program ketahanan pangan minimal 20% masih berlaku di "
     "tahun 2024? Kepala desa di wilayah kami menanyakan."),
    (["Dana Desa desa mandiri", "penyaluran dana desa desa mandiri"],
     "Untuk desa berstatus mandiri, apakah penyaluran Dana Desa tahun 2024 tetap dua tahap? "
     "Apa syarat dokumennya?"),
    (["Rekomendasi penyaluran dana desa", "dana desa di OMSPAN"],
     "Bagaimana cara pemda mengunggah dokumen persyaratan penyaluran Dana Desa di OMSPAN? Akun "
     "kami di {ag} belum bisa melihat menu dana desa."),
)


@sc(senders=["personal"])
def dd_warga(c):
    body = ("%s\n\nSaya warga desa di %s. Saya ingin menanyakan apakah penggunaan dana desa di "
            "desa kami bisa dilihat secara terbuka? Kepala desa tidak pernah memasang baliho APBDes. "
            "Ke mana saya harus bertanya?\n\n%s\n%s" % (c.salam(), c.reg("full"), c.tutup(False),
                                                       c.person))
    return {"subject": c.pick("pertanyaan dana desa", "Transparansi Dana Desa"), "body": body}


@sc(senders=PEMDA)
def daknf_forward(c):
    orig = ("Pak, tolong ditanyakan ke Kemenkeu kenapa BOP Kesetaraan 2024 untuk PKBM kita belum "
            "ada alokasinya di rincian. Terima kasih.\nKabid PAUD dan Dikmas")
    body = c.forward("Kabid PAUD Disdik", "paud.disdik@%s" % c.domain, c.person,
                     "BOP Kesetaraan 2024", orig,
                     "%s\nmohon bantuan penjelasan atas pertanyaan dinas pendidikan kami di bawah "
                     "ini terkait DAK Non Fisik BOP Kesetaraan.\n%s"
                     % (c.salam(False), c.sig("name")))
    return {"subject": "Fwd: BOP Kesetaraan 2024", "body": body}


@sc(senders=PEMDA)
def dakfisik_attach(c):
    return ask(c, ["Mohon petunjuk DAK Fisik - %s" % c.reg("abbr"), "Pertanyaan DAK Fisik"],
               "Terlampir kami sampaikan daftar permasalahan pelaksanaan DAK Fisik bidang "
               "sanitasi tahun 2024 di %s. Mohon arahan terkait kontrak yang belum bisa "
               "direkam di OMSPAN." % c.reg("full"), formal=True,
               atts=[c.fn("Permasalahan DAK Fisik 2024 %s" % c.short_reg(), "xlsx")])


DAK_FISIK.append(dakfisik_attach)
DAK_NF.append(daknf_forward)
DANA_DESA.append(dd_warga)
