#!/usr/bin/env bash
# Benchmarks the consent service's CheckConsent and BatchCheckConsent against redis-benchmark GET
# (plain and pipelined) on the same Redis, in the same run, and prints medians and ratios against
# the targets. See bench/README.md.
#
# It starts its own Redis + Kafka (deploy/local/stack.sh) under its own ADVOCACY_HOME and its own
# consent service on free loopback ports, and stops all of them on exit. Exit status: 0 when every
# step ran (a missed target is reported, not an error), 1 when something failed to run.
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
ORIG_ARGS="$*"
LOAD_START="$(cut -d' ' -f1-3 /proc/loadavg)"

usage() {
  cat <<'EOF'
usage: bench/run_consent_bench.sh [options]

  --build-dir DIR        build tree to use (default <repo>/build-bench; configured Release with
                         -DADVOCACY_BUILD_BENCH=ON if it has no CMakeCache.txt)
  --no-build             use the binaries already in --build-dir
  --home DIR             ADVOCACY_HOME for this run's Redis/Kafka/keys
                         (default $ADVOCACY_BENCH_HOME or /tmp/advocacy-bench-home). Never the
                         default stack's home: everything under it is stopped at exit.
  --skip-install         do not run deploy/local/install.sh
  --rounds R             rounds of every measurement; medians are reported (default 3)
  --duration S           measured seconds per consent/noop measurement (default 3)
  --warmup S             unmeasured warm-up seconds before each (default 1)
  --concurrency C        clients for every measurement, redis-benchmark -c too (default 32)
  --clients-per-channel K  consent_bench clients per gRPC channel (default 8)
  --batch-size B         employee ids per BatchCheckConsent (default 1000)
  --pipeline P           redis-benchmark -P for the pipelined GET (default 100)
  --employees N          employees seeded; half consent (default 10000)
  --grpc-max-threads T   ADVOCACY_GRPC_MAX_THREADS of the service, and the no-op server's bound
                         (default: the service's default, 64)
  --redis-pool-size P    ADVOCACY_REDIS_POOL_SIZE of the service (default: the service's, 16)
  --target-ratio X       pass mark of both throughput ratios (default 0.5)
  --grpc-tls             the service serves gRPC over TLS and requires client certificates (its
                         certificate and the stack CA's of deploy/local/stack.sh), and the load
                         generator presents advocacy-ops' (bench/run_security_bench.sh); the
                         no-op server stays plaintext. Default: plaintext, as this benchmark's history
  -h, --help
EOF
}

BUILD_DIR="$REPO/build-bench"
DO_BUILD=1
BENCH_HOME="${ADVOCACY_BENCH_HOME:-/tmp/advocacy-bench-home}"
DO_INSTALL=1
ROUNDS=3
DURATION=3
WARMUP=1
CONCURRENCY=32
CLIENTS_PER_CHANNEL=8
BATCH=1000
PIPELINE=100
EMPLOYEES=10000
GRPC_MAX_THREADS=""
REDIS_POOL_SIZE=""
TARGET_RATIO=0.5
GRPC_TLS=0

die() {
  printf '[bench] ERROR: %s\n' "$*" >&2
  exit 1
}
log() { printf '[bench] %s\n' "$*" >&2; }

need_arg() { [[ $# -ge 2 && -n "$2" ]] || die "$1 needs a value (see --help)"; }
while (($#)); do
  case "$1" in
    --build-dir) need_arg "$@"; BUILD_DIR="$2"; shift 2 ;;
    --no-build) DO_BUILD=0; shift ;;
    --home) need_arg "$@"; BENCH_HOME="$2"; shift 2 ;;
    --skip-install) DO_INSTALL=0; shift ;;
    --rounds) need_arg "$@"; ROUNDS="$2"; shift 2 ;;
    --duration) need_arg "$@"; DURATION="$2"; shift 2 ;;
    --warmup) need_arg "$@"; WARMUP="$2"; shift 2 ;;
    --concurrency) need_arg "$@"; CONCURRENCY="$2"; shift 2 ;;
    --clients-per-channel) need_arg "$@"; CLIENTS_PER_CHANNEL="$2"; shift 2 ;;
    --batch-size) need_arg "$@"; BATCH="$2"; shift 2 ;;
    --pipeline) need_arg "$@"; PIPELINE="$2"; shift 2 ;;
    --employees) need_arg "$@"; EMPLOYEES="$2"; shift 2 ;;
    --grpc-max-threads) need_arg "$@"; GRPC_MAX_THREADS="$2"; shift 2 ;;
    --redis-pool-size) need_arg "$@"; REDIS_POOL_SIZE="$2"; shift 2 ;;
    --target-ratio) need_arg "$@"; TARGET_RATIO="$2"; shift 2 ;;
    --grpc-tls) GRPC_TLS=1; shift ;;
    -h | --help) usage; exit 0 ;;
    *) usage >&2; die "unknown option '$1'" ;;
  esac
