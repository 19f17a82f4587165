#!/usr/bin/python3
"""Crawl, end-to-end and scaling benchmarks of nianbao on loopback (BENCHMARKS.md).

Every scenario starts bench/bench_portal.py (a static loopback portal), then runs one or more
contenders against it, several times, each in a fresh work directory, and measures each run
of a contender process with wait4(2): wall time, user + system CPU seconds, peak RSS. The
portal's own CPU per run is read from /proc/<pid>/stat. Counts come from the contenders' own
output and are checked against the portal's manifest (a run that misses pages is reported,
and fails the script).

  crawl          nianbao `run --once` (fetch, parse + validate, file sink, no Kafka) vs the
                 Scrapy spider (bench/scrapy/report_spider.py: fetch, strip HTML, extract the
                 tables), and nianbao `crawl --once` vs the spider with --no-parse (fetch
                 only); the order of the four rotates from run to run
  e2e            nianbao `run --once` into the embedded Kafka (librdkafka mock cluster) with
                 1 and 2 parser threads ([ingest] workers), alternating run by run
  e2e-sinks      nianbao `run --once` with --workers parser threads into the file sink and
                 into the embedded Kafka, alternating run by run (Kafka / file sink ratios)
  scale-sources  nianbao `run --once` (file sink) and `crawl --once` over 100, 1,000, 10,000
                 sources
  scale-pages    the same with report pages of growing size
  national       the national pass, simulated: nianbao `crawl --once` twice (a first pass,
                 then the all-conditional pass) over 300, 3,000, 30,000 hosts with a skewed
                 number of reports per host and `min_delay` on, against the politeness bound

Every run is checked: exit status 0, exactly the manifest's list pages and reports fetched,
each report once, and one record per report (nianbao's file sink; the spider's items with
the form's tables). A run that misses is reported and makes the script exit 1.

Results: a JSON file per scenario in --out-dir and a Markdown table on stdout (medians of
the runs with min and max; ratios computed run by run, from the same run, then summarised).

Runs under Debian's /usr/bin/python3 (Scrapy from python3-scrapy); the rest is stdlib.
"""

import argparse
import collections
import json
import os
import re
import resource
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import datetime
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
PORTAL = ROOT / "bench" / "bench_portal.py"
SPIDER = ROOT / "bench" / "scrapy" / "report_spider.py"
PY = "/usr/bin/python3" if os.path.exists("/usr/bin/python3") else sys.executable
TICK = os.sysconf("SC_CLK_TCK")

# The filters the Scrapy spider uses too.
SOURCE_FILTERS = """report_url = '/art/\\d{4}/\\d{1,2}/\\d{1,2}/art_\\d+_\\d+\\.html$'
report_text = '政府信息公开.*年度报告'
exclude_text = '图解|解读|要点|通知'
next_page_text = '下一页'
"""


def log(msg):
    print(msg, file=sys.stderr, flush=True)


# --------------------------------------------------------------------------------------------
# Processes
# --------------------------------------------------------------------------------------------


class Portal:
    """bench_portal.py as a child process; the manifest tells what a full crawl fetches."""

    def __init__(self, workdir, args):
        self.workdir = Path(workdir)
        self.manifest_path = str(self.workdir / "manifest.json")
        cmd = [PY, str(PORTAL), "--manifest", self.manifest_path] + [str(a) for a in args]
        self.proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True)
        line = self.proc.stdout.readline()
        if not line.startswith("READY"):
            self.stop()
            raise SystemExit("bench_crawl: the portal did not start: %r" % line)
        with open(self.manifest_path, encoding="utf-8") as f:
            self.manifest = json.load(f)
        self.children = self.find_children()

    def cpu_seconds(self):
        """The portal's CPU: its own and that of the children serving further host slices
        (bench_portal.py --hosts-per-process)."""
        total = 0.0
        for pid in [self.proc.pid] + self.children:
            try:
                with open("/proc/%d/stat" % pid) as f:
                    fields = f.read().rsplit(")", 1)[1].split()
            except OSError:
                continue
            total += (int(fields[11]) + int(fields[12])) / TICK  # utime, stime
        return total

    def find_children(self):
        out = []
        for name in os.listdir("/proc"):
            if name.isdigit():
                try:
                    with open("/proc/%s/stat" % name) as f:
                        if int(f.read().rsplit(")", 1)[1].split()[1]) == self.proc.pid:
                            out.append(int(name))
                except (OSError, ValueError, IndexError):
                    continue
        return out

    def rss_kb(self):
        with open("/proc/%d/status" % self.proc.pid) as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
        return 0

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def thread_cpu(pid):
    """{tid: (name, CPU seconds)} of a live process's threads, from /proc/<pid>/task."""
    out = {}
    try:
        tids = os.listdir("/proc/%d/task" % pid)
    except OSError:
        return out
    for tid in tids:
        try:
            with open("/proc/%d/task/%s/stat" % (pid, tid)) as f:
                data = f.read()
        except OSError:
            continue
        name = data[data.index("(") + 1:data.rindex(")")]
        fields = data.rsplit(")", 1)[1].split()
        out[int(tid)] = (name, (int(fields[11]) + int(fields[12])) / TICK)
    return out


def count_fds(pid):
    try:
        return len(os.listdir("/proc/%d/fd" % pid))
    except OSError:
        return 0


