// The server half of advocacy::http on Boost.Asio and Boost.Beast. Threads: one event loop
// (accept, every read and write, every timer) and a fixed pool of workers that run the handler.
// All connection state below is touched on the event-loop thread only, except a request while
// a worker runs its handler (the connection is then in Phase::kHandling and nothing else
// touches it).

#include "advocacy/common/http_server.h"

#include <sys/resource.h>

#include <algorithm>
#include <array>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <exception>
#include <functional>
#include <list>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <unordered_set>
#include <vector>

#include "advocacy/common/logging.h"
#include "advocacy/common/strings.h"
#include "http_internal.h"

namespace advocacy::http {
namespace internal {

namespace asio = boost::asio;
namespace bhttp = boost::beast::http;
using tcp = asio::ip::tcp;
using boost::system::error_code;
using Clock = std::chrono::steady_clock;

constexpr auto kAcceptPause = std::chrono::milliseconds(100);
// After an answer, what the client still sends is read and dropped for a while: closing a
// socket with unread input makes the kernel send RST, which can destroy the response before
// the client reads it.
constexpr auto kLingerTime = std::chrono::milliseconds(500);
constexpr size_t kLingerBytes = size_t{1024} * 1024;
constexpr auto kLogEvery = std::chrono::seconds(10);
// File descriptors left to the rest of the process (gRPC, Redis, Kafka, files).
constexpr size_t kFdReserve = 256;
// Unparsed input a connection may hold: a head is at most kMaxHeadBytes, the body is moved
// into the request as it arrives.
constexpr size_t kReadBufferBytes = kMaxHeadBytes + 8192;
constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";
constexpr std::string_view kBusy =
    "HTTP/1.1 503 Service Unavailable\r\nCache-Control: no-store\r\nRetry-After: 1\r\n"
    "Content-Type: text/plain; charset=utf-8\r\nContent-Length: 5\r\nConnection: close\r\n\r\n"
    "busy\n";

// The per-client limit counts connections per IPv4 address and per IPv6 /64 (one host or one
// site can hold a whole /64), as 16 bytes.
using ClientKey = std::array<unsigned char, 16>;

std::string_view View(boost::beast::string_view s) { return {s.data(), s.size()}; }
boost::beast::string_view BeastView(std::string_view s) { return {s.data(), s.size()}; }

ClientKey KeyOf(const asio::ip::address& address) {
  const asio::ip::address_v6 v6 =
      address.is_v4() ? asio::ip::make_address_v6(asio::ip::v4_mapped, address.to_v4())
                      : address.to_v6();
  ClientKey key = v6.to_bytes();
  if (!v6.is_v4_mapped()) std::fill(key.begin() + 8, key.end(), 0);
  return key;
}

class Session;

struct Client {
  size_t open = 0;
  std::list<Session*> reading;  // its connections still sending their request, oldest first
};

struct Counters {
  std::atomic<uint64_t> accepted{0};
  std::atomic<uint64_t> open{0};
  std::atomic<uint64_t> refused{0};
  std::atomic<uint64_t> evicted{0};
  std::atomic<uint64_t> timed_out{0};
  std::atomic<uint64_t> reused{0};
  std::atomic<uint64_t> overloaded{0};
  std::atomic<uint64_t> accept_failures{0};
};

// Answers 503 on a connection that gets no session, without waiting for anything: the
// response fits the new socket's empty send buffer, and what already arrived is read first so
// that closing does not reset the connection under the response.
void Refuse(tcp::socket& socket) {
  error_code ec;
  socket.non_blocking(true, ec);
  socket.write_some(asio::buffer(kBusy.data(), kBusy.size()), ec);
  socket.shutdown(tcp::socket::shutdown_send, ec);
  std::array<char, 4096> sink{};
  for (int i = 0; i < 16 && socket.read_some(asio::buffer(sink), ec) > 0; ++i) {
  }
  socket.close(ec);
}

// A handler's response, or 500 when the handler threw or produced something the server must
// not send (a line break in a header, a status outside 200..599).
Response RunHandler(const Server::Handler& handler, const Request& request,
                    const std::string& endpoint) {
  Response response;
  try {
    response = handler(request);
  } catch (const std::exception& e) {
    log::Error("an HTTP handler failed",
               {{"endpoint", endpoint}, {"path", request.path}, {"error", e.what()}});
    return TextResponse(500, "internal error\n");
  } catch (...) {
    log::Error("an HTTP handler failed",
               {{"endpoint", endpoint}, {"path", request.path}, {"error", "not a std::exception"}});
    return TextResponse(500, "internal error\n");
  }
  bool bad = HasLineBreak(response.content_type) || response.status < 200 || response.status > 599;
  for (const auto& [name, value] : response.headers) {
    bad = bad || !IsToken(name) || HasLineBreak(value);
  }
  if (bad) {
    log::Error(
        "an HTTP handler produced a header with a line break or a bad status; answered 500 "
        "instead",
        {{"endpoint", endpoint}, {"path", request.path}});
    return TextResponse(500, "internal error\n");
  }
  return response;
}

// Runs an io_context until it has no more work. An exception escaping a handler is logged
// and the loop goes on: a failed allocation for one connection must not end the process.
void RunLoop(asio::io_context& context, const std::string& endpoint, const char* what) {
  for (;;) {
    try {
      context.run();
      return;
    } catch (const std::exception& e) {
      log::Error("the HTTP endpoint caught an exception and goes on",
                 {{"endpoint", endpoint}, {"thread", what}, {"error", e.what()}});
    }
  }
}

// Raises the soft RLIMIT_NOFILE toward the hard one when max_connections needs more.
void RaiseFileLimit(const ServerOptions& options) {
  rlimit limit{};
  if (::getrlimit(RLIMIT_NOFILE, &limit) != 0) return;
  const rlim_t wanted = options.max_connections + kFdReserve;
  if (limit.rlim_cur >= wanted) return;
  rlimit raised = limit;
  raised.rlim_cur = std::min(wanted, limit.rlim_max);
  if (raised.rlim_cur > limit.rlim_cur && ::setrlimit(RLIMIT_NOFILE, &raised) == 0) {
    limit = raised;
  }
  if (limit.rlim_cur < wanted) {
    log::Warning(
        "the file descriptor limit (RLIMIT_NOFILE) is below what max_connections needs; when "
        "descriptors run out the endpoint pauses accepting",
        {{"endpoint", options.name},
         {"max_connections", std::to_string(options.max_connections)},
         {"rlimit_nofile", std::to_string(limit.rlim_cur)}});
  }
}

}  // namespace internal

using internal::Client;
using internal::ClientKey;
using internal::Session;
namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using boost::system::error_code;

struct Server::Impl {
  Impl(ServerOptions o, Handler h) : options(std::move(o)), handler(std::move(h)) {}

