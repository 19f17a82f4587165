"""What the end-to-end drivers of tests/e2e share: the check counter, the local portal, the
sources file pointed at it, the report_id of a URL, and reading a topic back with kcat.

Standard library only (the drivers run under Debian's /usr/bin/python3)."""
import hashlib
import json
import os
import socket
import subprocess
import sys
import tempfile
import urllib.request


class Checks:
    """Counts checks; a failed one is printed at once and the run goes on."""

    def __init__(self):
        self.passed = self.failed = 0

    def __call__(self, cond, what, detail=""):
        """`detail`, when given, is printed indented under a failed check."""
        if cond:
            self.passed += 1
        else:
            self.failed += 1
            print("FAIL:", what, flush=True)
            if detail:
                print("      " + detail.strip().replace("\n", "\n      "), flush=True)
        return cond

    def finish(self):
        """Prints the summary; the process's exit status."""
        print(f"{self.passed} passed, {self.failed} failed", flush=True)
        return 1 if self.failed else 0


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def canonical(url):
    scheme, rest = url.split("://", 1)
    host, _, path = rest.partition("/")
    return f"{scheme.lower()}://{host.lower()}/{path}".split("#")[0]


def report_id(url):
    """record-v1: the first 32 hex digits of the SHA-256 of the canonical URL without its
    scheme (host, path and query). The portal's URLs have no default port, dot segment or
    escape to normalise."""
    return hashlib.sha256(canonical(url).split("://", 1)[1].encode()).hexdigest()[:32]


class Portal:
    """tests/portal/local_portal.py on free ports, reset, with its manifest loaded."""

    def __init__(self, root, log_path=None, hosts=None):
        self.root = root
        args = [sys.executable, os.path.join(root, "tests/portal/local_portal.py"),
                "--base-port", "0"]
        args += ["--log", log_path] if log_path else []
        args += ["--hosts", str(hosts)] if hosts else []
        self.proc = subprocess.Popen(args, stdout=subprocess.PIPE, text=True)
        self.ports = {}
        for line in self.proc.stdout:
            if line.startswith("LISTENING"):
                _, host, addr = line.split()
                self.ports[host] = int(addr.rsplit(":", 1)[1])
            if line.strip() == "READY":
                break
        self.base = f"http://127.0.0.1:{self.ports['host1']}"
        self.control("reset")
        self.manifest = json.loads(urllib.request.urlopen(self.base + "/__control/manifest").read())
        self.reports = {r["url"] for h in self.manifest["hosts"].values() for r in h["reports"]}

    def control(self, what):
        """POSTs to the portal's /__control/WHAT (reset, revise, ...); the answer's body."""
        return urllib.request.urlopen(
            urllib.request.Request(f"{self.base}/__control/{what}", data=b""), timeout=10).read()

    def sources_toml(self, total_timeout="1s"):
        """examples/local-portal.toml pointed at this portal's ports."""
        with open(os.path.join(self.root, "examples/local-portal.toml"), encoding="utf-8") as f:
            text = f.read()
        # The default ports: host1..host3, then the named CMS hosts in the order the portal
        # printed them (its port order); host4+ of --hosts N are not in the file.
        named = ["host1", "host2", "host3"] + [h for h in self.ports if h.startswith("cms-")]
        for i, host in enumerate(named, start=1):
            text = text.replace(f"127.0.0.1:{18480 + i}", f"127.0.0.1:{self.ports[host]}")
        return text.replace('total_timeout = "5s"', f'total_timeout = "{total_timeout}"')

    def close(self):
        self.proc.terminate()
        self.proc.wait(timeout=10)


def kcat(bootstrap, topic):
    """Every committed message of a topic, headers as a dict (kcat -J)."""
    p = subprocess.run(["kcat", "-C", "-b", bootstrap, "-t", topic, "-o", "beginning", "-e",
                        "-J", "-q", "-X", "isolation.level=read_committed"],
                       capture_output=True, text=True, timeout=60)
    out = []
    for line in p.stdout.splitlines():
        m = json.loads(line)
        h = m.get("headers") or []
        m["headers"] = dict(zip(h[0::2], h[1::2]))
        out.append(m)
    return out


class Env:
    """A test portal, a Kafka (tests/e2e/mock_kafka, one broker) and a scratch directory;
    daemon configurations on topics of their own."""

    def __init__(self, root, nianbao, mock):
        self.root, self.nianbao = root, nianbao
        self.tmp = tempfile.mkdtemp(prefix="nianbao-e2e-")
        self.portal = Portal(root, os.path.join(self.tmp, "portal.jsonl"))
        self.ports = self.portal.ports
        self.manifest = self.portal.manifest
        self.reports = self.portal.reports
        self.kafka = subprocess.Popen([mock, "--brokers", "1"], stdin=subprocess.PIPE,
                                      stdout=subprocess.PIPE, text=True)
        self.bootstrap = self.kafka.stdout.readline().split()[1]

    def kafka_command(self, cmd):
        self.kafka.stdin.write(cmd + "\n")
        self.kafka.stdin.flush()
        return self.kafka.stdout.readline().strip()

    def config(self, name, deadline="60s", sources=None):
        """A sources file (the portal's, or `sources`) and a daemon config on topics of
        its own."""
        text = sources if sources is not None else self.portal.sources_toml()
        d = os.path.join(self.tmp, name)
        os.makedirs(d, exist_ok=True)
        open(os.path.join(d, "sources.toml"), "w", encoding="utf-8").write(text)
        topics = {t: f"{name}.{t}" for t in ["reports", "findings", "fetches", "sources"]}
        cfg = f'''sources = "sources.toml"
state_dir = "{d}/state"
[log]
format = "json"
[kafka]
brokers = "{self.bootstrap}"
transactional_id = "nianbao-e2e-{name}"
[kafka.topics]
reports = "{topics['reports']}"
findings = "{topics['findings']}"
fetches = "{topics['fetches']}"
sources = "{topics['sources']}"
[metrics]
listen = "127.0.0.1:{free_port()}"
[shutdown]
deadline = "{deadline}"
'''
        path = os.path.join(d, "nianbao.toml")
        open(path, "w", encoding="utf-8").write(cfg)
        return path, topics

    def daemon(self, config, once=True, log="daemon.log", env=None):
        args = [self.nianbao, "run", "--config", config] + (["--once"] if once else [])
        return subprocess.Popen(args, stdout=subprocess.DEVNULL,
                                stderr=open(os.path.join(os.path.dirname(config), log), "w"),
                                env=dict(os.environ, **(env or {})))

    def close(self):
        self.portal.close()
        self.kafka.terminate()
        self.kafka.wait(timeout=10)
