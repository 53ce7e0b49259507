#pragma once

// The Kafka security of the bench tools, from the environment variables the services read
// (ADVOCACY_KAFKA_SECURITY_PROTOCOL, ADVOCACY_KAFKA_SSL_*, ADVOCACY_KAFKA_SASL_*; see
// config::ReadKafkaSecurity). The bench scripts give every tool the admin's settings
// (bench/lib.sh, bench_kafka_tools_env), so the tools measure the same secured broker the
// services use; against a stack started with ADVOCACY_KAFKA_SECURITY=off they are plaintext.

#include <cstdio>
#include <cstdlib>
#include <string>

#include "advocacy/common/config.h"
#include "advocacy/common/kafka_security.h"

namespace advocacy::bench {

// Read once; a bad setting ends the tool with status 2 and every problem listed.
inline const kafka::ClientSecurity& SecurityFromEnv() {
  static const kafka::ClientSecurity security = [] {
    config::EnvReader env;
    kafka::ClientSecurity s = config::ReadKafkaSecurity(env);
    if (const absl::Status st = env.Finish(); !st.ok()) {
      std::fprintf(stderr, "Kafka security settings:\n%s\n", std::string(st.message()).c_str());
      std::exit(2);
    }
    return s;
  }();
  return security;
}

}  // namespace advocacy::bench
