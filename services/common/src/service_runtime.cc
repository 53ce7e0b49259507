#include "advocacy/common/service_runtime.h"

#include <pthread.h>

#include <algorithm>
#include <condition_variable>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <thread>

#include "advocacy/common/auth.h"
#include "advocacy/common/auth_metrics.h"
#include "advocacy/common/event_trust.h"
#include "advocacy/common/grpc_tls.h"
#include "advocacy/common/http_server.h"
#include "advocacy/common/logging.h"
#include "advocacy/common/metrics.h"
#include "advocacy/common/outbox.h"
#include "advocacy/common/redis_client.h"
#include "advocacy/common/server.h"
#include "advocacy/common/status_macros.h"
#include "advocacy/common/strings.h"

namespace advocacy::runtime {

void Die(std::string_view what, const absl::Status& status) {
  log::Error(what, {{"error", std::string(status.message())}});
  std::exit(1);
}

namespace {

// Topics are created (or found) with this timeout per attempt, and attempts repeat this often
// while Kafka cannot be reached.
constexpr std::chrono::seconds kTopicTimeout{10};
constexpr std::chrono::seconds kTopicRetry{5};
constexpr std::chrono::seconds kFlushTimeout{5};
constexpr std::chrono::seconds kFatalCheckInterval{1};

struct Part {
  std::string what;
  std::function<absl::Status()> start;
  std::function<void()> stop;
};

}  // namespace

struct ServiceRuntime::Impl {
  explicit Impl(const config::RuntimeConfig& config) : metrics(config.service_name) {}

  // Declared in the order they are built, so they are destroyed in reverse: the consumers and
  // the relay go before the producer and the pool they use.
  std::unique_ptr<redis::Pool> pool;
  metrics::Metrics metrics;
  // The gRPC listening port's credentials (TLS from watched files, or plaintext when off).
  std::shared_ptr<grpc::ServerCredentials> grpc_credentials;
  // The verifier's refresher threads report to auth_metrics until the verifier is gone.
  std::unique_ptr<metrics::AuthMetrics> auth_metrics;
  std::unique_ptr<auth::TokenVerifier> verifier;
  kafka::Stats producer_stats;
  kafka::Stats consumer_stats;
  // Who may produce which topic (ADVOCACY_EVENT_SOURCES over the defaults), and the count of
  // events the consumers refused: every consumer is guarded by both.
  event_trust::SourcePolicy sources;
  std::unique_ptr<event_trust::RejectionMetrics> rejections;
  bool consumer_stats_exported = false;
  std::unique_ptr<kafka::Producer> producer;
  std::unique_ptr<outbox::Relay> relay;
  std::vector<kafka::Producer::TopicSpec> topics;
  std::vector<std::unique_ptr<kafka::Consumer>> consumers;
  std::vector<std::unique_ptr<consent_view::ConsentViewConsumer>> view_consumers;
  std::vector<Part> parts;
  std::vector<std::pair<std::string, std::string>> announced;
  std::vector<std::pair<std::string, std::function<absl::Status()>>> readiness_checks;

  // The one stop signal of every background loop the runtime runs (topic creation, periodic
  // tasks): set once, after the gRPC drain.
  std::mutex stop_mu;
  std::condition_variable stop_cv;
  bool stopping = false;
  // RequestStop: a flag, and the thread waiting in Serve to wake.
  bool stop_requested = false;
  bool serving = false;
  pthread_t serve_thread{};

  // Which Kafka client hit a fatal error and can never produce again ("" for none): the producer,
  // or a consumer's dead-letter producer (its consumer would retry the next poison event forever).
  std::string FatalKafkaClient() const {
    if (producer == nullptr) return "";
    if (producer->Fatal()) return "its Kafka producer";
    for (const auto& c : consumers) {
      if (c->Fatal()) return "a Kafka consumer's dead-letter producer";
    }
    for (const auto& c : view_consumers) {
      if (c->Fatal()) return "its consent view's dead-letter producer";
    }
    return "";
  }