done
for v in ROUNDS CONCURRENCY CLIENTS_PER_CHANNEL BATCH PIPELINE EMPLOYEES; do
  [[ "${!v}" =~ ^[1-9][0-9]*$ ]] || die "--$(tr 'A-Z_' 'a-z-' <<<"$v") must be a positive whole number, not '${!v}'"
done
for v in DURATION WARMUP TARGET_RATIO; do
  [[ "${!v}" =~ ^[0-9]+(\.[0-9]+)?$ ]] || die "--$(tr 'A-Z_' 'a-z-' <<<"$v") must be a number, not '${!v}'"
done
[[ -z "$GRPC_MAX_THREADS" || "$GRPC_MAX_THREADS" =~ ^[0-9]+$ ]] || die "--grpc-max-threads must be a number"
[[ -z "$REDIS_POOL_SIZE" || "$REDIS_POOL_SIZE" =~ ^[0-9]+$ ]] || die "--redis-pool-size must be a number"
for tool in redis-benchmark redis-cli python3 awk; do
  command -v "$tool" >/dev/null || die "$tool not found; run deploy/local/install.sh"
done

# Everything the stack and the service create lives here; exported before lib.sh is sourced.
mkdir -p "$BENCH_HOME"
export ADVOCACY_HOME
ADVOCACY_HOME="$(cd "$BENCH_HOME" && pwd)"
[[ "$ADVOCACY_HOME" != "$REPO/.local" ]] ||
  die "--home must not be the default stack's home ($REPO/.local): this script stops its stack at exit"
# shellcheck source=deploy/local/lib.sh
source "$REPO/deploy/local/lib.sh"
STACK="$REPO/deploy/local/stack.sh"
RUN_DIR="$ADVOCACY_HOME/bench"
mkdir -p "$RUN_DIR"

# ------------------------------------------------------------------ cleanup --
CONSENT_PID=""
STACK_STARTED=0
cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  if [[ -n "$CONSENT_PID" ]] && kill -0 "$CONSENT_PID" 2>/dev/null; then
    adv_stop_pid "$CONSENT_PID" consent 15 || true
  fi
  if ((STACK_STARTED)); then
    "$STACK" down >/dev/null 2>&1 || log "stack.sh down failed; run ADVOCACY_HOME=$ADVOCACY_HOME $STACK down"
  fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# -------------------------------------------------------------------- build --
if ((DO_BUILD)); then
  if [[ ! -f "$BUILD_DIR/CMakeCache.txt" ]]; then
    log "configuring $BUILD_DIR (Release, benchmarks on)"
    cmake -S "$REPO" -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=Release \
      -DADVOCACY_BUILD_BENCH=ON -DADVOCACY_BUILD_TESTS=OFF >"$RUN_DIR/configure.log" 2>&1 ||
      { tail -n 30 "$RUN_DIR/configure.log" >&2; die "cmake configure failed (log above)"; }
  fi
  log "building consent and consent_bench in $BUILD_DIR"
  cmake --build "$BUILD_DIR" -j2 --target consent consent_bench >"$RUN_DIR/build.log" 2>&1 ||
    { tail -n 30 "$RUN_DIR/build.log" >&2; die "build failed (log above, full log $RUN_DIR/build.log)"; }
fi
BUILD_TYPE="$(sed -n 's/^CMAKE_BUILD_TYPE:STRING=//p' "$BUILD_DIR/CMakeCache.txt" 2>/dev/null || true)"
[[ "$BUILD_TYPE" == Release ]] ||
  log "WARNING: $BUILD_DIR is a '${BUILD_TYPE:-unknown}' build; the numbers are only meaningful for Release"
CONSENT_BIN="$BUILD_DIR/services/consent/consent"
BENCH_BIN="$BUILD_DIR/bench/consent_bench"
[[ -x "$CONSENT_BIN" ]] || die "$CONSENT_BIN not found; build the 'consent' target (or drop --no-build)"
[[ -x "$BENCH_BIN" ]] || die "$BENCH_BIN not found; build the 'consent_bench' target (or drop --no-build)"

