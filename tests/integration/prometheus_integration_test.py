#!/usr/bin/python3
"""A real Prometheus (Debian's) scraping the real services: rules, alerts and dashboards on real data.

Starts every service whose binary the build produced (a missing binary means that service is not
part of the run, and says so loudly), on free loopback ports against the local stack's Redis and
Kafka; starts prometheus on a free port with a generated configuration that scrapes them the way
the ServiceMonitors do (job advocacy-<service>, honor_labels) and loads
deploy/monitoring/rules/advocacy.rules.yml; drives real traffic through the public APIs (consent,
content, courses and, when built, notifications) and a tracked-link click; then checks:

  1. every target is up;
  2. every recording rule and alert rule evaluates without error, and the recording rules have
     values, per running service, computed from the real series;
  3. no alert fires on the healthy system; stopping a service makes AdvocacyServiceDown pending
     for it (the alert evaluated on a real failed scrape);
  4. the dashboards: every metric a query names is exported by a running service (read from the
     /metrics endpoints), every label a query matches on exists on that metric, every literal
     label value it matches exists, every recording rule it uses is loaded, and every query
     returns data from Prometheus;
  5. every service's /metrics, after the traffic, passes `promtool check metrics` (valid text
     format, one HELP and TYPE per family, no lint findings) and names each family once.

Everything it started is stopped at the end (and killed with it if it dies). Run by ctest
(label integration) through deploy/local/test.sh, which exports ADVOCACY_REDIS_URL,
ADVOCACY_KAFKA_BROKERS and ADVOCACY_BUF. Only Python's standard library.

    prometheus_integration_test.py --build-dir BUILD [--source-dir REPO]

Set ADVOCACY_PROM_TEST_SERVICES=consent,content to run a subset.
"""

import argparse
import base64
import ctypes
import json
import os
import re
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request

ALL_SERVICES = ["consent", "courses", "content", "notifications"]

passed = 0
failed = 0


def log(msg):
    print(f"[prometheus-test] {msg}", flush=True)


def check(ok, what, detail=""):
    global passed, failed
    if ok:
        passed += 1
        log(f"ok   {what}")
    else:
        failed += 1
        log(f"FAIL {what}" + (f": {detail}" if detail else ""))
    return ok


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(cond, timeout, interval=0.2):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = cond()
        if value:
            return value
        time.sleep(interval)
    return cond()


_libc = ctypes.CDLL("libc.so.6", use_errno=True)


def _die_with_parent():
    # PR_SET_PDEATHSIG: a killed test (ctest timeout) takes its children along.
    _libc.prctl(1, signal.SIGKILL)


class Process:
    """A child process with its output in a log file; stopped with SIGTERM, then SIGKILL."""

    def __init__(self, name, argv, env, workdir):
        self.name = name
        self.log_path = os.path.join(workdir, f"{name}.log")
        self._log = open(self.log_path, "wb")
        self.proc = subprocess.Popen(argv, env=env, stdout=self._log, stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL, preexec_fn=_die_with_parent)

    def alive(self):
        return self.proc.poll() is None

    def stop(self, timeout=20):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                log(f"{self.name} did not stop within {timeout}s of SIGTERM; killing it")
                self.proc.kill()
                self.proc.wait()
        self._log.close()
        return self.proc.returncode

    def tail(self, lines=30):
        try:
            with open(self.log_path, "rb") as f:
                return b"\n".join(f.read().splitlines()[-lines:]).decode(errors="replace")
        except OSError:
            return ""


def http(url, data=None, timeout=10):
    req = urllib.request.Request(url, data=data)
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return r.status, r.read().decode(errors="replace")
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode(errors="replace")
    except (urllib.error.URLError, OSError) as e:
        return 0, str(e)


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def http_no_redirect(url):
    opener = urllib.request.build_opener(NoRedirect)
    try:
        with opener.open(url, timeout=10) as r:
            return r.status
    except urllib.error.HTTPError as e:
        return e.code
    except (urllib.error.URLError, OSError):
        return 0


# ------------------------------------------------------------------ PromQL --
KEYWORDS = {"by", "without", "on", "ignoring", "group_left", "group_right", "and", "or", "unless",
            "bool", "offset", "inf", "nan",
            # aggregation operators, which may be followed by `by (...)` before their parenthesis
            "sum", "min", "max", "avg", "group", "stddev", "stdvar", "count", "count_values",
            "bottomk", "topk", "quantile"}
LABEL_LIST_KEYWORDS = {"by", "without", "on", "ignoring", "group_left", "group_right"}


