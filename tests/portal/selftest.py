#!/usr/bin/env python3
"""Self-check of the local test portal (tests/portal/local_portal.py). Standard library only.

Starts the portal with --base-port 0 under the same interpreter, exercises every host
(lists, reports, validators and 304, GBK pages, attachments, robots.txt, failures and
retries, the stalled page, the redirect loop, the 20 MiB pages, the revise/revert/reset controls,
every misbehaviour mode on the wire, the request log), checks that examples/local-portal.toml selects exactly the manifest's
reports, stops the portal with SIGTERM, and checks that it also dies with its parent.

Prints one line per failed check and "N passed, M failed"; exits 1 when anything failed.
Usage: python3 tests/portal/selftest.py [-v]
"""

import hashlib
import http.client
import io
import json
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import zipfile
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlencode, urljoin, urlsplit

from local_portal import CMS_SITES  # noqa: E402  (the named hosts, in port order)

HERE = Path(__file__).resolve().parent
PORTAL = HERE / "local_portal.py"
SOURCES = HERE.parent.parent / "examples" / "local-portal.toml"
UA = "nianbao-portal-selftest/1"

VERBOSE = "-v" in sys.argv
passed = 0
failed = 0


def check(name, cond, detail=""):
    global passed, failed
    if cond:
        passed += 1
        if VERBOSE:
            print("ok    %s" % name)
    else:
        failed += 1
        print("FAIL  %s%s" % (name, (": %s" % detail) if detail else ""))
    return cond


# ---- HTTP helpers ---------------------------------------------------------------------------


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None


OPENER = urllib.request.build_opener(NoRedirect)


class Resp:
    def __init__(self, status, headers, body):
        self.status, self.headers, self.body = status, headers, body


def fetch(url, method="GET", headers=None, timeout=10, data=None):
    """One request without following redirects; HTTP errors are answers, not exceptions."""
    h = {"User-Agent": UA}
    h.update(headers or {})
    req = urllib.request.Request(url, method=method, headers=h, data=data)
    try:
        with OPENER.open(req, timeout=timeout) as r:
            return Resp(r.status, r.headers, r.read())
    except urllib.error.HTTPError as e:
        body = e.read() if e.fp else b""
        return Resp(e.code, e.headers, body)


def raw_get(port, path, timeout=5):
    """GET over a bare socket that asks for keep-alive and reads until the server closes:
    (status, {lower-case header: value}, body, closed). closed is False when the server kept
    the connection open (the read timed out), so a close-delimited answer can be told apart."""
    sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    sock.sendall(("GET %s HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nUser-Agent: %s\r\nConnection: keep-alive\r\n\r\n"
                  % (path, port, UA)).encode("ascii"))
    data, closed = b"", False
    try:
        while True:
            piece = sock.recv(65536)
            if not piece:
                closed = True
                break
            data += piece
    except socket.timeout:
        pass
    finally:
        sock.close()
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = {}
    for line in lines[1:]:
        k, _, v = line.partition(":")
        headers[k.strip().lower()] = v.strip()
    return int(lines[0].split()[1]), headers, body, closed


