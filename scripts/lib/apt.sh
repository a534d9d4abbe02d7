# scripts/lib/apt.sh - installing Debian packages for pilah's scripts, safely. Sourced, not run.
#
#   apt_ensure PKG...   installs the packages that are missing, non-interactively
#
# - One installer at a time: a lock (/run/lock/pilah-apt-install.lock) is shared by every
#   script that installs packages, so two of them never juggle policy-rc.d at once.
# - While apt-get runs, /usr/sbin/policy-rc.d exits 101 so that no service (postfix, dovecot)
#   starts system-wide; whatever policy file was there before is put back, also on failure
#   (the caller's EXIT/INT/TERM traps must call apt_restore_policy; apt_ensure sets them when
#   the caller has none).
# - `apt-get update` only when the package lists do not know a package, or an install failed.
# The caller defines log() and die() and may preseed debconf before calling.

APT_POLICY=/usr/sbin/policy-rc.d
APT_POLICY_BAK=""
APT_POLICY_OURS=0

apt_pkg_installed() {
    [ "$(dpkg-query -W -f='${db:Status-Status}' "$1" 2>/dev/null || true)" = installed ]
}

apt_pkg_has_candidate() {
    local c
    c=$(apt-cache policy "$1" 2>/dev/null | awk '/Candidate:/ {print $2; exit}')
    [ -n "$c" ] && [ "$c" != "(none)" ]
}

apt_restore_policy() {
    if [ "$APT_POLICY_OURS" = 1 ]; then
        rm -f "$APT_POLICY"
        if [ -n "$APT_POLICY_BAK" ]; then
            mv -f "$APT_POLICY_BAK" "$APT_POLICY"
        fi
        APT_POLICY_OURS=0
        APT_POLICY_BAK=""
    fi
}

apt_block_service_starts() {
    if [ -e "$APT_POLICY" ] || [ -L "$APT_POLICY" ]; then
        APT_POLICY_BAK=$(mktemp "$APT_POLICY.pilah-saved.XXXXXX")
        mv -f "$APT_POLICY" "$APT_POLICY_BAK"
    fi
    APT_POLICY_OURS=1
    printf '#!/bin/sh\n# temporary, from pilah scripts/lib/apt.sh: start no services\nexit 101\n' >"$APT_POLICY"
    chmod 0755 "$APT_POLICY"
}

apt_get_install() {
    apt-get install -y -q --no-install-recommends \
        -o DPkg::Lock::Timeout=300 \
        -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold "$@" >&2
}

apt_ensure() {
    local -a missing=()
    local p
    for p in "$@"; do
        apt_pkg_installed "$p" || missing+=("$p")
    done
    [ "${#missing[@]}" -gt 0 ] || return 0
    [ "$(id -u)" -eq 0 ] || die "missing packages (${missing[*]}); installing them needs root"
    command -v apt-get >/dev/null 2>&1 || die "missing packages (${missing[*]}) and no apt-get"
    local lock_dir=/run/lock
    [ -d "$lock_dir" ] || lock_dir=/tmp
    exec 8>"$lock_dir/pilah-apt-install.lock"
    flock -w 900 8 || die "another package installation holds $lock_dir/pilah-apt-install.lock"
    # Someone else may have installed them while we waited.
    missing=()
    for p in "$@"; do
        apt_pkg_installed "$p" || missing+=("$p")
    done
    if [ "${#missing[@]}" -eq 0 ]; then
        exec 8>&-
        return 0
    fi
    log "installing: ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    local updated=0
    for p in "${missing[@]}"; do
        if ! apt_pkg_has_candidate "$p"; then
            log "package lists do not know $p: apt-get update"
            apt-get update -q -o DPkg::Lock::Timeout=300 >&2
            updated=1
            break
        fi
    done
    [ -n "$(trap -p EXIT)" ] || trap apt_restore_policy EXIT
    apt_block_service_starts
    if ! apt_get_install "${missing[@]}"; then
        if [ "$updated" = 1 ]; then
            apt_restore_policy
            die "apt-get install ${missing[*]} failed"
        fi
        log "apt-get install failed; retrying after apt-get update"
        apt-get update -q -o DPkg::Lock::Timeout=300 >&2
        if ! apt_get_install "${missing[@]}"; then
            apt_restore_policy
            die "apt-get install ${missing[*]} failed"
        fi
    fi
    apt_restore_policy
    exec 8>&-
}
