#pragma once

// Every interface the notifications domain needs from outside: its store (NotificationsStore),
// the SMTP relay (MailSender) and the consent service (ConsentGateway). The manager and the
// dispatcher depend on these interfaces only, so unit tests use fakes (test/fakes.h) or the real
// store on a test redis-server, and the binary wires in the adapters: RedisNotificationsStore
// (redis_notifications_store.h), SmtpMailSender (smtp_sender.h) and GrpcConsentGateway
// (consent_client.h). The dead-letter events go through the outbox (outbox::Notifier, common).

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "advocacy/consent/v1/consent.pb.h"
#include "notifications_domain.h"

namespace advocacy::notifications {

// The service's name: its Redis keys start with "adv:notifications:", its events' ce_source is
// "/advocacy/notifications".
inline constexpr std::string_view kServiceName = "notifications";

// One message for the relay. The sender builds the MIME structure (multipart/alternative with a
// text and an HTML part, UTF-8, quoted-printable or base64) and the standard headers (Date, From,
// To, Subject encoded per RFC 2047 when not ASCII, MIME-Version, Message-ID).
struct OutgoingMail {
  std::string from_address;  // bare address for MAIL FROM and the From header
  std::string from_name;     // display name for the From header; may be empty
  std::string to_address;    // bare address for RCPT TO and the To header
  std::string to_name;       // display name for the To header; may be empty
  std::string subject;       // plain text, no CR/LF
  std::string text;          // the text/plain part
  std::string html;          // the text/html part
  // Stable for one logical mail across retries (derived from the job or digest id), so a relay
  // or a reader can tell a retry after an unknown outcome from a second mail. Without brackets.
  std::string message_id;
  // Extra headers in order, e.g. List-Unsubscribe and List-Unsubscribe-Post (RFC 8058).
  // Names and values must not contain CR or LF (the sender rejects them as INVALID_ARGUMENT).
  std::vector<std::pair<std::string, std::string>> headers;
};

// Called once, after the whole message has been handed to the transport and right before the
// end-of-data terminator that commits it at the relay. A non-OK result aborts the SMTP
// transaction (the connection is dropped without the terminator, so RFC 5321 relays discard the
// message) and Send returns that status unchanged. This is where the consent re-check goes: the
// last moment before a mail can no longer be called back.
using CommitGuard = std::function<absl::Status()>;

// Sends one message through the relay. Thread-safe (each call uses its own connection or a
// connection from an internal pool).
class MailSender {
 public:
  virtual ~MailSender() = default;
  // OK: the relay accepted the message (2xx after DATA).
  // UNAVAILABLE: transient, retry later (connection refused or reset, timeout, TLS handshake
  //   failure, any 4xx reply).
  // FAILED_PRECONDITION: permanent, do not retry (5xx reply, e.g. an unknown mailbox).
  // INVALID_ARGUMENT: the message itself is malformed (never retried).
  // The message names the SMTP reply code and text when there is one.
  // An empty `before_commit` commits unconditionally.
  virtual absl::Status Send(const OutgoingMail& mail, const CommitGuard& before_commit) = 0;
};

// The consent service as this service uses it. Thread-safe.
class ConsentGateway {
 public:
  virtual ~ConsentGateway() = default;
  // Whether each employee currently consents to `purpose` (a purpose without a network, e.g.
  // PURPOSE_EMAIL_TIPS or PURPOSE_COURSE_TIPS). result[i] answers employee_ids[i]. Splits
  // batches larger than the consent service's limit (10,000). Any error: the caller must treat
  // every employee as not consenting (fail closed) and retry later.
  virtual absl::StatusOr<std::vector<bool>> BatchCheck(
      std::string_view tenant_id, advocacy::consent::v1::Purpose purpose,
      const std::vector<std::string>& employee_ids) = 0;
  // Whether one employee currently consents to `purpose`, asked of the consent service itself
  // (not a local view), for the re-check right before a send commits.
  virtual absl::StatusOr<bool> Check(std::string_view tenant_id, std::string_view employee_id,
                                     advocacy::consent::v1::Purpose purpose) = 0;
  // Withdraws `purpose` for one employee, acting as the notifications service (one-click
  // unsubscribe). Idempotent under `idempotency_key`; withdrawing what is not given is OK.
  virtual absl::Status Withdraw(std::string_view tenant_id, std::string_view employee_id,
                                advocacy::consent::v1::Purpose purpose,
                                std::string_view idempotency_key) = 0;
};

// ---------------------------------------------------------------------------------------------
// The store. What every implementation guarantees:
//  * MergeJobs creates a job and adds it to the employee's open digest for its window in one
//    atomic step, so concurrent triggers for one window never create two digests; a job id
//    that exists is found, never created twice.
//  * A digest is the unit of one mail. BeginSend moves it from open to sending under an owner
//    and a claim deadline, and refuses when the send ledger already says "sent" (a mail is
//    never sent twice for one digest, step and channel). FinishSend records the outcome for
//    exactly the jobs that BeginSend handed out.
//  * CancelOpen cancels every open or sending digest of one employee and purpose, and their
//    jobs, in one atomic step. A digest being sent stays with its sender until that send ends
//    (its claim bounds it): the relay took the mail (sent) or not (cancelled, never retried).
//  * The due queue holds every open or sending digest until it is terminal: entries are removed
//    only after the digest's terminal state is stored, so a crash never loses one.

// Stored preferences with the version that orders index updates.
struct PreferencesRecord {
  v1::Preferences prefs;  // DefaultPreferences when never set
  int64_t version = 0;    // 0 when never set; grows by one per change
};

// What the dispatcher and the fan-out need of one employee.
struct Profile {
  std::string employee_id;
  std::optional<v1::Recipient> recipient;
  PreferencesRecord preferences;
};

// The tenant's recipient index: employee -> topic mask (0 = every topic).
struct IndexEntry {
  std::string employee_id;
  uint32_t mask = 0;
};
struct IndexPage {
  std::string next_cursor;  // "0" when the scan is complete
  std::vector<IndexEntry> entries;
};

enum class IdempotencyOutcome { kNew, kReplay, kConflict };

struct MergeRequest {
  std::string tenant_id;
  std::string employee_id;
  std::string suffix;       // the job id's last part
  v1::Job job;              // content, create_time, due_time, state
  std::string digest_base;  // "<purpose>-<window key>" or "i-<suffix>" (instant)
  int64_t due_ms = 0;       // when a new digest is due
};
struct MergeResult {
  bool created = false;  // false: the job existed already (nothing changed)
  bool merged = false;   // the job joined a digest that already had items
  std::string digest_id;
  int64_t due_ms = 0;
  bool open = false;  // the digest still waits to be sent
};

// A skipped job recorded cheaply in the tenant slot (no per-job key).
struct SkipRecord {
  v1::SkipReason reason = v1::SKIP_REASON_UNSPECIFIED;
  int64_t decide_ms = 0;
};

// A job as stored, with its current state and its digest.
struct JobView {
  v1::Job job;
  v1::SkipReason skip_reason = v1::SKIP_REASON_UNSPECIFIED;
  int64_t decide_ms = 0;
  std::string detail;
  std::string digest_id;
  // Of the digest:
  std::string digest_state;  // "O" open, "W" sending, "X" cancelled while sending, "S" sent,
                             // "C" cancelled, "K" skipped, "F" failed; empty when expired
  int attempts = 0;
  int64_t due_ms = 0;
  std::string message_id;
  int64_t consent_check_us = 0;  // when the last consent re-check started (Unix µs)
  std::string last_error;
};

// An entry of the due queue: one digest of one employee.
struct DueRef {
  std::string tenant_id;
  std::string employee_id;
  std::string digest_id;
  std::string Member() const;
  static std::optional<DueRef> Parse(std::string_view member);
};

struct BeginRequest {
  DueRef ref;
  std::string owner;
  int64_t now_ms = 0;
  int64_t claim_until_ms = 0;
  int weekly_cap = 0;       // 0 = none
  uint32_t topic_mask = 0;  // items whose topic is outside are skipped (TOPIC_FILTERED)
  // When not UNSPECIFIED, every live item is skipped with this reason and nothing is sent.
  v1::SkipReason skip_all = v1::SKIP_REASON_UNSPECIFIED;
};

enum class BeginOutcome {
  kGo,       // claimed: send `items`
  kGone,     // no such digest, or it is terminal: drop the queue entry
  kBusy,     // another worker holds an unexpired claim: leave it
  kSent,     // the ledger says it was sent (a crash after the relay's acceptance): now settled
  kSkipped,  // settled without sending: every live item skipped with `skip_reason`
  kEmpty,    // nothing left to send (all items cancelled or filtered): settled
};

struct BeginResult {
  BeginOutcome outcome = BeginOutcome::kGone;
  cv1::Purpose purpose = cv1::PURPOSE_UNSPECIFIED;
  int attempts = 0;  // attempts made before this one
  v1::SkipReason skip_reason = v1::SKIP_REASON_UNSPECIFIED;
  int skipped = 0;   // items skipped by this call (including topic-filtered ones)
  int filtered = 0;  // of which TOPIC_FILTERED
  std::vector<std::pair<std::string, v1::Job>> items;  // suffix, job (kGo only)
};

enum class FinishMode { kSent, kSkip, kRetry, kRelease, kFail };

struct FinishRequest {
  DueRef ref;
  std::string owner;
  FinishMode mode = FinishMode::kSent;
  int64_t now_ms = 0;
  v1::SkipReason skip_reason = v1::SKIP_REASON_UNSPECIFIED;  // kSkip
  std::string detail;                                        // kRetry, kFail, kSkip
  int64_t next_due_ms = 0;                                   // kRetry, kRelease
  std::string message_id;                                    // kSent
  int64_t consent_check_us = 0;       // kSent: when the consent re-check started (Unix µs)
  std::vector<std::string> suffixes;  // the items BeginSend handed out
  // kFail: the dead-letter event, written atomically with the FAILED state.
  std::string outbox_key;
  std::string outbox_entry;
};

struct FinishResult {
  bool applied = false;  // false: the claim was lost to another worker (nothing changed)
  int attempts = 0;
  // The digest was cancelled while this send was in flight and the relay did not take the
  // mail: it is now settled as cancelled (no retry, no dead letter).
  bool cancelled = false;
};

struct CancelResult {
  int jobs = 0;
  std::vector<std::string> digest_ids;  // settled as cancelled
  // Being sent at the moment of the cancellation: their jobs are cancelled, but the send in
  // flight decides whether the mail went (see SendsSettled).
  std::vector<std::string> sending;
};

class NotificationsStore {
 public:
  virtual ~NotificationsStore() = default;

