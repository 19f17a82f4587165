#!/usr/bin/env python3
"""End-to-end test of `nianbao crawl --once` against the local test portal.

Starts tests/portal/local_portal.py on free loopback ports, points examples/local-portal.toml
at them, and runs three passes:
  1. every report of the portal's manifest is found and fetched; no look-alike, no page under
     robots.txt's Disallow; the trouble pages end as recorded failures; the politeness delay
     between requests to one host holds (measured from the portal's own request log);
  2. a second pass sends conditional requests and yields no new report;
  3. after the portal revises one report, exactly that report comes out revised.

Usage: crawl_portal_test.py NIANBAO_BINARY REPO_ROOT      (standard library only)
Prints "N passed, M failed" and exits non-zero on any failure.
"""
import datetime
import json
import os
import re
import subprocess
import sys
import tempfile
import time
import urllib.parse

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "e2e"))
from common import Checks, Portal  # noqa: E402

BINARY, ROOT = sys.argv[1], sys.argv[2]
check = Checks()


def crawl(sources, state_dir):
    start = time.monotonic()
    fetch_log = os.path.join(state_dir + "-fetches.jsonl")
    if os.path.exists(fetch_log):
        os.remove(fetch_log)
    p = subprocess.run([BINARY, "crawl", "--once", "--sources", sources, "--state-dir",
                        state_dir, "--print-pages", "--fetch-log", fetch_log],
                       capture_output=True, text=True, timeout=300)
    check(p.returncode == 0, f"crawl exit status {p.returncode}: {p.stderr[-500:]}")
    pages, summary = [], {}
    # stdout carries only the pages' JSON lines; the summaries are on stderr.
    for line in p.stdout.splitlines():
        check(line.startswith("{"), f"not a page's JSON line on stdout: {line[:120]}")
        if line.startswith("{"):
            pages.append(json.loads(line))
    for line in p.stderr.splitlines():
        if line.startswith("source "):
            name = line.split()[1].rstrip(":")
            summary[name] = line
    global fetches
    with open(fetch_log, encoding="utf-8") as f:
        fetches = [json.loads(line) for line in f]
    return pages, summary, time.monotonic() - start


