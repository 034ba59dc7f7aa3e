#!/usr/bin/env bash
# The built-in demo: records two interviews (one yesterday, one next week) in a fresh
# temporary folder, lets debrief plan, and shows the pipeline, the approval queue and
# one draft. Needs no mail account. Usage: scripts/demo.sh
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --quiet
bin="$PWD/target/debug/debrief"
demo=$(mktemp -d)
trap 'rm -rf "$demo"' EXIT
cp config/demo.toml "$demo/config.toml"
export DEBRIEF_CONFIG="$demo/config.toml"
export TZ=America/Los_Angeles

yesterday=$(date -d 'yesterday' +%F)
next_week=$(date -d '+7 days' +%F)
run() { echo; echo "\$ debrief $*"; "$bin" "$@"; }

run add --company "Acme Robotics" --role "Backend Engineer" --start "$yesterday 10:00" --duration 1h \
  --interviewer "Jane Doe <jane@acme.example>" --interviewer "Bob Lee <bob@acme.example>"
run add --company "Northwind Health" --role "Platform Engineer" --start "$next_week 14:00" --duration 45m \
  --interviewer "Samuel Okafor <samuel@northwind.example>"
run note 1 --topic "how the fleet scheduler handles backpressure"
run person jane@acme.example --address-as "Ms. Doe"
run sync
run applications
run queue
run show 1
run history 1
echo
echo "This was a temporary database. Set up your own with 'debrief init'."
