#!/usr/bin/env bash
# Starts and stops the real Redis and single-node Kafka (KRaft) that the
# services and tests use, on free loopback ports, with everything under
# $ADVOCACY_HOME. See deploy/local/README.md.
set -euo pipefail

# shellcheck source=deploy/local/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

usage() {
  cat <<'EOF'
usage: deploy/local/stack.sh COMMAND

  up                  start Redis and Kafka (if not running), wait until both
                      answer, write $ADVOCACY_HOME/stack.env
  down                stop both (SIGTERM, SIGKILL after a timeout), keep data
  reset               down, then delete their data and stack.env
  status              print what runs where; exit 0 only if both answer
  redis start|stop|kill|restart
  kafka start|stop|kill|restart
                      one service, for fault-injection tests: kill = SIGKILL,
                      start/restart reuse the ports and data of the last run

environment:
  ADVOCACY_HOME                      run-time root (default <repo>/.local)
  ADVOCACY_KAFKA_AUTO_CREATE_TOPICS  true|false (default false, as production);
                                     remembered in stack.env until reset
  ADVOCACY_KAFKA_HEAP_OPTS           default "-Xms256m -Xmx768m"
  ADVOCACY_REDIS_START_TIMEOUT / ADVOCACY_KAFKA_START_TIMEOUT  seconds (20 / 60)
EOF
}

RUN_DIR="$ADVOCACY_HOME/run"
LOG_DIR="$ADVOCACY_HOME/logs"
REDIS_DIR="$ADVOCACY_HOME/redis"
REDIS_LOG="$LOG_DIR/redis.log"
REDIS_PIDFILE="$RUN_DIR/redis.pid"
KAFKA_BASE="$ADVOCACY_HOME/kafka"
KAFKA_LIB="$KAFKA_BASE/lib"
KAFKA_DIR="$KAFKA_BASE/data"
KAFKA_CONFIG="$KAFKA_BASE/server.properties"
KAFKA_LOG="$LOG_DIR/kafka.log"     # log4j2 output
KAFKA_OUT="$LOG_DIR/kafka.out"     # JVM stdout/stderr (crashes, StorageTool)
KAFKA_PIDFILE="$RUN_DIR/kafka.pid"
KAFKA_LOG4J="$ADVOCACY_REPO/deploy/local/kafka/log4j2.xml"

REDIS_START_TIMEOUT="${ADVOCACY_REDIS_START_TIMEOUT:-20}"
KAFKA_START_TIMEOUT="${ADVOCACY_KAFKA_START_TIMEOUT:-60}"
REDIS_STOP_TIMEOUT=15
KAFKA_STOP_TIMEOUT=30
KAFKA_HEAP_OPTS="${ADVOCACY_KAFKA_HEAP_OPTS:--Xms256m -Xmx768m}"

mkdir -p "$RUN_DIR" "$LOG_DIR"

# One stack.sh at a time per ADVOCACY_HOME: two concurrent `up`s would pick
# different ports and clobber each other's pid files. fd 9 is closed for the
# servers we launch so the lock dies with this script, not with them.
exec 9>"$RUN_DIR/stack.lock"
flock -w 180 9 || adv_die "another deploy/local/stack.sh has held $RUN_DIR/stack.lock for 3 minutes; check 'ps aux | grep stack.sh'"

# ------------------------------------------------------------------ state --
# env_get KEY: the value recorded in stack.env, empty when absent. Parsed, not
# sourced, so the caller's environment keeps priority over stale file values.
env_get() {
  [[ -f "$ADVOCACY_STACK_ENV" ]] || return 0
  sed -n "s/^$1=//p" "$ADVOCACY_STACK_ENV" | tail -n1
}

REDIS_PORT="$(env_get ADVOCACY_REDIS_PORT)"
KAFKA_PORT="$(env_get ADVOCACY_KAFKA_PORT)"
KAFKA_CONTROLLER_PORT="$(env_get ADVOCACY_KAFKA_CONTROLLER_PORT)"
KAFKA_AUTO_CREATE="${ADVOCACY_KAFKA_AUTO_CREATE_TOPICS:-$(env_get ADVOCACY_KAFKA_AUTO_CREATE_TOPICS)}"
KAFKA_AUTO_CREATE="${KAFKA_AUTO_CREATE:-false}"
case "$KAFKA_AUTO_CREATE" in
  true | false) ;;
  *) adv_die "ADVOCACY_KAFKA_AUTO_CREATE_TOPICS must be 'true' or 'false', not '$KAFKA_AUTO_CREATE'" ;;