  absl::Status Listen(const std::string& host, const std::string& port);
  absl::Status StartThreads();
  void Shutdown();

  void Accept();
  void OnAccept(const error_code& ec, tcp::socket socket);
  void Admit(tcp::socket socket);
  void Release(Session* session, const ClientKey& key);
  void BeginStop();

  const ServerOptions options;
  const Handler handler;
  asio::io_context io{1};
  asio::io_context work{static_cast<int>(options.workers)};
  tcp::acceptor acceptor{io};
  asio::steady_timer accept_pause{io};
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> work_guard;
  std::thread io_thread;
  std::vector<std::thread> workers;
  std::atomic<size_t> queued{0};  // requests given to the workers and not answered yet
  internal::Counters counters;
  // Event-loop thread only:
  std::map<ClientKey, Client> clients;
  std::unordered_set<Session*> sessions;
  std::list<Session*> idle;  // kept-alive connections between two requests, longest idle first
  bool stopping = false;
  std::chrono::steady_clock::time_point last_accept_log{};
};

namespace internal {

// One connection, from accept to close.
class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(Server::Impl* server, tcp::socket socket, ClientKey key)
      : server_(server),
        socket_(std::move(socket)),
        timer_(server->io),
        buffer_(kReadBufferBytes),
        key_(key) {}
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;
  Session(Session&&) = delete;
  Session& operator=(Session&&) = delete;
  ~Session() = default;

