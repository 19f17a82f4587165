#!/usr/bin/env python3
"""Local test portal: simulated government portals for nianbao's crawler tests and demo.

Serves a few "hosts" (one listening socket each, all on 127.0.0.1) that publish
政府信息公开工作年度报告 the way real portals do (see /work/shared/spec/portals.md and
tests/portal/README.md):

  host1  a TRS WCM column: list pages index.html, index_1.html, index_2.html paginated only by
         a createPageHTML(3, i, "index", "html") script; reports at ./YYYYMM/tYYYYMMDD_ID.html
         (UTF-8, one GBK page announced only by the Content-Type header, one GBK page announced
         only by <meta charset="gb2312">), look-alike non-reports, one report with a .pdf and a
         .docx attachment, and the report that POST /__control/revise changes.
  host2  a Hanweb (大汉) column: /col/col1234/index.html with "下一页" links, articles at
         /art/YYYY/M/D/art_1234_N.html, a robots.txt that disallows /private/ (and the list links
         a report there), a report that answers 500 twice before 200 and one that answers 429
         with Retry-After: 2 once before 200.
  host3  trouble: a page that stalls 30 s after its headers, a redirect loop, 20 MiB pages
         (with Content-Length and chunked), two normal reports (one chunked), no robots.txt.
  host4+ (only with --hosts > 3) copies of host1, for tests that need many hosts.

Any page can be switched at run time into a misbehaviour mode (POST /__control/misbehave: a cut
close-delimited body, a maintenance page, an empty 200, a 302 to a 200 error page, a view
counter in the chrome, TRS's deletion stub, 404/410, a redirect to the column), see
MISBEHAVE_MODES.

Everything served is deterministic (generated from tests/fixtures/seeds/*.txt at start-up);
only the Date header and the request log depend on time. Standard library only (tested with
CPython 3.11: Debian's /usr/bin/python3 and a pyenv python3).

Usage: local_portal.py [--base-port 18480] [--hosts 3] [--log FILE] [--state-dir DIR]
Prints "LISTENING host<i> 127.0.0.1:<port>" per host, then "READY", and serves until SIGTERM,
SIGINT or the death of its parent process.
"""

import argparse
import codecs
import datetime
import email.utils
import hashlib
import html
import io
import json
import os
import re
import select
import signal
import socket
import sys
import threading
import time
import zipfile
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

HERE = Path(__file__).resolve().parent
SEED_DIR = HERE.parent / "fixtures" / "seeds"
HTML_FIXTURE_DIR = HERE.parent / "fixtures" / "html"

UTC = datetime.timezone.utc
CST = datetime.timezone(datetime.timedelta(hours=8))  # portals publish in China Standard Time

STALL_SECONDS = 30  # host3's slow page: headers, then nothing for this long
BIG_SIZE = 20 * 1024 * 1024  # host3's /big.html and /big-chunked.html

# The report that POST /__control/revise changes, and how (see build_host1()).
REVISE_HOST = "host1"
REVISE_PATH = "/zfxxgk/zfxxgknb/202101/t20210119_1001.html"
REVISE_ROW = "规范性文件"
REVISE_BEFORE = ["0", "0", "0"]
REVISE_AFTER = ["3", "3", "3"]

# The late report that POST /__control/publish-late puts on host1's list (and serves), and
# /__control/unpublish-late takes away: 重庆市渝北区洛碛镇人民政府's report on 2022, posted on
# 20 February 2023, after its deadline of 31 January (see build_trs_site()).
LATE_HOST = "host1"
LATE_PATH = "/zfxxgk/zfxxgknb/202302/t20230220_1014.html"
LATE_DATE = "2023-02-20"


# --------------------------------------------------------------------------------------------
# Seed reports -> blocks of paragraphs and tables
# --------------------------------------------------------------------------------------------


def load_seeds():
    """{"000": (file name, text), ...} for every tests/fixtures/seeds/NNN_*.txt."""
    seeds = {}
    for path in sorted(SEED_DIR.glob("*.txt")):
        seeds[path.name[:3]] = (path.name, path.read_text(encoding="utf-8"))
    missing = {"000", "001", "002", "003", "004"} - set(seeds)
    if missing:
        raise SystemExit("local_portal: seed reports missing in %s: %s" % (SEED_DIR, sorted(missing)))
    return seeds


def shift_years(text, year):
    """The seeds report on 2020; derive another year's report by moving every year by the
    same amount (2019 -> year-1, 2020 -> year, 2021 -> year+1)."""
    delta = year - 2020
    if delta == 0:
        return text
    return re.sub(r"(?<!\d)(2019|2020|2021)(?!\d)", lambda m: str(int(m.group(1)) + delta), text)


def parse_seed(text):
    """Splits a seed report into [("p", text) | ("table", [[cell, ...], ...])].

    The seeds hold tables in two shapes (from two kinds of text extraction):
    - tab-separated rows (002, 003): every line containing a tab after some text is one row,
      its cells split at tabs; a table runs until the next line without a tab (blank lines
      inside it are ignored); rows of only dashes are Markdown rule lines and dropped;
    - tab-led cells (000, 001, 004): every line starting with a tab (after spaces) is one cell,
      a blank line ends the row; a line without a tab right after a cell continues that cell
      (a header such as 本年新 / 制作数量 broken over two lines); any other line is a paragraph
      and ends the table.
    """
    lines = text.replace("\r\n", "\n").split("\n")
    tab_separated = any("\t" in line.lstrip(" \t") for line in lines)
    blocks = []
    table = None
    if tab_separated:
        for line in lines:
            if "\t" in line:
                cells = line.split("\t")
                if all(set(c.strip()) <= {"-"} for c in cells):
                    continue
                if table is None:
                    table = []
                    blocks.append(("table", table))
                table.append(cells)
            elif line.strip():
                table = None
                blocks.append(("p", line.strip()))
        return blocks
    row = None
    after_cell = False
    for line in lines:
        s = line.lstrip(" ")
        if s.startswith("\t"):
            if table is None:
                table = []
                blocks.append(("table", table))
            if row is None:
                row = []
                table.append(row)
            row.append(s[1:])
            after_cell = True
        elif not s.strip():
            row = None
            after_cell = False
        elif after_cell:
            row[-1] += "\n" + s.strip()
        else:
            table = None
            row = None
            blocks.append(("p", s.strip()))
    return blocks


def revise_blocks(blocks):
    """The revised version of a report: the numbers of the row REVISE_ROW become REVISE_AFTER."""
    out = []
    changed = False
    for kind, value in blocks:
        if kind == "table":
            rows = []
            for r in value:
                r = list(r)
                if not changed and r and r[0].strip() == REVISE_ROW and [c.strip() for c in r[1:4]] == REVISE_BEFORE:
                    r[1:4] = REVISE_AFTER
                    changed = True
                rows.append(r)
            value = rows
        out.append((kind, value))
    if not changed:
        raise SystemExit("local_portal: revision row %r not found in the revisable report" % REVISE_ROW)
    return out


def inline(text):
    """Escapes a line of seed text for HTML and turns the Markdown/Word leftovers in the seeds
    into the markup a portal would have (**bold**, [bookmark: _GoBack])."""
    s = html.escape(text, quote=False)
    s = re.sub(r"\*\*(.+?)\*\*", r"<strong>\1</strong>", s)
    s = re.sub(r"\[bookmark: ([^\]]+)\]", r'<a name="\1"></a>', s)
    return s


WORD_STYLE = """<style type="text/css">
.TRS_Editor P{margin-top:0;margin-bottom:0;line-height:1.5;font-family:宋体;font-size:12pt;}
.TRS_Editor TD,.TRS_Editor TH{font-family:宋体;font-size:10.5pt;}
p.MsoNormal, li.MsoNormal, div.MsoNormal {mso-style-unhide:no;mso-style-qformat:yes;mso-style-parent:"";
 margin:0cm;margin-bottom:.0001pt;text-align:justify;text-justify:inter-ideograph;mso-pagination:none;
 font-size:10.5pt;mso-bidi-font-size:12.0pt;font-family:"Times New Roman",serif;mso-fareast-font-family:宋体;
 mso-font-kerning:1.0pt;}
table.MsoNormalTable {mso-style-name:普通表格;mso-tstyle-rowband-size:0;mso-tstyle-colband-size:0;
 mso-style-noshow:yes;mso-style-priority:99;mso-style-parent:"";mso-padding-alt:0cm 5.4pt 0cm 5.4pt;
 mso-para-margin:0cm;mso-para-margin-bottom:.0001pt;mso-pagination:widow-orphan;font-size:10.0pt;}
@page WordSection1 {size:595.3pt 841.9pt;margin:72.0pt 90.0pt 72.0pt 90.0pt;mso-header-margin:42.55pt;}
div.WordSection1 {page:WordSection1;}
</style>
"""


def render_body(blocks, flavor):
    """HTML of a report body. flavor "word": pasted from Word (MsoNormal paragraphs, spans,
    one <p> per line inside cells); "plain": bare <p> and <table border="1"> with <br> in cells."""
    out = []
    if flavor == "word":
        out.append(WORD_STYLE)
        out.append('<div class="WordSection1" style="layout-grid:15.6pt;">')
    for kind, value in blocks:
        if kind == "p":
            if flavor == "word":
                out.append(
                    '<p class="MsoNormal" style="text-indent:32.0pt;mso-char-indent-count:2.0;line-height:28.0pt">'
                    '<span style="font-size:16.0pt;font-family:仿宋_GB2312;mso-hansi-font-family:宋体">%s</span></p>'
                    % inline(value)
                )
            else:
                out.append("<p>%s</p>" % inline(value))
            continue
        if flavor == "word":
            out.append(
                '<table class="MsoNormalTable" border="1" cellspacing="0" cellpadding="0" width="100%" '
                'style="width:100.0%;border-collapse:collapse;border:none;mso-border-alt:solid windowtext .5pt">'
            )
        else:
            out.append('<table border="1" cellspacing="0" cellpadding="4" style="border-collapse:collapse">')
        out.append("<tbody>")
        for row in value:
            out.append("<tr>")
            for cell in row:
                parts = [inline(x) for x in cell.split("\n")]
                if flavor == "word":
                    inner = "".join(
                        '<p class="MsoNormal" align="center" style="text-align:center">'
                        '<span style="font-size:10.5pt;font-family:宋体">%s</span></p>' % (p if p.strip() else "&nbsp;")
                        for p in parts
                    )
                    out.append('<td valign="middle" style="border:solid windowtext 1.0pt;padding:0cm 5.4pt">%s</td>' % inner)
                else:
                    out.append("<td>%s</td>" % "<br>".join(parts))
            out.append("</tr>")
        out.append("</tbody></table>")
    if flavor == "word":
        out.append("</div>")
    return "\n".join(out)


# --------------------------------------------------------------------------------------------
# Binary attachments
# --------------------------------------------------------------------------------------------


def make_pdf(text):
    """A small, valid one-page PDF showing one line of ASCII text."""
    stream = ("BT /F1 14 Tf 72 770 Td (%s) Tj ET" % text).encode("ascii")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for i, obj in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % i + obj + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for off in offsets:
        out += b"%010d 00000 n \n" % off
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


def make_docx(title, paragraphs):
    """A small, valid .docx (stored, fixed timestamps, so the bytes never change)."""
    def para(t):
        return '<w:p><w:r><w:t xml:space="preserve">%s</w:t></w:r></w:p>' % html.escape(t)

    files = [
        ("[Content_Types].xml",
         '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
         '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
         '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
         '<Default Extension="xml" ContentType="application/xml"/>'
         '<Override PartName="/word/document.xml" '
         'ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/>'
         "</Types>"),
        ("_rels/.rels",
         '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
         '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
         '<Relationship Id="rId1" '
         'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" '
         'Target="word/document.xml"/></Relationships>'),
        ("word/document.xml",
         '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
         '<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body>'
         + para(title) + "".join(para(p) for p in paragraphs) + "</w:body></w:document>"),
    ]
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_STORED) as z:
        for name, data in files:
            info = zipfile.ZipInfo(name, date_time=(2021, 2, 5, 9, 30, 0))
            info.external_attr = 0o644 << 16
            z.writestr(info, data.encode("utf-8"))
    return buf.getvalue()


# --------------------------------------------------------------------------------------------
# Resources: what a path answers
# --------------------------------------------------------------------------------------------


def http_date(dt):
    return email.utils.format_datetime(dt.astimezone(UTC), usegmt=True)


def published(date_str, hh=9, mm=30):
    """A posting date "2021-01-19" as an aware datetime (09:30 China time)."""
    y, m, d = (int(x) for x in date_str.split("-"))
    return datetime.datetime(y, m, d, hh, mm, tzinfo=CST)


def strong_etag(body):
    return '"%s"' % hashlib.sha256(body).hexdigest()[:32]


class Resource:
    """A fixed body with validators (strong ETag from its hash, Last-Modified) that answers
    conditional requests with 304. chunked=True sends it with Transfer-Encoding: chunked."""

    def __init__(self, body, content_type, last_modified, chunked=False):
        self.body = body
        self.content_type = content_type
        self.last_modified = last_modified
        self.chunked = chunked
        self.etag = strong_etag(body)

    def content(self, portal):
        """The Resource whose body this path serves now (misbehaviour modes wrap it)."""
        return self

    def validators(self):
        return [("ETag", self.etag), ("Last-Modified", http_date(self.last_modified))]

    def serve(self, h, head):
        if h.not_modified(self.etag, self.last_modified):
            h.start(304, self.validators())
            return
        self.send(h, head)

    def send(self, h, head):
        """The 200 with the whole body, whatever the request's conditions."""
        headers = [("Content-Type", self.content_type)] + self.validators()
        if self.chunked:
            h.start(200, headers + [("Transfer-Encoding", "chunked")])
            if not head:
                h.write_chunked([self.body[i:i + 4096] for i in range(0, len(self.body), 4096)])
        else:
            h.start(200, headers + [("Content-Length", str(len(self.body)))])
            if not head:
                h.write(self.body)


class AlwaysFull(Resource):
    """A small generated UTF-8 page (maintenance page, error page, deletion stub): strong ETag,
    no Last-Modified, and never a 304, so that a client that carries the conditions of the
    report it asked for (its If-Modified-Since, over a redirect too) still sees this page."""

    def __init__(self, body):
        super().__init__(body, "text/html; charset=utf-8", None)

    def validators(self):
        return [("ETag", self.etag)]

    def serve(self, h, head):
        self.send(h, head)


class Revisable:
    """A report with two versions; the portal's state says which one is published."""

    def __init__(self, host, path, original, revised):
        self.key = (host, path)
        self.original = original
        self.revised = revised

    def current(self, portal):
        return self.revised if portal.control.is_revised(self.key) else self.original

    def content(self, portal):
        return self.current(portal)

    def serve(self, h, head):
        self.current(h.portal).serve(h, head)


class Late:
    """A resource in two states: `hidden` until POST /__control/publish-late, then `shown`
    (host1's first list page and the late report itself)."""

    def __init__(self, hidden, shown):
        self.hidden = hidden
        self.shown = shown

    def current(self, portal):
        return self.shown if portal.control.is_revised((LATE_HOST, LATE_PATH)) else self.hidden

    def content(self, portal):
        cur = self.current(portal)
        return cur.content(portal) if cur is not None else b""

    def serve(self, h, head):
        cur = self.current(h.portal)
        if cur is None:
            h.send_error_page(404, [], head)
        else:
            cur.serve(h, head)


class Flaky:
    """Answers the given failures first (counted per path across all clients, reset only by
    POST /__control/reset), then the inner resource."""

    def __init__(self, host, path, inner, failures):
        self.key = (host, path)
        self.inner = inner
        self.failures = failures  # [(status, [(header, value)...]), ...]

    def content(self, portal):
        return self.inner.content(portal)

    def serve(self, h, head):
        n = h.portal.control.bump(self.key)
        if n <= len(self.failures):
            status, extra = self.failures[n - 1]
            h.send_error_page(status, extra, head)
        else:
            self.inner.serve(h, head)


class Stall:
    """Sends status and headers (with the Content-Length of the whole page) at once, then
    nothing for STALL_SECONDS, then the body: a client with a shorter total timeout must give
    up. Notices a client that hangs up, so the log records the abort when it happens."""

    def __init__(self, inner, seconds):
        self.inner = inner
        self.seconds = seconds

    def content(self, portal):
        return self.inner.content(portal)

    def serve(self, h, head):
        r = self.inner
        h.start(200, [("Content-Type", r.content_type), ("ETag", r.etag),
                      ("Last-Modified", http_date(r.last_modified)), ("Content-Length", str(len(r.body)))])
        if head:
            return
        if not h.wait_or_hangup(self.seconds):
            return
        h.write(r.body)


