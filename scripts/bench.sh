#!/usr/bin/env bash
# The first-scan benchmark of issue 11: debrief's first scan of a realistic INBOX beside
# mbsync over IMAPS into tmpfs and a minimal full fetch, the no-op sync, the reaction
# latency under `debrief run` beside a raw IDLE client, idle RSS and CPU, and in-process
# classification. Starts its own loopback Dovecot (tests/rig), generates its own mailbox,
# prints a markdown table (README, Performance). Not part of scripts/test.sh.
#
# It builds the same (dev) profile as scripts/demo.sh and scripts/test.sh.
# Usage: scripts/bench.sh [--messages N] [--compare-messages K] [--rounds R] [--deliveries D] [--idle-seconds S]
set -euo pipefail
cd "$(dirname "$0")/.."
tests/rig/install.sh >/dev/null
scripts/apt-ensure.sh isync time
cargo build --quiet --bins --examples
exec /usr/bin/python3 scripts/bench.py "$@"