def measure(cmd, stdout_path, stderr_path, portal, nofile=None):
    """Runs cmd to completion; its wall time, CPU and peak RSS (wait4), the CPU of its main
    thread (for nianbao the event-loop thread, for Scrapy the reactor thread) and of its
    other threads, and the portal's CPU during the run.

    The main thread blocks in waitid(WNOWAIT) until the child exits, so the wall time ends
    when the child does (no polling delay); a helper thread samples the child's threads every
    0.2 s (a thread that ends is seen at its last sample); the main thread's final CPU is read
    from the exited child before it is reaped with wait4. nofile: the child's RLIMIT_NOFILE."""
    portal_cpu0 = portal.cpu_seconds()
    threads = {}
    fds = [0]
    done = threading.Event()

    def limit():  # the soft limit only: raising the hard one needs CAP_SYS_RESOURCE
        hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(nofile, hard), hard))

    with open(stdout_path, "wb") as out, open(stderr_path, "wb") as err:
        t0 = time.monotonic()
        proc = subprocess.Popen(cmd, stdout=out, stderr=err, preexec_fn=limit if nofile else None)

        def sample():
            while not done.wait(0.2):
                threads.update(thread_cpu(proc.pid))
                fds[0] = max(fds[0], count_fds(proc.pid))

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        os.waitid(os.P_PID, proc.pid, os.WEXITED | os.WNOWAIT)
        wall = time.monotonic() - t0
        done.set()
        sampler.join()
        threads.update(thread_cpu(proc.pid))  # the exited child: its main thread's final CPU
        _, status, ru = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    main = threads.get(proc.pid, ("", 0.0))[1]
    return {"rc": proc.returncode, "wall_s": wall, "user_s": ru.ru_utime, "sys_s": ru.ru_stime,
            "cpu_s": ru.ru_utime + ru.ru_stime, "maxrss_mb": ru.ru_maxrss / 1024.0,
            "main_thread_cpu_s": main, "other_threads_cpu_s": max(0.0, ru.ru_utime + ru.ru_stime - main),
            "threads": len(threads), "peak_fds": fds[0],
            "thread_cpu_s": sorted(((n, round(c, 2)) for n, c in threads.values()), key=lambda x: -x[1])[:8],
            "portal_cpu_s": portal.cpu_seconds() - portal_cpu0}


# --------------------------------------------------------------------------------------------
# Contenders
# --------------------------------------------------------------------------------------------


def write_sources(path, manifest, concurrency, per_host, state_dir, min_delay_ms=0):
    delay = ('min_delay = "0s"               # politeness delays off (Scrapy: DOWNLOAD_DELAY = 0)'
             if not min_delay_ms else 'min_delay = "%dms"' % min_delay_ms)
    lines = ["# Generated by scripts/bench_crawl.py for bench/bench_portal.py.",
             "[global]", "max_concurrency = %d" % concurrency, 'state_dir = "%s"' % state_dir, "",
             "[defaults]", 'user_agent = "nianbao/0.1 (+https://github.com/nianbao/nianbao)"',
             "per_host_concurrency = %d" % per_host, delay,
             "obey_robots = true             # the portal allows everything", "max_retries = 3",
             'backoff_base = "500ms"', 'connect_timeout = "10s"', 'total_timeout = "60s"',
             'max_body = "8MiB"', "http2 = false", "page_budget = 100000", "max_pages = 1000",
             "max_depth = 1000", ""]
    for s in manifest["sources"]:
        lines += ["[[source]]", 'name = "%s"' % s["name"], 'entry = ["%s"]' % s["entry"], SOURCE_FILTERS]
    Path(path).write_text("\n".join(lines), encoding="utf-8")


def write_config(path, sources, state_dir, out_dir, workers, kafka):
    text = ['sources = "%s"' % sources, 'state_dir = "%s"' % state_dir, "",
            "[log]", 'level = "info"', "",
            "[ingest]", "workers = %d" % workers, "queue = 64", "",
            "[kafka]", "enabled = %s" % ("true" if kafka else "false"), 'brokers = "embedded"', "",
            "[file]", "enabled = %s" % ("false" if kafka else "true"), 'dir = "%s"' % out_dir,
            'max_bytes = "1GiB"', "max_files = 10000", "",
            "[metrics]", 'listen = ""', "",
            "[shutdown]", 'deadline = "600s"', ""]
    Path(path).write_text("\n".join(text), encoding="utf-8")


PASS_RE = re.compile(r"pass source=\S+ health=(\S+) lists=(\d+) reports=(\d+) new=\d+ revised=\d+ "
                     r"unchanged=\d+ failed=(\d+) failures=\S+ robots_disallowed=\d+ requests=(\d+)")
STAMP_RE = re.compile(r"^(\d{4}-\d\d-\d\d) (\d\d):(\d\d):(\d\d\.\d+) ")
DELIVERED_RE = re.compile(r"delivered (\d+) reports .*?, (\d+) not reports, (\d+) delivery failures")


def run_nianbao(binary, portal, work, args, workers, kafka):
    """One `nianbao run --once` in a fresh directory; returns the measurements and counts."""
    state, out = work / "state", work / "out"
    state.mkdir(parents=True)
    write_sources(work / "sources.toml", portal.manifest, args.concurrency, args.per_host, state)
    write_config(work / "nianbao.toml", work / "sources.toml", state, out, workers, kafka)
    m = measure([binary, "run", "--once", "--config", str(work / "nianbao.toml")],
                work / "stdout.txt", work / "stderr.txt", portal)
    lists = reports = failed = requests = 0
    delivered = failures = None
    stamps = {}  # "ready", "pass_complete", "delivered": seconds of the day, from the log
    for line in (work / "stderr.txt").read_text(encoding="utf-8", errors="replace").splitlines():
        t = STAMP_RE.match(line)
        if t:
            secs = int(t.group(2)) * 3600 + int(t.group(3)) * 60 + float(t.group(4))
            for key, text in (("ready", "nianbao: ready:"), ("pass_complete", "nianbao: pass complete"),
                              ("delivered", "nianbao: delivered ")):
                if text in line:
                    stamps[key] = secs
        p = PASS_RE.search(line)
        if p:
            lists += int(p.group(2))
            reports += int(p.group(3))
            failed += int(p.group(4))
            requests += int(p.group(5))
        d = DELIVERED_RE.search(line)
        if d:
            delivered, failures = int(d.group(1)), int(d.group(3))
    m.update({"list_pages": lists, "reports_found": reports, "reports_failed": failed, "requests": requests,
              "reports": delivered or 0, "delivery_failures": failures})
    # Phases from the daemon's log: start-up (to "ready"), the pass (fetch + parse + submit, to
    # "pass complete"), the drain (last parses, sink flush / Kafka commit, to "delivered").
    if len(stamps) == 3:
        m["pass_s"] = (stamps["pass_complete"] - stamps["ready"]) % 86400
        m["drain_s"] = (stamps["delivered"] - stamps["pass_complete"]) % 86400
        m["ready_to_delivered_s"] = m["pass_s"] + m["drain_s"]
    if not kafka:
        lines = 0
        for f in sorted(out.glob("*.jsonl")):
            with open(f, "rb") as fh:
                for line in fh:
                    if line.startswith(b'{"topic":"nianbao.reports"'):
                        lines += 1
        m["records_in_files"] = lines
    return m


