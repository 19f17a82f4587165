#!/usr/bin/python3
"""End to end: the local portal, the daemon and a Kafka (librdkafka's mock cluster in its
own process, tests/e2e/mock_kafka), read back with a real Kafka client (kcat,
isolation.level=read_committed) and checked against the spec and the JSON Schemas.

Scenarios, each on its own topics and state:
  clean      one pass: every report of the portal's manifest is on nianbao.reports once,
             keyed by its report_id, with the spec's headers; every finding on
             nianbao.findings belongs to a record; records and findings follow the schemas
  broker     the brokers are down for a while during the pass: every report delivered
  ready      /readyz turns 503 (naming the Kafka sink) while the brokers are down and
             batches wait, and 200 again once they are back; /healthz stays 200
  sigkill    the daemon is killed with SIGKILL mid-pass and restarted: every report
             delivered at least once, with the same keys; the archive's .open file is
             recovered, warcio reads every file, and every delivered record's archive
             record is where it says
  sigterm    SIGTERM during a pass: a clean exit within the shutdown deadline; /metrics
             (with the archive's counters) and /healthz answer while it runs
  sighup     SIGHUP with a broken sources file: refused, naming file and line; the daemon
             goes on; a good file is then taken
  bad config an unknown key stops the daemon before it starts, naming file, line and key

Usage: daemon_e2e_test.py NIANBAO MOCK_KAFKA REPO_ROOT   (Debian's python3 with jsonschema)
Prints "N passed, M failed"; exits non-zero on any failure.
"""
import gzip
import json
import os
import re
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
import zlib

import jsonschema

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import Checks, Env as CommonEnv, kcat, report_id  # noqa: E402

NIANBAO, MOCK, ROOT = sys.argv[1], sys.argv[2], sys.argv[3]
check = Checks()


def source_names():
    """The [[source]] names of examples/local-portal.toml: one per host of the portal."""
    text = open(os.path.join(ROOT, "examples/local-portal.toml"), encoding="utf-8").read()
    return {l.split('"')[1] for l in text.splitlines() if l.startswith("name = ")}


def schemas():
    d = os.path.join(ROOT, "schemas")
    report = json.load(open(os.path.join(d, "report.v1.schema.json")))
    finding = json.load(open(os.path.join(d, "finding.v1.schema.json")))
    resolver = jsonschema.RefResolver(base_uri="file://" + d + "/", referrer=report)
    return (jsonschema.Draft7Validator(report, resolver=resolver),
            jsonschema.Draft7Validator(finding, resolver=resolver))


