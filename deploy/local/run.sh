#!/usr/bin/env bash
# The run command: installs what is missing, builds, starts a real Redis and Kafka on free
# loopback ports and the services, then walks through an opt-in and an opt-out through the
# real gRPC API with advocacyctl. Everything stays up afterwards; `run.sh stop` stops it.
#
#   deploy/local/run.sh          start (or restart the services) and run the demo
#   deploy/local/run.sh stop     stop the services, Redis and Kafka (data is kept)
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
ISSUER="advocacy-local"
mkdir -p "$RUN_DIR" "$LOG_DIR"

stop_services() {
  local pidfile pid
  for pidfile in "$RUN_DIR"/service-*.pid; do
    [[ -e "$pidfile" ]] || continue
    pid="$(cat "$pidfile")"
    if [[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null; then
      adv_log "stopping $(basename "$pidfile" .pid) (pid $pid)"
      adv_stop_pid "$pid" "$(basename "$pidfile" .pid)" 15 || true
    fi
    rm -f "$pidfile"
  done
}

case "${1:-start}" in
  stop)
    stop_services
    "$here/stack.sh" down
    exit 0
    ;;
  status)
    "$here/stack.sh" status || true
    [[ -f "$SERVICES_ENV" ]] && cat "$SERVICES_ENV"
    exit 0
    ;;
  start) ;;
  *) adv_die "usage: run.sh [start|stop|status]" ;;
esac

"$here/install.sh"
"$here/build.sh"
"$here/stack.sh" up
set -a
source "$ADVOCACY_STACK_ENV"
set +a
CTL="$BUILD_DIR/tools/advocacyctl/advocacyctl"

# A local development key pair, generated here and never committed or built in.
if [[ ! -f "$KEY_DIR/jwt-private.pem" ]]; then
  adv_log "generating a local development JWT key pair in $KEY_DIR"
  mkdir -p "$KEY_DIR"
  "$CTL" keygen --out-dir "$KEY_DIR"
fi

stop_services
# start_service NAME [VAR=value ...]: starts build/services/NAME/NAME on free loopback ports with
# the extra environment given, records its pid, and appends its addresses to services.env.
: >"$SERVICES_ENV"
taken=("$ADVOCACY_REDIS_PORT" "$ADVOCACY_KAFKA_PORT" "$ADVOCACY_KAFKA_CONTROLLER_PORT")
start_service() {
  local name="$1" upper ports grpc_port metrics_port
  shift
  upper="$(tr '[:lower:]' '[:upper:]' <<<"$name")"
  mapfile -t ports < <(adv_free_ports 2 "${taken[@]}")
  grpc_port="${ports[0]}"
  metrics_port="${ports[1]}"
  taken+=("$grpc_port" "$metrics_port")
  adv_log "starting $name on 127.0.0.1:$grpc_port (metrics :$metrics_port)"
  (
    export ADVOCACY_GRPC_LISTEN="127.0.0.1:$grpc_port"
    export ADVOCACY_METRICS_LISTEN="127.0.0.1:$metrics_port"
    export ADVOCACY_JWT_PUBLIC_KEY_FILE="$KEY_DIR/jwt-public.pem"
    export ADVOCACY_JWT_ISSUER="$ISSUER"
    local assignment
    for assignment in "$@"; do export "${assignment?}"; done
    adv_rotate_log "$LOG_DIR/$name.log"
    setsid "$BUILD_DIR/services/$name/$name" </dev/null >>"$LOG_DIR/$name.log" 2>&1 &
    echo $! >"$RUN_DIR/service-$name.pid"
  )
  printf 'ADVOCACY_%s_ADDR=127.0.0.1:%s\nADVOCACY_%s_METRICS=http://127.0.0.1:%s/metrics\n' \
    "$upper" "$grpc_port" "$upper" "$metrics_port" >>"$SERVICES_ENV"
}
start_service consent CONSENT_PROPAGATION_SERVICES=content
start_service courses
mapfile -t ports < <(adv_free_ports 1 "${taken[@]}")
LINK_PORT="${ports[0]}"
taken+=("$LINK_PORT")
start_service content "CONTENT_LINK_LISTEN=127.0.0.1:$LINK_PORT" \
  "CONTENT_LINK_BASE_URL=http://127.0.0.1:$LINK_PORT/l/"
