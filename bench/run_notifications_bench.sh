#!/usr/bin/env bash
# The notifications fan-out benchmark (issue 3): one published item fanned out to a tenant of
# --recipients recipients (every --consent-every-th consenting to email tips) through to SMTP
# acceptance at a real SMTP sink, against a baseline measured in the same run: the same number
# of mails sent straight to the same sink with the service's own SMTP adapter at the service's
# send concurrency. Its own Redis + Kafka, the consent and notifications services and the sink
# on free loopback ports; --rounds rounds (a fresh item per round); medians and the ratio
# fanout_mails_per_s / baseline_mails_per_s. See bench/README.md.
set -euo pipefail
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
ORIG_ARGS="$*"
# shellcheck source=bench/lib.sh
source "$REPO/bench/lib.sh"

usage() {
  cat <<'EOF_USAGE'
usage: bench/run_notifications_bench.sh [options]
  --recipients N       recipients of the tenant (default 100000)
  --consent-every K    every K-th recipient consents to email tips (default 10: a tenth)
  --rounds R           rounds of baseline + fan-out; medians are reported (default 3)
  --workers W          the service's NOTIFICATIONS_DISPATCH_WORKERS and the baseline's sending
                       threads (default 4, the service's default)
  --seed-concurrency C RPC threads for seeding (default 16)
  --timeout S          per measurement: how long to wait for every expected mail; also the
                       limit for seeding and for the consent view to catch up (default 900)
  --settle S           seconds to keep watching the sink after the last expected mail, for
                       duplicates and strays (default 3)
  --build-dir DIR      build tree (default <repo>/build-bench, configured Release if new)
  --no-build           use the binaries already built
  --home DIR           ADVOCACY_HOME for this run (default /tmp/notifications-bench-home); never
                       the default stack's home: its Redis and Kafka data are deleted at start
                       (stack.sh reset) and everything under it is stopped at exit
  --skip-install       do not run deploy/local/install.sh
  -h, --help
EOF_USAGE
}
BUILD_DIR="$REPO/build-bench"; DO_BUILD=1; HOME_DIR="${ADVOCACY_BENCH_HOME:-/tmp/notifications-bench-home}"
INSTALL=install; RECIPIENTS=100000; CONSENT_EVERY=10; ROUNDS=3; WORKERS=4; SEED_C=16
TIMEOUT=900; SETTLE=3
need() { [[ $# -ge 2 && -n "$2" ]] || bench_die "$1 needs a value (see --help)"; }
while (($#)); do
  case "$1" in
    --recipients) need "$@"; RECIPIENTS="$2"; shift 2 ;;
    --consent-every) need "$@"; CONSENT_EVERY="$2"; shift 2 ;;
    --rounds) need "$@"; ROUNDS="$2"; shift 2 ;;
    --workers) need "$@"; WORKERS="$2"; shift 2 ;;
    --seed-concurrency) need "$@"; SEED_C="$2"; shift 2 ;;
    --timeout) need "$@"; TIMEOUT="$2"; shift 2 ;;
    --settle) need "$@"; SETTLE="$2"; shift 2 ;;
    --build-dir) need "$@"; BUILD_DIR="$2"; shift 2 ;;
    --no-build) DO_BUILD=0; shift ;;
    --home) need "$@"; HOME_DIR="$2"; shift 2 ;;
    --skip-install) INSTALL=""; shift ;;
    -h | --help) usage; exit 0 ;;
    *) usage >&2; bench_die "unknown option '$1'" ;;
  esac
done
for v in RECIPIENTS CONSENT_EVERY ROUNDS WORKERS SEED_C TIMEOUT; do
  [[ "${!v}" =~ ^[1-9][0-9]*$ ]] || bench_die "--$(tr 'A-Z_' 'a-z-' <<<"$v") must be a positive whole number, not '${!v}'"
done
[[ "$SETTLE" =~ ^[0-9]+(\.[0-9]+)?$ ]] || bench_die "--settle must be a number of seconds"
((WORKERS <= 64)) || bench_die "--workers must be at most 64 (NOTIFICATIONS_DISPATCH_WORKERS)"

bench_init_home "$HOME_DIR"
RUN_DIR="$ADVOCACY_HOME/notifications-bench"
mkdir -p "$RUN_DIR"
[[ -n "$INSTALL" ]] && bench_install "$RUN_DIR"
SINK_PY=/usr/bin/python3
[[ -x "$SINK_PY" ]] && "$SINK_PY" -c 'import aiosmtpd' 2>/dev/null ||
  bench_die "the SMTP sink needs Debian's python3 with aiosmtpd (apt-get install python3-aiosmtpd, or run deploy/local/install.sh)"
