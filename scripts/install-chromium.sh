#!/usr/bin/env bash
# install-chromium.sh - installs Debian's `chromium` (and a font with Indonesian glyphs) for
# the headless check of `pilah report --format html` in tests/report.rs.
#
#   bash scripts/install-chromium.sh          install if missing, print the binary's path
#
# Idempotent: when chromium is already there it only prints its path. Non-interactive and
# safe next to the other installers (scripts/lib/apt.sh). Needs root the first time.
set -euo pipefail

export PATH="/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin:${PATH:-}"
PROG=${0##*/}
log() { printf '%s: %s\n' "$PROG" "$*" >&2; }
die() { printf '%s: error: %s\n' "$PROG" "$*" >&2; exit 1; }
# shellcheck source=scripts/lib/apt.sh
. "$(dirname "$0")/lib/apt.sh"
trap apt_restore_policy EXIT
trap 'apt_restore_policy; exit 130' INT
trap 'apt_restore_policy; exit 143' TERM

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

apt_ensure chromium fonts-liberation fonts-dejavu-core
bin=$(find_chromium) || die "chromium was installed but is not on PATH"
log "chromium: $bin ($("$bin" --version 2>/dev/null || echo 'version unknown'))"
printf '%s\n' "$bin"
