#!/usr/bin/env bash
# mailstack.sh - a private, loopback-only mail stack (Postfix + Dovecot) for
# pilah's integration tests and demos.  See scripts/README.md.
#
#   scripts/mailstack.sh install   install the Debian packages (no system daemons started)
#   scripts/mailstack.sh start     install if needed, write configs, start both, wait for ports
#   scripts/mailstack.sh stop      stop what this script started (by its own pid files)
#   scripts/mailstack.sh restart   stop + start
#   scripts/mailstack.sh status    show whether each daemon runs, and the ports
#   scripts/mailstack.sh env       print `export` lines: eval "$(scripts/mailstack.sh env)"
#   scripts/mailstack.sh reset     stop and delete all mail and the queue (keeps cert + config)
#
# Everything lives under ${PILAH_MAILSTACK_DIR:-<repo>/.mailstack}.  The script
# never touches the system-wide Dovecot/Postfix instances (/etc/dovecot,
# /etc/postfix, /run/dovecot, /var/spool/postfix): it only signals processes
# whose pid files are inside its own state directory.
set -euo pipefail

export PATH="/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin:${PATH:-}"
umask 022

PROG=${0##*/}
SCRIPT_DIR=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd -P)
REPO_DIR=$(cd -- "$SCRIPT_DIR/.." && pwd -P)

# --- settings (environment overrides) ---------------------------------------
STATE_DIR=${PILAH_MAILSTACK_DIR:-$REPO_DIR/.mailstack}
HOST=127.0.0.1
IMAP_PORT=${PILAH_IMAP_PORT:-10143}
IMAPS_PORT=${PILAH_IMAPS_PORT:-10993}
SMTP_PORT=${PILAH_SMTP_PORT:-10025}
SMTPS_PORT=${PILAH_SMTPS_PORT:-10465}   # SMTP with TLS from the first byte (as port 465)
SUBMISSION_PORT=${PILAH_SUBMISSION_PORT:-10587}   # SMTP that requires AUTH (password or OAuth2)
OAUTH2_PORT=${PILAH_OAUTH2_PORT:-10080}           # the loopback OAuth2 token/introspection server
PASSWORD=${PILAH_TEST_PASSWORD:-pilah-test}
WAIT_SECS=${PILAH_MAILSTACK_TIMEOUT:-30}
MAIL_USER=pilahmail            # owner of all mailboxes (created by `install`)
MYHOSTNAME=mail.djpk.test

PACKAGES=(dovecot-imapd dovecot-lmtpd postfix openssl)

# --- helpers -----------------------------------------------------------------
log()  { printf '%s: %s\n' "$PROG" "$*" >&2; }
die()  { printf '%s: error: %s\n' "$PROG" "$*" >&2; exit 1; }

need_root() {
    [ "$(id -u)" -eq 0 ] || die "'$1' must run as root (it installs packages / starts daemons)"
}

is_port() { [[ $1 =~ ^[0-9]+$ ]] && [ "$1" -ge 1 ] && [ "$1" -le 65535 ]; }

