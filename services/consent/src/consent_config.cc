#include "consent_config.h"

namespace advocacy::consent {

ConsentConfig ReadConsentConfig(config::EnvReader& env) {
  using std::chrono::hours;
  using std::chrono::milliseconds;
  ConsentConfig c;
  c.runtime = config::ReadRuntimeConfig(env, "consent");
  c.topic = env.Optional("CONSENT_TOPIC", "advocacy.consent.v1");
  c.idempotency_ttl = env.Millis("CONSENT_IDEMPOTENCY_TTL_MS", hours(24), milliseconds(60000),
                                 hours(24 * 30));
  c.topic_retention = env.Millis("CONSENT_TOPIC_RETENTION_MS", hours(24 * 30), hours(1),
                                 hours(24 * 3650));
  c.outbox_lease = env.Millis("CONSENT_OUTBOX_LEASE_MS", milliseconds(3000), milliseconds(100),
                              milliseconds(600000));
  return c;
}

}  // namespace advocacy::consent
