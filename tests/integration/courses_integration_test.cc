// The courses service as a black box: the real binary on the real Redis and Kafka of the local
// stack. Each test uses its own tenant, so tests never see each other's data.

#include <gtest/gtest.h>

#include <fstream>
#include <functional>
#include <set>
#include <thread>

#include "advocacy/common/kafka.h"
#include "advocacy/courses/v1/courses_events.pb.h"
#include "advocacy/courses/v1/courses_service.grpc.pb.h"
#include "harness.h"

namespace advocacy::it {
namespace {

namespace v1 = advocacy::courses::v1;
using auth::Role;

constexpr char kTopic[] = "advocacy.courses.v1";

v1::CourseContent BasicsCourse() {
  v1::CourseContent c;
  c.set_title("Sharing at work, the basics");
  c.set_description("What to share, what not to, and why it is always your choice.");
  c.set_level(v1::COURSE_LEVEL_BEGINNER);
  c.set_language("en");
  auto* m = c.add_modules();
  m->set_module_id("m1");
  m->set_title("Start here");
  auto* intro = m->add_lessons();
  intro->set_lesson_id("intro");
  intro->set_title("Voluntary, always");
  intro->set_estimated_minutes(5);
  intro->mutable_text()->set_body("Sharing company news is your own choice.");
  auto* video = m->add_lessons();
  video->set_lesson_id("profile");
  video->set_title("A profile that works for you");
  video->set_estimated_minutes(8);
  video->mutable_video()->set_url("https://video.example/profile");
  auto* quiz = m->add_lessons();
  quiz->set_lesson_id("check");
  quiz->set_title("Check yourself");
  quiz->set_estimated_minutes(3);
  auto* q = quiz->mutable_quiz()->add_questions();
  q->set_question_id("q1");
  q->set_prompt("Who decides whether you share a company post?");
  for (const char* choice : {"My manager", "I do", "Marketing"}) q->add_choices(choice);
  q->add_correct_choices(1);
  return c;
}

class CoursesIntegrationTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    keys_ = new Keys();
    service_ = new ServiceProcess(COURSES_BINARY, ServiceEnv());
    const absl::Status st = service_->Start();
    ASSERT_TRUE(st.ok()) << st;
  }
  static void TearDownTestSuite() {
    delete service_;
    delete keys_;
  }
  static std::map<std::string, std::string> ServiceEnv() {
    return {{"ADVOCACY_REDIS_URL", Env("ADVOCACY_REDIS_URL")},
            {"ADVOCACY_KAFKA_BROKERS", Env("ADVOCACY_KAFKA_BROKERS")},
            {"ADVOCACY_AUTH_ISSUERS_FILE", keys_->issuers_file()},
            {"ADVOCACY_DRAIN_TIMEOUT_MS", "2000"},
            {"COURSES_OUTBOX_LEASE_MS", "1000"},
            {"COURSES_ACTIVE_REFRESH_MS", "1000"}};
  }

  void SetUp() override {
    tenant_ = UniqueId("t");
    stub_ = v1::CoursesService::NewStub(service_->channel());
  }

  std::unique_ptr<grpc::ClientContext> Ctx(const std::string& token) {
    auto ctx = std::make_unique<grpc::ClientContext>();
    if (!token.empty()) ctx->AddMetadata("authorization", "Bearer " + token);
    ctx->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    return ctx;
  }
  std::string EmployeeToken(const std::string& e) const {
    return keys_->Token(Role::kEmployee, tenant_, e);
  }
  std::string AdminToken() const { return keys_->Token(Role::kAdmin, tenant_, "admin-1"); }
  std::string ServiceToken() const { return keys_->Token(Role::kService, tenant_, "content"); }

  std::string PublishCourse() {
    v1::CreateCourseRequest create;
    create.set_tenant_id(tenant_);
    *create.mutable_content() = BasicsCourse();
    v1::CreateCourseResponse created;
    grpc::Status st = stub_->CreateCourse(Ctx(AdminToken()).get(), create, &created);
    EXPECT_TRUE(st.ok()) << st.error_message();
    v1::PublishCourseRequest publish;
    publish.set_tenant_id(tenant_);
    publish.set_course_id(created.course().course_id());
    v1::PublishCourseResponse published;
    st = stub_->PublishCourse(Ctx(AdminToken()).get(), publish, &published);
    EXPECT_TRUE(st.ok()) << st.error_message();
    return created.course().course_id();
  }