validate_settings() {
    local p
    for p in "$IMAP_PORT" "$IMAPS_PORT" "$SMTP_PORT" "$SMTPS_PORT" "$SUBMISSION_PORT" "$OAUTH2_PORT"; do
        is_port "$p" || die "invalid port '$p'"
    done
    if [ "$(printf '%s\n' "$IMAP_PORT" "$IMAPS_PORT" "$SMTP_PORT" "$SMTPS_PORT" "$SUBMISSION_PORT" "$OAUTH2_PORT" | sort -u | wc -l)" != 6 ]; then
        die "IMAP ($IMAP_PORT), IMAPS ($IMAPS_PORT), SMTP ($SMTP_PORT), SMTPS ($SMTPS_PORT), submission ($SUBMISSION_PORT) and OAuth2 ($OAUTH2_PORT) ports must differ"
    fi
    [[ $PASSWORD =~ ^[!-~]+$ ]] || die "PILAH_TEST_PASSWORD must be printable ASCII without spaces"
    case $STATE_DIR in
        /*) ;;
        *) STATE_DIR="$PWD/$STATE_DIR" ;;
    esac
    [[ $STATE_DIR =~ ^[A-Za-z0-9/._+-]+$ ]] \
        || die "state dir '$STATE_DIR' may only contain [A-Za-z0-9/._+-] (Postfix/Dovecot config syntax)"
    STATE_DIR=${STATE_DIR%/}
    # Dovecot's unix sockets live in $DC_RUN; sun_path is limited to 107 bytes.
    [ "${#STATE_DIR}" -le 70 ] || die "state dir path too long for unix sockets (max 70 chars): $STATE_DIR"
}

set_paths() {
    TLS_DIR=$STATE_DIR/tls
    CERT=$TLS_DIR/cert.pem
    KEY=$TLS_DIR/key.pem
    LOG_DIR=$STATE_DIR/log
    MAIL_DIR=$STATE_DIR/mail
    DC_DIR=$STATE_DIR/dovecot
    DC_CONF=$DC_DIR/dovecot.conf
    DC_RUN=$DC_DIR/run                 # base_dir: master.pid, sockets
    DC_STATE=$DC_DIR/state             # state_dir
    DC_PID=$DC_RUN/master.pid
    LMTP_SOCKET=$DC_RUN/lmtp
    AUTH_SOCKET=$DC_RUN/auth-postfix   # Dovecot's SASL for Postfix's submission port
    OAUTH2_CONF=$DC_DIR/dovecot-oauth2.conf.ext
    OAUTH2_DIR=$STATE_DIR/oauth2
    OAUTH2_PID=$OAUTH2_DIR/server.pid
    PF_DIR=$STATE_DIR/postfix
    PF_CONF=$PF_DIR/etc                # config_directory (main.cf, master.cf, maps)
    PF_QUEUE=$PF_DIR/spool             # queue_directory
    PF_DATA=$PF_DIR/data               # data_directory
    PF_PID=$PF_QUEUE/pid/master.pid
    STACK_ENV=$STATE_DIR/stack.env
    LOCK_FILE=$STATE_DIR/.lock
}

# Write stdin to $1 only if the content differs (Postfix waits ~2 s after a
# main.cf change, so an unchanged config must keep its mtime).
# Sets WROTE=1 if the file changed, WROTE=0 if not.
WROTE=0
write_if_changed() {
    local dest=$1 mode=${2:-0644} tmp
    tmp=$(mktemp "$dest.tmp.XXXXXX") || die "cannot create a file next to $dest"
    cat >"$tmp" || die "cannot write $tmp"
    chmod "$mode" "$tmp"
    if [ -f "$dest" ] && cmp -s "$tmp" "$dest"; then
        rm -f "$tmp"
        WROTE=0
    else
        mv -f "$tmp" "$dest" || die "cannot replace $dest"
        WROTE=1
    fi
}

# Succeeds if something accepts TCP connections on 127.0.0.1:$1.
# shellcheck disable=SC2016  # $1.. are expanded by the inner bash
port_open() {
    timeout 2 bash -c 'exec 3<>"/dev/tcp/127.0.0.1/$1"' _ "$1" 2>/dev/null
}

# Succeeds if 127.0.0.1:$1 answers with a greeting starting with $2.
# shellcheck disable=SC2016
port_greets() {
    timeout 3 bash -c 'exec 3<>"/dev/tcp/127.0.0.1/$1" || exit 1
        IFS= read -r -t 2 line <&3 || exit 1
        case $line in "$2"*) ;; *) exit 1 ;; esac
        printf "%s\r\n" "$3" >&3' _ "$1" "$2" "$3" 2>/dev/null
}

tail_logs() {
    local f
    for f in "$@"; do
        [ -s "$f" ] || continue
        printf -- '--- last lines of %s ---\n' "$f" >&2
        tail -n 25 "$f" >&2 || true
    done
}

read_pid() {   # read_pid FILE -> prints pid if file holds one
    local f=$1 pid
    [ -r "$f" ] || return 1
    pid=$(tr -dc '0-9' <"$f" | head -c 10)
    [ -n "$pid" ] || return 1
    printf '%s\n' "$pid"
}

# Our Dovecot master: the pid in OUR base_dir's master.pid, alive, running /usr/sbin/dovecot,
dovecot_pid() {
    local pid exe
    pid=$(read_pid "$DC_PID") || return 1
    kill -0 "$pid" 2>/dev/null || return 1
    exe=$(readlink "/proc/$pid/exe" 2>/dev/null) || return 1
    [ "${exe##*/}" = dovecot ] || return 1
    # ... and started with OUR config file (`dovecot -c $DC_CONF`).
    tr '\0' '\n' <"/proc/$pid/cmdline" 2>/dev/null | grep -qxF -- "$DC_CONF" || return 1
    printf '%s\n' "$pid"
}

# Our Postfix master: pid in OUR queue dir, alive, running postfix master, cwd = our queue dir.
postfix_pid() {
    local pid exe cwd
    pid=$(read_pid "$PF_PID") || return 1
    kill -0 "$pid" 2>/dev/null || return 1
    exe=$(readlink "/proc/$pid/exe" 2>/dev/null) || return 1
    [ "${exe##*/}" = master ] || return 1
    cwd=$(readlink "/proc/$pid/cwd" 2>/dev/null) || return 1
    [ "$cwd" = "$(readlink -f "$PF_QUEUE")" ] || return 1
    printf '%s\n' "$pid"
}

wait_gone() {  # wait_gone PID SECS
    local pid=$1 i
    for ((i = 0; i < $2 * 10; i++)); do
        kill -0 "$pid" 2>/dev/null || return 0
        sleep 0.1
    done
    return 1
}

take_lock() {
    mkdir -p "$STATE_DIR"
    exec 9>"$LOCK_FILE"
    flock -w 300 9 || die "another $PROG is running on $STATE_DIR (lock $LOCK_FILE)"
}

# --- install -----------------------------------------------------------------
# Package installs (lock, policy-rc.d guard, apt-get update when needed): shared with the
# other installers.
# shellcheck source=scripts/lib/apt.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib/apt.sh"
restore_policy() { apt_restore_policy; }

pkg_installed() { apt_pkg_installed "$1"; }

missing_packages() {
    local p
    for p in "${PACKAGES[@]}"; do
        pkg_installed "$p" || printf '%s\n' "$p"
    done
    if ! command -v python3 >/dev/null 2>&1; then
        pkg_installed python3 || printf '%s\n' python3
    fi
}

