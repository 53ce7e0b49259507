#!/usr/bin/env bash
# What the gateway costs: GetConsentState for a random seeded employee, straight to the consent
# service over gRPC (mutual TLS, as internal services call it), and the same call as a Connect
# JSON request through the gateway (the web app's path: HTTP/1.1 to the gateway, which calls
# consent over mutual TLS), in the same run, same concurrency, alternating round by round. Both
# services run as their own processes; the load generator (gateway_bench) is a third.
#
# Targets (issue "The people's side"): connect_rps / grpc_rps >= 0.6 at --concurrency clients
# (throughput, each path saturated), and the gateway adds at most 1 ms to the median with one
# client (latency without queueing: p50_connect - p50_grpc <= 1000 us at -c 1). PASS/MISS is a
# result; the script exits 1 only when something failed to run.
#
# usage: bench/run_gateway_bench.sh [--build-dir DIR] [--no-build] [--home DIR] [--skip-install]
#          [--rounds R] [--duration S] [--warmup S] [--concurrency C] [--employees N]
set -euo pipefail
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
ORIG_ARGS="$*"
LOAD_START="$(cut -d' ' -f1-3 /proc/loadavg)"
# shellcheck source=bench/lib.sh
source "$REPO/bench/lib.sh"

BUILD_DIR="$REPO/build-bench"
DO_BUILD=1
DO_INSTALL=1
BENCH_HOME="${ADVOCACY_BENCH_HOME:-/tmp/advocacy-bench-home}"
ROUNDS=3
DURATION=3
WARMUP=1
CONCURRENCY=32
EMPLOYEES=2000
while (($#)); do
  case "$1" in
    --build-dir) BUILD_DIR="$2"; shift 2 ;;
    --no-build) DO_BUILD=0; shift ;;
    --home) BENCH_HOME="$2"; shift 2 ;;
    --skip-install) DO_INSTALL=0; shift ;;
    --rounds) ROUNDS="$2"; shift 2 ;;
    --duration) DURATION="$2"; shift 2 ;;
    --warmup) WARMUP="$2"; shift 2 ;;
    -c | --concurrency) CONCURRENCY="$2"; shift 2 ;;
    --employees) EMPLOYEES="$2"; shift 2 ;;
    -h | --help) sed -n 2,15p "$0"; exit 0 ;;
    *) bench_die "unknown option $1 (--help)" ;;
  esac
done

bench_init_home "$BENCH_HOME"
RUN_DIR="$ADVOCACY_HOME/gateway-bench"
rm -rf "$RUN_DIR"
mkdir -p "$RUN_DIR"
((DO_INSTALL)) && bench_install "$RUN_DIR"
((DO_BUILD)) && bench_build "$BUILD_DIR" "$RUN_DIR" consent gateway consent_bench gateway_bench
bench_need "$BUILD_DIR" services/consent/consent services/gateway/gateway bench/consent_bench \
  bench/gateway_bench
BUILD_TYPE="$(sed -n 's/^CMAKE_BUILD_TYPE:STRING=//p' "$BUILD_DIR/CMakeCache.txt" 2>/dev/null || true)"
[[ "$BUILD_TYPE" == Release ]] ||
  bench_log "WARNING: $BUILD_DIR is a '${BUILD_TYPE:-unknown}' build; numbers are only meaningful for Release"
bench_stack_up "$RUN_DIR"
bench_keys "$RUN_DIR"

read -r C_GRPC C_METRICS G_GRPC G_METRICS G_HTTP < <(bench_ports 5)
mapfile -t consent_tls < <(adv_grpc_tls_env consent)
mapfile -t gateway_tls < <(adv_grpc_tls_env gateway)
bench_start consent "$RUN_DIR/consent.log" "$BUILD_DIR/services/consent/consent" \
  "${consent_tls[@]}" ADVOCACY_GRPC_LISTEN="127.0.0.1:$C_GRPC" \
  ADVOCACY_METRICS_LISTEN="127.0.0.1:$C_METRICS" CONSENT_PROPAGATION_SERVICES=none
