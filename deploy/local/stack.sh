#!/usr/bin/env bash
# Starts and stops the real Redis, single-node Kafka (KRaft) and OpenID provider
# (oidc-provider) that the services and tests use, on free loopback ports, with
# everything under $ADVOCACY_HOME. See deploy/local/README.md.
set -euo pipefail

# shellcheck source=deploy/local/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

usage() {
  cat <<'EOF'
usage: deploy/local/stack.sh COMMAND

  up                  start Redis, Kafka and the OpenID provider (if not running),
                      wait until all answer, issue the gRPC TLS certificates,
                      write $ADVOCACY_HOME/stack.env
  down                stop them (SIGTERM, SIGKILL after a timeout), keep data
  reset               down, then delete their data, the client keys, the gRPC
                      certificates and stack.env (the stack CA and the OpenID
                      provider's signing keys and client secrets stay)
  status              print what runs where; exit 0 only if all answer
  redis start|stop|kill|restart
  kafka start|stop|kill|restart
  oidc start|stop|kill|restart
                      one service, for fault-injection tests: kill = SIGKILL,
                      start/restart reuse the ports and data of the last run
                      (redis: the redis-server process only; its TLS proxies
                      stay up, as a sidecar outlives a Redis failover)
  oidc keys add|retire
                      rotate the provider's RS256 signing keys: add = a new key
                      signs from now on, the old ones stay in the JWKS;
                      retire = only the newest key stays. Restarts the provider

environment:
  ADVOCACY_HOME                      run-time root (default <repo>/.local)
  ADVOCACY_KAFKA_AUTO_CREATE_TOPICS  true|false (default false, as production);
                                     remembered in stack.env until reset
  ADVOCACY_KAFKA_SECURITY            on|off (default on): on = TLS with client
                                     certificates (a local CA; one principal per
                                     service and the admin), StandardAuthorizer, the
                                     ACLs of deploy/k8s/base/kafka-topics/acls.conf;
                                     off = plaintext, no authentication (for
                                     comparisons). Remembered until reset
  ADVOCACY_REDIS_ACL                 on|off (default on): on = one Redis ACL user per
                                     service (its own keys, the commands it needs)
                                     and an admin; the default user is off; random
                                     passwords in files under $ADVOCACY_HOME/redis-auth.
                                     off = no authentication. Remembered until reset
  ADVOCACY_REDIS_TLS                 on|proxy|off (default on): on = redis-server's own TLS
                                     port (client certificates of the local CA) and
                                     the services' own TLS (ADVOCACY_REDIS_URL
                                     rediss://...), plus a plaintext loopback admin
                                     port for scripts; proxy = redis-server on a unix
                                     socket only, behind a stunnel TLS server, and the
                                     services connect to a local stunnel client at
                                     ADVOCACY_REDIS_URL (for clients without TLS);
                                     off = redis-server on ADVOCACY_REDIS_URL itself.
                                     Remembered until reset
  ADVOCACY_KAFKA_PARTITIONS          partitions of the topics created at the first
                                     start (default 6, as the services)
  ADVOCACY_KAFKA_HEAP_OPTS           default "-Xms256m -Xmx768m"
  ADVOCACY_OIDC_TOKEN_TTL_SECONDS    access-token lifetime of the OpenID provider
                                     (default 600)
  ADVOCACY_REDIS_START_TIMEOUT / ADVOCACY_KAFKA_START_TIMEOUT / ADVOCACY_OIDC_START_TIMEOUT
                                     seconds (20 / 120 / 30)
EOF
}

RUN_DIR="$ADVOCACY_HOME/run"
LOG_DIR="$ADVOCACY_HOME/logs"
REDIS_DIR="$ADVOCACY_HOME/redis"
REDIS_LOG="$LOG_DIR/redis.log"
REDIS_PIDFILE="$RUN_DIR/redis.pid"
# Redis security. ACLs (ADVOCACY_REDIS_ACL=on): one user per service, an admin for scripts and
# tests, the default user off; the passwords are random per stack (new after a reset), one file a
# user (0600) in $REDIS_AUTH_DIR, and redis-server reads only their SHA-256 from the ACL file.
# TLS (ADVOCACY_REDIS_TLS=on, the default): redis-server's own TLS port, a client certificate of the
# stack's CA required; the services speak TLS themselves (services/common redis_transport: OpenSSL
# with hiredis' reply reader) to ADVOCACY_REDIS_URL=rediss://127.0.0.1:$REDIS_TLS_PORT. Scripts and
# the bench baselines use the plaintext admin port 127.0.0.1:$REDIS_PORT (loopback only, ACL users
# as everywhere: the same exposure as the stunnel client's port below).
# TLS (ADVOCACY_REDIS_TLS=proxy): for clients without TLS of their own, stunnel4 carries it:
# redis-server listens on a unix socket only (0700 directory), a stunnel TLS server in front of
# it takes clients with a certificate of the stack's CA (the Kafka CA under $KAFKA_TLS_DIR, one
# CA for the stack) on 127.0.0.1:$REDIS_TLS_PORT, and a local stunnel client (a pod's sidecar in
# Kubernetes) gives the services a plain endpoint on 127.0.0.1:$REDIS_PORT that it carries over
# TLS, checking the server's certificate.
REDIS_AUTH_DIR="$ADVOCACY_HOME/redis-auth"
REDIS_ACL_FILE="$REDIS_AUTH_DIR/users.acl"
REDIS_TLS_DIR="$ADVOCACY_HOME/redis-tls"
REDIS_SOCKET_DIR="$RUN_DIR/redis-socket"
REDIS_SOCKET="$REDIS_SOCKET_DIR/redis.sock"
REDIS_PROXY_SERVER_CONF="$REDIS_TLS_DIR/stunnel-server.conf"
REDIS_PROXY_CLIENT_CONF="$REDIS_TLS_DIR/stunnel-client.conf"
REDIS_PROXY_SERVER_PIDFILE="$RUN_DIR/redis-tls-server.pid"
REDIS_PROXY_CLIENT_PIDFILE="$RUN_DIR/redis-tls-client.pid"
REDIS_PROXY_SERVER_LOG="$LOG_DIR/redis-tls-server.log"
REDIS_PROXY_CLIENT_LOG="$LOG_DIR/redis-tls-client.log"
REDIS_ADMIN_USER=admin
REDIS_SERVICE_USERS=(consent content courses notifications)
KAFKA_BASE="$ADVOCACY_HOME/kafka"
KAFKA_LIB="$KAFKA_BASE/lib"
KAFKA_DIR="$KAFKA_BASE/data"
KAFKA_CONFIG="$KAFKA_BASE/server.properties"
KAFKA_LOG="$LOG_DIR/kafka.log"     # log4j2 output
KAFKA_OUT="$LOG_DIR/kafka.out"     # JVM stdout/stderr (crashes, StorageTool)
KAFKA_PIDFILE="$RUN_DIR/kafka.pid"
KAFKA_LOG4J="$ADVOCACY_REPO/deploy/local/kafka/log4j2.xml"
# Security (ADVOCACY_KAFKA_SECURITY=on): the local CA and the broker's certificate are kept
# across resets (reused when present); the principals' keys and certificates are new with every
# stack (reset deletes them). Clients authenticate with TLS client certificates, not SCRAM:
# Debian 12's librdkafka 2.0.2 has the SCRAM nonce bug fixed in librdkafka 2.6.1, and Kafka 4
# refuses its SCRAM proofs (docs/SECURITY.md, "Kafka").
KAFKA_TLS_DIR="$KAFKA_BASE/tls"
KAFKA_CREDENTIALS_DIR="$KAFKA_BASE/credentials"
KAFKA_ADMIN_JAVA_CONFIG="$KAFKA_CREDENTIALS_DIR/admin.properties"   # Java tools (--command-config)
KAFKA_ADMIN_KCAT_CONFIG="$KAFKA_CREDENTIALS_DIR/admin.librdkafka.conf" # kcat -F
KAFKA_SETUP="$ADVOCACY_REPO/deploy/local/kafka/KafkaSetup.java"
KAFKA_TOPICS_FILE="$ADVOCACY_REPO/deploy/k8s/base/kafka-topics/topics.conf"
KAFKA_ACLS_FILE="$ADVOCACY_REPO/deploy/k8s/base/kafka-topics/acls.conf"
KAFKA_SETUP_DONE="$KAFKA_DIR/advocacy-setup.done"   # topics and ACLs applied to this storage
KAFKA_SECURITY_MARK="$KAFKA_DIR/advocacy-security"  # what the storage was set up for
# The broker (its own listeners and controller) and the scripts' admin are the only super users;
# every service has a principal of its own (User:<CN of its certificate>).
KAFKA_BROKER_USER=kafka-broker
KAFKA_ADMIN_USER=admin
KAFKA_SERVICE_USERS=(consent content courses notifications)

# The OpenID provider (deploy/local/oidc): the app (oidc-provider installed by install.sh, with
# provider.mjs and clients.json copied in at every start), its RS256 signing keys (a private
# JWKS, kept across resets, rotated with 'oidc keys'), one secret file per confidential client
# (kept across resets), its https certificate (issued by the local CA of $KAFKA_TLS_DIR, the one
# stack CA) and the issuers file the services read (ADVOCACY_AUTH_ISSUERS_FILE).
OIDC_APP="$ADVOCACY_HOME/oidc-provider"
OIDC_BASE="$ADVOCACY_HOME/oidc"
OIDC_CONFIG="$OIDC_BASE/config.json"
OIDC_KEYS="$OIDC_BASE/signing-keys.json"
OIDC_SECRETS_DIR="$OIDC_BASE/secrets"
OIDC_TLS_DIR="$OIDC_BASE/tls"
OIDC_ISSUERS_FILE="$OIDC_BASE/issuers.json"
OIDC_LOG="$LOG_DIR/oidc.log"
OIDC_PIDFILE="$RUN_DIR/oidc.pid"
OIDC_CLIENTS_FILE="$ADVOCACY_REPO/deploy/local/oidc/clients.json"
OIDC_TOKEN_TTL="${ADVOCACY_OIDC_TOKEN_TTL_SECONDS:-600}"
OIDC_START_TIMEOUT="${ADVOCACY_OIDC_START_TIMEOUT:-30}"
OIDC_STOP_TIMEOUT=10

# gRPC TLS (always on; a service runs plaintext only with ADVOCACY_GRPC_TLS=off): one certificate
# per service (CN=<service>, DNS:localhost and IP:127.0.0.1, serverAuth and clientAuth: it serves
# and it is the client certificate of its outgoing channels) and the client certificates
# advocacy-ops (advocacyctl, run.sh) and advocacy-it (the integration tests), issued by the stack
# CA of $KAFKA_TLS_DIR into $GRPC_TLS_DIR (0700, keys 0600). Like the Kafka principals' keys they
# are new with every stack (reset deletes them); the CA stays.
GRPC_TLS_DIR="$ADVOCACY_HOME/grpc-tls"
GRPC_TLS_SERVICES=(consent content courses notifications gateway)
GRPC_TLS_CLIENTS=(advocacy-ops advocacy-it)

# The web app's front (what an Ingress with TLS is in a cluster): stunnel4 serving https on
# 127.0.0.1:$WEB_PORT with a certificate of the stack CA for localhost, carrying each connection to
# the gateway's plain-HTTP port 127.0.0.1:$GATEWAY_HTTP_PORT. The stack reserves both ports and
# starts the front; whoever runs the gateway (run.sh, the tests) listens on GATEWAY_HTTP_PORT with
# GATEWAY_PUBLIC_URL=$ADVOCACY_WEB_URL, which is also the OpenID provider's registered redirect
# (<web URL>/auth/callback) for the web app's client. Browsers that trust the stack CA
# (ADVOCACY_WEB_CA_FILE) see a normal https site: Secure cookies, HSTS.
WEB_TLS_DIR="$ADVOCACY_HOME/web-tls"
WEB_PROXY_CONF="$WEB_TLS_DIR/stunnel-web.conf"

REDIS_START_TIMEOUT="${ADVOCACY_REDIS_START_TIMEOUT:-20}"
# 120 s: with TLS on every listener the JVM start on a loaded 2-core machine took over 60 s.
KAFKA_START_TIMEOUT="${ADVOCACY_KAFKA_START_TIMEOUT:-120}"
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
OIDC_PORT="$(env_get ADVOCACY_OIDC_PORT)"
WEB_PORT="$(env_get ADVOCACY_WEB_PORT)"
GATEWAY_HTTP_PORT="$(env_get ADVOCACY_GATEWAY_HTTP_PORT)"
KAFKA_AUTO_CREATE="${ADVOCACY_KAFKA_AUTO_CREATE_TOPICS:-$(env_get ADVOCACY_KAFKA_AUTO_CREATE_TOPICS)}"
KAFKA_AUTO_CREATE="${KAFKA_AUTO_CREATE:-false}"
case "$KAFKA_AUTO_CREATE" in
  true | false) ;;
  *) adv_die "ADVOCACY_KAFKA_AUTO_CREATE_TOPICS must be 'true' or 'false', not '$KAFKA_AUTO_CREATE'" ;;
