#pragma once

// Every interface the consent domain needs from outside, and the plain types they exchange.
// ConsentManager and PropagationManager are written against these; the adapters
// (adapters/redis_consent_store.h, adapters/redis_propagation_store.h) implement them on Redis,
// and the unit tests use in-memory fakes. The outbox relay the managers notify after a commit is
// outbox::Notifier (advocacy/common/outbox.h).

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "advocacy/consent/storage/v1/consent_storage.pb.h"
#include "advocacy/consent/v1/consent.pb.h"

namespace advocacy::consent {

// The service's name: its Redis keys start with "adv:consent:", its events' ce_source is
// "/advocacy/consent".
inline constexpr std::string_view kServiceName = "consent";

// ---- Consent state, ledger, notices and idempotency records (ConsentStore) ----

// "<purpose>.<network>", e.g. "1.1" for sharing on LinkedIn.
std::string ScopeField(const v1::ConsentScope& scope);

struct Snapshot {
  int64_t sequence = 0;  // the employee's latest sequence, 0 if never changed
  std::map<std::string, storage::v1::StoredScope> scopes;  // by ScopeField
};

// One atomic change of one employee: compare-and-set on the sequence number.
struct EmployeeCommit {
  std::string tenant_id;
  std::string employee_id;
  int64_t expected_sequence = 0;  // commit only if the stored sequence still equals this
  int64_t new_sequence = 0;
  std::vector<storage::v1::StoredScope> scopes;  // new state of changed scopes (empty: no-op)
  std::string ledger_entry;                      // serialized v1::LedgerEntry, empty for a no-op
  std::string outbox_entry;        // outbox::Encode(...) of the event, empty for a no-op
  std::string idempotency_key;     // empty: none
  std::string idempotency_record;  // serialized storage::v1::IdempotencyRecord
  int64_t idempotency_ttl_ms = 0;
  // When the change is acknowledged (the ledger's recorded_at). A store that tracks propagation
  // records the change as waiting for receipts with this time; 0: not tracked.
  int64_t acknowledged_ms = 0;
};

enum class CommitResult {
  kCommitted,
  kSequenceConflict,     // someone changed the employee first: reload and try again
  kIdempotencyConflict,  // the key was used concurrently: read its record and replay
};

struct NoticeCommit {
  std::string tenant_id;
  int64_t expected_ordinal = 0;
  v1::Notice notice;  // ordinal = expected_ordinal + 1
  std::string outbox_entry;
};

struct LedgerPage {
  std::vector<std::string> entries;  // serialized v1::LedgerEntry, in sequence order
  bool more = false;
};

class ConsentStore {
 public:
  virtual ~ConsentStore() = default;

  virtual absl::StatusOr<Snapshot> Load(const std::string& tenant_id,
                                        const std::string& employee_id) = 0;
  virtual absl::StatusOr<std::optional<storage::v1::StoredScope>> GetScope(
      const std::string& tenant_id, const std::string& employee_id, const std::string& field) = 0;
  // One result per employee, in order.
  virtual absl::StatusOr<std::vector<std::optional<storage::v1::StoredScope>>> GetScopeBatch(
      const std::string& tenant_id, const std::vector<std::string>& employee_ids,
      const std::string& field) = 0;
  virtual absl::StatusOr<std::optional<storage::v1::IdempotencyRecord>> GetIdempotency(
      const std::string& tenant_id, const std::string& employee_id, const std::string& key) = 0;
  virtual absl::StatusOr<CommitResult> Commit(const EmployeeCommit& commit) = 0;
  // Entries with sequence in [first_sequence, first_sequence + limit).
  virtual absl::StatusOr<LedgerPage> ListLedger(const std::string& tenant_id,
                                                const std::string& employee_id,
                                                int64_t first_sequence, int limit) = 0;

  // Notices of a tenant.
  virtual absl::StatusOr<std::optional<v1::Notice>> GetNotice(const std::string& tenant_id,
                                                              const std::string& version) = 0;
  virtual absl::StatusOr<std::optional<v1::Notice>> GetCurrentNotice(
      const std::string& tenant_id) = 0;
  // The ordinal of the newest material notice (0 if none) and of the newest notice.
  virtual absl::StatusOr<std::pair<int64_t, int64_t>> GetNoticeOrdinals(
      const std::string& tenant_id) = 0;
  // false when the ordinal moved (another notice was published first): reload and retry.
  virtual absl::StatusOr<bool> CommitNotice(const NoticeCommit& commit) = 0;
};

// ---- Propagation receipts (PropagationStore) ----

// What is tracked, shared by RedisConsentStore (which records each committed change as pending)
// and RedisPropagationStore (which clears it when receipts arrive).
struct PropagationTracking {
  // The consuming services expected to apply every consent change (CONSENT_PROPAGATION_SERVICES).
  // Empty: no change is tracked as pending (receipts are still recorded).
  std::vector<std::string> services;
  // Receipts remembered per employee and service; the newest are kept.
  int receipts_kept = 100;
  // Changes remembered per employee as not yet applied by every expected service; the newest
  // are kept (an employee with more unapplied changes than this is still reported, by a newer
  // change).
  int pending_kept = 1000;
};

// One receipt as stored: the first report of `service` that it applied `sequence`.
struct StoredReceipt {
  int64_t sequence = 0;
  int64_t applied_ms = 0;
};

// What one service has reported for one employee, relative to a sequence asked about.
struct ServiceReceipts {
  // The receipt with the smallest sequence >= the one asked about: it covers that change.
  std::optional<StoredReceipt> covering;
  // The highest sequence the service reported for the employee; 0 when none.
  int64_t latest_sequence = 0;
};

class PropagationStore {
 public:
  virtual ~PropagationStore() = default;

  // Records that `service` applied `sequence` of the employee at `applied_ms`. Idempotent: only
  // the first receipt per service and sequence is kept, and the result says whether this was
  // it (true) or a repeat (false). Then forgets pending changes every expected service has
  // applied and brings the employee's entry of the unapplied index up to date.
  virtual absl::StatusOr<bool> RecordReceipt(const std::string& tenant_id,
                                             const std::string& employee_id,
                                             const std::string& service, int64_t sequence,
                                             int64_t applied_ms) = 0;

  // For each of `services` (same order): what it reported relative to `sequence`.
  virtual absl::StatusOr<std::vector<ServiceReceipts>> LoadReceipts(
      const std::string& tenant_id, const std::string& employee_id,
      const std::vector<std::string>& services, int64_t sequence) = 0;

  // The acknowledgement time (ms) of the oldest change, over all employees, that `service` has
  // not applied yet; nullopt when there is none. May verify and correct the index as it goes.
  virtual absl::StatusOr<std::optional<int64_t>> OldestUnapplied(const std::string& service) = 0;

  // Rebuilds index entries a crash may have left out (between a commit and its index write).
  // Returns how many employees with pending changes it looked at.
  virtual absl::StatusOr<int64_t> Reindex() = 0;
};

}  // namespace advocacy::consent
