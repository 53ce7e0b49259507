#include "unsubscribe_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/evp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdio>
#include <mutex>
#include <string>
#include <vector>

#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace advocacy::notifications {
namespace {

namespace v1 = advocacy::consent::v1;
using ::testing::HasSubstr;
using ::testing::MatchesRegex;
using ::testing::Not;
using ::testing::StartsWith;

class FakeConsent final : public ConsentGateway {
 public:
  absl::StatusOr<std::vector<bool>> BatchCheck(std::string_view, v1::Purpose,
                                               const std::vector<std::string>&) override {
    return absl::UnimplementedError("not used");
  }
  absl::StatusOr<bool> Check(std::string_view, std::string_view, v1::Purpose) override {
    return absl::UnimplementedError("not used");
  }
  absl::Status Withdraw(std::string_view tenant_id, std::string_view employee_id,
                        v1::Purpose purpose, std::string_view idempotency_key) override {
    std::lock_guard lock(mu);
    calls.push_back(
        {std::string(tenant_id), std::string(employee_id), purpose, std::string(idempotency_key)});
    return result;
  }
  struct Call {
    std::string tenant_id, employee_id;
    v1::Purpose purpose;
    std::string idempotency_key;
  };
  std::mutex mu;
  std::vector<Call> calls;
  absl::Status result;
};

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

std::string Post(const std::string& target, const std::string& body) {
  return "POST " + target +
         " HTTP/1.1\r\nHost: u.example\r\nContent-Type: application/x-www-form-urlencoded\r\n"
         "Content-Length: " +
         std::to_string(body.size()) + "\r\n\r\n" + body;
}

class UnsubscribeServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto signer = UnsubscribeTokenSigner::Create(std::string(32, 'k'));
    ASSERT_TRUE(signer.ok());
    signer_ = std::make_unique<UnsubscribeTokenSigner>(std::move(*signer));
    server_ = std::make_unique<UnsubscribeServer>(UnsubscribeServerOptions{.listen = "127.0.0.1:0"},
                                                  signer_.get(), &consent_,
                                                  [this](const UnsubscribeClaims& c) {
                                                    std::lock_guard lock(mu_);
                                                    withdrawn_.push_back(c);
                                                  });
    ASSERT_TRUE(server_->Start().ok());
    token_ = Token(absl::Now() + absl::Hours(24 * 30));
  }

  std::string Token(absl::Time expires) const {
    return *signer_->Sign({.tenant_id = "acme",
                           .employee_id = "emp-1",
                           .purpose = v1::PURPOSE_EMAIL_TIPS,
                           .expires = expires});
  }
  size_t Withdrawn() {
    std::lock_guard lock(mu_);
    return withdrawn_.size();
  }

  FakeConsent consent_;
  std::unique_ptr<UnsubscribeTokenSigner> signer_;
  std::unique_ptr<UnsubscribeServer> server_;
  std::string token_;
  std::mutex mu_;
  std::vector<UnsubscribeClaims> withdrawn_;
};

TEST_F(UnsubscribeServerTest, GetShowsAConfirmationFormAndChangesNothing) {
  const std::string r =
      Exchange(server_->port(), "GET /unsubscribe?token=" + token_ + " HTTP/1.1\r\n\r\n");
  EXPECT_THAT(r, StartsWith("HTTP/1.1 200 OK\r\n"));
  EXPECT_THAT(r, HasSubstr("Content-Type: text/html; charset=utf-8\r\n"));
  EXPECT_THAT(r, HasSubstr("Referrer-Policy: no-referrer\r\n"));
  EXPECT_THAT(r, HasSubstr("Cache-Control: no-store\r\n"));
  EXPECT_THAT(r, HasSubstr("<form method=\"post\" action=\"unsubscribe?token=" + token_ + "\">"));
  EXPECT_THAT(r, HasSubstr("name=\"List-Unsubscribe\" value=\"One-Click\""));
  EXPECT_THAT(r, HasSubstr("email tips"));
  EXPECT_EQ(Exchange(server_->port(), "HEAD /unsubscribe?token=" + token_ + " HTTP/1.1\r\n\r\n")
                .find("<form"),
            std::string::npos);
  EXPECT_TRUE(consent_.calls.empty());
  EXPECT_EQ(Withdrawn(), 0u);
}