# -------------------------------------------------------------------- stack --
if ((DO_INSTALL)); then
  "$REPO/deploy/local/install.sh" >"$RUN_DIR/install.log" 2>&1 ||
    { tail -n 30 "$RUN_DIR/install.log" >&2; die "deploy/local/install.sh failed (log above)"; }
fi
STACK_STARTED=1
"$STACK" up >"$RUN_DIR/stack.log" 2>&1 ||
  { tail -n 30 "$RUN_DIR/stack.log" >&2; die "deploy/local/stack.sh up failed (log above)"; }
adv_load_stack_env
[[ -n "${ADVOCACY_REDIS_PORT:-}" ]] || die "stack.env has no Redis port; see $RUN_DIR/stack.log"
log "stack up: Redis $ADVOCACY_REDIS_URL, Kafka $ADVOCACY_KAFKA_BROKERS (home $ADVOCACY_HOME)"

# ---------------------------------------------------------- consent service --
PRIV="$RUN_DIR/jwt-private.pem"
PUB="$RUN_DIR/jwt-public.pem"
"$BENCH_BIN" --mode keygen --private-key "$PRIV" --public-key "$PUB" >/dev/null
read -r GRPC_PORT METRICS_PORT < <(adv_free_ports 2 "$ADVOCACY_REDIS_PORT" "$ADVOCACY_KAFKA_PORT" \
  "$ADVOCACY_KAFKA_CONTROLLER_PORT" | paste -sd' ')
TARGET="127.0.0.1:$GRPC_PORT"
ISSUER="advocacy-bench"
CONSENT_LOG="$RUN_DIR/consent.log"
service_env=(
  # Plaintext, explicitly: the history of this benchmark was measured without TLS.
  ADVOCACY_GRPC_TLS=off
  ADVOCACY_GRPC_LISTEN="$TARGET"
  ADVOCACY_METRICS_LISTEN="127.0.0.1:$METRICS_PORT"
  ADVOCACY_REDIS_URL="$ADVOCACY_REDIS_URL"
  ADVOCACY_KAFKA_BROKERS="$ADVOCACY_KAFKA_BROKERS"
  ADVOCACY_JWT_PUBLIC_KEY_FILE="$PUB"
  ADVOCACY_JWT_ISSUER="$ISSUER"
  ADVOCACY_JWT_AUDIENCE=advocacy
  ADVOCACY_LOG_LEVEL=warning
)
mapfile -t -O "${#service_env[@]}" service_env < <(adv_kafka_env consent; adv_redis_env consent)
TLS_ARGS=()
if ((GRPC_TLS)); then
  # The later assignments win in env(1): TLS on, with the service's certificate, mutual TLS.
  mapfile -t -O "${#service_env[@]}" service_env < <(adv_grpc_tls_env consent)
  TLS_ARGS=(--tls-ca "$ADVOCACY_GRPC_TLS_CA_FILE" --tls-cert "$ADVOCACY_GRPC_TLS_DIR/advocacy-ops.pem"
    --tls-key "$ADVOCACY_GRPC_TLS_DIR/advocacy-ops.key")
fi
[[ -n "$GRPC_MAX_THREADS" ]] && service_env+=(ADVOCACY_GRPC_MAX_THREADS="$GRPC_MAX_THREADS")
[[ -n "$REDIS_POOL_SIZE" ]] && service_env+=(ADVOCACY_REDIS_POOL_SIZE="$REDIS_POOL_SIZE")
env "${service_env[@]}" CONSENT_PROPAGATION_SERVICES=none "$CONSENT_BIN" </dev/null >"$CONSENT_LOG" 2>&1 &
CONSENT_PID=$!

bench_common=(--private-key "$PRIV" --issuer "$ISSUER" --employees "$EMPLOYEES")
if ! "$BENCH_BIN" --mode wait --target "$TARGET" --timeout 60 "${bench_common[@]}" "${TLS_ARGS[@]}" >/dev/null; then
  tail -n 30 "$CONSENT_LOG" >&2
  die "the consent service did not become ready (its log above, full log $CONSENT_LOG)"
fi
kill -0 "$CONSENT_PID" 2>/dev/null || { tail -n 30 "$CONSENT_LOG" >&2; die "the consent service exited"; }
log "consent service ready on $TARGET (pid $CONSENT_PID, log $CONSENT_LOG)"
"$BENCH_BIN" --mode seed --target "$TARGET" "${bench_common[@]}" "${TLS_ARGS[@]}" -c 16 >&2 ||
  die "seeding failed (see the message above and $CONSENT_LOG)"