TLS_ARGS=(--tls-ca "$ADVOCACY_GRPC_TLS_CA_FILE" --tls-cert "$ADVOCACY_GRPC_TLS_DIR/advocacy-ops.pem"
  --tls-key "$ADVOCACY_GRPC_TLS_DIR/advocacy-ops.key")
common=(--private-key "$BENCH_PRIV" --issuer "$BENCH_ISSUER" --employees "$EMPLOYEES")
"$BUILD_DIR/bench/consent_bench" --mode wait --target "127.0.0.1:$C_GRPC" --timeout 60 \
  "${common[@]}" "${TLS_ARGS[@]}" >/dev/null ||
  { tail -n 20 "$RUN_DIR/consent.log" >&2; bench_die "consent did not become ready"; }
"$BUILD_DIR/bench/consent_bench" --mode seed --target "127.0.0.1:$C_GRPC" "${common[@]}" \
  "${TLS_ARGS[@]}" -c 16 >&2 || bench_die "seeding failed (see $RUN_DIR/consent.log)"

# The gateway: every upstream address is required; only consent is called here.
mkdir -p "$RUN_DIR/web"
echo '<!doctype html><title>bench</title>' >"$RUN_DIR/web/index.html"
bench_start gateway "$RUN_DIR/gateway.log" "$BUILD_DIR/services/gateway/gateway" \
  "${gateway_tls[@]}" ADVOCACY_GRPC_LISTEN="127.0.0.1:$G_GRPC" \
  ADVOCACY_METRICS_LISTEN="127.0.0.1:$G_METRICS" GATEWAY_HTTP_LISTEN="127.0.0.1:$G_HTTP" \
  GATEWAY_PUBLIC_URL=https://advocacy.bench GATEWAY_WEB_ROOT="$RUN_DIR/web" \
  GATEWAY_CONSENT_ADDR="127.0.0.1:$C_GRPC" GATEWAY_CONTENT_ADDR="127.0.0.1:$C_GRPC" \
  GATEWAY_COURSES_ADDR="127.0.0.1:$C_GRPC" GATEWAY_NOTIFICATIONS_ADDR="127.0.0.1:$C_GRPC" \
  GATEWAY_HTTP_WORKERS="$CONCURRENCY"
deadline=$((SECONDS + 60))
until curl -sf -o /dev/null "http://127.0.0.1:$G_HTTP/"; do
  ((SECONDS < deadline)) || { tail -n 20 "$RUN_DIR/gateway.log" >&2; bench_die "the gateway did not start"; }
  sleep 0.2
done
bench_log "consent on 127.0.0.1:$C_GRPC, gateway on http://127.0.0.1:$G_HTTP; $EMPLOYEES employees seeded"