  // Recipients and preferences (employee slot), and the tenant's recipient index.
  virtual absl::Status PutRecipient(const v1::Recipient& recipient) = 0;
  virtual absl::StatusOr<std::optional<v1::Recipient>> GetRecipient(
      const std::string& tenant, const std::string& employee) = 0;
  // Returns the new version.
  virtual absl::StatusOr<int64_t> PutPreferences(const v1::Preferences& prefs) = 0;
  virtual absl::StatusOr<PreferencesRecord> GetPreferences(const std::string& tenant,
                                                           const std::string& employee) = 0;
  // Sets the employee's index entry unless a newer preferences version is already indexed.
  // `only_if_present`: do nothing for employees not in the index (no recipient yet).
  virtual absl::Status IndexRecipient(const std::string& tenant, const std::string& employee,
                                      uint32_t mask, int64_t version, bool only_if_present) = 0;
  virtual absl::StatusOr<IndexPage> ScanRecipients(const std::string& tenant,
                                                   const std::string& cursor, size_t count) = 0;
  // The index entry of each employee (nullopt: not a recipient), in order.
  virtual absl::StatusOr<std::vector<std::optional<uint32_t>>> LookupRecipients(
      const std::string& tenant, const std::vector<std::string>& employees) = 0;
  // Recipient and preferences of each employee, in order.
  virtual absl::StatusOr<std::vector<Profile>> LoadProfiles(
      const std::string& tenant, const std::vector<std::string>& employees) = 0;

