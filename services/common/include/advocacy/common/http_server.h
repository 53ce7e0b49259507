#pragma once

// A small HTTP/1.1 server for the few plain-HTTP endpoints the services expose to browsers and
// mail clients (tracked links, one-click unsubscribe). It is not a general web server:
//
//  * One request per connection: every response says `Connection: close`.
//  * Methods GET, HEAD and POST; anything else is answered 405 before the handler runs.
//  * The request head is bounded (kMaxHeadBytes, else 431) and the body by
//    ServerOptions::max_body_bytes (else 413). Bodies need Content-Length; a chunked body gets
//    411. `Expect: 100-continue` is honoured.
//  * The whole request (head and body) must arrive within read_timeout; a client that is
//    slower gets no answer and its connection is closed, so slow clients cannot pin workers.
//  * At most max_connections requests are served at once; the next ones get 503.
//  * A malformed request gets 400 and never reaches the handler. HEAD responses carry the
//    headers of the GET response without the body.
//  * The handler runs on a worker thread, so it may block (e.g. on a gRPC call); it must be
//    thread-safe. A handler that throws gets its request answered 500 and the error logged.

#include <atomic>
#include <chrono>
#include <cstddef>
#include <functional>
#include <list>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace advocacy::http {

inline constexpr size_t kMaxHeadBytes = 8192;

struct Request {
  std::string method;  // "GET", "HEAD" or "POST"
  std::string target;  // as sent: the path and, when present, "?" and the query
  std::string path;    // the target up to '?', still percent-encoded
  std::string query;   // after '?', still percent-encoded; empty without one
  // In arrival order; names lower-cased, values without surrounding blanks.
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;  // exactly Content-Length bytes; empty when there is none

  // The first header called `name` (give it in lower case), or nullopt.
  std::optional<std::string_view> Header(std::string_view name) const;
};

struct Response {
  int status = 200;
  std::string content_type = "text/plain; charset=utf-8";
  // Extra headers, in order. Content-Type, Content-Length and Connection are always set by
  // the server; Cache-Control defaults to no-store unless given here. A name or value with CR
  // or LF is a bug in the handler: the request is answered 500 instead.
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
};

// A response with a plain-text body; the usual way to answer errors.
Response TextResponse(int status, std::string body);

// The standard reason phrase ("Not Found"), or "Unknown" for codes this server never sends.
std::string_view ReasonPhrase(int status);

// Parses a request head: the request line and the header fields, up to the blank line
// (which may be absent). The body is not read here.
// INVALID_ARGUMENT (answer 400): a malformed request line, a target that does not start with
//   '/', a version other than HTTP/1.0 or HTTP/1.1, a malformed or folded header line.
// UNIMPLEMENTED (answer 405): a well-formed request with a method other than GET, HEAD, POST.
absl::StatusOr<Request> ParseRequestHead(std::string_view head);

// The value of the first `name` field of an application/x-www-form-urlencoded string (a query
// string or a form body), with '+' and %XX decoded. nullopt when the field is absent or its
// encoding is broken (a stray '%').
std::optional<std::string> FormValue(std::string_view form, std::string_view name);

struct ServerOptions {
  std::string listen = "0.0.0.0:8080";  // host:port ([v6]:port works); port 0 picks a free one
  size_t max_connections = 256;
  std::chrono::milliseconds read_timeout{5000};
  size_t max_body_bytes = size_t{64} * 1024;
  // Names the endpoint in logs and errors, e.g. "tracked links".
  std::string name = "http";
};

class Server final {
 public:
  using Handler = std::function<Response(const Request&)>;

  Server(ServerOptions options, Handler handler);
  ~Server();  // Stop()
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Binds and starts accepting. INVALID_ARGUMENT for an unparsable listen address,
  // UNAVAILABLE when the address cannot be bound. Call at most once.
  absl::Status Start();
  // Stops accepting and waits for the requests in flight (each is bounded by read_timeout
  // plus the handler's own time). Idempotent.
  void Stop();
  // The bound port, after a successful Start().
  int port() const { return port_; }

 private:
  void AcceptLoop();
  void Serve(int fd);

  ServerOptions options_;
  Handler handler_;
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

}  // namespace advocacy::http
