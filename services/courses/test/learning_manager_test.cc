// Enrollment, progress (each lesson counts once), server-side quiz scoring, prerequisites,
// completion with a verifiable certificate, checklist ticks, authorization and idempotency.

#include "learning_manager.h"

#include <gtest/gtest.h>

#include <set>
#include <thread>

#include "advocacy/courses/v1/courses_events.pb.h"
#include "courses_test_util.h"

namespace advocacy::courses::testing {
namespace {

using absl::StatusCode;

class LearningTest : public CoursesFixture {};

const std::vector<v1::QuizAnswer> kAllCorrect = {Answer("q1", {1}), Answer("q2", {0, 2})};

TEST_F(LearningTest, EnrollCompleteAndVerifyTheCertificate) {
  const std::string c = PublishedCourse();
  const std::string e = "e1";
  auto enrolled = Enroll(e, c);
  ASSERT_TRUE(enrolled.ok()) << enrolled.status();
  EXPECT_FALSE(enrolled->unchanged());
  EXPECT_EQ(enrolled->enrollment().state(), v1::ENROLLMENT_STATE_ACTIVE);
  EXPECT_EQ(enrolled->enrollment().total_lessons(), 3);
  EXPECT_TRUE(Enroll(e, c)->unchanged());

  auto first = Complete(e, c, "intro");
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_FALSE(first->unchanged());
  EXPECT_EQ(first->enrollment().progress_percent(), 33);
  // The same lesson twice counts once.
  auto twice = Complete(e, c, "intro");
  ASSERT_TRUE(twice.ok());
  EXPECT_TRUE(twice->unchanged());
  EXPECT_EQ(twice->enrollment().completed_lesson_ids_size(), 1);
  ASSERT_TRUE(Complete(e, c, "profile").ok());
  auto passed = Submit(e, c, "quiz", kAllCorrect);
  ASSERT_TRUE(passed.ok()) << passed.status();
  EXPECT_TRUE(passed->passed());
  EXPECT_TRUE(passed->course_completed());
  const v1::Enrollment& done = passed->enrollment();
  EXPECT_EQ(done.state(), v1::ENROLLMENT_STATE_COMPLETED);
  EXPECT_EQ(done.progress_percent(), 100);
  ASSERT_TRUE(done.has_certificate());
  EXPECT_EQ(done.certificate().course_title(), "Social media basics");
  EXPECT_EQ(done.certificate().verification_code().size(), 26u);
  // A completed course stays completed; more progress changes nothing.
  EXPECT_TRUE(Complete(e, c, "intro")->unchanged());

  const auto events = Events(advocacy::StrCat(kTenant, "/employee/", e));
  std::vector<std::string> types;
  std::vector<int64_t> seqs;
  for (const auto& ev : events) {
    types.push_back(ev.type);
    EXPECT_EQ(ev.outbox_key, outbox::OutboxKey(kServiceName, advocacy::StrCat(kTenant, ":", e)));
    EXPECT_EQ(ev.message.topic, "advocacy.courses.v1");
  }
  const std::vector<std::string> expected = {
      "advocacy.courses.v1.EnrollmentCreated", "advocacy.courses.v1.LessonCompleted",
      "advocacy.courses.v1.LessonCompleted", "advocacy.courses.v1.LessonCompleted",
      "advocacy.courses.v1.CourseCompleted"};
  EXPECT_EQ(types, expected);
  v1::LessonCompleted quiz_done;
  ASSERT_TRUE(quiz_done.ParseFromString(events[3].message.payload));
  EXPECT_EQ(quiz_done.kind(), v1::LESSON_KIND_QUIZ);
  EXPECT_EQ(quiz_done.score_percent(), 100);
  EXPECT_EQ(quiz_done.completed_lessons(), 3);
  EXPECT_EQ(quiz_done.sequence(), 4);
  v1::CourseCompleted completed;
  ASSERT_TRUE(completed.ParseFromString(events[4].message.payload));
  EXPECT_EQ(completed.sequence(), 4);
  EXPECT_EQ(completed.certificate_id(), done.certificate().certificate_id());
  EXPECT_FALSE(completed.recommended_before_sharing());
  EXPECT_EQ(observer_.enrolled.size(), 1u);
  ASSERT_EQ(observer_.completed.size(), 1u);
  EXPECT_EQ(observer_.completed[0].second, v1::COURSE_LEVEL_BEGINNER);

  // Anyone in the tenant holding the code can have it confirmed; case and dashes are ignored.
  std::string code = done.certificate().verification_code();
  std::string typed;
  for (size_t i = 0; i < code.size(); ++i) {
    typed.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(code[i]))));
    if (i % 4 == 3) typed.push_back('-');
  }
  v1::VerifyCertificateRequest verify;
  verify.set_tenant_id(kTenant);
  verify.set_verification_code(typed);
  auto verified = learning_.VerifyCertificate(Service(), verify);
  ASSERT_TRUE(verified.ok()) << verified.status();
  EXPECT_EQ(verified->certificate().employee_id(), e);
  EXPECT_EQ(verified->certificate().course_id(), c);
  code[0] = code[0] == 'A' ? 'B' : 'A';
  verify.set_verification_code(code);
  EXPECT_EQ(learning_.VerifyCertificate(Service(), verify).status().code(), StatusCode::kNotFound);
  verify.set_verification_code("short");
  EXPECT_TRUE(StartsWithField(learning_.VerifyCertificate(Service(), verify).status(),
                              "verification_code"));
  verify.set_tenant_id("other");
  verify.set_verification_code(typed);
  EXPECT_EQ(learning_.VerifyCertificate(Service(), verify).status().code(),
            StatusCode::kPermissionDenied);
}

