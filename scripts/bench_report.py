#!/usr/bin/env python3
"""Summarises parser_bench's JSON output (--benchmark_format=json with repetitions) as the
Markdown tables of BENCHMARKS.md.

  bench_report.py parser.json

Per input: nianbao's parse + validate beside Gumbo's parse of the same bytes. Times are CPU
time per call (single-threaded runs), as medians of the repetitions with min and max; the
ratios are taken repetition by repetition (nianbao's k-th repetition over Gumbo's k-th, in
the same process, interleaved at random) and then summarised. Standard library only.
"""

import json
import statistics
import sys
from collections import defaultdict


def summary(values):
    values = [v for v in values if v is not None]
    if not values:
        return None
    return {"median": statistics.median(values), "min": min(values), "max": max(values)}


def fmt(s, digits=1, scale=1.0):
    if s is None:
        return "n/a"
    f = "%%.%df" % digits
    return "%s (%s–%s)" % (f % (s["median"] * scale), f % (s["min"] * scale), f % (s["max"] * scale))


def load(path):
    with open(path, encoding="utf-8") as f:
        data = json.load(f)
    runs = defaultdict(list)  # run_name -> [benchmark entries of each repetition]
    for b in data["benchmarks"]:
        if b.get("run_type") != "iteration":
            continue
        runs[b["run_name"]].append(b)
    for v in runs.values():
        v.sort(key=lambda b: b.get("repetition_index", 0))
    return data["context"], runs


def to_us(b, key="cpu_time"):
    unit = {"ns": 1e-3, "us": 1.0, "ms": 1e3, "s": 1e6}[b.get("time_unit", "ns")]
    return b[key] * unit


def paired(a, b, f):
    return [f(x, y) for x, y in zip(a, b)]


