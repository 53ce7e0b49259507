#!/usr/bin/env bash
# deploy/docker/build.sh: how a service binary for an image is built, in one place. The
# Dockerfiles' build stage runs it, and so does CI, so the steps an image build takes are
# exercised without a Docker engine.
#
#   build.sh build SERVICE OUT_DIR [BUILD_DIR]
#       Configure Release with the image flags (below) into BUILD_DIR (default
#       $ADVOCACY_HOME/build-docker, /tmp/build in the Dockerfile), build the one target, check
#       its shared libraries against runtime-packages.txt, copy it to OUT_DIR/SERVICE.
#   build.sh check-libs BINARY...
#       Only the library check (see check_libs below).
#   build.sh ci [SERVICE...]
#       What CI runs: configure with the image flags (proves they configure) and, for every
#       service whose binary the test build made ($ADVOCACY_BUILD_DIR), the library check plus
#       a consistency check of its Dockerfile. With ADVOCACY_DOCKER_FULL_BUILD=1 it also
#       compiles each service exactly as the image build does (Release, several minutes per
#       service on two cores, hence not by default). For the gateway it also runs the image's
#       web stage (npm ci, web/build.sh) from exactly the paths that stage copies. A service
#       without a binary is skipped with a loud message.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
SERVICES=(consent courses content notifications gateway)
# Services whose image also carries the web app (a third stage, `web`, runs web/build.sh).
WEB_SERVICES=(gateway)

log() { printf '[docker-build] %s\n' "$*"; }
die() {
  printf '[docker-build] ERROR: %s\n' "$*" >&2
  exit 1
}

# The image flags: Release, nothing but the services. CMAKE_CXX_COMPILER_LAUNCHER passes through
# from the environment so CI and developers can add ccache; the Dockerfile does not.
configure() {
  local build_dir="$1" src="${2:-$repo}"
  cmake -S "$src" -B "$build_dir" -G Ninja \
    -DCMAKE_BUILD_TYPE=Release \
    -DADVOCACY_BUILD_TESTS=OFF -DADVOCACY_BUILD_BENCH=OFF \
    -DADVOCACY_WITH_COURSES=ON -DADVOCACY_WITH_CONTENT=ON -DADVOCACY_WITH_NOTIFICATIONS=ON \
    -DADVOCACY_WITH_GATEWAY=ON \
    ${CMAKE_CXX_COMPILER_LAUNCHER:+-DCMAKE_CXX_COMPILER_LAUNCHER="$CMAKE_CXX_COMPILER_LAUNCHER"} \
    >"$build_dir.configure.log" 2>&1 || {
    tail -n 30 "$build_dir.configure.log" >&2
    die "cmake configure failed with the image flags (log $build_dir.configure.log)"
  }
}

packages_in() { sed -e 's/#.*//' -e 's/[[:space:]]//g' -e '/^$/d' "$1"; }

# variants FILE: the names dpkg may know FILE by (the path, its target, with and without the
# /usr prefix of Debian's merged /usr).
variants() {
  local f="$1" real
  real="$(readlink -f "$f")"
  printf '%s\n' "$f" "$real" "${f#/usr}" "${real#/usr}" "/usr${f#/usr}" "/usr${real#/usr}" | sort -u
}

# index_owners FILE...: fills PKG_OF[path] for every variant of every FILE with one dpkg call
# (dpkg -S reads its whole database on each call).
declare -A PKG_OF=()
index_owners() {
  local pkgs path
  while IFS= read -r line; do
    pkgs="${line%%: /*}"
    path="/${line#*: /}"
    pkgs="${pkgs%%,*}"
    PKG_OF["$path"]="${pkgs%%:*}"
  done < <(for f in "$@"; do variants "$f"; done | sort -u | xargs -r dpkg -S 2>/dev/null || true)
}

# owner FILE: the Debian package that installed FILE, or nothing.
owner() {
  local v
  while IFS= read -r v; do
    if [[ -n "${PKG_OF[$v]:-}" ]]; then
      printf '%s\n' "${PKG_OF[$v]}"
      return 0
    fi
  done < <(variants "$1")
}

