#!/usr/bin/env bash
# Runs the Kafka topics Job's script (deploy/k8s/base/kafka-topics/ensure-topics.sh) for real,
# under dash (the Job's image has a busybox sh, not bash), against the local stack's broker:
# create, verify, detect drift, repair drift, refuse a bad declaration. The topics get a unique
# prefix so nothing the services use is touched, and are deleted afterwards.
#
# Needs a running stack ($ADVOCACY_HOME/stack.env, see deploy/local/stack.sh) and the Kafka jars
# installed by deploy/local/install.sh. Prints "N passed, 0 failed" and exits 0 when all pass.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=deploy/local/lib.sh
source "$here/../local/lib.sh"
adv_load_stack_env
[[ -n "${ADVOCACY_KAFKA_BROKERS:-}" ]] ||
  adv_die "no Kafka: start the local stack first (deploy/local/stack.sh up) so $ADVOCACY_STACK_ENV exists"
compgen -G "$ADVOCACY_HOME/kafka/lib/kafka-tools-*.jar" >/dev/null ||
  adv_die "Kafka jars missing in $ADVOCACY_HOME/kafka/lib; run deploy/local/install.sh"
java="$(adv_java)"
command -v dash >/dev/null || adv_die "dash not found (Debian's /bin/sh); install the dash package"

SCRIPT="$here/base/kafka-topics/ensure-topics.sh"
work="$(mktemp -d /tmp/advocacy-topics-test.XXXXXX)"
prefix="it-topics-$(date +%s)-$$"
# With Kafka security on (the stack's default) every tool runs as the stack's admin principal,
# as the Job runs as the cluster's topics administrator (KAFKA_COMMAND_CONFIG).
command_config=()
if [[ "${ADVOCACY_KAFKA_SECURITY:-off}" == on ]]; then
  command_config=(--command-config "$ADVOCACY_KAFKA_ADMIN_JAVA_CONFIG")
  export KAFKA_COMMAND_CONFIG="$ADVOCACY_KAFKA_ADMIN_JAVA_CONFIG"