CRAWL_RE = re.compile(r"source \S+: (\S+)\s+lists (\d+)\s+reports (\d+) \(new \d+, revised \d+, "
                      r"unchanged \d+, failed (\d+)\).*requests (\d+)")


def run_nianbao_crawl(binary, portal, work, args):
    """One `nianbao crawl --once` (fetch, links, state; the pages are dropped, not parsed)."""
    state = work / "state"
    state.mkdir(parents=True)
    write_sources(work / "sources.toml", portal.manifest, args.concurrency, args.per_host, state)
    m = measure([binary, "crawl", "--once", "--sources", str(work / "sources.toml"), "--state-dir", str(state)],
                work / "stdout.txt", work / "stderr.txt", portal)
    lists = reports = failed = requests = 0
    for line in (work / "stderr.txt").read_text(encoding="utf-8", errors="replace").splitlines():
        c = CRAWL_RE.search(line)
        if c:
            lists += int(c.group(2))
            reports += int(c.group(3)) - int(c.group(4))
            failed += int(c.group(4))
            requests += int(c.group(5))
    m.update({"list_pages": lists, "reports": reports, "reports_failed": failed, "requests": requests})
    return m


def run_scrapy(portal, work, args, parse=True):
    work.mkdir(parents=True, exist_ok=True)
    stats_path = work / "stats.json"
    m = measure([PY, str(SPIDER), "--manifest", portal.manifest_path, "--out", str(work / "items.jsonl"),
                 "--stats", str(stats_path), "--concurrency", str(args.concurrency),
                 "--per-host", str(args.per_host)] + ([] if parse else ["--no-parse"]),
                work / "stdout.txt", work / "stderr.txt", portal)
    stats = json.loads(stats_path.read_text()) if stats_path.exists() else {}
    items, urls, with_tables, cells = 0, set(), 0, 0
    if (work / "items.jsonl").exists():
        with open(work / "items.jsonl", "rb") as fh:
            for line in fh:
                item = json.loads(line)
                items += 1
                urls.add(item["url"])
                tables = item.get("tables") or []
                if any(len(t) >= 4 for t in tables):  # the form's tables, not a layout cell
                    with_tables += 1
                cells += sum(len(r) for t in tables for r in t)
    robots = stats.get("robotstxt/response_count", 0)
    m.update({"requests": stats.get("downloader/request_count", 0), "reports": items,
              "list_pages": stats.get("response_received_count", 0) - robots - items,
              "responses_200": stats.get("downloader/response_status_count/200", 0),
              "unique_report_urls": len(urls)})
    if parse:
        m.update({"reports_with_tables": with_tables, "table_cells": cells})
    return m


# Contenders of the crawl scenario, and the pairs compared (each a ratio from the same run).
CONTENDERS = {
    "nianbao_run": "nianbao `run --once`: fetch, parse + validate, file sink",
    "scrapy": "Scrapy spider: fetch, strip HTML, extract tables, JSON Lines feed",
    "nianbao_crawl": "nianbao `crawl --once`: fetch only (pages dropped)",
    "scrapy_fetch": "Scrapy spider `--no-parse`: fetch only",
}
PAIRS = [("nianbao_run", "scrapy"), ("nianbao_crawl", "scrapy_fetch")]


def run_contender(who, args, portal, work):
    if who == "nianbao_run":
        return run_nianbao(args.nianbao, portal, work, args, args.workers, kafka=False)
    if who == "nianbao_crawl":
        return run_nianbao_crawl(args.nianbao, portal, work, args)
    return run_scrapy(portal, work, args, parse=(who == "scrapy"))


def check(name, m, manifest, failures):
    """Every contender must fetch exactly the manifest's list pages and reports, each report
    once, and (when it parses) come out with one record per report: nianbao's file sink holds
    a nianbao.reports line per report; each Scrapy item has the form's tables."""
    t = manifest["totals"]
    want = {"reports": t["reports"], "list_pages": t["list_pages"]}
    got = {"reports": m.get("reports"), "list_pages": m.get("list_pages")}
    for key in ("records_in_files", "unique_report_urls", "reports_with_tables"):
        if key in m:
            want[key], got[key] = t["reports"], m[key]
    if m["rc"] != 0 or got != want:
        failures.append("%s: rc %d, got %s, want %s" % (name, m["rc"], got, want))
        log("bench_crawl: MISMATCH %s" % failures[-1])


# --------------------------------------------------------------------------------------------
# Summaries
# --------------------------------------------------------------------------------------------


def summary(values):
    values = [v for v in values if v is not None]
    if not values:
        return None
    return {"median": statistics.median(values), "min": min(values), "max": max(values), "n": len(values)}


def fmt(s, digits=2):
    if s is None:
        return "n/a"
    f = "%%.%df" % digits
    return "%s (%s–%s)" % (f % s["median"], f % s["min"], f % s["max"])


