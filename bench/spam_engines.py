#!/usr/bin/env python3
"""Scores tests/fixtures/real/ with a spam engine and prints, per kind, how much it calls spam.

    bench/spam_engines.py spamd HOST:PORT [--threshold T] [--timeout S]
    bench/spam_engines.py rspamd HOST:PORT [--threshold T] [--timeout S]

spamd: the SPAMC/1.5 protocol's SYMBOLS command (what src/spam.rs sends); rspamd: its HTTP
/checkv2 on the normal worker. Standard library only. The threshold defaults to the engine's
own (spamd: required_score from the answer; rspamd: the `reject` action's score, 15, or
--threshold). Prints one line per kind (messages, called spam, %, mean and max seconds), the
symbols most often behind person mail called spam, and a TSV line per kind to stdout's end.
"""
import argparse
import collections
import json
import pathlib
import socket
import sys
import time
import urllib.request

KINDS = ["spam", "person", "list", "robot", "bounce", "auto-reply", "feedback"]
ROOT = pathlib.Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "real"


def spamd(addr, raw, timeout):
    host, port = addr.rsplit(":", 1)
    with socket.create_connection((host, int(port)), timeout=timeout) as s:
        s.settimeout(timeout)
        s.sendall(b"SYMBOLS SPAMC/1.5\r\nContent-length: %d\r\n\r\n" % len(raw) + raw)
        s.shutdown(socket.SHUT_WR)
        data = b""
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    if " 0 EX_OK" not in lines[0]:
        raise RuntimeError(lines[0])
    score = threshold = None
    for line in lines[1:]:
        name, _, value = line.partition(":")
        if name.lower() == "spam":
            # Spam: True ; 15.3 / 5.0
            verdict, _, nums = value.partition(";")
            score, _, threshold = nums.partition("/")
            score, threshold = float(score), float(threshold)
    symbols = [s for s in body.decode("latin-1").strip().split(",") if s]
    return score, threshold, symbols


def rspamd(addr, raw, timeout):
    req = urllib.request.Request(f"http://{addr}/checkv2", data=raw, method="POST")
    with urllib.request.urlopen(req, timeout=timeout) as r:
        res = json.load(r)
    threshold = res.get("required_score") or 15.0
    return float(res["score"]), float(threshold), sorted(res.get("symbols", {}))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("engine", choices=["spamd", "rspamd"])
    ap.add_argument("addr")
    ap.add_argument("--threshold", type=float)
    ap.add_argument("--timeout", type=float, default=30.0)
    a = ap.parse_args()
    ask = spamd if a.engine == "spamd" else rspamd
    rows = []
    person_symbols = collections.Counter()
    print(f"{'kind':<11} {'files':>5} {'spam':>5} {'spam%':>6} {'mean s':>7} {'max s':>6} {'errors':>6}")
    for kind in KINDS:
        files = sorted((ROOT / kind).glob("*.eml"))
        caught = errors = 0
        times = []
        for f in files:
            raw = f.read_bytes()
            t0 = time.monotonic()
            try:
                score, threshold, symbols = ask(a.addr, raw, a.timeout)
            except Exception as e:  # noqa: BLE001 - a bench counts every failure
                errors += 1
                print(f"  error {kind}/{f.name}: {e}", file=sys.stderr)
                continue
            times.append(time.monotonic() - t0)
            limit = a.threshold if a.threshold is not None else threshold
            if score >= limit:
                caught += 1
                if kind == "person":
                    person_symbols.update(symbols)
                    print(f"  person called spam: {f.name} {score:.1f} {','.join(symbols)}", file=sys.stderr)
            elif kind == "spam":
                print(f"  spam missed: {f.name} {score:.1f} {','.join(symbols)}", file=sys.stderr)
        n = len(files) - errors
        pct = 100.0 * caught / n if n else 0.0
        mean = sum(times) / len(times) if times else 0.0
        mx = max(times) if times else 0.0
        print(f"{kind:<11} {len(files):>5} {caught:>5} {pct:>6.1f} {mean:>7.3f} {mx:>6.2f} {errors:>6}")
        rows.append((kind, len(files), caught, pct, mean, mx, errors))
    if person_symbols:
        top = ", ".join(f"{s} {n}" for s, n in person_symbols.most_common(8))
        print(f"symbols behind person mail called spam: {top}")
    for r in rows:
        print("\t".join([a.engine] + [f"{x:.3f}" if isinstance(x, float) else str(x) for x in r]))


if __name__ == "__main__":
    main()
