// ServiceRuntime on a real redis-server and a real Kafka broker (ADVOCACY_TEST_KAFKA_BROKERS, set
// by deploy/local/test.sh; librdkafka 2.0.2's mock cluster lacks CreateTopics): topics are
// created, the consumers start once they exist, owned parts start in order and stop in reverse,
// periodic tasks run, and RequestStop ends Serve the way SIGTERM does.

#include "advocacy/common/service_runtime.h"

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "advocacy/common/auth.h"
#include "advocacy/common/config.h"
#include "advocacy/common/kafka.h"
#include "advocacy/common/unary_service.h"
#include "advocacy/consent/v1/consent_service.grpc.pb.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "prometheus/registry.h"
#include "prometheus/text_serializer.h"
#include "testing/real_kafka.h"
#include "testing/redis_server.h"

namespace advocacy::runtime {
namespace {

using namespace std::chrono_literals;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

template <typename Pred>
bool WaitFor(Pred pred, std::chrono::milliseconds limit = 20s) {
  const auto until = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < until) {
    if (pred()) return true;
    std::this_thread::sleep_for(20ms);
  }
  return pred();
}

// A fresh development issuer's public key in a file of this test, named after `name`.
std::string WriteIssuerKey(const std::string& name) {
  auto keys = auth::GenerateKeyPair();
  EXPECT_TRUE(keys.ok()) << keys.status();
  const std::string path =
      ::testing::TempDir() + "/service_runtime_" + name + "_" + std::to_string(getpid()) + ".pem";
  std::ofstream(path) << (keys.ok() ? keys->second : "");
  return path;
}

// The settings every runtime of these tests shares: the issuer, free ports, and `redis_url`.
std::vector<std::pair<std::string, std::string>> BaseSettings(const std::string& redis_url,
                                                              const std::string& key_file) {
  return {{"ADVOCACY_REDIS_URL", redis_url},
          {"ADVOCACY_JWT_PUBLIC_KEY_FILE", key_file},
          {"ADVOCACY_JWT_ISSUER", "https://idp.test"},
          {"ADVOCACY_GRPC_LISTEN", "127.0.0.1:0"},
          {"ADVOCACY_METRICS_LISTEN", "127.0.0.1:0"},
          // TLS of the gRPC port has its own tests (grpc_tls_test.cc); here it is in the way.
          {"ADVOCACY_GRPC_TLS", "off"}};
}

// The same, for a runtime that never reaches a broker (127.0.0.1:1, plaintext).
std::vector<std::pair<std::string, std::string>> OfflineSettings(const std::string& redis_url,
                                                                 const std::string& key_file) {
  auto vars = BaseSettings(redis_url, key_file);
  vars.insert(vars.end(), {{"ADVOCACY_KAFKA_BROKERS", "127.0.0.1:1"},
                           {"ADVOCACY_KAFKA_SECURITY_PROTOCOL", "PLAINTEXT"}});
  return vars;
}

// A gRPC server serves at least one service of its own (ServerRunner::Start); one RPC will do.
void AddProbeRpc(rpc::UnaryService& probe) {
  probe.Add<consent::v1::CheckConsentRequest, consent::v1::CheckConsentResponse>(
      "CheckConsent", [](const auth::Principal&, const consent::v1::CheckConsentRequest&) {
        return consent::v1::CheckConsentResponse();
      });
}

TEST(ServiceRuntime, StartsInOrderConsumesAndStopsInReverse) {
  const std::optional<testing::RealKafka> kafka = testing::RealKafkaFromEnv();
  if (!kafka.has_value()) {
    GTEST_SKIP() << "set ADVOCACY_TEST_KAFKA_BROKERS=host:port to run against a real broker";
  }
  testing::RedisServer redis;
  ASSERT_TRUE(redis.Start().ok());
  // A topic and group of their own, so runs never see each other's messages.
  const std::string suffix = kafka::NewEventId().substr(0, 8);
  const std::string topic = "advocacy.runtime-test." + suffix;
  const std::string key_file = WriteIssuerKey("test");

  // As the stack's admin when it is secured: the runtime creates this test's own topics.
  std::vector<std::pair<std::string, std::string>> vars = kafka->env;
  for (auto& setting : BaseSettings(redis.url(), key_file)) vars.push_back(std::move(setting));
  vars.insert(vars.end(), {{"ADVOCACY_KAFKA_PARTITIONS", "1"},
                           {"PROBE_OUTBOX_LEASE_MS", "500"},
                           {"ADVOCACY_EVENT_SOURCES", topic + "=/advocacy/probe-producer"}});
  config::EnvReader env(std::move(vars));
  const config::RuntimeConfig cfg = config::ReadRuntimeConfig(env, "probe");
  EXPECT_EQ(cfg.outbox_lease, 500ms);  // <SERVICE>_OUTBOX_LEASE_MS, named after the service
  ServiceRuntime rt(env, cfg);

  std::mutex mu;
  std::vector<std::string> events;
  auto record = [&](std::string e) {
    std::lock_guard lock(mu);
    events.push_back(std::move(e));
  };
  rt.Own(
      "part A",
      [&] {
        record("start A");
        rt.Announce("a_port", "1234");
        return absl::OkStatus();
      },
      [&] { record("stop A"); });
  rt.Own(
      "part B",
      [&] {
        record("start B");
        return absl::OkStatus();
      },
      [&] { record("stop B"); });
  std::atomic<int> ticks{0};
  rt.Every("ticker", 10ms, [&] { ++ticks; });
  std::atomic<int> consumed{0};
  std::atomic<int> forged_seen{0};
  rt.Consume("probe-" + suffix, topic, [&](const kafka::Message& m) {
    if (m.payload == "hello") ++consumed;
    if (m.payload == "forged") ++forged_seen;
    return absl::OkStatus();
  });

  rpc::UnaryService probe(consent::v1::ConsentService::service_full_name(), rt.rpc());
  AddProbeRpc(probe);
  int exit_code = -1;
  std::thread serving([&] { exit_code = rt.Serve({&probe}, {"probe.v1.ProbeService"}); });

  // The topic was created by the runtime (the test stack's broker does not auto-create
  // topics), and the consumer started after that gets what its producer sends to it; an event
  // from any other source never reaches the handler and is counted (ADVOCACY_EVENT_SOURCES).
  auto event = [&](const std::string& source, const std::string& payload) {
    return kafka::Message{
        .topic = topic,
        .key = "k",
        .payload = payload,
        .headers =
            kafka::ToHeaders({.id = kafka::NewEventId(), .source = source, .type = "probe.v1.Hi"})};
  };
  ASSERT_TRUE(WaitFor(
      [&] { return rt.producer().ProduceSync(event("/advocacy/intruder", "forged"), 2s).ok(); }));
  ASSERT_TRUE(rt.producer().ProduceSync(event("/advocacy/probe-producer", "hello"), 2s).ok());
  EXPECT_TRUE(WaitFor([&] { return consumed.load() >= 1; }));
  EXPECT_EQ(forged_seen.load(), 0);
  const std::string text =
      prometheus::TextSerializer().Serialize(rt.metrics().registry().Collect());
  EXPECT_THAT(text, HasSubstr("advocacy_kafka_rejected_events_total{reason=\"unexpected_source\","
                              "service=\"probe\",topic=\"" +
                              topic + "\"} 1"));
  EXPECT_TRUE(WaitFor([&] { return ticks.load() >= 2; }));

  rt.RequestStop();
  serving.join();
  EXPECT_EQ(exit_code, 0);
  EXPECT_THAT(events, ElementsAre("start A", "start B", "stop B", "stop A"));
  const int after = ticks.load();
  std::this_thread::sleep_for(50ms);
  EXPECT_EQ(ticks.load(), after);  // the periodic task stopped with the runtime
  std::remove(key_file.c_str());
}

// A fatal producer error is permanent for that producer: the runtime stops the whole service
// with status 1 (its supervisor starts it afresh) instead of staying up unready forever.
TEST(ServiceRuntime, AFatalProducerErrorStopsTheServiceWithStatusOne) {
  testing::RedisServer redis;
  ASSERT_TRUE(redis.Start().ok());
  const std::string key_file = WriteIssuerKey("fatal");
  // No broker is needed: the fatal error comes from librdkafka's test hook.
  config::EnvReader env(OfflineSettings(redis.url(), key_file));
  const config::RuntimeConfig cfg = config::ReadRuntimeConfig(env, "probe");
  ServiceRuntime rt(env, cfg);
  rpc::UnaryService probe(consent::v1::ConsentService::service_full_name(), rt.rpc());
  AddProbeRpc(probe);
  std::atomic<int> exit_code{-1};
  std::thread serving([&] { exit_code = rt.Serve({&probe}, {"probe.v1.ProbeService"}); });
  std::this_thread::sleep_for(1500ms);
  EXPECT_EQ(exit_code.load(), -1);  // serving, although no broker answers
  EXPECT_FALSE(rt.producer().Fatal());

  rt.producer().RaiseFatalErrorForTesting("injected by the test");
  EXPECT_TRUE(WaitFor([&] { return exit_code.load() != -1; }, 10s));
  if (exit_code.load() == -1) rt.RequestStop();
  serving.join();
  EXPECT_TRUE(rt.producer().Fatal());
  EXPECT_EQ(exit_code.load(), 1);
  std::remove(key_file.c_str());
}

// A consumer of a topic nobody is trusted to produce would dead-letter every event: the service
// does not start, with a configuration error (status 2) that names the topic.
TEST(ServiceRuntimeDeathTest, ConsumingATopicWithoutTrustedProducerIsAConfigurationError) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  const std::string key_file = WriteIssuerKey("death");
  EXPECT_EXIT(
      {
        // Neither Redis nor Kafka is contacted before the check.
        config::EnvReader env(OfflineSettings("redis://127.0.0.1:1", key_file));
        const config::RuntimeConfig cfg = config::ReadRuntimeConfig(env, "probe");
        ServiceRuntime rt(env, cfg);
        rt.Consume("probe", "advocacy.unowned.v1",
                   [](const kafka::Message&) { return absl::OkStatus(); });
      },
      ::testing::ExitedWithCode(2), "no producer of topic 'advocacy.unowned.v1' is trusted");
  std::remove(key_file.c_str());
}

}  // namespace
}  // namespace advocacy::runtime
