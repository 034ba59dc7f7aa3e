#!/bin/sh
# Installs what tests/systemd_units.rs needs (Debian 12): systemd-analyze (package
# systemd), man (man-db: verify looks up the units' Documentation=man:debrief(1)) and
# unshare (util-linux). Idempotent: apt is asked only for what is missing, and
# `apt-get update` runs only when something has to be installed. Needs root (or sudo)
# when something is missing. Installing the systemd package in a container does not
# boot it; only its tools are used.
set -eu

packages="systemd man-db util-linux"

missing=""
for package in $packages; do
    status=$(dpkg-query -W -f='${db:Status-Status}' "$package" 2>/dev/null || true)
    if [ "$status" != "installed" ]; then
        missing="$missing $package"
    fi
done

if [ -n "$missing" ]; then
    if [ "$(id -u)" -eq 0 ]; then
        as_root=""
    elif command -v sudo >/dev/null 2>&1; then
        as_root="sudo"
    else
        echo "scripts/install-systemd-tools.sh: missing packages:$missing; run this script as root" >&2
        exit 1
    fi
    echo "scripts/install-systemd-tools.sh: installing$missing"
    $as_root apt-get update -qq
    # shellcheck disable=SC2086
    DEBIAN_FRONTEND=noninteractive $as_root apt-get install -y -qq --no-install-recommends $missing
fi
