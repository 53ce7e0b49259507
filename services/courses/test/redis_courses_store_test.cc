// RedisCoursesStore against a real redis-server: the three compare-and-set scripts, one hash
// slot per script, and the managers end to end on Redis (broadcast capacity under concurrency,
// learning to a certificate, surviving a Redis restart).

#include "redis_courses_store.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdint>
#include <string_view>
#include <thread>

#include "advocacy/common/outbox.h"
#include "courses_test_util.h"
#include "testing/redis_server.h"

namespace advocacy::courses::testing {
namespace {

class RedisCoursesTest : public CoursesFixture {
 protected:
  RedisCoursesTest() : CoursesFixture(store_ptr_) {}

  static void SetUpTestSuite() {
    server_ = new advocacy::testing::RedisServer();
    ASSERT_TRUE(server_->Start().ok());
    redis::Options o;
    o.port = server_->port();
    pool_ = new redis::Pool(o, 8);
    store_ptr_ = new RedisCoursesStore(pool_);
  }
  static void TearDownTestSuite() {
    delete store_ptr_;
    delete pool_;
    delete server_;
    store_ptr_ = nullptr;
    pool_ = nullptr;
    server_ = nullptr;
  }
  void SetUp() override { ASSERT_TRUE(Raw({"FLUSHALL"}).is_status()); }

  static redis::Reply Raw(const std::vector<std::string>& cmd) {
    auto r = pool_->Run(cmd);
    EXPECT_TRUE(r.ok()) << r.status();
    return r.ok() ? *r : redis::Reply();
  }
  // Redis Cluster's hash slot of `key` (CRC16/XMODEM of the hash tag, mod 16384), computed
  // here because the test server runs without cluster support (CLUSTER KEYSLOT is refused).
  static int Slot(const std::string& key) {
    std::string_view hashed = key;
    if (const size_t open = key.find('{'); open != std::string::npos) {
      const size_t close = key.find('}', open + 1);
      if (close != std::string::npos && close > open + 1) {
        hashed = std::string_view(key).substr(open + 1, close - open - 1);
      }
    }
    uint16_t crc = 0;
    for (char ch : hashed) {
      crc ^= static_cast<uint16_t>(static_cast<unsigned char>(ch) << 8);
      for (int bit = 0; bit < 8; ++bit) {
        crc = (crc & 0x8000) != 0 ? static_cast<uint16_t>((crc << 1) ^ 0x1021)
                                  : static_cast<uint16_t>(crc << 1);
      }
    }
    return crc % 16384;
  }