  void Begin();
  // Closes the connection unanswered (it is still sending its request) to make room.
  void Evict();
  // Closes a kept-alive connection between two requests to make room.
  void CloseIdle();
  // At Stop(): closes the connection when nothing has arrived on it yet.
  void CloseIfSilent();

 private:
  // kIdle: a kept-alive connection waiting for the first byte of its next request.
  enum class Phase { kIdle, kReading, kHandling, kWriting, kLingering, kClosed };

  void Arm(std::chrono::milliseconds after);
  void ReadHead();
  void NextRequest();
  void OnHead(const error_code& ec);
  void OnReadError(const error_code& ec);
  bool CheckHead();
  void ReadBody();
  void Dispatch();
  void Reply(Response response);
  void Linger();
  void Drain();
  void Close();
  void EnterReading();
  void LeaveReading();
  void LeaveIdle();

  Server::Impl* server_;
  tcp::socket socket_;
  asio::steady_timer timer_;
  boost::beast::flat_buffer buffer_;
  // A new parser for every request (Beast's parsers read one message).
  std::optional<bhttp::request_parser<bhttp::string_body>> parser_;
  bhttp::response<bhttp::string_body> response_;
  Request request_;
  ClientKey key_;
  std::optional<std::list<Session*>::iterator> reading_;
  std::optional<std::list<Session*>::iterator> idle_;
  Phase phase_ = Phase::kReading;
  uint64_t timer_generation_ = 0;  // a timer armed before the last Arm() finds it changed
  size_t requests_ = 0;            // requests read on this connection
  bool keep_alive_ = false;        // the response being written leaves the connection open
  bool head_ = false;
  size_t drained_ = 0;
  std::array<char, 4096> drain_buffer_{};
};

void Session::Begin() {
  EnterReading();
  ReadHead();
}

void Session::Evict() {
  ++server_->counters.evicted;
  Close();
}

void Session::CloseIdle() {
  if (phase_ == Phase::kIdle) Close();
}

void Session::CloseIfSilent() {
  // Between two requests the parser is still the last request's: only the buffer tells.
  const bool idle = phase_ == Phase::kIdle && buffer_.size() == 0;
  const bool unread = phase_ == Phase::kReading && buffer_.size() == 0 && !parser_->got_some();
  if (idle || unread) Close();
}

// Each phase has one deadline; a timer armed before the last Arm() finds the generation changed
// (even when its wait had already ended and its handler was queued).
void Session::Arm(std::chrono::milliseconds after) {
  timer_.expires_after(after);
  timer_.async_wait(
      [self = shared_from_this(), generation = ++timer_generation_](const error_code& ec) {
        if (ec || self->timer_generation_ != generation || self->phase_ == Phase::kClosed) return;
        if (self->phase_ == Phase::kReading || self->phase_ == Phase::kWriting) {
          ++self->server_->counters.timed_out;
        }
        self->Close();
      });
}

// Reads the head of the next request; the whole request gets read_timeout from here.
void Session::ReadHead() {
  phase_ = Phase::kReading;
  keep_alive_ = false;
  head_ = false;
  request_ = Request{};
  parser_.emplace();
  parser_->header_limit(static_cast<std::uint32_t>(kMaxHeadBytes));
  parser_->body_limit(server_->options.max_body_bytes);
  if (requests_ > 0) ++server_->counters.reused;
  ++requests_;
  Arm(server_->options.read_timeout);
  bhttp::async_read_header(
      socket_, buffer_, *parser_,
      [self = shared_from_this()](const error_code& ec, size_t /*bytes*/) { self->OnHead(ec); });
}

// After a kept-alive response: the next request may already be buffered (pipelined), else the
// connection waits up to idle_timeout for its first byte without holding a read deadline.
void Session::NextRequest() {
  response_ = {};
  EnterReading();
  if (buffer_.size() > 0) return ReadHead();
  phase_ = Phase::kIdle;
  server_->idle.push_back(this);
  idle_ = std::prev(server_->idle.end());
  Arm(server_->options.idle_timeout);
  socket_.async_wait(tcp::socket::wait_read, [self = shared_from_this()](const error_code& ec) {
    if (self->phase_ != Phase::kIdle) return;
    self->LeaveIdle();
    if (ec) return self->Close();
    self->ReadHead();  // a client that closed is seen there as end_of_stream
  });
}

void Session::OnHead(const error_code& ec) {
  if (phase_ != Phase::kReading) return;
  if (ec) return OnReadError(ec);
  if (!CheckHead()) return;
  if (parser_->is_done()) return Dispatch();
  const std::optional<std::string_view> expect = request_.Header("expect");
  const uint64_t remaining = parser_->content_length_remaining().value_or(0);
  if (expect && AsciiLower(*expect) == "100-continue" && buffer_.size() < remaining) {
    asio::async_write(socket_, asio::buffer(kContinue.data(), kContinue.size()),
                      [self = shared_from_this()](const error_code& write_ec, size_t /*bytes*/) {
                        if (self->phase_ != Phase::kReading) return;
                        if (write_ec) return self->Close();
                        self->ReadBody();
                      });
    return;
  }
  ReadBody();
}

// A request the parser refused is answered (400, 411, 413, 431); a client that went away or
// was too slow is not.
void Session::OnReadError(const error_code& ec) {
  if (ec == bhttp::error::header_limit || ec == bhttp::error::buffer_overflow) {
    return Reply(TextResponse(431, "too large\n"));
  }
  if (ec == bhttp::error::body_limit) return Reply(TextResponse(413, "too large\n"));
  if (ec == bhttp::error::bad_transfer_encoding) {
    return Reply(TextResponse(411, "send the body with Content-Length\n"));
  }
  const bool parse_error =
      ec.category() == bhttp::make_error_code(bhttp::error::bad_method).category() &&
      ec != bhttp::error::end_of_stream && ec != bhttp::error::partial_message &&
      ec != bhttp::error::short_read;
  if (parse_error) return Reply(TextResponse(400, "bad request\n"));
  Close();
}

// The checks Beast does not make, as ParseRequestHead makes them. False when answered.
bool Session::CheckHead() {
  const auto& message = parser_->get();
  request_.method = std::string(message.method_string());
  request_.target = std::string(message.target());
  for (const auto& field : message) {
    request_.headers.emplace_back(AsciiLower(View(field.name_string())),
                                  std::string(field.value()));
  }
  SplitTarget(request_);
  const absl::Status st = CheckRequest(request_);
  if (message.version() != 10 && message.version() != 11) {
    Reply(TextResponse(400, "bad request\n"));
    return false;
  }
  if (absl::IsUnimplemented(st)) {
    Response r = TextResponse(405, "method not allowed\n");
    r.headers.emplace_back("Allow", "GET, HEAD, POST");
    Reply(std::move(r));
    return false;
  }
  if (!st.ok()) {
    Reply(TextResponse(400, "bad request\n"));
    return false;
  }
  if (request_.Header("transfer-encoding")) {
    Reply(TextResponse(411, "send the body with Content-Length\n"));
    return false;
  }
  return true;
}

void Session::ReadBody() {
  bhttp::async_read(socket_, buffer_, *parser_,
                    [self = shared_from_this()](const error_code& ec, size_t /*bytes*/) {
                      if (self->phase_ != Phase::kReading) return;
                      // The body did not arrive in time or the client left: nothing to answer.
                      if (ec) return self->Close();
                      self->request_.body = std::move(self->parser_->get().body());
                      self->Dispatch();
                    });
}

void Session::Dispatch() {
  phase_ = Phase::kHandling;
  timer_.cancel();
  LeaveReading();
  head_ = request_.method == "HEAD";
  Server::Impl& server = *server_;
  keep_alive_ = server.options.idle_timeout.count() > 0 && parser_->get().keep_alive() &&
                requests_ < server.options.max_requests_per_connection;
  if (server.queued.load() >= server.options.workers + server.options.max_queued_requests) {
    keep_alive_ = false;
    ++server.counters.overloaded;
    Response busy = TextResponse(503, "busy\n");
    busy.headers.emplace_back("Retry-After", "1");
    return Reply(std::move(busy));
  }
  ++server.queued;
  // The work guard keeps the event loop running until the answer is posted back to it.
  asio::post(
      server.work, [self = shared_from_this(), guard = asio::make_work_guard(server.io)]() mutable {
        Response response =
            RunHandler(self->server_->handler, self->request_, self->server_->options.name);
        --self->server_->queued;
        auto executor = self->socket_.get_executor();
        // The session moves with the answer, so its last owner is always on the event loop.
        asio::post(executor, [self = std::move(self), response = std::move(response)]() mutable {
          self->Reply(std::move(response));
        });
      });
}

void Session::Reply(Response response) {
  if (phase_ == Phase::kClosed) return;
  LeaveReading();
  phase_ = Phase::kWriting;
  response_.version(11);
  response_.result(static_cast<unsigned>(response.status));
  response_.reason(BeastView(ReasonPhrase(response.status)));
  bool cache_control = false;
  for (const auto& [name, value] : response.headers) {
    cache_control = cache_control || AsciiLower(name) == "cache-control";
    response_.insert(BeastView(name), BeastView(value));
  }
  if (!cache_control) response_.set(bhttp::field::cache_control, "no-store");
  response_.set(bhttp::field::content_type, BeastView(response.content_type));
  response_.set(bhttp::field::content_length, std::to_string(response.body.size()));
  // Stop() may have begun while the handler ran: then this is the connection's last answer.
  keep_alive_ = keep_alive_ && !server_->stopping;
  if (keep_alive_) {
    response_.set(bhttp::field::connection, "keep-alive");
    response_.set(bhttp::field::keep_alive,
                  advocacy::StrCat("timeout=", server_->options.idle_timeout.count() / 1000));
  } else {
    response_.set(bhttp::field::connection, "close");
  }
  if (!head_) response_.body() = std::move(response.body);
  Arm(server_->options.write_timeout);
  bhttp::async_write(socket_, response_,
                     [self = shared_from_this()](const error_code& ec, size_t /*bytes*/) {
                       if (self->phase_ != Phase::kWriting) return;
                       if (ec) return self->Close();
                       if (self->keep_alive_ && !self->server_->stopping) {
                         // Through a type-erased continuation: the next request's read
                         // starts a new chain rather than nesting in this one.
                         std::function<void()> next = [self] { self->NextRequest(); };
                         return asio::post(self->socket_.get_executor(), std::move(next));
                       }
                       self->Linger();
                     });
}

void Session::Linger() {
  phase_ = Phase::kLingering;
  error_code ec;
  socket_.shutdown(tcp::socket::shutdown_send, ec);
  Arm(std::chrono::duration_cast<std::chrono::milliseconds>(kLingerTime));
  Drain();
}

void Session::Drain() {
  socket_.async_read_some(asio::buffer(drain_buffer_),
                          [self = shared_from_this()](const error_code& ec, size_t n) {
                            if (self->phase_ != Phase::kLingering) return;
                            self->drained_ += n;
                            if (ec || self->drained_ >= kLingerBytes) return self->Close();
                            self->Drain();
                          });
}

void Session::Close() {
  if (phase_ == Phase::kClosed) return;
  phase_ = Phase::kClosed;
  LeaveReading();
  LeaveIdle();
  timer_.cancel();
  error_code ec;
  socket_.close(ec);
  server_->Release(this, key_);
}

void Session::EnterReading() {
  if (reading_) return;
  auto& reading = server_->clients[key_].reading;
  reading.push_back(this);
  reading_ = std::prev(reading.end());
}

void Session::LeaveReading() {
  if (!reading_) return;
  server_->clients[key_].reading.erase(*reading_);
  reading_.reset();
}

void Session::LeaveIdle() {
  if (!idle_) return;
  server_->idle.erase(*idle_);
  idle_.reset();
}

}  // namespace internal

