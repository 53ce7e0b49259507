#include "unsubscribe.h"

#include "gtest/gtest.h"

namespace advocacy::notifications {
namespace {

using advocacy::consent::v1::PURPOSE_COURSE_TIPS;
using advocacy::consent::v1::PURPOSE_EMAIL_TIPS;

const std::string kKey(32, 'k');

UnsubscribeTokenSigner Signer(const std::string& key = kKey) {
  auto signer = UnsubscribeTokenSigner::Create(key);
  EXPECT_TRUE(signer.ok()) << signer.status();
  return *std::move(signer);
}

UnsubscribeClaims Claims(absl::Time expires) {
  return {"tenant-1", "emp-42", PURPOSE_EMAIL_TIPS, expires};
}

const absl::Time kNow = absl::FromUnixSeconds(1'800'000'000);

TEST(UnsubscribeTokenTest, RejectsShortKey) {
  EXPECT_EQ(UnsubscribeTokenSigner::Create("short").status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(UnsubscribeTokenTest, RoundTripAndOpaqueUrlSafe) {
  const UnsubscribeTokenSigner signer = Signer();
  auto token = signer.Sign(Claims(kNow + absl::Hours(24)));
  ASSERT_TRUE(token.ok()) << token.status();
  EXPECT_EQ(
      token->find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"),
      std::string::npos);
  EXPECT_EQ(token->find("emp-42"), std::string::npos);  // not readable as plain text
  auto claims = signer.Verify(*token, kNow);
  ASSERT_TRUE(claims.ok()) << claims.status();
  EXPECT_EQ(claims->tenant_id, "tenant-1");
  EXPECT_EQ(claims->employee_id, "emp-42");
  EXPECT_EQ(claims->purpose, PURPOSE_EMAIL_TIPS);
  EXPECT_EQ(claims->expires, kNow + absl::Hours(24));
}

TEST(UnsubscribeTokenTest, ExpiredTokenIsRejected) {
  const UnsubscribeTokenSigner signer = Signer();
  auto token = signer.Sign(Claims(kNow + absl::Seconds(10)));
  ASSERT_TRUE(token.ok());
  EXPECT_TRUE(signer.Verify(*token, kNow + absl::Seconds(9)).ok());
  EXPECT_EQ(signer.Verify(*token, kNow + absl::Seconds(10)).status().code(),
            absl::StatusCode::kFailedPrecondition);
}

TEST(UnsubscribeTokenTest, EveryFlippedCharacterIsRejected) {
  const UnsubscribeTokenSigner signer = Signer();
  auto token = signer.Sign(Claims(kNow + absl::Hours(1)));
  ASSERT_TRUE(token.ok());
  for (size_t i = 0; i < token->size(); ++i) {
    std::string tampered = *token;
    tampered[i] = tampered[i] == 'A' ? 'B' : 'A';
    auto result = signer.Verify(tampered, kNow);
    // The last character may carry only padding bits that decode identically.
    if (result.ok()) {
      EXPECT_EQ(i, token->size() - 1) << "tampered token accepted at " << i;
    }
  }
}

TEST(UnsubscribeTokenTest, ReScopingRequiresTheKey) {
  const UnsubscribeTokenSigner signer = Signer();
  const UnsubscribeTokenSigner other = Signer(std::string(40, 'x'));
  UnsubscribeClaims course = Claims(kNow + absl::Hours(1));
  course.purpose = PURPOSE_COURSE_TIPS;
  auto forged = other.Sign(course);
  ASSERT_TRUE(forged.ok());
  EXPECT_EQ(signer.Verify(*forged, kNow).status().code(), absl::StatusCode::kPermissionDenied);
}

// Key rotation with overlap: links signed with the previous key keep working while it is
// configured; new links are signed with the new key; once the previous key is removed, its links
// are refused.
TEST(UnsubscribeTokenTest, ThePreviousKeyIsAcceptedDuringARotationButNeverSigns) {
  const std::string old_key(32, 'o');
  const std::string new_key(32, 'n');
  const UnsubscribeTokenSigner before = Signer(old_key);
  auto old_link = before.Sign(Claims(kNow + absl::Hours(1)));
  ASSERT_TRUE(old_link.ok());

  auto rotating = UnsubscribeTokenSigner::Create(new_key, old_key);
  ASSERT_TRUE(rotating.ok()) << rotating.status();
  auto claims = rotating->Verify(*old_link, kNow);
  ASSERT_TRUE(claims.ok()) << claims.status();
  EXPECT_EQ(claims->employee_id, "emp-42");
  auto new_link = rotating->Sign(Claims(kNow + absl::Hours(1)));
  ASSERT_TRUE(new_link.ok());
  EXPECT_TRUE(Signer(new_key).Verify(*new_link, kNow).ok());
  EXPECT_EQ(before.Verify(*new_link, kNow).status().code(), absl::StatusCode::kPermissionDenied);

  const UnsubscribeTokenSigner after = Signer(new_key);
  EXPECT_EQ(after.Verify(*old_link, kNow).status().code(), absl::StatusCode::kPermissionDenied);
}

TEST(UnsubscribeTokenTest, RejectsAShortPreviousKey) {
  EXPECT_EQ(UnsubscribeTokenSigner::Create(kKey, "short").status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(UnsubscribeTokenTest, MalformedTokens) {
  const UnsubscribeTokenSigner signer = Signer();
  EXPECT_EQ(signer.Verify("", kNow).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(signer.Verify("!!!", kNow).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(signer.Verify("AAAA", kNow).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(UnsubscribeTokenTest, SignRequiresScope) {
  const UnsubscribeTokenSigner signer = Signer();
  UnsubscribeClaims c = Claims(kNow);
  c.purpose = advocacy::consent::v1::PURPOSE_UNSPECIFIED;
  EXPECT_FALSE(signer.Sign(c).ok());
  c = Claims(kNow);
  c.employee_id.clear();
  EXPECT_FALSE(signer.Sign(c).ok());
}

TEST(OneClickHeadersTest, Rfc8058Headers) {
  auto headers = OneClickUnsubscribeHeaders("https://mail.example.test/", "tok_-1");
  ASSERT_TRUE(headers.ok()) << headers.status();
  ASSERT_EQ(headers->size(), 2u);
  EXPECT_EQ((*headers)[0].first, "List-Unsubscribe");
  EXPECT_EQ((*headers)[0].second, "<https://mail.example.test/unsubscribe?token=tok_-1>");
  EXPECT_EQ((*headers)[1].first, "List-Unsubscribe-Post");
  EXPECT_EQ((*headers)[1].second, "List-Unsubscribe=One-Click");
}

TEST(OneClickHeadersTest, RequiresHttps) {
  EXPECT_EQ(OneClickUnsubscribeHeaders("http://mail.example.test", "t").status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_FALSE(UnsubscribeUrl("https://x.test", "").ok());
}

}  // namespace
}  // namespace advocacy::notifications
