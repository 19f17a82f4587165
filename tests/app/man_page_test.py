"""man/nianbao.1 documents every subcommand and option of the command line, with each
subcommand's exit status, and renders without a warning.

Usage (CTest runs it so): man_page_test.py <path-to-nianbao> <man/nianbao.1>

The command line is read from `nianbao ... --help` (cli_help.py). In the roff source a
subcommand has a `.SS "NAME ...` heading and a `.B NAME` (or `.B "NAME"`) entry under
EXIT STATUS; an option is spelled with roff's minus, `\\-\\-config`. Rendering: groff -man
-ww (all warnings; -k runs preconv for the UTF-8 text), and man-db's `man -l` as lintian
runs it.
"""
import os
import re
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "e2e"))
import cli_help  # noqa: E402
from common import Checks  # noqa: E402

check = Checks()


def roff(option):
    return option.replace("-", "\\-")


def main():
    binary, page = sys.argv[1], sys.argv[2]
    with open(page, encoding="utf-8") as f:
        source = f.read()
    tree = cli_help.commands(binary)
    check(len(tree) >= 9, f"--help lists the subcommands ({len(tree) - 1} found)")

    exit_status = source.split(".SH EXIT STATUS", 1)[-1].split("\n.SH ", 1)[0]
    check(".SH EXIT STATUS" in source, "an EXIT STATUS section")
    for path, options in sorted(tree.items()):
        name = " ".join(path)
        if path:
            heading = re.search(r'^\.SS "' + re.escape(name) + r'[ "\\]', source, re.M)
            # "sources" alone has only sub-subcommands; its two have the headings and statuses.
            has_children = any(len(p) > len(path) and p[:len(path)] == path for p in tree)
            if not has_children:
                check(heading, f"a .SS heading for '{name}'")
                entry = re.search(r'^\.B "?' + re.escape(name) + r'"?$', exit_status, re.M)
                check(entry, f"an exit status for '{name}'")
        for option in options:
            if option in ("-h", "--help"):
                # Documented once, under OPTIONS, for the program and every subcommand.
                check(roff(option) in source, f"'{option}' is in the page")
                continue
            spelled = roff(option)
            check(re.search(re.escape(spelled) + r"(?![\\\w-])", source),
                  f"'{name or 'nianbao'} {option}' is in the page")

    # Rendering without warnings.
    if shutil.which("groff"):
        p = subprocess.run(["groff", "-k", "-man", "-Tutf8", "-ww", "-z", page],
                           capture_output=True, text=True)
        check(p.returncode == 0 and not p.stderr, "groff -man -ww renders it without warnings",
              p.stderr)
    else:
        check(False, "groff is installed (Debian: groff-base)")
    if shutil.which("man"):
        env = dict(os.environ, LC_ALL="C.UTF-8", MANROFFSEQ="", MANWIDTH="80")
        p = subprocess.run(["man", "--warnings", "-E", "UTF-8", "-l", "-Tutf8", "-Z", page],
                           capture_output=True, text=True, env=env)
        check(p.returncode == 0 and not p.stderr, "man --warnings -l renders it without warnings",
              p.stderr)
        rendered = subprocess.run(["man", "-l", page], capture_output=True, text=True,
                                  env=dict(env, MANPAGER="cat", PAGER="cat"))
        check("nianbao" in rendered.stdout and "EXIT STATUS" in rendered.stdout,
              "man -l shows the page")

    return check.finish()


if __name__ == "__main__":
    sys.exit(main())
