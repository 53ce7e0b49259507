#!/bin/sh
# ensure-topics.sh [--check | --validate]
#
# Creates the Kafka topics declared in topics.conf and verifies that every one of them has the
# declared partitions (at least), replication factor and settings (cleanup.policy, retention.ms,
# min.insync.replicas); settings that drifted are set back, missing partitions are added.
# With --check nothing is changed: drift is reported and the exit status is 1. With --validate
# only the declaration is checked (no Kafka needed).
#
# Runs as the advocacy-kafka-topics Job (image apache/kafka, whose shell is busybox: this is
# POSIX sh, no bash) and, in CI, against the local broker (deploy/k8s/check_topics.sh), so the
# file the cluster runs is the file that is tested.
#
# Environment:
#   KAFKA_BOOTSTRAP                   bootstrap servers (required)
#   TOPICS_FILE                       default /etc/advocacy/kafka/topics.conf
#   KAFKA_BIN_DIR                     where kafka-topics.sh and kafka-configs.sh are
#                                     (default /opt/kafka/bin, as in the apache/kafka image)
#   KAFKA_COMMAND_CONFIG              optional client properties file (TLS, SASL)
#   KAFKA_CLIENT_TLS_DIR              instead of KAFKA_COMMAND_CONFIG: a directory with tls.crt,
#                                     tls.key and ca.crt (a cert-manager Secret) for TLS client
#                                     authentication
#   ADVOCACY_KAFKA_PARTITIONS         partitions of topics whose partitions column is '-' (6)
#   ADVOCACY_KAFKA_REPLICATION        replication factor of every topic (1)
#   ADVOCACY_KAFKA_MIN_INSYNC_REPLICAS  min.insync.replicas of every topic (1)
#
# Exit status: 0 all topics as declared; 1 drift that could not be fixed (or any drift with
# --check), or Kafka unreachable; 2 bad declaration or environment.
set -eu

MODE=apply
case "${1:-}" in
  --check) MODE=check ;;
  --validate) MODE=validate ;;
  "") ;;
  *)
    echo "usage: ensure-topics.sh [--check | --validate]" >&2
    exit 2
    ;;
esac

log() { printf '[ensure-topics] %s\n' "$*" >&2; }
fail() {
  log "ERROR: $1"
  exit "${2:-1}"
}

TOPICS_FILE="${TOPICS_FILE:-/etc/advocacy/kafka/topics.conf}"
KAFKA_BIN_DIR="${KAFKA_BIN_DIR:-/opt/kafka/bin}"
PARTITIONS="${ADVOCACY_KAFKA_PARTITIONS:-6}"
REPLICATION="${ADVOCACY_KAFKA_REPLICATION:-1}"
MIN_ISR="${ADVOCACY_KAFKA_MIN_INSYNC_REPLICAS:-1}"

[ -r "$TOPICS_FILE" ] || fail "cannot read the topic declaration $TOPICS_FILE (TOPICS_FILE)" 2
if [ "$MODE" != validate ]; then
  [ -n "${KAFKA_BOOTSTRAP:-}" ] ||
    fail "KAFKA_BOOTSTRAP is not set: set it to the Kafka bootstrap servers (host:port,...)" 2
  [ -x "$KAFKA_BIN_DIR/kafka-topics.sh" ] ||
    fail "$KAFKA_BIN_DIR/kafka-topics.sh not found: set KAFKA_BIN_DIR to the Kafka bin directory" 2
fi
is_count() { case "$1" in '' | *[!0-9]* | 0*) return 1 ;; *) return 0 ;; esac; }
is_count "$PARTITIONS" || fail "ADVOCACY_KAFKA_PARTITIONS='$PARTITIONS' must be a positive whole number" 2
is_count "$REPLICATION" || fail "ADVOCACY_KAFKA_REPLICATION='$REPLICATION' must be a positive whole number" 2
is_count "$MIN_ISR" || fail "ADVOCACY_KAFKA_MIN_INSYNC_REPLICAS='$MIN_ISR' must be a positive whole number" 2
[ "$MIN_ISR" -le "$REPLICATION" ] ||
  fail "ADVOCACY_KAFKA_MIN_INSYNC_REPLICAS=$MIN_ISR exceeds ADVOCACY_KAFKA_REPLICATION=$REPLICATION: no write could ever succeed" 2

WORK="$(mktemp -d "${TMPDIR:-/tmp}/ensure-topics.XXXXXX")"
trap 'rm -rf "$WORK"' EXIT INT TERM

if [ "$MODE" != validate ] && [ -z "${KAFKA_COMMAND_CONFIG:-}" ] && [ -n "${KAFKA_CLIENT_TLS_DIR:-}" ]; then
  for f in tls.crt tls.key ca.crt; do
    [ -r "$KAFKA_CLIENT_TLS_DIR/$f" ] || fail "$KAFKA_CLIENT_TLS_DIR/$f cannot be read (KAFKA_CLIENT_TLS_DIR)" 2
  done
  # Kafka's PEM key store: the key and the certificate chain in one file.
  (umask 077 && cat "$KAFKA_CLIENT_TLS_DIR/tls.key" "$KAFKA_CLIENT_TLS_DIR/tls.crt" >"$WORK/keystore.pem")
  printf '%s\n' "security.protocol=SSL" "ssl.keystore.type=PEM" \
    "ssl.keystore.location=$WORK/keystore.pem" "ssl.truststore.type=PEM" \
    "ssl.truststore.location=$KAFKA_CLIENT_TLS_DIR/ca.crt" >"$WORK/client.properties"
  KAFKA_COMMAND_CONFIG="$WORK/client.properties"
