#!/usr/bin/env bash
# Benchmarks the content service's GetFeed and RecordShare against two baselines measured in the
# same run: redis-benchmark GET on the same Redis at the same concurrency, and a no-op gRPC server
# with the same client load. Prints medians, p99s and ratios. See bench/README.md.
#
# It starts its own Redis + Kafka (deploy/local/stack.sh) under its own ADVOCACY_HOME, and its own
# consent and content services on free loopback ports (consent events reach content's consent
# view through Kafka, as in production), and stops all of them on exit. Exit status: 0 when every
# step ran, 1 when something failed to run.
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
ORIG_ARGS="$*"
LOAD_START="$(cut -d' ' -f1-3 /proc/loadavg)"

usage() {
  cat <<'EOF_USAGE'
usage: bench/run_content_bench.sh [options]

  --build-dir DIR        build tree to use (default <repo>/build-bench; configured Release with
                         -DADVOCACY_BUILD_BENCH=ON if it has no CMakeCache.txt)
  --no-build             use the binaries already in --build-dir
  --home DIR             ADVOCACY_HOME for this run's Redis/Kafka/keys
                         (default $ADVOCACY_BENCH_HOME or /tmp/content-bench-home). Never the
                         default stack's home: everything under it is stopped at exit.
  --skip-install         do not run deploy/local/install.sh
  --rounds R             rounds of every measurement; medians are reported (default 3)
  --duration S           measured seconds per feed/share/noop measurement (default 3)
  --warmup S             unmeasured warm-up seconds before each (default 1)
  --concurrency C        clients for every measurement, redis-benchmark -c too (default 32)
  --clients-per-channel K  content_bench clients per gRPC channel (default 8)
  --employees N          employees seeded, all consenting on LinkedIn and X (default 2000)
  --items N              items published for them (default 50, at most 100)
  --grpc-max-threads T   ADVOCACY_GRPC_MAX_THREADS of the content service, and the no-op
                         server's bound (default: the service's default, 64)
  --redis-pool-size P    ADVOCACY_REDIS_POOL_SIZE of the content service (default: the service's)
  -h, --help
EOF_USAGE
}

BUILD_DIR="$REPO/build-bench"
DO_BUILD=1
BENCH_HOME="${ADVOCACY_BENCH_HOME:-/tmp/content-bench-home}"
DO_INSTALL=1
ROUNDS=3
DURATION=3
WARMUP=1
CONCURRENCY=32
CLIENTS_PER_CHANNEL=8
EMPLOYEES=2000
ITEMS=50
GRPC_MAX_THREADS=""
REDIS_POOL_SIZE=""

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
    --employees) need_arg "$@"; EMPLOYEES="$2"; shift 2 ;;
    --items) need_arg "$@"; ITEMS="$2"; shift 2 ;;
    --grpc-max-threads) need_arg "$@"; GRPC_MAX_THREADS="$2"; shift 2 ;;
    --redis-pool-size) need_arg "$@"; REDIS_POOL_SIZE="$2"; shift 2 ;;
    -h | --help) usage; exit 0 ;;
    *) usage >&2; die "unknown option '$1'" ;;
  esac
done
for v in ROUNDS CONCURRENCY CLIENTS_PER_CHANNEL EMPLOYEES ITEMS; do
  [[ "${!v}" =~ ^[1-9][0-9]*$ ]] || die "--$(tr 'A-Z_' 'a-z-' <<<"$v") must be a positive whole number, not '${!v}'"
done
((ITEMS <= 100)) || die "--items must be at most 100 (the highest daily share cap)"
for v in DURATION WARMUP; do
  [[ "${!v}" =~ ^[0-9]+(\.[0-9]+)?$ ]] || die "--$(tr 'A-Z_' 'a-z-' <<<"$v") must be a number, not '${!v}'"
