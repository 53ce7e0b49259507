#!/bin/sh
# ensure-acls.sh [--check | --validate]
#
# Makes the broker's ACLs for the Advocacy principals exactly those declared in acls.conf: adds
# the missing ones and removes the ones nobody declared for those principals (rights added by
# hand are taken away again: least privilege). ACLs of other principals are left alone. With
# --check nothing is changed: differences are reported and the exit status is 1. With --validate
# only the declaration is checked (no Kafka needed).
#
# Runs in the advocacy-kafka-topics Job after ensure-topics.sh (image apache/kafka, busybox sh:
# POSIX sh only) and, in CI, against the local broker (deploy/k8s/test_topics.sh), whose ACLs
# deploy/local/stack.sh set from the same file.
#
# Environment:
#   KAFKA_BOOTSTRAP        bootstrap servers (required)
#   ACLS_FILE              default /etc/advocacy/kafka/acls.conf
#   KAFKA_BIN_DIR          where kafka-acls.sh is (default /opt/kafka/bin)
#   KAFKA_COMMAND_CONFIG   client properties file of a principal that may change ACLs
#   KAFKA_CLIENT_TLS_DIR   instead of KAFKA_COMMAND_CONFIG: a directory with tls.crt, tls.key
#                          and ca.crt (a cert-manager Secret) for TLS client authentication
#
# Exit status: 0 ACLs as declared; 1 differences (with --check) or Kafka unreachable; 2 bad
# declaration or environment.
set -eu
# One collation for sort and comm.
LC_ALL=C
export LC_ALL

MODE=apply
case "${1:-}" in
  --check) MODE=check ;;
  --validate) MODE=validate ;;
  "") ;;
  *)
    echo "usage: ensure-acls.sh [--check | --validate]" >&2
    exit 2
    ;;
esac

log() { printf '[ensure-acls] %s\n' "$*" >&2; }
fail() {
  log "ERROR: $1"
  exit "${2:-1}"
}

ACLS_FILE="${ACLS_FILE:-/etc/advocacy/kafka/acls.conf}"
KAFKA_BIN_DIR="${KAFKA_BIN_DIR:-/opt/kafka/bin}"
[ -r "$ACLS_FILE" ] || fail "cannot read the ACL declaration $ACLS_FILE (ACLS_FILE)" 2

WORK="$(mktemp -d "${TMPDIR:-/tmp}/ensure-acls.XXXXXX")"
trap 'rm -rf "$WORK"' EXIT INT TERM