  grpc::Status Enroll(const std::string& e, const std::string& c) {
    v1::EnrollInCourseRequest req;
    req.set_tenant_id(tenant_);
    req.set_employee_id(e);
    req.set_course_id(c);
    v1::EnrollInCourseResponse resp;
    return stub_->EnrollInCourse(Ctx(EmployeeToken(e)).get(), req, &resp);
  }
  grpc::Status Complete(const std::string& e, const std::string& c, const std::string& lesson,
                        v1::CompleteLessonResponse* resp) {
    v1::CompleteLessonRequest req;
    req.set_tenant_id(tenant_);
    req.set_employee_id(e);
    req.set_course_id(c);
    req.set_lesson_id(lesson);
    return stub_->CompleteLesson(Ctx(EmployeeToken(e)).get(), req, resp);
  }
  grpc::Status Submit(const std::string& e, const std::string& c, std::vector<int> choices,
                      v1::SubmitQuizAnswersResponse* resp) {
    v1::SubmitQuizAnswersRequest req;
    req.set_tenant_id(tenant_);
    req.set_employee_id(e);
    req.set_course_id(c);
    req.set_lesson_id("check");
    auto* a = req.add_answers();
    a->set_question_id("q1");
    for (int choice : choices) a->add_selected_choices(choice);
    return stub_->SubmitQuizAnswers(Ctx(EmployeeToken(e)).get(), req, resp);
  }
  v1::Enrollment GetEnrollment(const std::string& e, const std::string& c) {
    v1::GetEnrollmentRequest req;
    req.set_tenant_id(tenant_);
    req.set_employee_id(e);
    req.set_course_id(c);
    v1::GetEnrollmentResponse resp;
    const grpc::Status st = stub_->GetEnrollment(Ctx(ServiceToken()).get(), req, &resp);
    EXPECT_TRUE(st.ok()) << st.error_message();
    return resp.enrollment();
  }

