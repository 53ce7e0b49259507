#pragma once

// PropagationStore on Redis.
//
//   adv:consent:{t:e}:r:<service>  zset  receipts of one service: score = sequence,
//                                        member "<sequence>:<applied ms>"; newest receipts_kept
//   adv:consent:{t:e}:p            zset  changes not yet applied by every expected service:
//                                        score = sequence, member "<sequence>:<ack ms>";
//                                        written by the commit script, newest pending_kept
//   adv:consent:unapplied:<service> zset employees with a change <service> has not applied:
//                                        member "tenant/employee", score = ack ms of the oldest
//
// The per-employee keys share the hash tag {tenant:employee}: the receipt script and the
// "oldest unapplied" script touch one slot. The unapplied index is one global key per service
// and therefore cross-slot with everything else; it is only ever written by single commands
// next to a script, never inside one, so the code runs unchanged on Redis Cluster. That makes
// the index a cache of the per-employee truth, kept honest like this:
// - it is never missing an employee with a pending change: a writer that removes an entry
//   reads the truth again afterwards and puts it back if a change arrived meanwhile, the commit
//   adds (NX) after its script, and Reindex() at start re-adds what a crash left out;
// - it may hold a stale entry (too old or already applied): OldestUnapplied() checks the head
//   against the employee's truth and corrects it before reporting, so the gauge never reports
//   a change that was applied.

#include "advocacy/common/redis_client.h"
#include "ports.h"

namespace advocacy::consent {

class RedisPropagationStore final : public PropagationStore {
 public:
  RedisPropagationStore(redis::Pool* pool, PropagationTracking tracking);

  absl::StatusOr<bool> RecordReceipt(const std::string& tenant_id, const std::string& employee_id,
                                     const std::string& service, int64_t sequence,
                                     int64_t applied_ms) override;
  absl::StatusOr<std::vector<ServiceReceipts>> LoadReceipts(
      const std::string& tenant_id, const std::string& employee_id,
      const std::vector<std::string>& services, int64_t sequence) override;
  absl::StatusOr<std::optional<int64_t>> OldestUnapplied(const std::string& service) override;
  absl::StatusOr<int64_t> Reindex() override;

  // Brings the employee's entries of every expected service's index in line with the truth.
  absl::Status Reconcile(const std::string& tenant_id, const std::string& employee_id);

 private:
  // Per expected service: the ack ms of the employee's oldest change it has not applied, or 0.
  // (lua/oldest_unapplied.lua)
  absl::StatusOr<std::vector<int64_t>> OldestPerService(const std::string& tenant_id,
                                                        const std::string& employee_id);
  // ZADD/ZREM on the unapplied indexes in one pipeline; an error reply is a status.
  absl::Status RunIndexUpdates(const std::vector<std::vector<std::string>>& cmds);

  redis::Pool* pool_;
  PropagationTracking tracking_;
  redis::Script receipt_script_;
  redis::Script oldest_script_;
};

}  // namespace advocacy::consent