def add_rates(m, manifest):
    pages = m.get("list_pages", 0) + m.get("reports", 0)
    m["pages"] = pages
    m["pages_per_s"] = pages / m["wall_s"] if m["wall_s"] else 0
    m["reports_per_s"] = m.get("reports", 0) / m["wall_s"] if m["wall_s"] else 0
    m["cpu_s_per_1k_reports"] = 1000 * m["cpu_s"] / m["reports"] if m.get("reports") else None
    m["mb_per_s"] = manifest["totals"]["reports"] * manifest["report_bytes"]["mean"] / 1e6 / m["wall_s"]
    return m


def load_line():
    with open("/proc/loadavg") as f:
        return " ".join(f.read().split()[:3])


def machine():
    model = "unknown"
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    with open("/proc/meminfo") as f:
        mem_kb = int(f.readline().split()[1])
    return {"nproc": os.cpu_count(), "cpu": model, "mem_gib": round(mem_kb / 1024 / 1024, 1)}


def save(args, name, data):
    out = Path(args.out_dir)
    out.mkdir(parents=True, exist_ok=True)
    data["machine"] = machine()
    data["load_after"] = load_line()
    path = out / ("%s.json" % name)
    path.write_text(json.dumps(data, indent=1, ensure_ascii=False), encoding="utf-8")
    log("bench_crawl: results in %s" % path)


def new_workdir(args, tag):
    return Path(tempfile.mkdtemp(prefix="nb-%s-" % tag, dir=args.work_dir))


# --------------------------------------------------------------------------------------------
# Scenarios
# --------------------------------------------------------------------------------------------

METRICS = [("wall_s", "wall s", 2), ("cpu_s", "CPU s", 2), ("main_thread_cpu_s", "main-thread CPU s", 2),
           ("maxrss_mb", "peak RSS MB", 1),
           ("pages_per_s", "pages/s", 0), ("portal_cpu_s", "portal CPU s", 2)]


def scenario_crawl(args):
    contenders = args.contenders.split(",")
    for c in contenders:
        if c not in CONTENDERS:
            raise SystemExit("bench_crawl: unknown contender %r (%s)" % (c, ", ".join(CONTENDERS)))
    pairs = [p for p in PAIRS if p[0] in contenders and p[1] in contenders]
    base = Path(tempfile.mkdtemp(prefix="nb-crawl-", dir=args.work_dir))
    portal = Portal(base, ["--hosts", args.hosts, "--reports", args.reports, "--per-list", args.per_list,
                           "--page-kib", args.page_kib, "--flavor", args.flavor])
    manifest = portal.manifest
    log("bench_crawl: crawl %d hosts x %d reports (%d list pages), report pages %s bytes; load %s"
        % (args.hosts, args.reports, manifest["totals"]["list_pages"], manifest["report_bytes"], load_line()))
    runs, failures = [], []
    try:
        for i in range(-args.warmup, args.runs):
            # Rotate the order from run to run, so that no contender always goes first.
            k = i % len(contenders)
            order = contenders[k:] + contenders[:k]
            run = {"load_before": load_line(), "order": order}
            for who in order:
                work = base / ("run%d-%s" % (i, who))
                m = add_rates(run_contender(who, args, portal, work), manifest)
                run[who] = m
                check("%s run %d" % (who, i), m, manifest, failures)
                log("bench_crawl: run %d%s %-13s %7.1fs wall %7.1f CPU-s %6.0f MB  %d reports"
                    % (i, " (warm-up)" if i < 0 else "", who, m["wall_s"], m["cpu_s"], m["maxrss_mb"],
                       m["reports"]))
                if not args.keep:
                    shutil.rmtree(work, ignore_errors=True)
            for a, b in pairs:
                run["%s/%s" % (a, b)] = {k: run[a][k] / run[b][k] for k, _, _ in METRICS
                                         if run[b].get(k) and run[a].get(k) is not None}
            if i >= 0:
                runs.append(run)
    finally:
        portal.stop()
        if not args.keep:
            shutil.rmtree(base, ignore_errors=True)
    print("\n### Crawl: %d hosts × %d reports (+%d list pages), report pages %d–%d bytes (mean %d), "
          "concurrency %d, %d per host; median (min–max) of %d runs\n"
          % (args.hosts, args.reports, manifest["totals"]["list_pages"], manifest["report_bytes"]["min"],
             manifest["report_bytes"]["max"], manifest["report_bytes"]["mean"], args.concurrency, args.per_host,
             len(runs)))
    for a, b in pairs:
        print("| metric | %s | %s | ratio %s / %s |" % (CONTENDERS[a], CONTENDERS[b], a, b))
        print("|---|---|---|---|")
        for k, label, d in METRICS:
            print("| %s | %s | %s | %s |" % (label, fmt(summary([r[a].get(k) for r in runs]), d),
                                             fmt(summary([r[b].get(k) for r in runs]), d),
                                             fmt(summary([r["%s/%s" % (a, b)].get(k) for r in runs]), 2)))
        print("| reports | %s | %s | |\n" % (fmt(summary([r[a]["reports"] for r in runs]), 0),
                                             fmt(summary([r[b]["reports"] for r in runs]), 0)))
    save(args, "crawl", {"args": vars(args), "manifest_totals": manifest["totals"],
                         "report_bytes": manifest["report_bytes"], "runs": runs, "failures": failures})
    return 1 if failures else 0


