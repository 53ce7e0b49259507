// Producer and Consumer against librdkafka's in-process mock cluster (no broker needed).
//
// The mock cluster of librdkafka 2.0.2 does not implement CreateTopics, so EnsureTopics is
// covered only by KafkaRealBrokerTest, which runs when ADVOCACY_TEST_KAFKA_BROKERS is set.
// Every consumer test pays the mock group coordinator's fixed 3 s initial rebalance delay.

#include "advocacy/common/kafka.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <functional>
#include <future>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "testing/kafka_mock.h"
#include "testing/real_kafka.h"

namespace advocacy::kafka {
namespace {

using namespace std::chrono_literals;

constexpr auto kWait = 15s;  // upper bound for anything the tests wait on; normally far less

bool WaitFor(const std::function<bool()>& condition, std::chrono::milliseconds timeout = kWait) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!condition()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(5ms);
  }
  return true;
}

Message MakeMessage(const std::string& topic, const std::string& key, const std::string& payload) {
  Message m;
  m.topic = topic;
  m.key = key;
  m.payload = payload;
  CloudEvent event;
  event.id = NewEventId();
  event.source = "/advocacy/test";
  event.type = "advocacy.test.v1.Thing";
  event.time = NowRfc3339();
  event.subject = key;
  m.headers = ToHeaders(event);
  return m;
}

using MockCluster = ::advocacy::testing::MockKafkaCluster;
using ::advocacy::testing::ReadTopic;

// Records what a handler saw, thread-safely.
class Recorder final {
 public:
  void Add(const Message& m) {
    std::lock_guard lock(mu_);
    seen_.push_back(m);
  }
  std::vector<Message> Seen() const {
    std::lock_guard lock(mu_);
    return seen_;
  }
  std::vector<std::string> Payloads() const {
    std::lock_guard lock(mu_);
    std::vector<std::string> out;
    for (const auto& m : seen_) out.push_back(m.payload);
    return out;
  }
  size_t Count(const std::string& payload) const {
    std::lock_guard lock(mu_);
    size_t n = 0;
    for (const auto& m : seen_) n += m.payload == payload ? 1 : 0;
    return n;
  }

 private:
  mutable std::mutex mu_;
  std::vector<Message> seen_;
};

class KafkaTest : public ::testing::Test {
 protected:
  void SetUp() override {
    cluster_ = std::make_unique<MockCluster>();
    ASSERT_TRUE(cluster_->CreateTopic(kTopic, 3));
    ASSERT_TRUE(cluster_->CreateTopic(kDeadLetters, 1));
    auto producer = Producer::Create(ProducerOptions{cluster_->brokers(), "test-producer", 0ms, {}},
                                     &producer_stats_);
    ASSERT_TRUE(producer.ok()) << producer.status();
    producer_ = std::move(*producer);
  }
  void TearDown() override {
    producer_.reset();
    cluster_.reset();
  }

  [[nodiscard]] ConsumerOptions Options(const std::string& group) const {
    ConsumerOptions options;
    options.brokers = cluster_->brokers();
    options.group_id = group;
    options.topics = {kTopic};
    options.dead_letter_topic = kDeadLetters;
    options.retry_backoff_initial = 20ms;
    options.retry_backoff_max = 100ms;
    // The mock coordinator waits (session timeout - 1 s) for members to rejoin after one
    // leaves; a short session keeps the resume test fast.
    options.extra = {{"session.timeout.ms", "3000"}, {"heartbeat.interval.ms", "500"}};
    return options;
  }

  void ProduceAll(const std::vector<Message>& messages) {
    for (const auto& m : messages) {
      ASSERT_TRUE(producer_->ProduceSync(m, 5s).ok());
    }
  }

  static constexpr const char* kTopic = "advocacy.test.v1";
  static constexpr const char* kDeadLetters = "advocacy.test.v1.dlq";
  std::unique_ptr<MockCluster> cluster_;
  Stats producer_stats_;
  std::unique_ptr<Producer> producer_;
};

