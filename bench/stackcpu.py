#!/usr/bin/env python3
"""CPU time used by the bench mail stack's Dovecot and Postfix while a benchmark runs.

  python3 bench/stackcpu.py STATE_DIR OUT_FILE &   # samples /proc every 50 ms
  ... benchmark ...
  kill -TERM $!                                     # writes OUT_FILE: dovecot_s postfix_s

Every process below Dovecot's master (imap, lmtp, auth, ...) and Postfix's master (smtpd,
cleanup, qmgr, lmtp client, ...) is followed: its CPU time (user + system) is counted from
the first sample in which it is seen, minus what it had used before the benchmark started.
A process that lives less than one sample period is missed; the stack's processes are
long-lived (one imap process per connection, Postfix daemons reused), so this is small.
"""

import os
import signal
import sys
import time

TICK = os.sysconf("SC_CLK_TCK")


def read_pid(path):
    try:
        with open(path) as f:
            return int(f.read().split()[0])
    except (OSError, ValueError, IndexError):
        return None


def snapshot():
    procs = {}
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % d) as f:
                s = f.read()
        except OSError:
            continue
        rest = s[s.rfind(")") + 2:].split()
        # fields after comm: state ppid ... utime(14) stime(15) counted from 1 = pid
        ppid = int(rest[1])
        cpu = int(rest[11]) + int(rest[12])
        start = int(rest[19])
        procs[int(d)] = (ppid, cpu, start)
    return procs


def descendants(procs, root):
    if root is None or root not in procs:
        return set()
    out = {root}
    changed = True
    while changed:
        changed = False
        for pid, (ppid, _, _) in procs.items():
            if ppid in out and pid not in out:
                out.add(pid)
                changed = True
    return out


def main():
    state, out = sys.argv[1], sys.argv[2]
    masters = {
        "dovecot": read_pid(os.path.join(state, "dovecot/run/master.pid")),
        "postfix": read_pid(os.path.join(state, "postfix/spool/pid/master.pid")),
    }
    first = snapshot()
    baseline = {(pid, v[2]): v[1] for pid, v in first.items()}  # (pid, starttime) -> cpu
    latest = {}  # group -> {(pid, start): cpu}
    stop = []
    signal.signal(signal.SIGTERM, lambda *_: stop.append(1))
    signal.signal(signal.SIGINT, lambda *_: stop.append(1))
    while True:
        procs = snapshot()
        for group, root in masters.items():
            seen = latest.setdefault(group, {})
            for pid in descendants(procs, root):
                _, cpu, start = procs[pid]
                seen[(pid, start)] = cpu
        if stop:
            break
        time.sleep(0.05)
    with open(out, "w") as f:
        vals = []
        for group in ("dovecot", "postfix"):
            total = sum(cpu - baseline.get(key, 0) for key, cpu in latest.get(group, {}).items())
            vals.append("%.2f" % (total / TICK))
        f.write(" ".join(vals) + "\n")


if __name__ == "__main__":
    main()