# ------------------------------------------------------------------- rounds --
# result_field NAME FIELD FILE: the value of FIELD on the RESULT line named NAME.
result_field() {
  sed -n "s/^RESULT name=$1 .*[ ]$2=\([^ ]*\).*/\1/p" "$3" | tail -n1
}
# redis_rps FILE: requests per second from `redis-benchmark -q` output.
redis_rps() {
  tr '\r' '\n' <"$1" | sed -n 's/^GET: \([0-9.]*\) requests per second.*/\1/p' | tail -n1
}

# Each redis-benchmark should take about DURATION seconds, but it takes a request count, not a
# time: a short calibration run sizes the first round, and every round resizes the next.
rescale() { awk -v r="$1" -v d="$DURATION" 'BEGIN{n = r * d; if (n < 20000) n = 20000; printf "%d", n}'; }
calibrate() { # EXTRA_ARGS...: prints the request count for DURATION seconds
  local out="$RUN_DIR/calibrate.txt" rps
  adv_redis_benchmark -t get -c "$CONCURRENCY" "$@" -q \
    >"$out" 2>&1 || die "redis-benchmark failed: $(cat "$out")"
  rps="$(redis_rps "$out")"
  [[ -n "$rps" ]] || die "cannot parse redis-benchmark output: $(cat "$out")"
  rescale "$rps"
}
REDIS_N_PLAIN="$(calibrate -n 20000)"
REDIS_N_PIPE="$(calibrate -n 200000 -P "$PIPELINE")"

declare -a R_GET R_PIPE C_RPS C_P50 C_P99 B_CPS B_KPS B_P50 B_P99 N_RPS N_P99
load_common=(-c "$CONCURRENCY" --clients-per-channel "$CLIENTS_PER_CHANNEL" -d "$DURATION"
  --warmup "$WARMUP")
[[ -n "$GRPC_MAX_THREADS" ]] && load_common+=(--noop-max-threads "$GRPC_MAX_THREADS")

run_consent() { # NAME OUTFILE ARGS...
  local name="$1" out="$2"
  shift 2
  if ! "$@" >"$out" 2>"$out.err"; then
    cat "$out" "$out.err" >&2
    kill -0 "$CONSENT_PID" 2>/dev/null || tail -n 20 "$CONSENT_LOG" >&2
    die "the $name measurement failed (output above)"
  fi
  [[ -n "$(result_field "$name" rps "$out")" ]] || die "no RESULT line for $name in $out"
}

for ((r = 1; r <= ROUNDS; r++)); do
  d="$RUN_DIR/round$r"
  mkdir -p "$d"
  adv_redis_benchmark -t get -c "$CONCURRENCY" \
    -n "$REDIS_N_PLAIN" -q >"$d/redis_get.txt" 2>&1 || die "redis-benchmark failed: $(cat "$d/redis_get.txt")"
  adv_redis_benchmark -t get -c "$CONCURRENCY" -P "$PIPELINE" \
    -n "$REDIS_N_PIPE" -q >"$d/redis_get_pipe.txt" 2>&1 ||
    die "redis-benchmark -P failed: $(cat "$d/redis_get_pipe.txt")"
  run_consent check "$d/check.txt" "$BENCH_BIN" --mode check --target "$TARGET" "${bench_common[@]}" "${TLS_ARGS[@]}" \
    "${load_common[@]}"
  run_consent batch "$d/batch.txt" "$BENCH_BIN" --mode batch --target "$TARGET" "${bench_common[@]}" "${TLS_ARGS[@]}" \
    "${load_common[@]}" --batch-size "$BATCH"
  run_consent noop "$d/noop.txt" "$BENCH_BIN" --mode noop "${bench_common[@]}" "${load_common[@]}"

  R_GET+=("$(redis_rps "$d/redis_get.txt")")
  R_PIPE+=("$(redis_rps "$d/redis_get_pipe.txt")")
  [[ -n "${R_GET[-1]}" && -n "${R_PIPE[-1]}" ]] || die "cannot parse redis-benchmark output in $d"
  C_RPS+=("$(result_field check rps "$d/check.txt")")
  C_P50+=("$(result_field check p50_us "$d/check.txt")")
  C_P99+=("$(result_field check p99_us "$d/check.txt")")
  B_CPS+=("$(result_field batch rps "$d/batch.txt")")
  B_KPS+=("$(result_field batch keys_per_s "$d/batch.txt")")
  B_P50+=("$(result_field batch p50_us "$d/batch.txt")")
  B_P99+=("$(result_field batch p99_us "$d/batch.txt")")
  N_RPS+=("$(result_field noop rps "$d/noop.txt")")
  N_P99+=("$(result_field noop p99_us "$d/noop.txt")")
  printf '[bench] round %d/%d: redis GET %s rps, GET -P%d %s keys/s | check %s rps (p99 %s us) | batch %s keys/s (p99 %s us) | noop %s rps\n' \
    "$r" "$ROUNDS" "${R_GET[-1]}" "$PIPELINE" "${R_PIPE[-1]}" "${C_RPS[-1]}" "${C_P99[-1]}" \
    "${B_KPS[-1]}" "${B_P99[-1]}" "${N_RPS[-1]}" >&2
  REDIS_N_PLAIN="$(rescale "${R_GET[-1]}")"
  REDIS_N_PIPE="$(rescale "${R_PIPE[-1]}")"
