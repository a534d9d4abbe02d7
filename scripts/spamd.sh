#!/usr/bin/env bash
# spamd.sh - a private SpamAssassin spamd on 127.0.0.1, the spam engine of pilah's tests and
# demo ([spam] in the config). See scripts/README.md, "spamd.sh".
#
#   scripts/spamd.sh install   install Debian's spamd + spamassassin (no system service started)
#   scripts/spamd.sh start     install if needed, write the config, start, wait until it answers PING
#   scripts/spamd.sh stop      stop what this script started (by its own pid file)
#   scripts/spamd.sh restart   stop + start
#   scripts/spamd.sh status    whether it runs, and the port
#   scripts/spamd.sh env       print `export` lines: eval "$(scripts/spamd.sh env)"
#
# Offline by design: `-L` (local tests only: no DNS blocklists, no Razor/Pyzor/DCC), DNS
# switched off in the config, no Bayes and no auto-learning (nothing is learnt from the tests'
# mail), the rules as the package ships them (/usr/share/spamassassin, never sa-update's), no
# user preferences. Its site config, pid file, log and home live in the state directory; the
# system-wide /etc/spamassassin/local.cf is not read and nothing under /etc is written.
set -euo pipefail

export PATH="/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin:${PATH:-}"
umask 022

PROG=${0##*/}
SCRIPT_DIR=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd -P)
REPO_DIR=$(cd -- "$SCRIPT_DIR/.." && pwd -P)

STACK_DIR=${PILAH_MAILSTACK_DIR:-$REPO_DIR/.mailstack}
STATE_DIR=${PILAH_SPAMD_DIR:-$STACK_DIR/spamd}
HOST=127.0.0.1
PORT=${PILAH_SPAMD_PORT:-10783}
WAIT_SECS=${PILAH_SPAMD_TIMEOUT:-90}   # spamd compiles its rules at start: 5-20 s
RULES_DIR=/usr/share/spamassassin        # the package's rules (not /var/lib/spamassassin's updates)
RUN_USER=debian-spamd                    # created by the spamassassin package

PACKAGES=(spamd spamassassin)

log() { printf '%s: %s\n' "$PROG" "$*" >&2; }
die() { printf '%s: error: %s\n' "$PROG" "$*" >&2; exit 1; }

need_root() { [ "$(id -u)" -eq 0 ] || die "'$1' must run as root (packages, a daemon that drops to $RUN_USER)"; }

