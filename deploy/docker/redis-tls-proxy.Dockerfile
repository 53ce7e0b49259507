# The redis-tls-proxy sidecar (charts/advocacy redis.tlsProxy, deploy/k8s/components/
# redis-tls-proxy): Debian 12's stunnel4, which carries a service's plain Redis connection on the
# pod's loopback over TLS (Debian 12's hiredis 0.14 has no TLS). The configuration and the
# certificates are mounted at /etc/stunnel; nothing is written at run time.
FROM debian:bookworm-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends stunnel4 ca-certificates \
 && rm -rf /var/lib/apt/lists/*
USER 65532:65532
ENTRYPOINT ["/usr/bin/stunnel4"]
CMD ["/etc/stunnel/stunnel.conf"]
