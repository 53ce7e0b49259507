#pragma once

// ConsentStore on Redis. Every key of one employee carries the hash tag {tenant:employee} and
// every key of a tenant {tenant}, so each script touches one hash slot and the same code runs
// on Redis Cluster. The commit script (lua/commit_change.lua) is a compare-and-set on the
// employee's sequence number (the shared cas_check preamble) that writes state, ledger entry,
// idempotency record and outbox event together; lua/publish_notice.lua does the same for a
// tenant's notices.
//
//   adv:consent:{t:e}:s        hash   "_seq" and one field per scope -> StoredScope
//   adv:consent:{t:e}:l        list   LedgerEntry, index = sequence - 1 (append-only)
//   adv:consent:{t:e}:i:<key>  string IdempotencyRecord, expires
//   adv:consent:outbox:{t:e}   list   events not yet acknowledged by Kafka
//   adv:consent:{t:e}:p        zset   changes not yet applied by every expected service
//                                     (only with PropagationTracking::services; see
//                                     redis_propagation_store.h)
//   adv:consent:{t}:n          hash   "v:<version>" -> Notice, "_ordinal", "_material", "_current"
//   adv:consent:outbox:{t}     list   tenant events (NoticePublished)

#include "advocacy/common/redis_client.h"
#include "ports.h"

namespace advocacy::consent {

class RedisConsentStore final : public ConsentStore {
 public:
  // With `tracking.services` set, each committed change is also recorded as pending for those
  // services (in the commit script) and added to their unapplied index (right after it).
  explicit RedisConsentStore(redis::Pool* pool, PropagationTracking tracking = {});

  absl::StatusOr<Snapshot> Load(const std::string& tenant_id,
                                const std::string& employee_id) override;
  absl::StatusOr<std::optional<storage::v1::StoredScope>> GetScope(
      const std::string& tenant_id, const std::string& employee_id,
      const std::string& field) override;
  absl::StatusOr<std::vector<std::optional<storage::v1::StoredScope>>> GetScopeBatch(
      const std::string& tenant_id, const std::vector<std::string>& employee_ids,
      const std::string& field) override;
  absl::StatusOr<std::optional<storage::v1::IdempotencyRecord>> GetIdempotency(
      const std::string& tenant_id, const std::string& employee_id,
      const std::string& key) override;
  absl::StatusOr<CommitResult> Commit(const EmployeeCommit& commit) override;
  absl::StatusOr<LedgerPage> ListLedger(const std::string& tenant_id,
                                        const std::string& employee_id, int64_t first_sequence,
                                        int limit) override;
  absl::StatusOr<std::optional<v1::Notice>> GetNotice(const std::string& tenant_id,
                                                      const std::string& version) override;
  absl::StatusOr<std::optional<v1::Notice>> GetCurrentNotice(const std::string& tenant_id) override;
  absl::StatusOr<std::pair<int64_t, int64_t>> GetNoticeOrdinals(
      const std::string& tenant_id) override;
  absl::StatusOr<bool> CommitNotice(const NoticeCommit& commit) override;

 private:
  void IndexPending(const std::string& tenant_id, const std::string& employee_id,
                    int64_t acknowledged_ms);

  redis::Pool* pool_;
  PropagationTracking tracking_;
  redis::Script commit_script_;
  redis::Script notice_script_;
};

}  // namespace advocacy::consent
