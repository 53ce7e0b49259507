// Tokens of the local stack's real OpenID provider (oidc-provider, started by
// deploy/local/stack.sh, its JWKS over https with the stack CA): RS256 tokens accepted; signing
// keys rotated with overlap (the verifier refreshes on an unknown kid; the old key's tokens pass
// until it leaves the JWKS); expired, future-iat, over-long, wrong-audience, wrong-issuer and
// unknown-kid tokens refused with UNAUTHENTICATED and counted in advocacy_auth_rejected_total.
//
// The consent service here reads a copy of the stack's issuers file with a 1 s leeway, a 15 min
// lifetime bound and a 10 min JWKS cache, so that every refresh this test sees is one an unknown
// kid triggered. Tokens with claims the provider would never issue (iat in the future, a day's
// lifetime, another iss, a kid it does not have) are signed with the provider's own current key
// (`provider.mjs sign`), as a provider with a wrong clock or setting would sign them.

#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <thread>

#include "advocacy/common/strings.h"
#include "advocacy/consent/v1/consent_service.grpc.pb.h"
#include "harness.h"

namespace advocacy::it {
namespace {

namespace cv1 = advocacy::consent::v1;
using auth::Role;
using std::chrono::seconds;

std::string ReadAll(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Runs a command and returns its standard output (trailing newline removed); aborts on failure.
std::string Run(const std::string& cmd) {
  FILE* p = popen(cmd.c_str(), "r");
  if (p == nullptr) std::abort();
  std::string out;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  const int rc = pclose(p);
  if (rc != 0) {
    std::fprintf(stderr, "'%s' failed with %d\n", cmd.c_str(), rc);
    std::abort();
  }
  while (!out.empty() && out.back() == '\n') out.pop_back();
  return out;
}

std::string Quote(const std::string& s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

// An RS256 JWT over `header` and `payload` signed with the provider's current signing key.
std::string SignWithProviderKey(const nlohmann::json& header, const nlohmann::json& payload) {
  return Run(StrCat("node ", Quote(Env("ADVOCACY_HOME") + "/oidc-provider/provider.mjs"), " sign ",
                    Quote(Env("ADVOCACY_OIDC_KEYS_FILE")), " ", Quote(header.dump()), " ",
                    Quote(payload.dump())));
}

nlohmann::json JwtPart(const std::string& jwt, int index) {
  std::string part = jwt.substr(0, jwt.find('.'));
  if (index == 1) {
    const size_t a = jwt.find('.') + 1;
    part = jwt.substr(a, jwt.find('.', a) - a);
  }
  std::string b64 = part;
  for (char& c : b64) c = c == '-' ? '+' : c == '_' ? '/' : c;
  while (b64.size() % 4 != 0) b64 += '=';
  const std::string decoded = Run(StrCat("printf %s ", Quote(b64), " | base64 -d"));
  return nlohmann::json::parse(decoded);
}

int64_t Now() {
  return std::chrono::duration_cast<seconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

class SecurityOidcTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    keys_ = new Keys();
    dir_ = new std::string(std::filesystem::temp_directory_path() / UniqueId("advocacy-oidc-it"));
    std::filesystem::create_directories(*dir_);
    nlohmann::json issuers = nlohmann::json::parse(ReadAll(keys_->issuers_file()));
    issuers["leeway_seconds"] = 1;
    issuers["jwks"] = {{"default_cache_seconds", 600},
                       {"min_cache_seconds", 600},
                       {"max_cache_seconds", 600},
                       {"unknown_kid_min_interval_seconds", 1},
                       {"unknown_kid_wait_ms", 3000}};
    issuers["issuers"][0]["max_token_lifetime_seconds"] = 900;
    std::ofstream(*dir_ + "/issuers.json") << issuers.dump(2);
    consent_ = new ServiceProcess(CONSENT_BINARY,
                                  {{"ADVOCACY_REDIS_URL", Env("ADVOCACY_REDIS_URL")},
                                   {"ADVOCACY_KAFKA_BROKERS", Env("ADVOCACY_KAFKA_BROKERS")},
                                   {"ADVOCACY_AUTH_ISSUERS_FILE", *dir_ + "/issuers.json"},
                                   {"ADVOCACY_DRAIN_TIMEOUT_MS", "2000"}});
    const absl::Status st = consent_->Start();
    ASSERT_TRUE(st.ok()) << st;
  }
  static void TearDownTestSuite() {
    if (consent_ != nullptr && consent_->running()) {
      EXPECT_EQ(consent_->Stop(), 0) << "see " << consent_->log_path();
    }
    delete consent_;
    std::error_code ec;
    if (dir_ != nullptr) std::filesystem::remove_all(*dir_, ec);
    delete dir_;
    delete keys_;
  }

  void SetUp() override {
    tenant_ = UniqueId("oidc");
    stub_ = cv1::ConsentService::NewStub(consent_->channel());
  }

  // GetConsentState of `employee` in `tenant` with `token`: the status code.
  grpc::StatusCode Call(const std::string& token, const std::string& tenant,
                        const std::string& employee) const {
    grpc::ClientContext ctx;
    ctx.AddMetadata("authorization", "Bearer " + token);
    ctx.set_deadline(std::chrono::system_clock::now() + seconds(10));
    cv1::GetConsentStateRequest req;
    req.set_tenant_id(tenant);
    req.set_employee_id(employee);
    cv1::GetConsentStateResponse resp;
    return stub_->GetConsentState(&ctx, req, &resp).error_code();
  }
  grpc::StatusCode CallAsEmployee(const std::string& token) const {
    return Call(token, tenant_, "e1");
  }
  std::string EmployeeToken(seconds ttl = seconds(600)) const {
    return keys_->Token(Role::kEmployee, tenant_, "e1", ttl);
  }
  nlohmann::json Claims(int64_t iat, int64_t exp) const {
    return {{"iss", Keys::Issuer()},
            {"aud", Audience("consent")},
            {"sub", "e1"},
            {"tenant", tenant_},
            {"roles", {"advocacy-employee"}},
            {"iat", iat},
            {"exp", exp}};
  }

  // advocacy_auth_rejected_total{reason=...} of the consent service.
  static double Rejected(const std::string& reason) {
    std::istringstream in(HttpGet(consent_->metrics_port(), "/metrics"));
    std::string line;
    while (std::getline(in, line)) {
      if (line.rfind("advocacy_auth_rejected_total{", 0) == 0 &&
          line.find("reason=\"" + reason + "\"") != std::string::npos) {
        return std::stod(line.substr(line.rfind(' ') + 1));
      }
    }
    return -1;
  }

  // The token is refused with UNAUTHENTICATED and counted under `reason`.
  void ExpectRefused(const std::string& token, const std::string& reason) const {
    const double before = Rejected(reason);
    ASSERT_GE(before, 0) << "no advocacy_auth_rejected_total{reason=\"" << reason << "\"}";
    EXPECT_EQ(CallAsEmployee(token), grpc::StatusCode::UNAUTHENTICATED) << reason;
    EXPECT_EQ(Rejected(reason), before + 1) << reason;
  }

  static Keys* keys_;
  static std::string* dir_;
  static ServiceProcess* consent_;
  std::string tenant_;
  std::unique_ptr<cv1::ConsentService::Stub> stub_;
};

Keys* SecurityOidcTest::keys_ = nullptr;
std::string* SecurityOidcTest::dir_ = nullptr;
ServiceProcess* SecurityOidcTest::consent_ = nullptr;

TEST_F(SecurityOidcTest, Rs256TokensOfTheProviderAreAccepted) {
  // A person's token (the test client) and a real client-credentials client's token.
  const std::string employee = EmployeeToken();
  EXPECT_EQ(JwtPart(employee, 0)["alg"], "RS256");
  EXPECT_EQ(JwtPart(employee, 1)["iss"], Keys::Issuer());
  EXPECT_EQ(CallAsEmployee(employee), grpc::StatusCode::OK);
  // The employee is no one else.
  EXPECT_EQ(Call(employee, tenant_, "e2"), grpc::StatusCode::PERMISSION_DENIED);

  auto ops = oidc::RequestToken(StackClient("advocacy-ops", "urn:advocacy:consent"));
  ASSERT_TRUE(ops.ok()) << ops.status();
  const nlohmann::json claims = JwtPart(ops->value, 1);
  EXPECT_EQ(claims["aud"], "advocacy-consent");
  EXPECT_EQ(claims["tenant"], "demo-corp");
  EXPECT_EQ(JwtPart(ops->value, 0)["alg"], "RS256");
  EXPECT_EQ(Call(ops->value, "demo-corp", UniqueId("someone")), grpc::StatusCode::OK);
  // The admin of demo-corp is admin of no other tenant.
  EXPECT_EQ(Call(ops->value, tenant_, "e1"), grpc::StatusCode::PERMISSION_DENIED);
}

TEST_F(SecurityOidcTest, KeyRotationWithOverlap) {
  const std::string old_token = EmployeeToken();
  const std::string old_kid = JwtPart(old_token, 0)["kid"];
  ASSERT_EQ(CallAsEmployee(old_token), grpc::StatusCode::OK);

  // A new key signs from now on; the old one stays published.
  Stack("oidc keys add");
  const std::string new_token = keys_->Token(Role::kEmployee, tenant_, "e1", seconds(601));
  const std::string new_kid = JwtPart(new_token, 0)["kid"];
  ASSERT_NE(new_kid, old_kid);
  // The service has never seen the new kid; its JWKS cache lives 10 minutes: only the
  // unknown-kid refresh can make this pass.
  EXPECT_EQ(CallAsEmployee(new_token), grpc::StatusCode::OK);
  EXPECT_EQ(CallAsEmployee(old_token), grpc::StatusCode::OK) << "overlap: the old key still counts";

  // The old key leaves the JWKS. The next refresh (here triggered by a token with an unknown kid,
  // once the 1 s unknown-kid interval has passed) ends it, cached verifications included.
  Stack("oidc keys retire");
  std::this_thread::sleep_for(std::chrono::milliseconds(1100));
  const std::string stray =
      SignWithProviderKey({{"kid", "rotation-probe"}}, Claims(Now(), Now() + 300));
  EXPECT_EQ(CallAsEmployee(stray), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(CallAsEmployee(old_token), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(CallAsEmployee(new_token), grpc::StatusCode::OK);
}

TEST_F(SecurityOidcTest, ExpiredTokenIsRefused) {
  const std::string token = EmployeeToken(seconds(1));
  ASSERT_EQ(CallAsEmployee(token), grpc::StatusCode::OK);
  std::this_thread::sleep_for(std::chrono::milliseconds(3100));  // exp + 1 s leeway passed
  ExpectRefused(token, "expired");
}

TEST_F(SecurityOidcTest, TokenIssuedInTheFutureIsRefused) {
  ExpectRefused(SignWithProviderKey({}, Claims(Now() + 600, Now() + 900)), "issued_in_future");
}

TEST_F(SecurityOidcTest, OverLongTokenIsRefused) {
  // A day's lifetime against the 15 min this service allows the provider.
  ExpectRefused(SignWithProviderKey({}, Claims(Now(), Now() + 86400)), "lifetime");
  // The same from the provider itself: the test client asks for one.
  ExpectRefused(EmployeeToken(seconds(3600)), "lifetime");
}

TEST_F(SecurityOidcTest, TokenForAnotherServiceIsRefused) {
  // A real client-credentials token for content, presented to consent.
  auto content = oidc::RequestToken(StackClient("advocacy-ops", "urn:advocacy:content"));
  ASSERT_TRUE(content.ok()) << content.status();
  EXPECT_EQ(JwtPart(content->value, 1)["aud"], "advocacy-content");
  const double before = Rejected("audience");
  EXPECT_EQ(Call(content->value, "demo-corp", "e1"), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(Rejected("audience"), before + 1);
}

TEST_F(SecurityOidcTest, TokenOfAnotherIssuerIsRefused) {
  nlohmann::json claims = Claims(Now(), Now() + 300);
  claims["iss"] = "https://login.attacker.example";
  ExpectRefused(SignWithProviderKey({}, claims), "issuer");
}

TEST_F(SecurityOidcTest, UnknownKidIsRefused) {
  // Signed with the provider's real key, but naming a kid its JWKS does not have.
  ExpectRefused(SignWithProviderKey({{"kid", UniqueId("no-such-kid")}}, Claims(Now(), Now() + 300)),
                "unknown_key");
  // And a key the provider never had (ES256, no kid).
  EXPECT_EQ(CallAsEmployee(keys_->TokenSignedByAnotherKey(tenant_, "e1")),
            grpc::StatusCode::UNAUTHENTICATED);
}

}  // namespace
}  // namespace advocacy::it
