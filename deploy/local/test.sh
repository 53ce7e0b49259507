#!/usr/bin/env bash
# The test command: installs what is missing, builds, lints (protos, format, Redis scripts, API
# compatibility, clang-tidy), runs the unit tests,
# starts a real Redis and Kafka on free loopback ports and runs the integration tests against
# the real service binaries, then starts the whole system (run.sh, its walkthrough included) and
# runs the web app's tests in Debian's Chromium against it. Exits non-zero on any failure.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# Tests get their own stack so a running local system (run.sh) is left alone.
export ADVOCACY_HOME="${ADVOCACY_TEST_HOME:-$here/../../.local/test}"
mkdir -p "$ADVOCACY_HOME"
source "$here/lib.sh"
BUILD_DIR="${ADVOCACY_BUILD_DIR:-$ADVOCACY_REPO/build}"
export ADVOCACY_BUILD_DIR="$BUILD_DIR"

"$here/install.sh"
# kubectl, helm, the schema validators and promtool for the Kubernetes and monitoring checks.
"$here/install_sre_tools.sh"
"$here/build.sh"

adv_log "test: buf lint"
(cd "$ADVOCACY_REPO" && "$ADVOCACY_BUF" lint)
adv_log "test: buf lint passed"

# clang-format, luacheck on the Redis scripts, buf breaking against the previous commit and
# clang-tidy on the production code (deploy/local/lint.sh says what each checks).
"$here/lint.sh"

adv_log "test: Kubernetes manifests, Helm chart, monitoring rules and dashboards (deploy/k8s/check.sh)"
"$ADVOCACY_REPO/deploy/k8s/check.sh"
adv_log "test: the images' build steps (deploy/docker/build.sh ci)"
"$ADVOCACY_REPO/deploy/docker/build.sh" ci

adv_log "test: starting Redis and Kafka"
cleanup() {
  "$here/run.sh" stop >/dev/null 2>&1 || true
  "$here/stack.sh" reset >/dev/null 2>&1 || true
}
trap cleanup EXIT
"$here/stack.sh" reset >/dev/null 2>&1 || true
"$here/stack.sh" up
set -a
source "$ADVOCACY_STACK_ENV"
set +a

# Unit tests use fakes, librdkafka's mock cluster and their own redis-server; the few that
# need a real broker (topic administration) read ADVOCACY_TEST_KAFKA_BROKERS.
export ADVOCACY_TEST_KAFKA_BROKERS="$ADVOCACY_KAFKA_BROKERS"
adv_log "test: unit tests"
ctest --test-dir "$BUILD_DIR" -L unit --output-on-failure -j 2 --timeout 300

adv_log "test: the Kafka topics Job's script against the broker (deploy/k8s/test_topics.sh)"
"$ADVOCACY_REPO/deploy/k8s/test_topics.sh"

adv_log "test: integration tests"
ctest --test-dir "$BUILD_DIR" -L integration --output-on-failure --timeout 900

# The whole system as a person meets it: run.sh starts every service, the gateway with the web
# app behind the stack's https front, walks through the product over the APIs and then once in
# Debian's Chromium (web/test/e2e.mjs: the end-to-end proof); then the web app's other tests
# drive Chromium through every page (sign-in at the OpenID provider, Norwegian and English,
# axe-core on each). Screenshots go to $ADVOCACY_HOME/artifacts/web.
WEB_ARTIFACTS="$ADVOCACY_HOME/artifacts/web"
rm -rf "$WEB_ARTIFACTS"
mkdir -p "$WEB_ARTIFACTS"
adv_log "test: the whole system (deploy/local/run.sh, with the browser walkthrough)"
ADVOCACY_BROWSER_WALKTHROUGH=1 ADVOCACY_WEB_ARTIFACTS="$WEB_ARTIFACTS" "$here/run.sh"
set -a
source "$ADVOCACY_HOME/services.env"
set +a
adv_log "test: the web app in Chromium (web/test), screenshots in $WEB_ARTIFACTS"
(
  cd "$ADVOCACY_REPO/web"
  ADVOCACY_WEB_URL="$ADVOCACY_WEB_URL" ADVOCACY_WEB_CA_FILE="$ADVOCACY_WEB_CA_FILE" \
    ADVOCACY_WEB_USER=kari.nordmann ADVOCACY_WEB_ARTIFACTS="$WEB_ARTIFACTS" \
    node --test --test-concurrency=1 test/browser.mjs test/admin.mjs
)
adv_log "test: all tests passed"
