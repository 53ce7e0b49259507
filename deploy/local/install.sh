#!/usr/bin/env bash
# Installs everything Advocacy needs to build, test and run locally on
# Debian 12: apt packages, the Kafka broker jars (Maven Central), buf (npm) and the local
# stack's OpenID provider, oidc-provider (npm, pinned by deploy/local/oidc/package-lock.json).
# Idempotent: a second run only checks and takes seconds.
set -euo pipefail

# shellcheck source=deploy/local/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

APT_PACKAGES=(
  # build
  cmake ninja-build g++ pkg-config ccache
  libgrpc++-dev protobuf-compiler-grpc libprotobuf-dev protobuf-compiler
  librdkafka-dev libhiredis-dev prometheus-cpp-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  libabsl-dev libjwt-dev libssl-dev libcurl4-openssl-dev nlohmann-json3-dev
  libcli11-dev libspdlog-dev libfmt-dev
  # Boost.Beast and Boost.Asio, header-only: the plain-HTTP endpoints (advocacy::http)
  libboost-dev
  # local stack
  redis-server redis-tools kcat prometheus
  # TLS in front of Redis (Debian 12's hiredis 0.14 has no TLS): stack.sh's server and client proxies
  stunnel4
  # tooling
  clang-format clang-tidy lua-check openssl maven default-jdk-headless nodejs npm
  python3 curl ca-certificates procps iproute2
  # tests: the SMTP sink (tests/integration/smtp_sink.py, run with /usr/bin/python3)
  python3-aiosmtpd
  # tests: the web app in a real browser (web/test, playwright-core drives Debian's Chromium;
  # certutil puts the stack CA into the test browser's own NSS database)
  chromium libnss3-tools
)
BUF_VERSION="1.75.0"
KAFKA_POM="$ADVOCACY_REPO/deploy/local/kafka/pom.xml"
KAFKA_LIB="$ADVOCACY_HOME/kafka/lib"
KAFKA_STAMP="$ADVOCACY_HOME/kafka/lib.pom.sha256"
INSTALL_LOG_DIR="$ADVOCACY_HOME/logs"

# --------------------------------------------------------------- 1. apt ----
pkg_installed() {
  case "$1" in
    nodejs | npm)
      # NodeSource's nodejs (as on this project's machines) bundles npm and
      # conflicts with Debian's npm package: working commands are enough.
      if command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1; then
        return 0
      fi
      ;;
  esac
  [[ "$(dpkg-query -W -f='${db:Status-Abbrev}' "$1" 2>/dev/null)" == ii* ]]
}

as_root() {
  if [[ "$EUID" -eq 0 ]]; then
    "$@"
  elif command -v sudo >/dev/null 2>&1; then
    sudo "$@"
  else
    adv_die "installing apt packages needs root; rerun deploy/local/install.sh as root or install sudo"
  fi
}

# Debian's redis-server and prometheus packages start system daemons (Redis
# on 6379, Prometheus on 9090). Nothing here uses them: stack.sh runs its own
# servers on free ports. We stop and disable them so they hold no ports.
quiet_system_service() {
  local svc="$1"
  if [[ "$(ps -p 1 -o comm= 2>/dev/null)" == systemd ]]; then
    as_root systemctl disable --now "$svc" >/dev/null 2>&1 || true
  else
    as_root service "$svc" stop >/dev/null 2>&1 || true
    as_root update-rc.d "$svc" disable >/dev/null 2>&1 || true
  fi
  adv_log "apt: stopped and disabled the system '$svc' service (deploy/local/stack.sh runs its own)"
}

POLICY_RC=/usr/sbin/policy-rc.d
POLICY_RC_OURS=0
remove_policy_rc() {
  if [[ "$POLICY_RC_OURS" == 1 ]]; then
    as_root rm -f "$POLICY_RC"
  fi
}

