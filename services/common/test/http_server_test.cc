#include "advocacy/common/http_server.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <mutex>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace advocacy::http {
namespace {

using ::testing::EndsWith;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;

int Connect(int port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

void SendAll(int fd, const std::string& data) {
  size_t sent = 0;
  while (sent < data.size()) {
    const ssize_t n = ::send(fd, data.data() + sent, data.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) return;
    sent += static_cast<size_t>(n);
  }
}

std::string ReadToEnd(int fd) {
  std::string out;
  char buf[4096];
  for (;;) {
    const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  return out;
}

// Sends raw bytes and reads the whole answer (the server closes after one response).
std::string Exchange(int port, const std::string& request) {
  const int fd = Connect(port);
  if (fd < 0) return "connect failed";
  SendAll(fd, request);
  std::string out = ReadToEnd(fd);
  ::close(fd);
  return out;
}

TEST(ParseRequestHead, SplitsTargetAndLowerCasesHeaderNames) {
  auto r = ParseRequestHead(
      "POST /unsubscribe?token=a%2Bb&x HTTP/1.1\r\nHost: example\r\nContent-Type:  "
      "application/x-www-form-urlencoded \r\nX-Dup: 1\r\nx-dup: 2\r\n\r\n");
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->method, "POST");
  EXPECT_EQ(r->target, "/unsubscribe?token=a%2Bb&x");
  EXPECT_EQ(r->path, "/unsubscribe");
  EXPECT_EQ(r->query, "token=a%2Bb&x");
  EXPECT_EQ(r->Header("content-type"), "application/x-www-form-urlencoded");
  EXPECT_EQ(r->Header("x-dup"), "1");
  EXPECT_EQ(r->Header("missing"), std::nullopt);
  ASSERT_EQ(r->headers.size(), 4u);
  EXPECT_EQ(r->headers[0].first, "host");
}

TEST(ParseRequestHead, RejectsWhatItCannotServe) {
  EXPECT_TRUE(absl::IsUnimplemented(ParseRequestHead("PUT /a HTTP/1.1\r\n\r\n").status()));
  EXPECT_TRUE(absl::IsUnimplemented(ParseRequestHead("DELETE /a HTTP/1.0\r\n\r\n").status()));
  for (const char* bad :
       {"garbage\r\n\r\n", "GET a HTTP/1.1\r\n\r\n", "GET /a HTTP/2\r\n\r\n",
        "GET http://x/a HTTP/1.1\r\n\r\n", "GET /a b HTTP/1.1\r\n\r\n", "G(T /a HTTP/1.1\r\n\r\n",
        "GET /a HTTP/1.1\r\nNoColon\r\n\r\n", "GET /a HTTP/1.1\r\nX: 1\r\n folded\r\n\r\n",
        "GET /a HTTP/1.1\r\nBad Name: 1\r\n\r\n", "GET /a HTTP/1.1\r\nX: a\x01z\r\n\r\n",
        "GET /\x80 HTTP/1.1\r\n\r\n"}) {
    EXPECT_TRUE(absl::IsInvalidArgument(ParseRequestHead(bad).status())) << bad;
  }
}

TEST(FormValue, DecodesPlusAndPercent) {
  EXPECT_EQ(FormValue("a=1&token=x%2By+z&b", "token"), "x+y z");
  EXPECT_EQ(FormValue("List-Unsubscribe=One-Click", "List-Unsubscribe"), "One-Click");
  EXPECT_EQ(FormValue("a=1&a=2", "a"), "1");
  EXPECT_EQ(FormValue("flag&x=1", "flag"), "");
  EXPECT_EQ(FormValue("tok=1", "token"), std::nullopt);
  EXPECT_EQ(FormValue("", "token"), std::nullopt);
  EXPECT_EQ(FormValue("token=%4", "token"), std::nullopt);
  EXPECT_EQ(FormValue("token=%zz", "token"), std::nullopt);
}

class ServerTest : public ::testing::Test {
 protected:
  void StartServer(ServerOptions options) {
    options.listen = "127.0.0.1:0";
    server_ = std::make_unique<Server>(std::move(options), [this](const Request& req) {
      {
        std::lock_guard lock(mu_);
        seen_.push_back(req);
      }
      if (req.path == "/throw") throw std::runtime_error("boom");
      if (req.path == "/badheader") {
        Response r;
        r.headers.emplace_back("Location", "x\r\nSet-Cookie: evil=1");
        return r;
      }
      Response r = TextResponse(
          200, "method=" + req.method + " query=" + req.query + " body=" + req.body + "\n");
      r.headers.emplace_back("X-Test", "yes");
      return r;
    });
    ASSERT_TRUE(server_->Start().ok());
    ASSERT_GT(server_->port(), 0);
  }
  void SetUp() override {
    StartServer({.read_timeout = std::chrono::milliseconds(500), .max_body_bytes = 1024});
  }
  size_t Calls() {
    std::lock_guard lock(mu_);
    return seen_.size();
  }

  std::mutex mu_;
  std::vector<Request> seen_;
  std::unique_ptr<Server> server_;
};

TEST_F(ServerTest, PassesQueryAndBodyToTheHandler) {
  const std::string get = Exchange(server_->port(), "GET /p?a=1 HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_THAT(get, StartsWith("HTTP/1.1 200 OK\r\n"));
  EXPECT_THAT(get, HasSubstr("X-Test: yes\r\n"));
  EXPECT_THAT(get, HasSubstr("Connection: close\r\n"));
  EXPECT_THAT(get, HasSubstr("Cache-Control: no-store\r\n"));
  EXPECT_THAT(get, EndsWith("\r\n\r\nmethod=GET query=a=1 body=\n"));

  const std::string post = Exchange(
      server_->port(), "POST /p HTTP/1.1\r\nContent-Length: 26\r\n\r\nList-Unsubscribe=One-Click");
  EXPECT_THAT(post, EndsWith("method=POST query= body=List-Unsubscribe=One-Click\n"));
  EXPECT_EQ(Calls(), 2u);
}

TEST_F(ServerTest, ReadsABodyThatArrivesInPiecesAndHonoursExpectContinue) {
  const int fd = Connect(server_->port());
  ASSERT_GE(fd, 0);
  SendAll(fd, "POST /p HTTP/1.1\r\nContent-Length: 6\r\nExpect: 100-continue\r\n\r\n");
  char buf[64];
  const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
  ASSERT_GT(n, 0);
  EXPECT_EQ(std::string(buf, static_cast<size_t>(n)), "HTTP/1.1 100 Continue\r\n\r\n");
  SendAll(fd, "abc");
  SendAll(fd, "def");
  const std::string out = ReadToEnd(fd);
  ::close(fd);
  EXPECT_THAT(out, EndsWith("body=abcdef\n"));
}

TEST_F(ServerTest, HeadGetsHeadersWithoutTheBody) {
  const std::string r = Exchange(server_->port(), "HEAD /p HTTP/1.1\r\n\r\n");
  EXPECT_THAT(r, StartsWith("HTTP/1.1 200 OK\r\n"));
  EXPECT_THAT(r, HasSubstr("Content-Length: 25\r\n"));  // "method=HEAD query= body=\n"
  EXPECT_THAT(r, EndsWith("\r\n\r\n"));
}

TEST_F(ServerTest, AnswersBadRequestsWithoutCallingTheHandler) {
  const int port = server_->port();
  const std::string put = Exchange(port, "PUT /p HTTP/1.1\r\n\r\n");
  EXPECT_THAT(put, StartsWith("HTTP/1.1 405 Method Not Allowed\r\n"));
  EXPECT_THAT(put, HasSubstr("Allow: GET, HEAD, POST\r\n"));
  EXPECT_THAT(Exchange(port, "\x01\x02garbage\r\n\r\n"), StartsWith("HTTP/1.1 400"));
  EXPECT_THAT(Exchange(port, "GET /p HTTP/1.1\r\nX: " + std::string(20000, 'a') + "\r\n\r\n"),
              StartsWith("HTTP/1.1 431"));
  EXPECT_THAT(
      Exchange(port, "POST /p HTTP/1.1\r\nContent-Length: 2000\r\n\r\n" + std::string(2000, 'a')),
      StartsWith("HTTP/1.1 413"));
  EXPECT_THAT(Exchange(port, "POST /p HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"),
              StartsWith("HTTP/1.1 411"));
  EXPECT_THAT(Exchange(port, "POST /p HTTP/1.1\r\nContent-Length: x\r\n\r\n"),
              StartsWith("HTTP/1.1 400"));
  EXPECT_THAT(
      Exchange(port, "POST /p HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab"),
      StartsWith("HTTP/1.1 400"));
  // Incomplete head or body: the read timeout passes and the connection closes unanswered.
  EXPECT_EQ(Exchange(port, "GET /p HTTP/1.1\r\n"), "");
  EXPECT_EQ(Exchange(port, "POST /p HTTP/1.1\r\nContent-Length: 10\r\n\r\nabc"), "");
  EXPECT_EQ(Calls(), 0u);
}

TEST_F(ServerTest, HandlerFailuresBecome500) {
  EXPECT_THAT(Exchange(server_->port(), "GET /throw HTTP/1.1\r\n\r\n"), StartsWith("HTTP/1.1 500"));
  const std::string r = Exchange(server_->port(), "GET /badheader HTTP/1.1\r\n\r\n");
  EXPECT_THAT(r, StartsWith("HTTP/1.1 500"));
  EXPECT_THAT(r, Not(HasSubstr("evil")));
}

TEST_F(ServerTest, RefusesConnectionsBeyondTheLimit) {
  server_.reset();
  StartServer({.max_connections = 1, .read_timeout = std::chrono::milliseconds(2000)});
  const int idle = Connect(server_->port());  // holds the only slot until its read timeout
  ASSERT_GE(idle, 0);
  SendAll(idle, "GET /p HTTP/1.1\r\n");
  EXPECT_THAT(Exchange(server_->port(), "GET /p HTTP/1.1\r\n\r\n"), StartsWith("HTTP/1.1 503"));
  SendAll(idle, "\r\n");
  EXPECT_THAT(ReadToEnd(idle), StartsWith("HTTP/1.1 200"));
  ::close(idle);
}

TEST(Server, ReportsAnAddressItCannotBind) {
  Server first({.listen = "127.0.0.1:0"}, [](const Request&) { return Response{}; });
  ASSERT_TRUE(first.Start().ok());
  Server second({.listen = "127.0.0.1:" + std::to_string(first.port()), .name = "unsubscribe"},
                [](const Request&) { return Response{}; });
  const absl::Status st = second.Start();
  EXPECT_TRUE(absl::IsUnavailable(st)) << st;
  EXPECT_THAT(std::string(st.message()), HasSubstr("unsubscribe"));
  Server bad({.listen = "no-port"}, [](const Request&) { return Response{}; });
  EXPECT_TRUE(absl::IsInvalidArgument(bad.Start()));
}

// ---- Slow clients, resource exhaustion, limits and Stop (issue 11) ----

using Ms = std::chrono::milliseconds;
using SteadyClock = std::chrono::steady_clock;

// A connection from a chosen loopback source address (127.0.0.0/8 all reaches lo), or -1.
int ConnectFrom(int port, const std::string& source) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in from{};
  from.sin_family = AF_INET;
  ::inet_pton(AF_INET, source.c_str(), &from.sin_addr);
  sockaddr_in to{};
  to.sin_family = AF_INET;
  to.sin_port = htons(static_cast<uint16_t>(port));
  to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::bind(fd, reinterpret_cast<sockaddr*>(&from), sizeof from) != 0 ||
      ::connect(fd, reinterpret_cast<sockaddr*>(&to), sizeof to) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

// Everything the peer sends until it closes or `limit` passes.
std::string ReadWithin(int fd, Ms limit) {
  const auto until = SteadyClock::now() + limit;
  std::string out;
  char buf[4096];
  for (;;) {
    const auto left = std::chrono::duration_cast<Ms>(until - SteadyClock::now()).count();
    pollfd pfd{fd, POLLIN, 0};
    if (left <= 0 || ::poll(&pfd, 1, static_cast<int>(left)) <= 0) break;
    const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  return out;
}

// True when the server closed (or reset) the connection within `limit`, having sent nothing.
bool ClosedUnanswered(int fd, Ms limit) {
  pollfd pfd{fd, POLLIN, 0};
  if (::poll(&pfd, 1, static_cast<int>(limit.count())) <= 0) return false;
  char c = 0;
  return ::recv(fd, &c, 1, 0) <= 0;
}

// True when nothing has happened on the connection: no data, not closed.
bool StillOpen(int fd) {
  pollfd pfd{fd, POLLIN, 0};
  return ::poll(&pfd, 1, 0) == 0;
}

// The soft RLIMIT_NOFILE raised to at least `n`, or false.
bool EnsureFileLimit(rlim_t n) {
  rlimit limit{};
  if (::getrlimit(RLIMIT_NOFILE, &limit) != 0) return false;
  if (limit.rlim_cur >= n) return true;
  limit.rlim_cur = std::min(limit.rlim_max, n);
  return ::setrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur >= n;
}

template <typename Cond>
bool Eventually(Cond cond, Ms limit = Ms(10000)) {
  const auto until = SteadyClock::now() + limit;
  while (SteadyClock::now() < until) {
    if (cond()) return true;
    std::this_thread::sleep_for(Ms(5));
  }
  return cond();
}

// Opens `count` connections spread over `sources` that never send a complete request: every
// other one sends nothing, the rest half a request head.
std::vector<int> OpenIdle(int port, size_t count, const std::vector<std::string>& sources) {
  std::vector<int> fds;
  fds.reserve(count);
  for (size_t i = 0; i < count; ++i) {
    const int fd = ConnectFrom(port, sources[i % sources.size()]);
    if (fd < 0) break;
    if (i % 2 == 1) SendAll(fd, "GET /l/idle HTTP/1.1\r\nHost: x\r\n");
    fds.push_back(fd);
  }
  return fds;
}

struct Redirects {
  Ms slowest{0};
  int ok = 0;
};

// `n` redirects from 127.0.0.1, one after another, each timed from connect to the last byte.
Redirects TimeRedirects(int port, int n) {
  Redirects r;
  for (int i = 0; i < n; ++i) {
    const auto start = SteadyClock::now();
    const int fd = ConnectFrom(port, "127.0.0.1");
    if (fd < 0) continue;
    SendAll(fd, "GET /l/abc HTTP/1.1\r\nHost: x\r\n\r\n");
    const std::string answer = ReadWithin(fd, Ms(5000));
    r.slowest = std::max(r.slowest, std::chrono::duration_cast<Ms>(SteadyClock::now() - start));
    ::close(fd);
    if (answer.rfind("HTTP/1.1 302 Found\r\n", 0) == 0 &&
        answer.find("Location: https://example.com/\r\n") != std::string::npos) {
      ++r.ok;
    }
  }
  return r;
}

Response Redirect(const Request&) {
  Response r = TextResponse(302, "");
  r.headers.emplace_back("Location", "https://example.com/");
  return r;
}

std::vector<std::string> LoopbackSources(int first, int count) {
  std::vector<std::string> out;
  for (int i = first; i < first + count; ++i) out.push_back("127.0.0." + std::to_string(i));
  return out;
}

class SlowClientTest : public ::testing::Test {
 protected:
  void SetUp() override {
    // 1,000 client sockets and as many accepted ones live in this one process.
    ASSERT_TRUE(EnsureFileLimit(3000)) << "RLIMIT_NOFILE cannot be raised to 3000 for this test";
  }
  // The idle connections close first, so that Stop() does not wait out their read timeout.
  void TearDown() override {
    for (int fd : idle_) ::close(fd);
    if (server_) server_->Stop();
  }
  Server& StartServer(ServerOptions options) {
    server_ = std::make_unique<Server>(std::move(options), Redirect);
    EXPECT_TRUE(server_->Start().ok());
    return *server_;
  }
  static void Report(const char* what, const Redirects& r) {
    std::printf("%s: %d of 10 redirects answered, the slowest in %lld ms\n", what, r.ok,
                static_cast<long long>(r.slowest.count()));
  }
  std::vector<int> idle_;
  std::unique_ptr<Server> server_;
};

// The acceptance test of issue 11 on the server itself: 1,000 connections that never send a
// complete request, from 16 addresses (63 or 62 each, under the per-client limit of 64), are
// all held open, and redirects from a 17th address are still answered within 100 ms.
TEST_F(SlowClientTest, AThousandIdleConnectionsDoNotDelayARedirect) {
  Server& server = StartServer({.listen = "127.0.0.1:0", .read_timeout = Ms(30000)});
  idle_ = OpenIdle(server.port(), 1000, LoopbackSources(2, 16));
  ASSERT_EQ(idle_.size(), 1000u);
  ASSERT_TRUE(Eventually([&] { return server.stats().open == 1000; })) << server.stats().open;

  const Redirects r = TimeRedirects(server.port(), 10);
  Report("1,000 idle from 16 addresses", r);
  EXPECT_EQ(r.ok, 10);
  EXPECT_LT(r.slowest, Ms(100));
  // Nobody was evicted or refused to make that possible: the idle connections are all there.
  EXPECT_EQ(server.stats().evicted, 0u);
  EXPECT_EQ(server.stats().refused, 0u);
  size_t open = 0;
  for (int fd : idle_) open += StillOpen(fd) ? 1 : 0;
  EXPECT_EQ(open, 1000u);
}

// All 1,000 from 127.0.0.1, the redirect too: the per-client limit (64) keeps the newest 64,
// closing the oldest as new ones come, and the redirect takes the place of the oldest idle one.
TEST_F(SlowClientTest, AThousandIdleConnectionsFromTheSameAddressAreCutToThePerClientLimit) {
  Server& server = StartServer({.listen = "127.0.0.1:0", .read_timeout = Ms(30000)});
  idle_ = OpenIdle(server.port(), 1000, {"127.0.0.1"});
  ASSERT_EQ(idle_.size(), 1000u);
  ASSERT_TRUE(Eventually([&] { return server.stats().accepted == 1000; }));
  EXPECT_EQ(server.stats().open, 64u);
  EXPECT_EQ(server.stats().evicted, 936u);

  const Redirects r = TimeRedirects(server.port(), 10);
  Report("1,000 idle from 127.0.0.1, per-client limit 64", r);
  EXPECT_EQ(r.ok, 10);
  EXPECT_LT(r.slowest, Ms(100));
  EXPECT_EQ(server.stats().refused, 0u);
  EXPECT_TRUE(ClosedUnanswered(idle_.front(), Ms(1000)));  // among the first evicted
  EXPECT_TRUE(StillOpen(idle_.back()));                    // among the newest, kept
}

// Without the per-client limit (as behind a proxy) all 1,000 from 127.0.0.1 stay open, and the
// redirect is still fast: waiting connections cost no worker.
TEST_F(SlowClientTest, WithoutThePerClientLimitIdleConnectionsStillCostNoWorker) {
  Server& server = StartServer({.listen = "127.0.0.1:0",
                                .max_connections_per_client = 0,
                                .read_timeout = Ms(30000),
                                .workers = 2});
  idle_ = OpenIdle(server.port(), 1000, {"127.0.0.1"});
  ASSERT_EQ(idle_.size(), 1000u);
  ASSERT_TRUE(Eventually([&] { return server.stats().open == 1000; })) << server.stats().open;
  const Redirects r = TimeRedirects(server.port(), 10);
  Report("1,000 idle from 127.0.0.1, no per-client limit, 2 workers", r);
  EXPECT_EQ(r.ok, 10);
  EXPECT_LT(r.slowest, Ms(100));
  EXPECT_EQ(server.stats().evicted, 0u);
}

// A handler that blocks until released, to hold a connection in the handling phase.
class Gate {
 public:
  Response Handle(const Request& req) {
    if (req.path == "/slow") {
      std::unique_lock lock(mu_);
      ++entered_;
      cv_.notify_all();
      cv_.wait(lock, [this] { return open_; });
    }
    return TextResponse(200, "done\n");
  }
  bool WaitEntered(int n) {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, std::chrono::seconds(5), [&] { return entered_ >= n; });
  }
  void Open() {
    std::lock_guard lock(mu_);
    open_ = true;
    cv_.notify_all();
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  int entered_ = 0;
  bool open_ = false;
};

TEST(ServerLimits, PerClientLimitClosesTheClientsOldestConnectionStillSendingItsRequest) {
  Server server(
      {.listen = "127.0.0.1:0", .max_connections_per_client = 2, .read_timeout = Ms(5000)},
      [](const Request&) { return TextResponse(200, "ok\n"); });
  ASSERT_TRUE(server.Start().ok());
  const int first = ConnectFrom(server.port(), "127.0.0.5");
  SendAll(first, "GET /p HTTP/1.1\r\n");
  const int second = ConnectFrom(server.port(), "127.0.0.5");
  ASSERT_TRUE(Eventually([&] { return server.stats().open == 2; }));
  const int other = ConnectFrom(server.port(), "127.0.0.6");  // another client: not affected
  const int third = ConnectFrom(server.port(), "127.0.0.5");
  EXPECT_TRUE(ClosedUnanswered(first, Ms(2000)));
  EXPECT_EQ(server.stats().evicted, 1u);
  SendAll(second, "GET /p HTTP/1.1\r\n\r\n");
  EXPECT_THAT(ReadWithin(second, Ms(2000)), StartsWith("HTTP/1.1 200"));
  SendAll(third, "GET /p HTTP/1.1\r\n\r\n");
  EXPECT_THAT(ReadWithin(third, Ms(2000)), StartsWith("HTTP/1.1 200"));
  SendAll(other, "GET /p HTTP/1.1\r\n\r\n");
  EXPECT_THAT(ReadWithin(other, Ms(2000)), StartsWith("HTTP/1.1 200"));
  for (int fd : {first, second, third, other}) ::close(fd);
}

TEST(ServerLimits, PerClientLimitAnswers503WhenAllOfTheClientsConnectionsAreBeingAnswered) {
  Gate gate;
  Server server({.listen = "127.0.0.1:0", .max_connections_per_client = 1},
                [&gate](const Request& r) { return gate.Handle(r); });
  ASSERT_TRUE(server.Start().ok());
  const int busy = ConnectFrom(server.port(), "127.0.0.7");
  SendAll(busy, "GET /slow HTTP/1.1\r\n\r\n");
  ASSERT_TRUE(gate.WaitEntered(1));
  const int next = ConnectFrom(server.port(), "127.0.0.7");
  SendAll(next, "GET /p HTTP/1.1\r\n\r\n");
  const std::string refused = ReadWithin(next, Ms(2000));
  EXPECT_THAT(refused, StartsWith("HTTP/1.1 503"));
  EXPECT_THAT(refused, HasSubstr("Retry-After: 1\r\n"));
  EXPECT_EQ(server.stats().refused, 1u);
  gate.Open();
  EXPECT_THAT(ReadWithin(busy, Ms(2000)), StartsWith("HTTP/1.1 200"));
  ::close(busy);
  ::close(next);
}

TEST(ServerLimits, AFullWorkerQueueAnswers503) {
  Gate gate;
  Server server({.listen = "127.0.0.1:0", .workers = 1, .max_queued_requests = 0},
                [&gate](const Request& r) { return gate.Handle(r); });
  ASSERT_TRUE(server.Start().ok());
  const int slow = ConnectFrom(server.port(), "127.0.0.8");
  SendAll(slow, "GET /slow HTTP/1.1\r\n\r\n");
  ASSERT_TRUE(gate.WaitEntered(1));
  const std::string busy = Exchange(server.port(), "GET /p HTTP/1.1\r\n\r\n");
  EXPECT_THAT(busy, StartsWith("HTTP/1.1 503"));
  EXPECT_THAT(busy, HasSubstr("Retry-After: 1\r\n"));
  EXPECT_EQ(server.stats().overloaded, 1u);
  gate.Open();
  EXPECT_THAT(ReadWithin(slow, Ms(2000)), StartsWith("HTTP/1.1 200"));
  ::close(slow);
}

TEST(ServerLimits, AClientThatDoesNotReadItsResponseIsCutOffAfterTheWriteTimeout) {
  const std::string big(size_t{8} * 1024 * 1024, 'x');
  Server server({.listen = "127.0.0.1:0", .write_timeout = Ms(300)},
                [&big](const Request&) { return TextResponse(200, big); });
  ASSERT_TRUE(server.Start().ok());
  const int fd = ConnectFrom(server.port(), "127.0.0.9");
  int small = 4096;
  ::setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &small, sizeof small);
  SendAll(fd, "GET /p HTTP/1.1\r\n\r\n");
  ASSERT_TRUE(Eventually([&] { return server.stats().timed_out == 1; }, Ms(5000)));
  EXPECT_EQ(server.stats().open, 0u);
  ::close(fd);
}

// Stop: a connection that sent nothing is closed at once, a request being handled is answered,
// then no connection is accepted any more.
TEST(ServerStop, ClosesSilentConnectionsAndAnswersTheRequestsInFlight) {
  Gate gate;
  auto server = std::make_unique<Server>(ServerOptions{.listen = "127.0.0.1:0"},
                                         [&gate](const Request& r) { return gate.Handle(r); });
  ASSERT_TRUE(server->Start().ok());
  const int port = server->port();
  const int in_flight = ConnectFrom(port, "127.0.0.10");
  SendAll(in_flight, "GET /slow HTTP/1.1\r\n\r\n");
  ASSERT_TRUE(gate.WaitEntered(1));
  const int silent = ConnectFrom(port, "127.0.0.11");
  ASSERT_TRUE(Eventually([&] { return server->stats().open == 2; }));

  std::thread stopper([&server] { server->Stop(); });
  EXPECT_TRUE(ClosedUnanswered(silent, Ms(2000)));
  gate.Open();
  EXPECT_THAT(ReadWithin(in_flight, Ms(2000)), StartsWith("HTTP/1.1 200"));
  stopper.join();
  EXPECT_EQ(ConnectFrom(port, "127.0.0.12"), -1);  // refused: nobody listens any more
  server.reset();
  ::close(in_flight);
  ::close(silent);
}

// CPU time (user + system) a process has used, from /proc/<pid>/stat.
double CpuSeconds(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string stat((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const size_t close_paren = stat.rfind(')');
  if (close_paren == std::string::npos) return -1;
  std::istringstream fields(stat.substr(close_paren + 2));
  std::string skip;
  for (int i = 3; i <= 13; ++i) fields >> skip;  // state .. cmajflt
  long utime = 0, stime = 0;
  fields >> utime >> stime;
  return static_cast<double>(utime + stime) / static_cast<double>(::sysconf(_SC_CLK_TCK));
}

bool ReadExactly(int fd, void* data, size_t n) {
  auto* p = static_cast<char*>(data);
  while (n > 0) {
    const ssize_t got = ::read(fd, p, n);
    if (got <= 0) return false;
    p += got;
    n -= static_cast<size_t>(got);
  }
  return true;
}

// The server in a child process whose descriptors are all used up (RLIMIT_NOFILE 64, the rest
// filled with /dev/null): a waiting connection makes accept() fail with EMFILE. The child
// must neither crash nor spin, and must serve the connection once descriptors are free again.
void EmfileChild(int commands, int reports) {
  const rlimit low{64, 64};
  if (::setrlimit(RLIMIT_NOFILE, &low) != 0) ::_exit(10);
  Server server({.listen = "127.0.0.1:0"},
                [](const Request&) { return TextResponse(200, "ok\n"); });
  if (!server.Start().ok()) ::_exit(11);
  const int port = server.port();
  if (::write(reports, &port, sizeof port) != sizeof port) ::_exit(12);
  std::vector<int> filler;
  for (int fd = ::open("/dev/null", O_RDONLY); fd >= 0; fd = ::open("/dev/null", O_RDONLY)) {
    filler.push_back(fd);
  }
  if (errno != EMFILE) ::_exit(13);
  char command = 0;
  if (::write(reports, "F", 1) != 1 || ::read(commands, &command, 1) != 1) ::_exit(14);
  for (size_t i = 0; i < 16 && i < filler.size(); ++i) ::close(filler[i]);  // 'R': release
  if (::read(commands, &command, 1) != 1) ::_exit(15);                      // 'X': exit
  server.Stop();
  const uint64_t failures = server.stats().accept_failures;
  if (::write(reports, &failures, sizeof failures) != sizeof failures) ::_exit(16);
  ::_exit(0);
}

// ---- Keep-alive (issue 12: the gateway's browser and proxy connections) ----

// Reads one response (head and Content-Length body) within `limit`; what arrives beyond it
// stays in `rest` for the next call. Empty when the connection closed or the time passed.
std::string ReadOneResponse(int fd, std::string& rest, Ms limit = Ms(3000)) {
  const auto until = SteadyClock::now() + limit;
  char buf[4096];
  for (;;) {
    const size_t head_end = rest.find("\r\n\r\n");
    if (head_end != std::string::npos) {
      size_t length = 0;
      const size_t at = rest.find("Content-Length: ");
      if (at != std::string::npos && at < head_end) length = std::stoul(rest.substr(at + 16));
      const bool head_only = rest.find("\r\nX-Head: 1\r\n") < head_end;
      const size_t total = head_end + 4 + (head_only ? 0 : length);
      if (rest.size() >= total) {
        std::string one = rest.substr(0, total);
        rest.erase(0, total);
        return one;
      }
    }
    const auto left = std::chrono::duration_cast<Ms>(until - SteadyClock::now()).count();
    pollfd pfd{fd, POLLIN, 0};
    if (left <= 0 || ::poll(&pfd, 1, static_cast<int>(left)) <= 0) return "";
    const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) return "";
    rest.append(buf, static_cast<size_t>(n));
  }
}

ServerOptions KeepAliveOptions() {
  return {.listen = "127.0.0.1:0",
          .read_timeout = Ms(300),
          .idle_timeout = Ms(2000),
          .max_requests_per_connection = 3};
}

Response Echo(const Request& r) {
  Response response = TextResponse(200, "path=" + r.path + " body=" + r.body + "\n");
  if (r.method == "HEAD") response.headers.emplace_back("X-Head", "1");
  return response;
}

TEST(ServerKeepAlive, OneConnectionCarriesRequestsInTurnUpToTheLimit) {
  Server server(KeepAliveOptions(), Echo);
  ASSERT_TRUE(server.Start().ok());
  const int fd = Connect(server.port());
  ASSERT_GE(fd, 0);
  std::string rest;
  SendAll(fd, "GET /one HTTP/1.1\r\nHost: x\r\n\r\n");
  const std::string first = ReadOneResponse(fd, rest);
  EXPECT_THAT(first, StartsWith("HTTP/1.1 200"));
  EXPECT_THAT(first, HasSubstr("Connection: keep-alive\r\n"));
  EXPECT_THAT(first, HasSubstr("Keep-Alive: timeout=2\r\n"));
  EXPECT_THAT(first, EndsWith("path=/one body=\n"));
  // Longer than read_timeout between two requests: the read deadline starts at the next byte.
  std::this_thread::sleep_for(Ms(600));
  SendAll(fd, "HEAD /two HTTP/1.1\r\n\r\n");
  const std::string second = ReadOneResponse(fd, rest);
  EXPECT_THAT(second, StartsWith("HTTP/1.1 200"));
  EXPECT_THAT(second, EndsWith("\r\n\r\n"));  // HEAD: no body, the connection stays usable
  SendAll(fd, "POST /three HTTP/1.1\r\nContent-Length: 3\r\n\r\nabc");
  const std::string third = ReadOneResponse(fd, rest);
  EXPECT_THAT(third, EndsWith("path=/three body=abc\n"));
  EXPECT_THAT(third, HasSubstr("Connection: close\r\n"));  // the third of at most 3
  EXPECT_TRUE(ClosedUnanswered(fd, Ms(2000)));
  ::close(fd);
  EXPECT_EQ(server.stats().accepted, 1u);
  EXPECT_EQ(server.stats().reused, 2u);
  EXPECT_EQ(server.stats().timed_out, 0u);
}

TEST(ServerKeepAlive, PipelinedRequestsAreAnsweredInOrder) {
  Server server(KeepAliveOptions(), Echo);
  ASSERT_TRUE(server.Start().ok());
  const int fd = Connect(server.port());
  std::string rest;
  SendAll(fd,
          "POST /a HTTP/1.1\r\nContent-Length: 1\r\n\r\n1GET /b HTTP/1.1\r\n\r\n"
          "GET /c HTTP/1.1\r\nConnection: close\r\n\r\n");
  EXPECT_THAT(ReadOneResponse(fd, rest), EndsWith("path=/a body=1\n"));
  EXPECT_THAT(ReadOneResponse(fd, rest), EndsWith("path=/b body=\n"));
  const std::string last = ReadOneResponse(fd, rest);
  EXPECT_THAT(last, EndsWith("path=/c body=\n"));
  EXPECT_THAT(last, HasSubstr("Connection: close\r\n"));  // the client asked
  EXPECT_TRUE(ClosedUnanswered(fd, Ms(2000)));
  ::close(fd);
}

TEST(ServerKeepAlive, OnlyWhereTheEndpointAndTheClientWantIt) {
  Server server(KeepAliveOptions(), Echo);
  ASSERT_TRUE(server.Start().ok());
  // HTTP/1.0 persists only when asked for.
  EXPECT_THAT(Exchange(server.port(), "GET /p HTTP/1.0\r\n\r\n"),
              HasSubstr("Connection: close\r\n"));
  const int fd = Connect(server.port());
  std::string rest;
  SendAll(fd, "GET /p HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
  EXPECT_THAT(ReadOneResponse(fd, rest), HasSubstr("Connection: keep-alive\r\n"));
  // A request whose framing is in doubt ends the connection after its answer.
  SendAll(fd, "POST /p HTTP/1.1\r\nContent-Length: 99999999\r\n\r\nabc");
  EXPECT_THAT(ReadOneResponse(fd, rest), StartsWith("HTTP/1.1 413"));
  EXPECT_TRUE(ClosedUnanswered(fd, Ms(2000)));
  ::close(fd);
  // An endpoint without idle_timeout closes after every response.
  Server plain({.listen = "127.0.0.1:0"}, Echo);
  ASSERT_TRUE(plain.Start().ok());
  EXPECT_THAT(Exchange(plain.port(), "GET /p HTTP/1.1\r\nConnection: keep-alive\r\n\r\n"),
              HasSubstr("Connection: close\r\n"));
}

TEST(ServerKeepAlive, AnIdleConnectionIsClosedAfterTheIdleTimeoutWithoutCountingATimeout) {
  ServerOptions options = KeepAliveOptions();
  options.idle_timeout = Ms(300);
  Server server(options, Echo);
  ASSERT_TRUE(server.Start().ok());
  const int fd = Connect(server.port());
  std::string rest;
  SendAll(fd, "GET /p HTTP/1.1\r\n\r\n");
  EXPECT_THAT(ReadOneResponse(fd, rest), StartsWith("HTTP/1.1 200"));
  EXPECT_TRUE(StillOpen(fd));
  EXPECT_TRUE(ClosedUnanswered(fd, Ms(3000)));
  ::close(fd);
  ASSERT_TRUE(Eventually([&] { return server.stats().open == 0; }));
  EXPECT_EQ(server.stats().timed_out, 0u);
}

TEST(ServerKeepAlive, IdleConnectionsMakeRoomAndDoNotHoldUpStop) {
  ServerOptions options = KeepAliveOptions();
  options.max_connections = 2;
  options.idle_timeout = Ms(60000);
  auto server = std::make_unique<Server>(options, Echo);
  ASSERT_TRUE(server->Start().ok());
  std::string rest_a;
  std::string rest_b;
  const int a = Connect(server->port());
  SendAll(a, "GET /a HTTP/1.1\r\n\r\n");
  ASSERT_THAT(ReadOneResponse(a, rest_a), StartsWith("HTTP/1.1 200"));
  const int b = Connect(server->port());
  SendAll(b, "GET /b HTTP/1.1\r\n\r\n");
  ASSERT_THAT(ReadOneResponse(b, rest_b), StartsWith("HTTP/1.1 200"));
  // Both slots hold idle connections: the longest idle one (a) makes room for a new client.
  EXPECT_THAT(Exchange(server->port(), "GET /c HTTP/1.1\r\nConnection: close\r\n\r\n"),
              StartsWith("HTTP/1.1 200"));
  EXPECT_TRUE(ClosedUnanswered(a, Ms(2000)));
  EXPECT_TRUE(StillOpen(b));
  EXPECT_EQ(server->stats().refused, 0u);
  // Stop closes the idle connection at once instead of waiting out its 60 s.
  const auto before = SteadyClock::now();
  server->Stop();
  EXPECT_LT(SteadyClock::now() - before, Ms(2000));
  EXPECT_TRUE(ClosedUnanswered(b, Ms(2000)));
  ::close(a);
  ::close(b);
}

TEST(ServerExhaustion, AcceptFailingWithEmfileNeitherCrashesNorSpins) {
  int to_child[2];
  int from_child[2];
  ASSERT_EQ(::pipe(to_child), 0);
  ASSERT_EQ(::pipe(from_child), 0);
  const pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    ::close(to_child[1]);
    ::close(from_child[0]);
    EmfileChild(to_child[0], from_child[1]);
  }
  ::close(to_child[0]);
  ::close(from_child[1]);
  int port = 0;
  char full = 0;
  ASSERT_TRUE(ReadExactly(from_child[0], &port, sizeof port));
  ASSERT_TRUE(ReadExactly(from_child[0], &full, 1));
  ASSERT_EQ(full, 'F');

  const int client = ConnectFrom(port, "127.0.0.13");  // the kernel queues it; accept fails
  ASSERT_GE(client, 0);
  SendAll(client, "GET /p HTTP/1.1\r\n\r\n");
  const double cpu_before = CpuSeconds(pid);
  std::this_thread::sleep_for(Ms(1000));
  const double cpu = CpuSeconds(pid) - cpu_before;
  EXPECT_LT(cpu, 0.2) << "the child used " << cpu << " s of CPU in 1 s while accept() failed";
  EXPECT_TRUE(StillOpen(client));  // not answered, not dropped: waiting in the backlog
  int status = 0;
  EXPECT_EQ(::waitpid(pid, &status, WNOHANG), 0) << "the child ended while out of descriptors";

  ASSERT_EQ(::write(to_child[1], "R", 1), 1);  // free some descriptors
  EXPECT_THAT(ReadWithin(client, Ms(3000)), StartsWith("HTTP/1.1 200"));
  ASSERT_EQ(::write(to_child[1], "X", 1), 1);
  uint64_t failures = 0;
  ASSERT_TRUE(ReadExactly(from_child[0], &failures, sizeof failures));
  ASSERT_EQ(::waitpid(pid, &status, 0), pid);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
  // About one failed accept per 100 ms pause: proof that EMFILE happened, and did not spin.
  EXPECT_GE(failures, 5u);
  EXPECT_LE(failures, 40u);
  ::close(client);
  ::close(to_child[1]);
  ::close(from_child[0]);
}

// A child whose address space leaves no room for a thread stack: Start() reports
// RESOURCE_EXHAUSTED instead of terminating the process, and the object stops cleanly.
TEST(ServerExhaustion, ThreadCreationFailureIsAnErrorNotACrash) {
  const pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    std::ifstream statm("/proc/self/statm");
    size_t pages = 0;
    statm >> pages;
    const rlim_t room = static_cast<rlim_t>(pages) * static_cast<rlim_t>(::sysconf(_SC_PAGESIZE)) +
                        rlim_t{12} * 1024 * 1024;  // one 8 MiB stack fits, the second does not
    const rlimit as{room, room};
    if (::setrlimit(RLIMIT_AS, &as) != 0) ::_exit(10);
    Server server({.listen = "127.0.0.1:0", .workers = 8}, Redirect);
    const absl::Status st = server.Start();
    server.Stop();
    ::_exit(absl::IsResourceExhausted(st) ? 0 : (st.ok() ? 20 : 21));
  }
  int status = 0;
  ASSERT_EQ(::waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFEXITED(status)) << "the child died of signal " << WTERMSIG(status);
  EXPECT_EQ(WEXITSTATUS(status), 0) << "20: Start succeeded, 21: another error";
}

}  // namespace
}  // namespace advocacy::http
