// The token verifier's metrics as a scrape shows them (auth_metrics.h): every refusal counted
// once under its reason, every reason present from the start, and the issuers' key gauges.

#include "advocacy/common/auth_metrics.h"

#include <prometheus/registry.h>
#include <prometheus/text_serializer.h>

#include <memory>
#include <string>

#include "advocacy/common/auth.h"
#include "advocacy/common/metrics.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace advocacy::metrics {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

std::string Exposition(Metrics& metrics) {
  return prometheus::TextSerializer().Serialize(metrics.registry().Collect());
}

TEST(AuthMetricsTest, CountsRefusalsByReasonAndReportsTheIssuersKeys) {
  Metrics metrics("svc");
  AuthMetrics auth_metrics(metrics.registry(), "svc");
  auto keys = auth::GenerateKeyPair();
  ASSERT_TRUE(keys.ok()) << keys.status();
  auth::VerifierOptions options{
      .public_key_pem = keys->second, .issuer = "https://idp.test", .audience = "advocacy"};
  auth_metrics.Attach(&options);
  auto verifier = auth::TokenVerifier::Create(std::move(options));
  ASSERT_TRUE(verifier.ok()) << verifier.status();

  const std::string before = Exposition(metrics);
  EXPECT_THAT(before,
              HasSubstr(R"(advocacy_auth_rejected_total{reason="expired",service="svc"} 0)"));
  EXPECT_THAT(before,
              HasSubstr(R"(advocacy_auth_jwks_keys{issuer="https://idp.test",service="svc"} 1)"));
  EXPECT_THAT(
      before,
      HasSubstr(
          R"(advocacy_auth_jwks_load_failures_total{issuer="https://idp.test",service="svc"} 0)"));

  EXPECT_FALSE((*verifier)->Verify("").ok());
  EXPECT_FALSE((*verifier)->Verify("Bearer").ok());
  EXPECT_FALSE((*verifier)->Verify("Bearer a.b").ok());
  auto token = auth::MintToken({.private_key_pem = keys->first,
                                .issuer = "https://other.test",
                                .audience = "advocacy",
                                .principal = {.tenant_id = "t1", .subject = "e1"}});
  ASSERT_TRUE(token.ok());
  EXPECT_FALSE((*verifier)->Verify(*token).ok());

  const std::string after = Exposition(metrics);
  EXPECT_THAT(after,
              HasSubstr(R"(advocacy_auth_rejected_total{reason="missing",service="svc"} 2)"));
  EXPECT_THAT(after,
              HasSubstr(R"(advocacy_auth_rejected_total{reason="malformed",service="svc"} 1)"));
  EXPECT_THAT(after, HasSubstr(R"(advocacy_auth_rejected_total{reason="issuer",service="svc"} 1)"));
  EXPECT_THAT(after,
              HasSubstr(R"(advocacy_auth_rejected_total{reason="signature",service="svc"} 0)"));
  // The token itself never becomes a label.
  EXPECT_THAT(after, Not(HasSubstr(token->substr(0, 20))));
}

}  // namespace
}  // namespace advocacy::metrics
