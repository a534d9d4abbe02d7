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

step "cargo fmt --check"
cargo fmt --all -- --check

step "cargo clippy"
cargo clippy --locked --all-targets -- -D warnings

# Benchmarks are compiled (and linted) by clippy above and run by `cargo bench`, not here.
step "cargo test (unit, rules fixtures, end to end)"
cargo test --locked --lib --bins --tests
