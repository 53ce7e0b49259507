#include "testing/real_kafka.h"

#include <cstdlib>
#include <string>

namespace advocacy::testing {
namespace {

std::string Get(const char* name) {
  const char* v = std::getenv(name);
  return v == nullptr ? "" : v;
}

}  // namespace

std::optional<RealKafka> RealKafkaFromEnv() {
  RealKafka k;
  k.brokers = Get("ADVOCACY_TEST_KAFKA_BROKERS");
  if (k.brokers.empty()) return std::nullopt;
  k.env.emplace_back("ADVOCACY_KAFKA_BROKERS", k.brokers);
  if (Get("ADVOCACY_KAFKA_SECURITY_PROTOCOL") != "SSL") {
    k.env.emplace_back("ADVOCACY_KAFKA_SECURITY_PROTOCOL", "PLAINTEXT");
    return k;
  }
  const std::string dir = Get("ADVOCACY_KAFKA_CREDENTIALS_DIR");
  k.security = {.protocol = kafka::SecurityProtocol::kSsl,
                .ca_file = Get("ADVOCACY_KAFKA_SSL_CA_FILE"),
                .cert_file = dir + "/admin.pem",
                .key_file = dir + "/admin.key"};
  k.env.emplace_back("ADVOCACY_KAFKA_SECURITY_PROTOCOL", "SSL");
  k.env.emplace_back("ADVOCACY_KAFKA_SSL_CA_FILE", k.security.ca_file);
  k.env.emplace_back("ADVOCACY_KAFKA_SSL_CERT_FILE", k.security.cert_file);
  k.env.emplace_back("ADVOCACY_KAFKA_SSL_KEY_FILE", k.security.key_file);
  return k;
}

}  // namespace advocacy::testing
