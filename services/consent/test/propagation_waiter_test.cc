// WithdrawConsent's wait for the consuming services, on a real redis-server: ConsentManager
// commits the withdrawal, PropagationWaiter polls Redis until every expected service's receipt
// covers it. Receipts are recorded through a second pool, store and manager, as another consent
// replica would record them.

#include "propagation_waiter.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <future>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "consent_config.h"
#include "consent_manager.h"
#include "gmock/gmock.h"
#include "in_memory_consent_store.h"
#include "prometheus/registry.h"
#include "prometheus/text_serializer.h"
#include "propagation_manager.h"
#include "propagation_metrics.h"
#include "redis_consent_store.h"
#include "redis_propagation_store.h"
#include "testing/redis_server.h"

namespace advocacy::consent {
namespace {

using std::chrono::milliseconds;
using std::chrono::steady_clock;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr char kTenant[] = "acme";

auth::Principal Employee(const std::string& id) {
  return {.tenant_id = kTenant, .subject = id, .role = auth::Role::kEmployee};
}
auth::Principal Admin() {
  return {.tenant_id = kTenant, .subject = "hr-1", .role = auth::Role::kAdmin};
}

v1::ConsentScope Share(v1::Network n) {
  v1::ConsentScope s;
  s.set_purpose(v1::PURPOSE_SHARE_CONTENT);
  s.set_network(n);
  return s;
}

int64_t Ms(const google::protobuf::Duration& d) { return d.seconds() * 1000 + d.nanos() / 1000000; }

int64_t NowMs() {
  return std::chrono::duration_cast<milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// Polls `cond` every millisecond for up to 5 s.
bool Eventually(const std::function<bool()>& cond) {
  const auto end = steady_clock::now() + std::chrono::seconds(5);
  while (steady_clock::now() < end) {
    if (cond()) return true;
    std::this_thread::sleep_for(milliseconds(1));
  }
  return cond();
}

// One consent replica's propagation side, on its own Redis connections.
struct Replica {
  Replica(int port, const PropagationTracking& tracking, PropagationMetrics* metrics) {
    redis::Options o;
    o.port = port;
    pool = std::make_unique<redis::Pool>(o, 4);
    consent = std::make_unique<RedisConsentStore>(pool.get(), tracking);
    store = std::make_unique<RedisPropagationStore>(pool.get(), tracking);
    propagation = std::make_unique<PropagationManager>(consent.get(), store.get(), metrics,
                                                       tracking.services);
  }
  std::unique_ptr<redis::Pool> pool;
  std::unique_ptr<RedisConsentStore> consent;
  std::unique_ptr<RedisPropagationStore> store;
  std::unique_ptr<PropagationManager> propagation;
};

class PropagationWaiterTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    server_ = new advocacy::testing::RedisServer();
    ASSERT_TRUE(server_->Start().ok());
  }
  static void TearDownTestSuite() {
    delete server_;
    server_ = nullptr;
  }
  void SetUp() override { Build({.services = {"content", "notifications"}}, {}); }

  void Build(PropagationTracking tracking, WaitOptions options) {
    waiter_.reset();
    manager_.reset();
    other_.reset();
    here_.reset();
    metrics_.reset();
    registry_ = std::make_unique<prometheus::Registry>();
    metrics_ = std::make_unique<PropagationMetrics>(*registry_, tracking.services);
    here_ = std::make_unique<Replica>(server_->port(), tracking, metrics_.get());
    other_ = std::make_unique<Replica>(server_->port(), tracking, nullptr);
    manager_ = std::make_unique<ConsentManager>(here_->consent.get(), &notifier_, ManagerOptions{});
    waiter_ =
        std::make_unique<PropagationWaiter>(here_->propagation.get(), options, metrics_.get());
    auto c = here_->pool->Acquire();
    ASSERT_TRUE(c.ok());
    ASSERT_TRUE((*c)->Command({"FLUSHALL"}).ok());
    v1::PublishNoticeRequest n;
    n.set_tenant_id(kTenant);
    n.set_version("v1");
    n.set_url("https://acme.example/v1");
    ASSERT_TRUE(manager_->PublishNotice(Admin(), n).ok());
  }

