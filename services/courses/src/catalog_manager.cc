#include "catalog_manager.h"

#include <algorithm>
#include <map>
#include <tuple>

#include "advocacy/common/logging.h"
#include "advocacy/common/outbox.h"
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

absl::Status TooContended() {
  return absl::AbortedError("too many concurrent changes to this record; retry");
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

CatalogManager::CatalogManager(CoursesStore* store, OutboxNotifier* notifier, DomainOptions options,
                               Clock clock)
    : store_(store),
      notifier_(notifier),
      options_(std::move(options)),
      clock_(clock ? std::move(clock) : Clock(SystemNowMs)),
      events_(options_) {}

void CatalogManager::Notify(const std::string& tenant_id, const std::string& entry) {
  if (notifier_ != nullptr && !entry.empty()) {
    notifier_->Notify(outbox::OutboxKey(TenantTag(tenant_id)), entry);
  }
}

absl::StatusOr<std::optional<v1::Course>> CatalogManager::FindCourse(const std::string& t,
                                                                     const std::string& c) {
  auto stored = store_->GetCourse(t, c);
  if (!stored.ok()) return stored.status();
  if (!stored->has_value()) return std::optional<v1::Course>();
  return std::optional<v1::Course>((*stored)->course());
}

// ---- Courses -------------------------------------------------------------------------------

absl::StatusOr<v1::CreateCourseResponse> CatalogManager::CreateCourse(
    const Principal& caller, const v1::CreateCourseRequest& req) {
  if (auto st = ValidateTenantId("tenant_id", req.tenant_id()); !st.ok()) return st;
  if (auto st = ValidateCourseContent("content", req.content()); !st.ok()) return st;
  if (auto st = ValidateIdempotencyKey("idempotency_key", req.idempotency_key()); !st.ok())
    return st;
  if (auto st = auth::AuthorizeTenantAccess(caller, req.tenant_id(), {Role::kAdmin}); !st.ok()) {
    return st;
  }
  const std::string& t = req.tenant_id();
  const std::string fingerprint =
      Fingerprint({"CreateCourse", caller.subject, DeterministicBytes(req.content())});
  for (int attempt = 0; attempt < options_.max_commit_attempts; ++attempt) {
    const std::string id = NewId("c", t, req.idempotency_key());
    auto existing = store_->GetCourse(t, id);
    if (!existing.ok()) return existing.status();
    if (existing->has_value()) {
      if (req.idempotency_key().empty()) continue;  // a random id collided: draw another
      if ((*existing)->create_fingerprint() != fingerprint) {
        return absl::FailedPreconditionError(
            "idempotency_key: already used to create a different course; use a new key for a "
            "new course");
      }
      v1::CreateCourseResponse resp;
      *resp.mutable_course() = (*existing)->course();
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
    auto ok = store_->PutCourse(w);
    if (!ok.ok()) return ok.status();
    if (!*ok) continue;
    log::Info("course created", {{"tenant_id", t}, {"course_id", id}});
    v1::CreateCourseResponse resp;
    *resp.mutable_course() = c;
    return resp;
  }
  return TooContended();
}

absl::StatusOr<v1::UpdateCourseResponse> CatalogManager::UpdateCourse(
    const Principal& caller, const v1::UpdateCourseRequest& req) {
  if (auto st = ValidateTenantId("tenant_id", req.tenant_id()); !st.ok()) return st;
  if (auto st = ValidateLabel("course_id", req.course_id()); !st.ok()) return st;
  if (auto st = ValidateCourseContent("content", req.content()); !st.ok()) return st;
  for (int i = 0; i < req.content().prerequisite_course_ids_size(); ++i) {
    if (req.content().prerequisite_course_ids(i) == req.course_id()) {
      return absl::InvalidArgumentError(advocacy::StrCat("content.prerequisite_course_ids[", i,
                                                         "]: a course cannot require itself"));
    }
  }
  if (req.expected_revision() < 0) {
    return absl::InvalidArgumentError("expected_revision: 0 (no check) or a revision");
  }
  if (auto st = auth::AuthorizeTenantAccess(caller, req.tenant_id(), {Role::kAdmin}); !st.ok()) {
    return st;
  }
  const std::string& t = req.tenant_id();
  for (int attempt = 0; attempt < options_.max_commit_attempts; ++attempt) {
    auto existing = store_->GetCourse(t, req.course_id());
    if (!existing.ok()) return existing.status();
    if (!existing->has_value()) return NoCourse(req.course_id());
    storage::StoredCourse stored = **existing;
    v1::Course& c = *stored.mutable_course();
    if (c.state() != v1::COURSE_STATE_DRAFT) {
      return absl::FailedPreconditionError(advocacy::StrCat(
          "course_id: '", req.course_id(), "' is ", StateName(c.state()),
          " and therefore frozen, since employees' progress refers to its lessons; create a "
          "new course instead"));
    }
    if (req.expected_revision() != 0 && req.expected_revision() != c.revision()) {
      return absl::AbortedError(advocacy::StrCat("expected_revision: the course is at revision ",
                                                 c.revision(), " now; reload it and edit again"));
    }
    if (DeterministicBytes(c.content()) == DeterministicBytes(req.content())) {
      v1::UpdateCourseResponse resp;
      *resp.mutable_course() = c;
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
    w.course = stored;
    auto ok = store_->PutCourse(w);
    if (!ok.ok()) return ok.status();
    if (!*ok) continue;
    v1::UpdateCourseResponse resp;
    *resp.mutable_course() = c;
    return resp;
  }
  return TooContended();
}

absl::StatusOr<v1::Course> CatalogManager::ChangeCourseState(const Principal& caller,
                                                             const std::string& t,
                                                             const std::string& id,
                                                             v1::CourseState to) {
  for (int attempt = 0; attempt < options_.max_commit_attempts; ++attempt) {
    auto existing = store_->GetCourse(t, id);
    if (!existing.ok()) return existing.status();
    if (!existing->has_value()) return NoCourse(id);
    storage::StoredCourse stored = **existing;
    v1::Course& c = *stored.mutable_course();
    if (c.state() == to) return c;  // repeating a publication or archival changes nothing
    const int64_t now = clock_();
    std::string entry;
    if (to == v1::COURSE_STATE_PUBLISHED) {
      if (c.state() != v1::COURSE_STATE_DRAFT) {
        return absl::FailedPreconditionError(advocacy::StrCat(
            "course_id: '", id, "' is ", StateName(c.state()), "; only drafts can be published"));
      }
      // Prerequisites must already be published, so they can never form a cycle.
      const auto& prereqs = c.content().prerequisite_course_ids();
      for (int i = 0; i < prereqs.size(); ++i) {
        const std::string field = advocacy::StrCat("content.prerequisite_course_ids[", i, "]");
        if (prereqs[i] == id) {
          return absl::FailedPreconditionError(
              advocacy::StrCat(field, ": a course cannot require itself; edit the draft"));
        }
        auto p = store_->GetCourse(t, prereqs[i]);
        if (!p.ok()) return p.status();
        if (!p->has_value() || (*p)->course().state() != v1::COURSE_STATE_PUBLISHED) {
          return absl::FailedPreconditionError(advocacy::StrCat(
              field, ": '", prereqs[i],
              "' is not a published course of this tenant; publish it first or edit the draft"));
        }
      }
      *c.mutable_published_at() = ToTimestamp(now);
    } else {
      if (c.state() != v1::COURSE_STATE_PUBLISHED) {
        return absl::FailedPreconditionError(advocacy::StrCat(
            "course_id: '", id, "' is ", StateName(c.state()),
            "; only published courses can be archived (a draft is not in the catalog)"));
      }
      auto summaries = store_->ListCourseSummaries(t);
      if (!summaries.ok()) return summaries.status();
      for (const auto& s : *summaries) {
        if (s.state() != v1::COURSE_STATE_PUBLISHED) continue;
        for (const auto& p : s.prerequisite_course_ids()) {
          if (p == id) {
            return absl::FailedPreconditionError(
                advocacy::StrCat("course_id: the published course '", s.course_id(), "' (",
                                 s.title(), ") requires '", id, "'; archive that course first"));
          }
        }
      }
      auto policy = Policy(t);
      if (!policy.ok()) return policy.status();
      if (policy->recommended_course_id() == id) {
        return absl::FailedPreconditionError(advocacy::StrCat(
            "course_id: '", id,
            "' is the tenant's recommended course before sharing; change the tenant policy "
            "first"));
      }
    }
    const int64_t previous = c.revision();
    c.set_state(to);
    c.set_revision(previous + 1);
    *c.mutable_updated_at() = ToTimestamp(now);
    if (to == v1::COURSE_STATE_PUBLISHED) {
      v1::CoursePublished ev;
      ev.set_tenant_id(t);
      ev.set_course_id(id);
      ev.set_sequence(c.revision());
      ev.set_title(c.content().title());
      ev.set_level(c.content().level());
      ev.set_language(c.content().language());
      ev.set_lesson_count(c.lesson_count());
      ev.set_estimated_minutes(c.estimated_minutes());
      *ev.mutable_prerequisite_course_ids() = c.content().prerequisite_course_ids();
      ev.set_actor_subject(caller.subject);
      *ev.mutable_occurred_at() = ToTimestamp(now);
      entry = events_.Encode(CourseEventKey(t, id), ev, now);
    } else {
      v1::CourseArchived ev;
      ev.set_tenant_id(t);
      ev.set_course_id(id);
      ev.set_sequence(c.revision());
      ev.set_actor_subject(caller.subject);
      *ev.mutable_occurred_at() = ToTimestamp(now);
      entry = events_.Encode(CourseEventKey(t, id), ev, now);
    }
    CourseWrite w;
    w.tenant_id = t;
    w.expected_revision = previous;
    w.summary = Summarize(c);
    w.outbox_entry = entry;
    w.course = stored;
    auto ok = store_->PutCourse(w);
    if (!ok.ok()) return ok.status();
    if (!*ok) continue;
    Notify(t, entry);
    log::Info(to == v1::COURSE_STATE_PUBLISHED ? "course published" : "course archived",
              {{"tenant_id", t}, {"course_id", id}, {"revision", std::to_string(c.revision())}});
    return c;
  }
  return TooContended();
}

absl::StatusOr<v1::PublishCourseResponse> CatalogManager::PublishCourse(
    const Principal& caller, const v1::PublishCourseRequest& req) {
  if (auto st = ValidateTenantId("tenant_id", req.tenant_id()); !st.ok()) return st;
  if (auto st = ValidateLabel("course_id", req.course_id()); !st.ok()) return st;
  if (auto st = auth::AuthorizeTenantAccess(caller, req.tenant_id(), {Role::kAdmin}); !st.ok()) {
    return st;
  }
  auto c = ChangeCourseState(caller, req.tenant_id(), req.course_id(), v1::COURSE_STATE_PUBLISHED);
  if (!c.ok()) return c.status();
  v1::PublishCourseResponse resp;
  *resp.mutable_course() = std::move(*c);
  return resp;
}

absl::StatusOr<v1::ArchiveCourseResponse> CatalogManager::ArchiveCourse(
    const Principal& caller, const v1::ArchiveCourseRequest& req) {
  if (auto st = ValidateTenantId("tenant_id", req.tenant_id()); !st.ok()) return st;
  if (auto st = ValidateLabel("course_id", req.course_id()); !st.ok()) return st;
  if (auto st = auth::AuthorizeTenantAccess(caller, req.tenant_id(), {Role::kAdmin}); !st.ok()) {
    return st;
  }
  auto c = ChangeCourseState(caller, req.tenant_id(), req.course_id(), v1::COURSE_STATE_ARCHIVED);
  if (!c.ok()) return c.status();
  v1::ArchiveCourseResponse resp;
  *resp.mutable_course() = std::move(*c);
  return resp;
}

absl::StatusOr<v1::GetCourseResponse> CatalogManager::GetCourse(const Principal& caller,
                                                                const v1::GetCourseRequest& req) {
  if (auto st = ValidateTenantId("tenant_id", req.tenant_id()); !st.ok()) return st;
  if (auto st = ValidateLabel("course_id", req.course_id()); !st.ok()) return st;
  if (auto st = auth::AuthorizeTenantAccess(caller, req.tenant_id(), kEveryone); !st.ok())
    return st;
  auto c = FindCourse(req.tenant_id(), req.course_id());
  if (!c.ok()) return c.status();
  const bool admin = caller.role == Role::kAdmin;
  // Drafts do not exist for anyone but admins.
  if (!c->has_value() || (!admin && (*c)->state() == v1::COURSE_STATE_DRAFT)) {
    return NoCourse(req.course_id());
  }
  v1::GetCourseResponse resp;
  *resp.mutable_course() = std::move(**c);
  if (!admin) StripAnswers(resp.mutable_course());
  return resp;
}

absl::StatusOr<v1::ListCoursesResponse> CatalogManager::ListCourses(
    const Principal& caller, const v1::ListCoursesRequest& req) {
  if (auto st = ValidateTenantId("tenant_id", req.tenant_id()); !st.ok()) return st;
  if (!v1::CourseLevel_IsValid(req.level())) {
    return absl::InvalidArgumentError("level: unknown level; leave it unset for every level");
  }
  if (!req.language().empty()) {
    if (auto st = ValidateLanguage("language", req.language()); !st.ok()) return st;
  }
  auto size = PageSize("page_size", req.page_size(), kMaxPageSize, kDefaultPageSize);
  if (!size.ok()) return size.status();
  auto offset = PageOffset("page_token", req.page_token());
  if (!offset.ok()) return offset.status();
  if (auto st = auth::AuthorizeTenantAccess(caller, req.tenant_id(), kEveryone); !st.ok())
    return st;
  auto all = store_->ListCourseSummaries(req.tenant_id());
  if (!all.ok()) return all.status();
  const bool everything = caller.role == Role::kAdmin && req.include_unpublished();
  std::vector<v1::CourseSummary> shown;
  for (auto& s : *all) {
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
      static_cast<size_t>(std::min<int64_t>(*offset, static_cast<int64_t>(shown.size())));
  const size_t end = std::min(shown.size(), begin + static_cast<size_t>(*size));
  for (size_t i = begin; i < end; ++i) *resp.add_courses() = std::move(shown[i]);
  if (end < shown.size()) resp.set_next_page_token(PageToken(static_cast<int64_t>(end)));
  return resp;
}

// ---- Checklists ----------------------------------------------------------------------------

absl::StatusOr<CatalogManager::ChecklistState> CatalogManager::LoadChecklist(
    const std::string& t, const std::string& id) {
  auto stored = store_->GetChecklist(t, id);
  if (!stored.ok()) return stored.status();
  ChecklistState state;
  if (stored->has_value()) {
    state.stored_revision = (*stored)->checklist().revision();
    state.create_fingerprint = (*stored)->create_fingerprint();
    if (!(*stored)->deleted()) state.current = (*stored)->checklist();
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
  auto state = LoadChecklist(t, id);
  if (!state.ok()) return state.status();
  return std::move(state->current);
}

absl::StatusOr<v1::CreateChecklistResponse> CatalogManager::CreateChecklist(
    const Principal& caller, const v1::CreateChecklistRequest& req) {
  if (auto st = ValidateTenantId("tenant_id", req.tenant_id()); !st.ok()) return st;
  if (auto st = ValidateChecklistContent("content", req.content()); !st.ok()) return st;
  if (auto st = ValidateIdempotencyKey("idempotency_key", req.idempotency_key()); !st.ok())
    return st;
  if (auto st = auth::AuthorizeTenantAccess(caller, req.tenant_id(), {Role::kAdmin}); !st.ok()) {
    return st;
  }
  const std::string& t = req.tenant_id();
  const std::string fingerprint =
      Fingerprint({"CreateChecklist", caller.subject, DeterministicBytes(req.content())});
  for (int attempt = 0; attempt < options_.max_commit_attempts; ++attempt) {
    const std::string id = NewId("k", t, req.idempotency_key());
    auto existing = store_->GetChecklist(t, id);
    if (!existing.ok()) return existing.status();
    if (existing->has_value()) {
      if (req.idempotency_key().empty()) continue;
      if ((*existing)->create_fingerprint() != fingerprint) {
        return absl::FailedPreconditionError(
            "idempotency_key: already used to create a different checklist; use a new key");
      }
      if ((*existing)->deleted()) {
        return absl::FailedPreconditionError(
            "idempotency_key: the checklist created with this key was deleted since; use a new "
            "key to create it again");
      }
      v1::CreateChecklistResponse resp;
      *resp.mutable_checklist() = (*existing)->checklist();
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
    auto ok = store_->PutChecklist(w);
    if (!ok.ok()) return ok.status();
    if (!*ok) continue;
    v1::CreateChecklistResponse resp;
    *resp.mutable_checklist() = c;
    return resp;
  }
  return TooContended();
}

absl::StatusOr<v1::UpdateChecklistResponse> CatalogManager::UpdateChecklist(
    const Principal& caller, const v1::UpdateChecklistRequest& req) {
  if (auto st = ValidateTenantId("tenant_id", req.tenant_id()); !st.ok()) return st;
  if (auto st = ValidateLabel("checklist_id", req.checklist_id()); !st.ok()) return st;
  if (auto st = ValidateChecklistContent("content", req.content()); !st.ok()) return st;
  if (req.expected_revision() < 0) {
    return absl::InvalidArgumentError("expected_revision: 0 (no check) or a revision");
  }
  if (auto st = auth::AuthorizeTenantAccess(caller, req.tenant_id(), {Role::kAdmin}); !st.ok()) {
    return st;
  }
  const std::string& t = req.tenant_id();
  for (int attempt = 0; attempt < options_.max_commit_attempts; ++attempt) {
    auto state = LoadChecklist(t, req.checklist_id());
    if (!state.ok()) return state.status();
    if (!state->current.has_value()) return NoChecklist(req.checklist_id());
    const v1::Checklist& current = *state->current;
    if (req.expected_revision() != 0 && req.expected_revision() != current.revision()) {
      return absl::AbortedError(advocacy::StrCat("expected_revision: the checklist is at revision ",
                                                 current.revision(),
                                                 " now; reload it and edit again"));
    }
    if (DeterministicBytes(current.content()) == DeterministicBytes(req.content())) {
      v1::UpdateChecklistResponse resp;
      *resp.mutable_checklist() = current;
      return resp;
    }
    // Copy-on-write: the first edit of a welcome checklist stores the tenant's own copy.
    ChecklistWrite w;
    w.tenant_id = t;
    w.expected_revision = state->stored_revision;
    v1::Checklist& next = *w.checklist.mutable_checklist();
    next = current;
    *next.mutable_content() = req.content();
    next.set_revision(current.revision() + 1);
    next.set_welcome(false);
    *next.mutable_updated_at() = ToTimestamp(clock_());
    w.checklist.set_create_fingerprint(state->create_fingerprint);
    auto ok = store_->PutChecklist(w);
    if (!ok.ok()) return ok.status();
    if (!*ok) continue;
    v1::UpdateChecklistResponse resp;
    *resp.mutable_checklist() = next;
    return resp;
  }
  return TooContended();
}

absl::StatusOr<v1::DeleteChecklistResponse> CatalogManager::DeleteChecklist(
    const Principal& caller, const v1::DeleteChecklistRequest& req) {
  if (auto st = ValidateTenantId("tenant_id", req.tenant_id()); !st.ok()) return st;
  if (auto st = ValidateLabel("checklist_id", req.checklist_id()); !st.ok()) return st;
  if (auto st = auth::AuthorizeTenantAccess(caller, req.tenant_id(), {Role::kAdmin}); !st.ok()) {
    return st;
  }
  const std::string& t = req.tenant_id();
  for (int attempt = 0; attempt < options_.max_commit_attempts; ++attempt) {
    auto state = LoadChecklist(t, req.checklist_id());
    if (!state.ok()) return state.status();
    if (!state->current.has_value()) return NoChecklist(req.checklist_id());
    // A tombstone, so a deleted welcome checklist does not come back from the seed.
    ChecklistWrite w;
    w.tenant_id = t;
    w.expected_revision = state->stored_revision;
    v1::Checklist& tomb = *w.checklist.mutable_checklist();
    tomb.set_checklist_id(req.checklist_id());
    tomb.set_tenant_id(t);
    tomb.set_revision(state->current->revision() + 1);
    *tomb.mutable_updated_at() = ToTimestamp(clock_());
    w.checklist.set_deleted(true);
    w.checklist.set_create_fingerprint(state->create_fingerprint);
    auto ok = store_->PutChecklist(w);
    if (!ok.ok()) return ok.status();
    if (!*ok) continue;
    log::Info("checklist deleted", {{"tenant_id", t}, {"checklist_id", req.checklist_id()}});
    return v1::DeleteChecklistResponse();
  }
  return TooContended();
}

absl::StatusOr<v1::GetChecklistResponse> CatalogManager::GetChecklist(
    const Principal& caller, const v1::GetChecklistRequest& req) {
  if (auto st = ValidateTenantId("tenant_id", req.tenant_id()); !st.ok()) return st;
  if (auto st = ValidateLabel("checklist_id", req.checklist_id()); !st.ok()) return st;
  if (auto st = auth::AuthorizeTenantAccess(caller, req.tenant_id(), kEveryone); !st.ok())
    return st;
  auto c = FindChecklist(req.tenant_id(), req.checklist_id());
  if (!c.ok()) return c.status();
  if (!c->has_value()) return NoChecklist(req.checklist_id());
  v1::GetChecklistResponse resp;
  *resp.mutable_checklist() = std::move(**c);
  return resp;
}

absl::StatusOr<v1::ListChecklistsResponse> CatalogManager::ListChecklists(
    const Principal& caller, const v1::ListChecklistsRequest& req) {
  if (auto st = ValidateTenantId("tenant_id", req.tenant_id()); !st.ok()) return st;
  if (auto st = auth::AuthorizeTenantAccess(caller, req.tenant_id(), kEveryone); !st.ok())
    return st;
  auto stored = store_->ListChecklists(req.tenant_id());
  if (!stored.ok()) return stored.status();
  std::map<std::string, std::optional<v1::Checklist>> by_id;
  for (auto& s : *stored) {
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
  auto stored = store_->GetPolicy(t);
  if (!stored.ok()) return stored.status();
  if (stored->has_value()) return **stored;
  v1::TenantPolicy p;
  p.set_tenant_id(t);
  return p;
}

absl::StatusOr<v1::GetTenantPolicyResponse> CatalogManager::GetTenantPolicy(
    const Principal& caller, const v1::GetTenantPolicyRequest& req) {
  if (auto st = ValidateTenantId("tenant_id", req.tenant_id()); !st.ok()) return st;
  if (auto st = auth::AuthorizeTenantAccess(caller, req.tenant_id(), kEveryone); !st.ok())
    return st;
  auto p = Policy(req.tenant_id());
  if (!p.ok()) return p.status();
  v1::GetTenantPolicyResponse resp;
  *resp.mutable_policy() = std::move(*p);
  return resp;
}

absl::StatusOr<v1::SetTenantPolicyResponse> CatalogManager::SetTenantPolicy(
    const Principal& caller, const v1::SetTenantPolicyRequest& req) {
  if (auto st = ValidateTenantId("tenant_id", req.tenant_id()); !st.ok()) return st;
  if (!req.recommended_course_id().empty()) {
    if (auto st = ValidateLabel("recommended_course_id", req.recommended_course_id()); !st.ok()) {
      return st;
    }
  }
  if (req.expected_revision() < 0) {
    return absl::InvalidArgumentError("expected_revision: 0 (no check) or a revision");
  }
  if (auto st = auth::AuthorizeTenantAccess(caller, req.tenant_id(), {Role::kAdmin}); !st.ok()) {
    return st;
  }
  const std::string& t = req.tenant_id();
  for (int attempt = 0; attempt < options_.max_commit_attempts; ++attempt) {
    auto current = Policy(t);
    if (!current.ok()) return current.status();
    if (req.expected_revision() != 0 && req.expected_revision() != current->revision()) {
      return absl::AbortedError(advocacy::StrCat("expected_revision: the policy is at revision ",
                                                 current->revision(), " now; reload it"));
    }
    v1::SetTenantPolicyResponse resp;
    if (current->recommended_course_id() == req.recommended_course_id()) {
      *resp.mutable_policy() = std::move(*current);
      return resp;
    }
    if (!req.recommended_course_id().empty()) {
      auto c = FindCourse(t, req.recommended_course_id());
      if (!c.ok()) return c.status();
      if (!c->has_value() || (*c)->state() != v1::COURSE_STATE_PUBLISHED) {
        return absl::FailedPreconditionError(
            advocacy::StrCat("recommended_course_id: '", req.recommended_course_id(),
                             "' is not a published course of this tenant"));
      }
    }
    const int64_t now = clock_();
    PolicyWrite w;
    w.tenant_id = t;
    w.expected_revision = current->revision();
    w.policy.set_tenant_id(t);
    w.policy.set_recommended_course_id(req.recommended_course_id());
    w.policy.set_revision(current->revision() + 1);
    *w.policy.mutable_updated_at() = ToTimestamp(now);
    v1::TenantPolicyChanged ev;
    *ev.mutable_policy() = w.policy;
    ev.set_sequence(w.policy.revision());
    ev.set_actor_subject(caller.subject);
    *ev.mutable_occurred_at() = ToTimestamp(now);
    w.outbox_entry = events_.Encode(PolicyEventKey(t), ev, now);
    auto ok = store_->PutPolicy(w);
    if (!ok.ok()) return ok.status();
    if (!*ok) continue;
    Notify(t, w.outbox_entry);
    log::Info("tenant policy changed",
              {{"tenant_id", t}, {"recommended_course_id", req.recommended_course_id()}});
    *resp.mutable_policy() = w.policy;
    return resp;
  }
  return TooContended();
}

}  // namespace advocacy::courses
