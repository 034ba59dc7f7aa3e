#!/usr/bin/python3
"""The first-scan benchmark of issue 11 (run by scripts/bench.sh; see the README's
Performance section).

It starts the loopback rig (tests/rig/rig.py: Dovecot over IMAPS), writes a realistic
INBOX of N messages with 20 recruiting ones among them (its own generator and its own
messages), then measures in one run, with the references interleaved and medians over
the rounds:

- the first scan: `debrief sync` into a fresh database, beside mbsync over IMAPS into a
  Maildir on tmpfs and a minimal full fetch (Python imaplib, `UID FETCH 1:* BODY.PEEK[]`
  over TLS); time, peak RSS, and the bytes Dovecot sent (its `out=` at logout);
- the no-op `debrief sync` (nothing new);
- under `debrief run` (which does its own first scan into a fresh database): the reaction
  latency, delivery -> application changed, p50/p95 over 30 deliveries, beside a raw IDLE
  client's delivery -> `* N EXISTS` on the same mailbox; then its RSS and CPU over 60 s idle;
- in-process classification, messages/s (examples/classify_bench over the generated mail).

It prints a markdown table whose last line is
`first scan N: debrief X s, mbsync Y s, ratio R; no-op Z ms; peak RSS M MB; reaction p95 P s`.
"""

import argparse
import email.utils
import imaplib
import json
import os
import random
import re
import shutil
import socket
import smtplib
import sqlite3
import ssl
import statistics
import subprocess
import sys
import tempfile
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
USER = "bench@rig.test"
PASSWORD = "rig-shared-secret"
# DEBRIEF_BIN compares another build (e.g. main's) under the same conditions.
DEBRIEF = os.environ.get("DEBRIEF_BIN") or os.path.join(ROOT, "target", "debug", "debrief")
CLASSIFY_BENCH = os.path.join(ROOT, "target", "debug", "examples", "classify_bench")


def log(message):
    print(f"bench: {message}", file=sys.stderr, flush=True)


# ---------------------------------------------------------------------------------------
# The mailbox: newsletters, notifications, personal mail, a few attachments, and 20
# recruiting messages, all written here.

BRANDS = ["tidepool", "quillworks", "larkspur", "ferncastle", "brightmoor", "copperline", "stonebridge",
          "wavecrest", "hollowell", "ambergate", "northfold", "pinemarsh"]
SERVICES = ["gitforge", "ticketdesk", "cloudmeter", "buildhive", "shipyard", "pagerbell"]
FRIENDS = [("Marta Olsen", "marta@olsen-family.example"), ("Dev Patel", "dev.patel@mailbox.example"),
           ("Chris Young", "cyoung@fastpost.example"), ("Ana Ruiz", "ana.ruiz@mailbox.example"),
           ("Sam Whitaker", "sam@whitaker.example")]
WORDS = ("the of and to in that is was for on with as by at from this have are be or which an not "
         "release update team project weekly notes build report garden travel recipe market city "
         "music storage library version feature meeting review plan coffee weekend photo trip "
         "design budget season article reading podcast community event").split()


def paragraph(rng, words):
    text = " ".join(rng.choice(WORDS) for _ in range(words))
    return text[0].upper() + text[1:] + "."


def wrap(text, width=72):
    lines, line = [], ""
    for word in text.split():
        if line and len(line) + 1 + len(word) > width:
            lines.append(line)
            line = word
        else:
            line = f"{line} {word}" if line else word
    if line:
        lines.append(line)
    return "\n".join(lines)


def headers(sender, subject, date, message_id, extra=()):
    lines = [f"From: {sender}", f"To: Priya Raman <{USER}>", f"Subject: {subject}",
             f"Date: {email.utils.formatdate(date, localtime=False)}", f"Message-ID: <{message_id}>",
             "MIME-Version: 1.0"]
    lines.extend(extra)
    return "\n".join(lines)


