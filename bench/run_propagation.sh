#!/usr/bin/env bash
# The propagation benchmark (issue "The whole system"): thousands of opt-outs while the load tool
# runs its mix, and for each consuming service the p50/p99 from the client's acknowledgement of
# the withdrawal to the service's receipt of having applied it, next to raw librdkafka
# produce-to-consume latency on the same broker, with the consent topic's partition count and a
# message of the consent event's size, measured at the same time on the same machine.
# Target: system p99 <= 1.5 x raw p99 + 5 ms. See bench/README.md.
set -euo pipefail
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck source=bench/lib.sh
source "$REPO/bench/lib.sh"

usage() {
  cat <<'EOF_USAGE'
usage: bench/run_propagation.sh [options]
  --build-dir DIR   build tree (default <repo>/build-bench, configured Release if new)
  --no-build        use the binaries already built
  --home DIR        ADVOCACY_HOME for this run (default /tmp/propagation-home)
  --skip-install    do not run deploy/local/install.sh
  --rate R          calls per second of the whole mix (default 300)
  --duration S      seconds of load (default 60)
  --consent-share P percent of the mix that are consent changes (default 30; half are opt-outs)
  --employees N     employees (default 2000, 25% of them churn)
  --size B          raw baseline message size in bytes (default 250, about a ConsentWithdrawn
                    event with two scopes and its CloudEvent headers)
EOF_USAGE
}
BUILD_DIR="$REPO/build-bench"; DO_BUILD=1; HOME_DIR=/tmp/propagation-home; INSTALL=install
RATE=300; DURATION=60; CONSENT_SHARE=30; EMPLOYEES=2000; SIZE=250
need() { [[ $# -ge 2 && -n "$2" ]] || bench_die "$1 needs a value (see --help)"; }
while (($#)); do
  case "$1" in
    --build-dir) need "$@"; BUILD_DIR="$2"; shift 2 ;;
    --no-build) DO_BUILD=0; shift ;;
    --home) need "$@"; HOME_DIR="$2"; shift 2 ;;
    --skip-install) INSTALL=""; shift ;;
    --rate) need "$@"; RATE="$2"; shift 2 ;;
    --duration) need "$@"; DURATION="$2"; shift 2 ;;
    --consent-share) need "$@"; CONSENT_SHARE="$2"; shift 2 ;;
    --employees) need "$@"; EMPLOYEES="$2"; shift 2 ;;
    --size) need "$@"; SIZE="$2"; shift 2 ;;
    -h | --help) usage; exit 0 ;;
    *) usage >&2; bench_die "unknown option '$1'" ;;
  esac
done
[[ "$CONSENT_SHARE" =~ ^[0-9]+$ ]] && ((CONSENT_SHARE > 0 && CONSENT_SHARE < 100)) ||
  bench_die "--consent-share must be 1..99"

bench_init_home "$HOME_DIR"
RUN_DIR="$ADVOCACY_HOME/propagation"
mkdir -p "$RUN_DIR"
[[ -n "$INSTALL" ]] && bench_install "$RUN_DIR"
if ((DO_BUILD)); then
  bench_build "$BUILD_DIR" "$RUN_DIR" consent content notifications advocacy_load kafka_latency \
    propagation_bench
fi
B="$BUILD_DIR"
bench_need "$B" services/consent/consent services/content/content services/notifications/notifications \
  bench/advocacy_load bench/kafka_latency bench/propagation_bench

bench_stack_up "$RUN_DIR" $INSTALL
bench_keys "$RUN_DIR"
PARTITIONS="${ADVOCACY_KAFKA_PARTITIONS:-6}"
read -r C_GRPC C_METRICS T_GRPC T_METRICS T_LINK N_GRPC N_METRICS N_UNSUB < <(bench_ports 8)
RUN_ID="$(date +%s)-$$"
TENANT="prop-$RUN_ID"
# Both consuming services of consent events; notifications needs its SMTP relay to start.
SERVICES=content,notifications
bench_smtp_sink "$RUN_DIR/sink"
bench_start consent "$RUN_DIR/consent.log" "$B/services/consent/consent" \
  ADVOCACY_GRPC_LISTEN="127.0.0.1:$C_GRPC" ADVOCACY_METRICS_LISTEN="127.0.0.1:$C_METRICS" \
  ADVOCACY_KAFKA_PARTITIONS="$PARTITIONS" CONSENT_PROPAGATION_SERVICES="$SERVICES" CONSENT_ACK_WAIT_MS=0
bench_start content "$RUN_DIR/content.log" "$B/services/content/content" \
  ADVOCACY_GRPC_LISTEN="127.0.0.1:$T_GRPC" ADVOCACY_METRICS_LISTEN="127.0.0.1:$T_METRICS" \
  ADVOCACY_KAFKA_PARTITIONS="$PARTITIONS" \
  CONTENT_LINK_LISTEN="127.0.0.1:$T_LINK" CONTENT_LINK_BASE_URL="http://127.0.0.1:$T_LINK/l/" \
  CONTENT_CONSENT_GROUP="content-consent-view-prop-$RUN_ID"
