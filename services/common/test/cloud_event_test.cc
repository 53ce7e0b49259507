#include <gtest/gtest.h>

#include <regex>
#include <set>
#include <string>
#include <vector>

#include "advocacy/common/kafka.h"

namespace advocacy::kafka {
namespace {

CloudEvent SampleEvent() {
  CloudEvent event;
  event.id = "0b7c0f43-8a59-4c1e-9d0e-3f2a1c9b8e11";
  event.source = "/advocacy/consent";
  event.type = "advocacy.consent.v1.ConsentGranted";
  event.time = "2026-01-31T12:00:00.123Z";
  event.subject = "acme/emp-42";
  return event;
}

std::vector<Header> Without(std::vector<Header> headers, const std::string& key) {
  std::erase_if(headers, [&](const Header& h) { return h.key == key; });
  return headers;
}

std::vector<Header> With(std::vector<Header> headers, const std::string& key,
                         const std::string& value) {
  headers = Without(std::move(headers), key);
  headers.push_back({key, value});
  return headers;
}

TEST(CloudEventTest, HeadersRoundTrip) {
  const CloudEvent event = SampleEvent();
  const std::vector<Header> headers = ToHeaders(event);
  auto back = FromHeaders(headers);
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(*back, event);
}

TEST(CloudEventTest, UsesKafkaBindingHeaderNames) {
  Message message;
  message.headers = ToHeaders(SampleEvent());
  ASSERT_NE(message.FindHeader("ce_specversion"), nullptr);
  EXPECT_EQ(*message.FindHeader("ce_specversion"), "1.0");
  EXPECT_EQ(*message.FindHeader("ce_id"), SampleEvent().id);
  EXPECT_EQ(*message.FindHeader("ce_source"), "/advocacy/consent");
  EXPECT_EQ(*message.FindHeader("ce_type"), "advocacy.consent.v1.ConsentGranted");
  EXPECT_EQ(*message.FindHeader("ce_time"), "2026-01-31T12:00:00.123Z");
  EXPECT_EQ(*message.FindHeader("ce_subject"), "acme/emp-42");
  EXPECT_EQ(*message.FindHeader("content-type"), "application/protobuf");
}

TEST(CloudEventTest, OptionalAttributesAreOmittedWhenEmpty) {
  CloudEvent event = SampleEvent();
  event.subject.clear();
  Message message;
  message.headers = ToHeaders(event);
  EXPECT_EQ(message.FindHeader("ce_subject"), nullptr);
  auto back = FromHeaders(message.headers);
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(*back, event);
}

TEST(CloudEventTest, MissingRequiredHeaderIsNamed) {
  const std::vector<Header> headers = ToHeaders(SampleEvent());
  for (const std::string key : {"ce_id", "ce_source", "ce_type", "ce_specversion"}) {
    auto result = FromHeaders(Without(headers, key));
    ASSERT_FALSE(result.ok()) << key;
    EXPECT_EQ(result.status().code(), absl::StatusCode::kInvalidArgument) << key;
    EXPECT_NE(result.status().message().find(key), std::string::npos) << result.status();
    EXPECT_NE(result.status().message().find("missing"), std::string::npos) << result.status();
  }
}

TEST(CloudEventTest, EmptyRequiredHeaderIsRejected) {
  auto result = FromHeaders(With(ToHeaders(SampleEvent()), "ce_id", ""));
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(result.status().message().find("ce_id"), std::string::npos);
}

TEST(CloudEventTest, WrongSpecVersionIsRejected) {
  auto result = FromHeaders(With(ToHeaders(SampleEvent()), "ce_specversion", "0.3"));
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(result.status().message().find("ce_specversion"), std::string::npos);
}

TEST(CloudEventTest, BadTimeIsRejected) {
  auto result = FromHeaders(With(ToHeaders(SampleEvent()), "ce_time", "yesterday"));
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(result.status().message().find("ce_time"), std::string::npos);
}

TEST(CloudEventTest, MissingContentTypeReadsAsEmpty) {
  auto result = FromHeaders(Without(ToHeaders(SampleEvent()), "content-type"));
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(result->content_type, "");
}

TEST(CloudEventTest, LastHeaderWins) {
  std::vector<Header> headers = ToHeaders(SampleEvent());
  headers.push_back({"ce_type", "advocacy.consent.v1.ConsentRevoked"});
  auto result = FromHeaders(headers);
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(result->type, "advocacy.consent.v1.ConsentRevoked");

  Message message;
  message.headers = headers;
  EXPECT_EQ(*message.FindHeader("ce_type"), "advocacy.consent.v1.ConsentRevoked");
  EXPECT_EQ(message.FindHeader("nope"), nullptr);
}

TEST(CloudEventTest, NewEventIdIsUuidV4AndUnique) {
  const std::regex uuid_v4("^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$");
  std::set<std::string> seen;
  for (int i = 0; i < 1000; ++i) {
    const std::string id = NewEventId();
    ASSERT_TRUE(std::regex_match(id, uuid_v4)) << id;
    seen.insert(id);
  }
  EXPECT_EQ(seen.size(), 1000u);
}

TEST(CloudEventTest, NowIsRfc3339UtcWithMilliseconds) {
  const std::string now = NowRfc3339();
  const std::regex rfc3339("^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}\\.\\d{3}Z$");
  EXPECT_TRUE(std::regex_match(now, rfc3339)) << now;
  CloudEvent event = SampleEvent();
  event.time = now;
  auto back = FromHeaders(ToHeaders(event));
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(back->time, now);
}

}  // namespace
}  // namespace advocacy::kafka