ensure_mail_user() {
    if ! getent group "$MAIL_USER" >/dev/null; then
        groupadd --system "$MAIL_USER"
    fi
    if ! getent passwd "$MAIL_USER" >/dev/null; then
        useradd --system --gid "$MAIL_USER" --no-create-home --home-dir /nonexistent \
            --shell /usr/sbin/nologin --comment "pilah mailstack mailboxes" "$MAIL_USER"
    fi
}

install_needed() {
    [ -n "$(missing_packages)" ] && return 0
    getent passwd "$MAIL_USER" >/dev/null || return 0
    [ -x /usr/lib/dovecot/lmtp ] && [ -x /usr/lib/dovecot/imap ] && [ -x /usr/sbin/postfix ] || return 0
    return 1
}

cmd_install() {
    need_root install
    local -a missing
    mapfile -t missing < <(missing_packages)
    if [ "${#missing[@]}" -gt 0 ]; then
        echo "postfix postfix/main_mailer_type select No configuration" | debconf-set-selections
        apt_ensure "${missing[@]}"
    fi
    ensure_mail_user
    log "packages present: ${PACKAGES[*]} (dovecot $(dovecot --version 2>/dev/null | cut -d' ' -f1), postfix $(postconf -d -h mail_version 2>/dev/null))"
}

# --- configuration -----------------------------------------------------------
make_cert() {
    mkdir -p "$TLS_DIR"
    chmod 0755 "$TLS_DIR"
    if [ ! -s "$CERT" ] || [ ! -s "$KEY" ]; then
        log "generating self-signed certificate $CERT"
        # CA:FALSE on purpose: rustls/webpki rejects a CA certificate used as
        # the server's own (end-entity) certificate; as a self-signed leaf it is
        # still accepted as a trust anchor by rustls and OpenSSL.
        openssl req -x509 -newkey rsa:2048 -sha256 -nodes -days 3650 \
            -keyout "$KEY.tmp" -out "$CERT.tmp" -subj "/CN=localhost" \
            -addext "subjectAltName=DNS:localhost,IP:127.0.0.1" \
            -addext "basicConstraints=critical,CA:FALSE" \
            -addext "extendedKeyUsage=serverAuth" \
            >/dev/null 2>&1 || die "openssl could not create the certificate"
        chmod 0600 "$KEY.tmp"
        chmod 0644 "$CERT.tmp"
        mv -f "$KEY.tmp" "$KEY"
        mv -f "$CERT.tmp" "$CERT"
    fi
    if [ -s /usr/share/dovecot/dh.pem ]; then
        DH_FILE=/usr/share/dovecot/dh.pem
    else
        DH_FILE=$TLS_DIR/dh.pem
        if [ ! -s "$DH_FILE" ]; then
            openssl dhparam -dsaparam -out "$DH_FILE.tmp" 2048 >/dev/null 2>&1
            mv -f "$DH_FILE.tmp" "$DH_FILE"
        fi
    fi
}

check_access() {   # the unprivileged users must reach their files
    local u
    for u in "$MAIL_USER" postfix; do
        setpriv --reuid="$u" --regid="$u" --clear-groups test -x "$DC_RUN" \
            || die "user '$u' cannot reach $DC_RUN: make every parent directory of $STATE_DIR world-executable (chmod o+x) or set PILAH_MAILSTACK_DIR elsewhere"
    done
    setpriv --reuid="$MAIL_USER" --regid="$MAIL_USER" --clear-groups test -w "$MAIL_DIR" \
        || die "user '$MAIL_USER' cannot write $MAIL_DIR"
}

write_dovecot_conf() {
    local uid gid ver
    ver=$(dovecot --version | cut -d' ' -f1)
    case $ver in
        2.3.*) ;;
        *) die "Dovecot $ver is installed; this script writes Dovecot 2.3 configuration (Debian 12)";;
    esac
    uid=$(id -u "$MAIL_USER")
    gid=$(id -g "$MAIL_USER")
    DC_CHANGED=0
    write_if_changed "$DC_CONF" 0644 <<EOF
# Generated by scripts/mailstack.sh - do not edit, it is rewritten on start.
# Private Dovecot $ver instance for pilah tests: every address is a mailbox,
# one password for all, loopback only.
instance_name = pilah-mailstack
protocols = imap lmtp
listen = $HOST
base_dir = $DC_RUN
state_dir = $DC_STATE
hostname = $MYHOSTNAME
postmaster_address = postmaster@$MYHOSTNAME
login_greeting = pilah mailstack IMAP ready.

log_path = $LOG_DIR/dovecot.log
info_log_path = $LOG_DIR/dovecot.log
debug_log_path = $LOG_DIR/dovecot.log
log_timestamp = "%Y-%m-%d %H:%M:%S "

ssl = yes
ssl_cert = <$CERT
ssl_key = <$KEY
ssl_dh = <$DH_FILE
ssl_min_protocol = TLSv1.2

# Authentication: static passdb (one password for everybody) for PLAIN and LOGIN; OAuth2
# tokens (XOAUTH2, OAUTHBEARER) checked at the loopback introspection endpoint of
# scripts/oauth2-server.py; static userdb.
disable_plaintext_auth = no
auth_mechanisms = plain login xoauth2 oauthbearer
auth_username_format = %Lu
auth_username_chars = abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ01234567890.-_@+=
auth_failure_delay = 0
auth_cache_size = 0
# (A wrong password is answered after <= 0.5 s: Dovecot 2.3 flushes auth
# failures on a 500 ms timer even with auth_failure_delay = 0, and "nodelay"
# cannot help: a failing passdb drops the extra fields it set.)
passdb {
  driver = static
  mechanisms = plain login
  args = password=$PASSWORD
}
passdb {
  driver = oauth2
  mechanisms = xoauth2 oauthbearer
  args = $OAUTH2_CONF
}
userdb {
  driver = static
  args = uid=$uid gid=$gid home=$MAIL_DIR/%Ld/%Ln allow_all_users=yes
}
first_valid_uid = $uid
first_valid_gid = $gid

