#pragma once

// The tracked-link endpoint: GET /l/<code> answers 302 to the resolved target, 404 for unknown
// codes; GET /healthz answers 200. It never redirects anywhere the resolver did not return.
// The HTTP handling (bounded heads, timeouts, connection and per-client limits, a bounded
// worker pool, 400/405/431/503, Connection: close) is the shared advocacy::http::Server; this
// class only routes.

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "advocacy/common/http_server.h"

namespace advocacy::content {

// The endpoint's listen address and limits (connections, per-client connections, timeouts,
// workers). LinkServer sets max_body_bytes (0: no request has a body) and name itself.
using LinkServerOptions = http::ServerOptions;

// Parses one HTTP request head. Returns the request target of a GET (or HEAD when `is_head` is
// set) or InvalidArgument (400) / Unimplemented (405).
absl::StatusOr<std::string> ParseRequestTarget(std::string_view head, bool* is_head);

class LinkServer final {
 public:
  // The redirect target for a code, or NotFound. Called once per GET request.
  using Resolver = std::function<absl::StatusOr<std::string>(std::string_view code)>;

  LinkServer(LinkServerOptions options, Resolver resolver);
  ~LinkServer();  // Stop()
  LinkServer(const LinkServer&) = delete;
  LinkServer& operator=(const LinkServer&) = delete;

  absl::Status Start();
  void Stop();
  int port() const { return server_.port(); }

 private:
  http::Response Respond(const http::Request& request);

  Resolver resolver_;
  http::Server server_;
};

}  // namespace advocacy::content
