"""Turn a scenario (subject, body, attachment names, options) into an RFC 5322 message."""

import compose
import data
import mime


def host_of(addr):
    return addr.rsplit("@", 1)[-1].lower()


def client_of(addr):
    h = host_of(addr)
    if h.startswith("gmail"):
        return "gmail"
    if "yahoo" in h or h == "ymail.com":
        return "yahoo"
    if h in ("outlook.com", "hotmail.com", "outlook.co.id", "live.com"):
        return "outlook"
    return "gov"


def make_msgid(c, addr, mailer=None):
    rng = c.rng
    while True:
        cl, h = client_of(addr), host_of(addr)
        alnum = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
        if cl == "gmail":
            mid = "<CA%s@mail.gmail.com>" % "".join(rng.choice(alnum + "+_-") for _ in range(50))
        elif cl == "yahoo":
            mid = "<%d.%d.%d@mail.yahoo.com>" % (rng.randint(10 ** 8, 10 ** 9),
                                                 rng.randint(10 ** 6, 10 ** 7),
                                                 int(c.date.timestamp() * 1000))
        elif cl == "outlook":
            box = "SEZPR0%dMB%04d" % (rng.randint(1, 6), rng.randint(1000, 9999))
            mid = "<%s%s@%s.apcprd06.prod.outlook.com>" % (
                box, "".join(rng.choice("0123456789ABCDEF") for _ in range(16)), box)
        else:
            style = rng.randint(0, 2)
            if mailer:
                style = 0 if "Zimbra" in mailer else (1 if "Roundcube" in mailer or "Horde" in mailer
                                                      else 2)
            if style == 0:
                mid = "<%d.%d.%d.JavaMail.zimbra@%s>" % (rng.randint(10 ** 8, 10 ** 9),
                                                         rng.randint(10 ** 5, 10 ** 6),
                                                         int(c.date.timestamp() * 1000), h)
            elif style == 1:
                mid = "<%032x@%s>" % (rng.getrandbits(128), h)
            else:
                mid = "<%s.%08x@%s>" % (c.date.strftime("%Y%m%d%H%M%S"), rng.getrandbits(32), h)
        if mid not in compose._SEEN_IDS:
            compose._SEEN_IDS.add(mid)
            return mid


def pick_text_kind(c, addr):
    """(kind, cte, charset, html flavour)"""
    rng, cl = c.rng, client_of(addr)
    r = rng.random()
    if cl == "gmail":
        if r < 0.75:
            return ("alt", rng.choice(["7bit", "quoted-printable", "base64"]), "utf-8", "gmail")
        return ("plain", "quoted-printable", "utf-8", None)
    if cl == "yahoo":
        if r < 0.6:
            return ("alt", "quoted-printable", "utf-8", "yahoo")
        if r < 0.8:
            return ("plain", "8bit", "iso-8859-1", None)
        return ("html", "quoted-printable", "utf-8", "yahoo")
    if cl == "outlook":
        if r < 0.6:
            return ("alt", rng.choice(["quoted-printable", "base64"]), "utf-8", "outlook")
        return ("html", "base64", "utf-8", "outlook")
    if r < 0.35:
        return ("plain", "8bit", "utf-8", None)
    if r < 0.5:
        return ("plain", "quoted-printable", "utf-8", None)
    if r < 0.6:
        return ("plain", "base64", "utf-8", None)
    if r < 0.7:
        return ("plain", rng.choice(["8bit", "quoted-printable"]), "iso-8859-1", None)
    if r < 0.82:
        return ("html", rng.choice(["quoted-printable", "8bit"]), "utf-8", "zimbra")
    return ("alt", "quoted-printable", "utf-8", rng.choice(["zimbra", "outlook"]))


def boundary(c, cl):
    rng = c.rng
    if cl == "gmail":
        return "000000000000%012x" % rng.getrandbits(48)
    if cl == "outlook":
        return "_%03d_SEZPR06MB%04d_" % (rng.randint(0, 9), rng.randint(1000, 9999))
    if cl == "yahoo":
        return "----=_Part_%d_%d.%d" % (rng.randint(10 ** 5, 10 ** 6), rng.randint(10 ** 8, 10 ** 9),
                                        int(c.date.timestamp() * 1000))
    return "=_%016x" % rng.getrandbits(64)


