#include "advocacy/common/event_trust.h"

#include <algorithm>
#include <string>
#include <vector>

#include "advocacy/common/status_macros.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "prometheus/registry.h"
#include "prometheus/text_serializer.h"

namespace advocacy::event_trust {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

kafka::Message Event(std::string topic, std::string source, std::string key = "acme/e1") {
  kafka::Message m;
  m.topic = std::move(topic);
  m.key = std::move(key);
  m.payload = "body";
  m.headers = kafka::ToHeaders(
      {.id = "id-1", .source = std::move(source), .type = "advocacy.test.v1.Thing"});
  return m;
}

// One series of the notifications service on advocacy.content.v1 as the text format writes it.
std::string Series(const std::string& reason, int value) {
  return "advocacy_kafka_rejected_events_total{reason=\"" + reason +
         "\",service=\"notifications\",topic=\"advocacy.content.v1\"} " + std::to_string(value);
}

std::string Text(prometheus::Registry& registry) {
  return prometheus::TextSerializer().Serialize(registry.Collect());
}

TEST(EventTrust, RejectionCarriesItsReasonThroughStatusMacros) {
  auto inner = [] { return Reject(Reason::kKeyMismatch, "the key is wrong"); };
  auto outer = [&]() -> absl::Status {
    RETURN_IF_ERROR(inner());
    return absl::OkStatus();
  };
  const absl::Status st = outer();
  EXPECT_TRUE(absl::IsInvalidArgument(st)) << "dead-lettered by the consumer";
  EXPECT_EQ(st.message(), "key_mismatch: the key is wrong");
  EXPECT_EQ(ReasonOf(st), Reason::kKeyMismatch);
  EXPECT_EQ(ReasonOf(absl::InvalidArgumentError("key_mismatch: undecodable")), std::nullopt)
      << "only a status made by Reject is a rejection, whatever its text";
  EXPECT_EQ(ReasonOf(absl::OkStatus()), std::nullopt);
  for (Reason r : kAllReasons) EXPECT_EQ(ReasonOf(Reject(r, "x")), r) << ReasonLabel(r);
}

TEST(EventTrust, DefaultTableNamesTheOneProducerOfEachTopic) {
  const SourcePolicy& p = SourcePolicy::Defaults();
  EXPECT_THAT(*p.Allowed("advocacy.consent.v1"), ElementsAre("/advocacy/consent"));
  EXPECT_THAT(*p.Allowed("advocacy.content.v1"), ElementsAre("/advocacy/content"));
  EXPECT_THAT(*p.Allowed("advocacy.engagement.v1"), ElementsAre("/advocacy/content"));
  EXPECT_THAT(*p.Allowed("advocacy.courses.v1"), ElementsAre("/advocacy/courses"));
  EXPECT_THAT(*p.Allowed("advocacy.consent.receipts.v1"),
              ElementsAre("/advocacy/content", "/advocacy/notifications"));
  EXPECT_EQ(p.Allowed("advocacy.unknown.v1"), nullptr);

  EXPECT_TRUE(p.CheckSource(Event("advocacy.consent.v1", "/advocacy/consent")).ok());
  // A consumer's identity, another producer's, or an unknown one: refused before the handler.
  for (const char* forged : {"/advocacy/content", "/advocacy/notifications", "/advocacy/it", ""}) {
    const absl::Status st = p.CheckSource(Event("advocacy.consent.v1", forged));
    EXPECT_EQ(ReasonOf(st), Reason::kUnexpectedSource) << forged;
  }
  const absl::Status st = p.CheckSource(Event("advocacy.content.v1", "/advocacy/consent"));
  EXPECT_THAT(std::string(st.message()),
              HasSubstr("ce_source '/advocacy/consent' is not a producer of topic "
                        "'advocacy.content.v1' (allowed: /advocacy/content)"));
  kafka::Message no_source = Event("advocacy.content.v1", "/advocacy/content");
  no_source.headers.erase(
      std::remove_if(no_source.headers.begin(), no_source.headers.end(),
                     [](const kafka::Header& h) { return h.key == "ce_source"; }),
      no_source.headers.end());
  EXPECT_EQ(ReasonOf(p.CheckSource(no_source)), Reason::kUnexpectedSource);
  EXPECT_EQ(ReasonOf(p.CheckSource(Event("advocacy.unknown.v1", "/advocacy/content"))),
            Reason::kUnexpectedSource)
      << "a topic nobody is trusted to produce";
}

TEST(EventTrust, OverridesReplaceOrAddTopicsAndBadSpecsAreNamed) {
  auto p = SourcePolicy::WithOverrides(
      " advocacy.content.v1 = /advocacy/content | /advocacy/content-migrator ; my.topic=/x;");
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_THAT(*p->Allowed("advocacy.content.v1"),
              ElementsAre("/advocacy/content", "/advocacy/content-migrator"));
  EXPECT_THAT(*p->Allowed("my.topic"), ElementsAre("/x"));
  EXPECT_THAT(*p->Allowed("advocacy.consent.v1"), ElementsAre("/advocacy/consent"))
      << "topics not named keep their defaults";
  ASSERT_TRUE(SourcePolicy::WithOverrides("").ok());

  for (const char* bad : {"advocacy.content.v1", "=/x", "t=", "t=/a||/b", "t=/a b", "t=/a;t=/b"}) {
    auto st = SourcePolicy::WithOverrides(bad).status();
    EXPECT_TRUE(absl::IsInvalidArgument(st)) << bad;
    EXPECT_THAT(std::string(st.message()), HasSubstr("entry '")) << bad;
  }
}

TEST(EventTrust, CheckKeyNamesBothKeys) {
  EXPECT_TRUE(CheckKey(Event("t", "/s", "acme/e1"), "acme/e1").ok());
  const absl::Status st = CheckKey(Event("t", "/s", "acme/e2"), "acme/e1");
  EXPECT_EQ(ReasonOf(st), Reason::kKeyMismatch);
  EXPECT_THAT(std::string(st.message()), HasSubstr("'acme/e2' is not 'acme/e1'"));
  EXPECT_EQ(SourceOf("content"), "/advocacy/content");
}

TEST(EventTrust, GuardChecksTheSourceBeforeTheHandlerAndCountsEveryRejection) {
  prometheus::Registry registry;
  RejectionMetrics metrics(registry, "notifications");
  metrics.Declare("advocacy.content.v1");
  // Declared series exist at 0 before any rejection, so the first one is an increase.
  EXPECT_THAT(Text(registry), HasSubstr("advocacy_kafka_rejected_events_total{reason="
                                        "\"unexpected_source\",service=\"notifications\","
                                        "topic=\"advocacy.content.v1\"} 0"));
  std::vector<std::string> handled;
  kafka::Handler guarded =
      Guard(&SourcePolicy::Defaults(), &metrics, [&](const kafka::Message& m) -> absl::Status {
        handled.push_back(m.key);
        if (m.key == "acme") return absl::OkStatus();
        return CheckKey(m, "acme");
      });
  EXPECT_TRUE(guarded(Event("advocacy.content.v1", "/advocacy/content", "acme")).ok());
  const absl::Status forged = guarded(Event("advocacy.content.v1", "/advocacy/consent", "acme"));
  EXPECT_EQ(ReasonOf(forged), Reason::kUnexpectedSource);
  EXPECT_EQ(ReasonOf(guarded(Event("advocacy.content.v1", "/advocacy/content", "other"))),
            Reason::kKeyMismatch);
  EXPECT_THAT(handled, ElementsAre("acme", "other")) << "the forged source never reached it";

  const std::string text = Text(registry);
  EXPECT_THAT(text, HasSubstr(Series("unexpected_source", 1)));
  EXPECT_THAT(text, HasSubstr(Series("key_mismatch", 1)));
  EXPECT_THAT(text, HasSubstr(Series("sequence_gap", 0)));
  // Other failures are not rejections: a transient error is retried, poison is only poison.
  kafka::Handler failing = Guard(&SourcePolicy::Defaults(), &metrics, [](const kafka::Message&) {
    return absl::InvalidArgumentError("cannot be decoded");
  });
  EXPECT_TRUE(absl::IsInvalidArgument(failing(Event("advocacy.content.v1", "/advocacy/content"))));
  EXPECT_THAT(Text(registry), HasSubstr(Series("key_mismatch", 1)));
  EXPECT_THAT(Text(registry), HasSubstr(Series("unexpected_source", 1)));

  // The deferred form: `finished` reaches the handler only for a trusted source.
  int finished = 0;
  kafka::DeferredHandler deferred =
      Guard(&SourcePolicy::Defaults(), &metrics,
            [](const kafka::Message&, kafka::Finished done) -> absl::Status {
              done();
              return absl::OkStatus();
            });
  EXPECT_TRUE(
      deferred(Event("advocacy.content.v1", "/advocacy/content"), [&] { ++finished; }).ok());
  EXPECT_EQ(ReasonOf(deferred(Event("advocacy.content.v1", "/x"), [&] { ++finished; })),
            Reason::kUnexpectedSource);
  EXPECT_EQ(finished, 1);
  EXPECT_THAT(Text(registry), HasSubstr(Series("unexpected_source", 2)));
}

}  // namespace
}  // namespace advocacy::event_trust