class Links(HTMLParser):
    """(href, text) of every <a href> outside <script> (html.parser keeps script text raw)."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.links, self._href, self._text = [], None, []

    def handle_starttag(self, tag, attrs):
        if tag == "a":
            self._href = dict(attrs).get("href")
            self._text = []

    def handle_data(self, data):
        if self._href is not None:
            self._text.append(data)

    def handle_endtag(self, tag):
        if tag == "a" and self._href is not None:
            self.links.append((self._href, "".join(self._text).strip()))
            self._href = None


def links_of(html_text):
    p = Links()
    p.feed(html_text)
    return p.links


# ---- portal process -------------------------------------------------------------------------


def start_portal(extra_args=(), python=sys.executable):
    """Starts the portal; returns (process, {host: port})."""
    proc = subprocess.Popen([python, str(PORTAL), "--base-port", "0"] + list(extra_args),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    ports = {}
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            raise RuntimeError("portal exited early: %s" % proc.stderr.read())
        line = line.strip()
        m = re.fullmatch(r"LISTENING (host\d+|cms-[a-z-]+) 127\.0\.0\.1:(\d+)", line)
        if m:
            ports[m.group(1)] = int(m.group(2))
        elif line == "READY":
            return proc, ports
        else:
            raise RuntimeError("unexpected portal output: %r" % line)
    raise RuntimeError("portal not READY in time")


def pid_alive(pid):
    try:
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                if line.startswith("State:"):
                    return "Z" not in line.split()[1]
    except OSError:
        return False
    return True


# ---- the checks -----------------------------------------------------------------------------


# Every host in port order: the numbered ones, then the rows of local_portal.CMS_SITES.
ALL_HOSTS = ["host1", "host2", "host3"] + list(CMS_SITES)


def test_startup(ports):
    check("three hosts and the CMS hosts listening", sorted(ports) == sorted(ALL_HOSTS), ports)
    check("distinct ports", len(set(ports.values())) == len(ports), ports)


def test_manifest(base, m):
    hosts = m.get("hosts", {})
    check("manifest: hosts", sorted(hosts) == sorted(ALL_HOSTS), sorted(hosts))
    # Every host's home page leads to its column (directly or through one page), decoys aside.
    for name, h in hosts.items():
        check("manifest %s: discover_entries" % name, h.get("discover_entries")
              and h.get("discover_entry") == h["discover_entries"][0], h.get("discover_entries"))
        # A gateway's cookie-replay 302 sets the cookie its pages want back.
        first = fetch(base[name] + h.get("home", "/nohome"))
        cookie = {"Cookie": (first.headers.get("Set-Cookie") or "").split(";")[0]} if first.status == 302 else {}
        home = fetch(base[name] + h.get("home", "/nohome"), headers=cookie) if cookie else first
        check("manifest %s: home page" % name, home.status == 200, home.status)
        pages = [home.body.decode("utf-8")]
        for href, text in links_of(pages[0]):
            if text in ("政府信息公开", "政务公开", "信息公开"):
                pages.append(fetch(urljoin(base[name] + "/", href), headers=cookie).body.decode("utf-8"))
        linked = {urlsplit(urljoin(base[name] + "/", href)).path for p in pages for href, _ in links_of(p)}
        check("manifest %s: home leads to every column" % name,
              set(h.get("discover_entries") or ["?"]) <= linked, linked)
        check("manifest %s: decoys linked" % name, set(h.get("home_decoys", [])) <= linked and h.get("home_decoys"))
    for name, h in hosts.items():
        check("manifest %s: base_url" % name, h.get("base_url") == base[name], h.get("base_url"))
        for key in ("entry", "list_pages", "reports", "non_reports", "disallowed", "trouble", "robots"):
            check("manifest %s: has %s" % (name, key), key in h)
    h1, h2, h3 = hosts["host1"], hosts["host2"], hosts["host3"]
    check("manifest host1: 9 reports (3 towns x 2019-2021)", len(h1["reports"]) == 9, len(h1["reports"]))
    check("manifest host1: years 2019-2021", sorted({r["year"] for r in h1["reports"]}) == [2019, 2020, 2021])
    check("manifest host1: look-alikes", len(h1["non_reports"]) >= 4, len(h1["non_reports"]))
    check("manifest host1: 3 list pages", len(h1["list_pages"]) == 3, h1["list_pages"])
    check("manifest host2: 6 reports", len(h2["reports"]) == 6, len(h2["reports"]))
    check("manifest host2: /private/ disallowed", [d["path"].startswith("/private/") for d in h2["disallowed"]] == [True])
    expects = sorted(t["expect"] for t in h2["trouble"])
    check("manifest host2: retry pages", expects == ["retry_after_then_ok", "retry_then_ok"], expects)
    check("manifest host2: retry pages are reports too",
          {t["path"] for t in h2["trouble"]} <= {r["path"] for r in h2["reports"]})
    check("manifest host3: 2 reports", len(h3["reports"]) == 2, len(h3["reports"]))
    expects = sorted(t["expect"] for t in h3["trouble"])
    check("manifest host3: trouble", expects == ["redirect_loop", "timeout", "too_large", "too_large"], expects)
    check("manifest host3: robots unavailable", h3["robots"] == "unavailable")
    rv = m.get("revise", {})
    check("manifest: revise target", rv.get("host") == "host1"
          and rv.get("path") == "/zfxxgk/zfxxgknb/202101/t20210119_1001.html", rv)


def test_trs_lists(base, m):
    h1 = m["hosts"]["host1"]
    col = base["host1"] + "/zfxxgk/zfxxgknb/"
    seen = []
    for i, page in enumerate(["index.html", "index_1.html", "index_2.html"]):
        r = fetch(col + page)
        check("host1 list %s: 200" % page, r.status == 200, r.status)
        text = r.body.decode("utf-8")
        check("host1 list %s: createPageHTML(3, %d)" % (page, i), 'createPageHTML(3, %d, "index", "html")' % i in text)
        hrefs = [h for h, _ in links_of(text)]
        check("host1 list %s: no link to other list pages" % page,
              not any(re.search(r"index(_\d+)?\.html$", h) for h in hrefs), [h for h in hrefs if "index" in h])
        check("host1 list %s: items as in the brief" % page,
              re.search(r'<li><a href="\./\d{6}/t\d{8}_\d+\.html" target="_blank" title="[^"]+">[^<]+</a>'
                        r'<span>\d{4}-\d{2}-\d{2}</span></li>', text) is not None)
        seen += [urljoin(col + page, h) for h in hrefs if re.search(r"t\d{8}_\d+\.html$", h)]
    r = fetch(col + "index_3.html")
    check("host1 list index_3.html: 404", r.status == 404, r.status)
    expected = {base["host1"] + x["path"] for x in h1["reports"] + h1["non_reports"]}
    check("host1 lists link every report and look-alike once", sorted(seen) == sorted(expected),
          set(seen) ^ expected)
    r1, r2 = fetch(col), fetch(col + "index.html")
    check("host1 column directory URL = index.html", r1.body == r2.body and r1.headers["ETag"] == r2.headers["ETag"])
    r = fetch(base["host1"] + "/zfxxgk/zfxxgknb")
    check("host1 column without slash: 301", r.status == 301 and r.headers["Location"] == "/zfxxgk/zfxxgknb/",
          (r.status, r.headers.get("Location")))


def test_hanweb_lists(base, m):
    h2 = m["hosts"]["host2"]
    url = base["host2"] + "/col/col1234/index.html"
    pages, seen = [], []
    while url and len(pages) < 10:
        r = fetch(url)
        check("host2 list %s: 200" % urlsplit(url).path, r.status == 200, r.status)
        pages.append(urlsplit(url).path)
        nxt = None
        for href, text in links_of(r.body.decode("utf-8")):
            if text == "下一页":
                nxt = urljoin(url, href)
            elif "/art/" in href:
                seen.append(urljoin(url, href))
        url = nxt
    check("host2: 3 list pages via 下一页", pages == ["/col/col1234/index.html", "/col/col1234/index_2.html",
                                                    "/col/col1234/index_3.html"], pages)
    expected = {base["host2"] + x["path"] for x in h2["reports"] + h2["non_reports"] + h2["disallowed"]}
    check("host2 lists link every report, look-alike and the private report", set(seen) == expected,
          set(seen) ^ expected)


# The hosts of lists fed by APIs, in port order, with their sources' adapters.
LIST_HOSTS = {"cms-trs-search": "trs-search", "cms-gkmlpt": "gkmlpt", "cms-jpaas": "jpaas",
              "cms-numbered": "trs", "cms-jsonp": "list"}


def api_links(base, m):
    """host -> every record URL its list gives, read the way the real CMS's own page does."""
    out = {}
    b = base["cms-trs-search"]
    page = fetch(b + "/zwgk/zfxxgkndbg/index.htm").body.decode("utf-8")
    urls = {urljoin(b + "/zwgk/zfxxgkndbg/index.htm", h) for h, _ in links_of(page) if "/t20" in h}
    for n in (1, 2, 3):
        r = fetch(b + "/fjdzapp/search", method="POST", headers={"X-Requested-With": "XMLHttpRequest"},
                  data=b"channelid=884417&classsql=chnlid%3D884417&page=" + str(n).encode() + b"&prepage=10")
        urls |= {d["docpuburl"] for d in json.loads(r.body)["data"]}
    out["cms-trs-search"] = urls
    b = base["cms-gkmlpt"]
    urls = set()
    for n in (1, 2, 3):
        r = json.loads(fetch(b + "/gkmlpt/api/all/annualreport?page=%d&sid=755031" % n).body)
        urls |= {a["url"].split("#")[0] for a in r["articles"]}
    out["cms-gkmlpt"] = urls
    b = base["cms-jpaas"]
    urls = set()
    for n in (1, 2, 3):
        q = urlencode({"webId": "8c9f2a", "pageId": "7716", "parseType": "bulidstatic", "pageType": "column",
                       "tagId": "list1", "tplSetId": "p1Tq", "paramJson": json.dumps({"pageNo": n, "pageSize": "15"})})
        r = json.loads(fetch(b + "/jpaas-publish-server/front/page/build/unit?" + q).body)
        urls |= {urljoin(b + "/", h) for h, _ in links_of(r["data"]["html"])}
    out["cms-jpaas"] = urls
    b = base["cms-numbered"]
    urls = set()
    for n in (1, 2, 3):
        page = fetch(b + "/xxgk/ndbg/%d.html" % n).body.decode("utf-8")
        urls |= {urljoin(b + "/xxgk/ndbg/", h) for h, _ in links_of(page) if "/t20" in h}
    out["cms-numbered"] = urls
    b = base["cms-jsonp"]
    col = b + "/xxgk/nb/index.html"
    urls = set()
    for n in (1, 2, 3):
        r = fetch(b + "/api/nb/list.jsp?callback=cb&col=32&page=%d&size=5" % n, headers={"Referer": col})
        text = r.body.decode("utf-8")
        urls |= {urljoin(col, row["link"]) for row in json.loads(text[len("cb("):-len(");")])["rows"]}
    out["cms-jsonp"] = urls
    return out


