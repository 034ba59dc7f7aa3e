#!/bin/sh
# Installs the Debian packages named on the command line that are not installed yet.
# Idempotent: apt is asked only for what is missing, and `apt-get update` runs only when
# something has to be installed. Needs root (or sudo) when something is missing.
# Usage: scripts/apt-ensure.sh PACKAGE...
set -eu

missing=""
for package in "$@"; do
    status=$(dpkg-query -W -f='${db:Status-Status}' "$package" 2>/dev/null || true)
    if [ "$status" != "installed" ]; then
        missing="$missing $package"
    fi
done
[ -n "$missing" ] || exit 0

if [ "$(id -u)" -eq 0 ]; then
    as_root=""
elif command -v sudo >/dev/null 2>&1; then
    as_root="sudo"
else
    echo "apt-ensure: missing packages:$missing; run this as root" >&2
    exit 1
fi
echo "apt-ensure: installing$missing"
$as_root env DEBIAN_FRONTEND=noninteractive apt-get update -q
# shellcheck disable=SC2086
$as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $missing
