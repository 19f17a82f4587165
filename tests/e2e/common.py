"""What the end-to-end drivers of tests/e2e share: the check counter, the local portal, the
sources file pointed at it, the report_id of a URL, reading a topic back with kcat, the mock
Kafka, waiting for a condition, and the nodes of the cluster drivers with readers of their
cluster metrics and logs.

Standard library only (the drivers run under Debian's /usr/bin/python3)."""
import hashlib
import json
import os
import re
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
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


def wait(cond, timeout, step=0.5):
    """Whether `cond()` holds within `timeout` seconds, asked every `step` and once more at
    the end."""
    end = time.time() + timeout
    while time.time() < end:
        if cond():
            return True
        time.sleep(step)
    return cond()


def utc_seconds(text):
    """A UTC time "2026-01-05T08:00:00..." as unix time, to the second."""
    return time.mktime(time.strptime(text[:19], "%Y-%m-%dT%H:%M:%S")) - time.timezone


def wall(text):
    """The portal log's "wall" (UTC, "2026-01-05T08:00:00.123Z") as unix time."""
    return utc_seconds(text) + float("0" + text[19:-1])


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


class MockKafka:
    """tests/e2e/mock_kafka (librdkafka's mock cluster in a process of its own), stopped by
    close() or at the end of a `with` block. `topics`: "NAME:PARTITIONS" to create (the mock
    does not serve CreateTopics)."""

    def __init__(self, mock, brokers=1, topics=()):
        args = [mock, "--brokers", str(brokers)]
        for t in topics:
            args += ["--topic", t]
        self.proc = subprocess.Popen(args, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     text=True)
        self.bootstrap = self.proc.stdout.readline().split()[1]

    def command(self, cmd):
        """Sends "down" or "up" (every broker); the mock's answer: OK or ERROR and why."""
        self.proc.stdin.write(cmd + "\n")
        self.proc.stdin.flush()
        return self.proc.stdout.readline().strip()

    def close(self):
        self.proc.terminate()
        self.proc.wait(timeout=10)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


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
        self.kafka = MockKafka(mock)
        self.bootstrap = self.kafka.bootstrap

    def kafka_command(self, cmd):
        return self.kafka.command(cmd)

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
        self.kafka.close()


def partition_of(host_port, partitions):
    """A source's partition of the cluster: FNV-1a (32 bits) of its host mod P
    (cluster/cluster_node.h)."""
    h = 2166136261
    for b in host_port.encode():
        h = ((h ^ b) * 16777619) & 0xFFFFFFFF
    return h % partitions


def cluster_sources_toml(portal, hosts, interval_s, user_agent, max_concurrency, min_delay):
    """One source per host1-like host of the portal (host1, host4...), each host1's TRS
    column, polled every interval_s seconds without jitter."""
    text = f'''[global]
max_concurrency = {max_concurrency}

[defaults]
user_agent = "{user_agent}"
interval = "{interval_s}s"
season_interval = "{interval_s}s"
jitter = 0.0
min_delay = "{min_delay}"
max_retries = 1
backoff_base = "200ms"
backoff_max = "1s"
connect_timeout = "2s"
total_timeout = "5s"
http2 = false
page_budget = 50
max_pages = 5
'''
    for host in hosts:
        text += f'''
[[source]]
name = "{host}"
entry = ["http://127.0.0.1:{portal.ports[host]}/zfxxgk/zfxxgknb/"]
report_url = 't\\d{{8}}_\\d+\\.html$'
report_text = '政府信息公开.*年度报告'
exclude_text = '图解|解读|要点|通知'
page_pattern = 'index_{{n}}.html'
'''
    return text


