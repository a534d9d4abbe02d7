#!/usr/bin/env python3
"""imaptool.py - poke at the mailboxes of the pilah test mail stack (stdlib only).

  imaptool.py append  --user ADDR [--folder INBOX] [--date-from-header | --date ISO | --shift-to-month YYYY-MM] FILE.eml...
  imaptool.py sample-month FILE.eml...   # the latest month the files can be shifted to, all in the past
  imaptool.py folders --user ADDR
  imaptool.py show    --user ADDR [--folder F]
  imaptool.py wait    --user ADDR --count N [--timeout 30] [--folder INBOX]

Connection settings come from the options, else from the PILAH_* environment
variables (`eval "$(scripts/mailstack.sh env)"`), else from the stack.env that
`scripts/mailstack.sh start` wrote, else from the defaults (127.0.0.1:10143,
password pilah-test).  Every address is a mailbox: log in with the full address.
"""

import argparse
import base64
import calendar
import datetime as dt
import email.header
import email.utils
import imaplib
import os
import re
import ssl
import sys
import time
from pathlib import Path

REPO_DIR = Path(__file__).resolve().parent.parent


def stack_settings():
    """PILAH_* settings: environment first, then <state>/stack.env, then defaults."""
    values = {
        "PILAH_MAIL_HOST": "127.0.0.1",
        "PILAH_IMAP_PORT": "10143",
        "PILAH_IMAPS_PORT": "10993",
        "PILAH_TEST_PASSWORD": "pilah-test",
        "PILAH_CA_FILE": "",
    }
    state = Path(os.environ.get("PILAH_MAILSTACK_DIR") or REPO_DIR / ".mailstack")
    env_file = state / "stack.env"
    if env_file.is_file():
        for line in env_file.read_text().splitlines():
            key, sep, val = line.partition("=")
            if sep and key in values:
                values[key] = val
    if not values["PILAH_CA_FILE"]:
        values["PILAH_CA_FILE"] = str(state / "tls" / "cert.pem")
    for key in values:
        if os.environ.get(key):
            values[key] = os.environ[key]
    return values


# --- modified UTF-7 (RFC 3501 5.1.3) for mailbox names -----------------------

def mutf7_encode(name):
    out, buf = [], []

    def flush():
        if buf:
            raw = "".join(buf).encode("utf-16-be")
            out.append("&" + base64.b64encode(raw).decode().rstrip("=").replace("/", ",") + "-")
            buf.clear()

    for ch in name:
        if 0x20 <= ord(ch) <= 0x7E:
            flush()
            out.append("&-" if ch == "&" else ch)
        else:
            buf.append(ch)
    flush()
    return "".join(out)


def mutf7_decode(name):
    def repl(m):
        chunk = m.group(1)
        if not chunk:
            return "&"
        b64 = chunk.replace(",", "/")
        b64 += "=" * (-len(b64) % 4)
        return base64.b64decode(b64).decode("utf-16-be")

    return re.sub(r"&([A-Za-z0-9+,]*)-", repl, name)


def quote(s):
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


def mailbox_arg(name):
    return quote(mutf7_encode(name))


# --- connection ---------------------------------------------------------------

def connect(args):
    ctx = None
    if args.tls != "none":
        ctx = ssl.create_default_context(cafile=args.cafile if args.cafile else None)
    try:
        if args.tls == "implicit":
            conn = imaplib.IMAP4_SSL(args.host, args.port, ssl_context=ctx)
        else:
            conn = imaplib.IMAP4(args.host, args.port)
            if args.tls == "starttls":
                conn.starttls(ssl_context=ctx)
        conn.login(args.user, args.password)
    except (OSError, imaplib.IMAP4.error) as exc:
        raise SystemExit(f"imaptool: cannot log in as {args.user} at {args.host}:{args.port}: {exc}")
    return conn


def check(result, what):
    typ, data = result
    if typ != "OK":
        detail = b" ".join(d if isinstance(d, bytes) else b"" for d in data or []).decode(errors="replace")
        raise SystemExit(f"imaptool: {what} failed: {typ} {detail}")
    return data


LIST_RE = re.compile(rb'^\((?P<flags>[^)]*)\) (?P<delim>NIL|"(?:[^"\\]|\\.)*") (?P<name>.*)$')


def list_folders(conn):
    """[(name, flags)] for every folder."""
    data = check(conn.list('""', "*"), "LIST")
    folders = []
    for item in data:
        if item is None:
            continue
        if isinstance(item, tuple):  # name sent as a literal
            head, name = item[0], item[1]
            m = LIST_RE.match(head)
            flags = m.group("flags") if m else b""
        else:
            m = LIST_RE.match(item)
            if not m:
                continue
            flags, name = m.group("flags"), m.group("name")
            if name.startswith(b'"'):
                name = re.sub(rb"\\(.)", rb"\1", name[1:-1])
        folders.append((mutf7_decode(name.decode()), flags.decode()))
    return folders


