#!/usr/bin/env bash
# Drain benchmark: N messages in the two mailboxes of the bench mail stack, then
#   pilah run --once              (fetch, store, classify, queue, file, send: the full drain)
#   pilah run --once --no-send    (filing only)
#   imapfilter                    (the default rules' subject keywords as searches, moving
#                                  each message to its folder; bench/imapfilter_config.py)
#   smtp-source                   (Postfix's own generator, submitting as many messages as
#                                  pilah sent, with the same content: the floor for sending)
# each on the same corpus, loaded afresh into an emptied stack.
#
#   bash bench/drain.sh                       # N = 1000 and 10000, every runner
#   bash bench/drain.sh --counts 1000 --only pilah,nosend
#
# Options: --counts "N ..." (default "1000 10000"), --only LIST (pilah, nosend, imapfilter,
# smtp-source; smtp-source needs a pilah run of the same N first), --timeout S per run
# (default 1800), --profile small|typical|mixed (default small), --variant NAME (a label for
# the results, e.g. when PILAH_BIN points at another build), --nosync (run pilah under
# eatmydata: fsync becomes a no-op, to measure what durability costs; Debian package
# eatmydata, installed if missing), --nodelay (run pilah with bench/nodelay.c preloaded:
# TCP_NODELAY on its sockets, to measure what Nagle's algorithm costs its SMTP client),
# --hold (Postfix puts what pilah and smtp-source submit in its hold queue instead of
# delivering it: submission alone, without the stack delivering into Dovecot on the same
# cores; the held mail is deleted after the run), --synthetic (smtp-source sends its own
# generated text of the same size instead of pilah's messages), --deliver-outside (the
# acknowledgements to the senders' domains are delivered into Dovecot too, one new mailbox
# per sender, instead of being discarded as mail that leaves the server; see outside_mail in
# bench/lib.sh).
#
# The floor: after pilah's full run its typical forward and acknowledgement are captured
# byte for byte (capture_sent in bench/lib.sh), and smtp-source submits them (-F) as many
# times as pilah sent each kind, forwards to as many recipients as pilah's typically had.
#
# Prints one result line per run and appends it to target/bench-results/drain.tsv:
#   wall, msgs/s, pilah user+sys CPU and its share of the wall time, peak RSS, the CPU time
#   Dovecot and Postfix used meanwhile (bench/stackcpu.py), and for pilah the phases from its
#   database: last message fetched, last filed, first and last sent (seconds after start).
# Uses its own stack (PILAH_MAILSTACK_DIR=/tmp/pilah-bench-stack, ports 12143/12993/12025):
# see bench/lib.sh. The stack is left running; stop it with
#   PILAH_MAILSTACK_DIR=/tmp/pilah-bench-stack PILAH_IMAP_PORT=12143 PILAH_IMAPS_PORT=12993 \
#   PILAH_SMTP_PORT=12025 bash scripts/mailstack.sh stop

source "$(dirname "$0")/lib.sh"

COUNTS="1000 10000"
ONLY="pilah,nosend,imapfilter,smtp-source"
TIMEOUT=1800
PROFILE=small
VARIANT=""
NOSYNC=0
NODELAY=0
HOLD=0
SYNTHETIC=0
OUTSIDE=discard
while [ $# -gt 0 ]; do
    case "$1" in
    --counts) COUNTS="$2"; shift 2 ;;
    --only) ONLY="$2"; shift 2 ;;
    --timeout) TIMEOUT="$2"; shift 2 ;;
    --profile) PROFILE="$2"; shift 2 ;;
    --variant) VARIANT="$2"; shift 2 ;;
    --nosync) NOSYNC=1; shift ;;
    --nodelay) NODELAY=1; shift ;;
    --hold) HOLD=1; shift ;;
    --synthetic) SYNTHETIC=1; shift ;;
    --deliver-outside) OUTSIDE=deliver; shift ;;
    *) echo "drain.sh: unknown option $1" >&2; exit 2 ;;
    esac
done
wants() { [[ ",$ONLY," == *",$1,"* ]]; }

[[ ",$ONLY," == *",imapfilter,"* ]] && NEED_IMAPFILTER=1
need_tools
build_pilah
WRAP=()
if [ "$NOSYNC" = 1 ]; then
    command -v eatmydata >/dev/null || DEBIAN_FRONTEND=noninteractive apt-get install -y -q eatmydata >/dev/null
    WRAP=(eatmydata)
    VARIANT="${VARIANT:+$VARIANT,}nosync"
fi
if [ "$NODELAY" = 1 ]; then
    cc -shared -fPIC -O2 -o "$BENCH_OUT/libnodelay.so" "$BENCH_ROOT/bench/nodelay.c" -ldl
    WRAP=(env "LD_PRELOAD=$BENCH_OUT/libnodelay.so" "${WRAP[@]}")
    VARIANT="${VARIANT:+$VARIANT,}nodelay"
