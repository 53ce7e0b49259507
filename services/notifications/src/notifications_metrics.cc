#include "notifications_metrics.h"

#include <algorithm>

#include "absl/strings/ascii.h"
#include "prometheus/counter.h"
#include "prometheus/family.h"
#include "prometheus/gauge.h"
#include "prometheus/registry.h"

namespace advocacy::notifications {

NotificationsMetrics::NotificationsMetrics(prometheus::Registry& registry,
                                           const std::string& service) {
  const prometheus::Labels labels = {{"service", service}};
  sent_ = &prometheus::BuildCounter()
               .Name("advocacy_notifications_sent_total")
               .Help("Mails the relay accepted")
               .Register(registry)
               .Add(labels);
  auto& skipped = prometheus::BuildCounter()
                      .Name("advocacy_notifications_skipped_total")
                      .Help("Notification jobs not sent because a rule said so, by rule")
                      .Register(registry);
  for (int r = v1::SkipReason_MIN + 1; r <= v1::SkipReason_MAX; ++r) {
    if (!v1::SkipReason_IsValid(r)) continue;
    skipped_[r] = &skipped.Add(
        {{"service", service}, {"reason", ReasonLabel(static_cast<v1::SkipReason>(r))}});
  }
  cancelled_ = &prometheus::BuildCounter()
                    .Name("advocacy_notifications_cancelled_total")
                    .Help("Notification jobs cancelled by a consent withdrawal")
                    .Register(registry)
                    .Add(labels);
  failed_ = &prometheus::BuildCounter()
                 .Name("advocacy_notifications_failed_total")
                 .Help("Mails given up after the last attempt or a permanent refusal")
                 .Register(registry)
                 .Add(labels);
  retries_ = &prometheus::BuildCounter()
                  .Name("advocacy_notifications_retries_total")
                  .Help("Transient send failures scheduled for another attempt")
                  .Register(registry)
                  .Add(labels);
  merges_ = &prometheus::BuildCounter()
                 .Name("advocacy_notifications_digest_merges_total")
                 .Help("Jobs merged into a digest that already held items")
                 .Register(registry)
                 .Add(labels);
  token_failures_ = &prometheus::BuildCounter()
                         .Name("advocacy_notifications_consent_token_failures_total")
                         .Help("Failed token requests to the identity provider for calling consent")
                         .Register(registry)
                         .Add(labels);
  token_expiry_ = &prometheus::BuildGauge()
                       .Name("advocacy_notifications_consent_token_expiry_timestamp_seconds")
                       .Help("When the token for calling consent expires (0: none held)")
                       .Register(registry)
                       .Add(labels);
  queue_depth_ = &prometheus::BuildGauge()
                      .Name("advocacy_notifications_queue_depth")
                      .Help("Digests waiting in the due queue (open, retrying or being sent)")
                      .Register(registry)
                      .Add(labels);
}

void NotificationsMetrics::ConsentToken(uint64_t failures_total, int64_t expires_at_unix) {
  const uint64_t seen = token_failures_seen_.exchange(failures_total);
  if (failures_total > seen) token_failures_->Increment(static_cast<double>(failures_total - seen));
  token_expiry_->Set(static_cast<double>(expires_at_unix));
}

std::string NotificationsMetrics::ReasonLabel(v1::SkipReason reason) {
  std::string name(v1::SkipReason_Name(reason));
  constexpr std::string_view kPrefix = "SKIP_REASON_";
  if (name.rfind(kPrefix, 0) == 0) name.erase(0, kPrefix.size());
  return absl::AsciiStrToLower(name);
}

void NotificationsMetrics::Sent(int64_t n) { sent_->Increment(static_cast<double>(n)); }

void NotificationsMetrics::Skipped(v1::SkipReason reason, int64_t n) {
  if (n <= 0) return;
  auto it = skipped_.find(static_cast<int>(reason));
  if (it != skipped_.end()) it->second->Increment(static_cast<double>(n));
}

void NotificationsMetrics::Cancelled(int64_t n) {
  if (n > 0) cancelled_->Increment(static_cast<double>(n));
}
void NotificationsMetrics::Failed(int64_t n) { failed_->Increment(static_cast<double>(n)); }
void NotificationsMetrics::Retried(int64_t n) { retries_->Increment(static_cast<double>(n)); }
void NotificationsMetrics::Merged(int64_t n) {
  if (n > 0) merges_->Increment(static_cast<double>(n));
}
void NotificationsMetrics::SetQueueDepth(int64_t depth) {
  queue_depth_->Set(static_cast<double>(depth));
}

}  // namespace advocacy::notifications
