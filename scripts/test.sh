#!/usr/bin/env bash
# Runs every check and test of debrief. Installs what the tests need first (Debian
# packages, as root, only when missing), so it works the same on a fresh machine and
# in CI. Usage: scripts/test.sh
set -euo pipefail
cd "$(dirname "$0")/.."

# Debian packages the tests use: libfaketime moves the clock for the binary's tests.
packages=()
command -v faketime >/dev/null 2>&1 || packages+=(faketime)
if [ ${#packages[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "scripts/test.sh: the tests need ${packages[*]}: run 'sudo apt-get install ${packages[*]}' or run this as root" >&2
    exit 2
  fi
  echo "Installing ${packages[*]} for the tests"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq "${packages[@]}" >/dev/null
fi

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
