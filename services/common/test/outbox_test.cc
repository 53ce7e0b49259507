// The outbox codec, and the relay against a real redis-server and librdkafka's mock cluster:
// entries leave Redis only after the broker acknowledged them, and a broker outage delays
// them without losing any.

#include "advocacy/common/outbox.h"

#include <gtest/gtest.h>

#include <thread>

#include "advocacy/common/redis_client.h"
#include "testing/kafka_mock.h"
#include "testing/redis_server.h"

namespace advocacy::outbox {
namespace {

kafka::Message Sample(const std::string& payload) {
  kafka::Message m;
  m.topic = "outbox.test";
  m.key = "t1/e1";
  m.payload = payload;
  m.headers = {{"ce_id", "id-" + payload}, {"ce_type", "test"}, {"empty", ""}};
  return m;
}

TEST(OutboxCodecTest, RoundTripsBinarySafeMessages) {
  kafka::Message m = Sample(std::string("a\0b", 3));
  auto d = Decode(Encode(m));
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->topic, m.topic);
  EXPECT_EQ(d->key, m.key);
  EXPECT_EQ(d->payload, m.payload);
  ASSERT_EQ(d->headers.size(), 3u);
  EXPECT_EQ(d->headers[2].key, "empty");
}

TEST(OutboxCodecTest, RejectsCorruptEntries) {
  const std::string good = Encode(Sample("x"));
  EXPECT_FALSE(Decode("").ok());
  EXPECT_FALSE(Decode(good.substr(0, good.size() - 1)).ok());
  EXPECT_FALSE(Decode(good + "!").ok());
  std::string wrong_version = good;
  wrong_version[0] = 9;
  EXPECT_FALSE(Decode(wrong_version).ok());
}

class RelayTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(redis_server_.Start().ok());
    ASSERT_TRUE(kafka_.CreateTopic("outbox.test", 1));
    redis::Options o;
    o.port = redis_server_.port();
    pool_ = std::make_unique<redis::Pool>(o, 4);
    auto p =
        kafka::Producer::Create({.brokers = kafka_.brokers(), .client_id = "outbox-test"}, &stats_);
    ASSERT_TRUE(p.ok()) << p.status();
    producer_ = std::move(*p);
  }

  int64_t Len(const std::string& key) {
    auto c = pool_->Acquire();
    auto r = (*c)->Command({"LLEN", key});
    return r.ok() ? r->integer : -1;
  }
  void Push(const std::string& key, const std::string& encoded) {
    auto c = pool_->Acquire();
    ASSERT_TRUE((*c)->Command({"RPUSH", key, encoded}).ok());
  }
  bool WaitFor(const std::function<bool()>& cond, std::chrono::seconds limit) {
    const auto until = std::chrono::steady_clock::now() + limit;
    while (std::chrono::steady_clock::now() < until) {
      if (cond()) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return cond();
  }

  advocacy::testing::RedisServer redis_server_;
  advocacy::testing::MockKafkaCluster kafka_;
  kafka::Stats stats_;
  std::unique_ptr<redis::Pool> pool_;
  std::unique_ptr<kafka::Producer> producer_;
};

TEST_F(RelayTest, FastPathPublishesAndRemovesEntries) {
  Relay relay(pool_.get(), producer_.get(), {}, nullptr);
  relay.Start();
  const std::string key = OutboxKey("t1:e1");
  for (int i = 0; i < 20; ++i) {
    const std::string e = Encode(Sample(std::to_string(i)));
    Push(key, e);
    relay.Notify(key, e);
  }
  ASSERT_TRUE(WaitFor([&] { return Len(key) == 0; }, std::chrono::seconds(10)));
  EXPECT_EQ(stats_.produced.load(), 20u);
  EXPECT_TRUE(WaitFor([&] { return Len(std::string(kIndexKey)) == 0; }, std::chrono::seconds(5)));
  relay.Stop();
}

TEST_F(RelayTest, EntriesLeftByACrashedWriterArePublishedAfterStart) {
  // Written by a process that died before it could notify or index them.
  const std::string key = OutboxKey("t1:e2");
  for (int i = 0; i < 5; ++i) Push(key, Encode(Sample("orphan" + std::to_string(i))));
  Relay relay(pool_.get(), producer_.get(), {.lease = std::chrono::milliseconds(100)}, nullptr);
  relay.Start();
  ASSERT_TRUE(WaitFor([&] { return Len(key) == 0; }, std::chrono::seconds(10)));
  EXPECT_EQ(stats_.produced.load(), 5u);
  relay.Stop();
}

TEST_F(RelayTest, BrokerOutageDelaysButLosesNothing) {
  kafka_.SetBrokerDown();
  Relay relay(pool_.get(), producer_.get(), {.lease = std::chrono::milliseconds(200)}, nullptr);
  relay.Start();
  const std::string key = OutboxKey("t1:e3");
  for (int i = 0; i < 10; ++i) {
    const std::string e = Encode(Sample("down" + std::to_string(i)));
    Push(key, e);
    relay.Notify(key, e);
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  EXPECT_EQ(Len(key), 10) << "entries must stay in Redis while Kafka cannot acknowledge them";
  kafka_.SetBrokerUp();
  ASSERT_TRUE(WaitFor([&] { return Len(key) == 0; }, std::chrono::seconds(30)));
  EXPECT_GE(stats_.produced.load(), 10u);
  relay.Stop();
}

}  // namespace
}  // namespace advocacy::outbox