done
[[ -z "$GRPC_MAX_THREADS" || "$GRPC_MAX_THREADS" =~ ^[0-9]+$ ]] || die "--grpc-max-threads must be a number"
[[ -z "$REDIS_POOL_SIZE" || "$REDIS_POOL_SIZE" =~ ^[0-9]+$ ]] || die "--redis-pool-size must be a number"
for tool in redis-benchmark redis-cli python3 awk; do
  command -v "$tool" >/dev/null || die "$tool not found; run deploy/local/install.sh"
done

# Everything the stack and the services create lives here; exported before lib.sh is sourced.
mkdir -p "$BENCH_HOME"
export ADVOCACY_HOME
ADVOCACY_HOME="$(cd "$BENCH_HOME" && pwd)"
[[ "$ADVOCACY_HOME" != "$REPO/.local" ]] ||
  die "--home must not be the default stack's home ($REPO/.local): this script stops its stack at exit"
# shellcheck source=deploy/local/lib.sh
source "$REPO/deploy/local/lib.sh"
STACK="$REPO/deploy/local/stack.sh"
RUN_DIR="$ADVOCACY_HOME/content-bench"
mkdir -p "$RUN_DIR"

# ------------------------------------------------------------------ cleanup --
CONSENT_PID=""
CONTENT_PID=""
STACK_STARTED=0
cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  # Content first: SIGTERM lets it leave its consumer group cleanly.
  if [[ -n "$CONTENT_PID" ]] && kill -0 "$CONTENT_PID" 2>/dev/null; then
    adv_stop_pid "$CONTENT_PID" content 15 || true
  fi
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
  log "building consent, content and content_bench in $BUILD_DIR"
  cmake --build "$BUILD_DIR" -j2 --target consent content content_bench >"$RUN_DIR/build.log" 2>&1 ||
    { tail -n 30 "$RUN_DIR/build.log" >&2; die "build failed (log above, full log $RUN_DIR/build.log)"; }
fi
BUILD_TYPE="$(sed -n 's/^CMAKE_BUILD_TYPE:STRING=//p' "$BUILD_DIR/CMakeCache.txt" 2>/dev/null || true)"
[[ "$BUILD_TYPE" == Release ]] ||
  log "WARNING: $BUILD_DIR is a '${BUILD_TYPE:-unknown}' build; the numbers are only meaningful for Release"
CONSENT_BIN="$BUILD_DIR/services/consent/consent"
CONTENT_BIN="$BUILD_DIR/services/content/content"
BENCH_BIN="$BUILD_DIR/bench/content_bench"
for bin in "$CONSENT_BIN" "$CONTENT_BIN" "$BENCH_BIN"; do
  [[ -x "$bin" ]] || die "$bin not found; build the '$(basename "$bin")' target (or drop --no-build)"
done

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

# ------------------------------------------------------------------ services --
PRIV="$RUN_DIR/jwt-private.pem"
PUB="$RUN_DIR/jwt-public.pem"
"$BENCH_BIN" --mode keygen --private-key "$PRIV" --public-key "$PUB" >/dev/null
read -r C_GRPC C_METRICS T_GRPC T_METRICS T_LINK < <(adv_free_ports 5 "$ADVOCACY_REDIS_PORT" \
  "$ADVOCACY_KAFKA_PORT" "$ADVOCACY_KAFKA_CONTROLLER_PORT" | paste -sd' ')
