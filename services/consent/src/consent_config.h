#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "advocacy/common/config.h"

namespace advocacy::consent {

struct ConsentConfig {
  config::RuntimeConfig runtime;
  std::string topic;                            // CONSENT_TOPIC, default advocacy.consent.v1
  std::chrono::milliseconds idempotency_ttl{};  // CONSENT_IDEMPOTENCY_TTL_MS, default 24 h
  // Propagation receipts.
  // CONSENT_PROPAGATION_SERVICES: comma-separated, default "content,notifications"; "none"
  // tracks nothing.
  std::vector<std::string> propagation_services;
  std::string receipts_topic;  // CONSENT_RECEIPTS_TOPIC, default advocacy.consent.receipts.v1
  std::string receipts_group;  // CONSENT_RECEIPTS_GROUP, default consent-receipts
  int receipts_kept = 100;     // CONSENT_RECEIPTS_KEPT (1..10000), per employee and service
  int pending_kept = 1000;     // CONSENT_PENDING_KEPT (1..100000), per employee
  // CONSENT_PROPAGATION_CHECK_INTERVAL_MS (100..60000), default 1 s: gauge refresh period.
  std::chrono::milliseconds propagation_check_interval{1000};
  // Acknowledging withdrawals.
  // CONSENT_ACK_WAIT_MS (0..60000), default 3 s: how long WithdrawConsent waits for every
  // propagation service to apply the withdrawal; 0 answers at once.
  std::chrono::milliseconds ack_wait{3000};
  // CONSENT_ACK_MAX_WAITING (1..ADVOCACY_GRPC_MAX_THREADS/2), default a quarter of
  // ADVOCACY_GRPC_MAX_THREADS: withdrawals that may wait at once (each holds a server thread).
  int ack_max_waiting = 32;
};

// Reads and validates; problems are collected in `env`.
ConsentConfig ReadConsentConfig(config::EnvReader& env);

}  // namespace advocacy::consent