fi
[ "$HOLD" = 1 ] && VARIANT="${VARIANT:+$VARIANT,}hold"
[ "$SYNTHETIC" = 1 ] && VARIANT="${VARIANT:+$VARIANT,}synthetic"
[ "$OUTSIDE" = deliver ] && VARIANT="${VARIANT:+$VARIANT,}deliver-outside"
RESULTS="$BENCH_OUT/drain.tsv"
[ -f "$RESULTS" ] || printf 'date\tvariant\tprofile\tn\trunner\twall_s\tmsgs_per_s\tuser_s\tsys_s\tcpu_share\tpeak_rss_mb\tdovecot_cpu_s\tpostfix_cpu_s\tleft_in_inbox\tdetails\n' >"$RESULTS"
machine_info >&2

result() { # runner n wall user sys rss dovecot postfix left details
    local rate share
    rate=$(awk -v n="$2" -v w="$3" 'BEGIN {printf "%.0f", (w > 0 ? n / w : 0)}')
    share=$(awk -v u="$4" -v s="$5" -v w="$3" 'BEGIN {printf "%.0f%%", (w > 0 ? 100 * (u + s) / w : 0)}')
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$(date -Is)" "${VARIANT:--}" "$PROFILE" "$2" "$1" \
        "$3" "$rate" "$4" "$5" "$share" "$6" "$7" "$8" "$9" "${10}" >>"$RESULTS"
    printf '%-12s N=%-6s wall %7.2f s  %6s msg/s  cpu %6.2f+%-5.2f s (%4s of wall)  rss %6s MB  dovecot %6s s  postfix %6s s  left %s  %s\n' \
        "$1" "$2" "$3" "$rate" "$4" "$5" "$share" "$6" "$7" "$8" "$9" "${10}"
}

run_pilah() { # n corpus_dir mode(full|nosend)
    local n=$1 dir=$2 mode=$3 work="$BENCH_OUT/run-$PROFILE-$1-$3"
    rm -rf "$work"
    mkdir -p "$work"
    log "pilah $mode, N=$n: loading the stack"
    fresh_stack
    load_corpus "$dir"
    write_config "$work/state" "$work/pilah.toml"
    outside_mail "$OUTSIDE"
    local args=(run --config "$work/pilah.toml" --once)
    [ "$mode" = nosend ] && args+=(--no-send)
    log "pilah $mode, N=$n: running"
    [ "$HOLD" = 1 ] && hold_delivery on
    start_stackcpu
    local start rc=0
    start=$(date +%s.%N)
    /usr/bin/time -v -o "$work/time.txt" timeout "$TIMEOUT" "${WRAP[@]}" "$PILAH_BIN" "${args[@]}" 2>"$work/pilah.log" || rc=$?
    stop_stackcpu
    [ "$HOLD" = 1 ] && hold_delivery off
    [ $rc = 0 ] || log "pilah exited $rc (see $work/pilah.log)"
    local stats
    stats=$(python3 "$BENCH_ROOT/bench/dbstats.py" "$work/state" "$start")
    echo "$stats" >"$work/dbstats.txt"
    eval "$stats"
    local details="fetched_by=${fetch_last}s filed_by=${filed_last}s sent=${send_first:-}..${send_last:-}s fwd=$fwd_n(${fwd_bytes}B,${fwd_rcpt}rcpt) ack=$ack_n(${ack_bytes}B) unsent=$unsent rc=$rc"
    result "pilah-$mode" "$n" "$(tv "$work/time.txt" wall)" "$(tv "$work/time.txt" user)" "$(tv "$work/time.txt" sys)" \
        "$(tv "$work/time.txt" rss)" "$DOVECOT_CPU" "$POSTFIX_CPU" "$(inbox_left)" "$details"
    if [ "$mode" = full ]; then
        echo "$fwd_n $fwd_bytes $fwd_rcpt $ack_n $ack_bytes" >"$BENCH_OUT/sent-$PROFILE-$n.txt"
        rm -rf "$BENCH_OUT/sent-$PROFILE-$n"
        capture_sent "$work/state" "$work/pilah.toml" "$BENCH_OUT/sent-$PROFILE-$n"
    fi
}

