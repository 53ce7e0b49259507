// NotificationsManager against the real Redis store: validation, authorization, preferences,
// idempotent triggers, the consent-checked fan-out, events, withdrawal cancellation and
// explanations.

#include <thread>

#include "advocacy/common/event_trust.h"
#include "advocacy/common/ids.h"
#include "advocacy/common/kafka.h"
#include "advocacy/content/v1/content_events.pb.h"
#include "advocacy/courses/v1/courses_events.pb.h"
#include "gmock/gmock.h"
#include "notifications_fixture.h"

namespace advocacy::notifications {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::SizeIs;
using ::testing::StartsWith;

class ManagerTest : public NotificationsFixture {};

TEST_F(ManagerTest, UpsertRecipientValidatesEveryFieldAndNamesIt) {
  v1::UpsertRecipientRequest req;
  auto* r = req.mutable_recipient();
  r->set_tenant_id(kTenant);
  r->set_employee_id("e1");
  r->set_email("not-an-address");
  auto out = manager_->UpsertRecipient(Admin(), req);
  EXPECT_EQ(out.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(out.status().message()), StartsWith("recipient.email:"));

  r->set_email("e1@example.org");
  r->set_time_zone("Europe/Atlantis");
  out = manager_->UpsertRecipient(Admin(), req);
  EXPECT_THAT(std::string(out.status().message()), StartsWith("recipient.time_zone:"));

  r->set_time_zone("Europe/Oslo");
  r->set_employee_id("a/b");
  out = manager_->UpsertRecipient(Admin(), req);
  EXPECT_THAT(std::string(out.status().message()), StartsWith("recipient.employee_id:"));

  r->set_employee_id("e1");
  r->set_display_name("Evil\r\nBcc: x@y.z");
  out = manager_->UpsertRecipient(Admin(), req);
  EXPECT_THAT(std::string(out.status().message()), StartsWith("recipient.display_name:"));
}

TEST_F(ManagerTest, UpsertRecipientIsForAdminsAndServicesOfTheTenant) {
  v1::UpsertRecipientRequest req;
  auto* r = req.mutable_recipient();
  r->set_tenant_id(kTenant);
  r->set_employee_id("e1");
  r->set_email("e1@example.org");
  EXPECT_EQ(manager_->UpsertRecipient(Employee("e1"), req).status().code(),
            absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(manager_->UpsertRecipient(Admin("other"), req).status().code(),
            absl::StatusCode::kPermissionDenied);
  ASSERT_TRUE(manager_->UpsertRecipient(Service(), req).ok());

  v1::GetRecipientRequest get;
  get.set_tenant_id(kTenant);
  get.set_employee_id("e1");
  auto got = manager_->GetRecipient(Employee("e1"), get);
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(got->recipient().email(), "e1@example.org");
  EXPECT_TRUE(got->recipient().has_update_time());
  EXPECT_EQ(manager_->GetRecipient(Employee("e2"), get).status().code(),
            absl::StatusCode::kPermissionDenied);
  get.set_employee_id("nobody");
  EXPECT_EQ(manager_->GetRecipient(Admin(), get).status().code(), absl::StatusCode::kNotFound);
}

TEST_F(ManagerTest, PreferencesDefaultToInstantAndBelongToTheEmployee) {
  v1::GetPreferencesRequest get;
  get.set_tenant_id(kTenant);
  get.set_employee_id("e1");
  auto got = manager_->GetPreferences(Employee("e1"), get);
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(got->preferences().cadence(), v1::DIGEST_CADENCE_INSTANT);
  EXPECT_EQ(got->preferences().weekly_cap(), 0);
  EXPECT_TRUE(got->preferences().topics().empty());

  EXPECT_EQ(manager_->GetPreferences(Employee("e2"), get).status().code(),
            absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(manager_->GetPreferences(Service(), get).status().code(),
            absl::StatusCode::kPermissionDenied);
  EXPECT_TRUE(manager_->GetPreferences(Admin(), get).ok());
  EXPECT_EQ(manager_->GetPreferences(Admin("other"), get).status().code(),
            absl::StatusCode::kPermissionDenied);

  v1::SetPreferencesRequest set;
  auto* p = set.mutable_preferences();
  p->set_tenant_id(kTenant);
  p->set_employee_id("e1");
  p->set_cadence(v1::DIGEST_CADENCE_WEEKLY);
  p->set_digest_hour(9);
  auto bad = manager_->SetPreferences(Employee("e1"), set);
  EXPECT_THAT(std::string(bad.status().message()), StartsWith("preferences.digest_weekday:"));
  p->set_digest_weekday(v1::WEEKDAY_MONDAY);
  p->set_digest_hour(24);
  bad = manager_->SetPreferences(Employee("e1"), set);
  EXPECT_THAT(std::string(bad.status().message()), StartsWith("preferences.digest_hour:"));
  p->set_digest_hour(9);
  p->add_topics(v1::TOPIC_COURSES);
  p->add_topics(v1::TOPIC_COURSES);
  bad = manager_->SetPreferences(Employee("e1"), set);
  EXPECT_THAT(std::string(bad.status().message()), StartsWith("preferences.topics[1]:"));
  p->clear_topics();
  p->set_weekly_cap(-1);
  bad = manager_->SetPreferences(Employee("e1"), set);
  EXPECT_THAT(std::string(bad.status().message()), StartsWith("preferences.weekly_cap:"));
  p->set_weekly_cap(3);
  p->mutable_quiet_hours()->set_start_minute(22 * 60);
  p->mutable_quiet_hours()->set_end_minute(7 * 60);
  EXPECT_EQ(manager_->SetPreferences(Employee("e2"), set).status().code(),
            absl::StatusCode::kPermissionDenied);
  ASSERT_TRUE(manager_->SetPreferences(Employee("e1"), set).ok());
  got = manager_->GetPreferences(Employee("e1"), get);
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->preferences().cadence(), v1::DIGEST_CADENCE_WEEKLY);
  EXPECT_EQ(got->preferences().weekly_cap(), 3);
  EXPECT_EQ(got->preferences().quiet_hours().start_minute(), 22 * 60);
}

TEST_F(ManagerTest, TriggerValidatesAndAuthorizes) {
  AddRecipient("e1");
  auto c = Content();
  c.set_link("http://example.com/plain");
  EXPECT_THAT(std::string(Trigger("e1", "k", c).status().message()), StartsWith("content.link:"));
  c = Content();
  c.set_purpose(cv1::PURPOSE_SHARE_CONTENT);
  EXPECT_THAT(std::string(Trigger("e1", "k", c).status().message()),
              StartsWith("content.purpose:"));
  EXPECT_THAT(std::string(Trigger("e1", "", Content()).status().message()),
              StartsWith("idempotency_key:"));

  v1::TriggerRequest req;
  req.set_tenant_id(kTenant);
  req.set_employee_id("e1");
  *req.mutable_content() = Content();
  req.set_idempotency_key("k1");
  EXPECT_EQ(manager_->Trigger(Employee("e1"), req).status().code(),
            absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(manager_->Trigger(Admin("other"), req).status().code(),
            absl::StatusCode::kPermissionDenied);
  EXPECT_TRUE(manager_->Trigger(Admin(), req).ok());

  v1::BulkTriggerRequest bulk;
  bulk.set_tenant_id(kTenant);
  *bulk.mutable_content() = Content();
  bulk.set_idempotency_key("bulk");
  EXPECT_THAT(std::string(manager_->BulkTrigger(Service(), bulk).status().message()),
              StartsWith("employee_ids:"));
  for (size_t i = 0; i <= kMaxBulkEmployees; ++i) bulk.add_employee_ids("e" + std::to_string(i));
  EXPECT_THAT(std::string(manager_->BulkTrigger(Service(), bulk).status().message()),
              StartsWith("employee_ids:"));
  bulk.clear_employee_ids();
  bulk.add_employee_ids("ok");
  bulk.add_employee_ids("bad{id}");
  EXPECT_THAT(std::string(manager_->BulkTrigger(Service(), bulk).status().message()),
              StartsWith("employee_ids[1]:"));
}

TEST_F(ManagerTest, SameKeySameBodyIsANoOpDifferentBodyIsRejected) {
  AddRecipient("e1");
  auto first = Trigger("e1", "key-1");
  ASSERT_TRUE(first.ok()) << first.status();
  auto again = Trigger("e1", "key-1");
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(first->job_id(), again->job_id());
  EXPECT_THAT(first->job_id(), StartsWith("acme/e1/"));

  auto other = Trigger("e1", "key-1", Content("Another title"));
  EXPECT_EQ(other.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(other.status().message()), HasSubstr("idempotency_key"));

  v1::BulkTriggerRequest bulk;
  bulk.set_tenant_id(kTenant);
  bulk.add_employee_ids("e1");
  *bulk.mutable_content() = Content();
  bulk.set_idempotency_key("key-1");
  auto replay = manager_->BulkTrigger(Service(), bulk);
  ASSERT_TRUE(replay.ok()) << replay.status();
  EXPECT_TRUE(replay->replayed());
  EXPECT_THAT(replay->job_ids(), ElementsAre(first->job_id()));

  Drain();
  EXPECT_THAT(sender_.mails(), SizeIs(1));
  EXPECT_EQ(Explain(first->job_id()).job_state(), v1::JOB_STATE_SENT);
}

// One BulkTrigger naming an employee who gets the mail (twice), and one for each reason to
// skip: no consent, topics that exclude it, no recipient record. With the fixture's fan-out
// chunk of 3, the reasons are decided in two chunks.
class BulkTriggerTest : public ManagerTest {
 protected:
  void SetUp() override {
    ManagerTest::SetUp();
    AddRecipient("yes");
    AddRecipient("no", /*consent=*/false);
    AddRecipient("courses-only");
    v1::Preferences prefs;
    prefs.add_topics(v1::TOPIC_COURSES);
    SetPrefs("courses-only", prefs);

    v1::BulkTriggerRequest bulk;
    bulk.set_tenant_id(kTenant);
    for (const char* e : {"yes", "no", "courses-only", "stranger", "yes"}) {
      bulk.add_employee_ids(e);
    }
    *bulk.mutable_content() = Content();
    bulk.set_idempotency_key("bulk-1");
    auto out = manager_->BulkTrigger(Service(), bulk);
    ASSERT_TRUE(out.ok()) << out.status();
    ASSERT_THAT(out->job_ids(), SizeIs(5));
    response_ = *std::move(out);
  }

  // The job id BulkTrigger returned for the employee at `index` of the request.
  const std::string& JobOf(int index) const { return response_.job_ids(index); }

  v1::BulkTriggerResponse response_;
};

TEST_F(BulkTriggerTest, AConsentingRecipientNamedTwiceGetsOneJobAndOneMail) {
  EXPECT_FALSE(response_.replayed());
  EXPECT_EQ(JobOf(0), JobOf(4));
  EXPECT_EQ(Explain(JobOf(0)).job_state(), v1::JOB_STATE_PENDING);
  Drain();
  ASSERT_THAT(sender_.mails(), SizeIs(1));
  EXPECT_EQ(sender_.mails()[0].to_address, Email("yes"));
  EXPECT_EQ(Explain(JobOf(0)).job_state(), v1::JOB_STATE_SENT);
}

TEST_F(BulkTriggerTest, AnEmployeeWithoutConsentIsSkippedForNoConsent) {
  const v1::Explanation no = Explain(JobOf(1));
  EXPECT_EQ(no.job_state(), v1::JOB_STATE_SKIPPED);
  EXPECT_EQ(no.skip_reason(), v1::SKIP_REASON_NO_CONSENT);
  EXPECT_THAT(MetricsText(),
              HasSubstr("advocacy_notifications_skipped_total{reason=\"no_consent\""));
}

TEST_F(BulkTriggerTest, AnEmployeeWhoseTopicsExcludeTheMailIsSkippedAsFiltered) {
  const v1::Explanation filtered = Explain(JobOf(2));
  EXPECT_EQ(filtered.job_state(), v1::JOB_STATE_SKIPPED);
  EXPECT_EQ(filtered.skip_reason(), v1::SKIP_REASON_TOPIC_FILTERED);
}

TEST_F(BulkTriggerTest, AnEmployeeWithoutARecipientRecordIsSkippedAsUnknown) {
  const v1::Explanation stranger = Explain(JobOf(3));
  EXPECT_EQ(stranger.job_state(), v1::JOB_STATE_SKIPPED);
  EXPECT_EQ(stranger.skip_reason(), v1::SKIP_REASON_UNKNOWN_RECIPIENT);
}

TEST_F(ManagerTest, TenantIdsFollowTheSharedGrammar) {
  // A ':' would let two tenant/employee pairs build the same key ("adv:notif:{a:b:c}:").
  for (const std::string& bad :
       {std::string("acme:e1"), std::string(ids::kMaxTenantIdBytes + 1, 't')}) {
    v1::GetRecipientRequest get;
    get.set_tenant_id(bad);
    get.set_employee_id("e1");
    auto got = manager_->GetRecipient(Admin(bad), get);
    EXPECT_EQ(got.status().code(), absl::StatusCode::kInvalidArgument) << bad;
    EXPECT_THAT(std::string(got.status().message()), StartsWith("tenant_id:")) << bad;

    v1::UpsertRecipientRequest upsert;
    upsert.mutable_recipient()->set_tenant_id(bad);
    upsert.mutable_recipient()->set_employee_id("e1");
    upsert.mutable_recipient()->set_email("e1@example.org");
    auto put = manager_->UpsertRecipient(Admin(bad), upsert);
    EXPECT_EQ(put.status().code(), absl::StatusCode::kInvalidArgument) << bad;
    EXPECT_THAT(std::string(put.status().message()), StartsWith("recipient.tenant_id:")) << bad;

    v1::TriggerRequest trigger;
    trigger.set_tenant_id(bad);
    trigger.set_employee_id("e1");
    *trigger.mutable_content() = Content();
    trigger.set_idempotency_key("k");
    auto triggered = manager_->Trigger(Service(), trigger);
    EXPECT_EQ(triggered.status().code(), absl::StatusCode::kInvalidArgument) << bad;
    EXPECT_THAT(std::string(triggered.status().message()), StartsWith("tenant_id:")) << bad;
  }
  v1::GetRecipientRequest longest;
  longest.set_tenant_id(std::string(ids::kMaxTenantIdBytes, 't'));
  longest.set_employee_id("e1");
  EXPECT_EQ(manager_->GetRecipient(Admin(longest.tenant_id()), longest).status().code(),
            absl::StatusCode::kNotFound);
}

TEST_F(ManagerTest, AnEmailAddressIsAValidEmployeeId) {
  const std::string jane = "jane@acme.com";
  v1::UpsertRecipientRequest req;
  auto* r = req.mutable_recipient();
  r->set_tenant_id(kTenant);
  r->set_employee_id(jane);
  r->set_email(jane);
  ASSERT_TRUE(manager_->UpsertRecipient(Admin(), req).ok());
  consent_.Set(kTenant, jane, cv1::PURPOSE_EMAIL_TIPS, true);
  auto job = Trigger(jane, "k");
  ASSERT_TRUE(job.ok()) << job.status();
  EXPECT_EQ(job->job_id(), JobId(kTenant, jane, SourceHash("trigger", "k")));
  Drain();
  ASSERT_THAT(sender_.mails(), SizeIs(1));
  EXPECT_EQ(sender_.mails()[0].to_address, jane);
  EXPECT_EQ(Explain(job->job_id()).job_state(), v1::JOB_STATE_SENT);
}

TEST_F(ManagerTest, IdempotencyKeysAreRequiredAndFollowTheSharedGrammar) {
  AddRecipient("e1");
  for (const std::string& bad : {std::string(), std::string("has space"),
                                 std::string(ids::kMaxIdempotencyKeyBytes + 1, 'k')}) {
    auto out = Trigger("e1", bad);
    EXPECT_EQ(out.status().code(), absl::StatusCode::kInvalidArgument) << bad;
    EXPECT_THAT(std::string(out.status().message()), StartsWith("idempotency_key:")) << bad;
  }
  EXPECT_TRUE(Trigger("e1", "01J9Z6Q0V7-retry.1~a_b").ok());
}

TEST_F(ManagerTest, JobsAreMergedOnceWhenRedisForgotTheScripts) {
  for (const char* e : {"a", "b", "c", "d"}) AddRecipient(e);
  ASSERT_TRUE(Trigger("a", "before").ok());  // the merge script is cached now
  // A restart or failover empties the script cache: the pipelined EVALSHAs answer NOSCRIPT.
  ASSERT_TRUE(Redis({"SCRIPT", "FLUSH"}).ok());
  v1::BulkTriggerRequest bulk;
  bulk.set_tenant_id(kTenant);
  for (const char* e : {"a", "b", "c", "d"}) bulk.add_employee_ids(e);
  *bulk.mutable_content() = Content("After the flush");
  bulk.set_idempotency_key("after-flush");
  auto out = manager_->BulkTrigger(Service(), bulk);
  ASSERT_TRUE(out.ok()) << out.status();
  for (const auto& job : out->job_ids()) {
    EXPECT_EQ(Explain(job).job_state(), v1::JOB_STATE_PENDING) << job;
  }
  EXPECT_EQ(QueueDepth(), 5);
  Drain();
  EXPECT_THAT(sender_.mails(), SizeIs(5));
}

TEST_F(ManagerTest, ConsentOutageAtTriggerFailsClosedAndTheRetryCreatesTheJob) {
  AddRecipient("e1");
  consent_.FailBatch(absl::UnavailableError("consent down"));
  auto out = Trigger("e1", "k");
  EXPECT_EQ(out.status().code(), absl::StatusCode::kUnavailable);
  consent_.FailBatch(absl::OkStatus());
  out = Trigger("e1", "k");  // the client's retry with the same key
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_EQ(Explain(out->job_id()).job_state(), v1::JOB_STATE_PENDING);
  Drain();
  EXPECT_THAT(sender_.mails(), SizeIs(1));
}

TEST_F(ManagerTest, ConcurrentTriggersMergeIntoOneDigestPerWindow) {
  AddRecipient("e1");
  v1::Preferences prefs;
  prefs.set_cadence(v1::DIGEST_CADENCE_DAILY);
  prefs.set_digest_hour(8);
  SetPrefs("e1", prefs);

  constexpr size_t kThreads = 8;
  constexpr size_t kPerThread = 5;
  std::vector<std::thread> threads;
  threads.reserve(kThreads);
  std::vector<std::string> ids(kThreads * kPerThread);
  for (size_t t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (size_t i = 0; i < kPerThread; ++i) {
        const size_t n = t * kPerThread + i;
        auto out = Trigger("e1", "k" + std::to_string(n), Content("Item " + std::to_string(n)));
        ASSERT_TRUE(out.ok()) << out.status();
        ids[n] = out->job_id();
      }
    });
  }
  for (auto& t : threads) t.join();

  std::set<std::string> digests;
  for (const auto& id : ids) {
    const v1::Explanation x = Explain(id);
    EXPECT_EQ(x.job_state(), v1::JOB_STATE_IN_DIGEST);
    digests.insert(x.digest_id());
  }
  ASSERT_THAT(digests, SizeIs(1));
  EXPECT_EQ(*digests.begin(), "3-daily-2026-01-02T08");
  EXPECT_EQ(QueueDepth(), 1);
  EXPECT_THAT(
      MetricsText(),
      HasSubstr("advocacy_notifications_digest_merges_total{service=\"notifications\"} 39"));

  Drain();  // not due before 08:00 the next day
  EXPECT_TRUE(sender_.mails().empty());
  Advance(absl::Hours(20));  // 2026-01-02T08:00Z
  Drain();
  ASSERT_THAT(sender_.mails(), SizeIs(1));
  EXPECT_THAT(sender_.mails()[0].text, HasSubstr("Item 39"));
  EXPECT_THAT(sender_.mails()[0].text, HasSubstr("Item 0"));
  for (const auto& id : ids) EXPECT_EQ(Explain(id).job_state(), v1::JOB_STATE_SENT);
}

TEST_F(ManagerTest, WithdrawalCancelsPendingDelayedAndDigestJobsOfThatPurposeOnly) {
  AddRecipient("e1");
  v1::Preferences prefs;
  prefs.set_cadence(v1::DIGEST_CADENCE_DAILY);
  prefs.set_digest_hour(8);
  SetPrefs("e1", prefs);
  auto a = Trigger("e1", "a");
  auto b = Trigger("e1", "b");
  auto course = Trigger("e1", "c", Content("A course", v1::TOPIC_COURSES));
  ASSERT_TRUE(a.ok() && b.ok() && course.ok());
  EXPECT_EQ(QueueDepth(), 2);  // one digest per purpose

  consent_view::ApplyResult withdrawn;
  withdrawn.tenant_id = kTenant;
  withdrawn.employee_id = "e1";
  withdrawn.withdrawn = {"PURPOSE_EMAIL_TIPS.NETWORK_UNSPECIFIED",
                         "PURPOSE_SHARE_CONTENT.NETWORK_X"};
  ASSERT_TRUE(manager_->OnConsentWithdrawn(withdrawn).ok());
  ASSERT_TRUE(manager_->OnConsentWithdrawn(withdrawn).ok());  // idempotent
  const v1::Explanation x = Explain(a->job_id());
  EXPECT_EQ(x.job_state(), v1::JOB_STATE_CANCELLED);
  EXPECT_EQ(x.delivery_state(), v1::DELIVERY_STATE_SKIPPED);
  EXPECT_THAT(x.detail(), HasSubstr("PURPOSE_EMAIL_TIPS was withdrawn"));
  EXPECT_EQ(Explain(b->job_id()).job_state(), v1::JOB_STATE_CANCELLED);
  EXPECT_EQ(Explain(course->job_id()).job_state(), v1::JOB_STATE_IN_DIGEST);
  EXPECT_EQ(QueueDepth(), 1);

  Advance(absl::Hours(20));
  Drain();
  ASSERT_THAT(sender_.mails(), SizeIs(1));
  EXPECT_THAT(sender_.mails()[0].subject, HasSubstr("A course"));

  // Consent given again in the same window: a new digest, never the cancelled one.
  Advance(-absl::Hours(10));
  auto d = Trigger("e1", "d");
  ASSERT_TRUE(d.ok());
  const v1::Explanation dx = Explain(d->job_id());
  EXPECT_EQ(dx.job_state(), v1::JOB_STATE_IN_DIGEST);
  EXPECT_NE(dx.digest_id(), x.digest_id());
  EXPECT_THAT(dx.digest_id(), StartsWith(x.digest_id() + "~"));
}

TEST_F(ManagerTest, QuietHoursDelayAnInstantJob) {
  AddRecipient("e1", true, "nb-NO", "Europe/Oslo");
  v1::Preferences prefs;  // 12:00Z is 13:00 in Oslo: quiet from 12:30 to 14:00 local
  prefs.mutable_quiet_hours()->set_start_minute(12 * 60 + 30);
  prefs.mutable_quiet_hours()->set_end_minute(14 * 60);
  SetPrefs("e1", prefs);
  Advance(absl::Minutes(45));  // 13:45 local
  auto job = Trigger("e1", "k");
  ASSERT_TRUE(job.ok());
  v1::Explanation x = Explain(job->job_id());
  EXPECT_EQ(x.job_state(), v1::JOB_STATE_DELAYED);
  EXPECT_EQ(FromTimestamp(x.due_time()), kNoon + absl::Hours(1));
  EXPECT_THAT(x.detail(), HasSubstr("quiet hours"));
  Drain();
  EXPECT_TRUE(sender_.mails().empty());
  Advance(absl::Minutes(15));
  Drain();
  ASSERT_THAT(sender_.mails(), SizeIs(1));
  EXPECT_THAT(sender_.mails()[0].text, HasSubstr("Big news"));
}

TEST_F(ManagerTest, ContentEventFansOutOnceToConsentingInterestedRecipients) {
  for (const char* e : {"a", "b", "c", "d", "e", "f", "g"}) AddRecipient(e);
  consent_.Set(kTenant, "c", cv1::PURPOSE_EMAIL_TIPS, false);
  v1::Preferences prefs;
  prefs.add_topics(v1::TOPIC_BROADCASTS);
  SetPrefs("d", prefs);

  advocacy::content::v1::ItemPublished e;
  auto* item = e.mutable_item();
  item->set_tenant_id(kTenant);
  item->set_item_id("item-1");
  item->set_title("Our new plant");
  item->set_url("https://news.example.com/x");  // the article: the mail links to the app anyway
  auto* cap = item->add_captions();
  cap->set_network(cv1::NETWORK_LINKEDIN);
  cap->add_captions("Proud of this");
  kafka::Message m;
  m.topic = "advocacy.content.v1";
  m.key = kTenant;
  m.payload = e.SerializeAsString();
  m.headers = kafka::ToHeaders({.id = "event-1",
                                .source = "/advocacy/content",
                                .type = "advocacy.content.v1.ItemPublished",
                                .time = kafka::NowRfc3339()});
  ASSERT_TRUE(manager_->HandleContentEvent(m).ok());
  ASSERT_TRUE(manager_->HandleContentEvent(m).ok());  // a redelivery
  EXPECT_EQ(QueueDepth(), 5);
  Drain();
  std::set<std::string> to;
  for (const auto& mail : sender_.mails()) {
    to.insert(mail.to_address);
    EXPECT_THAT(mail.html, HasSubstr("https://app.example/content/item-1"));
    EXPECT_THAT(mail.html, ::testing::Not(HasSubstr("https://news.example.com/x")));
  }
  EXPECT_EQ(to,
            (std::set<std::string>{Email("a"), Email("b"), Email("e"), Email("f"), Email("g")}));
  EXPECT_THAT(sender_.mails(), SizeIs(5));
  const std::string job_c =
      JobId(kTenant, "c", SourceHash("event", "advocacy.content.v1\nevent-1"));
  EXPECT_EQ(Explain(job_c).skip_reason(), v1::SKIP_REASON_NO_CONSENT);

  // Undecodable body and a foreign type are poison; another content event type is a no-op.
  m.payload = "\xff\xff\xff";
  EXPECT_EQ(manager_->HandleContentEvent(m).code(), absl::StatusCode::kInvalidArgument);
  m.headers = kafka::ToHeaders(
      {.id = "event-2", .source = "/advocacy/content", .type = "advocacy.content.v1.ItemArchived"});
  EXPECT_TRUE(manager_->HandleContentEvent(m).ok());
  m.headers = kafka::ToHeaders({.id = "event-3", .source = "/x", .type = "something.Else"});
  EXPECT_EQ(manager_->HandleContentEvent(m).code(), absl::StatusCode::kInvalidArgument);
  m.headers.clear();
  EXPECT_EQ(manager_->HandleContentEvent(m).code(), absl::StatusCode::kInvalidArgument);
}

TEST_F(ManagerTest, CourseEventsUseCourseTipsAndTheirTopics) {
  AddRecipient("a");
  AddRecipient("b");
  v1::Preferences prefs;
  prefs.add_topics(v1::TOPIC_COURSES);
  SetPrefs("b", prefs);
  advocacy::courses::v1::BroadcastScheduled e;
  auto* b = e.mutable_broadcast();
  b->set_tenant_id(kTenant);
  b->set_broadcast_id("bc 1");
  b->mutable_details()->set_title("Live: sharing well");
  b->mutable_details()->set_join_url("https://meet.example/secret");
  kafka::Message m;
  m.topic = "advocacy.courses.v1";
  m.key = std::string(kTenant) + "/broadcast/bc 1";
  m.payload = e.SerializeAsString();
  m.headers = kafka::ToHeaders({.id = "bc-event",
                                .source = "/advocacy/courses",
                                .type = "advocacy.courses.v1.BroadcastScheduled"});
  ASSERT_TRUE(manager_->HandleCoursesEvent(m).ok());
  consent_.Set(kTenant, "a", cv1::PURPOSE_COURSE_TIPS, true);
  Drain();
  ASSERT_THAT(sender_.mails(), SizeIs(1));
  EXPECT_EQ(sender_.mails()[0].to_address, Email("a"));
  EXPECT_THAT(sender_.mails()[0].html, HasSubstr("https://app.example/broadcasts/bc%201"));
  EXPECT_THAT(sender_.mails()[0].html, ::testing::Not(HasSubstr("meet.example")));
}

// An item or course event under a key its producer never gives it (another tenant's, or none)
// is rejected before any job exists: nobody is mailed.
TEST_F(ManagerTest, EventsUnderAnotherKeyAreRejectedAndMailNobody) {
  AddRecipient("a");
  consent_.Set(kTenant, "a", cv1::PURPOSE_EMAIL_TIPS, true);
  consent_.Set(kTenant, "a", cv1::PURPOSE_COURSE_TIPS, true);
  advocacy::content::v1::ItemPublished item;
  item.mutable_item()->set_tenant_id(kTenant);
  item.mutable_item()->set_item_id("item-1");
  item.mutable_item()->set_title("Click here");
  kafka::Message m;
  m.topic = "advocacy.content.v1";
  m.key = "other-tenant";
  m.payload = item.SerializeAsString();
  m.headers = kafka::ToHeaders({.id = "forged-1",
                                .source = "/advocacy/content",
                                .type = "advocacy.content.v1.ItemPublished"});
  const absl::Status st = manager_->HandleContentEvent(m);
  EXPECT_EQ(event_trust::ReasonOf(st), event_trust::Reason::kKeyMismatch) << st;

  advocacy::courses::v1::CoursePublished course;
  course.set_tenant_id(kTenant);
  course.set_course_id("c1");
  course.set_title("A course");
  m.topic = "advocacy.courses.v1";
  m.payload = course.SerializeAsString();
  m.headers = kafka::ToHeaders({.id = "forged-2",
                                .source = "/advocacy/courses",
                                .type = "advocacy.courses.v1.CoursePublished"});
  for (const std::string& key : {std::string(kTenant), std::string(kTenant) + "/course/c2",
                                 std::string(kTenant) + "/broadcast/c1"}) {
    m.key = key;
    EXPECT_EQ(event_trust::ReasonOf(manager_->HandleCoursesEvent(m)),
              event_trust::Reason::kKeyMismatch)
        << key;
  }
  EXPECT_EQ(QueueDepth(), 0);
  m.key = std::string(kTenant) + "/course/c1";
  ASSERT_TRUE(manager_->HandleCoursesEvent(m).ok()) << "the key courses gives it";
  EXPECT_EQ(QueueDepth(), 1);
}

TEST_F(ManagerTest, ExplainIsForAdminsOfTheJobsTenantAndServices) {
  AddRecipient("e1");
  auto job = Trigger("e1", "k");
  ASSERT_TRUE(job.ok());
  v1::ExplainDeliveryRequest req;
  req.set_job_id(job->job_id());
  EXPECT_TRUE(manager_->ExplainDelivery(Service(), req).ok());
  EXPECT_EQ(manager_->ExplainDelivery(Admin("other"), req).status().code(),
            absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(manager_->ExplainDelivery(Employee("e1"), req).status().code(),
            absl::StatusCode::kPermissionDenied);
  req.set_job_id("garbage");
  EXPECT_EQ(manager_->ExplainDelivery(Admin(), req).status().code(),
            absl::StatusCode::kInvalidArgument);
  req.set_job_id(JobId(kTenant, "e1", SourceHash("trigger", "never")));
  EXPECT_EQ(manager_->ExplainDelivery(Admin(), req).status().code(), absl::StatusCode::kNotFound);
}

}  // namespace
}  // namespace advocacy::notifications
