#include "learning_manager.h"

#include <algorithm>
#include <map>
#include <set>

#include "advocacy/common/clock.h"
#include "advocacy/common/digest.h"
#include "advocacy/common/idempotent_write.h"
#include "advocacy/common/ids.h"
#include "advocacy/common/logging.h"
#include "advocacy/common/outbox.h"
#include "advocacy/common/status_macros.h"
#include "advocacy/common/strings.h"
#include "advocacy/courses/v1/courses_events.pb.h"
#include "courses_validation.h"

namespace advocacy::courses {
namespace {

using auth::Principal;
using auth::Role;

constexpr std::initializer_list<Role> kEveryone = {Role::kEmployee, Role::kAdmin, Role::kService};

v1::LessonKind KindOf(const v1::Lesson& lesson) {
  switch (lesson.content_case()) {
    case v1::Lesson::kText:
      return v1::LESSON_KIND_TEXT;
    case v1::Lesson::kVideo:
      return v1::LESSON_KIND_VIDEO;
    case v1::Lesson::kQuiz:
      return v1::LESSON_KIND_QUIZ;
    default:
      return v1::LESSON_KIND_UNSPECIFIED;
  }
}

bool LessonDone(const storage::v1::StoredEnrollment& en, const std::string& lesson_id) {
  auto it = en.lessons().find(lesson_id);
  return it != en.lessons().end() && it->second.completed_at_ms() > 0;
}

int CompletedCount(const storage::v1::StoredEnrollment& en, const std::vector<std::string>& ids) {
  int n = 0;
  for (const auto& id : ids) n += LessonDone(en, id) ? 1 : 0;
  return n;
}

absl::Status NotEnrolled(const std::string& course_id) {
  return absl::FailedPreconditionError(
      advocacy::StrCat("course_id: the employee is not enrolled in '", course_id,
                       "'; enroll with EnrollInCourse before recording progress"));
}

absl::Status Withdrawn(const std::string& course_id) {
  return absl::FailedPreconditionError(advocacy::StrCat(
      "course_id: the employee left '", course_id, "'; enroll again to resume where they were"));
}

template <typename Message>
std::string Serialize(const Message& m) {
  return m.SerializeAsString();
}

template <typename Message>
absl::StatusOr<Message> Parse(const std::string& bytes) {
  Message m;
  if (!m.ParseFromString(bytes)) {
    return absl::DataLossError("a remembered response cannot be decoded; retry with a new key");
  }
  return m;
}

absl::Status NoLesson(const std::string& lesson_id, const std::string& course_id) {
  return absl::NotFoundError(
      advocacy::StrCat("lesson_id: '", lesson_id, "' is not a lesson of course '", course_id, "'"));
}

absl::Status NoChecklist(const std::string& checklist_id) {
  return absl::NotFoundError(
      advocacy::StrCat("checklist_id: no checklist '", checklist_id, "' in this tenant"));
}

// Scores answers against a quiz. INVALID_ARGUMENT names the answer that does not fit the quiz.
struct Score {
  int percent = 0;
  bool passed = false;
  std::vector<v1::QuestionOutcome> outcomes;
};

absl::StatusOr<Score> ScoreQuiz(const v1::QuizLesson& quiz, const std::string& lesson_id,
                                const google::protobuf::RepeatedPtrField<v1::QuizAnswer>& answers) {
  std::map<std::string, const v1::QuizQuestion*> questions;
  for (const auto& q : quiz.questions()) questions[q.question_id()] = &q;
  std::map<std::string, std::set<int>> given;
  for (int i = 0; i < answers.size(); ++i) {
    const auto& a = answers[i];
    const std::string field = advocacy::StrCat("answers[", i, "]");
    auto q = questions.find(a.question_id());
    if (q == questions.end()) {
      return absl::InvalidArgumentError(advocacy::StrCat(field, ".question_id: '", a.question_id(),
                                                         "' is not a question of lesson '",
                                                         lesson_id, "'"));
    }
    if (given.count(a.question_id()) != 0) {
      return absl::InvalidArgumentError(
          advocacy::StrCat(field, ".question_id: '", a.question_id(), "' is answered twice"));
    }
    std::set<int>& selected = given[a.question_id()];
    const int n = q->second->choices_size();
    for (int j = 0; j < a.selected_choices_size(); ++j) {
      const int c = a.selected_choices(j);
      const std::string cf = advocacy::StrCat(field, ".selected_choices[", j, "]");
      if (c < 0 || c >= n) {
        return absl::InvalidArgumentError(
            advocacy::StrCat(cf, ": ", c, " is out of range; question '", a.question_id(), "' has ",
                             n, " choices (0 to ", n - 1, ")"));
      }
      if (!selected.insert(c).second) {
        return absl::InvalidArgumentError(advocacy::StrCat(cf, ": ", c, " is selected twice"));
      }
    }
  }
  Score score;
  int correct = 0;
  for (const auto& q : quiz.questions()) {
    const std::set<int> expected(q.correct_choices().begin(), q.correct_choices().end());
    auto it = given.find(q.question_id());
    const bool ok = it != given.end() && it->second == expected;
    correct += ok ? 1 : 0;
    v1::QuestionOutcome o;
    o.set_question_id(q.question_id());
    o.set_correct(ok);
    score.outcomes.push_back(std::move(o));
  }
  score.percent = quiz.questions().empty() ? 0 : correct * 100 / quiz.questions_size();
  score.passed = score.percent >= PassPercent(quiz);
  return score;
}

}  // namespace

LearningManager::LearningManager(CoursesStore* store, CatalogManager* catalog,
                                 outbox::Notifier* notifier, CoursesObserver* observer,
                                 DomainOptions options, Clock clock)
    : store_(store),
      catalog_(catalog),
      notifier_(notifier),
      observer_(observer),
      options_(std::move(options)),
      clock_(clock ? std::move(clock) : Clock(clock::UnixMillis)),
      events_(options_) {}

absl::StatusOr<LearningManager::Written> LearningManager::Write(const std::string& t,
                                                                const std::string& e,
                                                                const std::string& key,
                                                                const std::string& fingerprint,
                                                                const Decide& decide) {
  return idempotent::Write<Written>(
      RetryOptions(options_, "this employee's progress"), key, fingerprint,
      [&] { return store_->GetLearnerIdempotency(t, e, key); },
      [](const storage::v1::IdempotencyRecord& record) -> absl::StatusOr<Written> {
        return Written{.response = record.response(), .replayed = true};
      },
      [&] { return TryCommit(t, e, key, fingerprint, decide); });
}

idempotent::Attempt<LearningManager::Written> LearningManager::TryCommit(
    const std::string& t, const std::string& e, const std::string& key,
    const std::string& fingerprint, const Decide& decide) {
  ASSIGN_OR_RETURN(const LearnerSnapshot snapshot, store_->LoadLearner(t, e));
  const int64_t now = clock_();
  const int64_t next = snapshot.sequence + 1;
  ASSIGN_OR_RETURN(Change change, decide(snapshot, next, now));
  if (!change.changed() && key.empty()) return Written{.response = std::move(change.response)};

  LearnerCommit commit;
  commit.tenant_id = t;
  commit.employee_id = e;
  commit.expected_sequence = snapshot.sequence;
  commit.new_sequence = change.changed() ? next : snapshot.sequence;
  commit.enrollments = change.enrollments;
  commit.checklists = change.checklists;
  commit.outbox_entries = change.outbox_entries;
  commit.idempotency_key = key;
  commit.idempotency_ttl_ms = options_.idempotency_ttl.count();
  storage::v1::IdempotencyRecord record;
  record.set_fingerprint(fingerprint);
  record.set_sequence(commit.new_sequence);
  record.set_response(change.response);
  commit.idempotency_record = record.SerializeAsString();
  if (!change.certificate_code.empty()) {
    RETURN_IF_ERROR(store_->PutCertificateIndex(t, change.certificate_code, e, change.course_id));
  }
  ASSIGN_OR_RETURN(const CommitResult committed, store_->CommitLearner(commit));
  if (committed != CommitResult::kCommitted) return idempotent::kConflict;  // decide again
  AfterCommit(t, e, commit, change, now);
  return Written{.response = std::move(change.response)};
}

void LearningManager::AfterCommit(const std::string& t, const std::string& e,
                                  const LearnerCommit& commit, const Change& change,
                                  int64_t now_ms) {
  if (notifier_ != nullptr) {
    const std::string outbox_key = outbox::OutboxKey(kServiceName, LearnerTag(t, e));
    for (const auto& entry : commit.outbox_entries) notifier_->Notify(outbox_key, entry);
  }
  if (change.changed()) {
    // Only feeds the active-learners gauge: a failure must not fail the committed change.
    if (absl::Status st = store_->RecordActivity(t, e, now_ms); !st.ok()) {
      log::Warning("learner activity not recorded; the active-learners gauge may be low",
                   {{"error", std::string(st.message())}});
    }
  }
  if (observer_ != nullptr) {
    if (change.enrolled.has_value()) observer_->Enrolled(change.course_id, *change.enrolled);
    if (change.completed.has_value()) observer_->Completed(change.course_id, *change.completed);
  }
}

absl::StatusOr<v1::Course> LearningManager::LearnableCourse(const std::string& t,
                                                            const std::string& c) {
  ASSIGN_OR_RETURN(std::optional<v1::Course> course, catalog_->FindCourse(t, c));
  if (!course.has_value() || course->state() == v1::COURSE_STATE_DRAFT) {
    return absl::NotFoundError(advocacy::StrCat("course_id: no course '", c, "' in this tenant"));
  }
  return std::move(*course);
}

v1::Enrollment LearningManager::View(const std::string& t, const std::string& e,
                                     const storage::v1::StoredEnrollment& en,
                                     const v1::Course& course) const {
  v1::Enrollment v;
  v.set_tenant_id(t);
  v.set_employee_id(e);
  v.set_course_id(en.course_id());
  v.set_state(en.state());
  int total = 0;
  for (const auto& m : course.content().modules()) {
    for (const auto& l : m.lessons()) {
      ++total;
      auto it = en.lessons().find(l.lesson_id());
      if (it == en.lessons().end()) continue;
      if (it->second.completed_at_ms() > 0) v.add_completed_lesson_ids(l.lesson_id());
      if (l.has_quiz() && it->second.attempts() > 0) {
        auto* q = v.add_quiz_results();
        q->set_lesson_id(l.lesson_id());
        q->set_best_score_percent(it->second.best_score_percent());
        q->set_attempts(it->second.attempts());
        q->set_passed(it->second.completed_at_ms() > 0);
      }
    }
  }
  v.set_total_lessons(total);
  v.set_progress_percent(total == 0 ? 0 : v.completed_lesson_ids_size() * 100 / total);
  if (en.has_certificate()) *v.mutable_certificate() = en.certificate();
  *v.mutable_enrolled_at() = ToTimestamp(en.enrolled_at_ms());
  if (en.completed_at_ms() > 0) *v.mutable_completed_at() = ToTimestamp(en.completed_at_ms());
  v.set_sequence(en.sequence());
  return v;
}

absl::Status LearningManager::Complete(const std::string& t, const std::string& e,
                                       const v1::Course& course, int64_t now, int64_t sequence,
                                       storage::v1::StoredEnrollment* en, Change* change) {
  ASSIGN_OR_RETURN(const v1::TenantPolicy policy, catalog_->Policy(t));
  en->set_state(v1::ENROLLMENT_STATE_COMPLETED);
  en->set_completed_at_ms(now);
  v1::Certificate* cert = en->mutable_certificate();
  cert->set_certificate_id(advocacy::StrCat("cert-", RandomHex(8)));
  cert->set_tenant_id(t);
  cert->set_employee_id(e);
  cert->set_course_id(course.course_id());
  cert->set_course_title(course.content().title());
  cert->set_level(course.content().level());
  *cert->mutable_issued_at() = ToTimestamp(now);
  cert->set_verification_code(NewVerificationCode());
  change->certificate_code = cert->verification_code();
  change->completed = course.content().level();

  v1::CourseCompleted ev;
  ev.set_tenant_id(t);
  ev.set_employee_id(e);
  ev.set_course_id(course.course_id());
  ev.set_level(course.content().level());
  ev.set_certificate_id(cert->certificate_id());
  ev.set_recommended_before_sharing(policy.recommended_course_id() == course.course_id());
  ev.set_sequence(sequence);
  *ev.mutable_occurred_at() = ToTimestamp(now);
  change->outbox_entries.push_back(events_.Encode(EmployeeEventKey(t, e), ev, now));
  return absl::OkStatus();
}

absl::StatusOr<v1::EnrollInCourseResponse> LearningManager::Enroll(
    const Principal& caller, const v1::EnrollInCourseRequest& req) {
  RETURN_IF_ERROR(ids::ValidateTenantId("tenant_id", req.tenant_id()));
  RETURN_IF_ERROR(ids::ValidateEmployeeId("employee_id", req.employee_id()));
  RETURN_IF_ERROR(ids::ValidateObjectId("course_id", req.course_id()));
  RETURN_IF_ERROR(ids::ValidateIdempotencyKey("idempotency_key", req.idempotency_key()));
  RETURN_IF_ERROR(AuthorizeSelf(caller, req.tenant_id(), req.employee_id()));
  const std::string& t = req.tenant_id();
  const std::string& e = req.employee_id();
  const std::string& c = req.course_id();
  ASSIGN_OR_RETURN(const v1::Course course, LearnableCourse(t, c));
  const v1::CourseLevel level = course.content().level();

  const Decide decide = [&](const LearnerSnapshot& snap, int64_t next,
                            int64_t now) -> absl::StatusOr<Change> {
    Change ch;
    ch.course_id = c;
    v1::EnrollInCourseResponse resp;
    auto it = snap.enrollments.find(c);
    const bool known = it != snap.enrollments.end();
    if (known && it->second.state() != v1::ENROLLMENT_STATE_WITHDRAWN) {
      *resp.mutable_enrollment() = View(t, e, it->second, course);
      resp.set_unchanged(true);
      ch.response = Serialize(resp);
      return ch;
    }
    if (!known) {
      if (course.state() != v1::COURSE_STATE_PUBLISHED) {
        return absl::FailedPreconditionError(
            advocacy::StrCat("course_id: '", c, "' is archived and takes no new enrollments"));
      }
      for (const auto& p : course.content().prerequisite_course_ids()) {
        auto done = snap.enrollments.find(p);
        if (done == snap.enrollments.end() ||
            done->second.state() != v1::ENROLLMENT_STATE_COMPLETED) {
          return absl::FailedPreconditionError(advocacy::StrCat("course_id: '", c,
                                                                "' requires completing course '", p,
                                                                "' first; enroll in that one"));
        }
      }
    }
    storage::v1::StoredEnrollment en;
    if (known) {
      en = it->second;
    } else {
      en.set_course_id(c);
      en.set_enrolled_at_ms(now);
    }
    en.set_state(v1::ENROLLMENT_STATE_ACTIVE);
    en.set_sequence(next);
    v1::EnrollmentCreated ev;
    ev.set_tenant_id(t);
    ev.set_employee_id(e);
    ev.set_course_id(c);
    ev.set_level(level);
    ev.set_resumed(known);
    ev.set_sequence(next);
    *ev.mutable_occurred_at() = ToTimestamp(now);
    ch.outbox_entries.push_back(events_.Encode(EmployeeEventKey(t, e), ev, now));
    ch.enrolled = level;
    *resp.mutable_enrollment() = View(t, e, en, course);
    ch.enrollments.push_back(std::move(en));
    ch.response = Serialize(resp);
    return ch;
  };
  const std::string fingerprint = digest::Fingerprint({"Enroll", e, c});
  ASSIGN_OR_RETURN(const Written written, Write(t, e, req.idempotency_key(), fingerprint, decide));
  ASSIGN_OR_RETURN(v1::EnrollInCourseResponse resp,
                   Parse<v1::EnrollInCourseResponse>(written.response));
  if (written.replayed) resp.set_unchanged(true);
  return resp;
}

absl::StatusOr<v1::WithdrawEnrollmentResponse> LearningManager::WithdrawEnrollment(
    const Principal& caller, const v1::WithdrawEnrollmentRequest& req) {
  RETURN_IF_ERROR(ids::ValidateTenantId("tenant_id", req.tenant_id()));
  RETURN_IF_ERROR(ids::ValidateEmployeeId("employee_id", req.employee_id()));
  RETURN_IF_ERROR(ids::ValidateObjectId("course_id", req.course_id()));
  RETURN_IF_ERROR(AuthorizeSelf(caller, req.tenant_id(), req.employee_id()));
  const std::string& t = req.tenant_id();
  const std::string& e = req.employee_id();
  const std::string& c = req.course_id();
  ASSIGN_OR_RETURN(const v1::Course course, LearnableCourse(t, c));
  const Decide decide = [&](const LearnerSnapshot& snap, int64_t next,
                            int64_t now) -> absl::StatusOr<Change> {
    Change ch;
    v1::WithdrawEnrollmentResponse resp;
    auto it = snap.enrollments.find(c);
    if (it == snap.enrollments.end()) return NotEnrolled(c);
    if (it->second.state() == v1::ENROLLMENT_STATE_COMPLETED) {
      return absl::FailedPreconditionError(
          advocacy::StrCat("course_id: '", c,
                           "' is completed; there is nothing to leave and the certificate "
                           "stands"));
    }
    if (it->second.state() == v1::ENROLLMENT_STATE_WITHDRAWN) {
      *resp.mutable_enrollment() = View(t, e, it->second, course);
      resp.set_unchanged(true);
      ch.response = Serialize(resp);
      return ch;
    }
    storage::v1::StoredEnrollment en = it->second;
    en.set_state(v1::ENROLLMENT_STATE_WITHDRAWN);
    en.set_sequence(next);
    v1::EnrollmentWithdrawn ev;
    ev.set_tenant_id(t);
    ev.set_employee_id(e);
    ev.set_course_id(c);
    ev.set_sequence(next);
    *ev.mutable_occurred_at() = ToTimestamp(now);
    ch.outbox_entries.push_back(events_.Encode(EmployeeEventKey(t, e), ev, now));
    *resp.mutable_enrollment() = View(t, e, en, course);
    ch.enrollments.push_back(std::move(en));
    ch.response = Serialize(resp);
    return ch;
  };
  ASSIGN_OR_RETURN(const Written written, Write(t, e, "", "", decide));
  return Parse<v1::WithdrawEnrollmentResponse>(written.response);
}

absl::StatusOr<v1::CompleteLessonResponse> LearningManager::CompleteLesson(
    const Principal& caller, const v1::CompleteLessonRequest& req) {
  RETURN_IF_ERROR(ids::ValidateTenantId("tenant_id", req.tenant_id()));
  RETURN_IF_ERROR(ids::ValidateEmployeeId("employee_id", req.employee_id()));
  RETURN_IF_ERROR(ids::ValidateObjectId("course_id", req.course_id()));
  RETURN_IF_ERROR(ids::ValidateObjectId("lesson_id", req.lesson_id()));
  RETURN_IF_ERROR(AuthorizeSelf(caller, req.tenant_id(), req.employee_id()));
  const std::string& t = req.tenant_id();
  const std::string& e = req.employee_id();
  const std::string& c = req.course_id();
  const std::string& l = req.lesson_id();
  ASSIGN_OR_RETURN(const v1::Course course, LearnableCourse(t, c));
  const v1::Lesson* lesson = FindLesson(course, l);
  if (lesson == nullptr) return NoLesson(l, c);
  if (lesson->has_quiz()) {
    return absl::FailedPreconditionError(advocacy::StrCat(
        "lesson_id: '", l, "' is a quiz; it is completed by passing it with SubmitQuizAnswers"));
  }
  const std::vector<std::string> lesson_ids = LessonIds(course);
  const Decide decide = [&](const LearnerSnapshot& snap, int64_t next,
                            int64_t now) -> absl::StatusOr<Change> {
    Change ch;
    ch.course_id = c;
    v1::CompleteLessonResponse resp;
    auto it = snap.enrollments.find(c);
    if (it == snap.enrollments.end()) return NotEnrolled(c);
    if (it->second.state() == v1::ENROLLMENT_STATE_WITHDRAWN) return Withdrawn(c);
    if (LessonDone(it->second, l)) {
      *resp.mutable_enrollment() = View(t, e, it->second, course);
      resp.set_unchanged(true);
      ch.response = Serialize(resp);
      return ch;
    }
    storage::v1::StoredEnrollment en = it->second;
    en.set_sequence(next);
    (*en.mutable_lessons())[l].set_completed_at_ms(now);
    const int done = CompletedCount(en, lesson_ids);
    v1::LessonCompleted ev;
    ev.set_tenant_id(t);
    ev.set_employee_id(e);
    ev.set_course_id(c);
    ev.set_lesson_id(l);
    ev.set_kind(KindOf(*lesson));
    ev.set_completed_lessons(done);
    ev.set_total_lessons(static_cast<int32_t>(lesson_ids.size()));
    ev.set_sequence(next);
    *ev.mutable_occurred_at() = ToTimestamp(now);
    ch.outbox_entries.push_back(events_.Encode(EmployeeEventKey(t, e), ev, now));
    if (done == static_cast<int>(lesson_ids.size()) &&
        en.state() != v1::ENROLLMENT_STATE_COMPLETED) {
      RETURN_IF_ERROR(Complete(t, e, course, now, next, &en, &ch));
      resp.set_course_completed(true);
    }
    *resp.mutable_enrollment() = View(t, e, en, course);
    ch.enrollments.push_back(std::move(en));
    ch.response = Serialize(resp);
    return ch;
  };
  ASSIGN_OR_RETURN(const Written written, Write(t, e, "", "", decide));
  return Parse<v1::CompleteLessonResponse>(written.response);
}

absl::StatusOr<v1::SubmitQuizAnswersResponse> LearningManager::SubmitQuizAnswers(
    const Principal& caller, const v1::SubmitQuizAnswersRequest& req) {
  RETURN_IF_ERROR(ids::ValidateTenantId("tenant_id", req.tenant_id()));
  RETURN_IF_ERROR(ids::ValidateEmployeeId("employee_id", req.employee_id()));
  RETURN_IF_ERROR(ids::ValidateObjectId("course_id", req.course_id()));
  RETURN_IF_ERROR(ids::ValidateObjectId("lesson_id", req.lesson_id()));
  if (req.answers_size() > kMaxQuestions) {
    return absl::InvalidArgumentError(advocacy::StrCat("answers: at most ", kMaxQuestions));
  }
  for (int i = 0; i < req.answers_size(); ++i) {
    const std::string f = advocacy::StrCat("answers[", i, "]");
    RETURN_IF_ERROR(ids::ValidateObjectId(f + ".question_id", req.answers(i).question_id()));
    if (req.answers(i).selected_choices_size() > kMaxChoices) {
      return absl::InvalidArgumentError(
          advocacy::StrCat(f, ".selected_choices: at most ", kMaxChoices));
    }
  }
  RETURN_IF_ERROR(ids::ValidateIdempotencyKey("idempotency_key", req.idempotency_key()));
  RETURN_IF_ERROR(AuthorizeSelf(caller, req.tenant_id(), req.employee_id()));
  const std::string& t = req.tenant_id();
  const std::string& e = req.employee_id();
  const std::string& c = req.course_id();
  const std::string& l = req.lesson_id();
  ASSIGN_OR_RETURN(const v1::Course course, LearnableCourse(t, c));
  const v1::Lesson* lesson = FindLesson(course, l);
  if (lesson == nullptr) return NoLesson(l, c);
  if (!lesson->has_quiz()) {
    return absl::FailedPreconditionError(
        advocacy::StrCat("lesson_id: '", l, "' is not a quiz; record it with CompleteLesson"));
  }
  ASSIGN_OR_RETURN(const Score score, ScoreQuiz(lesson->quiz(), l, req.answers()));
  v1::SubmitQuizAnswersRequest canonical = req;
  canonical.clear_idempotency_key();
  const std::vector<std::string> lesson_ids = LessonIds(course);
  const Decide decide = [&](const LearnerSnapshot& snap, int64_t next,
                            int64_t now) -> absl::StatusOr<Change> {
    Change ch;
    ch.course_id = c;
    auto it = snap.enrollments.find(c);
    if (it == snap.enrollments.end()) return NotEnrolled(c);
    if (it->second.state() == v1::ENROLLMENT_STATE_WITHDRAWN) return Withdrawn(c);
    v1::SubmitQuizAnswersResponse resp;
    resp.set_score_percent(score.percent);
    resp.set_passed(score.passed);
    for (const auto& o : score.outcomes) *resp.add_outcomes() = o;
    storage::v1::StoredEnrollment en = it->second;
    en.set_sequence(next);
    storage::v1::StoredLessonProgress& p = (*en.mutable_lessons())[l];
    p.set_attempts(p.attempts() + 1);
    p.set_best_score_percent(std::max(p.best_score_percent(), score.percent));
    if (score.passed && p.completed_at_ms() == 0) {
      p.set_completed_at_ms(now);
      const int done = CompletedCount(en, lesson_ids);
      v1::LessonCompleted ev;
      ev.set_tenant_id(t);
      ev.set_employee_id(e);
      ev.set_course_id(c);
      ev.set_lesson_id(l);
      ev.set_kind(v1::LESSON_KIND_QUIZ);
      ev.set_score_percent(score.percent);
      ev.set_completed_lessons(done);
      ev.set_total_lessons(static_cast<int32_t>(lesson_ids.size()));
      ev.set_sequence(next);
      *ev.mutable_occurred_at() = ToTimestamp(now);
      ch.outbox_entries.push_back(events_.Encode(EmployeeEventKey(t, e), ev, now));
      if (done == static_cast<int>(lesson_ids.size()) &&
          en.state() != v1::ENROLLMENT_STATE_COMPLETED) {
        RETURN_IF_ERROR(Complete(t, e, course, now, next, &en, &ch));
        resp.set_course_completed(true);
      }
    }
    *resp.mutable_enrollment() = View(t, e, en, course);
    ch.enrollments.push_back(std::move(en));
    ch.response = Serialize(resp);
    return ch;
  };
  const std::string fingerprint =
      digest::Fingerprint({"SubmitQuizAnswers", DeterministicBytes(canonical)});
  ASSIGN_OR_RETURN(const Written written, Write(t, e, req.idempotency_key(), fingerprint, decide));
  return Parse<v1::SubmitQuizAnswersResponse>(written.response);
}

absl::StatusOr<v1::GetEnrollmentResponse> LearningManager::GetEnrollment(
    const Principal& caller, const v1::GetEnrollmentRequest& req) {
  RETURN_IF_ERROR(ids::ValidateTenantId("tenant_id", req.tenant_id()));
  RETURN_IF_ERROR(ids::ValidateEmployeeId("employee_id", req.employee_id()));
  RETURN_IF_ERROR(ids::ValidateObjectId("course_id", req.course_id()));
  RETURN_IF_ERROR(auth::AuthorizeEmployeeAccess(caller, req.tenant_id(), req.employee_id()));
  ASSIGN_OR_RETURN(const LearnerSnapshot snap,
                   store_->LoadLearner(req.tenant_id(), req.employee_id()));
  auto it = snap.enrollments.find(req.course_id());
  if (it == snap.enrollments.end()) {
    return absl::NotFoundError(advocacy::StrCat("course_id: employee '", req.employee_id(),
                                                "' has never enrolled in '", req.course_id(), "'"));
  }
  ASSIGN_OR_RETURN(const v1::Course course, LearnableCourse(req.tenant_id(), req.course_id()));
  v1::GetEnrollmentResponse resp;
  *resp.mutable_enrollment() = View(req.tenant_id(), req.employee_id(), it->second, course);
  return resp;
}

absl::StatusOr<v1::ListEnrollmentsResponse> LearningManager::ListEnrollments(
    const Principal& caller, const v1::ListEnrollmentsRequest& req) {
  RETURN_IF_ERROR(ids::ValidateTenantId("tenant_id", req.tenant_id()));
  RETURN_IF_ERROR(ids::ValidateEmployeeId("employee_id", req.employee_id()));
  RETURN_IF_ERROR(auth::AuthorizeEmployeeAccess(caller, req.tenant_id(), req.employee_id()));
  ASSIGN_OR_RETURN(const LearnerSnapshot snap,
                   store_->LoadLearner(req.tenant_id(), req.employee_id()));
  v1::ListEnrollmentsResponse resp;
  for (const auto& [course_id, en] : snap.enrollments) {
    ASSIGN_OR_RETURN(const v1::Course course, LearnableCourse(req.tenant_id(), course_id));
    *resp.add_enrollments() = View(req.tenant_id(), req.employee_id(), en, course);
  }
  return resp;
}

absl::StatusOr<v1::VerifyCertificateResponse> LearningManager::VerifyCertificate(
    const Principal& caller, const v1::VerifyCertificateRequest& req) {
  RETURN_IF_ERROR(ids::ValidateTenantId("tenant_id", req.tenant_id()));
  ASSIGN_OR_RETURN(const std::string code,
                   NormalizeVerificationCode("verification_code", req.verification_code()));
  RETURN_IF_ERROR(auth::AuthorizeTenantAccess(caller, req.tenant_id(), kEveryone));
  const absl::Status none = absl::NotFoundError(
      "verification_code: no certificate of this tenant has this code; check it against the "
      "certificate");
  ASSIGN_OR_RETURN(const CertificateHolder where, store_->FindCertificate(req.tenant_id(), code));
  if (!where.has_value()) return none;
  const auto& [employee_id, course_id] = *where;
  ASSIGN_OR_RETURN(const LearnerSnapshot snap, store_->LoadLearner(req.tenant_id(), employee_id));
  auto it = snap.enrollments.find(course_id);
  // The index is written before the completion commits; an entry whose commit did not happen
  // (or lost to a concurrent completion) names an enrollment without this code.
  if (it == snap.enrollments.end() || it->second.certificate().verification_code() != code) {
    return none;
  }
  v1::VerifyCertificateResponse resp;
  *resp.mutable_certificate() = it->second.certificate();
  return resp;
}

namespace {

v1::ChecklistProgress ProgressView(const std::string& e, const v1::Checklist& checklist,
                                   const storage::v1::StoredChecklistProgress* stored) {
  v1::ChecklistProgress v;
  v.set_checklist_id(checklist.checklist_id());
  v.set_employee_id(e);
  std::set<std::string> ticked;
  if (stored != nullptr)
    ticked.insert(stored->checked_item_ids().begin(), stored->checked_item_ids().end());
  for (const auto& item : checklist.content().items()) {
    if (ticked.count(item.item_id()) != 0) v.add_checked_item_ids(item.item_id());
  }
  v.set_total_items(checklist.content().items_size());
  v.set_completed(v.total_items() > 0 && v.checked_item_ids_size() == v.total_items());
  return v;
}

}  // namespace

absl::StatusOr<v1::SetChecklistItemResponse> LearningManager::SetChecklistItem(
    const Principal& caller, const v1::SetChecklistItemRequest& req) {
  RETURN_IF_ERROR(ids::ValidateTenantId("tenant_id", req.tenant_id()));
  RETURN_IF_ERROR(ids::ValidateEmployeeId("employee_id", req.employee_id()));
  RETURN_IF_ERROR(ids::ValidateObjectId("checklist_id", req.checklist_id()));
  RETURN_IF_ERROR(ids::ValidateObjectId("item_id", req.item_id()));
  RETURN_IF_ERROR(AuthorizeSelf(caller, req.tenant_id(), req.employee_id()));
  const std::string& t = req.tenant_id();
  const std::string& e = req.employee_id();
  ASSIGN_OR_RETURN(const std::optional<v1::Checklist> checklist,
                   catalog_->FindChecklist(t, req.checklist_id()));
  if (!checklist.has_value()) return NoChecklist(req.checklist_id());
  const auto& items = checklist->content().items();
  if (std::none_of(items.begin(), items.end(),
                   [&](const v1::ChecklistItem& i) { return i.item_id() == req.item_id(); })) {
    return absl::NotFoundError(advocacy::StrCat(
        "item_id: '", req.item_id(), "' is not an item of checklist '", req.checklist_id(), "'"));
  }
  const Decide decide = [&](const LearnerSnapshot& snap, int64_t next,
                            int64_t) -> absl::StatusOr<Change> {
    Change ch;
    v1::SetChecklistItemResponse resp;
    storage::v1::StoredChecklistProgress p;
    p.set_checklist_id(req.checklist_id());
    if (auto it = snap.checklists.find(req.checklist_id()); it != snap.checklists.end()) {
      p = it->second;
    }
    auto& ticked = *p.mutable_checked_item_ids();
    auto pos = std::find(ticked.begin(), ticked.end(), req.item_id());
    const bool checked = pos != ticked.end();
    if (checked == req.checked()) {
      *resp.mutable_progress() = ProgressView(e, *checklist, &p);
      resp.set_unchanged(true);
      ch.response = Serialize(resp);
      return ch;
    }
    if (req.checked()) {
      p.add_checked_item_ids(req.item_id());
    } else {
      ticked.erase(pos);
    }
    p.set_sequence(next);
    *resp.mutable_progress() = ProgressView(e, *checklist, &p);
    ch.checklists.push_back(std::move(p));
    ch.response = Serialize(resp);
    return ch;
  };
  ASSIGN_OR_RETURN(const Written written, Write(t, e, "", "", decide));
  return Parse<v1::SetChecklistItemResponse>(written.response);
}

absl::StatusOr<v1::GetChecklistProgressResponse> LearningManager::GetChecklistProgress(
    const Principal& caller, const v1::GetChecklistProgressRequest& req) {
  RETURN_IF_ERROR(ids::ValidateTenantId("tenant_id", req.tenant_id()));
  RETURN_IF_ERROR(ids::ValidateEmployeeId("employee_id", req.employee_id()));
  RETURN_IF_ERROR(ids::ValidateObjectId("checklist_id", req.checklist_id()));
  RETURN_IF_ERROR(auth::AuthorizeEmployeeAccess(caller, req.tenant_id(), req.employee_id()));
  ASSIGN_OR_RETURN(const std::optional<v1::Checklist> checklist,
                   catalog_->FindChecklist(req.tenant_id(), req.checklist_id()));
  if (!checklist.has_value()) return NoChecklist(req.checklist_id());
  ASSIGN_OR_RETURN(const LearnerSnapshot snap,
                   store_->LoadLearner(req.tenant_id(), req.employee_id()));
  auto it = snap.checklists.find(req.checklist_id());
  v1::GetChecklistProgressResponse resp;
  *resp.mutable_progress() = ProgressView(req.employee_id(), *checklist,
                                          it == snap.checklists.end() ? nullptr : &it->second);
  return resp;
}

}  // namespace advocacy::courses
