#pragma once

// The gateway's HTTP handler: the one entry of every browser request (http::Server calls it on
// a worker thread).
//
//   GET  /auth/login?return_to=/path   starts a sign-in (302 to the identity provider)
//   GET  /auth/callback?code&state     ends it (303 to the path; the session cookie is set)
//   GET  /auth/session                 who is signed in, and the CSRF token (JSON); 401 if nobody
//   POST /auth/logout                  ends the session (needs the CSRF token); JSON {redirect}
//   POST /<package>.<Service>/<Method> a Connect unary call (connect_protocol.h) of an
//                                      allow-listed RPC (allow_list.h), forwarded to its service
//   GET|HEAD anything else             the web app (static_site.h)
//
// Every response carries the security headers (security_headers.h) and `x-request-id`: the
// browser's own when it sent a usable one (1-128 printable ASCII characters), else a new one;
// the same id goes to the service, so one id names the request in the browser, the gateway's
// log and the service's log.
//
// Who calls an RPC:
//  * a browser with a session cookie (session_manager.h): the call must carry the session's CSRF
//    token as X-CSRF-Token and, when it sends Origin, come from the gateway's own origin; it is
//    rate-limited per session; the service gets the session's access token for its audience;
//  * an API client with `Authorization: Bearer <token>`: forwarded as is (no cookie, so no CSRF);
//    the service verifies it;
//  * neither: for an anonymous RPC (allow_list.h AnonymousRpcs) the gateway's own narrow identity
//    (anonymous_identity.h), rate-limited per replica; for any other, unauthenticated (401)
//    without reaching a service.
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
#include "anonymous_identity.h"
#include "gateway_metrics.h"
#include "grpc_upstreams.h"
#include "rate_limiter.h"
#include "session_manager.h"
#include "static_site.h"

namespace advocacy::gateway {

struct HandlerOptions {
  std::chrono::milliseconds upstream_deadline{10000};
  // The public address (GATEWAY_PUBLIC_URL): its origin is the only one allowed to call, and
  // https turns on HSTS and Secure __Host- cookies.
  std::string public_url;
};

// What the handler works with. `sessions`, `anonymous` and the limiters may be null: without
// sessions browsers cannot sign in (bearer callers only); without `anonymous`, anonymous RPCs
// need a session or a token like the others.
struct HandlerParts {
  const AllowList* allow = nullptr;
  const Upstreams* upstreams = nullptr;
  const StaticSite* site = nullptr;
  GatewayMetrics* metrics = nullptr;
  SessionManager* sessions = nullptr;
  AnonymousIdentity* anonymous = nullptr;
  RateLimiter* session_rate = nullptr;    // per session
  RateLimiter* login_rate = nullptr;      // sign-ins started, one key
  RateLimiter* anonymous_rate = nullptr;  // anonymous RPCs, one key
};

class GatewayHandler {
 public:
  GatewayHandler(HandlerParts parts, HandlerOptions options);

  http::Response Handle(const http::Request& request) const;

 private:
  http::Response HandleRpc(const http::Request& request, const std::string& request_id,
                           std::string* route_label, std::string* code_label) const;
  http::Response HandleAuth(const http::Request& request, const std::string& request_id,
                            std::string* code_label) const;
  http::Response Login(const http::Request& request) const;
  http::Response Callback(const http::Request& request) const;
  http::Response SessionInfo(const http::Request& request) const;
  http::Response Logout(const http::Request& request, const std::string& request_id) const;
  // The session of a browser request that acts: from the gateway's own origin (when Origin is
  // sent), a live session, its CSRF token. UNAUTHENTICATED, PERMISSION_DENIED or UNAVAILABLE
  // with the words the browser gets.
  absl::StatusOr<Session> CheckedSession(const http::Request& request,
                                         const std::string& session_id,
                                         const std::string& request_id) const;

  HandlerParts parts_;
  HandlerOptions options_;
  bool https_;
  std::string origin_;  // scheme://host[:port] of public_url
  std::string session_cookie_;
  std::string login_cookie_;
  std::vector<std::pair<std::string, std::string>> security_headers_;
};

}  // namespace advocacy::gateway
