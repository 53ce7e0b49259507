# shellcheck shell=bash
# Helpers shared by the deploy/local scripts. Source it; it defines functions
# and a few variables and changes no shell option of the caller.
#
#   ADVOCACY_REPO   the repository root (derived from this file's location)
#   ADVOCACY_HOME   where everything created at run time lives
#                   (default: $ADVOCACY_REPO/.local, git-ignored)
#   ADVOCACY_STACK_ENV  $ADVOCACY_HOME/stack.env, written by stack.sh
#   ADVOCACY_BUF    path of the pinned buf binary installed by install.sh
#
# $ADVOCACY_HOME/bin (holds `buf`) is put on PATH.

if [[ -n "${ADVOCACY_LIB_SOURCED:-}" ]]; then
  return 0
fi
ADVOCACY_LIB_SOURCED=1

ADVOCACY_REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
ADVOCACY_HOME="${ADVOCACY_HOME:-$ADVOCACY_REPO/.local}"
# An absolute path: the services and the JVM are started from other directories.
mkdir -p "$ADVOCACY_HOME"
ADVOCACY_HOME="$(cd "$ADVOCACY_HOME" && pwd)"
ADVOCACY_STACK_ENV="$ADVOCACY_HOME/stack.env"
ADVOCACY_BUF="$ADVOCACY_HOME/npm/node_modules/.bin/buf"
export ADVOCACY_REPO ADVOCACY_HOME ADVOCACY_STACK_ENV ADVOCACY_BUF
case ":$PATH:" in
  *":$ADVOCACY_HOME/bin:"*) ;;
  *) export PATH="$ADVOCACY_HOME/bin:$PATH" ;;
esac

# ---------------------------------------------------------------- messages --
adv_log() { printf '[advocacy] %s\n' "$*"; }
adv_warn() { printf '[advocacy] WARNING: %s\n' "$*" >&2; }
# adv_die MESSAGE...: print the message (what failed and what to do) and exit 1.
adv_die() {
  printf '[advocacy] ERROR: %s\n' "$*" >&2
  exit 1
}

# ------------------------------------------------------------------- ports --
# Ports are drawn from 20000-32767, below Linux's default ephemeral range
# (32768-60999), so they never collide with the port-0 listeners that tests
# ask the kernel for, nor with outgoing connections' source ports.
ADVOCACY_PORT_MIN="${ADVOCACY_PORT_MIN:-20000}"
ADVOCACY_PORT_MAX="${ADVOCACY_PORT_MAX:-32767}"

# adv_port_free PORT: succeeds when nothing listens on 127.0.0.1:PORT.
# SO_REUSEADDR matches what Redis and the JVM do, so connections of a killed
# server lingering in TIME_WAIT do not count as "in use".
adv_port_free() {
  python3 - "$1" <<'PY'
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
try:
    s.bind(("127.0.0.1", int(sys.argv[1])))
    s.listen(1)
except OSError:
    sys.exit(1)
finally:
    s.close()
PY
}

# adv_free_ports COUNT [EXCLUDED_PORT...]: prints COUNT distinct free loopback
# ports, one per line, none of them in the excluded list.
adv_free_ports() {
  python3 - "$ADVOCACY_PORT_MIN" "$ADVOCACY_PORT_MAX" "$@" <<'PY'
import random, socket, sys
lo, hi, count = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
taken = {int(p) for p in sys.argv[4:] if p}
found = []
for _ in range(2000):
    if len(found) == count:
        break
    port = random.randint(lo, hi)
    if port in taken:
        continue
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        s.bind(("127.0.0.1", port))
        s.listen(1)
    except OSError:
        continue
    finally:
        s.close()
    taken.add(port)
    found.append(port)
if len(found) != count:
    sys.exit("no free port found in %d-%d" % (lo, hi))
print("\n".join(str(p) for p in found))
PY
}

# --------------------------------------------------------------- processes --
# adv_pid_matches PID PATTERN: succeeds when PID is alive and its command line
# contains PATTERN (guards against a recycled pid from a stale pid file).
adv_pid_matches() {
  local pid="$1" pattern="$2" cmdline
  [[ "$pid" =~ ^[0-9]+$ ]] || return 1
  [[ -r "/proc/$pid/cmdline" ]] || return 1
  cmdline="$(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null)" || return 1
  # A zombie has an empty command line: it is dead for our purposes.
  [[ -n "$cmdline" && "$cmdline" == *"$pattern"* ]]
}

# adv_wait_gone PID TIMEOUT_SECONDS: succeeds once PID has exited.
adv_wait_gone() {
  local pid="$1" deadline=$((SECONDS + $2))
  while kill -0 "$pid" 2>/dev/null; do
    # A zombie child of ours (we started it in this shell) counts as gone.
    [[ "$(ps -o stat= -p "$pid" 2>/dev/null)" == Z* ]] && return 0
    ((SECONDS < deadline)) || return 1
    sleep 0.1
  done
}

