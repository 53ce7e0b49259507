#!/usr/bin/env bash
# The run command: installs what is missing, builds, starts a real Redis, Kafka and OpenID
# provider (oidc-provider) on free loopback ports, a local SMTP sink, the four services and
# Debian's Prometheus scraping them, then walks through the product through the real APIs
# (advocacyctl for consent, `buf curl` with server reflection for the others), with tokens of the
# OpenID provider only: the administrator's by client credentials (advocacyctl --oidc, client
# advocacy-ops), the employee's by signing in as the demo user kari.nordmann through the
# authorization-code + PKCE flow of the browser app's client (deploy/local/oidc/login.py). Content
# published, an employee opts in, the feed and the tip mail, a share with a tracked link and a
# click, a course completed, then the opt-out and its receipts, and a Prometheus query; then the
# same story once more in a real browser (web/test/e2e.mjs in Debian's Chromium; skip it with
# ADVOCACY_BROWSER_WALKTHROUGH=0).
# Every gRPC connection is TLS with client certificates of the stack's CA (mutual TLS: the
# services' own certificates, advocacy-ops' for advocacyctl and buf curl; stack.sh issues them).
# Everything stays up afterwards.
#
#   deploy/local/run.sh          start (or restart the services) and run the demo
#   deploy/local/run.sh stop     stop Prometheus, the services, the SMTP sink, Redis and Kafka
#                                (data is kept)
#   deploy/local/run.sh status   what runs where
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
source "$here/lib.sh"
BUILD_DIR="${ADVOCACY_BUILD_DIR:-$ADVOCACY_REPO/build}"
export ADVOCACY_BUILD_DIR="$BUILD_DIR"
RUN_DIR="$ADVOCACY_HOME/run"
KEY_DIR="$ADVOCACY_HOME/keys"
LOG_DIR="$ADVOCACY_HOME/logs"
SERVICES_ENV="$ADVOCACY_HOME/services.env"
SINK_DIR="$ADVOCACY_HOME/smtp-sink"
PROM_DIR="$ADVOCACY_HOME/prometheus"
PROM_CONFIG="$PROM_DIR/prometheus.yml"
# Debian's python3 (with python3-aiosmtpd), not whatever python3 comes first on PATH.
PY=/usr/bin/python3
# Start order; stop goes the other way, so nothing loses what it depends on while it works.
PROCESSES=(smtp-sink consent courses content notifications gateway prometheus)
mkdir -p "$RUN_DIR" "$LOG_DIR"

# ------------------------------------------------------------ processes --
# Each process started here has $RUN_DIR/service-<name>.pid: its pid, then a substring of its
# command line, so a recycled pid from a stale file is never signalled.
record_pid() {
  printf '%s\n%s\n' "$2" "$3" >"$RUN_DIR/service-$1.pid"
}

# running_pid NAME: prints the pid when that process is alive (and is what we started).
running_pid() {
  local pidfile="$RUN_DIR/service-$1.pid" pid pattern
  [[ -f "$pidfile" ]] || return 0
  pid="$(sed -n 1p "$pidfile")"
  pattern="$(sed -n 2p "$pidfile")"
  if [[ -n "$pattern" ]]; then
    adv_pid_matches "$pid" "$pattern" && printf '%s\n' "$pid"
  elif [[ "$pid" =~ ^[0-9]+$ ]] && kill -0 "$pid" 2>/dev/null; then
    printf '%s\n' "$pid" # a pid file written before the pattern line existed
  fi
  return 0
}

stop_processes() {
  local names=() name pidfile pid i
  for ((i = ${#PROCESSES[@]} - 1; i >= 0; i--)); do names+=("${PROCESSES[i]}"); done
  # Pid files of processes this version no longer starts still get stopped.
  for pidfile in "$RUN_DIR"/service-*.pid; do
    [[ -e "$pidfile" ]] || continue
    name="$(basename "$pidfile" .pid)"
    name="${name#service-}"
    [[ " ${names[*]} " == *" $name "* ]] || names+=("$name")
  done
  for name in "${names[@]}"; do
    pid="$(running_pid "$name")"
    if [[ -n "$pid" ]]; then
      adv_log "stopping $name (pid $pid)"
      adv_stop_pid "$pid" "$name" 15 || true
    fi
    rm -f "$RUN_DIR/service-$name.pid"
  done
}

show_status() {
  local name pid rc=0 line
  "$here/stack.sh" status || rc=3
  for name in "${PROCESSES[@]}"; do
    pid="$(running_pid "$name")"
    if [[ -n "$pid" ]]; then
      line="$name: running, pid $pid"
    elif [[ -f "$RUN_DIR/service-$name.pid" ]]; then
      line="$name: NOT running (it exited; see $LOG_DIR/$name.log)"
      rc=3
    else
      line="$name: stopped"
      rc=3
    fi
    echo "$line"
  done
  if [[ -f "$SERVICES_ENV" ]]; then
    echo "addresses of the last start ($SERVICES_ENV):"
    sed 's/^/  /' "$SERVICES_ENV"
  fi
  return "$rc"
}

case "${1:-start}" in
  stop)
    stop_processes
    "$here/stack.sh" down
    exit 0
    ;;
  status)
    show_status && exit 0 || exit 3
    ;;
  start) ;;
  *) adv_die "usage: run.sh [start|stop|status]" ;;
esac

RUN_STARTED=$SECONDS
"$here/install.sh"
INSTALL_SECONDS=$((SECONDS - RUN_STARTED))
"$here/build.sh"
BUILD_SECONDS=$((SECONDS - RUN_STARTED - INSTALL_SECONDS))
STACK_STARTED=$SECONDS
"$here/stack.sh" up
STACK_SECONDS=$((SECONDS - STACK_STARTED))
set -a
source "$ADVOCACY_STACK_ENV"
set +a
CTL="$BUILD_DIR/tools/advocacyctl/advocacyctl"
for tool in prometheus promtool curl kcat; do
  command -v "$tool" >/dev/null || adv_die "$tool not found; run deploy/local/install.sh"
done
[[ -x "$ADVOCACY_BUF" ]] || adv_die "buf not found at $ADVOCACY_BUF; run deploy/local/install.sh"
"$PY" -c 'import aiosmtpd' 2>/dev/null ||
  adv_die "$PY cannot import aiosmtpd (the SMTP sink needs it); run deploy/local/install.sh (installs python3-aiosmtpd)"

