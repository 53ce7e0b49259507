// The shared Kafka runtime against the real broker of the local stack: topic administration,
// dead letters for poison messages, and offsets committed only after a message was handled.

#include <gtest/gtest.h>

#include <atomic>
#include <mutex>
#include <set>
#include <thread>

#include "advocacy/common/kafka.h"
#include "harness.h"

namespace advocacy::it {
namespace {

class KafkaRuntimeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    brokers_ = Env("ADVOCACY_KAFKA_BROKERS");
    topic_ = UniqueId("it.kafka");
    dlq_ = topic_ + ".dlq";
    // Topics of its own: as the admin, who may create them (a service's principal may not).
    auto p = kafka::Producer::Create(
        {.brokers = brokers_, .client_id = "it-producer", .security = KafkaSecurity("admin")},
        &stats_);
    ASSERT_TRUE(p.ok()) << p.status();
    producer_ = std::move(*p);
    const absl::Status st = producer_->EnsureTopics(
        {{.name = topic_, .partitions = 1}, {.name = dlq_, .partitions = 1}},
        std::chrono::seconds(30));
    ASSERT_TRUE(st.ok()) << st;
    // Creating the same topics again is not an error.
    ASSERT_TRUE(
        producer_->EnsureTopics({{.name = topic_, .partitions = 1}}, std::chrono::seconds(30))
            .ok());
  }

  void Produce(const std::string& payload) {
    kafka::Message m;
    m.topic = topic_;
    m.key = "t/e";
    m.payload = payload;
    m.headers = kafka::ToHeaders({.id = kafka::NewEventId(),
                                  .source = "/it",
                                  .type = "it.Test",
                                  .time = kafka::NowRfc3339()});
    const absl::Status st = producer_->ProduceSync(m, std::chrono::seconds(30));
    ASSERT_TRUE(st.ok()) << st;
  }

  std::string brokers_, topic_, dlq_;
  kafka::Stats stats_;
  std::unique_ptr<kafka::Producer> producer_;
};

TEST_F(KafkaRuntimeTest, PoisonGoesToTheDeadLetterTopicAndTheConsumerGoesOn) {
  for (const char* p : {"ok-1", "poison", "ok-2"}) Produce(p);
  std::mutex mu;
  std::vector<std::string> handled;
  kafka::Stats cstats;
  auto consumer = kafka::Consumer::Create(
      {.brokers = brokers_,
       .group_id = UniqueId("it-group"),
       .topics = {topic_},
       .dead_letter_topic = dlq_,
       .security = KafkaSecurity("admin")},
      [&](const kafka::Message& m) -> absl::Status {
        if (m.payload == "poison")
          return absl::InvalidArgumentError("payload is not a valid event");
        std::lock_guard lock(mu);
        handled.push_back(m.payload);
        return absl::OkStatus();
      },
      &cstats);
  ASSERT_TRUE(consumer.ok()) << consumer.status();
  ASSERT_TRUE((*consumer)->Start().ok());
  ASSERT_TRUE(WaitFor(
      [&] {
        std::lock_guard lock(mu);
        return handled.size() == 2;
      },
      std::chrono::seconds(60)));
  EXPECT_EQ(handled, (std::vector<std::string>{"ok-1", "ok-2"}));
  EXPECT_EQ(cstats.dead_lettered.load(), 1u);

  TopicReader dead(dlq_);
  ASSERT_TRUE(dead.WaitForKeyCount("t/e", 1, std::chrono::seconds(60)));
  const auto msgs = dead.ForKey("t/e");
  ASSERT_EQ(msgs.size(), 1u);
  EXPECT_EQ(msgs[0].payload, "poison");
  const std::string* reason = msgs[0].FindHeader("dlq_reason");
  ASSERT_NE(reason, nullptr);
  EXPECT_NE(reason->find("payload is not a valid event"), std::string::npos);
  ASSERT_NE(msgs[0].FindHeader("dlq_source_topic"), nullptr);
  EXPECT_EQ(*msgs[0].FindHeader("dlq_source_topic"), topic_);
  EXPECT_NE(msgs[0].FindHeader("ce_id"), nullptr) << "original headers are kept";
}

TEST_F(KafkaRuntimeTest, OffsetsAdvanceOnlyAfterSuccessSoARestartResumesWithoutLoss) {
  for (int i = 0; i < 6; ++i) Produce("m" + std::to_string(i));
  const std::string group = UniqueId("it-group");
  std::mutex mu;
  std::vector<std::string> first_run;
  std::atomic<bool> fail_from_m3{true};
  {
    auto consumer = kafka::Consumer::Create(
        {.brokers = brokers_,
         .group_id = group,
         .topics = {topic_},
         .dead_letter_topic = dlq_,
         .security = KafkaSecurity("admin")},
        [&](const kafka::Message& m) -> absl::Status {
          if (m.payload == "m3" && fail_from_m3.load()) {
            return absl::UnavailableError("downstream unavailable");  // transient: retried
          }
          std::lock_guard lock(mu);
          first_run.push_back(m.payload);
          return absl::OkStatus();
        });
    ASSERT_TRUE(consumer.ok());
    ASSERT_TRUE((*consumer)->Start().ok());
    ASSERT_TRUE(WaitFor(
        [&] {
          std::lock_guard lock(mu);
          return first_run.size() == 3;
        },
        std::chrono::seconds(60)));
    // m3 keeps failing: nothing after it may be handled meanwhile.
    std::this_thread::sleep_for(std::chrono::milliseconds(1500));
    std::lock_guard lock(mu);
    EXPECT_EQ(first_run, (std::vector<std::string>{"m0", "m1", "m2"}));
  }  // the consumer stops and commits what was handled

  std::vector<std::string> second_run;
  auto consumer = kafka::Consumer::Create({.brokers = brokers_,
                                           .group_id = group,
                                           .topics = {topic_},
                                           .dead_letter_topic = dlq_,
                                           .security = KafkaSecurity("admin")},
                                          [&](const kafka::Message& m) -> absl::Status {
                                            std::lock_guard lock(mu);
                                            second_run.push_back(m.payload);
                                            return absl::OkStatus();
                                          });
  ASSERT_TRUE(consumer.ok());
  ASSERT_TRUE((*consumer)->Start().ok());
  ASSERT_TRUE(WaitFor(
      [&] {
        std::lock_guard lock(mu);
        return second_run.size() == 3;
      },
      std::chrono::seconds(60)));
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  std::lock_guard lock(mu);
  EXPECT_EQ(second_run, (std::vector<std::string>{"m3", "m4", "m5"}));
}

}  // namespace
}  // namespace advocacy::it
