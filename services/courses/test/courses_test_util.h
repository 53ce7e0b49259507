#pragma once

// Builders and a fixture shared by the unit tests: the three managers on one store (in memory
// by default), a controllable clock, and decoding of the events handed to the relay.

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "advocacy/common/kafka.h"
#include "advocacy/common/outbox.h"
#include "broadcast_manager.h"
#include "catalog_manager.h"
#include "in_memory_courses_store.h"
#include "learning_manager.h"

namespace advocacy::courses::testing {

inline constexpr char kTenant[] = "acme";

inline auth::Principal Employee(const std::string& id, const std::string& tenant = kTenant) {
  return {.tenant_id = tenant, .subject = id, .role = auth::Role::kEmployee, .expires_at = 0};
}
inline auth::Principal Admin(const std::string& tenant = kTenant) {
  return {.tenant_id = tenant, .subject = "hr-1", .role = auth::Role::kAdmin, .expires_at = 0};
}
inline auth::Principal Service(const std::string& tenant = kTenant) {
  return {.tenant_id = tenant, .subject = "content", .role = auth::Role::kService, .expires_at = 0};
}

inline v1::Lesson TextLesson(const std::string& id, int minutes = 5) {
  v1::Lesson l;
  l.set_lesson_id(id);
  l.set_title("Lesson " + id);
  l.set_estimated_minutes(minutes);
  l.mutable_text()->set_body("Read this about " + id + ".");
  return l;
}

inline v1::Lesson VideoLesson(const std::string& id) {
  v1::Lesson l;
  l.set_lesson_id(id);
  l.set_title("Video " + id);
  l.set_estimated_minutes(10);
  l.mutable_video()->set_url("https://video.example/" + id);
  return l;
}

// Two questions: "q1" single choice (correct 1 of 4), "q2" multiple choice (correct 0 and 2 of
// 3). Pass mark 50 %.
inline v1::Lesson QuizLesson(const std::string& id) {
  v1::Lesson l;
  l.set_lesson_id(id);
  l.set_title("Quiz " + id);
  l.set_estimated_minutes(5);
  auto* quiz = l.mutable_quiz();
  quiz->set_pass_percent(50);
  auto* q1 = quiz->add_questions();
  q1->set_question_id("q1");
  q1->set_prompt("Who decides whether you share a company post?");
  for (const char* c : {"My manager", "I do", "Marketing", "Nobody"}) q1->add_choices(c);
  q1->add_correct_choices(1);
  auto* q2 = quiz->add_questions();
  q2->set_question_id("q2");
  q2->set_prompt("What makes a share worth it for your network?");
  for (const char* c : {"Your own words", "Twenty hashtags", "Relevance to them"})
    q2->add_choices(c);
  q2->add_correct_choices(0);
  q2->add_correct_choices(2);
  return l;
}

inline v1::CourseContent Content(const std::string& title = "Social media basics",
                                 v1::CourseLevel level = v1::COURSE_LEVEL_BEGINNER) {
  v1::CourseContent c;
  c.set_title(title);
  c.set_description("Professional use of social media, for beginners.");
  c.set_level(level);
  c.set_language("en");
  auto* m1 = c.add_modules();
  m1->set_module_id("m1");
  m1->set_title("Why and how");
  *m1->add_lessons() = TextLesson("intro");
  *m1->add_lessons() = VideoLesson("profile");
  auto* m2 = c.add_modules();
  m2->set_module_id("m2");
  m2->set_title("Check yourself");
  *m2->add_lessons() = QuizLesson("quiz");
  return c;
}

inline v1::QuizAnswer Answer(const std::string& q, std::vector<int> choices) {
  v1::QuizAnswer a;
  a.set_question_id(q);
  for (int c : choices) a.add_selected_choices(c);
  return a;
}

// A decoded event handed to the relay.
struct Event {
  std::string outbox_key;
  kafka::Message message;
  std::string type;
};

class CoursesFixture : public ::testing::Test {
 protected:
  explicit CoursesFixture(CoursesStore* store = nullptr)
      : store_(store != nullptr ? store : &memory_),
        catalog_(store_, &notifier_, {}, [this] { return now_ms_.load(); }),
        learning_(store_, &catalog_, &notifier_, &observer_, {}, [this] { return now_ms_.load(); }),
        broadcasts_(store_, &catalog_, &notifier_, &observer_, {},
                    [this] { return now_ms_.load(); }) {}

