#pragma once

// The tenant's catalog: courses (draft -> published -> archived), checklists (the welcome
// checklists overlaid copy-on-write), and the tenant policy. Admins write; everyone in the
// tenant reads, but employees and services see published courses only and never the correct
// answers of quizzes. Every write is a compare-and-set on the record's revision, and the event
// it causes is written with it. No gRPC and no Redis types here.

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "advocacy/common/auth.h"
#include "advocacy/common/outbox.h"
#include "advocacy/courses/v1/courses_service.pb.h"
#include "courses_domain.h"
#include "ports.h"

namespace advocacy::courses {

// The lesson with this id, or nullptr.
const v1::Lesson* FindLesson(const v1::Course& course, const std::string& lesson_id);
// Every lesson id, in course order.
std::vector<std::string> LessonIds(const v1::Course& course);
// Clears the correct answers of every quiz: what employees and services get.
void StripAnswers(v1::Course* course);

class CatalogManager final {
 public:
  // `notifier` may be null (unit tests that do not look at events).
  CatalogManager(CoursesStore* store, outbox::Notifier* notifier, DomainOptions options,
                 Clock clock = nullptr);

  absl::StatusOr<v1::CreateCourseResponse> CreateCourse(const auth::Principal& caller,
                                                        const v1::CreateCourseRequest& request);
  absl::StatusOr<v1::UpdateCourseResponse> UpdateCourse(const auth::Principal& caller,
                                                        const v1::UpdateCourseRequest& request);
  absl::StatusOr<v1::PublishCourseResponse> PublishCourse(const auth::Principal& caller,
                                                          const v1::PublishCourseRequest& request);
  absl::StatusOr<v1::ArchiveCourseResponse> ArchiveCourse(const auth::Principal& caller,
                                                          const v1::ArchiveCourseRequest& request);
  absl::StatusOr<v1::GetCourseResponse> GetCourse(const auth::Principal& caller,
                                                  const v1::GetCourseRequest& request);
  absl::StatusOr<v1::ListCoursesResponse> ListCourses(const auth::Principal& caller,
                                                      const v1::ListCoursesRequest& request);

  absl::StatusOr<v1::CreateChecklistResponse> CreateChecklist(
      const auth::Principal& caller, const v1::CreateChecklistRequest& request);
  absl::StatusOr<v1::UpdateChecklistResponse> UpdateChecklist(
      const auth::Principal& caller, const v1::UpdateChecklistRequest& request);
  absl::StatusOr<v1::DeleteChecklistResponse> DeleteChecklist(
      const auth::Principal& caller, const v1::DeleteChecklistRequest& request);
  absl::StatusOr<v1::GetChecklistResponse> GetChecklist(const auth::Principal& caller,
                                                        const v1::GetChecklistRequest& request);
  absl::StatusOr<v1::ListChecklistsResponse> ListChecklists(
      const auth::Principal& caller, const v1::ListChecklistsRequest& request);

  absl::StatusOr<v1::GetTenantPolicyResponse> GetTenantPolicy(
      const auth::Principal& caller, const v1::GetTenantPolicyRequest& request);
  absl::StatusOr<v1::SetTenantPolicyResponse> SetTenantPolicy(
      const auth::Principal& caller, const v1::SetTenantPolicyRequest& request);

  // Lookups for the other managers, which have authorized the caller already. Full courses,
  // answers included.
  absl::StatusOr<std::optional<v1::Course>> FindCourse(const std::string& tenant_id,
                                                       const std::string& course_id);
  // The tenant's version of a checklist: its own, its edited copy of a welcome checklist, or
  // the welcome checklist itself; nullopt when there is none or it was deleted.
  absl::StatusOr<std::optional<v1::Checklist>> FindChecklist(const std::string& tenant_id,
                                                             const std::string& checklist_id);
  absl::StatusOr<v1::TenantPolicy> Policy(const std::string& tenant_id);

 private:
  // The checklist as stored (for its revision) and as the tenant sees it.
  struct ChecklistState {
    int64_t stored_revision = 0;  // 0: nothing stored (a welcome checklist, or none)
    std::optional<v1::Checklist> current;
    std::string create_fingerprint;
  };
  absl::StatusOr<ChecklistState> LoadChecklist(const std::string& tenant_id,
                                               const std::string& checklist_id);
  // Publication or archival: one compare-and-set on the course's revision, with its event.
  absl::StatusOr<v1::Course> ChangeCourseState(const auth::Principal& caller,
                                               const std::string& tenant_id,
                                               const std::string& course_id, v1::CourseState to);
  // FAILED_PRECONDITION unless `course` is a draft whose prerequisites are all published.
  absl::Status CheckPublishable(const std::string& tenant_id, const v1::Course& course);
  // FAILED_PRECONDITION unless `course` is published, no published course requires it and the
  // tenant policy does not recommend it.
  absl::Status CheckArchivable(const std::string& tenant_id, const v1::Course& course);
  // CoursePublished or CourseArchived (after `course` changed state), as an outbox entry.
  std::string StateChangeEvent(const auth::Principal& caller, const v1::Course& course,
                               int64_t now_ms) const;
  // FAILED_PRECONDITION unless `course_id` is empty or a published course of the tenant.
  absl::Status CheckRecommendable(const std::string& tenant_id, const std::string& course_id);
  void Notify(const std::string& tenant_id, const std::string& entry);

  CoursesStore* store_;
  outbox::Notifier* notifier_;
  DomainOptions options_;
  Clock clock_;
  EventEncoder events_;
};

}  // namespace advocacy::courses
