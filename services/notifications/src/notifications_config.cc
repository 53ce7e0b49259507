#include "notifications_config.h"

#include <fstream>
#include <sstream>

#include "advocacy/common/strings.h"
#include "notifications_domain.h"

namespace advocacy::notifications {
namespace {

// The contents of the file named by `name`; problems are recorded in `env`. Trailing line
// breaks are dropped: key files written with `echo` or an editor end in one.
std::string ReadSecretFile(config::EnvReader& env, std::string_view name, bool required) {
  const std::string path = required ? env.Required(name) : env.Optional(name, "", /*secret=*/false);
  if (path.empty()) return "";
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    env.AddError(advocacy::StrCat(name, "='", path, "' cannot be read"));
    return "";
  }
  std::stringstream buf;
  buf << in.rdbuf();
  std::string value = buf.str();
  while (!value.empty() && (value.back() == '\n' || value.back() == '\r')) value.pop_back();
  if (value.empty()) env.AddError(advocacy::StrCat(name, "='", path, "' is empty"));
  return value;
}

void RequireHttps(config::EnvReader& env, std::string_view name, const std::string& url) {
  if (!url.starts_with("https://") || url.size() <= 8) {
    env.AddError(advocacy::StrCat(name, "='", url,
                                  "' must be an https:// URL (mail clients refuse one-click "
                                  "unsubscribe over plain http, RFC 8058)"));
  }
}

// Topics and consumer groups.
void ReadKafka(config::EnvReader& env, NotificationsConfig& c) {
  c.content_topic = env.Optional("NOTIFICATIONS_CONTENT_TOPIC", "advocacy.content.v1");
  c.courses_topic = env.Optional("NOTIFICATIONS_COURSES_TOPIC", "advocacy.courses.v1");
  c.consent_topic = env.Optional("NOTIFICATIONS_CONSENT_TOPIC", "advocacy.consent.v1");
  c.dlq_topic = env.Optional("NOTIFICATIONS_DLQ_TOPIC", "advocacy.notifications.v1.dlq");
  c.runtime.published_topics = {c.dlq_topic};
  c.receipts_topic = env.Optional("NOTIFICATIONS_RECEIPTS_TOPIC", "advocacy.consent.receipts.v1");
  c.consent_group = env.Optional("NOTIFICATIONS_CONSENT_GROUP", "notifications-consent-view");
  c.events_group = env.Optional("NOTIFICATIONS_EVENTS_GROUP", "notifications-events");
}

// How notifications proves who it is to consent: a client of the identity provider.
void ReadConsentCredentials(config::EnvReader& env, NotificationsConfig& c) {
  if (!env.Optional("NOTIFICATIONS_SIGNING_KEY_FILE", "").empty()) {
    env.AddError(
        "NOTIFICATIONS_SIGNING_KEY_FILE is no longer read: notifications gets its tokens for "
        "consent from the identity provider (NOTIFICATIONS_OIDC_*); remove the signing key from "
        "the deployment and stop trusting its public key");
  }
  oidc::ClientCredentials& o = c.consent_credentials;
  o.token_url = env.Required("NOTIFICATIONS_OIDC_TOKEN_URL");
  o.client_id = env.Optional("NOTIFICATIONS_OIDC_CLIENT_ID", "notifications");
  o.client_secret = ReadSecretFile(env, "NOTIFICATIONS_OIDC_CLIENT_SECRET_FILE", true);
  o.ca_file = env.Optional("NOTIFICATIONS_OIDC_CA_FILE", "");
  o.resource = env.Optional("NOTIFICATIONS_CONSENT_RESOURCE", "urn:advocacy:consent");
  o.scope = env.Optional("NOTIFICATIONS_OIDC_SCOPE", "consent:check consent:withdraw");
  o.timeout = env.Millis("NOTIFICATIONS_OIDC_TIMEOUT_MS", std::chrono::milliseconds(5000),
                         std::chrono::milliseconds(100), std::chrono::milliseconds(60000));
  if (!o.token_url.empty() && !o.client_secret.empty()) {
    if (absl::Status st = oidc::ValidateClientCredentials(o); !st.ok()) {
      env.AddError(advocacy::StrCat("NOTIFICATIONS_OIDC_*: ", st.message()));
    }
  }
}

// The consent service, the keys, and the links mails carry.
void ReadConsentAndLinks(config::EnvReader& env, NotificationsConfig& c) {
  using std::chrono::hours;
  using std::chrono::milliseconds;
  c.consent_addr = env.Required("NOTIFICATIONS_CONSENT_ADDR");
  if (const size_t colon = c.consent_addr.rfind(':');
      !c.consent_addr.empty() &&
      (colon == std::string::npos || colon == 0 || colon + 1 == c.consent_addr.size())) {
    env.AddError(advocacy::StrCat("NOTIFICATIONS_CONSENT_ADDR='", c.consent_addr,
                                  "' must be host:port of the consent service"));
  }
  c.consent_deadline = env.Millis("NOTIFICATIONS_CONSENT_DEADLINE_MS", milliseconds(2000),
                                  milliseconds(50), milliseconds(60000));
  ReadConsentCredentials(env, c);
  c.unsubscribe_key = ReadSecretFile(env, "NOTIFICATIONS_UNSUBSCRIBE_KEY_FILE", true);
  if (!c.unsubscribe_key.empty() && c.unsubscribe_key.size() < 32) {
    env.AddError(advocacy::StrCat("NOTIFICATIONS_UNSUBSCRIBE_KEY_FILE holds ",
                                  c.unsubscribe_key.size(),
                                  " bytes; the unsubscribe signing key needs at least 32 (e.g. "
                                  "`openssl rand -base64 48`)"));
  }
  // During a rotation of that key: the one before it, still accepted (not used to sign), so the
  // one-click links of mails sent before the rotation keep working
  // (docs/runbooks/credential-rotation.md).
  c.unsubscribe_previous_key =
      ReadSecretFile(env, "NOTIFICATIONS_UNSUBSCRIBE_PREVIOUS_KEY_FILE", /*required=*/false);
  if (!c.unsubscribe_previous_key.empty() && c.unsubscribe_previous_key.size() < 32) {
    env.AddError(advocacy::StrCat("NOTIFICATIONS_UNSUBSCRIBE_PREVIOUS_KEY_FILE holds ",
                                  c.unsubscribe_previous_key.size(),
                                  " bytes; a previous unsubscribe key has at least 32"));
  }
  c.public_base_url = env.Required("NOTIFICATIONS_PUBLIC_BASE_URL");
  if (!c.public_base_url.empty()) {
    RequireHttps(env, "NOTIFICATIONS_PUBLIC_BASE_URL", c.public_base_url);
  }
  c.app_base_url = env.Optional("NOTIFICATIONS_APP_BASE_URL", c.public_base_url);
  if (!c.app_base_url.empty()) RequireHttps(env, "NOTIFICATIONS_APP_BASE_URL", c.app_base_url);
  c.unsubscribe_server =
      config::ReadHttpServerOptions(env, "NOTIFICATIONS_UNSUBSCRIBE", "0.0.0.0:8081");
  c.unsubscribe_ttl =
      env.Millis("NOTIFICATIONS_UNSUBSCRIBE_TTL_MS", hours(24 * 90), hours(1), hours(24 * 366));
}

// The SMTP relay and the sender address.
void ReadSmtp(config::EnvReader& env, NotificationsConfig& c) {
  using std::chrono::milliseconds;
  using std::chrono::minutes;
  using std::chrono::seconds;
  c.smtp_url = env.Required("NOTIFICATIONS_SMTP_URL");
  if (!c.smtp_url.empty() && !c.smtp_url.starts_with("smtp://") &&
      !c.smtp_url.starts_with("smtps://")) {
    env.AddError(advocacy::StrCat("NOTIFICATIONS_SMTP_URL='", c.smtp_url,
                                  "' must be smtp://host:port or smtps://host:port"));
  }
  c.smtp_starttls = env.Bool("NOTIFICATIONS_SMTP_STARTTLS", false);
  c.smtp_username = env.Optional("NOTIFICATIONS_SMTP_USERNAME", "");
  c.smtp_password = ReadSecretFile(env, "NOTIFICATIONS_SMTP_PASSWORD_FILE", false);
  if (!c.smtp_username.empty() && c.smtp_password.empty()) {
    env.AddError(
        "NOTIFICATIONS_SMTP_USERNAME is set but NOTIFICATIONS_SMTP_PASSWORD_FILE is not: "
        "SMTP AUTH needs both");
  }
  c.smtp_ca_file = env.Optional("NOTIFICATIONS_SMTP_CA_FILE", "");
  c.smtp_verify_peer = env.Bool("NOTIFICATIONS_SMTP_VERIFY_PEER", true);
  c.smtp_connect_timeout = env.Millis("NOTIFICATIONS_SMTP_CONNECT_TIMEOUT_MS", milliseconds(5000),
                                      milliseconds(100), minutes(5));
  c.smtp_timeout =
      env.Millis("NOTIFICATIONS_SMTP_TIMEOUT_MS", seconds(30), milliseconds(200), minutes(10));
  c.mail_from = env.Required("NOTIFICATIONS_MAIL_FROM");
  if (!c.mail_from.empty() && !IsMailAddress(c.mail_from)) {
    env.AddError(advocacy::StrCat("NOTIFICATIONS_MAIL_FROM='", c.mail_from,
                                  "' must be a plain address like notifications@example.org"));
  }
  c.mail_from_name = env.Optional("NOTIFICATIONS_MAIL_FROM_NAME", "Advocacy");
}

// Sending (retries, claims, workers), the fan-out and retention. After ReadSmtp and
// ReadConsentAndLinks: the claim lease is checked against their timeouts.
void ReadDispatch(config::EnvReader& env, NotificationsConfig& c) {
  using std::chrono::hours;
  using std::chrono::milliseconds;
  using std::chrono::minutes;
  using std::chrono::seconds;
  c.max_attempts = static_cast<int>(env.Int("NOTIFICATIONS_SEND_MAX_ATTEMPTS", 6, 1, 50));
  c.retry_base = env.Millis("NOTIFICATIONS_RETRY_BASE_MS", seconds(2), milliseconds(10), hours(1));
  c.retry_max = env.Millis("NOTIFICATIONS_RETRY_MAX_MS", minutes(10), milliseconds(10), hours(24));
  if (c.retry_max < c.retry_base) {
    env.AddError("NOTIFICATIONS_RETRY_MAX_MS must not be below NOTIFICATIONS_RETRY_BASE_MS");
  }
  c.consent_retry =
      env.Millis("NOTIFICATIONS_CONSENT_RETRY_MS", seconds(5), milliseconds(10), hours(1));
  c.poll_interval =
      env.Millis("NOTIFICATIONS_POLL_INTERVAL_MS", milliseconds(500), milliseconds(10), minutes(1));
  c.claim_lease =
      env.Millis("NOTIFICATIONS_CLAIM_LEASE_MS", minutes(2), milliseconds(500), hours(1));
  // A claim must outlive the longest send, or a second worker could start the same mail while
  // the first is still talking to the relay.
  const auto longest_send = c.smtp_connect_timeout + c.smtp_timeout + 2 * c.consent_deadline;
  if (c.claim_lease <= longest_send) {
    env.AddError(advocacy::StrCat(
        "NOTIFICATIONS_CLAIM_LEASE_MS=", c.claim_lease.count(),
        " must exceed the longest send (SMTP connect timeout + SMTP timeout + 2 x consent "
        "deadline = ",
        longest_send.count(), " ms), or a slow send could be claimed twice"));
  }
  c.dispatch_workers = static_cast<int>(env.Int("NOTIFICATIONS_DISPATCH_WORKERS", 4, 1, 64));
  c.dispatch_batch = static_cast<int>(env.Int("NOTIFICATIONS_DISPATCH_BATCH", 100, 1, 1000));
  c.fanout_chunk = static_cast<int>(env.Int("NOTIFICATIONS_FANOUT_CHUNK", 1000, 10, 10000));
  c.retention =
      env.Millis("NOTIFICATIONS_RETENTION_MS", hours(24 * 30), hours(1), hours(24 * 3650));
}

}  // namespace