CONSENT_TARGET="127.0.0.1:$C_GRPC"
TARGET="127.0.0.1:$T_GRPC"
ISSUER="advocacy-bench"
# A fresh tenant and consumer group per run: shares cannot repeat, and a member of an earlier,
# killed run would hold the consent partitions until its session timed out.
RUN_ID="$(date +%s)-$$"
TENANT="bench-$RUN_ID"
CONSENT_LOG="$RUN_DIR/consent.log"
CONTENT_LOG="$RUN_DIR/content.log"
common_env=(
  # Plaintext, explicitly: the history of this benchmark was measured without TLS.
  ADVOCACY_GRPC_TLS=off
  ADVOCACY_REDIS_URL="$ADVOCACY_REDIS_URL"
  ADVOCACY_KAFKA_BROKERS="$ADVOCACY_KAFKA_BROKERS"
  ADVOCACY_JWT_PUBLIC_KEY_FILE="$PUB"
  ADVOCACY_JWT_ISSUER="$ISSUER"
  ADVOCACY_JWT_AUDIENCE=advocacy
  ADVOCACY_LOG_LEVEL=warning
)
mapfile -t consent_kafka < <(adv_kafka_env consent; adv_redis_env consent)
mapfile -t content_kafka < <(adv_kafka_env content; adv_redis_env content)
env "${common_env[@]}" "${consent_kafka[@]}" ADVOCACY_GRPC_LISTEN="$CONSENT_TARGET" \
  ADVOCACY_METRICS_LISTEN="127.0.0.1:$C_METRICS" CONSENT_OUTBOX_LEASE_MS=1000 CONSENT_PROPAGATION_SERVICES=content \
  "$CONSENT_BIN" </dev/null >"$CONSENT_LOG" 2>&1 &
CONSENT_PID=$!
content_env=(
  "${common_env[@]}"
  "${content_kafka[@]}"
  ADVOCACY_GRPC_LISTEN="$TARGET"
  ADVOCACY_METRICS_LISTEN="127.0.0.1:$T_METRICS"
  CONTENT_LINK_LISTEN="127.0.0.1:$T_LINK"
  CONTENT_LINK_BASE_URL="http://127.0.0.1:$T_LINK/l/"
  CONTENT_CONSENT_GROUP="content-consent-view-bench-$RUN_ID"
  CONTENT_OUTBOX_LEASE_MS=1000
)
[[ -n "$GRPC_MAX_THREADS" ]] && content_env+=(ADVOCACY_GRPC_MAX_THREADS="$GRPC_MAX_THREADS")
[[ -n "$REDIS_POOL_SIZE" ]] && content_env+=(ADVOCACY_REDIS_POOL_SIZE="$REDIS_POOL_SIZE")
env "${content_env[@]}" "$CONTENT_BIN" </dev/null >"$CONTENT_LOG" 2>&1 &
CONTENT_PID=$!

bench_common=(--private-key "$PRIV" --issuer "$ISSUER" --tenant "$TENANT" --employees "$EMPLOYEES"
  --items "$ITEMS")
if ! "$BENCH_BIN" --mode wait --target "$TARGET" --timeout 60 "${bench_common[@]}" >/dev/null; then
  tail -n 30 "$CONTENT_LOG" >&2
  die "the content service did not become ready (its log above, full log $CONTENT_LOG)"
fi
for p in "$CONSENT_PID:consent:$CONSENT_LOG" "$CONTENT_PID:content:$CONTENT_LOG"; do
  IFS=: read -r pid name logf <<<"$p"
  kill -0 "$pid" 2>/dev/null || { tail -n 30 "$logf" >&2; die "the $name service exited"; }
done
log "content service ready on $TARGET (pid $CONTENT_PID), consent on $CONSENT_TARGET (pid $CONSENT_PID)"
# Seeding waits for the consent service itself: its first call is retried until --timeout.
"$BENCH_BIN" --mode seed --target "$TARGET" --consent-target "$CONSENT_TARGET" --timeout 90 \
  "${bench_common[@]}" -c 16 >&2 ||
  { tail -n 10 "$CONSENT_LOG" "$CONTENT_LOG" >&2; die "seeding failed (see the message above)"; }

