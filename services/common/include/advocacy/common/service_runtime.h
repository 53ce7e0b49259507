#pragma once

// The life of a service process, the same in every service. A service's main.cc reads its
// config, builds a ServiceRuntime, builds its own stores, managers and consumers on top of it,
// and calls Serve():
//
//   int main() {
//     config::EnvReader env;
//     const FooConfig cfg = ReadFooConfig(env);
//     runtime::ServiceRuntime rt(env, cfg.runtime);
//     RedisFooStore store(&rt.redis());
//     FooManager manager(&store, &rt.outbox(), ...);
//     rt.Consume("foo-bar", cfg.bar_topic, [&](const kafka::Message& m) { ... });
//     const auto service = FooGrpcService(&manager, rt.rpc());   // an rpc::UnaryService table
//     return rt.Serve({service.get()});
//   }
//
// Start-up happens in this order, and a failure at any step logs what to fix and ends the
// process (status 2 for configuration errors, every one listed; status 1 for the rest):
//   1. SIGTERM/SIGINT are blocked (before any thread starts, so Serve can wait for them);
//   2. JSON logging at ADVOCACY_LOG_LEVEL; the effective configuration is logged once;
//   3. the Redis pool (ADVOCACY_REDIS_URL); no connection is opened yet;
//   4. the token verifier (ADVOCACY_AUTH_ISSUERS_FILE, ADVOCACY_JWT_*), its metrics
//      (auth_metrics.h), and one key refresher thread per JWKS issuer;
//   5. the metrics endpoint (ADVOCACY_METRICS_LISTEN);
//   6. the idempotent Kafka producer;
//   7. the outbox relay (fast path and sweep);
//   (6 and 7 only for a service that uses Kafka: config::RuntimeNeeds; the gateway does not, and
//   calling producer(), outbox(), DeclareTopics or Consume* there is a programming error);
// then, from the service's own code: DeclareTopics, Consume/ConsumeConsentView, Own/Every; and
// Serve():
//   8. topics: a background thread creates the declared topics that do not exist, retrying every
//      5 s while Kafka is unreachable (the service serves meanwhile: events wait in the outbox);
//      once they all exist it starts the consumers (librdkafka notices a topic created after it
//      subscribed only at its next full metadata refresh, minutes later);
//   9. the owned parts (HTTP endpoints, dispatchers, monitors, periodic tasks), in order;
//  10. the gRPC server: the standard health service, with readiness SERVING only while Redis
//      answers, a Kafka broker is reachable, every token issuer has a usable key (keys once
//      loaded stay usable while the issuer's JWKS endpoint is down) and the service's own
//      checks pass (AddReadinessCheck), the `liveness` name,
//      reflection (when configured), bounded threads.
// Shutdown, on SIGTERM/SIGINT (or RequestStop), in reverse: the gRPC server reports NOT_SERVING
// and drains (ADVOCACY_DRAIN_TIMEOUT_MS); the owned parts stop in reverse order; topic creation
// stops (one stop signal for every background loop); the consumers stop and commit; the relay
// stops; the producer flushes for up to 5 s. Serve returns 0, or 1 when the shutdown was caused
// by a fatal error of the producer (which can never produce again): main returns it, and the
// supervisor (Kubernetes, run.sh's restart) starts the process afresh.

#include <grpcpp/grpcpp.h>

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "advocacy/common/config.h"
#include "advocacy/common/consent_view.h"
#include "advocacy/common/kafka.h"
#include "advocacy/common/rpc.h"
#include "advocacy/common/unary_service.h"

namespace advocacy::redis {
class Pool;
}
namespace advocacy::outbox {
class Notifier;
}

namespace advocacy::runtime {

// Logs `what` failed and why, and ends the process with status 1. For start-up failures an
// operator fixes (a port in use, a key that cannot be read), never for request errors.
[[noreturn]] void Die(std::string_view what, const absl::Status& status);

inline void OrDie(const absl::Status& status, std::string_view what) {
  if (!status.ok()) Die(what, status);
}
template <typename T>
T OrDie(absl::StatusOr<T> value, std::string_view what) {
  if (!value.ok()) Die(what, value.status());
  return *std::move(value);
}

// How a service's consent view is fed (see consent_view.h).
struct ConsentViewFeed {
  std::string topic;           // the consent service's topic
  std::string group_id;        // this service's consumer group on it
  std::string receipts_topic;  // where a ConsentApplied receipt goes after each applied change
  // Called after a withdrawal was applied; the service cancels pending work there.
  std::function<absl::Status(const consent_view::ApplyResult&)> on_withdrawn;
};

class ServiceRuntime final {
 public:
  // Steps 1-7 above. `env` must hold every value the service read (its Finish() is checked
  // here); `config` is the shared part of the service's config.
  ServiceRuntime(config::EnvReader& env, config::RuntimeConfig config);
  ~ServiceRuntime();
  ServiceRuntime(const ServiceRuntime&) = delete;
  ServiceRuntime& operator=(const ServiceRuntime&) = delete;

