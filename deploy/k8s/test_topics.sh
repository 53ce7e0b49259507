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
cleanup() {
  "$work/bin/kafka-topics.sh" --bootstrap-server "$ADVOCACY_KAFKA_BROKERS" --delete \
    --topic "${prefix//./\\.}\\..*" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

# The apache/kafka image's kafka-topics.sh and kafka-configs.sh, from the same jars.
mkdir -p "$work/bin" "$work/logs"
for tool in "kafka-topics.sh org.apache.kafka.tools.TopicCommand" "kafka-configs.sh kafka.admin.ConfigCommand"; do
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
"$work/bin/kafka-configs.sh" --bootstrap-server "$ADVOCACY_KAFKA_BROKERS" --alter --entity-type topics \
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

echo "topics: $passed passed, $failed failed"
((failed == 0))