# The HMAC key that signs the unsubscribe links in mails: local only, never committed. No
# service holds a token-signing key: every token comes from the OpenID provider of stack.sh.
if [[ ! -s "$KEY_DIR/unsubscribe.key" ]]; then
  adv_log "generating a local unsubscribe-link signing key in $KEY_DIR"
  mkdir -p "$KEY_DIR"
  (umask 077 && openssl rand -base64 48 >"$KEY_DIR/unsubscribe.key")
fi
OIDC_SECRETS="$ADVOCACY_OIDC_SECRETS_DIR"
[[ -s "$OIDC_SECRETS/advocacy-ops.secret" && -s "$OIDC_SECRETS/notifications.secret" &&
  -s "$OIDC_SECRETS/advocacy-web.secret" ]] ||
  adv_die "the OpenID provider's client secrets are missing in '$OIDC_SECRETS'; is the stack up?"

stop_processes
PROCESSES_STARTED=$SECONDS
: >"$SERVICES_ENV"
taken=("$ADVOCACY_REDIS_PORT" "${ADVOCACY_REDIS_TLS_PORT:-}" "$ADVOCACY_KAFKA_PORT" "$ADVOCACY_KAFKA_CONTROLLER_PORT" "$ADVOCACY_OIDC_PORT"
  "$ADVOCACY_WEB_PORT" "$ADVOCACY_GATEWAY_HTTP_PORT")
# take_port: prints a free loopback port no other process of this run was given.
take_port() {
  local port
  port="$(adv_free_ports 1 "${taken[@]}")"
  taken+=("$port")
  printf '%s\n' "$port"
}

# The SMTP sink: a real SMTP server that records each accepted mail as one JSON line in
# $SINK_DIR/mails.jsonl and never relays (tests/integration/smtp_sink.py).
SMTP_PORT="$(take_port)"
mkdir -p "$SINK_DIR"
rm -f "$SINK_DIR/ready"
adv_log "starting smtp-sink on 127.0.0.1:$SMTP_PORT (mails in $SINK_DIR/mails.jsonl)"
adv_rotate_log "$LOG_DIR/smtp-sink.log"
setsid "$PY" "$ADVOCACY_REPO/tests/integration/smtp_sink.py" --host 127.0.0.1 --port "$SMTP_PORT" \
  --out "$SINK_DIR" --ready-file "$SINK_DIR/ready" </dev/null >>"$LOG_DIR/smtp-sink.log" 2>&1 &
record_pid smtp-sink $! "smtp_sink.py"
deadline=$((SECONDS + 15))
until [[ -s "$SINK_DIR/ready" ]]; do
  if [[ -z "$(running_pid smtp-sink)" ]] || ((SECONDS >= deadline)); then
    tail -n 20 "$LOG_DIR/smtp-sink.log" >&2
    adv_die "the SMTP sink did not start listening on 127.0.0.1:$SMTP_PORT; its log is $LOG_DIR/smtp-sink.log"
  fi
  sleep 0.1
done
printf 'ADVOCACY_SMTP_URL=smtp://127.0.0.1:%s\nADVOCACY_SMTP_MAILS=%s\n' \
  "$SMTP_PORT" "$SINK_DIR/mails.jsonl" >>"$SERVICES_ENV"

# start_service NAME [VAR=value ...]: starts build/services/NAME/NAME on free loopback ports with
# the extra environment given, records its pid, and appends its addresses to services.env.
declare -A GRPC_ADDR METRICS_ADDR
start_service() {
  local name="$1" upper grpc_port metrics_port
  shift
  upper="$(tr '[:lower:]' '[:upper:]' <<<"$name")"
  grpc_port="$(take_port)"
  metrics_port="$(take_port)"
  GRPC_ADDR[$name]="127.0.0.1:$grpc_port"
  METRICS_ADDR[$name]="127.0.0.1:$metrics_port"
  adv_log "starting $name on 127.0.0.1:$grpc_port (metrics :$metrics_port)"
  (
    export ADVOCACY_GRPC_LISTEN="127.0.0.1:$grpc_port"
    export ADVOCACY_METRICS_LISTEN="127.0.0.1:$metrics_port"
    # Tokens of the stack's OpenID provider (its JWKS over https), for this service only.
    export ADVOCACY_AUTH_ISSUERS_FILE="$ADVOCACY_OIDC_ISSUERS_FILE"
    export ADVOCACY_JWT_AUDIENCE="advocacy-$name"
    # Server reflection is off unless configured; the local stack turns it on for buf curl.
    export ADVOCACY_GRPC_REFLECTION=true
    local assignment kafka_env redis_env tls_env
    # Each service talks to Kafka as its own principal (its client certificate), whose ACLs
    # allow exactly its topics (deploy/k8s/base/kafka-topics/acls.conf), and to Redis as its own
    # ACL user, which may touch only its keys (deploy/redis/acl-rules.conf).
    # (The gateway uses no Kafka: it has no principal there.)
    if [[ "$name" != gateway ]]; then
      kafka_env="$(adv_kafka_env "$name")"
      while IFS= read -r assignment; do export "${assignment?}"; done <<<"$kafka_env"
    fi
    redis_env="$(adv_redis_env "$name")"
    while IFS= read -r assignment; do [[ -z "$assignment" ]] || export "${assignment?}"; done <<<"$redis_env"
    # gRPC over TLS with the service's own certificate; callers must present a certificate of
    # the stack CA (mutual TLS), and consent's certificate is checked by notifications' channel.
    tls_env="$(adv_grpc_tls_env "$name")"
    while IFS= read -r assignment; do export "${assignment?}"; done <<<"$tls_env"
    for assignment in "$@"; do export "${assignment?}"; done
    adv_rotate_log "$LOG_DIR/$name.log"
    setsid "$BUILD_DIR/services/$name/$name" </dev/null >>"$LOG_DIR/$name.log" 2>&1 &
    record_pid "$name" $! "$BUILD_DIR/services/$name/$name"
  )
  printf 'ADVOCACY_%s_ADDR=127.0.0.1:%s\nADVOCACY_%s_METRICS=http://127.0.0.1:%s/metrics\n' \
    "$upper" "$grpc_port" "$upper" "$metrics_port" >>"$SERVICES_ENV"
}
start_service consent CONSENT_PROPAGATION_SERVICES=content,notifications
start_service courses
LINK_PORT="$(take_port)"
start_service content "CONTENT_LINK_LISTEN=127.0.0.1:$LINK_PORT" \
  "CONTENT_LINK_BASE_URL=http://127.0.0.1:$LINK_PORT/l/"