def test_list_hosts(base, m):
    """The API-fed hosts answer like their CMS, and their lists hold exactly the manifest's
    reports and look-alikes; each has a home page that links its column."""
    for host, links in api_links(base, m).items():
        h = m["hosts"][host]
        want = {x["url"] for x in h["reports"] + h["non_reports"]}
        check("%s: the list gives every report and look-alike" % host, links == want, links ^ want)
        check("%s: reports and look-alikes" % host, len(h["reports"]) >= 5 and len(h["non_reports"]) >= 1,
              [len(h["reports"]), len(h["non_reports"])])
        check("%s: the home page leads to the column" % host, h.get("discover_entries") == [h["entry"]],
              h.get("discover_entries"))
    b = base["cms-trs-search"]
    check("cms-trs-search: GET of the API is a 405", fetch(b + "/fjdzapp/search").status == 405)
    check("cms-trs-search: no X-Requested-With, 403",
          fetch(b + "/fjdzapp/search", method="POST", data=b"channelid=884417&page=2&prepage=10").status == 403)
    check("cms-gkmlpt: a wrong sid is a 400",
          fetch(base["cms-gkmlpt"] + "/gkmlpt/api/all/annualreport?page=1&sid=1").status == 400)
    check("cms-gkmlpt: the page holds only _CONFIG",
          "SID: '755031'" in fetch(base["cms-gkmlpt"] + "/gkmlpt/annualreport").body.decode("utf-8"))
    check("cms-jsonp: no Referer, 404",
          fetch(base["cms-jsonp"] + "/api/nb/list.jsp?callback=cb&col=32&page=1&size=5").status == 404)
    check("cms-numbered: no page 4", fetch(base["cms-numbered"] + "/xxgk/ndbg/4.html").status == 404)


def test_report_pages(base, m):
    for host in ("host1", "host2", "host3"):
        flaky = {t["path"] for t in m["hosts"][host]["trouble"]}
        for rep in m["hosts"][host]["reports"]:
            if rep["path"] in flaky:
                continue
            url = base[host] + rep["path"]
            r = fetch(url)
            name = "%s %s" % (host, rep["path"])
            if not check(name + ": 200", r.status == 200, r.status):
                continue
            etag, lm = r.headers.get("ETag"), r.headers.get("Last-Modified")
            check(name + ": strong quoted ETag", bool(etag) and re.fullmatch(r'"[0-9a-f]{16,}"', etag), etag)
            check(name + ": Last-Modified", bool(lm) and lm.endswith(" GMT"), lm)
            text = r.body.decode(rep["charset"])
            check(name + ": ArticleTitle/PubDate metas",
                  '<meta name="ArticleTitle" content="%s"' % rep["title"] in text and 'name="PubDate"' in text)
            check(name + ": real tables", text.count("<table") >= 2 and "<td" in text)
            check(name + ": table cells from the seed", "总体情况" in text and text.count("<td") > 20)
            r2 = fetch(url, headers={"If-None-Match": etag})
            check(name + ": If-None-Match -> 304 empty", r2.status == 304 and r2.body == b"", r2.status)
            check(name + ": 304 repeats ETag", r2.headers.get("ETag") == etag)
            r3 = fetch(url, headers={"If-Modified-Since": lm})
            check(name + ": If-Modified-Since -> 304", r3.status == 304 and r3.body == b"", r3.status)
            r4 = fetch(url, headers={"If-None-Match": '"0000"', "If-Modified-Since": lm})
            check(name + ": other ETag -> 200 (If-None-Match wins)", r4.status == 200, r4.status)
            r5 = fetch(url)
            check(name + ": deterministic", r5.body == r.body and r5.headers.get("ETag") == etag)
    # list pages have validators too
    r = fetch(base["host2"] + "/col/col1234/index_2.html")
    r2 = fetch(base["host2"] + "/col/col1234/index_2.html", headers={"If-None-Match": r.headers["ETag"]})
    check("host2 list page: 304", r2.status == 304, r2.status)
    r = fetch(base["host1"] + m["hosts"]["host1"]["reports"][0]["path"], method="HEAD")
    check("HEAD: headers, no body", r.status == 200 and r.body == b"" and int(r.headers["Content-Length"]) > 1000)


def test_trs_article(base, m):
    url = base["host1"] + "/zfxxgk/zfxxgknb/202101/t20210119_1001.html"
    text = fetch(url).body.decode("utf-8")
    for needle in ('<div class="TRS_Editor">', "当前位置", "发布日期：2021-01-19", 'class="footer"', "<script",
                   'content="洛市镇2020年政府信息公开工作年度报告"'):
        check("host1 article chrome: %s" % needle, needle in text)
    text = fetch(base["host2"] + m["hosts"]["host2"]["reports"][0]["path"]).body.decode("utf-8")
    check("host2 article: Hanweb zoom div", '<div id="zoom"' in text and "您当前的位置" in text)


def test_gbk(base, m):
    reps = {r["path"]: r for r in m["hosts"]["host1"]["reports"]}
    gbk = [p for p, r in reps.items() if r["charset"] == "gbk"]
    check("two GBK reports on host1", len(gbk) == 2, gbk)
    r = fetch(base["host1"] + "/zfxxgk/zfxxgknb/202101/t20210122_1002.html")
    check("GBK by header: Content-Type", r.headers.get("Content-Type") == "text/html; charset=gbk",
          r.headers.get("Content-Type"))
    try:
        r.body.decode("utf-8")
        check("GBK by header: not UTF-8", False)
    except UnicodeDecodeError:
        check("GBK by header: not UTF-8", True)
    text = r.body.decode("gbk")
    check("GBK by header: decodes as GBK", "洛碛镇" in text and "政府信息公开工作年度报告" in text)
    check("GBK by header: no meta charset", "charset" not in text.split("</head>")[0].lower())
    r = fetch(base["host1"] + "/zfxxgk/zfxxgknb/202001/t20200123_1023.html")
    check("GBK by meta: bare Content-Type", r.headers.get("Content-Type") == "text/html", r.headers.get("Content-Type"))
    check("GBK by meta: <meta charset=gb2312>", b'<meta charset="gb2312">' in r.body)
    try:
        r.body.decode("utf-8")
        check("GBK by meta: not UTF-8", False)
    except UnicodeDecodeError:
        check("GBK by meta: not UTF-8", True)
    check("GBK by meta: decodes as GBK", "王店镇2019年度政府信息公开工作年度报告" in r.body.decode("gbk"))


