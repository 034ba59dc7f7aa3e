#!/bin/sh
# Installs what the loopback mail rig needs (Debian 12): Dovecot IMAP + LMTP, aiosmtpd,
# faketime, openssl and ca-certificates (the platform TLS verifier wants system roots).
# Idempotent: it asks apt only for what is missing, and runs `apt-get update` only when
# something has to be installed.
#
# Needs root (or sudo) when something is missing. A system-wide Dovecot that the package
# install starts is stopped: the rig runs its own private instance on high ports.
set -eu

"$(dirname "$0")/../../scripts/apt-ensure.sh" \
    dovecot-imapd dovecot-lmtpd python3-aiosmtpd faketime openssl ca-certificates

if [ "$(id -u)" -eq 0 ]; then as_root=""; else as_root="sudo"; fi
# The package's own Dovecot (ports 143/993) is not needed; stop it to save resources.
if command -v systemctl >/dev/null 2>&1 && systemctl is-active --quiet dovecot 2>/dev/null; then
    $as_root systemctl stop dovecot || true
elif [ -f /run/dovecot/master.pid ] && kill -0 "$(cat /run/dovecot/master.pid)" 2>/dev/null; then
    $as_root /usr/sbin/dovecot stop 2>/dev/null || true
fi

/usr/bin/python3 -c 'import aiosmtpd'
command -v dovecot >/dev/null 2>&1 || test -x /usr/sbin/dovecot
echo "tests/rig/install.sh: the mail rig's packages are installed"
