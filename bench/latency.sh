#!/usr/bin/env bash
# Latency from arrival to acknowledgement, with the daemon in IDLE mode.
#
#   bash bench/latency.sh [--rate 2] [--duration 60]
#
# Empties the bench mail stack, starts `pilah run` (the daemon: IMAP IDLE on both mailboxes,
# outbox sent as soon as something is queued), waits until it watches, then APPENDs a report
# to lapor@djpk.test every 1/rate s for `duration` s (bench/latency.py), each from its own
# sender, and measures for each the time until its acknowledgement is in the sender's
# Maildir. Prints median, p90, p99, max and the daemon's peak RSS; appends a line to
# target/bench-results/latency.tsv (per-message times in target/bench-results/latency-*.tsv).
# Stack and PILAH_BIN: see bench/lib.sh.

source "$(dirname "$0")/lib.sh"

RATE=2
DURATION=60
while [ $# -gt 0 ]; do
    case "$1" in
    --rate) RATE="$2"; shift 2 ;;
    --duration) DURATION="$2"; shift 2 ;;
    *) echo "latency.sh: unknown option $1" >&2; exit 2 ;;
    esac
done

need_tools
build_pilah
machine_info >&2
work="$BENCH_OUT/run-latency"
rm -rf "$work"
mkdir -p "$work"
fresh_stack
write_config "$work/state" "$work/pilah.toml"

log "starting the daemon"
/usr/bin/time -v -o "$work/time.txt" "$PILAH_BIN" run --config "$work/pilah.toml" 2>"$work/pilah.log" &
TIME_PID=$!
stop_daemon() {
    # /usr/bin/time's child is pilah: stop exactly that process.
    local p
    p=$(pgrep -P "$TIME_PID" 2>/dev/null || true)
    [ -n "$p" ] && kill -TERM "$p" 2>/dev/null || true
    wait "$TIME_PID" 2>/dev/null || true
}
trap stop_daemon EXIT
# Started, then a moment for both mailboxes' first (empty) drain and their IDLE.
for _ in $(seq 1 100); do
    grep -q 'step="started"\|pilah running' "$work/pilah.log" && break
    sleep 0.1
done
sleep 2

log "sending $RATE/s for $DURATION s"
line=$(python3 "$BENCH_ROOT/bench/latency.py" --stack-dir "$PILAH_MAILSTACK_DIR" --rate "$RATE" --duration "$DURATION" \
    --out "$BENCH_OUT/latency-$(date +%Y%m%dT%H%M%S).tsv")
stop_daemon
trap - EXIT
rss=$(tv "$work/time.txt" rss)
echo "$line; daemon peak RSS $rss MB, CPU $(tv "$work/time.txt" user)+$(tv "$work/time.txt" sys) s"
RESULTS="$BENCH_OUT/latency.tsv"
[ -f "$RESULTS" ] || printf 'date\trate\tduration\tresult\tpeak_rss_mb\n' >"$RESULTS"
printf '%s\t%s\t%s\t%s\t%s\n' "$(date -Is)" "$RATE" "$DURATION" "$line" "$rss" >>"$RESULTS"