bench_start_notifications "$RUN_DIR/notifications.log" "$B/services/notifications/notifications" \
  "127.0.0.1:$C_GRPC" "$N_GRPC" "$N_METRICS" "$N_UNSUB" "$RUN_DIR" "prop-$RUN_ID" \
  ADVOCACY_KAFKA_PARTITIONS="$PARTITIONS"
common=(--consent "127.0.0.1:$C_GRPC" --content "127.0.0.1:$T_GRPC" --private-key "$BENCH_PRIV"
  --issuer "$BENCH_ISSUER" --tenant "$TENANT" --employees "$EMPLOYEES" --items 50)
"$B/bench/advocacy_load" seed "${common[@]}" --timeout 120 >&2 || { bench_alive; bench_die "seeding failed"; }
bench_alive
# Measure the system, not its start: both services first apply the seeding's consent changes.
bench_wait_applied "$C_METRICS" 180 content notifications

rest=$((100 - CONSENT_SHARE))
MIX="consent=$CONSENT_SHARE,check=$((rest * 45 / 100)),feed=$((rest * 30 / 100)),share=$((rest * 10 / 100)),batch=$((rest * 5 / 100)),publish=$((rest * 10 / 100))"
ACK_LOG="$RUN_DIR/acks.txt"
RAW_COUNT="$(awk -v r="$RATE" -v d="$DURATION" -v p="$CONSENT_SHARE" 'BEGIN{n = int(r * d * p / 100); if (n < 200) n = 200; print n}')"
RAW_RATE="$(awk -v r="$RATE" -v p="$CONSENT_SHARE" 'BEGIN{x = r * p / 100; if (x < 1) x = 1; print x}')"
bench_log "load: $RATE calls/s for ${DURATION}s, mix $MIX; raw baseline: $RAW_COUNT messages at $RAW_RATE/s, $SIZE bytes, $PARTITIONS partitions, at the same time"
LOAD_START="$(cut -d' ' -f1-3 /proc/loadavg)"
"$B/bench/kafka_latency" --brokers "$ADVOCACY_KAFKA_BROKERS" --topic "bench.raw.$RUN_ID" \
  --partitions "$PARTITIONS" --count "$RAW_COUNT" --rate "$RAW_RATE" --size "$SIZE" \
  >"$RUN_DIR/raw.txt" 2>"$RUN_DIR/raw.err" &
RAW_PID=$!
load_rc=0
"$B/bench/advocacy_load" run "${common[@]}" --churn 0.25 --rate "$RATE" --duration "$DURATION" \
  --mix "$MIX" --report-every 10 --run-id "$RUN_ID" --ack-log "$ACK_LOG" | tee "$RUN_DIR/load.txt" || load_rc=$?
wait "$RAW_PID" || { cat "$RUN_DIR/raw.err" >&2; bench_die "the raw Kafka baseline failed"; }
bench_alive
prop_rc=0
"$B/bench/propagation_bench" --brokers "$ADVOCACY_KAFKA_BROKERS" --ack-log "$ACK_LOG" \
  --tenant "$TENANT" --services "$SERVICES" --timeout 60 | tee "$RUN_DIR/propagation.txt" || prop_rc=$?

field() { sed -n "s/.*[ ]$1=\([^ ]*\).*/\1/p" <<<"$2"; }
raw_line="$(grep '^RESULT name=kafka_raw' "$RUN_DIR/raw.txt")"
raw_p50="$(field p50_us "$raw_line")"; raw_p99="$(field p99_us "$raw_line")"
printf '\ncommand: %s (rate %s/s for %ss, %s employees, tenant %s)\n' "$0" "$RATE" "$DURATION" "$EMPLOYEES" "$TENANT"
printf 'load average at start / end: %s / %s\n' "$LOAD_START" "$(cut -d' ' -f1-3 /proc/loadavg)"
printf 'raw librdkafka produce->consume: p50 %s us, p99 %s us (%s messages)\n' "$raw_p50" "$raw_p99" "$RAW_COUNT"
verdict=0
while read -r line; do
  svc="$(field service "$line")"; p50="$(field p50_us "$line")"; p99="$(field p99_us "$line")"
  n="$(field applied "$line")"; miss="$(field missing "$line")"
  target="$(awk -v r="$raw_p99" 'BEGIN{printf "%.1f", 1.5 * r + 5000}')"
  ok="$(awk -v a="$p99" -v t="$target" 'BEGIN{print (a <= t) ? "MEETS" : "MISSES"}')"
  [[ "$ok" == MEETS ]] || verdict=1
  printf '%s: ack->applied p50 %s us, p99 %s us over %s withdrawals (%s missing); p99/raw_p99 = %s; target 1.5 x raw p99 + 5 ms = %s us: %s\n' \
    "$svc" "$p50" "$p99" "$n" "$miss" "$(ratio "$p99" "$raw_p99")" "$target" "$ok"
  printf 'SUMMARY service=%s raw_p50_us=%s raw_p99_us=%s p50_us=%s p99_us=%s withdrawals=%s missing=%s target_us=%s verdict=%s\n' \
    "$svc" "$raw_p50" "$raw_p99" "$p50" "$p99" "$n" "$miss" "$target" "$ok"
done < <(grep '^RESULT name=propagation' "$RUN_DIR/propagation.txt")
((load_rc == 0 && prop_rc == 0)) || exit 1
exit "$verdict"
