// The outbox codec, and the relay against a real redis-server and librdkafka's mock cluster:
// entries leave Redis only after the broker acknowledged them, and a broker outage delays
// them without losing any.

#include "advocacy/common/outbox.h"

#include <gtest/gtest.h>
#include <prometheus/registry.h>

#include <thread>

#include "advocacy/common/metrics.h"
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

  static RelayOptions Options(std::chrono::milliseconds lease = std::chrono::milliseconds(3000)) {
    RelayOptions o{.service = "test", .lease = lease};
    o.topics.insert("outbox.test");
    return o;
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
  Relay relay(pool_.get(), producer_.get(), Options(), nullptr);
  relay.Start();
  const std::string key = OutboxKey("test", "t1:e1");
  for (int i = 0; i < 20; ++i) {
    const std::string e = Encode(Sample(std::to_string(i)));
    Push(key, e);
    relay.Notify(key, e);
  }
  ASSERT_TRUE(WaitFor([&] { return Len(key) == 0; }, std::chrono::seconds(10)));
  EXPECT_EQ(stats_.produced.load(), 20u);
  EXPECT_TRUE(WaitFor([&] { return Len(IndexKey("test")) == 0; }, std::chrono::seconds(5)));
  relay.Stop();
}

TEST_F(RelayTest, EntriesLeftByACrashedWriterArePublishedAfterStart) {
  // Written by a process that died before it could notify or index them.
  const std::string key = OutboxKey("test", "t1:e2");
  for (int i = 0; i < 5; ++i) Push(key, Encode(Sample("orphan" + std::to_string(i))));
  Relay relay(pool_.get(), producer_.get(), Options(std::chrono::milliseconds(100)), nullptr);
  relay.Start();
  ASSERT_TRUE(WaitFor([&] { return Len(key) == 0; }, std::chrono::seconds(10)));
  EXPECT_EQ(stats_.produced.load(), 5u);
  relay.Stop();
}

TEST_F(RelayTest, BrokerOutageDelaysButLosesNothing) {
  kafka_.SetBrokerDown();
  Relay relay(pool_.get(), producer_.get(), Options(std::chrono::milliseconds(200)), nullptr);
  relay.Start();
  const std::string key = OutboxKey("test", "t1:e3");
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

TEST(OutboxKeysTest, EveryKeyOfAServiceStartsWithItsPrefix) {
  EXPECT_EQ(OutboxKey("consent", "t1:e7"), "adv:consent:outbox:{t1:e7}");
  EXPECT_EQ(IndexKey("consent"), "adv:consent:outbox:index");
  EXPECT_EQ(RefusedKey("consent"), "adv:consent:outbox:refused");
  EXPECT_EQ(LegacyOutboxKey("t1:e7"), "adv:outbox:{t1:e7}");
}

TEST_F(RelayTest, AnEntryNamingATopicTheServiceDoesNotOwnIsRefusedNotPublished) {
  metrics::Metrics metrics("test");
  Relay relay(pool_.get(), producer_.get(), Options(std::chrono::milliseconds(100)), &metrics);
  relay.Start();
  const std::string key = OutboxKey("test", "t1:e4");
  kafka::Message forged = Sample("forged");
  forged.topic = "advocacy.consent.v1";
  const std::string bad = Encode(forged);
  const std::string good = Encode(Sample("good"));
  Push(key, bad);
  Push(key, good);
  // The same entry handed over twice (a notify and the start-up sweep can do that): refused,
  // kept and counted once.
  relay.Notify(key, bad);
  relay.Notify(key, bad);
  relay.Notify(key, good);
  ASSERT_TRUE(WaitFor([&] { return Len(key) == 0; }, std::chrono::seconds(10)));
  EXPECT_EQ(stats_.produced.load(), 1u) << "only the entry of the service's own topic";
  EXPECT_EQ(Len(RefusedKey("test")), 1);
  auto c = pool_->Acquire();
  EXPECT_EQ((*c)->Command({"LINDEX", RefusedKey("test"), "0"})->str, bad);
  // The relay counts after the script moved the entry, so the list may be empty a moment before.
  const auto counted = [&] {
    for (const auto& family : metrics.registry().Collect()) {
      if (family.name != "advocacy_outbox_refused_total") continue;
      return family.metric.size() == 1 && family.metric[0].counter.value == 1.0;
    }
    return false;
  };
  EXPECT_TRUE(WaitFor(counted, std::chrono::seconds(5)))
      << "advocacy_outbox_refused_total must count the refused entry";
  relay.Stop();
}

TEST_F(RelayTest, AnotherServicesListIsNeverSwept) {
  // The same hash tag in another service's outbox: this relay never sees it.
  const std::string other = OutboxKey("other", "t1:e5");
  Push(other, Encode(Sample("not mine")));
  Relay relay(pool_.get(), producer_.get(), Options(std::chrono::milliseconds(100)), nullptr);
  relay.Start();
  std::this_thread::sleep_for(std::chrono::milliseconds(800));
  EXPECT_EQ(Len(other), 1);
  EXPECT_EQ(stats_.produced.load(), 0u);
  relay.Stop();
}

TEST_F(RelayTest, EntriesOfThePreUpgradeSharedListsMoveToTheOwnersOutbox) {
  // Before issue 11 every service wrote adv:outbox:{tag}; a consent event of another service
  // sits between this service's two entries.
  const std::string legacy = LegacyOutboxKey("t1:e6");
  kafka::Message foreign = Sample("foreign");
  foreign.topic = "advocacy.consent.v1";
  Push(legacy, Encode(Sample("old1")));
  Push(legacy, Encode(foreign));
  Push(legacy, Encode(Sample("old2")));
  Relay relay(pool_.get(), producer_.get(), Options(std::chrono::milliseconds(100)), nullptr);
  relay.Start();
  const std::string own = OutboxKey("test", "t1:e6");
  ASSERT_TRUE(WaitFor([&] { return stats_.produced.load() == 2; }, std::chrono::seconds(10)));
  ASSERT_TRUE(WaitFor([&] { return Len(own) == 0; }, std::chrono::seconds(10)));
  auto c = pool_->Acquire();
  auto left = (*c)->Command({"LRANGE", legacy, "0", "-1"});
  ASSERT_EQ(left->elements.size(), 1u) << "the other service's entry stays for its own relay";
  EXPECT_EQ(left->elements[0].str, Encode(foreign));
  relay.Stop();
}

}  // namespace
}  // namespace advocacy::outbox
