#pragma once

#include <chrono>
#include <string>

#include "advocacy/common/config.h"

namespace advocacy::consent {

struct ConsentConfig {
  config::RuntimeConfig runtime;
  std::string topic;                           // CONSENT_TOPIC, default advocacy.consent.v1
  std::chrono::milliseconds idempotency_ttl;   // CONSENT_IDEMPOTENCY_TTL_MS, default 24 h
  std::chrono::milliseconds topic_retention;   // CONSENT_TOPIC_RETENTION_MS, default 30 days
  std::chrono::milliseconds outbox_lease;      // CONSENT_OUTBOX_LEASE_MS, default 3 s
};

// Reads and validates; problems are collected in `env`.
ConsentConfig ReadConsentConfig(config::EnvReader& env);

}  // namespace advocacy::consent
