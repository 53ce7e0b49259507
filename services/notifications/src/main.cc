// Wiring only: read config, build objects, run.

#include <condition_variable>
#include <cstdlib>
#include <map>
#include <mutex>
#include <thread>
#include <vector>

#include "adapters/consent_client.h"
#include "adapters/smtp_sender.h"
#include "adapters/unsubscribe_server.h"
#include "advocacy/common/auth.h"
#include "advocacy/common/config.h"
#include "advocacy/common/consent_view.h"
#include "advocacy/common/kafka.h"
#include "advocacy/common/logging.h"
#include "advocacy/common/metrics.h"
#include "advocacy/common/outbox.h"
#include "advocacy/common/redis_client.h"
#include "advocacy/common/server.h"
#include "dispatcher.h"
#include "notifications_config.h"
#include "notifications_grpc_service.h"
#include "notifications_manager.h"
#include "notifications_metrics.h"
#include "redis_notifications_store.h"
#include "unsubscribe.h"

namespace {

[[noreturn]] void Die(std::string_view what, const absl::Status& st) {
  advocacy::log::Error(what, {{"error", std::string(st.message())}});
  std::exit(1);
}

}  // namespace

int main() {
  using namespace advocacy;
  using namespace advocacy::notifications;
  server::ServerRunner::BlockTerminationSignals();

  config::EnvReader env;
  NotificationsConfig cfg = ReadNotificationsConfig(env);
  log::Severity severity = log::Severity::kInfo;
  log::ParseSeverity(cfg.runtime.log_level, &severity);
  log::Init("notifications", severity);
  config::LogOrDie(env, env.Finish());

  auto signer = UnsubscribeTokenSigner::Create(cfg.unsubscribe_key);
  if (!signer.ok())
    Die("NOTIFICATIONS_UNSUBSCRIBE_KEY_FILE holds an unusable key", signer.status());

  auto redis_options = redis::ParseUrl(cfg.runtime.redis_url);
  if (!redis_options.ok()) Die("ADVOCACY_REDIS_URL is invalid", redis_options.status());
  redis::Pool redis_pool(*redis_options, static_cast<size_t>(cfg.runtime.redis_pool_size));

  auto verifier = auth::TokenVerifier::Create({.public_key_pem = cfg.runtime.jwt_public_key_pem,
                                               .issuer = cfg.runtime.jwt_issuer,
                                               .audience = cfg.runtime.jwt_audience});
  if (!verifier.ok()) Die("the JWT public key or settings are invalid", verifier.status());

  metrics::Metrics metrics("notifications");
  NotificationsMetrics notification_metrics(metrics.registry(), "notifications");
  if (auto st = metrics.Serve(cfg.runtime.metrics_listen); !st.ok()) Die("metrics", st);

  kafka::Stats producer_stats;
  auto producer = kafka::Producer::Create(
      {.brokers = cfg.runtime.kafka_brokers, .client_id = "notifications"}, &producer_stats);
  if (!producer.ok()) Die("cannot create the Kafka producer", producer.status());
  metrics.ExportKafkaStats("producer", &producer_stats);

  const std::string content_dlq = cfg.content_topic + ".notifications.dlq";
  const std::string courses_dlq = cfg.courses_topic + ".notifications.dlq";
  const std::string retention = std::to_string(cfg.topic_retention.count());
  std::vector<kafka::Producer::TopicSpec> topics;
  // The source topics and the consent service's receipts topic too: a consumer stalls on a
  // topic that does not exist yet, and receipts need not wait for the consent service.
  for (const std::string& name :
       {cfg.dlq_topic, content_dlq, courses_dlq, cfg.content_topic, cfg.courses_topic,
        cfg.receipts_topic,
        kafka::DeadLetterTopic(cfg.consent_topic, "notifications")}) {
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
        log::Warning(
            "cannot create or verify the Kafka topics yet; dead letters wait in the outbox",
            {{"error", std::string(st.message())}});
      }
      std::unique_lock lock(stop_mu);
      if (stop_cv.wait_for(lock, std::chrono::seconds(5), [&] { return stopping; })) return;
    }
  });

  outbox::Relay relay(&redis_pool, producer->get(), {.lease = cfg.outbox_lease}, &metrics);
  relay.Start();

  RedisNotificationsStore store(&redis_pool);
  store.set_retention_seconds(
      std::chrono::duration_cast<std::chrono::seconds>(cfg.retention).count());

  grpc::ChannelArguments channel_args;
  channel_args.SetInt(GRPC_ARG_KEEPALIVE_TIME_MS, 30000);
  auto token_source =
      MintingTokenSource(cfg.signing_key_pem, cfg.runtime.jwt_issuer, cfg.runtime.jwt_audience);
  if (auto token = token_source(); !token.ok()) {
    Die("NOTIFICATIONS_SIGNING_KEY_FILE cannot sign service tokens for the consent service",
        token.status());
  }
  GrpcConsentGateway consent(
      grpc::CreateCustomChannel(cfg.consent_addr, grpc::InsecureChannelCredentials(), channel_args),
      token_source, cfg.consent_deadline);

  const SmtpOptions smtp{.url = cfg.smtp_url,
                         .require_starttls = cfg.smtp_starttls,
                         .username = cfg.smtp_username,
                         .password = cfg.smtp_password,
                         .ca_file = cfg.smtp_ca_file,
                         .verify_peer = cfg.smtp_verify_peer,
                         .connect_timeout = cfg.smtp_connect_timeout,
                         .timeout = cfg.smtp_timeout};
  if (auto st = ValidateSmtpOptions(smtp); !st.ok()) Die("the SMTP settings are unusable", st);
  SmtpMailSender sender(smtp);

  Dispatcher dispatcher(
      &store, &sender, &consent, &*signer, &notification_metrics,
      [&relay](const std::string& key, const std::string& encoded) { relay.Notify(key, encoded); },
      {.workers = cfg.dispatch_workers,
       .batch = static_cast<size_t>(cfg.dispatch_batch),
       .poll_interval = cfg.poll_interval,
       .claim_lease = cfg.claim_lease,
       .max_attempts = cfg.max_attempts,
       .retry_base = cfg.retry_base,
       .retry_max = cfg.retry_max,
       .consent_retry = cfg.consent_retry,
       .mail_from = cfg.mail_from,
       .mail_from_name = cfg.mail_from_name,
       .public_base_url = cfg.public_base_url,
       .unsubscribe_ttl = absl::FromChrono(cfg.unsubscribe_ttl),
       .dlq_topic = cfg.dlq_topic});

  NotificationsManager manager(
      &store, &consent, &notification_metrics, [&dispatcher] { dispatcher.Wake(); },
      {.content_topic = cfg.content_topic,
       .courses_topic = cfg.courses_topic,
       .app_base_url = cfg.app_base_url,
       .fanout_chunk = static_cast<size_t>(cfg.fanout_chunk),
       .retention_seconds = std::chrono::duration_cast<std::chrono::seconds>(cfg.retention).count(),
       // A send cannot outlive its claim; a little more covers clock steps between replicas.
       .in_flight_wait = cfg.claim_lease + std::chrono::seconds(5)});

  const std::map<std::string, std::string> consumer_extra = cfg.runtime.KafkaConsumerExtra();
  consent_view::ConsentView view(&redis_pool, "notifications");
  kafka::Stats consumer_stats;
  metrics.ExportKafkaStats("consumer", &consumer_stats);
  auto consent_consumer = consent_view::ConsentViewConsumer::Create(
      &view,
      {.brokers = cfg.runtime.kafka_brokers,
       .topic = cfg.consent_topic,
       .group_id = cfg.consent_group,
       .on_withdrawn =
           [&manager](const consent_view::ApplyResult& r) { return manager.OnConsentWithdrawn(r); },
       .registry = &metrics.registry(),
       .stats = &consumer_stats,
       .extra = consumer_extra,
       // A receipt per applied change, sent after the withdrawal callback cancelled the jobs;
       // the producer outlives the consumer (declared first).
       .receipts = {.producer = producer->get(), .topic = cfg.receipts_topic}});
  if (!consent_consumer.ok()) {
    Die("cannot create the consent event consumer", consent_consumer.status());
  }
  auto content_consumer = kafka::Consumer::Create(
      {.brokers = cfg.runtime.kafka_brokers,
       .group_id = cfg.events_group + "-content",
       .topics = {cfg.content_topic},
       .dead_letter_topic = content_dlq,
       .extra = consumer_extra},
      [&manager](const kafka::Message& m) { return manager.HandleContentEvent(m); },
      &consumer_stats);
  if (!content_consumer.ok()) {
    Die("cannot create the content event consumer", content_consumer.status());
  }
  auto courses_consumer = kafka::Consumer::Create(
      {.brokers = cfg.runtime.kafka_brokers,
       .group_id = cfg.events_group + "-courses",
       .topics = {cfg.courses_topic},
       .dead_letter_topic = courses_dlq,
       .extra = consumer_extra},
      [&manager](const kafka::Message& m) { return manager.HandleCoursesEvent(m); },
      &consumer_stats);
  if (!courses_consumer.ok()) {
    Die("cannot create the courses event consumer", courses_consumer.status());
  }
  if (auto st = (*consent_consumer)->Start(); !st.ok())
    Die("cannot start the consent consumer", st);
  if (auto st = (*content_consumer)->Start(); !st.ok())
    Die("cannot start the content consumer", st);
  if (auto st = (*courses_consumer)->Start(); !st.ok())
    Die("cannot start the courses consumer", st);

  UnsubscribeServer unsubscribe(
      {.listen = cfg.unsubscribe_listen}, &*signer, &consent,
      [&manager](const UnsubscribeClaims& c) {
        // The consent event cancels the same jobs a moment later; doing it now closes the gap.
        auto n = manager.CancelForWithdrawal(c.tenant_id, c.employee_id, c.purpose);
        if (!n.ok()) {
          log::Warning(
              "cancelling jobs after a one-click unsubscribe failed; the consent event "
              "cancels them when it arrives",
              {{"tenant", c.tenant_id}, {"error", std::string(n.status().message())}});
        }
      });
  if (auto st = unsubscribe.Start(); !st.ok()) Die("cannot start the unsubscribe endpoint", st);

  dispatcher.Start();

  NotificationsGrpcService service(&manager, {verifier->get(), &metrics});
  server::ServerRunner runner(
      {.listen = cfg.runtime.grpc_listen,
       .max_threads = cfg.runtime.grpc_max_threads,
       .drain_timeout = cfg.runtime.drain_timeout,
       .health_service_names = {"advocacy.notifications.v1.NotificationsService"}},
      {&service}, [&]() -> absl::Status {
        if (auto st = redis_pool.Ping(); !st.ok()) return st;
        if (!(*producer)->BrokerReachable()) return absl::UnavailableError("Kafka unreachable");
        return absl::OkStatus();
      });
  if (auto st = runner.Start(); !st.ok()) Die("cannot start the gRPC server", st);
  log::Info("notifications service started",
            {{"grpc_port", std::to_string(runner.port())},
             {"metrics_port", std::to_string(metrics.port())},
             {"unsubscribe_port", std::to_string(unsubscribe.port())},
             {"dispatcher", dispatcher.owner()}});

  runner.WaitForSignalAndDrain();
  {
    std::lock_guard lock(stop_mu);
    stopping = true;
  }
  stop_cv.notify_all();
  unsubscribe.Stop();
  (*courses_consumer)->Stop();
  (*content_consumer)->Stop();
  (*consent_consumer)->Stop();
  dispatcher.Stop();  // sends in progress finish and are recorded
  topic_thread.join();
  relay.Stop();
  (void)(*producer)->Flush(std::chrono::seconds(5));
  log::Info("notifications service stopped");
  return 0;
}