command -v openssl >/dev/null || bench_die "openssl not found; run deploy/local/install.sh"
TARGETS=(consent notifications notifications_bench)
if ((DO_BUILD)); then
  if [[ ! -f "$BUILD_DIR/CMakeCache.txt" ]]; then
    bench_log "configuring $BUILD_DIR (Release, benchmarks on)"
    cmake -S "$REPO" -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=Release -DADVOCACY_BUILD_BENCH=ON \
      -DADVOCACY_BUILD_TESTS=OFF >"$RUN_DIR/configure.log" 2>&1 ||
      { tail -n 30 "$RUN_DIR/configure.log" >&2; bench_die "cmake configure failed"; }
  fi
  bench_log "building ${TARGETS[*]} in $BUILD_DIR"
  cmake --build "$BUILD_DIR" -j2 --target "${TARGETS[@]}" >"$RUN_DIR/build.log" 2>&1 ||
    { tail -n 30 "$RUN_DIR/build.log" >&2; bench_die "build failed (full log $RUN_DIR/build.log)"; }
fi
BUILD_TYPE="$(sed -n 's/^CMAKE_BUILD_TYPE:STRING=//p' "$BUILD_DIR/CMakeCache.txt" 2>/dev/null || true)"
[[ "$BUILD_TYPE" == Release ]] ||
  bench_log "WARNING: $BUILD_DIR is a '${BUILD_TYPE:-unknown}' build; the numbers are only meaningful for Release"
CONSENT_BIN="$BUILD_DIR/services/consent/consent"
NOTIF_BIN="$BUILD_DIR/services/notifications/notifications"
BENCH_BIN="$BUILD_DIR/bench/notifications_bench"
for bin in "$CONSENT_BIN" "$NOTIF_BIN" "$BENCH_BIN"; do
  [[ -x "$bin" ]] || bench_die "$bin not found (build it, or drop --no-build)"
done

# From empty Redis and Kafka every run: the services' consumer groups are new per run and read
# from the earliest offset, so an earlier run's events in this home would be replayed (every
# earlier fan-out and consent change again) while this one seeds and measures.
"$REPO/deploy/local/stack.sh" reset >"$RUN_DIR/stack-reset.log" 2>&1 ||
  { tail -n 20 "$RUN_DIR/stack-reset.log" >&2; bench_die "deploy/local/stack.sh reset failed (log above)"; }
bench_stack_up "$RUN_DIR" $INSTALL
bench_keys "$RUN_DIR"
UNSUB_KEY="$RUN_DIR/unsubscribe.key"
openssl rand -base64 48 >"$UNSUB_KEY" || bench_die "openssl could not generate the unsubscribe key"

# ------------------------------------------------------------------- the sink --
# Started like lib.sh's bench_start (remembered for the cleanup, which stops it last), but with
# arguments: the sink binds port 0 and writes the port to its ready file once it listens.
SINK_DIR="$RUN_DIR/sink"
rm -rf "$SINK_DIR"
mkdir -p "$SINK_DIR"
"$SINK_PY" "$REPO/tests/integration/smtp_sink.py" --port 0 --out "$SINK_DIR" \
  --ready-file "$SINK_DIR/ready" </dev/null >"$RUN_DIR/sink.log" 2>&1 &
BENCH_PIDS+=($!); BENCH_NAMES+=(smtp-sink); BENCH_LOGS+=("$RUN_DIR/sink.log")
for _ in $(seq 1 100); do
  [[ -s "$SINK_DIR/ready" ]] && break
  bench_alive
  sleep 0.1
done
[[ -s "$SINK_DIR/ready" ]] || bench_die "the SMTP sink did not start within 10 s; see $RUN_DIR/sink.log"
SINK_PORT="$(head -n1 "$SINK_DIR/ready")"
MAILS="$SINK_DIR/mails.jsonl"
SMTP_URL="smtp://127.0.0.1:$SINK_PORT"
bench_log "SMTP sink on $SMTP_URL, recording to $MAILS"