TEST_F(LearningTest, QuizzesAreScoredHereAndFailedAttemptsDoNotComplete) {
  const std::string c = PublishedCourse();
  ASSERT_TRUE(Enroll("e1", c).ok());
  // q1 right, q2 only half selected: 50 % is the pass mark of this quiz.
  auto half = Submit("e1", c, "quiz", {Answer("q1", {1}), Answer("q2", {0})});
  ASSERT_TRUE(half.ok()) << half.status();
  EXPECT_EQ(half->score_percent(), 50);
  EXPECT_TRUE(half->passed());
  ASSERT_EQ(half->outcomes_size(), 2);
  EXPECT_TRUE(half->outcomes(0).correct());
  EXPECT_FALSE(half->outcomes(1).correct());

  ASSERT_TRUE(Enroll("e2", c).ok());
  auto none = Submit("e2", c, "quiz", {Answer("q1", {0})});  // q2 unanswered counts as wrong
  ASSERT_TRUE(none.ok());
  EXPECT_EQ(none->score_percent(), 0);
  EXPECT_FALSE(none->passed());
  EXPECT_EQ(none->enrollment().completed_lesson_ids_size(), 0);
  ASSERT_EQ(none->enrollment().quiz_results_size(), 1);
  EXPECT_EQ(none->enrollment().quiz_results(0).attempts(), 1);
  EXPECT_FALSE(none->enrollment().quiz_results(0).passed());
  auto extra = Submit("e2", c, "quiz", {Answer("q1", {1, 2}), Answer("q2", {0, 2})});
  ASSERT_TRUE(extra.ok());
  EXPECT_EQ(extra->score_percent(), 50);  // q1 with an extra wrong choice is wrong
  EXPECT_EQ(extra->enrollment().quiz_results(0).attempts(), 2);
  EXPECT_EQ(extra->enrollment().quiz_results(0).best_score_percent(), 50);
  EXPECT_TRUE(extra->enrollment().quiz_results(0).passed());
  // Only the first pass is a LessonCompleted event.
  ASSERT_TRUE(Submit("e2", c, "quiz", kAllCorrect).ok());
  int quiz_events = 0;
  for (const auto& ev : Events(advocacy::StrCat(kTenant, "/employee/e2"))) {
    if (ev.type == "advocacy.courses.v1.LessonCompleted") ++quiz_events;
  }
  EXPECT_EQ(quiz_events, 1);
}

