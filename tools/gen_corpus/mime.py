"""Hand-rolled MIME writer: full control over every byte, CRLF line endings."""

import base64
import io
import urllib.parse
import zipfile

CRLF = "\r\n"

CTYPES = {
    "pdf": "application/pdf",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "xls": "application/vnd.ms-excel",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "doc": "application/msword",
    "jpg": "image/jpeg",
    "jpeg": "image/jpeg",
    "png": "image/png",
    "zip": "application/zip",
    "rar": "application/x-rar-compressed",
}


# ---------------------------------------------------------------- header encoding
def is_ascii(s):
    return all(ord(ch) < 128 for ch in s)


def enc_b(s, charset="UTF-8"):
    """RFC 2047 B-encoding, split into words of at most ~45 raw bytes (one per line)."""
    raw = s.encode("utf-8" if charset.upper() == "UTF-8" else charset)
    words, chunk = [], b""
    for ch in s:
        b = ch.encode("utf-8" if charset.upper() == "UTF-8" else charset)
        if len(chunk) + len(b) > 42:
            words.append(chunk)
            chunk = b""
        chunk += b
    if chunk or not raw:
        words.append(chunk)
    return (CRLF + " ").join("=?%s?B?%s?=" % (charset, base64.b64encode(w).decode()) for w in words)


def enc_q(s, charset="iso-8859-1"):
    try:
        s.encode(charset)
    except UnicodeEncodeError:
        charset = "UTF-8"
    out = []  # one token per character, so that a word never splits a character
    for ch in s:
        if ch == " ":
            out.append("_")
        elif ch.isascii() and (ch.isalnum() or ch in "!*+-/"):
            out.append(ch)
        else:
            out.append("".join("=%02X" % b for b in ch.encode(charset)))
    words, cur = [], ""
    for tok in out:
        if len(cur) + len(tok) > 50:
            words.append(cur)
            cur = ""
        cur += tok
    words.append(cur)
    return (CRLF + " ").join("=?%s?Q?%s?=" % (charset, w) for w in words)


def fold(name, value):
    """Fold an unstructured header at spaces so that lines stay below 78 chars."""
    line = name + ": "
    out = []
    for word in value.split(" "):
        if len(line) + len(word) + 1 > 76 and line.strip() and not line.endswith(": "):
            out.append(line.rstrip(" "))
            line = " "
        line += word + " "
    out.append(line.rstrip(" "))
    return CRLF.join(out)


def subject_header(subject, enc=None):
    if enc == "B" or (enc is None and not is_ascii(subject)):
        return "Subject: " + enc_b(subject)
    if enc == "Q":
        return "Subject: " + enc_q(subject)
    return fold("Subject", subject)


def addr(name, address, enc=None):
    if not name:
        return address
    if enc == "B" or (enc is None and not is_ascii(name)):
        return "%s <%s>" % (enc_b(name), address)
    if enc == "Q":
        return "%s <%s>" % (enc_q(name), address)
    if any(c in name for c in ',.;:()"'):
        return '"%s" <%s>' % (name.replace('"', ""), address)
    return "%s <%s>" % (name, address)


# ---------------------------------------------------------------- body encoding
def qp_encode(text, charset):
    data = text.encode(charset, "replace")
    lines = data.split(b"\n")
    out = []
    for ln in lines:
        ln = ln.rstrip(b"\r")
        enc = ""
        for i, b in enumerate(ln):
            c = chr(b)
            if b == 0x3D or b > 126 or (b < 32 and c != "\t"):
                tok = "=%02X" % b
            elif c in " \t" and i == len(ln) - 1:
                tok = "=%02X" % b
            else:
                tok = c
            enc += tok
        while len(enc) > 75:
            cut = 75
            while enc[cut - 1] == "=" or enc[cut - 2] == "=":
                cut -= 1
            out.append(enc[:cut] + "=")
            enc = enc[cut:]
        out.append(enc)
    return CRLF.join(out)


def b64_lines(data):
    s = base64.b64encode(data).decode()
    return CRLF.join(s[i:i + 76] for i in range(0, len(s), 76))


def text_part(text, subtype="plain", charset="utf-8", cte="8bit", flowed=False, quote=False):
    """Return (headers, body) for one text part."""
    if charset.lower() != "utf-8":
        try:
            text.encode(charset)
        except UnicodeEncodeError:  # a real client would fall back to UTF-8
            charset = "utf-8"
    if charset.lower() != "utf-8" and cte == "8bit":
        data = text.encode(charset, "replace")
    else:
        data = text.encode("utf-8" if charset.lower() == "utf-8" else charset, "replace")
    if cte == "8bit" or cte == "7bit":
        if cte == "7bit" and not all(b < 128 for b in data):
            cte = "8bit"
        body = data.decode(charset, "replace").replace("\r\n", "\n").replace("\n", CRLF)
        body_bytes = body.encode(charset, "replace")
    elif cte == "quoted-printable":
        body_bytes = qp_encode(text, charset).encode("ascii")
    else:
        body_bytes = b64_lines(data).encode("ascii")
    cs = charset.upper() if charset == "utf-8" and flowed else charset
    ct = "text/%s; charset=%s" % (subtype, ('"%s"' % cs) if quote else cs)
    if flowed:
        ct += "; format=flowed"
    hdrs = ["Content-Type: " + ct, "Content-Transfer-Encoding: " + cte]
    return hdrs, body_bytes


