// ids.h, digest.h, status_macros.h and idempotent_write.h: the rules every service shares.

#include <string>
#include <vector>

#include "advocacy/common/digest.h"
#include "advocacy/common/idempotent_write.h"
#include "advocacy/common/ids.h"
#include "advocacy/common/status_macros.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace advocacy {
namespace {

using ::testing::HasSubstr;

TEST(Ids, TenantIdsAreShortLabels) {
  EXPECT_TRUE(ids::ValidateTenantId("tenant_id", "acme-corp.no_1").ok());
  EXPECT_TRUE(ids::IsTenantId(std::string(64, 'a')));
  EXPECT_FALSE(ids::IsTenantId(std::string(65, 'a')));
  EXPECT_FALSE(ids::IsTenantId(""));
  for (const char* bad : {"a:b", "a{b", "a}b", "a/b", "a b", "a@b", "æøå"}) {
    const absl::Status st = ids::ValidateTenantId("tenant_id", bad);
    EXPECT_EQ(st.code(), absl::StatusCode::kInvalidArgument) << bad;
    EXPECT_THAT(st.message(), HasSubstr("tenant_id: only letters, digits")) << bad;
  }
  EXPECT_EQ(ids::ValidateTenantId("tenant_id", "").message(), "tenant_id: required");
  EXPECT_EQ(ids::ValidateTenantId("x.tenant_id", std::string(65, 'a')).message(),
            "x.tenant_id: at most 64 bytes");
}

TEST(Ids, EmployeeIdsMayBeMailAddressesButNeverOpenAKey) {
  for (const char* good : {"jane@acme.com", "jane.doe+news@acme.no", "e-17", "00u1ab~x_Y"}) {
    EXPECT_TRUE(ids::IsEmployeeId(good)) << good;
    EXPECT_TRUE(ids::ValidateEmployeeId("employee_id", good).ok()) << good;
  }
  EXPECT_TRUE(ids::IsEmployeeId(std::string(128, 'e')));
  EXPECT_FALSE(ids::IsEmployeeId(std::string(129, 'e')));
  for (const char* bad : {"t:e", "{x}", "a/b", "a b", "a\tb", "a,b", "a%b", "\x7f"}) {
    EXPECT_FALSE(ids::IsEmployeeId(bad)) << bad;
    EXPECT_EQ(ids::ValidateEmployeeId("employee_id", bad).code(),
              absl::StatusCode::kInvalidArgument)
        << bad;
  }
}

TEST(Ids, ObjectIdsAndIdempotencyKeys) {
  EXPECT_TRUE(ids::IsObjectId("c-0123abcd"));
  EXPECT_FALSE(ids::IsObjectId("c@1"));
  EXPECT_FALSE(ids::IsObjectId(std::string(65, 'c')));
  EXPECT_TRUE(ids::ValidateIdempotencyKey("idempotency_key", "").ok());
  EXPECT_TRUE(
      ids::ValidateIdempotencyKey("idempotency_key", "0b9f2c1e-6f1d-4a8e-9a51-2b7e7f0c9d11").ok());
  EXPECT_TRUE(ids::ValidateIdempotencyKey("idempotency_key", "unsubscribe-ab12~3").ok());
  EXPECT_EQ(ids::ValidateIdempotencyKey("idempotency_key", std::string(129, 'k')).message(),
            "idempotency_key: at most 128 bytes");
  for (const char* bad : {"a:b", "a/b", "a{b", "a b", "a@b"}) {
    EXPECT_EQ(ids::ValidateIdempotencyKey("idempotency_key", bad).code(),
              absl::StatusCode::kInvalidArgument)
        << bad;
  }
}

TEST(Digest, Sha256MatchesTheStandardVector) {
  EXPECT_EQ(digest::Hex(digest::Sha256Bytes("abc")),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(digest::Hex(std::string("\x00\xff\x10", 3)), "00ff10");
}

TEST(Digest, FingerprintSeparatesItsParts) {
  EXPECT_EQ(digest::Fingerprint({"ab", "c"}).size(), digest::kSha256Bytes);
  EXPECT_NE(digest::Fingerprint({"ab", "c"}), digest::Fingerprint({"a", "bc"}));
  EXPECT_EQ(digest::Fingerprint({"ab", "c"}), digest::Fingerprint({"ab", "c"}));
  // The encoding is fixed (stored fingerprints and ids derived from them depend on it): the
  // SHA-256 of 02 00 00 00 00 00 00 00 'a' 'b' 01 00 00 00 00 00 00 00 'c'.
  const std::string encoded("\x02\0\0\0\0\0\0\0ab\x01\0\0\0\0\0\0\0c", 19);
  EXPECT_EQ(digest::Fingerprint({"ab", "c"}), digest::Sha256Bytes(encoded));
}

absl::Status FailIf(bool fail) { return fail ? absl::NotFoundError("gone") : absl::OkStatus(); }
absl::StatusOr<int> Number(bool fail) {
  if (fail) return absl::UnavailableError("down");
  return 7;
}
absl::StatusOr<int> Twice(bool fail_first, bool fail_second) {
  RETURN_IF_ERROR(FailIf(fail_first));
  ASSIGN_OR_RETURN(int n, Number(fail_second));
  int m = 0;
  ASSIGN_OR_RETURN(m, Number(false));
  return n + m;
}

TEST(StatusMacros, ReturnEarlyWithTheFirstError) {
  EXPECT_EQ(*Twice(false, false), 14);
  EXPECT_EQ(Twice(true, false).status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(Twice(false, true).status().code(), absl::StatusCode::kUnavailable);
}

struct Record {
  std::string fp;
  int answer = 0;
  const std::string& fingerprint() const { return fp; }
};

TEST(IdempotentWrite, RetriesConflictsUpToTheBoundThenAborts) {
  int calls = 0;
  auto r = idempotent::RetryOnConflict<int>({.max_attempts = 3, .what = "this thing"},
                                            [&]() -> idempotent::Attempt<int> {
                                              ++calls;
                                              return idempotent::kConflict;
                                            });
  EXPECT_EQ(calls, 3);
  EXPECT_EQ(r.status().code(), absl::StatusCode::kAborted);
  EXPECT_THAT(r.status().message(), HasSubstr("too many concurrent changes to this thing"));

  calls = 0;
  r = idempotent::RetryOnConflict<int>({.max_attempts = 5}, [&]() -> idempotent::Attempt<int> {
    if (++calls < 3) return idempotent::kConflict;
    return 42;
  });
  EXPECT_EQ(calls, 3);
  EXPECT_EQ(*r, 42);

  r = idempotent::RetryOnConflict<int>(
      {}, []() -> idempotent::Attempt<int> { return absl::InvalidArgumentError("x: bad"); });
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(IdempotentWrite, ARecordedKeyReplaysOrRefusesAnotherRequest) {
  std::optional<Record> stored;
  int commits = 0;
  auto write = [&](std::string_view key, std::string_view fingerprint) {
    return idempotent::Write<int>(
        {.max_attempts = 4}, key, fingerprint,
        [&]() -> absl::StatusOr<std::optional<Record>> { return stored; },
        [](const Record& rec) -> absl::StatusOr<int> { return rec.answer; },
        [&]() -> idempotent::Attempt<int> {
          ++commits;
          if (!key.empty()) stored = Record{std::string(fingerprint), 100 + commits};
          return 100 + commits;
        });
  };
  EXPECT_EQ(*write("k1", "fp-a"), 101);
  EXPECT_EQ(*write("k1", "fp-a"), 101);  // replayed, not written again
  EXPECT_EQ(commits, 1);
  const auto other = write("k1", "fp-b");
  EXPECT_EQ(other.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(other.status().message(), HasSubstr("idempotency_key: already used"));
  EXPECT_EQ(commits, 1);
  // Without a key the record is never looked at.
  EXPECT_EQ(*write("", "fp-b"), 102);
}

}  // namespace
}  // namespace advocacy
