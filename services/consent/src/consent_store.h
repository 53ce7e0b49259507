#pragma once

// Storage of consent state, ledger, notices and idempotency records. The domain logic in
// ConsentManager is written against this interface; RedisConsentStore is the production
// implementation and the unit tests use an in-memory one.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "advocacy/common/outbox.h"
#include "advocacy/consent/v1/consent.pb.h"
#include "src/storage/consent_storage.pb.h"

namespace advocacy::consent {

// "<purpose>.<network>", e.g. "1.1" for sharing on LinkedIn.
std::string ScopeField(const v1::ConsentScope& scope);

struct Snapshot {
  int64_t sequence = 0;  // the employee's latest sequence, 0 if never changed
  std::map<std::string, storage::StoredScope> scopes;  // by ScopeField
};

// One atomic change of one employee: compare-and-set on the sequence number.
struct EmployeeCommit {
  std::string tenant_id;
  std::string employee_id;
  int64_t expected_sequence = 0;  // commit only if the stored sequence still equals this
  int64_t new_sequence = 0;
  std::vector<storage::StoredScope> scopes;  // new state of changed scopes (empty: no-op)
  std::string ledger_entry;                  // serialized v1::LedgerEntry, empty for a no-op
  std::string outbox_entry;                  // outbox::Encode(...) of the event, empty for a no-op
  std::string idempotency_key;               // empty: none
  std::string idempotency_record;            // serialized storage::IdempotencyRecord
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
  virtual absl::StatusOr<std::optional<storage::StoredScope>> GetScope(
      const std::string& tenant_id, const std::string& employee_id, const std::string& field) = 0;
  // One result per employee, in order.
  virtual absl::StatusOr<std::vector<std::optional<storage::StoredScope>>> GetScopeBatch(
      const std::string& tenant_id, const std::vector<std::string>& employee_ids,
      const std::string& field) = 0;
  virtual absl::StatusOr<std::optional<storage::IdempotencyRecord>> GetIdempotency(
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

// Called after a commit with the outbox entry it wrote, so the relay can publish at once.
using OutboxNotifier = outbox::Notifier;

}  // namespace advocacy::consent
