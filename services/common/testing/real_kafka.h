#pragma once

// The real broker of the local stack, for the few unit tests that need one (librdkafka 2.0.2's
// mock cluster lacks CreateTopics): ADVOCACY_TEST_KAFKA_BROKERS (set by deploy/local/test.sh),
// reached as the stack's admin principal when the stack runs with Kafka security (its stack.env:
// ADVOCACY_KAFKA_SECURITY_PROTOCOL=SSL, ADVOCACY_KAFKA_SSL_CA_FILE,
// ADVOCACY_KAFKA_CREDENTIALS_DIR). The admin may create the tests' own topics.

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "advocacy/common/kafka_security.h"

namespace advocacy::testing {

struct RealKafka {
  std::string brokers;
  kafka::ClientSecurity security;
  // The same as environment variables for config::EnvReader (ADVOCACY_KAFKA_BROKERS and the
  // ADVOCACY_KAFKA_SECURITY_PROTOCOL / ADVOCACY_KAFKA_SSL_* of the admin).
  std::vector<std::pair<std::string, std::string>> env;
};

// Empty when ADVOCACY_TEST_KAFKA_BROKERS is not set (the test skips).
std::optional<RealKafka> RealKafkaFromEnv();

}  // namespace advocacy::testing
