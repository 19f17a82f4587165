"""completion/nianbao, the bash completion: sourced under bash, COMPREPLY for what a user
types, and every subcommand and long option of `nianbao ... --help` offered.

Usage (CTest runs it so): completion_test.py <path-to-nianbao> <completion/nianbao>
"""
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "e2e"))
import cli_help  # noqa: E402
from common import Checks  # noqa: E402

check = Checks()


def complete(script, words, cwd):
    """COMPREPLY of the completion function for the command line `words` (the last word is the
    one being completed), as bash runs it on <TAB>."""
    line = " ".join(words)
    program = (
        'source "$1"; shift\n'
        'COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); COMP_LINE="$*"; COMP_POINT=${#COMP_LINE}\n'
        'fn=$(complete -p nianbao | sed -E "s/.*-F ([^ ]+).*/\\1/")\n'
        '"$fn" nianbao "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD-1]}"\n'
        'printf "%s\\n" "${COMPREPLY[@]}"\n')
    p = subprocess.run(["bash", "--norc", "--noprofile", "-c", program, "bash", script, *words],
                       capture_output=True, text=True, cwd=cwd, timeout=30)
    if p.returncode != 0:
        raise RuntimeError(f"completing '{line}': exit {p.returncode}: {p.stderr}")
    return [w for w in p.stdout.split("\n") if w]


def main():
    binary, script = sys.argv[1], os.path.abspath(sys.argv[2])
    with tempfile.TemporaryDirectory() as cwd:
        for name in ("nianbao.toml", "sources.toml"):
            open(os.path.join(cwd, name), "w").close()
        os.mkdir(os.path.join(cwd, "state"))

        got = complete(script, ["nianbao", "cr"], cwd)
        check(got == ["crawl"], "nianbao cr<TAB> -> crawl", str(got))
        got = complete(script, ["nianbao", "run", "--c"], cwd)
        check(got == ["--config"], "nianbao run --c<TAB> -> --config", str(got))
        got = complete(script, ["nianbao", "sources", "t"], cwd)
        check(got == ["test"], "nianbao sources t<TAB> -> test", str(got))
        got = complete(script, ["nianbao", "sources", "test", "x.toml", "--s"], cwd)
        check(got == ["--source"], "nianbao sources test x.toml --s<TAB> -> --source", str(got))
        got = complete(script, ["nianbao", "run", "--config", "nia"], cwd)
        check(got == ["nianbao.toml"], "nianbao run --config nia<TAB> -> nianbao.toml", str(got))
        got = complete(script, ["nianbao", "crawl", "--state-dir", ""], cwd)
        check(got == ["state"], "nianbao crawl --state-dir <TAB> -> directories only", str(got))
        got = complete(script, ["nianbao", "-"], cwd)
        check({"--help", "--version", "-V"} <= set(got), "nianbao -<TAB> -> --help, --version, -V",
              str(got))

        # Everything --help lists is offered.
        tree = cli_help.commands(binary)
        for path, options in sorted(tree.items()):
            children = [p[-1] for p in tree if len(p) == len(path) + 1 and p[:len(path)] == path]
            if children:
                got = complete(script, ["nianbao", *path, ""], cwd)
                missing = sorted(set(children) - set(got))
                check(not missing, f"nianbao {' '.join(path)} <TAB> offers every subcommand",
                      f"missing: {missing}")
            got = complete(script, ["nianbao", *path, "-"], cwd)
            missing = sorted(o for o in options if o.startswith("--") and o not in got)
            check(not missing, f"nianbao {' '.join(path)} -<TAB> offers every long option",
                  f"missing: {missing}")

    return check.finish()


if __name__ == "__main__":
    sys.exit(main())
