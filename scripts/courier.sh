#!/usr/bin/env bash
# courier.sh - a private Courier IMAP on 127.0.0.1, the second IMAP server of pilah's tests
# (Dovecot is the first, scripts/mailstack.sh). See scripts/README.md, "courier.sh".
#
#   scripts/courier.sh install        download Debian's Courier packages, unpack them privately
#   scripts/courier.sh start          install if needed, write the config, start, wait for the ports
#   scripts/courier.sh stop           stop what this script started (by its own pid files)
#   scripts/courier.sh status         whether it runs, and the ports
#   scripts/courier.sh env            print `export` lines: eval "$(scripts/courier.sh env)"
#   scripts/courier.sh user ADDR...   make mailboxes (idempotent; the password is the stack's)
#   scripts/courier.sh maildir ADDR   print the mailbox's Maildir (for delivering into it)
#
# Courier and dovecot-imapd conflict as packages (both provide imap-server), and Courier's
# paths are compiled in (/etc/courier, /run/courier/authdaemon/socket,
# /usr/lib/courier-authlib). So nothing is installed system-wide: `apt-get download` +
# `dpkg -x` into <state>/root, and the daemons run in a private mount namespace
# (`unshare -m`) where read-only overlays put the unpacked /usr and this state's
# /etc/courier and /run/courier in place. Outside that namespace nothing changes: no file in
# /etc, /usr or /run is written, and the system's Dovecot and Postfix are never touched.
set -euo pipefail

export PATH="/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin:${PATH:-}"
umask 022

PROG=${0##*/}
SCRIPT_DIR=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd -P)
REPO_DIR=$(cd -- "$SCRIPT_DIR/.." && pwd -P)

STACK_DIR=${PILAH_MAILSTACK_DIR:-$REPO_DIR/.mailstack}
STATE_DIR=${PILAH_COURIER_DIR:-$STACK_DIR/courier}
HOST=127.0.0.1
# The full Courier: IMAP4rev1 with UIDPLUS, IDLE, NAMESPACE (no MOVE: Courier has none).
PORT=${PILAH_COURIER_PORT:-10243}
# The same server announcing neither UIDPLUS nor IDLE: pilah's last fallbacks.
BARE_PORT=${PILAH_COURIER_BARE_PORT:-10244}
PASSWORD=${PILAH_TEST_PASSWORD:-pilah-test}
WAIT_SECS=${PILAH_MAILSTACK_TIMEOUT:-30}
MAIL_USER=pilahmail   # owner of the mailboxes, as in mailstack.sh

PACKAGES=(courier-imap courier-base courier-authlib courier-authdaemon courier-authlib-userdb
    libcourier-unicode4 libgamin0 gamin libidn12 libltdl7)

log() { printf '%s: %s\n' "$PROG" "$*" >&2; }
die() { printf '%s: error: %s\n' "$PROG" "$*" >&2; exit 1; }

need_root() { [ "$(id -u)" -eq 0 ] || die "'$1' must run as root (private mounts, daemons)"; }

