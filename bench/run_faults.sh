#!/usr/bin/env bash
# Faults under load (issue 7): Redis (AOF, appendfsync always), Kafka, an SMTP sink and the
# consent, content and notifications services on a fresh stack; advocacy_load runs its mix at a
# fixed rate for the whole sequence while these faults are injected one after another, each with
# a recovery wait and then a check that nothing acknowledged was lost and nothing was applied
# twice (bench/fault_check.cc verify, plus propagation receipts for every acknowledged withdrawal):
#   kafka_kill9           the broker SIGKILLed, restarted on the same port and data
#   consent_kill9, content_kill9, notifications_kill9
#                         the service SIGKILLed, restarted with the same environment and groups
#   redis_kill9           Redis SIGKILLed and restarted: its AOF must bring back every acknowledged
#                         write
#   consumer_lag          content SIGSTOPped (--lag-s), then SIGCONT: the consent service's gauge
#                         advocacy_consent_oldest_unapplied_seconds{service="content"} must rise
#                         above 0 and come back to 0
#   poison                undecodable messages on every partition of every consumed topic: each
#                         must land in its <topic>.<service>.dlq and the consumers must go on
# Prints one FAULT line per fault, DETAIL lines, and a SUMMARY line; exit 1 when any verdict is
# FAIL or something did not run. See bench/README.md.
set -euo pipefail
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck source=bench/lib.sh
source "$REPO/bench/lib.sh"

usage() {
  cat <<'EOF_USAGE'
usage: bench/run_faults.sh [options]
  --build-dir DIR       build tree (default <repo>/build-bench, configured Release if new)
  --no-build            use the binaries already built
  --home DIR            ADVOCACY_HOME for this run (default /tmp/faults-home)
  --skip-install        do not run deploy/local/install.sh
  --rate R              calls per second of the load (default 100)
  --employees N         employees (default 1000)
  --churn F             fraction of employees whose consent toggles (default 0.1)
  --recipients N        steady employees that get mails (default 5)
  --faults LIST         comma-separated subset, in this order (default all):
                        kafka,consent,content,notifications,redis,lag,poison
  --settle S            seconds of load after each recovery before the check (default 5)
  --kafka-down-s S      how long the broker stays down (default 5)
  --lag-s S             how long content stays stopped (default 20)
  --recover-timeout S   how long a check waits for the system to agree (default 120)
EOF_USAGE
}
BUILD_DIR="$REPO/build-bench"; DO_BUILD=1; HOME_DIR=/tmp/faults-home; INSTALL=install
RATE=100; EMPLOYEES=1000; CHURN=0.1; RECIPIENTS=5; FAULTS="kafka,consent,content,notifications,redis,lag,poison"
SETTLE=5; KAFKA_DOWN=5; LAG_S=20; RECOVER=120
need() { [[ $# -ge 2 && -n "$2" ]] || bench_die "$1 needs a value (see --help)"; }
while (($#)); do
  case "$1" in
    --build-dir) need "$@"; BUILD_DIR="$2"; shift 2 ;;
    --no-build) DO_BUILD=0; shift ;;
    --home) need "$@"; HOME_DIR="$2"; shift 2 ;;
    --skip-install) INSTALL=""; shift ;;
    --rate) need "$@"; RATE="$2"; shift 2 ;;
    --employees) need "$@"; EMPLOYEES="$2"; shift 2 ;;
    --churn) need "$@"; CHURN="$2"; shift 2 ;;
    --recipients) need "$@"; RECIPIENTS="$2"; shift 2 ;;
    --faults) need "$@"; FAULTS="$2"; shift 2 ;;
    --settle) need "$@"; SETTLE="$2"; shift 2 ;;
    --kafka-down-s) need "$@"; KAFKA_DOWN="$2"; shift 2 ;;
    --lag-s) need "$@"; LAG_S="$2"; shift 2 ;;
    --recover-timeout) need "$@"; RECOVER="$2"; shift 2 ;;
    -h | --help) usage; exit 0 ;;
    *) usage >&2; bench_die "unknown option '$1'" ;;
  esac
