#!/usr/bin/python3
"""End to end: reports published as documents (docs/sources.md, "Reports published as
documents"). The local portal's cms-documents host (tests/portal/README.md), the daemon
(`run --once`, one pass per step, the same state), a Kafka (tests/e2e/mock_kafka), read back
with kcat.

  1. one pass: a record for each report of the host (manifest `reports`): the two documents
     the column links straight to (form_2021 as PDF and DOCX), the note page read from its
     全真版 PDF (source.document names the PDF), the page that holds its tables read from the
     page (source.attachments names its PDF only); the values of form_2021 (read from
     tests/fixtures/html/form_2021.html: 规范性文件 3 issued, 1 repealed, 12 in force; 行政许可
     186; 本年新收 20 in all); no record for the look-alikes, whose attachments are never
     fetched; every record follows the schema
  2. POST /__control/revise-attachment (the 全真版 PDF becomes faults_2019.pdf), one more pass:
     exactly one new record, a report.revised of the note page's report, version 2, now the
     report of faults_2019 (青禾县柳塘镇 on 2020)

Usage: documents_e2e_test.py NIANBAO MOCK_KAFKA REPO_ROOT   (Debian's python3 with jsonschema)
Prints "N passed, M failed"; exits non-zero on any failure.
"""
import json
import os
import sys
import urllib.request

import jsonschema

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import Checks, Env, kcat, report_id  # noqa: E402

NIANBAO, MOCK, ROOT = sys.argv[1], sys.argv[2], sys.argv[3]
HOST = "cms-documents"
check = Checks()


def documents_only(env):
    text = env.portal.sources_toml()
    head, *blocks = text.split("\n[[source]]")
    return "\n[[source]]".join([head] + [b for b in blocks if "local-cms-documents" in b])


def records(env, topics):
    return [(m["headers"].get("event"), json.loads(m["payload"])) for m in kcat(env.bootstrap, topics["reports"])]


def requested(env, path):
    log = urllib.request.urlopen(f"{env.portal.base}/__control/log?host={HOST}", timeout=10).read().decode()
    return [json.loads(line) for line in log.splitlines() if path in line]


def expect_form_2021(what, r):
    check(r.get("organization") == "青禾县自然资源局", f"{what}: organization, got {r.get('organization')}")
    check(r.get("year") == 2021, f"{what}: year 2021, got {r.get('year')}")
    p = r.get("proactive") or {}
    check(p.get("normative_documents") == {"issued": 3, "repealed": 1, "in_force": 12},
          f"{what}: 规范性文件 3/1/12, got {p.get('normative_documents')}")
    check(p.get("licensing") == {"decisions": 186}, f"{what}: 行政许可 186, got {p.get('licensing')}")
    new = (r.get("applications") or {}).get("new") or []
    check(len(new) == 7 and new[6] == 20, f"{what}: 本年新收 20 in all, got {new}")


def main():
    env = Env(ROOT, NIANBAO, MOCK)
    try:
        env.portal.control("reset")
        host = env.manifest["hosts"][HOST]
        validator = jsonschema.Draft7Validator(json.load(open(os.path.join(ROOT, "schemas/report.v1.schema.json"))))
        config, topics = env.config("documents", sources=documents_only(env))

        # 1. One pass.
        check(env.daemon(config, log="daemon-1.log").wait(timeout=300) == 0, "pass 1 exits 0")
        got = records(env, topics)
        by_id = {r["report_id"]: (e, r) for e, r in got}
        check(len(got) == len(host["reports"]), f"one record per report: {len(got)} for {len(host['reports'])}")
        for rep in host["reports"]:
            rid = report_id(rep["url"])
            if not check(rid in by_id, f"a record for {rep['path']}"):
                continue
            event, r = by_id[rid]
            check(event == "report.published", f"{rep['path']}: report.published, got {event}")
            errors = list(validator.iter_errors(r))
            check(not errors, f"{rep['path']}: follows the schema: {errors[:1]}")
            src = r["source"]
            if rep.get("document"):
                # A document linked straight from the column: the record is the document.
                check(src["url"] == rep["url"], f"{rep['path']}: source.url is the document")
                check(src["media_type"] == rep["media_type"], f"{rep['path']}: media_type {src['media_type']}")
                check("document" not in src, f"{rep['path']}: no source.document")
                expect_form_2021(rep["path"], r)
            elif rep["read_from"] != rep["url"]:
                # The note page: read from its 全真版 PDF.
                doc = src.get("document") or {}
                check(doc.get("url") == rep["read_from"], f"{rep['path']}: source.document is the PDF, got {doc}")
                check(doc.get("media_type") == "application/pdf", f"{rep['path']}: the PDF's media type")
                check(src["url"] == rep["url"], f"{rep['path']}: source.url stays the page")
                check([a["url"] for a in src.get("attachments", [])] == [rep["read_from"]],
                      f"{rep['path']}: source.attachments {src.get('attachments')}")
                expect_form_2021(rep["path"], r)
            else:
                # The page that holds its tables: read from the page; its PDF named, the
                # look-alikes (图解 PNG, 通知 PDF) neither named nor fetched.
                doc = src.get("document") or {}
                check(doc.get("url") == rep["url"] and doc.get("media_type") == "text/html",
                      f"{rep['path']}: source.document is the page, got {doc}")
                attached = [a["url"] for a in src.get("attachments", [])]
                want = [f"http://127.0.0.1:{env.ports[HOST]}" + p for p in rep["attachments"]]
                check(attached == want, f"{rep['path']}: source.attachments {attached}, want {want}")
                check(r.get("year") == 2021 and r.get("organization") == "上屯镇人民政府",
                      f"{rep['path']}: the page's report, got {r.get('organization')} {r.get('year')}")
        for non in host["non_reports"]:
            check(report_id(non["url"]) not in by_id, f"no record for the look-alike {non['path']}")
        for att in host["attachments"]:
            if att.get("lookalike"):
                check(requested(env, att["path"]) == [], f"the look-alike attachment {att['path']} is not fetched")

        # 2. The 全真版 PDF revised: one report.revised.
        note = next(rep for rep in host["reports"] if not rep.get("document") and rep["read_from"] != rep["url"])
        env.portal.control("revise-attachment")
        check(env.daemon(config, log="daemon-2.log").wait(timeout=300) == 0, "pass 2 exits 0")
        # (kcat reads the topic's partitions one after another: the new records are those
        # not read before, wherever they stand.)
        seen = {(r["report_id"], r.get("version")) for _, r in got}
        after = [(e, r) for e, r in records(env, topics) if (r["report_id"], r.get("version")) not in seen]
        check(len(after) == 1, f"one new record after the revision, got {len(after)}")
        if after:
            event, r = after[0]
            check(event == "report.revised", f"the new record is report.revised, got {event}")
            check(r["report_id"] == report_id(note["url"]), "the revised record is the note page's report")
            check(r.get("version") == 2, f"version 2, got {r.get('version')}")
            # faults_2019.pdf is html/faults_2019.html's report: 青禾县柳塘镇 on 2020, in the 2019 form.
            check(r.get("year") == 2020 and r.get("organization") == "青禾县柳塘镇",
                  f"read from the revised PDF (faults_2019), got {r.get('organization')} {r.get('year')}")
            check((r["source"].get("document") or {}).get("sha256") != by_id[r["report_id"]][1]["source"]["document"]["sha256"],
                  "source.document has the revised PDF's hash")
    finally:
        env.close()
    return check.finish()


if __name__ == "__main__":
    sys.exit(main())
