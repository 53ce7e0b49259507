#!/usr/bin/env bash
# The checks the repository configures, run by deploy/local/test.sh after the build:
#   format    clang-format --dry-run -Werror on every C++ file git tracks (.clang-format)
#   lua       luacheck (.luacheckrc) on every Redis script as Redis runs it: the expanded
#             scripts the build writes to <build>/**/generated/lua/
#   breaking  buf breaking against the previous commit of main (FILE rules, buf.yaml), so a
#             public API or a stored record never changes incompatibly
#   tidy      clang-tidy (.clang-tidy) on the production code of services/ and tools/, with a
#             result cache outside the repository (deploy/local/clang_tidy.py)
# Usage: deploy/local/lint.sh [format|lua|breaking|tidy]...   (no argument: all of them)
# Exits non-zero naming the first check that failed and what to run to see or fix it.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
BUILD_DIR="${ADVOCACY_BUILD_DIR:-$ADVOCACY_REPO/build}"
cd "$ADVOCACY_REPO"

cpp_files() { git ls-files -- '*.cc' '*.h' ':!:build*'; }

check_format() {
  adv_log "lint: clang-format on $(cpp_files | wc -l) files"
  if ! cpp_files | xargs -r -P 2 -n 20 clang-format --dry-run -Werror >"$ADVOCACY_HOME/logs/clang-format.log" 2>&1; then
    grep -m 20 "error:" "$ADVOCACY_HOME/logs/clang-format.log" >&2 || true
    adv_die "lint: clang-format found unformatted files (above; all in $ADVOCACY_HOME/logs/clang-format.log); run: git ls-files -- '*.cc' '*.h' | xargs clang-format -i"
  fi
  adv_log "lint: clang-format passed"
}

check_lua() {
  mapfile -t scripts < <(find "$BUILD_DIR" -path '*/generated/lua/*.lua' | sort)
  local expected
  expected="$(git ls-files -- 'services/*/lua/*.lua' | wc -l)"
  [[ ${#scripts[@]} -gt 0 ]] || adv_die "lint: no generated Lua scripts under $BUILD_DIR; build first (deploy/local/build.sh)"
  adv_log "lint: luacheck on ${#scripts[@]} Redis scripts (from $expected .lua files)"
  luacheck --config "$ADVOCACY_REPO/.luacheckrc" --no-color --codes "${scripts[@]}" ||
    adv_die "lint: luacheck found problems in the Redis scripts above (the files under generated/lua/ are the scripts with their --@include preambles expanded; fix services/*/lua/)"
  adv_log "lint: luacheck passed"
}

check_breaking() {
  if ! git rev-parse --verify --quiet HEAD~1 >/dev/null; then
    adv_warn "lint: buf breaking skipped: this clone has no previous commit to compare with"
    return 0
  fi
  adv_log "lint: buf breaking against the previous commit ($(git rev-parse --short HEAD~1))"
  "$ADVOCACY_BUF" breaking --against ".git#ref=HEAD~1" ||
    adv_die "lint: buf breaking: the change above breaks a released API or stored record; add a field or a new version instead"
  adv_log "lint: buf breaking passed"
}

check_tidy() {
  python3 "$ADVOCACY_REPO/deploy/local/clang_tidy.py" --build-dir "$BUILD_DIR" \
    --jobs "${ADVOCACY_BUILD_JOBS:-$(nproc)}" ||
    adv_die "lint: clang-tidy found problems (above); run: python3 deploy/local/clang_tidy.py --build-dir $BUILD_DIR --only <file>"
}

mkdir -p "$ADVOCACY_HOME/logs"
checks=("$@")
[[ ${#checks[@]} -gt 0 ]] || checks=(format lua breaking tidy)
for c in "${checks[@]}"; do
  case "$c" in
    format) check_format ;;
    lua) check_lua ;;
    breaking) check_breaking ;;
    tidy) check_tidy ;;
    *) adv_die "lint: unknown check '$c' (format, lua, breaking, tidy)" ;;
  esac
done