absl::Status Server::Impl::Listen(const std::string& host, const std::string& port) {
  error_code ec;
  tcp::resolver resolver(io);
  const auto results = resolver.resolve(host, port, tcp::resolver::passive, ec);
  if (ec || results.empty()) {
    return absl::InvalidArgumentError(advocacy::StrCat("cannot resolve the ", options.name,
                                                       " listen address '", options.listen,
                                                       "': ", ec.message()));
  }
  const tcp::endpoint endpoint = results.begin()->endpoint();
  acceptor.open(endpoint.protocol(), ec);
  if (!ec) acceptor.set_option(tcp::acceptor::reuse_address(true), ec);
  if (!ec) acceptor.bind(endpoint, ec);
  if (!ec) acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    return absl::UnavailableError(advocacy::StrCat("cannot listen for ", options.name, " on ",
                                                   options.listen, ": ", ec.message(),
                                                   " (is another process using the port?)"));
  }
  return absl::OkStatus();
}

// Every thread the server will ever have, or none: a failure to create one (RLIMIT_NPROC,
// memory) stops and joins those already running and is reported, not thrown.
absl::Status Server::Impl::StartThreads() {
  work_guard.emplace(work.get_executor());
  // Posted before the loop runs, so it has work from its first moment.
  asio::post(io, [this] { Accept(); });
  try {
    workers.reserve(options.workers);
    for (size_t i = 0; i < options.workers; ++i) {
      workers.emplace_back([this] { internal::RunLoop(work, options.name, "worker"); });
    }
    io_thread = std::thread([this] { internal::RunLoop(io, options.name, "event loop"); });
  } catch (const std::exception& e) {
    work_guard.reset();
    work.stop();
    for (auto& t : workers) t.join();
    workers.clear();
    return absl::ResourceExhaustedError(advocacy::StrCat("cannot start the threads of the ",
                                                         options.name, " endpoint: ", e.what()));
  }
  return absl::OkStatus();
}

