"""The command line as `nianbao ... --help` describes it: every subcommand and its options.

Shared by man_page_test.py and completion_test.py, so that a subcommand or an option added to
app/main.cc and left out of the man page or the completion fails a test.
"""
import subprocess


def _help(binary, path):
    p = subprocess.run([binary, *path, "--help"], capture_output=True, text=True, timeout=30)
    if p.returncode != 0:
        raise RuntimeError(f"nianbao {' '.join(path)} --help exited {p.returncode}: {p.stderr}")
    return p.stdout


def _sections(text):
    """{"Options": [first tokens], "Subcommands": [...], ...} of one --help text."""
    sections, current = {}, None
    for line in text.splitlines():
        if line and not line.startswith(" ") and line.endswith(":"):
            current = line[:-1]
            sections[current] = []
        elif current and line.startswith("  ") and line.strip():
            sections[current].append(line.split()[0])
    return sections


def commands(binary):
    """{(): [options of nianbao], ("parse",): [...], ("sources", "check"): [...], ...}.

    Options are spelled as on the command line ("--config", "-h"); a subcommand that has
    subcommands of its own is listed with its options too.
    """
    tree, todo = {}, [()]
    while todo:
        path = todo.pop()
        sections = _sections(_help(binary, list(path)))
        options = []
        for token in sections.get("Options", []):
            options.extend(t for t in token.split(",") if t.startswith("-"))
        tree[path] = options
        todo.extend(path + (sub,) for sub in sections.get("Subcommands", []))
    return tree
