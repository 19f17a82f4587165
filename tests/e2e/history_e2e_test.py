#!/usr/bin/python3
"""End to end: the daemon's memory of each organisation across years (docs/rules.md, history.*
and report.missing). The local portal's host1 (tests/portal/README.md: three towns with
reports on 2019, 2020 and 2021, and the late 2022 report of 重庆市渝北区洛碛镇人民政府 that
POST /__control/publish-late posts), the daemon (`run --once`, one pass per step, the same
state, today set by NIANBAO_FAKE_TODAY), a Kafka (tests/e2e/mock_kafka), read back with kcat.

Scenarios:
  years        1. today 2023-01-10 (before the 2022 reports' deadline, 2023-01-31):
                  no report.missing; the pairs of years the portal serves (2021 reports are
                  the 2020 ones with the years moved) give history.* findings, each with the
                  later year's report
               2. today 2023-03-01 (past the deadline + 14 days): one report.missing per town
                  for 2022, following its schema
               3. today 2023-03-02, a restart: no second report.missing
               4. the late report posted (20 February 2023), today 2023-03-10: its record with
                  meta.published_late and history.* findings against 2021, one
                  report.found_late in the same pass, and still one report.missing per town
  first_watch  a daemon that first watches host1 on 2023-03-01 says nothing of 2022 (past due
               before it watched); with [history] missing_before_watch = true it does.

Usage: history_e2e_test.py NIANBAO MOCK_KAFKA REPO_ROOT   (Debian's python3 with jsonschema)
Prints "N passed, M failed"; exits non-zero on any failure.
"""
import json
import os
import sys
import time

import jsonschema

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import Checks, Env, kcat, report_id  # noqa: E402

NIANBAO, MOCK, ROOT = sys.argv[1], sys.argv[2], sys.argv[3]
check = Checks()
# The organisation keys of host1's towns, as their reports name them (洛市镇 and 王店镇 by
# their titles; 重庆市渝北区洛碛镇人民政府 without the places before the last one).
TOWNS = {"洛市镇", "洛碛镇人民政府", "王店镇"}


def host1_only(env):
    text = env.portal.sources_toml()
    head, *blocks = text.split("\n[[source]]")
    return "\n[[source]]".join([head] + [b for b in blocks if "local-host1" in b])


def config_with_history(env, name, history=""):
    path, topics = env.config(name, sources=host1_only(env))
    if history:
        with open(path, "a", encoding="utf-8") as f:
            f.write("[history]\n" + history)
    return path, topics


def run_pass(env, config, step, today):
    p = env.daemon(config, once=True, log=f"daemon-{step}.log", env={"NIANBAO_FAKE_TODAY": today})
    return p.wait(timeout=300)


def schema(name):
    return jsonschema.Draft7Validator(json.load(open(os.path.join(ROOT, "schemas", name))))


def events(env, topics, event):
    return [m for m in kcat(env.bootstrap, topics["sources"]) if m["headers"].get("event") == event]


def findings(env, topics):
    return [(m, json.loads(m["payload"])) for m in kcat(env.bootstrap, topics["findings"])]


