#!/usr/bin/env python3
"""Arrival-to-acknowledgement latency against a running pilah daemon (driven by latency.sh).

  python3 bench/latency.py --stack-dir DIR --rate 2 --duration 60 --out FILE.tsv

APPENDs one report (a lapor report of about 10 KB, from its own sender address) to
lapor@djpk.test's INBOX every 1/rate seconds, on one IMAP connection, and watches each
sender's Maildir on the bench stack for the acknowledgement. The latency of a message is
the time from its APPEND's OK to the moment its acknowledgement's file was written in the
sender's Maildir (its mtime; Dovecot's LMTP writes it to tmp/ and renames it into new/).
Prints median, p90, p99 and max; writes one line per message to --out.
"""

import argparse
import os
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import gen_corpus  # noqa: E402
from imapload import Imap  # noqa: E402


def percentile(sorted_vals, p):
    if not sorted_vals:
        return float("nan")
    k = (len(sorted_vals) - 1) * p / 100.0
    lo = int(k)
    hi = min(lo + 1, len(sorted_vals) - 1)
    return sorted_vals[lo] + (sorted_vals[hi] - sorted_vals[lo]) * (k - lo)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--stack-dir", required=True)
    ap.add_argument("--rate", type=float, default=2.0, help="messages per second")
    ap.add_argument("--duration", type=float, default=60.0, help="seconds of sending")
    ap.add_argument("--wait", type=float, default=30.0, help="seconds to wait for the last acks")
    ap.add_argument("--out", required=True)
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=int(os.environ.get("PILAH_IMAP_PORT", "12143")))
    ap.add_argument("--password", default=os.environ.get("PILAH_TEST_PASSWORD", "pilah-test"))
    ap.add_argument("--size", type=int, default=10000)
    a = ap.parse_args()

    run = "%x" % int(time.time())
    total = int(a.rate * a.duration)
    corpus = gen_corpus.Corpus(seed=2, profile="small")
    msgs = []
    for i in range(total):
        domain = gen_corpus.REGIONS[i % len(gen_corpus.REGIONS)][2]
        local = "lat%s.%04d" % (run, i)
        addr = "%s@%s" % (local, domain)
        _, text = corpus.message("lapor", size=a.size, kind="topic", sender=("BPKAD Latensi %d" % i, addr))
        maildir = os.path.join(a.stack_dir, "mail", domain, local, "Maildir")
        msgs.append({"i": i, "addr": addr, "raw": text.encode("utf-8"), "maildir": maildir,
                     "sent": None, "acked": None})

    done = threading.Event()
    lock = threading.Lock()

    def watch():
        while True:
            with lock:
                pending = [m for m in msgs if m["sent"] is not None and m["acked"] is None]
            for m in pending:
                for sub in ("new", "cur"):
                    d = os.path.join(m["maildir"], sub)
                    try:
                        names = os.listdir(d)
                    except FileNotFoundError:
                        continue
                    if names:
                        st = min(os.stat(os.path.join(d, n)).st_mtime_ns for n in names)
                        with lock:
                            m["acked"] = st / 1e9
                        break
            if done.is_set() and not pending:
                return
            time.sleep(0.01)

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    c = Imap(a.host, a.port)
    c.login("lapor@djpk.test", a.password)
    start = time.time()
    for m in msgs:
        due = start + m["i"] / a.rate
        delay = due - time.time()
        if delay > 0:
            time.sleep(delay)

        def ok(_i, t, m=m):
            with lock:
                m["sent"] = t
        c.append_many("INBOX", [m["raw"]], window=1, on_done=ok)
    c.logout()
    deadline = time.time() + a.wait
    while time.time() < deadline:
        with lock:
            if all(m["acked"] is not None for m in msgs):
                break
        time.sleep(0.1)
    done.set()
    watcher.join(timeout=2)

    lat = []
    with open(a.out, "w") as f:
        f.write("i\tsender\tappended_at\tack_at\tlatency_s\n")
        for m in msgs:
            l = (m["acked"] - m["sent"]) if m["acked"] else None
            if l is not None:
                lat.append(l)
            f.write("%d\t%s\t%.3f\t%s\t%s\n" % (m["i"], m["addr"], m["sent"] or 0,
                                                 "%.3f" % m["acked"] if m["acked"] else "",
                                                 "%.3f" % l if l is not None else ""))
    lat.sort()
    missing = len(msgs) - len(lat)
    print("latency: %d messages at %.1f/s; acknowledged %d, missing %d; median %.3f s, p90 %.3f s, p99 %.3f s, max %.3f s"
          % (len(msgs), a.rate, len(lat), missing, percentile(lat, 50), percentile(lat, 90),
             percentile(lat, 99), lat[-1] if lat else float("nan")))


if __name__ == "__main__":
    main()
