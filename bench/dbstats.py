#!/usr/bin/env python3
"""What a pilah run did, from its SQLite database, for the bench scripts.

  python3 bench/dbstats.py STATE_DIR START_EPOCH     # prints shell assignments

START_EPOCH is when pilah was started (seconds, float). Printed (times in seconds after it):
  messages filed fetch_last filed_last send_first send_last
  fwd_n fwd_bytes fwd_rcpt ack_n ack_bytes other_n unsent
fwd_bytes/ack_bytes are average message sizes (a forward's with its original), fwd_rcpt the average recipients per forward.
"""

import json
import os
import sqlite3
import sys
from datetime import datetime


def t(s, start):
    if not s:
        return ""
    return "%.2f" % (datetime.fromisoformat(s.replace("Z", "+00:00")).timestamp() - start)


def main():
    state, start = sys.argv[1], float(sys.argv[2])
    if not os.path.exists(os.path.join(state, "pilah.sqlite")):
        for k in ("messages", "filed", "fwd_n", "fwd_bytes", "ack_n", "ack_bytes", "other_n", "unsent"):
            print("%s=0" % k)
        print("fwd_rcpt=0\nfetch_last=\nfiled_last=\nsend_first=\nsend_last=")
        return
    db = sqlite3.connect("file:%s/pilah.sqlite?mode=ro" % state, uri=True)
    q = lambda sql: db.execute(sql).fetchone()
    out = {}
    out["messages"], out["filed"] = q("SELECT count(*), sum(state = 'filed') FROM messages")
    out["fetch_last"] = t(q("SELECT max(fetched_at) FROM messages")[0], start)
    out["filed_last"] = t(q("SELECT max(filed_at) FROM messages")[0], start)
    first, last = q("SELECT min(sent_at), max(sent_at) FROM outbox")
    out["send_first"], out["send_last"] = t(first, start), t(last, start)
    # A forward's row holds pilah's own bytes; its original (messages.size bytes, or their
    # base64) is put in from raw/ when it is sent. Older databases have no such columns.
    cols = {r[1] for r in db.execute("PRAGMA table_info(outbox)")}
    size = "length(o.body)"
    if "original" in cols:
        size += """ + coalesce(length(o.body_tail), 0) + CASE o.original
            WHEN 'rfc822' THEN m.size
            WHEN 'base64' THEN (m.size + 2) / 3 * 4 + 2 * (((m.size + 2) / 3 * 4 + 75) / 76 - 1)
            ELSE 0 END"""
    rows = db.execute(
        "SELECT o.kind, %s, o.rcpt, o.sent_at FROM outbox o LEFT JOIN messages m ON m.id = o.message_row" % size
    ).fetchall()
    fwd = [r for r in rows if r[0] == "forward" and r[3]]
    ack = [r for r in rows if r[0] == "ack" and r[3]]
    out["fwd_n"] = len(fwd)
    out["fwd_bytes"] = sum(r[1] for r in fwd) // max(1, len(fwd))
    out["fwd_rcpt"] = "%.2f" % (sum(len(json.loads(r[2])) for r in fwd) / max(1, len(fwd)))
    out["ack_n"] = len(ack)
    out["ack_bytes"] = sum(r[1] for r in ack) // max(1, len(ack))
    out["other_n"] = sum(1 for r in rows if r[0] not in ("forward", "ack") and r[3])
    out["unsent"] = sum(1 for r in rows if not r[3])
    for k, v in out.items():
        print("%s=%s" % (k, v if v is not None else ""))


if __name__ == "__main__":
    main()
