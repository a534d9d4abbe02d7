#!/usr/bin/env python3
"""Messages/s and MB/s of the criterion benchmarks (benches/classify.rs), one line each.

  cargo bench --bench classify && python3 bench/criterion_summary.py [--markdown]

Reads criterion's estimates (target/criterion/<group>/<bench>/new/estimates.json, or under
$CRITERION_HOME / $CARGO_TARGET_DIR) and the messages and bytes per iteration that the
bench recorded in pilah-corpus.tsv. Figures are per core: the benchmarks run on one thread.
"""

import json
import os
import sys


def home():
    if os.environ.get("CRITERION_HOME"):
        return os.environ["CRITERION_HOME"]
    if os.environ.get("CARGO_TARGET_DIR"):
        return os.path.join(os.environ["CARGO_TARGET_DIR"], "criterion")
    return os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "target", "criterion")


def main():
    md = "--markdown" in sys.argv
    h = home()
    rows = []
    with open(os.path.join(h, "pilah-corpus.tsv")) as f:
        for line in f:
            bid, msgs, size = line.rstrip("\n").split("\t")
            est = os.path.join(h, bid, "new", "estimates.json")
            if not os.path.exists(est):
                continue
            with open(est) as e:
                d = json.load(e)
            ns = d["median"]["point_estimate"]
            lo, hi = d["median"]["confidence_interval"]["lower_bound"], d["median"]["confidence_interval"]["upper_bound"]
            msgs, size = int(msgs), int(size)
            s = ns / 1e9
            rows.append((bid, msgs, size / 1e6, s * 1e3, (hi - lo) / 2 / ns * 100, msgs / s, size / 1e6 / s, s / msgs * 1e6))
    if md:
        print("| benchmark | messages/iter | MB/iter | time/iter (ms, median ±CI) | messages/s | MB/s | µs/message |")
        print("|---|---:|---:|---:|---:|---:|---:|")
        for r in rows:
            print("| `%s` | %d | %.1f | %.1f ±%.0f%% | %.0f | %.1f | %.1f |" % r)
    else:
        for r in rows:
            print("%-28s %5d msgs %7.1f MB  %9.1f ms/iter ±%2.0f%%  %9.0f msg/s  %7.1f MB/s  %8.1f us/msg" % r)


if __name__ == "__main__":
    main()