def folder_status(conn, name):
    data = check(conn.status(mailbox_arg(name), "(MESSAGES UNSEEN)"), f"STATUS {name}")
    text = b" ".join(d for d in data if isinstance(d, bytes)).decode()
    msgs = re.search(r"MESSAGES (\d+)", text)
    unseen = re.search(r"UNSEEN (\d+)", text)
    return int(msgs.group(1)) if msgs else 0, int(unseen.group(1)) if unseen else 0


def decode_header(value):
    if value is None:
        return ""
    try:
        text = str(email.header.make_header(email.header.decode_header(value)))
    except Exception:  # undecodable: show it raw
        text = value
    return " ".join(text.split())


# --- commands -----------------------------------------------------------------

def parse_date_option(text):
    try:
        when = dt.datetime.fromisoformat(text)
    except ValueError:
        raise SystemExit(f"imaptool: --date: not an ISO 8601 date: {text!r}")
    if when.tzinfo is None:
        when = when.astimezone()  # local time zone
    return when


def header_date(raw):
    """The message's Date header as an aware datetime, or None."""
    head = raw.split(b"\r\n\r\n", 1)[0]
    m = re.search(rb"^Date:[ \t]*([^\r\n]*(?:\r\n[ \t][^\r\n]*)*)", head, re.IGNORECASE | re.MULTILINE)
    if not m:
        return None
    value = m.group(1).decode("ascii", errors="replace").replace("\r\n", " ")
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when is None:
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.timezone.utc)
    return when


def parse_month(text):
    m = re.fullmatch(r"(\d{4})-(\d{2})", text)
    if not m or not 1 <= int(m.group(2)) <= 12:
        raise SystemExit(f"imaptool: --shift-to-month: not a month YYYY-MM: {text!r}")
    return int(m.group(1)), int(m.group(2))


def shift_to_month(when, year, month):
    """`when` in the month `year`-`month`: the same day (at most the month's last), the same
    time on the same clock (UTC offset)."""
    last = calendar.monthrange(year, month)[1]
    return when.replace(year=year, month=month, day=min(when.day, last))


def replace_date_header(raw, when):
    """`raw` with its (first) Date header replaced by `when`; added if it has none."""
    head, sep, body = raw.partition(b"\r\n\r\n")
    new = b"Date: " + email.utils.format_datetime(when).encode("ascii")
    head, n = re.subn(rb"(?im)^Date:[^\r\n]*(?:\r\n[ \t][^\r\n]*)*", lambda _: new, head, count=1)
    if n == 0:
        head = new + b"\r\n" + head
    return head + sep + body


def to_crlf(raw):
    return raw.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")


def cmd_append(args):
    fixed_date = parse_date_option(args.date) if args.date else None
    shift = parse_month(args.shift_to_month) if args.shift_to_month else None
    conn = connect(args)
    try:
        names = {n for n, _ in list_folders(conn)}
        folder = args.folder
        if folder.upper() != "INBOX" and folder not in names:
            check(conn.create(mailbox_arg(folder)), f"CREATE {folder}")
            conn.subscribe(mailbox_arg(folder))
        count = 0
        for path in args.files:
            raw = to_crlf(Path(path).read_bytes())
            when = fixed_date
            if args.date_from_header or shift:
                when = header_date(raw)
                if when is None:
                    print(f"imaptool: {path}: no usable Date header, INTERNALDATE = now", file=sys.stderr)
                elif shift:
                    when = shift_to_month(when, *shift)
                    raw = replace_date_header(raw, when)
            date_arg = imaplib.Time2Internaldate(when) if when is not None else None
            check(conn.append(mailbox_arg(folder), args.flags, date_arg, raw), f"APPEND {path}")
            count += 1
        print(f"appended {count} message(s) to {args.user} {folder}")
    finally:
        conn.logout()


def cmd_sample_month(args):
    """The current month if every file's Date, moved to it, has passed; else the month before
    (a sample month ends on its last day, so a month that is not over yet would put mail in
    the future)."""
    now = dt.datetime.now(dt.timezone.utc)
    dates = [d for d in (header_date(to_crlf(Path(p).read_bytes())) for p in args.files) if d]
    year, month = now.year, now.month
    if any(shift_to_month(d, year, month) > now for d in dates):
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    print(f"{year:04d}-{month:02d}")


def cmd_folders(args):
    conn = connect(args)
    try:
        print("FOLDER\tMESSAGES\tUNSEEN")
        for name, flags in sorted(list_folders(conn), key=lambda f: (f[0].upper() != "INBOX", f[0])):
            if "\\noselect" in flags.lower() or "\\nonexistent" in flags.lower():
                print(f"{name}\t-\t-")
                continue
            msgs, unseen = folder_status(conn, name)
            print(f"{name}\t{msgs}\t{unseen}")
    finally:
        conn.logout()


FETCH_ITEMS = "(UID FLAGS BODY.PEEK[HEADER.FIELDS (FROM TO SUBJECT)])"


