#!/usr/bin/python3
"""Bad state: the daemon (`run --once`, file sink) against the local portal with its state
or its output on a disk that refuses writes. Each case must end in a clear message and a
defined behaviour, and lose nothing:

  read-only, empty   the state directory is read-only: exit 2 before anything is fetched,
                     the message names the directory
  read-only, kept    the state of a good run, then the directory made read-only: exit 2,
                     nothing handed on, the state file untouched
  damaged state      state.db truncated to half / overwritten with garbage: exit 2, the
                     message names the file and says how to start again
  state disk full    the state's tmpfs fills up during the pass: the pass goes on and hands
                     its reports on, the failed writes are logged, exit 3 (work left); after
                     space is freed the next run recovers: every report delivered over the two
                     runs, and a third run finds nothing left to hand on
  output disk full   the file sink's tmpfs is full: nothing is marked delivered, exit 3;
                     after space is freed the next run delivers every report

Read-only directories and the small tmpfs need mounts: as root the script re-runs itself in a
private mount namespace (unshare -m), so nothing is seen outside it. As another user the
read-only cases use chmod and the full-disk cases are skipped (said so in the output).

Usage: bad_state_test.py NIANBAO REPO_ROOT
Prints "N passed, M failed"; exits non-zero on any failure.
"""
import errno
import glob
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import Checks, Portal, report_id  # noqa: E402

NIANBAO, ROOT = sys.argv[1], sys.argv[2]
check = Checks()
NS_MARK = "NIANBAO_BAD_STATE_IN_NAMESPACE"


def in_private_namespace():
    """As root: re-runs this script under unshare -m; returns True when mounts may be made."""
    if os.geteuid() != 0:
        return False
    if os.environ.get(NS_MARK) == "1":
        return True
    probe = subprocess.run(["unshare", "-m", "--propagation", "private", "true"],
                           capture_output=True)
    if probe.returncode != 0:
        print("note: unshare -m refused; read-only and full-disk cases limited", flush=True)
        return False
    env = dict(os.environ, **{NS_MARK: "1"})
    os.execvpe("unshare", ["unshare", "-m", "--propagation", "private", sys.executable,
                           os.path.abspath(__file__)] + sys.argv[1:], env)
    return False  # not reached


MOUNTS = in_private_namespace()


def run(cmd):
    subprocess.run(cmd, check=True, capture_output=True)


def make_readonly(path):
    if MOUNTS:
        run(["mount", "--bind", path, path])
        run(["mount", "-o", "remount,bind,ro", path])
    else:
        os.chmod(path, 0o555)


def undo_readonly(path):
    if MOUNTS:
        run(["umount", path])
    else:
        os.chmod(path, 0o755)


def mount_tmpfs(path, size):
    os.makedirs(path, exist_ok=True)
    run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", path])


def fill(path):
    """Writes path/filler until the disk says ENOSPC: big chunks, then what is left below one."""
    with open(os.path.join(path, "filler"), "wb", buffering=0) as f:
        for chunk in (b"\0" * 65536, b"\0" * 512):
            try:
                while True:
                    f.write(chunk)
            except OSError as e:
                if e.errno != errno.ENOSPC:
                    raise


class Case:
    """A directory with a sources file and a daemon config: state and output where told."""

    def __init__(self, tmp, portal, name, state_dir=None, out_dir=None):
        self.dir = os.path.join(tmp, name)
        os.makedirs(self.dir, exist_ok=True)
        self.state = state_dir or os.path.join(self.dir, "state")
        self.out = out_dir or os.path.join(self.dir, "out")
        with open(os.path.join(self.dir, "sources.toml"), "w", encoding="utf-8") as f:
            f.write(portal.sources_toml())
        self.config = os.path.join(self.dir, "nianbao.toml")
        with open(self.config, "w", encoding="utf-8") as f:
            f.write(f'''sources = "sources.toml"
state_dir = "{self.state}"
[log]
format = "text"
[kafka]
enabled = false
[file]
enabled = true
dir = "{self.out}"
[metrics]
listen = ""
[shutdown]
deadline = "20s"
''')
        self.runs = 0

    def start(self):
        self.runs += 1
        self.log = os.path.join(self.dir, f"daemon-{self.runs}.log")
        return subprocess.Popen([NIANBAO, "run", "--once", "--config", self.config],
                                stdout=subprocess.DEVNULL, stderr=open(self.log, "w"))

    def finish(self, proc, timeout=180):
        try:
            code = proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
            code = None
        with open(self.log, encoding="utf-8", errors="replace") as f:
            return code, f.read()

    def once(self):
        return self.finish(self.start())

    def report_lines(self):
        """(key, event header) of every record line the file sink wrote, in order."""
        out = []
        for path in sorted(glob.glob(os.path.join(self.out, "*.jsonl"))):
            with open(path, encoding="utf-8") as f:
                for line in f:
                    m = json.loads(line)
                    if m["topic"] == "nianbao.reports":
                        out.append((m["key"], m["headers"].get("event")))
        return out

    def keys(self):
        return {k for k, _ in self.report_lines()}


def wait_for(path, text, timeout=60):
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            with open(path, encoding="utf-8", errors="replace") as f:
                if text in f.read():
                    return True
        except OSError:
            pass
        time.sleep(0.01)
    return False