def test_attachments(base, m):
    atts = m["hosts"]["host1"]["attachments"]
    check("attachments: a .pdf and a .docx", sorted(a["path"].rsplit(".", 1)[1] for a in atts) == ["docx", "pdf"])
    page = fetch(base["host1"] + atts[0]["report"]).body.decode("utf-8")
    for a in atts:
        r = fetch(base["host1"] + a["path"])
        name = a["path"].rsplit("/", 1)[1]
        check("attachment %s: 200 %s" % (name, a["content_type"]),
              r.status == 200 and r.headers["Content-Type"] == a["content_type"], r.status)
        check("attachment %s: linked from its report" % name, './%s"' % name in page)
        if name.endswith(".pdf"):
            check("attachment pdf: %PDF...%%EOF", r.body.startswith(b"%PDF-") and r.body.rstrip().endswith(b"%%EOF"))
        else:
            z = zipfile.ZipFile(io.BytesIO(r.body))
            check("attachment docx: zip with word/document.xml", "word/document.xml" in z.namelist())


def test_robots(base):
    r = fetch(base["host1"] + "/robots.txt")
    check("host1 robots: 200 allow-all with comment", r.status == 200 and b"#" in r.body
          and b"Disallow" not in r.body and b"User-agent: *" in r.body, r.body)
    r = fetch(base["host2"] + "/robots.txt")
    check("host2 robots: Disallow /private/", r.status == 200 and r.body == b"User-agent: *\nDisallow: /private/\n",
          r.body)
    r = fetch(base["host3"] + "/robots.txt")
    check("host3 robots: 404", r.status == 404, r.status)


def test_retries(base, m):
    fetch(base["host2"] + "/__control/reset", method="POST", data=b"")
    by = {t["expect"]: t["path"] for t in m["hosts"]["host2"]["trouble"]}
    url = base["host2"] + by["retry_then_ok"]
    statuses = [fetch(url).status for _ in range(4)]
    check("500, 500, 200, 200", statuses == [500, 500, 200, 200], statuses)
    url = base["host2"] + by["retry_after_then_ok"]
    r1, r2 = fetch(url), fetch(url)
    check("429 with Retry-After: 2, then 200", r1.status == 429 and r1.headers.get("Retry-After") == "2"
          and r2.status == 200, (r1.status, r1.headers.get("Retry-After"), r2.status))
    fetch(base["host3"] + "/__control/reset", method="POST", data=b"")  # any host resets all
    statuses = [fetch(base["host2"] + by["retry_then_ok"]).status for _ in range(3)]
    check("reset restarts the failure counters", statuses == [500, 500, 200], statuses)


def test_revise(base, m):
    rv = m["revise"]
    url = base["host1"] + rv["path"]
    before = fetch(url)
    r = fetch(base["host2"] + "/__control/revise", method="POST", data=b"")
    check("revise: 200", r.status == 200, r.status)
    after = fetch(url)
    check("revise: ETag changes", after.headers["ETag"] != before.headers["ETag"])
    check("revise: Last-Modified later", after.headers["Last-Modified"] == rv["last_modified_after"]
          and before.headers["Last-Modified"] == rv["last_modified_before"])

    def row(body):
        text = re.sub(r"<[^>]+>", "|", body.decode("utf-8"))
        mm = re.search(re.escape(rv["row"]) + r"[|\s]+(\d+)[|\s]+(\d+)[|\s]+(\d+)", text)
        return list(mm.groups()) if mm else None

    check("revise: row numbers changed", row(before.body) == rv["before"] and row(after.body) == rv["after"],
          (row(before.body), row(after.body)))
    r = fetch(url, headers={"If-None-Match": before.headers["ETag"]})
    check("revise: old ETag -> 200", r.status == 200, r.status)
    r = fetch(url, headers={"If-Modified-Since": before.headers["Last-Modified"]})
    check("revise: old Last-Modified -> 200", r.status == 200, r.status)
    r = fetch(url, headers={"If-None-Match": after.headers["ETag"]})
    check("revise: new ETag -> 304", r.status == 304, r.status)
    fetch(base["host1"] + "/__control/reset", method="POST", data=b"")
    check("reset: original again", fetch(url).headers["ETag"] == before.headers["ETag"])
    r = fetch(base["host1"] + "/__control/revise")
    check("revise needs POST", r.status == 405, r.status)


def test_publish_late(base, m):
    """POST /__control/publish-late: host1's late 2022 report is listed and served only after
    it; unpublish-late and reset take it away."""
    late = m["hosts"]["host1"]["late"]
    url = base["host1"] + late["path"]
    col = base["host1"] + "/zfxxgk/zfxxgknb/index.html"
    listed = lambda: any(late["path"].endswith(h.lstrip(".")) for h, _ in links_of(fetch(col).body.decode()))  # noqa: E731
    check("late: 404 before", fetch(url).status == 404)
    check("late: unlisted before", not listed())
    check("late: not among the reports", late["path"] not in {r["path"] for r in m["hosts"]["host1"]["reports"]})
    r = fetch(base["host2"] + "/__control/publish-late", method="POST", data=b"")
    check("publish-late: 200", r.status == 200, r.status)
    page = fetch(url)
    check("late: served", page.status == 200 and "2022年政府信息公开工作年度报告" in page.body.decode(), page.status)
    check("late: listed", listed())
    check("late: year and date", late["year"] == 2022 and late["published"] == "2023-02-20", late)
    fetch(base["host1"] + "/__control/unpublish-late", method="POST", data=b"")
    check("unpublish-late: 404", fetch(url).status == 404)
    fetch(base["host1"] + "/__control/publish-late", method="POST", data=b"")
    fetch(base["host1"] + "/__control/reset", method="POST", data=b"")
    check("reset: late report gone", fetch(url).status == 404 and not listed())


def misbehave(base, host, path, mode, via="host3"):
    """POST /__control/misbehave (on another host than the page's: any host answers)."""
    return fetch(base[via] + "/__control/misbehave?host=%s&path=%s&mode=%s" % (host, path, mode),
                 method="POST", data=b"")


