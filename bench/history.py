#!/usr/bin/env python3
"""Histories for bench/history.sh: a real drain's database replicated into N messages.

  history.py build --source STATE_DIR --out STATE_DIR --count N [--months 26] [--raw]
  history.py month --db DB              the month with the most messages (YYYY-MM)
  history.py ticket --db DB --month M   a ticket opened in that month with the most mail
  history.py sizes --db DB [--month M]  messages, bytes per message: the file, the pages in use
  history.py scrape --db DB             the metrics' statements of the database's version, timed

How it stays representative: copy 0 is the drain itself, unchanged. Copies 1, 2, ... are the
same rows (messages, their outbox mail with its bodies, tickets, events) with fresh ids,
UIDs, SHA-256s, Message-IDs and ticket numbers (`H<k>-` before the drain's number, which
keeps `<TICKET.kind.random@domain>` Message-IDs tied to their ticket) and every time shifted
back by a whole number of days, spread evenly over `--months` months before the drain. So
each message keeps its category, relation, machine kind, quarantine, its forwards and
acknowledgements with their states and bodies, and the month of the drain holds the drain
plus the copies that fall in it; earlier months hold the rest. Raw files are not copied:
the copies point at the drain's files (reports, listings, tickets and metrics never read
them), and raw/ is the drain's; with --raw, every copy gets its own files (hard links to
the drain's) in the drain's layout, so that a newer pilah's first start has a whole
history's raw/ to fan out.
"""
import argparse
import datetime as dt
import math
import os
import shutil
import sqlite3
import sys


def shift(value, days):
    """An RFC 3339 time as pilah writes it, `days` earlier, in the same format."""
    if not value or days == 0:
        return value
    try:
        base = value[:19]
        t = dt.datetime.strptime(base, "%Y-%m-%dT%H:%M:%S") - dt.timedelta(days=days)
    except ValueError:
        return value
    return t.strftime("%Y-%m-%dT%H:%M:%S") + value[19:]


TIMES = {
    "messages": ["internal_date", "fetched_at", "classified_at", "filed_at"],
    "outbox": ["created_at", "next_attempt_at", "sent_at", "failed_at", "released_at"],
    "tickets": ["opened_at", "answered_at", "reminded_at", "escalated_at"],
    "events": ["at"],
}


def columns(db, table, schema="main"):
    return [r[1] for r in db.execute(f"PRAGMA {schema}.table_info({table})")]