def newsletter(rng, number, date):
    brand = rng.choice(BRANDS)
    text = "\n\n".join(wrap(paragraph(rng, rng.randint(40, 120))) for _ in range(rng.randint(4, 10)))
    html = "".join(f"<p style=\"margin:0 0 12px;font-family:Arial\">{p}</p>\n"
                   for p in text.split("\n\n"))
    boundary = f"=_b{number}"
    head = headers(f"{brand.title()} Weekly <news@{brand}.example>", f"{brand.title()} weekly: issue {number}",
                   date, f"n{number}.{brand}@mail.{brand}.example",
                   [f"List-Id: {brand.title()} Weekly <weekly.{brand}.example>",
                    f"List-Unsubscribe: <https://{brand}.example/u/{number}>",
                    f"Content-Type: multipart/alternative; boundary=\"{boundary}\""])
    return (f"{head}\n\n--{boundary}\nContent-Type: text/plain; charset=utf-8\n\n{text}\n\n"
            f"--{boundary}\nContent-Type: text/html; charset=utf-8\n\n<html><body>\n{html}</body></html>\n"
            f"--{boundary}--\n")


def notification(rng, number, date):
    service = rng.choice(SERVICES)
    head = headers(f"{service.title()} <notifications@{service}.example>",
                   f"[{service}] {rng.choice(['Build', 'Ticket', 'Alert', 'Deploy'])} #{number} {rng.choice(['passed', 'updated', 'resolved', 'opened'])}",
                   date, f"notify{number}@{service}.example",
                   ["Precedence: bulk", "Auto-Submitted: auto-generated", "Content-Type: text/plain; charset=utf-8"])
    return f"{head}\n\n{wrap(paragraph(rng, rng.randint(30, 90)))}\n\n-- \nYou receive this because you watch it.\n"


def personal(rng, number, date, attachment=0):
    name, address = rng.choice(FRIENDS)
    extra = []
    if number % 3 == 0:
        extra = [f"In-Reply-To: <p{number - 3}@{address.split('@')[1]}>", f"References: <p{number - 3}@{address.split('@')[1]}>"]
    body = "\n\n".join(wrap(paragraph(rng, rng.randint(20, 60))) for _ in range(rng.randint(1, 4)))
    subject = f"{rng.choice(['Re: ', '', ''])}{rng.choice(['Dinner on Friday', 'Photos from the trip', 'The book you lent me', 'Weekend plans', 'Quick favour'])}"
    if not attachment:
        head = headers(f"{name} <{address}>", subject, date, f"p{number}@{address.split('@')[1]}",
                       extra + ["Content-Type: text/plain; charset=utf-8"])
        return f"{head}\n\n{body}\n\n{name.split()[0]}\n"
    boundary = f"=_a{number}"
    head = headers(f"{name} <{address}>", subject, date, f"p{number}@{address.split('@')[1]}",
                   extra + [f"Content-Type: multipart/mixed; boundary=\"{boundary}\""])
    blob = rng.randbytes(attachment)
    import base64
    encoded = base64.encodebytes(blob).decode()
    return (f"{head}\n\n--{boundary}\nContent-Type: text/plain; charset=utf-8\n\n{body}\n\n"
            f"--{boundary}\nContent-Type: image/jpeg; name=\"photo{number}.jpg\"\nContent-Transfer-Encoding: base64\n"
            f"Content-Disposition: attachment; filename=\"photo{number}.jpg\"\n\n{encoded}--{boundary}--\n")


RECRUITING_COMPANIES = ["Harborview Labs", "Quartzline", "Meridian Freight", "Oakridge Analytics", "Bluefen Systems",
                        "Cobalt Harbor", "Saltmarsh Energy", "Kestrel Mobility", "Lumen Orchard", "Redwater Bio"]


def company_domain(company):
    return re.sub(r"[^a-z]", "", company.lower()) + ".example"