echo "ADVOCACY_CONTENT_LINKS=http://127.0.0.1:$LINK_PORT/l/" >>"$SERVICES_ENV"
# The notifications service refuses a plain-http public base URL (mail clients only do RFC 8058
# one-click unsubscribe over https), so the links in mails name https://unsubscribe.localhost
# while the endpoint itself listens on http://127.0.0.1:<port>/unsubscribe.
UNSUBSCRIBE_PORT="$(take_port)"
start_service notifications "NOTIFICATIONS_CONSENT_ADDR=${GRPC_ADDR[consent]}" \
  "NOTIFICATIONS_OIDC_TOKEN_URL=$ADVOCACY_OIDC_TOKEN_URL" \
  "NOTIFICATIONS_OIDC_CLIENT_ID=notifications" \
  "NOTIFICATIONS_OIDC_CLIENT_SECRET_FILE=$OIDC_SECRETS/notifications.secret" \
  "NOTIFICATIONS_OIDC_CA_FILE=$ADVOCACY_OIDC_CA_FILE" \
  "NOTIFICATIONS_UNSUBSCRIBE_KEY_FILE=$KEY_DIR/unsubscribe.key" \
  "NOTIFICATIONS_PUBLIC_BASE_URL=https://unsubscribe.localhost" \
  "NOTIFICATIONS_APP_BASE_URL=$ADVOCACY_WEB_URL" \
  "NOTIFICATIONS_UNSUBSCRIBE_LISTEN=127.0.0.1:$UNSUBSCRIBE_PORT" \
  "NOTIFICATIONS_SMTP_URL=smtp://127.0.0.1:$SMTP_PORT" \
  "NOTIFICATIONS_MAIL_FROM=advocacy@demo-corp.localhost"
echo "ADVOCACY_NOTIFICATIONS_UNSUBSCRIBE=http://127.0.0.1:$UNSUBSCRIBE_PORT/unsubscribe" >>"$SERVICES_ENV"
# The gateway: the web app and its Connect API, behind the stack's https front (ADVOCACY_WEB_URL,
# what an Ingress is in a cluster), signing browsers in at the OpenID provider as the web app's
# client; it calls the four services over mutual TLS with its own certificate.
start_service gateway "GATEWAY_HTTP_LISTEN=127.0.0.1:$ADVOCACY_GATEWAY_HTTP_PORT" \
  "GATEWAY_PUBLIC_URL=$ADVOCACY_WEB_URL" \
  "GATEWAY_WEB_ROOT=$ADVOCACY_REPO/web/dist" \
  "GATEWAY_CONSENT_ADDR=${GRPC_ADDR[consent]}" "GATEWAY_CONTENT_ADDR=${GRPC_ADDR[content]}" \
  "GATEWAY_COURSES_ADDR=${GRPC_ADDR[courses]}" \
  "GATEWAY_NOTIFICATIONS_ADDR=${GRPC_ADDR[notifications]}" \
  "GATEWAY_OIDC_ISSUER=$ADVOCACY_OIDC_ISSUER" "GATEWAY_OIDC_CA_FILE=$ADVOCACY_OIDC_CA_FILE" \
  "GATEWAY_OIDC_CLIENT_ID=advocacy-web" \
  "GATEWAY_OIDC_CLIENT_SECRET_FILE=$OIDC_SECRETS/advocacy-web.secret" \
  "GATEWAY_ANONYMOUS_CLIENT_SECRET_FILE=$OIDC_SECRETS/advocacy-gateway.secret"
echo "ADVOCACY_GATEWAY_HTTP=http://127.0.0.1:$ADVOCACY_GATEWAY_HTTP_PORT" >>"$SERVICES_ENV"
# advocacyctl --oidc as the demo tenant's administrator (the client advocacy-ops), over mutual
# TLS with advocacy-ops' client certificate (--tls-cert/--tls-key; --tls-ca comes from
# ADVOCACY_GRPC_TLS_CA_FILE of stack.env).
cat >>"$SERVICES_ENV" <<ENV
ADVOCACY_OIDC_CLIENT_ID=advocacy-ops
ADVOCACY_OIDC_CLIENT_SECRET_FILE=$OIDC_SECRETS/advocacy-ops.secret
ADVOCACY_GRPC_TLS_CA_FILE=$ADVOCACY_GRPC_TLS_CA_FILE
ADVOCACY_CTL_TLS_CERT_FILE=$ADVOCACY_GRPC_TLS_DIR/advocacy-ops.pem
ADVOCACY_CTL_TLS_KEY_FILE=$ADVOCACY_GRPC_TLS_DIR/advocacy-ops.key
ENV

# Prometheus (Debian's package) with the jobs, labels and honor_labels the ServiceMonitors of
# deploy/k8s produce (job advocacy-<service>, label service=<service>), so the rules in
# deploy/monitoring/rules and the dashboards work unchanged. Regenerated on every start: the
# ports change.
PROM_PORT="$(take_port)"
mkdir -p "$PROM_DIR/data"
{
  echo "# Generated by deploy/local/run.sh on every start; edits are overwritten."
  echo "global:"
  echo "  scrape_interval: 5s"
  echo "  scrape_timeout: 4s"
  echo "  evaluation_interval: 5s"
  echo "rule_files:"
  echo "  - '$ADVOCACY_REPO/deploy/monitoring/rules/*.rules.yml'"
  echo "scrape_configs:"
  for name in consent courses content notifications gateway; do
    echo "  - job_name: advocacy-$name"
    echo "    honor_labels: true"
    echo "    static_configs:"
    echo "      - targets: ['${METRICS_ADDR[$name]}']"
    echo "        labels: {service: $name}"
  done
} >"$PROM_CONFIG.tmp"
mv -f "$PROM_CONFIG.tmp" "$PROM_CONFIG"
if ! promtool_out="$(promtool check config "$PROM_CONFIG" 2>&1)"; then
  printf '%s\n' "$promtool_out" >&2
  adv_die "promtool rejects the generated $PROM_CONFIG or the rules it loads (output above)"
fi
adv_log "starting prometheus on 127.0.0.1:$PROM_PORT (config $PROM_CONFIG, data $PROM_DIR/data)"
adv_rotate_log "$LOG_DIR/prometheus.log"
setsid prometheus "--config.file=$PROM_CONFIG" "--storage.tsdb.path=$PROM_DIR/data" \
  --storage.tsdb.retention.time=7d "--web.listen-address=127.0.0.1:$PROM_PORT" \
  </dev/null >>"$LOG_DIR/prometheus.log" 2>&1 &
record_pid prometheus $! "--config.file=$PROM_CONFIG"
PROM_URL="http://127.0.0.1:$PROM_PORT"
echo "ADVOCACY_PROMETHEUS_URL=$PROM_URL" >>"$SERVICES_ENV"