  static advocacy::testing::RedisServer* server_;
  static redis::Pool* pool_;
  static RedisCoursesStore* store_ptr_;
};
advocacy::testing::RedisServer* RedisCoursesTest::server_ = nullptr;
redis::Pool* RedisCoursesTest::pool_ = nullptr;
RedisCoursesStore* RedisCoursesTest::store_ptr_ = nullptr;

TEST_F(RedisCoursesTest, SlotsAreRedisClusterSlots) {
  // Reference values from the Redis Cluster specification and `CLUSTER KEYSLOT`.
  EXPECT_EQ(Slot("123456789"), 0x31C3 % 16384);
  EXPECT_EQ(Slot("foo"), 12182);
  EXPECT_EQ(Slot("{user1000}.following"), Slot("{user1000}.followers"));
  EXPECT_NE(Slot("adv:courses:{t1:e1}:p"), Slot("adv:courses:{t1:e2}:p"));
}

TEST_F(RedisCoursesTest, LearnerCommitIsCompareAndSetAndWritesEventsInTheSameSlot) {
  LearnerCommit c;
  c.tenant_id = "t1";
  c.employee_id = "e1";
  c.expected_sequence = 0;
  c.new_sequence = 1;
  storage::v1::StoredEnrollment en;
  en.set_course_id("c-1");
  en.set_state(v1::ENROLLMENT_STATE_ACTIVE);
  en.set_sequence(1);
  c.enrollments = {en};
  c.outbox_entries = {"event-1", "event-2"};
  c.idempotency_key = "k";
  c.idempotency_record = "rec";
  c.idempotency_ttl_ms = 60000;
  auto r = store_ptr_->CommitLearner(c);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(*r, CommitResult::kCommitted);
  c.idempotency_key.clear();
  EXPECT_EQ(*store_ptr_->CommitLearner(c), CommitResult::kSequenceConflict);
  c.expected_sequence = 1;
  c.new_sequence = 2;
  c.idempotency_key = "k";
  EXPECT_EQ(*store_ptr_->CommitLearner(c), CommitResult::kIdempotencyConflict);

  auto snap = store_ptr_->LoadLearner("t1", "e1");
  ASSERT_TRUE(snap.ok()) << snap.status();
  EXPECT_EQ(snap->sequence, 1);
  ASSERT_EQ(snap->enrollments.count("c-1"), 1u);
  EXPECT_EQ(snap->enrollments.at("c-1").state(), v1::ENROLLMENT_STATE_ACTIVE);
  const std::string outbox_key = outbox::OutboxKey(kServiceName, "t1:e1");
  EXPECT_EQ(Raw({"LRANGE", outbox_key, "0", "-1"}).elements.size(), 2u);
  EXPECT_GT(Raw({"PTTL", "adv:courses:{t1:e1}:i:k"}).integer, 0);
  EXPECT_EQ(Slot(RedisCoursesStore::LearnerKey("t1", "e1")), Slot(outbox_key));
  EXPECT_EQ(Slot("adv:courses:{t1:e1}:i:k"), Slot(outbox_key));
}

TEST_F(RedisCoursesTest, BroadcastCommitMovesSeatsAtomicallyInOneSlot) {
  BroadcastCommit c;
  c.tenant_id = "t1";
  c.broadcast_id = "b-1";
  c.expected_sequence = 0;
  c.new_sequence = 1;
  storage::v1::StoredBroadcast def;
  def.mutable_broadcast()->set_broadcast_id("b-1");
  def.mutable_broadcast()->mutable_details()->set_capacity(1);
  c.broadcast = def;
  c.outbox_entries = {"scheduled"};
  ASSERT_EQ(*store_ptr_->CommitBroadcast(c), CommitResult::kCommitted);
  auto step = [&](int64_t seq, std::vector<SeatChange> seats) {
    BroadcastCommit s;
    s.tenant_id = "t1";
    s.broadcast_id = "b-1";
    s.expected_sequence = seq - 1;
    s.new_sequence = seq;
    s.seats = std::move(seats);
    s.outbox_entries = {"change-" + std::to_string(seq)};
    auto r = store_ptr_->CommitBroadcast(s);
    EXPECT_TRUE(r.ok()) << r.status();
    EXPECT_EQ(*r, CommitResult::kCommitted);
  };
  step(2, {{SeatOp::kAddSeat, "a", 2}});
  step(3, {{SeatOp::kAddWaiting, "b", 3}});
  step(4, {{SeatOp::kAddWaiting, "c", 4}});
  step(5, {{SeatOp::kRemoveSeat, "a", 0},
           {SeatOp::kRemoveWaiting, "b", 0},
           {SeatOp::kAddSeat, "b", 5}});

  auto snap = store_ptr_->LoadBroadcast("t1", "b-1", "c", 5);
  ASSERT_TRUE(snap.ok()) << snap.status();
  EXPECT_EQ(snap->sequence, 5);
  ASSERT_TRUE(snap->broadcast.has_value());
  EXPECT_EQ(snap->registered_count, 1);
  EXPECT_EQ(snap->waiting_count, 1);
  EXPECT_EQ(snap->status, v1::REGISTRATION_STATUS_WAITLISTED);
  EXPECT_EQ(snap->waiting_position, 1);
  EXPECT_EQ(snap->waiting_head, (std::vector<std::string>{"c"}));
  auto seats = store_ptr_->ListSeats("t1", "b-1", false, 0, 10);
  ASSERT_TRUE(seats.ok());
  EXPECT_EQ(seats->ids, (std::vector<std::string>{"b"}));
  EXPECT_FALSE(seats->more);
  auto b = store_ptr_->LoadBroadcast("t1", "b-1", "b", 0);
  EXPECT_EQ(b->status, v1::REGISTRATION_STATUS_REGISTERED);
  auto none = store_ptr_->LoadBroadcast("t1", "b-2", "x", 0);
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(none->broadcast.has_value());
  EXPECT_EQ(none->sequence, 0);

  const std::string outbox_key = outbox::OutboxKey(kServiceName, "t1/broadcast/b-1");
  EXPECT_EQ(Raw({"LLEN", outbox_key}).integer, 5);
  for (const auto& key :
       {RedisCoursesStore::BroadcastKey("t1", "b-1"), RedisCoursesStore::SeatsKey("t1", "b-1"),
        RedisCoursesStore::WaitingKey("t1", "b-1")}) {
    EXPECT_EQ(Slot(key), Slot(outbox_key)) << key;
  }
  // A stale sequence writes nothing.
  BroadcastCommit stale;
  stale.tenant_id = "t1";
  stale.broadcast_id = "b-1";
  stale.expected_sequence = 3;
  stale.new_sequence = 4;
  stale.seats = {{SeatOp::kAddSeat, "z", 4}};
  EXPECT_EQ(*store_ptr_->CommitBroadcast(stale), CommitResult::kSequenceConflict);
  EXPECT_EQ(store_ptr_->ListSeats("t1", "b-1", false, 0, 10)->ids.size(), 1u);
}

TEST_F(RedisCoursesTest, CatalogWritesAreCompareAndSetOnTheRevision) {
  CourseWrite w;
  w.tenant_id = "t1";
  w.course.mutable_course()->set_course_id("c-1");
  w.course.mutable_course()->set_revision(1);
  w.summary.set_course_id("c-1");
  w.outbox_entry = "created";
  ASSERT_TRUE(*store_ptr_->PutCourse(w));
  EXPECT_FALSE(*store_ptr_->PutCourse(w));  // expected 0, but it exists
  w.expected_revision = 1;
  w.course.mutable_course()->set_revision(2);
  w.outbox_entry.clear();
  ASSERT_TRUE(*store_ptr_->PutCourse(w));
  auto got = store_ptr_->GetCourse("t1", "c-1");
  ASSERT_TRUE(got.ok());
  EXPECT_EQ((*got)->course().revision(), 2);
  EXPECT_EQ(store_ptr_->ListCourseSummaries("t1")->size(), 1u);
  EXPECT_EQ(Raw({"LLEN", outbox::OutboxKey(kServiceName, "t1")}).integer, 1);
  EXPECT_EQ(Slot(RedisCoursesStore::CourseKey("t1")), Slot(outbox::OutboxKey(kServiceName, "t1")));
}

TEST_F(RedisCoursesTest, RefusedCommandsAreInternalErrorsNamingTheOperation) {
  // A key of the wrong type makes Redis answer with an error reply: a bug or a foreign writer,
  // never a state to retry on.
  ASSERT_TRUE(Raw({"SET", RedisCoursesStore::CourseKey("t1"), "not a hash"}).is_status());
  auto got = store_ptr_->GetCourse("t1", "c-1");
  ASSERT_FALSE(got.ok());
  EXPECT_EQ(got.status().code(), absl::StatusCode::kInternal);
  EXPECT_THAT(std::string(got.status().message()), ::testing::HasSubstr("a course read"));
  ASSERT_TRUE(Raw({"SET", RedisCoursesStore::LearnerKey("t1", "e1"), "not a hash"}).is_status());
  LearnerCommit c;
  c.tenant_id = "t1";
  c.employee_id = "e1";
  auto committed = store_ptr_->CommitLearner(c);
  ASSERT_FALSE(committed.ok());
  EXPECT_EQ(committed.status().code(), absl::StatusCode::kInternal);
  EXPECT_THAT(std::string(committed.status().message()),
              ::testing::HasSubstr("the progress commit"));
}

TEST_F(RedisCoursesTest, BroadcastFullWaitingListAndPromotionOnRedis) {
  v1::ScheduleBroadcastRequest req;
  req.set_tenant_id(kTenant);
  auto* d = req.mutable_details();
  d->set_title("Live Q&A");
  *d->mutable_starts_at() = ToTimestamp(now_ms_ + 3600 * 1000);
  d->set_duration_minutes(60);
  d->set_capacity(3);
  d->set_join_url("https://meet.example/qa");
  d->set_language("en");
  auto scheduled = broadcasts_.Schedule(Admin(), req);
  ASSERT_TRUE(scheduled.ok()) << scheduled.status();
  const std::string b = scheduled->broadcast().broadcast_id();

  constexpr int kEmployees = 16;
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = t; i < kEmployees; i += 4) {
        const std::string e = "e" + std::to_string(i);
        v1::RegisterForBroadcastRequest r;
        r.set_tenant_id(kTenant);
        r.set_broadcast_id(b);
        r.set_employee_id(e);
        auto resp = broadcasts_.Register(Employee(e), r);
        EXPECT_TRUE(resp.ok()) << resp.status();
      }
    });
  }
  for (auto& th : threads) th.join();
  auto seats = store_ptr_->ListSeats(kTenant, b, false, 0, 100);
  auto queue = store_ptr_->ListSeats(kTenant, b, true, 0, 100);
  ASSERT_TRUE(seats.ok() && queue.ok());
  EXPECT_EQ(seats->ids.size(), 3u);
  EXPECT_EQ(queue->ids.size(), static_cast<size_t>(kEmployees - 3));

  v1::CancelBroadcastRegistrationRequest cancel;
  cancel.set_tenant_id(kTenant);
  cancel.set_broadcast_id(b);
  cancel.set_employee_id(seats->ids[0]);
  auto freed = broadcasts_.CancelRegistration(Employee(seats->ids[0]), cancel);
  ASSERT_TRUE(freed.ok()) << freed.status();
  EXPECT_EQ(freed->promoted_employee_id(), queue->ids[0]);
  auto after = store_ptr_->ListSeats(kTenant, b, false, 0, 100);
  EXPECT_EQ(after->ids, (std::vector<std::string>{seats->ids[1], seats->ids[2], queue->ids[0]}));
  // Every event is in the broadcast's outbox list until the relay takes it.
  EXPECT_EQ(Raw({"LLEN", outbox::OutboxKey(kServiceName, BroadcastTag(kTenant, b))}).integer,
            1 + kEmployees + 2);
}

