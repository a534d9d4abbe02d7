"""Static data for the corpus generator: regions, people, agencies, mail hosts.

Region domains follow the official <name>kab.go.id / <name>kota.go.id / <abbr>prov.go.id
pattern.  The list is hand-picked (not read from rules/regions.csv) so that the corpus
does not change when somebody edits the rules.
"""

# (kind, name, domain, timezone, province short name, tags)
# tags: cht = tobacco excise (DBH CHT), sawit = palm oil, migas = oil and gas,
#       hutan = forestry (DBH DR), tambang = mining
REGIONS = [
    ("kab", "Cilacap", "cilacapkab.go.id", "WIB", "Jateng", "migas"),
    ("kota", "Dumai", "dumaikota.go.id", "WIB", "Riau", "migas sawit"),
    ("prov", "Jawa Timur", "jatimprov.go.id", "WIB", "Jatim", "cht migas"),
    ("kab", "Brebes", "brebeskab.go.id", "WIB", "Jateng", ""),
    ("kab", "Kudus", "kuduskab.go.id", "WIB", "Jateng", "cht"),
    ("kab", "Temanggung", "temanggungkab.go.id", "WIB", "Jateng", "cht"),
    ("kab", "Jember", "jemberkab.go.id", "WIB", "Jatim", "cht"),
    ("kab", "Pamekasan", "pamekasankab.go.id", "WIB", "Jatim", "cht"),
    ("kab", "Bojonegoro", "bojonegorokab.go.id", "WIB", "Jatim", "migas cht"),
    ("kab", "Lombok Timur", "lomboktimurkab.go.id", "WITA", "NTB", "cht"),
    ("kab", "Rokan Hilir", "rohilkab.go.id", "WIB", "Riau", "sawit migas"),
    ("kab", "Siak", "siakkab.go.id", "WIB", "Riau", "sawit migas"),
    ("kab", "Kotawaringin Timur", "kotimkab.go.id", "WIB", "Kalteng", "sawit hutan"),
    ("kab", "Ketapang", "ketapangkab.go.id", "WIB", "Kalbar", "sawit hutan"),
    ("kab", "Paser", "paserkab.go.id", "WITA", "Kaltim", "sawit tambang"),
    ("kab", "Kutai Kartanegara", "kukarkab.go.id", "WITA", "Kaltim", "migas tambang hutan"),
    ("kab", "Musi Banyuasin", "mubakab.go.id", "WIB", "Sumsel", "migas sawit"),
    ("prov", "Sumatera Utara", "sumutprov.go.id", "WIB", "Sumut", "sawit"),
    ("kab", "Deli Serdang", "deliserdangkab.go.id", "WIB", "Sumut", "sawit"),
    ("kab", "Langkat", "langkatkab.go.id", "WIB", "Sumut", "sawit"),
    ("kab", "Samosir", "samosirkab.go.id", "WIB", "Sumut", ""),
    ("kab", "Pasaman Barat", "pasamanbaratkab.go.id", "WIB", "Sumbar", "sawit"),
    ("kota", "Padang", "padang.go.id", "WIB", "Sumbar", ""),
    ("kab", "Banyuasin", "banyuasinkab.go.id", "WIB", "Sumsel", "sawit"),
    ("kab", "Lampung Selatan", "lampungselatankab.go.id", "WIB", "Lampung", ""),
    ("kab", "Belitung", "belitungkab.go.id", "WIB", "Babel", "tambang"),
    ("kab", "Natuna", "natunakab.go.id", "WIB", "Kepri", "migas"),
    ("prov", "Jawa Barat", "jabarprov.go.id", "WIB", "Jabar", ""),
    ("kab", "Garut", "garutkab.go.id", "WIB", "Jabar", ""),
    ("kab", "Bekasi", "bekasikab.go.id", "WIB", "Jabar", ""),
    ("kota", "Bogor", "kotabogor.go.id", "WIB", "Jabar", ""),
    ("prov", "Jawa Tengah", "jatengprov.go.id", "WIB", "Jateng", "cht"),
    ("kab", "Banyumas", "banyumaskab.go.id", "WIB", "Jateng", ""),
    ("kab", "Kebumen", "kebumenkab.go.id", "WIB", "Jateng", ""),
    ("kota", "Magelang", "magelangkota.go.id", "WIB", "Jateng", ""),
    ("kab", "Sleman", "slemankab.go.id", "WIB", "DIY", ""),
    ("kab", "Sidoarjo", "sidoarjokab.go.id", "WIB", "Jatim", ""),
    ("kota", "Kediri", "kedirikota.go.id", "WIB", "Jatim", "cht"),
    ("kota", "Tangerang", "tangerangkota.go.id", "WIB", "Banten", ""),
    ("kab", "Badung", "badungkab.go.id", "WITA", "Bali", ""),
    ("kab", "Buleleng", "bulelengkab.go.id", "WITA", "Bali", ""),
    ("kota", "Mataram", "mataramkota.go.id", "WITA", "NTB", ""),
    ("kab", "Sikka", "sikkakab.go.id", "WITA", "NTT", ""),
    ("kab", "Manggarai", "manggaraikab.go.id", "WITA", "NTT", ""),
    ("prov", "Kalimantan Selatan", "kalselprov.go.id", "WITA", "Kalsel", "tambang hutan"),
    ("kab", "Tabalong", "tabalongkab.go.id", "WITA", "Kalsel", "tambang"),
    ("kota", "Balikpapan", "balikpapan.go.id", "WITA", "Kaltim", "migas"),
    ("kab", "Berau", "beraukab.go.id", "WITA", "Kaltim", "tambang hutan"),
    ("kota", "Manado", "manadokota.go.id", "WITA", "Sulut", ""),
    ("kab", "Gowa", "gowakab.go.id", "WITA", "Sulsel", ""),
    ("kab", "Wajo", "wajokab.go.id", "WITA", "Sulsel", "migas"),
    ("kab", "Luwu Utara", "luwuutarakab.go.id", "WITA", "Sulsel", "hutan"),
    ("kab", "Konawe", "konawekab.go.id", "WITA", "Sultra", "tambang"),
    ("kab", "Poso", "posokab.go.id", "WITA", "Sulteng", "hutan"),
    ("kota", "Gorontalo", "gorontalokota.go.id", "WITA", "Gorontalo", ""),
    ("kab", "Mamuju", "mamujukab.go.id", "WITA", "Sulbar", "sawit"),
    ("kota", "Ambon", "ambon.go.id", "WIT", "Maluku", ""),
    ("kota", "Ternate", "ternatekota.go.id", "WIT", "Malut", ""),
    ("kab", "Halmahera Tengah", "haltengkab.go.id", "WIT", "Malut", "tambang"),
    ("kab", "Mimika", "mimikakab.go.id", "WIT", "Papua Tengah", "tambang"),
    ("kab", "Merauke", "merauke.go.id", "WIT", "Papua Selatan", "hutan"),
    ("kab", "Fakfak", "fakfakkab.go.id", "WIT", "Papua Barat", "migas"),
    ("kota", "Sorong", "sorongkota.go.id", "WIT", "Papua Barat Daya", "migas"),
    ("kab", "Jayawijaya", "jayawijayakab.go.id", "WIT", "Papua Pegunungan", ""),
]