void Server::Impl::Shutdown() {
  asio::post(io, [this] { BeginStop(); });
  // The loop ends when the acceptor is closed and the last connection is done.
  if (io_thread.joinable()) io_thread.join();
  work_guard.reset();
  for (auto& t : workers) t.join();
}

void Server::Impl::BeginStop() {
  stopping = true;
  error_code ec;
  acceptor.close(ec);
  accept_pause.cancel();
  const std::vector<Session*> all(sessions.begin(), sessions.end());
  for (Session* s : all) s->CloseIfSilent();
}

void Server::Impl::Accept() {
  acceptor.async_accept(
      [this](const error_code& ec, tcp::socket socket) { OnAccept(ec, std::move(socket)); });
}

void Server::Impl::OnAccept(const error_code& ec, tcp::socket socket) {
  if (stopping || ec == asio::error::operation_aborted) return;
  if (!ec) {
    try {
      Admit(std::move(socket));
    } catch (const std::exception& e) {  // out of memory for this one: drop it, keep accepting
      log::Error("the HTTP endpoint could not take a connection",
                 {{"endpoint", options.name}, {"error", e.what()}});
    }
    return Accept();
  }
  ++counters.accept_failures;
  if (ec == asio::error::connection_aborted) return Accept();  // that client gave up
  // EMFILE, ENFILE, ENOBUFS, ENOMEM: accepting again at once would fail again and spin. The
  // connections wait in the listen backlog meanwhile.
  const auto now = std::chrono::steady_clock::now();
  if (now - last_accept_log >= internal::kLogEvery) {
    last_accept_log = now;
    log::Warning("the HTTP endpoint cannot accept connections; pausing 100 ms between tries",
                 {{"endpoint", options.name},
                  {"error", ec.message()},
                  {"open_connections", std::to_string(sessions.size())}});
  }
  accept_pause.expires_after(internal::kAcceptPause);
  accept_pause.async_wait([this](const error_code& wait_ec) {
    if (!wait_ec && !stopping) Accept();
  });
}

