#!/usr/bin/python3
"""End to end: the status page and the metrics of a running daemon, checked from outside.

The local portal (host1 and host2), the daemon (`run`, not --once: it keeps serving) with a
Kafka (tests/e2e/mock_kafka), and:
  - the JSON API: every report of the portal's manifest is listed once delivered, with the
    year the manifest gives, and every source with its pass; the payloads match their JSON
    Schemas (schemas/status-*.v1.schema.json);
  - a real browser: headless Chromium loads `/` and one report's page (--dump-dom) and must
    show every source, the organisations, the findings (rule and message) and the report's
    URL; it logs no console message (a control page that does log one shows the check can
    fail); a phone-sized screenshot is taken (checked only for its size);
  - the metrics: `promtool check metrics` accepts a scrape; every metric named by the ops/
    alerting rules and the Grafana dashboard is one the daemon exports; the rules pass
    `promtool check rules` and their unit tests (`promtool test rules`).

Chromium runs with --headless=new --no-sandbox (the tests run as root in a container); if it
cannot start at all, the browser checks are skipped with a message saying why, and the rest
still runs.

Usage: status_page_e2e_test.py NIANBAO MOCK_KAFKA REPO_ROOT   (Debian's python3)
Prints "N passed, M failed"; exits non-zero on any failure.
"""
import html
import json
import os
import re
import shutil
import signal
import struct
import subprocess
import sys
import time
import urllib.error
import urllib.request

import jsonschema

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import Checks, Env  # noqa: E402

NIANBAO, MOCK, ROOT = sys.argv[1], sys.argv[2], sys.argv[3]
check = Checks()


def get(url, timeout=10):
    with urllib.request.urlopen(url, timeout=timeout) as r:
        return r.status, r.headers.get("Content-Type", ""), r.read().decode("utf-8")


def get_json(url):
    return json.loads(get(url)[2])


def first_answer(url, tries=100, step=0.1):
    """get_json(url) once the endpoint answers (the daemon just started); None when it does
    not within `tries` tries."""
    for _ in range(tries):
        try:
            return get_json(url)
        except OSError:
            time.sleep(step)
    return None


def chromium_args(*extra):
    return ["chromium", "--headless=new", "--no-sandbox", "--disable-gpu",
            "--disable-dev-shm-usage", "--no-first-run", "--disable-extensions",
            "--enable-logging=stderr", "--v=0", *extra]


def chromium(url, *extra, timeout=120):
    """(dom, console lines) of `url` in headless Chromium."""
    p = subprocess.run(chromium_args("--dump-dom", *extra, url), capture_output=True,
                       text=True, timeout=timeout)
    console = [line for line in p.stderr.splitlines() if ":CONSOLE" in line]
    return p.returncode, p.stdout, console, p.stderr


def browser_usable():
    """Why Chromium cannot run here, or None when it can."""
    if shutil.which("chromium") is None:
        return "chromium is not installed (scripts/install-deps.sh installs it)"
    try:
        rc, dom, _, err = chromium("data:text/html,<p>probe</p>", timeout=120)
    except subprocess.TimeoutExpired:
        return "chromium did not answer within 120 s"
    if rc != 0 or "<p>probe</p>" not in dom:
        return "chromium cannot run in this sandbox: " + err.strip().splitlines()[-1:][0] \
            if err.strip() else f"chromium exited {rc}"
    return None


def sources_host1_host2(env):
    text = env.portal.sources_toml()
    head, *blocks = text.split("\n[[source]]")
    keep = [b for b in blocks if "local-host1" in b or "local-host2" in b]
    return "\n[[source]]".join([head] + keep), [
        re.search(r'name = "([^"]+)"', b).group(1) for b in keep]


def metric_names_in(expr):
    """The metric names an expression or rule uses (nianbao_* and process_*), histogram
    suffixes taken off."""
    names = set(re.findall(r"\b((?:nianbao|process)_[a-z_]+)", expr))
    return {re.sub(r"_(bucket|sum|count)$", "", n) if n.endswith(("_bucket", "_sum", "_count"))
            and "_seconds_" in n else n for n in names}


def png_size(path):
    with open(path, "rb") as f:
        head = f.read(24)
    if head[:8] != b"\x89PNG\r\n\x1a\n":
        return None
    return struct.unpack(">II", head[16:24])


