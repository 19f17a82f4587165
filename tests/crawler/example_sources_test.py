#!/usr/bin/env python3
"""examples/sources.example.toml stays honest: each of its sources, pointed at the local test
portal's imitation of its CMS, finds every report of that imitation and no look-alike.

The table IMITATIONS maps each example source (by name) to the portal host that imitates its
CMS, and lists the text replacements its own keys need there (a Hanweb report_url names its
column's number, which the imitation numbers otherwise). Each source keeps every other key as
written (report rules, pagination, preset, politeness); its entry becomes the host's column.
A source of the example without a row here fails the test: a new example needs an imitation.
The [global] and [defaults] are those of examples/local-portal.toml (the example's own are
production values: a second between requests, a minute of timeout).

Usage: example_sources_test.py NIANBAO_BINARY REPO_ROOT      (standard library only)
Prints "N passed, M failed" and exits non-zero on any failure.
"""
import json
import os
import re
import subprocess
import sys
import tempfile
import tomllib

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "e2e"))
from common import Checks, Portal  # noqa: E402

BINARY, ROOT = sys.argv[1], sys.argv[2]
check = Checks()

# example source name -> (portal host imitating its CMS, {text in its keys: replacement})
IMITATIONS = {
    "cq-yubei-luoqi": ("host1", {}),                  # TRS WCM, createPageHTML + page_pattern
    "mwr-zfxxgkndbg": ("host1", {}),                  # TRS WCM
    "wuhan-mzj-xxgknb": ("cms-trs", {}),              # TRS .shtml, a 1-based pager
    "hangzhou-zfxxgknb": ("cms-hanweb", {"1229497170": "5678"}),  # Hanweb jpage
    "guangzhou-gkmlpt-annualreport": ("cms-gkmlpt", {}),          # Guangdong gkmlpt
}


def main():
    with open(os.path.join(ROOT, "examples/sources.example.toml"), encoding="utf-8") as f:
        example = f.read()
    names = [s["name"] for s in tomllib.loads(example)["source"]]
    check(set(names) == set(IMITATIONS), f"every example source has an imitation: {names}")

    tmp = tempfile.mkdtemp(prefix="nianbao-example-test-")
    portal = Portal(ROOT, os.path.join(tmp, "portal.jsonl"))
    try:
        hosts = portal.manifest["hosts"]
        head = re.split(r"(?m)^\[\[source\]\]", portal.sources_toml("2s"), maxsplit=1)[0]
        blocks = re.split(r"(?m)^(?=\[\[source\]\])", example)[1:]
        text = head
        for block in blocks:
            name = tomllib.loads(block)["source"][0]["name"]
            host, replace = IMITATIONS.get(name, (None, {}))
            if host is None:
                continue
            for old, new in replace.items():
                block = block.replace(old, new)
            block = re.sub(r'(?m)^entry = \[.*\]$', f'entry = ["{hosts[host]["entry_url"]}"]', block)
            text += block
        sources = os.path.join(tmp, "sources.toml")
        open(sources, "w", encoding="utf-8").write(text)
        p = subprocess.run([BINARY, "crawl", "--once", "--sources", sources, "--state-dir",
                            os.path.join(tmp, "state"), "--print-pages"],
                           capture_output=True, text=True, timeout=300)
        check(p.returncode == 0, f"crawl exit status {p.returncode}: {p.stderr[-500:]}")
        # A page's URL is handed on once per crawl, whichever source found it first: the
        # summary says what each source found.
        fetched = {json.loads(line)["url"] for line in p.stdout.splitlines() if line.startswith("{")}
        summary = {line.split()[1].rstrip(":"): line for line in p.stderr.splitlines()
                   if line.startswith("source ")}
        for name, (host, _) in IMITATIONS.items():
            m = hosts[host]
            check(": ok " in summary.get(name, ""), f"{name} on {host}: {summary.get(name)}")
            for r in m["reports"]:
                check(r["url"] in fetched, f"{name} on {host}: report fetched: {r['url']}")
            for n in m["non_reports"]:
                check(n["url"] not in fetched, f"{name} on {host}: look-alike fetched: {n['url']}")
    finally:
        portal.close()
    return check.finish()


if __name__ == "__main__":
    sys.exit(main())
