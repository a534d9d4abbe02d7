#!/usr/bin/env bash
# install-chromium.sh - installs Debian's `chromium` (and a font with Indonesian glyphs) for
# the headless check of `pilah report --format html` in tests/report.rs.
#
#   bash scripts/install-chromium.sh          install if missing, print the binary's path
#
# Idempotent: when chromium is already there it only prints its path. Non-interactive; while
# apt-get runs, /usr/sbin/policy-rc.d forbids starting any service (a previous policy file is
# put back afterwards), as in scripts/mailstack.sh. Needs root the first time.
set -euo pipefail

export PATH="/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin:${PATH:-}"
PROG=${0##*/}
PACKAGES=(chromium fonts-liberation fonts-dejavu-core)

log() { printf '%s: %s\n' "$PROG" "$*" >&2; }
die() { printf '%s: error: %s\n' "$PROG" "$*" >&2; exit 1; }

find_chromium() {
    local c
    for c in chromium chromium-browser; do
        if command -v "$c" >/dev/null 2>&1; then
            command -v "$c"
            return 0
        fi
    done
    return 1
}

pkg_installed() {
    [ "$(dpkg-query -W -f='${db:Status-Status}' "$1" 2>/dev/null || true)" = installed ]
}

pkg_has_candidate() {
    local c
    c=$(apt-cache policy "$1" 2>/dev/null | awk '/Candidate:/ {print $2; exit}')
    [ -n "$c" ] && [ "$c" != "(none)" ]
}

# --- policy-rc.d: no service may start while packages are installed ------------------------
POLICY=/usr/sbin/policy-rc.d
POLICY_BAK=""
POLICY_OURS=0

restore_policy() {
    if [ "$POLICY_OURS" = 1 ]; then
        rm -f "$POLICY"
        if [ -n "$POLICY_BAK" ]; then
            mv -f "$POLICY_BAK" "$POLICY"
        fi
        POLICY_OURS=0
        POLICY_BAK=""
    fi
}

block_service_starts() {
    if [ -e "$POLICY" ] || [ -L "$POLICY" ]; then
        POLICY_BAK=$(mktemp "$POLICY.pilah-saved.XXXXXX")
        mv -f "$POLICY" "$POLICY_BAK"
    fi
    POLICY_OURS=1
    printf '#!/bin/sh\n# temporary, from pilah scripts/install-chromium.sh: start no services\nexit 101\n' >"$POLICY"
    chmod 0755 "$POLICY"
}

trap restore_policy EXIT
trap 'exit 130' INT TERM

apt_install() {
    apt-get install -y -q --no-install-recommends \
        -o DPkg::Lock::Timeout=300 \
        -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold "$@"
}

missing=()
for p in "${PACKAGES[@]}"; do
    pkg_installed "$p" || missing+=("$p")
done

if [ "${#missing[@]}" -gt 0 ] || ! find_chromium >/dev/null; then
    [ "$(id -u)" -eq 0 ] || die "chromium is missing and installing it needs root: run as root"
    [ "${#missing[@]}" -gt 0 ] || missing=(chromium)
    log "installing: ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    updated=0
    for p in "${missing[@]}"; do
        if ! pkg_has_candidate "$p"; then
            log "package lists do not know $p: apt-get update"
            apt-get update -q -o DPkg::Lock::Timeout=300
            updated=1
            break
        fi
    done
    block_service_starts
    if ! apt_install "${missing[@]}"; then
        [ "$updated" = 0 ] || die "apt-get install failed"
        log "apt-get install failed; retrying after apt-get update"
        apt-get update -q -o DPkg::Lock::Timeout=300
        apt_install "${missing[@]}"
    fi
    restore_policy
fi

bin=$(find_chromium) || die "chromium was installed but is not on PATH"
log "chromium: $bin ($("$bin" --version 2>/dev/null || echo 'version unknown'))"
printf '%s\n' "$bin"
