#!/usr/bin/env bash
# What security costs (issue 11, "Benchmark"): CheckConsent throughput and latency, and opt-out
# propagation, with everything on (gRPC TLS with client certificates, Kafka TLS with a client
# certificate per service and ACLs, Redis ACL users behind the stunnel TLS proxies) against the
# same binaries with everything off (plaintext gRPC, PLAINTEXT Kafka, Redis on TCP without users),
# in one run: the two configurations alternate, pair after pair, so drift on a shared machine hits
# both alike. Each measurement is the existing benchmark script run once
# (bench/run_consent_bench.sh, bench/run_propagation.sh) under its own ADVOCACY_HOME.
# Targets: secure/plain CheckConsent throughput >= 0.85; propagation p99 at most 1 ms above the
# plaintext p99 (both medians over the pairs). See bench/README.md.
set -euo pipefail
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
ORIG_ARGS="$*"

usage() {
  cat <<'EOF_USAGE'
usage: bench/run_security_bench.sh [options]
  --build-dir DIR       build tree (default <repo>/build-bench, configured Release if new)
  --no-build            use the binaries already built
  --home DIR            base directory; each configuration's ADVOCACY_HOME is below it
                        (default /tmp/security-bench)
  --skip-install        do not run deploy/local/install.sh (every configuration's home must
                        already hold Kafka's jars from an earlier run)
  --pairs N             (plain, secure) pairs of every measurement; medians are reported (default 3)
  --duration S          seconds of each CheckConsent measurement (default 3)
  --concurrency C       CheckConsent clients (default 32)
  --prop-rate R         calls per second of the propagation run's mix (default 200)
  --prop-duration S     seconds of load of each propagation run (default 30)
  --employees N         employees of the propagation runs (default 2000)
  --only consent|propagation   one half only
  --redis-tls on|proxy  how the secure runs reach Redis over TLS: on = the services' own TLS
                        to redis-server's TLS port (the default of the stack), proxy = the
                        stunnel client and server proxies (default on)
  --without LIST        leave these controls off in the secure runs, to see what each costs
                        (comma-separated: grpc-tls, kafka, redis-acl, redis-tls)
EOF_USAGE
}
BUILD_DIR="$REPO/build-bench"; DO_BUILD=1; BASE=/tmp/security-bench; INSTALL=1; PAIRS=3
DURATION=3; CONCURRENCY=32; PROP_RATE=200; PROP_DURATION=30; EMPLOYEES=2000; ONLY=""
WITHOUT=""; REDIS_TLS_MODE=on
die() { printf '[security-bench] ERROR: %s\n' "$*" >&2; exit 1; }
log() { printf '[security-bench] %s\n' "$*" >&2; }
need() { [[ $# -ge 2 && -n "$2" ]] || die "$1 needs a value (see --help)"; }
while (($#)); do
  case "$1" in
    --build-dir) need "$@"; BUILD_DIR="$2"; shift 2 ;;
    --no-build) DO_BUILD=0; shift ;;
    --home) need "$@"; BASE="$2"; shift 2 ;;
    --skip-install) INSTALL=0; shift ;;
    --pairs) need "$@"; PAIRS="$2"; shift 2 ;;
    --duration) need "$@"; DURATION="$2"; shift 2 ;;
    --concurrency) need "$@"; CONCURRENCY="$2"; shift 2 ;;
    --prop-rate) need "$@"; PROP_RATE="$2"; shift 2 ;;
    --prop-duration) need "$@"; PROP_DURATION="$2"; shift 2 ;;
    --employees) need "$@"; EMPLOYEES="$2"; shift 2 ;;
    --only) need "$@"; ONLY="$2"; shift 2 ;;
    --without) need "$@"; WITHOUT="$2"; shift 2 ;;
    --redis-tls) need "$@"; REDIS_TLS_MODE="$2"; shift 2 ;;
    -h | --help) usage; exit 0 ;;
    *) usage >&2; die "unknown option '$1'" ;;
  esac
done
for v in PAIRS CONCURRENCY PROP_RATE PROP_DURATION EMPLOYEES DURATION; do
  [[ "${!v}" =~ ^[1-9][0-9]*$ ]] || die "--$(tr 'A-Z_' 'a-z-' <<<"$v") must be a positive whole number, not '${!v}'"
