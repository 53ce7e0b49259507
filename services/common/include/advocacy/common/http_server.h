#pragma once

// A small HTTP/1.1 server for the few plain-HTTP endpoints the services expose to browsers and
// mail clients (tracked links, one-click unsubscribe). It is not a general web server:
//
//  * One request per connection (`Connection: close`) unless the endpoint turns keep-alive on
//    with ServerOptions::idle_timeout: then a connection carries up to
//    max_requests_per_connection requests in turn (HTTP/1.1 persistence, RFC 9112 section 9;
//    an HTTP/1.0 client must ask with `Connection: keep-alive`), waiting at most idle_timeout
//    for the next one. A connection is closed after any response to a request whose framing
//    is in doubt (400, 405, 411, 413, 431), after a 503, and once Stop() began. Pipelined
//    requests are answered in order, one at a time.
//  * Methods GET, HEAD and POST; anything else is answered 405 before the handler runs.
//  * The request head is bounded (kMaxHeadBytes, else 431) and the body by
//    ServerOptions::max_body_bytes (else 413). Bodies need Content-Length; a chunked body gets
//    411. `Expect: 100-continue` is honoured.
//  * The whole request (head and body) must arrive within read_timeout, counted from the
//    connection's accept, or on a kept-alive connection from the first byte of that request; a
//    client that is slower gets no answer and its connection is closed. A response the client does
//    not read within write_timeout is abandoned the same way.
//  * Waiting for a request costs a socket and a timer, never a thread: connections are read
//    by one event loop, so idle or slow clients cannot hold back anybody else's request.
//  * At most max_connections connections are open at once; the next ones get 503. At most
//    max_connections_per_client come from one client address (an IPv6 client: its /64): when
//    a client has that many, its oldest connection that is still sending its request (or idle
//    between two) is closed to make room, or, when all of them are being answered, the new one
//    gets 503. At max_connections, the longest-idle kept-alive connection is closed to make
//    room before anybody is refused.
//  * Handlers run on a fixed pool of `workers` threads; at most max_queued_requests complete
//    requests wait for one, the next get 503 (Retry-After: 1). No thread is created after
//    Start().
//  * Running out of file descriptors (EMFILE) or kernel memory while accepting pauses
//    accepting for 100 ms (the connections wait in the listen backlog) instead of crashing or
//    spinning; it is logged at most every 10 s and counted in stats().
//  * A malformed request gets 400 and never reaches the handler. HEAD responses carry the
//    headers of the GET response without the body.
//  * The handler runs on a worker thread, so it may block (e.g. on a gRPC call); it must be
//    thread-safe. A handler that throws gets its request answered 500 and the error logged.
//
// Built on Boost.Beast (HTTP/1 parsing and serialization) and Boost.Asio (sockets, timers) from
// Debian's libboost-dev, header-only. Why not the other candidates: civetweb (already in the
// process through prometheus-cpp) and cpp-httplib give each accepted connection to a pool
// worker that blocks reading the request head, so a bounded pool is starved by as many idle
// connections as it has workers. Measured with Debian's civetweb 1.15 (num_threads 16 and 50,
// request_timeout_ms 5000): behind 1,000 idle connections a redirect took 310 s and 100 s, not
// the 100 ms required. An event loop that reads every connection and hands only complete
// requests to the pool does not have that failure mode.
//
// One behaviour differs from ParseRequestHead below: the server's parser (Beast) replaces an
// obsolete folded header line with spaces, as RFC 9112 section 5.2 allows, where
// ParseRequestHead refuses it. Folding is harmless here because no HTTP header is forwarded as
// HTTP (the gateway forwards a chosen few as gRPC metadata).

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
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
  // Connections open at once, whatever they are doing; the next one is answered 503.
  size_t max_connections = 4096;
  // Connections open at once from one client address (IPv6: one /64); see the header comment.
  // 0 turns the per-client limit off: only behind a proxy that enforces its own, since every
  // connection then comes from the proxy's few addresses.
  size_t max_connections_per_client = 64;
  // From accepting a connection until its request (head and body) is complete.
  std::chrono::milliseconds read_timeout{5000};
  // For the client to take the whole response.
  std::chrono::milliseconds write_timeout{5000};
  size_t max_body_bytes = size_t{64} * 1024;
  size_t workers = 8;                // threads that run the handler
  size_t max_queued_requests = 256;  // complete requests waiting for a worker, beyond: 503
  // Keep-alive: how long a connection may wait for its next request after a response. 0 (the
  // default) answers every request with `Connection: close`.
  std::chrono::milliseconds idle_timeout{0};
  // Keep-alive: requests one connection may carry; the last one is answered with
  // `Connection: close`.
  size_t max_requests_per_connection = 1000;
  // Names the endpoint in logs and errors, e.g. "tracked links".
  std::string name = "http";
};

// Counters since Start(), for tests and metrics. Each is read atomically on its own.
struct ServerStats {
  uint64_t accepted = 0;         // connections accepted (including those refused below)
  uint64_t open = 0;             // connections open now
  uint64_t refused = 0;          // answered 503 at once: max_connections, or per client
  uint64_t evicted = 0;          // closed to make room under max_connections_per_client
  uint64_t timed_out = 0;        // closed unanswered after read_timeout or write_timeout
  uint64_t reused = 0;           // requests that arrived on an already used (kept-alive) connection
  uint64_t overloaded = 0;       // complete requests answered 503: the worker queue was full
  uint64_t accept_failures = 0;  // accept() failures (EMFILE, ENFILE, ENOBUFS, ENOMEM, ...)
};

class Server final {
 public:
  using Handler = std::function<Response(const Request&)>;

  Server(ServerOptions options, Handler handler);
  ~Server();  // Stop()
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;
  Server(Server&&) = delete;
  Server& operator=(Server&&) = delete;

  // Binds, starts the event-loop thread and the worker threads, and starts accepting.
  // INVALID_ARGUMENT for an unparsable listen address or a zero limit (max_connections,
  // workers), UNAVAILABLE when the address cannot be bound, RESOURCE_EXHAUSTED when the
  // threads cannot be created (nothing is left running then), FAILED_PRECONDITION on a second
  // call. When the soft RLIMIT_NOFILE is below what max_connections needs, Start raises it
  // toward the hard limit (and logs a warning when even that is too low).
  absl::Status Start();
  // Stops accepting, closes the connections that have not sent a byte yet, and waits for the
  // rest: a request still arriving gets until its read_timeout, a complete one is answered
  // (the handler's own time plus write_timeout). Then the threads end. Idempotent; never call
  // it from a handler.
  void Stop();
  // The bound port, after a successful Start().
  int port() const { return port_; }
  ServerStats stats() const;

  struct Impl;  // the implementation, in http_server.cc

 private:
  ServerOptions options_;
  Handler handler_;
  int port_ = 0;
  std::shared_ptr<Impl> impl_;  // set by a successful Start()
  std::atomic<bool> stopped_{false};
};

}  // namespace advocacy::http
