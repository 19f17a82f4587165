#!/usr/bin/env python3
"""End-to-end test of `nianbao discover` against the local test portal.

Starts tests/portal/local_portal.py and, for every host of its manifest that has a home page
(whatever hosts the portal serves: every CMS shape has one):
  1. `nianbao discover` on the home pages (and, through --csv, one page that links no column)
     writes one source per column each home page leads to (discover_entries), naming the preset
     of the host's CMS (or, for the script-fed JSONP list, a [source.list] template); a column
     behind a gateway no crawler passes is a commented NOT CRAWLABLE entry with the reason; it
     fetches none of the decoy links nor any report, and keeps the politeness delay between
     requests to one host;
  2. `nianbao crawl --once` with the written sources finds every report of every host and
     fetches no look-alike, no decoy and no look-alike sub-list;
  3. `nianbao sources check` accepts the written file;
  4. the daemon (`run --once`, twice, with the mock Kafka) with a `portal =` source for the
     host whose column moves (cms-moved) publishes its reports, and after
     POST /__control/move-column emits source.moved (old and new column) and publishes the
     report found only at the new place.

Usage: discover_e2e_test.py NIANBAO_BINARY MOCK_KAFKA REPO_ROOT   (Debian's python3 with jsonschema)
Prints "N passed, M failed" and exits non-zero on any failure.
"""
import json
import os
import re
import subprocess
import sys
import tomllib

import jsonschema

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import Checks, Env, kcat, report_id  # noqa: E402

BINARY, MOCK, ROOT = sys.argv[1], sys.argv[2], sys.argv[3]
check = Checks()


def defaults_of(sources_toml):
    """The [global] and [defaults] part of the portal's sources file (before its sources), with
    a total timeout short enough for host3's stalled page (30 s) to fail quickly."""
    head = re.split(r"(?m)^\[\[source\]\]", sources_toml, maxsplit=1)[0]
    return head.replace('total_timeout = "20s"', 'total_timeout = "2s"')


def portal_source(env):
    """Step 4: a `portal =` source followed through a move of its column."""
    m = env.manifest["hosts"].get("cms-moved")
    if not check(m is not None and "move" in m, "the portal has a host whose column moves"):
        return
    text = defaults_of(env.portal.sources_toml("1s")) + f'''[[source]]
name = "moving"
portal = "{m['home_url']}"
report_text = '(19|20)\\d\\d.*(年度?报告|年报)'
exclude_text = '图解|解读|要点|通知'
'''
    config, topics = env.config("moving", sources=text)
    rc = env.daemon(config, once=True, log="daemon-1.log").wait(timeout=300)
    check(rc == 0, f"daemon pass 1 exit status {rc}")
    reports = {m_["key"] for m_ in kcat(env.bootstrap, topics["reports"])}
    for r in m["reports"]:
        check(report_id(r["url"]) in reports, f"pass 1: report published: {r['url']}")
    later = m["move"]["reports_after"][0]["url"]
    check(report_id(later) not in reports, "pass 1: the report of the new place is not there yet")
    events = [m_["headers"].get("event") for m_ in kcat(env.bootstrap, topics["sources"])]
    check("source.moved" not in events, f"pass 1: no move: {events}")

    env.portal.control("move-column?host=cms-moved")
    rc = env.daemon(config, once=True, log="daemon-2.log").wait(timeout=300)
    check(rc == 0, f"daemon pass 2 exit status {rc}")
    moved = [json.loads(m_["payload"]) for m_ in kcat(env.bootstrap, topics["sources"])
             if m_["headers"].get("event") == "source.moved"]
    check(len(moved) == 1, f"pass 2: one source.moved: {moved}")
    if moved:
        check(moved[0]["column_before"] == [m["entry_url"]], f"source.moved from: {moved[0]}")
        check(moved[0]["column_after"] == [m["base_url"] + m["move"]["entry_after"]],
              f"source.moved to: {moved[0]}")
        check(moved[0]["schema"] == "nianbao.source.v1" and moved[0]["source"] == "moving",
              f"source.moved payload: {moved[0]}")
        with open(os.path.join(ROOT, "schemas", "source.v1.schema.json"), encoding="utf-8") as f:
            schema = json.load(f)
        try:
            jsonschema.validate(moved[0], schema)
            check(True, "source.moved matches schemas/source.v1.schema.json")
        except jsonschema.ValidationError as e:
            check(False, f"source.moved against its schema: {e.message}")
    reports = {m_["key"] for m_ in kcat(env.bootstrap, topics["reports"])}
    check(report_id(later) in reports, f"pass 2: the report at the new place published: {later}")