def test_misbehave(base, m):
    """Every misbehaviour mode on the wire, then normal, revert and reset."""
    modes = m.get("misbehave_modes", {})
    check("manifest: misbehave_modes", sorted(modes) == sorted([
        "truncated", "close_delimited", "maintenance", "empty", "error_redirect", "counter", "deleted", "gone",
        "gone410", "moved_to_column"]) and all(isinstance(d, str) and d for d in modes.values()), modes)
    h1 = m["hosts"]["host1"]
    port1 = h1["port"]
    page = [r["path"] for r in h1["reports"] if not r.get("revisable") and r["charset"] == "utf-8"][0]
    url = base["host1"] + page
    normal = fetch(url)
    try:
        # truncated: close-delimited, a strict prefix, a different cut on each request
        check("misbehave truncated: set", misbehave(base, "host1", page, "truncated").status == 200)
        cuts = [raw_get(port1, page) for _ in range(3)]
        for i, (status, hdrs, body, closed) in enumerate(cuts, 1):
            name = "misbehave truncated #%d" % i
            check(name + ": 200, page headers, no length", status == 200 and "content-length" not in hdrs
                  and "transfer-encoding" not in hdrs and hdrs.get("connection", "").lower() == "close"
                  and hdrs.get("etag") == normal.headers["ETag"]
                  and hdrs.get("last-modified") == normal.headers["Last-Modified"], hdrs)
            check(name + ": the server closes", closed)
            check(name + ": a strict prefix", 0 < len(body) < len(normal.body) and normal.body.startswith(body),
                  len(body))
        lengths = [len(c[2]) for c in cuts]
        check("misbehave truncated: 50%, 70%, 30% of the body", lengths == [len(normal.body) * p // 100
                                                                        for p in (50, 70, 30)], lengths)
        r = fetch(url, headers={"If-None-Match": normal.headers["ETag"]})
        check("misbehave truncated: conditions ignored (200, not 304)", r.status == 200, r.status)
        # close_delimited: the whole body, then close
        misbehave(base, "host1", page, "close_delimited")
        status, hdrs, body, closed = raw_get(port1, page)
        check("misbehave close_delimited: no length, closes, whole body", status == 200
              and "content-length" not in hdrs and "transfer-encoding" not in hdrs and closed
              and body == normal.body, (status, hdrs, len(body), closed))
        # maintenance
        misbehave(base, "host1", page, "maintenance")
        r = fetch(url)
        text = r.body.decode("utf-8")
        check("misbehave maintenance: 200 系统维护 page", r.status == 200 and "<title>系统维护</title>" in text
              and "网站系统维护中，请稍后访问。" in text and "总体情况" not in text
              and r.headers["Content-Length"] == str(len(r.body)) and r.headers["ETag"] != normal.headers["ETag"],
              (r.status, text[:200]))
        # empty
        misbehave(base, "host1", page, "empty")
        r = fetch(url)
        check("misbehave empty: 200, Content-Length 0", r.status == 200 and r.body == b""
              and r.headers["Content-Length"] == "0"
              and r.headers["Content-Type"] == "text/html; charset=utf-8", (r.status, dict(r.headers)))
        # error_redirect: 302 to /error.html, which lies with a 200
        misbehave(base, "host1", page, "error_redirect")
        r = fetch(url)
        check("misbehave error_redirect: 302 /error.html", r.status == 302 and r.headers["Location"] == "/error.html",
              (r.status, r.headers.get("Location")))
        for host in ("host1", "host2", "host3"):
            e = fetch(base[host] + "/error.html", headers={"If-Modified-Since": normal.headers["Last-Modified"]})
            check("%s /error.html: 200 error page" % host, e.status == 200
                  and "对不起，您访问的页面不存在或已被删除" in e.body.decode("utf-8"), e.status)
        # counter: every answer differs, only in the chrome
        misbehave(base, "host1", page, "counter")
        c1, c2 = fetch(url), fetch(url, headers={"If-None-Match": normal.headers["ETag"]})
        t1, t2 = c1.body.decode("utf-8"), c2.body.decode("utf-8")
        check("misbehave counter: 浏览次数：1 then 2", "浏览次数：1 " in t1 and "浏览次数：2 " in t2
              and c1.body != c2.body, (t1[:300], t2[:300]))
        check("misbehave counter: 当前时间", re.search(r"当前时间：\d{4}-\d\d-\d\d \d\d:\d\d:\d\d", t1) is not None)
        check("misbehave counter: ETag of the bytes sent, Last-Modified of the page",
              c1.headers["ETag"] == '"%s"' % hashlib.sha256(c1.body).hexdigest()[:32]
              and c1.headers["ETag"] != c2.headers["ETag"]
              and c1.headers["Last-Modified"] == normal.headers["Last-Modified"])
        check("misbehave counter: conditional request never 304", c2.status == 200, c2.status)

        def report_body(b):
            return b.split(b'<div class="TRS_Editor">', 1)[1].split(b'<div class="article-tools">', 1)[0]

        check("misbehave counter: report body byte-identical",
              report_body(c1.body) == report_body(c2.body) == report_body(normal.body))
        check("misbehave counter: only the visit line added",
              re.sub(rb'\n<div class="visit">[^<]*</div>', b"", c1.body, count=1) == normal.body)
        gbk = "/zfxxgk/zfxxgknb/202001/t20200123_1023.html"  # GBK announced only by <meta>
        misbehave(base, "host1", gbk, "counter")
        r = fetch(base["host1"] + gbk)
        check("misbehave counter: GBK page gets GBK chrome", "浏览次数：1 " in r.body.decode("gbk"))
        misbehave(base, "host1", gbk, "normal")
        # deleted: TRS stub refreshing to the column
        misbehave(base, "host1", page, "deleted")
        r = fetch(url)
        text = r.body.decode("utf-8")
        check("misbehave deleted: 200 stub < 1 KB refreshing to the column", r.status == 200 and len(r.body) < 1024
              and '<meta http-equiv="refresh" content="0;url=%s">' % h1["entry"] in text and "该信息已删除" in text,
              (r.status, text))
        p2 = m["hosts"]["host2"]["reports"][0]["path"]
        misbehave(base, "host2", p2, "deleted")
        text = fetch(base["host2"] + p2).body.decode("utf-8")
        check("misbehave deleted: host2's column", 'content="0;url=/col/col1234/index.html"' in text, text)
        # gone, gone410, moved_to_column
        misbehave(base, "host1", page, "gone")
        check("misbehave gone: 404", fetch(url).status == 404)
        misbehave(base, "host1", page, "gone410")
        check("misbehave gone410: 410", fetch(url).status == 410)
        misbehave(base, "host1", page, "moved_to_column")
        r = fetch(url)
        check("misbehave moved_to_column: 302 to entry_url", r.status == 302 and r.headers["Location"] == h1["entry_url"],
              (r.status, r.headers.get("Location")))
        # state, normal
        st = json.loads(fetch(base["host2"] + "/__control/state").body)
        check("state: misbehave", st.get("misbehave", {}).get("host1 " + page) == "moved_to_column"
              and st["misbehave"].get("host2 " + p2) == "deleted", st.get("misbehave"))
        misbehave(base, "host1", page, "normal")
        r = fetch(url)
        check("misbehave normal: the page unchanged", r.status == 200 and r.body == normal.body
              and r.headers["ETag"] == normal.headers["ETag"] and r.headers["Content-Length"] == str(len(r.body)))
        # a mode wraps the revisable report in its current version
        rv = m["revise"]
        orig = fetch(base["host1"] + rv["path"])
        fetch(base["host1"] + "/__control/revise", method="POST", data=b"")
        revised = fetch(base["host1"] + rv["path"])
        misbehave(base, "host1", rv["path"], "close_delimited")
        _, _, body, _ = raw_get(port1, rv["path"])
        check("misbehave close_delimited on the revised report: revised bytes",
              body == revised.body and body != orig.body)
        # revert: original version, modes and counters kept
        r = fetch(base["host2"] + "/__control/revert", method="POST", data=b"")
        check("revert: 200", r.status == 200, r.status)
        fetch(base["host2"] + "/__control/revert", method="POST", data=b"")  # idempotent
        _, _, body, _ = raw_get(port1, rv["path"])
        check("revert: original bytes, still close-delimited", body == orig.body)
        misbehave(base, "host1", rv["path"], "normal")
        r = fetch(base["host1"] + rv["path"])
        check("revert: page equals the original", r.body == orig.body and r.headers["ETag"] == orig.headers["ETag"]
              and r.headers["Last-Modified"] == rv["last_modified_before"])
        st = json.loads(fetch(base["host1"] + "/__control/state").body)
        check("revert: modes kept", st["revised"] == [] and st["misbehave"].get("host2 " + p2) == "deleted", st)
        check("revert needs POST", fetch(base["host1"] + "/__control/revert").status == 405)
        # errors
        r = misbehave(base, "host1", page, "sideways")
        check("misbehave unknown mode: 400", r.status == 400 and "error" in json.loads(r.body), r.status)
        check("misbehave unknown host: 404", misbehave(base, "host9", page, "gone").status == 404)
        check("misbehave unknown path: 404", misbehave(base, "host1", "/nope.html", "gone").status == 404)
        check("misbehave counter on a redirect: 400", misbehave(base, "host3", "/loop/a", "counter").status == 400)
        check("misbehave needs POST", fetch(base["host1"] + "/__control/misbehave?host=host1&path=%s&mode=gone"
                                            % page).status == 405)
        # reset clears every mode
        misbehave(base, "host1", page, "gone")
        fetch(base["host3"] + "/__control/reset", method="POST", data=b"")
        st = json.loads(fetch(base["host1"] + "/__control/state").body)
        check("reset clears modes", st["misbehave"] == {} and fetch(url).body == normal.body, st)
    finally:
        fetch(base["host1"] + "/__control/reset", method="POST", data=b"")