  // Sleeps up to `d`; false once stopping.
  bool SleepUnlessStopping(std::chrono::milliseconds d) {
    std::unique_lock lock(stop_mu);
    return !stop_cv.wait_for(lock, d, [this] { return stopping; });
  }
  // Step 8, on its own thread: creates the declared topics (retrying while Kafka cannot be
  // reached, until stopping), then starts the consumers.
  void CreateTopicsThenStartConsumers() {
    for (int attempt = 0;; ++attempt) {
      const absl::Status st = producer->EnsureTopics(topics, kTopicTimeout);
      if (st.ok()) break;
      if (attempt == 0) {
        log::Warning(
            "cannot create or verify the Kafka topics yet; events wait in the outbox and the "
            "consumers start once the topics exist",
            {{"error", std::string(st.message())}});
      }
      if (!SleepUnlessStopping(kTopicRetry)) return;
    }
    for (auto& c : view_consumers) {
      if (auto st = c->Start(); !st.ok()) {
        log::Error("cannot start the consent event consumer",
                   {{"error", std::string(st.message())}});
      }
    }
    for (auto& c : consumers) {
      if (auto st = c->Start(); !st.ok()) {
        log::Error("cannot start a Kafka consumer", {{"error", std::string(st.message())}});
      }
    }
    log::Debug("Kafka topics exist; consumers started");
  }

  // Blocks until SIGTERM/SIGINT, or RequestStop (which sends SIGTERM to this thread).
  void WaitForStop() {
    bool requested = false;
    {
      std::lock_guard lock(stop_mu);
      serve_thread = pthread_self();
      serving = true;
      requested = stop_requested;
    }
    if (!requested) {
      sigset_t set;
      sigemptyset(&set);
      sigaddset(&set, SIGTERM);
      sigaddset(&set, SIGINT);
      int sig = 0;
      sigwait(&set, &sig);
      log::Info("termination signal received, draining",
                {{"signal", sig == SIGTERM ? "SIGTERM" : "SIGINT"}});
    }
    std::lock_guard lock(stop_mu);
    serving = false;
  }

  // The consumers stop and commit, the relay stops, the producer flushes what is left.
  void StopKafka() {
    if (producer == nullptr) return;
    for (auto& c : consumers) c->Stop();
    for (auto& c : view_consumers) c->Stop();
    relay->Stop();
    if (auto st = producer->Flush(kFlushTimeout); !st.ok()) {
      log::Warning(
          "some Kafka messages were not delivered before the exit; outbox entries and "
          "uncommitted events are sent again after a restart",
          {{"error", std::string(st.message())}});
    }
  }

