#!/usr/bin/env python3
"""docs/consumers.md stays true to the schemas: every field its ClickHouse, Spark and Flink
recipes read from a message is a field of the JSON Schema of that message (schemas/), and the
topics, headers and row keys it names are the ones the contract documents. A field renamed in
a schema, or a recipe written against a field that does not exist, fails here.

Usage: consumers_doc_test.py PROJECT_SOURCE_DIR
"""
import json
import re
import sys
from pathlib import Path

ROOT = Path(sys.argv[1])
DOC = (ROOT / "docs/consumers.md").read_text(encoding="utf-8")
failures = []


def schema(name):
    return json.loads((ROOT / "schemas" / name).read_text(encoding="utf-8"))


REPORT = schema("report.v1.schema.json")
WITHDRAWAL = schema("withdrawal.v1.schema.json")
FINDING = schema("finding.v1.schema.json")
REPORT_FIELDS = set(REPORT["properties"])
SOURCE_FIELDS = set(REPORT["definitions"]["source"]["properties"])
WITHDRAWAL_FIELDS = set(WITHDRAWAL["properties"])
FINDING_FIELDS = set(FINDING["properties"])


def check(what, names, allowed):
    if not names:
        failures.append(f"{what}: no fields found in the recipe (did its shape change?)")
    for name in sorted(set(names) - allowed):
        failures.append(f"{what}: '{name}' is not a field of the message")


def block(start, end):
    """The text between the first `start` and the next `end` after it."""
    i = DOC.find(start)
    if i < 0:
        failures.append(f"the recipe '{start}' is not in docs/consumers.md")
        return ""
    j = DOC.find(end, i)
    return DOC[i:j]


def sql_columns(body):
    """Column names of a CREATE TABLE body: the first word of each line, before a type."""
    names = []
    for line in body.splitlines()[1:]:
        m = re.match(r"\s+`?([a-z_]+)`?\s+[A-Z]", line)
        if m:
            names.append(m.group(1))
    return names


# ClickHouse: the reports queue reads both shapes on nianbao.reports; the findings queue one.
check("ClickHouse nianbao.reports_queue",
      sql_columns(block("CREATE TABLE nianbao.reports_queue", "ENGINE = Kafka")),
      REPORT_FIELDS | WITHDRAWAL_FIELDS)
check("ClickHouse nianbao.findings_queue",
      [n for line in block("CREATE TABLE nianbao.findings_queue", "ENGINE = Kafka").splitlines()[2:]
       for n in re.findall(r"([a-z_]+) (?:Nullable\(|String|UInt)", line)],
      FINDING_FIELDS)

# Spark: the top-level StructFields of `report`, and those of its nested source.
spark = block("report = T.StructType([", "\nraw = ")
source_part = re.search(r'StructField\("source", T.StructType\(\[(.*?)\]\)\)', spark, re.S)
if not source_part:
    failures.append("Spark: the nested source struct is not in the recipe")
else:
    check("Spark report.source", re.findall(r'StructField\("([^"]+)"', source_part.group(1)),
          SOURCE_FIELDS)
    top = spark.replace(source_part.group(0), "")
    check("Spark report", re.findall(r'StructField\("([^"]+)"', top), REPORT_FIELDS)

# Flink: the table's physical columns (metadata columns are the Kafka record's, not the value's).
flink = block("CREATE TABLE nianbao_reports (", ") WITH (")
physical = [n for n in sql_columns(flink)
            if not re.search(rf"\b{n}\b[^\n]*METADATA", flink)]
check("Flink nianbao_reports", physical, REPORT_FIELDS)
for m in re.finditer(r"ROW<([^>]*)>", flink):
    check("Flink source ROW", re.findall(r"([a-z_]+) STRING", m.group(1)), SOURCE_FIELDS)

# Topics, headers and row keys named in the recipes are the contract's.
record_doc = (ROOT / "docs/record-v1.md").read_text(encoding="utf-8")
for topic in set(re.findall(r"nianbao\.(?:reports|findings|sources|fetches)\b", DOC)):
    if f"`{topic}`" not in record_doc:
        failures.append(f"topic {topic} is not in docs/record-v1.md")
for header in set(re.findall(r"'(event|ce_id)'", DOC)):
    if f"`{header}`" not in record_doc:
        failures.append(f"header {header} is not in docs/record-v1.md")
for key in set(re.findall(r"applications\['([a-z_.]+)'\]", DOC)):
    if not re.search(rf"^\s+{re.escape(key)}\s", record_doc, re.M):
        failures.append(f"applications row key '{key}' is not in docs/record-v1.md")
# 总计 is the 7th cell of an applications row (1-based in ClickHouse and Flink, 0-based in Spark).
for m in re.finditer(r"applications\['new'\]\[(\d)\]", DOC):
    if m.group(1) not in ("7", "6"):
        failures.append(f"applications['new'][{m.group(1)}] is not the 总计 column")

for f in failures:
    print("FAIL:", f)
print(f"consumers_doc_test: {len(failures)} failure(s)")
sys.exit(1 if failures else 0)