  int64_t Give(const std::string& e) {
    v1::GiveConsentRequest req;
    req.set_tenant_id(kTenant);
    req.set_employee_id(e);
    *req.add_scopes() = Share(v1::NETWORK_LINKEDIN);
    req.set_notice_version("v1");
    auto r = manager_->Give(Employee(e), req);
    EXPECT_TRUE(r.ok()) << r.status();
    return r.ok() ? r->sequence() : 0;
  }
  // The withdrawal as ConsentManager answers it, before the waiter completes it.
  v1::WithdrawConsentResponse Withdraw(const std::string& e) {
    v1::WithdrawConsentRequest req;
    req.set_tenant_id(kTenant);
    req.set_employee_id(e);
    *req.add_scopes() = Share(v1::NETWORK_LINKEDIN);
    auto r = manager_->Withdraw(Employee(e), req);
    EXPECT_TRUE(r.ok()) << r.status();
    return r.ok() ? *r : v1::WithdrawConsentResponse();
  }
  // A receipt recorded by the other replica, as its receipts consumer would.
  void Applied(const std::string& e, const std::string& service, int64_t sequence) {
    v1::ConsentApplied r;
    r.set_tenant_id(kTenant);
    r.set_employee_id(e);
    r.set_service(service);
    r.set_sequence(sequence);
    const int64_t now = NowMs();
    r.mutable_applied_time()->set_seconds(now / 1000);
    r.mutable_applied_time()->set_nanos(static_cast<int32_t>(now % 1000) * 1000000);
    ASSERT_TRUE(other_->propagation->ApplyReceipt(r).ok());
  }
  std::string Metrics() { return prometheus::TextSerializer().Serialize(registry_->Collect()); }

