#!/usr/bin/env bash
# Shared by the bench/run_*.sh scripts: a private ADVOCACY_HOME with its own Redis + Kafka, the
# services started on free loopback ports with the same environment, and a cleanup that stops
# everything this script started (services first, with SIGTERM so consumers leave their groups).
#
# Use:  source bench/lib.sh; bench_init_home DIR; bench_stack_up [install]; bench_keys;
#       bench_start NAME LOG BIN VAR=VALUE...; ...; (cleanup runs at exit)

BENCH_REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BENCH_PIDS=()
BENCH_NAMES=()
BENCH_LOGS=()
BENCH_CMDS=()
BENCH_STACK_STARTED=0
BENCH_ISSUER="advocacy-bench"

bench_die() {
  printf '[bench] ERROR: %s\n' "$*" >&2
  exit 1
}
bench_log() { printf '[bench] %s\n' "$*" >&2; }

# bench_init_home DIR: exports ADVOCACY_HOME=DIR (never the default stack's home: everything
# under it is stopped at exit), sources deploy/local/lib.sh, installs the cleanup trap.
bench_init_home() {
  mkdir -p "$1"
  export ADVOCACY_HOME
  ADVOCACY_HOME="$(cd "$1" && pwd)"
  [[ "$ADVOCACY_HOME" != "$BENCH_REPO/.local" ]] ||
    bench_die "--home must not be the default stack's home ($BENCH_REPO/.local): this script stops its stack at exit"
  # shellcheck source=deploy/local/lib.sh
  source "$BENCH_REPO/deploy/local/lib.sh"
  trap bench_cleanup EXIT
  trap 'exit 130' INT
  trap 'exit 143' TERM
}

