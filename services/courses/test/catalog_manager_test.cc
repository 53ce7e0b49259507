// The catalog: course life cycle, validation, authorization, idempotent creation, welcome
// checklists copied on write, and the tenant policy.

#include "catalog_manager.h"

#include <gtest/gtest.h>

#include <functional>

#include "advocacy/courses/v1/courses_events.pb.h"
#include "courses_test_util.h"

namespace advocacy::courses::testing {
namespace {

using absl::StatusCode;

class CatalogTest : public CoursesFixture {
 protected:
  absl::StatusOr<v1::CreateCourseResponse> Create(const v1::CourseContent& content,
                                                  const std::string& key = "") {
    v1::CreateCourseRequest req;
    req.set_tenant_id(kTenant);
    *req.mutable_content() = content;
    req.set_idempotency_key(key);
    return catalog_.CreateCourse(Admin(), req);
  }
  absl::StatusOr<v1::PublishCourseResponse> Publish(const std::string& id) {
    v1::PublishCourseRequest req;
    req.set_tenant_id(kTenant);
    req.set_course_id(id);
    return catalog_.PublishCourse(Admin(), req);
  }
  absl::StatusOr<v1::GetCourseResponse> Get(const auth::Principal& who, const std::string& id) {
    v1::GetCourseRequest req;
    req.set_tenant_id(kTenant);
    req.set_course_id(id);
    return catalog_.GetCourse(who, req);
  }
};

TEST_F(CatalogTest, DraftIsInvisibleUntilPublishedThenFrozen) {
  auto created = Create(Content());
  ASSERT_TRUE(created.ok()) << created.status();
  const v1::Course& draft = created->course();
  EXPECT_EQ(draft.state(), v1::COURSE_STATE_DRAFT);
  EXPECT_EQ(draft.revision(), 1);
  EXPECT_EQ(draft.lesson_count(), 3);
  EXPECT_EQ(draft.estimated_minutes(), 20);
  const std::string id = draft.course_id();
  EXPECT_EQ(Get(Employee("e1"), id).status().code(), StatusCode::kNotFound);
  v1::ListCoursesRequest list;
  list.set_tenant_id(kTenant);
  EXPECT_EQ(catalog_.ListCourses(Employee("e1"), list)->courses_size(), 0);
  list.set_include_unpublished(true);
  EXPECT_EQ(catalog_.ListCourses(Admin(), list)->courses_size(), 1);
  EXPECT_EQ(catalog_.ListCourses(Employee("e1"), list)->courses_size(), 0);  // ignored for them

  auto published = Publish(id);
  ASSERT_TRUE(published.ok()) << published.status();
  EXPECT_EQ(published->course().state(), v1::COURSE_STATE_PUBLISHED);
  EXPECT_EQ(published->course().revision(), 2);
  EXPECT_TRUE(published->course().has_published_at());
  // Publishing again changes nothing and emits nothing.
  ASSERT_TRUE(Publish(id).ok());

  const auto events = Events(advocacy::StrCat(kTenant, "/course/", id));
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].type, "advocacy.courses.v1.CoursePublished");
  EXPECT_EQ(events[0].message.topic, "advocacy.courses.v1");
  EXPECT_EQ(events[0].outbox_key, outbox::OutboxKey(kServiceName, kTenant));
  v1::CoursePublished ev;
  ASSERT_TRUE(ev.ParseFromString(events[0].message.payload));
  EXPECT_EQ(ev.sequence(), 2);
  EXPECT_EQ(ev.lesson_count(), 3);
  EXPECT_EQ(ev.level(), v1::COURSE_LEVEL_BEGINNER);
  EXPECT_EQ(ev.actor_subject(), "hr-1");

