#!/usr/bin/python3
"""End to end: `nianbao reparse` over the archive a `run --once` left (docs/archive.md).

  1. `run --once` over the local portal: every report published, each record with its
     parser_version, every page archived.
  2. `reparse --dry-run` with the same parser: no line on stdout, every page unchanged.
  3. A rule change, stood for by `--test-disable-rule RULE` (for tests only: the findings of
     RULE are left out). RULE is the rule that fired on the fewest reports in step 1, so the
     reports expected to change are exactly those with a RULE finding, and some are not.
     `--dry-run` lists exactly those and publishes nothing; `--source` and `--since` narrow it.
  4. Without --dry-run: exactly those reports again on the reports topic as report.reparsed
     (CloudEvents type …report.reparsed, version + 1, the previous and new parser_version),
     their findings without RULE; then the same reparse again finds nothing to do, and the
     parser without the change differs from what was published last for exactly those.
  5. A file that is not WARC among the archive's: an error naming it and offset 0, the
     others still read.

Usage: reparse_e2e_test.py NIANBAO MOCK_KAFKA REPO_ROOT   (Debian's python3 with jsonschema)
Prints "N passed, M failed"; exits non-zero on any failure.
"""
import collections
import json
import os
import re
import shutil
import subprocess
import sys

import jsonschema

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import Checks, Env, kcat, report_id  # noqa: E402

NIANBAO, MOCK, ROOT = sys.argv[1], sys.argv[2], sys.argv[3]
check = Checks()


def report_validator():
    d = os.path.join(ROOT, "schemas")
    report = json.load(open(os.path.join(d, "report.v1.schema.json")))
    resolver = jsonschema.RefResolver(base_uri="file://" + d + "/", referrer=report)
    return jsonschema.Draft7Validator(report, resolver=resolver)


def reparse(config, *args):
    p = subprocess.run([NIANBAO, "reparse", "--config", config] + list(args),
                       capture_output=True, text=True, timeout=300)
    lines = [json.loads(l) for l in p.stdout.splitlines() if l.strip()]
    return p, lines


def summary(stderr):
    """The counts of the summary line: {"unchanged": n, "changed": n, ...}."""
    line = [l for l in stderr.splitlines() if " report pages: " in l]
    if not line:
        return {}
    return {name: int(n) for n, name in re.findall(r"(\d+) (unchanged|changed|published)",
                                                   line[-1])}