def test_trouble(base, m):
    h3 = base["host3"]
    # redirect loop
    a = fetch(h3 + "/loop/a")
    b = fetch(h3 + "/loop/b")
    check("loop: /loop/a -> /loop/b", a.status == 302 and a.headers["Location"] == h3 + "/loop/b",
          (a.status, a.headers.get("Location")))
    check("loop: /loop/b -> /loop/a", b.status == 302 and b.headers["Location"] == "/loop/a",
          (b.status, b.headers.get("Location")))
    # stalled page: headers at once, then nothing
    t0 = time.monotonic()
    conn = http.client.HTTPConnection("127.0.0.1", m["hosts"]["host3"]["port"], timeout=1.5)
    conn.request("GET", "/xxgk/ndbg/content_3003.html", headers={"User-Agent": UA})
    resp = conn.getresponse()
    check("slow: headers within 1 s", resp.status == 200 and time.monotonic() - t0 < 1.0, time.monotonic() - t0)
    try:
        resp.read(1)
        check("slow: body stalls", False)
    except socket.timeout:
        check("slow: body stalls", True)
    conn.close()
    # 20 MiB pages
    r = fetch(h3 + "/big.html", method="HEAD")
    check("big: Content-Length 20 MiB", r.headers.get("Content-Length") == str(20 * 1024 * 1024),
          r.headers.get("Content-Length"))
    with urllib.request.urlopen(urllib.request.Request(h3 + "/big.html", headers={"User-Agent": UA}),
                                timeout=30) as resp:
        total = 0
        while True:
            chunk = resp.read(1 << 20)
            if not chunk:
                break
            total += len(chunk)
        etag = resp.headers["ETag"]
    check("big: 20 MiB received", total == 20 * 1024 * 1024, total)
    r = fetch(h3 + "/big.html", headers={"If-None-Match": etag})
    check("big: 304 on its ETag", r.status == 304, r.status)
    with urllib.request.urlopen(urllib.request.Request(h3 + "/big-chunked.html", headers={"User-Agent": UA}),
                                timeout=30) as resp:
        check("big-chunked: chunked, no length", resp.headers.get("Transfer-Encoding") == "chunked"
              and resp.headers.get("Content-Length") is None)
        check("big-chunked: streams", len(resp.read(1 << 20)) == 1 << 20)
    # chunked normal report
    with urllib.request.urlopen(urllib.request.Request(h3 + "/xxgk/ndbg/content_3002.html",
                                                       headers={"User-Agent": UA}), timeout=10) as resp:
        body = resp.read()
        check("host3 report 3002: chunked", resp.headers.get("Transfer-Encoding") == "chunked")
        check("host3 report 3002: complete", body.rstrip().endswith(b"</html>") and "上屯镇".encode() in body)
    # list links every trouble page
    text = fetch(h3 + "/xxgk/ndbg/index.html").body.decode("utf-8")
    hrefs = {h for h, _ in links_of(text)}
    wanted = {t["path"] for t in m["hosts"]["host3"]["trouble"]} | {r["path"] for r in m["hosts"]["host3"]["reports"]}
    check("host3 list links reports and trouble", wanted <= hrefs, wanted - hrefs)


def test_misc(base):
    check("unknown path: 404", fetch(base["host1"] + "/nope.html").status == 404)
    r = fetch(base["host1"] + "/zfxxgk/zfxxgknb/index.html", method="POST", data=b"x")
    check("POST to a page: 405", r.status == 405, r.status)
    # keep-alive: two requests on one connection
    port = int(base["host2"].rsplit(":", 1)[1])
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    for p in ("/robots.txt", "/col/col1234/index.html"):
        conn.request("GET", p, headers={"User-Agent": UA + " keepalive"})
        resp = conn.getresponse()
        resp.read()
        check("keep-alive %s: 200" % p, resp.status == 200, resp.status)
    conn.close()


