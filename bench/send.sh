#!/usr/bin/env bash
# Send phase alone. The outbox of a finished full drain of N messages (bench/drain.sh) is
# queued again and sent by `pilah run --once` into Postfix's hold queue; nothing is fetched
# (the INBOXes are empty), so this is pilah's sending and nothing else:
#   pilah-send          the outbox as it was: acknowledgements to the corpus's ~N distinct
#                       senders, forwards to the PICs of ~20 units
#   pilah-send-fixed    the same messages with smtp-source's recipients: every acknowledgement
#                       to one address, every forward to the same two. The difference between
#                       the two lines is what Postfix's work per distinct recipient costs.
#   smtp-source         the floor of bench/drain.sh --hold: pilah's typical messages (-F),
#                       as many of each kind, to those fixed recipients
#
#   bash bench/drain.sh --counts 10000 --only pilah    # once, for the outbox
#   bash bench/send.sh --counts 10000 [--rounds 2]
#
# Prints one line per run and appends it to target/bench-results/send.tsv. Same bench stack
# as bench/drain.sh (see bench/lib.sh); mail leaving djpk.test is discarded, the rest held.

source "$(dirname "$0")/lib.sh"

COUNTS=10000
ROUNDS=1
PROFILE=small
while [ $# -gt 0 ]; do
    case "$1" in
    --counts) COUNTS="$2"; shift 2 ;;
    --rounds) ROUNDS="$2"; shift 2 ;;
    --profile) PROFILE="$2"; shift 2 ;;
    *) echo "send.sh: unknown option $1" >&2; exit 2 ;;
    esac
done
need_tools
build_pilah
machine_info >&2
RESULTS="$BENCH_OUT/send.tsv"
[ -f "$RESULTS" ] || printf 'date\tprofile\tn\trunner\tmessages\twall_s\tmsgs_per_s\tuser_s\tsys_s\tpostfix_cpu_s\n' >"$RESULTS"

run_send() { # n variant(as-sent|fixed)
    local n=$1 variant=$2 full="$BENCH_OUT/run-$PROFILE-$1-full" work="$BENCH_OUT/send-$PROFILE-$1-$2"
    rm -rf "$work"
    mkdir -p "$work"
    cp -r "$full/state" "$work/state"
    write_config "$work/state" "$work/pilah.toml"
    local messages flag=()
    [ "$variant" = fixed ] && flag=(--fixed-recipients)
    messages=$(python3 "$BENCH_ROOT/bench/dbstats.py" --requeue-all "$work/state" "${flag[@]}")
    fresh_stack
    outside_mail discard
    hold_delivery on
    start_stackcpu
    local rc=0
    /usr/bin/time -v -o "$work/time.txt" "$PILAH_BIN" run --config "$work/pilah.toml" --once 2>"$work/pilah.log" || rc=$?
    stop_stackcpu
    hold_delivery off
    [ $rc = 0 ] || log "pilah exited $rc (see $work/pilah.log)"
    local runner="pilah-send" wall rate
    [ "$variant" = fixed ] && runner="pilah-send-fixed"
    wall=$(tv "$work/time.txt" wall)
    rate=$(awk -v n="$messages" -v w="$wall" 'BEGIN {printf "%.0f", (w > 0 ? n / w : 0)}')
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$(date -Is)" "$PROFILE" "$n" "$runner" "$messages" "$wall" "$rate" \
        "$(tv "$work/time.txt" user)" "$(tv "$work/time.txt" sys)" "$POSTFIX_CPU" >>"$RESULTS"
    printf '%-17s N=%-6s %6s messages  wall %7.2f s  %6s msg/s  cpu %5.2f+%-5.2f s  postfix %6s s  rc=%s\n' \
        "$runner" "$n" "$messages" "$wall" "$rate" "$(tv "$work/time.txt" user)" "$(tv "$work/time.txt" sys)" "$POSTFIX_CPU" "$rc"
}

for n in $COUNTS; do
    if [ ! -f "$BENCH_OUT/run-$PROFILE-$n-full/state/pilah.sqlite" ] || [ ! -s "$BENCH_OUT/sent-$PROFILE-$n/forward.eml" ]; then
        log "no full drain of N=$n yet: run bash bench/drain.sh --counts $n --only pilah first"
        exit 2
    fi
    for _ in $(seq "$ROUNDS"); do
        run_send "$n" as-sent
        run_send "$n" fixed
        bash "$BENCH_ROOT/bench/drain.sh" --counts "$n" --only smtp-source --hold 2>/dev/null | grep '^smtp-source'
    done
done
log "results appended to $RESULTS"