# A second, disjoint set for the demo month.
DEMO_REGIONS = [
    ("kab", "Banyuwangi", "banyuwangikab.go.id", "WIB", "Jatim", "cht"),
    ("kab", "Kendal", "kendalkab.go.id", "WIB", "Jateng", "cht"),
    ("kab", "Pati", "patikab.go.id", "WIB", "Jateng", "cht migas"),
    ("kab", "Bengkalis", "bengkaliskab.go.id", "WIB", "Riau", "migas sawit"),
    ("kab", "Kampar", "kamparkab.go.id", "WIB", "Riau", "sawit"),
    ("kota", "Palembang", "palembang.go.id", "WIB", "Sumsel", ""),
    ("prov", "Sumatera Barat", "sumbarprov.go.id", "WIB", "Sumbar", ""),
    ("kab", "Karo", "karokab.go.id", "WIB", "Sumut", ""),
    ("kota", "Bukittinggi", "bukittinggikota.go.id", "WIB", "Sumbar", ""),
    ("kab", "Bantul", "bantulkab.go.id", "WIB", "DIY", ""),
    ("kab", "Gresik", "gresikkab.go.id", "WIB", "Jatim", "migas"),
    ("kab", "Sumenep", "sumenepkab.go.id", "WIB", "Jatim", "cht migas"),
    ("kota", "Semarang", "semarangkota.go.id", "WIB", "Jateng", ""),
    ("kab", "Sintang", "sintang.go.id", "WIB", "Kalbar", "sawit hutan"),
    ("kab", "Gianyar", "gianyarkab.go.id", "WITA", "Bali", ""),
    ("kab", "Ende", "endekab.go.id", "WITA", "NTT", ""),
    ("kab", "Bima", "bimakab.go.id", "WITA", "NTB", "cht"),
    ("prov", "Kalimantan Timur", "kaltimprov.go.id", "WITA", "Kaltim", "migas tambang"),
    ("kab", "Tanah Laut", "tanahlautkab.go.id", "WITA", "Kalsel", "tambang"),
    ("kota", "Makassar", "makassarkota.go.id", "WITA", "Sulsel", ""),
    ("kab", "Maros", "maroskab.go.id", "WITA", "Sulsel", ""),
    ("kota", "Palu", "palukota.go.id", "WITA", "Sulteng", ""),
    ("kab", "Minahasa", "minahasa.go.id", "WITA", "Sulut", ""),
    ("kota", "Tual", "tualkota.go.id", "WIT", "Maluku", ""),
    ("kab", "Biak Numfor", "biakkab.go.id", "WIT", "Papua", ""),
    ("kab", "Nabire", "nabirekab.go.id", "WIT", "Papua Tengah", ""),
    ("kab", "Manokwari", "manokwarikab.go.id", "WIT", "Papua Barat", "migas"),
]