def main():
    env = Env(ROOT, BINARY, MOCK)
    tmp = env.tmp
    log = os.path.join(tmp, "portal.jsonl")
    portal = env.portal
    try:
        # Every host with a home page, and the columns discover must write for it: those its
        # home page leads to, less those behind a gateway no crawler passes (written as
        # comments).
        hosts = {h: m for h, m in portal.manifest["hosts"].items() if m.get("home_url")}
        check(set(hosts) == set(portal.manifest["hosts"]),
              f"every host has a home page: {sorted(hosts)}")
        blocked = {}
        for host, m in hosts.items():
            blocked[host] = {b["path"] for b in m.get("gateway", {}).get("blocked", [])}
        columns = {host: [p for p in m["discover_entries"] if p not in blocked[host]]
                   for host, m in hosts.items()}

        # ---- 1. discover ----
        # One unit whose page links no column (host1's disclosure guide, a decoy): it must be
        # listed as a comment with the reason.
        h1 = portal.manifest["hosts"]["host1"]
        guide = h1["base_url"] + "/zfxxgkzn/index.html"
        units = os.path.join(tmp, "units.csv")
        open(units, "w", encoding="utf-8").write("name,portal\n本地测试市指南样例," + guide + "\n")
        settings = os.path.join(tmp, "settings.toml")
        open(settings, "w", encoding="utf-8").write(
            defaults_of(portal.sources_toml("2s")) +
            '[[source]]\nname = "unused"\nentry = ["http://127.0.0.1:1/"]\n')
        p = subprocess.run([BINARY, "discover", "--csv", units, "--sources", settings]
                           + [m["home_url"] for m in hosts.values()],
                           capture_output=True, text=True, timeout=300)
        check(p.returncode == 1, f"discover exit status {p.returncode} (1: one unit without column): "
                                 f"{p.stderr[-500:]}")
        written = p.stdout
        open(os.path.join(tmp, "discovered.toml"), "w", encoding="utf-8").write(written)
        check(f"# NOT FOUND: 本地测试市指南样例 ({guide}): no annual-report column" in written,
              "the unit without a column is a comment with the reason")
        found = tomllib.loads(written).get("source", [])
        entries = {s["entry"][0]: s for s in found}
        for host, m in hosts.items():
            for path in columns[host]:
                want = m["base_url"] + path
                check(want in entries, f"{host}: column {want} found (got {sorted(entries)})")
            for path in sorted(blocked[host]):
                check(f"# NOT CRAWLABLE: {m['base_url'] + path}: blocked_by_gateway (HTTP " in written,
                      f"{host}: the column behind the gateway, {path}, is a comment with the reason")
        want_sources = sum(len(c) for c in columns.values())
        check(len(found) == want_sources, f"one source per column: {len(found)} for {want_sources}")
        # The preset each CMS needs (None: the plain list reader, shells and sub-lists
        # included), or the template of the script-fed list.
        presets = {"cms-hanweb": "hanweb", "cms-trs-search": "trs-search", "cms-gkmlpt": "gkmlpt",
                   "cms-jpaas": "jpaas", "cms-numbered": "trs", "cms-trs": "trs", "host1": "trs",
                   "cms-shells": None, "cms-years": None, "cms-gateway": None, "cms-jsonp": None,
                   "cms-moved": None, "host2": None, "host3": None}
        for host, preset in presets.items():
            if host not in hosts:
                continue
            for path in columns[host]:
                s = entries.get(hosts[host]["base_url"] + path, {})
                check(s.get("cms") == preset, f"{host}: cms {preset} written for {path}: {s}")
        if "cms-shells" in hosts:
            # Each shell read through once, its list named in the source's CMS line; the shell
            # stays the entry (a plain list: the crawl follows the shell).
            m = hosts["cms-shells"]
            for shell, sh in m["shells"].items():
                check(f"a shell in front of {m['base_url'] + sh['target']}, which the crawl follows" in written,
                      f"cms-shells: the {sh['kind']} shell {shell} read through to {sh['target']}")
        if "cms-jsonp" in hosts:
            m = hosts["cms-jsonp"]
            s = entries.get(m["base_url"] + m["discover_entry"], {})
            lst = s.get("list", {})
            api = m["pagination"]["api"]
            check(lst.get("answer") == "jsonp" and lst.get("url", "").startswith(api + "?")
                  and "page={page}" in lst.get("url", "") and lst.get("records") == "rows" and lst.get("url_field") == "link"
                  and lst.get("title_field") == "name" and lst.get("total_field") == "total",
                  f"cms-jsonp: the template inferred from the JSONP answer: {lst}")
        if "host2" in hosts:
            s = entries.get(hosts["host2"]["base_url"] + hosts["host2"]["discover_entry"], {})
            check(s.get("next_page_text") == "下一页", f"host2: its next-page link: {s}")
            check("cms" not in s, f"host2: a static Hanweb list needs no preset: {s}")

        requests = [json.loads(line) for line in open(log, encoding="utf-8")]
        paths = {(r["host"], r["path"]) for r in requests}
        for host, m in hosts.items():
            for d in m.get("home_decoys", []):
                if (host, d) == ("host1", "/zfxxgkzn/index.html"):
                    continue  # the CSV's unit starts there
                check((host, d) not in paths, f"{host}: decoy fetched by discover: {d}")
            for r in m["reports"]:
                check((host, r["path"]) not in paths, f"{host}: discover fetched a report: {r['path']}")
        # Politeness: the settings file's min_delay (200 ms) between requests to one host,
        # less the portal's stamping delay (see crawl_portal_test.py).
        by_host = {}
        for r in requests:
            by_host.setdefault(r["host"], []).append(r["t"])
        for host, times in by_host.items():
            times.sort()
            gaps = [b - a for a, b in zip(times, times[1:])]
            # Off (NIANBAO_TIMING_CHECKS=0) in the sanitizer stage: see scripts/test.sh.
            if os.environ.get("NIANBAO_TIMING_CHECKS", "1") != "0":
                check(not gaps or min(gaps) >= 0.10, f"{host}: discover requests {gaps} apart")
        robots = {r["host"] for r in requests if r["path"] == "/robots.txt"}
        check(robots >= set(hosts), f"robots.txt asked on every host: {sorted(robots)}")

        # ---- 2. crawl --once with what discover wrote ----
        sources = os.path.join(tmp, "sources.toml")
        open(sources, "w", encoding="utf-8").write(defaults_of(portal.sources_toml("1s")) + written)
        before = len(requests)
        p = subprocess.run([BINARY, "crawl", "--once", "--sources", sources, "--state-dir",
                            os.path.join(tmp, "state"), "--print-pages"],
                           capture_output=True, text=True, timeout=300)
        check(p.returncode == 0, f"crawl exit status {p.returncode}: {p.stderr[-500:]}")
        pages = [json.loads(line) for line in p.stdout.splitlines() if line.startswith("{")]
        fetched = {pg["url"] for pg in pages}
        for host, m in hosts.items():
            for r in m["reports"]:
                check(r["url"] in fetched, f"{host}: report not fetched after discover: {r['url']}")
        requests = [json.loads(line) for line in open(log, encoding="utf-8")][before:]
        paths = {(r["host"], r["path"]) for r in requests}
        for host, m in hosts.items():
            for n in m.get("non_reports", []):
                check((host, n["path"]) not in paths, f"{host}: look-alike fetched: {n['path']}")
            for d in m.get("home_decoys", []) + m.get("decoys", []):
                check((host, d) not in paths, f"{host}: decoy fetched by the crawl: {d}")
            for b in sorted(blocked[host]):
                check((host, b) not in paths, f"{host}: a NOT CRAWLABLE column crawled: {b}")

        # ---- 3. the written file passes `sources check` ----
        p = subprocess.run([BINARY, "sources", "check", sources], capture_output=True, text=True,
                           timeout=60)
        check(p.returncode == 0 and p.stdout.startswith(sources + ": ok: "),
              f"sources check: {p.returncode} {p.stdout} {p.stderr}")

        # ---- 3b. `sources test` shows the sub-lists and shells followed, and why ----
        for host in ("cms-years", "cms-shells"):
            if host not in hosts:
                continue
            m = hosts[host]
            names = [entries[m["base_url"] + c]["name"] for c in columns[host]
                     if m["base_url"] + c in entries]
            args = [a for n in names for a in ("--source", n)]
            p = subprocess.run([BINARY, "sources", "test", sources] + args, capture_output=True,
                               text=True, timeout=120)
            check(p.returncode == 0, f"{host}: sources test exit status {p.returncode}: {p.stderr[-300:]}")
            lines = [line.split("\t") for line in p.stdout.splitlines()]
            verdicts = {(f[2], f[1]) for f in lines if len(f) == 5}
            lists = {f[4] for f in lines if len(f) == 5}
            if host == "cms-years":
                for sub in m["sub_lists"]:
                    url = m["base_url"] + sub
                    check(any(u == url and v.startswith("sub-list (sublists rule text '") for u, v in verdicts),
                          f"cms-years: {sub} shown as a sub-list with its rule: "
                          f"{[v for u, v in verdicts if u == url]}")
                    check(url in lists, f"cms-years: the sub-list {sub} read, its links shown")
                for d in m["decoys"]:
                    url = m["base_url"] + d
                    check(not any(u == url and v.startswith("sub-list") for u, v in verdicts),
                          f"cms-years: look-alike {d} not a sub-list")
            else:
                for shell, sh in m["shells"].items():
                    url = m["base_url"] + sh["target"]
                    check((url, "sub-list (a shell's target: iframe, meta refresh or script redirect)")
                          in verdicts, f"cms-shells: the {sh['kind']} shell's target {sh['target']} shown")
                    check(url in lists, f"cms-shells: the list behind {shell} read, its links shown")
            reports = {u for u, v in verdicts if v == "report"}
            want = {r["url"] for r in m["reports"]}
            check(reports == want, f"{host}: sources test shows every report as one: {reports ^ want}")

        # ---- 4. the daemon follows a portal source's column through a move ----
        portal_source(env)
    finally:
        env.close()
    return check.finish()


if __name__ == "__main__":
    sys.exit(main())
