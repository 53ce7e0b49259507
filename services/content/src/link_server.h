#pragma once

// A tiny HTTP/1.1 server for tracked links: GET /l/<code> answers 302 to the resolved target,
// 404 for unknown codes; GET /healthz answers 200. One request per connection
// (Connection: close). Request heads are bounded (8 KiB) and must arrive within the read
// timeout; anything malformed gets 400, other methods 405, too many concurrent connections 503.
// It never redirects anywhere the resolver did not return.

#include <atomic>
#include <chrono>
#include <functional>
#include <list>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

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
  int port() const { return port_; }

 private:
  void AcceptLoop();
  void Serve(int fd);
  std::string Respond(std::string_view head);

  LinkServerOptions options_;
  Resolver resolver_;
  int listen_fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stopping_{false};
  std::atomic<size_t> active_{0};
  std::thread accept_thread_;
  std::mutex mu_;
  struct Worker {
    std::thread thread;
    std::shared_ptr<std::atomic<bool>> done;
  };
  std::list<Worker> workers_;  // guarded by mu_; finished ones reaped on accept, the rest at Stop()
};

}  // namespace advocacy::content
