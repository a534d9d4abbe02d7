#!/usr/bin/env python3
"""Fast bulk loading of messages into an IMAP mailbox, for the benchmarks.

One connection, pipelined APPENDs with non-synchronising literals (LITERAL+, which Dovecot
offers): tens of thousands of messages load in seconds, where one APPEND per round trip
(scripts/imaptool.py) would take minutes. Python 3 standard library only.

  python3 bench/imapload.py append --user lapor@djpk.test --manifest DIR/manifest.tsv --mailbox lapor
  python3 bench/imapload.py append --user lapor@djpk.test FILE.eml ...
  python3 bench/imapload.py count  --user lapor@djpk.test [--folder INBOX]
  python3 bench/imapload.py folders --user lapor@djpk.test          # folder<TAB>messages

Connection defaults: 127.0.0.1, port $PILAH_IMAP_PORT (default 12143, the bench stack),
password $PILAH_TEST_PASSWORD (default pilah-test), plain IMAP (loopback only).
"""

import argparse
import os
import re
import socket
import sys
import time


class Imap:
    def __init__(self, host, port, timeout=120):
        self.sock = socket.create_connection((host, port), timeout=timeout)
        self.buf = b""
        self.n = 0
        greeting = self.line()
        if not greeting.startswith(b"* OK"):
            raise RuntimeError("bad greeting: %r" % greeting)
        self.literal_plus = b"LITERAL+" in greeting.upper()

    def line(self):
        while b"\r\n" not in self.buf:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise RuntimeError("connection closed")
            self.buf += chunk
        line, self.buf = self.buf.split(b"\r\n", 1)
        return line

    def tag(self):
        self.n += 1
        return b"b%d" % self.n

    def command(self, text):
        """Sends a command, returns (untagged lines, tagged line); raises on NO/BAD."""
        t = self.tag()
        self.sock.sendall(t + b" " + text.encode() + b"\r\n")
        untagged = []
        while True:
            line = self.line()
            m = re.search(rb"\{(\d+)\}$", line)
            if m:  # a literal in a response (not expected for what we ask, but be safe)
                need = int(m.group(1))
                while len(self.buf) < need:
                    self.buf += self.sock.recv(65536)
                line += self.buf[:need]
                self.buf = self.buf[need:]
                line += self.line()
            if line.startswith(t + b" "):
                if not line[len(t) + 1:].startswith(b"OK"):
                    raise RuntimeError("%s: %r" % (text.split(" ")[0], line))
                return untagged, line
            untagged.append(line)

    def login(self, user, password):
        _, ok = self.command('LOGIN "%s" "%s"' % (user, password))
        if b"LITERAL+" in ok.upper():
            self.literal_plus = True
        if not self.literal_plus:
            caps, _ = self.command("CAPABILITY")
            self.literal_plus = any(b"LITERAL+" in c.upper() for c in caps)

    def create(self, folder):
        try:
            self.command('CREATE "%s"' % folder)
        except RuntimeError:
            pass  # exists

    def append_many(self, folder, messages, window=64, on_done=None):
        """APPENDs every message (bytes), at most `window` in flight. on_done(i, t) is
        called when message i's APPEND is confirmed, with time.time()."""
        pending = {}  # tag -> index
        count = 0
        it = iter(enumerate(messages))
        exhausted = False
        while True:
            while not exhausted and len(pending) < window:
                try:
                    i, raw = next(it)
                except StopIteration:
                    exhausted = True
                    break
                raw = normalise(raw)
                t = self.tag()
                if self.literal_plus:
                    self.sock.sendall(b'%s APPEND "%s" {%d+}\r\n' % (t, folder.encode(), len(raw)) + raw + b"\r\n")
                else:
                    self.sock.sendall(b'%s APPEND "%s" {%d}\r\n' % (t, folder.encode(), len(raw)))
                    line = self.line()
                    if not line.startswith(b"+"):
                        raise RuntimeError("APPEND refused: %r" % line)
                    self.sock.sendall(raw + b"\r\n")
                pending[t] = i
                if not self.literal_plus:
                    self._wait_one(pending, on_done)
                    count += 1
            if not pending:
                return count
            self._wait_one(pending, on_done)
            count += 1

    def _wait_one(self, pending, on_done):
        while True:
            line = self.line()
            t = line.split(b" ", 1)[0]
            if t in pending:
                i = pending.pop(t)
                if b" OK" not in line[:len(t) + 4]:
                    raise RuntimeError("APPEND failed: %r" % line)
                if on_done:
                    on_done(i, time.time())
                return

    def count(self, folder):
        untagged, _ = self.command('STATUS "%s" (MESSAGES)' % folder)
        for u in untagged:
            m = re.search(rb"MESSAGES (\d+)", u)
            if m:
                return int(m.group(1))
        return 0

    def folders(self):
        untagged, _ = self.command('LIST "" "*"')
        names = []
        for u in untagged:
            m = re.match(rb'\* LIST \(([^)]*)\) (?:"[^"]*"|NIL) (.*)$', u)
            if m and b"noselect" not in m.group(1).lower():
                names.append(m.group(2).decode().strip('"'))
        return sorted(names)

    def logout(self):
        try:
            self.command("LOGOUT")
        except Exception:
            pass
        self.sock.close()


def normalise(raw):
    """CRLF line endings, as IMAP wants."""
    if b"\r\n" in raw and b"\n" not in raw.replace(b"\r\n", b""):
        return raw
    return raw.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")


def connect(args):
    c = Imap(args.host, args.port)
    c.login(args.user, args.password)
    return c


def files_of(args):
    if args.manifest:
        base = os.path.dirname(os.path.abspath(args.manifest))
        out = []
        with open(args.manifest) as f:
            next(f)
            for line in f:
                cols = line.rstrip("\n").split("\t")
                if not args.mailbox or cols[1] == args.mailbox:
                    out.append(os.path.join(base, cols[0]))
        return out
    return args.files


def main():
    ap = argparse.ArgumentParser(description="bulk IMAP APPEND for the benchmarks")
    ap.add_argument("cmd", choices=["append", "count", "folders"])
    ap.add_argument("files", nargs="*")
    ap.add_argument("--user", required=True)
    ap.add_argument("--folder", default="INBOX")
    ap.add_argument("--manifest")
    ap.add_argument("--mailbox", help="with --manifest: only this mailbox's messages")
    ap.add_argument("--host", default=os.environ.get("PILAH_MAIL_HOST", "127.0.0.1"))
    ap.add_argument("--port", type=int, default=int(os.environ.get("PILAH_IMAP_PORT", "12143")))
    ap.add_argument("--password", default=os.environ.get("PILAH_TEST_PASSWORD", "pilah-test"))
    ap.add_argument("--window", type=int, default=64)
    a = ap.parse_args()
    c = connect(a)
    if a.cmd == "append":
        files = files_of(a)
        if a.folder != "INBOX":
            c.create(a.folder)
        t0 = time.time()

        def read_all():
            for p in files:
                with open(p, "rb") as f:
                    yield f.read()
        n = c.append_many(a.folder, read_all(), window=a.window)
        sys.stderr.write("imapload: %d messages into %s/%s in %.1f s\n" % (n, a.user, a.folder, time.time() - t0))
    elif a.cmd == "count":
        print(c.count(a.folder))
    else:
        for f in c.folders():
            print("%s\t%d" % (f, c.count(f)))
    c.logout()


if __name__ == "__main__":
    main()