def selectors(expr):
    """(metric, [(label, op, value)]) for every vector selector in a PromQL expression."""
    out = []
    i, n = 0, len(expr)
    while i < n:
        c = expr[i]
        if c == '"':
            j = expr.index('"', i + 1)
            i = j + 1
            continue
        if c == "[":
            i = expr.index("]", i) + 1
            continue
        if c == "{":  # a selector without a metric name
            j = expr.index("}", i)
            out.append((None, parse_matchers(expr[i + 1:j])))
            i = j + 1
            continue
        m = re.compile(r"[a-zA-Z_:][a-zA-Z0-9_:]*").match(expr, i)
        if m and (i == 0 or not (expr[i - 1].isalnum() or expr[i - 1] in "._")):
            word = m.group(0)
            j = m.end()
            k = j
            while k < n and expr[k] == " ":
                k += 1
            if word in LABEL_LIST_KEYWORDS:
                if k < n and expr[k] == "(":
                    i = expr.index(")", k) + 1
                else:
                    i = j
                continue
            if word.lower() in KEYWORDS or (k < n and expr[k] == "("):
                i = j
                continue
            matchers = []
            if k < n and expr[k] == "{":
                end = expr.index("}", k)
                matchers = parse_matchers(expr[k + 1:end])
                j = end + 1
            out.append((word, matchers))
            i = j
            continue
        i += 1
    return out


def parse_matchers(body):
    return [(m.group(1), m.group(2), m.group(3))
            for m in re.finditer(r'([a-zA-Z_][a-zA-Z0-9_]*)\s*(=~|!~|!=|=)\s*"((?:[^"\\]|\\.)*)"', body)]


def parse_exposition(text):
    """{metric name: [labels dict, ...]} from the Prometheus text format."""
    series = {}
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        m = re.match(r"([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})?\s+\S+", line)
        if not m:
            continue
        labels = dict((a, b) for a, _, b in parse_matchers(m.group(3) or ""))
        series.setdefault(m.group(1), []).append(labels)
    return series


def redis_env(user):
    """The Redis variables with which a service runs as its own ACL user (deploy/local/stack.sh,
    ADVOCACY_REDIS_ACL=on, deploy/redis/acl-rules.conf), or none when the stack runs without ACLs.
    """
    if os.environ.get("ADVOCACY_REDIS_ACL", "off") != "on":
        return {}
    creds = os.environ["ADVOCACY_REDIS_CREDENTIALS_DIR"]
    return {
        "ADVOCACY_REDIS_USERNAME": user,
        "ADVOCACY_REDIS_PASSWORD_FILE": os.path.join(creds, user + ".password"),
    }


def grpc_tls_env(service):
    """The gRPC TLS variables of a service of the local stack: its own certificate, client
    certificates of the stack CA required (deploy/local/stack.sh issues them into
    ADVOCACY_GRPC_TLS_DIR), or plaintext when the environment names no such directory."""
    tls_dir = os.environ.get("ADVOCACY_GRPC_TLS_DIR", "")
    if not tls_dir:
        return {"ADVOCACY_GRPC_TLS": "off"}
    ca = os.environ["ADVOCACY_GRPC_TLS_CA_FILE"]
    return {
        "ADVOCACY_GRPC_TLS": "on",
        "ADVOCACY_GRPC_TLS_CERT_FILE": os.path.join(tls_dir, service + ".pem"),
        "ADVOCACY_GRPC_TLS_KEY_FILE": os.path.join(tls_dir, service + ".key"),
        "ADVOCACY_GRPC_TLS_CLIENT_CA_FILE": ca,
        "ADVOCACY_GRPC_TLS_CLIENT_AUTH": "require",
        "ADVOCACY_GRPC_TLS_CA_FILE": ca,
    }


def ctl_tls_args():
    """advocacyctl's TLS flags: the tests' client certificate advocacy-it, or --plaintext."""
    tls_dir = os.environ.get("ADVOCACY_GRPC_TLS_DIR", "")
    if not tls_dir:
        return ["--plaintext"]
    return ["--tls-ca", os.environ["ADVOCACY_GRPC_TLS_CA_FILE"],
            "--tls-cert", os.path.join(tls_dir, "advocacy-it.pem"),
            "--tls-key", os.path.join(tls_dir, "advocacy-it.key")]


def buf_tls_args():
    """buf curl's TLS flags and URL scheme, as ctl_tls_args."""
    tls_dir = os.environ.get("ADVOCACY_GRPC_TLS_DIR", "")
    if not tls_dir:
        return ["--http2-prior-knowledge"], "http"
    return ["--cacert", os.environ["ADVOCACY_GRPC_TLS_CA_FILE"],
            "--cert", os.path.join(tls_dir, "advocacy-it.pem"),
            "--key", os.path.join(tls_dir, "advocacy-it.key")], "https"


def kafka_env(principal):
    """The Kafka security settings of a service running as `principal` on the stack's broker:
    TLS with its client certificate (deploy/local/stack.sh, ADVOCACY_KAFKA_SECURITY=on), or
    plaintext when the stack runs without security."""
    if os.environ.get("ADVOCACY_KAFKA_SECURITY_PROTOCOL", "PLAINTEXT") in ("", "PLAINTEXT"):
        return {"ADVOCACY_KAFKA_SECURITY_PROTOCOL": "PLAINTEXT"}
    creds = os.environ["ADVOCACY_KAFKA_CREDENTIALS_DIR"]
    return {
        "ADVOCACY_KAFKA_SECURITY_PROTOCOL": os.environ["ADVOCACY_KAFKA_SECURITY_PROTOCOL"],
        "ADVOCACY_KAFKA_SSL_CA_FILE": os.environ["ADVOCACY_KAFKA_SSL_CA_FILE"],
        "ADVOCACY_KAFKA_SSL_CERT_FILE": os.path.join(creds, principal + ".pem"),
        "ADVOCACY_KAFKA_SSL_KEY_FILE": os.path.join(creds, principal + ".key"),
    }