TEST_F(RedisCoursesTest, LearningOnRedisToAVerifiedCertificate) {
  const std::string c = PublishedCourse();
  ASSERT_TRUE(Enroll("e1", c).ok());
  ASSERT_TRUE(Complete("e1", c, "intro").ok());
  ASSERT_TRUE(Complete("e1", c, "profile").ok());
  auto done = Submit("e1", c, "quiz", {Answer("q1", {1}), Answer("q2", {0, 2})});
  ASSERT_TRUE(done.ok()) << done.status();
  ASSERT_TRUE(done->course_completed());
  v1::VerifyCertificateRequest verify;
  verify.set_tenant_id(kTenant);
  verify.set_verification_code(done->enrollment().certificate().verification_code());
  auto verified = learning_.VerifyCertificate(Admin(), verify);
  ASSERT_TRUE(verified.ok()) << verified.status();
  EXPECT_EQ(verified->certificate().employee_id(), "e1");
  auto active = store_ptr_->CountActiveLearners(now_ms_ - 1000);
  ASSERT_TRUE(active.ok());
  EXPECT_EQ(*active, 1);
  EXPECT_EQ(*store_ptr_->CountActiveLearners(now_ms_ + 1), 0);  // and old activity is dropped
  EXPECT_EQ(Raw({"ZCARD", "adv:courses:{active}:learners"}).integer, 0);
}

