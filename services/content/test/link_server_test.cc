#include "link_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace advocacy::content {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

// Sends raw bytes and reads the whole answer (the server closes after one response).
std::string Exchange(int port, const std::string& request) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    ::close(fd);
    return "connect failed";
  }
  size_t sent = 0;
  while (sent < request.size()) {
    const ssize_t n = ::send(fd, request.data() + sent, request.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) break;
    sent += static_cast<size_t>(n);
  }
  std::string out;
  char buf[4096];
  for (;;) {
    const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  ::close(fd);
  return out;
}

TEST(ParseRequestTarget, AcceptsGetAndRejectsTheRest) {
  bool head = false;
  auto t = ParseRequestTarget("GET /l/abc?x=1 HTTP/1.1\r\nHost: a\r\n\r\n", &head);
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(*t, "/l/abc");
  EXPECT_FALSE(head);
  EXPECT_TRUE(
      absl::IsUnimplemented(ParseRequestTarget("POST /l/a HTTP/1.1\r\n\r\n", &head).status()));
  EXPECT_TRUE(absl::IsInvalidArgument(ParseRequestTarget("garbage\r\n\r\n", &head).status()));
  EXPECT_TRUE(
      absl::IsInvalidArgument(ParseRequestTarget("GET l HTTP/1.1\r\n\r\n", &head).status()));
  EXPECT_TRUE(absl::IsInvalidArgument(ParseRequestTarget("GET /l HTTP/9\r\n\r\n", &head).status()));
}

class LinkServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    server_ = std::make_unique<LinkServer>(
        LinkServerOptions{.listen = "127.0.0.1:0", .read_timeout = std::chrono::milliseconds(500)},
        [this](std::string_view code) -> absl::StatusOr<std::string> {
          ++calls_;
          if (code == "good") return std::string("https://example.com/a?utm_source=x");
          if (code == "broken") return absl::UnavailableError("redis down");
          return absl::NotFoundError("no such link");
        });
    ASSERT_TRUE(server_->Start().ok());
    ASSERT_GT(server_->port(), 0);
  }
  std::atomic<int> calls_{0};
  std::unique_ptr<LinkServer> server_;
};

TEST_F(LinkServerTest, RedirectsKnownCodesOncePerRequest) {
  const std::string r = Exchange(server_->port(), "GET /l/good HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_THAT(r, StartsWith("HTTP/1.1 302 Found\r\n"));
  EXPECT_THAT(r, HasSubstr("Location: https://example.com/a?utm_source=x\r\n"));
  EXPECT_EQ(calls_.load(), 1);
  Exchange(server_->port(), "GET /l/good HTTP/1.1\r\n\r\n");
  EXPECT_EQ(calls_.load(), 2);
}

TEST_F(LinkServerTest, AnswersErrorsWithoutCrashing) {
  const int port = server_->port();
  EXPECT_THAT(Exchange(port, "GET /l/unknown HTTP/1.1\r\n\r\n"), StartsWith("HTTP/1.1 404"));
  EXPECT_THAT(Exchange(port, "GET /elsewhere HTTP/1.1\r\n\r\n"), StartsWith("HTTP/1.1 404"));
  EXPECT_THAT(Exchange(port, "GET /l/broken HTTP/1.1\r\n\r\n"), StartsWith("HTTP/1.1 503"));
  EXPECT_THAT(Exchange(port, "POST /l/good HTTP/1.1\r\n\r\n"), StartsWith("HTTP/1.1 405"));
  EXPECT_THAT(Exchange(port, "HEAD /l/good HTTP/1.1\r\n\r\n"), StartsWith("HTTP/1.1 405"));
  EXPECT_THAT(Exchange(port, "\x01\x02garbage\r\n\r\n"), StartsWith("HTTP/1.1 400"));
  EXPECT_THAT(Exchange(port, "GET /l/good HTTP/1.1\r\nX: " + std::string(20000, 'a') + "\r\n\r\n"),
              StartsWith("HTTP/1.1 431"));
  EXPECT_EQ(Exchange(port, "GET /l/good HTTP/1.1\r\n"), "");  // incomplete head: timeout, no answer
  EXPECT_THAT(Exchange(port, "GET /healthz HTTP/1.1\r\n\r\n"), StartsWith("HTTP/1.1 200"));
  EXPECT_EQ(calls_.load(), 2);  // unknown + broken; nothing else reached the resolver
}

}  // namespace
}  // namespace advocacy::content
