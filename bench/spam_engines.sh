#!/usr/bin/env bash
# The two spam engines of Debian 12 on tests/fixtures/real/, offline (docs/performance.md,
# "11. Spam engines").
#
#   bash bench/spam_engines.sh [spamd] [rspamd]     (default: both; as root)
#
# spamd: scripts/spamd.sh starts SpamAssassin's spamd privately (offline, no Bayes) on
# PILAH_SPAMD_PORT (default 10783). rspamd: installed from Debian if missing (no service
# started) and run from a private directory, <stack dir>/rspamd, with the package's config
# plus local.d overrides: its workers on PILAH_SPAMD_PORT+50..+52 on 127.0.0.1, no fuzzy
# worker, no Redis, and a DNS resolver on a closed loopback port with a 50 ms timeout (so that
# every DNS rule fails at once instead of waiting ~2 s per message; without it rspamd cannot
# finish the corpus offline). It is stopped again at the end; spamd is left running.
# bench/spam_engines.py scores every message and prints the figures per kind; the TSV lines
# are appended to target/bench-results/spam_engines.tsv.
set -euo pipefail
cd "$(dirname "$0")/.."

PORT=${PILAH_SPAMD_PORT:-10783}
STACK_DIR=${PILAH_MAILSTACK_DIR:-$PWD/.mailstack}
OUT=target/bench-results
mkdir -p "$OUT"
engines=("$@")
[ "${#engines[@]}" -gt 0 ] || engines=(spamd rspamd)

log() { printf 'spam_engines: %s\n' "$*" >&2; }
die() { printf 'spam_engines: error: %s\n' "$*" >&2; exit 1; }

RSPAMD_PID=""
stop_rspamd() {
    if [ -n "$RSPAMD_PID" ] && kill -0 "$RSPAMD_PID" 2>/dev/null; then
        kill "$RSPAMD_PID" 2>/dev/null || true
    fi
}
trap stop_rspamd EXIT

start_rspamd() {
    local dir=$STACK_DIR/rspamd normal=$((PORT + 50)) i
    if ! command -v rspamd >/dev/null 2>&1; then
        # shellcheck source=scripts/lib/apt.sh
        . scripts/lib/apt.sh
        apt_ensure rspamd
    fi
    mkdir -p "$dir/local.d" "$dir/db" "$dir/run" "$dir/log"
    printf 'bind_socket = "127.0.0.1:%s";\ncount = 1;\n' "$normal" >"$dir/local.d/worker-normal.inc"
    printf 'bind_socket = "127.0.0.1:%s";\ncount = 1;\n' $((PORT + 51)) >"$dir/local.d/worker-controller.inc"
    printf 'bind_socket = "127.0.0.1:%s";\ncount = 1;\n' $((PORT + 52)) >"$dir/local.d/worker-proxy.inc"
    printf 'count = 0;\n' >"$dir/local.d/worker-fuzzy.inc"
    printf 'dns {\n  nameserver = ["127.0.0.1:%s"];\n  timeout = 0.05s;\n  retransmits = 1;\n}\n' \
        $((PORT + 53)) >"$dir/local.d/options.inc"
    printf 'type = "file";\nfilename = "%s/log/rspamd.log";\nlevel = "warning";\n' "$dir" >"$dir/local.d/logging.inc"
    chown -R _rspamd: "$dir"
    rm -f "$dir/run/rspamd.pid"
    rspamd -c /etc/rspamd/rspamd.conf -u _rspamd -g _rspamd --var=LOCAL_CONFDIR="$dir" \
        --var=DBDIR="$dir/db" --var=RUNDIR="$dir/run" --var=LOGDIR="$dir/log" \
        </dev/null >"$dir/log/start.out" 2>&1
    for ((i = 0; i < 120; i++)); do
        [ -s "$dir/run/rspamd.pid" ] && RSPAMD_PID=$(tr -dc '0-9' <"$dir/run/rspamd.pid")
        if curl -s -m 2 "http://127.0.0.1:$normal/ping" | grep -q pong; then
            log "rspamd $(rspamd --version | awk '{print $NF}') on 127.0.0.1:$normal"
            return 0
        fi
        sleep 0.5
    done
    die "rspamd did not answer on 127.0.0.1:$normal (see $dir/log)"
}

for e in "${engines[@]}"; do
    case $e in
        spamd)
            bash scripts/spamd.sh start
            python3 bench/spam_engines.py spamd "127.0.0.1:$PORT" | tee "$OUT/spam_engines-spamd.txt"
            ;;
        rspamd)
            start_rspamd
            # Its own verdicts: `reject` (15) and `add header` (6) of the package's actions.
            python3 bench/spam_engines.py rspamd "127.0.0.1:$((PORT + 50))" --threshold 15 | tee "$OUT/spam_engines-rspamd-15.txt"
            python3 bench/spam_engines.py rspamd "127.0.0.1:$((PORT + 50))" --threshold 6 | tee "$OUT/spam_engines-rspamd-6.txt"
            stop_rspamd
            ;;
        *) die "unknown engine $e (spamd, rspamd)" ;;
    esac
done
grep -h -P '^(spamd|rspamd)\t' "$OUT"/spam_engines-*.txt | sed "s/^/$(date -u +%F)\t/" >>"$OUT/spam_engines.tsv"