# ------------------------------------------------------------------ services --
read -r C_GRPC C_METRICS N_GRPC N_METRICS N_UNSUB < <(bench_ports 5)
RUN_ID="$(date +%s)-$$"
TENANT="nbench-$RUN_ID"
WARM_TENANT="nbench-warm-$RUN_ID"
# Only notifications consumes consent events here, so only its receipts are expected. Consumer
# groups of this run only: a member of an earlier, killed run would hold the partitions until
# its session timed out.
bench_start consent "$RUN_DIR/consent.log" "$CONSENT_BIN" \
  ADVOCACY_GRPC_LISTEN="127.0.0.1:$C_GRPC" ADVOCACY_METRICS_LISTEN="127.0.0.1:$C_METRICS" \
  CONSENT_PROPAGATION_SERVICES=notifications CONSENT_RECEIPTS_GROUP="consent-receipts-bench-$RUN_ID"
bench_start notifications "$RUN_DIR/notifications.log" "$NOTIF_BIN" \
  ADVOCACY_GRPC_LISTEN="127.0.0.1:$N_GRPC" ADVOCACY_METRICS_LISTEN="127.0.0.1:$N_METRICS" \
  NOTIFICATIONS_CONSENT_ADDR="127.0.0.1:$C_GRPC" \
  $(bench_notifications_identity) NOTIFICATIONS_UNSUBSCRIBE_KEY_FILE="$UNSUB_KEY" \
  NOTIFICATIONS_PUBLIC_BASE_URL="https://notifications.bench.example" \
  NOTIFICATIONS_UNSUBSCRIBE_LISTEN="127.0.0.1:$N_UNSUB" \
  NOTIFICATIONS_SMTP_URL="$SMTP_URL" NOTIFICATIONS_MAIL_FROM="notifications@bench.example" \
  NOTIFICATIONS_DISPATCH_WORKERS="$WORKERS" \
  NOTIFICATIONS_CONSENT_GROUP="notifications-consent-view-bench-$RUN_ID" \
  NOTIFICATIONS_EVENTS_GROUP="notifications-events-bench-$RUN_ID" \
  ADVOCACY_LOG_LEVEL=info
common=(--private-key "$BENCH_PRIV" --issuer "$BENCH_ISSUER")
"$BENCH_BIN" wait --target "127.0.0.1:$N_GRPC" --tenant "$TENANT" --timeout 90 "${common[@]}" >/dev/null ||
  { bench_alive; tail -n 20 "$RUN_DIR/notifications.log" >&2; bench_die "the notifications service did not become ready"; }
bench_alive
bench_log "consent on 127.0.0.1:$C_GRPC, notifications on 127.0.0.1:$N_GRPC ($WORKERS dispatch workers)"

# ------------------------------------------------------------------- seeding --
seed() { # TENANT RECIPIENTS
  "$BENCH_BIN" seed --target "127.0.0.1:$N_GRPC" --consent-target "127.0.0.1:$C_GRPC" \
    --tenant "$1" --recipients "$2" --consent-every "$CONSENT_EVERY" -c "$SEED_C" --timeout "$TIMEOUT" \
    "${common[@]}" >&2 || { bench_alive; bench_die "seeding tenant $1 failed (message above)"; }
}
bench_log "seeding $RECIPIENTS recipients of tenant $TENANT (every ${CONSENT_EVERY}th consenting)"
SEED_START=$SECONDS
seed "$TENANT" "$RECIPIENTS"
SEED_S=$((SECONDS - SEED_START))
seed "$WARM_TENANT" "$((CONSENT_EVERY * 5))"
bench_alive