set -a
source "$SERVICES_ENV"
set +a
for service in consent courses content notifications gateway; do
  if ! "$CTL" --addr "${GRPC_ADDR[$service]}" health --wait 60s >/dev/null; then
    tail -n 30 "$LOG_DIR/$service.log" >&2
    adv_die "$service did not become ready; its log is $LOG_DIR/$service.log"
  fi
  adv_log "$service: SERVING on ${GRPC_ADDR[$service]}"
done

# prom_get PATH: a Prometheus HTTP API answer.
prom_get() {
  curl -sf --max-time 5 "$PROM_URL$1"
}
prom_targets_up() {
  local out
  out="$(prom_get /api/v1/targets)" || return 1
  "$PY" -c '
import json, sys
targets = json.loads(sys.argv[1])["data"]["activeTargets"]
sys.exit(0 if len(targets) == 5 and all(t["health"] == "up" for t in targets) else 1)' "$out"
}
deadline=$((SECONDS + 60))
until prom_get /-/ready >/dev/null 2>&1 && prom_targets_up; do
  if [[ -z "$(running_pid prometheus)" ]] || ((SECONDS >= deadline)); then
    tail -n 30 "$LOG_DIR/prometheus.log" >&2
    prom_get /api/v1/targets >&2 || true
    adv_die "prometheus did not become ready with all 5 targets up within 60s; its log is $LOG_DIR/prometheus.log"
  fi
  sleep 0.5
done
adv_log "prometheus: ready on $PROM_URL, all 5 targets up"
PROCESSES_SECONDS=$((SECONDS - PROCESSES_STARTED))

# ----------------------------------------------------------------- demo --
DEMO_STEP=0
step() {
  DEMO_STEP=$((DEMO_STEP + 1))
  echo
  adv_log "demo $DEMO_STEP: $*"
}
say() { printf '    %s\n' "$@"; }
# fail WHAT: the demo step did not do what it says; everything stays up for inspection.
fail() {
  adv_die "demo step $DEMO_STEP failed: $*. Everything is still running: logs in $LOG_DIR, 'deploy/local/run.sh status', 'deploy/local/run.sh stop'"
}

# now_us: microseconds since the epoch (EPOCHREALTIME's separator depends on the locale).
now_us() { printf '%s\n' "${EPOCHREALTIME/[.,]/}"; }
# since START_US: seconds since START_US with one decimal.
since() {
  local ms=$((($(now_us) - $1) / 1000))
  printf '%d.%d s' $((ms / 1000)) $((ms % 1000 / 100))
}
# poll TIMEOUT_SECONDS COMMAND...: runs COMMAND until it succeeds; fails after the timeout.
poll() {
  local deadline=$((SECONDS + $1))
  shift
  until "$@"; do
    ((SECONDS < deadline)) || return 1
    sleep 0.2
  done
}

# jq_py JSON EXPR [ARG...]: evaluates a Python expression over the parsed JSON `d` (and the
# extra arguments as list `a`) and prints it; a boolean is the exit status instead. jq is not
# among what install.sh installs; Python is.
jq_py() {
  "$PY" -c '
import json, sys
d = json.loads(sys.argv[1]) if sys.argv[1].strip() else {}
a = sys.argv[3:]
v = eval(sys.argv[2])
if isinstance(v, bool):
    sys.exit(0 if v else 1)
print(v)' "$@"
}

# token_for WHO SERVICE: a token of the OpenID provider for SERVICE (its own audience), cached in
# $RUN_DIR/demo-tokens for a few minutes (callers run in command substitutions). WHO is admin
# (client credentials of advocacy-ops, with advocacyctl --oidc) or employee (the demo user
# kari.nordmann signs in through the browser app's authorization-code + PKCE flow).
TOKEN_DIR="$RUN_DIR/demo-tokens"
rm -rf "$TOKEN_DIR"
(umask 077 && mkdir -p "$TOKEN_DIR")
token_for() {
  local who="$1" service="$2" file="$TOKEN_DIR/$1-$2" token
  if [[ -s "$file" && -n "$(find "$file" -mmin -5 2>/dev/null)" ]]; then
    cat "$file"
    return 0
  fi
  case "$who" in
    admin)
      token="$("$CTL" --oidc --oidc-client-id advocacy-ops \
        --oidc-client-secret-file "$OIDC_SECRETS/advocacy-ops.secret" \
        --oidc-resource "urn:advocacy:$service" token)" ||
        adv_die "the OpenID provider gave the client advocacy-ops no token for $service (log: $ADVOCACY_OIDC_LOG)"
      ;;
    employee)
      token="$("$PY" "$ADVOCACY_REPO/deploy/local/oidc/login.py" --issuer "$ADVOCACY_OIDC_ISSUER" \
        --ca-file "$ADVOCACY_OIDC_CA_FILE" --client-secret-file "$OIDC_SECRETS/advocacy-web.secret" \
        --user "$EMPLOYEE" --resource "urn:advocacy:$service")" ||
        adv_die "signing $EMPLOYEE in at the OpenID provider failed (log: $ADVOCACY_OIDC_LOG)"
      ;;
    *) adv_die "token_for: unknown principal $who" ;;
  esac
  (umask 077 && printf '%s\n' "$token" >"$file")
  printf '%s\n' "$token"
}
# ctl WHO ARGS...: advocacyctl against consent with WHO's token.
ctl() {
  local who="$1" token
  shift
  token="$(token_for "$who" consent)" || return 1
  "$CTL" --token "$token" "$@"
}

# rpc SERVICE METHOD WHO JSON: one gRPC call through buf curl with server reflection and WHO's
# token for SERVICE (token_for); prints the JSON response, or fails and leaves the service's
# error in $RPC_ERROR_FILE (a file: callers run it in a command substitution).
RPC_ERROR_FILE="$RUN_DIR/demo-rpc-error"
rpc_error() { cat "$RPC_ERROR_FILE" 2>/dev/null || true; }
rpc() {
  local service="$1" method="$2" principal="$3" body="$4" fq addr token out
  case "$service" in
    courses) fq=advocacy.courses.v1.CoursesService ;;
    content) fq=advocacy.content.v1.ContentService ;;
    notifications) fq=advocacy.notifications.v1.NotificationsService ;;
    *) adv_die "rpc: unknown service $service" ;;
  esac
  addr="${GRPC_ADDR[$service]}"
  token="$(token_for "$principal" "$service")" || return 1
  if ! out="$("$ADVOCACY_BUF" curl --protocol grpc --connect-timeout 5 \
    --cacert "$ADVOCACY_GRPC_TLS_CA_FILE" --cert "$ADVOCACY_CTL_TLS_CERT_FILE" \
    --key "$ADVOCACY_CTL_TLS_KEY_FILE" \
    -H "authorization: Bearer $token" -d "$body" "https://$addr/$fq/$method" 2>&1)"; then
    printf '%s %s as %s: %s\n' "$service" "$method" "$principal" "$(tr -s '\n ' ' ' <<<"$out")" \
      >"$RPC_ERROR_FILE"
    return 1
  fi
  printf '%s\n' "$out"
}
# call ...: rpc, and a failure fails the demo step.
call() {
  rpc "$@" || fail "$(rpc_error)"
}
# expect JSON EXPR WHAT [ARG...]: fails the step with WHAT unless the Python expression over the
# response `d` is true.
expect() {
  jq_py "$1" "$2" "${@:4}" || fail "$3; the service answered: $1"
}

