#!/usr/bin/python3
"""End to end: alerts reach every kind of target once per faulty report, across a crash, while
the targets fail the ways real ones do. The local portal (host1 and a source nobody answers
on), the daemon (`run --once`, the same state each pass), a Kafka (tests/e2e/mock_kafka), and
loopback receivers started here: an HTTP server per target and a minimal SMTP server.

Targets (one [[alerts]] table each; secrets from the environment and from a credential):
  webhook   answers 500, then 429 with Retry-After: 1, then 200 (signed with an env: secret)
  wecom     first closes the connection without an answer, then {"errcode":0}
  dingtalk  {"errcode":0} (its URL from a credential:)
  feishu    503 to everything during the first pass (given up after two attempts: the
            reports wait), {"code":0} from the second pass on
  email     an SMTP server that accepts everything, after STARTTLS (starttls = true, its
            self-signed certificate as ca_file)
  refusing  a dingtalk robot answering {"errcode":310000} (a permanent refusal)

Passes: 1. feishu down: the faulty reports wait; 2. the fault hook kills the daemon
(NIANBAO_FAULT_KILL_BEFORE_MARK) right after the second report version every sink acknowledged,
before the state recorded it; 3. the same at the third; 4. a clean pass; 5. another clean pass
(nothing new).

Checks: each target accepted one alert (alone or in a digest) for every report with a finding
at warning or above (read back from the findings topic), and none twice; the refusing robot
was asked once per such report and never again; the unreachable source alerted every target;
the webhook's signatures verify; the logs say what was not sent again and what was refused.

Usage: alerts_e2e_test.py NIANBAO MOCK_KAFKA REPO_ROOT
Prints "N passed, M failed"; exits non-zero on any failure.
"""
import base64
import hashlib
import hmac
import http.server
import json
import os
import re
import signal
import socketserver
import ssl
import subprocess
import sys
import threading

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import Checks, Env, free_port, kcat, report_id  # noqa: E402

NIANBAO, MOCK, ROOT = sys.argv[1], sys.argv[2], sys.argv[3]
check = Checks()
WEBHOOK_SECRET = "e2e-webhook-secret"


class Receiver:
    """An HTTP server on 127.0.0.1 answering from `answer(n)` (n: the request's number from 0):
    (status, body, headers), or None to close the connection without an answer. Keeps every
    request as (status answered, path, headers, body)."""

    def __init__(self, answer):
        self.answer = answer
        self.requests = []
        self.lock = threading.Lock()
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self):  # noqa: N802 (the name http.server calls)
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                with receiver.lock:
                    n = len(receiver.requests)
                    reply = receiver.answer(n)
                    status = reply[0] if reply else 0
                    receiver.requests.append((status, self.path, dict(self.headers), body))
                if reply is None:
                    self.close_connection = True
                    return
                status, text, headers = reply
                data = text.encode()
                self.send_response(status)
                for k, v in headers.items():
                    self.send_header(k, v)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def accepted(self):
        """The bodies of the requests answered 2xx."""
        with self.lock:
            return [r[3] for r in self.requests if 200 <= r[0] < 300]

    def close(self):
        self.server.shutdown()


class Smtp:
    """A minimal SMTP server with STARTTLS (a self-signed certificate for 127.0.0.1 made with
    openssl in `tmp`): accepts every command, keeps each message's DATA and whether it came
    over TLS."""

    def __init__(self, tmp):
        self.messages = []
        self.over_tls = []
        self.cert = os.path.join(tmp, "smtp-cert.pem")
        key = os.path.join(tmp, "smtp-key.pem")
        subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                        "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
                        "-keyout", key, "-out", self.cert], check=True, capture_output=True)
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(self.cert, key)
        smtp = self

        class Handler(socketserver.StreamRequestHandler):
            def handle(self):
                tls = False
                self.wfile.write(b"220 localhost ESMTP e2e\r\n")
                while True:
                    line = self.rfile.readline()
                    if not line:
                        return
                    verb = line[:4].upper()
                    if verb == b"DATA":
                        self.wfile.write(b"354 go on\r\n")
                        data = b""
                        while not data.endswith(b"\r\n.\r\n"):
                            chunk = self.rfile.readline()
                            if not chunk:
                                return
                            data += chunk
                        smtp.messages.append(data[:-3])
                        smtp.over_tls.append(tls)
                        self.wfile.write(b"250 queued\r\n")
                    elif verb == b"STAR" and not tls:
                        self.wfile.write(b"220 go ahead\r\n")
                        conn = context.wrap_socket(self.request, server_side=True)
                        self.rfile = conn.makefile("rb")
                        self.wfile = conn.makefile("wb", buffering=0)
                        tls = True
                    elif verb == b"QUIT":
                        self.wfile.write(b"221 bye\r\n")
                        return
                    elif verb == b"EHLO":
                        self.wfile.write(b"250 localhost\r\n" if tls else
                                         b"250-localhost\r\n250 STARTTLS\r\n")
                    else:
                        self.wfile.write(b"250 ok\r\n")

        self.server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"smtp://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def texts(self):
        out = []
        for m in self.messages:
            head, _, body = m.partition(b"\r\n\r\n")
            out.append(base64.b64decode(b"".join(body.split())).decode())
        return out

    def close(self):
        self.server.shutdown()