# ------------------------------------------------------------ declaration --
# Normalized: "principal OPERATION resource-type PATTERN name", one rule a line, sorted.
if ! awk -v errors="$WORK/errors" '
  function err(msg) { printf "line %d: %s\n", NR, msg > errors; bad = 1 }
  /^[[:space:]]*(#|$)/ { next }
  {
    if (NF != 5) { err("expected 5 columns (principal operation resource pattern name), got " NF); next }
    p = $1; op = toupper($2); res = tolower($3); pat = tolower($4); name = $5
    if (p !~ /^[A-Za-z0-9._-]+$/) err("\"" p "\" is not a principal name")
    if (op !~ /^(READ|WRITE|DESCRIBE|CREATE|DELETE|ALTER|DESCRIBE_CONFIGS|ALTER_CONFIGS|IDEMPOTENT_WRITE)$/) err("operation " $2 " is not one of READ, WRITE, DESCRIBE, CREATE, DELETE, ALTER, DESCRIBE_CONFIGS, ALTER_CONFIGS, IDEMPOTENT_WRITE")
    if (res !~ /^(topic|group|cluster|transactional-id)$/) err("resource " $3 " is not topic, group, cluster or transactional-id")
    if (pat != "literal" && pat != "prefixed") err("pattern " $4 " is not literal or prefixed")
    if (name == "*" && res != "cluster") err("a wildcard " res " would give " op " on every " res)
    print p, op, res, toupper(pat), name
  }
  END { exit bad }
' "$ACLS_FILE" >"$WORK/declared.raw"; then
  cat "$WORK/errors" >&2
  fail "$ACLS_FILE has the errors above; fix the declaration" 2
fi
sort -u "$WORK/declared.raw" >"$WORK/declared"
COUNT="$(wc -l <"$WORK/declared" | tr -d ' ')"
[ "$COUNT" -gt 0 ] || fail "$ACLS_FILE declares no ACL" 2
awk '{ print $1 }' "$WORK/declared" | sort -u >"$WORK/principals"
if [ "$MODE" = validate ]; then
  log "$ACLS_FILE is valid: $COUNT ACLs for $(tr '\n' ' ' <"$WORK/principals")"
  exit 0
fi

[ -n "${KAFKA_BOOTSTRAP:-}" ] ||
  fail "KAFKA_BOOTSTRAP is not set: set it to the Kafka bootstrap servers (host:port,...)" 2
[ -x "$KAFKA_BIN_DIR/kafka-acls.sh" ] ||
  fail "$KAFKA_BIN_DIR/kafka-acls.sh not found: set KAFKA_BIN_DIR to the Kafka bin directory" 2
if [ -z "${KAFKA_COMMAND_CONFIG:-}" ] && [ -n "${KAFKA_CLIENT_TLS_DIR:-}" ]; then
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

acls() {
  if [ -n "${KAFKA_COMMAND_CONFIG:-}" ]; then
    "$KAFKA_BIN_DIR/kafka-acls.sh" --bootstrap-server "$KAFKA_BOOTSTRAP" --command-config "$KAFKA_COMMAND_CONFIG" "$@"
  else
    "$KAFKA_BIN_DIR/kafka-acls.sh" --bootstrap-server "$KAFKA_BOOTSTRAP" "$@"
  fi
}

# ---------------------------------------------------------------- present --
# The broker's ALLOW rules for the declared principals, normalized like the declaration.
present() {
  if ! acls --list >"$WORK/list.raw" 2>"$WORK/list.err"; then
    cat "$WORK/list.err" >&2
    fail "cannot list the ACLs on $KAFKA_BOOTSTRAP (output above): is Kafka reachable, and may this principal describe ACLs?"
  fi
  # "Current ACLs for resource `ResourcePattern(resourceType=TOPIC, name=x, patternType=LITERAL)`:"
  # followed by "(principal=User:consent, host=*, operation=WRITE, permissionType=ALLOW)" lines.
  awk -v principals="$WORK/principals" '
    BEGIN { while ((getline p < principals) > 0) want["User:" p] = 1 }
    /ResourcePattern\(/ {
      line = $0
      sub(/.*resourceType=/, "", line); type = line; sub(/,.*/, "", type)
      line = $0; sub(/.*name=/, "", line); name = line; sub(/, patternType=.*/, "", name)
      line = $0; sub(/.*patternType=/, "", line); pat = line; sub(/\).*/, "", pat)
      type = tolower(type); gsub(/_/, "-", type)
      next
    }
    /\(principal=/ {
      line = $0
      p = line; sub(/.*principal=/, "", p); sub(/,.*/, "", p)
      op = line; sub(/.*operation=/, "", op); sub(/,.*/, "", op)
      perm = line; sub(/.*permissionType=/, "", perm); sub(/\).*/, "", perm)
      host = line; sub(/.*host=/, "", host); sub(/,.*/, "", host)
      if (!(p in want)) next
      sub(/^User:/, "", p)
      if (perm != "ALLOW" || host != "*") { print p, op, type, pat, name, perm, host; next }
      print p, op, type, pat, name
    }
  ' "$WORK/list.raw" | sort -u >"$WORK/present"
}

# One kafka-acls.sh call per principal, operation, resource type and pattern (JVM starts are
# the cost). $1: --add or --remove; stdin: normalized rules.
change() {
  action="$1"
  awk '{ key = $1 " " $2 " " $3 " " $4; names[key] = names[key] " " $5 }
       END { for (k in names) print k names[k] }' >"$WORK/groups"
  while read -r principal op res pat names; do
    set -- --"$action" --allow-principal "User:$principal" --allow-host '*' --operation "$op" \
      --resource-pattern-type "$(echo "$pat" | tr 'A-Z' 'a-z')"
    [ "$action" = remove ] && set -- "$@" --force
    for n in $names; do
      case "$res" in
        topic) set -- "$@" --topic "$n" ;;
        group) set -- "$@" --group "$n" ;;
        transactional-id) set -- "$@" --transactional-id "$n" ;;
        cluster) set -- "$@" --cluster ;;
      esac
    done
    log "$action: User:$principal $op on $res ($pat)$(printf ' %s' $names)"
    acls "$@" >"$WORK/change.out" 2>&1 || {
      cat "$WORK/change.out" >&2
      fail "kafka-acls.sh $action failed for User:$principal (output above)"
    }
  done <"$WORK/groups"
}

present
comm -23 "$WORK/declared" "$WORK/present" >"$WORK/missing"
comm -13 "$WORK/declared" "$WORK/present" >"$WORK/undeclared"
for f in missing undeclared; do
  while read -r line; do log "$(echo "$f" | tr 'a-z' 'A-Z'): $line"; done <"$WORK/$f"
done
if [ "$MODE" = check ]; then
  if [ -s "$WORK/missing" ] || [ -s "$WORK/undeclared" ]; then
    fail "the ACLs differ from $ACLS_FILE (see the MISSING and UNDECLARED lines above)"
  fi
  log "all $COUNT ACLs as declared for $(tr '\n' ' ' <"$WORK/principals")"
  exit 0
fi
# A DENY or a host-limited rule that nobody declared cannot be removed by the grouping above
# (it has more columns): it is reported for an operator.
grep -v '^[^ ]* [^ ]* [^ ]* [^ ]* [^ ]*$' "$WORK/undeclared" >"$WORK/odd" || true
grep '^[^ ]* [^ ]* [^ ]* [^ ]* [^ ]*$' "$WORK/undeclared" >"$WORK/removable" || true
[ ! -s "$WORK/missing" ] || change add <"$WORK/missing"
[ ! -s "$WORK/removable" ] || change remove <"$WORK/removable"
present
comm -3 "$WORK/declared" "$WORK/present" >"$WORK/left"
if [ -s "$WORK/left" ]; then
  sed 's/^/[ensure-acls] STILL DIFFERENT: /' "$WORK/left" >&2
  fail "the ACLs still differ from $ACLS_FILE after the repair"
fi
log "all $COUNT ACLs as declared for $(tr '\n' ' ' <"$WORK/principals")"