# "a+b@x" is its own mailbox, both for LMTP delivery and for IMAP login.
recipient_delimiter =

mail_location = maildir:~/Maildir:LAYOUT=fs
mail_fsync = never
# No mailbox list index: with it, two LMTP deliveries that create the same new user's
# mailbox at once can make Dovecot 2.3 panic on its fcntl lock of dovecot.list.index.log
# ("Resource deadlock avoided"), and Postfix then delivers that message again: a duplicate
# the tests would rightly count against pilah.
mailbox_list_index = no
namespace inbox {
  inbox = yes
  separator = /
  mailbox Drafts {
    special_use = \Drafts
  }
  mailbox Sent {
    special_use = \Sent
  }
  mailbox Trash {
    special_use = \Trash
  }
  mailbox Junk {
    special_use = \Junk
  }
  mailbox Archive {
    special_use = \Archive
  }
}

protocol imap {
  mail_max_userip_connections = 100
}
protocol lmtp {
  mail_plugins =
}

service imap-login {
  inet_listener imap {
    address = $HOST
    port = $IMAP_PORT
  }
  inet_listener imaps {
    address = $HOST
    port = $IMAPS_PORT
    ssl = yes
  }
}
service auth {
  unix_listener auth-postfix {
    mode = 0660
    user = postfix
    group = postfix
  }
}
service lmtp {
  unix_listener lmtp {
    mode = 0600
    user = postfix
    group = postfix
  }
}
# No anvil auth penalty (tests log in with wrong passwords on purpose).
service anvil {
  unix_listener anvil-auth-penalty {
    mode = 0
  }
}
EOF
    DC_CHANGED=$WROTE
    write_if_changed "$OAUTH2_CONF" 0644 <<EOF
# Generated by scripts/mailstack.sh: tokens are checked at the loopback test provider.
introspection_mode = post
introspection_url = http://$HOST:$OAUTH2_PORT/introspect
force_introspection = yes
username_attribute = username
active_attribute = active
active_value = true
timeout_msecs = 5000
EOF
    DC_CHANGED=$((DC_CHANGED | WROTE))
}