  void SignalStop() {
    {
      std::lock_guard lock(stop_mu);
      stopping = true;
    }
    stop_cv.notify_all();
  }
};

ServiceRuntime::ServiceRuntime(config::EnvReader& env, config::RuntimeConfig config)
    : config_(std::move(config)) {
  // Before any thread exists, so every thread inherits the mask and Serve can sigwait.
  server::ServerRunner::BlockTerminationSignals();
  log::Severity severity = log::Severity::kInfo;
  log::ParseSeverity(config_.log_level, &severity);
  log::Init(config_.service_name, severity);
  config::LogOrDie(env, env.Finish());
  if (const std::string warning = config_.kafka_security.CompatibilityWarning(); !warning.empty()) {
    log::Warning("the Kafka security setting may not work with this broker", {{"detail", warning}});
  }

  impl_ = std::make_unique<Impl>(config_);
  Impl& s = *impl_;
  if (config_.grpc_tls.enabled) {
    s.grpc_credentials = OrDie(grpc_tls::ServerCredentials(config_.grpc_tls),
                               "the gRPC TLS credentials cannot be built (ADVOCACY_GRPC_TLS_*)");
    log::Info("gRPC TLS on", {{"tls", config_.grpc_tls.Describe()}});
  } else {
    log::Warning(
        "gRPC TLS is off (ADVOCACY_GRPC_TLS=off): every RPC and its token travel in plaintext; "
        "the other ADVOCACY_GRPC_TLS_* settings are ignored");
  }
  auto redis_options = OrDie(redis::ParseUrl(config_.redis_url), "ADVOCACY_REDIS_URL is invalid");
  if (!config_.redis_username.empty()) redis_options.username = config_.redis_username;
  if (!config_.redis_password.empty()) redis_options.password = config_.redis_password;
  redis_options.tls_ca_file = config_.redis_tls_ca_file;
  redis_options.tls_cert_file = config_.redis_tls_cert_file;
  redis_options.tls_key_file = config_.redis_tls_key_file;
  redis_options.tls_server_name = config_.redis_tls_server_name;
  s.pool = std::make_unique<redis::Pool>(std::move(redis_options),
                                         static_cast<size_t>(config_.redis_pool_size));
  s.auth_metrics = std::make_unique<metrics::AuthMetrics>(s.metrics.registry(), name());
  auth::VerifierOptions verifier_options = config_.auth;
  s.auth_metrics->Attach(&verifier_options);
  s.verifier = OrDie(auth::TokenVerifier::Create(std::move(verifier_options)),
                     "the token issuers cannot be set up (ADVOCACY_AUTH_ISSUERS_FILE, "
                     "ADVOCACY_JWT_PUBLIC_KEY_FILE)");
  s.sources = OrDie(event_trust::SourcePolicy::WithOverrides(config_.event_sources),
                    "ADVOCACY_EVENT_SOURCES is invalid");
  s.rejections =
      std::make_unique<event_trust::RejectionMetrics>(s.metrics.registry(), config_.service_name);
  OrDie(s.metrics.Serve(config_.metrics_listen),
        "cannot serve metrics: is the port in use? set ADVOCACY_METRICS_LISTEN");
  if (config_.kafka_brokers.empty()) {
    log::Info(StrCat(name(), " uses no Kafka: no producer, outbox relay or consumer"));
    return;
  }
  s.producer = OrDie(kafka::Producer::Create({.brokers = config_.kafka_brokers,
                                              .client_id = config_.service_name,
                                              .security = config_.kafka_security},
                                             &s.producer_stats),
                     "cannot create the Kafka producer");
  s.metrics.ExportKafkaStats("producer", &s.producer_stats);
  outbox::RelayOptions relay_options{.service = config_.service_name,
                                     .lease = config_.outbox_lease};
  relay_options.topics.insert(config_.published_topics.begin(), config_.published_topics.end());
  s.relay = std::make_unique<outbox::Relay>(s.pool.get(), s.producer.get(),
                                            std::move(relay_options), &s.metrics);
  s.relay->Start();
  // A fatal producer error (e.g. the broker's ACLs were not in force yet when the idempotent
  // producer asked for its id) is permanent for this producer: readiness alone would leave a
  // replica that never produces again. Exit instead, so that the supervisor starts it afresh.
  // The same for a consumer's dead-letter producer: its consumer would retry the next poison
  // event forever. (The consumers are all added before Serve starts this task.)
  Every("Kafka producer watchdog", kFatalCheckInterval, [this, reported = false]() mutable {
    if (reported) return;
    const std::string which = impl_->FatalKafkaClient();
    if (which.empty()) return;
    reported = true;
    log::Error(StrCat(name(), " stops with status 1: ", which,
                      " hit a fatal error and cannot produce again; the supervisor restarts it"));
    RequestStop();
  });
}

ServiceRuntime::~ServiceRuntime() {
  if (impl_ == nullptr) return;
  // Serve stops everything; without Serve (a start-up failure in main) stop what runs.
  for (auto& c : impl_->consumers) c->Stop();
  for (auto& c : impl_->view_consumers) c->Stop();
  if (impl_->relay != nullptr) impl_->relay->Stop();
}

void ServiceRuntime::RequireKafka(std::string_view what) const {
  if (impl_->producer != nullptr) return;
  std::fprintf(stderr, "programming error: %s uses no Kafka (RuntimeNeeds) but asked for %.*s\n",
               config_.service_name.c_str(), static_cast<int>(what.size()), what.data());
  std::abort();
}

redis::Pool& ServiceRuntime::redis() { return *impl_->pool; }
metrics::Metrics& ServiceRuntime::metrics() { return impl_->metrics; }
kafka::Producer& ServiceRuntime::producer() {
  RequireKafka("a Kafka producer");
  return *impl_->producer;
}
outbox::Notifier& ServiceRuntime::outbox() {
  RequireKafka("an outbox relay");
  return *impl_->relay;
}
rpc::Runtime ServiceRuntime::rpc() const {
  return {.verifier = impl_->verifier.get(), .metrics = &impl_->metrics};
}

void ServiceRuntime::DeclareTopics(const std::vector<std::string>& names) {
  RequireKafka("Kafka topics");
  for (const std::string& name : names) {
    auto& topics = impl_->topics;
    if (std::any_of(topics.begin(), topics.end(),
                    [&](const kafka::Producer::TopicSpec& t) { return t.name == name; })) {
      continue;
    }
    topics.push_back({.name = name,
                      .partitions = config_.kafka_partitions,
                      .replication_factor = config_.kafka_replication,
                      .config = {{"retention.ms", std::to_string(config_.topic_retention.count())},
                                 {"cleanup.policy", "delete"}}});
  }
}

namespace {

kafka::ConsumerOptions OptionsFor(const config::RuntimeConfig& config, std::string group_id,
                                  std::string topic) {
  std::string dead_letter = kafka::DeadLetterTopic(topic, config.service_name);
  return {.brokers = config.kafka_brokers,
          .group_id = std::move(group_id),
          .topics = {std::move(topic)},
          .dead_letter_topic = std::move(dead_letter),
          .security = config.kafka_security,
          .extra = config.KafkaConsumerExtra()};
}

}  // namespace

void ServiceRuntime::Consume(std::string group_id, std::string topic, kafka::Handler handler) {
  RequireKafka("a Kafka consumer");
  kafka::ConsumerOptions options = OptionsFor(config_, std::move(group_id), std::move(topic));
  TrustProducersOf(options.topics[0]);
  DeclareTopics({options.topics[0], options.dead_letter_topic});
  if (!impl_->consumer_stats_exported) {
    impl_->metrics.ExportKafkaStats("consumer", &impl_->consumer_stats);
    impl_->consumer_stats_exported = true;
  }
  const std::string what = StrCat("cannot create the consumer of ", options.topics[0]);
  handler = event_trust::Guard(&impl_->sources, impl_->rejections.get(), std::move(handler));
  impl_->consumers.push_back(
      OrDie(kafka::Consumer::Create(std::move(options), std::move(handler), &impl_->consumer_stats),
            what));
}

void ServiceRuntime::ConsumeDeferred(std::string group_id, std::string topic,
                                     kafka::DeferredHandler handler) {
  RequireKafka("a Kafka consumer");
  kafka::ConsumerOptions options = OptionsFor(config_, std::move(group_id), std::move(topic));
  TrustProducersOf(options.topics[0]);
  DeclareTopics({options.topics[0], options.dead_letter_topic});
  if (!impl_->consumer_stats_exported) {
    impl_->metrics.ExportKafkaStats("consumer", &impl_->consumer_stats);
    impl_->consumer_stats_exported = true;
  }
  const std::string what = StrCat("cannot create the consumer of ", options.topics[0]);
  handler = event_trust::Guard(&impl_->sources, impl_->rejections.get(), std::move(handler));
  impl_->consumers.push_back(
      OrDie(kafka::Consumer::CreateDeferred(std::move(options), std::move(handler),
                                            &impl_->consumer_stats),
            what));
}

void ServiceRuntime::TrustProducersOf(const std::string& topic) {
  if (impl_->sources.Allowed(topic) == nullptr) {
    std::fprintf(stderr,
                 "configuration error:\nno producer of topic '%s' is trusted: name its ce_source "
                 "in ADVOCACY_EVENT_SOURCES (topic=source|source;...)\n",
                 topic.c_str());
    std::exit(2);
  }
  impl_->rejections->Declare(topic);
}

void ServiceRuntime::ConsumeConsentView(consent_view::ConsentView* view, ConsentViewFeed feed) {
  RequireKafka("the consent view's consumer");
  TrustProducersOf(feed.topic);
  DeclareTopics({feed.topic, feed.receipts_topic, kafka::DeadLetterTopic(feed.topic, name())});
  if (!impl_->consumer_stats_exported) {
    impl_->metrics.ExportKafkaStats("consumer", &impl_->consumer_stats);
    impl_->consumer_stats_exported = true;
  }
  impl_->view_consumers.push_back(OrDie(
      consent_view::ConsentViewConsumer::Create(
          view,
          {.brokers = config_.kafka_brokers,
           .topic = std::move(feed.topic),
           .group_id = std::move(feed.group_id),
           .on_withdrawn = std::move(feed.on_withdrawn),
           .registry = &impl_->metrics.registry(),
           .stats = &impl_->consumer_stats,
           .security = config_.kafka_security,
           .extra = config_.KafkaConsumerExtra(),
           // The producer outlives the consumer (the runtime destroys consumers first).
           .receipts = {.producer = impl_->producer.get(), .topic = std::move(feed.receipts_topic)},
           .sources = &impl_->sources,
           .rejections = impl_->rejections.get()}),
      "cannot create the consent event consumer"));
}

void ServiceRuntime::Own(std::string what, std::function<absl::Status()> start,
                         std::function<void()> stop) {
  impl_->parts.push_back({std::move(what), std::move(start), std::move(stop)});
}

void ServiceRuntime::Every(std::string what, std::chrono::milliseconds interval,
                           std::function<void()> task) {
  auto thread = std::make_shared<std::thread>();
  Impl* s = impl_.get();
  Own(
      std::move(what),
      [s, thread, interval, task = std::move(task)]() {
        *thread = std::thread([s, interval, task] {
          do {
            task();
          } while (s->SleepUnlessStopping(interval));
        });
        return absl::OkStatus();
      },
      [thread] {
        if (thread->joinable()) thread->join();
      });
}

void ServiceRuntime::Announce(std::string key, std::string value) {
  impl_->announced.emplace_back(std::move(key), std::move(value));
}

void ServiceRuntime::AddReadinessCheck(std::string what, std::function<absl::Status()> check) {
  impl_->readiness_checks.emplace_back(std::move(what), std::move(check));
}

void ServiceRuntime::RequestStop() {
  std::lock_guard lock(impl_->stop_mu);
  impl_->stop_requested = true;
  // Not a kill: SIGTERM is blocked in every thread, and the serving thread waits for it in
  // sigwait, exactly as for a SIGTERM sent to the process.
  // NOLINTNEXTLINE(bugprone-bad-signal-to-kill-thread)
  if (impl_->serving) pthread_kill(impl_->serve_thread, SIGTERM);
}

int ServiceRuntime::Serve(const std::vector<rpc::UnaryService*>& services) {
  std::vector<grpc::Service*> plain;
  std::vector<std::string> names;
  for (rpc::UnaryService* s : services) {
    OrDie(s->Verify(), "the gRPC service cannot start");
    plain.push_back(s);
    names.push_back(s->full_name());
  }
  return Serve(std::move(plain), std::move(names));
}

int ServiceRuntime::Serve(std::vector<grpc::Service*> services,
                          std::vector<std::string> health_service_names) {
  Impl& s = *impl_;
  std::thread topic_thread;  // 8
  if (s.producer != nullptr)
    topic_thread = std::thread([&s] { s.CreateTopicsThenStartConsumers(); });
  for (Part& part : s.parts) OrDie(part.start(), StrCat("cannot start ", part.what));  // 9
  server::ServerRunner runner({.listen = config_.grpc_listen,                          // 10
                               .max_threads = config_.grpc_max_threads,
                               .drain_timeout = config_.drain_timeout,
                               .health_service_names = std::move(health_service_names),
                               .reflection = config_.grpc_reflection,
                               .credentials = s.grpc_credentials},
                              std::move(services), [&s]() -> absl::Status {
                                RETURN_IF_ERROR(s.pool->Ping());
                                if (s.producer != nullptr && !s.producer->BrokerReachable())
                                  return absl::UnavailableError("Kafka unreachable");
                                // Only an issuer without any usable key: cached keys keep
                                // working while its JWKS endpoint is down.
                                RETURN_IF_ERROR(s.verifier->Readiness());
                                for (const auto& [what, check] : s.readiness_checks) {
                                  if (absl::Status st = check(); !st.ok()) {
                                    return absl::UnavailableError(StrCat(what, ": ", st.message()));
                                  }
                                }
                                return absl::OkStatus();
                              });
  OrDie(runner.Start(), "cannot start the gRPC server");
  // Probes that cannot speak TLS (the kubelet's) get readiness and liveness over plain HTTP on
  // their own port; nothing else is served there.
  std::unique_ptr<http::Server> health_http;
  if (!config_.health_listen.empty()) {
    http::ServerOptions health_options;
    health_options.listen = config_.health_listen;
    health_options.name = "health probes";
    health_options.workers = 1;
    health_options.max_connections = 64;
    health_options.max_queued_requests = 16;
    health_options.max_body_bytes = 0;
    health_http = std::make_unique<http::Server>(
        std::move(health_options), [&runner](const http::Request& request) {
          if (request.path == "/healthz") {
            return runner.live() ? http::TextResponse(200, "ok\n")
                                 : http::TextResponse(503, "not serving\n");
          }
          if (request.path == "/readyz") {
            return runner.ready() ? http::TextResponse(200, "ready\n")
                                  : http::TextResponse(503, "not ready\n");
          }
          return http::TextResponse(404, "only /healthz and /readyz are served here\n");
        });
    OrDie(health_http->Start(), "cannot serve the health probes: set ADVOCACY_HEALTH_LISTEN");
    s.announced.emplace_back("health_port", std::to_string(health_http->port()));
  }
  std::vector<log::Field> fields = {{"grpc_port", std::to_string(runner.port())},
                                    {"metrics_port", std::to_string(s.metrics.port())}};
  for (const auto& [k, v] : s.announced) fields.emplace_back(k, v);
  log::Write(log::Severity::kInfo, StrCat(name(), " service started"), fields);

  s.WaitForStop();

  // Shutdown, in reverse.
  runner.Drain();
  if (health_http) health_http->Stop();
  s.SignalStop();
  std::for_each(s.parts.rbegin(), s.parts.rend(), [](Part& part) { part.stop(); });
  if (topic_thread.joinable()) topic_thread.join();
  s.StopKafka();
  log::Info(StrCat(name(), " service stopped"));
  // 1 after a fatal producer error (whatever stopped the service): the supervisor restarts it.
  return s.FatalKafkaClient().empty() ? 0 : 1;
}

}  // namespace advocacy::runtime
