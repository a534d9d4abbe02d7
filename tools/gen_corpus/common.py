"""Categories found in both mailboxes: spam, non-djpk, lainnya."""

import lapor_misc
import runner
import spam
from compose import lc
from runner import sc

PUBLIC = ["personal"]


def q(c, subjects, text, sig=None):
    formal = c.chance(0.4)
    if formal:
        body = "%s\n\n%s\n\n%s\n\n%s" % (c.salam(), text, c.tutup(), sig or c.person)
    else:
        body = "%s\n%s\n%s\n%s" % (c.salam(False), c.typo(lc(text)), c.tutup(False),
                                   sig or c.pick(c.person, c.person.split(" ")[0], ""))
    return {"subject": c.pick(*subjects), "body": body.rstrip("\n")}


@sc(senders=PUBLIC)
def npwp(c):
    return q(c, ["cara buat NPWP", "NPWP hilang", "Permohonan NPWP online"],
             "Saya mau tanya cara membuat NPWP pribadi secara online, dan kalau kartu NPWP "
             "hilang apakah bisa dicetak ulang sendiri?")


@sc(senders=PUBLIC)
def spt(c):
    return q(c, ["lupa EFIN", "tidak bisa lapor SPT tahunan", "SPT Tahunan 2023 error"],
             "Saya mau lapor SPT Tahunan lewat DJP Online tapi lupa EFIN dan tidak bisa login. "
             "Bagaimana cara minta EFIN baru tanpa datang ke KPP?")


@sc(senders=PUBLIC)
def paket(c):
    return q(c, ["paket tertahan bea cukai", "Barang kiriman dari luar negeri", "paket saya "
                 "ditahan"],
             "Paket kiriman saya dari Tiongkok tertahan di kantor Bea Cukai Soekarno-Hatta sudah "
             "2 minggu dan diminta membayar bea masuk. Bagaimana cara mengurusnya?")


@sc(senders=["personal", "ministry"])
def sp2d(c):
    return q(c, ["SP2D belum cair", "gaji bulan maret belum masuk", "pencairan SP2D KPPN"],
             "SP2D gaji pegawai satker kami (instansi vertikal) untuk bulan Maret belum cair di "
             "KPPN padahal SPM sudah diajukan tanggal 20. Mohon informasi penyebabnya.",
             sig=c.pick(c.person, c.sig_min()))


@sc(senders=PUBLIC)
def lelang(c):
    return q(c, ["info lelang KPKNL", "Lelang rumah sitaan", "cara ikut lelang mobil dinas"],
             "Saya ingin ikut lelang rumah/kendaraan yang diadakan KPKNL. Di mana saya bisa melihat "
             "jadwal lelang dan bagaimana cara menyetor uang jaminan?")


@sc(senders=["personal", "univ"])
def lpdp(c):
    return q(c, ["beasiswa LPDP", "pendaftaran LPDP 2024", "pencairan dana LPDP terlambat"],
             "Mohon info kapan pendaftaran beasiswa LPDP tahap 1 tahun 2024 dibuka dan apakah "
             "sertifikat TOEFL ITP masih diterima?")


@sc(senders=["pemda", "pemda-gmail", "personal"])
def pemda_pph21(c):
    body = ("%s\n\nKami bendahara pengeluaran di %s. Bagaimana cara membuat bukti potong PPh "
            "Pasal 21 pegawai lewat e-Bupot Unifikasi? Aplikasi DJP Online kami selalu gagal "
            "saat posting SPT Masa.\n\n%s\n\n%s" % (c.salam(), c.reg("gov"), c.tutup(), c.sig()))
    return {"subject": c.pick("e-Bupot PPh 21 gagal", "SPT Masa PPh 21 bendahara",
                              "tanya e-bupot unifikasi"), "body": body}


@sc(senders=PUBLIC)
def rokok_ilegal(c):
    return q(c, ["laporan rokok ilegal", "rokok tanpa pita cukai"],
             "Di desa kami banyak dijual rokok tanpa pita cukai. Ke mana saya bisa melaporkan hal "
             "ini ke Bea Cukai dan apakah identitas pelapor dirahasiakan?")


@sc(senders=PUBLIC)
def fwd_djp(c):
    orig = ("Yth. Wajib Pajak,\nBerdasarkan data kami, SPT Tahunan PPh Orang Pribadi Anda tahun "
            "2023 belum disampaikan. Batas waktu 31 Maret 2024.\nKPP Pratama")
    body = c.forward("KPP Pratama", "kpp.pratama@pajak.go.id", c.person.lower() + "@gmail.com",
                     "Himbauan Penyampaian SPT Tahunan", orig,
                     "Maaf mau tanya, ini maksudnya apa ya? saya sudah lapor SPT kok masih dapat "
                     "email ini.")
    return {"subject": "Fwd: Himbauan Penyampaian SPT Tahunan", "body": body}


NON_DJPK = [npwp, spt, paket, sp2d, lelang, lpdp, pemda_pph21, rokok_ilegal, fwd_djp, spt]


# ------------------------------------------------------------------ lainnya (callcenter)
@sc(senders=["personal"])
def alamat(c):
    return q(c, ["alamat kantor", "jam layanan", "tanya lokasi"],
             "Mohon info alamat lengkap kantor DJPK beserta kode posnya. Terima kasih.")


@sc(senders=["personal"])
def lowongan(c):
    return q(c, ["lowongan kerja", "CPNS DJPK 2024?", "rekrutmen"],
             "Apakah DJPK membuka lowongan pegawai non-PNS tahun ini? Saya lulusan akuntansi.")


@sc(senders=["personal"])
def salah_kirim(c):
    body = ("Ma, ini foto-foto acara kemarin ya. Yang lain nanti aku kirim lewat WA.\n\n%s"
            % c.person.split(" ")[0])
    return {"subject": c.pick("foto acara", "foto", "kiriman foto"), "body": body,
            "atts": [c.fn("IMG_2024031%d_%04d" % (c.rng.randint(0, 9), c.rng.randint(1000, 9999)),
                          "jpg")], "att_style": "plain"}


@sc(senders=["pemda", "personal"])
def cc_thanks(c):
    quoted = "Yth. Bapak/Ibu,\nPertanyaan Bapak/Ibu telah kami jawab sebagai berikut ...\nSalam"
    body = "Terima kasih banyak atas penjelasannya, sangat membantu.\n\n%s\n\n%s" % (
        c.sig("name"), c.quote(quoted, "Call Center DJPK", "callcenter@djpk.test"))
    return {"subject": c.pick("Re: Jawaban atas pertanyaan Bapak/Ibu", "RE: [Tiket] Jawaban"),
            "body": body, "reply": True}


CC_LAINNYA = [lapor_misc.test_mail, alamat, lowongan, salah_kirim, cc_thanks,
              lapor_misc.greeting, lapor_misc.empty]


def generate():
    runner.rules_category("lapor", "spam", spam.SPAM, 6)
    runner.rules_category("callcenter", "spam", spam.SPAM, 10)
    runner.rules_category("lapor", "non-djpk", NON_DJPK, 6)
    runner.rules_category("callcenter", "non-djpk", NON_DJPK, 10)
    runner.rules_category("lapor", "lainnya", lapor_misc.LAINNYA_SCENARIOS, 7)
    runner.rules_category("callcenter", "lainnya", CC_LAINNYA, 7)