URL_RE = re.compile(r"http://127\.0\.0\.1:\d+/[^\s\)\]\"]+")


def ids_in_text(text):
    """The report_ids of the report URLs a message's text names, each once."""
    return {report_id(u) for u in URL_RE.findall(text)}


def webhook_ids(body):
    j = json.loads(body)
    alerts = j["alerts"] if j.get("event") == "digest" else [j]
    return [a["report_id"] for a in alerts if a.get("event", "").startswith("report.")]


def robot_text(kind, body):
    j = json.loads(body)
    if kind == "wecom":
        return j["markdown"]["content"]
    if kind == "dingtalk":
        return j["markdown"]["text"]
    return j["content"]["text"]


def counted(lists):
    out = {}
    for ids in lists:
        for i in ids:
            out[i] = out.get(i, 0) + 1
    return out


def sources(env, dead_port):
    """host1 only, and a source on a port nobody listens on (source.unreachable)."""
    text = env.portal.sources_toml()
    head, *blocks = text.split("\n[[source]]")
    keep = [b for b in blocks if "local-host1" in b]
    dead = ('\nname = "local-dead"\nentry = ["http://127.0.0.1:%d/zfxxgk/"]\n'
            "report_text = '年度报告'\n" % dead_port)
    text = "\n[[source]]".join([head] + keep + [dead])
    return text.replace("max_retries = 3", "max_retries = 0")