echo "ADVOCACY_CONTENT_LINKS=http://127.0.0.1:$LINK_PORT/l/" >>"$SERVICES_ENV"
cat >>"$SERVICES_ENV" <<ENV
ADVOCACY_JWT_PRIVATE_KEY_FILE=$KEY_DIR/jwt-private.pem
ADVOCACY_JWT_ISSUER=$ISSUER
ENV
set -a
source "$SERVICES_ENV"
set +a
for service in consent courses content; do
  addr_var="ADVOCACY_$(tr '[:lower:]' '[:upper:]' <<<"$service")_ADDR"
  if ! "$CTL" --addr "${!addr_var}" health --wait 60s >/dev/null; then
    tail -n 30 "$LOG_DIR/$service.log" >&2
    adv_die "$service did not become ready; its log is $LOG_DIR/$service.log"
  fi
  adv_log "$service: SERVING on ${!addr_var}"
done

demo() {
  local tenant="demo-corp" employee="kari.nordmann"
  echo
  adv_log "demo: an admin publishes the consent notice employees are asked to agree to"
  "$CTL" --as "admin:$tenant:hr-admin" notice publish --tenant "$tenant" --version 2026-11 \
    --summary "Sharing company content from your own accounts is voluntary" \
    --url https://intranet.example/advocacy/consent/2026-11
  adv_log "demo: before opting in, nothing is granted (default deny)"
  "$CTL" --as "service:$tenant:content" consent check --tenant "$tenant" --employee "$employee" --scope share:linkedin || true
  adv_log "demo: $employee opts in to sharing on LinkedIn and to email tips"
  "$CTL" --as "employee:$tenant:$employee" consent give --tenant "$tenant" --employee "$employee" \
    --scope share:linkedin,email-tips --notice 2026-11 --method app --idempotency-key "demo-opt-in-$(date +%s)"
  "$CTL" --as "service:$tenant:content" consent check --tenant "$tenant" --employee "$employee" --scope share:linkedin
  adv_log "demo: $employee opts out of everything in one call"
  "$CTL" --as "employee:$tenant:$employee" consent withdraw --tenant "$tenant" --employee "$employee" --all --method app
  adv_log "demo: the very next check already says no"
  "$CTL" --as "service:$tenant:content" consent check --tenant "$tenant" --employee "$employee" --scope share:linkedin || true
  adv_log "demo: the ledger shows both changes, so consent can be demonstrated later"
  "$CTL" --as "employee:$tenant:$employee" consent history --tenant "$tenant" --employee "$employee"
  adv_log "demo: the events on Kafka topic advocacy.consent.v1 (CloudEvents headers, key tenant/employee)"
  kcat -C -b "$ADVOCACY_KAFKA_BROKERS" -t advocacy.consent.v1 -o beginning -e -q \
    -f 'key=%k  %h\n' 2>/dev/null | grep -F "$tenant/$employee" | tail -n 2 || true
}
demo

echo
adv_log "the system is running:"
adv_log "  consent gRPC     $ADVOCACY_CONSENT_ADDR   (try: $CTL --as employee:demo-corp:you consent state --tenant demo-corp --employee you)"
adv_log "  consent metrics  $ADVOCACY_CONSENT_METRICS"
adv_log "  courses gRPC     $ADVOCACY_COURSES_ADDR   (reflection on: TOKEN=$($CTL --as admin:demo-corp:you token); buf curl --protocol grpc --http2-prior-knowledge -H "authorization: Bearer $TOKEN" -d '{"tenant_id":"demo-corp"}' http://$ADVOCACY_COURSES_ADDR/advocacy.courses.v1.CoursesService/ListChecklists)"
adv_log "  courses metrics  $ADVOCACY_COURSES_METRICS"
adv_log "  content gRPC     $ADVOCACY_CONTENT_ADDR   (tracked links: $ADVOCACY_CONTENT_LINKS<code>)"
adv_log "  content metrics  $ADVOCACY_CONTENT_METRICS"
adv_log "  Redis $ADVOCACY_REDIS_URL, Kafka $ADVOCACY_KAFKA_BROKERS, logs in $LOG_DIR"
adv_log "  environment for advocacyctl: source $SERVICES_ENV"
adv_log "stop everything with: deploy/local/run.sh stop"
