#!/usr/bin/env bash
# Configures and builds the project (Release with debug info) into $ADVOCACY_BUILD_DIR, and the
# web app (web/build.sh: the npm packages of web/package-lock.json, clients generated from proto/,
# the bundle) into web/dist, which the gateway serves.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

BUILD_DIR="${ADVOCACY_BUILD_DIR:-$ADVOCACY_REPO/build}"
JOBS="${ADVOCACY_BUILD_JOBS:-$(nproc)}"
# ccache (installed by install.sh) makes rebuilds and other checkouts of the same sources cheap;
# ADVOCACY_CCACHE=0 turns it off. Paths are made relative so two clones share the cache.
LAUNCHER=()
if [[ "${ADVOCACY_CCACHE:-1}" != 0 ]] && command -v ccache >/dev/null 2>&1; then
  LAUNCHER=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache -DCMAKE_C_COMPILER_LAUNCHER=ccache)
  export CCACHE_BASEDIR="$ADVOCACY_REPO" CCACHE_NOHASHDIR=1
fi
adv_log "build: configuring $BUILD_DIR"
cmake -S "$ADVOCACY_REPO" -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo "${LAUNCHER[@]}" \
  -DADVOCACY_BUILD_TESTS=ON -DADVOCACY_BUILD_BENCH="${ADVOCACY_BUILD_BENCH:-ON}" \
  -DADVOCACY_WITH_COURSES=ON -DADVOCACY_WITH_CONTENT=ON -DADVOCACY_WITH_NOTIFICATIONS=ON \
  -DADVOCACY_WITH_GATEWAY=ON >/dev/null
adv_log "build: compiling with $JOBS jobs (the first build takes several minutes)"
cmake --build "$BUILD_DIR" -j "$JOBS"
adv_log "build: the web app (web/build.sh)"
mkdir -p "$ADVOCACY_HOME/logs"
if ! "$ADVOCACY_REPO/web/build.sh" >"$ADVOCACY_HOME/logs/web-build.log" 2>&1; then
  tail -n 40 "$ADVOCACY_HOME/logs/web-build.log" >&2
  adv_die "build: the web app did not build (above; all in $ADVOCACY_HOME/logs/web-build.log)"
fi
adv_log "build: web/dist ready"