def show_folder(conn, folder):
    typ, data = conn.select(mailbox_arg(folder), readonly=True)
    if typ != "OK":
        raise SystemExit(f"imaptool: cannot select {folder}: {data}")
    if int(data[0] or 0) == 0:
        return
    data = check(conn.uid("FETCH", "1:*", FETCH_ITEMS), f"FETCH {folder}")
    rows, pending = [], None
    for item in data:
        if isinstance(item, tuple):
            pending = [item[0], item[1]]
            rows.append(pending)
        elif isinstance(item, bytes) and pending is not None:
            pending[0] += item  # the rest of the response line after the literal
    for meta, header_bytes in rows:
        uid = re.search(rb"UID (\d+)", meta)
        flags = re.search(rb"FLAGS \(([^)]*)\)", meta)
        msg = email.message_from_bytes(header_bytes)
        print("\t".join([
            folder,
            uid.group(1).decode() if uid else "?",
            decode_header(msg.get("From")),
            decode_header(msg.get("To")),
            decode_header(msg.get("Subject")),
            flags.group(1).decode() if flags else "",
        ]))


def cmd_show(args):
    conn = connect(args)
    try:
        if args.folder:
            folders = [args.folder]
        else:
            folders = [n for n, f in sorted(list_folders(conn), key=lambda f: (f[0].upper() != "INBOX", f[0]))
                       if "\\noselect" not in f.lower() and "\\nonexistent" not in f.lower()]
        for folder in folders:
            show_folder(conn, folder)
    finally:
        conn.logout()


def cmd_wait(args):
    deadline = time.monotonic() + args.timeout
    last, last_err = None, None
    while True:
        try:
            conn = connect(args)
            try:
                last, _ = folder_status(conn, args.folder)
            finally:
                conn.logout()
            last_err = None
            if last >= args.count:
                print(f"{args.user} {args.folder}: {last} message(s)")
                return
        except SystemExit as exc:  # server not up yet: keep trying
            last_err = exc
        if time.monotonic() >= deadline:
            detail = f" (last error: {last_err})" if last_err else ""
            raise SystemExit(f"imaptool: timeout after {args.timeout}s: {args.user} {args.folder} has "
                             f"{last if last is not None else '?'} message(s), wanted {args.count}{detail}")
        time.sleep(0.2)


def main(argv=None):
    s = stack_settings()
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--user", "-u", required=True, help="full e-mail address (any address is a mailbox)")
    common.add_argument("--password", default=s["PILAH_TEST_PASSWORD"])
    common.add_argument("--host", default=s["PILAH_MAIL_HOST"])
    common.add_argument("--port", type=int, help="default: PILAH_IMAP_PORT, or PILAH_IMAPS_PORT with --tls implicit")
    common.add_argument("--tls", choices=["none", "starttls", "implicit"], default="none",
                        help="plain IMAP (default), STARTTLS, or implicit TLS (IMAPS)")
    common.add_argument("--cafile", default=s["PILAH_CA_FILE"], help="CA file to verify the server (tls/cert.pem)")

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="cmd", required=True)

    p = sub.add_parser("append", parents=[common], help="APPEND .eml files to a folder")
    p.add_argument("--folder", default="INBOX")
    g = p.add_mutually_exclusive_group()
    g.add_argument("--date-from-header", action="store_true", help="INTERNALDATE = the message's Date header")
    g.add_argument("--date", help='INTERNALDATE for all messages, ISO 8601 e.g. "2024-03-05T09:30:00+07:00"')
    g.add_argument("--shift-to-month", metavar="YYYY-MM",
                   help="move each Date header to this month (same day, at most its last, and time) "
                        "and use it as INTERNALDATE")
    p.add_argument("--flags", default=None, help='e.g. "(\\Seen)"')
    p.add_argument("files", nargs="+", metavar="FILE.eml")
    p.set_defaults(func=cmd_append)

    p = sub.add_parser("sample-month", help="the latest month the files' dates can move to, all past")
    p.add_argument("files", nargs="+", metavar="FILE.eml")
    p.set_defaults(func=cmd_sample_month)

    p = sub.add_parser("folders", parents=[common], help="list folders with message counts")
    p.set_defaults(func=cmd_folders)

    p = sub.add_parser("show", parents=[common], help="one line per message: folder, UID, From, To, Subject, flags")
    p.add_argument("--folder", help="only this folder (default: all)")
    p.set_defaults(func=cmd_show)

    p = sub.add_parser("wait", parents=[common], help="wait until a folder holds at least N messages")
    p.add_argument("--count", "-n", type=int, required=True)
    p.add_argument("--timeout", type=float, default=30.0)
    p.add_argument("--folder", default="INBOX")
    p.set_defaults(func=cmd_wait)

    args = parser.parse_args(argv)
    if getattr(args, "tls", None) is not None and args.port is None:
        args.port = int(s["PILAH_IMAPS_PORT"] if args.tls == "implicit" else s["PILAH_IMAP_PORT"])
    args.func(args)


if __name__ == "__main__":
    try:
        main()
    except BrokenPipeError:
        sys.exit(1)
