// Wiring only: read config, build objects, run.

#include <atomic>
#include <condition_variable>
#include <cstdlib>
#include <mutex>
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
#include "broadcast_manager.h"
#include "catalog_manager.h"
#include "courses_config.h"
#include "courses_grpc_service.h"
#include "courses_metrics.h"
#include "learning_manager.h"
#include "redis_courses_store.h"

namespace {

class RelayNotifier final : public advocacy::courses::OutboxNotifier {
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

// Sleeps up to `d`; false once stopping.
bool SleepUnlessStopping(std::mutex& mu, std::condition_variable& cv, const bool& stopping,
                         std::chrono::milliseconds d) {
  std::unique_lock lock(mu);
  return !cv.wait_for(lock, d, [&] { return stopping; });
}

}  // namespace

int main() {
  using namespace advocacy;
  server::ServerRunner::BlockTerminationSignals();

  config::EnvReader env;
  courses::CoursesConfig cfg = courses::ReadCoursesConfig(env);
  log::Severity severity = log::Severity::kInfo;
  log::ParseSeverity(cfg.runtime.log_level, &severity);
  log::Init("courses", severity);
  config::LogOrDie(env, env.Finish());

  auto redis_options = redis::ParseUrl(cfg.runtime.redis_url);
  if (!redis_options.ok()) Die("ADVOCACY_REDIS_URL is invalid", redis_options.status());
  redis::Pool redis_pool(*redis_options, static_cast<size_t>(cfg.runtime.redis_pool_size));

  auto verifier = auth::TokenVerifier::Create({.public_key_pem = cfg.runtime.jwt_public_key_pem,
                                               .issuer = cfg.runtime.jwt_issuer,
                                               .audience = cfg.runtime.jwt_audience});
  if (!verifier.ok()) Die("the JWT public key or settings are invalid", verifier.status());

  metrics::Metrics metrics("courses");
  courses::CoursesMetrics courses_metrics(metrics.registry(), "courses",
                                          static_cast<size_t>(cfg.max_course_labels));
  if (auto st = metrics.Serve(cfg.runtime.metrics_listen); !st.ok()) Die("metrics", st);

  kafka::Stats producer_stats;
  auto producer = kafka::Producer::Create(
      {.brokers = cfg.runtime.kafka_brokers, .client_id = "courses"}, &producer_stats);
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
  std::mutex stop_mu;
  std::condition_variable stop_cv;
  bool stopping = false;
  std::thread topic_thread([&] {
    for (int attempt = 0;; ++attempt) {
      const absl::Status st = (*producer)->EnsureTopics(topics, std::chrono::seconds(10));
      if (st.ok()) return;
      if (attempt == 0) {
        log::Warning("cannot create or verify the Kafka topic yet; events wait in the outbox",
                     {{"topic", cfg.topic}, {"error", std::string(st.message())}});
      }
      if (!SleepUnlessStopping(stop_mu, stop_cv, stopping, std::chrono::seconds(5))) return;
    }
  });

  outbox::Relay relay(&redis_pool, producer->get(), {.lease = cfg.outbox_lease}, &metrics);
  relay.Start();
  RelayNotifier notifier(&relay);

  courses::RedisCoursesStore store(&redis_pool);
  const courses::DomainOptions options{.topic = cfg.topic, .idempotency_ttl = cfg.idempotency_ttl};
  courses::CatalogManager catalog(&store, &notifier, options);
  courses::LearningManager learning(&store, &catalog, &notifier, &courses_metrics, options);
  courses::BroadcastManager broadcasts(&store, &catalog, &notifier, &courses_metrics, options);
  courses::CoursesGrpcService service(&catalog, &learning, &broadcasts,
                                      {verifier->get(), &metrics});

  // The active-learners gauge is counted in Redis, so it survives restarts and every replica
  // reports the same number.
  std::thread active_thread([&] {
    do {
      const int64_t since = courses::SystemNowMs() - cfg.active_window.count();
      auto count = store.CountActiveLearners(since);
      if (count.ok()) {
        courses_metrics.SetActiveLearners(*count);
      } else {
        log::Debug("active learners not counted",
                   {{"error", std::string(count.status().message())}});
      }
    } while (SleepUnlessStopping(stop_mu, stop_cv, stopping, cfg.active_refresh));
  });

  server::ServerRunner runner({.listen = cfg.runtime.grpc_listen,
                               .max_threads = cfg.runtime.grpc_max_threads,
                               .drain_timeout = cfg.runtime.drain_timeout,
                               .health_service_names = {"advocacy.courses.v1.CoursesService"}},
                              {&service}, [&]() -> absl::Status {
                                if (auto st = redis_pool.Ping(); !st.ok()) return st;
                                if (!(*producer)->BrokerReachable())
                                  return absl::UnavailableError("Kafka unreachable");
                                return absl::OkStatus();
                              });
  if (auto st = runner.Start(); !st.ok()) Die("cannot start the gRPC server", st);
  log::Info("courses service started", {{"grpc_port", std::to_string(runner.port())},
                                        {"metrics_port", std::to_string(metrics.port())}});

  runner.WaitForSignalAndDrain();
  {
    std::lock_guard lock(stop_mu);
    stopping = true;
  }
  stop_cv.notify_all();
  topic_thread.join();
  active_thread.join();
  relay.Stop();
  (void)(*producer)->Flush(std::chrono::seconds(5));
  log::Info("courses service stopped");
  return 0;
}
