// Wiring only: read config, build objects, run.

#include <atomic>
#include <cstdlib>
#include <thread>
#include <vector>

#include "advocacy/common/auth.h"
#include "advocacy/common/config.h"
#include "advocacy/common/kafka.h"
#include "advocacy/common/logging.h"
#include "advocacy/common/metrics.h"
#include "advocacy/common/outbox.h"
#include "advocacy/common/redis_client.h"
#include "advocacy/common/server.h"
#include "consent_config.h"
#include "consent_grpc_service.h"
#include "consent_manager.h"
#include "redis_consent_store.h"

namespace {

class RelayNotifier final : public advocacy::consent::OutboxNotifier {
 public:
  explicit RelayNotifier(advocacy::outbox::Relay* relay) : relay_(relay) {}
  void Notify(std::string key, std::string encoded) override {
    relay_->Notify(std::move(key), std::move(encoded));
  }

 private:
  advocacy::outbox::Relay* relay_;
};

[[noreturn]] void Die(std::string_view what, const absl::Status& st) {
  advocacy::log::Error(what, {{"error", std::string(st.message())}});
  std::exit(1);
}

}  // namespace

int main() {
  using namespace advocacy;
  server::ServerRunner::BlockTerminationSignals();

  config::EnvReader env;
  consent::ConsentConfig cfg = consent::ReadConsentConfig(env);
  log::Severity severity = log::Severity::kInfo;
  log::ParseSeverity(cfg.runtime.log_level, &severity);
  log::Init("consent", severity);
  config::LogOrDie(env, env.Finish());

  auto redis_options = redis::ParseUrl(cfg.runtime.redis_url);
  if (!redis_options.ok()) Die("ADVOCACY_REDIS_URL is invalid", redis_options.status());
  redis::Pool redis_pool(*redis_options, static_cast<size_t>(cfg.runtime.redis_pool_size));

  auto verifier = auth::TokenVerifier::Create({.public_key_pem = cfg.runtime.jwt_public_key_pem,
                                               .issuer = cfg.runtime.jwt_issuer,
                                               .audience = cfg.runtime.jwt_audience});
  if (!verifier.ok()) Die("the JWT public key or settings are invalid", verifier.status());

  metrics::Metrics metrics("consent");
  if (auto st = metrics.Serve(cfg.runtime.metrics_listen); !st.ok()) Die("metrics", st);

  kafka::Stats producer_stats;
  auto producer = kafka::Producer::Create(
      {.brokers = cfg.runtime.kafka_brokers, .client_id = "consent"}, &producer_stats);
  if (!producer.ok()) Die("cannot create the Kafka producer", producer.status());
  metrics.ExportKafkaStats("producer", &producer_stats);

  // The topic is created at start; while Kafka is down the service still serves (writes wait in
  // the outbox), and a background thread keeps trying until the topic exists.
  const std::vector<kafka::Producer::TopicSpec> topics = {
      {.name = cfg.topic,
       .partitions = cfg.runtime.kafka_partitions,
       .replication_factor = cfg.runtime.kafka_replication,
       .config = {{"retention.ms", std::to_string(cfg.topic_retention.count())},
                  {"cleanup.policy", "delete"}}}};
  std::atomic<bool> stopping{false};
  std::thread topic_thread([&] {
    for (int attempt = 0; !stopping.load(); ++attempt) {
      const absl::Status st = (*producer)->EnsureTopics(topics, std::chrono::seconds(10));
      if (st.ok()) return;
      if (attempt == 0) {
        log::Warning("cannot create or verify the Kafka topic yet; events wait in the outbox",
                     {{"topic", cfg.topic}, {"error", std::string(st.message())}});
      }
      for (int i = 0; i < 50 && !stopping.load(); ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
      }
    }
  });

  outbox::Relay relay(&redis_pool, producer->get(), {.lease = cfg.outbox_lease}, &metrics);
  relay.Start();
  RelayNotifier notifier(&relay);

  consent::RedisConsentStore store(&redis_pool);
  consent::ConsentManager manager(&store, &notifier,
                                  {.topic = cfg.topic, .idempotency_ttl = cfg.idempotency_ttl});
  consent::ConsentGrpcService service(&manager, {verifier->get(), &metrics});

  server::ServerRunner runner(
      {.listen = cfg.runtime.grpc_listen,
       .max_threads = cfg.runtime.grpc_max_threads,
       .drain_timeout = cfg.runtime.drain_timeout,
       .health_service_names = {"advocacy.consent.v1.ConsentService"}},
      {&service}, [&]() -> absl::Status {
        if (auto st = redis_pool.Ping(); !st.ok()) return st;
        if (!(*producer)->BrokerReachable()) return absl::UnavailableError("Kafka unreachable");
        return absl::OkStatus();
      });
  if (auto st = runner.Start(); !st.ok()) Die("cannot start the gRPC server", st);
  log::Info("consent service started",
            {{"grpc_port", std::to_string(runner.port())},
             {"metrics_port", std::to_string(metrics.port())}});

  runner.WaitForSignalAndDrain();
  stopping.store(true);
  topic_thread.join();
  relay.Stop();
  (void)(*producer)->Flush(std::chrono::seconds(5));
  log::Info("consent service stopped");
  return 0;
}
