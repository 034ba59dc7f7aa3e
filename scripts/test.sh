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
echo "== classifier evaluation on ../shared/corpus (targets: kinds >= 98%, fields >= 95%, no critical error)"
if [ -d ../shared/corpus ]; then
  cargo run --quiet -- eval ../shared/corpus --min-kind-accuracy 98 --min-fields 95 --max-critical 0 | tail -3
else
  echo "../shared/corpus is not beside this checkout: the evaluation is skipped (tests/classify_corpus.rs fails in that case)"
fi