def scenario_clean(env):
    config, topics = env.config("clean")
    p = env.daemon(config)
    check(p.wait(timeout=240) == 0, "clean: daemon --once exits 0")
    log = open(os.path.join(os.path.dirname(config), "daemon.log"), encoding="utf-8").read()
    trouble = [l for l in log.splitlines() if "pass source=local-host3-trouble" in l]
    check(trouble and "failures=" in trouble[0] and "timeout:" in trouble[0],
          f"clean: the pass line says why pages failed: {trouble[:1]}")
    records = kcat(env.bootstrap, topics["reports"])
    findings = kcat(env.bootstrap, topics["findings"])
    report_v, finding_v = schemas()
    keys = [m["key"] for m in records]
    check(len(keys) == len(set(keys)), "clean: every record once")
    check(set(keys) == {report_id(u) for u in env.reports},
          f"clean: one record per manifest report ({len(keys)} vs {len(env.reports)})")
    for m in records:
        r = json.loads(m["payload"])
        errors = list(report_v.iter_errors(r))
        check(not errors, f"clean: record {m['key']} follows the schema: {errors[:1]}")
        check(r["report_id"] == m["key"], "clean: key is report_id")
        check(r["source"]["url"] in env.reports, "clean: source.url is the listed URL")
        h = m["headers"]
        check(h.get("schema") == "nianbao.report.v1", "clean: schema header")
        check(h.get("event") == "report.published", "clean: event header")
        check(h.get("content-type") == "application/json", "clean: content-type header")
        check(h.get("ce_specversion") == "1.0", "clean: ce_specversion")
        check(h.get("ce_type") == "cn.gov.nianbao.report.published", "clean: ce_type")
        check(h.get("ce_source", "").startswith("nianbao/local-"), "clean: ce_source")
        check(len(h.get("ce_id", "")) == 32 and h.get("ce_time", "").endswith("Z"),
              "clean: ce_id and ce_time")
    ids = set()
    for m in findings:
        f = json.loads(m["payload"])
        errors = list(finding_v.iter_errors(f))
        check(not errors, f"clean: finding follows the schema: {errors[:1]}")
        check(m["key"] in keys and f["report_id"] == m["key"], "clean: finding keyed by its record")
        check(m["headers"].get("schema") == "nianbao.finding.v1", "clean: finding schema header")
        ids.add(m["headers"].get("ce_id"))
    check(len(ids) == len(findings), "clean: ce_id unique per finding")
    # Seed 000's flaws arrive for the 洛市镇 2020 report on host1 (the rules of one report;
    # those across years, against its 2019 report, are history_e2e_test's).
    luoshi = report_id(f"http://127.0.0.1:{env.ports['host1']}"
                       "/zfxxgk/zfxxgknb/202101/t20210119_1001.html")
    rules = sorted(r for r in (json.loads(m["payload"])["rule"] for m in findings if m["key"] == luoshi)
                   if not r.startswith("history."))
    check(rules == ["narrative.conflict", "narrative.conflict", "structure.heading_typo"],
          f"clean: findings of the 洛市镇 2020 report: {rules}")
    # The archive: every report page as WARC, read back by warcio (not our code), each
    # record naming its archive record.
    archive = os.path.join(os.path.dirname(config), "state", "archive")
    files = sorted(f for f in os.listdir(archive)) if os.path.isdir(archive) else []
    check(files and all(f.endswith(".warc.gz") for f in files),
          f"clean: the archive holds closed .warc.gz files: {files}")
    read = subprocess.run(["node", os.path.join(ROOT, "tests/archive/read_warc.mjs")] +
                          [os.path.join(archive, f) for f in files],
                          capture_output=True, text=True, timeout=120)
    check(read.returncode == 0, f"clean: warcio reads the archive: {read.stdout[-300:]}")
    warc = [json.loads(l) for l in read.stdout.splitlines()]
    archived = {w["uri"] for w in warc if w.get("type") in ("response", "revisit")}
    # Each file opens with a warcinfo record naming the build, as `nianbao --version` does.
    version = subprocess.run([NIANBAO, "--version"], capture_output=True,
                             text=True).stdout.split("\n")[0].removeprefix("nianbao ")
    for f in files:
        with gzip.open(os.path.join(archive, f), "rb") as warc_file:
            head = warc_file.read(2048).decode("utf-8", "replace")
        check("WARC-Type: warcinfo" in head and f"software: nianbao/{version}\r\n" in head,
              f"clean: {f}'s warcinfo names software: nianbao/{version}")
    for w in warc:
        if w.get("type") == "response":
            check(w["payload_digest"] == "sha256:" + w["payload_sha256"],
                  f"clean: the archived payload of {w['uri']} has its stated digest")
    for m in records:
        src = json.loads(m["payload"])["source"]
        check(src["url"] in archived, f"clean: {src['url']} is in the archive")
        check(src.get("archive", {}).get("file") in files,
              f"clean: the record names its archive file: {src.get('archive')}")
    fetches = kcat(env.bootstrap, topics["fetches"])
    check(len(fetches) >= len(env.reports), "clean: a fetch-log message per fetch")
    sources = kcat(env.bootstrap, topics["sources"])
    # Every topic has its schema, and each payload names it.
    for topic, msgs in (("fetch", fetches), ("source", sources)):
        v = jsonschema.Draft7Validator(
            json.load(open(os.path.join(ROOT, "schemas", f"{topic}.v1.schema.json"))))
        for m in msgs:
            payload = json.loads(m["payload"])
            errors = [e.message for e in v.iter_errors(payload)]
            check(not errors, f"clean: {topic} message follows its schema: {errors[:1]}")
            check(m["headers"].get("schema") == f"nianbao.{topic}.v1",
                  f"clean: {topic} schema header")
    check({m["key"] for m in sources} == source_names(),
          f"clean: source health events of every source: {sorted(m['key'] for m in sources)}")


def scenario_broker(env):
    config, topics = env.config("broker")
    check(env.kafka_command("down") == "OK", "broker: brokers down")
    p = env.daemon(config)
    time.sleep(6)  # the pass runs while Kafka is unreachable
    check(p.poll() is None, "broker: the daemon waits for Kafka instead of exiting")
    check(env.kafka_command("up") == "OK", "broker: brokers up")
    check(p.wait(timeout=240) == 0, "broker: daemon --once exits 0 once delivered")
    keys = {m["key"] for m in kcat(env.bootstrap, topics["reports"])}
    check(keys == {report_id(u) for u in env.reports},
          f"broker: every report delivered after the outage ({len(keys)})")