def test_log(base, log_file):
    time.sleep(0.6)  # the stalled request is logged once the portal notices the hang-up
    r = fetch(base["host1"] + "/__control/log")
    check("log: 200 JSON lines", r.status == 200 and r.headers["Content-Type"].startswith("application/x-ndjson"))
    entries = [json.loads(line) for line in r.body.decode("utf-8").splitlines()]
    check("log: not empty", len(entries) > 50, len(entries))
    keys = {"t", "wall", "host", "port", "method", "path", "status", "bytes", "user-agent", "if-none-match",
            "if-modified-since"}
    check("log: fields", all(keys <= set(e) for e in entries), keys - set(entries[0]))
    check("log: no control requests", not any(e["path"].startswith("/__control/") for e in entries))
    check("log: user-agent recorded", all(e["user-agent"] and e["user-agent"].startswith(UA) for e in entries))
    check("log: wall is RFC 3339", re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", entries[0]["wall"]),
          entries[0]["wall"])
    check("log: t is monotonic seconds", all(isinstance(e["t"], float) for e in entries))
    inm = [e for e in entries if e["status"] == 304 and e["if-none-match"]]
    check("log: 304s with if-none-match", len(inm) > 5 and all(e["bytes"] == 0 for e in inm), len(inm))
    ims = [e for e in entries if e["if-modified-since"]]
    check("log: if-modified-since recorded", len(ims) > 5, len(ims))
    big = [e for e in entries if e["path"] == "/big.html" and e["method"] == "GET" and e["status"] == 200]
    check("log: bytes of the big page", any(e["bytes"] == 20 * 1024 * 1024 for e in big),
          [e["bytes"] for e in big])
    slow = [e for e in entries if e["path"] == "/xxgk/ndbg/content_3003.html"]
    check("log: stalled request aborted by the client", len(slow) == 1 and slow[0]["aborted"] and slow[0]["bytes"] == 0
          and slow[0]["dur"] < 5, slow)
    mb = [e for e in entries if "misbehave" in e]
    check("log: misbehaving answers marked", {"truncated", "counter", "gone410"} <= {e["misbehave"] for e in mb}
          and all(e["misbehave"] is not None for e in mb), sorted({e["misbehave"] for e in mb}))
    cut = [e["bytes"] for e in mb if e["misbehave"] == "truncated" and e["method"] == "GET"]
    check("log: truncated answers count the bytes sent", len(set(cut)) == 3, cut)
    ka = [e for e in entries if e["user-agent"] == UA + " keepalive"]
    check("log: keep-alive on one connection", len(ka) == 2 and ka[0]["conn"] == ka[1]["conn"], ka)
    h2 = fetch(base["host1"] + "/__control/log?host=host2").body.decode("utf-8").splitlines()
    check("log: ?host= filter", h2 and all(json.loads(x)["host"] == "host2" for x in h2))
    with open(log_file, encoding="utf-8") as f:
        file_entries = [json.loads(line) for line in f]
    check("log file: same entries", [e["seq"] for e in file_entries] == [e["seq"] for e in entries],
          (len(file_entries), len(entries)))
    check("log: ports", {e["host"]: e["port"] for e in entries} ==
          {h: int(u.rsplit(":", 1)[1]) for h, u in base.items()})


def test_lists_behind_lists(base, m):
    """cms-shells, cms-years and cms-gateway answer as their manifest says."""
    shells = m["hosts"]["cms-shells"]
    for shell, s in shells["shells"].items():
        page = fetch(base["cms-shells"] + shell).body.decode("utf-8")
        marker = {"iframe": '<iframe id="list" src="%s"' % s["target"],
                  "refresh": '<meta http-equiv="refresh" content="0;url=%s">' % s["target"],
                  "script": 'window.location.href = "%s";' % s["target"]}[s["kind"]]
        check("cms-shells: %s is a %s shell" % (shell, s["kind"]), marker in page, page[-400:])
        target = fetch(base["cms-shells"] + s["target"])
        check("cms-shells: %s lists reports" % s["target"], target.status == 200 and b"t20" in target.body)
    years = m["hosts"]["cms-years"]
    col = fetch(base["cms-years"] + years["entry"]).body.decode("utf-8")
    for sub in years["sub_lists"]:
        check("cms-years: the column links %s" % sub, 'href="%s"' % sub in col)
        check("cms-years: %s answers" % sub, fetch(base["cms-years"] + sub).status == 200)
    for host in ("cms-shells", "cms-years", "cms-gateway"):
        check("%s: a home page" % host, m["hosts"][host].get("home") == "/")
    gw = base["cms-gateway"]
    gate = m["hosts"]["cms-gateway"]["gateway"]
    first = fetch(gw + "/")
    cookie = (first.headers.get("Set-Cookie") or "").split(";")[0]
    check("cms-gateway: a 302 to itself that sets the cookie",
          first.status == 302 and first.headers.get("Location") == gw + "/" and cookie.startswith(gate["cookie"] + "="),
          (first.status, dict(first.headers)))
    check("cms-gateway: the page once the cookie comes back", fetch(gw + "/", headers={"Cookie": cookie}).status == 200)
    check("cms-gateway: robots.txt outside the gateway", fetch(gw + "/robots.txt").status == 200)
    for b in gate["blocked"]:
        r = fetch(gw + b["path"], headers={"Cookie": cookie})
        want = 521 if b["answer"] == "521" else 200
        check("cms-gateway: %s answers %d with a challenge" % (b["path"], want),
              r.status == want and b"document.cookie" in r.body and len(r.body) < 1024, (r.status, r.body[:80]))


def test_sources_file(base, m):
    """examples/local-portal.toml, applied the way docs/sources.md says, selects exactly the
    manifest's reports (plus the disallowed and trouble links a crawler must then refuse or
    fail on)."""
    try:
        import tomllib
    except ImportError:  # Python < 3.11
        print("skip  sources file check (no tomllib)")
        return
    with open(SOURCES, "rb") as f:
        cfg = tomllib.load(f)
    # The shapes this walk follows; the other hosts' lists are behind shells, sub-columns or
    # gateways (crawl_portal_test checks them with the crawler itself).
    walked = ("host1", "host2", "host3", "cms-hanweb", "cms-trs")
    default_ports = {h: 18481 + i for i, h in enumerate(ALL_HOSTS)}
    host_of = {p: h for h, p in default_ports.items()}
    source_hosts = [host_of.get(urlsplit(src["entry"][0]).port) for src in cfg["source"]]
    check("sources: a source for every host", set(source_hosts) == set(ALL_HOSTS), source_hosts)
    # The hosts whose lists come from APIs: their sources name the host's port and list adapter
    # (the crawl of tests/crawler/crawl_portal_test.py shows that they find every report);
    # test_list_hosts checks what the APIs answer.
    for src, host in zip(cfg["source"], source_hosts):
        if host in LIST_HOSTS:
            check("sources %s: default port and adapter" % src["name"],
                  (src.get("cms") or "list") == LIST_HOSTS[host], src.get("cms"))
    d = cfg["defaults"]
    check("sources: defaults as briefed", (d["min_delay"], d["max_retries"], d["backoff_base"], d["max_body"])
          == ("200ms", 3, "500ms", "8MiB"))
    for src, host in zip(cfg["source"], source_hosts):
        if host not in walked:
            continue
        entry = src["entry"][0]
        default_port = default_ports[host]
        check("sources %s: default port" % src["name"], urlsplit(entry).port == default_port, entry)
        entry = entry.replace(":%d" % default_port, ":%d" % m["hosts"][host]["port"])
        report_url = re.compile(src.get("report_url", ""))
        report_text = re.compile(src.get("report_text", ""))
        exclude = re.compile(src["exclude_text"]) if src.get("exclude_text") else None
        next_text = re.compile(src["next_page_text"]) if src.get("next_page_text") else None
        queue, done, found = [entry], set(), set()
        n = 1
        while queue and len(done) < 20:
            url = queue.pop(0)
            if url in done:
                continue
            done.add(url)
            r = fetch(url)
            if r.status != 200:
                break
            page = r.body.decode("utf-8")
            if src.get("cms") == "hanweb":
                # The records of the datastore, then the rest from the proxy, as the preset does.
                page += "".join(hanweb_records(entry, page))
            for href, text in links_of(page):
                absu = urljoin(url, href)
                if report_url.search(absu) and report_text.search(text) and not (exclude and exclude.search(text)):
                    found.add(urlsplit(absu).path)
                if next_text and next_text.search(text):
                    queue.append(absu)
            pager = re.search(r"createPageHTML\('[^']*',(\d+),\d+,'(\w+)','(\w+)'", page)
            if pager and url == entry:  # the 1-based pager: index_2 … index_N
                queue += [urljoin(url, "%s_%d.%s" % (pager[2], i, pager[3])) for i in range(2, int(pager[1]) + 1)]
            if src.get("page_pattern"):
                queue.append(urljoin(entry, src["page_pattern"].replace("{n}", str(n))))
                n += 1
        h = m["hosts"][host]
        want = {r["path"] for r in h["reports"]} | {x["path"] for x in h["disallowed"]} \
            | {t["path"] for t in h["trouble"]}
        check("sources %s: finds exactly the manifest's links" % src["name"], found == want, found ^ want)
        check("sources %s: total_timeout" % src["name"], (src.get("total_timeout") == "5s") == (host == "host3"))