done
for f in ${FAULTS//,/ }; do
  [[ " kafka consent content notifications redis lag poison " == *" $f "* ]] || bench_die "unknown fault '$f' (see --help)"
done

bench_init_home "$HOME_DIR"
RUN_DIR="$ADVOCACY_HOME/faults"
rm -rf "$RUN_DIR"
mkdir -p "$RUN_DIR"
[[ -n "$INSTALL" ]] && bench_install "$RUN_DIR"
PY=/usr/bin/python3
"$PY" -c 'import aiosmtpd' 2>/dev/null || bench_die "$PY cannot import aiosmtpd; run deploy/local/install.sh"
if ((DO_BUILD)); then
  bench_build "$BUILD_DIR" "$RUN_DIR" consent content notifications advocacy_load propagation_bench \
    fault_check
fi
B="$BUILD_DIR"
bench_need "$B" services/consent/consent services/content/content services/notifications/notifications \
  bench/advocacy_load bench/propagation_bench bench/fault_check

bench_stack_up "$RUN_DIR" $INSTALL
bench_keys "$RUN_DIR"
(umask 077 && openssl rand -base64 48 >"$RUN_DIR/unsubscribe.key")
read -r C_GRPC C_METRICS T_GRPC T_METRICS T_LINK N_GRPC N_METRICS N_UNSUB < <(bench_ports 8)
RUN_ID="$(date +%s)-$$"
TENANT="faults-$RUN_ID"
STACK="$REPO/deploy/local/stack.sh"

# The SMTP sink: records each accepted mail (with its receive time) before answering 250.
SINK_DIR="$RUN_DIR/sink"
bench_smtp_sink "$SINK_DIR"

bench_start consent "$RUN_DIR/consent.log" "$B/services/consent/consent" \
  ADVOCACY_GRPC_LISTEN="127.0.0.1:$C_GRPC" ADVOCACY_METRICS_LISTEN="127.0.0.1:$C_METRICS" \
  CONSENT_PROPAGATION_SERVICES=content,notifications CONSENT_RECEIPTS_GROUP="consent-receipts-$RUN_ID"
bench_start content "$RUN_DIR/content.log" "$B/services/content/content" \
  ADVOCACY_GRPC_LISTEN="127.0.0.1:$T_GRPC" ADVOCACY_METRICS_LISTEN="127.0.0.1:$T_METRICS" \
  CONTENT_LINK_LISTEN="127.0.0.1:$T_LINK" CONTENT_LINK_BASE_URL="http://127.0.0.1:$T_LINK/l/" \
  CONTENT_CONSENT_GROUP="content-consent-view-$RUN_ID"
bench_start_notifications "$RUN_DIR/notifications.log" "$B/services/notifications/notifications" \
  "127.0.0.1:$C_GRPC" "$N_GRPC" "$N_METRICS" "$N_UNSUB" "$RUN_DIR" "$RUN_ID"

common=(--consent "127.0.0.1:$C_GRPC" --content "127.0.0.1:$T_GRPC" --private-key "$BENCH_PRIV"
  --issuer "$BENCH_ISSUER" --tenant "$TENANT" --employees "$EMPLOYEES" --churn "$CHURN" --items 50)
"$B/bench/advocacy_load" seed "${common[@]}" --notifications "127.0.0.1:$N_GRPC" \
  --recipients "$RECIPIENTS" --timeout 180 >&2 || { bench_alive; bench_die "seeding failed"; }
bench_alive

gauge() { bench_oldest_unapplied "$C_METRICS" "$1"; }

# The seeding's consent changes are acknowledged changes too: let both services apply all of
# them (the consent service's gauges at 0) so the baseline measures the system, not its start.
bench_wait_applied "$C_METRICS" 120 content notifications

# ------------------------------------------------------------------------------ the load --
LOAD_OUT="$RUN_DIR/load.txt"
CHANGES="$RUN_DIR/changes.log"; SHARES="$RUN_DIR/shares.log"; PUBLISHES="$RUN_DIR/publishes.log"
ACKS="$RUN_DIR/acks.log"; PAUSE="$RUN_DIR/pause"; STATE="$RUN_DIR/view-state.txt"
MIX="check=43,batch=5,feed=20,share=10,consent=20,publish=2"
"$B/bench/advocacy_load" run "${common[@]}" --rate "$RATE" --duration 36000 --mix "$MIX" \
  --report-every 1 --run-id "$RUN_ID" --deadline-ms 5000 --share-retries 8 --max-error-percent 100 \
  --change-log "$CHANGES" --share-log "$SHARES" --publish-log "$PUBLISHES" --ack-log "$ACKS" \
  --pause-file "$PAUSE" >"$LOAD_OUT" 2>"$RUN_DIR/load.err" &
LOAD_PID=$!
bench_track advocacy_load "$RUN_DIR/load.err" "$LOAD_PID"
bench_log "load: $RATE calls/s, mix $MIX, tenant $TENANT (output $LOAD_OUT)"

now_ns() { date +%s%N; }
secs() { awk -v a="$1" -v b="$2" 'BEGIN{printf "%.1f", (b - a) / 1e9}'; }
field() { sed -n "s/.*[ ]$1=\([^ ]*\).*/\1/p" <<<"$2" | head -n1; }
load_alive() { kill -0 "$LOAD_PID" 2>/dev/null || { tail -n 20 "$RUN_DIR/load.err" >&2; bench_die "advocacy_load exited early"; }; }

# load_errors FROM_NS TO_NS: failed calls the load's WINDOW lines (one a second) report between.
load_errors() {
  awk -v from="$1" -v to="$2" '
    /^START / { split($2, a, "="); start = a[2] }
    /^WINDOW / { split($2, t, "="); split($4, e, "="); w = start + t[2] * 1e9; if (w >= from && w <= to + 1e9) n += e[2] }
    END { print n + 0 }' "$LOAD_OUT"
}
# not_fully_propagated FROM_NS TO_NS: acknowledged withdrawals that answered fully_propagated=false.
not_fully_propagated() {
  awk -v t="$TENANT" -v from="$1" -v to="$2" '$1 == t && $3 == "W" && $4 == "ok" && $6 == "0" && $8 >= from && $8 <= to {n++} END {print n + 0}' "$CHANGES"
}

# wait_port PORT TIMEOUT: until something accepts connections on 127.0.0.1:PORT.
wait_port() {
  local deadline=$((SECONDS + $2))
  until (: </dev/tcp/127.0.0.1/"$1") 2>/dev/null; do
    ((SECONDS < deadline)) || return 1
    sleep 0.2
  done
}

RESEND_OK=()   # --resend-ok windows: around the notifications kill only
FAILED=0
SUMMARY=()

# check LABEL: pauses the consent toggles, runs fault_check verify and the receipts check, and
# sets CHECK_LINE, CHECK_RC, CHECK_END_NS, PROP_MISSING.
check() {
  local label="$1" deadline rc=0 prop_rc=0 args=()
  touch "$PAUSE"
  deadline=$((SECONDS + 30))
  until [[ -e "$PAUSE.idle" ]] || ! kill -0 "$LOAD_PID" 2>/dev/null; do
    ((SECONDS < deadline)) || { rm -f "$PAUSE"; bench_die "the load did not pause its consent toggles within 30 s"; }
    sleep 0.1
  done
  local w
  for w in "${RESEND_OK[@]}"; do args+=(--resend-ok "$w"); done
  "$B/bench/fault_check" verify --label "$label" --consent "127.0.0.1:$C_GRPC" --content "127.0.0.1:$T_GRPC" \
    --redis "$ADVOCACY_REDIS_URL" --private-key "$BENCH_PRIV" --issuer "$BENCH_ISSUER" --tenant "$TENANT" \
    --employees "$EMPLOYEES" --churn "$CHURN" --change-log "$CHANGES" --share-log "$SHARES" \
    --publish-log "$PUBLISHES" --mails "$MAILS" --recipients "$RECIPIENTS" --state "$STATE" \
    --timeout "$RECOVER" "${args[@]}" >"$RUN_DIR/check-$label.txt" 2>&1 || rc=$?
  CHECK_END_NS="$(now_ns)"
  rm -f "$PAUSE"
  "$B/bench/propagation_bench" --brokers "$ADVOCACY_KAFKA_BROKERS" --ack-log "$ACKS" --tenant "$TENANT" \
    --services content,notifications --timeout 60 >"$RUN_DIR/receipts-$label.txt" 2>&1 || prop_rc=$?
  PROP_MISSING="$(grep '^RESULT name=propagation' "$RUN_DIR/receipts-$label.txt" |
    awk '{for (i = 1; i <= NF; i++) if ($i ~ /^missing=/) {split($i, a, "="); n += a[2]}} END {print n + 0}')"
  if ((prop_rc != 0)) && ! grep -q '^RESULT name=propagation' "$RUN_DIR/receipts-$label.txt"; then
    PROP_MISSING=unknown # e.g. no withdrawal acknowledged yet
  fi
  CHECK_LINE="$(grep '^CHECK ' "$RUN_DIR/check-$label.txt" || true)"
  CHECK_RC=$rc
  [[ -n "$CHECK_LINE" ]] || { cat "$RUN_DIR/check-$label.txt" >&2; CHECK_RC=2; }
}