def get(url):
    """(status, body) of a GET; (None, why) when nothing answers yet."""
    try:
        with urllib.request.urlopen(url, timeout=5) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()
    except OSError as e:
        return None, str(e)


def wait_for(url, status, seconds):
    deadline = time.time() + seconds
    got = (None, "")
    while time.time() < deadline:
        got = get(url)
        if got[0] == status:
            break
        time.sleep(0.5)
    return got


def scenario_ready(env):
    config, _ = env.config("ready")
    text = open(config, encoding="utf-8").read()
    open(config, "w", encoding="utf-8").write(
        text.replace("[metrics]\n", '[metrics]\nready_max_undelivered_age = "2s"\n'))
    base = "http://" + [l for l in text.splitlines() if l.startswith("listen")][0].split('"')[1]
    check(env.kafka_command("down") == "OK", "ready: brokers down")
    p = env.daemon(config, once=False)
    status, body = wait_for(base + "/readyz", 503, 60)
    check(status == 503 and body.startswith("sink kafka: oldest undelivered batch waiting"),
          f"ready: /readyz 503 while Kafka is down: {status} {body.strip()}")
    check(get(base + "/healthz")[0] == 200, "ready: /healthz (liveness) stays 200")
    check(env.kafka_command("up") == "OK", "ready: brokers up")
    status, body = wait_for(base + "/readyz", 200, 120)
    check(status == 200 and body == "ready\n", f"ready: /readyz 200 again: {status} {body}")
    p.send_signal(signal.SIGTERM)
    check(p.wait(timeout=90) == 0, "ready: clean exit")


def member_head(path, offset):
    """The WARC head of the gzip member at `offset` of `path` (Python's zlib); "" when there
    is none."""
    try:
        with open(path, "rb") as f:
            f.seek(offset)
            z = zlib.decompressobj(wbits=31)
            text = b""
            while not z.eof and b"\r\n\r\n" not in text:
                chunk = f.read(4096)
                if not chunk:
                    break
                text += z.decompress(chunk)
        return text.split(b"\r\n\r\n", 1)[0].decode("utf-8", "replace") + "\r\n"
    except (OSError, ValueError, zlib.error):
        return ""


def scenario_sigkill(env):
    config, topics = env.config("sigkill")
    p = env.daemon(config, once=False, log="daemon-1.log")
    deadline = time.time() + 120
    while time.time() < deadline and not kcat(env.bootstrap, topics["reports"]):
        time.sleep(0.5)
    p.send_signal(signal.SIGKILL)
    p.wait()
    archive = os.path.join(os.path.dirname(config), "state", "archive")
    killed_archive = sorted(os.listdir(archive)) if os.path.isdir(archive) else []
    first = {m["key"] for m in kcat(env.bootstrap, topics["reports"])}
    check(0 < len(first), "sigkill: some reports delivered before the kill")
    p = env.daemon(config, once=True, log="daemon-2.log")
    check(p.wait(timeout=240) == 0, "sigkill: restarted daemon exits 0")
    records = kcat(env.bootstrap, topics["reports"])
    keys = {m["key"] for m in records}
    check(keys == {report_id(u) for u in env.reports},
          f"sigkill: every report delivered at least once ({len(keys)})")
    check(first <= keys, "sigkill: the same keys after the restart")
    # The archive after the kill: the .open file was cut after its last complete record and
    # renamed at the restart; warcio (not our code) reads every file; every delivered record's
    # source.archive is a gzip member (read with Python's zlib) holding that URL's record.
    check(any(f.endswith(".open") for f in killed_archive),
          f"sigkill: the kill left the file being written: {killed_archive}")
    files = sorted(os.listdir(archive))
    check(files and all(f.endswith(".warc.gz") for f in files),
          f"sigkill: after the restart every archive file is closed: {files}")
    read = subprocess.run(["node", os.path.join(ROOT, "tests/archive/read_warc.mjs")] +
                          [os.path.join(archive, f) for f in files],
                          capture_output=True, text=True, timeout=120)
    check(read.returncode == 0, f"sigkill: warcio reads the whole archive: {read.stdout[-300:]}")
    for m in records:
        src = json.loads(m["payload"])["source"]
        where = src.get("archive") or {}
        head = member_head(os.path.join(archive, where.get("file", "-")), where.get("offset", -1))
        check(head.startswith("WARC/1.1\r\n") and
              f"\r\nWARC-Target-URI: {src['url']}\r\n" in head,
              f"sigkill: {src['url']} has its archive record at {where}: {head[:120]!r}")