def to_html(text, flavor="gmail"):
    esc = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    paras = esc.split("\n\n")
    if flavor == "gmail":
        inner = "".join("<div>%s</div><div><br></div>" % p.replace("\n", "<br>") for p in paras)
        return '<div dir="ltr">%s</div>\n' % inner
    if flavor == "outlook":
        inner = "\n".join('<p class="MsoNormal">%s<o:p></o:p></p>' % p.replace("\n", "<br>\n")
                          for p in paras)
        return ('<html xmlns:o="urn:schemas-microsoft-com:office:office">\n<head>\n'
                '<meta http-equiv="Content-Type" content="text/html; charset=utf-8">\n'
                '<style>p.MsoNormal{margin:0cm;font-size:11.0pt;font-family:"Calibri",sans-serif;}'
                '</style>\n</head>\n<body lang="EN-US">\n<div class="WordSection1">\n'
                + inner + "\n</div>\n</body>\n</html>\n")
    inner = "\n".join("<p>%s</p>" % p.replace("\n", "<br />\n") for p in paras)
    return "<html><head></head><body style=\"font-family: arial, helvetica;\">\n%s\n</body></html>\n" % inner


# ---------------------------------------------------------------- attachments
def fake_content(filename, rng):
    ext = filename.rsplit(".", 1)[-1].lower() if "." in filename else "bin"
    title = filename.rsplit(".", 1)[0]
    noise = bytes(rng.getrandbits(8) for _ in range(rng.randint(120, 260)))
    if ext == "pdf":
        t = title.encode("latin-1", "replace")
        return (b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Title (" + t + b") /Producer "
                b"(Microsoft Word 2016) >>\nendobj\n2 0 obj\n<< /Length " + str(len(noise)).encode()
                + b" /Filter /FlateDecode >>\nstream\n" + noise + b"\nendstream\nendobj\n"
                b"trailer\n<< /Root 1 0 R >>\n%%EOF\n")
    if ext in ("xlsx", "docx", "zip"):
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w", zipfile.ZIP_STORED) as z:
            zi = zipfile.ZipInfo("[Content_Types].xml", date_time=(2024, 3, 1, 8, 0, 0))
            z.writestr(zi, '<?xml version="1.0"?><Types><!-- %s --></Types>' % title)
            zi = zipfile.ZipInfo("docProps/app.xml", date_time=(2024, 3, 1, 8, 0, 0))
            z.writestr(zi, noise[:80].hex())
        return buf.getvalue()
    if ext in ("jpg", "jpeg"):
        return (b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00H\x00H\x00\x00\xff\xdb\x00C\x00"
                + noise + b"\xff\xd9")
    if ext == "png":
        return b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + noise
    if ext in ("xls", "doc"):
        return b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + noise
    return noise


def attachment_part(filename, data, style="plain", ctype=None):
    ext = filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
    ct = ctype or CTYPES.get(ext, "application/octet-stream")
    if style == "2231":
        q = urllib.parse.quote(filename, safe="")
        if len(q) > 60:
            parts = [q[i:i + 60] for i in range(0, len(q), 60)]
            fn = ";" + ";".join("\r\n\tfilename*%d*=%s%s" % (i, "UTF-8''" if i == 0 else "", p)
                                for i, p in enumerate(parts))
        else:
            fn = ";\r\n\tfilename*=UTF-8''" + q
        hdrs = ["Content-Type: %s;\r\n\tname*=UTF-8''%s" % (ct, q[:60] if len(q) <= 60 else q),
                "Content-Disposition: attachment" + fn]
    elif style == "2047":
        e = enc_b(filename).replace(CRLF + " ", "")
        hdrs = ['Content-Type: %s; name="%s"' % (ct, e),
                'Content-Disposition: attachment; filename="%s"' % e]
    elif style == "noname":  # only a name= parameter, no Content-Disposition filename
        hdrs = ['Content-Type: %s; name="%s"' % (ct, filename)]
    else:
        hdrs = ['Content-Type: %s; name="%s"' % (ct, filename),
                'Content-Disposition: attachment; filename="%s"' % filename]
    hdrs.append("Content-Transfer-Encoding: base64")
    return hdrs, b64_lines(data).encode("ascii")


# ---------------------------------------------------------------- assembly
def join_part(hdrs, body):
    return (CRLF.join(hdrs) + CRLF + CRLF).encode("utf-8") + body


def multipart(subtype, parts, boundary):
    out = [b"This is a multi-part message in MIME format.\r\n"] if subtype == "mixed" else []
    for p in parts:
        out.append(b"\r\n--" + boundary.encode() + b"\r\n" + p)
    out.append(b"\r\n--" + boundary.encode() + b"--\r\n")
    hdrs = ['Content-Type: multipart/%s;\r\n\tboundary="%s"' % (subtype, boundary)]
    return hdrs, b"".join(out)


def message(headers, ctype_hdrs, body):
    """headers: list of already formatted header lines (may contain CRLF folds)."""
    head = CRLF.join(headers + ctype_hdrs) + CRLF + CRLF
    if not body.endswith(b"\r\n"):
        body += b"\r\n"
    return head.encode("utf-8") + body
