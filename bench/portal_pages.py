#!/usr/bin/env python3
"""Saves the local test portal's HTML report pages for the parser benchmarks (BENCHMARKS.md §1).

Starts tests/portal/local_portal.py on free loopback ports, reads its manifest, fetches every
report page of every host (the real portal shapes it imitates: TRS, Hanweb, JPaaS, gkmlpt,
...), and writes each page served as text/html to OUT/<host>_<n>.html, with the Content-Type
it was served with in OUT/content-types.tsv (`parser_bench --inputs-dir=OUT` reads both).
Documents (PDF, Word) are left out: the peer compared there parses HTML.

Usage: portal_pages.py OUT
"""
import json
import os
import subprocess
import sys
import tempfile
import urllib.error
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    with tempfile.TemporaryDirectory() as state:
        portal = subprocess.Popen(
            [sys.executable, os.path.join(ROOT, "tests/portal/local_portal.py"), "--base-port", "0",
             "--state-dir", state], stdout=subprocess.PIPE, text=True)
        try:
            for line in portal.stdout:
                if line.strip() == "READY":
                    break
            else:
                sys.exit("portal_pages: the local portal did not start")
            with open(os.path.join(state, "manifest.json"), encoding="utf-8") as f:
                hosts = json.load(f)["hosts"]
            types, skipped = [], []
            for host, site in sorted(hosts.items()):
                for n, report in enumerate(site.get("reports", [])):
                    try:
                        with urllib.request.urlopen(report["url"], timeout=10) as r:
                            ctype = r.headers.get("Content-Type", "")
                            body = r.read()
                    except (urllib.error.URLError, OSError) as e:
                        # Pages behind a cookie gate or a redirect chain the crawler follows
                        # and urllib does not: counted, not benchmarked.
                        skipped.append("%s (%s)" % (report["url"], str(e).splitlines()[0]))
                        continue
                    if not ctype.startswith("text/html"):
                        continue
                    name = "%s_%d.html" % (host, n)
                    with open(os.path.join(out, name), "wb") as f:
                        f.write(body)
                    types.append("%s\t%s\n" % (name, ctype))
            with open(os.path.join(out, "content-types.tsv"), "w", encoding="utf-8") as f:
                f.writelines(types)
            print("portal_pages: %d pages in %s; %d not fetched: %s" %
                  (len(types), out, len(skipped), "; ".join(skipped) or "none"), file=sys.stderr)
        finally:
            portal.terminate()
            portal.wait()


if __name__ == "__main__":
    main()
