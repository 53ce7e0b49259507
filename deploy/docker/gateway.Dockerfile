# syntax=docker/dockerfile:1
# Image of the gateway: the browsers' edge (8080: the web app, its Connect API and sign-in),
# carrying the built web app at /usr/share/advocacy/web (GATEWAY_WEB_ROOT's default).
#   docker build -f deploy/docker/gateway.Dockerfile -t advocacy/gateway:0.1.0 .
# (build context: the repository root; gateway.Dockerfile.dockerignore keeps a checkout's
# web/node_modules, web/dist and build trees out of it). The build stage runs
# deploy/docker/build.sh, the same script CI runs; the web stage runs web/build.sh, the same
# script developers run (deploy/docker/README.md says why the image builds the web app itself and
# what CI does and does not exercise). For reproducible production images pin both bases by
# digest (debian:bookworm-slim@sha256:..., debian:trixie-slim@sha256:...).

FROM debian:bookworm-slim AS build
COPY deploy/docker/build-packages.txt /tmp/build-packages.txt
RUN apt-get update \
 && sed -e 's/#.*//' -e '/^[[:space:]]*$/d' /tmp/build-packages.txt \
    | xargs apt-get install -y --no-install-recommends \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
# Only what the CMake build reads (build.sh ci configures from exactly these paths).
COPY CMakeLists.txt ./
COPY cmake cmake
COPY proto proto
COPY services services
COPY tools tools
COPY deploy/docker deploy/docker
RUN ADVOCACY_BUILD_JOBS=$(nproc) deploy/docker/build.sh build gateway /out /tmp/build

# The web app (web/build.sh: buf generate from proto/, tsc, esbuild, precompressed .gz/.br).
# Node.js and npm are Debian's: Debian 13's nodejs is 20 (web/package.json's engines; Debian 12's
# is 18). Nothing of this stage but the static files of web/dist reaches the image. Its packages
# come from the npm registry exactly as web/package-lock.json pins them (npm ci, integrity-checked);
# their install scripts are not run (esbuild and buf ship their binaries as per-platform packages
# of the lock file, so nothing needs them).
FROM debian:trixie-slim AS web
COPY deploy/docker/web-build-packages.txt /tmp/web-build-packages.txt
RUN apt-get update \
 && sed -e 's/#.*//' -e '/^[[:space:]]*$/d' /tmp/web-build-packages.txt \
    | xargs apt-get install -y --no-install-recommends \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
# The locked packages first: this layer is rebuilt only when the lock file changes.
COPY web/package.json web/package-lock.json web/
RUN cd web && npm ci --no-audit --no-fund --ignore-scripts
# Only what the web build reads: the protos it generates clients from, and web/ itself.
COPY proto proto
COPY web web
RUN web/build.sh && test -s web/dist/index.html

FROM debian:bookworm-slim
COPY deploy/docker/runtime-packages.txt /tmp/runtime-packages.txt
RUN apt-get update \
 && sed -e 's/#.*//' -e '/^[[:space:]]*$/d' /tmp/runtime-packages.txt \
    | xargs apt-get install -y --no-install-recommends \
 && rm -rf /var/lib/apt/lists/* /tmp/runtime-packages.txt \
 && groupadd --system --gid 65532 advocacy \
 && useradd --system --uid 65532 --gid 65532 --home-dir /nonexistent --no-create-home \
    --shell /usr/sbin/nologin advocacy
COPY --from=build /out/gateway /usr/local/bin/gateway
# The built web app, owned by root and read-only to the service, which reads it once at start
# (GATEWAY_WEB_ROOT) and serves it from memory.
COPY --from=web /src/web/dist /usr/share/advocacy/web
# The uid the Kubernetes manifests run as (runAsUser 65532); the root file system can be
# read-only: the service writes nothing but stdout.
USER 65532:65532
# gRPC (TLS by default), metrics, the plain-HTTP probe port (ADVOCACY_HEALTH_LISTEN in the
# manifests), the browsers' HTTP port (GATEWAY_HTTP_LISTEN; TLS ends at the Ingress).
EXPOSE 50051 9464 8086 8080
ENTRYPOINT ["/usr/local/bin/gateway"]
