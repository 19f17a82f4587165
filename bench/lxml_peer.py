#!/usr/bin/env python3
"""The Python peer of `nianbao parse`: what a user would write instead (BENCHMARKS.md §1).

Parses each HTML file with lxml.html and pulls out the rows of every innermost table (a table
with no table inside) as lists of cell texts, whitespace collapsed, plus the page's title. No
validation, no report parsing: only the part nianbao's parse also has to do. Times CPU per
file (time.process_time), so that a loaded machine counts what this process spent.

Usage: lxml_peer.py [--reps 5] [--min-time 0.2] FILE...
Prints one JSON object per file: {"file", "bytes", "cpu_us" (median per parse), "cpu_us_min",
"cpu_us_max", "tables", "rows"}. Debian's /usr/bin/python3 has lxml (python3-lxml).
"""
import argparse
import json
import statistics
import sys
import time

import lxml.html


def extract(data):
    doc = lxml.html.document_fromstring(data)
    title = doc.findtext(".//title") or ""
    tables = []
    for table in doc.iter("table"):
        if table.find(".//table") is not None:
            continue  # layout: only innermost tables are data
        rows = []
        for tr in table.iter("tr"):
            cells = [" ".join(c.text_content().split()) for c in tr if c.tag in ("td", "th")]
            if cells:
                rows.append(cells)
        tables.append(rows)
    return title, tables


def time_file(data, reps, min_time):
    per_call = []
    for _ in range(reps):
        n = 0
        start = time.process_time()
        while True:
            extract(data)
            n += 1
            spent = time.process_time() - start
            if spent >= min_time:
                break
        per_call.append(spent / n * 1e6)
    return per_call


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--min-time", type=float, default=0.2)
    ap.add_argument("files", nargs="+")
    args = ap.parse_args()
    for path in args.files:
        with open(path, "rb") as f:
            data = f.read()
        if not data.strip():
            continue
        _, tables = extract(data)
        us = time_file(data, args.reps, args.min_time)
        print(json.dumps({
            "file": path, "bytes": len(data), "cpu_us": statistics.median(us),
            "cpu_us_min": min(us), "cpu_us_max": max(us), "tables": len(tables),
            "rows": sum(len(t) for t in tables)}), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
