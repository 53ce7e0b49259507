#pragma once

// Storage of propagation receipts: which consuming service applied which consent change of an
// employee, and when; and the index of changes some expected service has not applied yet (for
// the "oldest unapplied change" gauge). PropagationManager is written against this interface;
// RedisPropagationStore is the production implementation.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace advocacy::consent {

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