def refused_readonly(c, name):
    """With c's state directory read-only, one run: refused (exit 2), naming the directory."""
    make_readonly(c.state)
    try:
        code, log = c.once()
        check(code == 2, f"{name}: exit status {code}")
        check(c.state in log and "not writable" in log,
              f"{name}: the message names the directory: {log.strip()[-300:]}")
    finally:
        undo_readonly(c.state)


def case_readonly_empty(tmp, portal, all_keys):
    c = Case(tmp, portal, "ro-empty")
    os.makedirs(c.state)
    refused_readonly(c, "ro-empty")
    check(not c.keys(), "ro-empty: nothing handed on")


def case_readonly_kept(tmp, portal, all_keys):
    c = Case(tmp, portal, "ro-kept")
    code, log = c.once()
    check(code == 0, f"ro-kept: the first run exits 0 ({code})")
    check(c.keys() == all_keys, f"ro-kept: the first run delivers every report ({len(c.keys())})")
    lines = len(c.report_lines())
    db = os.path.join(c.state, "state.db")
    before = open(db, "rb").read()
    refused_readonly(c, "ro-kept")
    check(len(c.report_lines()) == lines, "ro-kept: nothing handed on again")
    check(open(db, "rb").read() == before, "ro-kept: the state file is untouched")
    return c


def case_damaged(tmp, portal, good):
    db = os.path.join(good.state, "state.db")
    data = open(db, "rb").read()
    for name, damage in (("truncated", data[: len(data) // 2]),
                         ("garbage", b"not a database " * 4096)):
        c = Case(tmp, portal, f"damaged-{name}")
        os.makedirs(c.state)
        with open(os.path.join(c.state, "state.db"), "wb") as f:
            f.write(damage)
        code, log = c.once()
        check(code == 2, f"damaged {name}: exit status {code}")
        path = os.path.join(c.state, "state.db")
        check(path in log and "move it aside" in log,
              f"damaged {name}: the message names the file and the way out: {log.strip()[-300:]}")
        check(open(path, "rb").read() == damage, f"damaged {name}: the file is left as it was")
        check(not c.keys(), f"damaged {name}: nothing handed on")


def case_state_disk_full(tmp, portal, all_keys):
    c = Case(tmp, portal, "state-full")
    mount_tmpfs(c.state, "8m")
    try:
        p = c.start()
        ready = wait_for(c.log, "ready:")
        fill(c.state)  # mid-pass: the first pages are being fetched
        code, log = c.finish(p)
        check(ready, "state full: the daemon started")
        check(code == 3, f"state full: exit status {code} (3: work left for the next pass)")
        check("writes to" in log and "failed" in log,
              f"state full: the failed writes are logged: {log.strip()[-400:]}")
        check("work left for the next pass" in log, "state full: the work left is said")
        # Nothing goes out whose version the state cannot record first (write-ahead): with the
        # disk full, reports wait for the next run instead of going out with an event that
        # could be wrong later. Those handed on before the disk filled are delivered.
        first = c.keys()
        os.remove(os.path.join(c.state, "filler"))
        code, log = c.once()
        check(code == 0, f"state full, after freeing space: exit status {code}")
        check(first | c.keys() == all_keys,
              f"state full: every report delivered over the two runs ({len(first | c.keys())})")
        lines = len(c.report_lines())
        code, log = c.once()
        check(code == 0, f"state full, third run: exit status {code}")
        check(len(c.report_lines()) == lines,
              "state full: the third run finds nothing left to hand on (the state recovered)")
    finally:
        run(["umount", c.state])


def case_output_disk_full(tmp, portal, all_keys):
    c = Case(tmp, portal, "out-full")
    mount_tmpfs(c.out, "1m")
    try:
        fill(c.out)
        code, log = c.once()
        check(code == 3, f"output full: exit status {code} (3: work left)")
        check("No space left on device" in log, "output full: the OS error is logged")
        check("work left for the next pass" in log, "output full: the work left is said")
        check(not c.keys(), "output full: no record line written")
        os.remove(os.path.join(c.out, "filler"))
        code, log = c.once()
        check(code == 0, f"output full, after freeing space: exit status {code}")
        check(c.keys() == all_keys,
              f"output full: every report delivered by the next run ({len(c.keys())})")
    finally:
        run(["umount", c.out])


def main():
    tmp = tempfile.mkdtemp(prefix="nianbao-bad-state-")
    portal = Portal(ROOT, os.path.join(tmp, "portal.jsonl"))
    try:
        all_keys = {report_id(u) for u in portal.reports}
        cases = [case_readonly_empty, case_readonly_kept]
        good = None
        for case in cases:
            t = time.time()
            good = case(tmp, portal, all_keys) or good
            print(f"{case.__name__}: {time.time() - t:.1f}s", flush=True)
        t = time.time()
        case_damaged(tmp, portal, good)
        print(f"case_damaged: {time.time() - t:.1f}s", flush=True)
        if MOUNTS:
            for case in (case_state_disk_full, case_output_disk_full):
                t = time.time()
                case(tmp, portal, all_keys)
                print(f"{case.__name__}: {time.time() - t:.1f}s", flush=True)
        else:
            print("SKIPPED: the full-disk cases (a tmpfs needs root and unshare -m)", flush=True)
    finally:
        portal.close()
        if os.environ.get("NIANBAO_KEEP") != "1":
            shutil.rmtree(tmp, ignore_errors=True)
    return check.finish()


if __name__ == "__main__":
    sys.exit(main())