esac

redis_pid() {
  local pid
  pid="$(cat "$REDIS_PIDFILE" 2>/dev/null || true)"
  if adv_pid_matches "$pid" "redis-server"; then
    printf '%s\n' "$pid"
  fi
}

kafka_pid() {
  local pid
  pid="$(cat "$KAFKA_PIDFILE" 2>/dev/null || true)"
  if adv_pid_matches "$pid" "kafka.Kafka $KAFKA_CONFIG"; then
    printf '%s\n' "$pid"
  fi
}

write_env() {
  local tmp="$ADVOCACY_STACK_ENV.tmp.$$" rpid kpid
  rpid="$(redis_pid)"
  kpid="$(kafka_pid)"
  {
    echo "# Written by deploy/local/stack.sh; regenerated on every start/stop."
    echo "# Use: source \"$ADVOCACY_STACK_ENV\"  (variables are exported)."
    echo "# A *_PID is empty while that server is stopped."
    echo "ADVOCACY_HOME=$(printf '%q' "$ADVOCACY_HOME")"
    echo "ADVOCACY_REDIS_URL=${REDIS_PORT:+redis://127.0.0.1:$REDIS_PORT}"
    echo "ADVOCACY_REDIS_PORT=$REDIS_PORT"
    echo "ADVOCACY_REDIS_PID=$rpid"
    echo "ADVOCACY_REDIS_DIR=$(printf '%q' "$REDIS_DIR")"
    echo "ADVOCACY_REDIS_LOG=$(printf '%q' "$REDIS_LOG")"
    echo "ADVOCACY_KAFKA_BROKERS=${KAFKA_PORT:+127.0.0.1:$KAFKA_PORT}"
    echo "ADVOCACY_KAFKA_PORT=$KAFKA_PORT"
    echo "ADVOCACY_KAFKA_CONTROLLER_PORT=$KAFKA_CONTROLLER_PORT"
    echo "ADVOCACY_KAFKA_PID=$kpid"
    echo "ADVOCACY_KAFKA_DIR=$(printf '%q' "$KAFKA_DIR")"
    echo "ADVOCACY_KAFKA_LOG=$(printf '%q' "$KAFKA_LOG")"
    echo "ADVOCACY_KAFKA_AUTO_CREATE_TOPICS=$KAFKA_AUTO_CREATE"
    echo "export ADVOCACY_HOME ADVOCACY_REDIS_URL ADVOCACY_REDIS_PORT ADVOCACY_REDIS_PID" \
      "ADVOCACY_REDIS_DIR ADVOCACY_REDIS_LOG ADVOCACY_KAFKA_BROKERS ADVOCACY_KAFKA_PORT" \
      "ADVOCACY_KAFKA_CONTROLLER_PORT ADVOCACY_KAFKA_PID ADVOCACY_KAFKA_DIR ADVOCACY_KAFKA_LOG" \
      "ADVOCACY_KAFKA_AUTO_CREATE_TOPICS"
  } >"$tmp"
  mv -f "$tmp" "$ADVOCACY_STACK_ENV"
}

# print_tail FILE...: the end of each log, for failure messages.
print_tail() {
  local f shown=0
  for f in "$@"; do
    if [[ -s "$f" ]]; then
      echo "----- last lines of $f -----" >&2
      tail -n 40 "$f" >&2
      shown=1
    fi
  done
  if ((shown)); then
    echo "-----" >&2
  else
    echo "(nothing logged yet in $*)" >&2
  fi
}

# wait_ready NAME PID PATTERN PIDFILE TIMEOUT CHECK_FN LOG...: polls CHECK_FN
# until it succeeds. If the process dies or the timeout passes, shows the
# logs, stops what is left of the process, forgets its pid and fails.
wait_ready() {
  local name="$1" pid="$2" pattern="$3" pidfile="$4" timeout="$5" check="$6"
  shift 6
  local deadline=$((SECONDS + timeout)) why=""
  while ! "$check"; do
    if ! adv_pid_matches "$pid" "$pattern"; then
      why="$name exited during start-up (pid $pid)"
    elif ((SECONDS >= deadline)); then
      why="$name did not answer within ${timeout}s (stopped it again)"
      adv_stop_pid "$pid" "$name" 5
    fi
    if [[ -n "$why" ]]; then
      rm -f "$pidfile"
      write_env
      print_tail "$@"
      adv_die "$why; the log above says why"
    fi
    sleep 0.2
  done
}

