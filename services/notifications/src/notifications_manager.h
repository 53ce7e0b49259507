#pragma once

// The notifications service's domain logic: recipients and preferences, triggers (RPCs and
// Kafka events), the fan-out to a tenant's recipients, cancellation on consent withdrawal and
// explanations. Plain C++ on protobuf messages; storage is a NotificationsStore, consent is the
// ConsentGateway port. Every RPC validates its input (INVALID_ARGUMENT naming the field), then
// authorizes the caller. Sending is the Dispatcher's job.
//
// Guarantees:
//  * Job ids are deterministic ("<tenant>/<employee>/<hash of the event id or idempotency
//    key>"): a redelivered event or a repeated trigger finds its jobs instead of making new
//    ones. A repeated idempotency key with a different body is FAILED_PRECONDITION.
//  * Consent is checked in chunks (one BatchCheck per chunk) when jobs are created; employees
//    without consent get a cheap SKIPPED/NO_CONSENT record. Any consent error fails the whole
//    call (UNAVAILABLE) so it is retried: nobody is assumed to consent.
//  * Preferences narrow, never widen: a job is only created for a consenting employee, and
//    consent is checked again before the mail leaves.

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "advocacy/common/auth.h"
#include "advocacy/common/consent_view.h"
#include "advocacy/common/kafka.h"
#include "advocacy/notifications/v1/notifications_service.pb.h"
#include "notifications_domain.h"
#include "notifications_metrics.h"
#include "ports.h"

namespace advocacy::notifications {

struct ManagerOptions {
  std::string content_topic = "advocacy.content.v1";
  std::string courses_topic = "advocacy.courses.v1";
  // Where course and broadcast links (and content items without an https URL) point:
  // "<app>/courses/<id>", "<app>/broadcasts/<id>", "<app>/content/<id>".
  std::string app_base_url = "https://advocacy.example";
  // Recipients handled per consent batch check.
  size_t fanout_chunk = 1000;
  // How long idempotency records and skip records are kept.
  int64_t retention_seconds = 30LL * 24 * 3600;
  // The longest a withdrawal waits for a send that was already under way (set it a little
  // above the dispatcher's claim lease, which bounds every send).
  std::chrono::milliseconds in_flight_wait{125000};
  // The clock; tests replace it.
  std::function<absl::Time()> now;
};

// What one fan-out did.
struct FanOutStats {
  int64_t considered = 0;
  int64_t created = 0;   // new jobs
  int64_t existing = 0;  // jobs that were there already (a repeat)
  int64_t merged = 0;    // new jobs that joined a digest with items
  int64_t skipped = 0;   // SKIPPED records written
};

class NotificationsManager final {
 public:
  // `wake` is called when a job is due now, so the dispatcher does not wait for its next poll.
  NotificationsManager(NotificationsStore* store, ConsentGateway* consent,
                       NotificationsMetrics* metrics, std::function<void()> wake,
                       ManagerOptions options);

  using P = auth::Principal;
  absl::StatusOr<v1::UpsertRecipientResponse> UpsertRecipient(const P& p,
                                                              const v1::UpsertRecipientRequest& r);
  absl::StatusOr<v1::GetRecipientResponse> GetRecipient(const P& p,
                                                        const v1::GetRecipientRequest& r);
  absl::StatusOr<v1::SetPreferencesResponse> SetPreferences(const P& p,
                                                            const v1::SetPreferencesRequest& r);
  absl::StatusOr<v1::GetPreferencesResponse> GetPreferences(const P& p,
                                                            const v1::GetPreferencesRequest& r);
  absl::StatusOr<v1::TriggerResponse> Trigger(const P& p, const v1::TriggerRequest& r);
  absl::StatusOr<v1::BulkTriggerResponse> BulkTrigger(const P& p, const v1::BulkTriggerRequest& r);
  absl::StatusOr<v1::ExplainDeliveryResponse> ExplainDelivery(const P& p,
                                                              const v1::ExplainDeliveryRequest& r);