def main():
    tmp = tempfile.mkdtemp(prefix="nianbao-crawl-test-")
    log = os.path.join(tmp, "portal.jsonl")
    portal = Portal(ROOT, log)
    try:
        manifest = portal.manifest
        # The example sources file, on the ports the portal got, with a shorter timeout for
        # the stalled page so that the test stays quick.
        sources = os.path.join(tmp, "sources.toml")
        open(sources, "w", encoding="utf-8").write(portal.sources_toml("1s"))
        state = os.path.join(tmp, "state")

        # ---- pass 1 ----
        pages, summary, elapsed = crawl(sources, state)
        fetched = {p["url"] for p in pages}
        for host, h in manifest["hosts"].items():
            for r in h["reports"]:
                check(r["url"] in fetched, f"{host}: report not fetched: {r['url']}")
        check(all(p["change"] == "new" for p in pages), "pass 1: every page is new")
        check(len(pages) == len(fetched), "pass 1: no report handed on twice")
        requests = [json.loads(l) for l in open(log, encoding="utf-8")]
        paths = {(r["host"], r["path"]) for r in requests}
        for host, h in manifest["hosts"].items():
            for n in h.get("non_reports", []):
                check((host, n["path"]) not in paths, f"{host}: look-alike fetched: {n['path']}")
            for d in h.get("disallowed", []):
                d_path = d["path"] if isinstance(d, dict) else d
                check((host, d_path) not in paths, f"{host}: disallowed page fetched: {d_path}")
        check("robots-disallowed 1" in summary.get("local-host2-hanweb", ""),
              "host2: the /private/ report is counted as disallowed")
        trouble = summary.get("local-host3-trouble", "")
        for reason in ["timeout", "too_large", "too_many_redirects"]:
            check(reason in trouble, f"host3: failure '{reason}' recorded: {trouble}")
        # The Hanweb column: its dataproxy is asked with POST only (a GET there is a 405),
        # from record 4 (the page held 1..3), 3 records at a time, up to the total of 8.
        proxy = [r for r in requests if r["host"] == "cms-hanweb" and "dataproxy.jsp" in r["path"]]
        check([r["method"] for r in proxy] == ["POST", "POST"], f"cms-hanweb: proxy requests {proxy}")
        check(sorted(r["path"].split("?")[1] for r in proxy)
              == ["startrecord=4&endrecord=6&perpage=3", "startrecord=7&endrecord=9&perpage=3"],
              f"cms-hanweb: proxy ranges {[r['path'] for r in proxy]}")
        check(all(r["status"] == 200 for r in proxy), "cms-hanweb: the proxy answered every POST")
        # The 1-based TRS pager: index_2 and index_3, never index_1.
        trs = {r["path"] for r in requests if r["host"] == "cms-trs"}
        check("/zwgk/xxgknb/index_1.shtml" not in trs, "cms-trs: index_1.shtml never asked")
        check({"/zwgk/xxgknb/index_2.shtml", "/zwgk/xxgknb/index_3.shtml"} <= trs,
              "cms-trs: pages 2 and 3 read")
        # cms-shells: each shell (iframe, meta refresh, script redirect) and the list behind it
        # are read once.
        asked = [r["path"] for r in requests if r["host"] == "cms-shells"]
        for shell, s in manifest["hosts"]["cms-shells"]["shells"].items():
            check(asked.count(shell) == 1 and asked.count(s["target"]) == 1,
                  f"cms-shells: the {s['kind']} shell {shell} and its list {s['target']} read once: {asked}")
        # cms-years: every year and unit sub-column read; none of the look-alike lists.
        asked = {r["path"] for r in requests if r["host"] == "cms-years"}
        for sub in manifest["hosts"]["cms-years"]["sub_lists"]:
            check(sub in asked, f"cms-years: sub-column {sub} read")
        for host in ("cms-shells", "cms-years", "cms-gateway"):
            for decoy in manifest["hosts"][host]["decoys"]:
                check((host, decoy) not in paths, f"{host}: look-alike list {decoy} read")
        # cms-gateway: the cookie set by the gateway's first 302 goes back, and every page
        # passes; the columns behind 521 and the JS challenge are blocked, asked once (twice
        # at most, when the first ask met the cookie-replay 302), never retried.
        gateway = [r for r in requests if r["host"] == "cms-gateway"]
        replays = sum(1 for r in gateway if r["status"] == 302)
        check(1 <= replays <= 2, f"cms-gateway: {replays} cookie-replay 302s, expected 1 (2 at most)")
        check(": ok " in summary.get("local-cms-gateway", ""), f"cms-gateway: {summary.get('local-cms-gateway')}")
        blocked = summary.get("local-cms-gateway-blocked", "")
        check(": blocked " in blocked and "blocked_by_gateway 2" in blocked, f"cms-gateway: {blocked}")
        for b in manifest["hosts"]["cms-gateway"]["gateway"]["blocked"]:
            n = sum(1 for r in gateway if r["path"] == b["path"])
            check(1 <= n <= 2, f"cms-gateway: {b['path']} ({b['answer']}) asked {n} times")
        # The TRS 动静结合 column: 10 records static, then one POST of page 2 to the search API
        # with the channel of the page, X-Requested-With and the column as Referer.
        api = [r for r in requests if r["host"] == "cms-trs-search" and r["path"].startswith("/fjdzapp/")]
        check([(r["method"], r["status"], r.get("x-requested-with")) for r in api]
              == [("POST", 200, "XMLHttpRequest")], f"cms-trs-search: API requests {api}")
        check(all(r.get("referer", "").endswith("/zwgk/zfxxgkndbg/index.htm") for r in api),
              "cms-trs-search: the column page is the Referer")
        # gkmlpt: pages 1 and 2 of the JSON API (5 + 3 records of 8) with the page's SID, by GET.
        gk = [r for r in requests if r["host"] == "cms-gkmlpt" and r["path"].startswith("/gkmlpt/api/")]
        check(sorted((r["method"], r["path"], r["status"]) for r in gk)
              == [("GET", "/gkmlpt/api/all/annualreport?page=%d&sid=755031" % n, 200) for n in (1, 2)],
              f"cms-gkmlpt: API requests {[r['path'] for r in gk]}")
        # JPaaS: pageNo 1 and 2 give 4 and 3 records of 7 (the server's page size, not the 15
        # asked for); page 3 is empty and ends the list.
        jp = [r for r in requests if r["host"] == "cms-jpaas" and "/front/page/build/unit" in r["path"]]
        pages_asked = sorted(json.loads(urllib.parse.parse_qs(urllib.parse.urlsplit(r["path"]).query)
                                        ["paramJson"][0])["pageNo"] for r in jp)
        check(pages_asked == [1, 2, 3] and all(r["method"] == "GET" and r["status"] == 200 for r in jp),
              f"cms-jpaas: unit requests {[(r['method'], r['path'], r['status']) for r in jp]}")
        # Numbered files: 2.html and 3.html from `var countPage = 3`; never 0.html, 1_1.html or 4.html.
        num = {r["path"] for r in requests if r["host"] == "cms-numbered"}
        check({"/xxgk/ndbg/2.html", "/xxgk/ndbg/3.html"} <= num, f"cms-numbered: pages 2 and 3 read: {num}")
        check(not num & {"/xxgk/ndbg/0.html", "/xxgk/ndbg/1_1.html", "/xxgk/ndbg/4.html"},
              f"cms-numbered: no page outside 1..3: {num}")
        # The JSONP list that 404s without a Referer: pages 1 and 2 (5 + 4 of 9), each with it.
        jsonp = [r for r in requests if r["host"] == "cms-jsonp" and r["path"].startswith("/api/")]
        check(sorted((r["path"].split("&page=")[1], r["status"]) for r in jsonp)
              == [("1&size=5", 200), ("2&size=5", 200)], f"cms-jsonp: API requests {jsonp}")
        for name in ("local-cms-trs-search", "local-cms-gkmlpt", "local-cms-jpaas", "local-cms-numbered",
                     "local-cms-jsonp"):
            check("failures:" not in summary.get(name, "failures: no summary"),
                  f"{name}: no failure: {summary.get(name)}")
        check("retries 3" in summary.get("local-host2-hanweb", ""),
              "host2: 500, 500 then 200 and 429 then 200 give three retries")
        # Politeness: requests to one host start at least min_delay (200 ms) apart, read off
        # the crawler's own fetch log (when it started each request): the portal's stamps are
        # taken when its handler thread runs, which a loaded machine delays by tens of ms.
        check(len(fetches) >= len(requests) - 5,
              f"the fetch log has {len(fetches)} fetches for the portal's {len(requests)} requests")
        by_host = {}
        for f in fetches:
            host = urllib.parse.urlsplit(f["url"]).netloc
            by_host.setdefault(host, []).append(
                datetime.datetime.fromisoformat(f["timings"]["started"].replace("Z", "+00:00")).timestamp())
        for host, times in by_host.items():
            times.sort()
            gaps = [b - a for a, b in zip(times, times[1:])]
            if gaps:
                check(min(gaps) >= 0.2 - 0.005, f"{host}: requests {min(gaps):.3f}s apart, under 200 ms")
        check(elapsed < 120, f"pass 1 took {elapsed:.0f}s")

        # ---- pass 2: conditional, nothing new ----
        before = len(requests)
        pages2, summary2, _ = crawl(sources, state)
        check(all(p["change"] == "unchanged" for p in pages2), "pass 2: every page unchanged")
        for name, line in summary2.items():
            check(re.search(r"new 0, revised 0", line) is not None, f"pass 2: {line}")
        requests = [json.loads(l) for l in open(log, encoding="utf-8")]
        report_paths = {r["path"] for h in manifest["hosts"].values() for r in h["reports"]}
        conditional = [r for r in requests[before:] if r["path"] in report_paths]
        check(len(conditional) > 0, "pass 2 requested the reports again")
        for r in conditional:
            check(r.get("if-none-match") or r.get("if-modified-since"),
                  f"pass 2: unconditional request for {r['path']}")

        # ---- pass 3: one revision ----
        revised = json.loads(portal.control("revise"))["revised"]
        pages3, summary3, _ = crawl(sources, state)
        changed = [p for p in pages3 if p["change"] == "revised"]
        check(len(changed) == 1, f"pass 3: {len(changed)} revised pages, expected 1")
        check(changed and changed[0]["url"] == revised["url"], "pass 3: the revised report")
        check("revised 1" in summary3.get("local-host1-trs", ""), "pass 3: summary counts it")

        # ---- a pass in which no source can be reached fails the run ----
        # (a closed port on loopback: every connection refused). Before, it exited 0.
        dead = os.path.join(tmp, "dead.toml")
        open(dead, "w", encoding="utf-8").write(
            '[defaults]\nmax_retries = 0\nmin_delay = "0s"\n\n'
            '[[source]]\nname = "dead"\nentry = ["http://127.0.0.1:1/col/index.html"]\n')
        p = subprocess.run([BINARY, "crawl", "--once", "--sources", dead, "--state-dir",
                            os.path.join(tmp, "dead-state"), "--print-pages"],
                           capture_output=True, text=True, timeout=120)
        check(p.returncode == 1, f"no source reached: exit status {p.returncode}, expected 1")
        check(p.stdout == "", f"stdout carries only pages: {p.stdout[:200]!r}")
        check("source dead: unreachable" in p.stderr, f"summary on stderr: {p.stderr[-300:]!r}")
    finally:
        portal.close()
    return check.finish()


if __name__ == "__main__":
    sys.exit(main())
