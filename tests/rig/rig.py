#!/usr/bin/python3
"""The loopback mail rig: a private Dovecot (IMAP, IMAPS, LMTP) and an aiosmtpd SMTP server.

One supervisor process, started by the test harness (tests/support/rig.rs) or by hand:

    /usr/bin/python3 tests/rig/rig.py --dir /tmp/rig [--imap-port N ...]

It writes a CA and a server certificate, a dovecot.conf and a passwd file into the run
directory, starts `dovecot -F` as its child and an SMTP server in this process, and prints
one JSON line on stdout when everything answers. Then it reads commands on stdin, one per
line, and answers each with one line:

    stop-dovecot    kill Dovecot's master and all its children (an outage, as after a crash)
    start-dovecot   start it again and wait for the IMAP greeting
    ping            answer "ok ping"

When stdin closes (the test process finished or died) it stops everything and removes the
run directory (unless --keep). It never touches /etc/dovecot and listens on 127.0.0.1 only.

The SMTP server offers implicit TLS on one port and STARTTLS on another, checks AUTH PLAIN
and LOGIN against the same users as Dovecot (and XOAUTH2, whose bearer token is the user's password, as in Dovecot here), delivers
each recipient at one of the rig's domains to Dovecot over LMTP (one transaction per
recipient), refuses other recipients with 550, and appends every accepted message to
smtp-log.jsonl ({"mail_from", "rcpt_tos", "message_id", "port", "auth_user"}). A message to
an address whose local part starts with "drop-after-dot" is delivered and logged, then the
connection is cut without an answer (a link lost right after the final dot).

Must run with Debian's /usr/bin/python3 (python3-aiosmtpd); see tests/rig/install.sh.
"""

import argparse
import asyncio
import base64
import glob
import email.parser
import email.policy
import json
import logging
import os
import pwd
import grp
import shutil
import signal
import smtplib
import socket
import ssl
import subprocess
import sys
import threading
import time

from aiosmtpd.smtp import SMTP, AuthResult, LoginPassword

# Users with their own passwords. Any other address at one of the domains also has a
# mailbox (so tests can read what an interviewer received); it logs in with SHARED_PASSWORD.
USERS = {
    "user@rig.test": "user-secret-1",
    "jane@acme.example": "jane-secret-2",
    "bob@acme.example": "bob-secret-3",
    "recruiter@acme.example": "recruiter-secret-4",
}
SHARED_PASSWORD = "rig-shared-secret"
DOMAINS = ["rig.test", "acme.example", "globex.example", "initech.example"]
# XOAUTH2: both servers take the user's password as the bearer token (Dovecot's xoauth2
# mechanism checks the token against the passdb like a password; SMTP does the same here).


def log(message):
    print(f"rig: {message}", file=sys.stderr, flush=True)


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def run(argv, **kwargs):
    subprocess.run(argv, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, **kwargs)


def write_certificates(run_dir):
    """A CA and a server certificate it signed (SAN localhost and 127.0.0.1).

    Made under `faketime 2020-01-01` with 20000 days of validity, so that tests that fake
    the clock anywhere between 2020 and 2074 still see a valid certificate. The CA is what
    clients trust (ca_file); webpki refuses a CA certificate used as the server's own.
    """
    ca_key = os.path.join(run_dir, "ca.key")
    ca_pem = os.path.join(run_dir, "ca.pem")
    key = os.path.join(run_dir, "server.key")
    csr = os.path.join(run_dir, "server.csr")
    pem = os.path.join(run_dir, "server.pem")
    ext = os.path.join(run_dir, "server.ext")
    with open(ext, "w") as f:
        f.write(
            "basicConstraints = critical, CA:FALSE\n"
            "keyUsage = critical, digitalSignature, keyEncipherment\n"
            "extendedKeyUsage = serverAuth\n"
            "subjectAltName = DNS:localhost, IP:127.0.0.1\n"
        )
    # libfaketime's preload library directly, not the `faketime` wrapper: the wrapper
    # names a semaphore after its PID, and one left by a killed wrapper makes a later one
    # with the same PID fail ("sem_open: File exists").
    library = next(iter(sorted(glob.glob("/usr/lib/*/faketime/libfaketime.so.1"))), None)
    faketime = ["env", f"LD_PRELOAD={library}", "FAKETIME=@2020-01-01 00:00:00"] if library else []
    if not faketime:
        log("libfaketime is missing (run tests/rig/install.sh); the certificate starts today")
    ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
    run(faketime + ["openssl", "req", "-x509", *ec, "-keyout", ca_key, "-out", ca_pem,
                    "-days", "20000", "-subj", "/CN=debrief test rig CA",
                    "-addext", "basicConstraints=critical,CA:TRUE",
                    "-addext", "keyUsage=critical,keyCertSign,cRLSign"])
    run(faketime + ["openssl", "req", *ec, "-keyout", key, "-out", csr, "-subj", "/CN=localhost"])
    run(faketime + ["openssl", "x509", "-req", "-in", csr, "-CA", ca_pem, "-CAkey", ca_key,
                    "-CAcreateserial", "-days", "20000", "-out", pem, "-extfile", ext])
    # Dovecot's unprivileged processes never read the key: the master reads it as root.
    os.chmod(key, 0o600)
    return ca_pem, pem, key


