#include "content_config.h"

namespace advocacy::content {

ContentConfig ReadContentConfig(config::EnvReader& env) {
  using std::chrono::hours;
  using std::chrono::milliseconds;
  ContentConfig c;
  c.runtime = config::ReadRuntimeConfig(env, "content");
  c.content_topic = env.Optional("CONTENT_TOPIC", "advocacy.content.v1");
  c.engagement_topic = env.Optional("CONTENT_ENGAGEMENT_TOPIC", "advocacy.engagement.v1");
  c.runtime.published_topics = {c.content_topic, c.engagement_topic};
  c.consent_topic = env.Optional("CONTENT_CONSENT_TOPIC", "advocacy.consent.v1");
  c.consent_group = env.Optional("CONTENT_CONSENT_GROUP", "content-consent-view");
  c.receipts_topic = env.Optional("CONTENT_RECEIPTS_TOPIC", "advocacy.consent.receipts.v1");
  c.link_server = config::ReadHttpServerOptions(env, "CONTENT_LINK", "0.0.0.0:8080");
  c.link_base_url = env.Optional("CONTENT_LINK_BASE_URL", "http://127.0.0.1:8080/l/");
  c.min_group_size = static_cast<int>(env.Int("CONTENT_MIN_GROUP_SIZE", 5, 1, 1000));
  c.active_window =
      env.Millis("CONTENT_ACTIVE_WINDOW_MS", hours(24 * 30), milliseconds(60000), hours(24 * 366));
  c.max_items_per_tenant = env.Int("CONTENT_MAX_ITEMS_PER_TENANT", 10000, 1, 1000000);
  c.max_groups_per_tenant = env.Int("CONTENT_MAX_GROUPS_PER_TENANT", 1000, 1, 100000);
  c.max_links_per_tenant = env.Int("CONTENT_MAX_LINKS_PER_TENANT", 1000000, 1, 1000000000);
  return c;
}

}  // namespace advocacy::content