result_field() { sed -n "s/^RESULT name=$1 .*[ ]$2=\([^ ]*\).*/\1/p" "$3" | tail -n1; }
declare -a G_RPS G_P50 G_P99 X_RPS X_P50 X_P99 G1_P50 X1_P50
load=(--duration "$DURATION" --warmup "$WARMUP" "${common[@]}")
measure() { # NAME MODE CLIENTS TARGET EXTRA...: one gateway_bench run into $d/NAME.txt
  local name="$1" mode="$2" clients="$3" target="$4"
  shift 4
  "$BUILD_DIR/bench/gateway_bench" --mode "$mode" --name "$name" --target "$target" -c "$clients" \
    "$@" "${load[@]}" >"$d/$name.txt" 2>"$d/$name.err" ||
    { cat "$d/$name.err" >&2; bench_die "the $name measurement failed"; }
}
for ((r = 1; r <= ROUNDS; r++)); do
  d="$RUN_DIR/round$r"
  mkdir -p "$d"
  measure grpc grpc "$CONCURRENCY" "127.0.0.1:$C_GRPC" "${TLS_ARGS[@]}"
  measure connect connect "$CONCURRENCY" "127.0.0.1:$G_HTTP"
  measure grpc1 grpc 1 "127.0.0.1:$C_GRPC" "${TLS_ARGS[@]}"
  measure connect1 connect 1 "127.0.0.1:$G_HTTP"
  for f in grpc connect grpc1 connect1; do
    errors="$(result_field "$f" errors "$d/$f.txt")"
    [[ "${errors:-1}" == 0 ]] || { cat "$d/$f.err" >&2; bench_die "$f: $errors failed calls (round $r)"; }
  done
  G_RPS+=("$(result_field grpc rps "$d/grpc.txt")")
  G_P50+=("$(result_field grpc p50_us "$d/grpc.txt")")
  G_P99+=("$(result_field grpc p99_us "$d/grpc.txt")")
  X_RPS+=("$(result_field connect rps "$d/connect.txt")")
  X_P50+=("$(result_field connect p50_us "$d/connect.txt")")
  X_P99+=("$(result_field connect p99_us "$d/connect.txt")")
  G1_P50+=("$(result_field grpc1 p50_us "$d/grpc1.txt")")
  X1_P50+=("$(result_field connect1 p50_us "$d/connect1.txt")")
  bench_log "round $r/$ROUNDS: -c $CONCURRENCY: gRPC ${G_RPS[-1]} rps, Connect via gateway ${X_RPS[-1]} rps | -c 1: p50 gRPC ${G1_P50[-1]} us, Connect ${X1_P50[-1]} us"
done

g_rps="$(median "${G_RPS[@]}")"
x_rps="$(median "${X_RPS[@]}")"
g_p50="$(median "${G_P50[@]}")"
x_p50="$(median "${X_P50[@]}")"
ratio_rps="$(ratio "$x_rps" "$g_rps")"
g1_p50="$(median "${G1_P50[@]}")"
x1_p50="$(median "${X1_P50[@]}")"
added="$(awk -v a="$x1_p50" -v b="$g1_p50" 'BEGIN{printf "%.0f", a - b}')"
v_rps="$(awk -v r="$ratio_rps" 'BEGIN{print (r != "nan" && r >= 0.6) ? "PASS" : "MISS"}')"
v_p50="$(awk -v a="$added" 'BEGIN{print (a <= 1000) ? "PASS" : "MISS"}')"
cat <<SUMMARY

command: $0 $ORIG_ARGS
load average at start / end: $LOAD_START / $(cut -d' ' -f1-3 /proc/loadavg)
gateway benchmark: medians of $ROUNDS rounds, concurrency $CONCURRENCY, ${DURATION}s each, $(nproc) CPUs, build ${BUILD_TYPE:-unknown}
  -c $CONCURRENCY  GetConsentState, gRPC (mutual TLS) to consent      $(printf '%10.0f' "$g_rps") rps  p50 $g_p50 us  p99 $(median "${G_P99[@]}") us
  -c $CONCURRENCY  GetConsentState, Connect JSON through the gateway  $(printf '%10.0f' "$x_rps") rps  p50 $x_p50 us  p99 $(median "${X_P99[@]}") us
  -c 1   p50 gRPC $g1_p50 us, Connect through the gateway $x1_p50 us

  connect_rps / grpc_rps (-c $CONCURRENCY)   = $ratio_rps  target >= 0.6      $v_rps
  p50 added by the gateway (-c 1) = $added us  target <= 1000 us  $v_p50
SUMMARY
printf 'SUMMARY grpc_rps=%s connect_rps=%s ratio=%s grpc_p50_us=%s connect_p50_us=%s grpc_c1_p50_us=%s connect_c1_p50_us=%s added_p50_us=%s ratio_verdict=%s p50_verdict=%s\n' \
  "$g_rps" "$x_rps" "$ratio_rps" "$g_p50" "$x_p50" "$g1_p50" "$x1_p50" "$added" "$v_rps" "$v_p50"
