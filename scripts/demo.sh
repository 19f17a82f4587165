#!/usr/bin/env bash
# The main job on its embedded default, for a newcomer on a fresh Debian 12 machine:
#   1. installs the dependencies and builds nianbao;
#   2. starts the bundled demo portal (the seed reports served on 127.0.0.1:18481-18483);
#   3. runs the daemon over it for one pass (examples/demo.toml) with the embedded Kafka
#      (librdkafka's mock cluster, in the daemon's process) and a JSON Lines file sink;
#   4. reads the topics back with a real Kafka client (kcat, read_committed) and prints the
#      records and findings it got.
set -euo pipefail
cd "$(dirname "$0")/.."
[ "${NIANBAO_SKIP_INSTALL:-0}" = 1 ] || scripts/install-deps.sh
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j"$(nproc)" --target nianbao

WORK=/tmp/nianbao-demo
rm -rf "$WORK" && mkdir -p "$WORK"
python3 tests/portal/local_portal.py --log "$WORK/portal.jsonl" > "$WORK/portal.out" &
PORTAL=$!
DAEMON=""
cleanup() {
  [ -n "$DAEMON" ] && kill "$DAEMON" 2>/dev/null && wait "$DAEMON" 2>/dev/null
  kill "$PORTAL" 2>/dev/null || true
  wait "$PORTAL" 2>/dev/null || true
}
trap cleanup EXIT
for _ in $(seq 50); do grep -q READY "$WORK/portal.out" && break; sleep 0.1; done

echo "== the daemon: one pass over the demo portal (log in $WORK/daemon.log)"
build/app/nianbao run --config examples/demo.toml --once --linger 120 2> "$WORK/daemon.log" &
DAEMON=$!
for _ in $(seq 600); do
  grep -q "stays up at" "$WORK/daemon.log" && break
  kill -0 "$DAEMON" 2>/dev/null || { cat "$WORK/daemon.log"; exit 1; }
  sleep 0.2
done
grep -E "embedded kafka|pass source=|delivered" "$WORK/daemon.log" | sed 's/^/  /'
BOOT=$(cat "$WORK/state/embedded-kafka.bootstrap")

echo "== read back from Kafka at $BOOT with kcat (isolation.level=read_committed)"
for t in nianbao.reports nianbao.findings; do
  kcat -C -b "$BOOT" -t "$t" -o beginning -e -J -X isolation.level=read_committed \
    > "$WORK/$t.jsonl" 2> "$WORK/kcat-$t.err" || { cat "$WORK/kcat-$t.err"; exit 1; }
done
/usr/bin/python3 - "$WORK" <<'PY'
import json, sys, collections
work = sys.argv[1]
def read(topic):
    out = []
    for line in open(f"{work}/{topic}.jsonl", encoding="utf-8"):
        m = json.loads(line)
        if "payload" in m:
            out.append(m)
    return out
reports, findings = read("nianbao.reports"), read("nianbao.findings")
by_report = collections.defaultdict(list)
for f in findings:
    by_report[f["key"]].append(json.loads(f["payload"]))
print(f"{len(reports)} records on nianbao.reports, {len(findings)} findings on nianbao.findings\n")
for m in reports:
    r = json.loads(m["payload"])
    headers = dict(zip(m["headers"][0::2], m["headers"][1::2])) if m.get("headers") else {}
    print(f'{r["title"] or r["organization"]}  ({r["year"]}, form {r["template"]}, '
          f'{headers.get("event")})')
    print(f'   key {m["key"]}  {r["source"]["url"]}')
    for f in by_report.get(m["key"], []):
        print(f'   {f["severity"]:7} {f["rule"]:28} {f["message"]}')
    if not by_report.get(m["key"]):
        print("   no findings")
PY