  v1::UpdateCourseRequest update;
  update.set_tenant_id(kTenant);
  update.set_course_id(id);
  *update.mutable_content() = Content("Renamed");
  auto frozen = catalog_.UpdateCourse(Admin(), update);
  EXPECT_EQ(frozen.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_TRUE(StartsWithField(frozen.status(), "course_id"));
}

TEST_F(CatalogTest, EmployeesAndServicesNeverSeeCorrectAnswers) {
  const std::string id = PublishedCourse();
  auto as_admin = Get(Admin(), id);
  ASSERT_TRUE(as_admin.ok());
  const v1::Lesson* quiz = FindLesson(as_admin->course(), "quiz");
  ASSERT_NE(quiz, nullptr);
  EXPECT_EQ(quiz->quiz().questions(0).correct_choices_size(), 1);
  for (const auto& who : {Employee("e1"), Service()}) {
    auto r = Get(who, id);
    ASSERT_TRUE(r.ok()) << r.status();
    const v1::Lesson* l = FindLesson(r->course(), "quiz");
    ASSERT_NE(l, nullptr);
    for (const auto& q : l->quiz().questions()) {
      EXPECT_EQ(q.correct_choices_size(), 0);
      EXPECT_GE(q.choices_size(), 2);  // the choices themselves are shown
    }
  }
}

TEST_F(CatalogTest, CreationIsIdempotentPerKey) {
  auto first = Create(Content(), "k-1");
  ASSERT_TRUE(first.ok());
  auto again = Create(Content(), "k-1");
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->course().course_id(), first->course().course_id());
  // Derived from the key (courses_domain_test pins the derivation): a retry needs no lookup.
  auto pinned = Create(Content(), "key-1");
  ASSERT_TRUE(pinned.ok()) << pinned.status();
  EXPECT_EQ(pinned->course().course_id(), "c-606736008f381340");
  auto other = Create(Content("Different"), "k-1");
  EXPECT_EQ(other.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_TRUE(StartsWithField(other.status(), "idempotency_key"));
  auto unkeyed1 = Create(Content());
  auto unkeyed2 = Create(Content());
  EXPECT_NE(unkeyed1->course().course_id(), unkeyed2->course().course_id());
}

TEST_F(CatalogTest, BadContentNamesTheField) {
  struct Case {
    std::string field;
    std::function<void(v1::CourseContent&)> mutate;
  };
  auto quiz_q0 = [](v1::CourseContent& c) {
    return c.mutable_modules(1)->mutable_lessons(0)->mutable_quiz()->mutable_questions(0);
  };
  const std::vector<Case> cases = {
      {"content.title", [](auto& c) { c.clear_title(); }},
      {"content.title", [](auto& c) { c.set_title(std::string(201, 't')); }},
      {"content.description", [](auto& c) { c.set_description(std::string(10001, 'd')); }},
      {"content.level", [](auto& c) { c.set_level(v1::COURSE_LEVEL_UNSPECIFIED); }},
      {"content.level", [](auto& c) { c.set_level(static_cast<v1::CourseLevel>(9)); }},
      {"content.language", [](auto& c) { c.set_language("english language"); }},
      {"content.modules", [](auto& c) { c.clear_modules(); }},
      {"content.modules",
       [](auto& c) {
         for (int i = 0; i < 20; ++i) *c.add_modules() = c.modules(0);
       }},
      {"content.modules[1].module_id", [](auto& c) { c.mutable_modules(1)->set_module_id("m1"); }},
      {"content.modules[0].lessons", [](auto& c) { c.mutable_modules(0)->clear_lessons(); }},
      {"content.modules[0].lessons[1].lesson_id",
       [](auto& c) { c.mutable_modules(0)->mutable_lessons(1)->set_lesson_id("intro"); }},
      {"content.modules[1].lessons[0].lesson_id",
       [](auto& c) { c.mutable_modules(1)->mutable_lessons(0)->set_lesson_id("intro"); }},
      {"content.modules[0].lessons[0].lesson_id",
       [](auto& c) { c.mutable_modules(0)->mutable_lessons(0)->set_lesson_id("a b"); }},
      {"content.modules[0].lessons[0].estimated_minutes",
       [](auto& c) { c.mutable_modules(0)->mutable_lessons(0)->set_estimated_minutes(0); }},
      {"content.modules[0].lessons[0].content",
       [](auto& c) { c.mutable_modules(0)->mutable_lessons(0)->clear_content(); }},
      {"content.modules[0].lessons[0].text.body",
       [](auto& c) {
         c.mutable_modules(0)->mutable_lessons(0)->mutable_text()->set_body(
             std::string(65537, 'b'));
       }},
      {"content.modules[0].lessons[1].video.url",
       [](auto& c) {
         c.mutable_modules(0)->mutable_lessons(1)->mutable_video()->set_url("http://x.example");
       }},
      {"content.modules[1].lessons[0].quiz.questions[0].choices",
       [&](auto& c) {
         for (int i = 0; i < 7; ++i) quiz_q0(c)->add_choices("more");
       }},
      {"content.modules[1].lessons[0].quiz.questions[0].choices",
       [&](auto& c) {
         quiz_q0(c)->clear_choices();
         quiz_q0(c)->add_choices("only one");
       }},
      {"content.modules[1].lessons[0].quiz.questions[0].correct_choices[0]",
       [&](auto& c) { quiz_q0(c)->set_correct_choices(0, 4); }},
      {"content.modules[1].lessons[0].quiz.questions[0].correct_choices",
       [&](auto& c) { quiz_q0(c)->clear_correct_choices(); }},
      {"content.modules[1].lessons[0].quiz.questions[1].question_id",
       [](auto& c) {
         c.mutable_modules(1)
             ->mutable_lessons(0)
             ->mutable_quiz()
             ->mutable_questions(1)
             ->set_question_id("q1");
       }},
      {"content.modules[1].lessons[0].quiz.pass_percent",
       [](auto& c) {
         c.mutable_modules(1)->mutable_lessons(0)->mutable_quiz()->set_pass_percent(101);
       }},
      {"content.prerequisite_course_ids[1]",
       [](auto& c) {
         c.add_prerequisite_course_ids("c-1");
         c.add_prerequisite_course_ids("c-1");
       }},
  };
  for (const auto& tc : cases) {
    v1::CourseContent content = Content();
    tc.mutate(content);
    auto r = Create(content);
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument) << tc.field;
    EXPECT_TRUE(StartsWithField(r.status(), tc.field));
  }
  // The example from the design: "…choices: at most 10".
  v1::CourseContent content = Content();
  for (int i = 0; i < 7; ++i) quiz_q0(content)->add_choices("more");
  EXPECT_EQ(Create(content).status().message(),
            "content.modules[1].lessons[0].quiz.questions[0].choices: at most 10");
}