fi
cleanup() {
  "$work/bin/kafka-topics.sh" --bootstrap-server "$ADVOCACY_KAFKA_BROKERS" "${command_config[@]}" --delete \
    --topic "${prefix//./\\.}\\..*" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

# The apache/kafka image's kafka-topics.sh and kafka-configs.sh, from the same jars.
mkdir -p "$work/bin" "$work/logs"
for tool in "kafka-topics.sh org.apache.kafka.tools.TopicCommand" "kafka-configs.sh kafka.admin.ConfigCommand" \
  "kafka-acls.sh org.apache.kafka.tools.AclCommand"; do
  set -- $tool
  cat >"$work/bin/$1" <<EOF
#!/bin/sh
exec "$java" -Xmx256m -XX:TieredStopAtLevel=1 -Dlog4j2.configurationFile="$ADVOCACY_REPO/deploy/local/kafka/log4j2.xml" \
  -Dadvocacy.kafka.log="$work/logs/tools.log" -cp "$ADVOCACY_HOME/kafka/lib/*" $2 "\$@"
EOF
  chmod +x "$work/bin/$1"
done

passed=0
failed=0
check() { # check NAME EXPECTED_STATUS command...
  local name="$1" want="$2" got=0
  shift 2
  "$@" >"$work/out" 2>&1 || got=$?
  if [[ "$got" == "$want" ]]; then
    passed=$((passed + 1))
    adv_log "topics test: ok   $name"
  else
    failed=$((failed + 1))
    adv_warn "topics test: FAIL $name: exit $got, expected $want; output:"
    sed 's/^/    /' "$work/out" >&2
  fi
}
run() { # run [--check|--validate]: the script under dash with the test environment
  env KAFKA_BOOTSTRAP="$ADVOCACY_KAFKA_BROKERS" KAFKA_BIN_DIR="$work/bin" TOPICS_FILE="$work/topics.conf" \
    ADVOCACY_KAFKA_PARTITIONS=2 ADVOCACY_KAFKA_REPLICATION=1 ADVOCACY_KAFKA_MIN_INSYNC_REPLICAS=1 \
    dash "$SCRIPT" "$@"
}
output_has() { grep -qF -- "$1" "$work/out"; }

# The declaration the cluster uses is valid.
check "the real topics.conf is valid" 0 env TOPICS_FILE="$here/base/kafka-topics/topics.conf" dash "$SCRIPT" --validate

cat >"$work/topics.conf" <<EOF
# name kind cleanup.policy retention.ms partitions owner
$prefix.events events delete 86400000 - test
$prefix.state state compact -1 3 test
EOF
check "--check reports missing topics" 1 run --check
output_has "missing topic(s)" || { failed=$((failed + 1)); adv_warn "topics test: no 'missing topic(s)' message"; }
check "creates the declared topics" 0 run
check "--check passes right after creation" 0 run --check

# Drift: someone shortened the retention and turned compaction off by hand.
"$work/bin/kafka-configs.sh" --bootstrap-server "$ADVOCACY_KAFKA_BROKERS" "${command_config[@]}" --alter --entity-type topics \
  --entity-name "$prefix.state" --add-config "cleanup.policy=delete,retention.ms=60000" >/dev/null
check "--check reports drifted settings" 1 run --check
output_has "DRIFT $prefix.state: cleanup.policy is 'delete', declared 'compact'" ||
  { failed=$((failed + 1)); adv_warn "topics test: the drift message does not name the setting"; }
check "repairs drifted settings" 0 run
check "--check passes after the repair" 0 run --check

# More partitions declared than exist: they are added.
sed -i "s/^$prefix.state state compact -1 3 test$/$prefix.state state compact -1 4 test/" "$work/topics.conf"
check "adds missing partitions" 0 run
output_has "adding partitions to $prefix.state: 3 -> 4" ||
  { failed=$((failed + 1)); adv_warn "topics test: partitions were not added"; }

# A history declared compacted is refused before Kafka is touched.
printf '%s\n' "$prefix.bad events compact 1000 - test" >>"$work/topics.conf"
check "refuses a compacted events topic" 2 run
output_has "a history is never compacted" ||
  { failed=$((failed + 1)); adv_warn "topics test: no explanation for the refused declaration"; }

# ------------------------------------------------------------------ ACLs --
# ensure-acls.sh (the Job's second step) under dash. The real declaration is valid, and with
# Kafka security on the stack's broker holds exactly it: stack.sh applied the same file with
# deploy/local/kafka/KafkaSetup.java, and the Job's script, reading the broker, agrees.
ACLS="$here/base/kafka-topics/ensure-acls.sh"
acls_run() { # acls_run FILE [--check]: the script under dash against the stack's broker
  local file="$1"
  shift
  env KAFKA_BOOTSTRAP="$ADVOCACY_KAFKA_BROKERS" KAFKA_BIN_DIR="$work/bin" ACLS_FILE="$file" \
    dash "$ACLS" "$@"
}
check "the real acls.conf is valid" 0 env ACLS_FILE="$here/base/kafka-topics/acls.conf" dash "$ACLS" --validate
printf '%s\n' "x READ topic literal *" >"$work/bad-acls.conf"
check "refuses a wildcard topic rule" 2 env ACLS_FILE="$work/bad-acls.conf" dash "$ACLS" --validate
if [[ "${ADVOCACY_KAFKA_SECURITY:-off}" == on ]]; then
  # As the Job runs it: the admin's certificate as a cert-manager Secret lays it out.
  mkdir -p "$work/admin-tls"
  cp "$ADVOCACY_KAFKA_CREDENTIALS_DIR/admin.pem" "$work/admin-tls/tls.crt"
  cp "$ADVOCACY_KAFKA_CREDENTIALS_DIR/admin.key" "$work/admin-tls/tls.key"
  cp "$ADVOCACY_KAFKA_SSL_CA_FILE" "$work/admin-tls/ca.crt"
  check "the broker's ACLs are exactly acls.conf" 0 env -u KAFKA_COMMAND_CONFIG \
    KAFKA_CLIENT_TLS_DIR="$work/admin-tls" KAFKA_BOOTSTRAP="$ADVOCACY_KAFKA_BROKERS" \
    KAFKA_BIN_DIR="$work/bin" ACLS_FILE="$here/base/kafka-topics/acls.conf" dash "$ACLS" --check
  # A principal of this run only, on this run's topics: apply, detect a rule added by hand and
  # one removed by hand, repair both.
  who="it-acls-$$"
  cat >"$work/acls.conf" <<EOF
$who WRITE topic literal $prefix.events
$who READ topic literal $prefix.state
$who READ group prefixed $who-
EOF
  check "--check reports missing ACLs" 1 acls_run "$work/acls.conf" --check
  output_has "MISSING: $who WRITE topic LITERAL $prefix.events" ||
    { failed=$((failed + 1)); adv_warn "ACL test: the missing rule is not named"; }
  # (The script verifies its own work: it fails when the ACLs still differ afterwards.)
  check "adds the declared ACLs" 0 acls_run "$work/acls.conf"
  "$work/bin/kafka-acls.sh" --bootstrap-server "$ADVOCACY_KAFKA_BROKERS" "${command_config[@]}" --add \
    --allow-principal "User:$who" --operation Delete --topic "$prefix.events" >/dev/null
  "$work/bin/kafka-acls.sh" --bootstrap-server "$ADVOCACY_KAFKA_BROKERS" "${command_config[@]}" --remove \
    --force --allow-principal "User:$who" --operation Read --topic "$prefix.state" >/dev/null
  check "--check reports a rule added and one removed by hand" 1 acls_run "$work/acls.conf" --check
  output_has "UNDECLARED: $who DELETE topic LITERAL $prefix.events" ||
    { failed=$((failed + 1)); adv_warn "ACL test: the undeclared rule is not named"; }
  check "repairs both" 0 acls_run "$work/acls.conf"
  check "--check passes after the repair" 0 acls_run "$work/acls.conf" --check
  "$work/bin/kafka-acls.sh" --bootstrap-server "$ADVOCACY_KAFKA_BROKERS" "${command_config[@]}" --remove \
    --force --principal "User:$who" --topic "$prefix.events" --topic "$prefix.state" >/dev/null 2>&1 || true
  "$work/bin/kafka-acls.sh" --bootstrap-server "$ADVOCACY_KAFKA_BROKERS" "${command_config[@]}" --remove \
    --force --principal "User:$who" --group "$who-" --resource-pattern-type prefixed >/dev/null 2>&1 || true
else
  adv_log "topics test: ACLs against the broker skipped (the stack runs with ADVOCACY_KAFKA_SECURITY=off)"
fi

echo "topics: $passed passed, $failed failed"
((failed == 0))