  const config::RuntimeConfig& config() const { return config_; }
  const std::string& name() const { return config_.service_name; }
  redis::Pool& redis();
  metrics::Metrics& metrics();
  kafka::Producer& producer();
  // The outbox relay: managers notify it right after a script committed an entry.
  outbox::Notifier& outbox();
  // What the gRPC adapters need: the token verifier and the metrics.
  rpc::Runtime rpc() const;

  // Topics this service writes to: created (ADVOCACY_KAFKA_PARTITIONS,
  // ADVOCACY_KAFKA_REPLICATION, <SERVICE>_TOPIC_RETENTION_MS, cleanup.policy=delete) when they
  // do not exist. Topics of consumers are declared by Consume.
  void DeclareTopics(const std::vector<std::string>& names);

  // A consumer in group `group_id` of `topic`, with its dead-letter topic
  // kafka::DeadLetterTopic(topic, name()); both topics are declared. At-least-once, in partition
  // order; the handler contract is kafka::Handler's.
  // Trust (event_trust.h): a message whose ce_source the source table (ADVOCACY_EVENT_SOURCES
  // over the defaults) does not allow for `topic` never reaches the handler and is dead-lettered;
  // that and every rejection the handler returns (event_trust::Reject: key, sequence) are counted
  // in advocacy_kafka_rejected_events_total. A topic the table does not name ends the process
  // with status 2 (nobody would be trusted to produce it).
  void Consume(std::string group_id, std::string topic, kafka::Handler handler);
  // The same for a handler that finishes messages later (kafka::DeferredHandler).
  void ConsumeDeferred(std::string group_id, std::string topic, kafka::DeferredHandler handler);
  // Feeds `view` from the consent topic, with receipts (consent_view::ConsentViewConsumer), with
  // the same source table and rejection count. The consent topic, the receipts topic and the
  // dead-letter topic are declared.
  void ConsumeConsentView(consent_view::ConsentView* view, ConsentViewFeed feed);

  // A part with a life of its own: `start` runs in Serve (step 9), in the order parts were
  // added; `stop` runs after the gRPC drain, in reverse order. A failing start ends the
  // process, naming `what`.
  void Own(std::string what, std::function<absl::Status()> start, std::function<void()> stop);
  // The same for an object with Start() (returning void or absl::Status) and Stop().
  template <typename Part>
  void Own(std::string what, Part* part) {
    Own(
        std::move(what),
        [part]() -> absl::Status {
          if constexpr (std::is_void_v<decltype(part->Start())>) {
            part->Start();
            return absl::OkStatus();
          } else {
            return part->Start();
          }
        },
        [part] { part->Stop(); });
  }
  // Runs `task` at once in Serve and then every `interval` until shutdown, on its own thread.
  void Every(std::string what, std::chrono::milliseconds interval, std::function<void()> task);
  // A field of the "<service> service started" log line, e.g. the port an HTTP endpoint bound
  // ({"link_port", "8080"}). Call from an owned part's start.
  void Announce(std::string key, std::string value);
  // One more condition of readiness (step 10), e.g. "a token for the consent service". `check`
  // runs on every health check: it must be cheap and do no I/O. Call before Serve.
  void AddReadinessCheck(std::string what, std::function<absl::Status()> check);

  // Steps 8-10, then waits for SIGTERM/SIGINT (or RequestStop) and shuts down in order.
  // Returns the process's exit status. Each service's table is verified against its proto first
  // (UnaryService::Verify; a mismatch ends the process), and its name is a health service name
  // that follows readiness.
  int Serve(const std::vector<rpc::UnaryService*>& services);
  // The same for services of any kind, with the health names given.
  int Serve(std::vector<grpc::Service*> services, std::vector<std::string> health_service_names);
  // Makes Serve return as after SIGTERM (tests). Thread-safe; before Serve, Serve returns at
  // once after starting.
  void RequestStop();

 private:
  // Aborts (a programming error) when the service asked for `what` but declared it uses no Kafka.
  void RequireKafka(std::string_view what) const;
  // Ends the process (status 2) when the source table names no producer of `topic`; declares
  // its rejection series.
  void TrustProducersOf(const std::string& topic);

  struct Impl;
  std::unique_ptr<Impl> impl_;
  config::RuntimeConfig config_;
};

}  // namespace advocacy::runtime
