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
corpus=../shared/corpus
echo "== classifier evaluation on $corpus (targets: kinds >= 98%, fields >= 95%, no critical error)"
if [ -d "$corpus" ]; then
  cargo run --quiet -- eval "$corpus" --min-kind-accuracy 98 --min-fields 95 --max-critical 0 | tail -3
  echo "classifier evaluation: RAN against $corpus, targets met"
else
  echo "classifier evaluation: SKIPPED, $corpus is not beside this checkout (the tests above do not need it)"
fi