PROV_FULL = {
    "Jateng": "Jawa Tengah", "Jatim": "Jawa Timur", "Jabar": "Jawa Barat", "Riau": "Riau",
    "NTB": "Nusa Tenggara Barat", "NTT": "Nusa Tenggara Timur", "Kalteng": "Kalimantan Tengah",
    "Kalbar": "Kalimantan Barat", "Kaltim": "Kalimantan Timur", "Kalsel": "Kalimantan Selatan",
    "Sumsel": "Sumatera Selatan", "Sumut": "Sumatera Utara", "Sumbar": "Sumatera Barat",
    "Lampung": "Lampung", "Babel": "Kepulauan Bangka Belitung", "Kepri": "Kepulauan Riau",
    "DIY": "D.I. Yogyakarta", "Banten": "Banten", "Bali": "Bali", "Sulut": "Sulawesi Utara",
    "Sulsel": "Sulawesi Selatan", "Sultra": "Sulawesi Tenggara", "Sulteng": "Sulawesi Tengah",
    "Gorontalo": "Gorontalo", "Sulbar": "Sulawesi Barat", "Maluku": "Maluku",
    "Malut": "Maluku Utara", "Papua": "Papua", "Papua Tengah": "Papua Tengah",
    "Papua Selatan": "Papua Selatan", "Papua Barat": "Papua Barat",
    "Papua Barat Daya": "Papua Barat Daya", "Papua Pegunungan": "Papua Pegunungan",
}

TZ_OFFSET = {"WIB": 7, "WITA": 8, "WIT": 9}

FIRST_M = ["Agus", "Bambang", "Dedi", "Eko", "Fajar", "Gunawan", "Hendra", "Imam", "Joko",
           "Kurniawan", "Lukman", "Muhammad", "Nur", "Oktavianus", "Putu", "Rahmat", "Slamet",
           "Teguh", "Umar", "Wahyu", "Yohanes", "Zulkifli", "Andi", "Rizky", "Made", "Herman",
           "Arif", "Sugeng", "Budi", "Frans", "Yosef", "Ilham", "Syahrul", "Dwi", "Tigor",
           "Marthen", "La Ode", "Wayan", "Hasan", "Ridwan"]
FIRST_F = ["Siti", "Sri", "Dewi", "Rina", "Yuni", "Nurul", "Fitri", "Ratna", "Endang", "Lestari",
           "Ayu", "Novita", "Maria", "Kadek", "Erna", "Wulan", "Anisa", "Rahmawati", "Dian",
           "Yohana", "Indah", "Tri", "Nining", "Meiliana", "Ni Luh", "Hartini", "Desi", "Fransiska"]
LAST = ["Wahyuni", "Santoso", "Saputra", "Hidayat", "Pratama", "Siregar", "Nasution", "Harahap",
        "Simanjuntak", "Lubis", "Sitompul", "Rahardjo", "Wibowo", "Susanto", "Kurniasih",
        "Setiawan", "Purnomo", "Hasibuan", "Manurung", "Pattiasina", "Wenda", "Rumbiak",
        "Mandagi", "Lumban Gaol", "Tanjung", "Daeng Matutu", "Ginting", "Sembiring", "Effendi",
        "Maharani", "Nugroho", "Kusuma", "Syamsuddin", "Rasyid", "Sinaga", "Tambunan", "Lamba",
        "Hutapea", "Suryani", "Anggraini", "Sulistyo", "Paembonan", "Kaunang", "Bahar", "Yusuf"]
# Some display names carry non-ASCII letters (exercise encoded headers).
ACCENTED = ["René Pattiasina", "Dévi Anggraini", "José Ximenes", "Stéfanus Dacosta",
            "Chrisanthé Wenas", "Ñoman Subrata"]

AGENCIES = [  # (short, long)
    ("BPKAD", "Badan Pengelolaan Keuangan dan Aset Daerah"),
    ("BKAD", "Badan Keuangan dan Aset Daerah"),
    ("BPKPD", "Badan Pengelolaan Keuangan dan Pendapatan Daerah"),
    ("BPKD", "Badan Pengelolaan Keuangan Daerah"),
    ("DPPKAD", "Dinas Pendapatan, Pengelolaan Keuangan dan Aset Daerah"),
    ("BKD", "Badan Keuangan Daerah"),
]

