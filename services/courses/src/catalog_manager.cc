#include "catalog_manager.h"

#include <algorithm>
#include <map>
#include <tuple>

#include "advocacy/common/clock.h"
#include "advocacy/common/digest.h"
#include "advocacy/common/idempotent_write.h"
#include "advocacy/common/ids.h"
#include "advocacy/common/logging.h"
#include "advocacy/common/outbox.h"
#include "advocacy/common/status_macros.h"
#include "advocacy/common/strings.h"
#include "advocacy/courses/v1/courses_events.pb.h"
#include "checklist_seed.h"
#include "courses_validation.h"

namespace advocacy::courses {
namespace {

using auth::Principal;
using auth::Role;

constexpr std::initializer_list<Role> kEveryone = {Role::kEmployee, Role::kAdmin, Role::kService};

void FillComputed(v1::Course* course) {
  int minutes = 0;
  int lessons = 0;
  for (const auto& m : course->content().modules()) {
    for (const auto& l : m.lessons()) {
      minutes += l.estimated_minutes();
      ++lessons;
    }
  }
  course->set_estimated_minutes(minutes);
  course->set_lesson_count(lessons);
}

v1::CourseSummary Summarize(const v1::Course& c) {
  v1::CourseSummary s;
  s.set_course_id(c.course_id());
  s.set_title(c.content().title());
  s.set_description(c.content().description());
  s.set_level(c.content().level());
  s.set_language(c.content().language());
  s.set_state(c.state());
  s.set_revision(c.revision());
  s.set_estimated_minutes(c.estimated_minutes());
  s.set_lesson_count(c.lesson_count());
  *s.mutable_prerequisite_course_ids() = c.content().prerequisite_course_ids();
  *s.mutable_created_at() = c.created_at();
  if (c.has_published_at()) *s.mutable_published_at() = c.published_at();
  return s;
}

absl::Status NegativeRevision() {
  return absl::InvalidArgumentError("expected_revision: 0 (no check) or a revision");
}

absl::Status NoCourse(const std::string& course_id) {
  return absl::NotFoundError(
      advocacy::StrCat("course_id: no course '", course_id, "' in this tenant"));
}

absl::Status NoChecklist(const std::string& checklist_id) {
  return absl::NotFoundError(
      advocacy::StrCat("checklist_id: no checklist '", checklist_id, "' in this tenant"));
}

std::string_view StateName(v1::CourseState s) {
  switch (s) {
    case v1::COURSE_STATE_DRAFT:
      return "a draft";
    case v1::COURSE_STATE_PUBLISHED:
      return "published";
    case v1::COURSE_STATE_ARCHIVED:
      return "archived";
    default:
      return "in an unknown state";
  }
}

}  // namespace

const v1::Lesson* FindLesson(const v1::Course& course, const std::string& lesson_id) {
  for (const auto& m : course.content().modules()) {
    for (const auto& l : m.lessons()) {
      if (l.lesson_id() == lesson_id) return &l;
    }
  }
  return nullptr;
}

std::vector<std::string> LessonIds(const v1::Course& course) {
  std::vector<std::string> ids;
  for (const auto& m : course.content().modules()) {
    for (const auto& l : m.lessons()) ids.push_back(l.lesson_id());
  }
  return ids;
}

void StripAnswers(v1::Course* course) {
  for (auto& m : *course->mutable_content()->mutable_modules()) {
    for (auto& l : *m.mutable_lessons()) {
      if (!l.has_quiz()) continue;
      for (auto& q : *l.mutable_quiz()->mutable_questions()) q.clear_correct_choices();
    }
  }
}

CatalogManager::CatalogManager(CoursesStore* store, outbox::Notifier* notifier,
                               DomainOptions options, Clock clock)
    : store_(store),
      notifier_(notifier),
      options_(std::move(options)),
      clock_(clock ? std::move(clock) : Clock(clock::UnixMillis)),
      events_(options_) {}

void CatalogManager::Notify(const std::string& tenant_id, const std::string& entry) {
  if (notifier_ != nullptr && !entry.empty()) {
    notifier_->Notify(outbox::OutboxKey(kServiceName, TenantTag(tenant_id)), entry);
  }
}

absl::StatusOr<std::optional<v1::Course>> CatalogManager::FindCourse(const std::string& t,
                                                                     const std::string& c) {
  ASSIGN_OR_RETURN(std::optional<storage::v1::StoredCourse> stored, store_->GetCourse(t, c));
  if (!stored.has_value()) return std::optional<v1::Course>();
  return std::optional<v1::Course>(std::move(*stored->mutable_course()));
}

// ---- Courses -------------------------------------------------------------------------------

absl::StatusOr<v1::CreateCourseResponse> CatalogManager::CreateCourse(
    const Principal& caller, const v1::CreateCourseRequest& req) {
  RETURN_IF_ERROR(ids::ValidateTenantId("tenant_id", req.tenant_id()));
  RETURN_IF_ERROR(ValidateCourseContent("content", req.content()));
  RETURN_IF_ERROR(ids::ValidateIdempotencyKey("idempotency_key", req.idempotency_key()));
  RETURN_IF_ERROR(auth::AuthorizeTenantAccess(caller, req.tenant_id(), {Role::kAdmin}));
  const std::string& t = req.tenant_id();
  const std::string fingerprint =
      digest::Fingerprint({"CreateCourse", caller.subject, DeterministicBytes(req.content())});
  using Response = v1::CreateCourseResponse;
  return idempotent::RetryOnConflict<Response>(
      RetryOptions(options_, "this course"), [&]() -> idempotent::Attempt<Response> {
        // With a key the id is derived from it, so a retry finds what the first call created.
        const std::string id = NewId("c", t, req.idempotency_key());
        ASSIGN_OR_RETURN(std::optional<storage::v1::StoredCourse> existing,
                         store_->GetCourse(t, id));
        Response resp;
        if (existing.has_value()) {
          // Without a key a random id collided: draw another.
          if (req.idempotency_key().empty()) return idempotent::kConflict;
          RETURN_IF_ERROR(
              idempotent::CheckFingerprint(existing->create_fingerprint(), fingerprint));
          *resp.mutable_course() = std::move(*existing->mutable_course());
          return resp;
        }
        const int64_t now = clock_();
        CourseWrite w;
        w.tenant_id = t;
        w.expected_revision = 0;
        v1::Course& c = *w.course.mutable_course();
        c.set_course_id(id);
        c.set_tenant_id(t);
        *c.mutable_content() = req.content();
        c.set_state(v1::COURSE_STATE_DRAFT);
        c.set_revision(1);
        *c.mutable_created_at() = ToTimestamp(now);
        *c.mutable_updated_at() = ToTimestamp(now);
        FillComputed(&c);
        w.course.set_create_fingerprint(fingerprint);
        w.summary = Summarize(c);
        ASSIGN_OR_RETURN(const bool written, store_->PutCourse(w));
        if (!written) return idempotent::kConflict;
        log::Info("course created", {{"tenant_id", t}, {"course_id", id}});
        *resp.mutable_course() = c;
        return resp;
      });
}

absl::StatusOr<v1::UpdateCourseResponse> CatalogManager::UpdateCourse(
    const Principal& caller, const v1::UpdateCourseRequest& req) {
  RETURN_IF_ERROR(ids::ValidateTenantId("tenant_id", req.tenant_id()));
  RETURN_IF_ERROR(ids::ValidateObjectId("course_id", req.course_id()));
  RETURN_IF_ERROR(ValidateCourseContent("content", req.content()));
  for (int i = 0; i < req.content().prerequisite_course_ids_size(); ++i) {
    if (req.content().prerequisite_course_ids(i) == req.course_id()) {
      return absl::InvalidArgumentError(advocacy::StrCat("content.prerequisite_course_ids[", i,
                                                         "]: a course cannot require itself"));
    }
  }
  if (req.expected_revision() < 0) return NegativeRevision();
  RETURN_IF_ERROR(auth::AuthorizeTenantAccess(caller, req.tenant_id(), {Role::kAdmin}));
  const std::string& t = req.tenant_id();
  using Response = v1::UpdateCourseResponse;
  return idempotent::RetryOnConflict<Response>(
      RetryOptions(options_, "this course"), [&]() -> idempotent::Attempt<Response> {
        ASSIGN_OR_RETURN(std::optional<storage::v1::StoredCourse> existing,
                         store_->GetCourse(t, req.course_id()));
        if (!existing.has_value()) return NoCourse(req.course_id());
        v1::Course& c = *existing->mutable_course();
        if (c.state() != v1::COURSE_STATE_DRAFT) {
          return absl::FailedPreconditionError(advocacy::StrCat(
              "course_id: '", req.course_id(), "' is ", StateName(c.state()),
              " and therefore frozen, since employees' progress refers to its lessons; create a "
              "new course instead"));
        }
        if (req.expected_revision() != 0 && req.expected_revision() != c.revision()) {
          return absl::AbortedError(
              advocacy::StrCat("expected_revision: the course is at revision ", c.revision(),
                               " now; reload it and edit again"));
        }
        Response resp;
        if (DeterministicBytes(c.content()) == DeterministicBytes(req.content())) {
          *resp.mutable_course() = std::move(c);
          return resp;
        }
        const int64_t previous = c.revision();
        *c.mutable_content() = req.content();
        c.set_revision(previous + 1);
        *c.mutable_updated_at() = ToTimestamp(clock_());
        FillComputed(&c);
        CourseWrite w;
        w.tenant_id = t;
        w.expected_revision = previous;
        w.summary = Summarize(c);
        w.course = std::move(*existing);
        ASSIGN_OR_RETURN(const bool written, store_->PutCourse(w));
        if (!written) return idempotent::kConflict;
        *resp.mutable_course() = w.course.course();
        return resp;
      });
}

absl::Status CatalogManager::CheckPublishable(const std::string& t, const v1::Course& c) {
  if (c.state() != v1::COURSE_STATE_DRAFT) {
    return absl::FailedPreconditionError(advocacy::StrCat("course_id: '", c.course_id(), "' is ",
                                                          StateName(c.state()),
                                                          "; only drafts can be published"));
  }
  // Prerequisites must already be published, so they can never form a cycle.
  const auto& prereqs = c.content().prerequisite_course_ids();
  for (int i = 0; i < prereqs.size(); ++i) {
    const std::string field = advocacy::StrCat("content.prerequisite_course_ids[", i, "]");
    if (prereqs[i] == c.course_id()) {
      return absl::FailedPreconditionError(
          advocacy::StrCat(field, ": a course cannot require itself; edit the draft"));
    }
    ASSIGN_OR_RETURN(std::optional<storage::v1::StoredCourse> p, store_->GetCourse(t, prereqs[i]));
    if (!p.has_value() || p->course().state() != v1::COURSE_STATE_PUBLISHED) {
      return absl::FailedPreconditionError(advocacy::StrCat(
          field, ": '", prereqs[i],
          "' is not a published course of this tenant; publish it first or edit the draft"));
    }
  }
  return absl::OkStatus();
}

absl::Status CatalogManager::CheckArchivable(const std::string& t, const v1::Course& c) {
  const std::string& id = c.course_id();
  if (c.state() != v1::COURSE_STATE_PUBLISHED) {
    return absl::FailedPreconditionError(advocacy::StrCat(
        "course_id: '", id, "' is ", StateName(c.state()),
        "; only published courses can be archived (a draft is not in the catalog)"));
  }
  ASSIGN_OR_RETURN(const std::vector<v1::CourseSummary> summaries, store_->ListCourseSummaries(t));
  for (const auto& s : summaries) {
    if (s.state() != v1::COURSE_STATE_PUBLISHED) continue;
    for (const auto& p : s.prerequisite_course_ids()) {
      if (p == id) {
        return absl::FailedPreconditionError(
            advocacy::StrCat("course_id: the published course '", s.course_id(), "' (", s.title(),
                             ") requires '", id, "'; archive that course first"));
      }
    }
  }
  ASSIGN_OR_RETURN(const v1::TenantPolicy policy, Policy(t));
  if (policy.recommended_course_id() == id) {
    return absl::FailedPreconditionError(advocacy::StrCat(
        "course_id: '", id,
        "' is the tenant's recommended course before sharing; change the tenant policy first"));
  }
  return absl::OkStatus();
}

std::string CatalogManager::StateChangeEvent(const Principal& caller, const v1::Course& c,
                                             int64_t now) const {
  const std::string key = CourseEventKey(c.tenant_id(), c.course_id());
  if (c.state() == v1::COURSE_STATE_PUBLISHED) {
    v1::CoursePublished ev;
    ev.set_tenant_id(c.tenant_id());
    ev.set_course_id(c.course_id());
    ev.set_sequence(c.revision());
    ev.set_title(c.content().title());
    ev.set_level(c.content().level());
    ev.set_language(c.content().language());
    ev.set_lesson_count(c.lesson_count());
    ev.set_estimated_minutes(c.estimated_minutes());
    *ev.mutable_prerequisite_course_ids() = c.content().prerequisite_course_ids();
    ev.set_actor_subject(caller.subject);
    *ev.mutable_occurred_at() = ToTimestamp(now);
    return events_.Encode(key, ev, now);
  }
  v1::CourseArchived ev;
  ev.set_tenant_id(c.tenant_id());
  ev.set_course_id(c.course_id());
  ev.set_sequence(c.revision());
  ev.set_actor_subject(caller.subject);
  *ev.mutable_occurred_at() = ToTimestamp(now);
  return events_.Encode(key, ev, now);
}

absl::StatusOr<v1::Course> CatalogManager::ChangeCourseState(const Principal& caller,
                                                             const std::string& t,
                                                             const std::string& id,
                                                             v1::CourseState to) {
  return idempotent::RetryOnConflict<v1::Course>(
      RetryOptions(options_, "this course"), [&]() -> idempotent::Attempt<v1::Course> {
        ASSIGN_OR_RETURN(std::optional<storage::v1::StoredCourse> existing,
                         store_->GetCourse(t, id));
        if (!existing.has_value()) return NoCourse(id);
        v1::Course& c = *existing->mutable_course();
        if (c.state() == to) return c;  // repeating a publication or archival changes nothing
        RETURN_IF_ERROR(to == v1::COURSE_STATE_PUBLISHED ? CheckPublishable(t, c)
                                                         : CheckArchivable(t, c));
        const int64_t now = clock_();
        const int64_t previous = c.revision();
        if (to == v1::COURSE_STATE_PUBLISHED) *c.mutable_published_at() = ToTimestamp(now);
        c.set_state(to);
        c.set_revision(previous + 1);
        *c.mutable_updated_at() = ToTimestamp(now);
        CourseWrite w;
        w.tenant_id = t;
        w.expected_revision = previous;
        w.summary = Summarize(c);
        w.outbox_entry = StateChangeEvent(caller, c, now);
        w.course = std::move(*existing);
        ASSIGN_OR_RETURN(const bool written, store_->PutCourse(w));
        if (!written) return idempotent::kConflict;
        Notify(t, w.outbox_entry);
        const v1::Course& changed = w.course.course();
        log::Info(to == v1::COURSE_STATE_PUBLISHED ? "course published" : "course archived",
                  {{"tenant_id", t},
                   {"course_id", id},
                   {"revision", std::to_string(changed.revision())}});
        return changed;
      });
}

absl::StatusOr<v1::PublishCourseResponse> CatalogManager::PublishCourse(
    const Principal& caller, const v1::PublishCourseRequest& req) {
  RETURN_IF_ERROR(ids::ValidateTenantId("tenant_id", req.tenant_id()));
  RETURN_IF_ERROR(ids::ValidateObjectId("course_id", req.course_id()));
  RETURN_IF_ERROR(auth::AuthorizeTenantAccess(caller, req.tenant_id(), {Role::kAdmin}));
  v1::PublishCourseResponse resp;
  ASSIGN_OR_RETURN(
      *resp.mutable_course(),
      ChangeCourseState(caller, req.tenant_id(), req.course_id(), v1::COURSE_STATE_PUBLISHED));
  return resp;
}

absl::StatusOr<v1::ArchiveCourseResponse> CatalogManager::ArchiveCourse(
    const Principal& caller, const v1::ArchiveCourseRequest& req) {
  RETURN_IF_ERROR(ids::ValidateTenantId("tenant_id", req.tenant_id()));
  RETURN_IF_ERROR(ids::ValidateObjectId("course_id", req.course_id()));
  RETURN_IF_ERROR(auth::AuthorizeTenantAccess(caller, req.tenant_id(), {Role::kAdmin}));
  v1::ArchiveCourseResponse resp;
  ASSIGN_OR_RETURN(
      *resp.mutable_course(),
      ChangeCourseState(caller, req.tenant_id(), req.course_id(), v1::COURSE_STATE_ARCHIVED));
  return resp;
}

absl::StatusOr<v1::GetCourseResponse> CatalogManager::GetCourse(const Principal& caller,
                                                                const v1::GetCourseRequest& req) {
  RETURN_IF_ERROR(ids::ValidateTenantId("tenant_id", req.tenant_id()));
  RETURN_IF_ERROR(ids::ValidateObjectId("course_id", req.course_id()));
  RETURN_IF_ERROR(auth::AuthorizeTenantAccess(caller, req.tenant_id(), kEveryone));
  ASSIGN_OR_RETURN(std::optional<v1::Course> c, FindCourse(req.tenant_id(), req.course_id()));
  const bool admin = caller.role == Role::kAdmin;
  // Drafts do not exist for anyone but admins.
  if (!c.has_value() || (!admin && c->state() == v1::COURSE_STATE_DRAFT)) {
    return NoCourse(req.course_id());
  }
  v1::GetCourseResponse resp;
  *resp.mutable_course() = std::move(*c);
  if (!admin) StripAnswers(resp.mutable_course());
  return resp;
}

absl::StatusOr<v1::ListCoursesResponse> CatalogManager::ListCourses(
    const Principal& caller, const v1::ListCoursesRequest& req) {
  RETURN_IF_ERROR(ids::ValidateTenantId("tenant_id", req.tenant_id()));
  if (!v1::CourseLevel_IsValid(req.level())) {
    return absl::InvalidArgumentError("level: unknown level; leave it unset for every level");
  }
  if (!req.language().empty()) RETURN_IF_ERROR(ValidateLanguage("language", req.language()));
  ASSIGN_OR_RETURN(const int size,
                   PageSize("page_size", req.page_size(), kMaxPageSize, kDefaultPageSize));
  ASSIGN_OR_RETURN(const int64_t offset, PageOffset("page_token", req.page_token()));
  RETURN_IF_ERROR(auth::AuthorizeTenantAccess(caller, req.tenant_id(), kEveryone));
  ASSIGN_OR_RETURN(std::vector<v1::CourseSummary> all,
                   store_->ListCourseSummaries(req.tenant_id()));
  const bool everything = caller.role == Role::kAdmin && req.include_unpublished();
  std::vector<v1::CourseSummary> shown;
  for (auto& s : all) {
    if (!everything && s.state() != v1::COURSE_STATE_PUBLISHED) continue;
    if (req.level() != v1::COURSE_LEVEL_UNSPECIFIED && s.level() != req.level()) continue;
    if (!req.language().empty() && s.language() != req.language()) continue;
    shown.push_back(std::move(s));
  }
  std::sort(shown.begin(), shown.end(), [](const v1::CourseSummary& a, const v1::CourseSummary& b) {
    return std::make_tuple(ToMillis(a.created_at()), a.course_id()) <
           std::make_tuple(ToMillis(b.created_at()), b.course_id());
  });
  v1::ListCoursesResponse resp;
  const auto begin =
      static_cast<size_t>(std::min<int64_t>(offset, static_cast<int64_t>(shown.size())));
  const size_t end = std::min(shown.size(), begin + static_cast<size_t>(size));
  for (size_t i = begin; i < end; ++i) *resp.add_courses() = std::move(shown[i]);
  if (end < shown.size()) resp.set_next_page_token(PageToken(static_cast<int64_t>(end)));
  return resp;
}

// ---- Checklists ----------------------------------------------------------------------------

absl::StatusOr<CatalogManager::ChecklistState> CatalogManager::LoadChecklist(
    const std::string& t, const std::string& id) {
  ASSIGN_OR_RETURN(std::optional<storage::v1::StoredChecklist> stored, store_->GetChecklist(t, id));
  ChecklistState state;
  if (stored.has_value()) {
    state.stored_revision = stored->checklist().revision();
    state.create_fingerprint = stored->create_fingerprint();
    if (!stored->deleted()) state.current = std::move(*stored->mutable_checklist());
    return state;
  }
  if (const v1::Checklist* seed = FindWelcomeChecklist(id); seed != nullptr) {
    state.current = *seed;
    state.current->set_tenant_id(t);
  }
  return state;
}

absl::StatusOr<std::optional<v1::Checklist>> CatalogManager::FindChecklist(const std::string& t,
                                                                           const std::string& id) {
  ASSIGN_OR_RETURN(ChecklistState state, LoadChecklist(t, id));
  return std::move(state.current);
}

absl::StatusOr<v1::CreateChecklistResponse> CatalogManager::CreateChecklist(
    const Principal& caller, const v1::CreateChecklistRequest& req) {
  RETURN_IF_ERROR(ids::ValidateTenantId("tenant_id", req.tenant_id()));
  RETURN_IF_ERROR(ValidateChecklistContent("content", req.content()));
  RETURN_IF_ERROR(ids::ValidateIdempotencyKey("idempotency_key", req.idempotency_key()));
  RETURN_IF_ERROR(auth::AuthorizeTenantAccess(caller, req.tenant_id(), {Role::kAdmin}));
  const std::string& t = req.tenant_id();
  const std::string fingerprint =
      digest::Fingerprint({"CreateChecklist", caller.subject, DeterministicBytes(req.content())});
  using Response = v1::CreateChecklistResponse;
  return idempotent::RetryOnConflict<Response>(
      RetryOptions(options_, "this checklist"), [&]() -> idempotent::Attempt<Response> {
        const std::string id = NewId("k", t, req.idempotency_key());
        ASSIGN_OR_RETURN(std::optional<storage::v1::StoredChecklist> existing,
                         store_->GetChecklist(t, id));
        Response resp;
        if (existing.has_value()) {
          if (req.idempotency_key().empty()) return idempotent::kConflict;  // draw another id
          RETURN_IF_ERROR(
              idempotent::CheckFingerprint(existing->create_fingerprint(), fingerprint));
          if (existing->deleted()) {
            return absl::FailedPreconditionError(
                "idempotency_key: the checklist created with this key was deleted since; use a "
                "new key to create it again");
          }
          *resp.mutable_checklist() = std::move(*existing->mutable_checklist());
          return resp;
        }
        ChecklistWrite w;
        w.tenant_id = t;
        v1::Checklist& c = *w.checklist.mutable_checklist();
        c.set_checklist_id(id);
        c.set_tenant_id(t);
        *c.mutable_content() = req.content();
        c.set_revision(1);
        *c.mutable_updated_at() = ToTimestamp(clock_());
        w.checklist.set_create_fingerprint(fingerprint);
        ASSIGN_OR_RETURN(const bool written, store_->PutChecklist(w));
        if (!written) return idempotent::kConflict;
        *resp.mutable_checklist() = c;
        return resp;
      });
}

absl::StatusOr<v1::UpdateChecklistResponse> CatalogManager::UpdateChecklist(
    const Principal& caller, const v1::UpdateChecklistRequest& req) {
  RETURN_IF_ERROR(ids::ValidateTenantId("tenant_id", req.tenant_id()));
  RETURN_IF_ERROR(ids::ValidateObjectId("checklist_id", req.checklist_id()));
  RETURN_IF_ERROR(ValidateChecklistContent("content", req.content()));
  if (req.expected_revision() < 0) return NegativeRevision();
  RETURN_IF_ERROR(auth::AuthorizeTenantAccess(caller, req.tenant_id(), {Role::kAdmin}));
  const std::string& t = req.tenant_id();
  using Response = v1::UpdateChecklistResponse;
  return idempotent::RetryOnConflict<Response>(
      RetryOptions(options_, "this checklist"), [&]() -> idempotent::Attempt<Response> {
        ASSIGN_OR_RETURN(ChecklistState state, LoadChecklist(t, req.checklist_id()));
        if (!state.current.has_value()) return NoChecklist(req.checklist_id());
        const v1::Checklist& current = *state.current;
        if (req.expected_revision() != 0 && req.expected_revision() != current.revision()) {
          return absl::AbortedError(
              advocacy::StrCat("expected_revision: the checklist is at revision ",
                               current.revision(), " now; reload it and edit again"));
        }
        Response resp;
        if (DeterministicBytes(current.content()) == DeterministicBytes(req.content())) {
          *resp.mutable_checklist() = current;
          return resp;
        }
        // Copy-on-write: the first edit of a welcome checklist stores the tenant's own copy.
        ChecklistWrite w;
        w.tenant_id = t;
        w.expected_revision = state.stored_revision;
        v1::Checklist& next = *w.checklist.mutable_checklist();
        next = current;
        *next.mutable_content() = req.content();
        next.set_revision(current.revision() + 1);
        next.set_welcome(false);
        *next.mutable_updated_at() = ToTimestamp(clock_());
        w.checklist.set_create_fingerprint(state.create_fingerprint);
        ASSIGN_OR_RETURN(const bool written, store_->PutChecklist(w));
        if (!written) return idempotent::kConflict;
        *resp.mutable_checklist() = next;
        return resp;
      });
}

absl::StatusOr<v1::DeleteChecklistResponse> CatalogManager::DeleteChecklist(
    const Principal& caller, const v1::DeleteChecklistRequest& req) {
  RETURN_IF_ERROR(ids::ValidateTenantId("tenant_id", req.tenant_id()));
  RETURN_IF_ERROR(ids::ValidateObjectId("checklist_id", req.checklist_id()));
  RETURN_IF_ERROR(auth::AuthorizeTenantAccess(caller, req.tenant_id(), {Role::kAdmin}));
  const std::string& t = req.tenant_id();
  using Response = v1::DeleteChecklistResponse;
  return idempotent::RetryOnConflict<Response>(
      RetryOptions(options_, "this checklist"), [&]() -> idempotent::Attempt<Response> {
        ASSIGN_OR_RETURN(ChecklistState state, LoadChecklist(t, req.checklist_id()));
        if (!state.current.has_value()) return NoChecklist(req.checklist_id());
        // A tombstone, so a deleted welcome checklist does not come back from the seed.
        ChecklistWrite w;
        w.tenant_id = t;
        w.expected_revision = state.stored_revision;
        v1::Checklist& tomb = *w.checklist.mutable_checklist();
        tomb.set_checklist_id(req.checklist_id());
        tomb.set_tenant_id(t);
        tomb.set_revision(state.current->revision() + 1);
        *tomb.mutable_updated_at() = ToTimestamp(clock_());
        w.checklist.set_deleted(true);
        w.checklist.set_create_fingerprint(state.create_fingerprint);
        ASSIGN_OR_RETURN(const bool written, store_->PutChecklist(w));
        if (!written) return idempotent::kConflict;
        log::Info("checklist deleted", {{"tenant_id", t}, {"checklist_id", req.checklist_id()}});
        return Response();
      });
}

absl::StatusOr<v1::GetChecklistResponse> CatalogManager::GetChecklist(
    const Principal& caller, const v1::GetChecklistRequest& req) {
  RETURN_IF_ERROR(ids::ValidateTenantId("tenant_id", req.tenant_id()));
  RETURN_IF_ERROR(ids::ValidateObjectId("checklist_id", req.checklist_id()));
  RETURN_IF_ERROR(auth::AuthorizeTenantAccess(caller, req.tenant_id(), kEveryone));
  ASSIGN_OR_RETURN(std::optional<v1::Checklist> c,
                   FindChecklist(req.tenant_id(), req.checklist_id()));
  if (!c.has_value()) return NoChecklist(req.checklist_id());
  v1::GetChecklistResponse resp;
  *resp.mutable_checklist() = std::move(*c);
  return resp;
}

absl::StatusOr<v1::ListChecklistsResponse> CatalogManager::ListChecklists(
    const Principal& caller, const v1::ListChecklistsRequest& req) {
  RETURN_IF_ERROR(ids::ValidateTenantId("tenant_id", req.tenant_id()));
  RETURN_IF_ERROR(auth::AuthorizeTenantAccess(caller, req.tenant_id(), kEveryone));
  ASSIGN_OR_RETURN(std::vector<storage::v1::StoredChecklist> stored,
                   store_->ListChecklists(req.tenant_id()));
  std::map<std::string, std::optional<v1::Checklist>> by_id;
  for (auto& s : stored) {
    const std::string id = s.checklist().checklist_id();
    std::optional<v1::Checklist> c;
    if (!s.deleted()) c = std::move(*s.mutable_checklist());
    by_id[id] = std::move(c);  // a tombstone hides the welcome checklist of the same id
  }
  for (const auto& seed : WelcomeChecklists()) {
    if (by_id.count(seed.checklist_id()) != 0) continue;  // edited or deleted by the tenant
    v1::Checklist c = seed;
    c.set_tenant_id(req.tenant_id());
    by_id[seed.checklist_id()] = std::move(c);
  }
  v1::ListChecklistsResponse resp;
  for (auto& [id, c] : by_id) {
    if (c.has_value()) *resp.add_checklists() = std::move(*c);
  }
  return resp;
}

// ---- Tenant policy -------------------------------------------------------------------------

absl::StatusOr<v1::TenantPolicy> CatalogManager::Policy(const std::string& t) {
  ASSIGN_OR_RETURN(std::optional<v1::TenantPolicy> stored, store_->GetPolicy(t));
  if (stored.has_value()) return std::move(*stored);
  v1::TenantPolicy p;
  p.set_tenant_id(t);
  return p;
}

absl::StatusOr<v1::GetTenantPolicyResponse> CatalogManager::GetTenantPolicy(
    const Principal& caller, const v1::GetTenantPolicyRequest& req) {
  RETURN_IF_ERROR(ids::ValidateTenantId("tenant_id", req.tenant_id()));
  RETURN_IF_ERROR(auth::AuthorizeTenantAccess(caller, req.tenant_id(), kEveryone));
  v1::GetTenantPolicyResponse resp;
  ASSIGN_OR_RETURN(*resp.mutable_policy(), Policy(req.tenant_id()));
  return resp;
}

absl::Status CatalogManager::CheckRecommendable(const std::string& t,
                                                const std::string& course_id) {
  if (course_id.empty()) return absl::OkStatus();
  ASSIGN_OR_RETURN(std::optional<v1::Course> c, FindCourse(t, course_id));
  if (!c.has_value() || c->state() != v1::COURSE_STATE_PUBLISHED) {
    return absl::FailedPreconditionError(advocacy::StrCat(
        "recommended_course_id: '", course_id, "' is not a published course of this tenant"));
  }
  return absl::OkStatus();
}

absl::StatusOr<v1::SetTenantPolicyResponse> CatalogManager::SetTenantPolicy(
    const Principal& caller, const v1::SetTenantPolicyRequest& req) {
  RETURN_IF_ERROR(ids::ValidateTenantId("tenant_id", req.tenant_id()));
  if (!req.recommended_course_id().empty()) {
    RETURN_IF_ERROR(ids::ValidateObjectId("recommended_course_id", req.recommended_course_id()));
  }
  if (req.expected_revision() < 0) return NegativeRevision();
  RETURN_IF_ERROR(auth::AuthorizeTenantAccess(caller, req.tenant_id(), {Role::kAdmin}));
  const std::string& t = req.tenant_id();
  using Response = v1::SetTenantPolicyResponse;
  return idempotent::RetryOnConflict<Response>(
      RetryOptions(options_, "this tenant's policy"), [&]() -> idempotent::Attempt<Response> {
        ASSIGN_OR_RETURN(v1::TenantPolicy current, Policy(t));
        if (req.expected_revision() != 0 && req.expected_revision() != current.revision()) {
          return absl::AbortedError(
              advocacy::StrCat("expected_revision: the policy is at revision ", current.revision(),
                               " now; reload it"));
        }
        Response resp;
        if (current.recommended_course_id() == req.recommended_course_id()) {
          *resp.mutable_policy() = std::move(current);
          return resp;
        }
        RETURN_IF_ERROR(CheckRecommendable(t, req.recommended_course_id()));
        const int64_t now = clock_();
        PolicyWrite w;
        w.tenant_id = t;
        w.expected_revision = current.revision();
        w.policy.set_tenant_id(t);
        w.policy.set_recommended_course_id(req.recommended_course_id());
        w.policy.set_revision(current.revision() + 1);
        *w.policy.mutable_updated_at() = ToTimestamp(now);
        v1::TenantPolicyChanged ev;
        *ev.mutable_policy() = w.policy;
        ev.set_sequence(w.policy.revision());
        ev.set_actor_subject(caller.subject);
        *ev.mutable_occurred_at() = ToTimestamp(now);
        w.outbox_entry = events_.Encode(PolicyEventKey(t), ev, now);
        ASSIGN_OR_RETURN(const bool written, store_->PutPolicy(w));
        if (!written) return idempotent::kConflict;
        Notify(t, w.outbox_entry);
        log::Info("tenant policy changed",
                  {{"tenant_id", t}, {"recommended_course_id", req.recommended_course_id()}});
        *resp.mutable_policy() = w.policy;
        return resp;
      });
}

}  // namespace advocacy::courses
