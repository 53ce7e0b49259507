#pragma once

// What the courses domain needs from outside, as interfaces: the unit tests give the managers
// fakes of these (test/in_memory_courses_store.h), production the adapters. The outbox notifier
// is outbox::Notifier (common).
//
// CoursesStore: storage of the courses domain; adapters/redis_courses_store.* is the production
// implementation. Three kinds of aggregate, each written by compare-and-set so that every change
// and the events describing it land together:
//   - the tenant catalog (courses, checklists, policy): CAS on the record's revision;
//   - one employee's learning (enrollments, progress, checklist ticks): CAS on the employee's
//     sequence number;
//   - one broadcast with its seats and waiting list: CAS on the broadcast's sequence number.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "advocacy/courses/storage/v1/courses_storage.pb.h"
#include "advocacy/courses/v1/courses.pb.h"

namespace advocacy::courses {

// The service's name: its Redis keys start with "adv:courses:", its events' ce_source is
// "/advocacy/courses".
inline constexpr std::string_view kServiceName = "courses";

enum class CommitResult {
  kCommitted,
  kSequenceConflict,     // someone changed the aggregate first: reload and decide again
  kIdempotencyConflict,  // the key was taken concurrently: read its record and replay
};

// ---- Tenant catalog -------------------------------------------------------------------------

struct CourseWrite {
  std::string tenant_id;
  int64_t expected_revision = 0;     // 0: the course must not exist yet
  storage::v1::StoredCourse course;  // course.course().revision() is the new revision
  v1::CourseSummary summary;
  std::string outbox_entry;  // empty: no event
};

struct ChecklistWrite {
  std::string tenant_id;
  int64_t expected_revision = 0;  // the stored record's revision; 0: nothing stored yet
  storage::v1::StoredChecklist checklist;
};

struct PolicyWrite {
  std::string tenant_id;
  int64_t expected_revision = 0;
  v1::TenantPolicy policy;
  std::string outbox_entry;
};

// ---- One employee ---------------------------------------------------------------------------

struct LearnerSnapshot {
  int64_t sequence = 0;  // 0: the employee never did anything here
  std::map<std::string, storage::v1::StoredEnrollment> enrollments;        // by course id
  std::map<std::string, storage::v1::StoredChecklistProgress> checklists;  // by checklist id
};

struct LearnerCommit {
  std::string tenant_id;
  std::string employee_id;
  int64_t expected_sequence = 0;
  int64_t new_sequence = 0;  // == expected_sequence when only an idempotency record is written
  std::vector<storage::v1::StoredEnrollment> enrollments;
  std::vector<storage::v1::StoredChecklistProgress> checklists;
  std::vector<std::string> outbox_entries;
  std::string idempotency_key;  // empty: none
  std::string idempotency_record;
  int64_t idempotency_ttl_ms = 0;
};

// ---- One broadcast --------------------------------------------------------------------------

struct BroadcastSnapshot {
  int64_t sequence = 0;  // 0: no such broadcast
  std::optional<storage::v1::StoredBroadcast> broadcast;
  int64_t registered_count = 0;
  int64_t waiting_count = 0;
  // Of the employee asked about (NONE when none was asked about).
  v1::RegistrationStatus status = v1::REGISTRATION_STATUS_NONE;
  int64_t waiting_position = 0;  // 1-based, when WAITLISTED
  // The first employees of the waiting list, as many as were asked for.
  std::vector<std::string> waiting_head;
};

enum class SeatOp { kAddSeat, kRemoveSeat, kAddWaiting, kRemoveWaiting };

struct SeatChange {
  SeatOp op;
  std::string employee_id;
  int64_t order = 0;  // for additions: the sequence of the change, which orders both lists
};

struct BroadcastCommit {
  std::string tenant_id;
  std::string broadcast_id;
  int64_t expected_sequence = 0;  // 0: the broadcast must not exist yet
  int64_t new_sequence = 0;
  std::optional<storage::v1::StoredBroadcast> broadcast;  // the new definition, when it changed
  std::vector<SeatChange> seats;
  std::vector<std::string> outbox_entries;
  std::string idempotency_employee_id;  // the key belongs to this employee
  std::string idempotency_key;          // empty: none
  std::string idempotency_record;
  int64_t idempotency_ttl_ms = 0;
};

// The (employee id, course id) a certificate's verification code was issued for, if any.
using CertificateHolder = std::optional<std::pair<std::string, std::string>>;

struct Page {
  std::vector<std::string> ids;
  bool more = false;
};

class CoursesStore {
 public:
  virtual ~CoursesStore() = default;

