#include "advocacy/common/config.h"

#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <optional>
#include <sstream>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "advocacy/common/auth_config.h"
#include "advocacy/common/event_trust.h"
#include "advocacy/common/logging.h"
#include "advocacy/common/strings.h"

namespace advocacy::config {

EnvReader::EnvReader(std::vector<std::pair<std::string, std::string>> values)
    : use_process_env_(false), values_(std::move(values)) {}

std::optional<std::string> EnvReader::Lookup(std::string_view name) const {
  if (use_process_env_) {
    const char* v = std::getenv(std::string(name).c_str());
    if (v == nullptr || *v == '\0') return std::nullopt;
    return std::string(v);
  }
  for (const auto& [k, v] : values_) {
    if (k == name && !v.empty()) return v;
  }
  return std::nullopt;
}

std::string EnvReader::Required(std::string_view name, bool secret) {
  const std::optional<std::string> v = Lookup(name);
  if (!v.has_value()) {
    errors_.push_back(advocacy::StrCat(name, " is required but not set"));
    return "";
  }
  effective_.emplace_back(std::string(name), secret ? "<redacted>" : *v);
  return *v;
}

std::string EnvReader::Optional(std::string_view name, std::string_view fallback, bool secret) {
  const std::optional<std::string> v = Lookup(name);
  std::string value = v.has_value() ? *v : std::string(fallback);
  effective_.emplace_back(std::string(name), secret && !value.empty() ? "<redacted>" : value);
  return value;
}

int64_t EnvReader::Int(std::string_view name, int64_t fallback, int64_t min, int64_t max) {
  const std::optional<std::string> v = Lookup(name);
  int64_t value = fallback;
  if (v.has_value() && !absl::SimpleAtoi(*v, &value)) {
    errors_.push_back(advocacy::StrCat(name, "='", *v, "' is not a whole number"));
    return fallback;
  }
  if (value < min || value > max) {
    errors_.push_back(
        advocacy::StrCat(name, "=", value, " is out of range [", min, ", ", max, "]"));
    return fallback;
  }
  effective_.emplace_back(std::string(name), std::to_string(value));
  return value;
}

bool EnvReader::Bool(std::string_view name, bool fallback) {
  const std::optional<std::string> v = Lookup(name);
  bool value = fallback;
  if (v.has_value()) {
    const std::string lower = absl::AsciiStrToLower(*v);
    if (lower == "1" || lower == "true" || lower == "yes") {
      value = true;
    } else if (lower == "0" || lower == "false" || lower == "no") {
      value = false;
    } else {
      errors_.push_back(advocacy::StrCat(name, "='", *v, "' must be true or false"));
    }
  }
  effective_.emplace_back(std::string(name), value ? "true" : "false");
  return value;
}

std::chrono::milliseconds EnvReader::Millis(std::string_view name,
                                            std::chrono::milliseconds fallback,
                                            std::chrono::milliseconds min,
                                            std::chrono::milliseconds max) {
  return std::chrono::milliseconds(Int(name, fallback.count(), min.count(), max.count()));
}

std::string EnvReader::Address(std::string_view name, std::string_view fallback) {
  std::string value = Optional(name, fallback);
  const auto colon = value.rfind(':');
  int port = -1;
  if (colon == std::string::npos || colon == 0 ||
      !absl::SimpleAtoi(value.substr(colon + 1), &port) || port < 0 || port > 65535) {
    errors_.push_back(
        advocacy::StrCat(name, "='", value, "' must be host:port with a port 0-65535"));
  }
  return value;
}

void EnvReader::AddError(std::string message) { errors_.push_back(std::move(message)); }

absl::Status EnvReader::Finish() const {
  if (errors_.empty()) return absl::OkStatus();
  return absl::InvalidArgumentError(absl::StrJoin(errors_, "\n"));
}

std::map<std::string, std::string> RuntimeConfig::KafkaConsumerExtra() const {
  // A heartbeat a third of the session, at most librdkafka's default 3 s.
  const int64_t heartbeat = std::min<int64_t>(3000, kafka_session_timeout.count() / 3);
  return {{"session.timeout.ms", std::to_string(kafka_session_timeout.count())},
          {"heartbeat.interval.ms", std::to_string(heartbeat)}};
}

namespace {

// The content of the file named by `name` (empty when unset), without trailing CR/LF. Problems
// are recorded in `env` without the content. At most 4 KiB: a secret, not a document.
std::string ReadSecretFile(EnvReader& env, const std::string& name) {
  const std::string path = env.Optional(name, "");
  if (path.empty()) return "";
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    env.AddError(advocacy::StrCat(name, "='", path, "' cannot be read"));
    return "";
  }
  std::string secret(4097, '\0');
  in.read(secret.data(), static_cast<std::streamsize>(secret.size()));
  secret.resize(static_cast<size_t>(in.gcount()));
  while (!secret.empty() && (secret.back() == '\n' || secret.back() == '\r')) secret.pop_back();
  if (secret.size() > 4096) env.AddError(advocacy::StrCat(name, "='", path, "' is over 4 KiB"));
  if (secret.empty()) env.AddError(advocacy::StrCat(name, "='", path, "' is empty"));
  return secret;
}

// Reads a configuration file of at most 1 MiB; nullopt (and an error naming `variable`) if it
// cannot be read.
std::optional<std::string> ReadSmallFile(EnvReader& env, std::string_view variable,
                                         const std::string& path, std::string_view what) {
  constexpr size_t kMaxBytes = size_t{1024} * 1024;
  std::ifstream in(path, std::ios::binary);
  std::string text(kMaxBytes + 1, '\0');
  in.read(text.data(), static_cast<std::streamsize>(text.size()));
  if (!in && !in.eof()) {
    env.AddError(
        advocacy::StrCat(variable, "='", path, "' cannot be read: mount ", what, " there"));
    return std::nullopt;
  }
  text.resize(static_cast<size_t>(in.gcount()));
  if (text.size() > kMaxBytes) {
    env.AddError(advocacy::StrCat(variable, "='", path, "' is larger than 1 MiB"));
    return std::nullopt;
  }
  return text;
}

void AddErrorLines(EnvReader& env, std::string_view prefix, const absl::Status& status) {
  if (status.ok()) return;
  for (absl::string_view line : absl::StrSplit(status.message(), '\n')) {
    env.AddError(advocacy::StrCat(prefix, std::string_view(line.data(), line.size())));
  }
}

// The token issuers: the issuers file, the development key, or both (e.g. while moving from one
// to the other).
void ReadAuthConfig(EnvReader& env, RuntimeConfig& c) {
  c.jwt_audience = env.Optional("ADVOCACY_JWT_AUDIENCE", "advocacy");
  const std::string issuers_file = env.Optional("ADVOCACY_AUTH_ISSUERS_FILE", "");
  const std::string key_file = env.Optional("ADVOCACY_JWT_PUBLIC_KEY_FILE", "");
  c.jwt_issuer = env.Optional("ADVOCACY_JWT_ISSUER", "");
  if (issuers_file.empty() && key_file.empty() && c.jwt_issuer.empty()) {
    env.AddError(
        "no token issuer is configured: set ADVOCACY_AUTH_ISSUERS_FILE (the organization's "
        "identity providers), or ADVOCACY_JWT_PUBLIC_KEY_FILE and ADVOCACY_JWT_ISSUER (offline "
        "development)");
    return;
  }
  bool readable = true;
  if (!issuers_file.empty()) {
    const std::optional<std::string> text =
        ReadSmallFile(env, "ADVOCACY_AUTH_ISSUERS_FILE", issuers_file, "the issuers file (JSON)");
    readable = text.has_value();
    if (text) {
      AddErrorLines(env, "ADVOCACY_AUTH_ISSUERS_FILE: ",
                    auth::ParseIssuersFile(*text, c.jwt_audience, &c.auth));
    }
  }
  if (!key_file.empty() || !c.jwt_issuer.empty()) {
    if (key_file.empty() || c.jwt_issuer.empty()) {
      env.AddError(
          "ADVOCACY_JWT_PUBLIC_KEY_FILE and ADVOCACY_JWT_ISSUER go together (the development "
          "issuer and its public key); set both or neither");
      return;
    }
    const std::optional<std::string> pem = ReadSmallFile(env, "ADVOCACY_JWT_PUBLIC_KEY_FILE",
                                                         key_file, "the issuer's public key (PEM)");
    readable = readable && pem.has_value();
    c.auth.public_key_pem = pem.value_or("");
    c.auth.issuer = c.jwt_issuer;
    c.auth.audience = c.jwt_audience;
  }
  if (readable) AddErrorLines(env, "", auth::ValidateVerifierOptions(c.auth));
}

// TLS to Redis: the files must be readable now (a typo is found at start, not at the first
// connect); the client reads them again at every connect, so rotated files are picked up.
void ReadRedisTls(EnvReader& env, RuntimeConfig& c) {
  const auto file = [&env](const char* name) {
    std::string path = env.Optional(name, "");
    if (!path.empty() && ::access(path.c_str(), R_OK) != 0) {
      env.AddError(advocacy::StrCat(name, "='", path, "' cannot be read: ", std::strerror(errno)));
    }
    return path;
  };
  c.redis_tls_ca_file = file("ADVOCACY_REDIS_TLS_CA_FILE");
  c.redis_tls_cert_file = file("ADVOCACY_REDIS_TLS_CERT_FILE");
  c.redis_tls_key_file = file("ADVOCACY_REDIS_TLS_KEY_FILE");
  c.redis_tls_server_name = env.Optional("ADVOCACY_REDIS_TLS_SERVER_NAME", "");
  if (c.redis_tls_cert_file.empty() != c.redis_tls_key_file.empty()) {
    env.AddError(
        "ADVOCACY_REDIS_TLS_CERT_FILE and ADVOCACY_REDIS_TLS_KEY_FILE go together (a client "
        "certificate and its key); set both or neither");
  }
}

// The Kafka part of the shared settings.
void ReadKafkaRuntime(EnvReader& env, RuntimeConfig& c) {
  c.kafka_brokers = env.Required("ADVOCACY_KAFKA_BROKERS");
  c.kafka_partitions = static_cast<int>(env.Int("ADVOCACY_KAFKA_PARTITIONS", 6, 1, 1000));
  c.kafka_replication = static_cast<int>(env.Int("ADVOCACY_KAFKA_REPLICATION", 1, 1, 7));
  // The broker refuses sessions outside group.min/max.session.timeout.ms (6 s and 30 min by
  // default).
  c.kafka_session_timeout =
      env.Millis("ADVOCACY_KAFKA_SESSION_TIMEOUT_MS", std::chrono::seconds(10),
                 std::chrono::seconds(6), std::chrono::minutes(30));
  c.kafka_security = ReadKafkaSecurity(env);
}

}  // namespace