  std::string ScheduleBroadcast(int capacity) {
    v1::ScheduleBroadcastRequest req;
    req.set_tenant_id(tenant_);
    auto* d = req.mutable_details();
    d->set_title("Live: sharing without spamming your network");
    d->mutable_starts_at()->set_seconds(
        std::chrono::duration_cast<std::chrono::seconds>(
            (std::chrono::system_clock::now() + std::chrono::hours(48)).time_since_epoch())
            .count());
    d->set_duration_minutes(45);
    d->set_capacity(capacity);
    d->set_join_url("https://meet.example/live");
    d->set_language("en");
    v1::ScheduleBroadcastResponse resp;
    const grpc::Status st = stub_->ScheduleBroadcast(Ctx(AdminToken()).get(), req, &resp);
    EXPECT_TRUE(st.ok()) << st.error_message();
    return resp.broadcast().broadcast_id();
  }
  v1::RegisterForBroadcastResponse Register(const std::string& b, const std::string& e) {
    v1::RegisterForBroadcastRequest req;
    req.set_tenant_id(tenant_);
    req.set_broadcast_id(b);
    req.set_employee_id(e);
    v1::RegisterForBroadcastResponse resp;
    const grpc::Status st = stub_->RegisterForBroadcast(Ctx(EmployeeToken(e)).get(), req, &resp);
    EXPECT_TRUE(st.ok()) << st.error_message();
    return resp;
  }
  // Reads only, so retrying on UNAVAILABLE (a pooled connection that went stale when Redis
  // was restarted) is safe.
  std::vector<std::string> Seats(const std::string& b, v1::RegistrationStatus status) {
    v1::ListBroadcastRegistrationsRequest req;
    req.set_tenant_id(tenant_);
    req.set_broadcast_id(b);
    req.set_status(status);
    v1::ListBroadcastRegistrationsResponse resp;
    grpc::Status st;
    for (int i = 0; i < 100; ++i) {
      st = stub_->ListBroadcastRegistrations(Ctx(ServiceToken()).get(), req, &resp);
      if (st.error_code() != grpc::StatusCode::UNAVAILABLE) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    EXPECT_TRUE(st.ok()) << st.error_message();
    std::vector<std::string> out;
    for (const auto& r : resp.registrations()) out.push_back(r.employee_id());
    return out;
  }

  static std::string Type(const kafka::Message& m) {
    auto ce = kafka::FromHeaders(m.headers);
    return ce.ok() ? ce->type : "";
  }

  static Keys* keys_;
  static ServiceProcess* service_;
  std::string tenant_;
  std::unique_ptr<v1::CoursesService::Stub> stub_;
};
Keys* CoursesIntegrationTest::keys_ = nullptr;
ServiceProcess* CoursesIntegrationTest::service_ = nullptr;

TEST_F(CoursesIntegrationTest, PublishEnrollCompleteAndReadTheEventsOffKafka) {
  TopicReader reader(kTopic);
  const std::string c = PublishCourse();
  const std::string e = "emp-1";
  ASSERT_TRUE(Enroll(e, c).ok());
  v1::CompleteLessonResponse lesson;
  ASSERT_TRUE(Complete(e, c, "intro", &lesson).ok());
  ASSERT_TRUE(Complete(e, c, "intro", &lesson).ok());
  EXPECT_TRUE(lesson.unchanged());  // the same lesson twice counts once
  ASSERT_TRUE(Complete(e, c, "profile", &lesson).ok());
  v1::SubmitQuizAnswersResponse failed;
  ASSERT_TRUE(Submit(e, c, {0}, &failed).ok());
  EXPECT_FALSE(failed.passed());
  v1::SubmitQuizAnswersResponse passed;
  ASSERT_TRUE(Submit(e, c, {1}, &passed).ok());
  EXPECT_TRUE(passed.passed());
  EXPECT_TRUE(passed.course_completed());
  ASSERT_TRUE(passed.enrollment().has_certificate());

  // The course's own events, keyed by the course.
  const std::string course_key = tenant_ + "/course/" + c;
  ASSERT_TRUE(reader.WaitForKeyCount(course_key, 1, std::chrono::seconds(30)));
  const auto course_events = reader.ForKey(course_key);
  ASSERT_EQ(course_events.size(), 1u);
  EXPECT_EQ(Type(course_events[0]), "advocacy.courses.v1.CoursePublished");
  v1::CoursePublished published;
  ASSERT_TRUE(published.ParseFromString(course_events[0].payload));
  EXPECT_EQ(published.tenant_id(), tenant_);
  EXPECT_EQ(published.lesson_count(), 3);

  // The employee's progress, in order on one key.
  const std::string key = tenant_ + "/employee/" + e;
  ASSERT_TRUE(reader.WaitForKeyCount(key, 5, std::chrono::seconds(30)));
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));  // nothing more arrives
  const auto msgs = reader.ForKey(key);
  std::vector<std::string> types;
  for (const auto& m : msgs) {
    types.push_back(Type(m));
    auto ce = kafka::FromHeaders(m.headers);
    ASSERT_TRUE(ce.ok()) << ce.status();
    EXPECT_EQ(ce->source, "/advocacy/courses");
    EXPECT_EQ(ce->subject, key);
    EXPECT_EQ(ce->content_type, "application/protobuf");
  }
  EXPECT_EQ(types,
            (std::vector<std::string>{
                "advocacy.courses.v1.EnrollmentCreated", "advocacy.courses.v1.LessonCompleted",
                "advocacy.courses.v1.LessonCompleted", "advocacy.courses.v1.LessonCompleted",
                "advocacy.courses.v1.CourseCompleted"}));
  v1::CourseCompleted completed;
  ASSERT_TRUE(completed.ParseFromString(msgs.back().payload));
  EXPECT_EQ(completed.employee_id(), e);
  EXPECT_EQ(completed.course_id(), c);
  EXPECT_EQ(completed.level(), v1::COURSE_LEVEL_BEGINNER);
  EXPECT_EQ(completed.certificate_id(), passed.enrollment().certificate().certificate_id());
  // Sequences: enroll 1, intro 2, profile 3, failed attempt 4 (no event), pass 5.
  EXPECT_EQ(completed.sequence(), 5);

  v1::VerifyCertificateRequest verify;
  verify.set_tenant_id(tenant_);
  verify.set_verification_code(passed.enrollment().certificate().verification_code());
  v1::VerifyCertificateResponse verified;
  ASSERT_TRUE(stub_->VerifyCertificate(Ctx(ServiceToken()).get(), verify, &verified).ok());
  EXPECT_EQ(verified.certificate().employee_id(), e);
  EXPECT_EQ(verified.certificate().course_title(), "Sharing at work, the basics");
}