fi

kafka() {
  tool="$1"
  shift
  if [ -n "${KAFKA_COMMAND_CONFIG:-}" ]; then
    "$KAFKA_BIN_DIR/$tool" --bootstrap-server "$KAFKA_BOOTSTRAP" --command-config "$KAFKA_COMMAND_CONFIG" "$@"
  else
    "$KAFKA_BIN_DIR/$tool" --bootstrap-server "$KAFKA_BOOTSTRAP" "$@"
  fi
}

# ------------------------------------------------------------ declaration --
# Normalized declaration: "name partitions policy retention" per line.
: >"$WORK/declared"
awk -v parts="$PARTITIONS" -v out="$WORK/declared" '
  /^[[:space:]]*(#|$)/ { next }
  {
    if (NF != 6) { printf "line %d: expected 6 columns (name kind cleanup.policy retention.ms partitions owner), got %d\n", NR, NF; bad = 1; next }
    name = $1; kind = $2; policy = $3; retention = $4; p = $5
    if (name !~ /^[A-Za-z0-9._-]+$/ || length(name) > 249) { printf "line %d: \"%s\" is not a valid Kafka topic name\n", NR, name; bad = 1 }
    if (seen[name]++) { printf "line %d: topic %s is declared twice\n", NR, name; bad = 1 }
    if (policy != "delete" && policy != "compact" && policy != "compact,delete") { printf "line %d: %s: cleanup.policy must be delete, compact or compact,delete, not %s\n", NR, name, policy; bad = 1 }
    if (kind == "state") {
      if (policy !~ /compact/) { printf "line %d: %s is a state topic: it must be compacted (cleanup.policy compact), not %s\n", NR, name, policy; bad = 1 }
    } else if (kind == "events" || kind == "dead-letter") {
      if (policy != "delete") { printf "line %d: %s is a %s topic: a history is never compacted, cleanup.policy must be delete\n", NR, name, kind; bad = 1 }
    } else { printf "line %d: %s: kind must be events, dead-letter or state, not %s\n", NR, name, kind; bad = 1 }
    if (retention != "-1" && retention !~ /^[1-9][0-9]*$/) { printf "line %d: %s: retention.ms must be a positive number of milliseconds or -1, not %s\n", NR, name, retention; bad = 1 }
    if (p == "-") p = parts
    else if (p !~ /^[1-9][0-9]*$/) { printf "line %d: %s: partitions must be a positive number or -, not %s\n", NR, name, p; bad = 1 }
    print name, p, policy, retention > out
  }
  END { exit bad }
' "$TOPICS_FILE" >"$WORK/declaration-errors" || {
  cat "$WORK/declaration-errors" >&2
  fail "$TOPICS_FILE has the errors above; fix the declaration" 2
}
COUNT="$(wc -l <"$WORK/declared" | tr -d ' ')"
[ "$COUNT" -gt 0 ] || fail "$TOPICS_FILE declares no topic" 2
if [ "$MODE" = validate ]; then
  log "$TOPICS_FILE is valid: $COUNT topics (replication $REPLICATION, min.insync.replicas $MIN_ISR, default partitions $PARTITIONS)"
  exit 0
fi
log "$COUNT topics declared in $TOPICS_FILE; replication $REPLICATION, min.insync.replicas $MIN_ISR, default partitions $PARTITIONS; bootstrap $KAFKA_BOOTSTRAP; mode $MODE"

# --------------------------------------------------------------- describe --
# One line per existing topic: "name partitions replication key=value;key=value;..."
describe() {
  if ! kafka kafka-topics.sh --describe --exclude-internal >"$WORK/describe.raw" 2>"$WORK/describe.err"; then
    cat "$WORK/describe.err" >&2
    fail "cannot describe the topics on $KAFKA_BOOTSTRAP (output above): is Kafka reachable from here, and KAFKA_COMMAND_CONFIG right?"
  fi
  # "Configs: a=1,cleanup.policy=compact,delete,b=2": a piece without '=' continues the
  # previous value (list-valued settings contain commas).
  awk '
    $1 == "Topic:" && $3 == "TopicId:" {
      name = $2; parts = ""; repl = ""; cfg = ""
      for (i = 1; i <= NF; i++) {
        if ($i == "PartitionCount:") parts = $(i + 1)
        if ($i == "ReplicationFactor:") repl = $(i + 1)
        if ($i == "Configs:" && i < NF) cfg = $(i + 1)
      }
      n = split(cfg, piece, ",")
      out = ""
      for (j = 1; j <= n; j++) {
        if (index(piece[j], "=") > 0) out = out (out == "" ? "" : ";") piece[j]
        else out = out "," piece[j]
      }
      print name, parts, repl, out
    }
  ' "$WORK/describe.raw" >"$WORK/existing"
}

