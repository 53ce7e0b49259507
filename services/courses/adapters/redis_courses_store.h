#pragma once

// CoursesStore (ports.h) on Redis. Every key carries a hash tag, and each script touches the keys
// of one tag only, so each write is atomic in one hash slot and the same code runs on Redis
// Cluster. Each write script (lua/) is a compare-and-set that writes the state, the idempotency
// record and the outbox events together: tenant_put.lua for the catalog, learner_commit.lua and
// broadcast_commit.lua (which open with the shared cas_check.lua) for the other two.
//
// Tenant catalog, tag {t}:
//   adv:courses:{t}:c          hash    course_id -> StoredCourse
//   adv:courses:{t}:cs         hash    course_id -> v1.CourseSummary (for listings)
//   adv:courses:{t}:k          hash    checklist_id -> StoredChecklist (edited welcome lists,
//                                      the tenant's own, tombstones)
//   adv:courses:{t}:t          hash    "policy" -> v1.TenantPolicy
//   adv:courses:{t}:rev        hash    "c:<id>", "k:<id>", "policy" -> revision (the CAS word)
//   adv:courses:{t}:v:<code>   string  "<employee>\x1f<course>": certificate index
//   adv:courses:{t}:bx         zset    broadcast ids scored by start time (ms)
//   adv:outbox:{t}             list    CoursePublished, CourseArchived, TenantPolicyChanged
// One employee, tag {t:e}:
//   adv:courses:{t:e}:p        hash    "_seq", "c:<course_id>" -> StoredEnrollment,
//                                      "k:<checklist_id>" -> StoredChecklistProgress
//   adv:courses:{t:e}:i:<key>  string  IdempotencyRecord, expires
//   adv:outbox:{t:e}           list    enrollment, lesson and completion events (this list is
//                                      shared with the consent service's events of the same
//                                      employee; entries are self-describing)
// One broadcast, tag {t/broadcast/<id>}:
//   adv:courses:{..}:b         hash    "_seq", "def" -> StoredBroadcast
//   adv:courses:{..}:r         zset    seat holders, scored by the sequence that seated them
//   adv:courses:{..}:w         zset    the waiting list, scored by the sequence that queued them
//   adv:courses:{..}:i:<n>:<employee>:<key>   string IdempotencyRecord, expires
//   adv:outbox:{..}            list    broadcast and registration events
// Active learners, tag {active}:
//   adv:courses:{active}:learners  zset  "<t>:<e>" scored by last activity (ms)

#include "advocacy/common/redis_client.h"
#include "ports.h"

namespace advocacy::courses {

class RedisCoursesStore final : public CoursesStore {
 public:
  explicit RedisCoursesStore(redis::Pool* pool);

  absl::StatusOr<std::optional<storage::v1::StoredCourse>> GetCourse(
      const std::string& tenant_id, const std::string& course_id) override;
  absl::StatusOr<std::vector<v1::CourseSummary>> ListCourseSummaries(
      const std::string& tenant_id) override;
  absl::StatusOr<bool> PutCourse(const CourseWrite& write) override;
  absl::StatusOr<std::optional<storage::v1::StoredChecklist>> GetChecklist(
      const std::string& tenant_id, const std::string& checklist_id) override;
  absl::StatusOr<std::vector<storage::v1::StoredChecklist>> ListChecklists(
      const std::string& tenant_id) override;
  absl::StatusOr<bool> PutChecklist(const ChecklistWrite& write) override;
  absl::StatusOr<std::optional<v1::TenantPolicy>> GetPolicy(const std::string& tenant_id) override;
  absl::StatusOr<bool> PutPolicy(const PolicyWrite& write) override;

  absl::StatusOr<LearnerSnapshot> LoadLearner(const std::string& tenant_id,
                                              const std::string& employee_id) override;
  absl::StatusOr<std::optional<storage::v1::IdempotencyRecord>> GetLearnerIdempotency(
      const std::string& tenant_id, const std::string& employee_id,
      const std::string& key) override;
  absl::StatusOr<CommitResult> CommitLearner(const LearnerCommit& commit) override;
  absl::Status PutCertificateIndex(const std::string& tenant_id, const std::string& code,
                                   const std::string& employee_id,
                                   const std::string& course_id) override;
  absl::StatusOr<CertificateHolder> FindCertificate(const std::string& tenant_id,
                                                    const std::string& code) override;
  absl::Status RecordActivity(const std::string& tenant_id, const std::string& employee_id,
                              int64_t now_ms) override;
  absl::StatusOr<int64_t> CountActiveLearners(int64_t since_ms) override;

  absl::Status IndexBroadcast(const std::string& tenant_id, const std::string& broadcast_id,
                              int64_t starts_at_ms) override;
  absl::StatusOr<Page> ListBroadcastIds(const std::string& tenant_id, int64_t min_starts_at_ms,
                                        int64_t offset, int limit) override;
  absl::StatusOr<BroadcastSnapshot> LoadBroadcast(const std::string& tenant_id,
                                                  const std::string& broadcast_id,
                                                  const std::string& employee_id,
                                                  int waiting_head) override;
  absl::StatusOr<std::vector<BroadcastSnapshot>> LoadBroadcasts(
      const std::string& tenant_id, const std::vector<std::string>& broadcast_ids) override;
  absl::StatusOr<std::optional<storage::v1::IdempotencyRecord>> GetBroadcastIdempotency(
      const std::string& tenant_id, const std::string& broadcast_id, const std::string& employee_id,
      const std::string& key) override;
  absl::StatusOr<CommitResult> CommitBroadcast(const BroadcastCommit& commit) override;
  absl::StatusOr<Page> ListSeats(const std::string& tenant_id, const std::string& broadcast_id,
                                 bool waiting, int64_t offset, int limit) override;

  // Key names, for tests and operators.
  static std::string CourseKey(const std::string& tenant_id);
  static std::string LearnerKey(const std::string& tenant_id, const std::string& employee_id);
  static std::string BroadcastKey(const std::string& tenant_id, const std::string& broadcast_id);
  static std::string SeatsKey(const std::string& tenant_id, const std::string& broadcast_id);
  static std::string WaitingKey(const std::string& tenant_id, const std::string& broadcast_id);

 private:
  absl::StatusOr<bool> TenantPut(const std::string& tenant_id, const std::string& values_key,
                                 const std::string& second_key, const std::string& rev_field,
                                 int64_t expected, int64_t revision, const std::string& field,
                                 const std::string& value, const std::string& second_value,
                                 const std::string& outbox_entry);
  absl::StatusOr<std::optional<storage::v1::IdempotencyRecord>> GetIdempotency(
      const std::string& key);

  redis::Pool* pool_;
  redis::Script tenant_script_;
  redis::Script learner_script_;
  redis::Script broadcast_script_;
};

}  // namespace advocacy::courses