# report NAME T0_NS RESTORED_NS [EXTRA_VERDICT_OK [EXTRA]]: prints the FAULT line and details.
report() {
  local name="$1" t0="$2" restored="$3" extra_ok="${4:-1}" extra="${5:-}" lost dup verdict=PASS conv rec
  lost="$(field lost "$CHECK_LINE")"; dup="$(field duplicated "$CHECK_LINE")"
  conv="$(field converged_s "$CHECK_LINE")"
  rec="$(secs "$restored" "$CHECK_END_NS")"
  [[ "$PROP_MISSING" =~ ^[0-9]+$ ]] && lost=$((${lost:-0} + PROP_MISSING))
  if ((CHECK_RC != 0)) || [[ "${lost:-x}" != 0 || "${dup:-x}" != 0 || "$PROP_MISSING" != 0 || "$extra_ok" != 1 ]]; then
    verdict=FAIL
    FAILED=1
  fi
  printf 'FAULT name=%s down_s=%s recovered_s=%s calls_failed=%s lost=%s duplicated=%s verdict=%s\n' \
    "$name" "$(secs "$t0" "$restored")" "$rec" "$(load_errors "$t0" "$CHECK_END_NS")" "${lost:-?}" "${dup:-?}" "$verdict"
  printf '  detail %s: withdrawals_not_fully_propagated_during=%s receipts_missing=%s check_converged_s=%s%s\n' \
    "$name" "$(not_fully_propagated "$t0" "$CHECK_END_NS")" "$PROP_MISSING" "$conv" "${extra:+ $extra}"
  printf '  %s\n' "$CHECK_LINE"
  sed -n 's/^DETAIL /  detail /p' "$RUN_DIR/check-$name.txt" 2>/dev/null | head -n 15
  SUMMARY+=("$name=$verdict")
}