# check_libs BINARY...: every shared library resolves; the packages of the libraries a binary
# links directly (DT_NEEDED) are named in runtime-packages.txt; every other library it loads
# comes from the dependency closure of that list. So the runtime stage, which installs exactly
# that list, can run the binary.
check_libs() {
  local listed closure bin problems=0
  listed="$(packages_in "$here/runtime-packages.txt" | sort -u)"
  # shellcheck disable=SC2086
  closure="$( (echo "$listed"; apt-cache depends --recurse --installed --no-recommends --no-suggests \
    --no-conflicts --no-breaks --no-replaces --no-enhances $listed 2>/dev/null |
    sed -n 's/^\([a-z0-9][a-z0-9+.-]*\)\(:[a-z0-9]*\)\{0,1\}$/\1/p') | sort -u)"
  for bin in "$@"; do
    [[ -x "$bin" ]] || die "$bin is not an executable"
  done
  index_owners $(ldd "$@" | awk '$2 == "=>" && $3 ~ /^\// { print $3 }' | sort -u)
  for bin in "$@"; do
    local name needed lib path pkg
    name="$(basename "$bin")"
    if ldd "$bin" | grep -q "not found"; then
      ldd "$bin" | grep "not found" >&2
      die "$name: shared libraries not found (above)"
    fi
    needed="$(readelf -d "$bin" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p')"
    while read -r lib _ path _; do
      [[ "$path" == /* ]] || continue
      pkg="$(owner "$path")"
      if [[ -z "$pkg" ]]; then
        echo "$name: $lib ($path) belongs to no Debian package" >&2
        problems=1
      elif grep -qxF "$lib" <<<"$needed"; then
        grep -qxF "$pkg" <<<"$listed" || {
          echo "$name: links $lib directly, from package $pkg, which runtime-packages.txt does not name" >&2
          problems=1
        }
      else
        grep -qxF "$pkg" <<<"$closure" || {
          echo "$name: loads $lib from package $pkg, which no package of runtime-packages.txt depends on" >&2
          problems=1
        }
      fi
    done < <(ldd "$bin" | grep '=>')
    ((problems == 0)) || die "$name: the runtime stage would miss libraries (above); add the packages to deploy/docker/runtime-packages.txt"
    log "$name: $(wc -w <<<"$needed") direct libraries, all from runtime-packages.txt; $(ldd "$bin" | grep -c '=>') in all, all installed by it"
  done
}

# stage_sources DOCKERFILE DIR [STAGE]: copies into DIR what the Dockerfile's STAGE-th stage
# (default 1, the build stage) COPYs into its WORKDIR, so a configure (or the web build) there
# sees exactly the files the image build sees, less what DOCKERFILE.dockerignore keeps out of the
# build context. Every COPY of ours keeps the repository's path (`COPY cmake cmake`,
# `COPY CMakeLists.txt ./`, `COPY web/package.json web/package-lock.json web/`); one that renames
# is refused here rather than staged wrongly.
stage_sources() {
  local df="$1" dir="$2" stage="${3:-1}" src dest pattern
  local -a words excludes=()
  rm -rf "$dir"
  mkdir -p "$dir"
  if [[ -f "$df.dockerignore" ]]; then
    while IFS= read -r pattern; do
      excludes+=("--exclude=$pattern")
    done < <(sed -e 's/#.*//' -e 's/[[:space:]]//g' -e '/^$/d' "$df.dockerignore")
  fi
  while read -r -a words; do
    dest="${words[-1]}"
    for src in "${words[@]:0:${#words[@]}-1}"; do
      [[ "$src" == --* || "$src" == *packages.txt ]] && continue
      src="${src%/}"
      case "$dest" in
        "$src" | "$src/") ;;
        ./) [[ "$src" != */* ]] || die "$df: COPY $src ./ does not keep the path (stage_sources cannot stage it)" ;;
        */) [[ "$(dirname "$src")/" == "$dest" ]] || die "$df: COPY $src $dest does not keep the path (stage_sources cannot stage it)" ;;
        *) die "$df: COPY $src $dest does not keep the path (stage_sources cannot stage it)" ;;
      esac
      # --anchored: a pattern matches from the context's root, as in a .dockerignore.
      (cd "$repo" && tar --anchored "${excludes[@]}" -cf - "$src") | tar -C "$dir" -xf -
    done
  done < <(awk -v stage="$stage" '/^FROM /{n++} n==stage && /^COPY /{ $1=""; print }' "$df")
}