TENANT="demo-corp"
EMPLOYEE="kari.nordmann"
EMAIL="kari.nordmann@demo-corp.localhost"
RUN_ID="$(date -u +%Y%m%d%H%M%S)"
ITEM_ID="bergen-plant-$RUN_ID"
ITEM_TITLE="We opened a plant in Bergen ($RUN_ID)"
ITEM_URL="https://news.demo-corp.example/2026/bergen-plant"
ADMIN=admin
ME=employee
MAILS="$SINK_DIR/mails.jsonl"

# A mail for EMAIL with this run's item as its subject in the sink after byte OFFSET: prints
# its headers and saves it as last-mail.eml.
mail_arrived() {
  [[ -f "$MAILS" ]] || return 1
  MAIL_HEADERS="$("$PY" - "$MAILS" "$MAIL_OFFSET" "$EMAIL" "$ITEM_TITLE" "$SINK_DIR/last-mail.eml" <<'PY'
import email, json, sys
from email import policy
path, offset, rcpt, subject, save = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5]
with open(path, "rb") as f:
    f.seek(offset)
    for line in f:
        try:
            rec = json.loads(line)
        except ValueError:
            continue  # a line still being written
        msg = email.message_from_string(rec["data"], policy=policy.default)
        if rcpt not in rec["rcpt_tos"] or str(msg["Subject"]) != subject:
            continue
        with open(save, "w", encoding="utf-8") as out:
            out.write(rec["data"])
        def short(v):
            v = str(v)
            i = v.find("token=")
            return v if i < 0 or len(v) - i < 40 else v[:i + 26] + "..." + v[-6:]
        for h in ("From", "To", "Subject", "List-Unsubscribe", "List-Unsubscribe-Post"):
            print(f"{h}: {short(msg[h])}")
        sys.exit(0)
sys.exit(1)
PY
)"
}

feed_lists_item() {
  local out
  out="$(rpc content GetFeed "$ME" "{\"tenant_id\":\"$TENANT\",\"employee_id\":\"$EMPLOYEE\"}")" || return 1
  FEED="$out"
  jq_py "$out" 'any(e["item"]["itemId"] == a[0] and "NETWORK_LINKEDIN" in e.get("networks", []) for e in d.get("entries", []))' "$ITEM_ID"
}

propagation_done() {
  PROPAGATION="$(ctl "$ME" consent propagation --tenant "$TENANT" --employee "$EMPLOYEE" 2>&1)" || return 1
  [[ "$(tail -n 1 <<<"$PROPAGATION")" == "fully applied" ]]
}

# The receipts on advocacy.consent.receipts.v1 for this employee since START_MS: one line per
# consuming service; succeeds once content and notifications both sent theirs.
receipts_from_both() {
  RECEIPTS="$(adv_kcat -C -b "$ADVOCACY_KAFKA_BROKERS" -t advocacy.consent.receipts.v1 -o "s@$WITHDRAW_MS" \
    -e -q -f '%k|%h\n' 2>/dev/null | "$PY" -c '
import sys
want = sys.argv[1]
seen = {}
for line in sys.stdin:
    key, _, headers = line.rstrip("\n").partition("|")
    if key != want:
        continue
    h = dict(kv.split("=", 1) for kv in headers.split(",") if "=" in kv)
    seen.setdefault(h.get("ce_source", "?"), h.get("ce_time", "?"))
for source, time in sorted(seen.items()):
    print(f"{source} sent its receipt at {time}")' "$TENANT/$EMPLOYEE")" || return 1
  [[ "$RECEIPTS" == *"/advocacy/content "* && "$RECEIPTS" == *"/advocacy/notifications "* ]]
}

# prom_query EXPR: prints "labels value" per series; fails on no data.
prom_query() {
  local out
  out="$(curl -sf --max-time 5 --get --data-urlencode "query=$1" "$PROM_URL/api/v1/query")" || return 1
  PROM_RESULT="$(jq_py "$out" '"\n".join("%s %s" % ("{" + ", ".join("%s=\"%s\"" % kv for kv in sorted(r["metric"].items())) + "}", r["value"][1]) for r in d["data"]["result"])')"
  [[ -n "$PROM_RESULT" ]]
}