services_alive() {
  local s pid
  for s in consent content notifications; do
    pid="$(bench_pid "$s")"
    kill -0 "$pid" 2>/dev/null || { tail -n 30 "$RUN_DIR/$s.log" >&2; bench_die "the $s service exited (log above)"; }
  done
}

# ------------------------------------------------------------------------------ baseline --
sleep "$SETTLE"
load_alive
t0="$(now_ns)"
check baseline
report baseline "$t0" "$t0"

# ---------------------------------------------------------------------------- the faults --
fault_kafka() {
  local t0 restored
  t0="$(now_ns)"
  "$STACK" kafka kill >>"$RUN_DIR/stack.log" 2>&1 || bench_die "stack.sh kafka kill failed"
  sleep "$KAFKA_DOWN"
  "$STACK" kafka start >>"$RUN_DIR/stack.log" 2>&1 || { tail -n 20 "$RUN_DIR/stack.log" >&2; bench_die "stack.sh kafka start failed"; }
  restored="$(now_ns)"
  sleep "$SETTLE"
  check kafka_kill9
  report kafka_kill9 "$t0" "$restored"
}

fault_service() {
  local svc="$1" port="$2" t0 restored
  t0="$(now_ns)"
  bench_kill9 "$svc"
  if [[ "$svc" == notifications ]]; then
    # A mail the relay accepted right before the kill may be sent again with the same
    # Message-ID once the digest's claim has expired (documented in the service's README).
    RESEND_OK+=("$((t0 - 5000000000)):$((t0 + 1000000000))")
  fi
  bench_restart "$svc"
  wait_port "$port" 60 || { tail -n 30 "$RUN_DIR/$svc.log" >&2; bench_die "$svc did not listen again within 60 s"; }
  restored="$(now_ns)"
  sleep "$SETTLE"
  check "${svc}_kill9"
  report "${svc}_kill9" "$t0" "$restored"
}

