#!/usr/bin/env bash
# Builds web/dist from a fresh clone with only Node.js 20 and npm: installs exactly the locked
# packages when node_modules is missing or older than package-lock.json, then runs the build.
set -euo pipefail
cd "$(dirname "$0")"
if [[ ! -d node_modules || package-lock.json -nt node_modules/.package-lock.json ]]; then
  npm ci --no-audit --no-fund
fi
exec node scripts/build.mjs