def main(argv):
    if len(argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    context, runs = load(argv[1])
    inputs = []
    for name in runs:
        if name.startswith("nianbao_parse/") and "/threads:" not in name and "/real_time" not in name:
            inputs.append(name[len("nianbao_parse/"):])
        elif name.startswith("nianbao_parse/") and name.endswith("/real_time/threads:1"):
            inputs.append(name[len("nianbao_parse/"):-len("/real_time/threads:1")])

    def get(kind, inp):
        for suffix in ("", "/real_time/threads:1"):
            if kind + "/" + inp + suffix in runs:
                return runs[kind + "/" + inp + suffix]
        return []

    # The order of parser_bench's inputs (random interleaving shuffles the JSON).
    families = ["seed", "html", "portal", "size"]

    def order(inp):
        family = inp.split("/")[0]
        rank = families.index(family) if family in families else len(families)
        size = get("nianbao_parse", inp)[0].get("input_bytes", 0) if family == "size" else 0
        return (rank, size, inp)

    inputs = sorted(set(inputs), key=order)

    print("Load average at start: %s; %s CPUs at %s MHz; %d repetitions\n" % (
        ", ".join("%.2f" % x for x in context.get("load_avg", [])), context.get("num_cpus"),
        context.get("mhz_per_cpu"), max((len(v) for v in runs.values()), default=0)))
    print("| input | bytes | nianbao parse + validate: µs / report | MB/s | reports/s | Gumbo parse: µs | "
          "ratio nianbao / Gumbo | ratio nianbao / Gumbo (max_errors=0) | < 2× Gumbo? | findings |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for inp in inputs:
        nb, gb, gn = get("nianbao_parse", inp), get("gumbo_parse", inp), get("gumbo_parse_noerr", inp)
        if not nb:
            continue
        size = nb[0].get("input_bytes", 0)
        nb_us = [to_us(b) for b in nb]
        ratio = summary(paired(nb_us, [to_us(b) for b in gb], lambda x, y: x / y))
        ratio_n = summary(paired(nb_us, [to_us(b) for b in gn], lambda x, y: x / y))
        verdict = "n/a" if ratio is None else ("yes" if ratio["median"] < 2 else "**no**")
        print("| %s | %d | %s | %s | %s | %s | %s | %s | %s | %d |" % (
            inp, size, fmt(summary(nb_us), 0), fmt(summary([size / u for u in nb_us]), 1),
            fmt(summary([1e6 / u for u in nb_us]), 0), fmt(summary([to_us(b) for b in gb]), 0),
            fmt(ratio, 2), fmt(ratio_n, 2), verdict, nb[0].get("findings", 0)))

    print("\n#### Peak heap per call (one call, measured alone; malloc and operator new)\n")
    print("| input | bytes | nianbao parse + validate | Gumbo parse | nianbao / Gumbo | nianbao / input bytes |")
    print("|---|---|---|---|---|---|")
    for inp in inputs:
        nb, gb = get("nianbao_parse", inp), get("gumbo_parse", inp)
        if not nb or "peak_heap_bytes" not in nb[0]:
            continue
        size = nb[0]["input_bytes"]
        n_peak, g_peak = nb[0]["peak_heap_bytes"], gb[0]["peak_heap_bytes"] if gb else None
        print("| %s | %d | %.0f KiB | %s | %s | %.1f× |" % (
            inp, size, n_peak / 1024, "%.0f KiB" % (g_peak / 1024) if g_peak else "n/a",
            "%.2f" % (n_peak / g_peak) if g_peak else "n/a", n_peak / size))

    staged = [i for i in inputs if get("stage_read_html", i)]
    if staged:
        print("\n#### Where the time goes (µs per call, CPU; median of the repetitions)\n")
        print("| input | decode to UTF-8 | reader (HTML: Gumbo + walk; text reader for plain text) | report parser + narrative + rules | "
              "whole Parse | Parse + ToJson().dump() | Gumbo alone | crawler loop thread per report page |")
        print("|---|---|---|---|---|---|---|---|")
        for inp in staged:
            def med(kind):
                v = get(kind, inp)
                return "%.0f" % statistics.median([to_us(b) for b in v]) if v else "n/a"
            print("| %s | %s | %s | %s | %s | %s | %s | %s |" % (
                inp, med("stage_decode"), med("stage_read_html"), med("stage_report"), med("nianbao_parse"),
                med("nianbao_parse_json"), med("gumbo_parse"), med("crawler_report_page")))

    with_prepass = [i for i in inputs if get("nianbao_parse_noprepass", i)]
    if with_prepass:
        print("\n#### The HTML pre-pass (µs per call, CPU; ratios repetition by repetition)\n")
        print("| input | bytes | left by the pre-pass | pre-pass alone | parse + validate | without the pre-pass | "
              "with / without | with / Gumbo | ≤ 0.5× Gumbo? | reader with / without |")
        print("|---|---|---|---|---|---|---|---|---|---|")
        for inp in with_prepass:
            nb, nn, gb = get("nianbao_parse", inp), get("nianbao_parse_noprepass", inp), get("gumbo_parse", inp)
            rw, rn, pp = get("stage_read_html", inp), get("stage_read_html_noprepass", inp), get("stage_prepass", inp)
            nb_us = [to_us(b) for b in nb]
            vs_without = summary(paired(nb_us, [to_us(b) for b in nn], lambda x, y: x / y))
            vs_gumbo = summary(paired(nb_us, [to_us(b) for b in gb], lambda x, y: x / y))
            reader = summary(paired([to_us(b) for b in rw], [to_us(b) for b in rn], lambda x, y: x / y))
            size = nb[0].get("input_bytes", 0)
            left = "%.0f %%" % (100.0 * pp[0]["prepass_bytes"] / size) if pp and size else "n/a"
            verdict = "n/a" if vs_gumbo is None else ("yes" if vs_gumbo["median"] <= 0.5 else "**no**")
            print("| %s | %d | %s | %s | %s | %s | %s | %s | %s | %s |" % (
                inp, size, left, fmt(summary([to_us(b) for b in pp]), 0), fmt(summary(nb_us), 0),
                fmt(summary([to_us(b) for b in nn]), 0), fmt(vs_without, 2), fmt(vs_gumbo, 2), verdict,
                fmt(reader, 2)))

    threaded = [i for i in inputs if "nianbao_parse/" + i + "/real_time/threads:2" in runs]
    if threaded:
        print("\n#### Two threads (real time; reports/s over both threads together)\n")
        print("| input | nianbao 1 thread | nianbao 2 threads | speed-up | Gumbo 1 thread | Gumbo 2 threads | "
              "speed-up |")
        print("|---|---|---|---|---|---|---|")
        for inp in threaded:
            cells = []
            for kind in ("nianbao_parse", "gumbo_parse"):
                one = runs.get(kind + "/" + inp + "/real_time/threads:1", [])
                two = runs.get(kind + "/" + inp + "/real_time/threads:2", [])
                r1 = [b["items_per_second"] for b in one]
                r2 = [b["items_per_second"] for b in two]
                cells += [fmt(summary(r1), 0), fmt(summary(r2), 0), fmt(summary(paired(r2, r1, lambda x, y: x / y)), 2)]
            print("| %s | %s |" % (inp, " | ".join(cells)))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
