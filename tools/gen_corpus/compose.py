"""Context for writing one message (who, where, when) and turning a scenario into bytes."""

import datetime as dt
import re

import data

MAILBOX_ADDR = {"lapor": "lapor@djpk.test", "callcenter": "callcenter@djpk.test"}
MAILBOX_NAME = {"lapor": ["Lapor DJPK", "lapor djpk", "", "", "Email Lapor DJPK"],
                "callcenter": ["Call Center DJPK", "callcenter djpk", "", "", "Contact Center DJPK"]}

_SEEN_IDS = set()

KIND_WORD = {"kab": "Kabupaten", "kota": "Kota", "prov": "Provinsi"}
KIND_ABBR = {"kab": "Kab.", "kota": "Kota", "prov": "Prov."}
PEM = {"kab": "Pemkab", "kota": "Pemkot", "prov": "Pemprov"}


def lc(s):
    """Lower-case the first letter, as people typing quickly do (not acronyms)."""
    return s[0].lower() + s[1:] if len(s) > 1 and s[1].islower() else s


def slug(s):
    return re.sub(r"[^a-z0-9]", "", s.lower())


class Ctx:
    """Everything a scenario needs to write a message from one sender."""

    def __init__(self, rng, mailbox, regions=data.REGIONS, sender=None, tag=None, region=None):
        self.rng = rng
        self.mailbox = mailbox
        pool = [r for r in regions if tag is None or tag in r[5]] or regions
        self.r = region or rng.choice(pool)
        self.kind, self.rname, self.domain, self.tz, self.prov, self.tags = self.r
        female = rng.random() < 0.45
        if rng.random() < 0.04:
            self.person = rng.choice(data.ACCENTED)
        else:
            self.person = "%s %s" % (rng.choice(data.FIRST_F if female else data.FIRST_M),
                                     rng.choice(data.LAST))
        self.jabatan = rng.choice(data.JABATAN)
        self.agency, self.agency_long = rng.choice(data.AGENCIES)
        self.sender_kind = sender or rng.choice(["pemda", "pemda", "pemda-sub", "pemda-gmail",
                                                 "personal", "personal"])
        self.ministry = rng.choice(data.MINISTRIES)
        self.univ = rng.choice(data.UNIVERSITIES)
        if self.sender_kind == "ministry":
            self.tz = "WIB"
        elif self.sender_kind == "univ":
            self.tz = {"unhas.ac.id": "WITA", "uncen.ac.id": "WIT"}.get(self.univ[1], "WIB")
        self.date = self._date()
        self.extra = []  # extra header lines

    # ------------------------------------------------------------ region labels
    def reg(self, style=None):
        k, n = self.kind, self.rname
        style = style or self.rng.choice(["full", "abbr", "abbr", "pem", "short"])
        if k == "prov" and style in ("abbr", "pem", "short") and self.prov != n:
            n2 = self.prov if self.rng.random() < 0.5 else n
        else:
            n2 = n
        if style == "full":
            return "%s %s" % (KIND_WORD[k], n)
        if style == "abbr":
            return "%s %s" % (KIND_ABBR[k], n2)
        if style == "pem":
            return "%s %s" % (PEM[k], n2)
        if style == "gov":
            return "Pemerintah %s %s" % (KIND_WORD[k], n)
        if style == "upper":
            return ("%s %s" % (KIND_WORD[k], n)).upper()
        # short: "Kab Cilacap", "Kota Dumai", "Prov Jatim"
        return "%s %s" % ({"kab": "Kab", "kota": "Kota", "prov": "Prov"}[k], n2)

    def agency_reg(self):
        return "%s %s" % (self.agency, self.reg(self.rng.choice(["full", "abbr", "short"])))

    def pick(self, *opts):
        return self.rng.choice(opts)

    def chance(self, p):
        return self.rng.random() < p

    # ------------------------------------------------------------ sender
    def sender(self):
        rng, k = self.rng, self.sender_kind
        first, _, last = self.person.partition(" ")
        base = slug(first) + rng.choice([".", "", "_"]) + slug(last.split(" ")[-1] or "x")
        name = self.person
        if k == "pemda":
            addr = "%s@%s" % (rng.choice(data.LOCAL_PARTS), self.domain)
            name = rng.choice([self.agency_reg(), self.person, "", self.agency + " " + self.rname])
        elif k == "pemda-sub":
            host = rng.choice(data.SUBDOMAIN_HOSTS)
            addr = "%s@%s.%s" % (rng.choice(["admin", "sekretariat", "anggaran", "info",
                                             "akuntansi", slug(first)]), host, self.domain)
            unit = host.upper() if host not in ("mail", "keuangan") else self.agency
            name = rng.choice([self.person, unit + " " + self.reg("abbr"), ""])
        elif k == "pemda-gmail":
            host = rng.choice(["gmail.com", "gmail.com", "yahoo.co.id", "yahoo.com"])
            addr = "%s%s%s%s@%s" % (rng.choice(["bpkad", "bkad", "keuangan", "dbh", "bidanganggaran",
                                                 self.agency.lower()]),
                                    rng.choice(["", ".", "_"]),
                                    {"kab": "kab", "kota": "kota", "prov": "prov"}[self.kind],
                                    slug(self.rname), host)
            name = rng.choice([self.agency_reg(), self.agency_reg().upper(), "", self.agency])
        elif k == "ministry":
            mname, mdom, unit = self.ministry
            addr = "%s@%s" % (rng.choice([base, slug(first) + "." + slug(last.split(" ")[-1]),
                                          "roren", "tu.dirjen", "persuratan", "sekretariat"]), mdom)
            name = rng.choice([self.person, self.person, unit, ""])
        elif k == "univ":
            uname, udom, sdom = self.univ
            if rng.random() < 0.6:
                addr = "%s%s@%s" % (base, rng.choice(["", str(rng.randint(18, 23))]), sdom)
            else:
                addr = "%s%d@%s" % (base, rng.randint(1, 99), rng.choice(["gmail.com", "yahoo.com"]))
        else:  # personal / public
            host = rng.choice(data.PERSONAL_HOSTS)
            addr = "%s%s@%s" % (base, rng.choice(["", str(rng.randint(70, 99)),
                                                  str(rng.randint(1, 999)), ""]), host)
            name = rng.choice([self.person, self.person.lower(), self.person.upper(), self.person])
        return name, addr.lower()

    # ------------------------------------------------------------ time
    def _date(self):
        rng = self.rng
        day = rng.randint(1, 31)
        r = rng.random()
        if r < 0.80:
            hour = rng.randint(7, 15)
        elif r < 0.92:
            hour = rng.randint(16, 22)
        else:
            hour = rng.choice([0, 1, 5, 6, 23])
        off = data.TZ_OFFSET[self.tz]
        return dt.datetime(2024, 3, day, hour, rng.randint(0, 59), rng.randint(0, 59),
                           tzinfo=dt.timezone(dt.timedelta(hours=off)))

    def date_header(self, d=None):
        d = d or self.date
        day = d.strftime("%a")
        fmt = "%s, %02d %s" if self.chance(0.3) else "%s, %d %s"
        return (fmt % (day, d.day, d.strftime("%b %Y %H:%M:%S %z")))

    def when_id(self, d, long=False):
        """Indonesian date text as mail clients print it in quote headers."""
        if long:
            return "%s, %d %s %d pukul %02d.%02d" % (data.DAYS_ID_FULL[d.weekday()], d.day,
                                                     data.MONTHS_ID[d.month - 1], d.year,
                                                     d.hour, d.minute)
        return "%s, %d %s %d pukul %02d.%02d" % (data.DAYS_ID[d.weekday()], d.day,
                                                 data.MONTHS_ID[d.month - 1][:3], d.year,
                                                 d.hour, d.minute)

    def earlier(self, days=None):
        days = days if days is not None else self.rng.randint(1, 20)
        d = self.date - dt.timedelta(days=days, hours=self.rng.randint(0, 5))
        if d.month != 3:
            d = d.replace(month=3, day=1)
        return d

    # ------------------------------------------------------------ text helpers
    def sig(self, style=None):
        style = style or self.pick("full", "full", "short", "agency", "name")
        if style == "full":
            tel = ("\nTelp.\xa0(0%d) %d" % (self.rng.randint(211, 986), self.rng.randint(310000, 899999))
                   if self.chance(0.4) else "")
            return "%s\n%s\n%s %s%s" % (self.person, self.jabatan, self.agency, self.reg("full"), tel)
        if style == "short":
            return "Salam,\n%s\n%s" % (self.person, self.agency_reg())
        if style == "agency":
            return "%s\n%s" % (self.agency_long, self.reg("gov"))
        return "%s - %s" % (self.person, self.agency_reg())

    def sig_min(self):
        mname, mdom, unit = self.ministry
        return "%s\n%s\n%s" % (self.person, unit, mname)

    def sig_univ(self, prog=None):
        prog = prog or self.pick("Program Studi Ilmu Ekonomi", "Magister Ekonomi Pembangunan",
                                 "Program Studi Akuntansi", "Magister Administrasi Publik",
                                 "Departemen Ilmu Pemerintahan")
        return "%s\n%s\n%s" % (self.person, prog, self.univ[0])

    def salam(self, formal=True):
        if formal:
            return self.pick("Dengan hormat,", "Yth. Bapak/Ibu Direktorat Jenderal Perimbangan "
                             "Keuangan\ndi Jakarta\n\nDengan hormat,", "Kepada Yth.\nDirektur "
                             "Jenderal Perimbangan Keuangan\nc.q. %s\n\nDengan hormat," % (
                                 "Petugas Email Lapor" if self.mailbox == "lapor"
                                 else "Contact Center DJPK"),
                             "Assalamualaikum Wr. Wb.\n\nDengan hormat,",
                             "Selamat %s,\n\nDengan hormat," % self.daytime())
        w = self.daytime()
        return self.pick("Selamat %s Bapak/Ibu," % w, "%s pak/bu," % w, "Selamat %s," % w,
                         "Assalamualaikum,", "%s min," % w.title(), "Halo DJPK,", "Yth. Admin,",
                         "yth bpk/ibu,", "yth. petugas djpk",
                         "Shalom, selamat %s," % w)

    def typo(self, text, n=None):
        """Hurried typing: swap or drop a letter in one or two longer words."""
        words = text.split(" ")
        idx = [i for i, w in enumerate(words) if len(w) > 5 and w.isalpha() and w.islower()]
        for i in self.rng.sample(idx, min(len(idx), n or self.rng.randint(1, 2))):
            w, k = words[i], self.rng.randint(1, len(words[i]) - 3)
            words[i] = (w[:k] + w[k + 1] + w[k] + w[k + 2:]) if self.chance(0.6) else w[:k] + w[k + 1:]
        return " ".join(words)

    def daytime(self):
        h = self.date.hour
        return "pagi" if h < 11 else "siang" if h < 15 else "sore" if h < 18 else "malam"

    def tutup(self, formal=True):
        if formal:
            return self.pick("Demikian kami sampaikan, atas perhatian dan kerja samanya diucapkan "
                             "terima kasih.", "Demikian disampaikan, atas perhatiannya kami ucapkan "
                             "terima kasih.", "Atas perhatian Bapak/Ibu kami ucapkan terima kasih.",
                             "Demikian, terima kasih.")
        return self.pick("Terima kasih.", "Makasih bu/pak.", "trims", "Terima kasih banyak "
                         "atas bantuannya.", "Mohon pencerahannya, terima kasih.", "tks")

    def forward(self, orig_name, orig_addr, orig_to, orig_subject, orig_body, note="",
                style=None, when=None):
        when = when or self.earlier()
        style = style or self.pick("gmail", "outlook", "yahoo")
        if style == "gmail":
            hdr = ("---------- Forwarded message ---------\nDari: %s <%s>\nDate: %s\n"
                   "Subject: %s\nTo: %s" % (orig_name, orig_addr, self.when_id(when, True),
                                            orig_subject, ("<%s>" % orig_to) if "@" in orig_to
                                            else orig_to))
        elif style == "outlook":
            hdr = ("________________________________\nFrom: %s <%s>\nSent: %s\nTo: %s\n"
                   "Subject: %s" % (orig_name, orig_addr, when.strftime("%A, %B %d, %Y %I:%M %p"),
                                    orig_to, orig_subject))
        else:
            hdr = ("----- Pesan yang Diteruskan -----\nDari: %s <%s>\nKepada: %s\nTerkirim: %s\n"
                   "Judul: %s" % (orig_name, orig_addr, orig_to, self.when_id(when), orig_subject))
        return (note + "\n\n" if note else "\n") + hdr + "\n\n" + orig_body

    def quote(self, body, who, addr, when=None):
        when = when or self.earlier(self.rng.randint(1, 6))
        q = "\n".join(("> " + ln) if ln else ">" for ln in body.split("\n"))
        return "Pada %s %s <%s> menulis:\n\n%s" % (self.when_id(when), who, addr, q)

    # ------------------------------------------------------------ letters and files
    def nomor(self):
        n = self.rng.randint(12, 980)
        ag = self.agency
        return self.pick("900.1.13.1/%d/%s/2024" % (n, ag), "973/%d/%s" % (n, ag),
                         "B-%d/%s.03/III/2024" % (n, ag), "900/%d/%s.III/2024" % (n, ag),
                         "%d/%s-BID.ANG/III/2024" % (n, ag), "900.1.13/%d/2024" % n)

    def fn(self, text, ext="pdf", keep_case=False):
        """An attachment file name in one of the ways people name files."""
        style = self.pick("space", "space", "under", "upper", "dash", "lower")
        if keep_case and style in ("upper", "lower"):
            style = "under"
        if style == "under":
            text = text.replace(" ", "_")
        elif style == "upper":
            text = text.upper().replace(" ", "_")
        elif style == "dash":
            text = text.replace(" ", "-")
        elif style == "lower":
            text = text.lower()
        if self.chance(0.15):
            ext = ext.upper()
        return "%s.%s" % (text, ext)

    def short_reg(self):
        """Region as written in file names: 'Kab Brebes', 'Kota Dumai', 'Prov Jatim'."""
        return self.reg(self.pick("short", "short", "abbr")).replace(".", "")