write_postfix_conf() {
    local changed=0
    mkdir -p "$PF_CONF"
    write_if_changed "$PF_CONF/virtual_domains.regexp" <<'EOF'
# every domain is a virtual mailbox domain
/./ OK
EOF
    changed=$((changed | WROTE))
    write_if_changed "$PF_CONF/virtual_mailboxes.regexp" <<'EOF'
# every address is a mailbox (delivered to Dovecot by LMTP)
/^/ OK
EOF
    changed=$((changed | WROTE))
    write_if_changed "$PF_CONF/recipient_access.regexp" <<'EOF'
# refused.<anything>@<any domain>: refused as an unknown user (tests of a PIC address that
# is no longer valid)
/^refused\./ 550 5.1.1 User unknown (the pilah mailstack refuses every refused.* address)
EOF
    changed=$((changed | WROTE))
    # The receiving server's verdict on the sender, as a border MTA with SPF/DKIM/DMARC
    # checks writes it (there is no DNS here, so the envelope sender stands in for the
    # checks): PREPEND puts the header above Postfix's own Received line, where pilah looks
    # for the trusted authserv-id mx.djpk.test (docs/security.md). Whatever a client writes
    # into its own message stays below that line and is ignored.
    #   x+fail@domain  SPF, DKIM and DMARC fail for domain
    #   x+none@domain  the domain publishes nothing: every method is none
    #   x@domain       SPF, DKIM and DMARC pass for domain (header.from is the envelope's
    #                  domain: a From of another domain is not covered by the pass)
    #   <>             (bounces) no verdict
    write_if_changed "$PF_CONF/sender_auth.regexp" <<'EOF'
/^[^@]*\+fail@([^@]+)$/ PREPEND Authentication-Results: mx.djpk.test; spf=fail smtp.mailfrom=$1; dkim=fail header.d=$1; dmarc=fail header.from=$1
/^[^@]*\+none@([^@]+)$/ PREPEND Authentication-Results: mx.djpk.test; spf=none smtp.mailfrom=$1; dkim=none; dmarc=none header.from=$1
/^[^@]*@([^@]+)$/ PREPEND Authentication-Results: mx.djpk.test; spf=pass smtp.mailfrom=$1; dkim=pass header.d=$1; dmarc=pass header.from=$1
EOF
    changed=$((changed | WROTE))
    write_if_changed "$PF_CONF/main.cf" <<EOF
# Generated by scripts/mailstack.sh - do not edit, it is rewritten on start.
# Private Postfix instance for pilah tests: accepts mail for every address on
# 127.0.0.1:$SMTP_PORT and delivers ALL of it by LMTP into the private Dovecot.
# It never relays and never connects anywhere else.
compatibility_level = 3.6
queue_directory = $PF_QUEUE
data_directory = $PF_DATA
mail_owner = postfix
setgid_group = postdrop
maillog_file_prefixes = $LOG_DIR
maillog_file = $LOG_DIR/postfix.log

myhostname = $MYHOSTNAME
mydomain = djpk.test
myorigin = \$myhostname
mydestination =
inet_interfaces = $HOST
inet_protocols = ipv4
mynetworks_style = host
mynetworks = 127.0.0.0/8
smtpd_banner = \$myhostname ESMTP pilah mailstack
biff = no
append_dot_mydomain = no
recipient_delimiter =
# Treat every SMTP client like a remote one: no header rewriting and no added
# Message-ID/Date/From headers, so messages arrive as sent (plus Received and
# Return-Path), as mail from outside would.
local_header_rewrite_clients =
always_add_missing_headers = no

# Everything is a local (virtual) mailbox; nothing is relayed.
virtual_mailbox_domains = regexp:$PF_CONF/virtual_domains.regexp
virtual_mailbox_maps = regexp:$PF_CONF/virtual_mailboxes.regexp
virtual_alias_maps =
virtual_transport = lmtp:unix:$LMTP_SOCKET
relay_domains =
relayhost =
local_transport = error:local delivery is disabled in the pilah mailstack
default_transport = error:outbound mail is disabled in the pilah mailstack
relay_transport = error:relaying is disabled in the pilah mailstack
alias_maps =
alias_database =
local_recipient_maps =
transport_maps =
sender_dependent_relayhost_maps =

# No DNS, no network.
disable_dns_lookups = yes
smtp_dns_support_level = disabled
lmtp_dns_support_level = disabled
smtp_host_lookup = native
lmtp_host_lookup = native
smtpd_peername_lookup = no

smtpd_relay_restrictions = permit_mynetworks, reject
# A recipient the server does not know, for the tests: every refused.* address is refused.
smtpd_recipient_restrictions = check_recipient_access regexp:$PF_CONF/recipient_access.regexp, permit_mynetworks, reject
smtpd_client_restrictions =
smtpd_helo_restrictions =
# The stand-in for the border's SPF/DKIM/DMARC checks (sender_auth.regexp above).
smtpd_sender_restrictions = check_sender_access regexp:$PF_CONF/sender_auth.regexp
smtpd_error_sleep_time = 0
in_flow_delay = 0
message_size_limit = 104857600
mailbox_size_limit = 0
virtual_mailbox_limit = 0

# STARTTLS offered, never required.
smtpd_tls_cert_file = $CERT
smtpd_tls_key_file = $KEY
smtpd_tls_security_level = may
smtpd_tls_auth_only = no
smtp_tls_security_level = none
lmtp_tls_security_level = none
smtpd_tls_session_cache_database =

# Fast retries so that a stop/start flushes the queue quickly.
queue_run_delay = 1s
minimal_backoff_time = 1s
maximal_backoff_time = 5s
maximal_queue_lifetime = 1d
bounce_queue_lifetime = 1d
delay_warning_time = 0
EOF
    changed=$((changed | WROTE))
    # Only the SMTP listener is an inet service; chroot is off everywhere.
    write_if_changed "$PF_CONF/master.cf" <<EOF
# Generated by scripts/mailstack.sh - do not edit, it is rewritten on start.
# service type  private unpriv  chroot  wakeup  maxproc command + args
$HOST:$SMTP_PORT inet n - n - - smtpd
$HOST:$SMTPS_PORT inet n - n - - smtpd -o smtpd_tls_wrappermode=yes -o smtpd_tls_security_level=encrypt
$HOST:$SUBMISSION_PORT inet n - n - - smtpd -o smtpd_sasl_auth_enable=yes -o smtpd_sasl_type=dovecot -o smtpd_sasl_path=$AUTH_SOCKET -o smtpd_client_restrictions=permit_sasl_authenticated,reject -o smtpd_recipient_restrictions=permit_sasl_authenticated,reject -o smtpd_relay_restrictions=permit_sasl_authenticated,reject
pickup     unix  n       -       n       60      1       pickup
cleanup    unix  n       -       n       -       0       cleanup
qmgr       unix  n       -       n       300     1       qmgr
tlsmgr     unix  -       -       n       1000?   1       tlsmgr
rewrite    unix  -       -       n       -       -       trivial-rewrite
bounce     unix  -       -       n       -       0       bounce
defer      unix  -       -       n       -       0       bounce
trace      unix  -       -       n       -       0       bounce
verify     unix  -       -       n       -       1       verify
flush      unix  n       -       n       1000?   0       flush
proxymap   unix  -       -       n       -       -       proxymap
proxywrite unix  -       -       n       -       1       proxymap
showq      unix  n       -       n       -       -       showq
error      unix  -       -       n       -       -       error
retry      unix  -       -       n       -       -       error
discard    unix  -       -       n       -       -       discard
lmtp       unix  -       -       n       -       -       lmtp
anvil      unix  -       -       n       -       1       anvil
scache     unix  -       -       n       -       1       scache
postlog    unix-dgram n  -       n       -       1       postlogd
EOF
    changed=$((changed | WROTE))
    PF_CHANGED=$changed
}