class Redirect:
    def __init__(self, location, status=302):
        self.location = location  # absolute path, or a callable(handler) -> URL
        self.status = status

    def content(self, portal):
        return None  # nothing of its own to cut or decorate

    def serve(self, h, head):
        loc = self.location(h) if callable(self.location) else self.location
        body = ('<html><head><title>%d Found</title></head><body><a href="%s">%s</a></body></html>\n'
                % (self.status, html.escape(loc), html.escape(loc))).encode("utf-8")
        h.start(self.status, [("Location", loc), ("Content-Type", "text/html; charset=utf-8"),
                              ("Content-Length", str(len(body)))])
        if not head:
            h.write(body)


class Big:
    """A page of exactly `size` bytes generated while it is sent (one 64 KiB block is reused),
    with Content-Length or chunked. Its ETag is the hash of the stream, computed once."""

    UNIT = b"<p>Filler of a page that is far too large for a report (too_large test).</p>\n"

    def __init__(self, title, size, chunked):
        self.size = size
        self.chunked = chunked
        self.head = ('<!DOCTYPE html>\n<html><head><meta charset="utf-8"><title>%s</title></head>\n'
                     '<body><h1>%s</h1><div class="article-content">\n' % (title, title)).encode("utf-8")
        self.tail = b"</div></body></html>\n"
        self.block = self.UNIT * (65536 // len(self.UNIT))
        self.last_modified = published("2023-01-10")
        self._etag = None
        self._lock = threading.Lock()

    def content(self, portal):
        return None  # 20 MiB generated while sent: not a page to misbehave with

    def pieces(self):
        yield self.head
        remaining = self.size - len(self.head) - len(self.tail)
        while remaining >= len(self.block):
            yield self.block
            remaining -= len(self.block)
        k = remaining // len(self.UNIT)
        yield self.UNIT * k
        yield b" " * (remaining - k * len(self.UNIT))
        yield self.tail

    def etag(self):
        with self._lock:
            if self._etag is None:
                digest = hashlib.sha256()
                for p in self.pieces():
                    digest.update(p)
                self._etag = '"%s"' % digest.hexdigest()[:32]
            return self._etag

    def serve(self, h, head):
        etag = self.etag()
        validators = [("ETag", etag), ("Last-Modified", http_date(self.last_modified))]
        if h.not_modified(etag, self.last_modified):
            h.start(304, validators)
            return
        headers = [("Content-Type", "text/html; charset=utf-8")] + validators
        if self.chunked:
            h.start(200, headers + [("Transfer-Encoding", "chunked")])
            if not head:
                h.write_chunked(self.pieces())
        else:
            h.start(200, headers + [("Content-Length", str(self.size))])
            if not head:
                for p in self.pieces():
                    h.write(p)


# --------------------------------------------------------------------------------------------
# Misbehaviour modes: how real portals answer for a report page when something is wrong
# --------------------------------------------------------------------------------------------
#
# POST /__control/misbehave?host=H&path=P&mode=M switches one page into a mode; while it is set,
# every request for the page (GET or HEAD) is answered by the mode's function instead of the
# page's own resource. Modes ignore conditional request headers: a client that already holds the
# page must still see the misbehaviour (that is what the tests are about), and a 304 would hide
# it. Each function gets the handler, head, the page's current content (a Resource, or None for a
# path with no fixed body) and n, the number of this request to the page since the mode was set.

MAINTENANCE_PAGE = AlwaysFull(
    '<!DOCTYPE html>\n<html><head><meta charset="utf-8"><title>系统维护</title></head>\n'
    '<body><div class="maintenance"><h1>系统维护</h1><p>网站系统维护中，请稍后访问。</p></div>'
    '</body></html>\n'.encode("utf-8"))

ERROR_PAGE_PATH = "/error.html"  # where error_redirect sends the client; added to every host
ERROR_PAGE = AlwaysFull(  # an error page that lies: status 200
    '<!DOCTYPE html>\n<html><head><meta charset="utf-8"><title>提示信息</title></head>\n'
    '<body><div class="error"><p>对不起，您访问的页面不存在或已被删除</p>'
    '<p><a href="/">返回首页</a></p></div></body></html>\n'.encode("utf-8"))

BODY_TAG = re.compile(rb"<body[^>]*>", re.I)
META_CHARSET = re.compile(rb"""<meta[^>]+charset=["']?([A-Za-z0-9_-]+)""", re.I)


def page_charset(page):
    """The charset a browser would use: the Content-Type header's, else the page's <meta>."""
    m = re.search(r"charset=([A-Za-z0-9_-]+)", page.content_type, re.I)
    name = m.group(1) if m else None
    if name is None:
        m = META_CHARSET.search(page.body[:2048])
        name = m.group(1).decode("ascii") if m else "utf-8"
    try:
        return codecs.lookup(name).name
    except LookupError:
        return "utf-8"


def send_close_delimited(h, head, page, body):
    """HTTP/1.1 without Content-Length or Transfer-Encoding: the body ends where the connection
    does (RFC 9112 6.3, rule 8), so a client cannot tell a whole body from a cut one."""
    h.start(200, [("Content-Type", page.content_type)] + page.validators() + [("Connection", "close")])
    h.close_connection = True  # also set by the Connection header; said here so nothing depends on it
    if not head:
        h.write(body)
    h.wfile.flush()  # every byte out before http.server shuts the socket down


def truncated_share(n):
    """Percent of the body the n-th truncated answer sends: 50, 70, 30, 50, ... so that two
    consecutive answers never have the same length."""
    return 30 + 20 * (n % 3)


def mb_truncated(h, head, page, n):
    send_close_delimited(h, head, page, page.body[:len(page.body) * truncated_share(n) // 100])


def mb_close_delimited(h, head, page, n):
    send_close_delimited(h, head, page, page.body)


def mb_maintenance(h, head, page, n):
    MAINTENANCE_PAGE.serve(h, head)


def mb_empty(h, head, page, n):
    h.start(200, [("Content-Type", "text/html; charset=utf-8"), ("Content-Length", "0")])


def mb_error_redirect(h, head, page, n):
    Redirect(ERROR_PAGE_PATH).serve(h, head)


def mb_counter(h, head, page, n):
    """The page with a view counter and the current time right after <body>: chrome outside the
    report's body that changes on every request, in the page's own charset. The ETag is the
    hash of these bytes (so it never matches again); Last-Modified stays the page's."""
    now = datetime.datetime.now(CST).strftime("%Y-%m-%d %H:%M:%S")
    line = '\n<div class="visit">浏览次数：%d 当前时间：%s</div>' % (n, now)
    at = BODY_TAG.search(page.body).end()
    body = page.body[:at] + line.encode(page_charset(page)) + page.body[at:]
    Resource(body, page.content_type, page.last_modified, page.chunked).send(h, head)


def mb_deleted(h, head, page, n):
    """TRS's stub for a deleted document: refresh to the column, nothing else."""
    col = html.escape(h.server.site.column)
    AlwaysFull(('<html><head><meta http-equiv="Content-Type" content="text/html; charset=utf-8">'
                '<meta http-equiv="refresh" content="0;url=%s"></head>\n<body>该信息已删除</body></html>\n'
                % col).encode("utf-8")).serve(h, head)


def mb_gone(h, head, page, n):
    h.send_error_page(404, head=head)


def mb_gone410(h, head, page, n):
    h.send_error_page(410, head=head)


def mb_moved_to_column(h, head, page, n):
    Redirect("http://127.0.0.1:%d%s" % (h.server.server_address[1], h.server.site.column)).serve(h, head)


class Misbehaviour:
    """One mode: its manifest description, its answer, and what the page must have for it."""

    def __init__(self, description, serve, needs=None):
        self.description = description
        self.serve = serve
        self.needs = needs  # None, "body" (fixed bytes to cut or wrap) or "html" (and a <body> tag)

    def applies_to(self, page):
        if self.needs is None:
            return True
        if page is None:
            return False
        return self.needs == "body" or BODY_TAG.search(page.body) is not None


MISBEHAVE_NORMAL = "normal"  # the mode name that clears a page's mode
MISBEHAVE_MODES = {
    "truncated": Misbehaviour(
        "200 with the page's headers but no Content-Length, Connection: close; only 50%, 70%, 30%, ... "
        "of the body (cycling per request), then the connection closes", mb_truncated, "body"),
    "close_delimited": Misbehaviour(
        "200 with the page's headers but no Content-Length, Connection: close; the whole body, then the "
        "connection closes (a legitimate old-style server)", mb_close_delimited, "body"),
    "maintenance": Misbehaviour(
        "200 with a small 系统维护 page (网站系统维护中，请稍后访问。) instead of the report", mb_maintenance),
    "empty": Misbehaviour("200 with Content-Length: 0", mb_empty),
    "error_redirect": Misbehaviour(
        "302 to /error.html, which answers 200 with 对不起，您访问的页面不存在或已被删除", mb_error_redirect),
    "counter": Misbehaviour(
        "the page with <div class=\"visit\">浏览次数：N 当前时间：…</div> right after <body> (N counts the "
        "requests); ETag from the bytes sent", mb_counter, "html"),
    "deleted": Misbehaviour(
        "200 with TRS's deletion stub: <meta http-equiv=\"refresh\" content=\"0;url=<entry>\"> and 该信息已删除",
        mb_deleted),
    "gone": Misbehaviour("404 (the portal's error page)", mb_gone),
    "gone410": Misbehaviour("410 Gone", mb_gone410),
    "moved_to_column": Misbehaviour("302 to the host's entry_url (absolute)", mb_moved_to_column),
}


# --------------------------------------------------------------------------------------------
# Page templates (portal chrome around the report)
# --------------------------------------------------------------------------------------------

SITE_NAME = "本地测试市人民政府"  # "local test city government": all hosts are its portals

TRS_NAV = """<div class="header"><div class="logo"><a href="/"><img src="/images/logo.png" alt="%(site)s"></a></div>
<div class="search"><form action="/search/" method="get"><input type="text" name="q"><input type="submit" value="搜索"></form></div></div>
<div class="nav"><ul>
<li><a href="/">首页</a></li><li><a href="/zwgk/">政务公开</a></li><li><a href="/zfxxgk/">政府信息公开</a></li>
<li><a href="/bsfw/">办事服务</a></li><li><a href="/hdjl/">互动交流</a></li><li><a href="/zjbd/">走进本地</a></li>
</ul></div>
<div class="side"><ul>
<li><a href="/zfxxgk/zfxxgkzn/">政府信息公开指南</a></li><li><a href="/zfxxgk/zfxxgkzd/">政府信息公开制度</a></li>
<li><a href="/zfxxgk/fdzdgknr/">法定主动公开内容</a></li><li><a href="/zfxxgk/zfxxgknb/">政府信息公开年报</a></li>
<li><a href="/zfxxgk/ysqgk/">依申请公开</a></li>
</ul></div>"""

FOOTER = """<div class="footer">
<p><a href="/wzdt/">网站地图</a> | <a href="/lxwm/">联系我们</a> | <a href="/sybz/">使用帮助</a></p>
<p>主办：%(site)s办公室 &nbsp; 承办：本地测试市大数据发展局</p>
<p>网站标识码：5000000001 &nbsp; <a href="https://beian.miit.gov.cn/">测ICP备00000001号</a> &nbsp; 测公网安备 50000002000001号</p>
</div>
<script type="text/javascript">
var _hmt = _hmt || [];
(function () { var hm = document.createElement("script"); hm.src = "/images/stat.js?site=5000000001";
  var s = document.getElementsByTagName("script")[0]; s.parentNode.insertBefore(hm, s); })();
</script>"""

# TRS WCM's pager: the page count lives only in the createPageHTML(...) call; the links are
# written by JavaScript (the "<a href" below are strings, not links).
TRS_PAGER_JS = r"""<script type="text/javascript">
function createPageHTML(_nPageCount, _nCurrIndex, _sPageName, _sPageExt){
  if(_nPageCount == null || _nPageCount <= 1){ return; }
  var nCurrIndex = _nCurrIndex || 0;
  if(nCurrIndex == 0)
    document.write("<span>首页</span>&nbsp;<span>上一页</span>&nbsp;");
  else if(nCurrIndex == 1)
    document.write("<a href=\""+_sPageName+"."+_sPageExt+"\">首页</a>&nbsp;<a href=\""+_sPageName+"."+_sPageExt+"\">上一页</a>&nbsp;");
  else
    document.write("<a href=\""+_sPageName+"."+_sPageExt+"\">首页</a>&nbsp;<a href=\""+_sPageName+"_"+(nCurrIndex-1)+"."+_sPageExt+"\">上一页</a>&nbsp;");
  if(nCurrIndex == _nPageCount-1)
    document.write("<span>下一页</span>&nbsp;<span>尾页</span>");
  else
    document.write("<a href=\""+_sPageName+"_"+(nCurrIndex+1)+"."+_sPageExt+"\">下一页</a>&nbsp;<a href=\""+_sPageName+"_"+(_nPageCount-1)+"."+_sPageExt+"\">尾页</a>");
  document.write("&nbsp;共" + _nPageCount + "页");
}
createPageHTML(%d, %d, "index", "html");
</script>"""


def charset_meta(charset_style):
    """<head> charset declaration: "utf-8" (http-equiv meta), "gb2312-meta" (<meta charset>),
    "none" (the page relies on the Content-Type header)."""
    return {
        "utf-8": '<meta http-equiv="Content-Type" content="text/html; charset=utf-8" />',
        "gb2312-meta": '<meta charset="gb2312">',
        "none": "",
    }[charset_style]


def trs_article(a, body_html):
    attachments = ""
    if a.get("attachments"):
        links = "".join('<p><a href="./%s" target="_blank">%s</a></p>' % (name, html.escape(label))
                        for name, label, _ in a["attachments"])
        attachments = '<div class="fujian"><p>附件：</p>%s</div>' % links
    pub = a["date"]
    return """<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Transitional//EN" "http://www.w3.org/TR/xhtml1/DTD/xhtml1-transitional.dtd">
<html xmlns="http://www.w3.org/1999/xhtml">
<head>
%(meta)s
<meta name="SiteName" content="%(site)s" />
<meta name="SiteDomain" content="127.0.0.1" />
<meta name="SiteIDCode" content="5000000001" />
<meta name="ColumnName" content="政府信息公开年报" />
<meta name="ColumnType" content="政府信息公开年报" />
<meta name="ArticleTitle" content="%(title_attr)s" />
<meta name="PubDate" content="%(pub)s 09:30" />
<meta name="ContentSource" content="%(unit)s" />
<meta name="Keywords" content="政府信息公开,年度报告" />
<title>%(title)s_政府信息公开年报_%(site)s</title>
<link rel="stylesheet" type="text/css" href="/images/common.css" />
<script type="text/javascript" src="/images/jquery-1.12.4.min.js"></script>
</head>
<body>
%(nav)s
<div class="position">当前位置：<a href="/">首页</a> &gt; <a href="/zfxxgk/">政府信息公开</a> &gt; <a href="../">政府信息公开年报</a></div>
<div class="article">
<h1 class="article-title">%(title)s</h1>
<div class="article-info"><span>发布日期：%(pub)s</span> <span>来源：%(unit)s</span> <span>字号：[ <a href="javascript:doZoom(18)">大</a> <a href="javascript:doZoom(16)">中</a> <a href="javascript:doZoom(14)">小</a> ]</span></div>
<div class="article-content">
<div class="TRS_Editor">
%(body)s
</div>
</div>
%(attachments)s
<div class="article-tools"><a href="javascript:window.print()">【打印本页】</a> <a href="javascript:window.close()">【关闭窗口】</a></div>
</div>
%(footer)s
</body>
</html>
""" % {
        "meta": charset_meta(a["charset_style"]), "site": SITE_NAME, "title": html.escape(a["title"]),
        "title_attr": html.escape(a["title"]), "pub": pub, "unit": html.escape(a["unit"]),
        "nav": TRS_NAV % {"site": SITE_NAME}, "body": body_html, "attachments": attachments,
        "footer": FOOTER % {"site": SITE_NAME},
    }


def trs_list(items, page, pages):
    lis = "\n".join(
        '<li><a href="./%s" target="_blank" title="%s">%s</a><span>%s</span></li>'
        % (it["rel"], html.escape(it["title"]), html.escape(it["title"]), it["date"])
        for it in items
    )
    return """<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Transitional//EN" "http://www.w3.org/TR/xhtml1/DTD/xhtml1-transitional.dtd">
<html xmlns="http://www.w3.org/1999/xhtml">
<head>
<meta http-equiv="Content-Type" content="text/html; charset=utf-8" />
<meta name="SiteName" content="%(site)s" />
<meta name="ColumnName" content="政府信息公开年报" />
<title>政府信息公开年报_%(site)s</title>
<link rel="stylesheet" type="text/css" href="/images/common.css" />
</head>
<body>
%(nav)s
<div class="position">当前位置：<a href="/">首页</a> &gt; <a href="/zfxxgk/">政府信息公开</a> &gt; <a href="./">政府信息公开年报</a></div>
<div class="list-box">
<h2 class="column-title">政府信息公开年报</h2>
<ul class="list">
%(lis)s
</ul>
<div class="page">
%(pager)s
</div>
</div>
%(footer)s
</body>
</html>
""" % {"site": SITE_NAME, "nav": TRS_NAV % {"site": SITE_NAME}, "lis": lis,
       "pager": TRS_PAGER_JS % (pages, page), "footer": FOOTER % {"site": SITE_NAME}}


HANWEB_HEAD_NAV = """<div class="top"><div class="top-inner"><span>%(site)s</span>
<a href="/">首页</a> | <a href="/col/col1000/index.html">政务公开</a> | <a href="/col/col1100/index.html">政府信息公开</a> | <a href="/col/col1200/index.html">政务服务</a></div></div>
<div class="menu"><ul>
<li><a href="/col/col1230/index.html">政府信息公开指南</a></li>
<li><a href="/col/col1231/index.html">政府信息公开制度</a></li>
<li><a href="/col/col1234/index.html">政府信息公开年报</a></li>
<li><a href="/col/col1235/index.html">法定主动公开内容</a></li>
</ul></div>"""


def hanweb_article(a, body_html):
    y, m, d = (int(x) for x in a["date"].split("-"))
    return """<!DOCTYPE html>
<html>
<head>
<meta http-equiv="Content-Type" content="text/html; charset=utf-8">
<meta name="SiteName" content="%(site)s">
<meta name="SiteDomain" content="127.0.0.1">
<meta name="SiteIDCode" content="5000000002">
<meta name="ColumnName" content="政府信息公开年报">
<meta name="ArticleTitle" content="%(title)s">
<meta name="PubDate" content="%(pub)s 10:15">
<meta name="ContentSource" content="%(unit)s">
<title>%(title)s</title>
<link rel="stylesheet" href="/images/hanweb.css">
<script src="/script/0/jquery.min.js"></script>
</head>
<body>
%(nav)s
<div class="bt-position">您当前的位置：<a href="/">首页</a> &gt; <a href="/col/col1100/index.html">政府信息公开</a> &gt; <a href="/col/col1234/index.html">政府信息公开年报</a></div>
<table width="100%%" class="article">
<tr><td class="title" align="center">%(title)s</td></tr>
<tr><td class="info" align="center">发布日期：%(y)d-%(m)02d-%(d)02d 10:15 &nbsp; 信息来源：%(unit)s &nbsp; 浏览次数：<span id="hits"></span><script>document.getElementById("hits").innerHTML="1024";</script> &nbsp; 【字体：<a href="javascript:doZoom(20)">大</a> <a href="javascript:doZoom(16)">中</a> <a href="javascript:doZoom(12)">小</a>】</td></tr>
<tr><td>
<div id="zoom" class="article_content">
%(body)s
</div>
</td></tr>
</table>
<div class="share">分享到：<a href="javascript:void(0)">微信</a> <a href="javascript:void(0)">微博</a></div>
%(footer)s
</body>
</html>
""" % {"site": SITE_NAME, "title": html.escape(a["title"]), "pub": a["date"], "unit": html.escape(a["unit"]),
       "nav": HANWEB_HEAD_NAV % {"site": SITE_NAME}, "y": y, "m": m, "d": d, "body": body_html,
       "footer": FOOTER % {"site": SITE_NAME}}


def hanweb_list(items, page, pages):
    rows = "\n".join(
        '<tr><td class="bt-title"><a href="%s" target="_blank" title="%s">%s</a></td><td class="bt-date">%s</td></tr>'
        % (it["path"], html.escape(it["title"]), html.escape(it["title"]), it["date"])
        for it in items
    )

    def page_url(i):  # Hanweb numbers its static list pages index.html, index_2.html, ...
        return "/col/col1234/index.html" if i == 1 else "/col/col1234/index_%d.html" % i

    pager = ['<a href="%s">首页</a>' % page_url(1)]
    pager.append('<a href="%s">上一页</a>' % page_url(page - 1) if page > 1 else "<span>上一页</span>")
    pager.append('<a href="%s">下一页</a>' % page_url(page + 1) if page < pages else "<span>下一页</span>")
    pager.append('<a href="%s">尾页</a>' % page_url(pages))
    pager.append("<span>第%d页/共%d页</span>" % (page, pages))
    return """<!DOCTYPE html>
<html>
<head>
<meta http-equiv="Content-Type" content="text/html; charset=utf-8">
<meta name="ColumnName" content="政府信息公开年报">
<title>政府信息公开年报</title>
<link rel="stylesheet" href="/images/hanweb.css">
</head>
<body>
%(nav)s
<div class="bt-position">您当前的位置：<a href="/">首页</a> &gt; <a href="/col/col1100/index.html">政府信息公开</a> &gt; 政府信息公开年报</div>
<div id="4821" class="main-list">
<table class="tb_list" width="100%%">
%(rows)s
</table>
</div>
<div class="pager">%(pager)s</div>
%(footer)s
</body>
</html>
""" % {"nav": HANWEB_HEAD_NAV % {"site": SITE_NAME}, "rows": rows, "pager": " ".join(pager),
       "footer": FOOTER % {"site": SITE_NAME}}


def plain_article(a, body_html):
    return """<!DOCTYPE html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<meta name="ArticleTitle" content="%(title)s">
<meta name="PubDate" content="%(pub)s 08:00">
<title>%(title)s - %(site)s</title>
</head>
<body>
<header><a href="/">%(site)s</a></header>
<nav><a href="/">首页</a> <a href="/xxgk/">信息公开</a> <a href="/xxgk/ndbg/index.html">年度报告</a></nav>
<main><article>
<h1>%(title)s</h1>
<div class="meta">发布时间：%(pub)s</div>
<div class="article-content">
%(body)s
</div>
</article></main>
<footer>%(site)s 版权所有</footer>
</body>
</html>
""" % {"title": html.escape(a["title"]), "pub": a["date"], "site": SITE_NAME, "body": body_html}


def plain_list(items):
    lis = "\n".join('<li><a href="%s">%s</a> <span>%s</span></li>' % (it["href"], html.escape(it["title"]), it["date"])
                    for it in items)
    return """<!DOCTYPE html>
<html lang="zh-CN">
<head><meta charset="utf-8"><title>年度报告 - %(site)s</title></head>
<body>
<header><a href="/">%(site)s</a></header>
<nav><a href="/">首页</a> <a href="/xxgk/">信息公开</a></nav>
<main><h1>政府信息公开工作年度报告</h1>
<ul class="list">
%(lis)s
</ul></main>
<footer>%(site)s 版权所有</footer>
</body>
</html>
""" % {"site": SITE_NAME, "lis": lis}


def simple_paragraphs(paragraphs):
    return "\n".join("<p>%s</p>" % inline(p) for p in paragraphs)


# --------------------------------------------------------------------------------------------
# The hosts
# --------------------------------------------------------------------------------------------


class Site:
    """One simulated host: path -> resource, plus its part of the manifest."""

    def __init__(self, name, cms):
        self.name = name
        self.cms = cms
        self.routes = {}
        self.manifest = {"cms": cms, "entry": None, "list_pages": [], "reports": [], "non_reports": [],
                         "disallowed": [], "trouble": [], "attachments": [], "robots": None}

    def add(self, path, resource):
        assert path not in self.routes, path
        self.routes[path] = resource

    @property
    def column(self):
        """The column the reports are listed in: where deleted stubs and moved_to_column point.
        It is the host's entry (host1's directory URL, host2's and host3's index.html)."""
        return self.manifest["entry"]


def encode_page(text, charset):
    """Page bytes; characters the charset lacks (U+00A0, U+2002 in GBK) become &#N; as a
    portal's CMS would write them."""
    return text.encode(charset, errors="xmlcharrefreplace")


UNITS = {  # seed -> (unit, title pattern); {Y} is the year reported on
    "000": ("洛市镇人民政府", "洛市镇{Y}年政府信息公开工作年度报告"),
    "001": ("重庆市渝北区洛碛镇人民政府", "重庆市渝北区洛碛镇人民政府{Y}年政府信息公开工作年度报告"),
    "002": ("上屯镇人民政府", "上屯镇人民政府{Y}年政府信息公开工作年度报告"),
    "003": ("五龙口镇人民政府", "五龙口镇人民政府{Y}年政府信息公开工作年度报告"),
    "004": ("王店镇人民政府", "王店镇{Y}年度政府信息公开工作年度报告"),
}


def report_article(seeds, seed, year, date, **extra):
    unit, pattern = UNITS[seed]
    a = {"seed": seeds[seed][0], "year": year, "unit": unit, "title": pattern.format(Y=year), "date": date,
         "charset_style": "utf-8", "flavor": "plain", "kind": "report"}
    a.update(extra)
    a["blocks"] = parse_seed(shift_years(seeds[seed][1], year))
    return a


def lookalike(title, date, kind, paragraphs, unit="本地测试市人民政府办公室"):
    return {"title": title, "date": date, "kind": kind, "unit": unit, "charset_style": "utf-8",
            "flavor": "plain", "paragraphs": paragraphs}


def article_entry(a, path, base):
    """The manifest record of a report page."""
    rec = {"path": path, "url": base + path, "title": a["title"], "unit": a["unit"], "year": a["year"],
           "published": a["date"], "seed": a["seed"], "charset": a.get("charset", "utf-8")}
    if a.get("attachments"):
        rec["attachments"] = [path.rsplit("/", 1)[0] + "/" + name for name, _, _ in a["attachments"]]
    return rec


def portal_page(title, links):
    """A portal's home or 政府信息公开 page: a title and a list of (text, href) links."""
    items = "\n".join('<li><a href="%s">%s</a></li>' % (html.escape(href), html.escape(text)) for text, href in links)
    return ("""<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>%(title)s</title></head>
<body><div class="header"><a href="/">%(site)s</a></div>
<div class="main"><h2>%(title)s</h2><ul>
%(items)s
</ul></div>
<div class="footer"><a href="/wzdt/">网站地图</a> | <a href="/lxwm/">联系我们</a></div>
</body></html>
""" % {"title": html.escape(title), "site": SITE_NAME, "items": items}).encode("utf-8")


# Links of a home page that look like the way to the annual reports and are not (the
# disclosure guide and rules, plans, yearbooks, a news item about one year's report):
# `nianbao discover` must not take them for the column nor fetch them.
HOME_DECOYS = [
    ("政府信息公开指南", "/zfxxgkzn/index.html"),
    ("政府信息公开制度", "/zfxxgkzd/index.html"),
    ("年度工作计划", "/gzjh/index.html"),
    ("本地测试市统计年鉴", "/tjnj/index.html"),
    ("本地测试市2022年政府信息公开工作年度报告发布会召开", "/xwzx/t20230128_9001.html"),
]
# The same on a 政府信息公开 page.
DISCLOSURE_DECOYS = [
    ("政府信息公开指南", "zn/index.html"),
    ("政府信息公开制度", "zd/index.html"),
    ("2023年政务公开工作要点", "gzyd/index.html"),
    ("依申请公开", "ysqgk/index.html"),
]


def add_home(site, columns, middle=None):
    """Gives a host its home page `/`, the one way every host's home leads to its annual-report
    columns [(path, text)]: linked from the home page itself, or (`middle` = (path, text))
    from a 政府信息公开 page the home page links, as real portals do; among decoys on each page
    (HOME_DECOYS, DISCLOSURE_DECOYS), each served as a small page so that a request for one
    shows in the log. Recorded in the manifest: home, discover_entries (every column the home
    leads to, what `nianbao discover` must write), discover_entry (the first, for older
    readers), home_middle (the 政府信息公开 page's path, if any) and home_decoys (paths discover
    must not fetch)."""
    decoys = list(HOME_DECOYS)
    column_links = [(text, path) for path, text in columns]
    if middle is None:
        home_links = [("首页", "/")] + decoys[:2] + column_links + decoys[2:]
    else:
        mpath, mtext = middle
        home_links = [("首页", "/")] + decoys[:2] + [(mtext, mpath)] + decoys[2:]
        mdir = mpath if mpath.endswith("/") else mpath.rsplit("/", 1)[0] + "/"
        inner = [(t, mdir + h) for t, h in DISCLOSURE_DECOYS]
        site.add(mpath, Resource(portal_page(mtext, inner[:2] + column_links + inner[2:]),
                                 "text/html; charset=utf-8", published("2023-01-01")))
        site.manifest["home_middle"] = mpath
        decoys += inner
    for text, path in decoys:
        if path not in site.routes:
            site.add(path, Resource(portal_page(text, [("首页", "/")]), "text/html; charset=utf-8",
                                    published("2023-01-01")))
    site.add("/", Resource(portal_page(SITE_NAME, home_links), "text/html; charset=utf-8", published("2023-01-01")))
    site.manifest["home"] = "/"
    site.manifest["discover_entries"] = [path for path, _ in columns]
    site.manifest["discover_entry"] = columns[0][0]
    site.manifest["home_decoys"] = [path for _, path in decoys]


def build_trs_site(name, seeds, base, revisable):
    """host1 (and host4+): a TRS WCM column /zfxxgk/zfxxgknb/ of 3 list pages, paginated only by
    the createPageHTML(3, i, "index", "html") script, with reports for 2019-2021 of three
    towns and look-alikes that are not reports."""
    site = Site(name, "trs")
    col = "/zfxxgk/zfxxgknb/"
    rep = lambda *a, **k: report_article(seeds, *a, **k)  # noqa: E731
    articles = [
        # (relative path under the column, article)
        ("202201/t20220125_1013.html", rep("004", 2021, "2022-01-25")),
        ("202201/t20220120_1012.html", rep("001", 2021, "2022-01-20")),
        ("202201/t20220117_1011.html", rep("000", 2021, "2022-01-17", flavor="word")),
        ("202103/t20210310_1008.html", lookalike(
            "洛市镇关于开展2021年春季森林防火工作的通知", "2021-03-10", "other",
            ["各村（社区）：", "为切实做好2021年春季森林防火工作，现将有关事项通知如下。", "洛市镇人民政府",
             "2021年3月10日"], unit="洛市镇人民政府")),
        ("202103/t20210302_1006.html", lookalike(
            "重庆市渝北区洛碛镇2020年政务公开工作要点落实情况", "2021-03-02", "key_points",
            ["根据区政府办公室印发的2020年政务公开工作要点，现将我镇落实情况报告如下。",
             "一、围绕重点领域推进公开。二、加强政策解读和回应关切。三、夯实政务公开基础。"],
            unit="重庆市渝北区洛碛镇人民政府")),
        ("202102/t20210206_1005.html", lookalike(
            "《王店镇2020年度政府信息公开工作年度报告》解读", "2021-02-06", "interpretation",
            ["一、报告的主要内容", "报告共分六个部分，分别是总体情况、主动公开政府信息情况、收到和处理政府信息公开申请情况等。",
             "二、主要数据", "2020年，王店镇累计公开政务信息396条。"], unit="王店镇人民政府")),
        ("202102/t20210205_1003.html", rep("004", 2020, "2021-02-05", attachments=[
            ("P020210205512345678901.pdf", "王店镇2020年度政府信息公开工作年度报告.pdf", "pdf"),
            ("P020210205512345678902.docx", "王店镇2020年度政府信息公开工作年度报告.docx", "docx"),
        ])),
        ("202101/t20210122_1002.html", rep("001", 2020, "2021-01-22", charset="gbk", charset_style="none",
                                           content_type="text/html; charset=gbk", flavor="word")),
        ("202101/t20210119_1004.html", lookalike(
            "洛市镇2020年政府信息公开工作年度报告（图解）", "2021-01-19", "picture",
            ['<img src="./W020210119345678901234.jpg" alt="图解">'], unit="洛市镇人民政府")),
        ("202101/t20210119_1001.html", rep("000", 2020, "2021-01-19", flavor="word")),
        ("202012/t20201215_1007.html", lookalike(
            "关于做好2020年政府信息公开工作年度报告编制工作的通知", "2020-12-15", "notice",
            ["各镇人民政府、街道办事处，市政府各部门：",
             "根据《中华人民共和国政府信息公开条例》规定，现就做好2020年政府信息公开工作年度报告编制和发布工作通知如下。",
             "一、各单位应于2021年1月31日前向社会公布本单位2020年政府信息公开工作年度报告。"])),
        ("202001/t20200123_1023.html", rep("004", 2019, "2020-01-23", charset="gbk", charset_style="gb2312-meta",
                                           content_type="text/html")),
        ("202001/t20200121_1022.html", rep("001", 2019, "2020-01-21")),
        ("202001/t20200116_1021.html", rep("000", 2019, "2020-01-16")),
    ]
    per_page = 5
    pages = [articles[i:i + per_page] for i in range(0, len(articles), per_page)]
    site.manifest["entry"] = col
    site.manifest["pagination"] = {"style": "trs_script", "pages": len(pages)}
    # The late report (host1 only): listed first and served once published (Late).
    late = None
    if revisable:
        late = (LATE_PATH[len(col):], rep("001", 2022, LATE_DATE))
        # Signed on the day it was posted (the seed's own date, moved, is before the deadline).
        late[1]["blocks"] = [(k, v.replace("2023年1月19日", "2023年2月20日") if k == "p" else v)
                             for k, v in late[1]["blocks"]]
    for i, chunk in enumerate(pages):
        items = [{"rel": rel, "title": a["title"], "date": a["date"]} for rel, a in chunk]
        body = trs_list(items, i, len(pages)).encode("utf-8")
        lm = max(published(a["date"]) for _, a in chunk)
        res = Resource(body, "text/html; charset=utf-8", lm)
        if late is not None and i == 0:
            shown = [{"rel": late[0], "title": late[1]["title"], "date": late[1]["date"]}] + items
            res = Late(res, Resource(trs_list(shown, i, len(pages)).encode("utf-8"),
                                     "text/html; charset=utf-8", published(LATE_DATE)))
        page_path = col + ("index.html" if i == 0 else "index_%d.html" % i)
        site.add(page_path, res)
        if i == 0:
            site.add(col, res)  # the column's directory URL serves its first page, as TRS does
        site.manifest["list_pages"].append(page_path)
    site.add(col.rstrip("/"), Redirect(col, 301))
    if late is not None:
        a = late[1]
        page = trs_article(a, render_body(a["blocks"], a["flavor"]))
        site.add(LATE_PATH, Late(None, Resource(page.encode("utf-8"), "text/html; charset=utf-8",
                                                published(LATE_DATE))))
        site.manifest["late"] = article_entry(a, LATE_PATH, base)
    add_home(site, [(col, "政府信息公开年报")], middle=("/zfxxgk/", "政府信息公开"))

    for rel, a in articles:
        path = col + rel
        charset = a.get("charset", "utf-8")
        ctype = a.get("content_type", "text/html; charset=utf-8")
        lm = published(a["date"])
        if a["kind"] == "report":
            page = trs_article(a, render_body(a["blocks"], a["flavor"]))
            res = Resource(encode_page(page, charset), ctype, lm)
            if revisable and path == REVISE_PATH:
                revised = trs_article(a, render_body(revise_blocks(a["blocks"]), a["flavor"]))
                res = Revisable(name, path, res, Resource(encode_page(revised, charset), ctype,
                                                          published("2021-02-03", 10, 0)))
            site.add(path, res)
            rec = article_entry(a, path, base)
            if isinstance(res, Revisable):
                rec["revisable"] = True
            site.manifest["reports"].append(rec)
            for fname, label, kind in a.get("attachments", []):
                apath = path.rsplit("/", 1)[0] + "/" + fname
                if kind == "pdf":
                    data, atype = make_pdf("Attachment: %s %d annual report" % ("Wangdian", a["year"])), "application/pdf"
                else:
                    data = make_docx(a["title"], [b[1] for b in a["blocks"] if b[0] == "p"][:5])
                    atype = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
                site.add(apath, Resource(data, atype, lm))
                site.manifest["attachments"].append({"path": apath, "url": base + apath, "report": path,
                                                     "content_type": atype, "bytes": len(data)})
        else:
            body = a["paragraphs"][0] if a["kind"] == "picture" else simple_paragraphs(a["paragraphs"])
            site.add(path, Resource(encode_page(trs_article(a, body), charset), ctype, lm))
            site.manifest["non_reports"].append({"path": path, "url": base + path, "title": a["title"],
                                                 "kind": a["kind"]})

    robots = ("# robots.txt of %s (TRS WCM portal): everything may be crawled.\n"
              "# Please identify your crawler in the User-Agent header.\n"
              "User-agent: *\n" % name).encode("ascii")
    site.add("/robots.txt", Resource(robots, "text/plain", published("2020-01-01")))
    site.manifest["robots"] = "allow_all"
    return site


def build_host2(seeds, base):
    """host2: a Hanweb column /col/col1234/ of 3 list pages joined by "下一页" links; a robots.txt
    that disallows /private/ although the list links a report there; a report that fails
    with 500 twice and one that answers 429 (Retry-After: 2) once before they succeed."""
    site = Site("host2", "hanweb")
    rep = lambda *a, **k: report_article(seeds, *a, **k)  # noqa: E731

    def art_path(date, n, prefix=""):
        y, m, d = (int(x) for x in date.split("-"))
        return "%s/art/%d/%d/%d/art_1234_%d.html" % (prefix, y, m, d, n)

    entries = [  # (path, article, special)
        (art_path("2022-01-26", 5003), rep("003", 2021, "2022-01-26"), None),
        (art_path("2022-01-21", 5004), rep("002", 2021, "2022-01-21"), None),
        (art_path("2021-03-05", 5012), lookalike(
            "上屯镇2021年政务公开工作要点", "2021-03-05", "key_points",
            ["2021年全镇政务公开工作要点如下。", "一、深化重点领域信息公开。二、加强政策解读。"],
            unit="上屯镇人民政府"), None),
        (art_path("2021-01-27", 5011), lookalike(
            "上屯镇人民政府2020年政府信息公开工作年度报告（图解）", "2021-01-27", "picture",
            ['<img src="/picture/0/2101271530123.jpg" alt="图解">'], unit="上屯镇人民政府"), None),
        (art_path("2021-01-26", 5001), rep("003", 2020, "2021-01-26"), None),
        (art_path("2021-01-20", 5002), rep("002", 2020, "2021-01-20"), None),
        (art_path("2021-01-22", 5009, "/private"), rep("002", 2018, "2021-01-22"), "disallowed"),
        (art_path("2020-12-10", 5013), lookalike(
            "五龙口镇关于做好政府信息公开工作年度报告发布工作的通知", "2020-12-10", "notice",
            ["各办（站、所）：", "请于2021年1月20日前报送本单位政府信息公开工作年度报告。"], unit="五龙口镇人民政府"), None),
        (art_path("2020-01-23", 5005), rep("003", 2019, "2020-01-23"), "retry_then_ok"),
        (art_path("2020-01-17", 5006), rep("002", 2019, "2020-01-17"), "retry_after_then_ok"),
    ]
    per_page = 4
    pages = [entries[i:i + per_page] for i in range(0, len(entries), per_page)]
    site.manifest["entry"] = "/col/col1234/index.html"
    site.manifest["pagination"] = {"style": "next_page_link", "text": "下一页", "pages": len(pages)}
    for i, chunk in enumerate(pages, 1):
        items = [{"path": p, "title": a["title"], "date": a["date"]} for p, a, _ in chunk]
        body = hanweb_list(items, i, len(pages)).encode("utf-8")
        lm = max(published(a["date"], 10, 15) for _, a, _ in chunk)
        page_path = "/col/col1234/index.html" if i == 1 else "/col/col1234/index_%d.html" % i
        site.add(page_path, Resource(body, "text/html;charset=UTF-8", lm))
        site.manifest["list_pages"].append(page_path)

    for path, a, special in entries:
        lm = published(a["date"], 10, 15)
        if a["kind"] != "report":
            body = a["paragraphs"][0] if a["kind"] == "picture" else simple_paragraphs(a["paragraphs"])
            site.add(path, Resource(hanweb_article(a, body).encode("utf-8"), "text/html;charset=UTF-8", lm))
            site.manifest["non_reports"].append({"path": path, "url": base + path, "title": a["title"],
                                                 "kind": a["kind"]})
            continue
        res = Resource(hanweb_article(a, render_body(a["blocks"], "plain")).encode("utf-8"),
                       "text/html;charset=UTF-8", lm)
        rec = article_entry(a, path, base)
        if special == "disallowed":
            site.add(path, res)  # served if asked, so a test can see a robots violation in the log
            site.manifest["disallowed"].append({"path": path, "url": base + path, "title": a["title"],
                                                "rule": "Disallow: /private/"})
            continue
        if special == "retry_then_ok":
            res = Flaky("host2", path, res, [(500, []), (500, [])])
            site.manifest["trouble"].append({"path": path, "url": base + path, "expect": "retry_then_ok",
                                             "responses": [500, 500, 200]})
        elif special == "retry_after_then_ok":
            res = Flaky("host2", path, res, [(429, [("Retry-After", "2")])])
            site.manifest["trouble"].append({"path": path, "url": base + path, "expect": "retry_after_then_ok",
                                             "responses": [429, 200], "retry_after_seconds": 2})
        site.add(path, res)
        site.manifest["reports"].append(rec)

    add_home(site, [("/col/col1234/index.html", "信息公开年报")])
    robots = b"User-agent: *\nDisallow: /private/\n"
    site.add("/robots.txt", Resource(robots, "text/plain", published("2020-01-01")))
    site.manifest["robots"] = "disallow /private/"
    return site


def build_host3(seeds, base, port):
    """host3: trouble. A list /xxgk/ndbg/index.html links two normal reports (one sent chunked),
    a report that stalls 30 s after its headers, a redirect loop and two 20 MiB pages; every
    link text looks like a report. No robots.txt (404: "unavailable", i.e. allow all)."""
    site = Site("host3", "plain")
    col = "/xxgk/ndbg/"
    normal1 = report_article(seeds, "003", 2022, "2023-01-15")
    normal2 = report_article(seeds, "002", 2022, "2023-01-20")
    slow = report_article(seeds, "000", 2022, "2023-01-18")
    for a in (normal1, normal2, slow):
        a["title"] = "（转载）" + a["title"]  # a county portal reposting its towns' reports

    def page(a):
        return plain_article(a, render_body(a["blocks"], "plain")).encode("utf-8")

    links = []
    for path, a, chunked in ((col + "content_3001.html", normal1, False), (col + "content_3002.html", normal2, True)):
        site.add(path, Resource(page(a), "text/html; charset=utf-8", published(a["date"], 8, 0), chunked=chunked))
        rec = article_entry(a, path, base)
        rec["chunked"] = chunked
        site.manifest["reports"].append(rec)
        links.append({"href": path, "title": a["title"], "date": a["date"]})

    slow_path = col + "content_3003.html"
    site.add(slow_path, Stall(Resource(page(slow), "text/html; charset=utf-8", published(slow["date"], 8, 0)),
                              STALL_SECONDS))
    links.append({"href": slow_path, "title": slow["title"], "date": slow["date"]})
    site.manifest["trouble"].append({"path": slow_path, "url": base + slow_path, "expect": "timeout",
                                     "detail": "headers at once, then no byte for %d s" % STALL_SECONDS})

    site.add("/loop/a", Redirect(lambda h: "http://127.0.0.1:%d/loop/b" % port))  # absolute Location
    site.add("/loop/b", Redirect("/loop/a"))  # relative Location
    links.append({"href": "/loop/a", "title": "（转载）本地测试市2022年政府信息公开工作年度报告（跳转）", "date": "2023-01-12"})
    site.manifest["trouble"].append({"path": "/loop/a", "url": base + "/loop/a", "expect": "redirect_loop",
                                     "chain": ["/loop/a", "/loop/b", "/loop/a"]})

    for path, chunked, label in (("/big.html", False, "超大页面"), ("/big-chunked.html", True, "超大页面（分块）")):
        site.add(path, Big("本地测试市2022年政府信息公开工作年度报告（%s）" % label, BIG_SIZE, chunked))
        links.append({"href": path, "title": "（转载）本地测试市2022年政府信息公开工作年度报告（%s）" % label,
                      "date": "2023-01-10"})
        site.manifest["trouble"].append({"path": path, "url": base + path, "expect": "too_large",
                                         "bytes": BIG_SIZE, "chunked": chunked})

    body = plain_list(links).encode("utf-8")
    site.add(col + "index.html", Resource(body, "text/html; charset=utf-8", published("2023-01-20", 8, 0)))
    site.manifest["entry"] = col + "index.html"
    site.manifest["list_pages"].append(col + "index.html")
    site.manifest["pagination"] = {"style": "none", "pages": 1}
    site.manifest["robots"] = "unavailable"  # /robots.txt answers 404
    add_home(site, [(col + "index.html", "年度报告")], middle=("/xxgk/", "政务公开"))
    return site


# The CMS hosts: named, not numbered, so that --hosts N (host4+ copies of host1) keeps its
# meaning; they listen on the ports after the numbered hosts (P+N+1, P+N+2).
# Their names and builders are rows of CMS_SITES (after the builders, below); a new shape is
# one more row, its builder `build(name, seeds, base)` returning a Site.
HANWEB_COLUMN = "/col/col5678/index.html"
HANWEB_PROXY = "/module/web/jpage/dataproxy.jsp"
HANWEB_PARAMS = {"col": "1", "appid": "1", "webid": "3", "path": "/", "columnid": "5678",
                 "sourceContentType": "1", "unitid": "9012", "webname": "本地测试市人民政府",
                 "permissiontype": "0"}
HANWEB_PER_PAGE = 3


def hanweb_record(path, title, date):
    return ('<record><![CDATA[<li><a href="%s" target="_blank" title="%s">%s</a><span>%s</span></li>]]></record>'
            % (path, html.escape(title), html.escape(title), date))


def hanweb_datastore(records, total):
    return ("<datastore><nextgroup><![CDATA[<a href=\"%s?page=1&webid=3&columnid=5678\"></a>]]></nextgroup>"
            "<recordset>\n%s\n</recordset><totalrecord>%d</totalrecord></datastore>"
            % (HANWEB_PROXY, "\n".join(records), total))


class HanwebProxy:
    """dataproxy.jsp: POST ?startrecord=S&endrecord=E&perpage=P with the column's form body
    answers the records S..E (1-based) as the datastore XML; GET answers 405, as many do."""

    def __init__(self, records, params):
        self.records = records
        self.params = params
        self.methods = ("POST",)

    def content(self, portal):
        return AlwaysFull(b"")

    def serve(self, h, head):
        query = {k: v[0] for k, v in parse_qs(urlsplit(h.path).query).items()}
        form = {k: v[0] for k, v in parse_qs(h.request_body.decode("utf-8", "replace")).items()}
        try:
            start, end = int(query["startrecord"]), int(query["endrecord"])
        except (KeyError, ValueError):
            h.send_error_page(400)
            return
        if any(form.get(k) != v for k, v in self.params.items()):  # another column: nothing
            chosen = []
        else:
            chosen = self.records[max(start, 1) - 1:max(end, 0)]
        body = ('<?xml version="1.0" encoding="UTF-8"?>' + hanweb_datastore(chosen, len(self.records))).encode()
        h.start(200, [("Content-Type", "text/xml;charset=UTF-8"), ("Content-Length", str(len(body))),
                      ("Cache-Control", "no-cache")])
        h.write(body)


def build_cms_hanweb(name, seeds, base):
    """A Hanweb jpage column: the first 3 records in the page's <script type="text/xml">
    datastore, the rest only from a POST to dataproxy.jsp (405 to GET)."""
    site = Site(name, "hanweb")
    rep = lambda *a, **k: report_article(seeds, *a, **k)  # noqa: E731

    def art(date, n):
        y, m, d = (int(x) for x in date.split("-"))
        return "/art/%d/%d/%d/art_5678_%d.html" % (y, m, d, n)

    entries = [
        (art("2022-01-28", 6001), rep("000", 2021, "2022-01-28")),
        (art("2022-01-27", 6002), lookalike("本地测试市2021年政府信息公开工作年度报告（图解）", "2022-01-27",
                                            "picture", ['<img src="/picture/0/2201.jpg" alt="图解">'])),
        (art("2022-01-25", 6003), rep("001", 2021, "2022-01-25")),
        (art("2021-01-29", 6004), rep("002", 2020, "2021-01-29")),
        (art("2021-01-18", 6005), lookalike("关于做好2020年政府信息公开工作年度报告发布工作的通知", "2021-01-18",
                                            "notice", ["请各单位按时发布年度报告。"])),
        (art("2021-01-15", 6006), rep("003", 2020, "2021-01-15")),
        (art("2020-01-20", 6007), rep("004", 2019, "2020-01-20")),
        (art("2020-01-16", 6008), rep("000", 2019, "2020-01-16")),
    ]
    records = [hanweb_record(p, a["title"], a["date"]) for p, a in entries]
    first = records[:3]
    params = ",".join("%s:%s" % (k, v if k in ("col", "appid", "permissiontype") else "'%s'" % v)
                      for k, v in HANWEB_PARAMS.items())
    page = """<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>政府信息公开年报</title>
<script src="/module/jslib/jquery/jquery.js"></script><script src="/module/web/jpage/jpage.js"></script></head>
<body>
%(nav)s
<div class="bt-position">您当前的位置：<a href="/">首页</a> &gt; 政府信息公开年报</div>
<div id="6211"><script type="text/xml">%(store)s</script></div>
<script>
$(document).ready(function() {
  $('#6211').jpage({ dataStore: dataStore, openCookies: false, perPage: %(per)d, totalRecord: %(total)d,
    proxyUrl: '%(proxy)s', ajaxParam: {%(params)s}, pageCountBy: 'A', groupSize: 1 });
});
</script>
%(footer)s
</body></html>
""" % {"nav": HANWEB_HEAD_NAV % {"site": SITE_NAME}, "store": hanweb_datastore(first, len(records)),
       "per": HANWEB_PER_PAGE, "total": len(records), "proxy": HANWEB_PROXY, "params": params,
       "footer": FOOTER % {"site": SITE_NAME}}
    site.add(HANWEB_COLUMN, Resource(page.encode("utf-8"), "text/html;charset=UTF-8", published("2022-01-28")))
    site.add(HANWEB_PROXY, HanwebProxy(records, HANWEB_PARAMS))
    site.manifest["entry"] = HANWEB_COLUMN
    site.manifest["list_pages"].append(HANWEB_COLUMN)
    site.manifest["pagination"] = {"style": "hanweb_dataproxy", "proxy": HANWEB_PROXY, "method": "POST",
                                   "static_records": 3, "per_page": HANWEB_PER_PAGE, "total": len(records)}
    for path, a in entries:
        lm = published(a["date"], 10, 15)
        if a["kind"] == "report":
            body = hanweb_article(a, render_body(a["blocks"], "plain"))
            site.manifest["reports"].append(article_entry(a, path, base))
        else:
            body = hanweb_article(a, a["paragraphs"][0] if a["kind"] == "picture" else simple_paragraphs(a["paragraphs"]))
            site.manifest["non_reports"].append({"path": path, "url": base + path, "title": a["title"], "kind": a["kind"]})
        site.add(path, Resource(body.encode("utf-8"), "text/html;charset=UTF-8", lm))
    site.add("/robots.txt", Resource(b"User-agent: *\nDisallow:\n", "text/plain", published("2020-01-01")))
    site.manifest["robots"] = "allow_all"
    add_home(site, [(HANWEB_COLUMN, "政府信息公开年报")])
    return site


def build_cms_trs(name, seeds, base):
    """A TRS column of .shtml pages with the 1-based pager createPageHTML('page_div',3,cur,
    'index','shtml',N): index.shtml, index_2.shtml, index_3.shtml; index_1.shtml is 404."""
    site = Site(name, "trs")
    col = "/zwgk/xxgknb/"
    rep = lambda *a, **k: report_article(seeds, *a, **k)  # noqa: E731
    articles = [
        ("202201/t20220126_2001.shtml", rep("001", 2021, "2022-01-26")),
        ("202201/t20220124_2002.shtml", lookalike("王店镇2021年政府信息公开工作年度报告（图解）", "2022-01-24",
                                                  "picture", ['<img src="./W0201.jpg" alt="图解">'])),
        ("202101/t20210128_2003.shtml", rep("004", 2020, "2021-01-28")),
        ("202101/t20210121_2004.shtml", rep("002", 2020, "2021-01-21")),
        ("202012/t20201210_2005.shtml", lookalike("关于做好2020年政府信息公开工作年度报告编制工作的通知",
                                                  "2020-12-10", "notice", ["请按时编制。"])),
        ("202001/t20200122_2006.shtml", rep("003", 2019, "2020-01-22")),
        ("202001/t20200117_2007.shtml", rep("000", 2019, "2020-01-17")),
    ]
    per_page = 3
    pages = [articles[i:i + per_page] for i in range(0, len(articles), per_page)]
    site.manifest["entry"] = col + "index.shtml"
    site.manifest["pagination"] = {"style": "trs_script_1based", "pages": len(pages)}
    for i, chunk in enumerate(pages, 1):
        items = [{"rel": rel, "title": a["title"], "date": a["date"]} for rel, a in chunk]
        text = trs_list(items, i, len(pages))
        text = text.replace(TRS_PAGER_JS % (len(pages), i),
                            "<div id=\"page_div\"></div><script>createPageHTML('page_div',%d,%d,'index','shtml',%d);</script>"
                            % (len(pages), i, len(articles)))
        page_path = col + ("index.shtml" if i == 1 else "index_%d.shtml" % i)
        lm = max(published(a["date"]) for _, a in chunk)
        site.add(page_path, Resource(text.encode("utf-8"), "text/html; charset=utf-8", lm))
        site.manifest["list_pages"].append(page_path)
    for rel, a in articles:
        path = col + rel
        lm = published(a["date"])
        if a["kind"] == "report":
            body = trs_article(a, render_body(a["blocks"], "plain"))
            site.manifest["reports"].append(article_entry(a, path, base))
        else:
            body = trs_article(a, a["paragraphs"][0] if a["kind"] == "picture" else simple_paragraphs(a["paragraphs"]))
            site.manifest["non_reports"].append({"path": path, "url": base + path, "title": a["title"], "kind": a["kind"]})
        site.add(path, Resource(body.encode("utf-8"), "text/html; charset=utf-8", lm))
    site.add("/robots.txt", Resource(b"User-agent: *\n", "text/plain", published("2020-01-01")))
    site.manifest["robots"] = "allow_all"
    add_home(site, [(col + "index.shtml", "政府信息公开工作年度报告")], middle=("/zwgk/", "信息公开"))
    return site


def add_html_fixtures(site, base):
    """HTML pages in tests/fixtures/html/ (if any) are served unlinked under /fixtures/ on
    host1, so tests can fetch a known page over HTTP. They are not part of the crawl."""
    out = []
    if HTML_FIXTURE_DIR.is_dir():
        for p in sorted(HTML_FIXTURE_DIR.iterdir()):
            if p.is_file() and p.suffix.lower() in (".html", ".htm", ".shtml"):
                path = "/fixtures/" + p.name
                site.add(path, Resource(p.read_bytes(), "text/html", published("2021-01-01")))
                out.append({"path": path, "url": base + path})
    return out


# --------------------------------------------------------------------------------------------
# Shared state: control switches, request log
# --------------------------------------------------------------------------------------------


def atomic_write(path, text):
    tmp = str(path) + ".tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(text)
    os.replace(tmp, path)


class Control:
    """Which reports are revised, how often each flaky path was requested, which pages
    misbehave and how often each was requested in its mode. With --state-dir all of it survives
    a restart (control.json); only POST /__control/reset clears everything. Keys are
    (host, path); in JSON "host path"."""

    def __init__(self, state_dir):
        self.lock = threading.Lock()
        self.revised = set()
        self.counters = {}
        self.misbehave = {}  # (host, path) -> mode name
        self.misbehave_requests = {}  # (host, path) -> requests answered in the current mode
        self.moved = set()  # hosts whose column moved (POST /__control/move-column)
        self.file = Path(state_dir) / "control.json" if state_dir else None
        if self.file and self.file.exists():
            data = json.loads(self.file.read_text(encoding="utf-8"))
            keyed = lambda d: {tuple(k.split(" ", 1)): v for k, v in d.items()}  # noqa: E731
            self.revised = {tuple(k.split(" ", 1)) for k in data.get("revised", [])}
            self.counters = keyed(data.get("counters", {}))
            # a mode this portal does not know (a state written by another version) is dropped
            self.misbehave = {k: v for k, v in keyed(data.get("misbehave", {})).items() if v in MISBEHAVE_MODES}
            self.misbehave_requests = keyed(data.get("misbehave_requests", {}))
            self.moved = set(data.get("moved", []))

    def _save(self):
        if self.file:
            atomic_write(self.file, json.dumps(self.snapshot(), ensure_ascii=False, indent=1))

    def snapshot(self):
        joined = lambda d: {" ".join(k): v for k, v in sorted(d.items())}  # noqa: E731
        return {"revised": sorted(" ".join(k) for k in self.revised),
                "counters": joined(self.counters),
                "misbehave": joined(self.misbehave),
                "misbehave_requests": joined(self.misbehave_requests),
                "moved": sorted(self.moved)}

    def is_revised(self, key):
        with self.lock:
            return key in self.revised

    def revise(self, key):
        with self.lock:
            self.revised.add(key)
            self._save()

    def revert(self, key):
        """Back to the original version; counters and modes stay as they are."""
        with self.lock:
            self.revised.discard(key)
            self._save()

    def reset(self):
        with self.lock:
            self.revised.clear()
            self.counters.clear()
            self.misbehave.clear()
            self.misbehave_requests.clear()
            self.moved.clear()
            self._save()

    def set_misbehaviour(self, key, mode):
        """Sets a page's mode (MISBEHAVE_NORMAL clears it); the request count starts again, so
        the answers after a switch are the same on every run."""
        with self.lock:
            self.misbehave_requests.pop(key, None)
            if mode == MISBEHAVE_NORMAL:
                self.misbehave.pop(key, None)
            else:
                self.misbehave[key] = mode
            self._save()

    def misbehaving(self, key):
        """(mode, n) for the n-th request to a page in its mode, or (None, 0) for a normal page."""
        with self.lock:
            mode = self.misbehave.get(key)
            if mode is None:
                return None, 0
            n = self.misbehave_requests[key] = self.misbehave_requests.get(key, 0) + 1
            self._save()
            return mode, n

    def is_moved(self, host):
        with self.lock:
            return host in self.moved

    def move_column(self, host):
        with self.lock:
            self.moved.add(host)
            self._save()

    def bump(self, key):
        with self.lock:
            self.counters[key] = self.counters.get(key, 0) + 1
            self._save()
            return self.counters[key]


class RequestLog:
    """Every request but /__control/*: kept in memory and appended to --log FILE as JSON lines
    (flushed per line). An entry is written when its response ends."""

    def __init__(self, path):
        self.lock = threading.Lock()
        self.entries = []
        self.file = open(path, "w", encoding="utf-8") if path else None

    def add(self, entry):
        with self.lock:
            entry["seq"] = len(self.entries)
            line = json.dumps(entry, ensure_ascii=False)
            self.entries.append(entry)
            if self.file:
                self.file.write(line + "\n")
                self.file.flush()

    def lines(self, host=None):
        with self.lock:
            return [json.dumps(e, ensure_ascii=False) for e in self.entries if host is None or e["host"] == host]

    def clear(self):
        with self.lock:
            self.entries = []

    def close(self):
        if self.file:
            self.file.close()


class Portal:
    def __init__(self, args):
        self.stop = threading.Event()
        self.control = Control(args.state_dir)
        self.log = RequestLog(args.log)
        self.sites = {}  # host name -> Site
        self.manifest = None


# --------------------------------------------------------------------------------------------
# HTTP
# --------------------------------------------------------------------------------------------


class PortalServer(ThreadingHTTPServer):
    daemon_threads = True  # a stalled response never holds up shutdown
    request_queue_size = 64

    def __init__(self, addr, portal, host_name):
        super().__init__(addr, PortalHandler)
        self.portal = portal
        self.host_name = host_name
        self.site = None  # set once every port is known
        self.conn_seq = 0
        self.conn_lock = threading.Lock()


ERROR_TITLES = {400: "Bad Request", 404: "Not Found", 405: "Method Not Allowed", 410: "Gone",
                429: "Too Many Requests", 500: "Internal Server Error"}


class PortalHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive; every response has Content-Length or is chunked
    server_version = "LocalPortal/1.0"
    sys_version = ""
    timeout = 120  # idle keep-alive connections are dropped after this

    def setup(self):
        super().setup()
        with self.server.conn_lock:
            self.server.conn_seq += 1
            self.conn_id = self.server.conn_seq

    @property
    def portal(self):
        return self.server.portal

    def log_message(self, fmt, *args):  # the request log replaces http.server's stderr lines
        pass

    def version_string(self):  # the Server header
        return self.server_version

    def do_GET(self):
        self.dispatch(head=False)

    def do_HEAD(self):
        self.dispatch(head=True)

    def do_POST(self):
        self.dispatch(head=False)

    # -- response helpers (count body bytes for the log) --

    def start(self, status, headers):
        self.status = status
        self.send_response(status)
        for k, v in headers:
            self.send_header(k, v)
        self.end_headers()

    def write(self, data):
        if self.portal.stop.is_set():
            raise ConnectionAbortedError("portal stopping")
        self.wfile.write(data)
        self.sent += len(data)

    def write_chunked(self, pieces):
        for p in pieces:
            if p:
                self.write(b"%x\r\n" % len(p) + p + b"\r\n")
        self.write(b"0\r\n\r\n")

    def send_error_page(self, status, extra_headers=(), head=False):
        title = "%d %s" % (status, ERROR_TITLES.get(status, "Error"))
        body = ("<html><head><title>%s</title></head><body><h1>%s</h1></body></html>\n" % (title, title)).encode()
        self.start(status, list(extra_headers) + [("Content-Type", "text/html; charset=utf-8"),
                                                  ("Content-Length", str(len(body)))])
        if not head:
            self.write(body)

    def not_modified(self, etag, last_modified):
        """RFC 9110 13.1.2 / 13.1.3: If-None-Match (weak comparison) takes precedence over
        If-Modified-Since."""
        if self.command not in ("GET", "HEAD"):
            return False
        inm = self.headers.get("If-None-Match")
        if inm is not None:
            tags = {t.strip() for t in inm.split(",")}
            if "*" in tags:
                return True
            strip_weak = lambda t: t[2:] if t.startswith("W/") else t  # noqa: E731
            return strip_weak(etag) in {strip_weak(t) for t in tags}
        ims = self.headers.get("If-Modified-Since")
        if ims:
            try:
                since = email.utils.parsedate_to_datetime(ims)
            except (TypeError, ValueError, IndexError):
                return False
            if since is None:
                return False
            if since.tzinfo is None:
                since = since.replace(tzinfo=UTC)
            return int(last_modified.timestamp()) <= since.timestamp()
        return False

    def wait_or_hangup(self, seconds):
        """Waits `seconds`; False early if the client closed the connection or the portal stops."""
        deadline = time.monotonic() + seconds
        sock = self.connection
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                return True
            if self.portal.stop.is_set():
                return False
            readable, _, _ = select.select([sock], [], [], min(0.25, left))
            if readable:
                try:
                    if sock.recv(1, socket.MSG_PEEK) == b"":
                        self.aborted = True
                        self.close_connection = True
                        return False
                except OSError:
                    self.aborted = True
                    self.close_connection = True
                    return False
                time.sleep(0.25)  # pipelined bytes: keep waiting without spinning

    # -- dispatch --

    def dispatch(self, head):
        t0 = time.monotonic()
        wall = datetime.datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
        split = urlsplit(self.path)
        path = split.path or "/"
        if path.startswith("/__control/"):
            self.control(path, parse_qs(split.query))
            return
        self.status = None
        self.sent = 0
        self.aborted = False
        mode = None
        try:
            self.request_body = self.read_body()
            resource = self.server.site.routes.get(path)
            allowed = getattr(resource, "methods", ("GET", "HEAD"))
            if resource is not None and self.command not in allowed:
                self.send_error_page(405, [("Allow", ", ".join(allowed))])
            else:
                if resource is None:
                    self.send_error_page(404, head=head)
                else:
                    mode, n = self.portal.control.misbehaving((self.server.host_name, path))
                    if mode is None:
                        resource.serve(self, head)
                    else:
                        MISBEHAVE_MODES[mode].serve(self, head, resource.content(self.portal), n)
        except (BrokenPipeError, ConnectionResetError, ConnectionAbortedError, socket.timeout):
            self.aborted = True
            self.close_connection = True
        finally:
            entry = {
                "t": t0, "wall": wall, "host": self.server.host_name, "port": self.server.server_address[1],
                "method": self.command, "path": self.path, "status": self.status, "bytes": self.sent,
                "user-agent": self.headers.get("User-Agent"),
                "if-none-match": self.headers.get("If-None-Match"),
                "if-modified-since": self.headers.get("If-Modified-Since"),
                "referer": self.headers.get("Referer"),
                "x-requested-with": self.headers.get("X-Requested-With"),
                "conn": self.conn_id, "dur": round(time.monotonic() - t0, 4), "aborted": self.aborted,
            }
            if mode is not None:  # only on misbehaving answers: the other entries stay as they were
                entry["misbehave"] = mode
            self.portal.log.add(entry)

    def discard_body(self):
        self.read_body()

    def read_body(self):
        n = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(min(n, 1 << 20)) if n > 0 else b""

    def control(self, path, query):
        """/__control/*: never logged. See README.md."""
        self.sent = 0
        self.discard_body()
        portal = self.portal
        name = path[len("/__control/"):]
        posts = {"revise", "revert", "misbehave", "reset", "clear-log", "publish-late", "unpublish-late",
                 "move-column", "revise-attachment"}
        gets = {"manifest", "log", "state"}
        if name not in posts | gets:
            body, ctype, status = b'{"error": "unknown control endpoint"}\n', "application/json", 404
        elif (name in posts) != (self.command == "POST"):
            body, ctype, status = b'{"error": "method not allowed"}\n', "application/json", 405
        elif name == "manifest":
            body, ctype, status = json.dumps(portal.manifest, ensure_ascii=False, indent=1).encode(), \
                "application/json; charset=utf-8", 200
        elif name == "log":
            host = query.get("host", [None])[0]
            lines = portal.log.lines(host)
            body = ("\n".join(lines) + ("\n" if lines else "")).encode("utf-8")
            ctype, status = "application/x-ndjson; charset=utf-8", 200
        elif name == "state":
            body, ctype, status = json.dumps(portal.control.snapshot(), ensure_ascii=False).encode(), \
                "application/json; charset=utf-8", 200
        elif name == "revise":
            if REVISE_HOST in portal.sites:
                portal.control.revise((REVISE_HOST, REVISE_PATH))
            body = json.dumps({"ok": True, "revised": portal.manifest.get("revise")}, ensure_ascii=False).encode()
            ctype, status = "application/json; charset=utf-8", 200
        elif name == "revise-attachment":
            if DOCUMENTS_HOST in portal.sites:
                portal.control.revise((DOCUMENTS_HOST, DOCUMENTS_REVISE_PATH))
            body = json.dumps({"ok": True, "revised": DOCUMENTS_REVISE_PATH}, ensure_ascii=False).encode()
            ctype, status = "application/json; charset=utf-8", 200
        elif name == "revert":
            if REVISE_HOST in portal.sites:
                portal.control.revert((REVISE_HOST, REVISE_PATH))
            body = json.dumps({"ok": True, "reverted": portal.manifest.get("revise")}, ensure_ascii=False).encode()
            ctype, status = "application/json; charset=utf-8", 200
        elif name in ("publish-late", "unpublish-late"):
            if LATE_HOST in portal.sites:
                (portal.control.revise if name == "publish-late" else portal.control.revert)((LATE_HOST, LATE_PATH))
            body = json.dumps({"ok": True, name.replace("-", "_"): portal.manifest["hosts"].get(LATE_HOST, {}).get("late")},
                              ensure_ascii=False).encode()
            ctype, status = "application/json; charset=utf-8", 200
        elif name == "misbehave":
            answer, status = self.set_misbehaviour(query)
            body, ctype = json.dumps(answer, ensure_ascii=False).encode(), "application/json; charset=utf-8"
        elif name == "move-column":
            answer, status = self.move_column(query)
            body, ctype = json.dumps(answer, ensure_ascii=False).encode(), "application/json; charset=utf-8"
        elif name == "reset":
            portal.control.reset()
            body, ctype, status = b'{"ok": true}', "application/json", 200
        else:  # clear-log
            portal.log.clear()
            body, ctype, status = b'{"ok": true}', "application/json", 200
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def move_column(self, query):
        """POST /__control/move-column?host=H: H's annual-report column moves to its new place
        (manifest "move"); (JSON answer, status)."""
        host = query.get("host", [None])[0]
        site = self.portal.sites.get(host)
        if site is None or "move" not in site.manifest:
            return {"error": "%s has no column that moves" % host}, 404
        self.portal.control.move_column(host)
        return {"ok": True, "host": host, "entry": site.manifest["move"]["entry_after"]}, 200

    def set_misbehaviour(self, query):
        """POST /__control/misbehave?host=H&path=P&mode=M: (JSON answer, status)."""
        host, path, mode = (query.get(k, [None])[0] for k in ("host", "path", "mode"))
        if not (host and path and mode):
            return {"error": "host, path and mode are required"}, 400
        site = self.portal.sites.get(host)
        if site is None:
            return {"error": "unknown host %s" % host}, 404
        resource = site.routes.get(path)
        if resource is None:
            return {"error": "%s serves no %s" % (host, path)}, 404
        if mode != MISBEHAVE_NORMAL:
            behaviour = MISBEHAVE_MODES.get(mode)
            if behaviour is None:
                return {"error": "unknown mode %s" % mode,
                        "modes": [MISBEHAVE_NORMAL] + list(MISBEHAVE_MODES)}, 400
            if not behaviour.applies_to(resource.content(self.portal)):
                return {"error": "mode %s needs a page with %s; %s %s has none"
                        % (mode, "a <body> tag" if behaviour.needs == "html" else "a fixed body", host, path)}, 400
        self.portal.control.set_misbehaviour((host, path), mode)
        return {"ok": True, "host": host, "path": path, "mode": mode}, 200


# --------------------------------------------------------------------------------------------
# Start-up, manifest, shutdown
# --------------------------------------------------------------------------------------------


# Lists behind lists and firewalls (cms-shells, cms-years, cms-gateway): plain pages with a
# portal's chrome; the chrome's decoy links (指南, 制度, 年度工作计划, 统计年鉴) lead nowhere a
# crawler of annual reports should go, and their paths are in the manifest's "decoys".
SHELL_DECOYS = [("/zwgk/xxgkzn/", "政府信息公开指南"), ("/zwgk/xxgkzd/", "政府信息公开制度"),
                ("/zwgk/gzjh/2023/", "2023年工作计划"), ("/tjsj/tjnj/", "统计年鉴")]


def chrome_page(title, inner, head=""):
    """A page of the local test portal's newer sites: header, decoy navigation, `inner`, footer."""
    nav = " ".join('<a href="%s">%s</a>' % (href, text) for href, text in [("/", "首页")] + SHELL_DECOYS)
    return """<!DOCTYPE html>
<html lang="zh-CN">
<head><meta charset="utf-8"><title>%(title)s - %(site)s</title>%(head)s</head>
<body>
<header><a href="/">%(site)s</a></header>
<nav>%(nav)s</nav>
<main><h1>%(title)s</h1>
%(inner)s
</main>
<footer>%(site)s 版权所有</footer>
</body>
</html>
""" % {"title": html.escape(title), "site": SITE_NAME, "head": head, "nav": nav, "inner": inner}


def link_list(items):
    """<ul> of (href, text, date) items."""
    return '<ul class="list">\n%s\n</ul>' % "\n".join(
        '<li><a href="%s" target="_blank">%s</a><span>%s</span></li>' % (href, html.escape(text), date)
        for href, text, date in items)


def add_articles(site, base, folder, articles):
    """Serves TRS-style article pages folder + rel and records them in the manifest; the list
    items (href relative to `folder`, title, date)."""
    items = []
    for rel, a in articles:
        path = folder + rel
        lm = published(a["date"])
        if a["kind"] == "report":
            body = trs_article(a, render_body(a["blocks"], "plain"))
            site.manifest["reports"].append(article_entry(a, path, base))
        else:
            body = trs_article(a, a["paragraphs"][0] if a["kind"] == "picture" else simple_paragraphs(a["paragraphs"]))
            site.manifest["non_reports"].append({"path": path, "url": base + path, "title": a["title"], "kind": a["kind"]})
        site.add(path, Resource(body.encode("utf-8"), "text/html; charset=utf-8", lm))
        items.append((rel, a["title"], a["date"]))
    return items


def add_page(site, path, text, date="2023-01-20", list_page=True):
    site.add(path, Resource(text.encode("utf-8"), "text/html; charset=utf-8", published(date)))
    if list_page:
        site.manifest["list_pages"].append(path)


def allow_all_robots(site):
    site.add("/robots.txt", Resource(b"User-agent: *\nDisallow:\n", "text/plain", published("2020-01-01")))
    site.manifest["robots"] = "allow_all"


def build_cms_shells(name, seeds, base):
    """Three columns whose page is a shell in front of the real list: an <iframe src=list>
    (/xxgk/xxgknb/), a <meta http-equiv="refresh"> (/bmxxgk/nb/) and a script
    `window.location.href = …` (/xzxxgk/nb/)."""
    site = Site(name, "shells")
    rep = lambda *a, **k: report_article(seeds, *a, **k)  # noqa: E731
    columns = [
        ("/xxgk/xxgknb/index.html", "政府信息公开年报", "/xxgk/xxgknb/list/", "iframe", [
            ("202301/t20230118_3001.html", rep("000", 2022, "2023-01-18")),
            ("202301/t20230116_3002.html", lookalike("洛市镇2022年政府信息公开工作年度报告（图解）", "2023-01-16",
                                                     "picture", ['<img src="./W0301.jpg" alt="图解">'])),
            ("202201/t20220119_3003.html", rep("001", 2021, "2022-01-19")),
        ]),
        ("/bmxxgk/nb/index.html", "部门政府信息公开年报", "/bmxxgk/nb/list/index.html", "refresh", [
            ("202301/t20230128_3011.html", rep("002", 2022, "2023-01-28")),
            ("202212/t20221210_3012.html", lookalike("关于做好2022年政府信息公开工作年度报告编制工作的通知",
                                                     "2022-12-10", "notice", ["请按时编制。"])),
        ]),
        ("/xzxxgk/nb/index.html", "乡镇政府信息公开年报", "/xzxxgk/nb/gknb/index.html", "script", [
            ("202301/t20230130_3021.html", rep("003", 2022, "2023-01-30")),
            ("202301/t20230129_3022.html", rep("004", 2022, "2023-01-29")),
        ]),
    ]
    heads = {
        "refresh": lambda target: '<meta http-equiv="refresh" content="0;url=%s">' % target,
    }
    for shell, text, target, kind, articles in columns:
        folder = target.rsplit("/", 1)[0] + "/"
        items = add_articles(site, base, folder, articles)
        add_page(site, target, chrome_page(text, link_list(items)))
        if kind == "iframe":
            page = chrome_page(text, '<iframe id="list" src="%s" width="100%%" height="800" frameborder="0"></iframe>' % target)
        elif kind == "refresh":
            page = chrome_page(text, "<p>页面跳转中……</p>", head=heads["refresh"](target))
        else:
            page = chrome_page(text, '<p>页面跳转中……</p><script type="text/javascript">window.location.href = "%s";</script>'
                               % target)
        add_page(site, shell, page)
    site.manifest["entry"] = columns[0][0]
    site.manifest["entries"] = [c[0] for c in columns]
    site.manifest["shells"] = {c[0]: {"kind": c[3], "target": c[2]} for c in columns}
    add_home(site, [(c[0], c[1]) for c in columns], middle=("/xxgk/", "政府信息公开"))
    site.manifest["decoys"] = [href for href, _ in SHELL_DECOYS]
    allow_all_robots(site)
    return site


def build_cms_years(name, seeds, base):
    """A column /zwgk/gknb/ that lists one report and its sub-columns: a year's by its text
    ("2023年" -> gknb2023/), a year's folder ("2022年度" -> 2022n/), and a unit's sub-site
    column ("区教育局" -> /bmxxgk/jyj/xxgknb/); next to look-alike links: the unit's home, a
    year's work plan (/zwgk/gzjh/2023/), 统计年鉴."""
    site = Site(name, "years")
    rep = lambda *a, **k: report_article(seeds, *a, **k)  # noqa: E731
    col = "/zwgk/gknb/"
    subs = [
        (col + "gknb2023/", "2023年", [
            ("202401/t20240118_4001.html", rep("000", 2023, "2024-01-18")),
            ("202401/t20240112_4002.html", lookalike("洛市镇2023年政府信息公开工作年度报告（解读）", "2024-01-12",
                                                     "interpretation", ["一、报告的主要内容"])),
        ]),
        (col + "2022n/index.html", "2022年度", [
            ("202301/t20230117_4011.html", rep("001", 2022, "2023-01-17")),
            ("202301/t20230116_4012.html", rep("002", 2022, "2023-01-16")),
        ]),
        ("/bmxxgk/jyj/xxgknb/", "区教育局", [
            ("202301/t20230120_4021.html", rep("003", 2022, "2023-01-20")),
            ("202301/t20230119_4022.html", lookalike("区教育局2022年政府信息公开工作年度报告（图解）", "2023-01-19",
                                                     "picture", ['<img src="./W0401.jpg" alt="图解">'])),
        ]),
    ]
    for path, text, articles in subs:
        folder = path.rsplit("/", 1)[0] + "/"
        add_page(site, path, chrome_page("政府信息公开年报 " + text, link_list(add_articles(site, base, folder, articles))))
    own = add_articles(site, base, col, [("202402/t20240205_4031.html", rep("004", 2023, "2024-02-05"))])
    # Look-alike sub-lists: pages that exist and must not be read.
    lookalike_lists = [("/bmxxgk/jyj/", "区教育局"), ("/zwgk/gzjh/2023/", "2023年工作计划"), ("/tjsj/tjnj/", "统计年鉴")]
    for path, text in lookalike_lists:
        add_page(site, path, chrome_page(text, "<p>%s</p>" % html.escape(text)), list_page=False)
    links = [(p, t, "") for p, t, _ in subs] + [(p, t, "") for p, t in lookalike_lists] + own
    add_page(site, col + "index.html", chrome_page("政府信息公开年报", link_list(links)))
    site.manifest["entry"] = col + "index.html"
    site.manifest["sub_lists"] = [p for p, _, _ in subs]
    add_home(site, [(col + "index.html", "政府信息公开年报")], middle=("/xxgk/", "政府信息公开"))
    site.manifest["decoys"] = sorted({href for href, _ in SHELL_DECOYS} | {p for p, _ in lookalike_lists})
    allow_all_robots(site)
    return site


GATEWAY_COOKIE = "__jsluid_h"
# 加速乐's JS challenge, cut down: a 200 that sets the clearance cookie and reloads.
JSL_CHALLENGE = (b"<script>document.cookie=('__jsl_clearance=1700000000.123|0|abc%3D;max-age=3600;path=/');"
                 b"location.href=location.pathname+location.search</script>")


class CookieGate:
    """A cookie-replay gateway in front of a page: a request without the gateway's cookie is
    answered 302 to the same URL with Set-Cookie; with the cookie, the page."""

    def __init__(self, inner):
        self.inner = inner
        self.methods = getattr(inner, "methods", ("GET", "HEAD"))

    def content(self, portal):
        return self.inner.content(portal)

    def serve(self, h, head):
        token = hashlib.md5(h.server.host_name.encode()).hexdigest()
        if ("%s=%s" % (GATEWAY_COOKIE, token)) in (h.headers.get("Cookie") or ""):
            self.inner.serve(h, head)
            return
        body = b"<html><body>302 Found</body></html>\n"
        h.start(302, [("Location", "http://%s:%d%s" % (h.server.server_address[0], h.server.server_address[1], h.path)),
                      ("Set-Cookie", "%s=%s; max-age=31536000; path=/; HttpOnly" % (GATEWAY_COOKIE, token)),
                      ("Content-Type", "text/html"), ("Content-Length", str(len(body)))])
        if not head:
            h.write(body)


class GatewayRefusal:
    """What an anti-bot gateway answers whatever the client sends: a 521 with its script, or
    a 200 JS challenge."""

    def __init__(self, status):
        self.status = status

    def content(self, portal):
        return AlwaysFull(JSL_CHALLENGE)

    def serve(self, h, head):
        h.start(self.status, [("Content-Type", "text/html"), ("Content-Length", str(len(JSL_CHALLENGE)))])
        if not head:
            h.write(JSL_CHALLENGE)


def build_cms_gateway(name, seeds, base):
    """Every page (not robots.txt) behind a cookie-replay gateway (CookieGate); the column
    /xxgk/ndbg/ passes with the cookie; two columns behind a gateway that never lets a crawler
    through: /bm/ndbg/ answers 521, /jd/ndbg/ a 200 JS challenge."""
    site = Site(name, "gateway")
    rep = lambda *a, **k: report_article(seeds, *a, **k)  # noqa: E731
    col = "/xxgk/ndbg/"
    items = add_articles(site, base, col, [
        ("202301/t20230131_5001.html", rep("004", 2022, "2023-01-31")),
        ("202301/t20230127_5002.html", lookalike("王店镇2022年政府信息公开工作年度报告（图解）", "2023-01-27",
                                                 "picture", ['<img src="./W0501.jpg" alt="图解">'])),
        ("202201/t20220126_5003.html", rep("000", 2021, "2022-01-26")),
    ])
    add_page(site, col + "index.html", chrome_page("政府信息公开年报", link_list(items)))
    blocked = {"/bm/ndbg/index.html": 521, "/jd/ndbg/index.html": 200}
    for path, status in blocked.items():
        site.add(path, GatewayRefusal(status))
    add_home(site, [(col + "index.html", "政府信息公开年报"), ("/bm/ndbg/index.html", "部门政府信息公开年报"),
                    ("/jd/ndbg/index.html", "街道政府信息公开年报")], middle=("/xxgk/", "政府信息公开"))
    site.manifest["decoys"] = [href for href, _ in SHELL_DECOYS]
    for path in list(site.routes):
        site.routes[path] = CookieGate(site.routes[path])
    allow_all_robots(site)  # outside the gateway: robots.txt is answered to anyone
    site.manifest["entry"] = col + "index.html"
    site.manifest["gateway"] = {"cookie": GATEWAY_COOKIE, "blocked": [
        {"path": p, "answer": "521" if s == 521 else "js_challenge"} for p, s in blocked.items()]}
    return site


# ---- The list hosts: lists fed by APIs and numbered pagers (trs-search, gkmlpt, jpaas,
# numbered, a JSONP list that needs a Referer). Each has a home page that leads to its column
# among decoys, directly (trs-search, numbered) or through a 政府信息公开 page (gkmlpt's
# /gkmlpt/index, jpaas's 政务公开 column, jsonp's /xxgk/).

def list_host_home(site, columns, middle=None):
    """An API-fed host's home page (add_home) and its robots.txt, which allows all."""
    add_home(site, columns, middle)
    allow_all_robots(site)


def list_host_articles(site, seeds, base, entries, article):
    """Serves each (path, article) and records it in the manifest: reports, or look-alikes."""
    for path, a in entries:
        if a["kind"] == "report":
            body = article(a, render_body(a["blocks"], "plain"))
            site.manifest["reports"].append(article_entry(a, path, base))
        else:
            body = article(a, a["paragraphs"][0] if a["kind"] == "picture" else simple_paragraphs(a["paragraphs"]))
            site.manifest["non_reports"].append({"path": path, "url": base + path, "title": a["title"], "kind": a["kind"]})
        site.add(path, Resource(body.encode("utf-8"), "text/html; charset=utf-8", published(a["date"], 10, 15)))


def list_host_entries(seeds, path_of):
    """Thirteen records, newest first: reports of five towns for 2020 and 2021 and three look-alikes
    (a 图解, a 解读 and a notice), one look-alike on each later page of a 10-record list."""
    rep = lambda *a, **k: report_article(seeds, *a, **k)  # noqa: E731
    items = [
        rep("000", 2021, "2022-01-28"), rep("001", 2021, "2022-01-27"),
        lookalike("本地测试市2021年政府信息公开工作年度报告（图解）", "2022-01-26", "picture",
                  ['<img src="/images/tujie2021.jpg" alt="图解">']),
        rep("002", 2021, "2022-01-25"), rep("003", 2021, "2022-01-24"), rep("004", 2021, "2022-01-21"),
        rep("000", 2020, "2021-01-29"), rep("001", 2020, "2021-01-28"), rep("002", 2020, "2021-01-27"),
        rep("003", 2020, "2021-01-26"),
        lookalike("《本地测试市2020年政府信息公开工作年度报告》解读", "2021-01-22", "interpretation",
                  ["解读年度报告的要点。"]),
        rep("004", 2020, "2021-01-20"),
        lookalike("关于做好2019年政府信息公开工作年度报告编制发布工作的通知", "2019-12-10", "notice",
                  ["请各单位按时编制并发布年度报告。"]),
    ]
    return [(path_of(a, i), a) for i, a in enumerate(items)]


def json_answer(h, obj, status=200, callback=None):
    text = json.dumps(obj, ensure_ascii=False)
    body = ("%s(%s);" % (callback, text) if callback else text).encode("utf-8")
    ctype = "application/javascript;charset=UTF-8" if callback else "application/json;charset=UTF-8"
    h.start(status, [("Content-Type", ctype), ("Content-Length", str(len(body))), ("Cache-Control", "no-cache")])
    h.write(body)


TRS_SEARCH_COLUMN = "/zwgk/zfxxgkndbg/index.htm"
TRS_SEARCH_API = "/fjdzapp/search"
TRS_SEARCH_CHANNEL = "884417"


class TrsSearchApi:
    """The TRS 动静结合 search API: POST only (405 to GET); 403 without X-Requested-With:
    XMLHttpRequest; form channelid, classsql=chnlid=N, page, prepage; answers
    {pageCount, page, total, data: [{docpuburl, doctitle, pubdate}]}."""

    def __init__(self, records):
        self.records = records
        self.methods = ("POST",)

    def content(self, portal):
        return AlwaysFull(b"")

    def serve(self, h, head):
        if h.headers.get("X-Requested-With") != "XMLHttpRequest":
            json_answer(h, {"code": 403, "msg": "非法请求"}, 403)
            return
        form = {k: v[0] for k, v in parse_qs(h.request_body.decode("utf-8", "replace")).items()}
        try:
            page, prepage = int(form["page"]), int(form["prepage"])
        except (KeyError, ValueError):
            json_answer(h, {"code": 400, "msg": "参数错误"}, 400)
            return
        mine = form.get("channelid") == TRS_SEARCH_CHANNEL and form.get("classsql") == "chnlid=" + TRS_SEARCH_CHANNEL
        rows = self.records if mine else []
        prepage = max(1, min(prepage, 50))
        chosen = rows[(page - 1) * prepage:page * prepage] if page >= 1 else []
        json_answer(h, {"pageCount": (len(rows) + prepage - 1) // prepage, "page": page, "total": len(rows),
                        "data": chosen})


def build_cms_trs_search(name, seeds, base):
    """A TRS 动静结合 column (the Fujian cluster): 10 records static in the page, the other 3 only
    from the POST search API, page 2 of 10 per page."""
    site = Site(name, "trs-search")
    col = TRS_SEARCH_COLUMN.rsplit("/", 1)[0] + "/"

    def path_of(a, i):
        y, m, d = a["date"].split("-")
        return "%s%s%s/t%s%s%s_%d.htm" % (col, y, m, y, m, d, 8001 + i)

    entries = list_host_entries(seeds, path_of)
    records = [{"docpuburl": base + p, "doctitle": a["title"], "pubdate": a["date"]} for p, a in entries]
    static = "\n".join('<li><a href=".%s" target="_blank" title="%s">%s</a><span>%s</span></li>'
                       % (p[len(col) - 1:], html.escape(a["title"]), html.escape(a["title"]), a["date"])
                       for p, a in entries[:10])
    page = """<!DOCTYPE html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>政府信息公开年报</title>
<script src="/fjdzapp/js/jquery.min.js"></script></head>
<body><div class="header"><a href="/">%(site)s</a></div>
<div class="position">当前位置：<a href="/">首页</a> &gt; <a href="/zwgk/">政务公开</a> &gt; 政府信息公开年报</div>
<ul class="list" id="list">
%(static)s
</ul>
<div id="pager"></div>
<script>
var pageCount = 2;
function loadPage(p) {
  $.ajax({ url: '%(api)s', type: 'POST', dataType: 'json',
    headers: { 'X-Requested-With': 'XMLHttpRequest' },
    data: { channelid: %(chan)s, sortfield: '-docorderpri,-docreltime', classsql: 'chnlid=%(chan)s',
            page: p, prepage: 10 },
    success: function(d) { render(d.data); } });
}
</script>
<div class="footer">%(site)s 版权所有</div></body></html>
""" % {"site": SITE_NAME, "static": static, "api": TRS_SEARCH_API, "chan": TRS_SEARCH_CHANNEL}
    site.add(TRS_SEARCH_COLUMN, Resource(page.encode("utf-8"), "text/html; charset=utf-8", published("2022-01-28")))
    site.add(TRS_SEARCH_API, TrsSearchApi(records))
    site.manifest["entry"] = TRS_SEARCH_COLUMN
    site.manifest["list_pages"].append(TRS_SEARCH_COLUMN)
    site.manifest["pagination"] = {"style": "trs_search_api", "api": TRS_SEARCH_API, "method": "POST",
                                   "static_records": 10, "per_page": 10, "total": len(records),
                                   "channelid": TRS_SEARCH_CHANNEL}
    list_host_articles(site, seeds, base, entries, trs_article)
    list_host_home(site, [(TRS_SEARCH_COLUMN, "政府信息公开年报")])
    return site


GKMLPT_COLUMN = "/gkmlpt/annualreport"
GKMLPT_SID = "755031"
GKMLPT_PER_PAGE = 5  # the server's own page size: the client does not choose it


class GkmlptApi:
    """GET /gkmlpt/api/all/annualreport?page=N&sid=SID: {total, articles: [{id, title, url, date}]},
    5 per page; a wrong or missing sid is a 400; POST is a 405."""

    def __init__(self, articles):
        self.articles = articles

    def content(self, portal):
        return AlwaysFull(b"")

    def serve(self, h, head):
        query = {k: v[0] for k, v in parse_qs(urlsplit(h.path).query).items()}
        if query.get("sid") != GKMLPT_SID:
            json_answer(h, {"error": "invalid sid"}, 400)
            return
        try:
            page = int(query.get("page", "1"))
        except ValueError:
            page = 1
        chosen = self.articles[(page - 1) * GKMLPT_PER_PAGE:page * GKMLPT_PER_PAGE] if page >= 1 else []
        json_answer(h, {"total": len(self.articles), "page": page, "articles": chosen})


def build_cms_gkmlpt(name, seeds, base):
    """A Guangdong gkmlpt annual-report page: only window._CONFIG = {SID: …} in the page; every
    record from the JSON API (absolute URLs with a #fragment, dates as Unix seconds)."""
    site = Site(name, "gkmlpt")

    def path_of(a, i):
        return "/gkmlpt/content/3/%d/post_%d.html" % (3790 + i, 3791001 + i)

    entries = list_host_entries(seeds, path_of)[:8]
    articles = []
    for i, (p, a) in enumerate(entries):
        stamp = int(datetime.datetime.fromisoformat(a["date"]).replace(tzinfo=CST).timestamp())
        articles.append({"id": 3791001 + i, "title": a["title"], "url": "%s%s#%d" % (base, p, 2091 + i),
                         "date": stamp})
    page = """<!DOCTYPE html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>政府信息公开年报</title>
<script>window._CONFIG = {SID: '%(sid)s', TITLE: '政府信息公开年报', API: '/gkmlpt/api'};</script>
<script src="/gkmlpt/static/js/app.js"></script></head>
<body><div id="app"></div><noscript>请开启JavaScript</noscript></body></html>
""" % {"sid": GKMLPT_SID}
    site.add(GKMLPT_COLUMN, Resource(page.encode("utf-8"), "text/html; charset=utf-8", published("2022-01-28")))
    site.add("/gkmlpt/api/all/annualreport", GkmlptApi(articles))
    site.manifest["entry"] = GKMLPT_COLUMN
    site.manifest["list_pages"].append(GKMLPT_COLUMN)
    site.manifest["pagination"] = {"style": "gkmlpt_api", "api": "/gkmlpt/api/all/annualreport", "method": "GET",
                                   "sid": GKMLPT_SID, "per_page": GKMLPT_PER_PAGE, "total": len(articles)}
    list_host_articles(site, seeds, base, entries, plain_article)
    list_host_home(site, [(GKMLPT_COLUMN, "政府信息公开年报")], middle=("/gkmlpt/index", "政府信息公开"))
    return site


JPAAS_COLUMN = "/col/col7716/index.html"
JPAAS_API = "/jpaas-publish-server/front/page/build/unit"
JPAAS_UNIT = {"webId": "8c9f2a", "pageId": "7716", "tagId": "list1", "tplSetId": "p1Tq"}
JPAAS_PER_PAGE = 4  # the server caps pageSize here


class JpaasApi:
    """GET …/front/page/build/unit?webId&pageId&parseType=bulidstatic&pageType=column&tagId&tplSetId
    &paramJson={"pageNo":N,"pageSize":S}: {"success": true, "data": {"html": "<ul>…</ul>"}};
    another unit's parameters get an empty list; POST is a 405."""

    def __init__(self, entries):
        self.entries = entries

    def content(self, portal):
        return AlwaysFull(b"")

    def serve(self, h, head):
        query = {k: v[0] for k, v in parse_qs(urlsplit(h.path).query).items()}
        try:
            param = json.loads(query.get("paramJson", ""))
            page, size = int(param["pageNo"]), int(param.get("pageSize", JPAAS_PER_PAGE))
        except (ValueError, KeyError, TypeError):
            json_answer(h, {"success": False, "message": "paramJson"}, 200)
            return
        mine = all(query.get(k) == v for k, v in JPAAS_UNIT.items()) and query.get("pageType") == "column"
        size = max(1, min(size, JPAAS_PER_PAGE))
        chosen = self.entries[(page - 1) * size:page * size] if mine and page >= 1 else []
        lis = "".join('<li><a href="%s" target="_blank" title="%s">%s</a><span>%s</span></li>'
                      % (p, html.escape(a["title"]), html.escape(a["title"]), a["date"]) for p, a in chosen)
        json_answer(h, {"success": True, "data": {"html": "<ul class=\"list\">%s</ul>" % lis if lis else ""}})


def build_cms_jpaas(name, seeds, base):
    """A Hanweb JPaaS column: an empty shell whose script fetches each page's list HTML, inside
    JSON, from the build-unit API (4 per page whatever the client asks)."""
    site = Site(name, "jpaas")

    def path_of(a, i):
        y, m, d = (int(x) for x in a["date"].split("-"))
        return "/art/%d/%d/%d/art_7716_%d.html" % (y, m, d, 9001 + i)

    entries = list_host_entries(seeds, path_of)[:7]
    page = """<!DOCTYPE html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>政府信息公开年报</title></head>
<body>%(nav)s
<div class="bt-position">您当前的位置：<a href="/">首页</a> &gt; 政府信息公开年报</div>
<div class="list" id="unit_list1"></div>
<script>
var unitUrl = '%(api)s';
var unitParams = { webId: '%(webId)s', pageId: '%(pageId)s', tagId: '%(tagId)s', tplSetId: '%(tplSetId)s' };
function load(n) { $.get(unitUrl, $.extend({ parseType: 'bulidstatic', pageType: 'column',
  paramJson: JSON.stringify({ pageNo: n, pageSize: '15' }) }, unitParams), function(d) {
  $('#unit_list1').html(d.data.html); }); }
load(1);
</script>
%(footer)s</body></html>
""" % dict(JPAAS_UNIT, nav=HANWEB_HEAD_NAV % {"site": SITE_NAME}, api=JPAAS_API, footer=FOOTER % {"site": SITE_NAME})
    site.add(JPAAS_COLUMN, Resource(page.encode("utf-8"), "text/html;charset=UTF-8", published("2022-01-28")))
    site.add(JPAAS_API, JpaasApi(entries))
    site.manifest["entry"] = JPAAS_COLUMN
    site.manifest["list_pages"].append(JPAAS_COLUMN)
    site.manifest["pagination"] = {"style": "jpaas_unit", "api": JPAAS_API, "method": "GET",
                                   "per_page": JPAAS_PER_PAGE, "total": len(entries), "unit": JPAAS_UNIT}
    list_host_articles(site, seeds, base, entries, hanweb_article)
    list_host_home(site, [(JPAAS_COLUMN, "政府信息公开年报")], middle=("/col/col7700/index.html", "政务公开"))
    return site


NUMBERED_COLUMN = "/xxgk/ndbg/1.html"


def build_cms_numbered(name, seeds, base):
    """A TRS column of numbered files, 1.html, 2.html, 3.html (4 records each), whose page count
    is only in `var countPage = 3`; 0.html and 4.html answer 404."""
    site = Site(name, "trs")
    col = "/xxgk/ndbg/"

    def path_of(a, i):
        y, m, d = a["date"].split("-")
        return "%s%s%s/t%s%s%s_%d.html" % (col, y, m, y, m, d, 7001 + i)

    entries = list_host_entries(seeds, path_of)[:11]
    per_page = 4
    chunks = [entries[i:i + per_page] for i in range(0, len(entries), per_page)]
    for n, chunk in enumerate(chunks, 1):
        items = [{"href": "./" + p[len(col):], "title": a["title"], "date": a["date"]} for p, a in chunk]
        text = plain_list(items).replace("</main>", "</main>\n<div class=\"page\"></div><script>var countPage = %d;"
                                         "var currentPage = %d;</script>" % (len(chunks), n - 1))
        site.add(col + "%d.html" % n, Resource(text.encode("utf-8"), "text/html; charset=utf-8",
                                               max(published(a["date"]) for _, a in chunk)))
        site.manifest["list_pages"].append(col + "%d.html" % n)
    site.manifest["entry"] = NUMBERED_COLUMN
    site.manifest["pagination"] = {"style": "numbered_files", "pages": len(chunks)}
    list_host_articles(site, seeds, base, entries, trs_article)
    list_host_home(site, [(NUMBERED_COLUMN, "政府信息公开年报")])
    return site


JSONP_COLUMN = "/xxgk/nb/index.html"
JSONP_API = "/api/nb/list.jsp"


class JsonpApi:
    """GET /api/nb/list.jsp?callback=CB&col=32&page=N&size=S: CB({"total", "rows": [{"link",
    "name", "time"}]}). Without a Referer from this host's column it answers 404, as some
    portals do to keep their lists to their own pages."""

    def __init__(self, rows, column_url):
        self.rows = rows
        self.column_url = column_url

    def content(self, portal):
        return AlwaysFull(b"")

    def serve(self, h, head):
        if (h.headers.get("Referer") or "") != self.column_url:
            h.send_error_page(404, head=head)
            return
        query = {k: v[0] for k, v in parse_qs(urlsplit(h.path).query).items()}
        try:
            page, size = int(query["page"]), max(1, min(int(query["size"]), 20))
        except (KeyError, ValueError):
            h.send_error_page(400, head=head)
            return
        rows = self.rows if query.get("col") == "32" else []
        json_answer(h, {"total": len(rows), "rows": rows[(page - 1) * size:page * size] if page >= 1 else []},
                    callback=query.get("callback") or "callback")


def build_cms_jsonp(name, seeds, base):
    """A column whose list comes only from a JSONP API that 404s without the column as Referer."""
    site = Site(name, "list")
    col = JSONP_COLUMN.rsplit("/", 1)[0] + "/"

    def path_of(a, i):
        y, m, d = a["date"].split("-")
        return "%scontent/%s%s/%d.html" % (col, y, m, 6001 + i)

    entries = list_host_entries(seeds, path_of)[:9]
    rows = [{"link": "content/" + p[len(col) + len("content/"):], "name": a["title"], "time": a["date"]}
            for p, a in entries]
    page = """<!DOCTYPE html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>政府信息公开年报</title></head>
<body><header><a href="/">%(site)s</a></header>
<ul id="nb-list"></ul>
<script>
function show(d) { /* renders d.rows */ }
function load(p) { var s = document.createElement('script');
  s.src = '%(api)s?callback=jsonp_nb&col=32&page=' + p + '&size=5'; document.body.appendChild(s); }
load(1);
</script>
<footer>%(site)s 版权所有</footer></body></html>
""" % {"site": SITE_NAME, "api": JSONP_API}
    site.add(JSONP_COLUMN, Resource(page.encode("utf-8"), "text/html; charset=utf-8", published("2022-01-28")))
    site.add(JSONP_API, JsonpApi(rows, base + JSONP_COLUMN))
    site.manifest["entry"] = JSONP_COLUMN
    site.manifest["list_pages"].append(JSONP_COLUMN)
    site.manifest["pagination"] = {"style": "jsonp_referer", "api": JSONP_API, "method": "GET",
                                   "per_page": 5, "total": len(rows), "referer": base + JSONP_COLUMN}
    list_host_articles(site, seeds, base, entries, plain_article)
    list_host_home(site, [(JSONP_COLUMN, "政府信息公开年报")], middle=("/xxgk/", "信息公开"))
    return site


class Movable:
    """A page of a host whose column moves: `before` until POST /__control/move-column for the
    host, then `after`; None answers 404 (the old column once moved, the new one before)."""

    def __init__(self, host, before, after):
        self.host = host
        self.before = before
        self.after = after

    def current(self, portal):
        return self.after if portal.control.is_moved(self.host) else self.before

    def content(self, portal):
        return self.current(portal) or AlwaysFull(b"")

    def serve(self, h, head):
        r = self.current(h.portal)
        if r is None:
            h.send_error_page(404, head=head)
        else:
            r.serve(h, head)


MOVED_BEFORE = "/xxgk/gknb/index.html"
MOVED_AFTER = "/zwgk/zfxxgkndbg/index.html"


def build_cms_moved(name, seeds, base):
    """A plain column that moves: its home page links 政府信息公开年报 at /xxgk/gknb/index.html;
    after POST /__control/move-column?host=NAME the old column answers 404, the home page links
    /zwgk/zfxxgkndbg/index.html, which lists the same reports and one published since."""
    site = Site(name, "plain")
    rep = lambda *a, **k: report_article(seeds, *a, **k)  # noqa: E731
    articles = [
        ("/art/2022/content_7001.html", rep("002", 2021, "2022-01-21")),
        ("/art/2022/content_7002.html", lookalike("《上屯镇2021年政府信息公开工作年度报告》解读", "2022-01-22",
                                                  "interpretation", ["一、报告的主要内容。"])),
        ("/art/2021/content_7003.html", rep("003", 2020, "2021-01-25")),
        ("/art/2020/content_7004.html", rep("004", 2019, "2020-01-20")),
    ]
    later = ("/art/2023/content_7005.html", rep("001", 2022, "2023-01-30"))

    def items(chosen):
        return [{"href": p, "title": a["title"], "date": a["date"]} for p, a in chosen]

    before = Resource(plain_list(items(articles)).encode("utf-8"), "text/html; charset=utf-8",
                      published("2022-01-22"))
    after = Resource(plain_list(items([later] + articles)).encode("utf-8"), "text/html; charset=utf-8",
                     published("2023-01-30"))
    site.add(MOVED_BEFORE, Movable(name, before, None))
    site.add(MOVED_AFTER, Movable(name, None, after))
    for path, a in articles + [later]:
        lm = published(a["date"], 9, 0)
        if a["kind"] == "report":
            body = plain_article(a, render_body(a["blocks"], "plain"))
            rec = article_entry(a, path, base)
            if (path, a) == later:
                site.manifest.setdefault("move", {})["reports_after"] = [rec]
            else:
                site.manifest["reports"].append(rec)
        else:
            body = plain_article(a, simple_paragraphs(a["paragraphs"]))
            site.manifest["non_reports"].append({"path": path, "url": base + path, "title": a["title"],
                                                 "kind": a["kind"]})
        site.add(path, Resource(body.encode("utf-8"), "text/html; charset=utf-8", lm))
    site.add("/robots.txt", Resource(b"User-agent: *\nDisallow:\n", "text/plain", published("2020-01-01")))
    site.manifest["robots"] = "allow_all"
    site.manifest["entry"] = MOVED_BEFORE
    site.manifest["list_pages"].append(MOVED_BEFORE)
    site.manifest["pagination"] = {"style": "none", "pages": 1}
    add_home(site, [(MOVED_BEFORE, "政府信息公开年报")])
    # The home page after the move links the new place; the one add_home made is the before.
    home_before = site.routes.pop("/")
    home_links = [("首页", "/")] + HOME_DECOYS[:2] + [("政府信息公开年报", MOVED_AFTER)] + HOME_DECOYS[2:]
    home_after = Resource(portal_page(SITE_NAME, home_links), "text/html; charset=utf-8", published("2023-02-01"))
    site.add("/", Movable(name, home_before, home_after))
    site.manifest["move"].update({"control": "/__control/move-column?host=" + name, "entry_after": MOVED_AFTER})
    return site


DOCUMENTS_HOST = "cms-documents"
DOCUMENTS_COLUMN = "/xxgk/nbwj/index.html"
DOCUMENT_FIXTURE_DIR = HERE.parent / "fixtures" / "documents"
# The attachment that POST /__control/revise-attachment replaces (form_2021.pdf -> faults_2019.pdf).
DOCUMENTS_REVISE_PATH = "/art/2022/files/P020220125000001.pdf"


def build_cms_documents(name, seeds, base):
    """Reports published as documents: the column links straight to a PDF and a DOCX report;
    a report page is a note and a link to its 全真版 PDF (replaced by POST
    /__control/revise-attachment); a report page holds its tables and attaches a PDF, a 图解
    PNG and a notice PDF; a 图解 PDF is listed as a look-alike."""
    site = Site(name, "plain")
    doc = lambda f: (DOCUMENT_FIXTURE_DIR / f).read_bytes()  # noqa: E731
    pdf, docx = "application/pdf", "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    org = "青禾县自然资源局"
    title = org + "2021年政府信息公开工作年度报告"
    lm = published("2022-01-25", 9, 0)
    # The column's links straight to documents (form_2021 as PDF and as DOCX).
    direct = [("/files/2022/P020220121000001.pdf", title + "（PDF版）", "2022-01-21", "form_2021.pdf", pdf),
              ("/files/2022/P020220122000002.docx", title + "（Word版）", "2022-01-22", "form_2021.docx", docx)]
    for path, t, date, f, ctype in direct:
        data = doc(f)
        # Portals serve documents as application/octet-stream often: the bytes decide.
        site.add(path, Resource(data, "application/octet-stream", published(date, 9, 0)))
        site.manifest["reports"].append({"path": path, "url": base + path, "title": t, "unit": org, "year": 2021,
                                         "published": date, "fixture": "documents/" + f, "document": True,
                                         "media_type": ctype})
    # A note page whose report is its 全真版 PDF.
    note_path = "/art/2022/content_8001.html"
    note = {"title": title, "date": "2022-01-25"}
    note_body = ('<p>%s全文见附件。</p><p>附件：<a href="files/P020220125000001.pdf">%s（全真版）.pdf</a></p>'
                 % (html.escape(title), html.escape(title)))
    site.add(note_path, Resource(plain_article(note, note_body).encode("utf-8"), "text/html; charset=utf-8", lm))
    site.add(DOCUMENTS_REVISE_PATH, Revisable(name, DOCUMENTS_REVISE_PATH,
                                              Resource(doc("form_2021.pdf"), pdf, lm),
                                              Resource(doc("faults_2019.pdf"), pdf, published("2022-02-10", 9, 0))))
    site.manifest["reports"].append({"path": note_path, "url": base + note_path, "title": title, "unit": org,
                                     "year": 2021, "published": "2022-01-25", "fixture": "documents/form_2021.pdf",
                                     "read_from": base + DOCUMENTS_REVISE_PATH,
                                     "attachments": [DOCUMENTS_REVISE_PATH]})
    site.manifest["attachments"].append({"path": DOCUMENTS_REVISE_PATH, "url": base + DOCUMENTS_REVISE_PATH,
                                         "report": note_path, "content_type": pdf,
                                         "revised_fixture": "documents/faults_2019.pdf"})
    # A report page that holds its tables and attaches a PDF, a 图解 PNG and a notice PDF.
    a = report_article(seeds, "002", 2021, "2022-01-26")
    tables_path = "/art/2022/content_8002.html"
    links = [("files/P020220126000003.pdf", a["title"] + ".pdf", doc("form_2021.pdf"), pdf),
             ("files/P020220126000004.png", "图解：" + a["title"], b"\x89PNG\r\n\x1a\n", "image/png"),
             ("files/P020220126000005.pdf", "关于报送2021年政府信息公开工作年度报告的通知.pdf",
              make_pdf("Notice: annual reports are due"), pdf)]
    fujian = "".join('<p><a href="%s">%s</a></p>' % (href, html.escape(text)) for href, text, _, _ in links)
    body = render_body(a["blocks"], "plain") + "<p>附件：</p>" + fujian
    site.add(tables_path, Resource(plain_article(a, body).encode("utf-8"), "text/html; charset=utf-8",
                                   published("2022-01-26", 9, 0)))
    rec = article_entry(a, tables_path, base)
    rec["read_from"] = base + tables_path
    rec["attachments"] = ["/art/2022/" + href for href, _, _, _ in links[:1]]
    site.manifest["reports"].append(rec)
    for href, text, data, ctype in links:
        apath = "/art/2022/" + href
        site.add(apath, Resource(data, ctype, published("2022-01-26", 9, 0)))
        entry = {"path": apath, "url": base + apath, "report": tables_path, "content_type": ctype,
                 "bytes": len(data), "text": text}
        if href.endswith(("png", "5.pdf")):
            entry["lookalike"] = True  # its link text says 图解 / 通知: never fetched
        site.manifest["attachments"].append(entry)
    # A 图解 PDF listed in the column: a look-alike, by its text.
    pic_path = "/files/2022/P020220127000006.pdf"
    pic_title = title + "（图解）"
    site.add(pic_path, Resource(make_pdf("Picture of the annual report"), pdf, published("2022-01-27", 9, 0)))
    site.manifest["non_reports"].append({"path": pic_path, "url": base + pic_path, "title": pic_title,
                                         "kind": "picture"})
    items = [{"href": p, "title": t, "date": d} for p, t, d, _, _ in direct]
    items += [{"href": note_path, "title": title + "（全真版）", "date": "2022-01-25"},
              {"href": tables_path, "title": a["title"], "date": "2022-01-26"},
              {"href": pic_path, "title": pic_title, "date": "2022-01-27"}]
    site.add(DOCUMENTS_COLUMN, Resource(plain_list(items).encode("utf-8"), "text/html; charset=utf-8",
                                        published("2022-01-27")))
    site.add("/robots.txt", Resource(b"User-agent: *\nDisallow:\n", "text/plain", published("2020-01-01")))
    site.manifest["robots"] = "allow_all"
    site.manifest["entry"] = DOCUMENTS_COLUMN
    site.manifest["list_pages"].append(DOCUMENTS_COLUMN)
    site.manifest["pagination"] = {"style": "none", "pages": 1}
    site.manifest["revise_attachment"] = {"control": "/__control/revise-attachment", "path": DOCUMENTS_REVISE_PATH,
                                          "report": note_path}
    add_home(site, [(DOCUMENTS_COLUMN, "政府信息公开年报")])
    return site


# The CMS hosts, in port order (a dict keeps its insertion order).
CMS_SITES = {
    "cms-hanweb": build_cms_hanweb,
    "cms-trs": build_cms_trs,
    "cms-shells": build_cms_shells,
    "cms-years": build_cms_years,
    "cms-gateway": build_cms_gateway,
    "cms-trs-search": build_cms_trs_search,
    "cms-gkmlpt": build_cms_gkmlpt,
    "cms-jpaas": build_cms_jpaas,
    "cms-numbered": build_cms_numbered,
    "cms-jsonp": build_cms_jsonp,
    "cms-moved": build_cms_moved,
    DOCUMENTS_HOST: build_cms_documents,
}


def build_manifest(portal, ports):
    hosts = {}
    for name, site in portal.sites.items():
        m = dict(site.manifest)
        m["port"] = ports[name]
        m["base_url"] = "http://127.0.0.1:%d" % ports[name]
        m["entry_url"] = m["base_url"] + m["entry"]
        if m.get("home"):
            m["home_url"] = m["base_url"] + m["home"]
        hosts[name] = m
    manifest = {"version": 1, "hosts": hosts}
    if REVISE_HOST in portal.sites:
        manifest["revise"] = {"host": REVISE_HOST, "path": REVISE_PATH,
                              "url": "http://127.0.0.1:%d%s" % (ports[REVISE_HOST], REVISE_PATH),
                              "row": REVISE_ROW, "before": REVISE_BEFORE, "after": REVISE_AFTER,
                              "last_modified_before": http_date(published("2021-01-19")),
                              "last_modified_after": http_date(published("2021-02-03", 10, 0))}
    manifest["misbehave_modes"] = {name: mb.description for name, mb in MISBEHAVE_MODES.items()}
    return manifest


def main(argv=None):
    ap = argparse.ArgumentParser(description="Local test portal for nianbao (see tests/portal/README.md).")
    ap.add_argument("--base-port", type=int, default=18480,
                    help="hosts listen on base-port+1 ... base-port+N; 0 picks free ports")
    ap.add_argument("--hosts", type=int, default=3, help="number of simulated hosts (host4+ copy host1)")
    ap.add_argument("--log", help="append every request as a JSON line to this file (truncated at start)")
    ap.add_argument("--state-dir", help="keep control state (revisions, failure counters, misbehaviour "
                                        "modes) and write portal.json and manifest.json here")
    ap.add_argument("--no-parent-watch", action="store_true",
                    help="keep serving when the parent process dies (for manual runs)")
    args = ap.parse_args(argv)
    if args.hosts < 1:
        ap.error("--hosts must be at least 1")
    if args.base_port != 0 and not (0 < args.base_port and args.base_port + args.hosts + len(CMS_SITES) < 65536):
        ap.error("--base-port out of range")
    if args.state_dir:
        Path(args.state_dir).mkdir(parents=True, exist_ok=True)

    parent = os.getppid()
    portal = Portal(args)
    seeds = load_seeds()

    # Bind every socket first: the content needs the ports (absolute redirects, manifest URLs).
    servers = {}
    names = ["host%d" % i for i in range(1, args.hosts + 1)] + list(CMS_SITES)
    for i, name in enumerate(names, 1):
        port = 0 if args.base_port == 0 else args.base_port + i
        try:
            servers[name] = PortalServer(("127.0.0.1", port), portal, name)
        except OSError as e:
            print("local_portal: cannot listen on 127.0.0.1:%d for %s: %s" % (port, name, e), file=sys.stderr)
            for s in servers.values():
                s.server_close()
            return 2
    ports = {name: s.server_address[1] for name, s in servers.items()}

    for name in servers:
        base = "http://127.0.0.1:%d" % ports[name]
        if name == "host2":
            site = build_host2(seeds, base)
        elif name == "host3":
            site = build_host3(seeds, base, ports[name])
        elif name in CMS_SITES:
            site = CMS_SITES[name](name, seeds, base)
        else:
            site = build_trs_site(name, seeds, base, revisable=(name == REVISE_HOST))
            if name == "host1":
                site.manifest["fixtures"] = add_html_fixtures(site, base)
        site.add(ERROR_PAGE_PATH, ERROR_PAGE)  # where error_redirect points; linked from nowhere
        portal.sites[name] = site
        servers[name].site = site
    portal.manifest = build_manifest(portal, ports)

    if args.state_dir:
        sd = Path(args.state_dir)
        atomic_write(sd / "manifest.json", json.dumps(portal.manifest, ensure_ascii=False, indent=1))
        atomic_write(sd / "portal.json", json.dumps(
            {"pid": os.getpid(), "hosts": {n: {"port": p, "base_url": "http://127.0.0.1:%d" % p}
                                           for n, p in ports.items()}}, indent=1))

    def on_signal(signum, frame):
        portal.stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)

    threads = []
    for name, s in servers.items():
        t = threading.Thread(target=s.serve_forever, kwargs={"poll_interval": 0.2}, name=name, daemon=True)
        t.start()
        threads.append(t)
    for name in servers:
        print("LISTENING %s 127.0.0.1:%d" % (name, ports[name]))
    print("READY")
    sys.stdout.flush()

    # Serve until a signal, or until the parent dies (we are re-parented: getppid() changes).
    while not portal.stop.wait(0.5):
        if not args.no_parent_watch and os.getppid() != parent:
            portal.stop.set()

    stoppers = [threading.Thread(target=s.shutdown) for s in servers.values()]  # in parallel: fast exit
    for t in stoppers:
        t.start()
    for t in stoppers:
        t.join()
    for s in servers.values():
        s.server_close()
    portal.log.close()
    if args.state_dir:
        try:
            (Path(args.state_dir) / "portal.json").unlink()
        except OSError:
            pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