case $STATE_DIR in
    /*) ;;
    *) STATE_DIR="$PWD/$STATE_DIR" ;;
esac
STATE_DIR=${STATE_DIR%/}
[[ $STATE_DIR =~ ^[A-Za-z0-9/._+-]+$ ]] || die "state dir '$STATE_DIR' may only contain [A-Za-z0-9/._+-]"
ROOT=$STATE_DIR/root            # the unpacked packages
DEBS=$STATE_DIR/debs
ETC=$STATE_DIR/etc/courier      # seen as /etc/courier inside the namespace
RUN=$STATE_DIR/run              # seen as /run/courier
LOWER=$STATE_DIR/lower          # empty courier/ directories for the overlays
MAIL_DIR=$STATE_DIR/mail
LOG=$STATE_DIR/log/courier.log
PIDS=$STATE_DIR/pids
STACK_ENV=$STATE_DIR/courier.env

installed() {
    # gam_server: without it every command that reads a folder waits 1 s for it (libgamin).
    [ -x "$ROOT/usr/bin/imapd" ] && [ -x "$ROOT/usr/lib/courier/courier/imaplogin" ] \
        && [ -x "$ROOT/usr/libexec/gam_server" ]
}

cmd_install() {
    need_root install
    installed && return 0
    command -v apt-get >/dev/null 2>&1 || die "no apt-get: Courier comes from Debian's packages"
    command -v unshare >/dev/null 2>&1 || die "no unshare (util-linux)"
    id "$MAIL_USER" >/dev/null 2>&1 || die "user $MAIL_USER is missing: run scripts/mailstack.sh install first"
    mkdir -p "$DEBS"
    log "downloading ${PACKAGES[*]}"
    if ! (cd "$DEBS" && apt-get download "${PACKAGES[@]}" >&2 2>/dev/null); then
        apt-get update -q >&2 || true
        (cd "$DEBS" && apt-get download "${PACKAGES[@]}" >&2) || die "apt-get download failed"
    fi
    rm -rf "$ROOT.tmp" && mkdir -p "$ROOT.tmp"
    local d
    for d in "$DEBS"/*.deb; do dpkg -x "$d" "$ROOT.tmp"; done
    rm -rf "$ROOT" && mv "$ROOT.tmp" "$ROOT"
    installed || die "unpacked, but imapd or imaplogin is missing under $ROOT"
    log "unpacked into $ROOT"
}

# Runs "$@" in a private mount namespace where /usr, /etc/courier and /run/courier are
# this state's (read-only overlays, then bind mounts; nothing is written outside).
in_namespace() {
    mkdir -p "$LOWER/etc/courier" "$LOWER/run/courier" "$ETC" "$RUN"
    # shellcheck disable=SC2016  # expanded by the inner bash
    unshare -m --propagation private bash -c '
        set -e
        mount -t overlay pilah-courier-usr -o "lowerdir=$1/usr:/usr" /usr
        mount -t overlay pilah-courier-etc -o "lowerdir=$2/etc:/etc" /etc
        mount --bind "$3" /etc/courier
        mount -t overlay pilah-courier-run -o "lowerdir=$2/run:/run" /run
        mount --bind "$4" /run/courier
        shift 4
        exec "$@"' _ "$ROOT" "$LOWER" "$ETC" "$RUN" "$@"
}

write_config() {
    mkdir -p "$ETC" "$RUN/authdaemon" "$MAIL_DIR" "$PIDS" "$(dirname "$LOG")"
    chmod 0755 "$RUN" "$RUN/authdaemon"
    cat >"$ETC/authdaemonrc" <<EOF
authmodulelist="authuserdb"
daemons=3
authdaemonvar=/run/courier/authdaemon
DEBUG_LOGIN=0
DEFAULTOPTIONS=""
LOGGEROPTS=""
EOF
    [ -f "$ETC/userdb" ] || install -m 0600 /dev/null "$ETC/userdb"
    chown "$MAIL_USER:" "$MAIL_DIR"
    cat >"$STACK_ENV" <<EOF
PILAH_COURIER_DIR=$STATE_DIR
PILAH_COURIER_PORT=$PORT
PILAH_COURIER_BARE_PORT=$BARE_PORT
EOF
}

# imapd's settings (Debian's /etc/courier/imapd, as environment variables).
imapd_env() {
    local caps=$1
    printf '%s\n' \
        "IMAP_CAPABILITY=$caps" \
        "IMAP_KEYWORDS=1" "IMAP_ACL=1" "IMAP_PROXY=0" "IMAP_IDLE_TIMEOUT=60" \
        "IMAP_MAILBOX_SANITY_CHECK=1" "IMAP_DISABLETHREADSORT=0" "IMAP_CHECK_ALL_FOLDERS=0" \
        "IMAP_OBSOLETE_CLIENT=0" "IMAP_UMASK=022" "IMAP_ULIMITD=131072" "IMAP_USELOCKS=1" \
        "IMAP_ENHANCEDIDLE=0" "IMAP_TRASHFOLDERNAME=Trash" "IMAP_EMPTYTRASH=" \
        "IMAP_MOVE_EXPUNGE_TO_TRASH=0" "MAILDIRPATH=Maildir" "TCPDOPTS=" \
        "IMAP_SHAREDINDEXFILE=/etc/courier/shared/index"
}

# The supervisor, run inside the namespace: authdaemond and two couriertcpd, in the
# foreground each, their pids in $PIDS; it ends when they do.
supervise() {
    local full="IMAP4rev1 UIDPLUS CHILDREN NAMESPACE THREAD=ORDEREDSUBJECT THREAD=REFERENCES SORT QUOTA IDLE"
    local bare="IMAP4rev1 CHILDREN NAMESPACE"
    /usr/lib/courier/courier-authlib/authdaemond &
    echo $! >"$PIDS/authdaemond.pid"
    local p caps
    for p in "$PORT" "$BARE_PORT"; do
        if [ "$p" = "$PORT" ]; then caps=$full; else caps=$bare; fi
        local -a vars
        mapfile -t vars < <(imapd_env "$caps")
        env -i PATH=/usr/bin:/bin:/usr/sbin:/sbin "${vars[@]}" \
            /usr/sbin/couriertcpd -address=$HOST -maxprocs=40 -maxperip=40 -nodnslookup -noidentlookup \
            "$p" /usr/lib/courier/courier/imaplogin /usr/bin/imapd Maildir &
        echo $! >"$PIDS/couriertcpd-$p.pid"
    done
    wait
}

read_pid() {
    local f=$1 pid
    [ -r "$f" ] || return 1
    pid=$(tr -dc '0-9' <"$f" | head -c 10)
    [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null && printf '%s\n' "$pid"
}

running() {
    local f
    for f in "$PIDS/authdaemond.pid" "$PIDS/couriertcpd-$PORT.pid" "$PIDS/couriertcpd-$BARE_PORT.pid"; do
        read_pid "$f" >/dev/null || return 1
    done
}

# shellcheck disable=SC2016
port_greets() {
    timeout 3 bash -c 'exec 3<>"/dev/tcp/127.0.0.1/$1" || exit 1
        IFS= read -r -t 2 line <&3 || exit 1
        case $line in "* OK"*) ;; *) exit 1 ;; esac
        printf "a LOGOUT\r\n" >&3' _ "$1" 2>/dev/null
}

cmd_start() {
    need_root start
    installed || cmd_install
    write_config
    if running; then
        log "Courier runs (127.0.0.1:$PORT, :$BARE_PORT)"
        return 0
    fi
    cmd_stop >/dev/null 2>&1 || true
    local p
    for p in "$PORT" "$BARE_PORT"; do
        if port_greets "$p"; then die "port 127.0.0.1:$p is in use by another program"; fi
    done
    rebuild_userdb
    setsid "$0" __supervise </dev/null >>"$LOG" 2>&1 &
    local i
    for ((i = 0; i < WAIT_SECS * 4; i++)); do
        if port_greets "$PORT" && port_greets "$BARE_PORT"; then
            log "Courier IMAP on 127.0.0.1:$PORT (UIDPLUS, IDLE) and :$BARE_PORT (neither)"
            return 0
        fi
        sleep 0.25
    done
    tail -n 25 "$LOG" >&2 || true
    die "Courier did not answer on 127.0.0.1:$PORT and :$BARE_PORT within ${WAIT_SECS}s"
}

cmd_stop() {
    local f pid
    for f in "$PIDS"/*.pid; do
        [ -e "$f" ] || continue
        if pid=$(read_pid "$f"); then kill "$pid" 2>/dev/null || true; fi
        rm -f "$f"
    done
    log "stopped"
}

cmd_status() {
    if running; then
        echo "courier: running (127.0.0.1:$PORT with UIDPLUS and IDLE, :$BARE_PORT without)"
    else
        echo "courier: stopped"
        return 3
    fi
}

cmd_env() {
    [ -f "$STACK_ENV" ] || die "no $STACK_ENV: run '$PROG start' first"
    sed 's/^/export /' "$STACK_ENV"
}

# Makes userdb.dat from the userdb text (makeuserdb, inside the namespace).
rebuild_userdb() {
    in_namespace /usr/sbin/makeuserdb >&2 || die "makeuserdb failed"
}

maildir_of() {
    local addr=${1,,}
    [[ $addr =~ ^[a-z0-9._+-]+@[a-z0-9.-]+$ ]] || die "not an address: $1"
    printf '%s/%s/%s/Maildir\n' "$MAIL_DIR" "${addr#*@}" "${addr%@*}"
}

# Adds mailboxes: a userdb entry with the stack's password, and a Maildir owned by the
# mail user. authdaemond reads userdb.dat afresh when it changes.
cmd_user() {
    need_root user
    installed || die "not installed: run '$PROG start' first"
    write_config >/dev/null
    local uid gid addr md hash changed=0
    uid=$(id -u "$MAIL_USER") gid=$(id -g "$MAIL_USER")
    exec 9>"$STATE_DIR/.userdb.lock"
    flock 9
    for addr in "$@"; do
        addr=${addr,,}
        md=$(maildir_of "$addr")
        if ! grep -q "^$addr	" "$ETC/userdb"; then
            hash=$(openssl passwd -6 "$PASSWORD")
            printf '%s\tuid=%s|gid=%s|home=%s|mail=%s|systempw=%s\n' \
                "$addr" "$uid" "$gid" "${md%/Maildir}" "$md" "$hash" >>"$ETC/userdb"
            changed=1
        fi
        if [ ! -d "$md/cur" ]; then
            mkdir -p "$md/cur" "$md/new" "$md/tmp"
            chown -R "$uid:$gid" "${md%/Maildir}"
        fi
    done
    [ "$changed" = 0 ] || rebuild_userdb
}

usage() {
    sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//'
}

main() {
    local cmd=${1:-}
    shift || true
    case $cmd in
        install) cmd_install ;;
        start) cmd_start ;;
        stop) cmd_stop ;;
        restart) cmd_stop; cmd_start ;;
        status) cmd_status ;;
        env) cmd_env ;;
        user) cmd_user "$@" ;;
        maildir) maildir_of "${1:?address}" ;;
        __supervise) in_namespace "$0" __supervise_inside ;;
        __supervise_inside) supervise ;;
        *) usage; exit 2 ;;
    esac
}

main "$@"
