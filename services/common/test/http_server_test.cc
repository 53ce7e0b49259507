#include "advocacy/common/http_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <mutex>
#include <stdexcept>
#include <string>

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

}  // namespace
}  // namespace advocacy::http
