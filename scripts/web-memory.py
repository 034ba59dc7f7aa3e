#!/usr/bin/python3
"""What serving the approval page costs `debrief run` in memory (issue 13: within 5 MiB
of its idle memory without the page). Run by scripts/web-memory.sh; not part of
scripts/test.sh.

In a fresh home (a Maildir source, one interview with two thank-you notes queued) it
starts `debrief run` twice, each time alone:

1. without `[web]`: VmRSS after it settled;
2. with `[web]` on a free loopback port: VmRSS after it settled, then after N renders
   of the queue and the pipeline through the page (with the printed token).

Each figure is the median of three reads one second apart, after `--settle` seconds.
It prints a small markdown table and a last line
`web memory: idle A MiB without the page, B MiB with it (+D), C MiB after N renders (+E)`.
"""

import argparse
import os
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEBRIEF = os.environ.get("DEBRIEF_BIN") or os.path.join(ROOT, "target", "debug", "debrief")


def log(message):
    print(f"web-memory: {message}", file=sys.stderr, flush=True)


def rss_mib(pid):
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmRSS for {pid}")


def settled_rss(pid):
    reads = []
    for _ in range(3):
        reads.append(rss_mib(pid))
        time.sleep(1)
    return statistics.median(reads)


def home(directory, web):
    maildir = os.path.join(directory, "maildir")
    for sub in ("new", "cur", "tmp"):
        os.makedirs(os.path.join(maildir, sub), exist_ok=True)
    config = os.path.join(directory, "config.toml")
    with open(config, "w") as out:
        out.write(
            '[identity]\nname = "Casey Candidate"\nemail = "casey@memory.test"\ntime_zone = "UTC"\n'
            f'[storage]\npath = "{directory}/data/debrief.db"\n[maildir]\npath = "{maildir}"\n'
            '[policy]\nsend_window = "00:00-23:59"\nsend_days = "Mon-Sun"\n'
        )
        if web:
            out.write('[web]\nlisten = "127.0.0.1:0"\n')
    return config


def debrief(config, *args):
    env = dict(os.environ, DEBRIEF_CONFIG=config, TZ="UTC", NO_COLOR="1")
    subprocess.run([DEBRIEF, *args], env=env, check=True, stdout=subprocess.DEVNULL)


def measure(web, settle, renders):
    with tempfile.TemporaryDirectory(prefix="debrief-web-memory-") as directory:
        config = home(directory, web)
        # An interview that ended an hour ago: its thank-you notes are in the queue.
        start = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() - 2 * 3600))
        debrief(config, "add", "--company", "Memory Test", "--role", "Engineer", "--start", start,
                "--duration", "1h", "--interviewer", "Dana Reyes <dana@memory.example>",
                "--interviewer", "Lee Park <lee@memory.example>")
        debrief(config, "sync")
        env = dict(os.environ, DEBRIEF_CONFIG=config, TZ="UTC", NO_COLOR="1", RUST_LOG="info")
        env.pop("NOTIFY_SOCKET", None)
        process = subprocess.Popen([DEBRIEF, "run"], env=env, stdout=subprocess.DEVNULL,
                                   stderr=subprocess.PIPE, text=True)
        try:
            url = None
            deadline = time.monotonic() + 60
            for line in process.stderr:
                if web and "The approval page is at " in line:
                    url = re.search(r"http://\S+", line).group(0)
                    break
                if not web and " started; database " in line:
                    break
                if time.monotonic() > deadline:
                    raise RuntimeError("debrief run did not start within 60 s")
            else:
                raise RuntimeError("debrief run stopped before it started")
            time.sleep(settle)
            idle = settled_rss(process.pid)
            after = None
            if web:
                opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor())
                opener.open(url).read()  # the token becomes a cookie
                base = url.split("/?token=")[0]
                for _ in range(renders):
                    for path in ("/queue", "/pipeline"):
                        opener.open(base + path).read()
                after = settled_rss(process.pid)
            return idle, after
        finally:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--settle", type=float, default=10, help="seconds to let the daemon settle")
    parser.add_argument("--renders", type=int, default=5, help="renders of the queue and the pipeline")
    args = parser.parse_args()
    log(f"{DEBRIEF}: debrief run without [web]")
    without, _ = measure(False, args.settle, args.renders)
    log(f"{DEBRIEF}: debrief run with [web]")
    with_page, after = measure(True, args.settle, args.renders)
    print("| debrief run | VmRSS |")
    print("| --- | --- |")
    print(f"| idle, without [web] | {without:.1f} MiB |")
    print(f"| idle, with [web] | {with_page:.1f} MiB (+{with_page - without:.1f}) |")
    print(f"| after {args.renders} renders of the queue and the pipeline | {after:.1f} MiB (+{after - without:.1f}) |")
    print(f"web memory: idle {without:.1f} MiB without the page, {with_page:.1f} MiB with it "
          f"(+{with_page - without:.1f}), {after:.1f} MiB after {args.renders} renders (+{after - without:.1f})")


if __name__ == "__main__":
    main()
