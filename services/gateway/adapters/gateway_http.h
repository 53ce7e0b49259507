#pragma once

// The gateway's HTTP handler: the one entry of every browser request (http::Server calls it on
// a worker thread).
//
//   POST /<package>.<Service>/<Method>   a Connect unary call (connect_protocol.h) of an
//                                        allow-listed RPC (allow_list.h), forwarded to its
//                                        service (grpc_upstreams.h)
//   GET|HEAD anything else               the web app (static_site.h)
//
// Every response carries the security headers (security_headers.h) and `x-request-id`: the
// browser's own when it sent a usable one (1-128 printable ASCII characters), else a new one;
// the same id goes to the service, so one id names the request in the browser, the gateway's
// log and the service's log.
//
// Identity: the caller's bearer token (`Authorization: Bearer ...`) is forwarded as is; the
// service verifies it. A call without one is answered unauthenticated (401) without reaching the
// service. [Sessions of the web app's sign-in come with the backend-for-frontend step.]
//
// What the browser sees of an upstream failure: the service's own message for the codes a caller
// can act on (invalid_argument naming the field, not_found, permission_denied, ...); for
// unavailable, deadline_exceeded, internal, unknown, data_loss and canceled a generic sentence
// with the request id, never gRPC's transport text (it names internal addresses).

#include <chrono>
#include <string>
#include <vector>

#include "advocacy/common/http_server.h"
#include "allow_list.h"
#include "gateway_metrics.h"
#include "grpc_upstreams.h"
#include "static_site.h"

namespace advocacy::gateway {

struct HandlerOptions {
  std::chrono::milliseconds upstream_deadline{10000};
  bool https = false;  // the public address is https: HSTS
};

class GatewayHandler {
 public:
  GatewayHandler(const AllowList* allow, const Upstreams* upstreams, const StaticSite* site,
                 GatewayMetrics* metrics, HandlerOptions options);

  http::Response Handle(const http::Request& request) const;

 private:
  http::Response HandleRpc(const http::Request& request, const std::string& request_id,
                           std::string* route_label, std::string* code_label) const;

  const AllowList* allow_;
  const Upstreams* upstreams_;
  const StaticSite* site_;
  GatewayMetrics* metrics_;
  HandlerOptions options_;
  std::vector<std::pair<std::string, std::string>> security_headers_;
};

// The request's usable x-request-id, or a new random one (32 hex digits).
std::string RequestIdOf(const http::Request& request);

}  // namespace advocacy::gateway
