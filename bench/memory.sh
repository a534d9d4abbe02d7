#!/usr/bin/env bash
# Peak memory (RSS) of pilah for one large message, and for a drain of many small ones.
#
#   bash bench/memory.sh [--big-mb 25] [--small-count 10000] [--skip-small]
#
# 1. One report with a --big-mb attachment (default 25 MB) in lapor@djpk.test:
#    `pilah run --once` (it is stored, parsed, classified, forwarded as an attachment to the
#    unit's PICs and acknowledged) and `pilah run --once --no-send`; peak RSS of each
#    (`/usr/bin/time -v`). Target of issue 18: under message size + 32 MB.
# 2. The drain of --small-count small messages (bench/drain.sh --only pilah,nosend), whose
#    result line carries the peak RSS. Target: under 64 MB. --skip-small leaves it out
#    (drain.sh measures it anyway).
# Results are appended to target/bench-results/memory.tsv. Stack and PILAH_BIN: bench/lib.sh.

source "$(dirname "$0")/lib.sh"

BIG_MB=25
SMALL=10000
SKIP_SMALL=0
while [ $# -gt 0 ]; do
    case "$1" in
    --big-mb) BIG_MB="$2"; shift 2 ;;
    --small-count) SMALL="$2"; shift 2 ;;
    --skip-small) SKIP_SMALL=1; shift ;;
    *) echo "memory.sh: unknown option $1" >&2; exit 2 ;;
    esac
done

need_tools
build_pilah
machine_info >&2
RESULTS="$BENCH_OUT/memory.tsv"
[ -f "$RESULTS" ] || printf 'date\tcase\tmessage_mb\twall_s\tuser_s\tsys_s\tpeak_rss_mb\ttarget_mb\tdetails\n' >"$RESULTS"

dir="$CORPUS_DIR/big-$BIG_MB"
[ -f "$dir/manifest.tsv" ] || python3 "$BENCH_ROOT/bench/gen_corpus.py" --big-mb "$BIG_MB" --out "$dir" >&2
size=$(awk -F'\t' 'NR == 2 {print $4}' "$dir/manifest.tsv")
msg_mb=$(awk -v s="$size" 'BEGIN {printf "%.1f", s / 1048576}')
target=$(awk -v s="$size" 'BEGIN {printf "%.0f", s / 1048576 + 32}')

for mode in full nosend; do
    work="$BENCH_OUT/run-big-$BIG_MB-$mode"
    rm -rf "$work"
    mkdir -p "$work"
    fresh_stack
    load_corpus "$dir"
    write_config "$work/state" "$work/pilah.toml"
    args=(run --config "$work/pilah.toml" --once)
    [ "$mode" = nosend ] && args+=(--no-send)
    log "pilah $mode, one message of $msg_mb MB"
    start=$(date +%s.%N)
    rc=0
    /usr/bin/time -v -o "$work/time.txt" timeout 600 "$PILAH_BIN" "${args[@]}" 2>"$work/pilah.log" || rc=$?
    stats=$(python3 "$BENCH_ROOT/bench/dbstats.py" "$work/state" "$start")
    eval "$stats"
    rss=$(tv "$work/time.txt" rss)
    details="filed=$filed fwd=$fwd_n(${fwd_bytes}B) ack=$ack_n left=$(inbox_left) rc=$rc"
    printf 'big-%s  %s MB message: wall %s s, cpu %s+%s s, peak RSS %s MB (target < %s MB)  %s\n' \
        "$mode" "$msg_mb" "$(tv "$work/time.txt" wall)" "$(tv "$work/time.txt" user)" "$(tv "$work/time.txt" sys)" "$rss" "$target" "$details"
    printf '%s\tbig-%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$(date -Is)" "$mode" "$msg_mb" "$(tv "$work/time.txt" wall)" \
        "$(tv "$work/time.txt" user)" "$(tv "$work/time.txt" sys)" "$rss" "$target" "$details" >>"$RESULTS"
done

if [ "$SKIP_SMALL" = 0 ]; then
    log "drain of $SMALL small messages (bench/drain.sh)"
    bash "$BENCH_ROOT/bench/drain.sh" --counts "$SMALL" --only pilah,nosend --variant memory
fi