done
[[ "$REDIS_TLS_MODE" == on || "$REDIS_TLS_MODE" == proxy ]] || die "--redis-tls is on or proxy"
[[ -z "$ONLY" || "$ONLY" == consent || "$ONLY" == propagation ]] || die "--only is consent or propagation"
[[ "$BASE" != "$REPO/.local"* ]] || die "--home must not be under $REPO/.local (the local system's home)"
mkdir -p "$BASE"
BASE="$(cd "$BASE" && pwd)"
LOAD_START="$(cut -d' ' -f1-3 /proc/loadavg)"

if ((INSTALL)); then
  log "deploy/local/install.sh (log $BASE/install.log)"
  "$REPO/deploy/local/install.sh" >"$BASE/install.log" 2>&1 ||
    { tail -n 30 "$BASE/install.log" >&2; die "deploy/local/install.sh failed (log above)"; }
fi
if ((DO_BUILD)); then
  if [[ ! -f "$BUILD_DIR/CMakeCache.txt" ]]; then
    log "configuring $BUILD_DIR (Release, benchmarks on)"
    cmake -S "$REPO" -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=Release \
      -DADVOCACY_BUILD_BENCH=ON -DADVOCACY_BUILD_TESTS=OFF >"$BASE/configure.log" 2>&1 ||
      { tail -n 30 "$BASE/configure.log" >&2; die "cmake configure failed (log above)"; }
  fi
  log "building the services and the load tools in $BUILD_DIR (log $BASE/build.log)"
  cmake --build "$BUILD_DIR" -j2 --target consent content notifications consent_bench \
    advocacy_load kafka_latency propagation_bench >"$BASE/build.log" 2>&1 ||
    { tail -n 30 "$BASE/build.log" >&2; die "build failed (log above)"; }
fi

# The two configurations: the variables deploy/local/stack.sh and the bench scripts read.
PLAIN_ENV=(ADVOCACY_KAFKA_SECURITY=off ADVOCACY_REDIS_ACL=off ADVOCACY_REDIS_TLS=off)
SECURE_ENV=(ADVOCACY_KAFKA_SECURITY=on ADVOCACY_REDIS_ACL=on "ADVOCACY_REDIS_TLS=$REDIS_TLS_MODE")
SECURE_GRPC_TLS=1
SECURE_LABEL="gRPC TLS with client certificates (CheckConsent; propagation is timed from the acknowledgement, after the gRPC call), Kafka SSL with a client certificate per service and ACLs, Redis ACL users over TLS ($([[ "$REDIS_TLS_MODE" == on ]] && echo "the services' own, rediss:// to redis-server's TLS port" || echo "the stunnel client and server proxies"))"
if [[ -n "$WITHOUT" ]]; then
  IFS=, read -r -a without_list <<<"$WITHOUT"
  for w in "${without_list[@]}"; do
    case "$w" in
      grpc-tls) SECURE_GRPC_TLS=0 ;;
      kafka) SECURE_ENV[0]=ADVOCACY_KAFKA_SECURITY=off ;;
      redis-acl) SECURE_ENV[1]=ADVOCACY_REDIS_ACL=off ;;
      redis-tls) SECURE_ENV[2]=ADVOCACY_REDIS_TLS=off ;;
      *) die "--without takes grpc-tls, kafka, redis-acl, redis-tls (comma-separated), not '$w'" ;;
    esac
  done
  SECURE_LABEL="$SECURE_LABEL; but WITHOUT $WITHOUT"
fi
# Each configuration has its own ADVOCACY_HOME, and Kafka's jars live under it: the runs install
# (deploy/local/install.sh: quick once everything is there) unless --skip-install.
common=(--build-dir "$BUILD_DIR" --no-build)
((INSTALL)) || common+=(--skip-install)

# home_of plain|secure: the configuration's home below --home (the stack remembers its Redis TLS
# mode per home, so each mode has its own).
home_of() { if [[ "$1" == plain ]]; then echo plain; else echo "secure-redis-tls-$REDIS_TLS_MODE"; fi; }

