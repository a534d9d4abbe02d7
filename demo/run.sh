#!/usr/bin/env bash
# The demo: builds pilah, starts the local mail stack (Dovecot + Postfix on 127.0.0.1,
# installed from Debian's packages the first time) and the spam engine (SpamAssassin's
# spamd, offline, also on 127.0.0.1), loads a sample month of mail into the lapor and
# callcenter mailboxes, runs `pilah run --once`, and shows where every message went, the
# spam engine's scores of the spam, what the PICs and the senders received, and the
# month's report.
# It resets the local mail stack's mailboxes and demo-state/ each time.
set -euo pipefail
cd "$(dirname "$0")/.."

say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

if ! command -v cargo >/dev/null 2>&1; then
    echo "cargo is not installed: install Rust (rustup) first" >&2
    exit 2
fi

say "Building pilah"
cargo build --locked --quiet
pilah=target/debug/pilah

say "Starting the local mail stack (127.0.0.1 only; nothing is relayed off this machine)"
bash scripts/mailstack.sh start
bash scripts/mailstack.sh reset >/dev/null
bash scripts/mailstack.sh start
eval "$(bash scripts/mailstack.sh env)"
rm -rf demo-state

say "Starting the spam engine (SpamAssassin's spamd on 127.0.0.1, offline)"
bash scripts/spamd.sh start

# The sample is March 2024's mail; it is dated in the latest month whose days have all
# passed (this month on its last day, else last month), so that the report reads like
# a recent month's (its times to forward and acknowledge are the sample's age: see the note after it).
month=$(python3 scripts/imaptool.py sample-month demo/mail/*/*.eml)
say "Loading the sample month (March 2024's mail, dated $month)"
python3 scripts/imaptool.py append --user lapor@djpk.test --shift-to-month "$month" demo/mail/lapor/*.eml
python3 scripts/imaptool.py append --user callcenter@djpk.test --shift-to-month "$month" demo/mail/callcenter/*.eml

say "Checking the rules"
$pilah rules check --rules rules

say "Running pilah once over both mailboxes"
PILAH_LOG=warn $pilah run --config demo/pilah.toml --once

say "Where every message went"
$pilah messages --config demo/pilah.toml

say "What the spam engine said about the spam (score and SpamAssassin's rules)"
$pilah messages --config demo/pilah.toml --category spam --wide

say "What each unit's PICs received (read over IMAP)"
python3 - <<'PY'
import tomllib, subprocess
units = tomllib.load(open("rules/units.toml", "rb"))["unit"]
for u in units:
    for pic in u["pics"]:
        out = subprocess.run(["python3", "scripts/imaptool.py", "show", "--user", pic],
                             capture_output=True, text=True).stdout.strip().splitlines()
        if out:
            print(f"{pic} ({u['id']}): {len(out)} forward(s)")
            for line in out[:3]:
                print("    " + line.split("\t")[-2] if "\t" in line else "    " + line)
PY

say "The folders of the two mailboxes"
python3 scripts/imaptool.py folders --user lapor@djpk.test
python3 scripts/imaptool.py folders --user callcenter@djpk.test

say "The report for $month"
$pilah report --config demo/pilah.toml --month "$month"
cat <<'EOF'
Note: the sample month was loaded into the mailboxes all at once, just now, and pilah handled
it in one pass. "Waktu sampai diteruskan" and "Waktu sampai tanda terima" therefore measure
how old the sample mail is, not how fast pilah is: a running pilah forwards and acknowledges
a message within about a second of its arrival (docs/performance.md).
EOF