write_stack_env() {
    write_if_changed "$STACK_ENV" 0644 <<EOF
PILAH_MAILSTACK_DIR=$STATE_DIR
PILAH_MAIL_HOST=$HOST
PILAH_IMAP_PORT=$IMAP_PORT
PILAH_IMAPS_PORT=$IMAPS_PORT
PILAH_SMTP_PORT=$SMTP_PORT
PILAH_SMTPS_PORT=$SMTPS_PORT
PILAH_SUBMISSION_PORT=$SUBMISSION_PORT
PILAH_OAUTH2_PORT=$OAUTH2_PORT
PILAH_TEST_PASSWORD=$PASSWORD
PILAH_CA_FILE=$CERT
EOF
}

# --- start / stop -------------------------------------------------------------
port_busy_error() {
    local port=$1 what=$2
    log "port 127.0.0.1:$port ($what) is already in use by another program:"
    ss -ltnp "sport = :$port" >&2 || true
    die "choose another port (PILAH_*_PORT) or stop that program"
}

start_dovecot() {
    local conf_changed=$1 pid
    if pid=$(dovecot_pid); then
        if [ "$conf_changed" = 0 ] && port_greets "$IMAP_PORT" "* OK" "a LOGOUT" && port_open "$IMAPS_PORT" \
            && [ -S "$LMTP_SOCKET" ]; then
            log "dovecot already running (pid $pid)"
            return 0
        fi
        log "dovecot (pid $pid): configuration changed or unhealthy, restarting"
        stop_dovecot
    fi
    if port_open "$IMAP_PORT"; then port_busy_error "$IMAP_PORT" IMAP; fi
    if port_open "$IMAPS_PORT"; then port_busy_error "$IMAPS_PORT" IMAPS; fi
    log "starting dovecot ($DC_CONF)"
    if ! dovecot -c "$DC_CONF" </dev/null >>"$LOG_DIR/dovecot-start.log" 2>&1 9>&-; then
        tail_logs "$LOG_DIR/dovecot-start.log" "$LOG_DIR/dovecot.log"
        die "dovecot failed to start"
    fi
}

start_postfix() {
    local conf_changed=$1 pid
    if pid=$(postfix_pid); then
        if [ "$conf_changed" = 0 ] && port_greets "$SMTP_PORT" "220" "QUIT"; then
            log "postfix already running (pid $pid)"
            return 0
        fi
        log "postfix (pid $pid): configuration changed or unhealthy, restarting"
        stop_postfix
    fi
    if port_open "$SMTP_PORT"; then port_busy_error "$SMTP_PORT" SMTP; fi
    if port_open "$SMTPS_PORT"; then port_busy_error "$SMTPS_PORT" SMTPS; fi
    log "starting postfix ($PF_CONF)"
    # `postfix start` runs `postfix check`, which creates the missing queue
    # directories with the right owners (postfix, group postdrop for maildrop).
    if ! postfix -c "$PF_CONF" start </dev/null >>"$LOG_DIR/postfix-start.log" 2>&1 9>&-; then
        tail_logs "$LOG_DIR/postfix-start.log" "$LOG_DIR/postfix.log"
        die "postfix failed to start"
    fi
}

wait_ready() {
    local deadline=$((SECONDS + WAIT_SECS)) ok_imap=0 ok_imaps=0 ok_smtp=0 ok_smtps=0 ok_lmtp=0 ok_sub=0 ok_oauth=0
    while [ "$SECONDS" -lt "$deadline" ]; do
        [ "$ok_imap" = 1 ] || { port_greets "$IMAP_PORT" "* OK" "a LOGOUT" && ok_imap=1; } || true
        [ "$ok_imaps" = 1 ] || { port_open "$IMAPS_PORT" && ok_imaps=1; } || true
        [ "$ok_smtp" = 1 ] || { port_greets "$SMTP_PORT" "220" "QUIT" && ok_smtp=1; } || true
        [ "$ok_smtps" = 1 ] || { port_open "$SMTPS_PORT" && ok_smtps=1; } || true
        [ "$ok_lmtp" = 1 ] || { [ -S "$LMTP_SOCKET" ] && ok_lmtp=1; } || true
        [ "$ok_sub" = 1 ] || { port_greets "$SUBMISSION_PORT" "220" "QUIT" && ok_sub=1; } || true
        [ "$ok_oauth" = 1 ] || { port_open "$OAUTH2_PORT" && ok_oauth=1; } || true
        if [ "$ok_imap$ok_imaps$ok_smtp$ok_smtps$ok_lmtp$ok_sub$ok_oauth" = 1111111 ]; then
            return 0
        fi
        sleep 0.1
    done
    [ "$ok_imap" = 1 ] || log "IMAP 127.0.0.1:$IMAP_PORT does not answer"
    [ "$ok_imaps" = 1 ] || log "IMAPS 127.0.0.1:$IMAPS_PORT does not accept connections"
    [ "$ok_lmtp" = 1 ] || log "LMTP socket $LMTP_SOCKET missing"
    [ "$ok_smtp" = 1 ] || log "SMTP 127.0.0.1:$SMTP_PORT does not answer"
    [ "$ok_smtps" = 1 ] || log "SMTPS 127.0.0.1:$SMTPS_PORT does not accept connections"
    [ "$ok_sub" = 1 ] || log "submission 127.0.0.1:$SUBMISSION_PORT does not answer"
    [ "$ok_oauth" = 1 ] || log "OAuth2 server 127.0.0.1:$OAUTH2_PORT does not accept connections (log: $LOG_DIR/oauth2.log)"
    tail_logs "$LOG_DIR/dovecot-start.log" "$LOG_DIR/dovecot.log" "$LOG_DIR/postfix-start.log" "$LOG_DIR/postfix.log"
    die "mail stack not ready after ${WAIT_SECS}s"
}