esac
KAFKA_SECURITY="${ADVOCACY_KAFKA_SECURITY:-$(env_get ADVOCACY_KAFKA_SECURITY)}"
KAFKA_SECURITY="${KAFKA_SECURITY:-on}"
case "$KAFKA_SECURITY" in
  on | off) ;;
  *) adv_die "ADVOCACY_KAFKA_SECURITY must be 'on' or 'off', not '$KAFKA_SECURITY'" ;;
esac
KAFKA_PARTITIONS="${ADVOCACY_KAFKA_PARTITIONS:-6}"
REDIS_TLS_PORT="$(env_get ADVOCACY_REDIS_TLS_PORT)"
REDIS_ACL="${ADVOCACY_REDIS_ACL:-$(env_get ADVOCACY_REDIS_ACL)}"
REDIS_ACL="${REDIS_ACL:-on}"
REDIS_TLS="${ADVOCACY_REDIS_TLS:-$(env_get ADVOCACY_REDIS_TLS)}"
REDIS_TLS="${REDIS_TLS:-on}"
case "$REDIS_ACL" in
  on | off) ;;
  *) adv_die "ADVOCACY_REDIS_ACL must be 'on' or 'off', not '$REDIS_ACL'" ;;
esac
case "$REDIS_TLS" in
  on | proxy | off) ;;
  *) adv_die "ADVOCACY_REDIS_TLS must be 'on', 'proxy' or 'off', not '$REDIS_TLS'" ;;
esac

redis_pid() {
  local pid
  pid="$(cat "$REDIS_PIDFILE" 2>/dev/null || true)"
  if adv_pid_matches "$pid" "redis-server"; then
    printf '%s\n' "$pid"
  fi
}

