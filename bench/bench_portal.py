#!/usr/bin/env python3
"""A fast static loopback portal for nianbao's crawl benchmarks (BENCHMARKS.md).

tests/portal/local_portal.py is the test portal: faithful, full of deliberate trouble, one
thread per connection. This is its benchmark sibling: many hosts, many columns, no trouble,
one asyncio loop per --hosts-per-process hosts, responses assembled from pre-rendered parts. It reuses the test portal's
renderers (seed reports -> Word-export or plain HTML inside Hanweb portal chrome), so the
report pages are the same kind of pages the tests crawl.

  host h   = its own loopback address 127.1.X.Y, all hosts on one port (crawlers apply their
             per-host limits per host name; Scrapy's per-domain slots ignore the port)
  column c = a source: /col/col<c>/index.html, index_2.html, ... joined by 下一页 links, each
             list page naming --per-list reports and one look-alike (图解) that is not a report,
             plus nav links to other columns; reports at /art/YYYY/M/D/art_<c>_<n>.html
  robots   = allow all
  skew     = --skew lognormal: reports per source drawn from a lognormal distribution
             (median --median-reports, sigma --sigma, at most --reports, seeded by --seed),
             the first source always --reports: most hosts a dozen reports on a list page or
             two, a few hosts hundreds (the national pass of BENCHMARKS.md, "Scaling")
  304s     = every list and report page has an ETag and a Last-Modified; a request with a
             matching If-None-Match (or, without one, If-Modified-Since) gets 304 Not Modified

Every report page is unique (a comment names host, column and number) and made from one of
30 variants (5 seeds x 3 years x Word/plain markup; --flavor keeps one markup); --page-kib
pads every variant with portal chrome (mso styles, navigation, footer links and scripts) to
that size.

Usage:
  bench_portal.py --hosts 50 --sources-per-host 1 --reports 200 --per-list 20 \\
                  --page-kib 0 --manifest /tmp/m.json [--port 0] [--no-parent-watch]
Prints "READY <port>" when listening; serves until SIGTERM/SIGINT or its parent's death, then
writes --stats (JSON: responses by status and by host) when asked. Raises its RLIMIT_NOFILE
to fit one listening socket per host plus connections.
The manifest (JSON) lists hosts, sources (name, entry URL, expected list pages and reports)
and the totals a complete crawl must fetch. Standard library only.
"""

import argparse
import asyncio
import email.utils
import html
import json
import math
import os
import random
import re
import resource
import signal
import socket
import sys
import time
import zlib
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tests" / "portal"))
import local_portal as lp  # noqa: E402  (the test portal's renderers, read only)

REPORT_RE = re.compile(r"^/art/(\d{4})/(\d{1,2})/(\d{1,2})/art_(\d+)_(\d+)\.html$")
PICTURE_RE = re.compile(r"^/art/pic/art_(\d+)_(\d+)\.html$")
LIST_RE = re.compile(r"^/col/col(\d+)/index(?:_(\d+))?\.html$")
LAST_MODIFIED = email.utils.formatdate(1611100000, usegmt=True)