def mail_ids():
    """The uid/gid that owns the mailboxes: Debian's `mail` (8) as root, else ourselves."""
    if os.geteuid() == 0:
        return 8, 8
    return os.getuid(), os.getgid()


def write_dovecot_conf(run_dir, ports, cert, key):
    uid, gid = mail_ids()
    mail_root = os.path.join(run_dir, "mail")
    os.makedirs(mail_root, exist_ok=True)
    if os.geteuid() == 0:
        os.chown(mail_root, uid, gid)
    passwd = os.path.join(run_dir, "passwd")
    with open(passwd, "w") as f:
        for user, password in USERS.items():
            f.write(f"{user}:{{PLAIN}}{password}::::::\n")
    os.chmod(passwd, 0o644)
    unprivileged = ""
    if os.geteuid() != 0:
        # Running as a normal user: every Dovecot process is that user.
        me = pwd.getpwuid(os.getuid()).pw_name
        unprivileged = f"default_internal_user = {me}\ndefault_login_user = {me}\n"
    conf = f"""# Written by tests/rig/rig.py for one test run; nothing here comes from /etc/dovecot.
instance_name = debrief-rig-{ports['imap']}
base_dir = {run_dir}/run
state_dir = {run_dir}/state
log_path = {run_dir}/dovecot.log
info_log_path = {run_dir}/dovecot.log
listen = 127.0.0.1
protocols = imap lmtp
{unprivileged}
ssl = yes
ssl_cert = <{cert}
ssl_key = <{key}
disable_plaintext_auth = no
auth_mechanisms = plain login xoauth2
auth_username_format = %Lu
# A refused login answers at once (the default waits 2 s, which only slows tests).
auth_failure_delay = 0

mail_location = maildir:~/Maildir
mail_uid = {uid}
mail_gid = {gid}
first_valid_uid = {uid}
first_valid_gid = {gid}
mail_max_userip_connections = 200
mailbox_idle_check_interval = 1 secs

# Known users by their own password; anyone else at the rig's domains with the shared one.
passdb {{
  driver = passwd-file
  args = scheme=PLAIN {passwd}
}}
passdb {{
  driver = static
  args = password={SHARED_PASSWORD}
}}
userdb {{
  driver = static
  args = uid={uid} gid={gid} home={mail_root}/%d/%n allow_all_users=yes
}}

namespace inbox {{
  inbox = yes
  separator = /
  mailbox Drafts {{
    special_use = \\Drafts
    auto = subscribe
  }}
  mailbox Sent {{
    special_use = \\Sent
    auto = subscribe
  }}
  mailbox Trash {{
    special_use = \\Trash
    auto = subscribe
  }}
}}

service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {ports['imap']}
  }}
  inet_listener imaps {{
    address = 127.0.0.1
    port = {ports['imaps']}
    ssl = yes
  }}
}}
service lmtp {{
  inet_listener lmtp {{
    address = 127.0.0.1
    port = {ports['lmtp']}
  }}
}}
# No growing penalty for repeated failed logins from loopback (2, 4, 8 s...): tests fail
# logins on purpose.
service anvil {{
  unix_listener anvil-auth-penalty {{
    mode = 0
  }}
}}
service stats {{
  unix_listener stats-reader {{
    mode = 0666
  }}
  unix_listener stats-writer {{
    mode = 0666
  }}
}}
"""
    path = os.path.join(run_dir, "dovecot.conf")
    with open(path, "w") as f:
        f.write(conf)
    return path