def recruiting(index, date, now):
    """Twenty messages of ten applications: a receipt, then an invitation or a
    confirmation with a time, a rejection or a timeline. Written for this benchmark."""
    company = RECRUITING_COMPANIES[index % 10]
    domain = company_domain(company)
    role = ["Backend Engineer", "Data Engineer", "Platform Engineer", "Site Reliability Engineer"][(index % 10) % 4]
    recruiter = ["Nora Lindqvist", "Omar Haddad", "Julia Brandt", "Tomás Ferreira", "Keiko Mori"][index % 5]
    first = recruiter.split()[0]
    local = recruiter.lower().replace(" ", ".").replace("á", "a")
    sender = f"{recruiter} <{local}@{domain}>"
    step = index // 10
    if step == 0:
        head = headers(f"{company} Careers <careers@{domain}>", f"We received your application for {role}",
                       date, f"r{index}@{domain}", ["Content-Type: text/plain; charset=utf-8"])
        body = (f"Hi Priya,\n\nThank you for applying for the {role} position at {company}. We have received your "
                f"application and our hiring team is reviewing it. We will be in touch about next steps.\n\n"
                f"Best,\nThe {company} recruiting team\n")
        return f"{head}\n\n{body}"
    start = now + 3 * 86400 + index * 3600
    when = time.strftime("%A, %B %d at %H:00 UTC", time.gmtime(start))
    if index % 2 == 0:
        head = headers(sender, f"Interview confirmed: {role} at {company}", date, f"r{index}@{domain}",
                       [f"In-Reply-To: <r{index - 10}@{domain}>", "Content-Type: text/plain; charset=utf-8"])
        body = (f"Hi Priya,\n\nThis confirms your interview for the {role} role at {company} on {when}, "
                f"for 45 minutes over video. You will meet {recruiter} <{local}@{domain}>.\n\n"
                f"Looking forward to it,\n{first}\n")
    else:
        head = headers(sender, f"Next steps for the {role} role at {company}", date, f"r{index}@{domain}",
                       [f"In-Reply-To: <r{index - 10}@{domain}>", "Content-Type: text/plain; charset=utf-8"])
        body = (f"Hi Priya,\n\nThank you for your time so far. After reviewing your application, we have decided "
                f"not to move forward with your candidacy for the {role} position. We appreciate your interest "
                f"in {company} and wish you the best in your search.\n\nKind regards,\n{first}\n")
    return f"{head}\n\n{body}"


def reaction_message(number, now):
    """A message that starts an application: what the reaction test delivers."""
    company = f"Latency Works {number}"
    domain = f"latencyworks{number}.example"
    head = headers(f"Talent Team <talent@{domain}>", f"Your application to {company}: Backend Engineer",
                   now, f"react{number}.{int(now)}@{domain}", ["Content-Type: text/plain; charset=utf-8"])
    body = (f"Hi Priya,\n\nThank you for applying for the Backend Engineer position at {company}. We have "
            f"received your application and our hiring team is reviewing it. We will be in touch about next "
            f"steps.\n\nBest,\nThe {company} recruiting team\n")
    return f"{head}\n\n{body}"


def generate(maildir, count, seed=11, sample=True):
    """Writes `count` messages into `maildir/cur` (oldest first, dated over the last 60
    days, modification time = date, which Dovecot takes as the internal date) and returns
    the folder of .eml copies for the classification benchmark."""
    rng = random.Random(seed)
    now = time.time()
    for sub in ("cur", "new", "tmp"):
        os.makedirs(os.path.join(maildir, sub), exist_ok=True)
    recruiting_at = set(rng.sample(range(count), min(20, count)))
    recruiting_order = iter(range(20))
    span = 60 * 86400
    sample_dir = os.path.join(os.path.dirname(maildir), "sample")
    os.makedirs(sample_dir, exist_ok=True)
    for number in range(count):
        date = now - span + span * number / max(count, 1)
        if number in recruiting_at:
            text = recruiting(next(recruiting_order), date, now)
        else:
            roll = rng.random()
            if roll < 0.55:
                text = newsletter(rng, number, date)
            elif roll < 0.78:
                text = notification(rng, number, date)
            elif roll < 0.995:
                text = personal(rng, number, date)
            else:
                text = personal(rng, number, date, attachment=rng.choice([150_000, 400_000, 3_000_000]))
        name = f"{int(date)}.M{number}P1.bench:2,S"
        path = os.path.join(maildir, "cur", name)
        with open(path, "w") as f:
            f.write(text)
        os.utime(path, (date, date))
        if sample and number < 2000 and len(text) < 1_000_000:
            with open(os.path.join(sample_dir, f"{number}.eml"), "w") as f:
                f.write(text)
    return sample_dir


# ---------------------------------------------------------------------------------------
# The rig and the clients.