NotificationsConfig ReadNotificationsConfig(config::EnvReader& env) {
  NotificationsConfig c;
  // NOTIFICATIONS_TOPIC_RETENTION_MS and NOTIFICATIONS_OUTBOX_LEASE_MS are read there.
  c.runtime = config::ReadRuntimeConfig(env, "notifications");
  ReadKafka(env, c);
  ReadConsentAndLinks(env, c);
  ReadSmtp(env, c);
  ReadDispatch(env, c);
  return c;
}

DispatcherOptions DispatcherOptionsFrom(const NotificationsConfig& c) {
  return {.workers = c.dispatch_workers,
          .batch = static_cast<size_t>(c.dispatch_batch),
          .poll_interval = c.poll_interval,
          .claim_lease = c.claim_lease,
          .max_attempts = c.max_attempts,
          .retry_base = c.retry_base,
          .retry_max = c.retry_max,
          .consent_retry = c.consent_retry,
          .mail_from = c.mail_from,
          .mail_from_name = c.mail_from_name,
          .public_base_url = c.public_base_url,
          .unsubscribe_ttl = absl::FromChrono(c.unsubscribe_ttl),
          .dlq_topic = c.dlq_topic};
}

ManagerOptions ManagerOptionsFrom(const NotificationsConfig& c) {
  return {.content_topic = c.content_topic,
          .courses_topic = c.courses_topic,
          .app_base_url = c.app_base_url,
          .fanout_chunk = static_cast<size_t>(c.fanout_chunk),
          .retention_seconds = RetentionSeconds(c),
          // A send cannot outlive its claim; a little more covers clock steps between replicas.
          .in_flight_wait = c.claim_lease + std::chrono::seconds(5)};
}

int64_t RetentionSeconds(const NotificationsConfig& c) {
  return std::chrono::duration_cast<std::chrono::seconds>(c.retention).count();
}

}  // namespace advocacy::notifications