  // Records the body hash of an idempotency key the first time; later calls compare.
  virtual absl::StatusOr<IdempotencyOutcome> CheckIdempotency(const std::string& tenant,
                                                              const std::string& key,
                                                              const std::string& body_hash,
                                                              int64_t ttl_seconds) = 0;

  // Jobs and digests. Each merge is atomic in the employee's slot; the open digests are then
  // put on the due queue (kept if already there).
  virtual absl::StatusOr<std::vector<MergeResult>> MergeJobs(
      const std::vector<MergeRequest>& requests, int64_t now_ms) = 0;
  // Skips of one source (one event or trigger) in the tenant slot, kept for `ttl_seconds`.
  virtual absl::Status RecordSkips(const std::string& tenant, const std::string& suffix,
                                   const std::vector<std::pair<std::string, v1::SkipReason>>& skips,
                                   int64_t now_ms, int64_t ttl_seconds) = 0;
  virtual absl::StatusOr<std::optional<JobView>> GetJob(const std::string& tenant,
                                                        const std::string& employee,
                                                        const std::string& suffix) = 0;
  virtual absl::StatusOr<std::optional<SkipRecord>> GetSkip(const std::string& tenant,
                                                            const std::string& suffix,
                                                            const std::string& employee) = 0;
  virtual absl::StatusOr<CancelResult> CancelOpen(const std::string& tenant,
                                                  const std::string& employee, cv1::Purpose purpose,
                                                  int64_t now_ms, const std::string& detail) = 0;
  // True when none of `digests` (CancelResult::sending) can still reach the relay: each is
  // settled, or its sender's claim ended before `now_ms`.
  virtual absl::StatusOr<bool> SendsSettled(const std::string& tenant, const std::string& employee,
                                            const std::vector<std::string>& digests,
                                            int64_t now_ms) = 0;

  // The due queue.
  // Claims up to `limit` entries due at `now_ms`: they become invisible until `lease_until_ms`.
  virtual absl::StatusOr<std::vector<DueRef>> ClaimDue(int64_t now_ms, int64_t lease_until_ms,
                                                       size_t limit) = 0;
  // Moves an entry that is still queued to `due_ms`.
  virtual absl::Status Reschedule(const DueRef& ref, int64_t due_ms) = 0;
  virtual absl::Status RemoveDue(const std::vector<DueRef>& refs) = 0;
  virtual absl::StatusOr<int64_t> QueueDepth() = 0;

  // Sending.
  virtual absl::StatusOr<BeginResult> BeginSend(const BeginRequest& request) = 0;
  virtual absl::StatusOr<FinishResult> FinishSend(const FinishRequest& request) = 0;
};

}  // namespace advocacy::notifications
