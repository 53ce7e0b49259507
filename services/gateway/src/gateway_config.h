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

  // Browser sign-in (session_manager.h). GATEWAY_OIDC_ISSUER empty (the default): off, only
  // bearer callers are served (a warning says so).
  std::string oidc_issuer;         // GATEWAY_OIDC_ISSUER: https, the provider's issuer
  std::string oidc_client_id;      // GATEWAY_OIDC_CLIENT_ID, default advocacy-web
  std::string oidc_client_secret;  // from GATEWAY_OIDC_CLIENT_SECRET_FILE; empty: public client
  std::string oidc_ca_file;        // GATEWAY_OIDC_CA_FILE: the provider's CA; empty: system
  std::string oidc_scope;  // GATEWAY_OIDC_SCOPE, default "openid profile email offline_access"
  // GATEWAY_OIDC_RESOURCE_PREFIX (default urn:advocacy:): a service's resource indicator is the
  // prefix and its name (urn:advocacy:consent).
  std::string oidc_resource_prefix;
  std::chrono::seconds session_idle{1800};     // GATEWAY_SESSION_IDLE_S, 10 s .. 24 h, 30 min
  std::chrono::seconds session_max{8 * 3600};  // GATEWAY_SESSION_MAX_S, 5 min .. 7 days, 8 h
  double session_rate = 20;                    // GATEWAY_SESSION_RATE (RPCs/s per session)
  double session_burst = 60;                   // GATEWAY_SESSION_BURST
  double login_rate = 50;                      // GATEWAY_LOGIN_RATE (sign-ins started/s)
  // The gateway's own identity for anonymous RPCs (allow_list.h AnonymousRpcs): a
  // client-credentials client whose only scope is courses:verify. GATEWAY_ANONYMOUS_CLIENT_ID
  // (default advocacy-gateway), its secret from GATEWAY_ANONYMOUS_CLIENT_SECRET_FILE (empty, the
  // default: off; those RPCs then need a session like the others). Needs GATEWAY_OIDC_ISSUER.
  std::string anonymous_client_id;
  std::string anonymous_client_secret;
  double anonymous_rate = 20;  // GATEWAY_ANONYMOUS_RATE (anonymous RPCs/s per replica)
};

GatewayConfig ReadGatewayConfig(config::EnvReader& env);

}  // namespace advocacy::gateway
