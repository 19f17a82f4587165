#!/usr/bin/python3
"""Soak: the daemon polls the local portal in a tight loop while the portal revises a report
back and forth; RSS and open descriptors must stay flat and every revision must be published.

Usage: soak.py NIANBAO MOCK_KAFKA REPO_ROOT [SECONDS (default 60)] [INTERVAL (default 1s)]
The CI runs the short version (60 s, about a hundred passes); the long one compresses weeks
of polling into thousands of passes, e.g. `soak.py ... 600 100ms` (docs/RELIABILITY.md).
Under a sanitizer build set NIANBAO_SOAK_CHECK_RSS=0 (CTest does).
Prints "N passed, M failed"; exits non-zero on any failure.
"""
import json
import os
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import Checks, MockKafka, Portal, kcat  # noqa: E402

NIANBAO, MOCK, ROOT = sys.argv[1], sys.argv[2], sys.argv[3]
SECONDS = float(sys.argv[4]) if len(sys.argv) > 4 else 60
INTERVAL = sys.argv[5] if len(sys.argv) > 5 else "1s"
# Off for a sanitizer build, whose allocator keeps freed memory in quarantine: there the soak
# is for LeakSanitizer, which checks the daemon when it exits (a leak fails the exit status).
CHECK_RSS = os.environ.get("NIANBAO_SOAK_CHECK_RSS", "1") != "0"
check = Checks()


def proc_stats(pid):
    rss = 0
    for line in open(f"/proc/{pid}/status"):
        if line.startswith("VmRSS:"):
            rss = int(line.split()[1])
    return rss, len(os.listdir(f"/proc/{pid}/fd"))


TARGET = "/zfxxgk/zfxxgknb/202101/t20210119_1001.html"


def read_reports(bootstrap):
    return kcat(bootstrap, "nianbao.reports")


def events_of_target(msgs):
    events = []
    for m in msgs:
        if TARGET in json.loads(m["payload"])["source"]["url"]:
            events.append(m["headers"].get("event"))
    return events


def revisions(bootstrap):
    return events_of_target(read_reports(bootstrap)).count("report.revised")


def soak(portal, bootstrap):
    tmp = tempfile.mkdtemp(prefix="nianbao-soak-")
    ports = portal.ports
    open(os.path.join(tmp, "sources.toml"), "w").write(f'''
[defaults]
interval = "{INTERVAL}"
season_interval = "{INTERVAL}"
jitter = 0.0
min_delay = "0s"
max_retries = 3
backoff_base = "100ms"
robots_cache = "1s"
[[source]]
name = "soak-host1"
entry = ["http://127.0.0.1:{ports['host1']}/zfxxgk/zfxxgknb/"]
report_url = 't\\d{{8}}_\\d+\\.html$'
report_text = '政府信息公开.*年度报告'
exclude_text = '图解|解读|要点|通知'
page_pattern = 'index_{{n}}.html'
[[source]]
name = "soak-host2"
entry = ["http://127.0.0.1:{ports['host2']}/col/col1234/index.html"]
report_url = '/art/\\d{{4}}/\\d{{1,2}}/\\d{{1,2}}/art_1234_\\d+\\.html$'
report_text = '政府信息公开.*年度报告'
next_page_text = '下一页'
''')
    config = os.path.join(tmp, "nianbao.toml")
    open(config, "w").write(f'''sources = "sources.toml"
state_dir = "{tmp}/state"
[kafka]
brokers = "{bootstrap}"
[metrics]
listen = ""
''')
    daemon = subprocess.Popen([NIANBAO, "run", "--config", config], stdout=subprocess.DEVNULL,
                              stderr=open(os.path.join(tmp, "daemon.log"), "w"))
    samples, toggles = [], 0
    start = time.time()
    revised = False
    try:
        while time.time() - start < SECONDS:
            time.sleep(1.5)  # a pass or more with nothing to do between changes
            portal.control("reset" if revised else "revise")
            revised = not revised
            toggles += 1
            # The next change waits until this one is published: a change undone before a pass
            # read it, or while the version before it was still on its way (the daemon then
            # skips it as version_in_flight), is no change to publish, and a slow, sanitized
            # build on a loaded machine takes longer than any fixed pause.
            deadline = time.time() + 30
            while time.time() < deadline and revisions(bootstrap) < toggles:
                time.sleep(0.3)
            samples.append((time.time() - start, *proc_stats(daemon.pid)))
        # The last change is picked up and delivered (slowly under a sanitizer build).
        deadline = time.time() + 60
        while time.time() < deadline and revisions(bootstrap) < toggles:
            time.sleep(1)
    finally:
        daemon.terminate()
        code = daemon.wait(timeout=60)
    check(code == 0, f"daemon exit status {code}")
    passes = open(os.path.join(tmp, "daemon.log")).read().count("pass source=soak-host1")
    msgs = read_reports(bootstrap)
    events = events_of_target(msgs)
    # The first version is published once, then one revision per change of content.
    check(events[:1] == ["report.published"], f"first event {events[:1]}")
    check(events.count("report.revised") == toggles,
          f"{events.count('report.revised')} revisions published for {toggles} changes")
    others = len({m["key"] for m in msgs}) - 1
    check(len(msgs) == 1 + toggles + others, f"{len(msgs)} records: nothing published twice")
    # Flat after warm-up: compare the second quarter with the last.
    q = max(1, len(samples) // 4)
    early_rss = max(s[1] for s in samples[q:2 * q])
    late_rss = max(s[1] for s in samples[-q:])
    early_fd = max(s[2] for s in samples[q:2 * q])
    late_fd = max(s[2] for s in samples[-q:])
    print(f"{passes} passes of soak-host1, {toggles} changes; RSS {early_rss} -> {late_rss} KiB; "
          f"fds {early_fd} -> {late_fd}", flush=True)
    if CHECK_RSS:
        check(late_rss <= early_rss * 1.15 + 2048, f"RSS grew: {early_rss} -> {late_rss} KiB")
    check(late_fd <= early_fd + 4, f"descriptors grew: {early_fd} -> {late_fd}")


def main():
    portal = Portal(ROOT, hosts=2)
    try:
        with MockKafka(MOCK) as kafka:
            soak(portal, kafka.bootstrap)
    finally:
        portal.close()
    return check.finish()


if __name__ == "__main__":
    sys.exit(main())
