#!/usr/bin/env bash
# Configures and builds the project (Release with debug info) into $ADVOCACY_BUILD_DIR.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

BUILD_DIR="${ADVOCACY_BUILD_DIR:-$ADVOCACY_REPO/build}"
JOBS="${ADVOCACY_BUILD_JOBS:-$(nproc)}"
adv_log "build: configuring $BUILD_DIR"
cmake -S "$ADVOCACY_REPO" -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DADVOCACY_BUILD_TESTS=ON -DADVOCACY_BUILD_BENCH="${ADVOCACY_BUILD_BENCH:-ON}" \
  -DADVOCACY_WITH_COURSES=ON -DADVOCACY_WITH_CONTENT=ON -DADVOCACY_WITH_NOTIFICATIONS=ON >/dev/null
adv_log "build: compiling with $JOBS jobs (the first build takes several minutes)"
cmake --build "$BUILD_DIR" -j "$JOBS"
