# syntax=docker/dockerfile:1
# Image of the consent service: the record of consent.
#   docker build -f deploy/docker/consent.Dockerfile -t advocacy/consent:0.1.0 .
# (build context: the repository root). The build stage runs deploy/docker/build.sh, the same
# script CI runs (deploy/docker/README.md says what CI does and does not exercise). For
# reproducible production images pin the base by digest (debian:bookworm-slim@sha256:...).

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
RUN ADVOCACY_BUILD_JOBS=$(nproc) deploy/docker/build.sh build consent /out /tmp/build

FROM debian:bookworm-slim
COPY deploy/docker/runtime-packages.txt /tmp/runtime-packages.txt
RUN apt-get update \
 && sed -e 's/#.*//' -e '/^[[:space:]]*$/d' /tmp/runtime-packages.txt \
    | xargs apt-get install -y --no-install-recommends \
 && rm -rf /var/lib/apt/lists/* /tmp/runtime-packages.txt \
 && groupadd --system --gid 65532 advocacy \
 && useradd --system --uid 65532 --gid 65532 --home-dir /nonexistent --no-create-home \
    --shell /usr/sbin/nologin advocacy
COPY --from=build /out/consent /usr/local/bin/consent
# The uid the Kubernetes manifests run as (runAsUser 65532); the root file system can be
# read-only: the service writes nothing but stdout.
USER 65532:65532
# gRPC (TLS by default), metrics, the plain-HTTP probe port (ADVOCACY_HEALTH_LISTEN in the
# manifests).
EXPOSE 50051 9464 8086
ENTRYPOINT ["/usr/local/bin/consent"]
