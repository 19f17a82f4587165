#!/usr/bin/env python3
"""End-to-end test of the address policy: `nianbao crawl --once` against two tiny servers, one
on 127.0.0.1 and one on 127.0.0.2, and nothing else (no packet leaves 127.0.0.0/8).

The column on 127.0.0.1 lists one report of its own and one on 127.0.0.2. The sources file
pins the names gov.test and gov2.test to 127.0.0.1 and 127.0.0.2 with [global] resolve:
  1. a source whose entries are http://gov.test:PORT/... and http://gov2.test:PORT2/ (names:
     public) is refused before any packet: failures "address_not_allowed", no report, and the
     servers saw no request at all (robots.txt included);
  2. the same source with allow_private_addresses = true crawls both reports;
  3. a source whose entries are the literals http://127.0.0.1:PORT/... and
     http://127.0.0.2:PORT2/ (loopback) fetches its report on 127.0.0.2 without the flag.
What loopback alone cannot stage (a source allowed on its first page and refused on a later
hop: every loopback address is one class) is covered by the crawler's unit tests
(tests/crawler/address_policy_test.cc, ARefusedReportIsAFailureNeitherRetriedNorGone).

Usage: address_policy_crawl_test.py NIANBAO_BINARY     (standard library only)
Prints "N passed, M failed" and exits non-zero on any failure.
"""
import http.server
import json
import os
import subprocess
import sys
import tempfile
import threading

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "e2e"))
from common import Checks  # noqa: E402

BINARY = sys.argv[1]
check = Checks()


class Server:
    """One HTTP server on `address` and a free port; `pages` maps a path to its HTML."""

    def __init__(self, address, pages):
        self.requests = []
        self.pages = pages
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802 (the standard library's name)
                outer.requests.append(self.path)
                body = outer.pages.get(self.path)
                if body is None:
                    self.send_response(404)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                data = body.encode("utf-8")
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        self.httpd = http.server.ThreadingHTTPServer((address, 0), Handler)
        self.port = self.httpd.server_address[1]
        self.base = f"http://{address}:{self.port}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def stop(self):
        self.httpd.shutdown()
        self.httpd.server_close()


def crawl(tmp, name, source_toml, resolve, status=0):
    sources = os.path.join(tmp, f"{name}.toml")
    pinned = ", ".join(f'"{r}"' for r in resolve)
    with open(sources, "w", encoding="utf-8") as f:
        f.write(f"[global]\nmax_concurrency = 4\nresolve = [{pinned}]\n\n"
                '[defaults]\nmin_delay = "0s"\nmax_retries = 1\nbackoff_base = "100ms"\n'
                'total_timeout = "5s"\n\n' + source_toml)
    p = subprocess.run([BINARY, "crawl", "--once", "--sources", sources, "--state-dir",
                        os.path.join(tmp, f"state-{name}"), "--print-pages"],
                       capture_output=True, text=True, timeout=120)
    check(p.returncode == status,
          f"{name}: crawl exit status {p.returncode}, not {status}: {p.stderr[-500:]}")
    pages = [json.loads(line) for line in p.stdout.splitlines() if line.startswith("{")]
    summary = [line for line in p.stderr.splitlines() if line.startswith("source ")]
    return pages, (summary[0] if summary else ""), p.stderr


# allow_hosts names hosts without a port, so the second server (on another port) is made one
# of the source's hosts by a second entry: its home page, an empty list.
def source(name, entries, extra=""):
    listed = ", ".join(f'"{e}"' for e in entries)
    return (f'[[source]]\nname = "{name}"\nentry = [{listed}]\nreport_text = "年度报告"\n'
            f"{extra}")


def column(second_host):
    return ("<html><body><ul>"
            '<li><a href="t1.html">甲镇2020年政府信息公开工作年度报告</a></li>'
            f'<li><a href="http://{second_host}/t2.html">乙镇2020年政府信息公开工作年度报告</a></li>'
            "</ul></body></html>")


def main():
    other = Server("127.0.0.2", {"/t2.html": "<html><body><p>乙镇的报告</p></body></html>",
                                 "/": "<html><body></body></html>"})
    home = Server("127.0.0.1", {"/col/t1.html": "<html><body><p>甲镇的报告</p></body></html>",
                                "/lit/t1.html": "<html><body><p>甲镇的报告</p></body></html>"})
    named, named2 = f"gov.test:{home.port}", f"gov2.test:{other.port}"
    home.pages["/col/index.html"] = column(named2)
    home.pages["/lit/index.html"] = column(f"127.0.0.2:{other.port}")
    resolve = [f"{named}:127.0.0.1", f"{named2}:127.0.0.2"]
    by_name = [f"http://{named}/col/index.html", f"http://{named2}/"]
    tmp = tempfile.mkdtemp(prefix="nianbao-address-test-")
    try:
        # 1. Names resolved to loopback: refused before any packet.
        # Exit status 1: no source could be reached.
        pages, summary, stderr = crawl(tmp, "by-name", source("by-name", by_name), resolve, 1)
        check(pages == [], f"by name: no page handed on: {pages}")
        check("address_not_allowed 2" in summary, f"by name: both entries refused: {summary}")
        check("retries 0" in summary and "unreachable" in summary,
              f"by name: unreachable, not retried: {summary}")
        check("address 127.0.0.1 (loopback) not allowed" in stderr
              and "address 127.0.0.2 (loopback) not allowed" in stderr,
              f"by name: each refusal logged with its address and class: {stderr[-800:]}")
        check(home.requests == [] and other.requests == [],
              f"by name: the servers saw no request: {home.requests} {other.requests}")

        # 2. The same source with allow_private_addresses = true.
        pages, summary, _ = crawl(tmp, "allowed", source(
            "allowed", by_name, "allow_private_addresses = true\n"), resolve)
        urls = sorted(p["url"] for p in pages)
        check(urls == sorted([f"http://{named}/col/t1.html", f"http://{named2}/t2.html"]),
              f"allowed: both reports: {urls}")
        check("address_not_allowed" not in summary, f"allowed: no refusal: {summary}")
        check("/col/index.html" in home.requests, f"allowed: the column asked: {home.requests}")

        # 3. Literal loopback entries: 127.0.0.2 reached without the flag.
        del other.requests[:]
        pages, summary, _ = crawl(tmp, "literal", source(
            "literal", [f"{home.base}/lit/index.html", f"{other.base}/"]), resolve)
        urls = sorted(p["url"] for p in pages)
        check(urls == sorted([f"{home.base}/lit/t1.html", f"{other.base}/t2.html"]),
              f"literal: both reports, one on 127.0.0.2: {urls}")
        check("address_not_allowed" not in summary, f"literal: no refusal: {summary}")
        check("/t2.html" in other.requests, f"literal: 127.0.0.2 asked: {other.requests}")
    finally:
        home.stop()
        other.stop()
    return check.finish()


if __name__ == "__main__":
    sys.exit(main())
