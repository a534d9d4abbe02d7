#!/usr/bin/env bash
# History benchmark: what pilah's reads cost after a long history (issue 19). A real drain's
# database (bench/drain.sh, N=3000) is replicated into histories of 10k, 100k, 1M messages
# over 26 months (bench/history.py: same rows, fresh ids, shifted dates; how it stays
# representative is in its docstring), and for each one this prints:
#   report --month M --format json, messages --month M, the metrics' statements of one
#   /metrics scrape (src/store/metrics.rs's, timed in python's sqlite3 on one read
#   transaction), ticket show (a ticket of month M with the most mail), and the database's
#   bytes per message (the file, and the pages in use once bodies of mail sent more than
#   30 days before are released and the file vacuumed).
# M is the month with the most messages (at 1M, a full month of about 1/26 of the history).
#
#   bash bench/history.sh                               # 10000 and 100000
#   bash bench/history.sh --sizes "10000 100000 1000000"
#   bash bench/history.sh --from target/bench-results/run-small-3000-full/state
#   PILAH_BASE_BIN=/path/to/older/pilah bash bench/history.sh   # also the older binary,
#        first, on the same database (before it is migrated), and the report's JSON compared
#
# Options: --sizes "N ..." (default "10000 100000"), --from STATE_DIR (a drain's state
# directory; default: bench/drain.sh --counts 3000 --only pilah is run first, on the bench
# stack of bench/lib.sh), --months M (default 26), --timeout S per command (default 600),
# --raw (every copy gets its raw files, hard links in the drain's layout: the first start of
# a pilah that fans raw/ out then moves them all; from a drain of pilah before schema 5).
# The first command of the measured binary on a history opens it: an older database is
# migrated then (its time is printed as "open/migrate").
# Results: one line per size and binary, also appended to $BENCH_OUT/history.tsv.

source "$(dirname "$0")/lib.sh"

SIZES="10000 100000"
FROM=""
MONTHS=26
TIMEOUT=600
RAW=""
while [ $# -gt 0 ]; do
    case "$1" in
    --sizes) SIZES="$2"; shift 2 ;;
    --from) FROM="$2"; shift 2 ;;
    --months) MONTHS="$2"; shift 2 ;;
    --timeout) TIMEOUT="$2"; shift 2 ;;
    --raw) RAW=--raw; shift ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
    esac
done

build_pilah
if [ -z "$FROM" ]; then
    bash "$BENCH_ROOT/bench/drain.sh" --counts 3000 --only pilah >&2
    FROM="$BENCH_OUT/run-small-3000-full/state"
fi
[ -f "$FROM/pilah.sqlite" ] || { echo "no pilah.sqlite in $FROM" >&2; exit 2; }

# secs CMD...: the wall time of CMD in seconds (stdout to $OUT_FILE), or "timeout"/"failed".
secs() {
    local start rc=0
    start=$(date +%s.%N)
    timeout "$TIMEOUT" "$@" >"$OUT_FILE" 2>>"$WORK/errors.log" || rc=$?
    if [ $rc = 124 ]; then echo "timeout(${TIMEOUT}s)"; return; fi
    if [ $rc != 0 ] && [ "${ANY_RC:-0}" != 1 ]; then echo "failed($rc)"; return; fi
    python3 -c "import sys; print('%.3f' % ($(date +%s.%N) - $start))"
}

# measure NAME BIN: one line of figures for BIN on the current history.
measure() {
    local name=$1 bin=$2 cfg="$WORK/pilah.toml" t_open t_report t_list t_ticket t_scrape
    OUT_FILE="$WORK/open-$name.txt"
    t_open=$(ANY_RC=1 secs "$bin" ticket show --config "$cfg" NO-SUCH-TICKET-0)
    OUT_FILE="$WORK/report-$name.json"
    t_report=$(secs "$bin" report --config "$cfg" --month "$MONTH" --format json)
    OUT_FILE="$WORK/messages-$name.txt"
    t_list=$(secs "$bin" messages --config "$cfg" --month "$MONTH")
    OUT_FILE="$WORK/ticket-$name.txt"
    t_ticket=$(secs "$bin" ticket show --config "$cfg" "$TICKET")
    t_scrape=$(python3 "$BENCH_ROOT/bench/history.py" scrape --db "$WORK/state/pilah.sqlite" 2>"$WORK/scrape-$name.txt")
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$N" "$name" "$t_open" "$t_report" "$t_list" "$t_scrape" "$t_ticket" "$SIZES_LINE" |
        tee -a "$BENCH_OUT/history.tsv"
}

machine_info >&2
printf 'messages\tbinary\topen/migrate s\treport json s\tmessages --month s\tmetrics queries s\tticket show s\tsizes\n'
for N in $SIZES; do
    WORK="$BENCH_OUT/history-$N"
    log "history of $N messages from $FROM"
    python3 "$BENCH_ROOT/bench/history.py" build --source "$FROM" --out "$WORK/state" --count "$N" --months "$MONTHS" $RAW >/dev/null
    write_config "$WORK/state" "$WORK/pilah.toml"
    DB="$WORK/state/pilah.sqlite"
    MONTH=$(python3 "$BENCH_ROOT/bench/history.py" month --db "$DB")
    TICKET=$(python3 "$BENCH_ROOT/bench/history.py" ticket --db "$DB" --month "$MONTH")
    SIZES_LINE=$(python3 "$BENCH_ROOT/bench/history.py" sizes --db "$DB" --month "$MONTH")
    log "month $MONTH, ticket $TICKET; $SIZES_LINE"
    if [ -n "${PILAH_BASE_BIN:-}" ]; then
        measure base "$PILAH_BASE_BIN"
    fi
    measure pilah "$PILAH_BIN"
    if [ -n "${PILAH_BASE_BIN:-}" ]; then
        if cmp -s "$WORK/report-base.json" "$WORK/report-pilah.json"; then
            log "report JSON: byte-identical ($(wc -c <"$WORK/report-pilah.json") bytes)"
        else
            log "report JSON: DIFFERENT (diff $WORK/report-base.json $WORK/report-pilah.json)"
        fi
        cmp -s "$WORK/messages-base.txt" "$WORK/messages-pilah.txt" && log "messages --month: identical" ||
            log "messages --month: DIFFERENT"
        cmp -s "$WORK/ticket-base.txt" "$WORK/ticket-pilah.txt" && log "ticket show: identical" ||
            log "ticket show: DIFFERENT"
    fi
    # What the database weighs once the bodies of mail sent before the month's last 30 days
    # are released (as limits.keep_sent_bodies_days = 30 does) and the file vacuumed.
    sqlite3_release() {
        python3 - "$DB" <<'PY'
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
cut = db.execute("SELECT strftime('%Y-%m-%dT%H:%M:%fZ', max(sent_at), '-30 days') FROM outbox").fetchone()[0]
db.execute("UPDATE outbox SET body_size = length(body) + coalesce(length(body_tail), 0), body = X'', "
           "body_tail = NULL, released_at = strftime('%Y-%m-%dT%H:%M:%fZ') WHERE released_at IS NULL AND sent_at < ?", (cut,))
db.commit()
db.execute("VACUUM")
PY
    }
    sqlite3_release
    log "released and vacuumed: $(python3 "$BENCH_ROOT/bench/history.py" sizes --db "$DB" --month "$MONTH")"
done