TEST(KafkaOptionsTest, ProducerRejectsBadConfig) {
  auto no_brokers = Producer::Create(ProducerOptions{});
  ASSERT_FALSE(no_brokers.ok());
  EXPECT_EQ(no_brokers.status().code(), absl::StatusCode::kInvalidArgument);

  auto unknown =
      Producer::Create(ProducerOptions{"127.0.0.1:1", "x", 0ms, {}, {{"no.such.property", "1"}}});
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(unknown.status().message().find("no.such.property"), std::string::npos)
      << unknown.status();

  auto bad_value =
      Producer::Create(ProducerOptions{"127.0.0.1:1", "x", 0ms, {}, {{"linger.ms", "soon"}}});
  ASSERT_FALSE(bad_value.ok());
  EXPECT_EQ(bad_value.status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(KafkaOptionsTest, ConsumerValidatesOptions) {
  const Handler ok = [](const Message&) { return absl::OkStatus(); };
  ConsumerOptions good;
  good.brokers = "127.0.0.1:1";
  good.group_id = "g";
  good.topics = {"t"};
  good.dead_letter_topic = "t.dlq";

  auto missing_dlq = good;
  missing_dlq.dead_letter_topic.clear();
  EXPECT_EQ(Consumer::Create(missing_dlq, ok).status().code(), absl::StatusCode::kInvalidArgument);

  auto dlq_is_input = good;
  dlq_is_input.dead_letter_topic = "t";
  EXPECT_EQ(Consumer::Create(dlq_is_input, ok).status().code(), absl::StatusCode::kInvalidArgument);

  auto no_group = good;
  no_group.group_id.clear();
  EXPECT_EQ(Consumer::Create(no_group, ok).status().code(), absl::StatusCode::kInvalidArgument);

  auto auto_store = good;
  auto_store.extra = {{"enable.auto.offset.store", "true"}};
  EXPECT_EQ(Consumer::Create(auto_store, ok).status().code(), absl::StatusCode::kInvalidArgument);

  auto bad_property = good;
  bad_property.extra = {{"fetch.wait.max.ms", "-5"}};
  EXPECT_EQ(Consumer::Create(bad_property, ok).status().code(), absl::StatusCode::kInvalidArgument);

  EXPECT_EQ(Consumer::Create(good, nullptr).status().code(), absl::StatusCode::kInvalidArgument);

  auto created = Consumer::Create(good, ok);
  ASSERT_TRUE(created.ok()) << created.status();  // never started: destroys cleanly
}

TEST_F(KafkaTest, DeliveryCallbackIsOkAfterAck) {
  std::promise<absl::Status> delivered;
  std::atomic<int> calls{0};
  ASSERT_TRUE(producer_
                  ->Produce(MakeMessage(kTopic, "acme/emp-1", "hello"),
                            [&](const absl::Status& status) {
                              if (calls.fetch_add(1) == 0) delivered.set_value(status);
                            })
                  .ok());
  auto future = delivered.get_future();
  ASSERT_EQ(future.wait_for(kWait), std::future_status::ready);
  EXPECT_TRUE(future.get().ok());
  EXPECT_TRUE(producer_->Flush(5s).ok());
  EXPECT_EQ(calls.load(), 1);
  EXPECT_EQ(producer_stats_.produced.load(), 1u);
  EXPECT_EQ(producer_stats_.produce_failed.load(), 0u);
  EXPECT_TRUE(WaitFor([&] { return producer_->BrokerReachable(); }));
  EXPECT_TRUE(producer_stats_.broker_up.load());

  // A message without a callback is fine too, and Flush waits for it.
  ASSERT_TRUE(producer_->Produce(MakeMessage(kTopic, "acme/emp-1", "again"), nullptr).ok());
  EXPECT_TRUE(producer_->Flush(5s).ok());
  EXPECT_EQ(producer_stats_.produced.load(), 2u);
}

TEST_F(KafkaTest, DeliveryFailsWhenBrokerStaysDown) {
  Stats stats;
  auto producer =
      Producer::Create(ProducerOptions{cluster_->brokers(), "test-timeout", 500ms, {}}, &stats);
  ASSERT_TRUE(producer.ok()) << producer.status();
  cluster_->SetBrokerDown();
  const absl::Status status =
      (*producer)->ProduceSync(MakeMessage(kTopic, "acme/emp-1", "lost"), 5s);
  EXPECT_EQ(status.code(), absl::StatusCode::kDeadlineExceeded) << status;
  EXPECT_EQ(stats.produce_failed.load(), 1u);
  EXPECT_EQ(stats.produced.load(), 0u);
}

TEST_F(KafkaTest, ConsumedMessageKeepsKeyPayloadAndHeaders) {
  Stats stats;
  Recorder recorder;
  auto consumer = Consumer::Create(
      Options("g-roundtrip"),
      [&](const Message& m) {
        recorder.Add(m);
        return absl::OkStatus();
      },
      &stats);
  ASSERT_TRUE(consumer.ok()) << consumer.status();
  ASSERT_TRUE((*consumer)->Start().ok());
  EXPECT_EQ((*consumer)->Start().code(), absl::StatusCode::kFailedPrecondition);

  Message sent = MakeMessage(kTopic, "acme/emp-7", std::string("\x08\x96\x01\x00\xff", 5));
  sent.headers.push_back({"binary", std::string("\x00\x01\x02", 3)});
  sent.headers.push_back({"empty", ""});
  ProduceAll({sent});

  ASSERT_TRUE(WaitFor([&] { return recorder.Seen().size() == 1; }));
  const Message got = recorder.Seen()[0];
  EXPECT_EQ(got.topic, sent.topic);
  EXPECT_EQ(got.key, sent.key);
  EXPECT_EQ(got.payload, sent.payload);
  EXPECT_EQ(got.headers, sent.headers);
  EXPECT_GE(got.partition, 0);
  EXPECT_GE(got.offset, 0);
  EXPECT_GT(got.timestamp_ms, 0);
  auto event = FromHeaders(got.headers);
  ASSERT_TRUE(event.ok()) << event.status();
  EXPECT_EQ(event->subject, "acme/emp-7");

  EXPECT_TRUE(WaitFor([&] { return stats.consumed.load() == 1; }));
  EXPECT_TRUE(WaitFor([&] { return stats.consumer_lag.load() == 0; }));
  EXPECT_EQ(stats.handler_failed.load(), 0u);
  (*consumer)->Stop();
  (*consumer)->Stop();  // idempotent
}

TEST_F(KafkaTest, PoisonMessagesGoToDeadLetterTopicAndConsumerMovesOn) {
  Stats stats;
  Recorder recorder;
  auto consumer = Consumer::Create(
      Options("g-poison"),
      [&](const Message& m) -> absl::Status {
        recorder.Add(m);
        if (m.payload == "poison")
          return absl::InvalidArgumentError("cannot decode ConsentGranted");
        if (m.payload == "throws") throw std::runtime_error("boom");
        return absl::OkStatus();
      },
      &stats);
  ASSERT_TRUE(consumer.ok()) << consumer.status();
  ASSERT_TRUE((*consumer)->Start().ok());

  const std::string key = "acme/emp-9";
  const Message poison = MakeMessage(kTopic, key, "poison");
  ProduceAll({poison, MakeMessage(kTopic, key, "throws"), MakeMessage(kTopic, key, "fine")});

  ASSERT_TRUE(WaitFor([&] { return recorder.Count("fine") == 1; }));
  EXPECT_EQ(recorder.Payloads(), (std::vector<std::string>{"poison", "throws", "fine"}));
  EXPECT_EQ(stats.dead_lettered.load(), 2u);
  EXPECT_EQ(stats.handler_failed.load(), 2u);
  EXPECT_EQ(stats.consumed.load(), 1u);

  const std::vector<Message> dead = ReadTopic(cluster_->brokers(), kDeadLetters, 1, 2);
  ASSERT_EQ(dead.size(), 2u);
  const Message& first = dead[0];
  const Message handled = recorder.Seen()[0];
  EXPECT_EQ(first.key, key);
  EXPECT_EQ(first.payload, "poison");
  // The original headers come first, unchanged; the dlq_* headers follow.
  ASSERT_GE(first.headers.size(), poison.headers.size() + 6);
  EXPECT_EQ(std::vector<Header>(first.headers.begin(),
                                first.headers.begin() + static_cast<long>(poison.headers.size())),
            poison.headers);
  EXPECT_EQ(*first.FindHeader("dlq_reason"), "cannot decode ConsentGranted");
  EXPECT_EQ(*first.FindHeader("dlq_source_topic"), kTopic);
  EXPECT_EQ(*first.FindHeader("dlq_source_partition"), std::to_string(handled.partition));
  EXPECT_EQ(*first.FindHeader("dlq_source_offset"), std::to_string(handled.offset));
  EXPECT_EQ(*first.FindHeader("dlq_consumer_group"), "g-poison");
  ASSERT_NE(first.FindHeader("dlq_time"), nullptr);
  CloudEvent probe;
  probe.id = "x";
  probe.source = "s";
  probe.type = "t";
  probe.time = *first.FindHeader("dlq_time");
  EXPECT_TRUE(FromHeaders(ToHeaders(probe)).ok()) << "dlq_time is not RFC 3339: " << probe.time;

  EXPECT_EQ(dead[1].payload, "throws");
  EXPECT_NE(dead[1].FindHeader("dlq_reason")->find("boom"), std::string::npos);
}

// A fatal error of the dead-letter producer is permanent: the consumer says so (the runtime then
// exits for its supervisor to restart it) and never skips the poison message it cannot set aside.
TEST_F(KafkaTest, AFatalDeadLetterProducerIsReportedAndThePoisonMessageIsNotSkipped) {
  Recorder recorder;
  auto consumer = Consumer::Create(Options("g-fatal-dlq"), [&](const Message& m) -> absl::Status {
    recorder.Add(m);
    if (m.payload == "poison") return absl::InvalidArgumentError("cannot decode");
    return absl::OkStatus();
  });
  ASSERT_TRUE(consumer.ok()) << consumer.status();
  EXPECT_FALSE((*consumer)->Fatal());
  (*consumer)->RaiseFatalErrorForTesting("injected by the test");
  // librdkafka reports the error on the producer's own thread.
  EXPECT_TRUE(WaitFor([&] { return (*consumer)->Fatal(); }));
  ASSERT_TRUE((*consumer)->Start().ok());

  const std::string key = "acme/emp-10";
  ProduceAll({MakeMessage(kTopic, key, "poison"), MakeMessage(kTopic, key, "fine")});
  ASSERT_TRUE(WaitFor([&] { return recorder.Count("poison") >= 2; }));
  EXPECT_EQ(recorder.Count("fine"), 0u);  // held behind the poison message it cannot set aside
  EXPECT_TRUE((*consumer)->Fatal());
}

TEST_F(KafkaTest, TransientFailureRedeliversSameMessageBeforeAnyLaterOne) {
  Stats stats;
  Recorder recorder;
  std::atomic<int> failures_left{2};
  auto consumer = Consumer::Create(
      Options("g-transient"),
      [&](const Message& m) -> absl::Status {
        recorder.Add(m);
        if (m.payload == "m1" && failures_left.fetch_sub(1) > 0) {
          return absl::UnavailableError("redis is down");
        }
        return absl::OkStatus();
      },
      &stats);
  ASSERT_TRUE(consumer.ok()) << consumer.status();
  ASSERT_TRUE((*consumer)->Start().ok());

  const std::string key = "acme/emp-3";
  ProduceAll({MakeMessage(kTopic, key, "m0"), MakeMessage(kTopic, key, "m1"),
              MakeMessage(kTopic, key, "m2"), MakeMessage(kTopic, key, "m3")});

  ASSERT_TRUE(WaitFor([&] { return recorder.Count("m3") == 1; }));
  EXPECT_EQ(recorder.Payloads(), (std::vector<std::string>{"m0", "m1", "m1", "m1", "m2", "m3"}));
  EXPECT_EQ(stats.handler_failed.load(), 2u);
  EXPECT_EQ(stats.consumed.load(), 4u);
  EXPECT_EQ(stats.dead_lettered.load(), 0u);
  const auto seen = recorder.Seen();
  EXPECT_EQ(seen[1].offset, seen[2].offset);
  EXPECT_EQ(seen[2].offset, seen[3].offset);
}

TEST_F(KafkaTest, SecondConsumerInGroupResumesAfterLastHandledMessage) {
  const std::string key = "acme/emp-5";
  Recorder first;
  {
    auto consumer = Consumer::Create(Options("g-resume"), [&](const Message& m) -> absl::Status {
      first.Add(m);
      // m3 never succeeds here: it must not be lost, and nothing after it may be committed.
      if (m.payload == "m3") return absl::UnavailableError("downstream unavailable");
      return absl::OkStatus();
    });
    ASSERT_TRUE(consumer.ok()) << consumer.status();
    ASSERT_TRUE((*consumer)->Start().ok());
    ProduceAll({MakeMessage(kTopic, key, "m0"), MakeMessage(kTopic, key, "m1"),
                MakeMessage(kTopic, key, "m2"), MakeMessage(kTopic, key, "m3"),
                MakeMessage(kTopic, key, "m4")});
    ASSERT_TRUE(WaitFor([&] { return first.Count("m3") >= 2; }));
    (*consumer)->Stop();
  }
  EXPECT_EQ(first.Count("m4"), 0u);
  EXPECT_EQ(first.Count("m2"), 1u);

  ProduceAll({MakeMessage(kTopic, key, "m5")});
  Recorder second;
  auto consumer = Consumer::Create(Options("g-resume"), [&](const Message& m) {
    second.Add(m);
    return absl::OkStatus();
  });
  ASSERT_TRUE(consumer.ok()) << consumer.status();
  ASSERT_TRUE((*consumer)->Start().ok());
  ASSERT_TRUE(WaitFor([&] { return second.Count("m5") == 1; }));
  EXPECT_EQ(second.Payloads(), (std::vector<std::string>{"m3", "m4", "m5"}));
}

// Keeps the Finished callbacks of a DeferredHandler by payload. A test learns that a message was
// handed out from a Recorder, which the handler fills before it calls Keep; so Finish waits for
// the callback to be kept instead of assuming it already is.
class Deferred final {
 public:
  void Keep(const std::string& payload, Finished finished) {
    {
      std::lock_guard lock(mu_);
      finished_[payload] = std::move(finished);
    }
    kept_.notify_all();
  }
  // Calls the payload's callback once the handler kept it (fails the test after kWait).
  void Finish(const std::string& payload) {
    Finished f;
    {
      std::unique_lock lock(mu_);
      if (!kept_.wait_for(lock, kWait, [&] { return finished_.contains(payload); })) {
        ADD_FAILURE() << "the handler never kept the Finished callback of " << payload;
        return;
      }
      f = finished_.at(payload);
    }
    f();
  }

 private:
  std::mutex mu_;
  std::condition_variable kept_;
  std::map<std::string, Finished> finished_;  // guarded by mu_
};

TEST_F(KafkaTest, DeferredHandlerTakesLaterMessagesAndCommitsOnlyTheFinishedPrefix) {
  const std::string key = "acme/emp-6";
  Recorder first;
  Deferred deferred;
  {
    auto consumer =
        Consumer::CreateDeferred(Options("g-deferred"), [&](const Message& m, Finished finished) {
          first.Add(m);
          deferred.Keep(m.payload, std::move(finished));
          return absl::OkStatus();
        });
    ASSERT_TRUE(consumer.ok()) << consumer.status();
    ASSERT_TRUE((*consumer)->Start().ok());
    ProduceAll({MakeMessage(kTopic, key, "m0"), MakeMessage(kTopic, key, "m1"),
                MakeMessage(kTopic, key, "m2"), MakeMessage(kTopic, key, "m3"),
                MakeMessage(kTopic, key, "m4")});
    // Nothing is finished, and still every message is handed out, in order.
    ASSERT_TRUE(WaitFor([&] { return first.Count("m4") == 1; }));
    EXPECT_EQ(first.Payloads(), (std::vector<std::string>{"m0", "m1", "m2", "m3", "m4"}));
    // Finished out of order, with a gap at m2: only m0 and m1 may be committed.
    deferred.Finish("m3");
    deferred.Finish("m1");
    deferred.Finish("m0");
    deferred.Finish("m4");
    (*consumer)->Stop();
  }
  deferred.Finish("m2");  // after the consumer is gone: does nothing, and does not crash

  Recorder second;
  auto consumer = Consumer::Create(Options("g-deferred"), [&](const Message& m) {
    second.Add(m);
    return absl::OkStatus();
  });
  ASSERT_TRUE(consumer.ok()) << consumer.status();
  ASSERT_TRUE((*consumer)->Start().ok());
  ASSERT_TRUE(WaitFor([&] { return second.Count("m4") == 1; }));
  EXPECT_EQ(second.Payloads(), (std::vector<std::string>{"m2", "m3", "m4"}));
}

// Back-pressure is not a failure: the handler is not called for the waiting message, and the
// wait counts in backpressure_waits, not in handler_failed.
TEST_F(KafkaTest, DeferredHandlerWaitsAtTheUnfinishedBound) {
  const std::string key = "acme/emp-7";
  Stats stats;
  Recorder seen;
  Deferred deferred;
  ConsumerOptions options = Options("g-bound");
  options.max_unfinished_per_partition = 2;
  auto consumer = Consumer::CreateDeferred(
      options,
      [&](const Message& m, Finished finished) {
        seen.Add(m);
        deferred.Keep(m.payload, std::move(finished));
        return absl::OkStatus();
      },
      &stats);
  ASSERT_TRUE(consumer.ok()) << consumer.status();
  ASSERT_TRUE((*consumer)->Start().ok());
  ProduceAll({MakeMessage(kTopic, key, "m0"), MakeMessage(kTopic, key, "m1"),
              MakeMessage(kTopic, key, "m2"), MakeMessage(kTopic, key, "m3")});
  ASSERT_TRUE(WaitFor([&] { return seen.Count("m1") == 1; }));
  ASSERT_TRUE(WaitFor([&] { return stats.backpressure_waits.load() >= 2; }));
  EXPECT_EQ(seen.Count("m2"), 0u) << "two messages are unfinished: the third must wait";
  EXPECT_EQ(stats.handler_failed.load(), 0u);
  deferred.Finish("m0");
  ASSERT_TRUE(WaitFor([&] { return seen.Count("m2") == 1; }));
  EXPECT_EQ(seen.Count("m3"), 0u);
  deferred.Finish("m1");
  deferred.Finish("m2");
  ASSERT_TRUE(WaitFor([&] { return seen.Count("m3") == 1; }));
  EXPECT_EQ(seen.Payloads(), (std::vector<std::string>{"m0", "m1", "m2", "m3"}));
  EXPECT_EQ(stats.consumed.load(), 4u);
  EXPECT_EQ(stats.handler_failed.load(), 0u);
  EXPECT_EQ(stats.dead_lettered.load(), 0u);
}

// EnsureTopics needs the CreateTopics API, which the 2.0.2 mock cluster lacks.
TEST(KafkaRealBrokerTest, EnsureTopicsIsIdempotent) {
  const std::optional<testing::RealKafka> kafka = testing::RealKafkaFromEnv();
  if (!kafka.has_value()) {
    GTEST_SKIP() << "set ADVOCACY_TEST_KAFKA_BROKERS=host:port to run against a real broker";
  }
  auto producer =
      Producer::Create(ProducerOptions{kafka->brokers, "test-admin", 0ms, kafka->security});
  ASSERT_TRUE(producer.ok()) << producer.status();
  const std::string topic = "advocacy.kafka-test." + NewEventId().substr(0, 8);
  const std::vector<Producer::TopicSpec> specs = {
      {topic, 2, 1, {{"retention.ms", "3600000"}}},
      {topic + ".dlq", 1, 1, {}},
  };
  ASSERT_TRUE((*producer)->EnsureTopics(specs, 10s).ok());
  EXPECT_TRUE((*producer)->EnsureTopics(specs, 10s).ok());  // already there: still OK
  EXPECT_TRUE((*producer)->ProduceSync(MakeMessage(topic, "acme/emp-1", "x"), 10s).ok());
  EXPECT_TRUE((*producer)->BrokerReachable());

  const absl::Status bad = (*producer)->EnsureTopics({{topic + ".bad", 1, 99, {}}}, 10s);
  EXPECT_FALSE(bad.ok());
  EXPECT_NE(bad.message().find(topic + ".bad"), std::string::npos) << bad;
}

}  // namespace
}  // namespace advocacy::kafka
