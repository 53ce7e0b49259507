#pragma once

// The notifications service's configuration: the shared ADVOCACY_* settings and its own
// NOTIFICATIONS_* ones (the table is in README.md). Secrets (the identity provider's client
// secret, the unsubscribe key, the SMTP password) are read from files and never logged.

#include <chrono>
#include <cstdint>
#include <string>

#include "advocacy/common/config.h"
#include "advocacy/common/http_server.h"
#include "advocacy/common/oidc_client.h"
#include "dispatcher.h"
#include "notifications_manager.h"

namespace advocacy::notifications {

struct NotificationsConfig {
  config::RuntimeConfig runtime;

  std::string content_topic;  // NOTIFICATIONS_CONTENT_TOPIC, default advocacy.content.v1
  std::string courses_topic;  // NOTIFICATIONS_COURSES_TOPIC, default advocacy.courses.v1
  std::string consent_topic;  // NOTIFICATIONS_CONSENT_TOPIC, default advocacy.consent.v1
  std::string dlq_topic;      // NOTIFICATIONS_DLQ_TOPIC, default advocacy.notifications.v1.dlq
  // NOTIFICATIONS_RECEIPTS_TOPIC, default advocacy.consent.receipts.v1: where the consent view
  // sends a ConsentApplied receipt after each change it applied (and, for a withdrawal, after
  // the employee's open jobs were cancelled).
  std::string receipts_topic;
  std::string consent_group;  // NOTIFICATIONS_CONSENT_GROUP, default notifications-consent-view
  // NOTIFICATIONS_EVENTS_GROUP, default notifications-events: the content and courses consumers
  // use "<group>-content" and "<group>-courses".
  std::string events_group;

  std::string consent_addr;                      // NOTIFICATIONS_CONSENT_ADDR (required)
  std::chrono::milliseconds consent_deadline{};  // NOTIFICATIONS_CONSENT_DEADLINE_MS, 2 s
  // Its identity towards consent: a client of the organization's identity provider
  // (client credentials), never a signing key. NOTIFICATIONS_OIDC_TOKEN_URL (required),
  // NOTIFICATIONS_OIDC_CLIENT_ID (default notifications), NOTIFICATIONS_OIDC_CLIENT_SECRET_FILE
  // (required), NOTIFICATIONS_OIDC_CA_FILE, NOTIFICATIONS_CONSENT_RESOURCE (default
  // urn:advocacy:consent), NOTIFICATIONS_OIDC_SCOPE (default "consent:check consent:withdraw").
  oidc::ClientCredentials consent_credentials;
  std::string unsubscribe_key;  // NOTIFICATIONS_UNSUBSCRIBE_KEY_FILE (required)
  // NOTIFICATIONS_UNSUBSCRIBE_PREVIOUS_KEY_FILE (optional): accepted, never used to sign.
  std::string unsubscribe_previous_key;
  std::string public_base_url;  // NOTIFICATIONS_PUBLIC_BASE_URL (required)
  std::string app_base_url;     // NOTIFICATIONS_APP_BASE_URL, default public
  // NOTIFICATIONS_UNSUBSCRIBE_LISTEN (default 0.0.0.0:8081) and the endpoint's limits,
  // NOTIFICATIONS_UNSUBSCRIBE_* (config::ReadHttpServerOptions; the table is in README.md).
  http::ServerOptions unsubscribe_server;
  std::chrono::milliseconds unsubscribe_ttl{};  // NOTIFICATIONS_UNSUBSCRIBE_TTL_MS, 90 days

  std::string smtp_url;                              // NOTIFICATIONS_SMTP_URL (required)
  bool smtp_starttls = false;                        // NOTIFICATIONS_SMTP_STARTTLS
  std::string smtp_username;                         // NOTIFICATIONS_SMTP_USERNAME
  std::string smtp_password;                         // NOTIFICATIONS_SMTP_PASSWORD_FILE
  std::string smtp_ca_file;                          // NOTIFICATIONS_SMTP_CA_FILE
  bool smtp_verify_peer = true;                      // NOTIFICATIONS_SMTP_VERIFY_PEER
  std::chrono::milliseconds smtp_connect_timeout{};  // NOTIFICATIONS_SMTP_CONNECT_TIMEOUT_MS, 5 s
  std::chrono::milliseconds smtp_timeout{};          // NOTIFICATIONS_SMTP_TIMEOUT_MS, 30 s
  std::string mail_from;                             // NOTIFICATIONS_MAIL_FROM (required)
  std::string mail_from_name;                        // NOTIFICATIONS_MAIL_FROM_NAME, "Advocacy"

  int max_attempts = 6;                       // NOTIFICATIONS_SEND_MAX_ATTEMPTS
  std::chrono::milliseconds retry_base{};     // NOTIFICATIONS_RETRY_BASE_MS, 2 s
  std::chrono::milliseconds retry_max{};      // NOTIFICATIONS_RETRY_MAX_MS, 10 min
  std::chrono::milliseconds consent_retry{};  // NOTIFICATIONS_CONSENT_RETRY_MS, 5 s
  std::chrono::milliseconds poll_interval{};  // NOTIFICATIONS_POLL_INTERVAL_MS, 500 ms
  std::chrono::milliseconds claim_lease{};    // NOTIFICATIONS_CLAIM_LEASE_MS, 2 min
  int dispatch_workers = 4;                   // NOTIFICATIONS_DISPATCH_WORKERS
  int dispatch_batch = 100;                   // NOTIFICATIONS_DISPATCH_BATCH
  int fanout_chunk = 1000;                    // NOTIFICATIONS_FANOUT_CHUNK
  std::chrono::milliseconds retention{};      // NOTIFICATIONS_RETENTION_MS, 30 days
  // NOTIFICATIONS_TOPIC_RETENTION_MS and NOTIFICATIONS_OUTBOX_LEASE_MS are in `runtime`
  // (topic_retention, outbox_lease).
};

// Reads and validates; problems are collected in `env`.
NotificationsConfig ReadNotificationsConfig(config::EnvReader& env);

// What the dispatcher and the manager take from the config.
DispatcherOptions DispatcherOptionsFrom(const NotificationsConfig& config);
ManagerOptions ManagerOptionsFrom(const NotificationsConfig& config);
// NOTIFICATIONS_RETENTION_MS in seconds: how long settled jobs, digests and records are kept.
int64_t RetentionSeconds(const NotificationsConfig& config);

}  // namespace advocacy::notifications