  // Catalog. Put* return false when the revision moved (reload and decide again).
  virtual absl::StatusOr<std::optional<storage::v1::StoredCourse>> GetCourse(
      const std::string& tenant_id, const std::string& course_id) = 0;
  virtual absl::StatusOr<std::vector<v1::CourseSummary>> ListCourseSummaries(
      const std::string& tenant_id) = 0;
  virtual absl::StatusOr<bool> PutCourse(const CourseWrite& write) = 0;
  virtual absl::StatusOr<std::optional<storage::v1::StoredChecklist>> GetChecklist(
      const std::string& tenant_id, const std::string& checklist_id) = 0;
  virtual absl::StatusOr<std::vector<storage::v1::StoredChecklist>> ListChecklists(
      const std::string& tenant_id) = 0;
  virtual absl::StatusOr<bool> PutChecklist(const ChecklistWrite& write) = 0;
  virtual absl::StatusOr<std::optional<v1::TenantPolicy>> GetPolicy(
      const std::string& tenant_id) = 0;
  virtual absl::StatusOr<bool> PutPolicy(const PolicyWrite& write) = 0;

  // One employee.
  virtual absl::StatusOr<LearnerSnapshot> LoadLearner(const std::string& tenant_id,
                                                      const std::string& employee_id) = 0;
  virtual absl::StatusOr<std::optional<storage::v1::IdempotencyRecord>> GetLearnerIdempotency(
      const std::string& tenant_id, const std::string& employee_id, const std::string& key) = 0;
  virtual absl::StatusOr<CommitResult> CommitLearner(const LearnerCommit& commit) = 0;

  // Certificates are found by code through a tenant index written before the completion
  // commit; an index entry whose commit never happened points to an enrollment without that
  // code, so readers must check the code against the enrollment.
  virtual absl::Status PutCertificateIndex(const std::string& tenant_id, const std::string& code,
                                           const std::string& employee_id,
                                           const std::string& course_id) = 0;
  virtual absl::StatusOr<CertificateHolder> FindCertificate(const std::string& tenant_id,
                                                            const std::string& code) = 0;

  // Active learners: the last time each employee of any tenant did something.
  virtual absl::Status RecordActivity(const std::string& tenant_id, const std::string& employee_id,
                                      int64_t now_ms) = 0;
  // Forgets activity older than since_ms and counts what is left.
  virtual absl::StatusOr<int64_t> CountActiveLearners(int64_t since_ms) = 0;

  // Broadcasts. The tenant index orders them by start time; it is written before the
  // broadcast itself, so an id whose broadcast does not exist is skipped by readers.
  virtual absl::Status IndexBroadcast(const std::string& tenant_id, const std::string& broadcast_id,
                                      int64_t starts_at_ms) = 0;
  // Ids with starts_at_ms >= min_starts_at_ms, by start time, from offset.
  virtual absl::StatusOr<Page> ListBroadcastIds(const std::string& tenant_id,
                                                int64_t min_starts_at_ms, int64_t offset,
                                                int limit) = 0;
  // employee_id may be empty; waiting_head is how many of the waiting list to return.
  virtual absl::StatusOr<BroadcastSnapshot> LoadBroadcast(const std::string& tenant_id,
                                                          const std::string& broadcast_id,
                                                          const std::string& employee_id,
                                                          int waiting_head) = 0;
  // One snapshot per id, in order, without employee data.
  virtual absl::StatusOr<std::vector<BroadcastSnapshot>> LoadBroadcasts(
      const std::string& tenant_id, const std::vector<std::string>& broadcast_ids) = 0;
  virtual absl::StatusOr<std::optional<storage::v1::IdempotencyRecord>> GetBroadcastIdempotency(
      const std::string& tenant_id, const std::string& broadcast_id, const std::string& employee_id,
      const std::string& key) = 0;
  virtual absl::StatusOr<CommitResult> CommitBroadcast(const BroadcastCommit& commit) = 0;
  // Seat holders (waiting = false) or the waiting list, in order, from offset.
  virtual absl::StatusOr<Page> ListSeats(const std::string& tenant_id,
                                         const std::string& broadcast_id, bool waiting,
                                         int64_t offset, int limit) = 0;
};

// What metrics are made of (courses_metrics.h). Called after the change is committed; must not
// block.
class CoursesObserver {
 public:
  virtual ~CoursesObserver() = default;
  virtual void Enrolled(const std::string& course_id, v1::CourseLevel level) = 0;
  virtual void Completed(const std::string& course_id, v1::CourseLevel level) = 0;
  // "registered", "waitlisted", "promoted" or "cancelled".
  virtual void RegistrationChanged(std::string_view outcome) = 0;
};

}  // namespace advocacy::courses
