#pragma once

// Sends due digests. Workers claim entries of the due queue with a lease (a crashed replica's
// claims come back after the lease), then for each claimed digest:
//   1. load the recipient and preferences; respect quiet hours (rescheduled, not sent);
//   2. BeginSend: drop cancelled and topic-filtered items, apply the weekly cap, refuse when
//      the send ledger already says "sent", and claim the digest;
//   3. one BatchCheck per tenant and purpose: no consent -> SKIPPED/NO_CONSENT; any error ->
//      nothing is sent, the digest is retried later (fail closed);
//   4. MailSender::Send with a CommitGuard that asks the consent service (Check) once more,
//      right before the relay commits the mail; a "not granted" aborts the transaction;
//   5. FinishSend records the outcome: sent (ledger + states), skipped, retry with exponential
//      backoff and full jitter (UNAVAILABLE, up to max_attempts), or failed with a
//      DeliveryFailed event on the dead-letter topic (through the outbox, atomically).
//
// Guarantees:
//  * A mail is not sent when the consent service answered "not granted" to the re-check made
//    right before the relay's commit; a withdrawal acknowledged before that check started
//    always stops the mail.
//  * At most one mail per digest and step, except after a crash between the relay's
//    acceptance and the ledger write: then the same mail (same Message-ID) is sent again.
//  * Nothing due is lost: queue entries go only after the digest is settled.

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "advocacy/common/outbox.h"
#include "notifications_metrics.h"
#include "ports.h"
#include "unsubscribe.h"

namespace advocacy::notifications {

struct DispatcherOptions {
  int workers = 2;
  size_t batch = 100;
  std::chrono::milliseconds poll_interval{500};
  // Must exceed the longest send (SMTP timeouts plus two consent calls).
  std::chrono::milliseconds claim_lease{120000};
  int max_attempts = 6;
  std::chrono::milliseconds retry_base{2000};
  std::chrono::milliseconds retry_max{600000};
  // How long to wait before trying again when the consent service could not answer.
  std::chrono::milliseconds consent_retry{5000};
  std::string mail_from = "notifications@localhost";
  std::string mail_from_name = "Advocacy";
  // https:// base of the unsubscribe endpoint, as the recipient's mail client reaches it.
  std::string public_base_url = "https://localhost";
  absl::Duration unsubscribe_ttl = absl::Hours(24 * 90);
  std::string dlq_topic = "advocacy.notifications.v1.dlq";
  // Identifies this process's claims; empty: random.
  std::string owner;
  // The clock; tests replace it.
  std::function<absl::Time()> now;
  // Seed of the retry jitter; 0: random.
  uint64_t seed = 0;
};

class Dispatcher final {
 public:
  // Every pointer must outlive the dispatcher. `outbox` is told of each dead-letter event a
  // script wrote to the outbox, so the relay publishes it at once (null: the relay's sweep
  // publishes it after the lease); `metrics` may be null.
  Dispatcher(NotificationsStore* store, MailSender* sender, ConsentGateway* consent,
             const UnsubscribeTokenSigner* signer, NotificationsMetrics* metrics,
             outbox::Notifier* outbox, DispatcherOptions options);
  ~Dispatcher();
  Dispatcher(const Dispatcher&) = delete;
  Dispatcher& operator=(const Dispatcher&) = delete;

  // Starts the workers.
  void Start();
  // Stops claiming; sends in progress finish first. Idempotent.
  void Stop();
  // Ends a worker's wait now (a job became due).
  void Wake();

  // Claims one batch and processes it; the number of digests claimed. The workers call it in
  // a loop; tests call it directly.
  absl::StatusOr<size_t> RunOnce(size_t worker = 0);

  // The delay before attempt `attempts + 1` after `attempts` failures: uniform in
  // [0, min(retry_max, retry_base * 2^(attempts-1))] ("full jitter").
  std::chrono::milliseconds Backoff(int attempts);

  const std::string& owner() const { return owner_; }

 private:
  struct Work;
  // What one pass claimed and began: the digests to send, and those already settled.
  struct Batch {
    std::vector<Work> works;
    std::vector<DueRef> settled;
  };
  absl::Time Now() const;
  void Loop(size_t worker);
  void Settle(const std::vector<DueRef>& refs);
  // Recipient and preferences of each claimed digest (one store call per tenant), in order.
  absl::StatusOr<std::vector<Profile>> LoadProfiles(const std::vector<DueRef>& refs);
  // Steps 1-2 for one digest: quiet hours, then BeginSend; adds it to `batch` by its outcome.
  // Fails only when a reschedule for quiet hours could not be stored.
  absl::Status Begin(const DueRef& ref, const Profile& profile, const std::string& owner,
                     absl::Time now, int64_t lease_end, Batch& batch);
  // Files a digest under `batch` by what BeginSend answered: to send, or settled.
  void AddToBatch(const DueRef& ref, const Profile& profile, const std::string& owner,
                  BeginResult begun, Batch& batch);
  // Step 3: one BatchCheck per tenant and purpose, then step 4 for those who consent.
  void CheckConsentAndSend(std::vector<Work>& works, absl::Time now);
  // Settles a digest whose employee the batch check found without consent (SKIPPED/NO_CONSENT).
  void SkipWithoutConsent(Work& work, std::vector<DueRef>& settled);
  // Step 4 for one digest: the mail, sent with the consent re-check as its commit guard; then
  // step 5 by the outcome.
  void SendOne(Work& work, absl::Time now);
  // The mail of one digest, or the reason it cannot be built (a permanent failure).
  absl::StatusOr<OutgoingMail> BuildMail(const Work& work, absl::Time now);
  // The relay took the mail: the ledger, the jobs and the digest say so.
  void RecordSent(Work& work, const OutgoingMail& mail, int64_t check_us, absl::Time after);
  // The re-check found consent withdrawn and the transaction was aborted: SKIPPED/NO_CONSENT.
  void RecordRefused(Work& work, absl::Time after);
  // The relay did not take the mail: a retry with backoff while attempts remain and the error
  // is transient (UNAVAILABLE), else failed and dead-lettered.
  void RetryOrFail(Work& work, const absl::Status& sent, absl::Time after);
  void Fail(Work& work, const std::string& error, bool permanent, absl::Time now);
  void Release(Work& work, absl::Time now, std::chrono::milliseconds delay);
  std::chrono::milliseconds Jitter(std::chrono::milliseconds cap);

  NotificationsStore* store_;
  MailSender* sender_;
  ConsentGateway* consent_;
  const UnsubscribeTokenSigner* signer_;
  NotificationsMetrics* metrics_;
  outbox::Notifier* outbox_;
  DispatcherOptions options_;
  std::string owner_;
  std::string mail_domain_;

  std::mutex rng_mu_;
  std::mt19937_64 rng_;  // guarded by rng_mu_

  std::mutex mu_;
  std::condition_variable cv_;
  uint64_t wakeups_ = 0;   // guarded by mu_
  bool stopping_ = false;  // guarded by mu_
  std::vector<std::thread> threads_;
  std::atomic<int64_t> last_depth_update_ms_{0};
};

}  // namespace advocacy::notifications