config_of() { # config_of "k=v;k=v" KEY
  printf '%s\n' "$1" | tr ';' '\n' | sed -n "s/^$2=//p" | head -n 1
}

# --------------------------------------------------------------- create --
describe
CREATED=0
MISSING=""
while read -r name parts policy retention; do
  if ! awk -v n="$name" '$1 == n { found = 1 } END { exit !found }' "$WORK/existing"; then
    if [ "$MODE" = check ]; then
      MISSING="$MISSING $name"
      continue
    fi
    log "creating $name: $parts partitions, replication $REPLICATION, cleanup.policy=$policy, retention.ms=$retention"
    if ! kafka kafka-topics.sh --create --if-not-exists --topic "$name" --partitions "$parts" \
      --replication-factor "$REPLICATION" --config "cleanup.policy=$policy" \
      --config "retention.ms=$retention" --config "min.insync.replicas=$MIN_ISR" >"$WORK/create.out" 2>&1; then
      cat "$WORK/create.out" >&2
      fail "creating $name failed (output above): check that the cluster has at least $REPLICATION brokers and that this principal may create topics"
    fi
    CREATED=$((CREATED + 1))
  fi
done <"$WORK/declared"
[ -z "$MISSING" ] || fail "missing topic(s):$MISSING (run without --check to create them)"
[ "$CREATED" -eq 0 ] || describe

# ----------------------------------------------------------------- verify --
# verify FIX: prints one line per difference; with FIX=1 repairs what can be repaired.
verify() {
  fix="$1"
  drift=0
  while read -r name parts policy retention; do
    line="$(awk -v n="$name" '$1 == n' "$WORK/existing")"
    if [ -z "$line" ]; then
      log "DRIFT $name: does not exist"
      drift=1
      continue
    fi
    # shellcheck disable=SC2086
    set -- $line
    have_parts="$2"
    have_repl="$3"
    have_cfg="${4:-}"
    if [ "$have_repl" != "$REPLICATION" ]; then
      # Changing the replication factor means moving replicas between brokers; that is an
      # operator's decision (kafka-reassign-partitions.sh), never something to do silently.
      log "DRIFT $name: replication factor is $have_repl, declared $REPLICATION; change it with kafka-reassign-partitions.sh (see docs/runbooks/kafka-topics.md)"
      drift=2
    fi
    if [ "$have_parts" -lt "$parts" ]; then
      log "DRIFT $name: $have_parts partitions, declared $parts"
      if [ "$fix" = 1 ]; then
        log "adding partitions to $name: $have_parts -> $parts (keys are re-hashed: an employee's new events may land on another partition; consumers apply by sequence, so order per scope holds)"
        kafka kafka-topics.sh --alter --topic "$name" --partitions "$parts" >"$WORK/alter.out" 2>&1 || {
          cat "$WORK/alter.out" >&2
          fail "adding partitions to $name failed (output above)"
        }
      fi
      [ "$drift" = 2 ] || drift=1
    elif [ "$have_parts" -gt "$parts" ]; then
      log "note: $name has $have_parts partitions, more than the declared $parts (Kafka cannot remove partitions; nothing to do)"
    fi
    changes=""
    for kv in "cleanup.policy=$policy" "retention.ms=$retention" "min.insync.replicas=$MIN_ISR"; do
      key="${kv%%=*}"
      want="${kv#*=}"
      have="$(config_of "$have_cfg" "$key")"
      if [ "$have" != "$want" ]; then
        log "DRIFT $name: $key is '${have:-<broker default>}', declared '$want'"
        case "$want" in *,*) want="[$want]" ;; esac
        changes="${changes:+$changes,}$key=$want"
      fi
    done
    if [ -n "$changes" ]; then
      [ "$drift" = 2 ] || drift=1
      if [ "$fix" = 1 ]; then
        log "setting $changes on $name"
        kafka kafka-configs.sh --alter --entity-type topics --entity-name "$name" \
          --add-config "$changes" >"$WORK/configs.out" 2>&1 || {
          cat "$WORK/configs.out" >&2
          fail "changing the settings of $name failed (output above)"
        }
      fi
    fi
  done <"$WORK/declared"
  return "$drift"
}

status=0
if [ "$MODE" = check ]; then
  verify 0 || status=$?
  [ "$status" -eq 0 ] || fail "the topics differ from $TOPICS_FILE (see DRIFT lines above)"
else
  verify 1 || status=$?
  if [ "$status" -eq 2 ]; then
    fail "a replication factor differs from the declaration; it is not changed automatically (see above)"
  elif [ "$status" -eq 1 ]; then
    describe
    verify 0 || fail "the topics still differ from $TOPICS_FILE after repair (see DRIFT lines above)"
  fi
fi
log "all $COUNT topics verified: $(awk '{ printf "%s%s", sep, $1; sep = ", " }' "$WORK/declared")"
