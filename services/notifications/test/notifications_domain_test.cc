#include "notifications_domain.h"

#include <string>
#include <vector>

#include "advocacy/common/ids.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace advocacy::notifications {
namespace {

using ::testing::MatchesRegex;
using ::testing::StartsWith;

TEST(MailAddress, AcceptsPlainAddressesOnly) {
  EXPECT_TRUE(IsMailAddress("kari.nordmann@example.no"));
  EXPECT_TRUE(IsMailAddress("a+tips@sub.example-host.org"));
  for (const char* bad :
       {"", "plain", "a@", "@b.org", "a@@b.org", "a b@c.org", "a@b..org", ".a@b.org", "a.@b.org",
        "a@-b.org", "a@b-.org", "a@b.org>", "a@b.org\r\nBcc: x@y.z", "æ@b.org"}) {
    EXPECT_FALSE(IsMailAddress(bad)) << bad;
  }
}

TEST(JobIds, AreDeterministicAndParseBack) {
  const std::string h = SourceHash("event", "advocacy.content.v1\nabc");
  EXPECT_EQ(h.size(), 22u);
  EXPECT_EQ(h, SourceHash("event", "advocacy.content.v1\nabc"));
  // Job ids are stored and returned to callers: base64url SHA-256("event\0<key>"), 22 chars.
  EXPECT_EQ(h, "UEc0WBaExwr2kc81Wzh0Km");
  EXPECT_NE(h, SourceHash("trigger", "advocacy.content.v1\nabc"));
  const std::string id = JobId("acme", "e-1", h);
  auto ref = ParseJobId(id, "job_id");
  ASSERT_TRUE(ref.ok()) << ref.status();
  EXPECT_EQ(ref->tenant_id, "acme");
  EXPECT_EQ(ref->employee_id, "e-1");
  EXPECT_EQ(ref->suffix, h);
  for (const char* bad : {"", "acme", "acme/e1", "acme/e1/short", "acme//AAAAAAAAAAAAAAAAAAAAAA",
                          "a/b/c/AAAAAAAAAAAAAAAAAAAAAA", "acme/e1/AAAAAAAAAAAAAAAAAAAAA+"}) {
    auto r = ParseJobId(bad, "job_id");
    EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument) << bad;
    EXPECT_THAT(std::string(r.status().message()), StartsWith("job_id:"));
  }
}

TEST(JobIds, ParseBackForEveryValidTenantAndEmployeeId) {
  const std::string h = SourceHash("trigger", "k");
  const std::string tenant_chars =
      "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-";
  const std::string employee_chars = tenant_chars + "~@+";
  // The longest ids, and ids made of every allowed character.
  const std::vector<std::string> tenants = {"a", std::string(ids::kMaxTenantIdBytes, 'T'),
                                            tenant_chars.substr(0, ids::kMaxTenantIdBytes),
                                            tenant_chars.substr(ids::kMaxTenantIdBytes - 1)};
  const std::vector<std::string> employees = {"e", "jane@acme.com", "jane.doe+news@acme.com",
                                              std::string(ids::kMaxEmployeeIdBytes, '~'),
                                              employee_chars};
  for (const auto& t : tenants) {
    for (const auto& e : employees) {
      ASSERT_TRUE(ids::IsTenantId(t) && ids::IsEmployeeId(e)) << t << " " << e;
      auto ref = ParseJobId(JobId(t, e, h), "job_id");
      ASSERT_TRUE(ref.ok()) << t << " " << e << ": " << ref.status();
      EXPECT_EQ(ref->tenant_id, t);
      EXPECT_EQ(ref->employee_id, e);
      EXPECT_EQ(ref->suffix, h);
    }
  }
  // Ids outside the grammar are not job ids.
  for (const std::string& bad :
       {JobId("ac:me", "e1", h), JobId(std::string(ids::kMaxTenantIdBytes + 1, 't'), "e1", h),
        JobId("acme", "e:1", h), JobId("acme", std::string(ids::kMaxEmployeeIdBytes + 1, 'e'), h),
        JobId("acme", "e{1}", h)}) {
    EXPECT_EQ(ParseJobId(bad, "job_id").status().code(), absl::StatusCode::kInvalidArgument) << bad;
  }
}

TEST(MessageIds, AreStablePerDigestAndLookLikeMessageIds) {
  const std::string a = MessageId("acme", "e1", "3-2026-01-02T08", "advocacy.example");
  EXPECT_EQ(a, MessageId("acme", "e1", "3-2026-01-02T08", "advocacy.example"));
  EXPECT_NE(a, MessageId("acme", "e2", "3-2026-01-02T08", "advocacy.example"));
  EXPECT_THAT(a, MatchesRegex("n[0-9a-f]{32}@advocacy\\.example"));
  // Stored and sent: the hex of the first 16 bytes of SHA-256("acme\ne1\n3-2026-01-02T08").
  EXPECT_EQ(a, "nea765f61da89d44e1ece0485dd5be6ab@advocacy.example");
  EXPECT_EQ(DomainOf("tips@advocacy.example"), "advocacy.example");
  EXPECT_EQ(DomainOf("nodomain"), "localhost");
}

TEST(BodyHashes, AreHexSha256OfTheDeterministicSerialization) {
  // Stored idempotency records compare with these bytes.
  EXPECT_EQ(BodyHash(v1::BulkTriggerRequest()),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  v1::BulkTriggerRequest body;
  body.set_tenant_id("acme");  // field 1, "\n\x04acme"
  EXPECT_EQ(BodyHash(body), "ea72acad745b1d65626f770dc79a9d10395e47517c58a79a573a601bcee0e3b0");
}

TEST(TopicMasks, EmptyMeansEveryTopic) {
  v1::Preferences p;
  EXPECT_EQ(TopicMask(p), 0u);
  EXPECT_TRUE(MaskAllows(0, v1::TOPIC_BROADCASTS));
  p.add_topics(v1::TOPIC_COURSES);
  const uint32_t m = TopicMask(p);
  EXPECT_TRUE(MaskAllows(m, v1::TOPIC_COURSES));
  EXPECT_FALSE(MaskAllows(m, v1::TOPIC_CONTENT));
}

TEST(Clip, CutsAtCharacterBoundariesAndDropsLineBreaks) {
  EXPECT_EQ(Clip("a\r\nb", 10), "a  b");
  EXPECT_EQ(Clip("blåbær", 3), "bl");  // 'å' is two bytes and does not fit
  EXPECT_EQ(Clip("blåbær", 4), "blå");
}

TEST(ContentValidation, NamesTheField) {
  v1::NotificationContent c;
  c.set_purpose(cv1::PURPOSE_EMAIL_TIPS);
  c.set_topic(v1::TOPIC_CONTENT);
  c.set_title("T");
  c.set_link("https://example.com/a b");
  EXPECT_THAT(std::string(ValidateContent(c, "content").message()), StartsWith("content.link:"));
  c.set_link("https://example.com/ok");
  EXPECT_TRUE(ValidateContent(c, "content").ok());
  c.set_title(std::string(kMaxTitleBytes + 1, 'x'));
  EXPECT_THAT(std::string(ValidateContent(c, "content").message()), StartsWith("content.title:"));
}

TEST(Timestamps, RoundTrip) {
  const absl::Time t = absl::FromUnixMillis(1767268800123);
  EXPECT_EQ(FromTimestamp(ToTimestamp(t)), t);
  EXPECT_EQ(FromMs(ToMs(t)), t);
}

}  // namespace
}  // namespace advocacy::notifications
