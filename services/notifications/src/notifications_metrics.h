#pragma once

// Delivery metrics of the notifications service:
//   advocacy_notifications_sent_total{service}            mails the relay accepted
//   advocacy_notifications_skipped_total{service,reason}  jobs not sent because a rule said so
//                                                          (no_consent, weekly_cap,
//                                                          topic_filtered, unknown_recipient,
//                                                          duplicate)
//   advocacy_notifications_cancelled_total{service}       jobs cancelled by a consent withdrawal
//   advocacy_notifications_failed_total{service}          mails given up (dead-lettered)
//   advocacy_notifications_retries_total{service}         transient failures that were retried
//   advocacy_notifications_digest_merges_total{service}   jobs that joined an existing digest
//   advocacy_notifications_queue_depth{service}           digests waiting in the due queue
//   advocacy_notifications_consent_token_failures_total{service}
//                                                          failed token requests to the identity
//                                                          provider (its identity towards consent)
//   advocacy_notifications_consent_token_expiry_timestamp_seconds{service}
//                                                          when the token it holds expires (0:
//                                                          none)
// Thread-safe. Counters count what this process saw.

#include <atomic>
#include <cstdint>
#include <map>
#include <string>

#include "notifications_domain.h"

namespace prometheus {
class Registry;
class Counter;
class Gauge;
}  // namespace prometheus

namespace advocacy::notifications {

class NotificationsMetrics final {
 public:
  NotificationsMetrics(prometheus::Registry& registry, const std::string& service);

  void Sent(int64_t n = 1);
  void Skipped(v1::SkipReason reason, int64_t n = 1);
  void Cancelled(int64_t n);
  void Failed(int64_t n = 1);
  void Retried(int64_t n = 1);
  void Merged(int64_t n);
  void SetQueueDepth(int64_t depth);
  // From the consent token source's stats: its failure count so far and its token's expiry.
  void ConsentToken(uint64_t failures_total, int64_t expires_at_unix);

  // The `reason` label of a skip reason ("no_consent", ...).
  static std::string ReasonLabel(v1::SkipReason reason);

 private:
  prometheus::Counter* sent_;
  std::map<int, prometheus::Counter*> skipped_;  // fixed at construction: read-only afterwards
  prometheus::Counter* cancelled_;
  prometheus::Counter* failed_;
  prometheus::Counter* retries_;
  prometheus::Counter* token_failures_;
  prometheus::Gauge* token_expiry_;
  std::atomic<uint64_t> token_failures_seen_{0};
  prometheus::Counter* merges_;
  prometheus::Gauge* queue_depth_;
};

}  // namespace advocacy::notifications