def scenario_years(env):
    env.portal.control("reset")
    config, topics = config_with_history(env, "years")
    reports = env.manifest["hosts"]["host1"]["reports"]
    year_of = {report_id(r["url"]): r["year"] for r in reports}

    check(run_pass(env, config, 1, "2023-01-10") == 0, "years: pass 1 exits 0")
    check(events(env, topics, "report.missing") == [], "years: no report.missing before the deadline")
    history = [(m, f) for m, f in findings(env, topics) if f["rule"].startswith("history.")]
    check(len(history) > 0, "years: the portal's pairs of years give history.* findings")
    for m, f in history:
        # Each belongs to the later year of its pair: a report on 2020 or 2021 (never 2019).
        check(year_of.get(m["key"]) in (2020, 2021) and f["report_id"] == m["key"]
              and f["year"] == year_of.get(m["key"]),
              f"years: {f['rule']} goes with the later year's record: {m['key']} {f['year']}")
        check(m["headers"].get("event") in ("report.published", "findings.across_years"),
              f"years: the finding's event: {m['headers'].get('event')}")

    check(run_pass(env, config, 2, "2023-03-01") == 0, "years: pass 2 exits 0")
    missing = events(env, topics, "report.missing")
    validator = schema("missing.v1.schema.json")
    got = sorted((json.loads(m["payload"])["organization_key"], json.loads(m["payload"])["year"])
                 for m in missing)
    check(got == sorted((t, 2022) for t in TOWNS), f"years: one report.missing per town for 2022: {got}")
    for m in missing:
        p = json.loads(m["payload"])
        errors = [e.message for e in validator.iter_errors(p)]
        check(not errors, f"years: report.missing follows its schema: {errors[:1]}")
        check(m["key"] == p["source"] and p["source"].startswith("local-host1")
              and p["deadline"] == "2023-01-31"
              and m["headers"].get("schema") == "nianbao.missing.v1"
              and m["headers"].get("ce_type") == "cn.gov.nianbao.report.missing"
              and year_of.get(p["last_report"]["report_id"]) == 2021,
              f"years: report.missing keyed by source, with its deadline and last report: {p}")

    check(run_pass(env, config, 3, "2023-03-02") == 0, "years: pass 3 (a restart) exits 0")
    check(len(events(env, topics, "report.missing")) == 3, "years: no report.missing said twice")

    env.portal.control("publish-late")
    late = env.manifest["hosts"]["host1"]["late"]
    late_id = report_id(late["url"])
    check(run_pass(env, config, 4, "2023-03-10") == 0, "years: pass 4 exits 0")
    records = [m for m in kcat(env.bootstrap, topics["reports"]) if m["key"] == late_id]
    check([m["headers"].get("event") for m in records] == ["report.published"],
          "years: the late report is published once")
    rules = [f["rule"] for m, f in findings(env, topics) if m["key"] == late_id]
    check("meta.published_late" in rules, f"years: the late report has meta.published_late: {rules}")
    check(any(r.startswith("history.") for r in rules),
          f"years: the late report is checked against 2021: {rules}")
    found = events(env, topics, "report.found_late")
    if check(len(found) == 1, f"years: one report.found_late ({len(found)})"):
        p = json.loads(found[0]["payload"])
        errors = [e.message for e in schema("found_late.v1.schema.json").iter_errors(p)]
        check(not errors, f"years: report.found_late follows its schema: {errors[:1]}")
        check(p["report_id"] == late_id and p["year"] == 2022 and p["organization_key"] == "洛碛镇人民政府"
              and p["published_on"] == "2023-02-20" and found[0]["key"] == p["source"],
              f"years: report.found_late names the late report: {p}")
    check(len(events(env, topics, "report.missing")) == 3, "years: still one report.missing per town")
    check(run_pass(env, config, 5, "2023-03-11") == 0, "years: pass 5 exits 0")
    check(len(events(env, topics, "report.found_late")) == 1, "years: report.found_late said once")
    env.portal.control("unpublish-late")


def scenario_first_watch(env):
    env.portal.control("reset")
    config, topics = config_with_history(env, "first_watch")
    check(run_pass(env, config, 1, "2023-03-01") == 0, "first_watch: pass exits 0")
    check(events(env, topics, "report.missing") == [],
          "first_watch: nothing past due before the first watch")
    config, topics = config_with_history(env, "before_watch", "missing_before_watch = true\n")
    check(run_pass(env, config, 1, "2023-03-01") == 0, "before_watch: pass exits 0")
    check(len(events(env, topics, "report.missing")) == 3,
          "before_watch: missing_before_watch = true reports them")


def main():
    env = Env(ROOT, NIANBAO, MOCK)
    try:
        for scenario in (scenario_years, scenario_first_watch):
            t = time.time()
            scenario(env)
            print(f"{scenario.__name__}: {time.time() - t:.1f}s", flush=True)
    finally:
        env.close()
    return check.finish()


if __name__ == "__main__":
    sys.exit(main())
