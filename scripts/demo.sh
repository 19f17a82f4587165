#!/usr/bin/env bash
# The main job on its embedded default, for a newcomer on a fresh Debian 12 machine:
# installs the dependencies, builds nianbao, and parses the bundled seed reports, printing
# one JSON line per report ({"report": ..., "findings": [...]}) and a summary of findings.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j"$(nproc)" --target nianbao
./build/app/nianbao parse tests/fixtures/seeds/*.txt | tee build/seeds.jsonl
echo
echo "== findings per report (from build/seeds.jsonl)"
/usr/bin/python3 - build/seeds.jsonl <<'PY'
import json, sys
for line in open(sys.argv[1], encoding="utf-8"):
    d = json.loads(line)
    r = d["report"]
    print(f'{r["title"] or r["organization"]}  ({r["year"]}, form {r["template"]})')
    for f in d["findings"] or []:
        print(f'   {f["severity"]:7} {f["rule"]:28} {f["message"]}')
    if not d["findings"]:
        print("   no findings")
PY