cmd_start() {
    need_root start
    validate_settings
    set_paths
    if install_needed; then
        cmd_install
    fi
    take_lock
    mkdir -p "$LOG_DIR" "$DC_DIR" "$DC_STATE" "$PF_DIR" "$PF_DATA" "$PF_QUEUE" "$MAIL_DIR"
    chmod 0755 "$STATE_DIR" "$LOG_DIR" "$DC_DIR" "$PF_DIR" "$PF_QUEUE"
    chown "$MAIL_USER:$MAIL_USER" "$MAIL_DIR"
    chmod 0750 "$MAIL_DIR"
    chown postfix:postfix "$PF_DATA"
    chmod 0700 "$PF_DATA"
    make_cert

    write_dovecot_conf
    write_postfix_conf
    write_stack_env

    mkdir -p "$DC_RUN"
    chmod 0755 "$DC_RUN"
    check_access
    # Refuse before starting anything if a port belongs to someone else.
    if ! dovecot_pid >/dev/null; then
        if port_open "$IMAP_PORT"; then port_busy_error "$IMAP_PORT" IMAP; fi
        if port_open "$IMAPS_PORT"; then port_busy_error "$IMAPS_PORT" IMAPS; fi
    fi
    if ! postfix_pid >/dev/null; then
        if port_open "$SMTP_PORT"; then port_busy_error "$SMTP_PORT" SMTP; fi
        if port_open "$SMTPS_PORT"; then port_busy_error "$SMTPS_PORT" SMTPS; fi
        if port_open "$SUBMISSION_PORT"; then port_busy_error "$SUBMISSION_PORT" submission; fi
    fi
    start_oauth2
    start_dovecot "$DC_CHANGED"
    start_postfix "$PF_CHANGED"
    wait_ready
    log "ready: IMAP 127.0.0.1:$IMAP_PORT (STARTTLS), IMAPS 127.0.0.1:$IMAPS_PORT, SMTP 127.0.0.1:$SMTP_PORT, SMTPS 127.0.0.1:$SMTPS_PORT, submission 127.0.0.1:$SUBMISSION_PORT, OAuth2 http://127.0.0.1:$OAUTH2_PORT; state $STATE_DIR"
}

# The loopback OAuth2 provider (scripts/oauth2-server.py) that Dovecot's oauth2 passdb asks.
oauth2_pid() {
    local pid
    pid=$(read_pid "$OAUTH2_PID") || return 1
    kill -0 "$pid" 2>/dev/null || return 1
    grep -q oauth2-server "/proc/$pid/cmdline" 2>/dev/null || return 1
    echo "$pid"
}

start_oauth2() {
    oauth2_pid >/dev/null && return 0
    if port_open "$OAUTH2_PORT"; then port_busy_error "$OAUTH2_PORT" OAuth2; fi
    mkdir -p "$OAUTH2_DIR"
    nohup python3 "$REPO_DIR/scripts/oauth2-server.py" "$OAUTH2_PORT" "$OAUTH2_PID" \
        </dev/null >>"$LOG_DIR/oauth2.log" 2>&1 9>&- &
}

stop_oauth2() {
    local pid
    pid=$(oauth2_pid) || return 0
    log "stopping the OAuth2 server (pid $pid)"
    kill -TERM "$pid" 2>/dev/null || true
    wait_gone "$pid" 5 || kill -KILL "$pid" 2>/dev/null || true
}

stop_dovecot() {
    local pid
    pid=$(dovecot_pid) || return 0
    log "stopping dovecot (pid $pid)"
    dovecot -c "$DC_CONF" stop </dev/null >>"$LOG_DIR/dovecot-start.log" 2>&1 9>&- || kill -TERM "$pid" 2>/dev/null || true
    if ! wait_gone "$pid" 15; then
        log "dovecot (pid $pid) did not exit, sending SIGKILL"
        kill -KILL "$pid" 2>/dev/null || true
        wait_gone "$pid" 5 || die "could not stop dovecot pid $pid"
    fi
}

stop_postfix() {
    local pid
    pid=$(postfix_pid) || return 0
    log "stopping postfix (pid $pid)"
    postfix -c "$PF_CONF" stop </dev/null >>"$LOG_DIR/postfix-start.log" 2>&1 9>&- || kill -TERM "$pid" 2>/dev/null || true
    if ! wait_gone "$pid" 15; then
        log "postfix master (pid $pid) did not exit, sending SIGKILL"
        kill -KILL "$pid" 2>/dev/null || true
        wait_gone "$pid" 5 || die "could not stop postfix pid $pid"
    fi
}

cmd_stop() {
    validate_settings
    set_paths
    [ -d "$STATE_DIR" ] || { log "nothing to stop ($STATE_DIR does not exist)"; return 0; }
    need_root stop
    take_lock
    mkdir -p "$LOG_DIR"
    # Both at once: Dovecot's master alone takes ~2 s to wind down.  A message
    # caught mid-delivery stays in Postfix's queue and goes out after `start`.
    local bg rc=0
    stop_postfix &
    bg=$!
    stop_dovecot || rc=$?
    wait "$bg" || rc=$?
    stop_oauth2
    [ "$rc" = 0 ] || die "stop failed"
    log "stopped"
}