# redis_proxy_pid server|client: the pid of that stunnel, empty when it does not run.
redis_proxy_pid() {
  local pidfile="$REDIS_PROXY_SERVER_PIDFILE" conf="$REDIS_PROXY_SERVER_CONF" pid
  if [[ "$1" == client ]]; then
    pidfile="$REDIS_PROXY_CLIENT_PIDFILE"
    conf="$REDIS_PROXY_CLIENT_CONF"
  fi
  pid="$(cat "$pidfile" 2>/dev/null || true)"
  if adv_pid_matches "$pid" "stunnel4 $conf"; then
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
  local tmp="$ADVOCACY_STACK_ENV.tmp.$$" rpid kpid opid
  rpid="$(redis_pid)"
  kpid="$(kafka_pid)"
  opid="$(oidc_pid)"
  {
    echo "# Written by deploy/local/stack.sh; regenerated on every start/stop."
    echo "# Use: source \"$ADVOCACY_STACK_ENV\"  (variables are exported)."
    echo "# A *_PID is empty while that server is stopped."
    echo "ADVOCACY_HOME=$(printf '%q' "$ADVOCACY_HOME")"
    if [[ "$REDIS_TLS" == on ]]; then
      echo "ADVOCACY_REDIS_URL=${REDIS_TLS_PORT:+rediss://127.0.0.1:$REDIS_TLS_PORT}"
    else
      echo "ADVOCACY_REDIS_URL=${REDIS_PORT:+redis://127.0.0.1:$REDIS_PORT}"
    fi
    echo "ADVOCACY_REDIS_PORT=$REDIS_PORT"
    echo "ADVOCACY_REDIS_PID=$rpid"
    echo "ADVOCACY_REDIS_DIR=$(printf '%q' "$REDIS_DIR")"
    echo "ADVOCACY_REDIS_LOG=$(printf '%q' "$REDIS_LOG")"
    echo "# Redis security: file paths only, never a secret. A client picks its ACL user:"
    echo "# ADVOCACY_REDIS_USERNAME=<name> and" \
      "ADVOCACY_REDIS_PASSWORD_FILE=\$ADVOCACY_REDIS_CREDENTIALS_DIR/<name>.password (consent," \
      "content, courses, notifications, admin). With TLS on, ADVOCACY_REDIS_URL is redis-server's" \
      "TLS port (rediss://, client certificate below) and ADVOCACY_REDIS_PORT its plaintext" \
      "loopback admin port. With TLS proxy, ADVOCACY_REDIS_URL is the local TLS client proxy;" \
      "redis-server itself listens on ADVOCACY_REDIS_SOCKET only."
    echo "ADVOCACY_REDIS_ACL=$REDIS_ACL"
    echo "ADVOCACY_REDIS_TLS=$REDIS_TLS"
    if [[ "$REDIS_ACL" == on ]]; then
      echo "ADVOCACY_REDIS_CREDENTIALS_DIR=$(printf '%q' "$REDIS_AUTH_DIR")"
    else
      echo "ADVOCACY_REDIS_CREDENTIALS_DIR="
    fi
    if [[ "$REDIS_TLS" != off ]]; then
      echo "ADVOCACY_REDIS_TLS_PORT=$REDIS_TLS_PORT"
      echo "ADVOCACY_REDIS_TLS_DIR=$(printf '%q' "$REDIS_TLS_DIR")"
      echo "ADVOCACY_REDIS_TLS_CA_FILE=$(printf '%q' "$KAFKA_TLS_DIR/ca.pem")"
    else
      echo "ADVOCACY_REDIS_TLS_PORT="
      echo "ADVOCACY_REDIS_TLS_DIR="
      echo "ADVOCACY_REDIS_TLS_CA_FILE="
    fi
    if [[ "$REDIS_TLS" == proxy ]]; then
      echo "ADVOCACY_REDIS_SOCKET=$(printf '%q' "$REDIS_SOCKET")"
      echo "ADVOCACY_REDIS_TLS_SERVER_PID=$(redis_proxy_pid server)"
      echo "ADVOCACY_REDIS_TLS_CLIENT_PID=$(redis_proxy_pid client)"
    else
      echo "ADVOCACY_REDIS_SOCKET="
      echo "ADVOCACY_REDIS_TLS_SERVER_PID="
      echo "ADVOCACY_REDIS_TLS_CLIENT_PID="
    fi
    if [[ "$REDIS_TLS" == on ]]; then
      echo "ADVOCACY_REDIS_TLS_CERT_FILE=$(printf '%q' "$REDIS_TLS_DIR/redis-client.pem")"
      echo "ADVOCACY_REDIS_TLS_KEY_FILE=$(printf '%q' "$REDIS_TLS_DIR/redis-client.key")"
    else
      echo "ADVOCACY_REDIS_TLS_CERT_FILE="
      echo "ADVOCACY_REDIS_TLS_KEY_FILE="
    fi
    echo "ADVOCACY_KAFKA_BROKERS=${KAFKA_PORT:+127.0.0.1:$KAFKA_PORT}"
    echo "ADVOCACY_KAFKA_PORT=$KAFKA_PORT"
    echo "ADVOCACY_KAFKA_CONTROLLER_PORT=$KAFKA_CONTROLLER_PORT"
    echo "ADVOCACY_KAFKA_PID=$kpid"
    echo "ADVOCACY_KAFKA_DIR=$(printf '%q' "$KAFKA_DIR")"
    echo "ADVOCACY_KAFKA_LOG=$(printf '%q' "$KAFKA_LOG")"
    echo "ADVOCACY_KAFKA_AUTO_CREATE_TOPICS=$KAFKA_AUTO_CREATE"
    echo "# Kafka security: file paths only, never a secret. A client picks its principal:"
    echo "# ADVOCACY_KAFKA_SSL_CERT_FILE=\$ADVOCACY_KAFKA_CREDENTIALS_DIR/<name>.pem and" \
      "ADVOCACY_KAFKA_SSL_KEY_FILE=\$ADVOCACY_KAFKA_CREDENTIALS_DIR/<name>.key (consent," \
      "content, courses, notifications, admin)."
    echo "ADVOCACY_KAFKA_SECURITY=$KAFKA_SECURITY"
    if [[ "$KAFKA_SECURITY" == on ]]; then
      echo "ADVOCACY_KAFKA_SECURITY_PROTOCOL=SSL"
      echo "ADVOCACY_KAFKA_SSL_CA_FILE=$(printf '%q' "$KAFKA_TLS_DIR/ca.pem")"
      echo "ADVOCACY_KAFKA_CREDENTIALS_DIR=$(printf '%q' "$KAFKA_CREDENTIALS_DIR")"
      echo "ADVOCACY_KAFKA_ADMIN_JAVA_CONFIG=$(printf '%q' "$KAFKA_ADMIN_JAVA_CONFIG")"
      echo "ADVOCACY_KAFKA_ADMIN_KCAT_CONFIG=$(printf '%q' "$KAFKA_ADMIN_KCAT_CONFIG")"
    else
      echo "ADVOCACY_KAFKA_SECURITY_PROTOCOL=PLAINTEXT"
      echo "ADVOCACY_KAFKA_SSL_CA_FILE="
      echo "ADVOCACY_KAFKA_CREDENTIALS_DIR="
      echo "ADVOCACY_KAFKA_ADMIN_JAVA_CONFIG="
      echo "ADVOCACY_KAFKA_ADMIN_KCAT_CONFIG="
    fi
    echo "# The OpenID provider: issuer, token endpoint, its CA, the issuers file for the services"
    echo "# and one client secret FILE per confidential client (<client_id>.secret), never a secret."
    echo "ADVOCACY_OIDC_PORT=$OIDC_PORT"
    echo "ADVOCACY_OIDC_PID=$opid"
    echo "ADVOCACY_OIDC_ISSUER=${OIDC_PORT:+https://127.0.0.1:$OIDC_PORT}"
    echo "ADVOCACY_OIDC_TOKEN_URL=${OIDC_PORT:+https://127.0.0.1:$OIDC_PORT/token}"
    echo "ADVOCACY_OIDC_CA_FILE=$(printf '%q' "$KAFKA_TLS_DIR/ca.pem")"
    echo "ADVOCACY_OIDC_ISSUERS_FILE=$(printf '%q' "$OIDC_ISSUERS_FILE")"
    echo "ADVOCACY_OIDC_SECRETS_DIR=$(printf '%q' "$OIDC_SECRETS_DIR")"
    echo "ADVOCACY_OIDC_KEYS_FILE=$(printf '%q' "$OIDC_KEYS")"
    echo "ADVOCACY_OIDC_LOG=$(printf '%q' "$OIDC_LOG")"
    echo "# gRPC TLS: <name>.pem and <name>.key per service (consent, content, courses,"
    echo "# notifications) and client (advocacy-ops, advocacy-it) in ADVOCACY_GRPC_TLS_DIR; the CA"
    echo "# that signs them all (servers and clients) is ADVOCACY_GRPC_TLS_CA_FILE."
    echo "ADVOCACY_GRPC_TLS_DIR=$(printf '%q' "$GRPC_TLS_DIR")"
    echo "ADVOCACY_GRPC_TLS_CA_FILE=$(printf '%q' "$KAFKA_TLS_DIR/ca.pem")"
    echo "# The web app: browsers use ADVOCACY_WEB_URL (the https front, trusting"
    echo "# ADVOCACY_WEB_CA_FILE); the gateway listens on 127.0.0.1:ADVOCACY_GATEWAY_HTTP_PORT."
    echo "ADVOCACY_WEB_PORT=$WEB_PORT"
    echo "ADVOCACY_WEB_URL=${WEB_PORT:+https://localhost:$WEB_PORT}"
    echo "ADVOCACY_WEB_CA_FILE=$(printf '%q' "$KAFKA_TLS_DIR/ca.pem")"
    echo "ADVOCACY_WEB_PID=$(web_pid)"
    echo "ADVOCACY_GATEWAY_HTTP_PORT=$GATEWAY_HTTP_PORT"
    echo "export ADVOCACY_HOME ADVOCACY_REDIS_URL ADVOCACY_REDIS_PORT ADVOCACY_REDIS_PID" \
      "ADVOCACY_REDIS_DIR ADVOCACY_REDIS_LOG ADVOCACY_REDIS_ACL ADVOCACY_REDIS_TLS" \
      "ADVOCACY_REDIS_CREDENTIALS_DIR ADVOCACY_REDIS_TLS_PORT ADVOCACY_REDIS_SOCKET" \
      "ADVOCACY_REDIS_TLS_DIR ADVOCACY_REDIS_TLS_CA_FILE ADVOCACY_REDIS_TLS_SERVER_PID" \
      "ADVOCACY_REDIS_TLS_CLIENT_PID ADVOCACY_REDIS_TLS_CERT_FILE ADVOCACY_REDIS_TLS_KEY_FILE" \
      "ADVOCACY_KAFKA_BROKERS ADVOCACY_KAFKA_PORT" \
      "ADVOCACY_KAFKA_CONTROLLER_PORT ADVOCACY_KAFKA_PID ADVOCACY_KAFKA_DIR ADVOCACY_KAFKA_LOG" \
      "ADVOCACY_KAFKA_AUTO_CREATE_TOPICS ADVOCACY_KAFKA_SECURITY ADVOCACY_KAFKA_SECURITY_PROTOCOL" \
      "ADVOCACY_KAFKA_SSL_CA_FILE ADVOCACY_KAFKA_CREDENTIALS_DIR" \
      "ADVOCACY_KAFKA_ADMIN_JAVA_CONFIG ADVOCACY_KAFKA_ADMIN_KCAT_CONFIG" \
      "ADVOCACY_OIDC_PORT ADVOCACY_OIDC_PID ADVOCACY_OIDC_ISSUER ADVOCACY_OIDC_TOKEN_URL" \
      "ADVOCACY_OIDC_CA_FILE ADVOCACY_OIDC_ISSUERS_FILE ADVOCACY_OIDC_SECRETS_DIR" \
      "ADVOCACY_OIDC_KEYS_FILE ADVOCACY_OIDC_LOG ADVOCACY_GRPC_TLS_DIR ADVOCACY_GRPC_TLS_CA_FILE" \
      "ADVOCACY_WEB_PORT ADVOCACY_WEB_URL ADVOCACY_WEB_CA_FILE ADVOCACY_WEB_PID" \
      "ADVOCACY_GATEWAY_HTTP_PORT"
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
  adv_free_ports "$count" $REDIS_PORT $REDIS_TLS_PORT $KAFKA_PORT $KAFKA_CONTROLLER_PORT $OIDC_PORT \
    $WEB_PORT $GATEWAY_HTTP_PORT
}

# ------------------------------------------------------------------ redis --
REDIS_ACL_RULES="$ADVOCACY_REPO/deploy/redis/acl-rules.conf"

# redis_cli_admin WHERE ARGS...: redis-cli as the admin (when ACLs are on; the password through
# REDISCLI_AUTH, never on the command line) to redis-server itself (WHERE=server: its unix socket
# with TLS proxy) or to the address the services use (WHERE=endpoint: redis-server's TLS port with
# TLS on, through both TLS proxies with TLS proxy).
redis_cli_admin() {
  local where="$1"
  shift
  local -a to=(-h 127.0.0.1 -p "$REDIS_PORT")
  [[ "$where" == server && "$REDIS_TLS" == proxy ]] && to=(-s "$REDIS_SOCKET")
  [[ "$where" == endpoint && "$REDIS_TLS" == on ]] &&
    to=(--tls --cacert "$KAFKA_TLS_DIR/ca.pem" --cert "$REDIS_TLS_DIR/redis-client.pem"
      --key "$REDIS_TLS_DIR/redis-client.key" -h 127.0.0.1 -p "$REDIS_TLS_PORT")
  if [[ "$REDIS_ACL" == on ]]; then
    REDISCLI_AUTH="$(cat "$REDIS_AUTH_DIR/$REDIS_ADMIN_USER.password")" \
      timeout 5 redis-cli --user "$REDIS_ADMIN_USER" "${to[@]}" "$@"
  else
    timeout 5 redis-cli "${to[@]}" "$@"
  fi
}

redis_ping() {
  [[ "$(redis_cli_admin server ping 2>/dev/null)" == "PONG" ]]
}

# redis_endpoint_ping: PONG through the path the services take (with TLS on: TLS to redis-server's
# TLS port with the stack's client certificate; with TLS proxy: the client proxy,
# TLS, the server proxy, the socket).
redis_endpoint_ping() {
  [[ "$(redis_cli_admin endpoint ping 2>/dev/null)" == "PONG" ]]
}

redis_prereqs() {
  command -v redis-server >/dev/null || adv_die "redis-server not found; run deploy/local/install.sh"
  command -v redis-cli >/dev/null || adv_die "redis-cli not found; run deploy/local/install.sh"
  if [[ "$REDIS_TLS" == proxy ]]; then
    command -v stunnel4 >/dev/null ||
      adv_die "stunnel4 not found (TLS to Redis); run deploy/local/install.sh, or set ADVOCACY_REDIS_TLS=off"
  fi
  if [[ "$REDIS_TLS" != off || "$REDIS_ACL" == on ]]; then
    command -v openssl >/dev/null || adv_die "openssl not found; run deploy/local/install.sh"
  fi
}

# redis_acl: a random password per user (kept until reset) and redis-server's ACL file (0600):
# every line of deploy/redis/acl-rules.conf, "default" as it is there (off, no password), the
# others with "on #<sha256>".
redis_acl() {
  local d="$REDIS_AUTH_DIR" user rules tmp
  mkdir -p "$d"
  chmod 700 "$d"
  tmp="$REDIS_ACL_FILE.tmp.$$"
  (umask 077 && : >"$tmp")
  while read -r user rules; do
    [[ -z "$user" || "$user" == \#* ]] && continue
    if [[ "$user" == default ]]; then
      printf 'user default %s\n' "$rules" >>"$tmp"
      continue
    fi
    if [[ ! -s "$d/$user.password" ]]; then
      (umask 077 && openssl rand -hex 32 >"$d/$user.password") ||
        adv_die "openssl could not create a password in $d"
    fi
    printf 'user %s on #%s %s\n' "$user" \
      "$(tr -d '\n' <"$d/$user.password" | sha256sum | cut -d' ' -f1)" "$rules" >>"$tmp"
  done <"$REDIS_ACL_RULES"
  mv -f "$tmp" "$REDIS_ACL_FILE"
}

# redis_tls: the TLS proxies' certificates from the stack's CA (stack_ca keeps in
# $KAFKA_TLS_DIR): the server proxy's (CN=redis, for localhost and 127.0.0.1) and the client
# proxy's (CN=redis-client); then both stunnel configurations.
redis_tls() {
  local d="$REDIS_TLS_DIR"
  mkdir -p "$d" "$REDIS_SOCKET_DIR"
  chmod 700 "$d" "$REDIS_SOCKET_DIR"
  stack_ca
  kafka_issue "$d" redis redis-server serverAuth "DNS:localhost,IP:127.0.0.1"
  kafka_issue "$d" redis-client redis-client clientAuth
  local common
  common="$(
    cat <<CONF
foreground = yes
syslog = no
debug = notice
pid =
sslVersionMin = TLSv1.2
CAfile = $KAFKA_TLS_DIR/ca.pem
verifyChain = yes
socket = l:TCP_NODELAY=1
socket = r:TCP_NODELAY=1
TIMEOUTclose = 0
CONF
  )"
  (umask 077 && cat >"$REDIS_PROXY_SERVER_CONF") <<CONF
; Written by deploy/local/stack.sh: TLS in front of redis-server (client certificate required).
$common
[redis-tls-server]
accept = 127.0.0.1:$REDIS_TLS_PORT
connect = $REDIS_SOCKET
cert = $d/redis-server.pem
key = $d/redis-server.key
requireCert = yes
CONF
  (umask 077 && cat >"$REDIS_PROXY_CLIENT_CONF") <<CONF
; Written by deploy/local/stack.sh: the services' local endpoint, carried over TLS to the server
; proxy, whose certificate must be the stack CA's and name 127.0.0.1.
$common
[redis-tls-client]
client = yes
accept = 127.0.0.1:$REDIS_PORT
connect = 127.0.0.1:$REDIS_TLS_PORT
checkIP = 127.0.0.1
cert = $d/redis-client.pem
key = $d/redis-client.key
CONF
}

# redis_proxy_listening PORT: something listens on 127.0.0.1:PORT.
redis_proxy_listening() { ! adv_port_free "$REDIS_PROXY_PORT"; }

# redis_proxy_start server|client: starts that stunnel unless it runs; waits until it listens.
redis_proxy_start() {
  local which="$1" conf="$REDIS_PROXY_SERVER_CONF" pidfile="$REDIS_PROXY_SERVER_PIDFILE"
  local log="$REDIS_PROXY_SERVER_LOG" pid
  REDIS_PROXY_PORT="$REDIS_TLS_PORT"
  if [[ "$which" == client ]]; then
    conf="$REDIS_PROXY_CLIENT_CONF"
    pidfile="$REDIS_PROXY_CLIENT_PIDFILE"
    log="$REDIS_PROXY_CLIENT_LOG"
    REDIS_PROXY_PORT="$REDIS_PORT"
  fi
  [[ -n "$(redis_proxy_pid "$which")" ]] && return 0
  adv_rotate_log "$log"
  setsid stunnel4 "$conf" </dev/null >>"$log" 2>&1 9>&- &
  pid=$!
  echo "$pid" >"$pidfile"
  wait_ready "redis TLS $which proxy" "$pid" "stunnel4 $conf" "$pidfile" 10 redis_proxy_listening "$log"
}

# redis_proxy_stop: stops both TLS proxies (by `down` and `reset` only).
redis_proxy_stop() {
  local pid
  pid="$(redis_proxy_pid client)"
  [[ -z "$pid" ]] || adv_stop_pid "$pid" "redis TLS client proxy" 5
  pid="$(redis_proxy_pid server)"
  [[ -z "$pid" ]] || adv_stop_pid "$pid" "redis TLS server proxy" 5
  rm -f "$REDIS_PROXY_CLIENT_PIDFILE" "$REDIS_PROXY_SERVER_PIDFILE"
  write_env
}

# redis_start STRICT: redis-server, and with TLS proxy both proxies; ready once PING answers through
# the services' endpoint.
redis_start() {
  local strict="$1" pid
  pid="$(redis_pid)"
  if [[ -n "$pid" ]]; then
    adv_log "redis: already running (pid $pid)"
  else
    redis_server_start "$strict"
    pid="$(redis_pid)"
  fi
  if [[ "$REDIS_TLS" == on ]]; then
    wait_ready "redis (its TLS port)" "$pid" redis-server "$REDIS_PIDFILE" \
      "$REDIS_START_TIMEOUT" redis_endpoint_ping "$REDIS_LOG"
    adv_log "redis: services' endpoint rediss://127.0.0.1:$REDIS_TLS_PORT (redis-server's TLS), admin port 127.0.0.1:$REDIS_PORT"
    return 0
  fi
  [[ "$REDIS_TLS" == proxy ]] || return 0
  redis_proxy_start server
  redis_proxy_start client
  write_env
  wait_ready "redis (through its TLS proxies)" "$pid" redis-server "$REDIS_PIDFILE" \
    "$REDIS_START_TIMEOUT" redis_endpoint_ping "$REDIS_PROXY_CLIENT_LOG" "$REDIS_PROXY_SERVER_LOG" "$REDIS_LOG"
  adv_log "redis: services' endpoint 127.0.0.1:$REDIS_PORT (TLS client proxy) -> TLS 127.0.0.1:$REDIS_TLS_PORT (server proxy) -> $REDIS_SOCKET"
}

# redis_choose_ports STRICT: REDIS_PORT (the services' endpoint with TLS proxy or off, the admin
# port with TLS on) and, with TLS on or proxy, REDIS_TLS_PORT.
# Ports our own running proxies hold (a redis-only restart) are kept as they are.
redis_choose_ports() {
  local strict="$1" ports
  if [[ "$REDIS_TLS" == off ]]; then
    REDIS_PORT="$(choose_ports redis "$strict" 1 $REDIS_PORT)"
    REDIS_TLS_PORT=""
  elif [[ "$REDIS_TLS" == on || (-z "$(redis_proxy_pid client)" && -z "$(redis_proxy_pid server)") ]]; then
    ports="$(choose_ports redis "$strict" 2 $REDIS_PORT $REDIS_TLS_PORT)"
    REDIS_PORT="$(sed -n 1p <<<"$ports")"
    REDIS_TLS_PORT="$(sed -n 2p <<<"$ports")"
  elif [[ -z "$(redis_proxy_pid client)" || -z "$(redis_proxy_pid server)" ]]; then
    redis_proxy_stop # half of them: start both again on the recorded ports
  fi
}

# redis_server_start STRICT: redis-server itself. With TLS proxy it listens on a unix socket only,
# with TLS on on its TLS port and the loopback admin port;
# with ACLs on it reads its users from the ACL file.
redis_server_start() {
  local strict="$1" pid
  redis_prereqs
  redis_choose_ports "$strict"
  mkdir -p "$REDIS_DIR"
  local -a listen=(--bind 127.0.0.1 --port "$REDIS_PORT")
  if [[ "$REDIS_TLS" == proxy ]]; then
    redis_tls
    rm -f "$REDIS_SOCKET"
    listen=(--port 0 --unixsocket "$REDIS_SOCKET" --unixsocketperm 700)
  elif [[ "$REDIS_TLS" == on ]]; then
    redis_tls
    listen+=(--tls-port "$REDIS_TLS_PORT" --tls-cert-file "$REDIS_TLS_DIR/redis-server.pem"
      --tls-key-file "$REDIS_TLS_DIR/redis-server.key" --tls-ca-cert-file "$KAFKA_TLS_DIR/ca.pem"
      --tls-auth-clients yes --tls-protocols "TLSv1.2 TLSv1.3")
  fi
  local -a acl=()
  if [[ "$REDIS_ACL" == on ]]; then
    redis_acl
    acl=(--aclfile "$REDIS_ACL_FILE")
  fi
  adv_rotate_log "$REDIS_LOG"
  setsid redis-server "${listen[@]}" "${acl[@]}" --dir "$REDIS_DIR" \
    --appendonly yes --appendfsync "${ADVOCACY_REDIS_APPENDFSYNC:-always}" --save "" --daemonize no \
    --logfile "" </dev/null >>"$REDIS_LOG" 2>&1 9>&- &
  pid=$!
  echo "$pid" >"$REDIS_PIDFILE"
  write_env
  wait_ready redis "$pid" redis-server "$REDIS_PIDFILE" "$REDIS_START_TIMEOUT" redis_ping "$REDIS_LOG"
  local where="127.0.0.1:$REDIS_PORT"
  [[ "$REDIS_TLS" == proxy ]] && where="$REDIS_SOCKET"
  adv_log "redis: ready on $where (pid $pid, ACL $REDIS_ACL, TLS $REDIS_TLS, data $REDIS_DIR, log $REDIS_LOG)"
}

# redis_stop SIGNAL: TERM lets Redis flush its AOF; KILL simulates a crash
# (with the default appendfsync always, an acknowledged write survives even that;
# ADVOCACY_REDIS_APPENDFSYNC=everysec trades up to a second of writes for speed).
# The TLS proxies stay up (`down` stops them): clients see Redis gone behind a live proxy, as
# behind a sidecar.
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
  local -a auth=()
  [[ "$KAFKA_SECURITY" == on ]] && auth=(-F "$KAFKA_ADMIN_KCAT_CONFIG")
  out="$(timeout 10 kcat "${auth[@]}" -b "127.0.0.1:$KAFKA_PORT" -L -t __probe -m 3 2>/dev/null || true)"
  [[ "$out" == *"broker 1 at 127.0.0.1:$KAFKA_PORT"* ]]
}

# kafka_tls: the local CA (ca.pem, ca.key) and the broker's certificate (CN=kafka-broker, for
# localhost and 127.0.0.1, server and client use: the broker also connects to its own
# controller listener with it). Reused when present; the broker certificate is issued again
# when it expires within 30 days or was not signed by the current CA.
kafka_tls() {
  stack_ca
  kafka_issue "$KAFKA_TLS_DIR" "$KAFKA_BROKER_USER" broker "serverAuth,clientAuth" "DNS:localhost,IP:127.0.0.1"
}

# stack_ca: the local CA of the whole stack (Kafka's TLS and the OpenID provider's https), made
# once in $KAFKA_TLS_DIR and kept across resets.
stack_ca() {
  local d="$KAFKA_TLS_DIR"
  command -v openssl >/dev/null || adv_die "openssl not found; run deploy/local/install.sh"
  mkdir -p "$d"
  chmod 700 "$d"
  if [[ ! -s "$d/ca.pem" || ! -s "$d/ca.key" ]]; then
    adv_log "kafka: creating a local CA in $d"
    (umask 077 && openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$d/ca.key" 2>/dev/null) ||
      adv_die "openssl could not create the CA key in $d"
    openssl req -x509 -new -key "$d/ca.key" -sha256 -days 3650 \
      -subj "/O=Advocacy local/CN=Advocacy local Kafka CA" \
      -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" \
      -out "$d/ca.pem" 2>/dev/null || adv_die "openssl could not create the CA certificate in $d"
    rm -f "$d/broker.pem" "$OIDC_TLS_DIR/server.pem"
  fi
}

# kafka_issue DIR CN NAME EKU [SAN]: DIR/NAME.key (PKCS#8, 0600), DIR/NAME.pem signed by the local
# CA and DIR/NAME-keystore.pem (key and chain: Kafka's PEM key store), unless a valid one for at
# least 30 more days is there.
kafka_issue() {
  local dir="$1" cn="$2" name="$3" eku="$4" san="${5:-}" ca="$KAFKA_TLS_DIR"
  if [[ -s "$dir/$name.pem" && -s "$dir/$name.key" && -s "$dir/$name-keystore.pem" ]] &&
    openssl x509 -checkend 2592000 -noout -in "$dir/$name.pem" >/dev/null 2>&1 &&
    openssl verify -CAfile "$ca/ca.pem" "$dir/$name.pem" >/dev/null 2>&1; then
    return 0
  fi
  (umask 077 && openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$dir/$name.key" 2>/dev/null) ||
    adv_die "openssl could not create a key in $dir/$name.key"
  openssl req -new -key "$dir/$name.key" -subj "/O=Advocacy local/CN=$cn" -out "$dir/$name.csr" 2>/dev/null ||
    adv_die "openssl could not create a certificate request for $cn"
  {
    echo "basicConstraints=CA:FALSE"
    echo "keyUsage=critical,digitalSignature,keyAgreement"
    echo "extendedKeyUsage=$eku"
    [[ -z "$san" ]] || echo "subjectAltName=$san"
  } >"$dir/$name.ext"
  openssl x509 -req -in "$dir/$name.csr" -CA "$ca/ca.pem" -CAkey "$ca/ca.key" \
    -set_serial "0x$(openssl rand -hex 16)" -days 825 -sha256 -extfile "$dir/$name.ext" \
    -out "$dir/$name.pem" 2>/dev/null || adv_die "openssl could not sign the certificate of $cn"
  (umask 077 && cat "$dir/$name.key" "$dir/$name.pem" "$ca/ca.pem" >"$dir/$name-keystore.pem")
  rm -f "$dir/$name.csr" "$dir/$name.ext"
}

# grpc_tls: the gRPC certificates of the services and of the scripts' and tests' clients.
grpc_tls() {
  local name
  stack_ca
  mkdir -p "$GRPC_TLS_DIR"
  chmod 700 "$GRPC_TLS_DIR"
  for name in "${GRPC_TLS_SERVICES[@]}"; do
    kafka_issue "$GRPC_TLS_DIR" "$name" "$name" "serverAuth,clientAuth" "DNS:localhost,IP:127.0.0.1"
  done
  for name in "${GRPC_TLS_CLIENTS[@]}"; do
    kafka_issue "$GRPC_TLS_DIR" "$name" "$name" clientAuth
  done
}

# kafka_credentials: a key and a client certificate (CN=<principal>) for the admin and every
# service, issued by the local CA into $KAFKA_CREDENTIALS_DIR; plus the admin's settings for the
# Java tools and for kcat.
kafka_credentials() {
  local user d="$KAFKA_CREDENTIALS_DIR"
  mkdir -p "$d"
  chmod 700 "$d"
  for user in "$KAFKA_ADMIN_USER" "${KAFKA_SERVICE_USERS[@]}"; do
    kafka_issue "$d" "$user" "$user" clientAuth
  done
  cat >"$KAFKA_ADMIN_JAVA_CONFIG" <<EOF
# Written by deploy/local/stack.sh: the admin principal's client settings (Java tools).
security.protocol=SSL
ssl.keystore.type=PEM
ssl.keystore.location=$d/$KAFKA_ADMIN_USER-keystore.pem
ssl.truststore.type=PEM
ssl.truststore.location=$KAFKA_TLS_DIR/ca.pem
EOF
  cat >"$KAFKA_ADMIN_KCAT_CONFIG" <<EOF
# Written by deploy/local/stack.sh: the admin principal's client settings (kcat -F).
security.protocol=ssl
ssl.ca.location=$KAFKA_TLS_DIR/ca.pem
ssl.certificate.location=$d/$KAFKA_ADMIN_USER.pem
ssl.key.location=$d/$KAFKA_ADMIN_USER.key
EOF
}

# write_kafka_security_config: the listeners. With security on, the client listener and the
# controller listener take only TLS clients with a certificate of the local CA; the principal is
# the certificate's CN (User:consent, User:kafka-broker, ...). The broker reaches its own
# listeners with its certificate. Every request is authorized by StandardAuthorizer; nothing is
# allowed unless acls.conf allows it.
write_kafka_security_config() {
  if [[ "$KAFKA_SECURITY" == off ]]; then
    cat <<EOF
listeners=PLAINTEXT://127.0.0.1:$KAFKA_PORT,CONTROLLER://127.0.0.1:$KAFKA_CONTROLLER_PORT
advertised.listeners=PLAINTEXT://127.0.0.1:$KAFKA_PORT
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
inter.broker.listener.name=PLAINTEXT
EOF
    return 0
  fi
  cat <<EOF
listeners=SSL://127.0.0.1:$KAFKA_PORT,CONTROLLER://127.0.0.1:$KAFKA_CONTROLLER_PORT
advertised.listeners=SSL://127.0.0.1:$KAFKA_PORT
listener.security.protocol.map=SSL:SSL,CONTROLLER:SSL
inter.broker.listener.name=SSL
ssl.client.auth=required
ssl.keystore.type=PEM
ssl.keystore.location=$KAFKA_TLS_DIR/broker-keystore.pem
ssl.truststore.type=PEM
ssl.truststore.location=$KAFKA_TLS_DIR/ca.pem
ssl.principal.mapping.rules=RULE:^.*CN=([^,]+).*\$/\$1/,DEFAULT
authorizer.class.name=org.apache.kafka.metadata.authorizer.StandardAuthorizer
allow.everyone.if.no.acl.found=false
super.users=User:$KAFKA_BROKER_USER;User:$KAFKA_ADMIN_USER
EOF
}

write_kafka_config() {
  local tmp="$KAFKA_CONFIG.tmp.$$" listeners
  listeners="$(write_kafka_security_config)"
  # 0600: it names where the keys are; nothing else needs to read it.
  (umask 077 && : >"$tmp")
  cat >"$tmp" <<EOF
# Generated by deploy/local/stack.sh on every start; edits are overwritten.
# One JVM is both the KRaft controller and the only broker.
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:$KAFKA_CONTROLLER_PORT
controller.listener.names=CONTROLLER
$listeners
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
  # KafkaSetup.java runs with Java's source launcher, which needs the JDK's compiler.
  "$(adv_java)" --list-modules 2>/dev/null | grep -q '^jdk\.compiler' ||
    adv_die "Java has no jdk.compiler module (a JRE only); run deploy/local/install.sh (installs default-jdk-headless)"
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
  kafka_check_security_mode
  if [[ "$KAFKA_SECURITY" == on ]]; then
    kafka_tls
    kafka_credentials
  fi
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
    kafka_format "$java" "${jvm[@]}"
  fi
  setsid "$java" "${jvm[@]}" kafka.Kafka "$KAFKA_CONFIG" </dev/null >>"$KAFKA_OUT" 2>&1 9>&- &
  pid=$!
  echo "$pid" >"$KAFKA_PIDFILE"
  write_env
  wait_ready kafka "$pid" "kafka.Kafka $KAFKA_CONFIG" "$KAFKA_PIDFILE" "$KAFKA_START_TIMEOUT" kafka_ready \
    "$KAFKA_OUT" "$KAFKA_LOG"
  adv_log "kafka: ready on 127.0.0.1:$KAFKA_PORT (controller :$KAFKA_CONTROLLER_PORT, pid $pid, security $KAFKA_SECURITY, data $KAFKA_DIR, log $KAFKA_LOG)"
  [[ -f "$KAFKA_SETUP_DONE" ]] || kafka_setup "$java"
  [[ "$KAFKA_SECURITY" == on ]] && kafka_wait_acls
  return 0
}

# kafka_wait_acls: the broker answers, and CreateAcls has returned, seconds before the ACLs are
# in force (measured here: a service principal's first metadata request was refused with
# TOPIC_AUTHORIZATION_FAILED for ~3 s after a fresh setup). A service started in that window
# gets CLUSTER_AUTHORIZATION_FAILED for its idempotent producer, which is fatal. So 'up' and
# 'kafka start' return only once every service principal sees the first topic acls.conf gives it.
kafka_wait_acls() {
  local user topic out deadline=$((SECONDS + 60))
  for user in "${KAFKA_SERVICE_USERS[@]}"; do
    topic="$(awk -v u="$user" '$1 == u && $3 == "topic" && $4 == "literal" {print $5; exit}' "$KAFKA_ACLS_FILE")"
    [[ -n "$topic" ]] || continue
    while :; do
      out="$(timeout 10 kcat -X security.protocol=ssl -X "ssl.ca.location=$KAFKA_TLS_DIR/ca.pem" \
        -X "ssl.certificate.location=$KAFKA_CREDENTIALS_DIR/$user.pem" \
        -X "ssl.key.location=$KAFKA_CREDENTIALS_DIR/$user.key" \
        -b "127.0.0.1:$KAFKA_PORT" -L -t "$topic" -m 5 2>&1 || true)"
      [[ "$out" == *"topic \"$topic\" with "* && "$out" != *"authorization failed"* ]] && break
      ((SECONDS < deadline)) ||
        adv_die "kafka: the ACLs of $KAFKA_ACLS_FILE are not in force after 60 s ('$user' cannot see '$topic': $out)"
      sleep 0.5
    done
  done
  adv_log "kafka: ACLs in force for ${KAFKA_SERVICE_USERS[*]}"
}

# kafka_check_security_mode: a storage set up with security on holds ACLs that a plaintext broker
# would ignore (and the reverse lacks them): switching needs a reset.
kafka_check_security_mode() {
  local formatted
  [[ -f "$KAFKA_DIR/meta.properties" ]] || return 0
  formatted="$(cat "$KAFKA_SECURITY_MARK" 2>/dev/null || echo off)"
  if [[ "$formatted" != "$KAFKA_SECURITY" ]]; then
    adv_die "the Kafka storage in $KAFKA_DIR was set up with ADVOCACY_KAFKA_SECURITY=$formatted, not $KAFKA_SECURITY; run 'deploy/local/stack.sh reset' first to switch"
  fi
}

# kafka_format JAVA JVM_ARGS...: formats a fresh storage and records the security mode it is for.
kafka_format() {
  local java="$1"
  shift
  adv_log "kafka: formatting storage in $KAFKA_DIR (security $KAFKA_SECURITY)"
  "$java" "$@" kafka.tools.StorageTool format -t "$(kafka_cluster_id)" -c "$KAFKA_CONFIG" \
    </dev/null >>"$KAFKA_OUT" 2>&1 9>&- ||
    {
      print_tail "$KAFKA_OUT" "$KAFKA_LOG"
      adv_die "formatting Kafka storage in $KAFKA_DIR failed; the log above says why ('deploy/local/stack.sh reset' starts from scratch)"
    }
  echo "$KAFKA_SECURITY" >"$KAFKA_SECURITY_MARK"
}

# kafka_setup JAVA: once per storage, after the first start: the topics of topics.conf (with
# ADVOCACY_KAFKA_PARTITIONS), and with security on the ACLs of acls.conf, as the admin principal
# (deploy/local/kafka/KafkaSetup.java, one JVM). The services create no topic on a secured broker.
kafka_setup() {
  local java="$1"
  local -a args=(--bootstrap "127.0.0.1:$KAFKA_PORT" --topics "$KAFKA_TOPICS_FILE"
    --partitions "$KAFKA_PARTITIONS" --replication 1 --min-insync-replicas 1)
  if [[ "$KAFKA_SECURITY" == on ]]; then
    args+=(--command-config "$KAFKA_ADMIN_JAVA_CONFIG" --acls "$KAFKA_ACLS_FILE")
  else
    args+=(--command-config /dev/null)
  fi
  local what="topics"
  [[ "$KAFKA_SECURITY" == on ]] && what="topics and ACLs"
  adv_log "kafka: creating the $what of deploy/k8s/base/kafka-topics"
  "$java" -Xmx256m -XX:TieredStopAtLevel=1 -XX:+UseSerialGC "-Dlog4j2.configurationFile=$KAFKA_LOG4J" \
    "-Dadvocacy.kafka.log=$LOG_DIR/kafka-setup.log" -cp "$KAFKA_LIB/*" "$KAFKA_SETUP" "${args[@]}" \
    </dev/null >>"$KAFKA_OUT" 2>&1 9>&- ||
    {
      print_tail "$KAFKA_OUT"
      adv_die "creating the Kafka topics and ACLs failed (log above); fix it and run 'deploy/local/stack.sh kafka restart'"
    }
  touch "$KAFKA_SETUP_DONE"
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

# ------------------------------------------------------------------- oidc --
oidc_pid() {
  local pid
  pid="$(cat "$OIDC_PIDFILE" 2>/dev/null || true)"
  if adv_pid_matches "$pid" "provider.mjs serve $OIDC_CONFIG"; then
    printf '%s\n' "$pid"
  fi
}

oidc_ready() {
  local out
  out="$(curl -sf --max-time 5 --cacert "$KAFKA_TLS_DIR/ca.pem" \
    "https://127.0.0.1:$OIDC_PORT/.well-known/openid-configuration" 2>/dev/null || true)"
  [[ "$out" == *"\"issuer\":\"https://127.0.0.1:$OIDC_PORT\""* ]]
}

oidc_prereqs() {
  command -v node >/dev/null || adv_die "node not found; run deploy/local/install.sh"
  [[ -f "$OIDC_APP/node_modules/oidc-provider/package.json" ]] ||
    adv_die "oidc-provider missing in $OIDC_APP; run deploy/local/install.sh"
  command -v curl >/dev/null || adv_die "curl not found; run deploy/local/install.sh"
}

# oidc_setup: everything the provider needs before a start. Secrets and keys are made once and
# kept; the certificate is reissued when it nears its end or the CA changed; the config and the
# issuers file are rewritten (the port may have changed).
oidc_setup() {
  local client issuer="https://127.0.0.1:$OIDC_PORT"
  mkdir -p "$OIDC_BASE" "$OIDC_SECRETS_DIR" "$OIDC_TLS_DIR" "$OIDC_APP"
  chmod 700 "$OIDC_BASE" "$OIDC_SECRETS_DIR" "$OIDC_TLS_DIR"
  cp -f "$ADVOCACY_REPO/deploy/local/oidc/provider.mjs" "$OIDC_CLIENTS_FILE" "$OIDC_APP/"
  for client in $(python3 -c 'import json,sys
print(" ".join(c["client_id"] for c in json.load(open(sys.argv[1]))["clients"] if c["grant"] in ("client_credentials", "authorization_code")))' "$OIDC_CLIENTS_FILE"); do
    [[ -s "$OIDC_SECRETS_DIR/$client.secret" ]] ||
      (umask 077 && openssl rand -hex 32 >"$OIDC_SECRETS_DIR/$client.secret")
  done
  [[ -s "$OIDC_BASE/cookie.secret" ]] || (umask 077 && openssl rand -hex 32 >"$OIDC_BASE/cookie.secret")
  if [[ ! -s "$OIDC_KEYS" ]]; then
    adv_log "oidc: generating an RS256 signing key in $OIDC_KEYS"
  fi
  (umask 077 && node "$OIDC_APP/provider.mjs" keys init "$OIDC_KEYS" >/dev/null) ||
    adv_die "could not create the OpenID provider's signing key in $OIDC_KEYS"
  stack_ca
  kafka_issue "$OIDC_TLS_DIR" localhost server serverAuth "DNS:localhost,IP:127.0.0.1"
  (umask 077 && python3 - "$OIDC_CONFIG" "$issuer" "$OIDC_PORT" "$OIDC_TLS_DIR" "$OIDC_KEYS" \
    "$OIDC_BASE/cookie.secret" "$OIDC_SECRETS_DIR" "$OIDC_APP/clients.json" "$OIDC_TOKEN_TTL" \
    "${WEB_PORT:+https://localhost:$WEB_PORT}" <<'PY'
import json, sys
out, issuer, port, tls, keys, cookie, secrets, clients, ttl, web_url = sys.argv[1:]
json.dump({"issuer": issuer, "port": int(port), "tls_cert": tls + "/server.pem",
           "tls_key": tls + "/server.key", "keys_file": keys, "cookie_secret_file": cookie,
           "secrets_dir": secrets, "clients_file": clients,
           "access_token_ttl_seconds": int(ttl), "web_url": web_url}, open(out, "w"), indent=2)
PY
  )
  # The services' view of it: keys from the JWKS over https (this CA), claims mapped from the
  # provider's (tenant, sub, roles, scope). No "audiences": each service accepts its own,
  # ADVOCACY_JWT_AUDIENCE=advocacy-<service>.
  python3 - "$OIDC_ISSUERS_FILE" "$issuer" "$KAFKA_TLS_DIR/ca.pem" <<'PY'
import json, sys
out, issuer, ca = sys.argv[1:]
json.dump({"issuers": [{
    "issuer": issuer, "jwks_uri": issuer + "/jwks", "ca_file": ca,
    "tenant_claim": "tenant", "subject_claim": "sub", "roles_claim": "roles",
    "role_map": {"advocacy-employee": "employee", "advocacy-admin": "admin",
                 "advocacy-service": "service"},
    "allow_any_tenant": True, "max_token_lifetime_seconds": 3600}]},
    open(out, "w"), indent=2)
PY
}

oidc_start() {
  local strict="$1" pid
  pid="$(oidc_pid)"
  if [[ -n "$pid" ]]; then
    adv_log "oidc: already running (pid $pid) on https://127.0.0.1:$OIDC_PORT"
    return 0
  fi
  oidc_prereqs
  OIDC_PORT="$(choose_ports oidc "$strict" 1 $OIDC_PORT)"
  oidc_setup
  adv_rotate_log "$OIDC_LOG"
  (cd "$OIDC_APP" && exec setsid node "$OIDC_APP/provider.mjs" serve "$OIDC_CONFIG" \
    </dev/null >>"$OIDC_LOG" 2>&1 9>&-) &
  pid=$!
  echo "$pid" >"$OIDC_PIDFILE"
  write_env
  wait_ready oidc "$pid" "provider.mjs serve $OIDC_CONFIG" "$OIDC_PIDFILE" "$OIDC_START_TIMEOUT" \
    oidc_ready "$OIDC_LOG"
  adv_log "oidc: ready at https://127.0.0.1:$OIDC_PORT (JWKS /jwks, pid $pid, keys $OIDC_KEYS, log $OIDC_LOG)"
}

oidc_stop() {
  local signal="$1" pid
  pid="$(oidc_pid)"
  if [[ -z "$pid" ]]; then
    adv_log "oidc: not running"
  elif [[ "$signal" == KILL ]]; then
    kill -KILL "$pid" 2>/dev/null || true
    adv_wait_gone "$pid" 10 || adv_die "oidc (pid $pid) survived SIGKILL"
    adv_log "oidc: killed (pid $pid)"
  else
    adv_stop_pid "$pid" oidc "$OIDC_STOP_TIMEOUT"
    adv_log "oidc: stopped (pid $pid)"
  fi
  rm -f "$OIDC_PIDFILE"
  write_env
}

# oidc_keys add|retire: key rotation. The provider reads its keys at start, so it is restarted
# (on the same port) when it was running; its JWKS then publishes the new set.
oidc_keys() {
  local action="$1" kids running
  case "$action" in
    add | retire) ;;
    *)
      usage >&2
      exit 2
      ;;
  esac
  oidc_prereqs
  [[ -s "$OIDC_KEYS" ]] || adv_die "no signing keys in $OIDC_KEYS yet; run 'deploy/local/stack.sh up' first"
  running="$(oidc_pid)"
  kids="$(cd "$OIDC_APP" && umask 077 && node "$OIDC_APP/provider.mjs" keys "$action" "$OIDC_KEYS")" ||
    adv_die "could not $action a signing key in $OIDC_KEYS"
  adv_log "oidc: signing keys now (newest first, it signs): $kids"
  if [[ -n "$running" ]]; then
    oidc_stop TERM
    oidc_start 1
  fi
}

# -------------------------------------------------------------------- web --
web_pid() {
  local pid
  pid="$(cat "$RUN_DIR/web.pid" 2>/dev/null || true)"
  if adv_pid_matches "$pid" "stunnel4 $WEB_PROXY_CONF"; then
    printf '%s\n' "$pid"
  fi
}

# web_choose_ports STRICT: the front's port and the gateway's; before the provider's config is
# written (its redirect addresses name the front).
web_choose_ports() {
  local ports
  [[ -n "$(web_pid)" ]] && return 0
  ports="$(choose_ports web "$1" 2 $WEB_PORT $GATEWAY_HTTP_PORT)"
  WEB_PORT="$(sed -n 1p <<<"$ports")"
  GATEWAY_HTTP_PORT="$(sed -n 2p <<<"$ports")"
}

web_listening() { ! adv_port_free "$WEB_PORT"; }

# web_start STRICT: the https front of the gateway (stunnel4), unless it runs.
web_start() {
  local pid
  if [[ -n "$(web_pid)" ]]; then
    adv_log "web: already running on https://localhost:$WEB_PORT"
    return 0
  fi
  command -v stunnel4 >/dev/null || adv_die "stunnel4 not found (the web app's https front); run deploy/local/install.sh"
  web_choose_ports "$1"
  mkdir -p "$WEB_TLS_DIR"
  chmod 700 "$WEB_TLS_DIR"
  stack_ca
  kafka_issue "$WEB_TLS_DIR" localhost web serverAuth "DNS:localhost,IP:127.0.0.1"
  (umask 077 && cat >"$WEB_PROXY_CONF") <<CONF
; Written by deploy/local/stack.sh: https in front of the gateway (as an Ingress with TLS).
foreground = yes
syslog = no
debug = notice
pid =
sslVersionMin = TLSv1.2
socket = l:TCP_NODELAY=1
socket = r:TCP_NODELAY=1
[web]
accept = 127.0.0.1:$WEB_PORT
connect = 127.0.0.1:$GATEWAY_HTTP_PORT
cert = $WEB_TLS_DIR/web.pem
key = $WEB_TLS_DIR/web.key
CONF
  adv_rotate_log "$LOG_DIR/web.log"
  setsid stunnel4 "$WEB_PROXY_CONF" </dev/null >>"$LOG_DIR/web.log" 2>&1 9>&- &
  pid=$!
  echo "$pid" >"$RUN_DIR/web.pid"
  write_env
  wait_ready web "$pid" "stunnel4 $WEB_PROXY_CONF" "$RUN_DIR/web.pid" 10 web_listening "$LOG_DIR/web.log"
  adv_log "web: https://localhost:$WEB_PORT -> gateway 127.0.0.1:$GATEWAY_HTTP_PORT (pid $pid)"
}

web_stop() {
  local pid
  pid="$(web_pid)"
  [[ -z "$pid" ]] || adv_stop_pid "$pid" "web front" 5
  rm -f "$RUN_DIR/web.pid"
  write_env
}

# ----------------------------------------------------------------- status --
status() {
  local ok=0 pid
  pid="$(redis_pid)"
  if [[ -z "$pid" ]]; then
    echo "redis: stopped${REDIS_PORT:+ (last port $REDIS_PORT)}; data $REDIS_DIR"
    ok=1
  elif redis_endpoint_ping; then
    echo "redis: running, pid $pid, redis://127.0.0.1:$REDIS_PORT, ACL $REDIS_ACL, TLS $REDIS_TLS${REDIS_TLS_PORT:+ (proxy :$REDIS_TLS_PORT)}, data $REDIS_DIR, log $REDIS_LOG"
  else
    echo "redis: pid $pid alive but not answering PING on 127.0.0.1:$REDIS_PORT; see $REDIS_LOG${REDIS_TLS_PORT:+, $REDIS_PROXY_CLIENT_LOG, $REDIS_PROXY_SERVER_LOG}"
    ok=1
  fi
  pid="$(kafka_pid)"
  if [[ -z "$pid" ]]; then
    echo "kafka: stopped${KAFKA_PORT:+ (last port $KAFKA_PORT)}; data $KAFKA_DIR"
    ok=1
  elif kafka_ready; then
    echo "kafka: running, pid $pid, brokers 127.0.0.1:$KAFKA_PORT (controller :$KAFKA_CONTROLLER_PORT)," \
      "security $KAFKA_SECURITY, auto.create.topics.enable=$KAFKA_AUTO_CREATE, data $KAFKA_DIR, log $KAFKA_LOG"
  else
    echo "kafka: pid $pid alive but not answering metadata on 127.0.0.1:$KAFKA_PORT; see $KAFKA_LOG"
    ok=1
  fi
  pid="$(oidc_pid)"
  if [[ -z "$pid" ]]; then
    echo "oidc: stopped${OIDC_PORT:+ (last port $OIDC_PORT)}; keys $OIDC_KEYS"
    ok=1
  elif oidc_ready; then
    echo "oidc: running, pid $pid, issuer https://127.0.0.1:$OIDC_PORT (JWKS /jwks), keys $OIDC_KEYS, log $OIDC_LOG"
  else
    echo "oidc: pid $pid alive but not answering discovery on https://127.0.0.1:$OIDC_PORT; see $OIDC_LOG"
    ok=1
  fi
  pid="$(web_pid)"
  if [[ -z "$pid" ]]; then
    echo "web: stopped${WEB_PORT:+ (last port $WEB_PORT)}"
  else
    echo "web: running, pid $pid, https://localhost:$WEB_PORT -> gateway 127.0.0.1:$GATEWAY_HTTP_PORT"
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
    oidc_prereqs
    redis_start 0
    kafka_start 0
    web_choose_ports 0
    oidc_start 0
    web_start 0
    grpc_tls
    write_env
    adv_log "stack up; environment in $ADVOCACY_STACK_ENV"
    ;;
  down)
    web_stop
    oidc_stop TERM
    kafka_stop TERM
    redis_stop TERM
    redis_proxy_stop
    ;;
  reset)
    web_stop
    oidc_stop TERM
    kafka_stop TERM
    redis_stop TERM
    redis_proxy_stop
    # The local CA and broker certificate ($KAFKA_TLS_DIR) stay; the principals' keys, the Redis
    # passwords and the Redis proxies' keys go. The OpenID provider keeps its signing keys and
    # client secrets ($OIDC_BASE), as an IdP would.
    rm -rf "$REDIS_DIR" "$REDIS_AUTH_DIR" "$REDIS_TLS_DIR" "$REDIS_SOCKET_DIR" "$KAFKA_DIR" \
      "$KAFKA_CONFIG" "$KAFKA_CREDENTIALS_DIR" "$GRPC_TLS_DIR" "$ADVOCACY_STACK_ENV"
    adv_log "deleted Redis and Kafka data, the Redis passwords, the Redis and Kafka client keys, the gRPC certificates and $ADVOCACY_STACK_ENV"
    ;;
  status) status ;;
  redis | kafka) service_cmd "$1" "${2:-}" ;;
  oidc)
    if [[ "${2:-}" == keys ]]; then
      oidc_keys "${3:-}"
    else
      service_cmd oidc "${2:-}"
    fi
    ;;
  -h | --help | help) usage ;;
  *)
    usage >&2
    exit 2
    ;;
esac