TEST_F(UnsubscribeServerTest, OneClickPostWithdrawsOnce) {
  const std::string r =
      Exchange(server_->port(), Post("/unsubscribe?token=" + token_, "List-Unsubscribe=One-Click"));
  EXPECT_THAT(r, StartsWith("HTTP/1.1 200 OK\r\n"));
  EXPECT_THAT(r, HasSubstr("You are unsubscribed"));
  ASSERT_EQ(consent_.calls.size(), 1u);
  EXPECT_EQ(consent_.calls[0].tenant_id, "acme");
  EXPECT_EQ(consent_.calls[0].employee_id, "emp-1");
  EXPECT_EQ(consent_.calls[0].purpose, v1::PURPOSE_EMAIL_TIPS);
  // "unsubscribe-<hex of the first 16 bytes of SHA-256(token)>-<Unix minute>", computed here
  // without the service's code: the consent service keeps these keys, so their form is stable.
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int md_len = 0;
  ASSERT_EQ(EVP_Digest(token_.data(), token_.size(), md, &md_len, EVP_sha256(), nullptr), 1);
  std::string hex;
  for (unsigned int i = 0; i < 16; ++i) {
    char byte[3];
    std::snprintf(byte, sizeof byte, "%02x", md[i]);
    hex += byte;
  }
  EXPECT_THAT(consent_.calls[0].idempotency_key, MatchesRegex("unsubscribe-" + hex + "-[0-9]+"));
  EXPECT_THAT(consent_.calls[0].idempotency_key, Not(HasSubstr(token_)));
  ASSERT_EQ(Withdrawn(), 1u);
  EXPECT_EQ(withdrawn_[0].tenant_id, "acme");
  EXPECT_EQ(withdrawn_[0].employee_id, "emp-1");
  EXPECT_EQ(withdrawn_[0].purpose, v1::PURPOSE_EMAIL_TIPS);
}

TEST_F(UnsubscribeServerTest, TheFormMayCarryTheTokenInItsBody) {
  const std::string r =
      Exchange(server_->port(), Post("/unsubscribe", "token=" + token_ + "&confirm=yes"));
  EXPECT_THAT(r, StartsWith("HTTP/1.1 200 OK\r\n"));
  EXPECT_EQ(consent_.calls.size(), 1u);
  EXPECT_EQ(Withdrawn(), 1u);
}

TEST_F(UnsubscribeServerTest, BadTokensAre400AndWithdrawNothing) {
  std::string tampered = token_;
  tampered[tampered.size() / 2] = tampered[tampered.size() / 2] == 'A' ? 'B' : 'A';
  const auto other = UnsubscribeTokenSigner::Create(std::string(32, 'x'));
  const std::string foreign = *other->Sign({.tenant_id = "acme",
                                            .employee_id = "emp-1",
                                            .purpose = v1::PURPOSE_EMAIL_TIPS,
                                            .expires = absl::Now() + absl::Hours(1)});
  const std::string expired = Token(absl::Now() - absl::Seconds(1));
  for (const std::string& bad :
       {tampered, foreign, expired, std::string("garbage"), std::string("%3Cscript%3E")}) {
    const std::string post =
        Exchange(server_->port(), Post("/unsubscribe?token=" + bad, "List-Unsubscribe=One-Click"));
    EXPECT_THAT(post, StartsWith("HTTP/1.1 400")) << bad;
    EXPECT_THAT(post, Not(HasSubstr("<script>")));
    const std::string get =
        Exchange(server_->port(), "GET /unsubscribe?token=" + bad + " HTTP/1.1\r\n\r\n");
    EXPECT_THAT(get, StartsWith("HTTP/1.1 400")) << bad;
    EXPECT_THAT(get, Not(HasSubstr("<form")));
  }
  EXPECT_THAT(Exchange(server_->port(), Post("/unsubscribe?token=" + expired, "")),
              HasSubstr("expired"));
  EXPECT_THAT(Exchange(server_->port(), Post("/unsubscribe", "List-Unsubscribe=One-Click")),
              StartsWith("HTTP/1.1 400"));
  EXPECT_TRUE(consent_.calls.empty());
  EXPECT_EQ(Withdrawn(), 0u);
}

TEST_F(UnsubscribeServerTest, ConsentServiceDownIs503AndRetryable) {
  consent_.result = absl::UnavailableError("consent service down");
  const std::string r =
      Exchange(server_->port(), Post("/unsubscribe?token=" + token_, "List-Unsubscribe=One-Click"));
  EXPECT_THAT(r, StartsWith("HTTP/1.1 503"));
  EXPECT_THAT(r, HasSubstr("Retry-After: 60\r\n"));
  EXPECT_EQ(Withdrawn(), 0u);
  consent_.result = absl::OkStatus();
  EXPECT_THAT(
      Exchange(server_->port(), Post("/unsubscribe?token=" + token_, "List-Unsubscribe=One-Click")),
      StartsWith("HTTP/1.1 200"));
  EXPECT_EQ(Withdrawn(), 1u);
}

TEST_F(UnsubscribeServerTest, OtherRoutes) {
  const int port = server_->port();
  EXPECT_THAT(Exchange(port, "GET /healthz HTTP/1.1\r\n\r\n"), StartsWith("HTTP/1.1 200"));
  EXPECT_THAT(Exchange(port, "GET /elsewhere HTTP/1.1\r\n\r\n"), StartsWith("HTTP/1.1 404"));
  EXPECT_THAT(Exchange(port, "PUT /unsubscribe?token=" + token_ + " HTTP/1.1\r\n\r\n"),
              StartsWith("HTTP/1.1 405"));
  EXPECT_THAT(Exchange(port, Post("/healthz", "")), StartsWith("HTTP/1.1 405"));
  EXPECT_TRUE(consent_.calls.empty());
}

}  // namespace
}  // namespace advocacy::notifications