def main():
    env = Env(ROOT, NIANBAO, MOCK)
    n_feishu_pass = {"pass": 1}
    receivers = {
        "webhook": Receiver(lambda n: [(500, "", {}), (429, "", {"Retry-After": "1"})][n]
                            if n < 2 else (200, "", {})),
        "wecom": Receiver(lambda n: None if n == 0 else (200, '{"errcode":0,"errmsg":"ok"}', {})),
        "dingtalk": Receiver(lambda n: (200, '{"errcode":0,"errmsg":"ok"}', {})),
        "feishu": Receiver(lambda n: (503, "", {}) if n_feishu_pass["pass"] == 1
                           else (200, '{"code":0,"msg":"success"}', {})),
        "refusing": Receiver(lambda n: (200, '{"errcode":310000,"errmsg":"keywords not in '
                                        'content"}', {})),
    }
    smtp = Smtp(env.tmp)
    try:
        config, topics = env.config("alerts", sources=sources(env, free_port()))
        creds = os.path.join(os.path.dirname(config), "credentials")
        os.makedirs(creds, exist_ok=True)
        with open(os.path.join(creds, "ding-url"), "w") as f:
            f.write(receivers["dingtalk"].url + "/robot/send?access_token=T\n")
        with open(config, "a", encoding="utf-8") as f:
            f.write(f'''
[[alerts]]
kind = "webhook"
url = "{receivers["webhook"].url}/hook"
secret = "env:NIANBAO_E2E_WEBHOOK_SECRET"
min_severity = "warning"
retry_backoff_min = "100ms"

[[alerts]]
kind = "wecom"
url = "{receivers["wecom"].url}/cgi-bin/webhook/send?key=K"
retry_backoff_min = "100ms"

[[alerts]]
kind = "dingtalk"
url = "credential:ding-url"

[[alerts]]
kind = "feishu"
url = "{receivers["feishu"].url}/open-apis/bot/v2/hook/F"
max_attempts = 2
retry_backoff_min = "50ms"

[[alerts]]
kind = "email"
url = "{smtp.url}"
from = "nianbao@example.org"
to = ["office@example.org"]
starttls = true
ca_file = "{smtp.cert}"

[[alerts]]
kind = "dingtalk"
url = "{receivers["refusing"].url}/robot/send?access_token=R"
''')
        daemon_env = {"NIANBAO_E2E_WEBHOOK_SECRET": WEBHOOK_SECRET,
                      "CREDENTIALS_DIRECTORY": creds}
        step = 0

        def run(kill_at=None):
            nonlocal step
            step += 1
            extra = dict(daemon_env)
            if kill_at:
                extra["NIANBAO_FAULT_KILL_BEFORE_MARK"] = str(kill_at)
            p = env.daemon(config, once=True, log=f"daemon-{step}.log", env=extra)
            return p.wait(timeout=600)

        rc = run()
        check(rc == 3, f"pass 1 (feishu down): exit 3, work left for the next pass: {rc}")
        n_feishu_pass["pass"] = 2
        check(run(kill_at=2) == -signal.SIGKILL, "pass 2: the fault hook killed the daemon")
        check(run(kill_at=3) == -signal.SIGKILL, "pass 3: the fault hook killed the daemon")
        check(run() == 0, "pass 4: a clean pass exits 0")
        before = {k: len(r.requests) for k, r in receivers.items()}
        mails_before = len(smtp.messages)
        check(run() == 0, "pass 5: a clean pass exits 0")

        # The reports that must alert: a finding at warning or above.
        faulty = {m["key"] for m in kcat(env.bootstrap, topics["findings"])
                  if json.loads(m["payload"]).get("severity") in ("warning", "error")}
        check(len(faulty) > 0, f"the portal's reports have findings: {len(faulty)}")
        print(f"reports with findings at warning or above: {len(faulty)}", flush=True)

        per_target = {
            "webhook": [webhook_ids(b) for b in receivers["webhook"].accepted()],
            "email": [ids_in_text(t) for t in smtp.texts()],
        }
        for kind in ("wecom", "dingtalk", "feishu"):
            per_target[kind] = [ids_in_text(robot_text(kind, b))
                                for b in receivers[kind].accepted()]
        for kind, lists in per_target.items():
            counts = counted(lists)
            check(set(counts) == faulty,
                  f"{kind}: one alert for every faulty report: missing "
                  f"{sorted(faulty - set(counts))}, extra {sorted(set(counts) - faulty)}")
            twice = sorted(i for i, n in counts.items() if n > 1)
            check(not twice, f"{kind}: no report alerted twice: {twice}")

        # The refusing robot: asked once per faulty report (alone or in a digest), never again.
        refused = counted(ids_in_text(robot_text("dingtalk", r[3]))
                          for r in receivers["refusing"].requests)
        check(set(refused) == faulty, "refusing: asked about every faulty report")
        check(all(n == 1 for n in refused.values()),
              f"refusing: a refusal is not retried: {sorted(refused.values())[-3:]}")

        # Retries as specified.
        statuses = [r[0] for r in receivers["webhook"].requests]
        check(statuses[:3] == [500, 429, 200], f"webhook: 500, 429, then 200: {statuses[:3]}")
        rq = receivers["webhook"].requests
        check(len(rq) >= 3, "webhook: three requests at least")
        for status, _, headers, body in rq:
            want = "sha256=" + hmac.new(WEBHOOK_SECRET.encode(), body, hashlib.sha256).hexdigest()
            if headers.get("X-Nianbao-Signature") != want:
                check(False, "webhook: every body signed with the env: secret")
                break
        check([r[0] for r in receivers["wecom"].requests][:2] == [0, 200],
              "wecom: no answer, then retried")
        feishu_first = [r[0] for r in receivers["feishu"].requests if r[0] == 503]
        check(len(feishu_first) >= 2, "feishu: 503 in the first pass, given up after attempts")
        check(all(r[1].startswith("/robot/send?access_token=T")
                  for r in receivers["dingtalk"].requests),
              "dingtalk: its URL read from the credential")

        # The unreachable source alerted every target.
        dead = "source local-dead is unreachable"
        check(any(b'"source.unreachable"' in b for b in receivers["webhook"].accepted()),
              "webhook: source.unreachable alerted")
        for kind in ("wecom", "dingtalk", "feishu"):
            check(any(dead in robot_text(kind, b) for b in receivers[kind].accepted()),
                  f"{kind}: {dead}")
        check(any(dead in t for t in smtp.texts()), f"email: {dead}")
        check(smtp.over_tls and all(smtp.over_tls), "email: every message after STARTTLS")

        # Pass 5 found nothing new: no report alert anywhere.
        after_reports = [b for k, r in receivers.items() for b in
                         (x[3] for x in r.requests[before[k]:]) if b"report" in b and
                         b"local-dead" not in b]
        check(not after_reports, f"pass 5: no report alerted again: {len(after_reports)}")
        check(all("local-dead" in t for t in smtp.texts()[mails_before:]),
              "pass 5: no report mailed again")

        logs = "".join(open(os.path.join(os.path.dirname(config), f"daemon-{s}.log"),
                            encoding="utf-8").read() for s in range(1, 6))
        check("already sent; not sent again" in logs,
              "the daemon's log says a re-handed report was not alerted again")
        check("refused, given up" in logs, "the daemon's log names the refusal")
    finally:
        for r in receivers.values():
            r.close()
        smtp.close()
        env.close()
    return check.finish()


if __name__ == "__main__":
    sys.exit(main())
