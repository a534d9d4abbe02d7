#!/usr/bin/env bash
# Runs the whole test suite: formatting and lints, the rules check, and every unit and
# integration test, the ones against the real local mail stack included.
# On a fresh Debian machine the first run installs Dovecot and Postfix (scripts/mailstack.sh).
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n==> %s\n' "$*" >&2; }

if ! command -v cargo >/dev/null 2>&1; then
    echo "cargo is not installed: install Rust (rustup) first" >&2
    exit 2
fi

step "local mail stack (Dovecot + Postfix on 127.0.0.1)"
bash scripts/mailstack.sh start

step "Courier IMAP beside it (tests/servers.rs), unpacked privately"
bash scripts/courier.sh start

step "SpamAssassin's spamd on 127.0.0.1, offline (tests/spam.rs, tests/real.rs)"
bash scripts/spamd.sh start

# A test binary that stops servers runs a stack of its own next to the shared one
# (<shared dir>-<binary>, see tests/common/mod.rs); stop those when the tests end.
stop_own_stacks() {
    local d
    for d in "${PILAH_MAILSTACK_DIR:-.mailstack}"-*/; do
        [ -f "$d/dovecot/dovecot.conf" ] || continue
        PILAH_MAILSTACK_DIR=${d%/} bash scripts/mailstack.sh stop || true
    done
}
trap stop_own_stacks EXIT

step "cargo fmt --check"
cargo fmt --all -- --check

step "cargo clippy"
cargo clippy --locked --all-targets -- -D warnings

# Benchmarks are compiled (and linted) by clippy above and run by `cargo bench`, not here.
step "cargo test (unit, rules fixtures, end to end)"
cargo test --locked --lib --bins --tests