class ClusterNode:
    """One `nianbao run` of a cluster driver ([cluster] enabled, a JSON log, no archive or
    history, its metrics on a free port): started again and again, each run logging to
    daemon-N.log in its directory, and read from outside through its cluster metrics and
    its logs."""

    def __init__(self, tmp, name, nianbao, *, bootstrap, sources, transactional_id,
                 topic_prefix, partitions, session_s):
        """`sources`: the sources file, relative to the node's directory tmp/name."""
        self.name, self.nianbao = name, nianbao
        self.dir = os.path.join(tmp, name)
        os.makedirs(self.dir, exist_ok=True)
        self.port = free_port()
        self.config = os.path.join(self.dir, "nianbao.toml")
        with open(self.config, "w", encoding="utf-8") as f:
            f.write(f'''sources = "{sources}"
state_dir = "{self.dir}/state"
[log]
format = "json"
[archive]
enabled = false
[history]
enabled = false
[kafka]
brokers = "{bootstrap}"
transactional_id = "{transactional_id}"
[kafka.topics]
reports = "{topic_prefix}.reports"
findings = "{topic_prefix}.findings"
fetches = "{topic_prefix}.fetches"
sources = "{topic_prefix}.sources"
[metrics]
listen = "127.0.0.1:{self.port}"
[shutdown]
deadline = "10s"
[cluster]
enabled = true
partitions = {partitions}
node = "{name}"
session_timeout = "{session_s}s"
''')
        self.proc = None
        self.runs = 0

    def start(self):
        self.runs += 1
        self.log = os.path.join(self.dir, f"daemon-{self.runs}.log")
        self.proc = subprocess.Popen([self.nianbao, "run", "--config", self.config],
                                     stdout=subprocess.DEVNULL, stderr=open(self.log, "w"))

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def get(self, path):
        """(status, body) of the node's endpoint; (None, "") when it does not answer."""
        try:
            r = urllib.request.urlopen(f"http://127.0.0.1:{self.port}{path}", timeout=2)
            return r.status, r.read().decode()
        except urllib.error.HTTPError as e:
            return e.code, e.read().decode()
        except OSError:
            return None, ""

    def metrics(self):
        """{series: value} of the nianbao_cluster_* series; {} when the node does not
        answer."""
        out = {}
        for line in self.get("/metrics")[1].splitlines():
            if line.startswith("nianbao_cluster_"):
                name, value = line.rsplit(" ", 1)
                out[name] = float(value)
        return out

    def owned_partitions(self, metrics=None):
        return {int(re.search(r'partition="(\d+)"', k).group(1))
                for k, v in (metrics or self.metrics()).items()
                if k.startswith("nianbao_cluster_partition_owned") and v == 1}

    def sources_owned(self, metrics=None):
        """nianbao_cluster_sources_owned; -1 when the node does not answer."""
        return int(next((v for k, v in (metrics or self.metrics()).items()
                         if k.startswith("nianbao_cluster_sources_owned")), -1))

    def state(self, metrics=None):
        """The member state whose nianbao_cluster_member_state is 1 ("" when none)."""
        for k, v in (metrics or self.metrics()).items():
            if k.startswith("nianbao_cluster_member_state") and v == 1:
                return re.search(r'state="(\w+)"', k).group(1)
        return ""

    def restored(self):
        """Changelog records restored, in all."""
        return sum(v for k, v in self.metrics().items()
                   if k.startswith("nianbao_cluster_changelog_records_total")
                   and 'outcome="restored"' in k)

    def _log_messages(self, path):
        for line in open(path, encoding="utf-8", errors="replace"):
            try:
                yield json.loads(line)
            except ValueError:
                continue

    def logged(self, text):
        """Whether a message of this node's last run contains `text`."""
        return any(text in j.get("msg", "") for j in self._log_messages(self.log))

    def passes(self):
        """(unix time, source) of every pass this node's runs logged."""
        out = []
        for run in range(1, self.runs + 1):
            for j in self._log_messages(os.path.join(self.dir, f"daemon-{run}.log")):
                m = re.match(r"pass source=(\S+) ", j.get("msg", ""))
                if m:
                    out.append((utc_seconds(j["time"]), m.group(1)))
        return out