def build(a):
    src_db = os.path.join(a.source, "pilah.sqlite")
    if os.path.exists(a.out):
        shutil.rmtree(a.out)
    os.makedirs(a.out)
    os.chmod(a.out, 0o700)
    # The drain's database, consistent (WAL included), and its raw files.
    src = sqlite3.connect(src_db)
    out_db = os.path.join(a.out, "pilah.sqlite")
    src.execute("VACUUM INTO ?", (out_db,))
    src.close()
    if os.path.isdir(os.path.join(a.source, "raw")):
        shutil.copytree(os.path.join(a.source, "raw"), os.path.join(a.out, "raw"), symlinks=True)
    db = sqlite3.connect(out_db)
    db.create_function("shift", 2, shift, deterministic=True)
    db.execute("ATTACH ? AS src", (src_db,))
    src_dir = os.path.abspath(a.source)
    out_dir = os.path.abspath(a.out)
    db.execute("UPDATE messages SET raw_path = replace(raw_path, ?, ?)", (src_dir, out_dir))
    n_src = db.execute("SELECT count(*) FROM src.messages").fetchone()[0]
    if n_src == 0:
        sys.exit("the source database has no messages")
    copies = max(1, math.ceil(a.count / n_src))
    span = int(a.months * 30.44)
    mstride = db.execute("SELECT max(id) + 1 FROM src.messages").fetchone()[0]
    ustride = db.execute("SELECT max(uid) + 1 FROM src.messages").fetchone()[0]
    ostride = db.execute("SELECT coalesce(max(id), 0) + 1 FROM src.outbox").fetchone()[0]
    estride = db.execute("SELECT coalesce(max(id), 0) + 1 FROM src.events").fetchone()[0]
    per_copy = {t: columns(db, t, "src") for t in TIMES}
    left = a.count - n_src
    for k in range(1, copies):
        days = round(k * span / copies) if copies > 1 else 0
        take = min(n_src, left)
        if take <= 0:
            break
        left -= take

        def expr(table, col):
            if col in TIMES[table]:
                return f"shift({col}, {days})"
            if table == "messages":
                return {
                    "id": f"id + {k * mstride}",
                    "uid": f"uid + {k * ustride}",
                    "message_id": f"CASE WHEN message_id IS NULL THEN NULL ELSE message_id || '.h{k}' END",
                    "sha256": f"substr(sha256, 1, 56) || printf('%08x', {k})",
                    "ticket": f"CASE WHEN ticket IS NULL THEN NULL ELSE 'H{k}-' || ticket END",
                    "raw_path": (
                        f"'{out_dir}/raw/' || mailbox || '/' || uidvalidity || '/' || (uid + {k * ustride}) || '.eml'"
                        if a.raw else f"replace(raw_path, '{src_dir}', '{out_dir}')"),
                }.get(col, col)
            if table == "outbox":
                return {
                    "id": f"id + {k * ostride}",
                    "message_row": f"CASE WHEN message_row IS NULL THEN NULL ELSE message_row + {k * mstride} END",
                    "message_id": f"'<H{k}-' || substr(message_id, 2)",
                }.get(col, col)
            if table == "tickets":
                return {"ticket": f"'H{k}-' || ticket"}.get(col, col)
            if table == "events":
                return {
                    "id": f"id + {k * estride}",
                    "message_row": f"CASE WHEN message_row IS NULL THEN NULL ELSE message_row + {k * mstride} END",
                }.get(col, col)
            return col

        limit = f"id < (SELECT id FROM src.messages ORDER BY id LIMIT 1 OFFSET {take - 1}) + 1"
        for table, cols in per_copy.items():
            sel = ", ".join(expr(table, c) for c in cols)
            where = ""
            if table == "messages":
                where = f"WHERE {limit}"
            elif table in ("outbox", "events"):
                where = f"WHERE message_row IS NULL OR message_row IN (SELECT id FROM src.messages WHERE {limit})"
            elif table == "tickets":
                where = f"WHERE ticket IN (SELECT ticket FROM src.messages WHERE {limit} AND ticket IS NOT NULL)"
            db.execute(f"INSERT INTO main.{table} ({', '.join(cols)}) SELECT {sel} FROM src.{table} {where}")
        if a.raw:
            # Each copy's raw files, as hard links to the drain's, in the layout the source
            # has (pilah before schema 5: raw/<mailbox>/<uidvalidity>/<uid>.eml).
            for mid, path in db.execute(
                f"SELECT m.raw_path, s.raw_path FROM main.messages m JOIN src.messages s "
                f"ON m.id = s.id + {k * mstride} WHERE s.{limit}"
            ):
                src_file = path.replace(src_dir, out_dir, 1)
                if os.path.exists(src_file) and not os.path.exists(mid):
                    os.link(src_file, mid)
        db.commit()
        if k % 20 == 0:
            print(f"  copy {k}/{copies - 1}", file=sys.stderr)
    db.commit()
    db.execute("DETACH src")
    n = db.execute("SELECT count(*) FROM messages").fetchone()[0]
    db.close()
    print(n)


def month(a):
    db = sqlite3.connect(a.db)
    print(db.execute(
        "SELECT substr(internal_date, 1, 7) m FROM messages WHERE internal_date IS NOT NULL "
        "GROUP BY m ORDER BY count(*) DESC, m DESC LIMIT 1").fetchone()[0])