# ------------------------------------------------------------------- rounds --
# result_field NAME FIELD FILE: the value of FIELD on the RESULT line named NAME.
result_field() {
  sed -n "s/^RESULT name=$1 .*[ ]$2=\([^ ]*\).*/\1/p" "$3" | tail -n1
}
# redis_rps FILE: requests per second from `redis-benchmark -q` output.
redis_rps() {
  tr '\r' '\n' <"$1" | sed -n 's/^GET: \([0-9.]*\) requests per second.*/\1/p' | tail -n1
}
# redis-benchmark takes a request count, not a time: a short calibration run sizes the first
# round to about DURATION seconds, and every round resizes the next.
rescale() { awk -v r="$1" -v d="$DURATION" 'BEGIN{n = r * d; if (n < 20000) n = 20000; printf "%d", n}'; }
out="$RUN_DIR/calibrate.txt"
adv_redis_benchmark -t get -c "$CONCURRENCY" -n 20000 -q \
  >"$out" 2>&1 || die "redis-benchmark failed: $(cat "$out")"
[[ -n "$(redis_rps "$out")" ]] || die "cannot parse redis-benchmark output: $(cat "$out")"
REDIS_N="$(rescale "$(redis_rps "$out")")"

declare -a R_GET F_RPS F_P50 F_P99 S_RPS S_P50 S_P99 S_REF N_RPS N_P99
load_common=(-c "$CONCURRENCY" --clients-per-channel "$CLIENTS_PER_CHANNEL" -d "$DURATION"
  --warmup "$WARMUP")
[[ -n "$GRPC_MAX_THREADS" ]] && load_common+=(--noop-max-threads "$GRPC_MAX_THREADS")

run_load() { # NAME OUTFILE ARGS...
  local name="$1" out="$2"
  shift 2
  if ! "$@" >"$out" 2>"$out.err"; then
    cat "$out" "$out.err" >&2
    kill -0 "$CONTENT_PID" 2>/dev/null || tail -n 20 "$CONTENT_LOG" >&2
    die "the $name measurement failed (output above)"
  fi
  [[ -n "$(result_field "$name" rps "$out")" ]] || die "no RESULT line for $name in $out"
}

SLOT=0
for ((r = 1; r <= ROUNDS; r++)); do
  d="$RUN_DIR/round$r"
  mkdir -p "$d"
  adv_redis_benchmark -t get -c "$CONCURRENCY" \
    -n "$REDIS_N" -q >"$d/redis_get.txt" 2>&1 || die "redis-benchmark failed: $(cat "$d/redis_get.txt")"
  run_load feed "$d/feed.txt" "$BENCH_BIN" --mode feed --target "$TARGET" "${bench_common[@]}" \
    "${load_common[@]}"
  run_load share "$d/share.txt" "$BENCH_BIN" --mode share --target "$TARGET" "${bench_common[@]}" \
    "${load_common[@]}" --slot-start "$SLOT"
  run_load noop "$d/noop.txt" "$BENCH_BIN" --mode noop "${bench_common[@]}" "${load_common[@]}"

  R_GET+=("$(redis_rps "$d/redis_get.txt")")
  [[ -n "${R_GET[-1]}" ]] || die "cannot parse redis-benchmark output in $d"
  F_RPS+=("$(result_field feed rps "$d/feed.txt")")
  F_P50+=("$(result_field feed p50_us "$d/feed.txt")")
  F_P99+=("$(result_field feed p99_us "$d/feed.txt")")
  S_RPS+=("$(result_field share rps "$d/share.txt")")
  S_P50+=("$(result_field share p50_us "$d/share.txt")")
  S_P99+=("$(result_field share p99_us "$d/share.txt")")
  S_REF+=("$(result_field share refused "$d/share.txt")")
  N_RPS+=("$(result_field noop rps "$d/noop.txt")")
  N_P99+=("$(result_field noop p99_us "$d/noop.txt")")
  SLOT="$(result_field share next_slot "$d/share.txt")"
  [[ -n "$SLOT" ]] || die "no next_slot on the share RESULT line in $d/share.txt"
  printf '[bench] round %d/%d: redis GET %s rps | feed %s rps (p99 %s us) | share %s rps (p99 %s us, %s refused) | noop %s rps (p99 %s us)\n' \
    "$r" "$ROUNDS" "${R_GET[-1]}" "${F_RPS[-1]}" "${F_P99[-1]}" "${S_RPS[-1]}" "${S_P99[-1]}" \
    "${S_REF[-1]}" "${N_RPS[-1]}" "${N_P99[-1]}" >&2
  REDIS_N="$(rescale "${R_GET[-1]}")"
