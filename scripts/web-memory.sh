#!/usr/bin/env bash
# What the approval page costs `debrief run` in memory (issue 13 asks within 5 MiB of its
# idle memory without the page): VmRSS of an idle daemon without and with `[web]`, and
# after a few renders (scripts/web-memory.py says how). Not part of scripts/test.sh.
#
# It builds the same (dev) profile as scripts/test.sh; DEBRIEF_BIN measures another build.
# Usage: scripts/web-memory.sh [--settle SECONDS] [--renders N]
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -z "${DEBRIEF_BIN:-}" ]; then
    cargo build --quiet --bin debrief
fi
exec /usr/bin/python3 scripts/web-memory.py "$@"