class Rig:
    def __init__(self, run_dir):
        self.process = subprocess.Popen(["/usr/bin/python3", os.path.join(ROOT, "tests/rig/rig.py"), "--dir", run_dir],
                                        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        self.ready = json.loads(self.process.stdout.readline())
        self.ports = self.ready["ports"]
        self.ca_file = self.ready["ca_file"]
        self.log_path = os.path.join(self.ready["run_dir"], "dovecot.log")
        self.maildir = os.path.join(self.ready["mail_dir"], "rig.test", "bench", "Maildir")

    def stop(self):
        # The rig removes its folder when it stops: 25,000 messages take a while on a busy
        # machine, and a slow cleanup must not throw away the measurements.
        self.process.stdin.close()
        try:
            self.process.wait(timeout=300)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()

    def log_offset(self):
        return os.path.getsize(self.log_path) if os.path.exists(self.log_path) else 0

    def bytes_sent_since(self, offset):
        """Dovecot's `out=` at logout for the bench user since `offset` of its log."""
        with open(self.log_path, "rb") as f:
            f.seek(offset)
            text = f.read().decode(errors="replace")
        return sum(int(m.group(1)) for m in re.finditer(r"imap\(" + re.escape(USER) + r"\).*?out=(\d+)", text))

    def deliver(self, text):
        with smtplib.LMTP("127.0.0.1", self.ports["lmtp"]) as lmtp:
            lmtp.sendmail("sender@rig.test", [USER], text.replace("\n", "\r\n").encode())


def tls_context(ca_file):
    context = ssl.create_default_context(cafile=ca_file)
    return context


def wait_for_logouts(rig, offset, count, deadline=10.0):
    """Dovecot writes the logout line when its imap process ends: wait for it."""
    end = time.time() + deadline
    while time.time() < end:
        with open(rig.log_path, "rb") as f:
            f.seek(offset)
            text = f.read().decode(errors="replace")
        if len(re.findall(r"imap\(" + re.escape(USER) + r"\).*?out=", text)) >= count:
            return
        time.sleep(0.02)


def run_measured(argv, env=None):
    """Runs argv; returns (seconds, peak RSS in MB, stdout, stderr). The peak is GNU
    time's (%M, the program's own): a child forked from this Python process would count
    Python's pages until its exec."""
    rss_file = tempfile.NamedTemporaryFile(prefix="bench-rss-", delete=False)
    rss_file.close()
    started = time.perf_counter()
    process = subprocess.Popen(["/usr/bin/time", "-f", "%M", "-o", rss_file.name] + argv,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    out_chunks, err_chunks = [], []
    t_out = threading.Thread(target=lambda: out_chunks.append(process.stdout.read()))
    t_err = threading.Thread(target=lambda: err_chunks.append(process.stderr.read()))
    t_out.start()
    t_err.start()
    _, status, _ = os.wait4(process.pid, 0)
    elapsed = time.perf_counter() - started
    t_out.join()
    t_err.join()
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        raise RuntimeError(f"{argv[0]} exited {process.returncode}: {err_chunks[0].decode(errors='replace')[-2000:]}")
    with open(rss_file.name) as f:
        peak_kb = int(f.read().split()[-1])
    os.unlink(rss_file.name)
    return elapsed, peak_kb / 1024, out_chunks[0].decode(errors="replace"), err_chunks[0].decode(errors="replace")


def write_config(dir_path, rig, db_name="debrief.db", mailbox="INBOX"):
    secret = os.path.join(dir_path, "secret")
    with open(secret, "w") as f:
        f.write(PASSWORD + "\n")
    os.chmod(secret, 0o600)
    path = os.path.join(dir_path, "config.toml")
    with open(path, "w") as f:
        f.write(f"""[identity]
name = "Priya Raman"
email = "{USER}"
time_zone = "UTC"

[storage]
path = {json.dumps(os.path.join(dir_path, db_name))}

[imap]
host = "localhost"
port = {rig.ports['imaps']}
security = "tls"
username = "{USER}"
password_command = ["/bin/cat", {json.dumps(secret)}]
mailboxes = [{json.dumps(mailbox)}]
initial_scan_days = 365
ca_file = {json.dumps(rig.ca_file)}
""")
    return path


def debrief_first_scan(work, rig, round_number, mailbox="INBOX"):
    dir_path = os.path.join(work, f"debrief-{mailbox}-{round_number}")
    os.makedirs(dir_path)
    config = write_config(dir_path, rig, mailbox=mailbox)
    offset = rig.log_offset()
    env = dict(os.environ, NO_COLOR="1")
    seconds, rss, stdout, _ = run_measured([DEBRIEF, "--config", config, "sync"], env=env)
    wait_for_logouts(rig, offset, 1)
    return seconds, rss, rig.bytes_sent_since(offset), config, stdout.strip()


def mbsync_first_scan(work, rig, round_number):
    target = tempfile.mkdtemp(prefix=f"mbsync-{round_number}-", dir="/dev/shm")
    rc = os.path.join(work, f"mbsyncrc-{round_number}")
    with open(rc, "w") as f:
        f.write(f"""IMAPAccount bench
Host localhost
Port {rig.ports['imaps']}
User {USER}
Pass {PASSWORD}
SSLType IMAPS
CertificateFile {rig.ca_file}

IMAPStore far
Account bench

MaildirStore near
Path {target}/
Inbox {target}/INBOX

Channel bench
Far :far:INBOX
Near :near:INBOX
Create Near
Sync Pull
Expunge None
SyncState *
""")
    offset = rig.log_offset()
    try:
        seconds, rss, _, _ = run_measured(["mbsync", "-q", "-c", rc, "bench"])
        wait_for_logouts(rig, offset, 1)
        return seconds, rss, rig.bytes_sent_since(offset)
    finally:
        shutil.rmtree(target, ignore_errors=True)


def imaplib_full_fetch(rig, mailbox="INBOX"):
    offset = rig.log_offset()
    started = time.perf_counter()
    client = imaplib.IMAP4_SSL("localhost", rig.ports["imaps"], ssl_context=tls_context(rig.ca_file))
    client.login(USER, PASSWORD)
    client.select(mailbox, readonly=True)
    typ, data = client.uid("FETCH", "1:*", "(BODY.PEEK[])")
    assert typ == "OK"
    count = sum(1 for item in data if isinstance(item, tuple))
    client.logout()
    seconds = time.perf_counter() - started
    del data
    wait_for_logouts(rig, offset, 1)
    return seconds, rig.bytes_sent_since(offset), count


class IdleClient:
    """A raw IDLE client: records when each `* N EXISTS` arrives."""

    def __init__(self, rig):
        self.client = imaplib.IMAP4_SSL("localhost", rig.ports["imaps"], ssl_context=tls_context(rig.ca_file))
        self.client.login(USER, PASSWORD)
        self.client.select("INBOX", readonly=True)
        self.exists = []
        self.client.send(b"i1 IDLE\r\n")
        line = self.client.readline()
        assert line.startswith(b"+"), line
        self.thread = threading.Thread(target=self.read, daemon=True)
        self.thread.start()

    def read(self):
        while True:
            try:
                line = self.client.readline()
            except Exception:
                return
            if not line:
                return
            if re.match(rb"\* \d+ EXISTS", line):
                self.exists.append(time.perf_counter())

    def close(self):
        # Shut the socket down first: the reader thread holds the file's lock in
        # readline, and closing the file under it would wait forever.
        try:
            self.client.send(b"DONE\r\n")
            self.client.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.thread.join(timeout=5)


def percentile(values, fraction):
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(fraction * (len(ordered) - 1))))
    return ordered[index]