  // Creates and publishes a course; returns its id.
  std::string PublishedCourse(const v1::CourseContent& content = Content(),
                              const std::string& tenant = kTenant) {
    v1::CreateCourseRequest create;
    create.set_tenant_id(tenant);
    *create.mutable_content() = content;
    auto created = catalog_.CreateCourse(Admin(tenant), create);
    EXPECT_TRUE(created.ok()) << created.status();
    if (!created.ok()) return "";
    v1::PublishCourseRequest publish;
    publish.set_tenant_id(tenant);
    publish.set_course_id(created->course().course_id());
    auto published = catalog_.PublishCourse(Admin(tenant), publish);
    EXPECT_TRUE(published.ok()) << published.status();
    return created->course().course_id();
  }

  absl::StatusOr<v1::EnrollInCourseResponse> Enroll(const std::string& e, const std::string& c,
                                                    const std::string& key = "") {
    v1::EnrollInCourseRequest req;
    req.set_tenant_id(kTenant);
    req.set_employee_id(e);
    req.set_course_id(c);
    req.set_idempotency_key(key);
    return learning_.Enroll(Employee(e), req);
  }

  absl::StatusOr<v1::CompleteLessonResponse> Complete(const std::string& e, const std::string& c,
                                                      const std::string& lesson) {
    v1::CompleteLessonRequest req;
    req.set_tenant_id(kTenant);
    req.set_employee_id(e);
    req.set_course_id(c);
    req.set_lesson_id(lesson);
    return learning_.CompleteLesson(Employee(e), req);
  }

  absl::StatusOr<v1::SubmitQuizAnswersResponse> Submit(const std::string& e, const std::string& c,
                                                       const std::string& lesson,
                                                       std::vector<v1::QuizAnswer> answers,
                                                       const std::string& key = "") {
    v1::SubmitQuizAnswersRequest req;
    req.set_tenant_id(kTenant);
    req.set_employee_id(e);
    req.set_course_id(c);
    req.set_lesson_id(lesson);
    for (auto& a : answers) *req.add_answers() = a;
    req.set_idempotency_key(key);
    return learning_.SubmitQuizAnswers(Employee(e), req);
  }

  std::vector<Event> Events(const std::string& kafka_key = "") {
    std::vector<Event> out;
    for (const auto& [key, encoded] : notifier_.notified()) {
      auto m = outbox::Decode(encoded);
      EXPECT_TRUE(m.ok());
      if (!m.ok()) continue;
      if (!kafka_key.empty() && m->key != kafka_key) continue;
      auto ce = kafka::FromHeaders(m->headers);
      EXPECT_TRUE(ce.ok());
      out.push_back({key, *m, ce.ok() ? ce->type : ""});
    }
    return out;
  }

  std::atomic<int64_t> now_ms_{1'790'000'000'000};
  InMemoryCoursesStore memory_;
  CoursesStore* store_;
  RecordingNotifier notifier_;
  RecordingObserver observer_;
  CatalogManager catalog_;
  LearningManager learning_;
  BroadcastManager broadcasts_;
};

// The message starts with `field` (INVALID_ARGUMENT and friends name the field first).
inline ::testing::AssertionResult StartsWithField(const absl::Status& st,
                                                  const std::string& field) {
  if (std::string(st.message()).rfind(field, 0) == 0) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure()
         << "expected '" << st.message() << "' to start with '" << field << "'";
}

}  // namespace advocacy::courses::testing