def hanweb_records(entry, page):
    """The CDATA records of a Hanweb column page and of the POSTs to its dataproxy (a GET there
    answers 405), with the parameters of the page's jpage call."""
    records = re.findall(r"<record><!\[CDATA\[(.*?)\]\]></record>", page, re.S)
    total = int(re.search(r"totalRecord:\s*(\d+)", page)[1])
    per = int(re.search(r"perPage:\s*(\d+)", page)[1])
    params = dict(re.findall(r"(\w+):'?([^,'}]*)'?", re.search(r"ajaxParam:\s*\{([^}]*)\}", page)[1]))
    proxy = urljoin(entry, re.search(r"proxyUrl:\s*'([^']+)'", page)[1])
    check("hanweb: the dataproxy answers GET with 405", fetch(proxy + "?startrecord=4&endrecord=6&perpage=3").status == 405)
    start = len(records) + 1
    while start <= total:
        r = fetch("%s?startrecord=%d&endrecord=%d&perpage=%d" % (proxy, start, start + per - 1, per),
                  method="POST", data=urlencode(params).encode())
        check("hanweb: POST to the dataproxy", r.status == 200, r.status)
        records += re.findall(r"<record><!\[CDATA\[(.*?)\]\]></record>", r.body.decode("utf-8"), re.S)
        start += per
    return records


def test_stop(proc, state_dir):
    check("state dir: portal.json while running", (Path(state_dir) / "portal.json").exists())
    proc.send_signal(signal.SIGTERM)
    try:
        rc = proc.wait(10)
    except subprocess.TimeoutExpired:
        proc.kill()
        rc = None
    check("SIGTERM: exit 0", rc == 0, rc)
    check("SIGTERM: portal.json removed", not (Path(state_dir) / "portal.json").exists())
    check("state dir: manifest.json", json.loads((Path(state_dir) / "manifest.json").read_text())["version"] == 1)


def test_state_persistence(state_dir, m):
    """Failure counters survive a restart with the same --state-dir."""
    proc, ports = start_portal(["--state-dir", state_dir])
    try:
        path = [t["path"] for t in m["hosts"]["host2"]["trouble"] if t["expect"] == "retry_then_ok"][0]
        r = fetch("http://127.0.0.1:%d%s" % (ports["host2"], path))
        check("state dir: counters survive restart", r.status == 200, r.status)
        r = fetch("http://127.0.0.1:%d%s" % (ports["host1"], m["hosts"]["host1"]["reports"][0]["path"]))
        check("state dir: misbehave modes survive restart", r.status == 410, r.status)
    finally:
        proc.send_signal(signal.SIGINT)
        check("SIGINT: exit 0", proc.wait(10) == 0)


def test_parent_death(tmp):
    """The portal stops when its parent dies."""
    out = Path(tmp) / "orphan.out"
    helper = ("import subprocess, sys, time\n"
              "p = subprocess.Popen([sys.executable, %r, '--base-port', '0'], stdout=open(%r, 'w'))\n"
              "print(p.pid, flush=True)\n"
              "time.sleep(4)\n") % (str(PORTAL), str(out))
    h = subprocess.run([sys.executable, "-c", helper], stdout=subprocess.PIPE, text=True, timeout=30)
    pid = int(h.stdout.strip())
    check("parent death: portal was ready", "READY" in out.read_text(), out.read_text())
    deadline = time.monotonic() + 5
    while pid_alive(pid) and time.monotonic() < deadline:
        time.sleep(0.1)
    alive = pid_alive(pid)
    check("parent death: portal exits", not alive)
    if alive:
        os.kill(pid, signal.SIGKILL)


def main():
    tmp = tempfile.mkdtemp(prefix="portal-selftest-")
    log_file = os.path.join(tmp, "requests.jsonl")
    state_dir = os.path.join(tmp, "state")
    proc, ports = start_portal(["--log", log_file, "--state-dir", state_dir])
    base = {h: "http://127.0.0.1:%d" % p for h, p in ports.items()}
    try:
        test_startup(ports)
        m = json.loads(fetch(base["host3"] + "/__control/manifest").body)
        steps = [
            lambda: test_manifest(base, m), lambda: test_trs_lists(base, m), lambda: test_hanweb_lists(base, m),
            lambda: test_report_pages(base, m), lambda: test_trs_article(base, m), lambda: test_gbk(base, m),
            lambda: test_attachments(base, m), lambda: test_robots(base), lambda: test_retries(base, m),
            lambda: test_revise(base, m), lambda: test_misbehave(base, m), lambda: test_trouble(base, m),
            lambda: test_misc(base), lambda: test_list_hosts(base, m),
            lambda: test_lists_behind_lists(base, m), lambda: test_publish_late(base, m),
            lambda: test_sources_file(base, m), lambda: test_log(base, log_file),
        ]
        for step in steps:
            try:
                step()
            except Exception as e:  # one broken step must not hide the others
                check("step raised", False, "%s: %r" % (getattr(step, "__name__", "step"), e))
        fetch(base["host2"] + "/__control/reset", method="POST", data=b"")
        flaky = [t["path"] for t in m["hosts"]["host2"]["trouble"] if t["expect"] == "retry_then_ok"][0]
        for _ in range(3):  # 500, 500, 200: the counter that must survive a restart
            fetch(base["host2"] + flaky)
        misbehave(base, "host1", m["hosts"]["host1"]["reports"][0]["path"], "gone410")  # a mode that must too
    finally:
        test_stop(proc, state_dir)
    try:
        test_state_persistence(state_dir, m)
        test_parent_death(tmp)
    except Exception as e:
        check("restart steps raised", False, repr(e))
    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
