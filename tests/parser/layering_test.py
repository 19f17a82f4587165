#!/usr/bin/env python3
"""The parser's components form no include cycle.

A component is a header and its .cc (rules.h + rules.cc); it depends on every parser/ header
either file includes. A cycle (rules.h including report_parser.h while report_parser.cc used
rules.h's MakeFinding) means neither half can be read, changed or tested without the other.

Usage: layering_test.py <parser-dir>; exits 1 naming the cycle.
"""
import pathlib
import re
import sys

INCLUDE = re.compile(r'^#include "parser/([a-z_0-9]+)\.h"', re.MULTILINE)


def graph(parser_dir):
    deps = {}
    for path in pathlib.Path(parser_dir).glob("*.[hc]*"):
        if path.suffix not in (".h", ".cc"):
            continue
        unit = path.stem
        for dep in INCLUDE.findall(path.read_text(encoding="utf-8")):
            if dep != unit:
                deps.setdefault(unit, set()).add(dep)
        deps.setdefault(unit, set())
    return deps


def find_cycle(deps):
    state, stack = {}, []

    def visit(u):
        state[u] = "open"
        stack.append(u)
        for v in sorted(deps.get(u, ())):
            if state.get(v) == "open":
                return stack[stack.index(v):] + [v]
            if v not in state:
                found = visit(v)
                if found:
                    return found
        stack.pop()
        state[u] = "done"
        return None

    for u in sorted(deps):
        if u not in state:
            found = visit(u)
            if found:
                return found
    return None


def main():
    if len(sys.argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    deps = graph(sys.argv[1])
    if len(deps) < 5:
        print(f"layering_test: no parser sources under {sys.argv[1]}", file=sys.stderr)
        return 2
    cycle = find_cycle(deps)
    if cycle:
        print("include cycle between parser components: " + " -> ".join(cycle))
        return 1
    print(f"ok    {len(deps)} parser components, no include cycle")
    return 0


if __name__ == "__main__":
    sys.exit(main())
