#pragma once

// The one-click unsubscribe endpoint (RFC 8058) that the List-Unsubscribe header and the mail
// footer point to.

#include <chrono>
#include <functional>
#include <string>

#include "absl/status/status.h"
#include "advocacy/common/http_server.h"
#include "ports.h"
#include "unsubscribe.h"

namespace advocacy::notifications {

// The endpoint's listen address and limits (connections, per-client connections, timeouts,
// workers). UnsubscribeServer sets max_body_bytes (4096: a form with a token) and name itself.
using UnsubscribeServerOptions = http::ServerOptions;

// Guarantees:
//  * GET /unsubscribe?token=T answers 200 with an HTML page holding a POST form for the same
//    token, and changes nothing: mail scanners and link previews follow GET links.
//  * POST /unsubscribe?token=T (the RFC 8058 body "List-Unsubscribe=One-Click", or the page's
//    form, which may carry the token in its body instead) verifies T with `signer`, calls
//    consent->Withdraw once for the token's tenant, employee and purpose, then
//    on_withdrawn(claims), and answers 200. Repeating the POST repeats the (idempotent)
//    withdrawal.
//  * A missing, malformed, forged or expired token answers 400 and withdraws nothing. When
//    the consent service fails, 503 with Retry-After and on_withdrawn is not called: the
//    client may simply try again.
//  * GET /healthz answers 200; other paths 404, other methods 405.
//  * Pages are small, English, escape everything they echo, and are sent with no-store,
//    no-referrer (the token is in the URL) and a restrictive Content-Security-Policy.
// `signer`, `consent` and `on_withdrawn` must outlive the server; on_withdrawn must be
// thread-safe (requests are served concurrently).
class UnsubscribeServer final {
 public:
  UnsubscribeServer(UnsubscribeServerOptions options, const UnsubscribeTokenSigner* signer,
                    ConsentGateway* consent,
                    std::function<void(const UnsubscribeClaims&)> on_withdrawn);
  ~UnsubscribeServer();  // Stop()
  UnsubscribeServer(const UnsubscribeServer&) = delete;
  UnsubscribeServer& operator=(const UnsubscribeServer&) = delete;

  absl::Status Start();
  void Stop();
  int port() const { return server_.port(); }

 private:
  http::Response Handle(const http::Request& request);
  http::Response Unsubscribe(const http::Request& request);

  const UnsubscribeTokenSigner* signer_;
  ConsentGateway* consent_;
  std::function<void(const UnsubscribeClaims&)> on_withdrawn_;
  http::Server server_;
};

}  // namespace advocacy::notifications