[[ $PORT =~ ^[0-9]+$ ]] && [ "$PORT" -ge 1 ] && [ "$PORT" -le 65535 ] || die "invalid port '$PORT'"
case $STATE_DIR in
    /*) ;;
    *) STATE_DIR="$PWD/$STATE_DIR" ;;
esac
STATE_DIR=${STATE_DIR%/}
[[ $STATE_DIR =~ ^[A-Za-z0-9/._+-]+$ ]] || die "state dir '$STATE_DIR' may only contain [A-Za-z0-9/._+-]"
SITE=$STATE_DIR/site          # --siteconfigpath: the .pre files (plugins) and our local.cf
HOME_DIR=$STATE_DIR/home      # --helper-home-dir, owned by $RUN_USER
LOG=$STATE_DIR/log/spamd.log
PID_FILE=$STATE_DIR/spamd.pid
STACK_ENV=$STATE_DIR/spamd.env

# shellcheck source=scripts/lib/apt.sh
. "$SCRIPT_DIR/lib/apt.sh"

installed() { [ -x /usr/sbin/spamd ] && [ -d "$RULES_DIR" ] && getent passwd "$RUN_USER" >/dev/null; }

cmd_install() {
    need_root install
    installed && return 0
    apt_ensure "${PACKAGES[@]}"
    installed || die "installed, but /usr/sbin/spamd, $RULES_DIR or user $RUN_USER is missing"
    log "installed: $(spamd --version 2>/dev/null | head -n 1)"
}

write_config() {
    mkdir -p "$SITE" "$HOME_DIR" "$(dirname "$LOG")"
    # The plugins the package enables (its .pre files), without the system's local.cf.
    local f
    for f in /etc/spamassassin/*.pre; do
        [ -e "$f" ] && cp -f "$f" "$SITE/"
    done
    cat >"$SITE/local.cf" <<'EOF'
# Written by pilah's scripts/spamd.sh: offline and deterministic, for tests and the demo.
required_score 5.0
report_safe 0
dns_available no
skip_rbl_checks 1
use_bayes 0
bayes_auto_learn 0
ifplugin Mail::SpamAssassin::Plugin::AWL
use_auto_whitelist 0
endif
ifplugin Mail::SpamAssassin::Plugin::TxRep
use_txrep 0
endif
EOF
    chown -R "$RUN_USER:" "$HOME_DIR"
    cat >"$STACK_ENV" <<EOF
PILAH_SPAMD_DIR=$STATE_DIR
PILAH_SPAMD_PORT=$PORT
EOF
}

read_pid() {
    local pid
    [ -r "$PID_FILE" ] || return 1
    pid=$(tr -dc '0-9' <"$PID_FILE" | head -c 10)
    [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || return 1
    # ... and it is a spamd (a reused pid is not ours).
    tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q "spamd" || return 1
    printf '%s\n' "$pid"
}

# Succeeds if 127.0.0.1:$1 answers a SPAMC PING with PONG.
# shellcheck disable=SC2016
pongs() {
    timeout 3 bash -c 'exec 3<>"/dev/tcp/127.0.0.1/$1" || exit 1
        printf "PING SPAMC/1.5\r\n\r\n" >&3
        IFS= read -r -t 2 line <&3 || exit 1
        case $line in "SPAMD/"*" 0 PONG"*) ;; *) exit 1 ;; esac' _ "$1" 2>/dev/null
}

port_open() {
    # shellcheck disable=SC2016
    timeout 2 bash -c 'exec 3<>"/dev/tcp/127.0.0.1/$1"' _ "$1" 2>/dev/null
}

cmd_start() {
    need_root start
    installed || cmd_install
    mkdir -p "$STATE_DIR"
    exec 9>"$STATE_DIR/.lock"
    flock -w 300 9 || die "another $PROG holds $STATE_DIR/.lock"
    write_config
    if read_pid >/dev/null && pongs "$PORT"; then
        log "spamd runs (127.0.0.1:$PORT)"
        return 0
    fi
    cmd_stop >/dev/null 2>&1 || true
    if port_open "$PORT"; then die "port 127.0.0.1:$PORT is in use by another program"; fi
    : >"$LOG"
    chown "$RUN_USER:" "$LOG"
    # -L: local tests only; -x: no user preferences; -A: loopback clients only. The daemon
    # must not inherit the lock (fd 9), or no later start could take it.
    spamd -d -L -x -4 --pidfile="$PID_FILE" --syslog="$LOG" --listen="$HOST:$PORT" \
        --allowed-ips=127.0.0.1 --username="$RUN_USER" --helper-home-dir="$HOME_DIR" \
        --configpath="$RULES_DIR" --siteconfigpath="$SITE" \
        --max-children=4 --min-children=1 --min-spare=1 --max-spare=2 \
        </dev/null >>"$LOG" 2>&1 9>&- || { tail -n 25 "$LOG" >&2; die "spamd did not start"; }
    local i
    for ((i = 0; i < WAIT_SECS * 4; i++)); do
        if pongs "$PORT"; then
            log "spamd $(spamd --version 2>/dev/null | head -n 1 | awk '{print $NF}') on 127.0.0.1:$PORT (offline: local tests, no Bayes)"
            return 0
        fi
        sleep 0.25
    done
    tail -n 25 "$LOG" >&2 || true
    die "spamd did not answer PING on 127.0.0.1:$PORT within ${WAIT_SECS}s"
}

cmd_stop() {
    local pid i
    if pid=$(read_pid); then
        kill "$pid" 2>/dev/null || true
        for ((i = 0; i < 100; i++)); do
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.1
        done
    fi
    rm -f "$PID_FILE"
    log "stopped"
}

cmd_status() {
    if read_pid >/dev/null && pongs "$PORT"; then
        echo "spamd: running (127.0.0.1:$PORT)"
    else
        echo "spamd: stopped"
        return 3
    fi
}

cmd_env() {
    [ -f "$STACK_ENV" ] || die "no $STACK_ENV: run '$PROG start' first"
    sed 's/^/export /' "$STACK_ENV"
}

usage() { sed -n '2,10p' "$0" | sed 's/^# \{0,1\}//'; }

main() {
    trap apt_restore_policy EXIT
    local cmd=${1:-}
    case $cmd in
        install) cmd_install ;;
        start) cmd_start ;;
        stop) cmd_stop ;;
        restart) cmd_stop; cmd_start ;;
        status) cmd_status ;;
        env) cmd_env ;;
        -h | --help | help) usage ;;
        *) usage >&2; exit 2 ;;
    esac
}

main "$@"
