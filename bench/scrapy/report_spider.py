#!/usr/bin/python3
"""The peer of `nianbao run --once` in the crawl benchmark (BENCHMARKS.md): a Scrapy spider
doing the same crawl work with a straightforward parser.

  entry list page ─► links: 下一页 ─► next list page
                          report link (URL and text filters, same regexes as the sources
                          file nianbao gets) ─► report page ─► strip the HTML: title,
                          paragraphs, every innermost <table> as rows of cell texts
                          ─► one JSON line per report (Scrapy's feed exporter)

--no-parse fetches the reports without parsing them: the peer of `nianbao crawl --once`.

Same limits as nianbao: CONCURRENT_REQUESTS = [global] max_concurrency, per-host slots =
per_host_concurrency, no download delay, no AutoThrottle, robots.txt obeyed (the benchmark
portal allows everything), same User-Agent, retries and body size cap; no cookies; and
Scrapy's own advice for broad crawls (DownloaderAwarePriorityQueue).

Runs under Debian's /usr/bin/python3 (python3-scrapy):
  report_spider.py --manifest M.json --out items.jsonl --stats stats.json \\
                   [--concurrency 32] [--per-host 2]
"""

import argparse
import json
import re
import sys

import scrapy
from scrapy.crawler import CrawlerProcess

# The filters of the sources file that scripts/bench_crawl.py writes for nianbao.
REPORT_URL = re.compile(r"/art/\d{4}/\d{1,2}/\d{1,2}/art_\d+_\d+\.html$")
REPORT_TEXT = re.compile(r"政府信息公开.*年度报告")
EXCLUDE_TEXT = re.compile(r"图解|解读|要点|通知")
NEXT_PAGE_TEXT = re.compile(r"下一页")
SPACE = re.compile(r"\s+")


def clean(texts):
    return SPACE.sub(" ", "".join(texts)).strip()


class ReportSpider(scrapy.Spider):
    name = "reports"

    def __init__(self, manifest, parse_reports=True, **kwargs):
        super().__init__(**kwargs)
        self.manifest = manifest
        self.parse_reports = parse_reports

    def start_requests(self):
        for s in self.manifest["sources"]:
            yield scrapy.Request(s["entry"], callback=self.parse_list, cb_kwargs={"source": s["name"]})

    def parse_list(self, response, source):
        host = response.url.split("/")[2]
        for a in response.xpath("//a[@href]"):
            text = clean(a.xpath(".//text()").getall())
            url = response.urljoin(a.attrib["href"])
            if url.split("/")[2] != host:
                continue  # nianbao follows links within the entry's host only
            if NEXT_PAGE_TEXT.search(text):
                yield scrapy.Request(url, callback=self.parse_list, cb_kwargs={"source": source})
            elif REPORT_URL.search(url) and REPORT_TEXT.search(text) and not EXCLUDE_TEXT.search(text):
                yield scrapy.Request(url, callback=self.parse_report, cb_kwargs={"source": source})

    def parse_report(self, response, source):
        if not self.parse_reports:  # fetch only: the peer of `nianbao crawl --once`
            yield {"source": source, "url": response.url, "status": response.status, "bytes": len(response.body)}
            return
        title = response.xpath('//meta[@name="ArticleTitle"]/@content').get() or clean(
            response.xpath("//title//text()").getall())
        paragraphs = [t for t in (clean(p.xpath(".//text()").getall()) for p in response.xpath("//body//p")) if t]
        tables = []
        for table in response.xpath("//table[not(.//table)]"):
            rows = []
            for tr in table.xpath(".//tr"):
                rows.append([clean(td.xpath(".//text()").getall()) for td in tr.xpath("./td|./th")])
            tables.append(rows)
        yield {"source": source, "url": response.url, "status": response.status, "bytes": len(response.body),
               "title": title, "paragraphs": len(paragraphs), "tables": tables}


def main(argv=None):
    ap = argparse.ArgumentParser(description="Scrapy peer of the nianbao crawl benchmark")
    ap.add_argument("--manifest", required=True, help="bench_portal.py's manifest")
    ap.add_argument("--out", required=True, help="JSON Lines of the reports")
    ap.add_argument("--stats", help="Scrapy's stats as JSON, written at the end")
    ap.add_argument("--concurrency", type=int, default=32)
    ap.add_argument("--per-host", type=int, default=2)
    ap.add_argument("--no-parse", action="store_true", help="fetch reports without parsing them")
    args = ap.parse_args(argv)
    with open(args.manifest, encoding="utf-8") as f:
        manifest = json.load(f)

    process = CrawlerProcess(settings={
        "USER_AGENT": "nianbao/0.1 (+https://github.com/nianbao/nianbao)",
        "ROBOTSTXT_OBEY": True,
        "CONCURRENT_REQUESTS": args.concurrency,
        "CONCURRENT_REQUESTS_PER_DOMAIN": args.per_host,
        "CONCURRENT_REQUESTS_PER_IP": 0,
        "DOWNLOAD_DELAY": 0,
        "AUTOTHROTTLE_ENABLED": False,
        "COOKIES_ENABLED": False,
        "TELNETCONSOLE_ENABLED": False,
        "RETRY_TIMES": 3,
        "DOWNLOAD_TIMEOUT": 60,
        "DOWNLOAD_MAXSIZE": 8 << 20,
        "DOWNLOAD_WARNSIZE": 0,
        "REDIRECT_MAX_TIMES": 5,
        # Scrapy's advice for broad crawls (many domains): pick requests by downloader slot, so
        # that requests for busy hosts do not fill the global concurrency.
        "SCHEDULER_PRIORITY_QUEUE": "scrapy.pqueues.DownloaderAwarePriorityQueue",
        "LOG_LEVEL": "WARNING",
        "REQUEST_FINGERPRINTER_IMPLEMENTATION": "2.7",
        "FEEDS": {args.out: {"format": "jsonlines", "encoding": "utf8", "overwrite": True}},
    })
    crawler = process.create_crawler(ReportSpider)
    process.crawl(crawler, manifest=manifest, parse_reports=not args.no_parse)
    process.start()
    stats = {k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in crawler.stats.get_stats().items()}
    if args.stats:
        with open(args.stats, "w", encoding="utf-8") as f:
            json.dump(stats, f, indent=1, sort_keys=True)
    errors = stats.get("log_count/ERROR", 0)
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