def run_point(args, name, point_label, portal, mode, i, workers, kafka, failures):
    """One measured nianbao run (mode "run": `run --once`; "crawl": `crawl --once`)."""
    manifest = portal.manifest
    work = Path(tempfile.mkdtemp(prefix="run%d-%s-" % (i, mode), dir=portal.workdir))
    if mode == "crawl":
        m = run_nianbao_crawl(args.nianbao, portal, work, args)
    else:
        m = run_nianbao(args.nianbao, portal, work, args, workers, kafka)
    m = add_rates(m, manifest)
    m["load"] = load_line()
    check("%s %s %s run %d" % (name, point_label, mode, i), m, manifest, failures)
    log("bench_crawl:   %s %s --once, run %d%s: %.2fs wall, %.2f CPU-s, %.0f MB, %d reports"
        % (point_label, mode, i, " (warm-up)" if i < 0 else "", m["wall_s"], m["cpu_s"], m["maxrss_mb"],
           m["reports"]))
    if not args.keep:
        shutil.rmtree(work, ignore_errors=True)
    return m


def print_series(name, title, rows, runs_n):
    print("\n### %s (median (min–max) of %d runs each)\n" % (title, runs_n))
    print("| %s | command | reports | pages | mean report bytes | wall s | of which pass s | of which drain s | "
          "CPU s | main-thread CPU s | CPU ms / page | CPU s / 1,000 reports | reports/s | MB/s | peak RSS MB |"
          % name)
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        runs = r["runs"]
        pages = r["totals"]["reports"] + r["totals"]["list_pages"]
        print("| %s | %s | %d | %d | %d | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |" % (
            r["label"], "crawl --once" if r["mode"] == "crawl" else "run --once", r["totals"]["reports"],
            pages, r["report_bytes"]["mean"],
            fmt(summary([m["wall_s"] for m in runs])), fmt(summary([m.get("pass_s") for m in runs])),
            fmt(summary([m.get("drain_s") for m in runs])), fmt(summary([m["cpu_s"] for m in runs])),
            fmt(summary([m["main_thread_cpu_s"] for m in runs])),
            fmt(summary([1000 * m["cpu_s"] / pages for m in runs])),
            fmt(summary([m["cpu_s_per_1k_reports"] for m in runs])),
            fmt(summary([m["reports_per_s"] for m in runs]), 0), fmt(summary([m["mb_per_s"] for m in runs]), 1),
            fmt(summary([m["maxrss_mb"] for m in runs]), 1)))


def nianbao_series(args, name, title, points, portal_args_for, workers_for, kafka, label, modes=("run",)):
    """Runs nianbao over each point (a fresh portal per point), in each mode ("run": `run
    --once`, parsing included; "crawl": `crawl --once`, fetch only), and prints one table row
    per point and mode."""
    rows, failures = [], []
    for point in points:
        base = Path(tempfile.mkdtemp(prefix="nb-%s-" % name, dir=args.work_dir))
        portal = Portal(base, portal_args_for(point))
        manifest = portal.manifest
        log("bench_crawl: %s %s: %s, report pages %s bytes; load %s"
            % (name, label(point), manifest["totals"], manifest["report_bytes"], load_line()))
        try:
            for mode in modes:
                runs = []
                for i in range(-args.warmup, args.runs):
                    m = run_point(args, name, label(point), portal, mode, i, workers_for(point), kafka, failures)
                    if i >= 0:
                        runs.append(m)
                rows.append({"point": point, "label": label(point), "mode": mode, "totals": manifest["totals"],
                             "report_bytes": manifest["report_bytes"], "runs": runs})
        finally:
            portal.stop()
            if not args.keep:
                shutil.rmtree(base, ignore_errors=True)
    print_series(name, title, rows, args.runs)
    save(args, name, {"args": vars(args), "rows": rows, "failures": failures})
    return 1 if failures else 0


E2E_RATIOS = [("wall_s", "wall s"), ("cpu_s", "CPU s"), ("cpu_s_per_1k_reports", "CPU s / 1,000 reports"),
              ("reports_per_s", "reports/s"), ("maxrss_mb", "peak RSS MB")]


def alternate(args, name, contenders, title, ratio_title):
    """`run --once` of each contender (label, parser threads, into Kafka?) on one portal, the
    contenders alternating run by run (which goes first rotates); prints one row per contender
    and the ratios of the second over the first, taken run by run."""
    base = Path(tempfile.mkdtemp(prefix="nb-%s-" % name, dir=args.work_dir))
    portal = Portal(base, ["--hosts", args.hosts, "--reports", args.reports, "--per-list", args.per_list,
                           "--page-kib", args.page_kib, "--flavor", args.flavor])
    manifest = portal.manifest
    log("bench_crawl: %s %s, report pages %s bytes; load %s"
        % (name, manifest["totals"], manifest["report_bytes"], load_line()))
    labels = [c[0] for c in contenders]
    failures, by_label, ratios = [], {c: [] for c in labels}, []
    try:
        for i in range(-args.warmup, args.runs):
            order = contenders if i % 2 == 0 else contenders[::-1]
            got = {}
            for label, workers, kafka in order:
                got[label] = run_point(args, name, label, portal, "run", i, workers, kafka, failures)
            if i >= 0:
                for label in labels:
                    by_label[label].append(got[label])
                first, second = got[labels[0]], got[labels[1]]
                ratios.append({k: second[k] / first[k] for k, _ in E2E_RATIOS if first.get(k)})
    finally:
        portal.stop()
        if not args.keep:
            shutil.rmtree(base, ignore_errors=True)
    rows = [{"point": label, "label": label, "mode": "run", "totals": manifest["totals"],
             "report_bytes": manifest["report_bytes"], "runs": by_label[label]} for label in labels]
    print_series(name, title, rows, args.runs)
    print("\n| %s (run by run) | %s |" % (ratio_title, " | ".join(label for _, label in E2E_RATIOS)))
    print("|---|%s" % ("---|" * len(E2E_RATIOS)))
    print("| ratio | %s |" % " | ".join(fmt(summary([r.get(k) for r in ratios])) for k, _ in E2E_RATIOS))
    save(args, name, {"args": vars(args), "rows": rows, "ratios": ratios, "failures": failures})
    return 1 if failures else 0