done
for p in "$CONSENT_PID:consent:$CONSENT_LOG" "$CONTENT_PID:content:$CONTENT_LOG"; do
  IFS=: read -r pid name logf <<<"$p"
  kill -0 "$pid" 2>/dev/null || die "the $name service died during the run; see $logf"
done

# ------------------------------------------------------------------ summary --
median() { printf '%s\n' "$@" | sort -g | awk '{a[NR] = $1} END {if (NR % 2) print a[(NR + 1) / 2]; else print (a[NR / 2] + a[NR / 2 + 1]) / 2}'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN{if (b > 0) printf "%.3f", a / b; else print "nan"}'; }

m_get="$(median "${R_GET[@]}")"
m_frps="$(median "${F_RPS[@]}")"
m_srps="$(median "${S_RPS[@]}")"
m_nrps="$(median "${N_RPS[@]}")"
m_fp99="$(median "${F_P99[@]}")"
m_sp99="$(median "${S_P99[@]}")"
m_np99="$(median "${N_P99[@]}")"
ratio_feed_noop="$(ratio "$m_frps" "$m_nrps")"
ratio_share_noop="$(ratio "$m_srps" "$m_nrps")"
ratio_feed_redis="$(ratio "$m_frps" "$m_get")"
ratio_share_redis="$(ratio "$m_srps" "$m_get")"
refused_total="$(printf '%s\n' "${S_REF[@]}" | awk '{s += $1} END {print s + 0}')"

cat <<EOF_SUMMARY

command: $0 $ORIG_ARGS
load average at start / end: $LOAD_START / $(cut -d' ' -f1-3 /proc/loadavg)
content benchmark: medians of $ROUNDS rounds, concurrency $CONCURRENCY, ${DURATION}s each, $(nproc) CPUs, build $BUILD_TYPE
  seeded: tenant $TENANT, $EMPLOYEES employees x $ITEMS items, share consent on LinkedIn and X
  service: ADVOCACY_GRPC_MAX_THREADS=${GRPC_MAX_THREADS:-default} ADVOCACY_REDIS_POOL_SIZE=${REDIS_POOL_SIZE:-default}
  redis-benchmark GET -c $CONCURRENCY      $(printf '%10.0f' "$m_get") rps
  GetFeed (page of 20)          $(printf '%10.0f' "$m_frps") rps   p50 $(median "${F_P50[@]}") us  p99 $m_fp99 us
  RecordShare                   $(printf '%10.0f' "$m_srps") rps   p50 $(median "${S_P50[@]}") us  p99 $m_sp99 us  ($refused_total refused in all rounds)
  no-op gRPC server (GetFeed)   $(printf '%10.0f' "$m_nrps") rps   p99 $m_np99 us

  feed_rps / noop_rps       = $ratio_feed_noop
  share_rps / noop_rps      = $ratio_share_noop
  feed_rps / redis_get_rps  = $ratio_feed_redis
  share_rps / redis_get_rps = $ratio_share_redis
EOF_SUMMARY
printf 'SUMMARY redis_get_rps=%s feed_rps=%s feed_p99_us=%s share_rps=%s share_p99_us=%s share_refused=%s noop_rps=%s noop_p99_us=%s feed_noop_ratio=%s share_noop_ratio=%s feed_redis_ratio=%s share_redis_ratio=%s\n' \
  "$m_get" "$m_frps" "$m_fp99" "$m_srps" "$m_sp99" "$refused_total" "$m_nrps" "$m_np99" \
  "$ratio_feed_noop" "$ratio_share_noop" "$ratio_feed_redis" "$ratio_share_redis"