install_apt_packages() {
  local missing=() p
  for p in "${APT_PACKAGES[@]}"; do
    pkg_installed "$p" || missing+=("$p")
  done
  if ((${#missing[@]} == 0)); then
    adv_log "apt: all ${#APT_PACKAGES[@]} packages already installed"
    return 0
  fi
  command -v apt-get >/dev/null 2>&1 ||
    adv_die "apt-get not found: install.sh supports Debian 12; install these by hand: ${missing[*]}"
  adv_log "apt: installing ${missing[*]}"
  # Keep maintainer scripts from starting daemons while we install (the
  # standard Debian mechanism); only when no policy is in place already.
  if [[ ! -e "$POLICY_RC" ]]; then
    printf '#!/bin/sh\nexit 101\n' | as_root tee "$POLICY_RC" >/dev/null
    as_root chmod 755 "$POLICY_RC"
    POLICY_RC_OURS=1
    trap remove_policy_rc EXIT
  fi
  as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq ||
    adv_die "apt-get update failed; check the network/apt sources and rerun deploy/local/install.sh"
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
    -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold "${missing[@]}" ||
    adv_die "apt-get install failed for: ${missing[*]} (see apt's message above); fix it and rerun deploy/local/install.sh"
  remove_policy_rc
  POLICY_RC_OURS=0
  for p in "${missing[@]}"; do
    case "$p" in
      redis-server | prometheus) quiet_system_service "$p" ;;
    esac
  done
  adv_log "apt: done"
}

# ------------------------------------------------------- 2. Kafka jars ----
install_kafka_jars() {
  local want have="" tmp
  want="$(sha256sum "$KAFKA_POM" | cut -d' ' -f1)"
  [[ -f "$KAFKA_STAMP" ]] && have="$(cat "$KAFKA_STAMP")"
  if [[ -d "$KAFKA_LIB" && "$have" == "$want" ]]; then
    adv_log "kafka: jars up to date in $KAFKA_LIB"
    return 0
  fi
  adv_java >/dev/null
  command -v mvn >/dev/null 2>&1 || adv_die "mvn not found; the apt step should have installed maven"
  adv_log "kafka: resolving broker jars from deploy/local/kafka/pom.xml into $KAFKA_LIB"
  # Copy into a fresh directory and swap, so jars dropped from the pom go away
  # and an interrupted run never leaves a half-filled lib/.
  tmp="$KAFKA_LIB.new"
  rm -rf "$tmp"
  mkdir -p "$(dirname "$KAFKA_LIB")"
  mkdir -p "$INSTALL_LOG_DIR"
  if ! mvn -q -B -f "$KAFKA_POM" dependency:copy-dependencies \
    -DincludeScope=runtime -DoutputDirectory="$tmp" >"$INSTALL_LOG_DIR/install-mvn.log" 2>&1; then
    tail -n 40 "$INSTALL_LOG_DIR/install-mvn.log" >&2
    adv_die "Maven could not resolve the Kafka jars (output above, full log $INSTALL_LOG_DIR/install-mvn.log); Maven Central must be reachable. Fix it and rerun deploy/local/install.sh"
  fi
  compgen -G "$tmp/kafka_2.13-*.jar" >/dev/null ||
    adv_die "Maven succeeded but no kafka_2.13 jar landed in $tmp; check $KAFKA_POM"
  rm -rf "$KAFKA_LIB"
  mv "$tmp" "$KAFKA_LIB"
  echo "$want" >"$KAFKA_STAMP"
  adv_log "kafka: $(find "$KAFKA_LIB" -name '*.jar' | wc -l) jars in $KAFKA_LIB"
}

# ---------------------------------------------------------------- 3. buf ----
install_buf() {
  if [[ -x "$ADVOCACY_BUF" && "$("$ADVOCACY_BUF" --version 2>/dev/null)" == "$BUF_VERSION" ]]; then
    adv_log "buf: $BUF_VERSION already installed"
  else
    command -v npm >/dev/null 2>&1 || adv_die "npm not found; the apt step should have installed it"
    adv_log "buf: installing @bufbuild/buf@$BUF_VERSION with npm"
    mkdir -p "$INSTALL_LOG_DIR"
    if ! npm install --prefix "$ADVOCACY_HOME/npm" --no-audit --no-fund --loglevel=error \
      --save-exact "@bufbuild/buf@$BUF_VERSION" >"$INSTALL_LOG_DIR/install-npm.log" 2>&1; then
      tail -n 40 "$INSTALL_LOG_DIR/install-npm.log" >&2
      adv_die "npm could not install @bufbuild/buf@$BUF_VERSION (output above); the npm registry must be reachable. Fix it and rerun deploy/local/install.sh"
    fi
    local got
    got="$("$ADVOCACY_BUF" --version 2>/dev/null || true)"
    [[ "$got" == "$BUF_VERSION" ]] ||
      adv_die "buf at $ADVOCACY_BUF reports version '$got', expected $BUF_VERSION; delete $ADVOCACY_HOME/npm and rerun"
  fi
  mkdir -p "$ADVOCACY_HOME/bin"
  ln -sfn "$ADVOCACY_BUF" "$ADVOCACY_HOME/bin/buf"
  adv_log "buf: $ADVOCACY_BUF (also $ADVOCACY_HOME/bin/buf)"
}

# --------------------------------------------------- 4. oidc-provider ----
# The local stack's OpenID provider (deploy/local/oidc): exactly the packages of its lock file,
# with `npm ci`, into $ADVOCACY_HOME/oidc-provider. oidc-provider 8 runs on Node.js 18.12 and
# newer (Debian 12's nodejs is 18.19; NodeSource's 20 works too); nothing is fetched at start.
OIDC_SRC="$ADVOCACY_REPO/deploy/local/oidc"
OIDC_APP="$ADVOCACY_HOME/oidc-provider"
install_oidc_provider() {
  local want have="" major
  command -v node >/dev/null 2>&1 || adv_die "node not found; the apt step should have installed nodejs"
  major="$(node -p 'process.versions.node.split(".")[0]')"
  ((major >= 18)) || adv_die "oidc-provider 8 needs Node.js 18 or newer, node is $(node --version)"
  want="$(cat "$OIDC_SRC/package.json" "$OIDC_SRC/package-lock.json" | sha256sum | cut -d' ' -f1)"
  [[ -f "$OIDC_APP/lock.sha256" ]] && have="$(cat "$OIDC_APP/lock.sha256")"
  if [[ "$have" == "$want" && -f "$OIDC_APP/node_modules/oidc-provider/package.json" ]]; then
    adv_log "oidc-provider: up to date in $OIDC_APP"
    return 0
  fi
  adv_log "oidc-provider: installing deploy/local/oidc/package-lock.json with npm ci into $OIDC_APP"
  mkdir -p "$OIDC_APP" "$INSTALL_LOG_DIR"
  cp -f "$OIDC_SRC/package.json" "$OIDC_SRC/package-lock.json" "$OIDC_APP/"
  if ! (cd "$OIDC_APP" && npm ci --no-audit --no-fund --loglevel=error --omit=dev) \
    >"$INSTALL_LOG_DIR/install-oidc.log" 2>&1; then
    tail -n 40 "$INSTALL_LOG_DIR/install-oidc.log" >&2
    adv_die "npm ci could not install oidc-provider (output above); the npm registry must be reachable. Fix it and rerun deploy/local/install.sh"
  fi
  echo "$want" >"$OIDC_APP/lock.sha256"
  adv_log "oidc-provider: $(node -p "require('$OIDC_APP/node_modules/oidc-provider/package.json').version") in $OIDC_APP"
}

install_apt_packages
install_kafka_jars
install_buf
install_oidc_provider
adv_log "install complete; next: deploy/local/stack.sh up"
