#!/usr/bin/env bash
# package.sh - builds the Debian package of pilah with `cargo deb` (release build).
#
#   bash scripts/package.sh            -> target/debian/pilah_<version>-1_<arch>.deb (path on stdout)
#   bash scripts/package.sh --check    also unpack it into a scratch root and list it
#
# Installs cargo-deb (from crates.io, pinned, --locked) the first time: that build takes about
# five minutes on two cores; the release build of pilah about three more. What goes where is
# [package.metadata.deb] in Cargo.toml; docs/operations.md ("Install") says where each file
# lands, and tests/package.rs checks the two against each other.
set -euo pipefail
cd "$(dirname "$0")/.."

export PATH="$HOME/.cargo/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin:${PATH:-}"
PROG=${0##*/}
CARGO_DEB_VERSION=3.8.0   # builds on rustc >= 1.85

log() { printf '%s: %s\n' "$PROG" "$*" >&2; }
die() { printf '%s: error: %s\n' "$PROG" "$*" >&2; exit 1; }

check=0
for a in "$@"; do
    case $a in
        --check) check=1 ;;
        -h|--help) sed -n '2,11p' "$0"; exit 0 ;;
        *) die "unknown argument '$a' (see --help)" ;;
    esac
done

command -v cargo >/dev/null 2>&1 || die "cargo is not installed: install Rust (rustup) first"

have=$(cargo deb --version 2>/dev/null || true)
if [ -z "$have" ]; then
    log "installing cargo-deb $CARGO_DEB_VERSION from crates.io (a few minutes)"
    cargo install cargo-deb --version "$CARGO_DEB_VERSION" --locked >&2
else
    log "using $have"
fi

version=$(awk -F'"' '/^version *=/ {print $2; exit}' Cargo.toml)
arch=$(dpkg --print-architecture 2>/dev/null || echo amd64)
deb=target/debian/pilah_${version}-1_${arch}.deb
rm -f "$deb"

log "building $deb (cargo deb: release build)"
start=$(date +%s)
cargo deb --locked --output target/debian/ >&2
[ -s "$deb" ] || die "cargo deb did not write $deb"
log "built $deb in $(( $(date +%s) - start )) s ($(du -h "$deb" | cut -f1))"

if [ "$check" = 1 ]; then
    root=$(mktemp -d)
    trap 'rm -rf "$root"' EXIT
    dpkg-deb --info "$deb" >&2
    dpkg-deb --contents "$deb" >&2
    dpkg-deb -x "$deb" "$root"
    "$root/usr/bin/pilah" --version >&2
    log "unpacked into a scratch root and ran usr/bin/pilah --version: fine"
fi

echo "$deb"