void Server::Impl::Admit(tcp::socket socket) {
  ++counters.accepted;
  error_code ec;
  const tcp::endpoint peer = socket.remote_endpoint(ec);
  if (ec) return;  // the client is gone already
  const ClientKey key = internal::KeyOf(peer.address());
  const size_t per_client = options.max_connections_per_client;
  if (auto it = clients.find(key);
      per_client > 0 && it != clients.end() && it->second.open >= per_client) {
    if (it->second.reading.empty()) {
      ++counters.refused;
      return internal::Refuse(socket);
    }
    it->second.reading.front()->Evict();  // may erase `it`
  }
  if (sessions.size() >= options.max_connections && !idle.empty()) idle.front()->CloseIdle();
  if (sessions.size() >= options.max_connections) {
    ++counters.refused;
    return internal::Refuse(socket);
  }
  socket.set_option(tcp::no_delay(true), ec);
  auto session = std::make_shared<Session>(this, std::move(socket), key);
  ++clients[key].open;
  sessions.insert(session.get());
  ++counters.open;
  session->Begin();
}

void Server::Impl::Release(Session* session, const ClientKey& key) {
  sessions.erase(session);
  --counters.open;
  auto it = clients.find(key);
  if (it != clients.end() && --it->second.open == 0) clients.erase(it);
}