def host_address(i):
    """Host i (0-based) -> 127.1.X.Y, Y in 1..250."""
    return "127.1.%d.%d" % (i // 250, 1 + i % 250)


# --------------------------------------------------------------------------------------------
# Content
# --------------------------------------------------------------------------------------------


def repeated(head, item, tail, want, margin):
    """head, then item(0), item(1), ... while they stay `margin` bytes under `want`, then tail."""
    out = [head]
    size = len(head.encode())
    i = 0
    while size + margin < want:
        piece = item(i)
        out.append(piece)
        size += len(piece.encode())
        i += 1
    out.append(tail)
    return "".join(out)


def mso_style(want):
    return repeated(
        '<style type="text/css">\n<!--\n',
        lambda i: ('@font-face {font-family:"仿宋_GB2312 %d"; panose-1:2 1 6 9 3 1 1 1 1 1; mso-font-charset:134;}\n'
                   'p.MsoStyle%d, li.MsoStyle%d {mso-style-name:"样式 %d"; margin:0cm; margin-bottom:.0001pt;'
                   ' text-align:justify; font-size:10.5pt; font-family:"Times New Roman",serif;'
                   ' mso-fareast-font-family:宋体; mso-font-kerning:1.0pt;}\n' % (i, i, i, i)),
        "-->\n</style>\n", want, 20)


def nav(want):
    return repeated(
        '<div class="nav"><ul class="menu">\n',
        lambda i: ('<li class="menu-item"><a href="/col/other%d/index.html" title="政务公开栏目%d">'
                   '<span>政务公开栏目%d</span></a><ul class="sub"><li><a href="/col/other%d/zn.html">'
                   '信息公开指南</a></li></ul></li>\n' % ((1000 + i,) * 4)),
        "</ul></div>\n", want, 30)


def footer(want):
    return repeated(
        '<div class="footer"><div class="links">友情链接：<select><option>-- 政府网站 --</option>\n',
        lambda i: '<option value="http://www.site%d.gov.cn/">本地测试市第%d部门门户网站</option>\n' % (i, i),
        "</select></div></div>\n", want, 40)


def inflate(page, target):
    """Pads an HTML page (str) with chrome to about `target` bytes of UTF-8: 40% head style,
    35% navigation after <body>, the rest footer before </body>. The report is untouched."""
    add = target - len(page.encode())
    if add <= 0:
        return page
    head_at = page.find("</head>")
    body_at = page.find(">", page.find("<body")) + 1
    end_at = page.rfind("</body>")
    return (page[:head_at] + mso_style(add * 40 // 100) + page[head_at:body_at] + nav(add * 35 // 100)
            + page[body_at:end_at] + footer(add * 25 // 100) + page[end_at:])


def report_variants(page_bytes, flavors=("word", "plain")):
    """[(title, prefix bytes, suffix bytes)]: 5 seeds x 3 years x flavors (Word export, plain
    markup). A unique marker goes between prefix and suffix (right after <head>)."""
    seeds = lp.load_seeds()
    out = []
    for seed in sorted(lp.UNITS):
        for year in (2019, 2020, 2021):
            for flavor in flavors:
                a = lp.report_article(seeds, seed, year, "%d-01-20" % (year + 1), flavor=flavor)
                page = lp.hanweb_article(a, lp.render_body(a["blocks"], flavor))
                if page_bytes:
                    page = inflate(page, page_bytes)
                cut = page.index("<head>") + len("<head>")
                out.append((a["title"], page[:cut].encode(), page[cut:].encode()))
    return out


def list_page(col, page, pages, items):
    def url(i):
        return "/col/col%d/index.html" % col if i == 1 else "/col/col%d/index_%d.html" % (col, i)

    rows = "\n".join('<tr><td class="bt-title"><a href="%s" target="_blank" title="%s">%s</a></td>'
                     '<td class="bt-date">%s</td></tr>' % (p, html.escape(t), html.escape(t), d)
                     for p, t, d in items)
    pager = ['<a href="%s">首页</a>' % url(1),
             '<a href="%s">上一页</a>' % url(page - 1) if page > 1 else "<span>上一页</span>",
             '<a href="%s">下一页</a>' % url(page + 1) if page < pages else "<span>下一页</span>",
             '<a href="%s">尾页</a>' % url(pages), "<span>第%d页/共%d页</span>" % (page, pages)]
    return ("""<!DOCTYPE html>
<html>
<head>
<meta http-equiv="Content-Type" content="text/html; charset=utf-8">
<title>政府信息公开年报</title>
</head>
<body>
<div class="menu"><ul>
<li><a href="/col/other1230/index.html">政府信息公开指南</a></li>
<li><a href="/col/other1231/index.html">政府信息公开制度</a></li>
<li><a href="/col/col%(col)d/index.html">政府信息公开年报</a></li>
</ul></div>
<table class="tb_list" width="100%%">
%(rows)s
</table>
<div class="pager">%(pager)s</div>
</body>
</html>
""" % {"col": col, "rows": rows, "pager": " ".join(pager)}).encode()


class Portal:
    def __init__(self, args):
        self.args = args
        flavors = ("word", "plain") if args.flavor == "both" else (args.flavor,)
        self.variants = report_variants(args.page_kib * 1024, flavors)
        self.robots = b"# benchmark portal: everything may be crawled\nUser-agent: *\nAllow: /\n"
        self.lists = {}  # (host, path) -> bytes
        self.sources = []
        self.hosts = [host_address(i) for i in range(args.hosts)]
        self.reports = {}  # column -> its number of reports
        rng = random.Random(args.seed)
        col = 1000
        for h, addr in enumerate(self.hosts):
            for _ in range(args.sources_per_host):
                col += 1
                self.reports[col] = self.report_count(rng, col == 1001)
                self.add_source(h, addr, col)

    def report_count(self, rng, first):
        a = self.args
        if a.skew == "none" or first:
            return a.reports
        n = int(round(rng.lognormvariate(math.log(a.median_reports), a.sigma)))
        return max(1, min(a.reports, n))

    def report_ref(self, col, n):
        """Path, title and date of report n (1-based) of column col."""
        title, _, _ = self.variants[(col * 7 + n) % len(self.variants)]
        day = 1 + (n % 28)
        month = 1 + (n // 28) % 12
        return "/art/2021/%d/%d/art_%d_%d.html" % (month, day, col, n), title, "2021-%02d-%02d" % (month, day)

    def add_source(self, h, addr, col):
        a = self.args
        reports = list(range(1, self.reports[col] + 1))
        chunks = [reports[i:i + a.per_list] for i in range(0, len(reports), a.per_list)] or [[]]
        for i, chunk in enumerate(chunks, 1):
            items = [self.report_ref(col, n) for n in chunk]
            # One look-alike per list page: matches report_url-like paths but is not a report.
            items.insert(len(items) // 2, ("/art/pic/art_%d_%d.html" % (col, i),
                                           "政府信息公开工作年度报告（图解）第%d期" % i, "2021-01-20"))
            path = "/col/col%d/index.html" % col if i == 1 else "/col/col%d/index_%d.html" % (col, i)
            self.lists[(addr, path)] = list_page(col, i, len(chunks), items)
        self.sources.append({"name": "bench-h%d-c%d" % (h, col), "host": addr, "column": col,
                             "entry": "http://%s:%%d/col/col%d/index.html" % (addr, col),
                             "list_pages": len(chunks), "reports": self.reports[col]})

    def respond(self, addr, path):
        """(status, content type, [body parts])."""
        body = self.lists.get((addr, path))
        if body is not None:
            return 200, "text/html; charset=utf-8", [body]
        m = REPORT_RE.match(path)
        if m:
            col, n = int(m.group(4)), int(m.group(5))
            if 1 <= n <= self.reports.get(col, 0) and self.report_ref(col, n)[0] == path:
                _, prefix, suffix = self.variants[(col * 7 + n) % len(self.variants)]
                marker = ("\n<!-- bench page %s col %d report %d -->\n" % (addr, col, n)).encode()
                return 200, "text/html; charset=utf-8", [prefix, marker, suffix]
        if PICTURE_RE.match(path):
            return 200, "text/html; charset=utf-8", [b"<html><body><img src=\"x.jpg\"></body></html>\n"]
        if path == "/robots.txt":
            return 200, "text/plain", [self.robots]
        return 404, "text/html; charset=utf-8", [b"<html><body><h1>404 Not Found</h1></body></html>\n"]

    def manifest(self, port):
        sources = []
        for s in self.sources:
            s = dict(s)
            s["entry"] = s["entry"] % port
            sources.append(s)
        sizes = [len(p) + len(q) + 40 for _, p, q in self.variants]
        return {"port": port, "hosts": self.hosts, "sources": sources,
                "totals": {"hosts": len(self.hosts), "sources": len(sources),
                           "list_pages": sum(s["list_pages"] for s in sources),
                           "reports": sum(s["reports"] for s in sources), "robots": len(self.hosts),
                "busiest_source_reports": max((s["reports"] for s in sources), default=0)},
                "report_bytes": {"min": min(sizes), "max": max(sizes), "mean": sum(sizes) // len(sizes)},
                "args": vars(self.args)}


# --------------------------------------------------------------------------------------------
# HTTP/1.1 with keep-alive, GET and HEAD
# --------------------------------------------------------------------------------------------


class Http(asyncio.Protocol):
    portal = None
    served = 0
    by_status = {}  # HTTP status -> responses
    by_host = {}  # host address -> responses

    def connection_made(self, transport):
        self.t = transport
        self.addr = transport.get_extra_info("sockname")[0]
        self.buf = b""

    def data_received(self, data):
        self.buf += data
        while True:
            end = self.buf.find(b"\r\n\r\n")
            if end < 0:
                if len(self.buf) > 65536:
                    self.t.close()
                return
            head, self.buf = self.buf[:end].decode("latin-1"), self.buf[end + 4:]
            lines = head.split("\r\n")
            parts = lines[0].split(" ")
            if len(parts) != 3:
                self.t.close()
                return
            method, target, version = parts
            close = version == "HTTP/1.0"
            if_none_match = if_modified_since = None
            for line in lines[1:]:
                k, _, v = line.partition(":")
                k = k.strip().lower()
                if k == "connection":
                    v = v.strip().lower()
                    close = v == "close" or (version == "HTTP/1.0" and v != "keep-alive")
                elif k == "if-none-match":
                    if_none_match = v.strip()
                elif k == "if-modified-since":
                    if_modified_since = v.strip()
                elif k == "content-length" and v.strip() != "0":
                    self.t.close()  # no request bodies here
                    return
            path = target.split("?", 1)[0]
            if method in ("GET", "HEAD"):
                status, ctype, body = Http.portal.respond(self.addr, path)
            else:
                status, ctype, body = 405, "text/plain", [b"method not allowed\n"]
            etag = ""
            if status == 200 and ctype.startswith("text/html"):
                # Static pages: the ETag names the page (host and path), never its bytes.
                etag = '"%08x"' % zlib.crc32(("%s%s" % (self.addr, path)).encode())
                if (if_none_match == etag if if_none_match is not None
                        else if_modified_since == LAST_MODIFIED):
                    status, body = 304, []
            length = sum(len(b) for b in body)
            reason = {200: "OK", 304: "Not Modified", 404: "Not Found", 405: "Method Not Allowed"}[status]
            hdr = ("HTTP/1.1 %d %s\r\nServer: BenchPortal/1.0\r\nContent-Type: %s\r\nContent-Length: %d\r\n"
                   "Last-Modified: %s\r\n%s%s\r\n" % (status, reason, ctype, length, LAST_MODIFIED,
                                                       "ETag: %s\r\n" % etag if etag else "",
                                                       "Connection: close\r\n" if close else "")).encode()
            self.t.writelines([hdr] + ([] if method == "HEAD" else body))
            Http.served += 1
            Http.by_status[status] = Http.by_status.get(status, 0) + 1
            Http.by_host[self.addr] = Http.by_host.get(self.addr, 0) + 1
            if close:
                self.t.close()
                return


def bind(addrs, port):
    """Listening sockets on each address, all on one port (0: the first picks it). Returns
    (sockets, port), or (None, message) when one cannot be bound."""
    socks = []
    for addr in addrs:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((addr, port))
        except OSError as e:
            return None, "cannot listen on %s:%d: %s" % (addr, port, e)
        port = sock.getsockname()[1]  # the first host picks the port, every other host shares it
        sock.listen(1024)
        sock.setblocking(False)
        socks.append(sock)
    return socks, port


async def serve(portal, args, socks, port, ready, stats_path):
    """Serves on socks until SIGTERM/SIGINT or the parent's death; ready() once listening."""
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    Http.portal = portal
    servers = [await loop.create_server(Http, sock=sock) for sock in socks]
    ready()
    parent = os.getppid()
    while not stop.is_set():
        try:
            await asyncio.wait_for(stop.wait(), 0.5)
        except asyncio.TimeoutError:
            if not args.no_parent_watch and os.getppid() != parent:
                break
    for s in servers:
        s.close()
    if stats_path:
        with open(stats_path, "w", encoding="utf-8") as f:
            json.dump({"served": Http.served, "by_status": Http.by_status, "by_host": Http.by_host}, f)
    return 0


def run(portal, args):
    """Hosts in slices of --hosts-per-process: this process serves the first, a forked child
    each other one (a process's listening sockets count against its RLIMIT_NOFILE, whose hard
    limit an unprivileged container cannot raise). READY once every slice listens."""
    per = max(1, args.hosts_per_process)
    slices = [portal.hosts[i:i + per] for i in range(0, len(portal.hosts), per)]
    socks, port = bind(slices[0], args.port)
    if socks is None:
        print("bench_portal: %s" % port, file=sys.stderr)
        return 2
    children = []
    for i, addrs in enumerate(slices[1:], 1):
        r, w = os.pipe()
        pid = os.fork()
        if pid == 0:  # a child: its slice only
            os.close(r)
            for sock in socks:
                sock.close()
            mine, _ = bind(addrs, port)
            if mine is None:
                os._exit(2)
            stats = "%s.%d" % (args.stats, i) if args.stats else None
            code = asyncio.run(serve(portal, args, mine, port, lambda: os.write(w, b"1"), stats))
            os._exit(code)
        os.close(w)
        ok = os.read(r, 1) == b"1"
        os.close(r)
        children.append(pid)
        if not ok:
            print("bench_portal: slice %d could not listen on port %d" % (i, port), file=sys.stderr)
            for c in children:
                os.kill(c, signal.SIGTERM)
            return 2

    def ready():
        if args.manifest:
            tmp = args.manifest + ".tmp"
            with open(tmp, "w", encoding="utf-8") as f:
                json.dump(portal.manifest(port), f, ensure_ascii=False, indent=1)
            os.replace(tmp, args.manifest)
        print("READY %d" % port, flush=True)

    code = asyncio.run(serve(portal, args, socks, port, ready, args.stats))
    for c in children:
        os.kill(c, signal.SIGTERM)
    for c in children:
        os.waitpid(c, 0)
    if args.stats and children:  # one file: every slice's counts added up
        with open(args.stats, encoding="utf-8") as f:
            total = json.load(f)
        for i in range(1, len(children) + 1):
            try:
                with open("%s.%d" % (args.stats, i), encoding="utf-8") as f:
                    part = json.load(f)
            except OSError:
                continue
            total["served"] += part["served"]
            for key in ("by_status", "by_host"):
                for k, v in part[key].items():
                    total[key][k] = total[key].get(k, 0) + v
        with open(args.stats, "w", encoding="utf-8") as f:
            json.dump(total, f)
    return code


def raise_fd_limit(hosts):
    """One listening socket per host plus room for connections; the soft limit first, then (as
    root) the hard one. Returns the soft limit in force."""
    want = hosts + 8192
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < want:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (want, max(hard, want)))
        except (ValueError, OSError):
            resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--hosts", type=int, default=50)
    ap.add_argument("--sources-per-host", type=int, default=1, help="columns (sources) per host")
    ap.add_argument("--reports", type=int, default=200, help="report pages per source")
    ap.add_argument("--per-list", type=int, default=20, help="reports named per list page")
    ap.add_argument("--page-kib", type=int, default=0, help="pad report pages to this size (0: as rendered)")
    ap.add_argument("--flavor", choices=("both", "word", "plain"), default="both",
                    help="report markup: Word export (74-98 KB as rendered), plain (11-18 KB), or both")
    ap.add_argument("--port", type=int, default=0, help="0: a free port (the same on every host address)")
    ap.add_argument("--manifest", help="write the manifest (JSON) here before READY")
    ap.add_argument("--no-parent-watch", action="store_true")
    ap.add_argument("--skew", choices=("none", "lognormal"), default="none",
                    help="none: --reports per source; lognormal: see --median-reports, --sigma")
    ap.add_argument("--median-reports", type=float, default=12, help="lognormal: median reports per source")
    ap.add_argument("--sigma", type=float, default=1.0, help="lognormal: sigma of ln(reports)")
    ap.add_argument("--seed", type=int, default=19, help="lognormal: random seed")
    ap.add_argument("--hosts-per-process", type=int, default=10000,
                    help="hosts served by one process (a forked child serves each further slice)")
    ap.add_argument("--stats", help="write responses by status and host (JSON) here on exit")
    args = ap.parse_args(argv)
    if not (1 <= args.hosts <= 250 * 250) or args.sources_per_host < 1 or args.reports < 0 or args.per_list < 1:
        ap.error("bad sizes")
    t0 = time.monotonic()
    nofile = raise_fd_limit(min(args.hosts, args.hosts_per_process))
    portal = Portal(args)
    print("bench_portal: %d hosts, %d sources, %d reports, built in %.1fs, RLIMIT_NOFILE %d"
          % (len(portal.hosts), len(portal.sources), sum(portal.reports.values()), time.monotonic() - t0,
             nofile),
          file=sys.stderr, flush=True)
    return run(portal, args)


if __name__ == "__main__":
    sys.exit(main())
