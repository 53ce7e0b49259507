// What the courses domain shares: ids derived from idempotency keys (pinned, since ids already
// handed out and stored must stay reachable by a retry), fingerprints, verification codes.

#include "courses_domain.h"

#include <gtest/gtest.h>

#include "advocacy/common/digest.h"

namespace advocacy::courses {
namespace {

TEST(CoursesDomainTest, IdsDerivedFromIdempotencyKeysNeverChange) {
  // Computed by the service's own SHA-256 fingerprint before it moved to digest::Fingerprint;
  // a change here means a retried CreateCourse would create a second course.
  EXPECT_EQ(NewId("c", "acme", "key-1"), "c-606736008f381340");
  EXPECT_EQ(NewId("b", "acme", "live-1"), "b-1b277d817418c054");
  EXPECT_EQ(NewId("c", "acme", "key-1"), NewId("c", "acme", "key-1"));
  EXPECT_NE(NewId("c", "acme", "key-1"), NewId("c", "other", "key-1"));
  EXPECT_NE(NewId("c", "acme", "key-1"), NewId("k", "acme", "key-1"));
}

TEST(CoursesDomainTest, IdsWithoutAKeyAreRandom) {
  const std::string a = NewId("c", "acme", "");
  const std::string b = NewId("c", "acme", "");
  EXPECT_NE(a, b);
  ASSERT_EQ(a.size(), 2u + 16u);
  EXPECT_EQ(a.substr(0, 2), "c-");
  EXPECT_EQ(a.find_first_not_of("0123456789abcdef", 2), std::string::npos);
}

TEST(CoursesDomainTest, FingerprintsArePinned) {
  // The bytes stored in idempotency records and create_fingerprint fields.
  EXPECT_EQ(digest::Hex(digest::Fingerprint({"Enroll", "e1", "c-1"})),
            "56b6404c482fddb5aae0bbdbaae1d9c96d0f6cf74de245dcbc5314c4ea0ca38e");
  EXPECT_NE(digest::Fingerprint({"ab", "c"}), digest::Fingerprint({"a", "bc"}));
}

TEST(CoursesDomainTest, VerificationCodesNormalizeLookAlikes) {
  const std::string code = NewVerificationCode();
  ASSERT_EQ(code.size(), 26u);
  std::string spaced = code.substr(0, 13) + "-" + code.substr(13);
  for (char& c : spaced) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  auto normalized = NormalizeVerificationCode("verification_code", spaced);
  ASSERT_TRUE(normalized.ok()) << normalized.status();
  EXPECT_EQ(*normalized, code);
  auto bad = NormalizeVerificationCode("verification_code", "not-a-code");
  EXPECT_EQ(bad.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(std::string(bad.status().message()).rfind("verification_code", 0), 0u);
}

}  // namespace
}  // namespace advocacy::courses