done
kill -0 "$CONSENT_PID" 2>/dev/null || die "the consent service died during the run; see $CONSENT_LOG"

# ------------------------------------------------------------------ summary --
median() { printf '%s\n' "$@" | sort -g | awk '{a[NR] = $1} END {if (NR % 2) print a[(NR + 1) / 2]; else print (a[NR / 2] + a[NR / 2 + 1]) / 2}'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN{if (b > 0) printf "%.3f", a / b; else print "nan"}'; }
verdict() { awk -v r="$1" -v t="$TARGET_RATIO" 'BEGIN{print (r != "nan" && r >= t) ? "PASS" : "MISS"}'; }

m_get="$(median "${R_GET[@]}")"
m_pipe="$(median "${R_PIPE[@]}")"
m_crps="$(median "${C_RPS[@]}")"
m_bkps="$(median "${B_KPS[@]}")"
m_nrps="$(median "${N_RPS[@]}")"
ratio_check="$(ratio "$m_crps" "$m_get")"
ratio_batch="$(ratio "$m_bkps" "$m_pipe")"
ratio_noop="$(ratio "$m_crps" "$m_nrps")"

cat <<EOF

command: $0 $ORIG_ARGS
load average at start / end: $LOAD_START / $(cut -d' ' -f1-3 /proc/loadavg)
consent benchmark: medians of $ROUNDS rounds, concurrency $CONCURRENCY, ${DURATION}s each, $(nproc) CPUs, build $BUILD_TYPE
  service: ADVOCACY_GRPC_MAX_THREADS=${GRPC_MAX_THREADS:-default} ADVOCACY_REDIS_POOL_SIZE=${REDIS_POOL_SIZE:-default}
  redis-benchmark GET -c $CONCURRENCY           $(printf '%12.0f' "$m_get") rps
  redis-benchmark GET -c $CONCURRENCY -P $PIPELINE    $(printf '%12.0f' "$m_pipe") keys/s
  CheckConsent                   $(printf '%12.0f' "$m_crps") rps     p50 $(median "${C_P50[@]}") us  p99 $(median "${C_P99[@]}") us
  BatchCheckConsent x$BATCH        $(printf '%12.0f' "$m_bkps") keys/s  ($(median "${B_CPS[@]}") calls/s, p50 $(median "${B_P50[@]}") us, p99 $(median "${B_P99[@]}") us)
  no-op gRPC server              $(printf '%12.0f' "$m_nrps") rps     p99 $(median "${N_P99[@]}") us

  check_rps / redis_get_rps                 = $ratio_check  target >= $TARGET_RATIO  $(verdict "$ratio_check")
  batch_keys_per_s / redis_pipelined_get_rps = $ratio_batch  target >= $TARGET_RATIO  $(verdict "$ratio_batch")
  check_rps / noop_rps                      = $ratio_noop  (how close checks come to gRPC's own ceiling)
EOF
printf 'SUMMARY redis_get_rps=%s redis_pipelined_get_rps=%s check_rps=%s check_p50_us=%s check_p99_us=%s batch_keys_per_s=%s noop_rps=%s check_ratio=%s batch_ratio=%s noop_ratio=%s check=%s batch=%s\n' \
  "$m_get" "$m_pipe" "$m_crps" "$(median "${C_P50[@]}")" "$(median "${C_P99[@]}")" "$m_bkps" "$m_nrps" \
  "$ratio_check" "$ratio_batch" "$ratio_noop" \
  "$(verdict "$ratio_check")" "$(verdict "$ratio_batch")"