TEST_F(CoursesIntegrationTest, FullBroadcastWaitingListAndPromotionOnCancellation) {
  TopicReader reader(kTopic);
  const std::string b = ScheduleBroadcast(2);
  EXPECT_EQ(Register(b, "anna").registration().status(), v1::REGISTRATION_STATUS_REGISTERED);
  EXPECT_EQ(Register(b, "bo").registration().status(), v1::REGISTRATION_STATUS_REGISTERED);
  const auto cai = Register(b, "cai");
  EXPECT_EQ(cai.registration().status(), v1::REGISTRATION_STATUS_WAITLISTED);
  EXPECT_EQ(cai.registration().waiting_position(), 1);
  EXPECT_TRUE(cai.broadcast().details().join_url().empty());
  EXPECT_EQ(Register(b, "dina").registration().waiting_position(), 2);

  v1::CancelBroadcastRegistrationRequest cancel;
  cancel.set_tenant_id(tenant_);
  cancel.set_broadcast_id(b);
  cancel.set_employee_id("anna");
  v1::CancelBroadcastRegistrationResponse cancelled;
  ASSERT_TRUE(
      stub_->CancelBroadcastRegistration(Ctx(EmployeeToken("anna")).get(), cancel, &cancelled)
          .ok());
  EXPECT_EQ(cancelled.promoted_employee_id(), "cai");
  EXPECT_EQ(Seats(b, v1::REGISTRATION_STATUS_REGISTERED), (std::vector<std::string>{"bo", "cai"}));
  EXPECT_EQ(Seats(b, v1::REGISTRATION_STATUS_WAITLISTED), (std::vector<std::string>{"dina"}));

  v1::GetBroadcastRequest get;
  get.set_tenant_id(tenant_);
  get.set_broadcast_id(b);
  v1::GetBroadcastResponse seen;
  ASSERT_TRUE(stub_->GetBroadcast(Ctx(EmployeeToken("cai")).get(), get, &seen).ok());
  EXPECT_EQ(seen.registration().status(), v1::REGISTRATION_STATUS_REGISTERED);
  EXPECT_EQ(seen.broadcast().details().join_url(), "https://meet.example/live");

  const std::string key = tenant_ + "/broadcast/" + b;
  ASSERT_TRUE(reader.WaitForKeyCount(key, 7, std::chrono::seconds(30)));
  const auto msgs = reader.ForKey(key);
  ASSERT_EQ(msgs.size(), 7u);
  EXPECT_EQ(Type(msgs[0]), "advocacy.courses.v1.BroadcastScheduled");
  v1::BroadcastRegistrationChanged left, promoted;
  ASSERT_TRUE(left.ParseFromString(msgs[5].payload));
  ASSERT_TRUE(promoted.ParseFromString(msgs[6].payload));
  EXPECT_EQ(left.employee_id(), "anna");
  EXPECT_EQ(left.status(), v1::REGISTRATION_STATUS_NONE);
  EXPECT_EQ(promoted.employee_id(), "cai");
  EXPECT_EQ(promoted.status(), v1::REGISTRATION_STATUS_REGISTERED);
  EXPECT_EQ(promoted.reason(), v1::REGISTRATION_CHANGE_REASON_PROMOTED);
  EXPECT_EQ(left.sequence(), promoted.sequence());  // one atomic change
}