fault_redis() {
  local t0 restored
  t0="$(now_ns)"
  "$STACK" redis kill >>"$RUN_DIR/stack.log" 2>&1 || bench_die "stack.sh redis kill failed"
  "$STACK" redis start >>"$RUN_DIR/stack.log" 2>&1 || { tail -n 20 "$RUN_DIR/stack.log" >&2; bench_die "stack.sh redis start failed"; }
  restored="$(now_ns)"
  sleep "$SETTLE"
  check redis_kill9
  report redis_kill9 "$t0" "$restored"
}

fault_lag() {
  local t0 restored pid g max=0 end ok=0 back=""
  pid="$(bench_pid content)"
  t0="$(now_ns)"
  kill -STOP "$pid"
  end=$((SECONDS + LAG_S))
  while ((SECONDS < end)); do
    g="$(gauge content)"
    [[ -n "$g" ]] && max="$(awk -v a="$max" -v b="$g" 'BEGIN{print (b > a) ? b : a}')"
    sleep 1
  done
  kill -CONT "$pid"
  restored="$(now_ns)"
  end=$((SECONDS + RECOVER))
  while ((SECONDS < end)); do
    g="$(gauge content)"
    if [[ -n "$g" ]] && awk -v g="$g" 'BEGIN{exit !(g == 0)}'; then
      back="$(secs "$restored" "$(now_ns)")"
      break
    fi
    sleep 0.5
  done
  awk -v m="$max" 'BEGIN{exit !(m > 0)}' && [[ -n "$back" ]] && ok=1
  sleep "$SETTLE"
  check consumer_lag
  report consumer_lag "$t0" "$restored" "$ok" \
    "gauge_content_max_s=$max gauge_content_back_to_0_after_s=${back:-never} gauge_ok=$ok"
}