demo() {
  local t0 out
  # The Redis ACL log of this run only: the last step checks that Redis refused nothing the
  # services sent as their own users.
  if [[ "${ADVOCACY_REDIS_ACL:-off}" == on ]]; then
    adv_redis_cli ACL LOG RESET >/dev/null || fail "ACL LOG RESET as the Redis admin failed"
  fi

  step "an admin publishes the consent notice employees are asked to agree to"
  ctl "$ADMIN" notice publish --tenant "$TENANT" --version 2026-11 \
    --summary "Sharing company content from your own accounts is voluntary" \
    --url https://intranet.example/advocacy/consent/2026-11 | sed 's/^/    /' ||
    fail "publishing the notice"

  step "an admin drafts a content item and lets employees share up to 100 a day per network"
  call content UpdateTenantSettings "$ADMIN" \
    "{\"tenant_id\":\"$TENANT\",\"settings\":{\"tenant_id\":\"$TENANT\",\"daily_share_cap\":100}}" >/dev/null
  out="$(call content CreateItem "$ADMIN" "{\"tenant_id\":\"$TENANT\",\"item\":{
    \"item_id\":\"$ITEM_ID\",\"title\":\"$ITEM_TITLE\",\"url\":\"$ITEM_URL\",\"language\":\"en\",
    \"captions\":[{\"network\":\"NETWORK_LINKEDIN\",\"captions\":[\"Proud of our new plant in Bergen: 120 new jobs.\"]}]}}")"
  expect "$out" 'd["item"]["state"] == "ITEM_STATE_DRAFT"' "CreateItem did not store a draft"
  say "$(jq_py "$out" '"item %s: %s" % (d["item"]["itemId"], d["item"]["state"])')"

  step "an admin registers $EMPLOYEE as a mail recipient (English, instant cadence)"
  out="$(call notifications UpsertRecipient "$ADMIN" "{\"recipient\":{\"tenant_id\":\"$TENANT\",
    \"employee_id\":\"$EMPLOYEE\",\"email\":\"$EMAIL\",\"display_name\":\"Kari Nordmann\",
    \"locale\":\"en\",\"time_zone\":\"Europe/Oslo\"}}")"
  expect "$out" 'd["recipient"]["email"] == a[0]' "UpsertRecipient did not store the address" "$EMAIL"
  say "$(jq_py "$out" '"recipient %(employeeId)s <%(email)s>, locale %(locale)s, %(timeZone)s" % d["recipient"]')"
  out="$(call notifications SetPreferences "$ADMIN" "{\"preferences\":{\"tenant_id\":\"$TENANT\",
    \"employee_id\":\"$EMPLOYEE\",\"cadence\":\"DIGEST_CADENCE_INSTANT\"}}")"
  expect "$out" 'd["preferences"]["cadence"] == "DIGEST_CADENCE_INSTANT"' "SetPreferences did not store instant cadence"
  say "$(jq_py "$out" '"preferences: %s, topics %s" % (d["preferences"]["cadence"], d["preferences"].get("topics") or "all")')"

  step "before opting in, nothing is granted (default deny)"
  ctl "$ADMIN" consent check --tenant "$TENANT" --employee "$EMPLOYEE" \
    --scope share:linkedin | sed 's/^/    /' || true

  step "$EMPLOYEE signs in (authorization code + PKCE) and opts in to sharing on LinkedIn and to email tips"
  ctl "$ME" consent give --tenant "$TENANT" --employee "$EMPLOYEE" \
    --scope share:linkedin,email-tips --notice 2026-11 --method app \
    --idempotency-key "demo-opt-in-$RUN_ID" | sed 's/^/    /' || fail "giving consent"

  step "the admin publishes the item (ItemPublished goes to Kafka)"
  MAIL_OFFSET="$(stat -c %s "$MAILS" 2>/dev/null || echo 0)"
  t0="$(now_us)"
  out="$(call content PublishItem "$ADMIN" "{\"tenant_id\":\"$TENANT\",\"item_id\":\"$ITEM_ID\"}")"
  expect "$out" 'd["item"]["state"] == "ITEM_STATE_PUBLISHED"' "PublishItem did not publish the item"
  say "$(jq_py "$out" '"item %s: %s" % (d["item"]["itemId"], d["item"]["state"])')"

  step "$EMPLOYEE's feed lists the item, shareable on LinkedIn"
  poll 30 feed_lists_item ||
    fail "the item is not in $EMPLOYEE's feed with LinkedIn after 30 s (content's consent view or the item is missing; last answer: ${FEED:-$(rpc_error)})"
  say "$(jq_py "$FEED" '"; ".join("%s: %s" % (e["item"]["title"], ", ".join(e.get("networks", []))) for e in d["entries"][:3])') (after $(since "$t0"))"

  step "the tip mail reached the SMTP sink"
  poll 30 mail_arrived ||
    fail "no mail to $EMAIL with subject '$ITEM_TITLE' in $MAILS within 30 s of publishing (see $LOG_DIR/notifications.log)"
  say "(after $(since "$t0"); the whole mail: $SINK_DIR/last-mail.eml)"
  while IFS= read -r line; do say "$line"; done <<<"$MAIL_HEADERS"

  step "$EMPLOYEE shares it on LinkedIn and gets a tracked link"
  # A lower daily limit of the employee's own (web app, My sharing limits) from an earlier visit
  # would cap the demo: the demo employee lifts it first.
  call content SetMyShareCap "$ME" "{\"tenant_id\":\"$TENANT\",\"employee_id\":\"$EMPLOYEE\",
    \"network\":\"NETWORK_LINKEDIN\",\"daily_cap\":0}" >/dev/null
  out="$(call content RecordShare "$ME" "{\"tenant_id\":\"$TENANT\",\"employee_id\":\"$EMPLOYEE\",
    \"item_id\":\"$ITEM_ID\",\"network\":\"NETWORK_LINKEDIN\"}")"
  local link
  expect "$out" 'd["share"]["state"] == "SHARE_STATE_SHARED" and d["share"]["trackedUrl"].startswith("http")' \
    "RecordShare did not record a share with a tracked link"
  link="$(jq_py "$out" 'd["share"]["trackedUrl"]')"
  say "$(jq_py "$out" '"%s: \"%s\"" % (d["share"]["state"], d["share"]["caption"])')" "tracked link: $link"

  step "a reader clicks the tracked link (a GET: HEAD is refused so it never counts a click)"
  local head status location
  head="$(curl -s --max-time 5 -o /dev/null -D - "$link" | tr -d '\r')" || fail "GET $link did not answer"
  status="$(head -n 1 <<<"$head")"
  location="$(sed -n 's/^[Ll]ocation: //p' <<<"$head")"
  say "$status" "Location: $location"
  [[ "$status" == *" 302"* && "$location" == "$ITEM_URL?"*"utm_source=linkedin"* ]] ||
    fail "expected a 302 to $ITEM_URL with UTM parameters"

  step "an admin publishes a course; $EMPLOYEE enrolls and completes its text lesson"
  out="$(call courses CreateCourse "$ADMIN" "{\"tenant_id\":\"$TENANT\",\"idempotency_key\":\"demo-course-$RUN_ID\",
    \"content\":{\"title\":\"Sharing at work, safely ($RUN_ID)\",\"description\":\"Voluntary, always.\",
    \"level\":\"COURSE_LEVEL_BEGINNER\",\"language\":\"en\",\"modules\":[{\"module_id\":\"m1\",\"title\":\"Start\",
    \"lessons\":[{\"lesson_id\":\"intro\",\"title\":\"Your choice\",\"estimated_minutes\":5,
    \"text\":{\"body\":\"Sharing company news is your own choice, and you can stop at any time.\"}}]}]}}")"
  local course
  course="$(jq_py "$out" 'd["course"]["courseId"]')"
  out="$(call courses PublishCourse "$ADMIN" "{\"tenant_id\":\"$TENANT\",\"course_id\":\"$course\"}")"
  expect "$out" 'd["course"]["state"] == "COURSE_STATE_PUBLISHED"' "PublishCourse did not publish the course"
  say "$(jq_py "$out" '"course %s: %s" % (d["course"]["courseId"], d["course"]["state"])')"
  call courses EnrollInCourse "$ME" "{\"tenant_id\":\"$TENANT\",\"employee_id\":\"$EMPLOYEE\",\"course_id\":\"$course\"}" >/dev/null
  out="$(call courses CompleteLesson "$ME" "{\"tenant_id\":\"$TENANT\",\"employee_id\":\"$EMPLOYEE\",
    \"course_id\":\"$course\",\"lesson_id\":\"intro\"}")"
  jq_py "$out" 'd.get("courseCompleted") is True' || fail "completing the only lesson did not complete the course: $out"
  say "$(jq_py "$out" '"completed: %s%%, certificate %s" % (d["enrollment"]["progressPercent"], d["enrollment"]["certificate"]["verificationCode"])')"

  step "$EMPLOYEE opts out of everything in one call"
  WITHDRAW_MS=$(($(now_us) / 1000))
  t0="$(now_us)"
  ctl "$ME" consent withdraw --tenant "$TENANT" --employee "$EMPLOYEE" --all --method app |
    sed 's/^/    /' || fail "withdrawing consent"
  out="$(ctl "$ADMIN" consent check --tenant "$TENANT" --employee "$EMPLOYEE" \
    --scope share:linkedin 2>&1 || true)"
  say "the very next check: $out"
  [[ "$out" == *"not granted"* ]] || fail "consent check still says '$out' after the withdrawal"

  step "the receipts: every consuming service applied the opt-out"
  poll 30 propagation_done ||
    fail "the opt-out is not fully applied after 30 s: ${PROPAGATION:-no answer}"
  while IFS= read -r line; do say "$line"; done <<<"$PROPAGATION"
  poll 30 receipts_from_both ||
    fail "within 30 s not both content and notifications sent a receipt to advocacy.consent.receipts.v1 (got: ${RECEIPTS:-none})"
  say "on advocacy.consent.receipts.v1 (after $(since "$t0")):"
  while IFS= read -r line; do say "  $line"; done <<<"$RECEIPTS"

  step "Prometheus has scraped it all"
  poll 30 prom_query 'sum by (service) (advocacy_consent_propagation_seconds_count) > 0' ||
    fail "Prometheus has no advocacy_consent_propagation_seconds_count after 30 s ($PROM_URL)"
  say "sum by (service) (advocacy_consent_propagation_seconds_count):"
  while IFS= read -r line; do say "  $line"; done <<<"$PROM_RESULT"
  poll 30 prom_query "sum by (network) (advocacy_content_shares_total{tenant=\"$TENANT\"}) > 0" ||
    fail "Prometheus has no advocacy_content_shares_total for $TENANT after 30 s ($PROM_URL)"
  say "sum by (network) (advocacy_content_shares_total{tenant=\"$TENANT\"}):"
  while IFS= read -r line; do say "  $line"; done <<<"$PROM_RESULT"

  if [[ "${ADVOCACY_REDIS_ACL:-off}" == on ]]; then
    step "Redis refused nothing: every service ran as its own ACL user (deploy/redis/acl-rules.conf)"
    local denied users
    denied="$(adv_redis_cli --raw ACL LOG 20)" || fail "ACL LOG as the Redis admin failed"
    [[ -z "$denied" ]] ||
      fail "Redis refused commands during the demo (ACL LOG: user, key or command, reason): $(tr '\n' ' ' <<<"$denied")"
    users="$(adv_redis_cli --raw CLIENT LIST | grep -o 'user=[a-z]*' | sort | uniq -c | awk '{printf "%s%s x%s", (NR > 1 ? ", " : ""), substr($2, 6), $1}')"
    say "connections by user: $users; ACL LOG empty (TLS ${ADVOCACY_REDIS_TLS:-off})"
  fi

  step "the web app and its Connect API behind https ($ADVOCACY_WEB_URL): strict headers, sign-in at the provider, RPCs transcoded to gRPC"
  local headers page connect login_location
  headers="$(curl -sS --max-time 5 --cacert "$ADVOCACY_WEB_CA_FILE" -D - -o /dev/null "$ADVOCACY_WEB_URL/consent")" ||
    fail "the gateway did not serve the app at $ADVOCACY_WEB_URL/consent (log $LOG_DIR/gateway.log)"
  for page in "HTTP/1.1 200" "content-security-policy: default-src 'none'; script-src 'self'" \
    "strict-transport-security: max-age=63072000" "x-content-type-options: nosniff"; do
    grep -qi "$page" <<<"$headers" || fail "the app page lacks '$page' (headers: $(tr -d '\r' <<<"$headers" | tr '\n' ' '))"
  done
  say "GET $ADVOCACY_WEB_URL/consent: 200, CSP without inline script, HSTS, nosniff"
  login_location="$(curl -sS --max-time 5 --cacert "$ADVOCACY_WEB_CA_FILE" -D - -o /dev/null \
    "$ADVOCACY_WEB_URL/auth/login?return_to=/consent" | tr -d '\r' | sed -n 's/^location: //Ip')"
  [[ "$login_location" == "$ADVOCACY_OIDC_ISSUER/auth?"*"code_challenge_method=S256"* ]] ||
    fail "/auth/login did not send the browser to the provider with PKCE (location: ${login_location:-none})"
  say "GET /auth/login: 302 to the provider's authorization endpoint (code flow, PKCE S256)"
  connect="$(curl -sS --max-time 10 --cacert "$ADVOCACY_WEB_CA_FILE" \
    -H 'Content-Type: application/json' -H 'Connect-Protocol-Version: 1' \
    -H "Authorization: Bearer $(token_for employee consent)" \
    -d "{\"tenantId\":\"demo-corp\",\"employeeId\":\"$EMPLOYEE\"}" \
    "$ADVOCACY_WEB_URL/advocacy.consent.v1.ConsentService/GetConsentState")" ||
    fail "the Connect call GetConsentState through the gateway failed"
  jq_py "$connect" '"sequence" in d or d == {}' ||
    fail "GetConsentState through the gateway answered $connect"
  say "POST /advocacy.consent.v1.ConsentService/GetConsentState (Connect JSON): $connect"
  connect="$(curl -sS --max-time 10 --cacert "$ADVOCACY_WEB_CA_FILE" -o /dev/null -w '%{http_code}' \
    -H 'Content-Type: application/json' -d '{}' \
    "$ADVOCACY_WEB_URL/advocacy.consent.v1.ConsentService/BatchCheckConsent")"
  [[ "$connect" == 404 ]] || fail "BatchCheckConsent (not for browsers) answered $connect, not 404"
  say "BatchCheckConsent through the gateway: 404 (service-only RPCs are not on the browser allow-list)"

  step "gRPC is mutual TLS only: a plaintext client and a TLS client without a certificate get nothing"
  local service
  for service in consent courses content notifications gateway; do
    if "$CTL" --addr "${GRPC_ADDR[$service]}" --plaintext --timeout 2s health >/dev/null 2>&1; then
      fail "$service answered a plaintext gRPC client"
    fi
    if env -u ADVOCACY_CTL_TLS_CERT_FILE -u ADVOCACY_CTL_TLS_KEY_FILE \
      "$CTL" --addr "${GRPC_ADDR[$service]}" --timeout 2s health >/dev/null 2>&1; then
      fail "$service answered a TLS client without a client certificate"
    fi
    "$CTL" --addr "${GRPC_ADDR[$service]}" --timeout 5s health >/dev/null ||
      fail "$service refused advocacy-ops' certificate"
  done
  say "consent, courses, content, notifications, gateway: plaintext refused, no certificate refused," \
    "advocacy-ops' certificate of the stack CA: SERVING"

  step "the same story in a real browser: web/test/e2e.mjs drives Debian's Chromium through the app (sign in, opt in, an admin publishes, Share opens LinkedIn's dialog with the tracked link, the tip mail's link, one-click opt-out, a course to its certificate, public verification)"
  if [[ "${ADVOCACY_BROWSER_WALKTHROUGH:-1}" == 0 ]]; then
    say "skipped (ADVOCACY_BROWSER_WALKTHROUGH=0)"
    return
  fi
  local artifacts="${ADVOCACY_WEB_ARTIFACTS:-$ADVOCACY_HOME/artifacts/web}" walk_log="$LOG_DIR/browser-walkthrough.log"
  local walk_started=$SECONDS
  mkdir -p "$artifacts"
  (
    cd "$ADVOCACY_REPO/web"
    ADVOCACY_WEB_URL="$ADVOCACY_WEB_URL" ADVOCACY_WEB_CA_FILE="$ADVOCACY_WEB_CA_FILE" \
      ADVOCACY_SMTP_MAILS="$MAILS" ADVOCACY_WEB_ARTIFACTS="$artifacts" \
      node --test --test-reporter=spec test/e2e.mjs
  ) >"$walk_log" 2>&1 ||
    fail "the browser walkthrough failed at: $(grep -m1 -E '^\s*✖' "$walk_log" | sed 's/^ *//') (the whole report: $walk_log; screenshots: $artifacts)"
  grep -E '^\s*✔ step' "$walk_log" | sed -E 's/^ *✔ //; s/ \([0-9.]+ms\)$//; s/^/    /'
  say "$(grep -c -E '^\s*✔ step' "$walk_log") steps passed in $((SECONDS - walk_started)) s; every page checked with axe-core and saved in English and Norwegian: $artifacts"
}
DEMO_STARTED=$SECONDS
demo
DEMO_SECONDS=$((SECONDS - DEMO_STARTED))