# check_dockerfile SERVICE: the Dockerfile builds with this script, installs the two package
# lists (not a copy of them), runs as a non-root user and starts the service's binary. A service
# of WEB_SERVICES has a third stage, `web`, between the two: Debian's Node.js from
# web-build-packages.txt, npm ci of the lock file, web/build.sh; the runtime stage copies its
# web/dist to /usr/share/advocacy/web, and the Dockerfile's .dockerignore keeps a checkout's
# web/node_modules and web/dist out of the build context.
check_dockerfile() {
  local svc="$1" df="$here/$1.Dockerfile" problems=() stages=2 shape="two stages (build, runtime)"
  [[ -f "$df" ]] || die "no Dockerfile for $svc: expected $df"
  grep -q "deploy/docker/build.sh build $svc /out" "$df" || problems+=("does not build with 'deploy/docker/build.sh build $svc /out'")
  grep -q "build-packages.txt" "$df" || problems+=("does not install deploy/docker/build-packages.txt")
  grep -q "runtime-packages.txt" "$df" || problems+=("does not install deploy/docker/runtime-packages.txt")
  grep -q '^USER 65532:65532' "$df" || problems+=("does not switch to USER 65532:65532 (the uid the manifests run as)")
  grep -q "ENTRYPOINT \[\"/usr/local/bin/$svc\"\]" "$df" || problems+=("does not start /usr/local/bin/$svc")
  if [[ " ${WEB_SERVICES[*]} " == *" $svc "* ]]; then
    stages=3 shape="three stages (build, web, runtime)"
    [[ "$(awk '/^FROM /{n++; if (n == 2) print}' "$df")" == *" AS web" ]] || problems+=("has no second stage named web")
    awk '/^FROM /{n++} n==2' "$df" | grep -q "web-build-packages.txt" || problems+=("does not install deploy/docker/web-build-packages.txt in its web stage")
    awk '/^FROM /{n++} n==2' "$df" | grep -q "npm ci --no-audit --no-fund --ignore-scripts" || problems+=("does not install the web app's locked packages with 'npm ci --no-audit --no-fund --ignore-scripts'")
    awk '/^FROM /{n++} n==2' "$df" | grep -q "^RUN web/build.sh" || problems+=("does not build the web app with web/build.sh")
    grep -q "^COPY --from=web /src/web/dist /usr/share/advocacy/web$" "$df" || problems+=("does not copy web/dist to /usr/share/advocacy/web (GATEWAY_WEB_ROOT's default)")
    for p in web/node_modules web/dist; do
      grep -qx "$p" "$df.dockerignore" 2>/dev/null || problems+=("has no $svc.Dockerfile.dockerignore line '$p' (a checkout's copy would reach the image)")
    done
  fi
  [[ "$(grep -c '^FROM ' "$df")" == "$stages" ]] || problems+=("is not $shape")
  if ((${#problems[@]})); then
    printf '%s.Dockerfile %s\n' "$svc" "${problems[@]}" >&2
    die "$svc.Dockerfile is inconsistent with the build script (above)"
  fi
  log "$svc.Dockerfile: $shape, builds with build.sh, installs the package lists, runs as 65532"
}

# build_web SERVICE DIR: the web stage of SERVICE's Dockerfile without a Docker engine: stages
# exactly what that stage copies into DIR, installs the locked packages and runs web/build.sh
# there, as the stage does (with this machine's node, not Debian 13's). A file the web build
# needs but the Dockerfile does not copy fails here.
build_web() {
  local svc="$1" dir="$2"
  command -v node >/dev/null && command -v npm >/dev/null || die "$svc: node and npm are needed for its web stage (deploy/local/install.sh)"
  stage_sources "$here/$svc.Dockerfile" "$dir" 2
  [[ ! -e "$dir/web/node_modules" && ! -e "$dir/web/dist" ]] || die "$svc: the staged web stage has web/node_modules or web/dist from the checkout"
  (cd "$dir/web" && npm ci --no-audit --no-fund --ignore-scripts --loglevel=error) >"$dir.log" 2>&1 ||
    { tail -n 30 "$dir.log" >&2; die "$svc: npm ci of web/package-lock.json failed in the staged web stage (log $dir.log)"; }
  "$dir/web/build.sh" >>"$dir.log" 2>&1 ||
    { tail -n 30 "$dir.log" >&2; die "$svc: web/build.sh failed from the paths its web stage copies (log $dir.log)"; }
  [[ -s "$dir/web/dist/index.html" ]] || die "$svc: the web stage built no web/dist/index.html"
  log "$svc: its web stage builds web/dist from the paths it copies ($(find "$dir/web/dist" -type f | wc -l) files)"
}

cmd="${1:-}"
shift || true
case "$cmd" in
  build)
    (($# >= 2)) || die "usage: build.sh build SERVICE OUT_DIR [BUILD_DIR]"
    svc="$1" out="$2" build_dir="${3:-${ADVOCACY_HOME:-$repo/.local}/build-docker}"
    mkdir -p "$build_dir" "$out"
    log "configuring Release into $build_dir"
    configure "$build_dir"
    log "building target $svc with ${ADVOCACY_BUILD_JOBS:-2} jobs"
    cmake --build "$build_dir" --target "$svc" -j "${ADVOCACY_BUILD_JOBS:-2}" ||
      die "building $svc failed (compiler output above)"
    bin="$(find "$build_dir/services/$svc" -maxdepth 1 -type f -name "$svc" -perm -u+x | head -n1)"
    [[ -n "$bin" ]] || die "the build produced no $build_dir/services/$svc/$svc"
    check_libs "$bin"
    install -m 0755 "$bin" "$out/$svc"
    strip --strip-unneeded "$out/$svc"
    log "$out/$svc ready ($(du -h "$out/$svc" | cut -f1))"
    ;;
  check-libs)
    (($# >= 1)) || die "usage: build.sh check-libs BINARY..."
    check_libs "$@"
    ;;
  ci)
    (($# > 0)) || set -- "${SERVICES[@]}"
    test_build="${ADVOCACY_BUILD_DIR:-$repo/build}"
    home="${ADVOCACY_HOME:-$repo/.local}"
    binaries=()
    configured=""
    for svc in "$@"; do
      check_dockerfile "$svc"
      # The sources the image build sees, configured with the image flags (no compilation);
      # once per distinct set of copied paths.
      copies="$(awk '/^FROM /{n++} n==1 && /^COPY /' "$here/$svc.Dockerfile")"
      if [[ "$copies" != "$configured" ]]; then
        stage_sources "$here/$svc.Dockerfile" "$home/docker-src"
        mkdir -p "$home/build-docker-ci"
        configure "$home/build-docker-ci" "$home/docker-src"
        configured="$copies"
      fi
      log "$svc: configures with the image flags from the paths its Dockerfile copies"
      if [[ " ${WEB_SERVICES[*]} " == *" $svc "* ]]; then
        build_web "$svc" "$home/docker-web"
      fi
      bin="$test_build/services/$svc/$svc"
      if [[ ! -x "$bin" ]]; then
        log "!!!!! $svc: no binary at $bin: its library check is SKIPPED (not built in this tree yet) !!!!!"
        continue
      fi
      binaries+=("$bin")
      if [[ "${ADVOCACY_DOCKER_FULL_BUILD:-0}" == 1 ]]; then
        "$0" build "$svc" "$home/docker-out" "$home/build-docker"
      fi
    done
    # Same sources, same link line as the image build; only the optimization flags differ.
    ((${#binaries[@]} == 0)) || check_libs "${binaries[@]}"
    log "docker: $# Dockerfiles checked and configured; libraries of ${#binaries[@]} of $# services checked"
    ;;
  *)
    die "usage: build.sh build SERVICE OUT_DIR [BUILD_DIR] | check-libs BINARY... | ci [SERVICE...]"
    ;;
esac