def main():
    env = Env(ROOT, NIANBAO, MOCK)
    try:
        # Without cms-documents: the archive keeps a report page, not the documents a record
        # may have been read from (its 全真版 PDF), so reparse cannot read those reports again.
        text = env.portal.sources_toml()
        head, *blocks = text.split("\n[[source]]")
        config, topics = env.config("reparse", sources="\n[[source]]".join(
            [head] + [b for b in blocks if "local-cms-documents" not in b]))
        state = os.path.join(os.path.dirname(config), "state")
        validator = report_validator()

        # 1. The daemon's pass.
        p = env.daemon(config)
        check(p.wait(timeout=240) == 0, "run --once exits 0")
        records = kcat(env.bootstrap, topics["reports"])
        findings = kcat(env.bootstrap, topics["findings"])
        reports = env.reports - {r["url"] for r in env.manifest["hosts"].get("cms-documents", {}).get("reports", [])}
        check(len(records) == len(reports) and
              {m["key"] for m in records} == {report_id(u) for u in reports},
              f"every portal report published once: {len(records)} of {len(reports)}")
        first = {m["key"]: json.loads(m["payload"]) for m in records}
        versions = {r.get("parser_version") for r in first.values()}
        check(len(versions) == 1 and all(v and re.fullmatch(r"[^+]+\+parser\.\d+", v)
                                         for v in versions),
              f"every record names one parser_version: {versions}")
        parser_version = versions.pop() if len(versions) == 1 else None
        for r in first.values():
            errors = list(validator.iter_errors(r))
            check(not errors, f"record {r['report_id']} matches the schema: {errors[:1]}")

        # 2. The same parser: nothing changed.
        p, lines = reparse(config, "--dry-run")
        counts = summary(p.stderr)
        check(p.returncode == 0, f"reparse --dry-run exits 0: {p.stderr[-500:]}")
        check(lines == [], f"reparse --dry-run prints no change: {lines[:2]}")
        check(counts.get("unchanged") == len(first) and counts.get("changed") == 0,
              f"every page unchanged: {counts}")

        # 3. A rule change: the rule on the fewest reports (but on some).
        by_rule = collections.defaultdict(set)
        for m in findings:
            by_rule[json.loads(m["payload"])["rule"]].add(m["key"])
        candidates = sorted((len(ids), rule) for rule, ids in by_rule.items()
                            if 0 < len(ids) < len(first))
        check(candidates, f"some rule fires on some reports and not others: {dict(by_rule)}")
        if not candidates:
            return check.finish()
        rule = candidates[0][1]
        expected = by_rule[rule]
        print(f"rule changed: {rule} ({len(expected)} of {len(first)} reports)", flush=True)
        p, lines = reparse(config, "--dry-run", "--test-disable-rule", rule)
        check(p.returncode == 0, f"reparse --dry-run (rule changed) exits 0: {p.stderr[-500:]}")
        check({l["report_id"] for l in lines} == expected and len(lines) == len(expected),
              f"--dry-run lists exactly the reports with a {rule} finding: "
              f"{sorted(l['report_id'] for l in lines)} vs {sorted(expected)}")
        for l in lines:
            check(l["change"] == "changed" and l["previous_fingerprint"] ==
                  first[l["report_id"]]["fingerprint"] and l["fingerprint"] !=
                  l["previous_fingerprint"] and rule not in l["findings"],
                  f"the line says what changed: {l}")
            check(l["previous_parser_version"] == parser_version and
                  l["parser_version"] == parser_version,
                  f"the line names the parsers: {l}")
        check(len(kcat(env.bootstrap, topics["reports"])) == len(records),
              "--dry-run publishes nothing")
        # --source keeps the pages of one source (the state knows each page's source), --since
        # the records fetched from a date on.
        source_of = {m["key"]: m["headers"]["ce_source"].split("/", 1)[1] for m in records}
        one = source_of[sorted(expected)[0]]
        p, lines = reparse(config, "--dry-run", "--test-disable-rule", rule, "--source", one)
        check({l["report_id"] for l in lines} == {k for k in expected if source_of[k] == one} and
              summary(p.stderr).get("unchanged") ==
              len([k for k in first if source_of[k] == one and k not in expected]),
              f"--source {one}: only its pages: {summary(p.stderr)}")
        p, lines = reparse(config, "--dry-run", "--test-disable-rule", rule, "--since", "2999-01-01")
        check(p.returncode == 0 and lines == [] and summary(p.stderr).get("unchanged") == 0,
              f"--since a future date: nothing read: {p.stderr[-200:]}")
        p, lines = reparse(config, "--dry-run", "--test-disable-rule", rule, "--since", "2000-01-01")
        check({l["report_id"] for l in lines} == expected, "--since a past date: every page")

        # 4. Published.
        p, lines = reparse(config, "--test-disable-rule", rule)
        check(p.returncode == 0, f"reparse exits 0: {p.stderr[-500:]}")
        check(summary(p.stderr).get("published") == len(expected),
              f"reparse says it published {len(expected)}: {p.stderr[-300:]}")
        # Partitions come back interleaved in any order: what is new is told by its ce_id.
        seen = {m["headers"]["ce_id"] for m in records}
        after = kcat(env.bootstrap, topics["reports"])
        new = [m for m in after if m["headers"]["ce_id"] not in seen]
        check(len(after) == len(records) + len(new), "and nothing else")
        check(sorted(m["key"] for m in new) == sorted(expected),
              f"exactly the affected reports republished: {sorted(m['key'] for m in new)}")
        for m in new:
            v = json.loads(m["payload"])
            h = m["headers"]
            check(h.get("event") == "report.reparsed" and
                  h.get("ce_type") == "cn.gov.nianbao.report.reparsed" and
                  h.get("schema") == "nianbao.report.v1" and h.get("ce_id"),
                  f"report.reparsed with CloudEvents headers: {h}")
            check(v["version"] == first[m["key"]]["version"] + 1,
                  f"{m['key']}: version {v['version']} follows {first[m['key']]['version']}")
            check(v["parser_version"] == parser_version and
                  v.get("previous_parser_version") == parser_version,
                  f"{m['key']}: the previous and new parser_version: "
                  f"{v.get('previous_parser_version')} -> {v['parser_version']}")
            check(v["source"]["archive"] == first[m["key"]]["source"]["archive"],
                  f"{m['key']}: names the archive record it was read from")
            errors = list(validator.iter_errors(v))
            check(not errors, f"reparsed record {m['key']} matches the schema: {errors[:1]}")
        seen_findings = {m["headers"]["ce_id"] for m in findings}
        new_findings = [m for m in kcat(env.bootstrap, topics["findings"])
                        if m["headers"]["ce_id"] not in seen_findings]
        kept = sorted((m["key"], json.loads(m["payload"])["rule"]) for m in findings
                      if m["key"] in expected and json.loads(m["payload"])["rule"] != rule)
        check(sorted((f["key"], json.loads(f["payload"])["rule"]) for f in new_findings) == kept,
              f"the republished reports' findings are their earlier ones but {rule}: "
              f"{len(new_findings)} vs {len(kept)}")
        check(all(f["headers"].get("event") == "report.reparsed" and
                  json.loads(f["payload"])["report_version"] ==
                  first[f["key"]]["version"] + 1 for f in new_findings),
              "as report.reparsed, of the new version")
        p, lines = reparse(config, "--test-disable-rule", rule)
        check(p.returncode == 0 and lines == [] and
              len(kcat(env.bootstrap, topics["reports"])) == len(after),
              f"the same reparse again publishes nothing: {lines[:2]}")
        p, lines = reparse(config, "--dry-run")
        check({l["report_id"] for l in lines} == expected,
              "the parser without the change now differs for exactly those reports")

        # 5. A file that is not WARC beside the archive's.
        mixed = os.path.join(env.tmp, "mixed")
        shutil.copytree(os.path.join(state, "archive"), mixed)
        junk = os.path.join(mixed, "junk.warc.gz")
        open(junk, "wb").write(b"not a warc file at all\r\n\r\n")
        p, lines = reparse(config, "--dry-run", "--state-dir", state, mixed)
        check(f"{junk}: offset 0: not a WARC file" in p.stderr,
              f"the junk file is named with its offset: {p.stderr[-400:]}")
        check(summary(p.stderr).get("unchanged") == len(first) - len(expected) and
              {l["report_id"] for l in lines} == expected,
              f"and the other files are still read: {summary(p.stderr)}")
    finally:
        env.close()
    return check.finish()


if __name__ == "__main__":
    sys.exit(main())