bench_cleanup() {
  local rc=$? i
  trap - EXIT INT TERM
  for ((i = ${#BENCH_PIDS[@]} - 1; i >= 0; i--)); do
    if kill -0 "${BENCH_PIDS[i]}" 2>/dev/null; then
      adv_stop_pid "${BENCH_PIDS[i]}" "${BENCH_NAMES[i]}" 15 || true
    fi
  done
  if ((BENCH_STACK_STARTED)); then
    "$BENCH_REPO/deploy/local/stack.sh" down >/dev/null 2>&1 ||
      bench_log "stack.sh down failed; run ADVOCACY_HOME=$ADVOCACY_HOME $BENCH_REPO/deploy/local/stack.sh down"
  fi
  exit "$rc"
}

# bench_stack_up LOGDIR [install]: starts Redis + Kafka under ADVOCACY_HOME, from empty.
# bench_install DIR: deploy/local/install.sh once per run (log in DIR/install.log). Scripts call it
# before they build, so a fresh machine has the compilers and libraries first.
bench_install() {
  local dir="$1"
  ((${BENCH_INSTALLED:-0})) && return 0
  mkdir -p "$dir"
  "$BENCH_REPO/deploy/local/install.sh" >"$dir/install.log" 2>&1 ||
    { tail -n 30 "$dir/install.log" >&2; bench_die "deploy/local/install.sh failed (log above)"; }
  BENCH_INSTALLED=1
}

bench_stack_up() {
  local dir="$1"
  if [[ "${2:-}" == install ]]; then
    bench_install "$dir"
  fi
  BENCH_STACK_STARTED=1
  # A clean stack: each run uses fresh consumer groups, which on a reused Kafka would replay
  # every earlier run's events in the background while this run is measured.
  "$BENCH_REPO/deploy/local/stack.sh" reset >"$dir/stack.log" 2>&1 ||
    { tail -n 30 "$dir/stack.log" >&2; bench_die "deploy/local/stack.sh reset failed (log above)"; }
  "$BENCH_REPO/deploy/local/stack.sh" up >>"$dir/stack.log" 2>&1 ||
    { tail -n 30 "$dir/stack.log" >&2; bench_die "deploy/local/stack.sh up failed (log above)"; }
  adv_load_stack_env
  [[ -n "${ADVOCACY_REDIS_PORT:-}" ]] || bench_die "stack.env has no Redis port; see $dir/stack.log"
  bench_kafka_tools_env
  bench_log "stack up: Redis $ADVOCACY_REDIS_URL, Kafka $ADVOCACY_KAFKA_BROKERS" \
    "(security ${ADVOCACY_KAFKA_SECURITY:-off}, home $ADVOCACY_HOME)"
}

# bench_kafka_tools_env: exports the admin's Kafka settings (deploy/local/lib.sh, adv_kafka_env)
# and Redis user (adv_redis_env), so the bench tools this script runs (kafka_latency,
# propagation_bench, fault_check, ...) reach the broker and Redis; each service gets its own
# principal and Redis user from bench_start instead.
bench_kafka_tools_env() {
  local kv
  while IFS= read -r kv; do export "${kv?}"; done < <(adv_kafka_env admin)
  # And Redis's admin user for the tools that read the services' keys (fault_check).
  while IFS= read -r kv; do export "${kv?}"; done < <(adv_redis_env admin)
}

# bench_ports N: N free loopback ports (not the stack's), space-separated.
bench_ports() {
  adv_free_ports "$1" "$ADVOCACY_REDIS_PORT" "${ADVOCACY_REDIS_TLS_PORT:-}" "$ADVOCACY_KAFKA_PORT" \
    "${ADVOCACY_KAFKA_CONTROLLER_PORT:-}" | paste -sd' '
}

# bench_keys DIR: a fresh P-256 key pair; the services trust BENCH_PUB, the tools mint with
# BENCH_PRIV (the load tools need offline tokens at high rates). The services also trust the
# stack's OpenID provider for the consent audience (BENCH_ISSUERS): the notifications service
# calls consent with its own client there (bench_notifications_identity), never with a key.
bench_keys() {
  BENCH_PRIV="$1/jwt-private.pem"
  BENCH_PUB="$1/jwt-public.pem"
  BENCH_ISSUERS="$1/issuers.json"
  [[ -s "${ADVOCACY_OIDC_ISSUERS_FILE:-}" ]] ||
    bench_die "ADVOCACY_OIDC_ISSUERS_FILE is not set: source the stack's stack.env (deploy/local/stack.sh up)"
  python3 -c 'import json, sys
d = json.load(open(sys.argv[1]))
for i in d["issuers"]:
    i["audiences"] = ["advocacy-consent"]
json.dump(d, open(sys.argv[2], "w"))' "$ADVOCACY_OIDC_ISSUERS_FILE" "$BENCH_ISSUERS" ||
    bench_die "cannot write $BENCH_ISSUERS"
  openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$BENCH_PRIV" 2>/dev/null ||
    bench_die "openssl could not generate a P-256 key"
  openssl pkey -in "$BENCH_PRIV" -pubout -out "$BENCH_PUB" 2>/dev/null ||
    bench_die "openssl could not derive the public key"
}

# The environment every service gets: the stack, the bench's JWT key and issuer, quiet logs, and
# plaintext gRPC (ADVOCACY_GRPC_TLS=off, said explicitly) so that these benchmarks stay
# comparable with their history; a TLS comparison turns it on itself.
bench_common_env() {
  printf '%s\n' "ADVOCACY_GRPC_TLS=off" \
    "ADVOCACY_REDIS_URL=$ADVOCACY_REDIS_URL" "ADVOCACY_KAFKA_BROKERS=$ADVOCACY_KAFKA_BROKERS" \
    "ADVOCACY_JWT_PUBLIC_KEY_FILE=$BENCH_PUB" "ADVOCACY_JWT_ISSUER=$BENCH_ISSUER" \
    "ADVOCACY_AUTH_ISSUERS_FILE=$BENCH_ISSUERS" \
    "ADVOCACY_JWT_AUDIENCE=advocacy" "ADVOCACY_LOG_LEVEL=warning"
}

# bench_notifications_identity: the notifications service's client at the stack's OpenID
# provider (NOTIFICATIONS_OIDC_*), one VAR=VALUE a line.
bench_notifications_identity() {
  printf '%s\n' "NOTIFICATIONS_OIDC_TOKEN_URL=$ADVOCACY_OIDC_TOKEN_URL" \
    "NOTIFICATIONS_OIDC_CLIENT_SECRET_FILE=$ADVOCACY_OIDC_SECRETS_DIR/notifications.secret" \
    "NOTIFICATIONS_OIDC_CA_FILE=$ADVOCACY_OIDC_CA_FILE"
}

# bench_principal NAME: the Kafka principal of a started service: its name without a replica
# suffix ("content-2" -> content).
bench_principal() { printf '%s\n' "${1%%-[0-9]*}"; }

# bench_start NAME LOG BIN [VAR=VALUE...]: starts BIN in the background with the common
# environment, the service's own Kafka principal (NAME) and the given variables; remembered for
# cleanup.
bench_start() {
  local name="$1" logf="$2" bin="$3"
  shift 3
  local -a envs
  mapfile -t envs < <(bench_common_env
    # The gateway uses no Kafka: it has no principal there.
    [[ "$(bench_principal "$name")" == gateway ]] || adv_kafka_env "$(bench_principal "$name")"
    adv_redis_env "$(bench_principal "$name")")
  env "${envs[@]}" "$@" "$bin" </dev/null >"$logf" 2>&1 &
  BENCH_PIDS+=($!)
  BENCH_NAMES+=("$name")
  BENCH_LOGS+=("$logf")
  BENCH_CMDS+=("$(printf '%q ' "$@" "$bin")")
}

# bench_track NAME LOG PID: a process started otherwise (a sink, a load tool), stopped at exit
# like the services. bench_alive does not watch it.
bench_track() {
  BENCH_PIDS+=("$3")
  BENCH_NAMES+=("$1")
  BENCH_LOGS+=("$2")
  BENCH_CMDS+=("")
}

# bench_kill9 NAME: SIGKILL a started service (a crash) and wait until it is gone.
bench_kill9() {
  local pid
  pid="$(bench_pid "$1")" || bench_die "no started service named $1"
  kill -KILL "$pid" 2>/dev/null || true
  adv_wait_gone "$pid" 10 || bench_die "$1 (pid $pid) survived SIGKILL"
  wait "$pid" 2>/dev/null || true
}

# bench_restart NAME: starts a service again with exactly the environment it was first started
# with (same ports, same consumer groups), appending to the same log.
bench_restart() {
  local i
  local -a envs cmd
  for i in "${!BENCH_NAMES[@]}"; do
    [[ "${BENCH_NAMES[i]}" == "$1" && -n "${BENCH_CMDS[i]}" ]] || continue
    mapfile -t envs < <(bench_common_env; adv_kafka_env "$(bench_principal "$1")")
    eval "cmd=(${BENCH_CMDS[i]})"
    env "${envs[@]}" "${cmd[@]}" </dev/null >>"${BENCH_LOGS[i]}" 2>&1 &
    BENCH_PIDS[i]=$!
    return 0
  done
  bench_die "no restartable service named $1"
}

# bench_build BUILD_DIR LOG_DIR TARGET...: configures BUILD_DIR (Release, benchmarks on, tests off)
# when it is new, then builds the targets; logs go to LOG_DIR.
bench_build() {
  local dir="$1" logs="$2"
  shift 2
  if [[ ! -f "$dir/CMakeCache.txt" ]]; then
    cmake -S "$BENCH_REPO" -B "$dir" -G Ninja -DCMAKE_BUILD_TYPE=Release -DADVOCACY_BUILD_BENCH=ON \
      -DADVOCACY_BUILD_TESTS=OFF >"$logs/configure.log" 2>&1 ||
      { tail -n 30 "$logs/configure.log" >&2; bench_die "cmake configure failed"; }
  fi
  bench_log "building $* in $dir"
  cmake --build "$dir" -j2 --target "$@" >"$logs/build.log" 2>&1 ||
    { tail -n 30 "$logs/build.log" >&2; bench_die "build failed (full log $logs/build.log)"; }
}

# bench_need BUILD_DIR PATH...: dies unless each PATH below BUILD_DIR is an executable.
bench_need() {
  local dir="$1" bin
  shift
  for bin in "$@"; do
    [[ -x "$dir/$bin" ]] || bench_die "$dir/$bin not found (build it, or drop --no-build)"
  done
}

# bench_smtp_sink DIR: starts tests/integration/smtp_sink.py on a free port, recording every
# accepted mail to DIR/mails.jsonl; sets SMTP_PORT and MAILS.
bench_smtp_sink() {
  local dir="$1"
  mkdir -p "$dir"
  # A ready file or mails of an earlier run in the same home would be taken for this sink's.
  rm -f "$dir/ready" "$dir/mails.jsonl"
  /usr/bin/python3 "$BENCH_REPO/tests/integration/smtp_sink.py" --host 127.0.0.1 --port 0 \
    --out "$dir" --ready-file "$dir/ready" </dev/null >"$dir/smtp-sink.log" 2>&1 &
  bench_track smtp-sink "$dir/smtp-sink.log" $!
  for _ in $(seq 150); do [[ -s "$dir/ready" ]] && break; sleep 0.1; done
  [[ -s "$dir/ready" ]] || { cat "$dir/smtp-sink.log" >&2; bench_die "the SMTP sink did not start"; }
  SMTP_PORT="$(cat "$dir/ready")"
  MAILS="$dir/mails.jsonl"
  : >>"$MAILS"
}

# bench_start_notifications LOG BIN CONSENT_ADDR GRPC_PORT METRICS_PORT UNSUB_PORT RUN_DIR RUN_ID
# [VAR=VALUE...]: the notifications service against the consent service and the SMTP sink
# (bench_smtp_sink first), with consumer groups of this run. Short SMTP, consent and claim
# timeouts, so a killed instance gets its interrupted digests back within a fault's recovery.
bench_start_notifications() {
  local logf="$1" bin="$2" consent="$3" grpc="$4" metrics="$5" unsub="$6" dir="$7" run_id="$8"
  shift 8
  [[ -n "${SMTP_PORT:-}" ]] || bench_die "bench_start_notifications needs bench_smtp_sink first"
  [[ -s "$dir/unsubscribe.key" ]] || (umask 077 && openssl rand -base64 48 >"$dir/unsubscribe.key")
  bench_start notifications "$logf" "$bin" \
    ADVOCACY_GRPC_LISTEN="127.0.0.1:$grpc" ADVOCACY_METRICS_LISTEN="127.0.0.1:$metrics" \
    NOTIFICATIONS_CONSENT_ADDR="$consent" $(bench_notifications_identity) \
    NOTIFICATIONS_UNSUBSCRIBE_KEY_FILE="$dir/unsubscribe.key" \
    NOTIFICATIONS_PUBLIC_BASE_URL=https://unsubscribe.localhost NOTIFICATIONS_APP_BASE_URL=https://advocacy.localhost \
    NOTIFICATIONS_UNSUBSCRIBE_LISTEN="127.0.0.1:$unsub" NOTIFICATIONS_SMTP_URL="smtp://127.0.0.1:$SMTP_PORT" \
    NOTIFICATIONS_MAIL_FROM=advocacy@bench.test \
    NOTIFICATIONS_SMTP_CONNECT_TIMEOUT_MS=2000 NOTIFICATIONS_SMTP_TIMEOUT_MS=5000 \
    NOTIFICATIONS_CONSENT_DEADLINE_MS=2000 NOTIFICATIONS_CLAIM_LEASE_MS=15000 \
    NOTIFICATIONS_CONSENT_GROUP="notifications-consent-view-$run_id" \
    NOTIFICATIONS_EVENTS_GROUP="notifications-events-$run_id" "$@"
}

# bench_oldest_unapplied METRICS_PORT SERVICE: the consent service's
# advocacy_consent_oldest_unapplied_seconds{service=SERVICE} (empty when it cannot be read).
bench_oldest_unapplied() {
  local page
  page="$(curl -fsS --max-time 2 "http://127.0.0.1:$1/metrics" 2>/dev/null)" || return 0
  awk -v s="service=\"$2\"" 'index($0, "advocacy_consent_oldest_unapplied_seconds{") == 1 && index($0, s) {v = $NF} END {print v}' <<<"$page"
}

# bench_wait_applied METRICS_PORT TIMEOUT_S SERVICE...: waits until the consent service reports
# that every SERVICE applied every change (the gauge above at 0), e.g. after seeding.
bench_wait_applied() {
  local port="$1" timeout="$2" svc deadline
  shift 2
  deadline=$((SECONDS + timeout))
  for svc in "$@"; do
    until [[ "$(bench_oldest_unapplied "$port" "$svc")" == 0 ]]; do
      ((SECONDS < deadline)) || bench_die "$svc did not apply every consent change within ${timeout}s"
      sleep 0.5
    done
  done
}

# bench_pid NAME: the pid of a started service.
bench_pid() {
  local i
  for i in "${!BENCH_NAMES[@]}"; do
    [[ "${BENCH_NAMES[i]}" == "$1" ]] && { printf '%s\n' "${BENCH_PIDS[i]}"; return 0; }
  done
  return 1
}

# bench_alive: dies (with the log tail) when a started service has exited.
bench_alive() {
  local i
  for i in "${!BENCH_PIDS[@]}"; do
    [[ -n "${BENCH_CMDS[i]-x}" ]] || continue # tracked, not started by bench_start
    kill -0 "${BENCH_PIDS[i]}" 2>/dev/null ||
      { tail -n 30 "${BENCH_LOGS[i]}" >&2; bench_die "the ${BENCH_NAMES[i]} service exited (log above)"; }
  done
}

# bench_rss_kib NAME: resident memory of a started service in KiB.
bench_rss_kib() {
  local pid
  pid="$(bench_pid "$1")" || return 1
  awk '/^VmRSS:/ {print $2}' "/proc/$pid/status"
}

# bench_threads NAME: the thread count of a started service.
bench_threads() {
  local pid
  pid="$(bench_pid "$1")" || return 1
  awk '/^Threads:/ {print $2}' "/proc/$pid/status"
}

median() { printf '%s\n' "$@" | sort -g | awk '{a[NR] = $1} END {if (NR % 2) print a[(NR + 1) / 2]; else print (a[NR / 2] + a[NR / 2 + 1]) / 2}'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN{if (b > 0) printf "%.3f", a / b; else print "nan"}'; }
