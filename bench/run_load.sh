#!/usr/bin/env bash
# Runs the system under a fixed-rate, open-loop mix of calls (bench/advocacy_load.cc) for a fixed
# time: its own Redis + Kafka, an SMTP sink, the consent, content and notifications services on
# free loopback ports, a fresh tenant seeded with consenting employees, items and mail recipients
# (each publish mails them). Prints per-operation results, a latency line per window, and the
# services' resident memory at the start and the end (the soak bound).
# See bench/README.md.
set -euo pipefail
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck source=bench/lib.sh
source "$REPO/bench/lib.sh"

usage() {
  cat <<'EOF_USAGE'
usage: bench/run_load.sh [options]
  --build-dir DIR      build tree (default <repo>/build-bench, configured Release if new)
  --no-build           use the binaries already built
  --home DIR           ADVOCACY_HOME for this run (default /tmp/load-home)
  --skip-install       do not run deploy/local/install.sh
  --rate R             calls per second offered (default 200)
  --duration S         seconds of load (default 30)
  --mix M              op=weight,... (default: the tool's realistic mix)
  --employees N        employees (default 1000; 10% churn their consent)
  --items N            seeded items (default 50)
  --report-every S     a WINDOW line every S seconds (default 5)
  --ack-log FILE       write acknowledged withdrawals here (tenant employee sequence ack_ns)
  --recipients N       mail recipients among the steady employees (default 20; every publish
                       mails each of them at once)
  --max-rss-growth P   fail when a service's RSS grew by more than P percent (default 50)
  --max-warm-growth P  fail when a service's RSS grew by more than P percent from the end of the
                       first window (caches and pools filled: the warm-up) to the end (default 10)
EOF_USAGE
}
BUILD_DIR="$REPO/build-bench"; DO_BUILD=1; HOME_DIR=/tmp/load-home; INSTALL=install
RATE=200; DURATION=30; MIX=""; EMPLOYEES=1000; ITEMS=50; EVERY=5; ACK_LOG=""; MAX_GROWTH=50
MAX_WARM_GROWTH=10
RECIPIENTS=20
need() { [[ $# -ge 2 && -n "$2" ]] || bench_die "$1 needs a value (see --help)"; }
while (($#)); do
  case "$1" in
    --build-dir) need "$@"; BUILD_DIR="$2"; shift 2 ;;
    --no-build) DO_BUILD=0; shift ;;
    --home) need "$@"; HOME_DIR="$2"; shift 2 ;;
    --skip-install) INSTALL=""; shift ;;
    --rate) need "$@"; RATE="$2"; shift 2 ;;
    --duration) need "$@"; DURATION="$2"; shift 2 ;;
    --mix) need "$@"; MIX="$2"; shift 2 ;;
    --employees) need "$@"; EMPLOYEES="$2"; shift 2 ;;
    --items) need "$@"; ITEMS="$2"; shift 2 ;;
    --report-every) need "$@"; EVERY="$2"; shift 2 ;;
    --ack-log) need "$@"; ACK_LOG="$2"; shift 2 ;;
    --max-rss-growth) need "$@"; MAX_GROWTH="$2"; shift 2 ;;
    --max-warm-growth) need "$@"; MAX_WARM_GROWTH="$2"; shift 2 ;;
    --recipients) need "$@"; RECIPIENTS="$2"; shift 2 ;;
    -h | --help) usage; exit 0 ;;
    *) usage >&2; bench_die "unknown option '$1'" ;;
  esac
done

bench_init_home "$HOME_DIR"
RUN_DIR="$ADVOCACY_HOME/load"
mkdir -p "$RUN_DIR"
[[ -n "$INSTALL" ]] && bench_install "$RUN_DIR"
if ((DO_BUILD)); then
  bench_build "$BUILD_DIR" "$RUN_DIR" consent content notifications advocacy_load
fi
LOAD_BIN="$BUILD_DIR/bench/advocacy_load"
bench_need "$BUILD_DIR" services/consent/consent services/content/content \
  services/notifications/notifications bench/advocacy_load

bench_stack_up "$RUN_DIR" $INSTALL
bench_keys "$RUN_DIR"
read -r C_GRPC C_METRICS T_GRPC T_METRICS T_LINK N_GRPC N_METRICS N_UNSUB < <(bench_ports 8)
RUN_ID="$(date +%s)-$$"
TENANT="load-$RUN_ID"
bench_start consent "$RUN_DIR/consent.log" "$BUILD_DIR/services/consent/consent" \
  ADVOCACY_GRPC_LISTEN="127.0.0.1:$C_GRPC" ADVOCACY_METRICS_LISTEN="127.0.0.1:$C_METRICS" \
  CONSENT_PROPAGATION_SERVICES=content,notifications
bench_start content "$RUN_DIR/content.log" "$BUILD_DIR/services/content/content" \
  ADVOCACY_GRPC_LISTEN="127.0.0.1:$T_GRPC" ADVOCACY_METRICS_LISTEN="127.0.0.1:$T_METRICS" \
  CONTENT_LINK_LISTEN="127.0.0.1:$T_LINK" CONTENT_LINK_BASE_URL="http://127.0.0.1:$T_LINK/l/" \
  CONTENT_CONSENT_GROUP="content-consent-view-load-$RUN_ID"
bench_smtp_sink "$RUN_DIR/sink"
bench_start_notifications "$RUN_DIR/notifications.log" "$BUILD_DIR/services/notifications/notifications" \
  "127.0.0.1:$C_GRPC" "$N_GRPC" "$N_METRICS" "$N_UNSUB" "$RUN_DIR" "load-$RUN_ID"
