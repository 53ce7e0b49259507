// The dispatcher against the real Redis store: the send path (headers, consent re-check right
// before the commit, ledger), caps, retries with backoff, dead letters and claims.

#include <future>
#include <thread>

#include "advocacy/common/outbox.h"
#include "advocacy/notifications/v1/notifications_events.pb.h"
#include "gmock/gmock.h"
#include "notifications_fixture.h"

namespace advocacy::notifications {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Pair;
using ::testing::SizeIs;
using ::testing::StartsWith;

class DispatcherTest : public NotificationsFixture {
 protected:
  // Exactly one pass: a retry due at once (full jitter may pick 0 ms) waits for the next step.
  void Step() {
    auto n = dispatcher_->RunOnce();
    ASSERT_TRUE(n.ok()) << n.status();
  }

  std::string TriggerOk(const std::string& employee, const std::string& key,
                        const v1::NotificationContent& content = Content()) {
    auto out = Trigger(employee, key, content);
    EXPECT_TRUE(out.ok()) << out.status();
    return out.ok() ? out->job_id() : "";
  }

  std::vector<kafka::Message> Outbox(const std::string& employee) {
    auto r =
        Redis({"LRANGE", outbox::OutboxKey(kServiceName, std::string(kTenant) + ":" + employee),
               "0", "-1"});
    std::vector<kafka::Message> out;
    if (!r.ok()) return out;
    for (const auto& e : r->elements) {
      auto m = outbox::Decode(e.str);
      if (m.ok()) out.push_back(*m);
    }
    return out;
  }
};

TEST_F(DispatcherTest, SendsOneMultipartMailWithOneClickUnsubscribeHeaders) {
  AddRecipient("e1", true, "nb-NO");
  const std::string job = TriggerOk("e1", "k");
  EXPECT_GT(wakeups_.load(), 0);  // due now: the dispatcher is woken, not polled
  Drain();
  ASSERT_THAT(sender_.mails(), SizeIs(1));
  const OutgoingMail m = sender_.mails()[0];
  EXPECT_EQ(m.from_address, "tips@advocacy.example");
  EXPECT_EQ(m.to_address, Email("e1"));
  EXPECT_EQ(m.to_name, "Name e1");
  EXPECT_THAT(m.subject, HasSubstr("Big news"));
  EXPECT_FALSE(m.text.empty());
  EXPECT_THAT(m.html, HasSubstr("https://example.com/news"));
  EXPECT_THAT(m.message_id, ::testing::EndsWith("@advocacy.example"));
  ASSERT_THAT(m.headers, SizeIs(2));
  EXPECT_EQ(m.headers[0].first, "List-Unsubscribe");
  EXPECT_THAT(m.headers[0].second, StartsWith("<https://advocacy.example/unsubscribe?token="));
  EXPECT_THAT(m.headers[1], Pair("List-Unsubscribe-Post", "List-Unsubscribe=One-Click"));

  // The token is scoped to the employee and the mail's purpose.
  std::string token = m.headers[0].second;
  token = token.substr(token.find("token=") + 6);
  token.pop_back();
  auto claims = signer_->Verify(token, Now());
  ASSERT_TRUE(claims.ok()) << claims.status();
  EXPECT_EQ(claims->tenant_id, kTenant);
  EXPECT_EQ(claims->employee_id, "e1");
  EXPECT_EQ(claims->purpose, cv1::PURPOSE_EMAIL_TIPS);

  const v1::Explanation x = Explain(job);
  EXPECT_EQ(x.job_state(), v1::JOB_STATE_SENT);
  EXPECT_EQ(x.delivery_state(), v1::DELIVERY_STATE_SENT);
  EXPECT_EQ(x.attempts(), 1);
  EXPECT_EQ(x.message_id(), m.message_id);
  EXPECT_TRUE(x.has_consent_check_time());
  EXPECT_THAT(x.detail(), StartsWith("sent:"));
  EXPECT_EQ(consent_.check_calls(), 1);
  EXPECT_EQ(QueueDepth(), 0);
  EXPECT_THAT(MetricsText(),
              HasSubstr("advocacy_notifications_sent_total{service=\"notifications\"} 1"));
}

TEST_F(DispatcherTest, WithdrawalDuringTheSendAbortsBeforeTheCommit) {
  AddRecipient("e1");
  const std::string job = TriggerOk("e1", "k");
  // The batch check still says yes; the withdrawal lands before the re-check at the commit.
  consent_.OnCheck([this] { consent_.Set(kTenant, "e1", cv1::PURPOSE_EMAIL_TIPS, false); });
  Drain();
  EXPECT_TRUE(sender_.mails().empty());
  EXPECT_EQ(sender_.aborted(), 1);
  const v1::Explanation x = Explain(job);
  EXPECT_EQ(x.job_state(), v1::JOB_STATE_SKIPPED);
  EXPECT_EQ(x.skip_reason(), v1::SKIP_REASON_NO_CONSENT);
  EXPECT_THAT(x.detail(), HasSubstr("before the relay committed"));
  EXPECT_EQ(QueueDepth(), 0);
}

// The withdrawal is only "applied" (and its receipt sent) once a send already past its consent
// re-check is over: accepted by the relay (recorded as sent: the truth) or not (cancelled, never
// retried or dead-lettered).
TEST_F(DispatcherTest, AWithdrawalWaitsForTheSendAlreadyPastItsReCheck) {
  for (const bool relay_takes_it : {true, false}) {
    SCOPED_TRACE(relay_takes_it ? "the relay takes the mail" : "the relay refuses the mail");
    const std::string employee = relay_takes_it ? "taken" : "refused";
    AddRecipient(employee);
    const std::string job = TriggerOk(employee, "k-" + employee);
    std::promise<void> committing;
    std::promise<void> release;
    std::shared_future<void> released = release.get_future().share();
    sender_.OnCommit([&, relay_takes_it]() -> absl::Status {
      committing.set_value();
      released.wait();
      return relay_takes_it ? absl::OkStatus() : absl::UnavailableError("421 closing");
    });
    std::thread send([&] { ASSERT_TRUE(dispatcher_->RunOnce().ok()); });
    ASSERT_EQ(committing.get_future().wait_for(std::chrono::seconds(10)),
              std::future_status::ready);
    auto cancel = std::async(std::launch::async, [&] {
      return manager_->CancelForWithdrawal(kTenant, employee, cv1::PURPOSE_EMAIL_TIPS);
    });
    EXPECT_EQ(cancel.wait_for(std::chrono::milliseconds(200)), std::future_status::timeout)
        << "the withdrawal did not wait for the send in flight";
    EXPECT_EQ(Explain(job).job_state(), v1::JOB_STATE_CANCELLED);
    release.set_value();
    const auto cancelled = cancel.get();
    ASSERT_TRUE(cancelled.ok()) << cancelled.status();
    EXPECT_EQ(*cancelled, 1);
    send.join();
    sender_.OnCommit(nullptr);
    const v1::Explanation x = Explain(job);
    EXPECT_EQ(x.job_state(), relay_takes_it ? v1::JOB_STATE_SENT : v1::JOB_STATE_CANCELLED);
    EXPECT_EQ(sender_.MailsTo(Email(employee)).size(), relay_takes_it ? 1u : 0u);
    EXPECT_EQ(QueueDepth(), 0);
    EXPECT_TRUE(Outbox(employee).empty());  // never dead-lettered
    Advance(absl::Minutes(10));
    Drain();  // and never retried
    EXPECT_EQ(sender_.MailsTo(Email(employee)).size(), relay_takes_it ? 1u : 0u);
  }
}

TEST_F(DispatcherTest, AWithdrawalDuringACrashedSendWaitsOnlyForItsClaim) {
  MakeDispatcher({.claim_lease = std::chrono::milliseconds(5000)});
  AddRecipient("e1");
  const std::string job = TriggerOk("e1", "k");
  auto claimed = store_->ClaimDue(ToMs(Now()), ToMs(Now()) + 300, 10);
  ASSERT_TRUE(claimed.ok() && claimed->size() == 1);
  BeginRequest begin;
  begin.ref = (*claimed)[0];
  begin.owner = "crashed/0";
  begin.now_ms = ToMs(Now());
  begin.claim_until_ms = ToMs(Now()) + 300;  // the crashed sender's claim
  ASSERT_EQ(store_->BeginSend(begin)->outcome, BeginOutcome::kGo);
  std::thread clock([this] {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    Advance(absl::Seconds(1));  // the claim runs out
  });
  const auto cancelled = manager_->CancelForWithdrawal(kTenant, "e1", cv1::PURPOSE_EMAIL_TIPS);
  clock.join();
  ASSERT_TRUE(cancelled.ok()) << cancelled.status();
  Drain();
  EXPECT_TRUE(sender_.mails().empty());
  EXPECT_EQ(Explain(job).job_state(), v1::JOB_STATE_CANCELLED);
  EXPECT_EQ(QueueDepth(), 0);
}

TEST_F(DispatcherTest, ConsentErrorsNeverSendAndTheMailWaits) {
  AddRecipient("e1");
  const std::string job = TriggerOk("e1", "k");
  consent_.FailBatch(absl::UnavailableError("consent down"));
  Drain();
  EXPECT_EQ(sender_.attempts(), 0);
  consent_.FailBatch(absl::OkStatus());
  consent_.FailCheck(absl::DeadlineExceededError("consent slow"));
  Advance(absl::Seconds(10));
  Drain();
  EXPECT_TRUE(sender_.mails().empty());
  EXPECT_EQ(sender_.aborted(), 1);
  v1::Explanation x = Explain(job);
  EXPECT_EQ(x.job_state(), v1::JOB_STATE_PENDING);
  EXPECT_EQ(x.attempts(), 0);  // consent outages are not relay attempts
  consent_.FailCheck(absl::OkStatus());
  Advance(absl::Seconds(10));
  Drain();
  EXPECT_THAT(sender_.mails(), SizeIs(1));
  EXPECT_EQ(Explain(job).job_state(), v1::JOB_STATE_SENT);
}

TEST_F(DispatcherTest, WeeklyCapSkipsTheMailOverTheCap) {
  AddRecipient("e1");
  v1::Preferences prefs;
  prefs.set_weekly_cap(2);
  SetPrefs("e1", prefs);
  const std::string a = TriggerOk("e1", "a");
  Drain();
  Advance(absl::Hours(24));
  const std::string b = TriggerOk("e1", "b");
  Drain();
  Advance(absl::Hours(24));
  const std::string c = TriggerOk("e1", "c");
  Drain();
  EXPECT_EQ(Explain(a).job_state(), v1::JOB_STATE_SENT);
  EXPECT_EQ(Explain(b).job_state(), v1::JOB_STATE_SENT);
  const v1::Explanation x = Explain(c);
  EXPECT_EQ(x.job_state(), v1::JOB_STATE_SKIPPED);
  EXPECT_EQ(x.skip_reason(), v1::SKIP_REASON_WEEKLY_CAP);
  // A week after the first mail there is room again.
  Advance(absl::Hours(24 * 5) + absl::Minutes(1));
  const std::string d = TriggerOk("e1", "d");
  Drain();
  EXPECT_EQ(Explain(d).job_state(), v1::JOB_STATE_SENT);
  EXPECT_THAT(sender_.mails(), SizeIs(3));
}

TEST_F(DispatcherTest, TopicsChosenAfterTheTriggerStillFilter) {
  AddRecipient("e1");
  v1::Preferences prefs;
  prefs.set_cadence(v1::DIGEST_CADENCE_DAILY);
  prefs.set_digest_hour(8);
  SetPrefs("e1", prefs);
  const std::string content = TriggerOk("e1", "a");
  prefs.add_topics(v1::TOPIC_COURSES);
  SetPrefs("e1", prefs);
  Advance(absl::Hours(20));
  Drain();
  EXPECT_TRUE(sender_.mails().empty());
  EXPECT_EQ(Explain(content).skip_reason(), v1::SKIP_REASON_TOPIC_FILTERED);
}

TEST_F(DispatcherTest, TransientFailuresRetryWithBackoffThenSucceed) {
  MakeDispatcher({.max_attempts = 4,
                  .retry_base = std::chrono::milliseconds(1000),
                  .retry_max = std::chrono::milliseconds(8000)});
  AddRecipient("e1");
  const std::string job = TriggerOk("e1", "k");
  sender_.Script(
      {absl::UnavailableError("connection refused"), absl::UnavailableError("451 try later")});
  Step();
  v1::Explanation x = Explain(job);
  EXPECT_EQ(x.delivery_state(), v1::DELIVERY_STATE_RETRYING);
  EXPECT_EQ(x.job_state(), v1::JOB_STATE_PENDING);
  EXPECT_EQ(x.attempts(), 1);
  EXPECT_THAT(x.detail(), HasSubstr("connection refused"));
  EXPECT_LE(FromTimestamp(x.due_time()), Now() + absl::Seconds(1));  // base * 2^0
  Advance(absl::Seconds(1));
  Step();
  x = Explain(job);
  EXPECT_EQ(x.attempts(), 2);
  EXPECT_LE(FromTimestamp(x.due_time()), Now() + absl::Seconds(2));  // base * 2^1
  Advance(absl::Seconds(2));
  Step();
  x = Explain(job);
  EXPECT_EQ(x.job_state(), v1::JOB_STATE_SENT);
  EXPECT_EQ(x.attempts(), 3);
  EXPECT_THAT(sender_.mails(), SizeIs(1));
  EXPECT_THAT(MetricsText(),
              HasSubstr("advocacy_notifications_retries_total{service=\"notifications\"} 2"));
}

TEST_F(DispatcherTest, BackoffIsExponentialWithFullJitter) {
  MakeDispatcher(
      {.retry_base = std::chrono::milliseconds(100), .retry_max = std::chrono::milliseconds(1000)});
  int64_t max_seen[6] = {};
  for (int i = 0; i < 500; ++i) {
    for (int a = 1; a <= 5; ++a) {
      const int64_t d = dispatcher_->Backoff(a).count();
      ASSERT_GE(d, 0);
      max_seen[a] = std::max(max_seen[a], d);
    }
  }
  EXPECT_LE(max_seen[1], 100);
  EXPECT_GT(max_seen[1], 80);
  EXPECT_LE(max_seen[3], 400);
  EXPECT_GT(max_seen[3], 300);
  EXPECT_LE(max_seen[5], 1000);
  EXPECT_GT(max_seen[5], 800);
}

TEST_F(DispatcherTest, TheLastTransientFailureDeadLettersTheMail) {
  MakeDispatcher({.max_attempts = 3,
                  .retry_base = std::chrono::milliseconds(100),
                  .retry_max = std::chrono::milliseconds(100)});
  AddRecipient("e1");
  const std::string job = TriggerOk("e1", "k");
  sender_.Script({absl::UnavailableError("refused"), absl::UnavailableError("refused"),
                  absl::UnavailableError("still refused")});
  for (int i = 0; i < 3; ++i) {
    Step();
    Advance(absl::Milliseconds(100));
  }
  const v1::Explanation x = Explain(job);
  EXPECT_EQ(x.job_state(), v1::JOB_STATE_FAILED);
  EXPECT_EQ(x.delivery_state(), v1::DELIVERY_STATE_FAILED);
  EXPECT_EQ(x.attempts(), 3);
  EXPECT_THAT(x.detail(), HasSubstr("still refused"));
  EXPECT_EQ(QueueDepth(), 0);
  EXPECT_THAT(dead_letters_.keys(), ElementsAre(outbox::OutboxKey(kServiceName, "acme:e1")));
  const auto outbox = Outbox("e1");
  ASSERT_THAT(outbox, SizeIs(1));
  EXPECT_EQ(outbox[0].topic, "advocacy.notifications.v1.dlq");
  EXPECT_EQ(outbox[0].key, "acme/e1");
  v1::DeliveryFailed event;
  ASSERT_TRUE(event.ParseFromString(outbox[0].payload));
  EXPECT_THAT(event.job_ids(), ElementsAre(job));
  EXPECT_EQ(event.attempts(), 3);
  EXPECT_FALSE(event.permanent());
  EXPECT_EQ(*outbox[0].FindHeader("ce_type"), "advocacy.notifications.v1.DeliveryFailed");
  EXPECT_THAT(MetricsText(),
              HasSubstr("advocacy_notifications_failed_total{service=\"notifications\"} 1"));
}

TEST_F(DispatcherTest, APermanentRefusalFailsAtOnce) {
  AddRecipient("e1");
  const std::string job = TriggerOk("e1", "k");
  sender_.Script({absl::FailedPreconditionError("550 5.1.1 no such mailbox")});
  Drain();
  const v1::Explanation x = Explain(job);
  EXPECT_EQ(x.job_state(), v1::JOB_STATE_FAILED);
  EXPECT_EQ(x.attempts(), 1);
  EXPECT_THAT(x.detail(), HasSubstr("550"));
  const auto outbox = Outbox("e1");
  ASSERT_THAT(outbox, SizeIs(1));
  v1::DeliveryFailed event;
  ASSERT_TRUE(event.ParseFromString(outbox[0].payload));
  EXPECT_TRUE(event.permanent());
}

TEST_F(DispatcherTest, TheLedgerPreventsASecondSendOfTheSameDigest) {
  AddRecipient("e1");
  const std::string job = TriggerOk("e1", "k");
  Drain();
  ASSERT_THAT(sender_.mails(), SizeIs(1));
  const v1::Explanation x = Explain(job);
  // A stale copy of the digest comes back (a replica restored from an old snapshot, a queue
  // entry that survived): the ledger still says the mail went.
  const std::string pre = RedisNotificationsStore::EmployeePrefix(kTenant, "e1");
  ASSERT_TRUE(Redis({"HSET", pre + "d:" + x.digest_id(), "st", "O"}).ok());
  ASSERT_TRUE(Redis({"ZADD", RedisNotificationsStore::kDueKey, "0",
                     std::string(kTenant) + "/e1/" + x.digest_id()})
                  .ok());
  Drain();
  EXPECT_THAT(sender_.mails(), SizeIs(1));
  EXPECT_EQ(Explain(job).job_state(), v1::JOB_STATE_SENT);
  EXPECT_EQ(QueueDepth(), 0);
}

TEST_F(DispatcherTest, ARedeliveredTriggerAfterTheSendDoesNotSendAgain) {
  AddRecipient("e1");
  TriggerOk("e1", "k");
  Drain();
  TriggerOk("e1", "k");
  Drain();
  EXPECT_THAT(sender_.mails(), SizeIs(1));
}

TEST_F(DispatcherTest, ACrashedWorkersClaimIsTakenOverAfterTheLease) {
  MakeDispatcher({.claim_lease = std::chrono::milliseconds(5000), .owner = "crashed"});
  AddRecipient("e1");
  const std::string job = TriggerOk("e1", "k");
  // The crashed worker claimed the entry and began the send, then died.
  auto claimed = store_->ClaimDue(ToMs(Now()), ToMs(Now()) + 5000, 10);
  ASSERT_TRUE(claimed.ok());
  ASSERT_THAT(*claimed, SizeIs(1));
  BeginRequest begin;
  begin.ref = (*claimed)[0];
  begin.owner = "crashed/0";
  begin.now_ms = ToMs(Now());
  begin.claim_until_ms = ToMs(Now()) + 5000;
  auto begun = store_->BeginSend(begin);
  ASSERT_TRUE(begun.ok());
  ASSERT_EQ(begun->outcome, BeginOutcome::kGo);

  MakeDispatcher({.claim_lease = std::chrono::milliseconds(5000), .owner = "survivor"});
  Drain();
  EXPECT_TRUE(sender_.mails().empty());  // the claim still stands
  Advance(absl::Seconds(4));
  Drain();
  EXPECT_TRUE(sender_.mails().empty());
  Advance(absl::Seconds(2));
  Drain();
  EXPECT_THAT(sender_.mails(), SizeIs(1));
  EXPECT_EQ(Explain(job).job_state(), v1::JOB_STATE_SENT);
}

TEST_F(DispatcherTest, AFailedLedgerWriteMeansTheSameMailAgainNeverADifferentOne) {
  MakeDispatcher({.claim_lease = std::chrono::milliseconds(5000)});
  AddRecipient("e1");
  const std::string job = TriggerOk("e1", "k");
  // The relay accepts, then the process dies before the ledger write: simulated by putting
  // the digest back to "sending" under a dead owner after the send.
  Drain();
  ASSERT_THAT(sender_.mails(), SizeIs(1));
  const v1::Explanation x = Explain(job);
  const std::string pre = RedisNotificationsStore::EmployeePrefix(kTenant, "e1");
  ASSERT_TRUE(Redis({"DEL", pre + "l:" + x.digest_id() + ":1:email"}).ok());
  ASSERT_TRUE(Redis({"HSET", pre + "d:" + x.digest_id(), "st", "W", "own", "dead/0", "until",
                     std::to_string(ToMs(Now()) + 5000)})
                  .ok());
  ASSERT_TRUE(Redis({"HSET", pre + "j:" + job.substr(job.rfind('/') + 1), "s",
                     "1|0|0|1|" + x.digest_id() + "|"})
                  .ok());
  ASSERT_TRUE(Redis({"ZADD", RedisNotificationsStore::kDueKey, std::to_string(ToMs(Now()) + 5000),
                     std::string(kTenant) + "/e1/" + x.digest_id()})
                  .ok());
  Advance(absl::Seconds(6));
  Drain();
  ASSERT_THAT(sender_.mails(), SizeIs(2));
  EXPECT_EQ(sender_.mails()[0].message_id, sender_.mails()[1].message_id);
}

TEST_F(DispatcherTest, UnknownRecipientsAreSkipped) {
  AddRecipient("e1");
  const std::string job = TriggerOk("e1", "k");
  ASSERT_TRUE(Redis({"DEL", RedisNotificationsStore::EmployeePrefix(kTenant, "e1") + "r"}).ok());
  Drain();
  EXPECT_TRUE(sender_.mails().empty());
  EXPECT_EQ(Explain(job).skip_reason(), v1::SKIP_REASON_UNKNOWN_RECIPIENT);
}

TEST_F(DispatcherTest, WorkersDrainTheQueueConcurrentlyWithoutDuplicates) {
  MakeDispatcher({.workers = 4, .batch = 5, .poll_interval = std::chrono::milliseconds(20)});
  constexpr int kEmployees = 60;
  for (int i = 0; i < kEmployees; ++i) AddRecipient("e" + std::to_string(i));
  v1::BulkTriggerRequest bulk;
  bulk.set_tenant_id(kTenant);
  for (int i = 0; i < kEmployees; ++i) bulk.add_employee_ids("e" + std::to_string(i));
  *bulk.mutable_content() = Content();
  bulk.set_idempotency_key("bulk");
  ASSERT_TRUE(manager_->BulkTrigger(Service(), bulk).ok());
  dispatcher_->Start();
  const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (sender_.mails().size() < kEmployees && std::chrono::steady_clock::now() < until) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  dispatcher_->Stop();
  ASSERT_THAT(sender_.mails(), SizeIs(kEmployees));
  std::set<std::string> to;
  for (const auto& m : sender_.mails()) to.insert(m.to_address);
  EXPECT_THAT(to, SizeIs(kEmployees));
  EXPECT_EQ(QueueDepth(), 0);
}

}  // namespace
}  // namespace advocacy::notifications