# measure MODE NAME TENANT RECIPIENTS MARKER OUT: one fanout or baseline measurement.
measure() {
  local mode="$1" name="$2" tenant="$3" n="$4" marker="$5" out="$6"
  local -a args=(--tenant "$tenant" --recipients "$n" --consent-every "$CONSENT_EVERY"
    --mails-file "$MAILS" --marker "$marker" --name "$name" --timeout "$TIMEOUT" --settle "$SETTLE")
  if [[ "$mode" == fanout ]]; then
    args+=(--brokers "$ADVOCACY_KAFKA_BROKERS")
  else
    args+=(--smtp-url "$SMTP_URL" -c "$WORKERS")
  fi
  if ! "$BENCH_BIN" "$mode" "${args[@]}" >"$out" 2>"$out.err"; then
    cat "$out" "$out.err" >&2
    bench_alive
    tail -n 20 "$RUN_DIR/notifications.log" >&2
    bench_die "the $name measurement failed (output above; service log $RUN_DIR/notifications.log)"
  fi
}
# cpu_s PID: user + system CPU seconds the process has used so far (0 when it is gone).
CLK_TCK="$(getconf CLK_TCK)"
cpu_s() {
  awk -v hz="$CLK_TCK" '{sub(/^.*\) /, ""); printf "%.2f", ($12 + $13) / hz}' "/proc/$1/stat" 2>/dev/null || echo 0
}
# cpu_snapshot: the CPU seconds of notifications, consent, Redis and the sink, space-separated.
cpu_snapshot() {
  local p out=()
  for p in "$(bench_pid notifications)" "$(bench_pid consent)" "${ADVOCACY_REDIS_PID:-0}" "$(bench_pid smtp-sink)"; do
    out+=("$(cpu_s "$p")")
  done
  printf '%s\n' "${out[*]}"
}
# cpu_ms_per_mail BEFORE AFTER MAILS: CPU milliseconds per mail of each of the four.
cpu_ms_per_mail() {
  awk -v a="$1" -v b="$2" -v n="$3" 'BEGIN{split(a, x, " "); split(b, y, " ");
    printf "notifications %.2f, consent %.2f, redis %.2f, sink %.2f", (y[1]-x[1])*1000/n, (y[2]-x[2])*1000/n, (y[3]-x[3])*1000/n, (y[4]-x[4])*1000/n}'
}
# fanned_out_s OUT: seconds from the produce to the service's "event fanned out" log line of
# the tenant's newest event (every job created and consent checked), or "?" when not found.
fanned_out_s() {
  local start_ms line ts
  start_ms="$(field fanout start_unix_ms "$1")"
  line="$(grep '"message":"event fanned out"' "$RUN_DIR/notifications.log" | grep "\"tenant\":\"$TENANT\"" | tail -n1)"
  ts="$(sed -n 's/.*"ts":"\([^"]*\)".*/\1/p' <<<"$line")"
  [[ -n "$start_ms" && -n "$ts" ]] || { echo "?"; return; }
  awk -v a="$(date -d "$ts" +%s%3N)" -v b="$start_ms" 'BEGIN{printf "%.3f", (a - b) / 1000}'
}
field() { sed -n "s/^RESULT name=$1 .*[ ]$2=\([^ ]*\).*/\1/p" "$3" | tail -n1; }

# Warm-up, not reported: the content consumer joins its group, the pooled SMTP and consent
# connections open; the first event would otherwise pay for all of that.
bench_log "warm-up: a fan-out to tenant $WARM_TENANT and a small baseline"
measure fanout warm_fanout "$WARM_TENANT" "$((CONSENT_EVERY * 5))" "warm-f-$RUN_ID" "$RUN_DIR/warm_fanout.txt"
measure baseline warm_baseline "$WARM_TENANT" "$((CONSENT_EVERY * 5))" "warm-b-$RUN_ID" "$RUN_DIR/warm_baseline.txt"

# ------------------------------------------------------------------- rounds --
LOAD_START="$(cut -d' ' -f1-3 /proc/loadavg)"
# Per-command Redis counters of the measured rounds only (this run's own Redis), for the log.
redis-cli -p "$ADVOCACY_REDIS_PORT" CONFIG RESETSTAT >/dev/null 2>&1 || true
declare -a B_S B_RATE F_S F_RATE F_FIRST F_SEND F_JOBS R_RATIO
for ((r = 1; r <= ROUNDS; r++)); do
  d="$RUN_DIR/round$r"
  mkdir -p "$d"
  c0="$(cpu_snapshot)"
  measure baseline baseline "$TENANT" "$RECIPIENTS" "baseline-r$r-$RUN_ID" "$d/baseline.txt"
  c1="$(cpu_snapshot)"
  measure fanout fanout "$TENANT" "$RECIPIENTS" "fanout-r$r-$RUN_ID" "$d/fanout.txt"
  c2="$(cpu_snapshot)"
  n_mails="$(field fanout mails "$d/fanout.txt")"
  printf 'baseline: %s\nfanout: %s\n' "$(cpu_ms_per_mail "$c0" "$c1" "$n_mails")" \
    "$(cpu_ms_per_mail "$c1" "$c2" "$n_mails")" >"$d/cpu_ms_per_mail.txt"
  B_S+=("$(field baseline total_s "$d/baseline.txt")")
  B_RATE+=("$(field baseline mails_per_s "$d/baseline.txt")")
  F_S+=("$(field fanout total_s "$d/fanout.txt")")
  F_RATE+=("$(field fanout mails_per_s "$d/fanout.txt")")
  F_FIRST+=("$(field fanout first_mail_s "$d/fanout.txt")")
  F_SEND+=("$(field fanout send_phase_mails_per_s "$d/fanout.txt")")
  F_JOBS+=("$(fanned_out_s "$d/fanout.txt")")
  [[ -n "${B_RATE[-1]}" && -n "${F_RATE[-1]}" ]] || bench_die "no RESULT line in $d"
  R_RATIO+=("$(ratio "${F_RATE[-1]}" "${B_RATE[-1]}")")
  printf '[bench] round %d/%d: baseline %s mails in %s s (%s mails/s) | fan-out %s s (%s mails/s; jobs created after %s s, first mail after %s s, then %s mails/s) | ratio %s | load %s\n' \
    "$r" "$ROUNDS" "$(field baseline mails "$d/baseline.txt")" "${B_S[-1]}" "${B_RATE[-1]}" \
    "${F_S[-1]}" "${F_RATE[-1]}" "${F_JOBS[-1]}" "${F_FIRST[-1]}" "${F_SEND[-1]}" \
    "${R_RATIO[-1]}" "$(cut -d' ' -f1 /proc/loadavg)" >&2
  bench_log "  CPU ms per mail during the fan-out: $(sed -n 's/^fanout: //p' "$d/cpu_ms_per_mail.txt") (baseline: sink $(sed -n 's/^baseline: .*sink //p' "$d/cpu_ms_per_mail.txt"))"
done
bench_alive
redis-cli -p "$ADVOCACY_REDIS_PORT" INFO commandstats >"$RUN_DIR/redis-commandstats.txt" 2>&1 || true
curl -fsS "http://127.0.0.1:$N_METRICS/metrics" >"$RUN_DIR/notifications.metrics" 2>/dev/null || true
rss_kib="$(bench_rss_kib notifications || echo '?')"

# ------------------------------------------------------------------ summary --
MAILS_PER_ROUND="$(field fanout mails "$RUN_DIR/round1/fanout.txt")"
m_brate="$(median "${B_RATE[@]}")"; m_frate="$(median "${F_RATE[@]}")"
m_bs="$(median "${B_S[@]}")"; m_fs="$(median "${F_S[@]}")"
m_first="$(median "${F_FIRST[@]}")"; m_send="$(median "${F_SEND[@]}")"
if [[ " ${F_JOBS[*]} " == *" ? "* ]]; then m_jobs="?"; else m_jobs="$(median "${F_JOBS[@]}")"; fi
RATIO="$(ratio "$m_frate" "$m_brate")"
m_ratio="$(median "${R_RATIO[@]}")"
cat <<EOF_SUMMARY

command: $0 $ORIG_ARGS
load average at start / end: $LOAD_START / $(cut -d' ' -f1-3 /proc/loadavg)
notifications fan-out benchmark: medians of $ROUNDS rounds, $(nproc) CPUs, build $BUILD_TYPE
  tenant $TENANT: $RECIPIENTS recipients, every ${CONSENT_EVERY}th consenting: $MAILS_PER_ROUND mails per round (seeding took ${SEED_S} s)
  service: NOTIFICATIONS_DISPATCH_WORKERS=$WORKERS, other settings default; notifications RSS at the end ${rss_kib} KiB
  baseline (SmtpMailSender, $WORKERS threads)   $(printf '%8.1f' "$m_brate") mails/s   all accepted after $m_bs s
  fan-out (publish -> last mail)       $(printf '%8.1f' "$m_frate") mails/s   all accepted after $m_fs s
    (every job created after $m_jobs s, first mail after $m_first s, then $m_send mails/s)
  every round: each consenting recipient exactly one mail, none to anyone else

  fanout_mails_per_s / baseline_mails_per_s = $RATIO   (median of the per-round ratios: $m_ratio)
EOF_SUMMARY
printf 'SUMMARY recipients=%s mails=%s rounds=%s workers=%s baseline_mails_per_s=%s baseline_s=%s fanout_mails_per_s=%s fanout_s=%s fanout_jobs_created_s=%s fanout_first_mail_s=%s fanout_send_phase_mails_per_s=%s ratio=%s ratio_round_median=%s\n' \
  "$RECIPIENTS" "$MAILS_PER_ROUND" "$ROUNDS" "$WORKERS" "$m_brate" "$m_bs" "$m_frate" "$m_fs" \
  "$m_jobs" "$m_first" "$m_send" "$RATIO" "$m_ratio"