def scenario_sigterm(env):
    config, _ = env.config("sigterm", deadline="10s")
    p = env.daemon(config, once=False)
    time.sleep(3)  # mid-pass: host3's slow pages are still in flight
    # The operator endpoint while it runs.
    listen = [l for l in open(config, encoding="utf-8") if l.startswith("listen")][0]
    base = "http://" + listen.split('"')[1]
    metrics = urllib.request.urlopen(base + "/metrics", timeout=5).read().decode()
    check('nianbao_fetches_total{status="200"}' in metrics, "sigterm: fetches by status exported")
    check("nianbao_queue_depth" in metrics, "sigterm: queue depths exported")
    check(all(re.search(f"^{name}(\\{{[^}}]*\\}})? [0-9]", metrics, re.M) for name in
              ("nianbao_archive_bytes_total", "nianbao_archive_records_total",
               "nianbao_archive_files_total", "nianbao_archive_errors_total")),
          "sigterm: the archive's counters exported")
    check(urllib.request.urlopen(base + "/healthz", timeout=5).status == 200, "sigterm: healthz")
    start = time.time()
    p.send_signal(signal.SIGTERM)
    try:
        code = p.wait(timeout=30)
    except subprocess.TimeoutExpired:
        p.kill()
        code = None
    check(code == 0, f"sigterm: exit status {code}")
    check(time.time() - start < 15, f"sigterm: stopped in {time.time() - start:.1f}s (deadline 10s)")


def scenario_sighup(env):
    config, _ = env.config("sighup")
    d = os.path.dirname(config)
    p = env.daemon(config, once=False, log="daemon.log")
    logfile = os.path.join(d, "daemon.log")
    passes = lambda: open(logfile, encoding="utf-8").read().count("pass source=")
    deadline = time.time() + 120
    while passes() < len(source_names()) and time.time() < deadline:
        time.sleep(0.2)
    n = len(source_names())
    check(passes() == n, f"sighup: the first pass over the {n} sources ended")
    sources = os.path.join(d, "sources.toml")
    good = open(sources, encoding="utf-8").read()
    open(sources, "w", encoding="utf-8").write(good + "\n[[source]]\nname = \"broken\"\n")
    p.send_signal(signal.SIGHUP)
    time.sleep(1)
    log = open(os.path.join(d, "daemon.log"), encoding="utf-8").read()
    check("reload refused" in log and "sources.toml:" in log,
          "sighup: a bad sources file is refused, naming its file and line")
    check(p.poll() is None, "sighup: the daemon keeps running on the old sources")
    open(sources, "w", encoding="utf-8").write(good)
    p.send_signal(signal.SIGHUP)
    time.sleep(1)
    log = open(os.path.join(d, "daemon.log"), encoding="utf-8").read()
    check(f"reload: {n} sources" in log, "sighup: a good sources file is taken")
    # Each source keeps the due time its pass stored: a reload does not poll every portal
    # again at once (before, every reload started a pass over every source).
    time.sleep(3)
    check(passes() == n, f"sighup: no source polled again by the reload ({passes()} passes)")
    p.send_signal(signal.SIGTERM)
    check(p.wait(timeout=60) == 0, "sighup: clean exit")


def scenario_bad_config(env):
    d = os.path.join(env.tmp, "bad")
    os.makedirs(d, exist_ok=True)
    path = os.path.join(d, "nianbao.toml")
    open(path, "w").write('sources = "none.toml"\n[kafka]\nbrokers = "embedded"\ncompresion = "lz4"\n')
    p = subprocess.run([NIANBAO, "run", "--config", path], capture_output=True, text=True)
    check(p.returncode == 2, f"bad config: exit status {p.returncode}")
    check(f"{path}:4:" in p.stderr and "compresion" in p.stderr,
          f"bad config: names the file, line and key: {p.stderr.strip()}")


def main():
    env = CommonEnv(ROOT, NIANBAO, MOCK)
    try:
        for scenario in (scenario_bad_config, scenario_clean, scenario_broker, scenario_ready,
                         scenario_sigkill, scenario_sigterm, scenario_sighup):
            t = time.time()
            scenario(env)
            print(f"{scenario.__name__}: {time.time() - t:.1f}s", flush=True)
    finally:
        env.close()
    return check.finish()


if __name__ == "__main__":
    sys.exit(main())
