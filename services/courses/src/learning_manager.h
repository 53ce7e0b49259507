#pragma once

// One employee's learning: enrollment (always voluntary: only the employee enrolls, records
// progress and ticks checklist items), lesson progress that counts each lesson once, quizzes
// scored here and never revealing the correct answers, course completion with a certificate
// that can be verified by its code. Every change is a compare-and-set on the employee's
// sequence number that writes the new state and its events together. No gRPC or Redis types.

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "advocacy/common/auth.h"
#include "advocacy/common/idempotent_write.h"
#include "advocacy/common/outbox.h"
#include "advocacy/courses/v1/courses_service.pb.h"
#include "catalog_manager.h"
#include "courses_domain.h"
#include "ports.h"

namespace advocacy::courses {

class LearningManager final {
 public:
  // `notifier` and `observer` may be null.
  LearningManager(CoursesStore* store, CatalogManager* catalog, outbox::Notifier* notifier,
                  CoursesObserver* observer, DomainOptions options, Clock clock = nullptr);

  absl::StatusOr<v1::EnrollInCourseResponse> Enroll(const auth::Principal& caller,
                                                    const v1::EnrollInCourseRequest& request);
  absl::StatusOr<v1::WithdrawEnrollmentResponse> WithdrawEnrollment(
      const auth::Principal& caller, const v1::WithdrawEnrollmentRequest& request);
  absl::StatusOr<v1::CompleteLessonResponse> CompleteLesson(
      const auth::Principal& caller, const v1::CompleteLessonRequest& request);
  absl::StatusOr<v1::SubmitQuizAnswersResponse> SubmitQuizAnswers(
      const auth::Principal& caller, const v1::SubmitQuizAnswersRequest& request);
  absl::StatusOr<v1::GetEnrollmentResponse> GetEnrollment(const auth::Principal& caller,
                                                          const v1::GetEnrollmentRequest& request);
  absl::StatusOr<v1::ListEnrollmentsResponse> ListEnrollments(
      const auth::Principal& caller, const v1::ListEnrollmentsRequest& request);
  absl::StatusOr<v1::VerifyCertificateResponse> VerifyCertificate(
      const auth::Principal& caller, const v1::VerifyCertificateRequest& request);
  absl::StatusOr<v1::SetChecklistItemResponse> SetChecklistItem(
      const auth::Principal& caller, const v1::SetChecklistItemRequest& request);
  absl::StatusOr<v1::GetChecklistProgressResponse> GetChecklistProgress(
      const auth::Principal& caller, const v1::GetChecklistProgressRequest& request);

 private:
  // What one decision changes. `response` is the serialized answer, remembered with the
  // idempotency key so a retry gets the same one.
  struct Change {
    std::vector<storage::v1::StoredEnrollment> enrollments;
    std::vector<storage::v1::StoredChecklistProgress> checklists;
    std::vector<std::string> outbox_entries;
    std::string certificate_code;  // indexed before the commit
    std::string course_id;
    std::optional<v1::CourseLevel> enrolled;   // for metrics
    std::optional<v1::CourseLevel> completed;  // for metrics
    std::string response;
    bool changed() const { return !enrollments.empty() || !checklists.empty(); }
  };
  // Decides on a snapshot; called again with a fresh snapshot after a conflict.
  using Decide = std::function<absl::StatusOr<Change>(const LearnerSnapshot& snapshot,
                                                      int64_t next_sequence, int64_t now_ms)>;
  // The serialized response of a write, and whether it was replayed from the idempotency
  // record instead of decided now.
  struct Written {
    std::string response;
    bool replayed = false;
  };
  // One change of one employee's learning (idempotent::Write): with a key, a recorded answer is
  // replayed; otherwise `decide` runs on a fresh snapshot until its commit wins.
  absl::StatusOr<Written> Write(const std::string& tenant_id, const std::string& employee_id,
                                const std::string& idempotency_key, const std::string& fingerprint,
                                const Decide& decide);
  // One attempt: load, decide, commit with the loaded sequence.
  idempotent::Attempt<Written> TryCommit(const std::string& tenant_id,
                                         const std::string& employee_id,
                                         const std::string& idempotency_key,
                                         const std::string& fingerprint, const Decide& decide);
  // The relay's fast path, the active-learners record and the metrics of a committed change.
  void AfterCommit(const std::string& tenant_id, const std::string& employee_id,
                   const LearnerCommit& commit, const Change& change, int64_t now_ms);
  // The course an employee can learn from: published or archived, never a draft.
  absl::StatusOr<v1::Course> LearnableCourse(const std::string& tenant_id,
                                             const std::string& course_id);
  // Marks the enrollment completed and adds the certificate and the CourseCompleted event.
  absl::Status Complete(const std::string& tenant_id, const std::string& employee_id,
                        const v1::Course& course, int64_t now_ms, int64_t sequence,
                        storage::v1::StoredEnrollment* enrollment, Change* change);
  v1::Enrollment View(const std::string& tenant_id, const std::string& employee_id,
                      const storage::v1::StoredEnrollment& enrollment,
                      const v1::Course& course) const;

  CoursesStore* store_;
  CatalogManager* catalog_;
  outbox::Notifier* notifier_;
  CoursesObserver* observer_;
  DomainOptions options_;
  Clock clock_;
  EventEncoder events_;
};

}  // namespace advocacy::courses