cmd_reset() {
    cmd_stop
    [ -d "$STATE_DIR" ] || return 0
    log "deleting mail data: $MAIL_DIR $PF_QUEUE $PF_DATA $DC_STATE"
    rm -rf -- "$MAIL_DIR" "$PF_QUEUE" "$PF_DATA" "$DC_STATE"
}

load_stack_env() {
    # The values of the last `start` (what is actually running) win.
    validate_settings
    set_paths
    if [ -r "$STACK_ENV" ]; then
        local k v
        while IFS='=' read -r k v; do
            case $k in
                PILAH_IMAP_PORT) IMAP_PORT=$v ;;
                PILAH_IMAPS_PORT) IMAPS_PORT=$v ;;
                PILAH_SMTP_PORT) SMTP_PORT=$v ;;
                PILAH_SMTPS_PORT) SMTPS_PORT=$v ;;
                PILAH_SUBMISSION_PORT) SUBMISSION_PORT=$v ;;
                PILAH_OAUTH2_PORT) OAUTH2_PORT=$v ;;
                PILAH_TEST_PASSWORD) PASSWORD=$v ;;
            esac
        done <"$STACK_ENV"
    fi
}

cmd_env() {
    load_stack_env
    local k v
    for k in PILAH_MAILSTACK_DIR PILAH_MAIL_HOST PILAH_IMAP_PORT PILAH_IMAPS_PORT PILAH_SMTP_PORT PILAH_SMTPS_PORT PILAH_SUBMISSION_PORT PILAH_OAUTH2_PORT PILAH_TEST_PASSWORD PILAH_CA_FILE; do
        case $k in
            PILAH_MAILSTACK_DIR) v=$STATE_DIR ;;
            PILAH_MAIL_HOST) v=$HOST ;;
            PILAH_IMAP_PORT) v=$IMAP_PORT ;;
            PILAH_IMAPS_PORT) v=$IMAPS_PORT ;;
            PILAH_SMTP_PORT) v=$SMTP_PORT ;;
            PILAH_SMTPS_PORT) v=$SMTPS_PORT ;;
            PILAH_SUBMISSION_PORT) v=$SUBMISSION_PORT ;;
            PILAH_OAUTH2_PORT) v=$OAUTH2_PORT ;;
            PILAH_TEST_PASSWORD) v=$PASSWORD ;;
            PILAH_CA_FILE) v=$CERT ;;
        esac
        printf 'export %s=%q\n' "$k" "$v"
    done
}

cmd_status() {
    load_stack_env
    local pid rc=0
    if pid=$(dovecot_pid 2>/dev/null); then
        printf 'dovecot: running (pid %s)  imap 127.0.0.1:%s (STARTTLS)  imaps 127.0.0.1:%s  lmtp %s\n' \
            "$pid" "$IMAP_PORT" "$IMAPS_PORT" "$LMTP_SOCKET"
    else
        printf 'dovecot: stopped  (imap 127.0.0.1:%s, imaps 127.0.0.1:%s)\n' "$IMAP_PORT" "$IMAPS_PORT"
        rc=3
    fi
    if pid=$(postfix_pid 2>/dev/null); then
        printf 'postfix: running (pid %s)  smtp 127.0.0.1:%s  smtps 127.0.0.1:%s\n' "$pid" "$SMTP_PORT" "$SMTPS_PORT"
    else
        printf 'postfix: stopped  (smtp 127.0.0.1:%s)\n' "$SMTP_PORT"
        rc=3
    fi
    if pid=$(oauth2_pid 2>/dev/null); then
        printf 'oauth2:  running (pid %s)  http://127.0.0.1:%s (token, introspect)\n' "$pid" "$OAUTH2_PORT"
    else
        printf 'oauth2:  stopped  (http://127.0.0.1:%s)\n' "$OAUTH2_PORT"
        rc=3
    fi
    printf 'state:   %s\nca file: %s\n' "$STATE_DIR" "$CERT"
    return "$rc"
}

usage() {
    cat <<EOF
usage: $PROG install|start|stop|restart|status|env|reset

  install  install dovecot-imapd, dovecot-lmtpd, postfix, openssl (+python3) without starting system daemons
  start    (install if needed,) configure and start a private Dovecot + Postfix on 127.0.0.1; wait for the ports
  stop     stop the daemons this script started
  restart  stop, then start
  status   show what runs and on which ports (exit 3 if not everything runs)
  env      print export lines: eval "\$($PROG env)"
  reset    stop and delete all mail and the Postfix queue (keeps certificate and config)

environment: PILAH_MAILSTACK_DIR (default <repo>/.mailstack), PILAH_IMAP_PORT (10143),
  PILAH_IMAPS_PORT (10993), PILAH_SMTP_PORT (10025), PILAH_SMTPS_PORT (10465), PILAH_TEST_PASSWORD (pilah-test),
  PILAH_MAILSTACK_TIMEOUT (30, seconds to wait for the ports)
EOF
}

main() {
    trap restore_policy EXIT
    trap 'restore_policy; exit 130' INT
    trap 'restore_policy; exit 143' TERM
    local cmd=${1:-}
    case $cmd in
        install) cmd_install ;;
        start) cmd_start ;;
        stop) cmd_stop ;;
        restart) cmd_stop; cmd_start ;;
        status) cmd_status ;;
        env) cmd_env ;;
        reset) cmd_reset ;;
        -h|--help|help) usage ;;
        *) usage >&2; exit 2 ;;
    esac
}

main "$@"