def wait_until(predicate, deadline, what):
    end = time.perf_counter() + deadline
    while time.perf_counter() < end:
        value = predicate()
        if value:
            return value
        time.sleep(0.005)
    raise RuntimeError(f"timed out waiting for {what}")


def proc_rss_mb(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def proc_cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    ticks = os.sysconf("SC_CLK_TCK")
    return (int(fields[11]) + int(fields[12])) / ticks


def under_run(work, rig, deliveries, idle_seconds):
    """`debrief run` on a fresh database: its own first scan, then the reaction latency
    against a raw IDLE client, then idle RSS and CPU."""
    dir_path = os.path.join(work, "run")
    os.makedirs(dir_path)
    config = write_config(dir_path, rig)
    db = os.path.join(dir_path, "debrief.db")
    stderr_path = os.path.join(dir_path, "run.log")
    with open(stderr_path, "w") as stderr:
        process = subprocess.Popen([DEBRIEF, "--config", config, "run"], stdout=subprocess.DEVNULL, stderr=stderr,
                                   env=dict(os.environ, NO_COLOR="1"))
    try:
        def watching():
            with open(stderr_path) as f:
                return "Watching INBOX" in f.read()
        started = time.perf_counter()
        wait_until(watching, 1800, "debrief run to finish its first scan")
        scan_seconds = time.perf_counter() - started
        rss_after_scan = proc_rss_mb(process.pid)

        def applications():
            try:
                with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5) as conn:
                    # A message applied to an application (a new one, or one it changed).
                    return conn.execute("SELECT count(*) FROM messages WHERE status = 'applied'").fetchone()[0]
            except sqlite3.Error:
                return None
        idle = IdleClient(rig)
        time.sleep(0.5)
        debrief_latency, idle_latency = [], []
        for number in range(deliveries):
            before = applications()
            seen = len(idle.exists)
            rig.deliver(reaction_message(number, time.time()))
            delivered = time.perf_counter()
            wait_until(lambda: len(idle.exists) > seen, 30, "the IDLE client's EXISTS")
            idle_latency.append(idle.exists[seen] - delivered)
            wait_until(lambda: (applications() or 0) > (before or 0), 30, "debrief to record the application")
            debrief_latency.append(time.perf_counter() - delivered)
        idle.close()
        cpu_before = proc_cpu_seconds(process.pid)
        time.sleep(idle_seconds)
        cpu_idle = proc_cpu_seconds(process.pid) - cpu_before
        rss_idle = proc_rss_mb(process.pid)
    except Exception:
        with open(stderr_path) as f:
            log("debrief run's log ends with:\n" + "".join(f.readlines()[-15:]))
        raise
    finally:
        process.terminate()
        process.wait(timeout=30)
    return {
        "scan_seconds": scan_seconds,
        "rss_after_scan": rss_after_scan,
        "debrief_p50": percentile(debrief_latency, 0.5),
        "debrief_p95": percentile(debrief_latency, 0.95),
        "idle_p50": percentile(idle_latency, 0.5),
        "idle_p95": percentile(idle_latency, 0.95),
        "rss_idle": rss_idle,
        "cpu_idle_ms": cpu_idle * 1000,
    }


