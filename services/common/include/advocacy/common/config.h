#pragma once

// Configuration comes only from environment variables. EnvReader collects every problem
// instead of stopping at the first, so an operator can fix a deployment in one pass.

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "advocacy/common/auth.h"

namespace advocacy::config {

class EnvReader final {
 public:
  // Reads from the process environment.
  EnvReader() = default;
  // Reads from a fixed set of values (tests).
  explicit EnvReader(std::vector<std::pair<std::string, std::string>> values);

  std::string Required(std::string_view name, bool secret = false);
  std::string Optional(std::string_view name, std::string_view fallback, bool secret = false);
  int64_t Int(std::string_view name, int64_t fallback, int64_t min, int64_t max);
  bool Bool(std::string_view name, bool fallback);
  std::chrono::milliseconds Millis(std::string_view name, std::chrono::milliseconds fallback,
                                   std::chrono::milliseconds min, std::chrono::milliseconds max);
  // A "host:port" listen or peer address.
  std::string Address(std::string_view name, std::string_view fallback);
  // Records a problem found by the caller's own cross-field checks.
  void AddError(std::string message);

  // OK, or InvalidArgument listing every problem, one per line.
  absl::Status Finish() const;
  // name=value pairs as read, secrets replaced by "<redacted>", for the one start-up log line.
  const std::vector<std::pair<std::string, std::string>>& effective() const { return effective_; }

 private:
  std::optional<std::string> Lookup(std::string_view name) const;

  bool use_process_env_ = true;
  std::vector<std::pair<std::string, std::string>> values_;
  std::vector<std::pair<std::string, std::string>> effective_;
  std::vector<std::string> errors_;
};

// Settings every service shares. Env names are in the service READMEs.
struct RuntimeConfig {
  std::string service_name;
  std::string grpc_listen;     // ADVOCACY_GRPC_LISTEN, default 0.0.0.0:50051
  std::string metrics_listen;  // ADVOCACY_METRICS_LISTEN, default 0.0.0.0:9464
  std::string redis_url;       // ADVOCACY_REDIS_URL (required)
  int redis_pool_size = 16;    // ADVOCACY_REDIS_POOL_SIZE
  std::string kafka_brokers;   // ADVOCACY_KAFKA_BROKERS (required)
  int kafka_partitions = 6;    // ADVOCACY_KAFKA_PARTITIONS, for topics the service creates
  int kafka_replication = 1;   // ADVOCACY_KAFKA_REPLICATION
  // ADVOCACY_KAFKA_SESSION_TIMEOUT_MS (6 s to 30 min; default 10 s): how long the consumer groups
  // wait for a member that stopped heartbeating (a killed pod) before its partitions move to
  // another. Heartbeats come from librdkafka's own thread, so slow handling does not count. The
  // librdkafka default (45 s) would leave a crashed replica's consent events unapplied that long.
  std::chrono::milliseconds kafka_session_timeout{10000};
  // librdkafka settings for every consumer of the service (session timeout and heartbeat).
  std::map<std::string, std::string> KafkaConsumerExtra() const;
  // Token verification (auth.h): the identity providers of ADVOCACY_AUTH_ISSUERS_FILE (JSON,
  // see auth_config.h), and/or the offline-development issuer: ADVOCACY_JWT_PUBLIC_KEY_FILE (a
  // PEM public key) with ADVOCACY_JWT_ISSUER. At least one of the two; checked with
  // auth::ValidateVerifierOptions. The runtime adds its metrics callbacks.
  auth::VerifierOptions auth;
  std::string jwt_issuer;    // ADVOCACY_JWT_ISSUER (empty without the development issuer)
  std::string jwt_audience;  // ADVOCACY_JWT_AUDIENCE, default "advocacy": the audience of the
                             // development issuer and of file issuers that name none
  std::string log_level;     // ADVOCACY_LOG_LEVEL, default info
  std::chrono::milliseconds drain_timeout{10000};  // ADVOCACY_DRAIN_TIMEOUT_MS
  int grpc_max_threads = 128;                      // ADVOCACY_GRPC_MAX_THREADS
  // Per service, named after it (CONSENT_, COURSES_, CONTENT_, NOTIFICATIONS_, ...):
  // <SERVICE>_TOPIC_RETENTION_MS (1 h .. 10 years, default 30 days): retention.ms of the topics
  // this service creates when they do not exist yet.
  std::chrono::milliseconds topic_retention{std::chrono::hours(24 * 30)};
  // <SERVICE>_OUTBOX_LEASE_MS (100 ms .. 10 min, default 3 s): an outbox entry not acknowledged
  // by Kafka within the lease is published again by whichever replica sweeps it.
  std::chrono::milliseconds outbox_lease{3000};
};

// Reads the shared settings through `env`; problems are recorded in it.
RuntimeConfig ReadRuntimeConfig(EnvReader& env, std::string service_name);

// Logs the effective configuration once, or prints every problem to stderr and exits with
// status 2 (bad configuration) when `status` is not OK.
void LogOrDie(const EnvReader& env, const absl::Status& status);

}  // namespace advocacy::config