def text_tree(c, S, addr, body):
    kind, cte, cs, flavor = S.get("shape") or pick_text_kind(c, addr)
    cl = client_of(addr)
    if kind == "plain":
        return mime.text_part(body, "plain", cs, cte, quote=c.chance(0.5))
    html = mime.to_html(body, flavor or "zimbra")
    if kind == "html":
        return mime.text_part(html, "html", cs, cte, quote=True)
    pcte = "7bit" if cte == "7bit" else ("quoted-printable" if cte != "base64" else "base64")
    p1 = mime.join_part(*mime.text_part(body, "plain", cs, pcte, quote=cl != "gmail"))
    p2 = mime.join_part(*mime.text_part(html, "html", cs, "quoted-printable" if cte == "7bit"
                                        else cte, quote=True))
    return mime.multipart("alternative", [p1, p2], boundary(c, cl))


def build(c, S):
    rng = c.rng
    name, addr = S.get("from") or c.sender()
    cl = client_of(addr)
    to_name = rng.choice(compose.MAILBOX_NAME[c.mailbox])
    to = S.get("to") or mime.addr(to_name, compose.MAILBOX_ADDR[c.mailbox])
    subj_enc = S.get("subj_enc", rng.choice([None] * 7 + ["B", "Q"]))
    name_enc = S.get("name_enc", rng.choice([None] * 5 + ["B", "Q"]))
    mailer = S.get("mailer", data.MAILERS.get(host_of(addr), rng.choice(data.GOV_MAILERS)))
    mid = S.get("msgid") or make_msgid(c, addr, mailer)

    hdrs = []
    if S.get("received", rng.random() < 0.6):
        hdrs.append("Return-Path: <%s>" % addr)
        ip = "%s.%d" % (rng.choice(["192.0.2", "198.51.100", "203.0.113"]), rng.randint(2, 250))
        hdrs.append("Received: from %s (%s [%s])\r\n\tby mx.djpk.test (Postfix) with ESMTPS id "
                    "%010X\r\n\tfor <%s>; %s" % (
                        "mail-" + host_of(addr).split(".")[0] + ".out" if cl != "gov"
                        else "mail." + host_of(addr), "unknown", ip, rng.getrandbits(40),
                        compose.MAILBOX_ADDR[c.mailbox], c.date_header()))
    hdrs.extend(S.get("extra_top", []))
    hdrs.append("From: " + mime.addr(name, addr, name_enc))
    hdrs.append("To: " + to)
    if S.get("cc"):
        hdrs.append("Cc: " + S["cc"])
    hdrs.append(mime.subject_header(S["subject"], subj_enc))
    hdrs.append("Date: " + c.date_header())
    hdrs.append("Message-ID: " + mid)
    if S.get("reply"):
        rid = "<%032x@djpk.test>" % rng.getrandbits(128)
        hdrs.append("In-Reply-To: " + rid)
        hdrs.append("References: " + rid)
    if mailer:
        hdrs.append(("User-Agent: " if "Thunderbird" in mailer or "Roundcube" in mailer
                     else "X-Mailer: ") + mailer)
    hdrs.extend(S.get("extra", []))
    hdrs.extend(c.extra)
    hdrs.append("MIME-Version: 1.0")

    body = S.get("body", "")
    if body:
        body = body.strip("\n") + "\n"
    atts = S.get("atts", [])
    if not atts:
        ct, payload = text_tree(c, S, addr, body)
        return mime.message(hdrs, ct, payload)
    att_style = S.get("att_style") or rng.choice(["plain"] * 5 + ["2231", "2231", "2047"])
    parts = []
    if body or not S.get("no_text", rng.random() < 0.4):
        parts.append(mime.join_part(*text_tree(c, S, addr, body)))
    for a in atts:
        fname, style = (a if isinstance(a, tuple) else (a, att_style))
        parts.append(mime.join_part(*mime.attachment_part(fname, mime.fake_content(fname, rng),
                                                          style)))
    ct, payload = mime.multipart("mixed", parts, boundary(c, cl))
    return mime.message(hdrs, ct, payload)