fault_poison() {
  local t0 restored marker out ok=1 p_consent p_content p_courses p_receipts after_w after_p
  marker="poison-$RUN_ID"
  t0="$(now_ns)"
  "$B/bench/fault_check" poison --brokers "$ADVOCACY_KAFKA_BROKERS" --marker "$marker" \
    --poison advocacy.consent.v1=advocacy.consent.v1.ConsentWithdrawn=/advocacy/consent \
    --poison advocacy.content.v1=advocacy.content.v1.ItemPublished=/advocacy/content \
    --poison advocacy.courses.v1=advocacy.courses.v1.CoursePublished=/advocacy/courses \
    --poison advocacy.consent.receipts.v1=advocacy.consent.v1.ConsentApplied=/advocacy/content \
    >"$RUN_DIR/poison.txt" 2>&1 || { cat "$RUN_DIR/poison.txt" >&2; bench_die "producing the poison messages failed"; }
  restored="$(now_ns)"
  pcount() { sed -n "s/^POISON topic=$1 partitions=\([0-9]*\).*/\1/p" "$RUN_DIR/poison.txt"; }
  p_consent="$(pcount advocacy.consent.v1)"; p_content="$(pcount advocacy.content.v1)"
  p_courses="$(pcount advocacy.courses.v1)"; p_receipts="$(pcount advocacy.consent.receipts.v1)"
  "$B/bench/fault_check" dlq --brokers "$ADVOCACY_KAFKA_BROKERS" --marker "$marker" --timeout "$RECOVER" \
    --expect "advocacy.consent.v1.content.dlq=$((2 * p_consent))" \
    --expect "advocacy.consent.v1.notifications.dlq=$((2 * p_consent))" \
    --expect "advocacy.content.v1.notifications.dlq=$((2 * p_content))" \
    --expect "advocacy.courses.v1.notifications.dlq=$((2 * p_courses))" \
    --expect "advocacy.consent.receipts.v1.consent.dlq=$((2 * p_receipts))" \
    >"$RUN_DIR/dlq.txt" 2>&1 || ok=0
  sleep "$SETTLE"
  check poison
  # The consumers went on: withdrawals after the poison were acknowledged as applied by both
  # services (so the consent service consumed receipts after it), and publishes after it mailed
  # (part of the check: every acknowledged publish before the check has its mails).
  after_w="$(awk -v t="$TENANT" -v from="$restored" '$1 == t && $3 == "W" && $4 == "ok" && $6 == "1" && $7 >= from {n++} END {print n + 0}' "$CHANGES")"
  after_p="$(awk -v t="$TENANT" -v from="$restored" '$1 == t && $3 == "ok" && $4 >= from {n++} END {print n + 0}' "$PUBLISHES")"
  ((after_w > 0 && after_p > 0)) || ok=0
  out="$(sed -n 's/^DLQ topic=\([^ ]*\) expected=\([0-9]*\) seen=\([0-9]*\).*/\1:\3\/\2/p' "$RUN_DIR/dlq.txt" | paste -sd' ')"
  report poison "$t0" "$restored" "$ok" \
    "dead_letters=[$out] fully_propagated_withdrawals_after=$after_w mailed_publishes_after=$after_p poison_ok=$ok"
  sed 's/^/  /' "$RUN_DIR/dlq.txt"
}

for f in ${FAULTS//,/ }; do
  load_alive
  services_alive
  bench_log "fault: $f"
  case "$f" in
    kafka) fault_kafka ;;
    consent) fault_service consent "$C_GRPC" ;;
    content) fault_service content "$T_GRPC" ;;
    notifications) fault_service notifications "$N_GRPC" ;;
    redis) fault_redis ;;
    lag) fault_lag ;;
    poison) fault_poison ;;
  esac
done

# ------------------------------------------------------------------------------ the end --
load_alive
kill -TERM "$LOAD_PID"
wait "$LOAD_PID" || true
services_alive
t0="$(now_ns)"
check final
report final "$t0" "$t0"
grep '^RESULT op=' "$LOAD_OUT" | sed 's/^/  /'
printf 'SUMMARY faults=%s verdict=%s rate=%s employees=%s tenant=%s %s\n' "$FAULTS" \
  "$( ((FAILED)) && echo FAIL || echo PASS)" "$RATE" "$EMPLOYEES" "$TENANT" "${SUMMARY[*]}"
bench_log "raw output in $RUN_DIR"
exit "$FAILED"
