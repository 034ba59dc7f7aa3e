#!/usr/bin/env bash
# The built-in demo: `debrief demo` reads a sample inbox (demo/maildir: four applications
# at different stages, an out-of-office, a newsletter and a vague recruiter's note), then
# shows the pipeline, the approval queue, a draft, an application's history and the
# review inbox, with a line on each, and what to type next. It needs no mail account and
# nothing but cargo: the tour runs at the date its mail was written for (Wed 2 Dec 2026,
# 17:00 in Los Angeles) by passing that instant to the same code the commands run.
#
# The build is the dev profile that scripts/test.sh and scripts/bench.sh use too, so
# whichever runs first builds for the others.
# Usage: scripts/demo.sh [--dir DIR]   (--dir keeps the demo's folder to look around)
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --quiet
exec target/debug/debrief demo "$@"