TEST_F(CatalogTest, OnlyAdminsOfTheTenantWrite) {
  v1::CreateCourseRequest req;
  req.set_tenant_id(kTenant);
  *req.mutable_content() = Content();
  EXPECT_EQ(catalog_.CreateCourse(Employee("e1"), req).status().code(),
            StatusCode::kPermissionDenied);
  EXPECT_EQ(catalog_.CreateCourse(Service(), req).status().code(), StatusCode::kPermissionDenied);
  EXPECT_EQ(catalog_.CreateCourse(Admin("other"), req).status().code(),
            StatusCode::kPermissionDenied);
  const std::string id = PublishedCourse();
  EXPECT_EQ(Get(Employee("e1", "other"), id).status().code(), StatusCode::kPermissionDenied);
  EXPECT_TRUE(Get(Service(), id).ok());
  v1::ArchiveCourseRequest archive;
  archive.set_tenant_id(kTenant);
  archive.set_course_id(id);
  EXPECT_EQ(catalog_.ArchiveCourse(Employee("e1"), archive).status().code(),
            StatusCode::kPermissionDenied);
}

TEST_F(CatalogTest, PrerequisitesMustBePublishedAndBlockArchival) {
  const std::string basics = PublishedCourse();
  v1::CourseContent advanced = Content("Advanced", v1::COURSE_LEVEL_ADVANCED);
  advanced.add_prerequisite_course_ids("c-missing");
  auto draft = Create(advanced);
  ASSERT_TRUE(draft.ok());
  auto refused = Publish(draft->course().course_id());
  EXPECT_EQ(refused.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_TRUE(StartsWithField(refused.status(), "content.prerequisite_course_ids[0]"));

  v1::UpdateCourseRequest update;
  update.set_tenant_id(kTenant);
  update.set_course_id(draft->course().course_id());
  advanced.set_prerequisite_course_ids(0, draft->course().course_id());
  *update.mutable_content() = advanced;
  EXPECT_EQ(catalog_.UpdateCourse(Admin(), update).status().code(), StatusCode::kInvalidArgument);
  advanced.set_prerequisite_course_ids(0, basics);
  *update.mutable_content() = advanced;
  update.set_expected_revision(7);
  EXPECT_EQ(catalog_.UpdateCourse(Admin(), update).status().code(), StatusCode::kAborted);
  update.set_expected_revision(1);
  auto updated = catalog_.UpdateCourse(Admin(), update);
  ASSERT_TRUE(updated.ok()) << updated.status();
  EXPECT_EQ(updated->course().revision(), 2);
  ASSERT_TRUE(Publish(draft->course().course_id()).ok());

  v1::ArchiveCourseRequest archive;
  archive.set_tenant_id(kTenant);
  archive.set_course_id(basics);
  auto blocked = catalog_.ArchiveCourse(Admin(), archive);
  EXPECT_EQ(blocked.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(blocked.status().message().find(draft->course().course_id()), std::string::npos);
  archive.set_course_id(draft->course().course_id());
  auto archived = catalog_.ArchiveCourse(Admin(), archive);
  ASSERT_TRUE(archived.ok()) << archived.status();
  EXPECT_EQ(archived->course().state(), v1::COURSE_STATE_ARCHIVED);
  archive.set_course_id(basics);
  EXPECT_TRUE(catalog_.ArchiveCourse(Admin(), archive).ok());
  EXPECT_EQ(Events("").back().type, "advocacy.courses.v1.CourseArchived");
}

TEST_F(CatalogTest, ListFiltersAndPages) {
  for (int i = 0; i < 5; ++i) {
    now_ms_ += 1000;
    PublishedCourse(Content("Beginner " + std::to_string(i)));
  }
  now_ms_ += 1000;
  PublishedCourse(Content("Advanced", v1::COURSE_LEVEL_ADVANCED));
  v1::CourseContent norwegian = Content("Grunnkurs");
  norwegian.set_language("nb-NO");
  PublishedCourse(norwegian);
  v1::ListCoursesRequest req;
  req.set_tenant_id(kTenant);
  req.set_level(v1::COURSE_LEVEL_BEGINNER);
  req.set_language("en");
  req.set_page_size(2);
  std::vector<std::string> titles;
  for (int page = 0; page < 10; ++page) {
    auto r = catalog_.ListCourses(Employee("e1"), req);
    ASSERT_TRUE(r.ok()) << r.status();
    for (const auto& c : r->courses()) titles.push_back(c.title());
    if (r->next_page_token().empty()) break;
    req.set_page_token(r->next_page_token());
  }
  ASSERT_EQ(titles.size(), 5u);
  for (int i = 0; i < 5; ++i) EXPECT_EQ(titles[i], "Beginner " + std::to_string(i));
  req.set_page_token("garbage");
  EXPECT_TRUE(StartsWithField(catalog_.ListCourses(Employee("e1"), req).status(), "page_token"));
  req.set_page_token("");
  req.set_page_size(101);
  EXPECT_TRUE(StartsWithField(catalog_.ListCourses(Employee("e1"), req).status(), "page_size"));
}

TEST_F(CatalogTest, WelcomeChecklistsAreCopiedIntoTheTenantOnFirstEdit) {
  v1::ListChecklistsRequest list;
  list.set_tenant_id(kTenant);
  auto all = catalog_.ListChecklists(Employee("e1"), list);
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->checklists_size(), 3);
  EXPECT_EQ(all->checklists(0).checklist_id(), "welcome-facebook");
  EXPECT_EQ(all->checklists(1).checklist_id(), "welcome-instagram");
  EXPECT_EQ(all->checklists(2).checklist_id(), "welcome-seo");
  for (const auto& c : all->checklists()) {
    EXPECT_TRUE(c.welcome());
    EXPECT_EQ(c.revision(), 1);
    EXPECT_EQ(c.tenant_id(), kTenant);
    EXPECT_GE(c.content().items_size(), 5);
  }

  v1::UpdateChecklistRequest update;
  update.set_tenant_id(kTenant);
  update.set_checklist_id("welcome-seo");
  *update.mutable_content() = all->checklists(2).content();
  update.mutable_content()->mutable_items(0)->set_text("Use your full name everywhere");
  update.set_expected_revision(1);
  auto edited = catalog_.UpdateChecklist(Admin(), update);
  ASSERT_TRUE(edited.ok()) << edited.status();
  EXPECT_EQ(edited->checklist().revision(), 2);
  EXPECT_FALSE(edited->checklist().welcome());
  // A stale revision is refused.
  EXPECT_EQ(catalog_.UpdateChecklist(Admin(), update).status().code(), StatusCode::kAborted);

  // Another tenant still has the shipped version.
  v1::GetChecklistRequest get;
  get.set_tenant_id("other");
  get.set_checklist_id("welcome-seo");
  auto theirs = catalog_.GetChecklist(Employee("x", "other"), get);
  ASSERT_TRUE(theirs.ok());
  EXPECT_TRUE(theirs->checklist().welcome());
  EXPECT_NE(theirs->checklist().content().items(0).text(), "Use your full name everywhere");

  v1::DeleteChecklistRequest del;
  del.set_tenant_id(kTenant);
  del.set_checklist_id("welcome-facebook");
  ASSERT_TRUE(catalog_.DeleteChecklist(Admin(), del).ok());
  EXPECT_EQ(catalog_.DeleteChecklist(Admin(), del).status().code(), StatusCode::kNotFound);
  all = catalog_.ListChecklists(Employee("e1"), list);
  ASSERT_EQ(all->checklists_size(), 2);
  EXPECT_EQ(all->checklists(1).content().items(0).text(), "Use your full name everywhere");

  v1::CreateChecklistRequest create;
  create.set_tenant_id(kTenant);
  create.set_idempotency_key("linkedin-1");
  auto* content = create.mutable_content();
  content->set_title("LinkedIn basics");
  content->set_language("en");
  auto* item = content->add_items();
  item->set_item_id("photo");
  item->set_text("Add a recent photo");
  auto made = catalog_.CreateChecklist(Admin(), create);
  ASSERT_TRUE(made.ok()) << made.status();
  auto again = catalog_.CreateChecklist(Admin(), create);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->checklist().checklist_id(), made->checklist().checklist_id());
  EXPECT_EQ(catalog_.ListChecklists(Admin(), list)->checklists_size(), 3);
  create.mutable_content()->mutable_items(0)->set_item_id("bad id");
  EXPECT_TRUE(StartsWithField(catalog_.CreateChecklist(Admin(), create).status(),
                              "content.items[0].item_id"));
  EXPECT_EQ(catalog_.UpdateChecklist(Employee("e1"), update).status().code(),
            StatusCode::kPermissionDenied);
}