def scenario_e2e(args):
    """`run --once` into the embedded Kafka with 1 and 2 parser threads."""
    return alternate(args, "e2e", [("1 worker", 1, True), ("2 workers", 2, True)],
                     "End to end into the embedded Kafka: %d hosts × %d reports, by parser threads "
                     "([ingest] workers)" % (args.hosts, args.reports), "2 workers / 1 worker")


def scenario_e2e_sinks(args):
    """`run --once` with --workers parser threads into the file sink and into the embedded
    Kafka: what Kafka costs against writing the same records to a file (the target: Kafka at
    0.9x the file sink's reports/s or better)."""
    return alternate(args, "e2e-sinks", [("file sink", args.workers, False),
                                         ("embedded Kafka", args.workers, True)],
                     "File sink vs the embedded Kafka: %d hosts × %d reports, %d parser threads"
                     % (args.hosts, args.reports, args.workers), "Kafka / file sink")


def scenario_scale_sources(args):
    points = [int(x) for x in args.sources.split(",")]

    def portal_args(n):
        hosts = min(n, args.hosts)
        return ["--hosts", hosts, "--sources-per-host", max(1, n // hosts), "--reports", args.reports,
                "--per-list", args.per_list, "--page-kib", args.page_kib, "--flavor", args.flavor]

    return nianbao_series(
        args, "sources", "Scaling with the number of sources (at most %d hosts; %d reports and 1 list "
        "page per source; file sink)" % (args.hosts, args.reports), points, portal_args,
        lambda n: args.workers, False, lambda n: "{:,}".format(n), args.modes.split(","))


def scenario_scale_pages(args):
    points = [int(x) for x in args.page_kibs.split(",")]

    def portal_args(kib):
        return ["--hosts", args.hosts, "--reports", args.reports, "--per-list", args.per_list,
                "--page-kib", kib, "--flavor", args.flavor]

    return nianbao_series(
        args, "page_size", "Scaling with the page size (%d hosts × %d reports, %s markup; file sink)"
        % (args.hosts, args.reports, args.flavor), points, portal_args, lambda k: args.workers, False,
        lambda k: "as rendered" if k == 0 else ("%d KiB" % k if k < 1024 else "%d MiB" % (k // 1024)),
        args.modes.split(","))


# --------------------------------------------------------------------------------------------
# The national pass, simulated
# --------------------------------------------------------------------------------------------

PASS_LINE_RE = re.compile(r"source \S+: (\S+)\s+lists (\d+)\s+reports (\d+) \(new (\d+), revised (\d+), "
                          r"unchanged (\d+), failed (\d+)\).*requests (\d+)")


def fetch_log_stats(path, min_delay_s):
    """Requests per host and by status from nianbao's --fetch-log; the politeness bound (the
    busiest host's requests x min_delay) and the smallest gap between two request starts on
    one host (politeness kept: never below min_delay); and where the busiest host's time went
    (busiest_host_timeline)."""
    per_host = collections.defaultdict(list)
    status = collections.Counter()
    with open(path, encoding="utf-8") as f:
        for line in f:
            e = json.loads(line)
            started = datetime.fromisoformat(e["timings"]["started"].replace("Z", "+00:00")).timestamp()
            per_host[urlsplit(e["url"]).hostname].append((started, e["timings"]["elapsed_seconds"], e["kind"]))
            status[str(e["status"])] += 1
    for v in per_host.values():
        v.sort()
    busiest = max((len(v) for v in per_host.values()), default=0)
    gaps = [b[0] - a[0] for v in per_host.values() for a, b in zip(v, v[1:])]
    out = {"fetches": sum(status.values()), "hosts_fetched": len(per_host), "by_status": dict(status),
           "busiest_host_requests": busiest, "bound_s": busiest * min_delay_s,
           "min_gap_s": min(gaps) if gaps else None}
    if busiest:
        first = min(v[0][0] for v in per_host.values())
        last = max(t + d for v in per_host.values() for t, d, _ in v)
        out["busiest_host_timeline"] = busiest_host_timeline(
            max(per_host.values(), key=len), min_delay_s, first, last)
        # The host the pass waited for last: with several hosts at the cap, not always the
        # busiest one taken above.
        last_host = max(per_host.values(), key=lambda v: max(t + d for t, d, _ in v))
        out["last_host_timeline"] = dict(busiest_host_timeline(last_host, min_delay_s, first, last),
                                         requests=len(last_host))
    return out


def busiest_host_timeline(requests, min_delay_s, pass_first_start, pass_last_end):
    """Splits the busiest host's part of a pass into what politeness makes it cost and what
    else it waited for. With one transfer per host and the gate counting min_delay from each
    start, request i+1 can start at the earliest max(min_delay, elapsed_i) after request i
    started: the gap beyond that is dispatch lateness (the loop woke the host late, or the
    host had nothing queued yet, e.g. a list page's links not yet read); the part of
    max(...) beyond min_delay is the portal's own latency. Times in seconds."""
    floor = latency = late = 0.0
    lates = []
    for (t0, d0, _), (t1, _, _) in zip(requests, requests[1:]):
        floor += min_delay_s
        latency += max(0.0, d0 - min_delay_s)
        lates.append(max(0.0, (t1 - t0) - max(min_delay_s, d0)))
    late = sum(lates)
    lates.sort()
    q = lambda p: lates[min(len(lates) - 1, int(p * len(lates)))] if lates else None
    elapsed = sorted(d for _, d, _ in requests)
    after_list = [max(0.0, (b[0] - a[0]) - max(min_delay_s, a[1]))
                  for a, b in zip(requests, requests[1:]) if a[2] != "report"]
    return {"start_offset_s": requests[0][0] - pass_first_start,
            "span_s": requests[-1][0] + requests[-1][1] - requests[0][0],
            "min_delay_floor_s": floor, "portal_latency_excess_s": latency, "lateness_s": late,
            "lateness_after_non_report_s": sum(after_list),
            "lateness_p50_ms": 1000 * q(0.5) if lates else None,
            "lateness_p90_ms": 1000 * q(0.9) if lates else None,
            "lateness_max_ms": 1000 * lates[-1] if lates else None,
            "elapsed_p50_ms": 1000 * elapsed[len(elapsed) // 2],
            "elapsed_p90_ms": 1000 * elapsed[int(0.9 * len(elapsed))],
            "last_request_s": requests[-1][0] + requests[-1][1] - pass_first_start,
            "pass_fetch_span_s": pass_last_end - pass_first_start}


def state_size_mb(state):
    return sum(p.stat().st_size for p in Path(state).iterdir() if p.is_file()) / 1024 / 1024


def state_rows(state):
    import sqlite3
    for db in Path(state).glob("*.db"):
        con = sqlite3.connect("file:%s?mode=ro" % db, uri=True)
        try:
            return con.execute("SELECT count(*) FROM urls").fetchone()[0]
        finally:
            con.close()
    return None


NATIONAL_COLUMNS = [("hosts", "hosts", None), ("pass", "pass", None), ("requests", "requests", None),
                    ("statuses", "200 / 304", None), ("wall_s", "wall s", 1), ("bound_s", "bound s", 1),
                    ("ratio", "wall / bound", 2), ("cpu_s", "CPU s", 2), ("core_share", "share of one core", 3),
                    ("main_thread_cpu_s", "loop-thread CPU s", 2), ("cpu_ms_per_request", "CPU ms / request", 3),
                    ("maxrss_mb", "peak RSS MB", 1), ("peak_fds", "peak fds", None),
                    ("state_mb", "state MB", 1), ("portal_core_share", "portal share of one core", 2),
                    ("load", "load before → after", None)]


TIMELINE_COLUMNS = [("start_offset_s", "first request at s", 2), ("span_s", "span s", 1),
                    ("min_delay_floor_s", "min_delay floor s", 1),
                    ("portal_latency_excess_s", "portal latency beyond min_delay s", 2),
                    ("lateness_s", "late starts s", 2), ("lateness_after_non_report_s", "of which after a list or robots.txt s", 2),
                    ("lateness_p50_ms", "late p50 ms", 1), ("lateness_p90_ms", "late p90 ms", 1),
                    ("lateness_max_ms", "late max ms", 0), ("elapsed_p50_ms", "request p50 ms", 1),
                    ("elapsed_p90_ms", "request p90 ms", 1), ("last_request_s", "its last request ends at s", 1),
                    ("pass_fetch_span_s", "last fetch of the pass ends at s", 1)]


def national_cell(m, key, digits):
    v = m.get(key)
    if v is None:
        return "n/a"
    if digits is None:
        return "{:,}".format(v) if isinstance(v, int) else str(v)
    return "%.*f" % (digits, v)


def scenario_national(args):
    points = [int(x) for x in args.national_hosts.split(",")]
    delay_s = args.min_delay_ms / 1000
    rows, failures = [], []
    for n in points:
        work = new_workdir(args, "national-%d" % n)
        portal = Portal(work, ["--hosts", n, "--skew", "lognormal", "--reports", args.reports,
                               "--median-reports", args.median_reports, "--sigma", args.sigma,
                               "--seed", args.seed, "--per-list", args.per_list, "--flavor", args.flavor,
                               "--stats", work / "portal-stats.json"])
        t = portal.manifest["totals"]
        log("bench_crawl: national %d hosts: %d sources, %d list pages, %d reports (busiest source %d)"
            % (n, t["sources"], t["list_pages"], t["reports"], t["busiest_source_reports"]))
        try:
            state = work / "state"
            state.mkdir()
            write_sources(work / "sources.toml", portal.manifest, args.concurrency, args.per_host, state,
                          args.min_delay_ms)
            for pass_no in (1, 2):
                load0 = load_line()
                flog = work / ("fetch-%d.jsonl" % pass_no)
                cmd = [args.nianbao, "crawl", "--once", "--sources", str(work / "sources.toml"),
                       "--state-dir", str(state), "--fetch-log", str(flog)]
                m = measure(cmd, work / ("stdout-%d.txt" % pass_no), work / ("stderr-%d.txt" % pass_no), portal,
                            nofile=args.nofile)
                m.update({"hosts": n, "sources": t["sources"], "pass": "first" if pass_no == 1 else "conditional",
                          "load_before": load0, "load_after": load_line()})
                m["load"] = "%s → %s" % (load0.split()[0], m["load_after"].split()[0])
                counts = collections.Counter()
                for line in (work / ("stderr-%d.txt" % pass_no)).read_text(errors="replace").splitlines():
                    c = PASS_LINE_RE.search(line)
                    if c:
                        counts["sources_ok"] += c.group(1) in ("ok", "stale")
                        for k, g in (("list_pages", 2), ("reports_found", 3), ("reports_new", 4),
                                     ("reports_unchanged", 6), ("reports_failed", 7), ("requests", 8)):
                            counts[k] += int(c.group(g))
                m.update(counts)
                m.update(fetch_log_stats(flog, delay_s))
                st = m["by_status"]
                m["statuses"] = "%s / %s" % ("{:,}".format(st.get("200", 0)), "{:,}".format(st.get("304", 0)))
                m["ratio"] = m["wall_s"] / m["bound_s"] if m["bound_s"] else None
                m["core_share"] = m["cpu_s"] / m["wall_s"]
                m["portal_core_share"] = m["portal_cpu_s"] / m["wall_s"]
                m["cpu_ms_per_request"] = 1000 * m["cpu_s"] / m["fetches"] if m["fetches"] else None
                m["state_mb"] = state_size_mb(state)
                m["state_rows"] = state_rows(state)
                m["requests"] = m["fetches"]
                # Complete: every report found, none failed; the second pass is conditional (every
                # page but robots.txt answered 304, every report unchanged).
                ok = m["rc"] == 0 and m["reports_found"] == t["reports"] and m["reports_failed"] == 0
                if pass_no == 2:
                    ok = ok and st.get("304", 0) == m["fetches"] - t["robots"] \
                        and m["reports_unchanged"] == t["reports"]
                if not ok:
                    failures.append("national %d hosts, pass %d: rc %d, reports %d/%d, failed %d, statuses %s"
                                    % (n, pass_no, m["rc"], m["reports_found"], t["reports"],
                                       m["reports_failed"], st))
                    log("bench_crawl: MISMATCH %s" % failures[-1])
                log("bench_crawl: national %d hosts pass %d: %.1fs (bound %.1fs), CPU %.2fs, RSS %.1f MB | %s |"
                    % (n, pass_no, m["wall_s"], m["bound_s"], m["cpu_s"], m["maxrss_mb"],
                       " | ".join(national_cell(m, k, d) for k, _, d in NATIONAL_COLUMNS)))
                rows.append(m)
        finally:
            portal.stop()
            if not args.keep:
                shutil.rmtree(work, ignore_errors=True)
    print("\nThe national pass, simulated: nianbao `crawl --once`, min_delay %d ms, per-host concurrency %d, "
          "%d transfers overall; reports per host lognormal (median %g, sigma %g, at most %d, seed %d)\n"
          % (args.min_delay_ms, args.per_host, args.concurrency, args.median_reports, args.sigma,
             args.reports, args.seed))
    print("| %s |" % " | ".join(label for _, label, _ in NATIONAL_COLUMNS))
    print("|%s" % ("---|" * len(NATIONAL_COLUMNS)))
    for m in rows:
        print("| %s |" % " | ".join(national_cell(m, k, d) for k, _, d in NATIONAL_COLUMNS))
    print("\nThe busiest host's timeline (from the fetch log; times from the pass's first request)\n")
    print("| hosts | pass | wall s | host | %s |" % " | ".join(label for _, label, _ in TIMELINE_COLUMNS))
    print("|%s" % ("---|" * (len(TIMELINE_COLUMNS) + 4)))
    for m in rows:
        for which in ("busiest", "last"):
            tl = m.get(which + "_host_timeline", {})
            print("| %s | %s | %.1f | %s (%s requests) | %s |" % (
                "{:,}".format(m["hosts"]), m["pass"], m["wall_s"], which,
                tl.get("requests", m.get("busiest_host_requests")),
                " | ".join(national_cell(tl, k, d) for k, _, d in TIMELINE_COLUMNS)))
    save(args, "national", {"args": vars(args), "rows": rows, "failures": failures})
    return 1 if failures else 0


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("scenario", choices=["crawl", "e2e", "e2e-sinks", "scale-sources", "scale-pages",
                                         "national"])
    ap.add_argument("--nianbao", default=str(ROOT / "build-bench" / "app" / "nianbao"))
    ap.add_argument("--hosts", type=int, default=50)
    ap.add_argument("--reports", type=int, default=200, help="reports per source")
    ap.add_argument("--per-list", type=int, default=20, help="reports per list page")
    ap.add_argument("--page-kib", type=int, default=0, help="pad report pages to this size (0: as rendered)")
    ap.add_argument("--flavor", default="both", choices=["both", "word", "plain"])
    ap.add_argument("--concurrency", type=int, default=32, help="transfers in flight overall")
    ap.add_argument("--per-host", type=int, default=2, help="transfers in flight per host")
    ap.add_argument("--workers", type=int, default=2, help="nianbao parser threads")
    ap.add_argument("--sources", default="100,1000,10000", help="scale-sources: source counts")
    ap.add_argument("--page-kibs", default="0,100,1024,5120", help="scale-pages: page sizes in KiB")
    ap.add_argument("--contenders", default=",".join(CONTENDERS), help="crawl: which to run")
    ap.add_argument("--modes", default="run,crawl",
                    help="scale-*: nianbao commands, run (`run --once`, parsing) and/or crawl (`crawl --once`)")
    ap.add_argument("--national-hosts", default="300,3000,30000", help="national: host counts")
    ap.add_argument("--min-delay-ms", type=int, default=100, help="national: min_delay of every source")
    ap.add_argument("--median-reports", type=float, default=12, help="national: median reports per host")
    ap.add_argument("--sigma", type=float, default=1.0, help="national: sigma of ln(reports per host)")
    ap.add_argument("--seed", type=int, default=19, help="national: seed of the reports per host")
    ap.add_argument("--nofile", type=int, default=20000,
                    help="national: RLIMIT_NOFILE (soft) of nianbao, at most the hard limit")
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--warmup", type=int, default=1, help="untimed runs first")
    ap.add_argument("--work-dir", default="/dev/shm" if os.path.isdir("/dev/shm") else None,
                    help="where runs write state and output (tmpfs: the disk is not measured)")
    ap.add_argument("--out-dir", default=str(ROOT / "build-bench" / "bench-results"))
    ap.add_argument("--keep", action="store_true", help="keep the work directories")
    args = ap.parse_args(argv)
    if not os.access(args.nianbao, os.X_OK):
        raise SystemExit("bench_crawl: no nianbao binary at %s (build it, or pass --nianbao)" % args.nianbao)
    return {"crawl": scenario_crawl, "e2e": scenario_e2e, "e2e-sinks": scenario_e2e_sinks,
            "scale-sources": scenario_scale_sources,
            "scale-pages": scenario_scale_pages, "national": scenario_national}[args.scenario](args)


if __name__ == "__main__":
    sys.exit(main())
