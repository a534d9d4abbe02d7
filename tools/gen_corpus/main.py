#!/usr/bin/env python3
"""Generate pilah's test corpus: rules fixtures, machine mail, hostile mail and the demo month.

Usage: python3 tools/gen_corpus/main.py [--only rules|machine|hostile|demo]

Python 3 standard library only.  Deterministic: every category has its own fixed seed, so
re-running rewrites the same files byte for byte.  The output directories are emptied first
(only *.eml, *.expected.toml, README.txt and expected.tsv files are removed).
"""

import os
import shutil
import sys

sys.dont_write_bytecode = True  # keep tools/gen_corpus free of __pycache__
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import runner  # noqa: E402

OUT_DIRS = {
    "rules": ["tests/fixtures/rules"],
    "machine": ["tests/fixtures/machine"],
    "hostile": ["tests/fixtures/hostile"],
    "demo": ["demo/mail"],
}


def clean(rel):
    path = os.path.join(runner.ROOT, rel)
    if not os.path.isdir(path):
        return
    for dirpath, dirnames, filenames in os.walk(path, topdown=False):
        for f in filenames:
            if f.endswith((".eml", ".expected.toml", "README.txt", "expected.tsv")):
                os.remove(os.path.join(dirpath, f))
        if dirpath != path and not os.listdir(dirpath):
            shutil.rmtree(dirpath)


def main(argv):
    only = None
    if len(argv) > 2 and argv[1] == "--only":
        only = argv[2]
    import lapor
    import callcenter
    import common
    import machine
    import hostile
    import demo
    steps = [("rules", lambda: (lapor.generate(), callcenter.generate(), common.generate())),
             ("machine", machine.generate),
             ("hostile", hostile.generate),
             ("demo", demo.generate)]
    for name, fn in steps:
        if only and name != only:
            continue
        for rel in OUT_DIRS[name]:
            clean(rel)
        fn()
    print(runner.table())


if __name__ == "__main__":
    main(sys.argv)
