#!/usr/bin/env python3
"""What a pilah run did, from its SQLite database, for the bench scripts.

  python3 bench/dbstats.py STATE_DIR START_EPOCH     # prints shell assignments

  python3 bench/dbstats.py --pick STATE_DIR           # "FORWARD_ID ACK_ID RECIPIENTS": typical ones
  python3 bench/dbstats.py --requeue STATE_DIR ID...  # sent items queued again
  python3 bench/dbstats.py --requeue-all STATE_DIR [--fixed-recipients]   # for bench/send.sh

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


def pick(state):
    """The outbox ids of a typical forward and a typical acknowledgement: the sent ones whose
    size is nearest the average of their kind (forwards: among those with the most common
    number of recipients). Printed as "FORWARD_ID ACK_ID RECIPIENTS", the last being how many
    recipients that forward has."""
    db = sqlite3.connect("file:%s/pilah.sqlite?mode=ro" % state, uri=True)
    rows = db.execute(
        "SELECT o.id, o.kind, %s, o.rcpt FROM outbox o LEFT JOIN messages m ON m.id = o.message_row"
        " WHERE o.sent_at IS NOT NULL" % SIZE
    ).fetchall()
    chosen, recipients = [], "0"
    for kind in ("forward", "ack"):
        mine = [r for r in rows if r[1] == kind]
        if not mine:
            chosen.append("-")
            continue
        counts = {}
        for r in mine:
            n = len(json.loads(r[3]))
            counts[n] = counts.get(n, 0) + 1
        common = max(counts, key=counts.get)
        avg = sum(r[2] for r in mine) / len(mine)
        best = min((r for r in mine if len(json.loads(r[3])) == common), key=lambda r: abs(r[2] - avg))
        chosen.append(str(best[0]))
        if kind == "forward":
            recipients = str(common)
    print(" ".join(chosen + [recipients]))


# A forward's row holds pilah's own bytes; its original (messages.size bytes, or their
# base64) is put in from raw/ when it is sent.
SIZE = """length(o.body) + coalesce(length(o.body_tail), 0) + CASE o.original
    WHEN 'rfc822' THEN m.size
    WHEN 'base64' THEN (m.size + 2) / 3 * 4 + 2 * (((m.size + 2) / 3 * 4 + 75) / 76 - 1)
    ELSE 0 END"""


def requeue(state, ids):
    """Puts sent outbox items back in the queue (to capture what pilah sends)."""
    db = sqlite3.connect("%s/pilah.sqlite" % state)
    with db:
        for i in ids:
            db.execute("UPDATE outbox SET sent_at = NULL WHERE id = ?", (int(i),))


def requeue_all(state, fixed):
    """Every sent outbox item queued again; with `fixed`, with smtp-source's recipients
    (every acknowledgement to one address, every forward to the same two). Prints how many."""
    db = sqlite3.connect("%s/pilah.sqlite" % state)
    with db:
        n = db.execute("UPDATE outbox SET sent_at = NULL, attempts = 0 WHERE sent_at IS NOT NULL").rowcount
        if fixed:
            db.execute("UPDATE outbox SET rcpt = ? WHERE kind = 'ack'", (json.dumps(["sender.bench@pemda.test"]),))
            db.execute(
                "UPDATE outbox SET rcpt = ? WHERE kind = 'forward'",
                (json.dumps(["pic.bench@djpk.test", "2pic.bench@djpk.test"]),),
            )
    print(n)


def main():
    if sys.argv[1] == "--requeue-all":
        return requeue_all(sys.argv[2], "--fixed-recipients" in sys.argv[3:])
    if sys.argv[1] == "--pick":
        return pick(sys.argv[2])
    if sys.argv[1] == "--requeue":
        return requeue(sys.argv[2], sys.argv[3:])
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
    # Older databases have no original/body_tail columns.
    cols = {r[1] for r in db.execute("PRAGMA table_info(outbox)")}
    size = SIZE if "original" in cols else "length(o.body)"
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