# summary_field FIELD FILE [MATCH]: FIELD of the last SUMMARY line (containing MATCH) in FILE.
summary_field() {
  grep '^SUMMARY' "$2" | grep -e "${3:-SUMMARY}" | tail -n1 | sed -n "s/.*[ ]$1=\([^ ]*\).*/\1/p"
}
median() { printf '%s\n' "$@" | sort -g | awk '{a[NR] = $1} END {if (NR % 2) print a[(NR + 1) / 2]; else print (a[NR / 2] + a[NR / 2 + 1]) / 2}'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN{if (b > 0) printf "%.3f", a / b; else print "nan"}'; }

declare -a P_RPS S_RPS P_P50 S_P50 P_P99 S_P99 P_NOOP S_NOOP
run_consent() { # plain|secure PAIR
  local cfg="$1" pair="$2" out="$BASE/consent-$1-$2.txt" extra=() env_=()
  if [[ "$cfg" == plain ]]; then env_=("${PLAIN_ENV[@]}"); else
    env_=("${SECURE_ENV[@]}")
    if ((SECURE_GRPC_TLS)); then extra=(--grpc-tls); fi
  fi
  env "${env_[@]}" "$REPO/bench/run_consent_bench.sh" "${common[@]}" --home "$BASE/consent-$(home_of "$cfg")" \
    --rounds 1 --duration "$DURATION" --concurrency "$CONCURRENCY" "${extra[@]}" >"$out" 2>&1 ||
    { tail -n 30 "$out" >&2; die "the $cfg CheckConsent run failed (log above, $out)"; }
  local rps p50 p99 noop
  rps="$(summary_field check_rps "$out")"; p50="$(summary_field check_p50_us "$out")"
  p99="$(summary_field check_p99_us "$out")"; noop="$(summary_field noop_rps "$out")"
  [[ -n "$rps" && -n "$p99" ]] || die "no SUMMARY in $out"
  if [[ "$cfg" == plain ]]; then
    P_RPS+=("$rps"); P_P50+=("$p50"); P_P99+=("$p99"); P_NOOP+=("$noop")
  else
    S_RPS+=("$rps"); S_P50+=("$p50"); S_P99+=("$p99"); S_NOOP+=("$noop")
  fi
  log "pair $pair/$PAIRS CheckConsent $cfg: $rps rps, p50 $p50 us, p99 $p99 us (no-op $noop rps)"
}

SERVICES=(content notifications)
declare -A PROP_P99 PROP_P50
declare -a RAW_P_P99 RAW_S_P99
run_propagation() { # plain|secure PAIR
  local cfg="$1" pair="$2" out="$BASE/propagation-$1-$2.txt" env_=() svc
  if [[ "$cfg" == plain ]]; then env_=("${PLAIN_ENV[@]}"); else env_=("${SECURE_ENV[@]}"); fi
  # Its exit status says whether it met its own target (system vs raw Kafka); here only its
  # figures count, so a run that printed them is a run.
  env "${env_[@]}" "$REPO/bench/run_propagation.sh" "${common[@]}" --home "$BASE/propagation-$(home_of "$cfg")" \
    --rate "$PROP_RATE" --duration "$PROP_DURATION" --employees "$EMPLOYEES" >"$out" 2>&1 || true
  for svc in "${SERVICES[@]}"; do
    local p50 p99 missing
    p50="$(summary_field p50_us "$out" "service=$svc ")"; p99="$(summary_field p99_us "$out" "service=$svc ")"
    missing="$(summary_field missing "$out" "service=$svc ")"
    [[ -n "$p99" ]] || { tail -n 30 "$out" >&2; die "the $cfg propagation run printed no figures for $svc (log above, $out)"; }
    [[ "$missing" == 0 ]] || die "the $cfg propagation run has $missing withdrawals never applied by $svc ($out)"
    PROP_P50["$cfg/$svc"]+="$p50 "; PROP_P99["$cfg/$svc"]+="$p99 "
  done
  if [[ "$cfg" == plain ]]; then RAW_P_P99+=("$(summary_field raw_p99_us "$out")"); else RAW_S_P99+=("$(summary_field raw_p99_us "$out")"); fi
  log "pair $pair/$PAIRS propagation $cfg: p99 content $(summary_field p99_us "$out" "service=content ") us, notifications $(summary_field p99_us "$out" "service=notifications ") us, raw Kafka $(summary_field raw_p99_us "$out") us"
}

for ((p = 1; p <= PAIRS; p++)); do
  # Alternate which configuration goes first, so neither always runs on a warmer machine.
  if ((p % 2)); then order=(plain secure); else order=(secure plain); fi
  if [[ "$ONLY" != propagation ]]; then
    for cfg in "${order[@]}"; do run_consent "$cfg" "$p"; done
  fi
  if [[ "$ONLY" != consent ]]; then
    for cfg in "${order[@]}"; do run_propagation "$cfg" "$p"; done
  fi
done

verdict=0
printf '\ncommand: %s %s\n' "$0" "$ORIG_ARGS"
printf 'load average at start / end: %s / %s; %s CPUs; medians of %s pairs\n' "$LOAD_START" \
  "$(cut -d' ' -f1-3 /proc/loadavg)" "$(nproc)" "$PAIRS"
printf 'plain:  gRPC plaintext, Kafka PLAINTEXT, Redis TCP without ACL users\n'
printf 'secure: %s\n' "$SECURE_LABEL"
if [[ "$ONLY" != propagation ]]; then
  mp="$(median "${P_RPS[@]}")"; ms="$(median "${S_RPS[@]}")"; r="$(ratio "$ms" "$mp")"
  p99p="$(median "${P_P99[@]}")"; p99s="$(median "${S_P99[@]}")"
  ok="$(awk -v r="$r" 'BEGIN{print (r != "nan" && r >= 0.85) ? "MEETS" : "MISSES"}')"
  [[ "$ok" == MEETS ]] || verdict=1
  printf 'CheckConsent -c %s: plain %.0f rps (p50 %s us, p99 %s us), secure %.0f rps (p50 %s us, p99 %s us)\n' \
    "$CONCURRENCY" "$mp" "$(median "${P_P50[@]}")" "$p99p" "$ms" "$(median "${S_P50[@]}")" "$p99s"
  printf '  secure/plain throughput = %s (target >= 0.85: %s); p99 +%s us\n' "$r" "$ok" \
    "$(awk -v a="$p99s" -v b="$p99p" 'BEGIN{printf "%.0f", a - b}')"
  printf 'SUMMARY part=consent plain_rps=%s secure_rps=%s ratio=%s plain_p99_us=%s secure_p99_us=%s verdict=%s\n' \
    "$mp" "$ms" "$r" "$p99p" "$p99s" "$ok"
fi
if [[ "$ONLY" != consent ]]; then
  printf 'raw librdkafka p99: plain %s us, secure %s us\n' "$(median "${RAW_P_P99[@]}")" "$(median "${RAW_S_P99[@]}")"
  for svc in "${SERVICES[@]}"; do
    # shellcheck disable=SC2086 # the lists are space-separated numbers
    pp="$(median ${PROP_P99[plain/$svc]})"; ps="$(median ${PROP_P99[secure/$svc]})"
    # shellcheck disable=SC2086
    p50p="$(median ${PROP_P50[plain/$svc]})"; p50s="$(median ${PROP_P50[secure/$svc]})"
    d="$(awk -v a="$ps" -v b="$pp" 'BEGIN{printf "%.0f", a - b}')"
    ok="$(awk -v d="$d" 'BEGIN{print (d <= 1000) ? "MEETS" : "MISSES"}')"
    [[ "$ok" == MEETS ]] || verdict=1
    printf 'propagation to %s: plain p50 %s us p99 %s us; secure p50 %s us p99 %s us; p99 +%s us (target <= +1000 us: %s)\n' \
      "$svc" "$p50p" "$pp" "$p50s" "$ps" "$d" "$ok"
    printf 'SUMMARY part=propagation service=%s plain_p99_us=%s secure_p99_us=%s delta_p99_us=%s verdict=%s\n' \
      "$svc" "$pp" "$ps" "$d" "$ok"
  done
fi
exit "$verdict"