JABATAN = ["Kepala Bidang Anggaran", "Kasubbid Dana Transfer", "Kabid Perbendaharaan",
           "Staf Bidang Akuntansi", "Analis Keuangan Pusat dan Daerah Ahli Muda",
           "Kasubbid Pendapatan Transfer", "Pengelola Data Keuangan", "Sekretaris",
           "Bendahara Umum Daerah", "Kabid Pendapatan", "Operator SIKD", "Kuasa BUD"]

LOCAL_PARTS = ["bpkad", "bkad", "keuangan", "anggaran", "akuntansi", "perbendaharaan",
               "bidang.anggaran", "dana.transfer", "setda.keu", "bud", "pendapatan", "sekretariat"]
SUBDOMAIN_HOSTS = ["bpkad", "bkad", "bpkpd", "keuangan", "bkd", "mail"]

PERSONAL_HOSTS = ["gmail.com", "gmail.com", "gmail.com", "yahoo.co.id", "yahoo.com",
                  "outlook.com", "gmail.com", "yahoo.co.id", "hotmail.com", "ymail.com"]

MAILERS = {
    "gmail.com": None,
    "yahoo.co.id": "WebService/1.1.22077 YMailNorrin",
    "yahoo.com": "WebService/1.1.22103 YMailNodin",
    "ymail.com": "WebService/1.1.22077 YMailNorrin",
    "outlook.com": None,
    "hotmail.com": None,
}
GOV_MAILERS = ["Zimbra 8.8.15_GA_4562 (ZimbraWebClient - GC122 (Win)/8.8.15_GA_4562)",
               "Roundcube Webmail/1.4.13", "Microsoft Outlook 16.0", None, None,
               "Mozilla Thunderbird 115.8.1", "Horde Application Framework 5"]

MINISTRIES = [  # (name, domain, unit)
    ("Kementerian Dalam Negeri", "kemendagri.go.id", "Direktorat Jenderal Bina Keuangan Daerah"),
    ("Kementerian Pendidikan, Kebudayaan, Riset, dan Teknologi", "kemdikbud.go.id",
     "Biro Perencanaan"),
    ("Kementerian Kesehatan", "kemkes.go.id", "Biro Perencanaan dan Anggaran"),
    ("Kementerian PPN/Bappenas", "bappenas.go.id", "Direktorat Otonomi Daerah"),
    ("Kementerian Desa PDTT", "kemendesa.go.id", "Direktorat Jenderal PDP"),
    ("Kementerian Pekerjaan Umum dan Perumahan Rakyat", "pu.go.id", "Biro Perencanaan Anggaran"),
    ("Badan Pemeriksa Keuangan", "bpk.go.id", "Auditorat Keuangan Negara VI"),
    ("Badan Pusat Statistik", "bps.go.id", "Direktorat Statistik Keuangan"),
    ("Kementerian Pertanian", "pertanian.go.id", "Biro Perencanaan"),
    ("Kementerian Agama", "kemenag.go.id", "Biro Perencanaan"),
]

UNIVERSITIES = [  # (name, domain, student-mail subdomain or '')
    ("Universitas Gadjah Mada", "ugm.ac.id", "mail.ugm.ac.id"),
    ("Universitas Indonesia", "ui.ac.id", "ui.ac.id"),
    ("Universitas Brawijaya", "ub.ac.id", "student.ub.ac.id"),
    ("Universitas Hasanuddin", "unhas.ac.id", "student.unhas.ac.id"),
    ("Universitas Sumatera Utara", "usu.ac.id", "students.usu.ac.id"),
    ("Universitas Diponegoro", "undip.ac.id", "students.undip.ac.id"),
    ("Politeknik Keuangan Negara STAN", "pknstan.ac.id", "pknstan.ac.id"),
    ("Universitas Andalas", "unand.ac.id", "student.unand.ac.id"),
    ("Universitas Cenderawasih", "uncen.ac.id", "uncen.ac.id"),
    ("Universitas Padjadjaran", "unpad.ac.id", "mail.unpad.ac.id"),
]

MONTHS_ID = ["Januari", "Februari", "Maret", "April", "Mei", "Juni", "Juli", "Agustus",
             "September", "Oktober", "November", "Desember"]
DAYS_ID = ["Sen", "Sel", "Rab", "Kam", "Jum", "Sab", "Min"]
DAYS_ID_FULL = ["Senin", "Selasa", "Rabu", "Kamis", "Jumat", "Sabtu", "Minggu"]