TEST_F(LearningTest, AnswersThatDoNotFitTheQuizAreRejectedByField) {
  const std::string c = PublishedCourse();
  ASSERT_TRUE(Enroll("e1", c).ok());
  auto out_of_range = Submit("e1", c, "quiz", {Answer("q1", {7})});
  EXPECT_EQ(out_of_range.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(
      out_of_range.status().message(),
      "answers[0].selected_choices[0]: 7 is out of range; question 'q1' has 4 choices (0 to 3)");
  auto negative = Submit("e1", c, "quiz", {Answer("q1", {1}), Answer("q2", {-1})});
  EXPECT_TRUE(StartsWithField(negative.status(), "answers[1].selected_choices[0]"));
  auto unknown = Submit("e1", c, "quiz", {Answer("q9", {0})});
  EXPECT_EQ(unknown.status().code(), StatusCode::kInvalidArgument);
  EXPECT_TRUE(StartsWithField(unknown.status(), "answers[0].question_id"));
  auto twice = Submit("e1", c, "quiz", {Answer("q1", {1}), Answer("q1", {1})});
  EXPECT_TRUE(StartsWithField(twice.status(), "answers[1].question_id"));
  auto dup = Submit("e1", c, "quiz", {Answer("q2", {0, 0})});
  EXPECT_TRUE(StartsWithField(dup.status(), "answers[0].selected_choices[1]"));

  auto no_lesson = Complete("e1", c, "nope");
  EXPECT_EQ(no_lesson.status().code(), StatusCode::kNotFound);
  EXPECT_TRUE(StartsWithField(no_lesson.status(), "lesson_id"));
  EXPECT_EQ(Submit("e1", c, "nope", kAllCorrect).status().code(), StatusCode::kNotFound);
  auto quiz_as_lesson = Complete("e1", c, "quiz");
  EXPECT_EQ(quiz_as_lesson.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_TRUE(StartsWithField(quiz_as_lesson.status(), "lesson_id"));
  EXPECT_EQ(Submit("e1", c, "intro", kAllCorrect).status().code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(Complete("e1", "c-nope", "intro").status().code(), StatusCode::kNotFound);
  EXPECT_TRUE(StartsWithField(Complete("e1", c, "bad id!").status(), "lesson_id"));
  // Nothing was recorded by any of these.
  v1::GetEnrollmentRequest get;
  get.set_tenant_id(kTenant);
  get.set_employee_id("e1");
  get.set_course_id(c);
  EXPECT_EQ(learning_.GetEnrollment(Employee("e1"), get)->enrollment().quiz_results_size(), 0);
}

TEST_F(LearningTest, PrerequisitesMustBeCompletedFirst) {
  const std::string basics = PublishedCourse();
  v1::CourseContent advanced = Content("Advanced", v1::COURSE_LEVEL_ADVANCED);
  advanced.add_prerequisite_course_ids(basics);
  const std::string next = PublishedCourse(advanced);
  auto refused = Enroll("e1", next);
  EXPECT_EQ(refused.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(refused.status().message().find(basics), std::string::npos);
  ASSERT_TRUE(Enroll("e1", basics).ok());
  EXPECT_EQ(Enroll("e1", next).status().code(), StatusCode::kFailedPrecondition);  // not yet done
  ASSERT_TRUE(Complete("e1", basics, "intro").ok());
  ASSERT_TRUE(Complete("e1", basics, "profile").ok());
  ASSERT_TRUE(Submit("e1", basics, "quiz", kAllCorrect).ok());
  auto ok = Enroll("e1", next);
  ASSERT_TRUE(ok.ok()) << ok.status();
  v1::ListEnrollmentsRequest list;
  list.set_tenant_id(kTenant);
  list.set_employee_id("e1");
  EXPECT_EQ(learning_.ListEnrollments(Employee("e1"), list)->enrollments_size(), 2);
}

TEST_F(LearningTest, ProgressNeedsAnActiveEnrollmentAndLeavingKeepsIt) {
  const std::string c = PublishedCourse();
  auto not_enrolled = Complete("e1", c, "intro");
  EXPECT_EQ(not_enrolled.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_TRUE(StartsWithField(not_enrolled.status(), "course_id"));
  ASSERT_TRUE(Enroll("e1", c).ok());
  ASSERT_TRUE(Complete("e1", c, "intro").ok());
  v1::WithdrawEnrollmentRequest w;
  w.set_tenant_id(kTenant);
  w.set_employee_id("e1");
  w.set_course_id(c);
  auto left = learning_.WithdrawEnrollment(Employee("e1"), w);
  ASSERT_TRUE(left.ok()) << left.status();
  EXPECT_EQ(left->enrollment().state(), v1::ENROLLMENT_STATE_WITHDRAWN);
  EXPECT_TRUE(learning_.WithdrawEnrollment(Employee("e1"), w)->unchanged());
  EXPECT_EQ(Complete("e1", c, "profile").status().code(), StatusCode::kFailedPrecondition);
  auto back = Enroll("e1", c);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->enrollment().completed_lesson_ids_size(), 1);  // resumed
  const auto events = Events(advocacy::StrCat(kTenant, "/employee/e1"));
  v1::EnrollmentCreated resumed;
  ASSERT_TRUE(resumed.ParseFromString(events.back().message.payload));
  EXPECT_TRUE(resumed.resumed());
  // An archived course keeps its learners but takes no new ones.
  v1::ArchiveCourseRequest archive;
  archive.set_tenant_id(kTenant);
  archive.set_course_id(c);
  ASSERT_TRUE(catalog_.ArchiveCourse(Admin(), archive).ok());
  EXPECT_TRUE(Complete("e1", c, "profile").ok());
  auto late = Enroll("e2", c);
  EXPECT_EQ(late.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(late.status().message().find("archived"), std::string::npos);
}

TEST_F(LearningTest, LearningIsTheEmployeesOwnDecision) {
  const std::string c = PublishedCourse();
  v1::EnrollInCourseRequest req;
  req.set_tenant_id(kTenant);
  req.set_employee_id("e1");
  req.set_course_id(c);
  EXPECT_EQ(learning_.Enroll(Admin(), req).status().code(), StatusCode::kPermissionDenied);
  EXPECT_EQ(learning_.Enroll(Service(), req).status().code(), StatusCode::kPermissionDenied);
  EXPECT_EQ(learning_.Enroll(Employee("e2"), req).status().code(), StatusCode::kPermissionDenied);
  EXPECT_EQ(learning_.Enroll(Employee("e1", "other"), req).status().code(),
            StatusCode::kPermissionDenied);
  ASSERT_TRUE(learning_.Enroll(Employee("e1"), req).ok());
  v1::GetEnrollmentRequest get;
  get.set_tenant_id(kTenant);
  get.set_employee_id("e1");
  get.set_course_id(c);
  EXPECT_TRUE(learning_.GetEnrollment(Admin(), get).ok());
  EXPECT_TRUE(learning_.GetEnrollment(Service(), get).ok());
  EXPECT_EQ(learning_.GetEnrollment(Employee("e2"), get).status().code(),
            StatusCode::kPermissionDenied);
  EXPECT_EQ(learning_.GetEnrollment(Admin("other"), get).status().code(),
            StatusCode::kPermissionDenied);
  get.set_employee_id("e3");
  EXPECT_EQ(learning_.GetEnrollment(Admin(), get).status().code(), StatusCode::kNotFound);
  // A draft is not a course employees can find.
  v1::CreateCourseRequest draft;
  draft.set_tenant_id(kTenant);
  *draft.mutable_content() = Content();
  const std::string d = catalog_.CreateCourse(Admin(), draft)->course().course_id();
  EXPECT_EQ(Enroll("e1", d).status().code(), StatusCode::kNotFound);
}

TEST_F(LearningTest, IdsFollowTheSharedGrammar) {
  const std::string c = PublishedCourse();
  // ':' would let two (tenant, employee) pairs share a Redis key "<tenant>:<employee>".
  auto colon = Enroll("jane:doe", c);
  EXPECT_EQ(colon.status().code(), StatusCode::kInvalidArgument);
  EXPECT_TRUE(StartsWithField(colon.status(), "employee_id"));
  for (const char* bad : {"jane/doe", "jane{doe}", "jane doe", ""}) {
    auto r = Enroll(bad, c);
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument) << bad;
    EXPECT_TRUE(StartsWithField(r.status(), "employee_id")) << bad;
  }
  // E-mail-like ids from the identity provider are employees like any other.
  auto mail = Enroll("jane.doe+news@acme.com", c);
  ASSERT_TRUE(mail.ok()) << mail.status();
  EXPECT_EQ(mail->enrollment().employee_id(), "jane.doe+news@acme.com");
  // Idempotency keys: RFC 3986's unreserved characters only.
  auto key = Enroll("e1", c, "enroll:1");
  EXPECT_EQ(key.status().code(), StatusCode::kInvalidArgument);
  EXPECT_TRUE(StartsWithField(key.status(), "idempotency_key"));
  EXPECT_TRUE(Enroll("e1", c, "01J9ZQ-enroll_1.v2~a").ok());
}

TEST_F(LearningTest, IdempotencyKeysReplayTheFirstAnswer) {
  const std::string c = PublishedCourse();
  auto first = Enroll("e1", c, "enroll-1");
  ASSERT_TRUE(first.ok());
  auto retry = Enroll("e1", c, "enroll-1");
  ASSERT_TRUE(retry.ok());
  EXPECT_TRUE(retry->unchanged());
  EXPECT_EQ(retry->enrollment().sequence(), first->enrollment().sequence());
  const std::string other = PublishedCourse(Content("Other"));
  auto misuse = Enroll("e1", other, "enroll-1");
  EXPECT_EQ(misuse.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_TRUE(StartsWithField(misuse.status(), "idempotency_key"));

  auto attempt = Submit("e1", c, "quiz", {Answer("q1", {0})}, "quiz-1");
  ASSERT_TRUE(attempt.ok());
  auto replay = Submit("e1", c, "quiz", {Answer("q1", {0})}, "quiz-1");
  ASSERT_TRUE(replay.ok());
  EXPECT_EQ(replay->enrollment().quiz_results(0).attempts(), 1);  // not a second attempt
  EXPECT_EQ(Submit("e1", c, "quiz", kAllCorrect, "quiz-1").status().code(),
            StatusCode::kFailedPrecondition);
}

TEST_F(LearningTest, CompletionOfTheRecommendedCourseIsFlaggedForTheContentService) {
  const std::string c = PublishedCourse();
  v1::SetTenantPolicyRequest set;
  set.set_tenant_id(kTenant);
  set.set_recommended_course_id(c);
  ASSERT_TRUE(catalog_.SetTenantPolicy(Admin(), set).ok());
  ASSERT_TRUE(Enroll("e1", c).ok());
  ASSERT_TRUE(Complete("e1", c, "intro").ok());
  ASSERT_TRUE(Complete("e1", c, "profile").ok());
  ASSERT_TRUE(Submit("e1", c, "quiz", kAllCorrect).ok());
  const auto events = Events(advocacy::StrCat(kTenant, "/employee/e1"));
  ASSERT_EQ(events.back().type, "advocacy.courses.v1.CourseCompleted");
  v1::CourseCompleted ev;
  ASSERT_TRUE(ev.ParseFromString(events.back().message.payload));
  EXPECT_TRUE(ev.recommended_before_sharing());
}

TEST_F(LearningTest, ChecklistTicksFollowTheTenantsVersion) {
  v1::SetChecklistItemRequest tick;
  tick.set_tenant_id(kTenant);
  tick.set_employee_id("e1");
  tick.set_checklist_id("welcome-seo");
  tick.set_item_id("consistent-name");
  tick.set_checked(true);
  auto r = learning_.SetChecklistItem(Employee("e1"), tick);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->progress().checked_item_ids_size(), 1);
  EXPECT_EQ(r->progress().total_items(), 8);
  EXPECT_TRUE(learning_.SetChecklistItem(Employee("e1"), tick)->unchanged());
  tick.set_item_id("custom-url");
  ASSERT_TRUE(learning_.SetChecklistItem(Employee("e1"), tick).ok());
  tick.set_item_id("nope");
  auto unknown = learning_.SetChecklistItem(Employee("e1"), tick);
  EXPECT_EQ(unknown.status().code(), StatusCode::kNotFound);
  EXPECT_TRUE(StartsWithField(unknown.status(), "item_id"));
  EXPECT_EQ(learning_.SetChecklistItem(Admin(), tick).status().code(),
            StatusCode::kPermissionDenied);
  tick.set_item_id("consistent-name");
  tick.set_checked(false);
  ASSERT_TRUE(learning_.SetChecklistItem(Employee("e1"), tick).ok());

  // The tenant drops "custom-url" from its copy: the tick no longer counts.
  v1::GetChecklistRequest get;
  get.set_tenant_id(kTenant);
  get.set_checklist_id("welcome-seo");
  v1::ChecklistContent content = catalog_.GetChecklist(Admin(), get)->checklist().content();
  content.mutable_items()->erase(content.mutable_items()->begin() + 2);
  v1::UpdateChecklistRequest update;
  update.set_tenant_id(kTenant);
  update.set_checklist_id("welcome-seo");
  *update.mutable_content() = content;
  ASSERT_TRUE(catalog_.UpdateChecklist(Admin(), update).ok());
  v1::GetChecklistProgressRequest progress;
  progress.set_tenant_id(kTenant);
  progress.set_employee_id("e1");
  progress.set_checklist_id("welcome-seo");
  auto p = learning_.GetChecklistProgress(Service(), progress);
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ(p->progress().checked_item_ids_size(), 0);
  EXPECT_EQ(p->progress().total_items(), 7);
}

TEST_F(LearningTest, ConcurrentProgressGetsDistinctSequences) {
  v1::CourseContent big = Content("Many lessons");
  auto* m = big.mutable_modules(0);
  m->clear_lessons();
  for (int i = 0; i < 40; ++i) *m->add_lessons() = TextLesson("l" + std::to_string(i));
  big.mutable_modules()->RemoveLast();  // no quiz
  const std::string c = PublishedCourse(big);
  ASSERT_TRUE(Enroll("e1", c).ok());
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = t; i < 40; i += 4) {
        auto r = Complete("e1", c, "l" + std::to_string(i));
        EXPECT_TRUE(r.ok()) << r.status();
      }
    });
  }
  for (auto& th : threads) th.join();
  std::set<int64_t> seqs;
  int completions = 0;
  for (const auto& ev : Events(advocacy::StrCat(kTenant, "/employee/e1"))) {
    if (ev.type == "advocacy.courses.v1.CourseCompleted") {
      ++completions;
      continue;
    }
    v1::LessonCompleted lc;
    if (ev.type == "advocacy.courses.v1.LessonCompleted" &&
        lc.ParseFromString(ev.message.payload)) {
      seqs.insert(lc.sequence());
    }
  }
  EXPECT_EQ(seqs.size(), 40u);
  EXPECT_EQ(completions, 1);
  EXPECT_EQ(*seqs.rbegin(), 41);
  auto active = memory_.CountActiveLearners(0);
  ASSERT_TRUE(active.ok());
  EXPECT_EQ(*active, 1);
}

TEST_F(LearningTest, StoreOutageIsUnavailableAndChangesNothing) {
  const std::string c = PublishedCourse();
  memory_.set_fail(true);
  EXPECT_EQ(Enroll("e1", c).status().code(), StatusCode::kUnavailable);
  memory_.set_fail(false);
  EXPECT_TRUE(Events(advocacy::StrCat(kTenant, "/employee/e1")).empty());
}

}  // namespace
}  // namespace advocacy::courses::testing
