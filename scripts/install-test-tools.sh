#!/usr/bin/env bash
# install-test-tools.sh - installs what tests/package.rs needs besides Rust: `systemd-analyze`
# (Debian's `systemd` package; it works without systemd being PID 1) and `dpkg-deb`.
#
#   bash scripts/install-test-tools.sh     install what is missing, print systemd-analyze's path
#
# Idempotent: when everything is there it only prints the path. Non-interactive; while apt-get
# runs, /usr/sbin/policy-rc.d forbids starting any service (a previous policy file is put back
# afterwards, also on failure), as in scripts/mailstack.sh. Needs root the first time.
# Exit codes: 0 installed (path on stdout), 1 could not install, 3 cannot even try (not root,
# no apt-get): the test then skips with this script's message.
set -euo pipefail

export PATH="/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin:${PATH:-}"
PROG=${0##*/}
PACKAGES=(systemd dpkg)

log() { printf '%s: %s\n' "$PROG" "$*" >&2; }
die() { printf '%s: error: %s\n' "$PROG" "$*" >&2; exit 1; }
cannot() { printf '%s: cannot install: %s\n' "$PROG" "$*" >&2; exit 3; }

have_tools() {
    command -v systemd-analyze >/dev/null 2>&1 && command -v dpkg-deb >/dev/null 2>&1
}

# shellcheck source=scripts/lib/apt.sh
. "$(dirname "$0")/lib/apt.sh"
trap apt_restore_policy EXIT
trap 'apt_restore_policy; exit 130' INT
trap 'apt_restore_policy; exit 143' TERM

main() {
    if have_tools; then
        command -v systemd-analyze
        return 0
    fi
    [ "$(id -u)" -eq 0 ] || cannot "systemd-analyze or dpkg-deb is missing, and installing them needs root"
    command -v apt-get >/dev/null 2>&1 || cannot "systemd-analyze or dpkg-deb is missing, and there is no apt-get"

    apt_ensure "${PACKAGES[@]}"
    # The package may be there and the command not (a broken install): install again.
    if ! have_tools; then
        apt-get install -y -q --reinstall systemd >&2 || die "reinstalling systemd failed"
    fi
    have_tools || die "installed ${PACKAGES[*]}, but systemd-analyze or dpkg-deb is still missing"
    log "present: $(systemd-analyze --version | head -n 1)"
    command -v systemd-analyze
}

main "$@"