def ticket(a):
    db = sqlite3.connect(a.db)
    row = db.execute(
        "SELECT m.ticket FROM messages m JOIN outbox o ON o.message_row = m.id "
        "WHERE m.ticket IS NOT NULL AND substr(m.internal_date, 1, 7) = ? "
        "GROUP BY m.ticket ORDER BY count(*) DESC, m.ticket LIMIT 1",
        (a.month,),
    ).fetchone()
    print(row[0] if row else "")


def sizes(a):
    db = sqlite3.connect(a.db)
    n = db.execute("SELECT count(*) FROM messages").fetchone()[0]
    in_month = db.execute(
        "SELECT count(*) FROM messages WHERE substr(internal_date, 1, 7) = ?", (a.month,)
    ).fetchone()[0] if a.month else 0
    page = db.execute("PRAGMA page_size").fetchone()[0]
    pages = db.execute("PRAGMA page_count").fetchone()[0]
    free = db.execute("PRAGMA freelist_count").fetchone()[0]
    file_bytes = os.path.getsize(a.db)
    print(f"messages={n} month_messages={in_month} file_bytes={file_bytes} "
          f"file_per_msg={file_bytes / n:.0f} used_per_msg={(pages - free) * page / n:.0f}")


OLD_METRICS = [
    "SELECT mailbox, coalesce(category, ''), CASE WHEN quarantine IS NOT NULL THEN 'quarantined' "
    "WHEN machine IS NOT NULL THEN 'machine' WHEN state = 'filed' THEN 'filed' ELSE state END, count(*) "
    "FROM messages GROUP BY 1, 2, 3 ORDER BY 1, 2, 3",
    "SELECT count(*), min(created_at) FROM outbox WHERE sent_at IS NULL AND failed_at IS NULL",
    "SELECT count(*) FROM outbox WHERE failed_at IS NOT NULL",
    "SELECT kind, count(*) FROM outbox WHERE sent_at IS NOT NULL GROUP BY kind ORDER BY kind",
]
NEW_METRICS = [
    "SELECT mailbox, category, outcome, n FROM message_counts WHERE n > 0 ORDER BY mailbox, category, outcome",
    "SELECT count(*), min(created_at) FROM outbox WHERE sent_at IS NULL AND failed_at IS NULL",
    "SELECT coalesce(sum(n), 0) FROM outbox_counts WHERE what = 'failed'",
    "SELECT kind, n FROM outbox_counts WHERE what = 'sent' AND n > 0 ORDER BY kind",
]


def scrape(a):
    """The database part of one /metrics scrape: the statements of src/store/metrics.rs of
    the database's schema version, on one read transaction, timed; prints seconds and the
    figures (to compare before and after)."""
    import time
    db = sqlite3.connect(a.db, isolation_level=None)
    new = db.execute("SELECT count(*) FROM sqlite_master WHERE name = 'message_counts'").fetchone()[0]
    t = time.monotonic()
    db.execute("BEGIN")
    rows = [db.execute(q).fetchall() for q in (NEW_METRICS if new else OLD_METRICS)]
    db.execute("COMMIT")
    took = time.monotonic() - t
    print(f"{took:.4f}")
    print(repr(rows), file=sys.stderr)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="cmd", required=True)
    b = sub.add_parser("build")
    b.add_argument("--source", required=True)
    b.add_argument("--out", required=True)
    b.add_argument("--count", type=int, required=True)
    b.add_argument("--months", type=float, default=26)
    b.add_argument("--raw", action="store_true",
                   help="give every copy its raw files (hard links), in the source's layout")
    m = sub.add_parser("month")
    m.add_argument("--db", required=True)
    t = sub.add_parser("ticket")
    t.add_argument("--db", required=True)
    t.add_argument("--month", required=True)
    s = sub.add_parser("sizes")
    s.add_argument("--db", required=True)
    s.add_argument("--month")
    c = sub.add_parser("scrape")
    c.add_argument("--db", required=True)
    a = p.parse_args()
    {"build": build, "month": month, "ticket": ticket, "sizes": sizes, "scrape": scrape}[a.cmd](a)


if __name__ == "__main__":
    main()
