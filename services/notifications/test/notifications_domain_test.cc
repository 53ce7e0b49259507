#include "notifications_domain.h"

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

TEST(MessageIds, AreStablePerDigestAndLookLikeMessageIds) {
  const std::string a = MessageId("acme", "e1", "3-2026-01-02T08", "advocacy.example");
  EXPECT_EQ(a, MessageId("acme", "e1", "3-2026-01-02T08", "advocacy.example"));
  EXPECT_NE(a, MessageId("acme", "e2", "3-2026-01-02T08", "advocacy.example"));
  EXPECT_THAT(a, MatchesRegex("n[0-9a-f]{32}@advocacy\\.example"));
  EXPECT_EQ(DomainOf("tips@advocacy.example"), "advocacy.example");
  EXPECT_EQ(DomainOf("nodomain"), "localhost");
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
