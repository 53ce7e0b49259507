#include "consent_config.h"

#include <algorithm>

#include "absl/strings/str_split.h"
#include "advocacy/common/event_trust.h"
#include "advocacy/common/ids.h"
#include "advocacy/common/strings.h"

namespace advocacy::consent {
namespace {

std::vector<std::string> ParseServices(config::EnvReader& env, const std::string& text) {
  std::vector<std::string> out;
  if (text == "none") return out;
  for (absl::string_view part : absl::StrSplit(text, ',')) {
    const std::string name(part.data(), part.size());
    if (auto st = ids::ValidateObjectId("CONSENT_PROPAGATION_SERVICES", name); !st.ok()) {
      env.AddError(advocacy::StrCat("CONSENT_PROPAGATION_SERVICES='", text,
                                    "' must be service names separated by commas (e.g. "
                                    "content,notifications), or none: ",
                                    st.message()));
      return {};
    }
    if (std::find(out.begin(), out.end(), name) != out.end()) {
      env.AddError(advocacy::StrCat("CONSENT_PROPAGATION_SERVICES names '", name, "' twice"));
      return {};
    }
    out.push_back(name);
  }
  return out;
}

}  // namespace

ConsentConfig ReadConsentConfig(config::EnvReader& env) {
  using std::chrono::hours;
  using std::chrono::milliseconds;
  ConsentConfig c;
  c.runtime = config::ReadRuntimeConfig(env, "consent");
  c.topic = env.Optional("CONSENT_TOPIC", "advocacy.consent.v1");
  c.runtime.published_topics = {c.topic};
  c.idempotency_ttl =
      env.Millis("CONSENT_IDEMPOTENCY_TTL_MS", hours(24), milliseconds(60000), hours(24 * 30));
  c.propagation_services =
      ParseServices(env, env.Optional("CONSENT_PROPAGATION_SERVICES", "content,notifications"));
  c.receipts_topic = env.Optional("CONSENT_RECEIPTS_TOPIC", "advocacy.consent.receipts.v1");
  c.receipts_group = env.Optional("CONSENT_RECEIPTS_GROUP", "consent-receipts");
  if (c.receipts_topic == c.topic) {
    env.AddError("CONSENT_RECEIPTS_TOPIC must differ from CONSENT_TOPIC");
  }
  // A receipt is believed only from its own service's source: an expected service that may not
  // produce receipts would leave every change unapplied for ever.
  if (auto sources = event_trust::SourcePolicy::WithOverrides(c.runtime.event_sources);
      sources.ok()) {
    const std::vector<std::string>* allowed = sources->Allowed(c.receipts_topic);
    for (const std::string& service : c.propagation_services) {
      const std::string source = event_trust::SourceOf(service);
      if (allowed == nullptr ||
          std::find(allowed->begin(), allowed->end(), source) == allowed->end()) {
        env.AddError(advocacy::StrCat("CONSENT_PROPAGATION_SERVICES names '", service, "', but ",
                                      source, " may not produce ", c.receipts_topic,
                                      ": add it to ADVOCACY_EVENT_SOURCES (", c.receipts_topic,
                                      "=...) or remove the service"));
      }
    }
  }
  c.receipts_kept = static_cast<int>(env.Int("CONSENT_RECEIPTS_KEPT", 100, 1, 10000));
  c.pending_kept = static_cast<int>(env.Int("CONSENT_PENDING_KEPT", 1000, 1, 100000));
  c.propagation_check_interval =
      env.Millis("CONSENT_PROPAGATION_CHECK_INTERVAL_MS", milliseconds(1000), milliseconds(100),
                 milliseconds(60000));
  c.ack_wait =
      env.Millis("CONSENT_ACK_WAIT_MS", milliseconds(3000), milliseconds(0), milliseconds(60000));
  // Each waiting withdrawal holds one of the server's threads: at most half of them may wait,
  // so a lagging consuming service cannot starve CheckConsent and the other calls.
  const int threads = c.runtime.grpc_max_threads;  // at least 4
  c.ack_max_waiting =
      static_cast<int>(env.Int("CONSENT_ACK_MAX_WAITING", std::max(1, threads / 4), 1, 1000000));
  if (c.ack_max_waiting > threads / 2) {
    env.AddError(
        advocacy::StrCat("CONSENT_ACK_MAX_WAITING=", c.ack_max_waiting,
                         " must be at most half of ADVOCACY_GRPC_MAX_THREADS (", threads,
                         "): each waiting withdrawal holds a server thread; lower it or raise "
                         "ADVOCACY_GRPC_MAX_THREADS"));
  }
  return c;
}

}  // namespace advocacy::consent