run_imapfilter() { # n corpus_dir
    local n=$1 dir=$2 work="$BENCH_OUT/run-$PROFILE-$1-imapfilter"
    rm -rf "$work"
    mkdir -p "$work"
    log "imapfilter, N=$n: loading the stack"
    fresh_stack
    load_corpus "$dir"
    python3 "$BENCH_ROOT/bench/imapfilter_config.py" --rules "$BENCH_ROOT/rules" --out "$work/config.lua" >&2
    log "imapfilter, N=$n: running"
    start_stackcpu
    local rc=0
    HOME="$work" /usr/bin/time -v -o "$work/time.txt" timeout "$TIMEOUT" imapfilter -c "$work/config.lua" >"$work/imapfilter.log" 2>&1 || rc=$?
    stop_stackcpu
    result imapfilter "$n" "$(tv "$work/time.txt" wall)" "$(tv "$work/time.txt" user)" "$(tv "$work/time.txt" sys)" \
        "$(tv "$work/time.txt" rss)" "$DOVECOT_CPU" "$POSTFIX_CPU" "$(inbox_left)" "rc=$rc"
}

run_smtp_source() { # n
    local n=$1 work="$BENCH_OUT/run-$PROFILE-$1-smtp-source" sent="$BENCH_OUT/sent-$PROFILE-$1.txt"
    if [ ! -f "$sent" ]; then
        log "smtp-source, N=$n: no pilah full run of this N yet (needs its outbox counts); skipped"
        return
    fi
    local fwd_n fwd_bytes fwd_rcpt ack_n ack_bytes
    read -r fwd_n fwd_bytes fwd_rcpt ack_n ack_bytes <"$sent"
    rm -rf "$work"
    mkdir -p "$work"
    fresh_stack
    outside_mail "$OUTSIDE"
    local rcpt samples="$BENCH_OUT/sent-$PROFILE-$1" fwd_content ack_content content
    rcpt=$(awk -v r="$fwd_rcpt" 'BEGIN {printf "%d", r + 0.5}')
    [ "$rcpt" -ge 1 ] || rcpt=1
    if [ "$SYNTHETIC" = 0 ] && [ -s "$samples/forward.eml" ] && [ -s "$samples/ack.eml" ]; then
        # pilah's own messages; forwards to as many recipients as pilah's typical one had.
        rcpt=$(cat "$samples/recipients")
        fwd_content=(-F "$samples/forward.eml")
        ack_content=(-F "$samples/ack.eml")
        content="pilah's ($(wc -c <"$samples/forward.eml") and $(wc -c <"$samples/ack.eml") B)"
    else
        fwd_content=(-l "$fwd_bytes")
        ack_content=(-l "$ack_bytes")
        content=synthetic
    fi
    log "smtp-source, N=$n: $fwd_n forwards to $rcpt recipients, then $ack_n acknowledgements; content $content"
    [ "$HOLD" = 1 ] && hold_delivery on
    start_stackcpu
    # One session, sequential, the connection kept (-d): what pilah's outbox does.
    local t1="$work/time-fwd.txt" t2="$work/time-ack.txt"
    # Acknowledgements go to a sender's domain, as pilah's do (discarded unless
    # --deliver-outside), with the null sender pilah uses for them.
    /usr/bin/time -v -o "$t1" timeout "$TIMEOUT" smtp-source -s 1 -d -m "$fwd_n" "${fwd_content[@]}" -r "$rcpt" \
        -f pilah@djpk.test -t pic.bench@djpk.test -M pilah.test "127.0.0.1:$PILAH_SMTP_PORT" >"$work/fwd.log" 2>&1
    /usr/bin/time -v -o "$t2" timeout "$TIMEOUT" smtp-source -s 1 -d -m "$ack_n" "${ack_content[@]}" -r 1 \
        -f '' -t sender.bench@pemda.test -M pilah.test "127.0.0.1:$PILAH_SMTP_PORT" >"$work/ack.log" 2>&1
    stop_stackcpu
    [ "$HOLD" = 1 ] && hold_delivery off
    local wall user sys rss
    wall=$(awk -v a="$(tv "$t1" wall)" -v b="$(tv "$t2" wall)" 'BEGIN {printf "%.2f", a + b}')
    user=$(awk -v a="$(tv "$t1" user)" -v b="$(tv "$t2" user)" 'BEGIN {printf "%.2f", a + b}')
    sys=$(awk -v a="$(tv "$t1" sys)" -v b="$(tv "$t2" sys)" 'BEGIN {printf "%.2f", a + b}')
    rss=$(tv "$t1" rss)
    result smtp-source "$n" "$wall" "$user" "$sys" "$rss" "$DOVECOT_CPU" "$POSTFIX_CPU" "-" \
        "messages=$((fwd_n + ack_n)) fwd=$(tv "$t1" wall)s ack=$(tv "$t2" wall)s content=${content%% *}"
}

for n in $COUNTS; do
    dir=$(corpus "$PROFILE" "$n")
    wants pilah && run_pilah "$n" "$dir" full
    wants nosend && run_pilah "$n" "$dir" nosend
    wants imapfilter && run_imapfilter "$n" "$dir"
    wants smtp-source && run_smtp_source "$n"
done
log "results appended to $RESULTS"
