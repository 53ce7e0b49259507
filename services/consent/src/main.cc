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
#include "propagation_manager.h"
#include "propagation_metrics.h"
#include "propagation_monitor.h"
#include "propagation_waiter.h"
#include "redis_consent_store.h"
#include "redis_propagation_store.h"

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
  // The receipts topic too (consuming services produce to it, and may start first), and the
  // dead-letter topic of this service's receipts consumer.
  const std::string receipts_dead_letter = cfg.receipts_topic + ".consent.dlq";
  std::vector<kafka::Producer::TopicSpec> topics;
  for (const std::string& name : {cfg.topic, cfg.receipts_topic, receipts_dead_letter}) {
    topics.push_back({.name = name,
                      .partitions = cfg.runtime.kafka_partitions,
                      .replication_factor = cfg.runtime.kafka_replication,
                      .config = {{"retention.ms", std::to_string(cfg.topic_retention.count())},
                                 {"cleanup.policy", "delete"}}});
  }
  outbox::Relay relay(&redis_pool, producer->get(), {.lease = cfg.outbox_lease}, &metrics);
  relay.Start();
  RelayNotifier notifier(&relay);

  const consent::PropagationTracking tracking = {.services = cfg.propagation_services,
                                                 .receipts_kept = cfg.receipts_kept,
                                                 .pending_kept = cfg.pending_kept};
  consent::RedisConsentStore store(&redis_pool, tracking);
  consent::ConsentManager manager(&store, &notifier,
                                  {.topic = cfg.topic, .idempotency_ttl = cfg.idempotency_ttl});

  consent::RedisPropagationStore propagation_store(&redis_pool, tracking);
  consent::PropagationMetrics propagation_metrics(metrics.registry(), cfg.propagation_services);
  consent::PropagationManager propagation(&store, &propagation_store, &propagation_metrics,
                                          cfg.propagation_services);
  consent::PropagationMonitor monitor(&propagation, cfg.propagation_check_interval);
  monitor.Start();
  consent::PropagationWaiter waiter(&propagation,
                                    {.max_wait = cfg.ack_wait, .max_waiting = cfg.ack_max_waiting},
                                    &propagation_metrics);

  kafka::Stats consumer_stats;
  metrics.ExportKafkaStats("consumer", &consumer_stats);
  auto receipts = kafka::Consumer::Create(
      {.brokers = cfg.runtime.kafka_brokers,
       .group_id = cfg.receipts_group,
       .topics = {cfg.receipts_topic},
       .dead_letter_topic = receipts_dead_letter,
       .extra = cfg.runtime.KafkaConsumerExtra()},
      [&propagation](const kafka::Message& m) { return propagation.HandleReceipt(m); },
      &consumer_stats);
  if (!receipts.ok()) Die("cannot create the propagation receipts consumer", receipts.status());

  // The receipts consumer starts once its topic exists: librdkafka notices a topic created after
  // it subscribed only at its next full metadata refresh (minutes).
  std::atomic<bool> stopping{false};
  std::thread topic_thread([&] {
    for (int attempt = 0; !stopping.load(); ++attempt) {
      const absl::Status st = (*producer)->EnsureTopics(topics, std::chrono::seconds(10));
      if (st.ok()) {
        if (auto started = (*receipts)->Start(); !started.ok()) {
          log::Error("cannot start the propagation receipts consumer",
                     {{"error", std::string(started.message())}});
        }
        return;
      }
      if (attempt == 0) {
        log::Warning(
            "cannot create or verify the Kafka topics yet; events wait in the outbox and "
            "receipts are read once the topics exist",
            {{"topic", cfg.topic}, {"error", std::string(st.message())}});
      }
      for (int i = 0; i < 50 && !stopping.load(); ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
      }
    }
  });

  consent::ConsentGrpcService service(&manager, {verifier->get(), &metrics}, &propagation, &waiter);

  server::ServerRunner runner({.listen = cfg.runtime.grpc_listen,
                               .max_threads = cfg.runtime.grpc_max_threads,
                               .drain_timeout = cfg.runtime.drain_timeout,
                               .health_service_names = {"advocacy.consent.v1.ConsentService"}},
                              {&service}, [&]() -> absl::Status {
                                if (auto st = redis_pool.Ping(); !st.ok()) return st;
                                if (!(*producer)->BrokerReachable())
                                  return absl::UnavailableError("Kafka unreachable");
                                return absl::OkStatus();
                              });
  if (auto st = runner.Start(); !st.ok()) Die("cannot start the gRPC server", st);
  log::Info("consent service started", {{"grpc_port", std::to_string(runner.port())},
                                        {"metrics_port", std::to_string(metrics.port())}});

  runner.WaitForSignalAndDrain();
  stopping.store(true);
  topic_thread.join();
  (*receipts)->Stop();
  monitor.Stop();
  relay.Stop();
  (void)(*producer)->Flush(std::chrono::seconds(5));
  log::Info("consent service stopped");
  return 0;
}