Server::Server(ServerOptions options, Handler handler)
    : options_(std::move(options)), handler_(std::move(handler)) {}

Server::~Server() { Stop(); }

absl::Status Server::Start() {
  if (impl_ != nullptr || stopped_.load()) {
    return absl::FailedPreconditionError(
        advocacy::StrCat("the ", options_.name, " endpoint was started before"));
  }
  if (options_.max_connections == 0 || options_.workers == 0) {
    return absl::InvalidArgumentError(advocacy::StrCat(
        "the ", options_.name, " endpoint needs max_connections and workers above 0"));
  }
  const size_t colon = options_.listen.rfind(':');
  if (colon == std::string::npos) {
    return absl::InvalidArgumentError(advocacy::StrCat("the ", options_.name, " listen address '",
                                                       options_.listen, "' is not host:port"));
  }
  std::string host = options_.listen.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  if (host.empty()) host = "0.0.0.0";
  // Creating the event loop needs descriptors (epoll, eventfd, timerfd) and memory: a
  // failure is reported, never thrown.
  try {
    auto impl = std::make_shared<Impl>(options_, handler_);
    if (absl::Status st = impl->Listen(host, options_.listen.substr(colon + 1)); !st.ok()) {
      return st;
    }
    port_ = impl->acceptor.local_endpoint().port();
    internal::RaiseFileLimit(options_);
    if (absl::Status st = impl->StartThreads(); !st.ok()) return st;
    impl_ = std::move(impl);
  } catch (const std::exception& e) {
    return absl::ResourceExhaustedError(
        advocacy::StrCat("cannot start the ", options_.name, " endpoint: ", e.what()));
  }
  return absl::OkStatus();
}

void Server::Stop() {
  if (stopped_.exchange(true) || impl_ == nullptr) return;
  impl_->Shutdown();
}

ServerStats Server::stats() const {
  if (impl_ == nullptr) return {};
  const internal::Counters& c = impl_->counters;
  return {.accepted = c.accepted.load(),
          .open = c.open.load(),
          .refused = c.refused.load(),
          .evicted = c.evicted.load(),
          .timed_out = c.timed_out.load(),
          .reused = c.reused.load(),
          .overloaded = c.overloaded.load(),
          .accept_failures = c.accept_failures.load()};
}

}  // namespace advocacy::http
