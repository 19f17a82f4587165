#!/usr/bin/env python3
"""nianbao's read of a PDF report beside poppler's own `pdftotext -layout` of the same file.

Both run as processes, in turn (interleaved at random), N times per file; the CPU time
(user + sys of the child, from getrusage) is taken per run, and the process start-up of each
tool (`nianbao --version`, `pdftotext -v`, measured the same way) is subtracted, so that what
is compared is the work on the document: for pdftotext, poppler's text extraction with its
layout; for nianbao, the same poppler text extraction (poppler-cpp), the table rebuilt from
positions (parser/layout.cc), the report parser and the rules.

Usage: /usr/bin/python3 bench/pdf_peer.py NIANBAO PDF... [--runs N]
Prints a Markdown table: medians (min-max) in ms of CPU per file, and the ratio nianbao /
pdftotext of the medians.
"""
import argparse
import os
import random
import resource
import statistics
import subprocess


def cpu_of(cmd):
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("nianbao")
    ap.add_argument("pdfs", nargs="+")
    ap.add_argument("--runs", type=int, default=40)
    a = ap.parse_args()
    jobs = {"nianbao start-up": [a.nianbao, "--version"], "pdftotext start-up": ["pdftotext", "-v"]}
    for pdf in a.pdfs:
        jobs[("nianbao", pdf)] = [a.nianbao, "parse", pdf]
        jobs[("pdftotext", pdf)] = ["pdftotext", "-layout", pdf, "-"]
    samples = {k: [] for k in jobs}
    order = [k for k in jobs for _ in range(a.runs)]
    random.seed(1)
    random.shuffle(order)
    for k in order:
        samples[k].append(cpu_of(jobs[k]))
    start_n = statistics.median(samples["nianbao start-up"])
    start_p = statistics.median(samples["pdftotext start-up"])
    load = open("/proc/loadavg").read().split()[:3]
    print(f"{a.runs} runs per command, interleaved at random; load average {' '.join(load)} at the end")
    print(f"start-up (median CPU ms): nianbao {start_n * 1e3:.1f}, pdftotext {start_p * 1e3:.1f}\n")
    print("| file | bytes | nianbao parse: CPU ms (less start-up) | pdftotext -layout: CPU ms (less start-up) | nianbao / pdftotext |")
    print("|---|---|---|---|---|")
    for pdf in a.pdfs:
        n = [x - start_n for x in samples[("nianbao", pdf)]]
        p = [x - start_p for x in samples[("pdftotext", pdf)]]
        mn, mp = statistics.median(n), statistics.median(p)
        print(f"| {os.path.basename(pdf)} | {os.path.getsize(pdf)} | {mn * 1e3:.1f} ({min(n) * 1e3:.1f}–{max(n) * 1e3:.1f}) "
              f"| {mp * 1e3:.1f} ({min(p) * 1e3:.1f}–{max(p) * 1e3:.1f}) | {mn / mp:.2f} |")


if __name__ == "__main__":
    main()
