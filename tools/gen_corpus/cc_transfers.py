"""callcenter / dau, dbh, transfer, did: questions on general transfers."""

from compose import lc
from runner import sc

PEMDA = ["pemda", "pemda", "pemda-sub", "pemda-gmail", "personal", "personal"]


def ask(c, subjects, question, formal=None, atts=None, **kw):
    """A question from a Pemda: formal or chatty wrapping around the question text."""
    formal = c.chance(0.5) if formal is None else formal
    if formal:
        body = "%s\n\n%s\n\n%s\n\n%s" % (c.salam(), question, c.tutup(), c.sig())
    else:
        q = lc(question)
        if c.chance(0.5):
            q = c.typo(q)
        body = "%s\n%s\n%s\n%s" % (c.salam(False), q, c.tutup(False),
                                   c.pick(c.person + " - " + c.reg("short"), c.sig("name"),
                                          c.agency_reg()))
    S = {"subject": c.pick(*subjects), "body": body, "atts": atts or []}
    if not atts and len(S["subject"].split()) >= 4 and c.chance(0.08):
        S["body"] = ""  # everything is in the subject
    S.update(kw)
    return S


def scen(*variants, senders=PEMDA):
    """Build scenario functions from (subjects, question-template) pairs.

    The question template may use {reg} (region label), {ag} (agency)."""
    out = []
    for subjects, q in variants:
        def fn(c, subjects=subjects, q=q):
            text = q.format(reg=c.reg("full"), ag=c.agency, sreg=c.reg("short"))
            return ask(c, [s.format(reg=c.reg("abbr")) for s in subjects], text)
        out.append(sc(senders=senders)(fn))
    return out


DAU = scen(
    (["Tambahan DAU untuk THR dan Gaji 13", "tanya THR dari DAU", "Penyaluran DAU THR {reg}"],
     "Mohon informasi apakah tambahan DAU untuk pembayaran THR dan gaji ketiga belas tahun 2024 "
     "disalurkan bersamaan dengan DAU reguler bulan Maret atau terpisah? Kami perlu kepastian "
     "untuk menyiapkan kas {reg}."),
    (["Pertanyaan DAU yang ditentukan penggunaannya", "DAU earmark PPPK"],
     "Mohon penjelasan, apakah DAU yang ditentukan penggunaannya untuk penggajian PPPK boleh "
     "dipakai untuk membayar tunjangan PPPK guru, atau hanya gaji pokok saja?"),
    (["Alokasi DAU 2024 {reg} turun", "mohon penjelasan alokasi DAU"],
     "Alokasi DAU {reg} tahun 2024 turun dibandingkan 2023, padahal jumlah pegawai kami "
     "bertambah. Bagaimana cara perhitungan DAU sehingga kami bisa menjelaskan ke pimpinan?"),
    (["tanya DAU bidang pendidikan", "DAU SG pendidikan boleh untuk apa saja?"],
     "Untuk DAU yang ditentukan penggunaannya bidang pendidikan, apakah boleh digunakan untuk "
     "rehab ruang kelas atau hanya belanja operasional? Di {sreg} ada perbedaan pendapat "
     "antara dinas dan TAPD."),
    (["Gaji ke-13 ASN daerah", "perhitungan tambahan DAU gaji ketiga belas"],
     "Bagaimana cara perhitungan tambahan DAU untuk gaji ketiga belas? Apakah berdasarkan "
     "jumlah pegawai yang kami laporkan atau data BKN? Untuk DBH tidak ada pengaruhnya kan?"),
)