# ---------------------------------------------------------------- the test --
class Run:
    def __init__(self, args):
        self.repo = os.path.abspath(args.source_dir)
        self.build = os.path.abspath(args.build_dir)
        self.work = tempfile.mkdtemp(prefix="advocacy-prometheus-test-")
        self.procs = []
        self.services = {}  # name -> dict(grpc, metrics, proc, ...)
        self.redis = os.environ.get("ADVOCACY_REDIS_URL", "")
        self.kafka = os.environ.get("ADVOCACY_KAFKA_BROKERS", "")
        self.ctl = os.path.join(self.build, "tools", "advocacyctl", "advocacyctl")
        self.buf = os.environ.get("ADVOCACY_BUF") or shutil.which("buf") or ""
        self.tenant = f"prom-{os.getpid()}-{int(time.time())}"

    # ------------------------------------------------------------ set-up --
    def prerequisites(self):
        missing = []
        if not self.redis or not self.kafka:
            missing.append("ADVOCACY_REDIS_URL and ADVOCACY_KAFKA_BROKERS (run through deploy/local/test.sh)")
        for tool in ("prometheus", "promtool"):
            if not shutil.which(tool):
                missing.append(f"{tool} (Debian package prometheus; deploy/local/install_sre_tools.sh)")
        if not os.access(self.ctl, os.X_OK):
            missing.append(f"{self.ctl} (build the advocacyctl target)")
        if not self.buf or not os.access(self.buf, os.X_OK):
            missing.append("buf (ADVOCACY_BUF; deploy/local/install.sh installs it)")
        if missing:
            for m in missing:
                log(f"missing: {m}")
            sys.exit("prometheus_test: prerequisites missing (above)")

    def keys(self):
        # Tokens come from the stack's OpenID provider (stack.env: ADVOCACY_OIDC_*).
        for var in ("ADVOCACY_OIDC_TOKEN_URL", "ADVOCACY_OIDC_CA_FILE", "ADVOCACY_OIDC_ISSUERS_FILE",
                    "ADVOCACY_OIDC_SECRETS_DIR"):
            if not os.environ.get(var):
                sys.exit(f"prometheus_test: {var} is not set; source the stack's stack.env")
        self.oidc_tokens = {}
        self.unsubscribe_key = os.path.join(self.work, "unsubscribe-key")
        with open(self.unsubscribe_key, "w") as f:
            f.write(os.urandom(32).hex())

    def choose_services(self):
        wanted = [s for s in os.environ.get("ADVOCACY_PROM_TEST_SERVICES", ",".join(ALL_SERVICES)).split(",") if s]
        for name in wanted:
            binary = os.path.join(self.build, "services", name, name)
            if os.access(binary, os.X_OK):
                self.services[name] = {"binary": binary}
            else:
                log("!" * 78)
                log(f"!!! {name}: no binary at {binary}")
                log(f"!!! {name} is NOT part of this run: its targets, rules and dashboard panels are skipped")
                log("!" * 78)
        if "content" in self.services and "consent" not in self.services:
            sys.exit("prometheus_test: content needs consent in the run")
        if not self.services:
            sys.exit("prometheus_test: no service binary found under " + self.build)
        log("services in this run: " + ", ".join(self.services))

    def service_env(self, name, info):
        env = dict(os.environ)
        env.update({
            "ADVOCACY_REDIS_URL": self.redis,
            "ADVOCACY_KAFKA_BROKERS": self.kafka,
            "ADVOCACY_AUTH_ISSUERS_FILE": os.environ["ADVOCACY_OIDC_ISSUERS_FILE"],
            "ADVOCACY_JWT_AUDIENCE": f"advocacy-{name}",
            "ADVOCACY_GRPC_LISTEN": f"127.0.0.1:{info['grpc']}",
            "ADVOCACY_METRICS_LISTEN": f"127.0.0.1:{info['metrics']}",
            "ADVOCACY_DRAIN_TIMEOUT_MS": "2000",
            "ADVOCACY_LOG_LEVEL": "warning",
            # The traffic goes through buf curl, which learns the API by server reflection.
            "ADVOCACY_GRPC_REFLECTION": "true",
        })
        env.update(kafka_env(name))  # each service as its own Kafka principal
        env.update(redis_env(name))  # and as its own Redis user
        env.update(grpc_tls_env(name))  # serving mutual TLS with its own certificate
        group = f"{name}-prom-it-{os.getpid()}"  # fresh consumer groups: no stale members
        if name == "content":
            info["links"] = free_port()
            env.update({
                "CONTENT_LINK_LISTEN": f"127.0.0.1:{info['links']}",
                "CONTENT_LINK_BASE_URL": f"http://127.0.0.1:{info['links']}/l/",
                "CONTENT_CONSENT_GROUP": group,
            })
        if name == "notifications":
            info["unsubscribe"] = free_port()
            env.update({
                "NOTIFICATIONS_CONSENT_ADDR": f"127.0.0.1:{self.services['consent']['grpc']}",
                # Its own identity towards consent: the provider's client `notifications`.
                "NOTIFICATIONS_OIDC_TOKEN_URL": os.environ["ADVOCACY_OIDC_TOKEN_URL"],
                "NOTIFICATIONS_OIDC_CLIENT_SECRET_FILE":
                    os.path.join(os.environ["ADVOCACY_OIDC_SECRETS_DIR"], "notifications.secret"),
                "NOTIFICATIONS_OIDC_CA_FILE": os.environ["ADVOCACY_OIDC_CA_FILE"],
                "NOTIFICATIONS_UNSUBSCRIBE_KEY_FILE": self.unsubscribe_key,
                "NOTIFICATIONS_PUBLIC_BASE_URL": "https://advocacy.test",
                "NOTIFICATIONS_UNSUBSCRIBE_LISTEN": f"127.0.0.1:{info['unsubscribe']}",
                "NOTIFICATIONS_SMTP_URL": f"smtp://127.0.0.1:{self.smtp_port}",
                "NOTIFICATIONS_MAIL_FROM": "notifications@advocacy.test",
                "NOTIFICATIONS_CONSENT_GROUP": group + "-consent",
                "NOTIFICATIONS_EVENTS_GROUP": group + "-events",
                "NOTIFICATIONS_POLL_INTERVAL_MS": "100",
            })
        return env

    def start_services(self):
        if "notifications" in self.services:
            # A real SMTP server that accepts everything (Debian's python3-aiosmtpd).
            self.smtp_port = free_port()
            self.procs.append(Process("smtp", ["/usr/bin/python3", "-m", "aiosmtpd", "-n", "-l",
                                               f"127.0.0.1:{self.smtp_port}"], dict(os.environ), self.work))
        for name in [s for s in ALL_SERVICES if s in self.services]:
            info = self.services[name]
            info["grpc"], info["metrics"] = free_port(), free_port()
            info["proc"] = Process(name, [info["binary"]], self.service_env(name, info), self.work)
            self.procs.append(info["proc"])
            ready = subprocess.run([self.ctl, "--addr", f"127.0.0.1:{info['grpc']}", *ctl_tls_args(),
                                    "health", "--wait", "60s"],
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL).returncode == 0
            if not ready:
                log(info["proc"].tail())
                sys.exit(f"prometheus_test: {name} did not become SERVING; log {info['proc'].log_path}")
            log(f"{name}: SERVING on 127.0.0.1:{info['grpc']}, metrics :{info['metrics']}")

    def start_prometheus(self):
        self.prom_port = free_port()
        rules = os.path.join(self.repo, "deploy", "monitoring", "rules", "advocacy.rules.yml")
        jobs = []
        for name, info in self.services.items():
            # What a ServiceMonitor produces: job = the Service's name, honor_labels, and `service`
            # on the target so that `up` carries it too.
            jobs.append(
                f"  - job_name: advocacy-{name}\n"
                f"    honor_labels: true\n"
                f"    static_configs:\n"
                f"      - targets: ['127.0.0.1:{info['metrics']}']\n"
                f"        labels: {{service: {name}}}\n")
        config = ("global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\n  evaluation_interval: 1s\n"
                  f"rule_files:\n  - {rules}\n"
                  "scrape_configs:\n" + "".join(jobs))
        path = os.path.join(self.work, "prometheus.yml")
        with open(path, "w") as f:
            f.write(config)
        subprocess.run(["promtool", "check", "config", path], check=True, stdout=subprocess.DEVNULL)
        self.prometheus = Process("prometheus", [
            "prometheus", f"--config.file={path}", f"--storage.tsdb.path={self.work}/tsdb",
            f"--web.listen-address=127.0.0.1:{self.prom_port}", "--log.level=warn"], dict(os.environ), self.work)
        self.procs.append(self.prometheus)
        if not wait_for(lambda: http(f"http://127.0.0.1:{self.prom_port}/-/ready")[0] == 200, 30):
            log(self.prometheus.tail())
            sys.exit("prometheus_test: prometheus did not become ready")
        log(f"prometheus {self.prometheus_version()} ready on 127.0.0.1:{self.prom_port}")

    def prometheus_version(self):
        out = subprocess.run(["prometheus", "--version"], capture_output=True, text=True)
        return (out.stdout + out.stderr).split()[2] if (out.stdout + out.stderr).split() else "?"

    # ------------------------------------------------------------ traffic --
    def ctl_call(self, role, subject, *argv, ok=True):
        r = subprocess.run([self.ctl, "--addr", f"127.0.0.1:{self.services['consent']['grpc']}",
                            *ctl_tls_args(), "--token", self.token(role, subject, "consent"), *argv],
                           capture_output=True, text=True)
        if ok and r.returncode != 0:
            raise RuntimeError(f"advocacyctl {' '.join(argv)} failed: {r.stderr.strip()}")
        return r

    def token(self, role, subject, service):
        """A token of the stack's OpenID provider for the principal, from the tests' client
        advocacy-it (deploy/local/oidc/clients.json), for `service` only; cached 2 minutes."""
        key = (role, subject, service)
        cached = self.oidc_tokens.get(key)
        if cached and cached[1] > time.monotonic():
            return cached[0]
        with open(os.path.join(os.environ["ADVOCACY_OIDC_SECRETS_DIR"], "advocacy-it.secret")) as f:
            secret = f.read().strip()
        form = {"grant_type": "client_credentials", "resource": f"urn:advocacy:{service}",
                "advocacy_tenant": self.tenant, "advocacy_subject": subject, "advocacy_role": role}
        if role == "service":
            form["scope"] = f"{service}:read {service}:write"
        req = urllib.request.Request(os.environ["ADVOCACY_OIDC_TOKEN_URL"],
                                     data=urllib.parse.urlencode(form).encode())
        req.add_header("Authorization", "Basic " + base64.b64encode(
            f"advocacy-it:{secret}".encode()).decode())
        ctx = ssl.create_default_context(cafile=os.environ["ADVOCACY_OIDC_CA_FILE"])
        with urllib.request.urlopen(req, timeout=10, context=ctx) as resp:
            token = json.loads(resp.read())["access_token"]
        self.oidc_tokens[key] = (token, time.monotonic() + 120)
        return token

    def rpc(self, service, method, role, subject, body, ok=True):
        """One gRPC call through buf curl (server reflection); the JSON response."""
        info = self.services[service]
        pkg = {"courses": "advocacy.courses.v1.CoursesService", "content": "advocacy.content.v1.ContentService",
               "notifications": "advocacy.notifications.v1.NotificationsService"}[service]
        tls_args, scheme = buf_tls_args()
        r = subprocess.run([self.buf, "curl", "--protocol", "grpc", *tls_args,
                            "-H", f"authorization: Bearer {self.token(role, subject, service)}",
                            "-d", json.dumps(body), f"{scheme}://127.0.0.1:{info['grpc']}/{pkg}/{method}"],
                           capture_output=True, text=True)
        if ok and r.returncode != 0:
            raise RuntimeError(f"{service} {method} failed: {r.stderr.strip() or r.stdout.strip()}")
        try:
            return json.loads(r.stdout) if r.stdout.strip() else {}
        except json.JSONDecodeError:
            return {}

    def traffic(self):
        """Two rounds: a counter appears on /metrics with its first event, so rate() and
        increase() see only what happens after Prometheus has scraped it once. The first round
        creates the series, the second moves them."""
        self.traffic_round_one()
        self.traffic_notifications()
        present = {"consent": 'advocacy_grpc_requests_total{service="consent",method="WithdrawConsent"}',
                   "notifications": 'advocacy_grpc_requests_total{service="notifications",method="GetRecipient"}',
                   "courses": 'advocacy_courses_completions_total{service="courses"}',
                   "content": 'advocacy_content_clicks_total{service="content"}'}
        for svc, series in present.items():
            if svc in self.services:
                check(bool(wait_for(lambda: (self.query(series)[0] or None), 30, 0.5)),
                      f"Prometheus scraped the series the first round created ({series})")
        self.traffic_round_two()
        self.traffic_notifications(("e3", "e4"))

    def traffic_round_one(self):
        t = self.tenant
        # consent: a notice, opt-ins, an opt-out, a refused call (PERMISSION_DENIED).
        self.ctl_call("admin", "hr", "notice", "publish", "--tenant", t, "--version", "v1",
                      "--summary", "Sharing is voluntary", "--url", "https://advocacy.test/notice")
        for e in ("e1", "e2", "e3"):
            self.ctl_call("employee", e, "consent", "give", "--tenant", t, "--employee", e,
                          "--scope", "share:linkedin,leaderboard,email-tips,course-tips", "--notice", "v1")
        self.ctl_call("employee", "e3", "consent", "withdraw", "--tenant", t, "--employee", "e3",
                      "--scope", "share:linkedin")
        self.ctl_call("employee", "e2", "consent", "check", "--tenant", t, "--employee", "e1",
                      "--scope", "share:linkedin", ok=False)
        log("traffic: consent notice, 3 opt-ins, 1 opt-out, 1 refused check")

        if "courses" in self.services:
            course = self.rpc("courses", "CreateCourse", "admin", "hr", {
                "tenant_id": t, "content": {
                    "title": "Sharing at work", "description": "Voluntary, always.",
                    "level": "COURSE_LEVEL_BEGINNER", "language": "en",
                    "modules": [{"module_id": "m1", "title": "Start", "lessons": [
                        {"lesson_id": "intro", "title": "Your choice", "estimated_minutes": 5,
                         "text": {"body": "Sharing company news is your own choice."}}]}]}})
            course_id = self.course_id = course["course"]["courseId"]
            self.rpc("courses", "PublishCourse", "admin", "hr", {"tenant_id": t, "course_id": course_id})
            for e in ("e1", "e2"):
                self.rpc("courses", "EnrollInCourse", "employee", e, {"tenant_id": t, "employee_id": e, "course_id": course_id})
                self.rpc("courses", "CompleteLesson", "employee", e, {"tenant_id": t, "employee_id": e,
                                                                     "course_id": course_id, "lesson_id": "intro"})
            starts = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() + 7 * 86400))
            b = self.rpc("courses", "ScheduleBroadcast", "admin", "hr", {"tenant_id": t, "details": {
                "title": "Live Q&A", "starts_at": starts, "duration_minutes": 30, "capacity": 1,
                "join_url": "https://video.advocacy.test/live", "language": "en"}})
            self.broadcast_id = b["broadcast"]["broadcastId"]
            for e in ("e1", "e2"):
                self.rpc("courses", "RegisterForBroadcast", "employee", e,
                         {"tenant_id": t, "broadcast_id": self.broadcast_id, "employee_id": e})
            log("traffic: courses course published, 2 enrollments, 2 completions, broadcast with a seat and a waiting list")

        if "content" in self.services:
            item = {"item_id": "launch", "title": "We opened a plant", "url": "https://news.advocacy.test/plant",
                    "captions": [{"network": "NETWORK_LINKEDIN", "captions": ["Proud of this"]}]}
            self.rpc("content", "CreateItem", "admin", "hr", {"tenant_id": t, "item": item})
            self.rpc("content", "PublishItem", "admin", "hr", {"tenant_id": t, "item_id": "launch"})
            # The share succeeds once e1's opt-in reached content's consent view through Kafka.
            share = wait_for(lambda: self.rpc("content", "RecordShare", "employee", "e1", {
                "tenant_id": t, "employee_id": "e1", "item_id": "launch", "network": "NETWORK_LINKEDIN"}, ok=False)
                .get("share"), 60, 0.5)
            if not check(bool(share), "content: a share succeeds once the opt-in reached its consent view"):
                return
            self.tracked_url = share["trackedUrl"]
            status = http_no_redirect(share["trackedUrl"])
            check(status == 302, "content: the tracked link redirects (a counted click)", f"HTTP {status}")
            # e3 withdrew LinkedIn: refused (FAILED_PRECONDITION), an answer rather than an error.
            self.rpc("content", "RecordShare", "employee", "e3", {
                "tenant_id": t, "employee_id": "e3", "item_id": "launch", "network": "NETWORK_LINKEDIN"}, ok=False)
            log("traffic: content item published, 1 share, 1 click, 1 refused share")

    def traffic_round_two(self):
        t = self.tenant
        for e in ("e1", "e2"):
            self.ctl_call("employee", e, "consent", "check", "--tenant", t, "--employee", e, "--scope", "share:linkedin")
        self.ctl_call("employee", "e4", "consent", "give", "--tenant", t, "--employee", "e4",
                      "--scope", "share:linkedin,email-tips", "--notice", "v1")
        self.ctl_call("employee", "e4", "consent", "withdraw", "--tenant", t, "--employee", "e4", "--scope", "email-tips")
        self.ctl_call("employee", "e4", "consent", "check", "--tenant", t, "--employee", "e1",
                      "--scope", "share:linkedin", ok=False)
        if "courses" in self.services and getattr(self, "course_id", None):
            self.rpc("courses", "EnrollInCourse", "employee", "e3", {"tenant_id": t, "employee_id": "e3", "course_id": self.course_id})
            self.rpc("courses", "CompleteLesson", "employee", "e3", {"tenant_id": t, "employee_id": "e3",
                                                                    "course_id": self.course_id, "lesson_id": "intro"})
            self.rpc("courses", "RegisterForBroadcast", "employee", "e3",
                     {"tenant_id": t, "broadcast_id": self.broadcast_id, "employee_id": "e3"})
        if "content" in self.services and getattr(self, "tracked_url", None):
            share = wait_for(lambda: self.rpc("content", "RecordShare", "employee", "e2", {
                "tenant_id": t, "employee_id": "e2", "item_id": "launch", "network": "NETWORK_LINKEDIN"}, ok=False)
                .get("share"), 60, 0.5)
            check(bool(share), "content: a second employee's share succeeds")
            for url in [self.tracked_url] + ([share["trackedUrl"]] if share else []):
                http_no_redirect(url)
        log("traffic: second round (checks, an opt-in and an opt-out, an enrollment, a completion, "
            "a waiting-list registration, a share, two clicks)")

    def traffic_notifications(self, employees=("e1", "e2")):
        t = self.tenant
        if "notifications" in self.services:
            # Its delivery counters are registered up front; these calls move the shared gRPC
            # series (the recording rules need every service's RPCs).
            for e in employees:
                self.rpc("notifications", "UpsertRecipient", "admin", "hr", {"recipient": {
                    "tenant_id": t, "employee_id": e, "email": f"{e}@advocacy.test", "locale": "en",
                    "time_zone": "Europe/Oslo"}})
                self.rpc("notifications", "GetRecipient", "employee", e, {"tenant_id": t, "employee_id": e})
            log(f"traffic: notifications recipients {', '.join(employees)} upserted and read")

    # ------------------------------------------------------------- checks --
    def query(self, expr):
        q = urllib.parse.urlencode({"query": expr})
        status, body = http(f"http://127.0.0.1:{self.prom_port}/api/v1/query?{q}")
        if status != 200:
            return None, body
        data = json.loads(body)
        return data["data"]["result"], None

    def api(self, path):
        status, body = http(f"http://127.0.0.1:{self.prom_port}/api/v1/{path}")
        return json.loads(body)["data"] if status == 200 else None

    def check_targets(self):
        def all_up():
            data = self.api("targets")
            if not data:
                return None
            health = {t["labels"]["job"]: t["health"] for t in data["activeTargets"]}
            return health if all(h == "up" for h in health.values()) and len(health) == len(self.services) else None
        health = wait_for(all_up, 30)
        check(bool(health), f"all {len(self.services)} targets are up", json.dumps(self.api("targets"))[:500])

    def check_rules(self):
        def evaluated():
            data = self.api("rules")
            if not data:
                return None
            rules = [r for g in data["groups"] for r in g["rules"]]
            return rules if rules and all(r.get("lastEvaluation", "").startswith("2") and
                                          not r["lastEvaluation"].startswith("0001") for r in rules) else None
        rules = wait_for(evaluated, 30)
        if not check(bool(rules), "the rules file is loaded and every rule has been evaluated"):
            return
        bad = [f"{r['name']}: {r.get('lastError')}" for r in rules if r["health"] != "ok"]
        check(not bad, f"all {len(rules)} rules evaluate without error on real data", "; ".join(bad))
        self.recorded = {r["name"] for r in rules if r["type"] == "recording"}

        running = set(self.services)
        expect = {
            "advocacy_service:grpc_requests:rate5m": running,
            "advocacy_service:grpc_requests:rate1h": running,
            "advocacy_service:grpc_server_error_ratio:rate5m": running,
            "advocacy_service:grpc_request_duration_seconds:p99_5m": running,
            "advocacy_service:grpc_slow_requests:ratio_rate5m": running,
            "advocacy_service:grpc_slow_requests:ratio_rate1h": running,
            "advocacy_service:outbox_oldest_lease_age_seconds:max": running,
            "advocacy_service:kafka_consumer_lag:sum": running & {"content", "notifications"},
            "advocacy_service:kafka_dead_lettered:increase15m": running,
            "advocacy_service:consent_propagation_lag_seconds:p99_5m": running & {"content"},
        }
        # Rules whose value must be a number (not NaN) > 0, or >= 0, once the traffic moved them.
        positive = {"advocacy_service:grpc_requests:rate5m", "advocacy_service:grpc_requests:rate1h",
                    "advocacy_service:grpc_request_duration_seconds:p99_5m",
                    "advocacy_service:consent_propagation_lag_seconds:p99_5m"}
        finite = {"advocacy_service:grpc_server_error_ratio:rate5m",
                  "advocacy_service:grpc_slow_requests:ratio_rate5m",
                  "advocacy_service:grpc_slow_requests:ratio_rate1h"}

        def acceptable(name, value):
            v = float(value)
            if name in positive:
                return v == v and v > 0
            if name in finite:
                return v == v and 0 <= v <= 1
            return v == v
        for name, services in sorted(expect.items()):
            def has_all():
                result, _ = self.query(name)
                got = {r["metric"].get("service") for r in (result or [])
                       if acceptable(name, r["value"][1])}
                return got if services <= got else None
            got = wait_for(has_all, 20, 0.5)
            result, _ = self.query(name)
            sample = ", ".join(f"{r['metric'].get('service')}={float(r['value'][1]):.4g}" for r in (result or []))
            kind = "positive values" if name in positive else "values in [0, 1]" if name in finite else "values"
            check(bool(got), f"recording rule {name} has {kind} for {', '.join(sorted(services)) or '-'}",
                  f"got {sample or 'nothing'}")
            if got:
                log(f"     {name}: {sample}")

    def check_alerts(self):
        def alerts():
            data = self.api("alerts")
            return data["alerts"] if data is not None else None
        firing = [a for a in (alerts() or []) if a["state"] == "firing"]
        check(not firing, "no alert fires on the healthy system",
              "; ".join(f"{a['labels']['alertname']} {a['labels'].get('service', '')}" for a in firing))
        victim = next((s for s in ("courses", "consent") if s in self.services), None)
        if victim is None:
            return
        self.services[victim]["proc"].stop()
        log(f"stopped {victim}; waiting for Prometheus to see the failed scrape")

        def down_alert():
            return [a for a in (alerts() or []) if a["labels"]["alertname"] == "AdvocacyServiceDown"
                    and a["labels"].get("job") == f"advocacy-{victim}"]
        got = wait_for(down_alert, 30, 0.5)
        check(bool(got) and got[0]["state"] in ("pending", "firing"),
              f"AdvocacyServiceDown is {got[0]['state'] if got else 'absent'} for advocacy-{victim} after it stopped"
              " (for: 2m keeps it pending)", json.dumps(got)[:300])
        others = [a for a in (alerts() or []) if a["labels"]["alertname"] == "AdvocacyServiceDown"
                  and a["labels"].get("job") != f"advocacy-{victim}"]
        check(not others, "AdvocacyServiceDown names only the stopped service", json.dumps(others)[:300])

    def check_exposition(self):
        """promtool check metrics on every running service's real /metrics, after the traffic:
        strict scrapers refuse a family written twice (e.g. once per Kafka role)."""
        for name, info in self.services.items():
            if not info["proc"].alive():
                continue
            status, body = http(f"http://127.0.0.1:{info['metrics']}/metrics")
            if not check(status == 200 and body, f"{name}: /metrics answers", f"HTTP {status}"):
                continue
            types = re.findall(r"^# TYPE (\S+) ", body, re.MULTILINE)
            twice = sorted({t for t in types if types.count(t) > 1})
            check(not twice, f"{name}: each of its {len(types)} metric families has one TYPE line",
                  ", ".join(twice))
            kafka = [t for t in types if t.startswith("advocacy_kafka_")]
            check(bool(kafka), f"{name}: exports the advocacy_kafka_* families ({len(kafka)})")
            r = subprocess.run(["promtool", "check", "metrics"], input=body, capture_output=True,
                               text=True)
            out = (r.stdout + r.stderr).strip()
            check(r.returncode == 0 and not out,
                  f"{name}: promtool check metrics accepts its /metrics ({len(body)} bytes)",
                  f"exit {r.returncode}: {out[:500]}")

    def check_dashboards(self):
        exported = {}
        owner = {}
        for name, info in self.services.items():
            if not info["proc"].alive():
                continue
            status, body = http(f"http://127.0.0.1:{info['metrics']}/metrics")
            for metric, series in parse_exposition(body).items():
                exported.setdefault(metric, []).extend(series)
                owner.setdefault(metric, set()).add(name)
        up_series = [r["metric"] for r in (self.query('up{job=~"advocacy-.+"}')[0] or [])]
        exported["up"] = up_series
        dash_dir = os.path.join(self.repo, "deploy", "monitoring", "dashboards")
        queries = []
        for fname in sorted(os.listdir(dash_dir)):
            if fname.endswith(".json"):
                with open(os.path.join(dash_dir, fname)) as f:
                    dash = json.load(f)
                for panel in dash.get("panels", []):
                    for t in panel.get("targets", []):
                        queries.append((f"{fname} \"{panel['title']}\" {t['refId']}", t["expr"]))
        log(f"dashboards: {len(queries)} queries; {len(exported)} metric names exported by "
            f"{', '.join(s for s in self.services if self.services[s]['proc'].alive())}")
        names_checked = set()
        skipped = []
        stopped = {s for s, i in self.services.items() if not i["proc"].alive()}
        for where, expr in queries:
            expr = expr.replace("$__rate_interval", "1m").replace("$__range", "5m").replace("$service", ".+")
            problems = []
            needs = set()
            for metric, matchers in selectors(expr):
                if metric is None:
                    continue
                if ":" in metric:
                    if metric not in self.recorded:
                        problems.append(f"{metric} is not a loaded recording rule")
                    continue
                svc = next((v for l, op, v in matchers if l == "service" and op == "="), None)
                prefix = re.match(r"advocacy_(consent|courses|content|notifications)_", metric)
                svc = svc or (prefix.group(1) if prefix and prefix.group(1) != "consent" else None)
                if svc:
                    needs.add(svc)
                if svc and svc not in self.services:
                    continue
                names_checked.add(metric)
                series = exported.get(metric)
                if not series:
                    problems.append(f"{metric} is not exported by any running service")
                    continue
                for label, op, value in matchers:
                    if not any(label in s for s in series):
                        problems.append(f"{metric} has no label {label}")
                    elif op == "=" and not any(s.get(label) == value for s in series):
                        seen = sorted({s.get(label) for s in series if label in s})
                        problems.append(f"{metric}{{{label}=\"{value}\"}} matches nothing (seen: {', '.join(seen)[:200]})")
            missing = needs - set(self.services)
            if missing:
                skipped.append(f"{where} ({', '.join(sorted(missing))} not in this run)")
                continue
            if needs & stopped:
                continue
            if not problems:
                result, error = self.query(expr)
                if result is None:
                    problems.append(f"Prometheus rejects it: {error[:200]}")
                elif not result:
                    problems.append("returns no data although the traffic exercised it")
            check(not problems, f"dashboard {where}", "; ".join(problems))
        for s in skipped:
            log(f"!!! skipped dashboard {s}")
        log(f"dashboards: {len(names_checked)} distinct metric names compared with /metrics")

    # ----------------------------------------------------------- tear-down --
    def stop_all(self):
        for p in reversed(self.procs):
            code = p.stop()
            if p.name in self.services and code not in (0, None, -signal.SIGTERM):
                log(f"note: {p.name} exited with {code}; log {p.log_path}")
        if failed == 0:
            shutil.rmtree(self.work, ignore_errors=True)
        else:
            log(f"logs and configuration kept in {self.work}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--build-dir", required=True)
    parser.add_argument("--source-dir", default=os.path.join(os.path.dirname(__file__), "..", ".."))
    args = parser.parse_args()
    run = Run(args)
    run.prerequisites()
    run.choose_services()
    try:
        run.keys()
        run.start_services()
        run.start_prometheus()
        run.check_targets()
        run.traffic()
        run.check_rules()
        run.check_exposition()
        run.check_dashboards()
        run.check_alerts()
    except Exception as e:  # noqa: BLE001 - reported as a failure, never swallowed
        check(False, "the test ran to the end", f"{type(e).__name__}: {e}")
    finally:
        run.stop_all()
    print(f"prometheus: {passed} passed, {failed} failed", flush=True)
    sys.exit(0 if failed == 0 and passed > 0 else 1)


if __name__ == "__main__":
    main()