class Dovecot:
    """Dovecot's master as our child, in its own process group so that an outage can kill
    the master and every child it forked at once (killing only the master leaves logged-in
    imap processes serving for seconds)."""

    def __init__(self, conf, port):
        self.conf = conf
        self.port = port
        self.process = None
        self.binary = shutil.which("dovecot") or "/usr/sbin/dovecot"

    def start(self):
        log_file = open(os.path.join(os.path.dirname(self.conf), "dovecot.stderr"), "ab")
        self.process = subprocess.Popen(
            [self.binary, "-F", "-c", self.conf],
            stdin=subprocess.DEVNULL, stdout=log_file, stderr=log_file,
            start_new_session=True,
        )
        log_file.close()
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"dovecot exited with {self.process.returncode}; see {self.conf}'s dovecot.log")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1) as sock:
                    if sock.recv(100).startswith(b"* OK"):
                        return
            except OSError:
                pass
            time.sleep(0.02)  # A readiness poll: Dovecot announces nothing else.
        raise RuntimeError("dovecot did not greet on its IMAP port within 15 s")

    def kill(self):
        if self.process is None:
            return
        try:
            os.killpg(self.process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.process.wait()
        self.process = None
        # A stale master.pid could make the next start refuse.
        try:
            os.unlink(os.path.join(os.path.dirname(self.conf), "run", "master.pid"))
        except FileNotFoundError:
            pass


def parse_message_id(content):
    try:
        headers = email.parser.BytesHeaderParser(policy=email.policy.compat32).parsebytes(content)
        value = headers.get("Message-ID")
        return str(value).strip() if value else None
    except Exception:  # A log entry must never fail a delivery.
        return None


class Handler:
    def __init__(self, lmtp_port, log_path, port_names):
        self.lmtp_port = lmtp_port
        self.log_path = log_path
        self.port_names = port_names
        self.lock = threading.Lock()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        domain = address.rpartition("@")[2].lower()
        if domain not in DOMAINS:
            return f"550 5.1.1 <{address}>: Recipient address rejected: no such domain here"
        envelope.rcpt_tos.append(address)
        return "250 2.1.5 OK"

    async def handle_DATA(self, server, session, envelope):
        content = envelope.original_content or envelope.content
        loop = asyncio.get_running_loop()
        try:
            for rcpt in envelope.rcpt_tos:
                await loop.run_in_executor(None, self.deliver, envelope.mail_from, rcpt, content)
        except (OSError, smtplib.SMTPException) as err:
            log(f"LMTP delivery failed: {err}")
            return "451 4.3.0 Delivery to the mailbox server failed; try again later"
        auth = session.auth_data
        entry = {
            "mail_from": envelope.mail_from,
            "rcpt_tos": list(envelope.rcpt_tos),
            "message_id": parse_message_id(content),
            "port": self.port_names.get(server.transport.get_extra_info("sockname")[1], "?"),
            "auth_user": auth.login.decode() if isinstance(auth, LoginPassword) else auth,
        }
        with self.lock, open(self.log_path, "a") as f:
            f.write(json.dumps(entry) + "\n")
        if any(rcpt.lower().startswith("drop-after-dot") for rcpt in envelope.rcpt_tos):
            # Delivered, then the connection dies before the answer: what a client sees
            # when a link fails right after the final dot.
            server.transport.abort()
        return "250 2.0.0 OK: queued"

    def deliver(self, mail_from, rcpt, content):
        with smtplib.LMTP("127.0.0.1", self.lmtp_port, timeout=10) as lmtp:
            lmtp.sendmail(mail_from, [rcpt], content)

    async def auth_XOAUTH2(self, server, args):
        # "AUTH XOAUTH2 <base64 of user=U^Aauth=Bearer T^A^A>", initial response required.
        if len(args) < 2:
            await server.push("501 5.5.2 XOAUTH2 needs an initial response")
            return AuthResult(success=False, handled=True)
        try:
            fields = base64.b64decode(args[1]).decode().split("\x01")
            user = next(f[5:] for f in fields if f.startswith("user="))
            token = next(f[len("auth=Bearer "):] for f in fields if f.startswith("auth=Bearer "))
        except Exception:
            await server.push("501 5.5.2 Cannot decode the XOAUTH2 response")
            return AuthResult(success=False, handled=True)
        result = authenticator(server, server.session, None, "XOAUTH2", LoginPassword(user.encode(), token.encode()))
        return AuthResult(success=result.success, handled=False, auth_data=user if result.success else None)


def authenticator(server, session, envelope, mechanism, auth_data):
    # handled=False: aiosmtpd then answers 535 itself (its default, True, means "already
    # answered" and leaves the client waiting).
    if not isinstance(auth_data, LoginPassword):
        return AuthResult(success=False, handled=False)
    login = auth_data.login.decode(errors="replace").lower()
    password = auth_data.password.decode(errors="replace")
    known = USERS.get(login)
    ok = password == known if known is not None else (
        login.rpartition("@")[2] in DOMAINS and password == SHARED_PASSWORD)
    return AuthResult(success=ok, handled=False, auth_data=auth_data if ok else None)


async def start_smtp(ports, cert, key, handler):
    server_ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_ctx.load_cert_chain(cert, key)
    loop = asyncio.get_running_loop()

    def factory(implicit_tls):
        return lambda: SMTP(
            handler,
            hostname="localhost",
            tls_context=None if implicit_tls else server_ctx,
            require_starttls=False,
            auth_require_tls=not implicit_tls,  # on the TLS port aiosmtpd cannot tell it is TLS
            authenticator=authenticator,
            timeout=60,
        )

    smtps = await loop.create_server(factory(True), "127.0.0.1", ports["smtps"], ssl=server_ctx)
    smtp = await loop.create_server(factory(False), "127.0.0.1", ports["smtp"])
    return [smtps, smtp]


async def main_async(args):
    run_dir = os.path.abspath(args.dir)
    os.makedirs(run_dir, exist_ok=True)
    # Dovecot's mail processes run as the mail user and must reach run_dir/mail.
    os.chmod(run_dir, 0o755)
    ports = {name: getattr(args, f"{name}_port") or free_port()
             for name in ("imap", "imaps", "lmtp", "smtp", "smtps")}
    ca, cert, key = write_certificates(run_dir)
    conf = write_dovecot_conf(run_dir, ports, cert, key)
    dovecot = Dovecot(conf, ports["imap"])
    loop = asyncio.get_running_loop()
    await loop.run_in_executor(None, dovecot.start)
    smtp_log = os.path.join(run_dir, "smtp-log.jsonl")
    open(smtp_log, "a").close()
    handler = Handler(ports["lmtp"], smtp_log, {ports["smtps"]: "smtps", ports["smtp"]: "smtp"})
    servers = await start_smtp(ports, cert, key, handler)

    ready = {
        "ready": True,
        "run_dir": run_dir,
        "ca_file": ca,
        "dovecot_conf": conf,
        "mail_dir": os.path.join(run_dir, "mail"),
        "smtp_log": smtp_log,
        "ports": ports,
        "users": USERS,
        "shared_password": SHARED_PASSWORD,
        "domains": DOMAINS,
    }
    print(json.dumps(ready), flush=True)

    # stdin is read in a thread; each line becomes a command for this loop.
    commands = asyncio.Queue()

    def read_stdin():
        for line in sys.stdin:
            loop.call_soon_threadsafe(commands.put_nowait, line.strip())
        loop.call_soon_threadsafe(commands.put_nowait, None)

    threading.Thread(target=read_stdin, daemon=True).start()
    try:
        while True:
            command = await commands.get()
            if command is None:
                break
            if command == "stop-dovecot":
                await loop.run_in_executor(None, dovecot.kill)
                reply = "ok stop-dovecot"
            elif command == "start-dovecot":
                try:
                    await loop.run_in_executor(None, dovecot.start)
                    reply = "ok start-dovecot"
                except Exception as err:
                    reply = f"error start-dovecot: {err}"
            elif command == "ping":
                reply = "ok ping"
            elif command == "":
                continue
            else:
                reply = f"error unknown command {command!r}"
            print(reply, flush=True)
    finally:
        for server in servers:
            server.close()
        dovecot.kill()
        if not args.keep:
            shutil.rmtree(run_dir, ignore_errors=True)


def main():
    parser = argparse.ArgumentParser(description="The debrief loopback mail rig.")
    parser.add_argument("--dir", required=True, help="a fresh run directory")
    for name in ("imap", "imaps", "lmtp", "smtp", "smtps"):
        parser.add_argument(f"--{name}-port", type=int, default=0, help="0: pick a free port")
    parser.add_argument("--keep", action="store_true", help="keep the run directory at exit")
    args = parser.parse_args()
    # aiosmtpd logs every refused TLS handshake with a traceback; tests provoke those on
    # purpose. RIG_VERBOSE=1 shows everything.
    verbose = bool(os.environ.get("RIG_VERBOSE"))
    logging.basicConfig(level=logging.DEBUG if verbose else logging.WARNING, format="rig: %(name)s: %(message)s")
    logging.getLogger("mail.log").setLevel(logging.DEBUG if verbose else logging.CRITICAL)
    # A signal (Ctrl-C by hand, or the harness's kill) still cleans up via the finally block.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    try:
        asyncio.run(main_async(args))
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
