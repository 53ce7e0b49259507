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
#include "advocacy/common/grpc_tls.h"
#include "advocacy/common/http_server.h"
#include "advocacy/common/kafka_security.h"

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
  // The service's own Redis ACL user: ADVOCACY_REDIS_USERNAME, and its password read from the
  // file ADVOCACY_REDIS_PASSWORD_FILE (a mounted Secret; trailing newline ignored). Both
  // optional; when set they replace the user info of the URL.
  std::string redis_username;
  std::string redis_password;
  // TLS to Redis, for a rediss:// ADVOCACY_REDIS_URL only (ignored otherwise):
  // ADVOCACY_REDIS_TLS_CA_FILE (the CA bundle the server's certificate must chain to; empty: the
  // system's trusted CAs), ADVOCACY_REDIS_TLS_CERT_FILE + ADVOCACY_REDIS_TLS_KEY_FILE (a client
  // certificate, when the server asks for one), ADVOCACY_REDIS_TLS_SERVER_NAME (the name the
  // server's certificate must carry; default the URL's host). Files must be readable at start.
  std::string redis_tls_ca_file;
  std::string redis_tls_cert_file;
  std::string redis_tls_key_file;
  std::string redis_tls_server_name;
  // ADVOCACY_KAFKA_BROKERS (required), or empty for a service that uses no Kafka (RuntimeNeeds):
  // then no producer, no outbox relay and no consumer exist, and readiness does not ask for a
  // broker.
  std::string kafka_brokers;
  int kafka_partitions = 6;   // ADVOCACY_KAFKA_PARTITIONS, for topics the service creates
  int kafka_replication = 1;  // ADVOCACY_KAFKA_REPLICATION
  // ADVOCACY_KAFKA_SESSION_TIMEOUT_MS (6 s to 30 min; default 10 s): how long the consumer groups
  // wait for a member that stopped heartbeating (a killed pod) before its partitions move to
  // another. Heartbeats come from librdkafka's own thread, so slow handling does not count. The
  // librdkafka default (45 s) would leave a crashed replica's consent events unapplied that long.
  std::chrono::milliseconds kafka_session_timeout{10000};
  // How every Kafka client of the service authenticates (ReadKafkaSecurity below).
  kafka::ClientSecurity kafka_security;
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
  bool grpc_reflection = false;                    // ADVOCACY_GRPC_REFLECTION (server.h)
  // TLS of the gRPC server and of the service's outgoing channels (ReadGrpcTls below).
  grpc_tls::Settings grpc_tls;
  // ADVOCACY_HEALTH_LISTEN (host:port; empty, the default: off): a plain-HTTP endpoint with
  // GET /healthz (the process serves gRPC) and GET /readyz (the gRPC health service's ""
  // status), for probes that cannot speak TLS (the kubelet's). It serves nothing else.
  std::string health_listen;
  // Per service, named after it (CONSENT_, COURSES_, CONTENT_, NOTIFICATIONS_, ...):
  // <SERVICE>_TOPIC_RETENTION_MS (1 h .. 10 years, default 30 days): retention.ms of the topics
  // this service creates when they do not exist yet.
  std::chrono::milliseconds topic_retention{std::chrono::hours(24 * 30)};
  // <SERVICE>_OUTBOX_LEASE_MS (100 ms .. 10 min, default 3 s): an outbox entry not acknowledged
  // by Kafka within the lease is published again by whichever replica sweeps it.
  std::chrono::milliseconds outbox_lease{3000};
  // ADVOCACY_EVENT_SOURCES: entries that replace or add to the table of which ce_source may
  // produce which topic ("topic=source|source;topic=source"; event_trust::SourcePolicy). Empty:
  // the defaults. Checked at start.
  std::string event_sources;
  // ADVOCACY_CONSENT_MAX_SEQUENCE_GAP (1 .. 1e9, default 1000): a consent event whose sequence is
  // more than this above the highest one the consent view applied for the employee is
  // dead-lettered, not applied (consent_view.h says why this bound).
  int64_t consent_max_sequence_gap = 1000;
  // The topics this service owns and its outbox relay may publish (set by the service's own
  // config from its topic settings); an outbox entry naming any other topic is refused.
  std::vector<std::string> published_topics;
};

// What of the shared infrastructure a service uses. Every service uses Redis and verifies
// tokens; only the edge (the gateway) has no events to produce or consume.
struct RuntimeNeeds {
  bool kafka = true;  // false: the ADVOCACY_KAFKA_* and <SERVICE>_OUTBOX_* settings are not read
};