def main():
    env = Env(ROOT, NIANBAO, MOCK)
    daemon = None
    try:
        sources_text, names = sources_host1_host2(env)
        config, _ = env.config("status", sources=sources_text)
        with open(config, encoding="utf-8") as f:
            port = int(re.search(r'listen = "127\.0\.0\.1:(\d+)"', f.read()).group(1))
        base = f"http://127.0.0.1:{port}"
        manifest = {r["url"]: r for h in ("host1", "host2")
                    for r in env.manifest["hosts"][h]["reports"]}
        daemon = env.daemon(config, once=False)

        # The daemon serves the page before its first pass: every source, health unknown or
        # the first pass's.
        sources = first_answer(base + "/api/sources")
        check(sources is not None, "the status API answers")
        check(sources is not None and [s["name"] for s in sources] == names,
              f"/api/sources lists the sources of the sources file in order: {sources}")

        # Until every report of host1 and host2 is delivered and every source has passed.
        reports, deadline = [], time.time() + 240
        while time.time() < deadline:
            reports = get_json(base + "/api/reports")
            sources = get_json(base + "/api/sources")
            if {r["url"] for r in reports} >= set(manifest) and \
                    all(s["last_pass"] for s in sources):
                break
            time.sleep(1)
        got = {r["url"] for r in reports}
        check(got >= set(manifest), f"every report of the manifest is listed: missing "
                                    f"{sorted(set(manifest) - got)}")
        check(got <= set(manifest), f"nothing but reports listed: {sorted(got - set(manifest))}")
        check(all(s["last_pass"] and s["health"] in ("ok", "stale") for s in sources),
              f"every source passed: {sources}")
        check(len({r["report_id"] for r in reports}) == len(reports), "one row per report")
        for r in reports:
            m = manifest.get(r["url"])
            if m:
                check(r["year"] == m["year"], f"{r['url']}: year {r['year']} == {m['year']}")
                check(r["event"] == "report.published" and r["version"] == 1,
                      f"{r['url']}: published, version 1: {r['event']} v{r['version']}")
        with_findings = [r for r in reports if r["findings"]]
        check(with_findings, "some report has findings (the portal's seeds hold errors)")

        # Schemas.
        schemas = os.path.join(ROOT, "schemas")
        for name, payload in [("status-source.v1.schema.json", sources),
                              ("status-report.v1.schema.json", reports)]:
            with open(os.path.join(schemas, name), encoding="utf-8") as f:
                schema = json.load(f)
            try:
                for item in payload:
                    jsonschema.validate(item, schema)
                check(True, name)
            except jsonschema.ValidationError as e:
                check(False, f"{name}: {e.message}")
        one = with_findings[0] if with_findings else reports[0]
        check(get_json(f"{base}/api/reports/{one['report_id']}") == one,
              "/api/reports/ID is the report's row")
        status, ctype, page = get(base + "/")
        check(status == 200 and ctype.startswith("text/html"), f"/ is HTML: {status} {ctype}")
        check('name="viewport"' in page and "<script" not in page and " src=" not in page,
              "/ has a viewport, no script and no external asset")
        try:
            get(base + "/reports/0000")
            check(False, "an unknown report is 404")
        except urllib.error.HTTPError as e:
            check(e.code == 404, f"an unknown report is 404: {e.code}")

        # The browser.
        why = browser_usable()
        if why:
            print(f"SKIP browser checks: {why}", flush=True)
        else:
            rc, dom, console, _ = chromium("data:text/html,<script>console.error('x-marks')"
                                           "</script>")
            check(any("x-marks" in c for c in console),
                  "control: a page's console message is seen in Chromium's log")

            rc, dom, console, err = chromium(base + "/")
            check(rc == 0, f"chromium loads /: {rc} {err[-500:]}")
            check(not console, f"no console messages on /: {console}")
            for n in names:
                check(html.escape(n, quote=False) in dom, f"/ in Chromium shows source {n}")
            for r in reports:
                if r["organization"]:
                    check(html.escape(r["organization"], quote=False) in dom,
                          f"/ in Chromium shows organisation {r['organization']}")
            for f in with_findings[0]["findings"] if with_findings else []:
                check(html.escape(f["rule"], quote=False) in dom and
                      html.escape(f["message"], quote=False) in dom,
                      f"/ in Chromium shows finding {f['rule']}: {f['message']}")
            check(f'href="/reports/{one["report_id"]}"' in dom, "/ links the report's page")

            rc, dom, console, err = chromium(f"{base}/reports/{one['report_id']}")
            check(rc == 0, f"chromium loads the report page: {rc} {err[-500:]}")
            check(not console, f"no console messages on the report page: {console}")
            check(f'href="{html.escape(one["url"])}"' in dom,
                  "the report page links the report's URL")
            for f in one["findings"]:
                check(html.escape(f["message"], quote=False) in dom and
                      html.escape(f["severity"], quote=False) in dom,
                      f"the report page shows finding {f['rule']}")

            shot = os.path.join(env.tmp, "phone.png")
            subprocess.run(chromium_args(f"--screenshot={shot}", "--window-size=390,844",
                                         "--hide-scrollbars", base + "/"),
                           capture_output=True, timeout=120)
            size = png_size(shot) if os.path.exists(shot) else None
            check(size == (390, 844), f"a phone-sized screenshot of /: {size}")

        # The metrics.
        status, ctype, scrape = get(base + "/metrics")
        prom = os.path.join(env.tmp, "scrape.prom")
        with open(prom, "w", encoding="utf-8") as f:
            f.write(scrape)
        p = subprocess.run(["promtool", "check", "metrics"], input=scrape, capture_output=True,
                           text=True)
        check(p.returncode == 0, f"promtool check metrics: {p.stdout}{p.stderr}")
        exported = set(re.findall(r"^# TYPE (\S+) ", scrape, re.M))
        for name in ["nianbao_fetch_duration_seconds", "nianbao_parse_duration_seconds",
                     "nianbao_delivery_latency_seconds", "nianbao_source_health",
                     "nianbao_build_info", "process_cpu_seconds_total",
                     "process_resident_memory_bytes", "process_open_fds",
                     "process_start_time_seconds", "nianbao_kafka_messages_produced_total",
                     "nianbao_kafka_transactions_total", "nianbao_kafka_batches_total"]:
            check(name in exported, f"/metrics exports {name}")
        # The version label is what `nianbao --version` prints on its first line.
        version = subprocess.run([NIANBAO, "--version"], capture_output=True,
                                 text=True).stdout.split("\n")[0].removeprefix("nianbao ")
        check(version and f'nianbao_build_info{{version="{version}"}} 1' in scrape.splitlines(),
              f'nianbao_build_info{{version="{version}"}} 1')
        check(re.search(r'^nianbao_delivery_latency_seconds_count [1-9]', scrape, re.M),
              "delivery latencies observed")
        for n in names:
            check(f'nianbao_source_health{{health="ok",source="{n}"}} 1' in scrape or
                  f'nianbao_source_health{{health="stale",source="{n}"}} 1' in scrape,
                  f"source health gauge of {n}")
        m = re.search(r"^process_start_time_seconds (\S+)$", scrape, re.M)
        check(m and abs(float(m.group(1)) - time.time()) < 3600,
              f"process_start_time_seconds is a recent Unix time: {m and m.group(1)}")

        # The operator's kit against what is exported.
        rules = os.path.join(ROOT, "ops/prometheus/nianbao.rules.yml")
        p = subprocess.run(["promtool", "check", "rules", rules], capture_output=True, text=True)
        check(p.returncode == 0, f"promtool check rules: {p.stdout}{p.stderr}")
        p = subprocess.run(["promtool", "test", "rules", "nianbao.rules.test.yml"],
                           cwd=os.path.dirname(rules), capture_output=True, text=True)
        check(p.returncode == 0, f"promtool test rules: {p.stdout}{p.stderr}")
        with open(rules, encoding="utf-8") as f:
            used = metric_names_in(f.read())
        check(used and used <= exported, f"the rules use exported metrics: {used - exported}")
        with open(os.path.join(ROOT, "ops/grafana/nianbao.json"), encoding="utf-8") as f:
            dash = json.load(f)
        exprs = [t["expr"] for p in dash["panels"] for t in p.get("targets", [])]
        check(exprs, "the dashboard has queries")
        used = set().union(*(metric_names_in(e) for e in exprs))
        check(used <= exported, f"the dashboard uses exported metrics: {used - exported}")

        # A restart shows the reports the page showed (the board's snapshot in the state
        # directory, saved at the stop) at once, before any pass: the portal has not changed.
        before = get_json(base + "/api/reports")
        daemon.send_signal(signal.SIGTERM)
        daemon.wait(timeout=60)
        daemon = env.daemon(config, once=False)
        after = first_answer(base + "/api/reports")
        check(before and after == before,
              f"after a restart /api/reports shows the {len(before)} reports it showed: "
              f"{len(after or [])} shown")
    finally:
        if daemon:
            daemon.send_signal(signal.SIGTERM)
            try:
                daemon.wait(timeout=60)
            except subprocess.TimeoutExpired:
                daemon.kill()
        env.close()
    return check.finish()


if __name__ == "__main__":
    sys.exit(main())