common=(--consent "127.0.0.1:$C_GRPC" --content "127.0.0.1:$T_GRPC" --private-key "$BENCH_PRIV"
  --issuer "$BENCH_ISSUER" --tenant "$TENANT" --employees "$EMPLOYEES" --items "$ITEMS")
"$LOAD_BIN" seed "${common[@]}" --notifications "127.0.0.1:$N_GRPC" --recipients "$RECIPIENTS" \
  --timeout 180 >&2 || { bench_alive; bench_die "seeding failed"; }
bench_alive
bench_wait_applied "$C_METRICS" 180 content notifications
rss0_consent="$(bench_rss_kib consent)"; rss0_content="$(bench_rss_kib content)"
rss0_notifications="$(bench_rss_kib notifications)"
args=(run "${common[@]}" --rate "$RATE" --duration "$DURATION" --report-every "$EVERY" --run-id "$RUN_ID")
[[ -n "$MIX" ]] && args+=(--mix "$MIX")
[[ -n "$ACK_LOG" ]] && args+=(--ack-log "$ACK_LOG")
LOAD_START="$(cut -d' ' -f1-3 /proc/loadavg)"
# The RSS at the end of the first window: the warm-up (token cache, connection pools, allocator
# arenas) is over by then, so growth after it is what a leak would show.
(
  sleep "$EVERY"
  for svc in consent content notifications; do
    echo "$svc $(bench_rss_kib "$svc") $(bench_threads "$svc")"
  done
) >"$RUN_DIR/rss-warm.txt" 2>/dev/null &
WARM_PID=$!
rc=0
"$LOAD_BIN" "${args[@]}" | tee "$RUN_DIR/load.txt" || rc=$?
bench_alive
rss1_consent="$(bench_rss_kib consent)"; rss1_content="$(bench_rss_kib content)"
rss1_notifications="$(bench_rss_kib notifications)"
wait "$WARM_PID" || true
warm() { awk -v s="$1" '$1 == s {print $2}' "$RUN_DIR/rss-warm.txt"; }
warm_threads() { awk -v s="$1" '$1 == s {print $3}' "$RUN_DIR/rss-warm.txt"; }
growth() { awk -v a="$1" -v b="$2" 'BEGIN{printf "%.1f", (b - a) * 100.0 / a}'; }
g_consent="$(growth "$rss0_consent" "$rss1_consent")"; g_content="$(growth "$rss0_content" "$rss1_content")"
g_notifications="$(growth "$rss0_notifications" "$rss1_notifications")"
w_consent="$(warm consent)"; w_content="$(warm content)"; w_notifications="$(warm notifications)"
wg_consent="$(growth "$w_consent" "$rss1_consent")"; wg_content="$(growth "$w_content" "$rss1_content")"
wg_notifications="$(growth "$w_notifications" "$rss1_notifications")"
first="$(grep '^WINDOW' "$RUN_DIR/load.txt" | head -n1 | sed 's/.*p99_us=//')"
last="$(grep '^WINDOW' "$RUN_DIR/load.txt" | tail -n2 | head -n1 | sed 's/.*p99_us=//')"
cat <<EOF_SUMMARY

command: $0 (rate $RATE/s for ${DURATION}s, $EMPLOYEES employees, tenant $TENANT)
load average at start / end: $LOAD_START / $(cut -d' ' -f1-3 /proc/loadavg)
RSS consent: ${rss0_consent} KiB -> ${w_consent} KiB after the first window -> ${rss1_consent} KiB (${g_consent}% in all, ${wg_consent}% after warm-up)
RSS content: ${rss0_content} KiB -> ${w_content} KiB after the first window -> ${rss1_content} KiB (${g_content}% in all, ${wg_content}% after warm-up)
RSS notifications: ${rss0_notifications} KiB -> ${w_notifications} KiB after the first window -> ${rss1_notifications} KiB (${g_notifications}% in all, ${wg_notifications}% after warm-up)
mails accepted by the SMTP sink: $(wc -l <"$MAILS")
threads after the first window -> at the end: consent $(warm_threads consent) -> $(bench_threads consent), content $(warm_threads content) -> $(bench_threads content), notifications $(warm_threads notifications) -> $(bench_threads notifications)
p99 first window / last full window: ${first:-n/a} us / ${last:-n/a} us
EOF_SUMMARY
printf 'SUMMARY rate=%s duration_s=%s rss_consent_kib=%s,%s rss_content_kib=%s,%s rss_notifications_kib=%s,%s p99_first_us=%s p99_last_us=%s\n' \
  "$RATE" "$DURATION" "$rss0_consent" "$rss1_consent" "$rss0_content" "$rss1_content" \
  "$rss0_notifications" "$rss1_notifications" "${first:-}" "${last:-}"
for g in "$g_consent" "$g_content" "$g_notifications"; do
  awk -v g="$g" -v m="$MAX_GROWTH" 'BEGIN{exit !(g > m)}' && { bench_log "RSS grew by more than $MAX_GROWTH%"; rc=1; }
done
for g in "$wg_consent" "$wg_content" "$wg_notifications"; do
  awk -v g="$g" -v m="$MAX_WARM_GROWTH" 'BEGIN{exit !(g > m)}' &&
    { bench_log "RSS grew by more than $MAX_WARM_GROWTH% after the warm-up"; rc=1; }
done
exit "$rc"