RuntimeConfig ReadRuntimeConfig(EnvReader& env, std::string service_name, RuntimeNeeds needs) {
  RuntimeConfig c;
  c.service_name = std::move(service_name);
  c.grpc_listen = env.Address("ADVOCACY_GRPC_LISTEN", "0.0.0.0:50051");
  c.metrics_listen = env.Address("ADVOCACY_METRICS_LISTEN", "0.0.0.0:9464");
  c.redis_url = env.Required("ADVOCACY_REDIS_URL", /*secret=*/true);
  c.redis_pool_size = static_cast<int>(env.Int("ADVOCACY_REDIS_POOL_SIZE", 16, 1, 1024));
  c.redis_username = env.Optional("ADVOCACY_REDIS_USERNAME", "");
  c.redis_password = ReadSecretFile(env, "ADVOCACY_REDIS_PASSWORD_FILE");
  if (absl::StartsWithIgnoreCase(c.redis_url, "rediss://")) ReadRedisTls(env, c);
  if (needs.kafka) ReadKafkaRuntime(env, c);
  ReadAuthConfig(env, c);
  c.log_level = env.Optional("ADVOCACY_LOG_LEVEL", "info");
  log::Severity sev{};
  if (!log::ParseSeverity(c.log_level, &sev)) {
    env.AddError(advocacy::StrCat("ADVOCACY_LOG_LEVEL='", c.log_level,
                                  "' must be one of debug, info, warning, error"));
  }
  c.drain_timeout = env.Millis("ADVOCACY_DRAIN_TIMEOUT_MS", std::chrono::milliseconds(10000),
                               std::chrono::milliseconds(0), std::chrono::milliseconds(300000));
  c.grpc_max_threads = static_cast<int>(env.Int("ADVOCACY_GRPC_MAX_THREADS", 128, 4, 4096));
  c.grpc_reflection = env.Bool("ADVOCACY_GRPC_REFLECTION", false);
  c.grpc_tls = ReadGrpcTls(env);
  c.health_listen = env.Optional("ADVOCACY_HEALTH_LISTEN", "");
  if (int port = -1;
      !c.health_listen.empty() &&
      (c.health_listen.rfind(':') == std::string::npos || c.health_listen.rfind(':') == 0 ||
       !absl::SimpleAtoi(c.health_listen.substr(c.health_listen.rfind(':') + 1), &port) ||
       port < 0 || port > 65535)) {
    env.AddError(advocacy::StrCat("ADVOCACY_HEALTH_LISTEN='", c.health_listen,
                                  "' must be host:port with a port 0-65535, or empty (off)"));
  }
  if (!needs.kafka) return c;
  std::string prefix;
  for (char ch : c.service_name) {
    prefix.push_back(static_cast<char>(std::toupper(static_cast<unsigned char>(ch))));
  }
  using std::chrono::hours;
  using std::chrono::milliseconds;
  c.topic_retention = env.Millis(advocacy::StrCat(prefix, "_TOPIC_RETENTION_MS"), hours(24 * 30),
                                 hours(1), hours(24 * 3650));
  c.outbox_lease = env.Millis(advocacy::StrCat(prefix, "_OUTBOX_LEASE_MS"), milliseconds(3000),
                              milliseconds(100), milliseconds(600000));
  c.event_sources = env.Optional("ADVOCACY_EVENT_SOURCES", "");
  if (auto policy = event_trust::SourcePolicy::WithOverrides(c.event_sources); !policy.ok()) {
    env.AddError(advocacy::StrCat("ADVOCACY_EVENT_SOURCES: ", policy.status().message(),
                                  " (format: topic=source|source;topic=source)"));
  }
  c.consent_max_sequence_gap = env.Int("ADVOCACY_CONSENT_MAX_SEQUENCE_GAP", 1000, 1, 1'000'000'000);
  return c;
}

http::ServerOptions ReadHttpServerOptions(EnvReader& env, std::string_view prefix,
                                          std::string_view default_listen,
                                          const http::ServerOptions& defaults) {
  using std::chrono::milliseconds;
  const auto name = [prefix](std::string_view suffix) {
    return advocacy::StrCat(prefix, "_", suffix);
  };
  http::ServerOptions o = defaults;
  o.listen = env.Address(name("LISTEN"), default_listen);
  o.max_connections = static_cast<size_t>(
      env.Int(name("MAX_CONNECTIONS"), static_cast<int64_t>(defaults.max_connections), 1, 1000000));
  o.max_connections_per_client = static_cast<size_t>(
      env.Int(name("MAX_CONNECTIONS_PER_CLIENT"),
              static_cast<int64_t>(defaults.max_connections_per_client), 0, 1000000));
  o.read_timeout = env.Millis(name("READ_TIMEOUT_MS"), defaults.read_timeout, milliseconds(100),
                              milliseconds(600000));
  o.write_timeout = env.Millis(name("WRITE_TIMEOUT_MS"), defaults.write_timeout, milliseconds(100),
                               milliseconds(600000));
  o.workers =
      static_cast<size_t>(env.Int(name("WORKERS"), static_cast<int64_t>(defaults.workers), 1, 256));
  o.max_queued_requests = static_cast<size_t>(
      env.Int(name("MAX_QUEUED"), static_cast<int64_t>(defaults.max_queued_requests), 0, 100000));
  o.idle_timeout = env.Millis(name("IDLE_TIMEOUT_MS"), defaults.idle_timeout, milliseconds(0),
                              milliseconds(600000));
  o.max_requests_per_connection = static_cast<size_t>(
      env.Int(name("MAX_REQUESTS_PER_CONNECTION"),
              static_cast<int64_t>(defaults.max_requests_per_connection), 1, 1000000));
  return o;
}

void LogOrDie(const EnvReader& env, const absl::Status& status) {
  if (!status.ok()) {
    std::fprintf(stderr,
                 "configuration error:\n%s\nfix the environment variables above and start again\n",
                 std::string(status.message()).c_str());
    std::exit(2);
  }
  std::string joined;
  for (const auto& [k, v] : env.effective())
    advocacy::StrAppend(&joined, joined.empty() ? "" : " ", k, "=", v);
  log::Info("effective configuration", {{"config", joined}});
}

}  // namespace advocacy::config