TEST_F(RedisCoursesTest, ProgressSurvivesARedisRestart) {
  advocacy::testing::RedisServer durable({.appendonly = true});
  ASSERT_TRUE(durable.Start().ok());
  redis::Options o;
  o.port = durable.port();
  redis::Pool pool(o, 2);
  RedisCoursesStore store(&pool);
  RecordingNotifier notifier;
  CatalogManager catalog(&store, &notifier, {});
  LearningManager learning(&store, &catalog, &notifier, nullptr, {});
  v1::CreateCourseRequest create;
  create.set_tenant_id(kTenant);
  *create.mutable_content() = Content();
  auto course = catalog.CreateCourse(Admin(), create);
  ASSERT_TRUE(course.ok()) << course.status();
  const std::string c = course->course().course_id();
  v1::PublishCourseRequest publish;
  publish.set_tenant_id(kTenant);
  publish.set_course_id(c);
  ASSERT_TRUE(catalog.PublishCourse(Admin(), publish).ok());
  v1::EnrollInCourseRequest enroll;
  enroll.set_tenant_id(kTenant);
  enroll.set_employee_id("e1");
  enroll.set_course_id(c);
  ASSERT_TRUE(learning.Enroll(Employee("e1"), enroll).ok());
  v1::CompleteLessonRequest lesson;
  lesson.set_tenant_id(kTenant);
  lesson.set_employee_id("e1");
  lesson.set_course_id(c);
  lesson.set_lesson_id("intro");
  ASSERT_TRUE(learning.CompleteLesson(Employee("e1"), lesson).ok());

  ASSERT_TRUE(durable.Restart().ok());
  v1::GetEnrollmentRequest get;
  get.set_tenant_id(kTenant);
  get.set_employee_id("e1");
  get.set_course_id(c);
  absl::StatusOr<v1::GetEnrollmentResponse> r;
  // The pool reconnects after its backoff; retry briefly on Unavailable only.
  for (int i = 0; i < 100; ++i) {
    r = learning.GetEnrollment(Employee("e1"), get);
    if (r.ok() || r.status().code() != absl::StatusCode::kUnavailable) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->enrollment().completed_lesson_ids_size(), 1);
  EXPECT_EQ(r->enrollment().sequence(), 2);
}

}  // namespace
}  // namespace advocacy::courses::testing