TEST_F(CatalogTest, TenantPolicyRecommendsAPublishedCourseOnly) {
  v1::GetTenantPolicyRequest get;
  get.set_tenant_id(kTenant);
  auto initial = catalog_.GetTenantPolicy(Employee("e1"), get);
  ASSERT_TRUE(initial.ok());
  EXPECT_EQ(initial->policy().revision(), 0);
  EXPECT_TRUE(initial->policy().recommended_course_id().empty());

  auto draft = [&] {
    v1::CreateCourseRequest req;
    req.set_tenant_id(kTenant);
    *req.mutable_content() = Content();
    return catalog_.CreateCourse(Admin(), req)->course().course_id();
  }();
  v1::SetTenantPolicyRequest set;
  set.set_tenant_id(kTenant);
  set.set_recommended_course_id(draft);
  auto refused = catalog_.SetTenantPolicy(Admin(), set);
  EXPECT_EQ(refused.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_TRUE(StartsWithField(refused.status(), "recommended_course_id"));
  const std::string course = PublishedCourse();
  set.set_recommended_course_id(course);
  EXPECT_EQ(catalog_.SetTenantPolicy(Employee("e1"), set).status().code(),
            StatusCode::kPermissionDenied);
  auto ok = catalog_.SetTenantPolicy(Admin(), set);
  ASSERT_TRUE(ok.ok()) << ok.status();
  EXPECT_EQ(ok->policy().revision(), 1);
  ASSERT_TRUE(catalog_.SetTenantPolicy(Admin(), set).ok());  // same value: no new revision
  const auto events = Events(advocacy::StrCat(kTenant, "/policy"));
  ASSERT_EQ(events.size(), 1u);
  v1::TenantPolicyChanged ev;
  ASSERT_TRUE(ev.ParseFromString(events[0].message.payload));
  EXPECT_EQ(ev.policy().recommended_course_id(), course);
  EXPECT_EQ(ev.sequence(), 1);

  v1::ArchiveCourseRequest archive;
  archive.set_tenant_id(kTenant);
  archive.set_course_id(course);
  EXPECT_EQ(catalog_.ArchiveCourse(Admin(), archive).status().code(),
            StatusCode::kFailedPrecondition);
}

TEST_F(CatalogTest, StoreOutageIsUnavailable) {
  memory_.set_fail(true);
  auto r = Create(Content());
  EXPECT_EQ(r.status().code(), StatusCode::kUnavailable);
  memory_.set_fail(false);
}

}  // namespace
}  // namespace advocacy::courses::testing
