// Wiring only: read config, build objects, run.

#include <condition_variable>
#include <cstdlib>
#include <mutex>
#include <thread>
#include <vector>

#include "advocacy/common/auth.h"
#include "advocacy/common/config.h"
#include "advocacy/common/consent_view.h"
#include "advocacy/common/kafka.h"
#include "advocacy/common/logging.h"
#include "advocacy/common/metrics.h"
#include "advocacy/common/outbox.h"
#include "advocacy/common/redis_client.h"
#include "advocacy/common/server.h"
#include "content_config.h"
#include "content_grpc_service.h"
#include "content_manager.h"
#include "content_metrics.h"
#include "link_server.h"
#include "redis_content_store.h"

namespace {

[[noreturn]] void Die(std::string_view what, const absl::Status& st) {
  advocacy::log::Error(what, {{"error", std::string(st.message())}});
  std::exit(1);
}

}  // namespace

int main() {
  using namespace advocacy;
  server::ServerRunner::BlockTerminationSignals();

  config::EnvReader env;
  content::ContentConfig cfg = content::ReadContentConfig(env);
  log::Severity severity = log::Severity::kInfo;
  log::ParseSeverity(cfg.runtime.log_level, &severity);
  log::Init("content", severity);
  config::LogOrDie(env, env.Finish());

  auto redis_options = redis::ParseUrl(cfg.runtime.redis_url);
  if (!redis_options.ok()) Die("ADVOCACY_REDIS_URL is invalid", redis_options.status());
  redis::Pool redis_pool(*redis_options, static_cast<size_t>(cfg.runtime.redis_pool_size));

  auto verifier = auth::TokenVerifier::Create({.public_key_pem = cfg.runtime.jwt_public_key_pem,
                                               .issuer = cfg.runtime.jwt_issuer,
                                               .audience = cfg.runtime.jwt_audience});
  if (!verifier.ok()) Die("the JWT public key or settings are invalid", verifier.status());

  metrics::Metrics metrics("content");
  content::ContentMetrics content_metrics(metrics.registry(), "content");
  if (auto st = metrics.Serve(cfg.runtime.metrics_listen); !st.ok()) Die("metrics", st);

  kafka::Stats producer_stats;
  auto producer = kafka::Producer::Create(
      {.brokers = cfg.runtime.kafka_brokers, .client_id = "content"}, &producer_stats);
  if (!producer.ok()) Die("cannot create the Kafka producer", producer.status());
  metrics.ExportKafkaStats("producer", &producer_stats);

  const std::string retention = std::to_string(cfg.topic_retention.count());
  std::vector<kafka::Producer::TopicSpec> topics;
  // The receipts topic is the consent service's; creating it here too means receipts do not
  // wait for the consent service to have started once.
  for (const std::string& name :
       {cfg.content_topic, cfg.engagement_topic, cfg.receipts_topic,
        kafka::DeadLetterTopic(cfg.consent_topic, "content")}) {
    topics.push_back({.name = name,
                      .partitions = cfg.runtime.kafka_partitions,
                      .replication_factor = cfg.runtime.kafka_replication,
                      .config = {{"retention.ms", retention}, {"cleanup.policy", "delete"}}});
  }
  std::mutex stop_mu;
  std::condition_variable stop_cv;
  bool stopping = false;
  std::thread topic_thread([&] {
    for (int attempt = 0;; ++attempt) {
      const absl::Status st = (*producer)->EnsureTopics(topics, std::chrono::seconds(10));
      if (st.ok()) return;
      if (attempt == 0) {
        log::Warning("cannot create or verify the Kafka topics yet; events wait in the outbox",
                     {{"error", std::string(st.message())}});
      }
      std::unique_lock lock(stop_mu);
      if (stop_cv.wait_for(lock, std::chrono::seconds(5), [&] { return stopping; })) return;
    }
  });

  outbox::Relay relay(&redis_pool, producer->get(), {.lease = cfg.outbox_lease}, &metrics);
  relay.Start();

  content::RedisContentStore store(&redis_pool, "content");
  consent_view::ConsentView view(&redis_pool, "content");
  content::ContentManager manager(
      &store, &view, &content_metrics,
      [&relay](const content::OutboxEntry& e) { relay.Notify(e.key, e.encoded); },
      {.content_topic = cfg.content_topic,
       .engagement_topic = cfg.engagement_topic,
       .link_base_url = cfg.link_base_url,
       .min_group_size = cfg.min_group_size,
       .active_window = cfg.active_window});

  kafka::Stats consumer_stats;
  metrics.ExportKafkaStats("consumer", &consumer_stats);
  auto consumer = consent_view::ConsentViewConsumer::Create(
      &view,
      {.brokers = cfg.runtime.kafka_brokers,
       .topic = cfg.consent_topic,
       .group_id = cfg.consent_group,
       .on_withdrawn =
           [&manager](const consent_view::ApplyResult& r) { return manager.OnConsentWithdrawn(r); },
       .registry = &metrics.registry(),
       .stats = &consumer_stats,
       .extra = cfg.runtime.KafkaConsumerExtra(),
       // A receipt per applied change; the producer outlives the consumer (declared first).
       .receipts = {.producer = producer->get(), .topic = cfg.receipts_topic}});
  if (!consumer.ok()) Die("cannot create the consent event consumer", consumer.status());
  if (auto st = (*consumer)->Start(); !st.ok()) Die("cannot start the consent consumer", st);

  content::LinkServer links({.listen = cfg.link_listen}, [&manager](std::string_view code) {
    return manager.ResolveClick(code);
  });
  if (auto st = links.Start(); !st.ok()) Die("cannot start the tracked-link endpoint", st);

  content::ContentGrpcService service(&manager, {verifier->get(), &metrics});
  server::ServerRunner runner({.listen = cfg.runtime.grpc_listen,
                               .max_threads = cfg.runtime.grpc_max_threads,
                               .drain_timeout = cfg.runtime.drain_timeout,
                               .health_service_names = {"advocacy.content.v1.ContentService"}},
                              {&service}, [&]() -> absl::Status {
                                if (auto st = redis_pool.Ping(); !st.ok()) return st;
                                if (!(*producer)->BrokerReachable())
                                  return absl::UnavailableError("Kafka unreachable");
                                return absl::OkStatus();
                              });
  if (auto st = runner.Start(); !st.ok()) Die("cannot start the gRPC server", st);
  log::Info("content service started", {{"grpc_port", std::to_string(runner.port())},
                                        {"metrics_port", std::to_string(metrics.port())},
                                        {"link_port", std::to_string(links.port())}});

  runner.WaitForSignalAndDrain();
  {
    std::lock_guard lock(stop_mu);
    stopping = true;
  }
  stop_cv.notify_all();
  links.Stop();
  (*consumer)->Stop();
  topic_thread.join();
  relay.Stop();
  (void)(*producer)->Flush(std::chrono::seconds(5));
  log::Info("content service stopped");
  return 0;
}