  // Kafka handlers (the shared consumer's contract): OK when applied (idempotent),
  // INVALID_ARGUMENT for an event that can never be processed (dead-lettered), anything else
  // is retried. ItemPublished fans out under PURPOSE_EMAIL_TIPS / TOPIC_CONTENT;
  // CoursePublished and BroadcastScheduled under PURPOSE_COURSE_TIPS / TOPIC_COURSES and
  // TOPIC_BROADCASTS. Other well-formed events of those topics are OK no-ops. An event whose
  // Kafka key is not the one its producer gives it ("tenant" for items, "tenant/course/<id>",
  // "tenant/broadcast/<id>") is event_trust::Reject(kKeyMismatch). The ce_source was checked by
  // the runtime before (ServiceRuntime::Consume).
  absl::Status HandleContentEvent(const kafka::Message& message);
  absl::Status HandleCoursesEvent(const kafka::Message& message);

  // The consent view's withdrawal callback: cancels the employee's open jobs for each
  // withdrawn mail purpose. Idempotent.
  absl::Status OnConsentWithdrawn(const consent_view::ApplyResult& result);
  // Cancels every open, delayed and digest job of one employee for one purpose, in one atomic
  // step, then waits until no send of that purpose that was already under way can still reach
  // the relay. When it returns OK, no mail of that purpose will be accepted for the employee
  // any more (the consent service answers "not granted" to every later check), so the consent
  // view's receipt that follows means exactly that. DEADLINE_EXCEEDED when a send outlived
  // `in_flight_wait`. Returns the number of jobs cancelled.
  absl::StatusOr<int> CancelForWithdrawal(const std::string& tenant, const std::string& employee,
                                          cv1::Purpose purpose);

  // Creates the jobs of one source (identified by `source_hash`) for `employees`, or for every
  // recipient of the tenant when `employees` is null.
  absl::StatusOr<FanOutStats> FanOut(const std::string& tenant, const std::string& source_hash,
                                     const v1::NotificationContent& content,
                                     const std::vector<std::string>* employees);

 private:
  // An employee and their recipient-index entry (nullopt: not a recipient).
  using IndexedEmployee = std::pair<std::string, std::optional<uint32_t>>;
  // Employees left out of a fan-out, and why.
  using Skips = std::vector<std::pair<std::string, v1::SkipReason>>;

  absl::Time Now() const;
  // One chunk of a fan-out: drops non-recipients and uninterested employees, asks consent once
  // for the rest, creates the jobs of those who consent and records why the others get none.
  absl::Status FanOutChunk(const std::string& tenant, const std::string& source_hash,
                           const v1::NotificationContent& content,
                           const std::vector<IndexedEmployee>& chunk, absl::Time now,
                           FanOutStats* stats);
  // The candidates who consent to `purpose` (one BatchCheck); the others are added to `skips`.
  // Any consent error fails the whole chunk (fail closed).
  absl::StatusOr<std::vector<std::string>> Consenting(const std::string& tenant,
                                                      cv1::Purpose purpose,
                                                      const std::vector<std::string>& candidates,
                                                      Skips* skips);
  // Creates (or finds) the jobs and wakes the dispatcher when one is due now.
  absl::Status CreateJobs(const std::vector<MergeRequest>& merges, absl::Time now,
                          FanOutStats* stats);
  // Records the skips of one source, for ExplainDelivery, and counts them.
  absl::Status RecordSkipped(const std::string& tenant, const std::string& source_hash,
                             const Skips& skips, absl::Time now, FanOutStats* stats);
  absl::StatusOr<v1::BulkTriggerResponse> TriggerMany(const P& p, const std::string& tenant,
                                                      const std::vector<std::string>& employees,
                                                      const v1::NotificationContent& content,
                                                      const std::string& idempotency_key,
                                                      std::string_view employees_field);
  absl::Status FanOutEvent(const std::string& topic, const kafka::CloudEvent& ce,
                           const std::string& tenant, const v1::NotificationContent& content);

  NotificationsStore* store_;
  ConsentGateway* consent_;
  NotificationsMetrics* metrics_;
  std::function<void()> wake_;
  ManagerOptions options_;
};

}  // namespace advocacy::notifications