DBH = scen(
    (["Alokasi DBH CHT 2024", "tanya DBH CHT {reg}"],
     "Mohon informasi mengapa alokasi DBH CHT {reg} tahun 2024 lebih kecil dari tahun lalu? "
     "Apakah ada perubahan formula pembagian antar kabupaten penghasil tembakau?"),
    (["Kurang bayar DBH", "Kapan kurang bayar DBH 2023 disalurkan?"],
     "Berdasarkan PMK alokasi, {reg} masih memiliki kurang bayar DBH Pajak tahun 2023. Kapan "
     "kurang bayar tersebut akan disalurkan dan apakah perlu dokumen tambahan?"),
    (["penggunaan DBH CHT untuk kesehatan", "DBH CHT boleh untuk BPJS?"],
     "Apakah DBH CHT boleh digunakan untuk membayar iuran jaminan kesehatan masyarakat, dan "
     "berapa persen batas maksimalnya untuk tahun 2024?"),
    (["DBH Sawit 2024", "jadwal salur dbh sawit"],
     "Mohon info jadwal penyaluran DBH Sawit tahap I tahun 2024 dan apa saja syaratnya. Kami "
     "baru pertama kali menerima DBH Sawit."),
    (["Dana Bagi hasil migas", "pertanyaan DBH SDA"],
     "Mohon penjelasan perbedaan realisasi DBH SDA migas yang kami terima dengan angka di "
     "laporan lifting. Kami juga sudah cek alokasi DAU tidak ada masalah, hanya DBH yang "
     "berbeda."),
)

TRANSFER = scen(
    (["TKD bulan Maret belum masuk RKUD", "penyaluran TKD {reg} belum diterima"],
     "Sampai hari ini transfer ke daerah bulan Maret untuk {reg} belum masuk ke RKUD. Mohon "
     "informasi status penyaluran TKD kami dan apakah ada dokumen yang kurang."),
    (["Pencairan dana TDF", "tanya TDF"],
     "Sebagian TKD {reg} disalurkan dalam bentuk TDF (Treasury Deposit Facility). Bagaimana "
     "prosedur dan kapan dana TDF tersebut bisa dicairkan ke RKUD?"),
    (["LKT Februari 2024", "tanya LKT"],
     "Mohon informasi, LKT bulan Februari 2024 untuk {reg} sudah bisa diunduh di mana? Kami "
     "perlu untuk rekonsiliasi penerimaan transfer."),
    (["Perubahan Rekening Kas Umum Daerah", "ganti nomor RKUD"],
     "Kami berencana mengganti bank tempat RKUD {reg}. Apa saja dokumen yang harus disampaikan "
     "agar penyaluran transfer ke daerah tidak terganggu?"),
    (["Rincian penyaluran TKD per jenis", "konfirmasi penerimaan transfer"],
     "Kami menerima transfer dari RKUN pada tanggal 5 Maret tanpa keterangan jenis dana. Mohon "
     "rincian penyaluran TKD tersebut per jenis dana agar bisa kami bukukan."),
)

DID = scen(
    (["Insentif Fiskal 2024", "tanya insentif fiskal {reg}"],
     "Mengapa {reg} tidak memperoleh Insentif Fiskal tahun 2024, padahal capaian penurunan "
     "stunting kami cukup baik? Indikator apa saja yang dinilai?"),
    (["DID", "Dana Insentif Daerah masih ada?"],
     "Apakah Dana Insentif Daerah (DID) masih ada di tahun 2024 atau sudah diganti Insentif "
     "Fiskal? Bagaimana mekanisme penyalurannya?"),
    (["penggunaan insentif fiskal", "Insentif Fiskal kinerja inflasi"],
     "Insentif Fiskal kategori pengendalian inflasi yang kami terima boleh digunakan untuk apa "
     "saja? Apakah bisa untuk belanja pegawai?"),
    (["Jadwal penyaluran Insentif Fiskal", "IF tahap 2"],
     "Mohon informasi jadwal penyaluran Insentif Fiskal tahun berjalan untuk kinerja tahun "
     "2023 dan dokumen yang perlu kami siapkan."),
    (["Penilaian insentif fiskal", "kriteria insentif fiskal"],
     "Bagaimana cara daerah mengetahui skor penilaian kinerja untuk Insentif Fiskal? Kami ingin "
     "evaluasi untuk tahun depan."),
)