def classification_rate(sample_dir):
    output = subprocess.run([CLASSIFY_BENCH, sample_dir, "3"], check=True, capture_output=True, text=True).stdout
    match = re.search(r"([\d.]+) msgs/s", output)
    return float(match.group(1)) if match else 0.0


def main():
    parser = argparse.ArgumentParser(description="debrief's first-scan benchmark (issue 11)")
    parser.add_argument("--messages", type=int, default=20000, help="messages in the INBOX (default 20000)")
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds of each first scan (default 3)")
    parser.add_argument("--deliveries", type=int, default=30, help="deliveries for the reaction latency")
    parser.add_argument("--compare-messages", type=int, default=0,
                        help="also first-scan a second mailbox of this many messages in the same rounds, "
                             "interleaved (same load), and report the time ratio (e.g. 5000)")
    parser.add_argument("--idle-seconds", type=int, default=60, help="how long the idle daemon is watched")
    args = parser.parse_args()

    work = tempfile.mkdtemp(prefix="debrief-bench-")
    # Dovecot's processes (users dovecot and mail) must reach the rig's files inside.
    os.chmod(work, 0o755)
    rig = Rig(os.path.join(work, "rig"))
    try:
        log(f"writing {args.messages} messages")
        sample_dir = generate(rig.maildir, args.messages)
        if args.compare_messages:
            log(f"writing {args.compare_messages} messages into the mailbox Scale")
            generate(os.path.join(rig.maildir, ".Scale"), args.compare_messages, seed=12, sample=False)
        if os.geteuid() == 0:
            for dirpath, _, files in os.walk(os.path.dirname(os.path.dirname(rig.maildir))):
                os.chown(dirpath, 8, 8)
                for name in files:
                    os.chown(os.path.join(dirpath, name), 8, 8)
        log("warming Dovecot's index (not measured)")
        _, _, fetched = imaplib_full_fetch(rig)
        assert fetched == args.messages, f"Dovecot shows {fetched} messages, expected {args.messages}"
        if args.compare_messages:
            _, _, fetched = imaplib_full_fetch(rig, "Scale")
            assert fetched == args.compare_messages, f"Scale shows {fetched}, expected {args.compare_messages}"

        results = {"debrief": [], "mbsync": [], "imaplib": [], "compare": []}
        config = None
        summary = ""
        for round_number in range(args.rounds):
            log(f"round {round_number + 1} of {args.rounds}")
            seconds, rss, sent, config, summary = debrief_first_scan(work, rig, round_number)
            results["debrief"].append((seconds, rss, sent))
            if args.compare_messages:
                seconds, rss, sent, _, _ = debrief_first_scan(work, rig, round_number, "Scale")
                results["compare"].append((seconds, rss, sent))
            seconds, rss, sent = mbsync_first_scan(work, rig, round_number)
            results["mbsync"].append((seconds, rss, sent))
            seconds, sent, _ = imaplib_full_fetch(rig)
            results["imaplib"].append((seconds, 0, sent))
        log(f"debrief's summary: {summary}")
        noop = [run_measured([DEBRIEF, "--config", config, "sync"])[0:2] for _ in range(5)]
        log("debrief run: first scan, reaction latency, idle")
        run = under_run(work, rig, args.deliveries, args.idle_seconds)
        log("classification in process")
        rate = classification_rate(sample_dir)
    finally:
        rig.stop()
        shutil.rmtree(work, ignore_errors=True)

    def med(name, index):
        return statistics.median(value[index] for value in results[name])

    n = args.messages
    debrief_s, mbsync_s, imaplib_s = med("debrief", 0), med("mbsync", 0), med("imaplib", 0)
    ratio = debrief_s / mbsync_s
    noop_ms = statistics.median(seconds for seconds, _ in noop) * 1000
    noop_rss = statistics.median(rss for _, rss in noop)
    peak = med("debrief", 1)
    print(f"Measured {time.strftime('%Y-%m-%d')} on {os.cpu_count()} cores, loopback Dovecot over IMAPS, "
          f"{n} messages (20 recruiting), {args.rounds} interleaved rounds, medians.\n")
    print("| measure | debrief | reference |")
    print("| --- | --- | --- |")
    print(f"| first scan of {n} messages | {debrief_s:.2f} s | mbsync {mbsync_s:.2f} s; imaplib full fetch {imaplib_s:.2f} s |")
    if args.compare_messages:
        k = args.compare_messages
        small = med("compare", 0)
        print(f"| first scan of {k} messages (same rounds) | {small:.2f} s | time at {n} / time at {k}: "
              f"{debrief_s / small:.2f} for {n / k:.1f}x the messages |")
    print(f"| bytes sent by Dovecot | {med('debrief', 2) / 1e6:.1f} MB | mbsync {med('mbsync', 2) / 1e6:.1f} MB; imaplib {med('imaplib', 2) / 1e6:.1f} MB |")
    print(f"| peak RSS of the first scan | {peak:.0f} MB | mbsync {med('mbsync', 1):.0f} MB |")
    print(f"| no-op sync | {noop_ms:.0f} ms, {noop_rss:.0f} MB | |")
    print(f"| first scan under `debrief run` | {run['scan_seconds']:.2f} s, RSS after it {run['rss_after_scan']:.0f} MB | |")
    print(f"| reaction, delivery -> application changed ({args.deliveries}) | p50 {run['debrief_p50']:.2f} s, p95 {run['debrief_p95']:.2f} s | raw IDLE client, delivery -> EXISTS: p50 {run['idle_p50']:.2f} s, p95 {run['idle_p95']:.2f} s |")
    print(f"| idle `debrief run` over {args.idle_seconds} s | RSS {run['rss_idle']:.0f} MB, CPU {run['cpu_idle_ms']:.0f} ms | |")
    print(f"| classification in process | {rate:.0f} msgs/s | |")
    print()
    print(f"first scan {n}: debrief {debrief_s:.2f} s, mbsync {mbsync_s:.2f} s, ratio {ratio:.1f}; "
          f"no-op {noop_ms:.0f} ms; peak RSS {peak:.0f} MB; reaction p95 {run['debrief_p95']:.2f} s")


if __name__ == "__main__":
    main()