# adv_stop_pid PID NAME TIMEOUT_SECONDS: SIGTERM, wait, then SIGKILL.
adv_stop_pid() {
  local pid="$1" name="$2" timeout="$3"
  kill -TERM "$pid" 2>/dev/null || return 0
  if ! adv_wait_gone "$pid" "$timeout"; then
    adv_warn "$name (pid $pid) did not stop within ${timeout}s after SIGTERM; sending SIGKILL"
    kill -KILL "$pid" 2>/dev/null || true
    adv_wait_gone "$pid" 10 || adv_die "$name (pid $pid) survived SIGKILL; inspect it with 'ps -o pid,stat,cmd -p $pid'"
  fi
}

# adv_rotate_log FILE: keeps the previous run's log as FILE.1.
adv_rotate_log() {
  if [[ -s "$1" ]]; then
    mv -f "$1" "$1.1"
  fi
  : >"$1"
}

# ------------------------------------------------------------------- tools --
# adv_java: prints the java binary to use (JAVA_HOME first), which must be 17+.
adv_java() {
  local java="java" version
  if [[ -n "${JAVA_HOME:-}" && -x "$JAVA_HOME/bin/java" ]]; then
    java="$JAVA_HOME/bin/java"
  fi
  command -v "$java" >/dev/null 2>&1 || adv_die "java not found; run deploy/local/install.sh (installs default-jre-headless)"
  version="$("$java" -version 2>&1 | sed -n 's/.* version "\([0-9]*\).*/\1/p' | head -n1)"
  if [[ -z "$version" || "$version" -lt 17 ]]; then
    adv_die "Kafka 4 needs Java 17 or newer but '$java' is version '${version:-unknown}'; set JAVA_HOME to a JDK/JRE 17+"
  fi
  printf '%s\n' "$java"
}

# adv_load_stack_env: sources $ADVOCACY_HOME/stack.env when it exists.
adv_load_stack_env() {
  if [[ -f "$ADVOCACY_STACK_ENV" ]]; then
    # shellcheck disable=SC1090
    source "$ADVOCACY_STACK_ENV"
  fi
}

# ------------------------------------------------------------------- kafka --
# adv_kafka_env PRINCIPAL: the Kafka security variables (VAR=VALUE, one a line) with which a
# process talks to the stack's broker as PRINCIPAL (consent, content, courses, notifications,
# admin): TLS with PRINCIPAL's client certificate when the stack runs with security (the default
# of stack.sh), plaintext when it runs with ADVOCACY_KAFKA_SECURITY=off. Needs stack.env loaded.
# Every service runs as itself; scripts and tools that play no service use the admin.
adv_kafka_env() {
  if [[ "${ADVOCACY_KAFKA_SECURITY:-off}" != on ]]; then
    echo "ADVOCACY_KAFKA_SECURITY_PROTOCOL=PLAINTEXT"
    return 0
  fi
  [[ -n "${ADVOCACY_KAFKA_CREDENTIALS_DIR:-}" && -s "$ADVOCACY_KAFKA_CREDENTIALS_DIR/$1.pem" ]] ||
    adv_die "no Kafka client certificate for '$1' in '${ADVOCACY_KAFKA_CREDENTIALS_DIR:-}'; is stack.env loaded and the stack up?"
  printf '%s\n' "ADVOCACY_KAFKA_SECURITY_PROTOCOL=$ADVOCACY_KAFKA_SECURITY_PROTOCOL" \
    "ADVOCACY_KAFKA_SSL_CA_FILE=$ADVOCACY_KAFKA_SSL_CA_FILE" \
    "ADVOCACY_KAFKA_SSL_CERT_FILE=$ADVOCACY_KAFKA_CREDENTIALS_DIR/$1.pem" \
    "ADVOCACY_KAFKA_SSL_KEY_FILE=$ADVOCACY_KAFKA_CREDENTIALS_DIR/$1.key"
}

