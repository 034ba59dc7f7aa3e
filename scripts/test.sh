#!/usr/bin/env bash
# Runs every check and test of debrief. Installs what the tests need first (Debian
# packages, as root, only when missing), so it works the same on a fresh machine and
# in CI. Usage: scripts/test.sh
set -euo pipefail
cd "$(dirname "$0")/.."

# Debian packages the tests use (Dovecot, aiosmtpd, faketime, openssl): installed with
# apt-get only when missing. The servers themselves are started by each test binary
# (tests/support/rig.rs) and stopped when it ends.
tests/rig/install.sh
# systemd-analyze (package systemd; its tools only, nothing is booted), man (man-db:
# verify looks up the units' Documentation=man:debrief(1)) and unshare (util-linux) for
# tests/systemd_units.rs; prlimit (util-linux) for tests/poison.rs.
scripts/apt-ensure.sh systemd man-db util-linux
# Chromium and its WebDriver for tests/web_browser.rs (the approval page in a real browser).
scripts/apt-ensure.sh chromium chromium-driver

# In CI (a fresh clone built once) incremental compilation only costs disk: about 4 GB
# of the target directory, enough to fill a small CI disk.
if [ -n "${CI:-}" ]; then export CARGO_INCREMENTAL=0; fi

echo "== cargo fmt --check"
cargo fmt --check
echo "== cargo clippy --all-targets -- -D warnings"
cargo clippy --all-targets --quiet -- -D warnings
echo "== cargo test"
cargo test --quiet 2>&1 | tee /tmp/debrief-test.log

# ---------------------------------------------------------------------------------------
# Optional: the classifier's evaluation against the shared corpus, when ../shared is
# beside this checkout (it is not part of the repository; a clone without it skips this
# step, says so, and still passes). With it, missing a target fails the script.
# ---------------------------------------------------------------------------------------
shared=../shared
echo "== classifier evaluation on $shared/corpus and $shared/corpus2"
echo "   (targets: corpus kinds >= 98%, fields >= 95%; each corpus2 inbox kinds >= 97%, interview fields >= 95%; no critical error anywhere)"
if [ -d "$shared/corpus" ] && [ -d "$shared/corpus2" ]; then
  # One table per inbox (--by-inbox); only each set's name and last line are shown here,
  # the whole report is in /tmp/debrief-eval.log. The eval's exit status is the verdict.
  # The binary `cargo test` has just built: `cargo run` would build it a second time.
  debrief="${CARGO_TARGET_DIR:-target}/debug/debrief"
  status=0
  "$debrief" eval "$shared/corpus" --min-kind-accuracy 98 --min-fields 95 --max-critical 0 \
    > /tmp/debrief-eval-corpus.log || status=1
  tail -1 /tmp/debrief-eval-corpus.log
  "$debrief" eval "$shared/corpus" "$shared/corpus2" --by-inbox \
    --min-kind-accuracy 97 --min-interview-fields 95 --max-critical 0 > /tmp/debrief-eval.log || status=1
  grep -E '^(== |kind accuracy|combined)' /tmp/debrief-eval.log || true
  if [ "$status" -ne 0 ]; then
    echo "classifier evaluation: RAN against $shared/corpus and $shared/corpus2, a target was MISSED (see above and /tmp/debrief-eval.log)"
    exit 1
  fi
  echo "classifier evaluation: RAN against $shared/corpus and $shared/corpus2, targets met"
else
  echo "classifier evaluation: SKIPPED, $shared/corpus and $shared/corpus2 are not beside this checkout (the tests above do not need them)"
fi