# choose_ports NAME STRICT COUNT [RECORDED...]: prints COUNT ports, one a line.
# The recorded ports are reused when all are free. When one is taken by some
# other program, STRICT=1 (explicit start/restart: a test expects the same
# address) fails; STRICT=0 (up) picks new ports and says so.
choose_ports() {
  local name="$1" strict="$2" count="$3" busy="" p
  shift 3
  if (($# == count)); then
    for p in "$@"; do
      adv_port_free "$p" || busy+=" $p"
    done
    if [[ -z "$busy" ]]; then
      printf '%s\n' "$@"
      return 0
    fi
    if [[ "$strict" == 1 ]]; then
      adv_die "$name cannot reuse port(s)$busy recorded in $ADVOCACY_STACK_ENV: another program listens there (see 'ss -ltnp'). Stop it, or run 'deploy/local/stack.sh up' to pick new ports."
    fi
    adv_warn "$name's recorded port(s)$busy are taken by another program; picking new ones"
  fi
  # Never hand out a port the other server has recorded.
  adv_free_ports "$count" $REDIS_PORT $KAFKA_PORT $KAFKA_CONTROLLER_PORT
}

# ------------------------------------------------------------------ redis --
redis_ping() {
  [[ "$(timeout 5 redis-cli -h 127.0.0.1 -p "$REDIS_PORT" ping 2>/dev/null)" == "PONG" ]]
}

redis_prereqs() {
  command -v redis-server >/dev/null || adv_die "redis-server not found; run deploy/local/install.sh"
  command -v redis-cli >/dev/null || adv_die "redis-cli not found; run deploy/local/install.sh"
}

redis_start() {
  local strict="$1" pid
  pid="$(redis_pid)"
  if [[ -n "$pid" ]]; then
    adv_log "redis: already running (pid $pid) on 127.0.0.1:$REDIS_PORT"
    return 0
  fi
  redis_prereqs
  REDIS_PORT="$(choose_ports redis "$strict" 1 $REDIS_PORT)"
  mkdir -p "$REDIS_DIR"
  adv_rotate_log "$REDIS_LOG"
  setsid redis-server --bind 127.0.0.1 --port "$REDIS_PORT" --dir "$REDIS_DIR" \
    --appendonly yes --appendfsync "${ADVOCACY_REDIS_APPENDFSYNC:-always}" --save "" --daemonize no \
    --logfile "" </dev/null >>"$REDIS_LOG" 2>&1 9>&- &
  pid=$!
  echo "$pid" >"$REDIS_PIDFILE"
  write_env
  wait_ready redis "$pid" redis-server "$REDIS_PIDFILE" "$REDIS_START_TIMEOUT" redis_ping "$REDIS_LOG"
  adv_log "redis: ready on 127.0.0.1:$REDIS_PORT (pid $pid, data $REDIS_DIR, log $REDIS_LOG)"
}

# redis_stop SIGNAL: TERM lets Redis flush its AOF; KILL simulates a crash
# (with the default appendfsync always, an acknowledged write survives even that;
# ADVOCACY_REDIS_APPENDFSYNC=everysec trades up to a second of writes for speed).
redis_stop() {
  local signal="$1" pid
  pid="$(redis_pid)"
  if [[ -z "$pid" ]]; then
    adv_log "redis: not running"
  elif [[ "$signal" == KILL ]]; then
    kill -KILL "$pid" 2>/dev/null || true
    adv_wait_gone "$pid" 10 || adv_die "redis (pid $pid) survived SIGKILL"
    adv_log "redis: killed (pid $pid)"
  else
    adv_stop_pid "$pid" redis "$REDIS_STOP_TIMEOUT"
    adv_log "redis: stopped (pid $pid)"
  fi
  rm -f "$REDIS_PIDFILE"
  write_env
}

# ------------------------------------------------------------------ kafka --
kafka_ready() {
  # A metadata answer that lists our broker means it accepts client requests.
  # Captured rather than piped into grep -q, whose early exit could SIGPIPE
  # kcat and, under pipefail, read as "not ready".
  local out
  out="$(timeout 10 kcat -b "127.0.0.1:$KAFKA_PORT" -L -t __probe -m 3 2>/dev/null || true)"
  [[ "$out" == *"broker 1 at 127.0.0.1:$KAFKA_PORT"* ]]
}

write_kafka_config() {
  local tmp="$KAFKA_CONFIG.tmp.$$"
  cat >"$tmp" <<EOF
# Generated by deploy/local/stack.sh on every start; edits are overwritten.
# One JVM is both the KRaft controller and the only broker.
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:$KAFKA_CONTROLLER_PORT
controller.listener.names=CONTROLLER
listeners=PLAINTEXT://127.0.0.1:$KAFKA_PORT,CONTROLLER://127.0.0.1:$KAFKA_CONTROLLER_PORT
advertised.listeners=PLAINTEXT://127.0.0.1:$KAFKA_PORT
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
inter.broker.listener.name=PLAINTEXT
log.dirs=$KAFKA_DIR

# Production creates topics explicitly; so do the services.
auto.create.topics.enable=$KAFKA_AUTO_CREATE
num.partitions=1
default.replication.factor=1
min.insync.replicas=1
offsets.topic.replication.factor=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
# Fewer internal partitions than the default 50: the first consumer group and
# the first transaction come up in well under a second on a small machine.
offsets.topic.num.partitions=8
transaction.state.log.num.partitions=8
# Consumers in tests must not wait 3 s for the first rebalance.
group.initial.rebalance.delay.ms=0
# After a SIGKILL the restarted broker cannot register until its previous
# incarnation's session expires (default 9 s); fault-injection tests restart
# it often. Heartbeats stay in-process, so 3 s still has a wide margin.
broker.session.timeout.ms=3000
broker.heartbeat.interval.ms=500

# Sized for a 2-core machine shared with builds.
num.network.threads=2
num.io.threads=4
num.recovery.threads.per.data.dir=1
background.threads=4
EOF
  mv -f "$tmp" "$KAFKA_CONFIG"
}

# kafka_cluster_id: a random id in the form kafka-storage random-uuid prints
# (URL-safe base64 of 16 bytes, not starting with '-'), without a JVM start.
kafka_cluster_id() {
  python3 -c '
import base64, uuid
while True:
    s = base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=")
    if not s.startswith("-"):
        print(s)
        break'
}

kafka_prereqs() {
  if ! compgen -G "$KAFKA_LIB/kafka_2.13-*.jar" >/dev/null; then
    adv_die "Kafka jars missing in $KAFKA_LIB; run deploy/local/install.sh"
  fi
  command -v kcat >/dev/null || adv_die "kcat not found; run deploy/local/install.sh"
  adv_java >/dev/null
}

kafka_start() {
  local strict="$1" pid java ports
  pid="$(kafka_pid)"
  if [[ -n "$pid" ]]; then
    adv_log "kafka: already running (pid $pid) on 127.0.0.1:$KAFKA_PORT"
    return 0
  fi
  kafka_prereqs
  java="$(adv_java)"
  ports="$(choose_ports kafka "$strict" 2 $KAFKA_PORT $KAFKA_CONTROLLER_PORT)"
  KAFKA_PORT="$(sed -n 1p <<<"$ports")"
  KAFKA_CONTROLLER_PORT="$(sed -n 2p <<<"$ports")"
  mkdir -p "$KAFKA_DIR"
  write_kafka_config
  adv_rotate_log "$KAFKA_LOG"
  adv_rotate_log "$KAFKA_OUT"

  local -a jvm=(
    $KAFKA_HEAP_OPTS
    -XX:+UseG1GC -XX:MaxGCPauseMillis=20 -Djava.awt.headless=true
    "-Dlog4j2.configurationFile=$KAFKA_LOG4J"
    "-Dadvocacy.kafka.log=$KAFKA_LOG"
    -cp "$KAFKA_LIB/*"
  )
  if [[ ! -f "$KAFKA_DIR/meta.properties" ]]; then
    adv_log "kafka: formatting storage in $KAFKA_DIR"
    "$java" "${jvm[@]}" kafka.tools.StorageTool format -t "$(kafka_cluster_id)" \
      -c "$KAFKA_CONFIG" </dev/null >>"$KAFKA_OUT" 2>&1 9>&- ||
      {
        print_tail "$KAFKA_OUT" "$KAFKA_LOG"
        adv_die "formatting Kafka storage in $KAFKA_DIR failed; the log above says why ('deploy/local/stack.sh reset' starts from scratch)"
      }
  fi
  setsid "$java" "${jvm[@]}" kafka.Kafka "$KAFKA_CONFIG" </dev/null >>"$KAFKA_OUT" 2>&1 9>&- &
  pid=$!
  echo "$pid" >"$KAFKA_PIDFILE"
  write_env
  wait_ready kafka "$pid" "kafka.Kafka $KAFKA_CONFIG" "$KAFKA_PIDFILE" "$KAFKA_START_TIMEOUT" kafka_ready \
    "$KAFKA_OUT" "$KAFKA_LOG"
  adv_log "kafka: ready on 127.0.0.1:$KAFKA_PORT (controller :$KAFKA_CONTROLLER_PORT, pid $pid, data $KAFKA_DIR, log $KAFKA_LOG)"
}

kafka_stop() {
  local signal="$1" pid
  pid="$(kafka_pid)"
  if [[ -z "$pid" ]]; then
    adv_log "kafka: not running"
  elif [[ "$signal" == KILL ]]; then
    kill -KILL "$pid" 2>/dev/null || true
    adv_wait_gone "$pid" 10 || adv_die "kafka (pid $pid) survived SIGKILL"
    adv_log "kafka: killed (pid $pid)"
  else
    adv_stop_pid "$pid" kafka "$KAFKA_STOP_TIMEOUT"
    adv_log "kafka: stopped (pid $pid)"
  fi
  rm -f "$KAFKA_PIDFILE"
  write_env
}

# ----------------------------------------------------------------- status --
status() {
  local ok=0 pid
  pid="$(redis_pid)"
  if [[ -z "$pid" ]]; then
    echo "redis: stopped${REDIS_PORT:+ (last port $REDIS_PORT)}; data $REDIS_DIR"
    ok=1
  elif redis_ping; then
    echo "redis: running, pid $pid, redis://127.0.0.1:$REDIS_PORT, data $REDIS_DIR, log $REDIS_LOG"
  else
    echo "redis: pid $pid alive but not answering PING on 127.0.0.1:$REDIS_PORT; see $REDIS_LOG"
    ok=1
  fi
  pid="$(kafka_pid)"
  if [[ -z "$pid" ]]; then
    echo "kafka: stopped${KAFKA_PORT:+ (last port $KAFKA_PORT)}; data $KAFKA_DIR"
    ok=1
  elif kafka_ready; then
    echo "kafka: running, pid $pid, brokers 127.0.0.1:$KAFKA_PORT (controller :$KAFKA_CONTROLLER_PORT)," \
      "auto.create.topics.enable=$KAFKA_AUTO_CREATE, data $KAFKA_DIR, log $KAFKA_LOG"
  else
    echo "kafka: pid $pid alive but not answering metadata on 127.0.0.1:$KAFKA_PORT; see $KAFKA_LOG"
    ok=1
  fi
  [[ -f "$ADVOCACY_STACK_ENV" ]] && echo "env:   $ADVOCACY_STACK_ENV"
  return $((ok ? 3 : 0))
}

# ------------------------------------------------------------------- main --
service_cmd() {
  local svc="$1" action="${2:-}"
  case "$action" in
    start) "${svc}_start" 1 ;;
    stop) "${svc}_stop" TERM ;;
    kill) "${svc}_stop" KILL ;;
    restart)
      "${svc}_stop" TERM
      "${svc}_start" 1
      ;;
    *)
      usage >&2
      exit 2
      ;;
  esac
}

case "${1:-}" in
  up)
    # Check both first so a missing install does not leave half a stack.
    redis_prereqs
    kafka_prereqs
    redis_start 0
    kafka_start 0
    write_env
    adv_log "stack up; environment in $ADVOCACY_STACK_ENV"
    ;;
  down)
    kafka_stop TERM
    redis_stop TERM
    ;;
  reset)
    kafka_stop TERM
    redis_stop TERM
    rm -rf "$REDIS_DIR" "$KAFKA_DIR" "$KAFKA_CONFIG" "$ADVOCACY_STACK_ENV"
    adv_log "deleted Redis and Kafka data and $ADVOCACY_STACK_ENV"
    ;;
  status) status ;;
  redis | kafka) service_cmd "$1" "${2:-}" ;;
  -h | --help | help) usage ;;
  *)
    usage >&2
    exit 2
    ;;
esac