echo
adv_log "the web app: $ADVOCACY_WEB_URL   (trust the stack CA $ADVOCACY_WEB_CA_FILE in the browser; sign in as kari.nordmann (employee) or hr-admin (admin) of demo-corp, any password)"
adv_log "the system is running (install ${INSTALL_SECONDS}s, build ${BUILD_SECONDS}s, Redis, Kafka and the OpenID provider ${STACK_SECONDS}s, sink, services and Prometheus ${PROCESSES_SECONDS}s, demo ${DEMO_SECONDS}s):"
adv_log "  consent gRPC        $ADVOCACY_CONSENT_ADDR   (try, after 'source $SERVICES_ENV': $CTL --oidc consent state --tenant demo-corp --employee kari.nordmann)"
adv_log "  courses gRPC        $ADVOCACY_COURSES_ADDR   (reflection on: TOKEN=\$($CTL --oidc --oidc-resource urn:advocacy:courses token); buf curl --protocol grpc --cacert \$ADVOCACY_GRPC_TLS_CA_FILE --cert \$ADVOCACY_CTL_TLS_CERT_FILE --key \$ADVOCACY_CTL_TLS_KEY_FILE -H \"authorization: Bearer \$TOKEN\" -d '{\"tenant_id\":\"demo-corp\"}' https://$ADVOCACY_COURSES_ADDR/advocacy.courses.v1.CoursesService/ListChecklists)"
adv_log "  content gRPC        $ADVOCACY_CONTENT_ADDR   (tracked links: $ADVOCACY_CONTENT_LINKS<code>)"
adv_log "  notifications gRPC  $ADVOCACY_NOTIFICATIONS_ADDR   (unsubscribe endpoint: $ADVOCACY_NOTIFICATIONS_UNSUBSCRIBE; mails link to https://unsubscribe.localhost)"
adv_log "  gateway             $ADVOCACY_WEB_URL -> $ADVOCACY_GATEWAY_HTTP   (Connect API: POST /<package>.<Service>/<Method>; gRPC $ADVOCACY_GATEWAY_ADDR)"
adv_log "  metrics             $ADVOCACY_GATEWAY_METRICS $ADVOCACY_CONSENT_METRICS $ADVOCACY_COURSES_METRICS $ADVOCACY_CONTENT_METRICS $ADVOCACY_NOTIFICATIONS_METRICS"
adv_log "  Prometheus          $PROM_URL   (targets: $PROM_URL/targets, rules and alerts: $PROM_URL/alerts)"
adv_log "  SMTP sink           $ADVOCACY_SMTP_URL   (every accepted mail, one JSON line each: $ADVOCACY_SMTP_MAILS)"
adv_log "  OpenID provider     $ADVOCACY_OIDC_ISSUER   (JWKS /jwks; demo users kari.nordmann, hr-admin; clients in deploy/local/oidc/clients.json, secrets in $OIDC_SECRETS)"
adv_log "  Redis $ADVOCACY_REDIS_URL (ACL users ${ADVOCACY_REDIS_ACL:-off}, TLS ${ADVOCACY_REDIS_TLS:-off}), Kafka $ADVOCACY_KAFKA_BROKERS, logs in $LOG_DIR"
adv_log "  environment for advocacyctl and buf curl: source $SERVICES_ENV"
adv_log "status: deploy/local/run.sh status; stop everything with: deploy/local/run.sh stop"
