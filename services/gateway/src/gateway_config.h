#pragma once

// The gateway's configuration: the shared ADVOCACY_* settings (without Kafka: the gateway
// produces and consumes no events) and its own GATEWAY_* ones (the table is in README.md).

#include <chrono>
#include <cstddef>
#include <map>
#include <string>

#include "advocacy/common/config.h"
#include "advocacy/common/http_server.h"

namespace advocacy::gateway {

struct GatewayConfig {
  config::RuntimeConfig runtime;
  // GATEWAY_HTTP_*: the browser-facing endpoint (config::ReadHttpServerOptions), default
  // 0.0.0.0:8080 with 32 workers (each waits on one upstream call); GATEWAY_MAX_BODY_BYTES
  // (1 KiB .. 4 MiB, default 256 KiB) bounds a request body (413 beyond).
  http::ServerOptions http;
  // GATEWAY_PUBLIC_URL (required): the address browsers use, e.g. https://advocacy.example.
  // https turns on HSTS.
  std::string public_url;
  // GATEWAY_WEB_ROOT (default /usr/share/advocacy/web): the built web app (web/dist); it must
  // hold index.html.
  std::string web_root;
  // GATEWAY_<SERVICE>_ADDR (required): host:port of consent, content, courses, notifications.
  std::map<std::string, std::string> upstreams;
  // GATEWAY_UPSTREAM_DEADLINE_MS (100 ms .. 60 s, default 10 s): the longest a call may take; a
  // browser's Connect-Timeout-Ms can only shorten it.
  std::chrono::milliseconds upstream_deadline{10000};
};

GatewayConfig ReadGatewayConfig(config::EnvReader& env);

}  // namespace advocacy::gateway