# adv_grpc_tls_env SERVICE: the gRPC TLS variables (VAR=VALUE, one a line) with which a service of
# the local stack serves: its own certificate of $ADVOCACY_GRPC_TLS_DIR (also the client
# certificate of its outgoing channels), client certificates of the stack CA required (mutual
# TLS), servers checked against the same CA. Needs stack.env loaded (stack.sh up issues them).
adv_grpc_tls_env() {
  [[ -n "${ADVOCACY_GRPC_TLS_DIR:-}" && -s "$ADVOCACY_GRPC_TLS_DIR/$1.pem" ]] ||
    adv_die "no gRPC certificate for '$1' in '${ADVOCACY_GRPC_TLS_DIR:-}'; is stack.env loaded and the stack up?"
  printf '%s\n' "ADVOCACY_GRPC_TLS=on" \
    "ADVOCACY_GRPC_TLS_CERT_FILE=$ADVOCACY_GRPC_TLS_DIR/$1.pem" \
    "ADVOCACY_GRPC_TLS_KEY_FILE=$ADVOCACY_GRPC_TLS_DIR/$1.key" \
    "ADVOCACY_GRPC_TLS_CLIENT_CA_FILE=$ADVOCACY_GRPC_TLS_CA_FILE" \
    "ADVOCACY_GRPC_TLS_CLIENT_AUTH=require" \
    "ADVOCACY_GRPC_TLS_CA_FILE=$ADVOCACY_GRPC_TLS_CA_FILE"
}

# adv_kcat ARGS...: kcat against the stack's broker as the admin (-F with the admin's settings
# when the stack runs with security). The caller gives -b.
adv_kcat() {
  if [[ "${ADVOCACY_KAFKA_SECURITY:-off}" == on ]]; then
    kcat -F "$ADVOCACY_KAFKA_ADMIN_KCAT_CONFIG" "$@"
  else
    kcat "$@"
  fi
}

# ------------------------------------------------------------------- redis --
# adv_redis_env USER: the Redis variables (VAR=VALUE, one a line) with which a process talks to the
# stack's Redis as USER (consent, content, courses, notifications, admin): its ACL user name and
# password file when the stack runs with ACLs (the default of stack.sh), nothing when it runs with
# ADVOCACY_REDIS_ACL=off; with ADVOCACY_REDIS_TLS=on (rediss://) also the TLS files (CA, client
# certificate and key). ADVOCACY_REDIS_URL (the endpoint; with TLS on, the local TLS client
# proxy; native: rediss://) comes from stack.env. Needs stack.env loaded. Every service runs as itself; scripts and
# tools that play no service use the admin.
adv_redis_env() {
  if [[ "${ADVOCACY_REDIS_TLS:-off}" == on ]]; then
    # rediss://: the stack's CA checks the server, the stack's client certificate is shown.
    printf '%s\n' "ADVOCACY_REDIS_TLS_CA_FILE=${ADVOCACY_REDIS_TLS_CA_FILE:-}" \
      "ADVOCACY_REDIS_TLS_CERT_FILE=${ADVOCACY_REDIS_TLS_CERT_FILE:-}" \
      "ADVOCACY_REDIS_TLS_KEY_FILE=${ADVOCACY_REDIS_TLS_KEY_FILE:-}"
  fi
  [[ "${ADVOCACY_REDIS_ACL:-off}" == on ]] || return 0
  [[ -n "${ADVOCACY_REDIS_CREDENTIALS_DIR:-}" && -s "$ADVOCACY_REDIS_CREDENTIALS_DIR/$1.password" ]] ||
    adv_die "no Redis password for '$1' in '${ADVOCACY_REDIS_CREDENTIALS_DIR:-}'; is stack.env loaded and the stack up?"
  printf '%s\n' "ADVOCACY_REDIS_USERNAME=$1" \
    "ADVOCACY_REDIS_PASSWORD_FILE=$ADVOCACY_REDIS_CREDENTIALS_DIR/$1.password"
}

# adv_redis_cli ARGS...: redis-cli against the stack's Redis endpoint as the admin (the password
# through REDISCLI_AUTH, never on the command line). The caller gives no -h/-p.
adv_redis_cli() {
  if [[ "${ADVOCACY_REDIS_ACL:-off}" == on ]]; then
    REDISCLI_AUTH="$(cat "$ADVOCACY_REDIS_CREDENTIALS_DIR/admin.password")" \
      redis-cli --user admin -h 127.0.0.1 -p "$ADVOCACY_REDIS_PORT" "$@"
  else
    redis-cli -h 127.0.0.1 -p "$ADVOCACY_REDIS_PORT" "$@"
  fi
}

# adv_redis_benchmark ARGS...: redis-benchmark against the stack's Redis endpoint as the admin.
# redis-benchmark takes the password only on its command line (-a), visible to this machine's
# users in ps for the run: local benchmarks only, never against a shared Redis.
adv_redis_benchmark() {
  if [[ "${ADVOCACY_REDIS_ACL:-off}" == on ]]; then
    redis-benchmark -h 127.0.0.1 -p "$ADVOCACY_REDIS_PORT" --user admin \
      -a "$(cat "$ADVOCACY_REDIS_CREDENTIALS_DIR/admin.password")" "$@"
  else
    redis-benchmark -h 127.0.0.1 -p "$ADVOCACY_REDIS_PORT" "$@"
  fi
}
