#pragma once

#include <chrono>
#include <cstdint>
#include <string>

#include "advocacy/common/config.h"
#include "advocacy/common/http_server.h"

namespace advocacy::content {

struct ContentConfig {
  // The shared settings, including CONTENT_TOPIC_RETENTION_MS and CONTENT_OUTBOX_LEASE_MS.
  config::RuntimeConfig runtime;
  std::string content_topic;     // CONTENT_TOPIC, default advocacy.content.v1
  std::string engagement_topic;  // CONTENT_ENGAGEMENT_TOPIC, default advocacy.engagement.v1
  std::string consent_topic;     // CONTENT_CONSENT_TOPIC, default advocacy.consent.v1
  std::string consent_group;     // CONTENT_CONSENT_GROUP, default content-consent-view
  // CONTENT_RECEIPTS_TOPIC, default advocacy.consent.receipts.v1: where the consent view sends
  // a ConsentApplied receipt after applying each consent change.
  std::string receipts_topic;
  // CONTENT_LINK_LISTEN (default 0.0.0.0:8080) and the endpoint's limits, CONTENT_LINK_*
  // (config::ReadHttpServerOptions; the table is in README.md).
  http::ServerOptions link_server;
  std::string link_base_url;  // CONTENT_LINK_BASE_URL, default http://127.0.0.1:8080/l/
  int min_group_size = 5;     // CONTENT_MIN_GROUP_SIZE (1..1000)
  std::chrono::milliseconds active_window{};  // CONTENT_ACTIVE_WINDOW_MS, default 30 days
  // Per-tenant quotas: CONTENT_MAX_ITEMS_PER_TENANT (default 10000, 1..1000000),
  // CONTENT_MAX_GROUPS_PER_TENANT (default 1000, 1..100000), CONTENT_MAX_LINKS_PER_TENANT
  // (default 1000000, 1..1000000000).
  int64_t max_items_per_tenant = 10000;
  int64_t max_groups_per_tenant = 1000;
  int64_t max_links_per_tenant = 1000000;
};

// Reads and validates; problems are collected in `env`.
ContentConfig ReadContentConfig(config::EnvReader& env);

}  // namespace advocacy::content