  static advocacy::testing::RedisServer* server_;
  testing::RecordingNotifier notifier_;
  std::unique_ptr<prometheus::Registry> registry_;
  std::unique_ptr<PropagationMetrics> metrics_;
  std::unique_ptr<Replica> here_;
  std::unique_ptr<Replica> other_;
  std::unique_ptr<ConsentManager> manager_;
  std::unique_ptr<PropagationWaiter> waiter_;
};
advocacy::testing::RedisServer* PropagationWaiterTest::server_ = nullptr;

TEST_F(PropagationWaiterTest, AnswersOnceEveryServiceAppliedEvenWhenAnotherReplicaRecordsIt) {
  Give("e1");
  v1::WithdrawConsentResponse resp = Withdraw("e1");
  ASSERT_FALSE(resp.unchanged());
  const int64_t seq = resp.sequence();

  std::atomic<bool> still_waiting_after_content{false};
  std::thread receipts([&] {
    ASSERT_TRUE(Eventually([&] { return waiter_->waiting() == 1; }));
    Applied("e1", "content", seq);
    // One service is not enough: the waiter must still be waiting a while later.
    std::this_thread::sleep_for(milliseconds(60));
    still_waiting_after_content = waiter_->waiting() == 1;
    Applied("e1", "notifications", seq);
  });
  const auto start = steady_clock::now();
  const WaitOutcome outcome = waiter_->Complete(kTenant, "e1", &resp);
  const auto took = steady_clock::now() - start;
  receipts.join();

  EXPECT_EQ(outcome, WaitOutcome::kPropagated);
  EXPECT_TRUE(still_waiting_after_content);
  EXPECT_TRUE(resp.fully_propagated());
  EXPECT_GE(took, milliseconds(60));
  EXPECT_LT(took, milliseconds(2000)) << "it answers at the receipt, not at the 3 s bound";
  EXPECT_GE(Ms(resp.propagation_wait()), 60);
  ASSERT_EQ(resp.service_propagations_size(), 2);
  EXPECT_EQ(resp.service_propagations(0).service(), "content");
  EXPECT_EQ(resp.service_propagations(1).service(), "notifications");
  for (const auto& s : resp.service_propagations()) {
    EXPECT_TRUE(s.applied()) << s.service();
    EXPECT_EQ(s.applied_sequence(), seq);
  }
  EXPECT_EQ(waiter_->waiting(), 0);
  const std::string text = Metrics();
  EXPECT_THAT(
      text, HasSubstr("advocacy_consent_withdrawal_wait_seconds_count{outcome=\"propagated\"} 1"));
  EXPECT_THAT(text, HasSubstr("advocacy_consent_withdrawals_waiting 0"));
}

TEST_F(PropagationWaiterTest, BoundExpiresNamingTheServiceThatHasNotApplied) {
  Build({.services = {"content", "notifications"}}, {.max_wait = milliseconds(200)});
  Give("e1");
  v1::WithdrawConsentResponse resp = Withdraw("e1");
  Applied("e1", "content", resp.sequence());

  const auto start = steady_clock::now();
  EXPECT_EQ(waiter_->Complete(kTenant, "e1", &resp), WaitOutcome::kTimedOut);
  const auto took = steady_clock::now() - start;
  EXPECT_GE(took, milliseconds(200));
  EXPECT_LT(took, milliseconds(1200));
  EXPECT_FALSE(resp.fully_propagated());
  ASSERT_EQ(resp.service_propagations_size(), 2);
  EXPECT_TRUE(resp.service_propagations(0).applied());
  EXPECT_EQ(resp.service_propagations(1).service(), "notifications");
  EXPECT_FALSE(resp.service_propagations(1).applied());
  EXPECT_GE(Ms(resp.service_propagations(1).lag()), 150) << "how long it has been waiting";
  EXPECT_GE(Ms(resp.propagation_wait()), 200);
  const std::string text = Metrics();
  EXPECT_THAT(
      text,
      HasSubstr("advocacy_consent_withdrawal_wait_timeouts_total{service=\"notifications\"} 1"));
  EXPECT_THAT(text,
              HasSubstr("advocacy_consent_withdrawal_wait_timeouts_total{service=\"content\"} 0"));
  EXPECT_THAT(text,
              HasSubstr("advocacy_consent_withdrawal_wait_seconds_count{outcome=\"timed_out\"} 1"));
}

TEST_F(PropagationWaiterTest, RepeatedWithdrawalAnswersAtOnceWithTheLatestChange) {
  Build({.services = {"content", "notifications"}}, {.max_wait = milliseconds(5000)});
  Give("e1");
  const int64_t withdrawn = Withdraw("e1").sequence();

  // Not applied yet: the repeat does not wait for it.
  v1::WithdrawConsentResponse again = Withdraw("e1");
  ASSERT_TRUE(again.unchanged());
  ASSERT_EQ(again.sequence(), withdrawn);
  auto start = steady_clock::now();
  EXPECT_EQ(waiter_->Complete(kTenant, "e1", &again), WaitOutcome::kNoWait);
  EXPECT_LT(steady_clock::now() - start, milliseconds(500));
  EXPECT_FALSE(again.fully_propagated());
  ASSERT_EQ(again.service_propagations_size(), 2);
  EXPECT_FALSE(again.service_propagations(0).applied());

  // Applied everywhere: the repeat says so, still without waiting.
  Applied("e1", "content", withdrawn);
  Applied("e1", "notifications", withdrawn);
  again = Withdraw("e1");
  start = steady_clock::now();
  EXPECT_EQ(waiter_->Complete(kTenant, "e1", &again), WaitOutcome::kNoWait);
  EXPECT_LT(steady_clock::now() - start, milliseconds(500));
  EXPECT_TRUE(again.fully_propagated());
  EXPECT_EQ(again.service_propagations(1).applied_sequence(), withdrawn);

  // An employee who never changed anything: nothing was ever given, nothing can act.
  v1::WithdrawConsentResponse never = Withdraw("e2");
  ASSERT_EQ(never.sequence(), 0);
  EXPECT_EQ(waiter_->Complete(kTenant, "e2", &never), WaitOutcome::kNoWait);
  EXPECT_TRUE(never.fully_propagated());
  EXPECT_EQ(never.service_propagations_size(), 0);
}

TEST_F(PropagationWaiterTest, ZeroBoundReportsWhereTheChangeStandsWithoutWaiting) {
  Build({.services = {"content"}}, {.max_wait = milliseconds(0)});
  Give("e1");
  v1::WithdrawConsentResponse resp = Withdraw("e1");
  const auto start = steady_clock::now();
  EXPECT_EQ(waiter_->Complete(kTenant, "e1", &resp), WaitOutcome::kNoWait);
  EXPECT_LT(steady_clock::now() - start, milliseconds(500));
  EXPECT_FALSE(resp.fully_propagated());
  ASSERT_EQ(resp.service_propagations_size(), 1);
  EXPECT_FALSE(resp.service_propagations(0).applied());
  EXPECT_THAT(Metrics(),
              HasSubstr("advocacy_consent_withdrawal_wait_seconds_count{outcome=\"no_wait\"} 1"));
}

TEST_F(PropagationWaiterTest, NothingToWaitForWithoutExpectedServices) {
  Build({}, {.max_wait = milliseconds(5000)});
  Give("e1");
  v1::WithdrawConsentResponse resp = Withdraw("e1");
  const auto start = steady_clock::now();
  EXPECT_EQ(waiter_->Complete(kTenant, "e1", &resp), WaitOutcome::kNoWait);
  EXPECT_LT(steady_clock::now() - start, milliseconds(500));
  EXPECT_FALSE(resp.fully_propagated()) << "no service is expected to prove anything";
  EXPECT_EQ(resp.service_propagations_size(), 0);
}

TEST_F(PropagationWaiterTest, BeyondTheWaitingBoundAWithdrawalAnswersAtOnce) {
  Build({.services = {"content"}}, {.max_wait = milliseconds(10000), .max_waiting = 1});
  Give("e1");
  Give("e2");
  v1::WithdrawConsentResponse first = Withdraw("e1");
  v1::WithdrawConsentResponse second = Withdraw("e2");

  auto waiting =
      std::async(std::launch::async, [&] { return waiter_->Complete(kTenant, "e1", &first); });
  ASSERT_TRUE(Eventually([&] { return waiter_->waiting() == 1; }));
  const auto start = steady_clock::now();
  EXPECT_EQ(waiter_->Complete(kTenant, "e2", &second), WaitOutcome::kBusy);
  EXPECT_LT(steady_clock::now() - start, milliseconds(500));
  EXPECT_FALSE(second.fully_propagated());
  ASSERT_EQ(second.service_propagations_size(), 1);
  EXPECT_FALSE(second.service_propagations(0).applied());
  EXPECT_THAT(Metrics(), HasSubstr("advocacy_consent_withdrawals_waiting 1"));

  Applied("e1", "content", first.sequence());
  EXPECT_EQ(waiting.get(), WaitOutcome::kPropagated);
  EXPECT_TRUE(first.fully_propagated());
  EXPECT_EQ(waiter_->waiting(), 0);
  const std::string text = Metrics();
  EXPECT_THAT(text,
              HasSubstr("advocacy_consent_withdrawal_wait_seconds_count{outcome=\"busy\"} 1"));
  EXPECT_THAT(text, HasSubstr("advocacy_consent_withdrawals_waiting 0"));
}

TEST_F(PropagationWaiterTest, CancelledCallStopsWaiting) {
  Build({.services = {"content"}}, {.max_wait = milliseconds(10000)});
  Give("e1");
  v1::WithdrawConsentResponse resp = Withdraw("e1");
  std::atomic<bool> cancelled{false};
  auto waiting = std::async(std::launch::async, [&] {
    return waiter_->Complete(kTenant, "e1", &resp, PropagationWaiter::Deadline::max(),
                             [&] { return cancelled.load(); });
  });
  ASSERT_TRUE(Eventually([&] { return waiter_->waiting() == 1; }));
  const auto start = steady_clock::now();
  cancelled = true;
  EXPECT_EQ(waiting.get(), WaitOutcome::kCancelled);
  EXPECT_LT(steady_clock::now() - start, milliseconds(500));
  EXPECT_FALSE(resp.fully_propagated());
  EXPECT_EQ(waiter_->waiting(), 0);
}

TEST_F(PropagationWaiterTest, CallDeadlineShortensTheWait) {
  Build({.services = {"content"}},
        {.max_wait = milliseconds(10000), .reply_margin = milliseconds(100)});
  Give("e1");
  v1::WithdrawConsentResponse resp = Withdraw("e1");
  const auto start = steady_clock::now();
  EXPECT_EQ(waiter_->Complete(kTenant, "e1", &resp, start + milliseconds(400)),
            WaitOutcome::kTimedOut);
  const auto took = steady_clock::now() - start;
  EXPECT_GE(took, milliseconds(300)) << "until the deadline minus the reply margin";
  EXPECT_LT(took, milliseconds(400)) << "the answer must leave before the caller gives up";
  EXPECT_FALSE(resp.fully_propagated());
}

TEST_F(PropagationWaiterTest, UnreachableRedisNeverFailsACommittedWithdrawal) {
  // A port nobody listens on: every read fails at once.
  const PropagationTracking tracking = {.services = {"content"}};
  redis::Options o;
  o.port = 1;
  redis::Pool dead(o, 2);
  RedisConsentStore consent(&dead, tracking);
  RedisPropagationStore store(&dead, tracking);
  PropagationManager propagation(&consent, &store, nullptr, tracking.services);
  PropagationWaiter waiter(&propagation, {.max_wait = milliseconds(150)}, metrics_.get());
  v1::WithdrawConsentResponse resp;
  resp.set_sequence(4);
  const auto start = steady_clock::now();
  EXPECT_EQ(waiter.Complete(kTenant, "e1", &resp), WaitOutcome::kFailed);
  EXPECT_LT(steady_clock::now() - start, milliseconds(2000));
  EXPECT_EQ(resp.sequence(), 4) << "what the commit returned is kept";
  EXPECT_FALSE(resp.fully_propagated());
  EXPECT_EQ(resp.service_propagations_size(), 0) << "nothing known, nothing claimed";
}

TEST(ConsentConfigTest, AcknowledgementWaitSettings) {
  const std::vector<std::pair<std::string, std::string>> base = {
      {"ADVOCACY_REDIS_URL", "redis://127.0.0.1:6379"},
      {"ADVOCACY_KAFKA_BROKERS", "127.0.0.1:9092"},
      {"ADVOCACY_JWT_ISSUER", "it"}};
  {
    config::EnvReader env(base);
    const ConsentConfig c = ReadConsentConfig(env);
    EXPECT_EQ(c.ack_wait, milliseconds(3000));
    EXPECT_EQ(c.ack_max_waiting, 32) << "a quarter of the 128 default threads";
  }
  {
    auto values = base;
    values.push_back({"CONSENT_ACK_WAIT_MS", "0"});
    values.push_back({"ADVOCACY_GRPC_MAX_THREADS", "16"});
    config::EnvReader env(values);
    const ConsentConfig c = ReadConsentConfig(env);
    EXPECT_EQ(c.ack_wait, milliseconds(0));
    EXPECT_EQ(c.ack_max_waiting, 4);
  }
  {
    auto values = base;
    values.push_back({"CONSENT_ACK_WAIT_MS", "60001"});
    values.push_back({"CONSENT_ACK_MAX_WAITING", "65"});
    config::EnvReader env(values);
    ReadConsentConfig(env);
    const std::string errors(env.Finish().message());
    EXPECT_THAT(errors, HasSubstr("CONSENT_ACK_WAIT_MS"));
    EXPECT_THAT(errors, HasSubstr("CONSENT_ACK_MAX_WAITING=65 must be at most half of "
                                  "ADVOCACY_GRPC_MAX_THREADS (128)"));
  }
}

TEST(ConsentConfigTest, EveryExpectedServiceMustBeATrustedProducerOfReceipts) {
  const std::vector<std::pair<std::string, std::string>> base = {
      {"ADVOCACY_REDIS_URL", "redis://127.0.0.1:6379"},
      {"ADVOCACY_KAFKA_BROKERS", "127.0.0.1:9092"},
      {"ADVOCACY_JWT_ISSUER", "it"}};
  {
    auto values = base;
    values.push_back({"CONSENT_PROPAGATION_SERVICES", "content,courses"});
    config::EnvReader env(values);
    ReadConsentConfig(env);
    EXPECT_THAT(std::string(env.Finish().message()),
                HasSubstr("CONSENT_PROPAGATION_SERVICES names 'courses', but /advocacy/courses "
                          "may not produce advocacy.consent.receipts.v1"));
  }
  {
    auto values = base;
    values.push_back({"CONSENT_PROPAGATION_SERVICES", "content,courses"});
    values.push_back({"ADVOCACY_EVENT_SOURCES",
                      "advocacy.consent.receipts.v1=/advocacy/content|/advocacy/courses"});
    config::EnvReader env(values);
    const ConsentConfig c = ReadConsentConfig(env);
    EXPECT_THAT(std::string(env.Finish().message()), Not(HasSubstr("CONSENT_PROPAGATION")));
    EXPECT_EQ(c.propagation_services, (std::vector<std::string>{"content", "courses"}));
  }
}

}  // namespace
}  // namespace advocacy::consent
