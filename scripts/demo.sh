#!/usr/bin/env bash
# The built-in demo: debrief reads a sample inbox (demo/maildir: four applications at
# different stages, an out-of-office and a newsletter), then shows the pipeline, the
# approval queue, a draft, an application's history and the review inbox. Needs no
# mail account; works on a copy in a temporary folder.
#
# The demo's mail has fixed dates, so debrief runs with its clock set to the afternoon
# they were written for, Wed 2 Dec 2026 17:00 in Los Angeles, with libfaketime
# (`faketime`; Debian/Ubuntu: apt-get install faketime). Usage: scripts/demo.sh
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v faketime >/dev/null 2>&1; then
    echo "scripts/demo.sh needs faketime to set the demo's date: sudo apt-get install faketime" >&2
    exit 1
fi
cargo build --quiet
bin="$PWD/target/debug/debrief"
demo=$(mktemp -d)
trap 'rm -rf "$demo"' EXIT
cp config/demo.toml "$demo/config.toml"
cp -r demo/maildir "$demo/maildir"
export DEBRIEF_CONFIG="$demo/config.toml"
export TZ=America/Los_Angeles
now="2026-12-02 17:00:00"
run() { echo; echo "\$ debrief $*"; faketime "$now" "$bin" "$@"; }

run sync
run applications
run queue
run show 1
run history 3
run inbox
echo
echo "This was a temporary database over a copy of demo/maildir. Set up your own with 'debrief init'."