// Reads the shared settings through `env`; problems are recorded in it.
RuntimeConfig ReadRuntimeConfig(EnvReader& env, std::string service_name, RuntimeNeeds needs = {});

// The listen address and limits of a plain-HTTP endpoint (advocacy::http::ServerOptions), from
// <PREFIX>_LISTEN (default `default_listen`), <PREFIX>_MAX_CONNECTIONS (1..1,000,000, default
// 4096), <PREFIX>_MAX_CONNECTIONS_PER_CLIENT (0 = off ..1,000,000, default 64),
// <PREFIX>_READ_TIMEOUT_MS and <PREFIX>_WRITE_TIMEOUT_MS (100 ms..10 min, default 5 s),
// <PREFIX>_WORKERS (1..256, default 8), <PREFIX>_MAX_QUEUED (0..100,000, default 256),
// <PREFIX>_IDLE_TIMEOUT_MS (keep-alive: 0 = off ..10 min, default off) and
// <PREFIX>_MAX_REQUESTS_PER_CONNECTION (1..1,000,000, default 1000); an endpoint with other
// defaults passes them in `defaults`. max_body_bytes and name are left at
// `defaults`' for the endpoint to set.
http::ServerOptions ReadHttpServerOptions(EnvReader& env, std::string_view prefix,
                                          std::string_view default_listen,
                                          const http::ServerOptions& defaults = {});

// The Kafka client security settings (kafka_security.h), every problem recorded in `env` with
// the variable's name:
//   ADVOCACY_KAFKA_SECURITY_PROTOCOL   SASL_SSL (default) | SSL | PLAINTEXT (only when set so)
//   ADVOCACY_KAFKA_SASL_MECHANISM      SCRAM-SHA-512 (default) | SCRAM-SHA-256   (SASL_SSL)
//   ADVOCACY_KAFKA_SASL_USERNAME       the service's principal                   (SASL_SSL)
//   ADVOCACY_KAFKA_SASL_PASSWORD_FILE  a file holding its password               (SASL_SSL)
//   ADVOCACY_KAFKA_SSL_CA_FILE         PEM CAs for the broker's certificate (default: the
//                                      system trust store)
//   ADVOCACY_KAFKA_SSL_CERT_FILE / ADVOCACY_KAFKA_SSL_KEY_FILE  client certificate and key
//                                      (required with SSL, optional with SASL_SSL)
//   ADVOCACY_KAFKA_SSL_KEY_PASSWORD_FILE  a file holding the key's password, if it has one
// Every file must be readable at start; a password file must hold one non-empty line (a
// trailing newline is dropped). Only file paths reach the effective configuration log line.
// With PLAINTEXT, any of the other variables being set is an error: a deployment that meant to
// authenticate must not silently run without.
kafka::ClientSecurity ReadKafkaSecurity(EnvReader& env);

// The gRPC TLS settings (grpc_tls.h), every problem recorded in `env` with the variable's name:
//   ADVOCACY_GRPC_TLS                  on (default) | off: plaintext, only when set so (logged
//                                      as a warning at start)
//   ADVOCACY_GRPC_TLS_CERT_FILE        the certificate chain (PEM)          (required when on)
//   ADVOCACY_GRPC_TLS_KEY_FILE         its private key (PEM, unencrypted)   (required when on)
//   ADVOCACY_GRPC_TLS_CLIENT_CA_FILE   CAs (PEM) that sign client certificates (mutual TLS)
//   ADVOCACY_GRPC_TLS_CLIENT_AUTH      none | optional | require (default: require with a client
//                                      CA file, none without)
//   ADVOCACY_GRPC_TLS_CA_FILE          CAs (PEM) that sign the servers this service calls
//                                      (default: the system's trust store)
//   ADVOCACY_GRPC_TLS_RELOAD_SECONDS   how often the files are read again (1..3600, default 60)
// The files are checked at start (grpc_tls::CheckFiles). With off the other variables are not
// read; the service logs a warning that it serves plaintext.
grpc_tls::Settings ReadGrpcTls(EnvReader& env);

// Logs the effective configuration once, or prints every problem to stderr and exits with
// status 2 (bad configuration) when `status` is not OK.
void LogOrDie(const EnvReader& env, const absl::Status& status);

}  // namespace advocacy::config