TEST_F(CoursesIntegrationTest, BadAnswersUnknownLessonsAndCrossTenantAccessGetClearErrors) {
  const std::string c = PublishCourse();
  ASSERT_TRUE(Enroll("emp-2", c).ok());
  v1::SubmitQuizAnswersResponse quiz;
  grpc::Status st = Submit("emp-2", c, {5}, &quiz);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(st.error_message(),
            "answers[0].selected_choices[0]: 5 is out of range; question 'q1' has 3 choices "
            "(0 to 2)");
  v1::CompleteLessonResponse lesson;
  st = Complete("emp-2", c, "no-such-lesson", &lesson);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(st.error_message().rfind("lesson_id: 'no-such-lesson' is not a lesson", 0), 0u)
      << st.error_message();
  st = Complete("emp-2", c, "check", &lesson);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(st.error_message().rfind("lesson_id", 0), 0u) << st.error_message();

  v1::CreateCourseRequest bad;
  bad.set_tenant_id(tenant_);
  *bad.mutable_content() = BasicsCourse();
  auto* q = bad.mutable_content()
                ->mutable_modules(0)
                ->mutable_lessons(2)
                ->mutable_quiz()
                ->mutable_questions(0);
  for (int i = 0; i < 8; ++i) q->add_choices("one more");
  v1::CreateCourseResponse created;
  st = stub_->CreateCourse(Ctx(AdminToken()).get(), bad, &created);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(st.error_message(),
            "content.modules[0].lessons[2].quiz.questions[0].choices: at most 10");

  // Another tenant's admin, employee and service see nothing of this tenant.
  const std::string other = UniqueId("other");
  v1::GetCourseRequest get;
  get.set_tenant_id(tenant_);
  get.set_course_id(c);
  v1::GetCourseResponse course;
  for (Role role : {Role::kAdmin, Role::kEmployee, Role::kService}) {
    st = stub_->GetCourse(Ctx(keys_->Token(role, other, "x")).get(), get, &course);
    EXPECT_EQ(st.error_code(), grpc::StatusCode::PERMISSION_DENIED) << st.error_message();
  }
  v1::GetEnrollmentRequest enrollment;
  enrollment.set_tenant_id(tenant_);
  enrollment.set_employee_id("emp-2");
  enrollment.set_course_id(c);
  v1::GetEnrollmentResponse er;
  EXPECT_EQ(stub_->GetEnrollment(Ctx(EmployeeToken("emp-3")).get(), enrollment, &er).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  // An admin cannot enroll anyone: learning is voluntary.
  v1::EnrollInCourseRequest enroll;
  enroll.set_tenant_id(tenant_);
  enroll.set_employee_id("emp-3");
  enroll.set_course_id(c);
  v1::EnrollInCourseResponse enrolled;
  EXPECT_EQ(stub_->EnrollInCourse(Ctx(AdminToken()).get(), enroll, &enrolled).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  // Employees never see the correct answers.
  ASSERT_TRUE(stub_->GetCourse(Ctx(EmployeeToken("emp-2")).get(), get, &course).ok());
  EXPECT_EQ(
      course.course().content().modules(0).lessons(2).quiz().questions(0).correct_choices_size(),
      0);
  EXPECT_EQ(stub_->GetCourse(Ctx("").get(), get, &course).error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
}

TEST_F(CoursesIntegrationTest, WelcomeChecklistsAndMetrics) {
  v1::ListChecklistsRequest list;
  list.set_tenant_id(tenant_);
  v1::ListChecklistsResponse lists;
  ASSERT_TRUE(stub_->ListChecklists(Ctx(EmployeeToken("emp-4")).get(), list, &lists).ok());
  std::set<std::string> ids;
  for (const auto& c : lists.checklists()) ids.insert(c.checklist_id());
  EXPECT_EQ(ids, (std::set<std::string>{"welcome-facebook", "welcome-instagram", "welcome-seo"}));
  v1::SetChecklistItemRequest tick;
  tick.set_tenant_id(tenant_);
  tick.set_employee_id("emp-4");
  tick.set_checklist_id("welcome-instagram");
  tick.set_item_id("alt-text");
  tick.set_checked(true);
  v1::SetChecklistItemResponse ticked;
  ASSERT_TRUE(stub_->SetChecklistItem(Ctx(EmployeeToken("emp-4")).get(), tick, &ticked).ok());
  EXPECT_EQ(ticked.progress().checked_item_ids_size(), 1);

  const std::string c = PublishCourse();
  ASSERT_TRUE(Enroll("emp-4", c).ok());
  const std::string b = ScheduleBroadcast(1);
  Register(b, "emp-4");
  Register(b, "emp-5");
  std::string body;
  ASSERT_TRUE(WaitFor(
      [&] {
        body = HttpGet(service_->metrics_port(), "/metrics");
        return body.find("advocacy_courses_active_learners{service=\"courses\"} 0") ==
                   std::string::npos &&
               body.find("advocacy_courses_active_learners") != std::string::npos;
      },
      std::chrono::seconds(10)))
      << body.substr(0, 3000);
  EXPECT_NE(body.find("advocacy_courses_enrollments_total{level=\"beginner\",service=\"courses\"}"),
            std::string::npos);
  EXPECT_NE(body.find("advocacy_courses_broadcast_registrations_total{outcome=\"waitlisted\""),
            std::string::npos);
  EXPECT_NE(
      body.find("advocacy_grpc_requests_total{method=\"EnrollInCourse\",service=\"courses\"}"),
      std::string::npos);
  EXPECT_NE(body.find("advocacy_outbox_pending_lists"), std::string::npos);
}

// Kafka down delays events and never loses them; learning goes on meanwhile.
TEST_F(CoursesIntegrationTest, KafkaOutageDelaysEventsWithoutLosingAny) {
  const std::string c = PublishCourse();
  const std::string e = "emp-outage";
  Stack("kafka stop");
  ASSERT_TRUE(Enroll(e, c).ok());
  v1::CompleteLessonResponse lesson;
  ASSERT_TRUE(Complete(e, c, "intro", &lesson).ok());
  ASSERT_TRUE(Complete(e, c, "profile", &lesson).ok());
  v1::SubmitQuizAnswersResponse passed;
  ASSERT_TRUE(Submit(e, c, {1}, &passed).ok());
  EXPECT_TRUE(passed.course_completed());
  Stack("kafka start");
  TopicReader reader(kTopic);
  const std::string key = tenant_ + "/employee/" + e;
  ASSERT_TRUE(reader.WaitForKeyCount(key, 5, std::chrono::seconds(90)))
      << "got " << reader.ForKey(key).size() << " of 5";
  std::set<std::string> ids;
  for (const auto& m : reader.ForKey(key)) ids.insert(kafka::FromHeaders(m.headers)->id);
  EXPECT_GE(ids.size(), 5u);
  EXPECT_TRUE(WaitFor([&] { return HealthStatus(service_->channel()) == "SERVING"; },
                      std::chrono::seconds(30)));
}

TEST_F(CoursesIntegrationTest, RestartOfServiceAndRedisLosesNothing) {
  const std::string c = PublishCourse();
  ASSERT_TRUE(Enroll("emp-6", c).ok());
  v1::CompleteLessonResponse lesson;
  ASSERT_TRUE(Complete("emp-6", c, "intro", &lesson).ok());
  const std::string b = ScheduleBroadcast(1);
  Register(b, "emp-6");
  Register(b, "emp-7");

  // Graceful drain on SIGTERM exits 0; a new process serves the same state.
  EXPECT_EQ(service_->Stop(), 0);
  ASSERT_TRUE(service_->Start().ok());
  stub_ = v1::CoursesService::NewStub(service_->channel());
  EXPECT_EQ(GetEnrollment("emp-6", c).completed_lesson_ids_size(), 1);
  EXPECT_EQ(Seats(b, v1::REGISTRATION_STATUS_REGISTERED), (std::vector<std::string>{"emp-6"}));
  EXPECT_EQ(Seats(b, v1::REGISTRATION_STATUS_WAITLISTED), (std::vector<std::string>{"emp-7"}));

  // A Redis crash (SIGKILL) after the writes were acknowledged: AOF replays them. Pooled
  // connections opened before the crash fail once each (UNAVAILABLE) and then reconnect, so the
  // calls below retry on UNAVAILABLE only.
  Stack("redis kill");
  Stack("redis start");
  ASSERT_TRUE(WaitFor([&] { return HealthStatus(service_->channel()) == "SERVING"; },
                      std::chrono::seconds(30)));
  auto until_available = [](const std::function<grpc::Status()>& call) {
    grpc::Status st;
    for (int i = 0; i < 100; ++i) {
      st = call();
      if (st.error_code() != grpc::StatusCode::UNAVAILABLE) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return st;
  };
  v1::GetEnrollmentRequest get;
  get.set_tenant_id(tenant_);
  get.set_employee_id("emp-6");
  get.set_course_id(c);
  v1::GetEnrollmentResponse after;
  grpc::Status st =
      until_available([&] { return stub_->GetEnrollment(Ctx(ServiceToken()).get(), get, &after); });
  ASSERT_TRUE(st.ok()) << st.error_message();
  EXPECT_EQ(after.enrollment().completed_lesson_ids_size(), 1);
  EXPECT_EQ(after.enrollment().state(), v1::ENROLLMENT_STATE_ACTIVE);
  v1::ListBroadcastRegistrationsRequest waiting;
  waiting.set_tenant_id(tenant_);
  waiting.set_broadcast_id(b);
  waiting.set_status(v1::REGISTRATION_STATUS_WAITLISTED);
  v1::ListBroadcastRegistrationsResponse queue;
  st = until_available([&] {
    return stub_->ListBroadcastRegistrations(Ctx(ServiceToken()).get(), waiting, &queue);
  });
  ASSERT_TRUE(st.ok()) << st.error_message();
  ASSERT_EQ(queue.registrations_size(), 1);
  EXPECT_EQ(queue.registrations(0).employee_id(), "emp-7");
  // And it keeps working: a cancellation still promotes the next person. (Cancelling is
  // idempotent, so a retry after UNAVAILABLE is safe; the state tells who got the seat.)
  v1::CancelBroadcastRegistrationRequest cancel;
  cancel.set_tenant_id(tenant_);
  cancel.set_broadcast_id(b);
  cancel.set_employee_id("emp-6");
  v1::CancelBroadcastRegistrationResponse cancelled;
  st = until_available([&] {
    return stub_->CancelBroadcastRegistration(Ctx(EmployeeToken("emp-6")).get(), cancel,
                                              &cancelled);
  });
  ASSERT_TRUE(st.ok()) << st.error_message();
  EXPECT_EQ(Seats(b, v1::REGISTRATION_STATUS_REGISTERED), (std::vector<std::string>{"emp-7"}));
  EXPECT_TRUE(Seats(b, v1::REGISTRATION_STATUS_WAITLISTED).empty());
}

TEST(CoursesConfigTest, BadConfigurationExitsWithAMessage) {
  ServiceProcess bad(COURSES_BINARY, {{"ADVOCACY_REDIS_URL", ""},
                                      {"ADVOCACY_KAFKA_BROKERS", ""},
                                      {"ADVOCACY_JWT_PUBLIC_KEY_FILE", "/nonexistent.pem"},
                                      {"ADVOCACY_JWT_ISSUER", "x"},
                                      {"COURSES_ACTIVE_WINDOW_MS", "soon"}});
  const absl::Status st = bad.Start(std::chrono::seconds(10));
  EXPECT_FALSE(st.ok());
  std::ifstream log(bad.log_path());
  const std::string text((std::istreambuf_iterator<char>(log)), std::istreambuf_iterator<char>());
  EXPECT_NE(text.find("ADVOCACY_REDIS_URL is required"), std::string::npos) << text;
  EXPECT_NE(text.find("ADVOCACY_KAFKA_BROKERS is required"), std::string::npos) << text;
  EXPECT_NE(text.find("COURSES_ACTIVE_WINDOW_MS='soon'"), std::string::npos) << text;
}

}  // namespace
}  // namespace advocacy::it
