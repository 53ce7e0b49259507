#pragma once

// The tracked-link endpoint: GET /l/<code> answers 302 to the resolved target, 404 for unknown
// codes; GET /healthz answers 200. It never redirects anywhere the resolver did not return.
// The HTTP handling (bounded heads, read timeout, connection limit, 400/405/431/503,
// Connection: close) is the shared advocacy::http::Server; this class only routes.

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "advocacy/common/http_server.h"

namespace advocacy::content {

struct LinkServerOptions {
  std::string listen = "0.0.0.0:8080";  // host:port; port 0 picks a free one
  size_t max_connections = 256;
  std::chrono::milliseconds read_timeout{5000};
};

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
