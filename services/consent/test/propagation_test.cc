// Propagation receipts on a real redis-server: ConsentManager commits changes (recorded as
// pending by the commit script), PropagationManager records receipts, answers
// GetPropagationStatus and computes the oldest-unapplied gauge.

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "advocacy/common/event_trust.h"
#include "advocacy/common/kafka.h"
#include "consent_keys.h"
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

using ::testing::HasSubstr;

constexpr char kTenant[] = "acme";
constexpr int64_t kStart = 1767225600000;  // 2026-01-01T00:00:00Z

auth::Principal Employee(const std::string& id, const std::string& tenant = kTenant) {
  return {.tenant_id = tenant, .subject = id, .role = auth::Role::kEmployee};
}
auth::Principal Admin(const std::string& tenant = kTenant) {
  return {.tenant_id = tenant, .subject = "hr-1", .role = auth::Role::kAdmin};
}
auth::Principal Service(const std::string& tenant = kTenant) {
  return {.tenant_id = tenant, .subject = "notifications", .role = auth::Role::kService};
}

v1::ConsentScope Share(v1::Network n) {
  v1::ConsentScope s;
  s.set_purpose(v1::PURPOSE_SHARE_CONTENT);
  s.set_network(n);
  return s;
}

int64_t Ms(const google::protobuf::Duration& d) { return d.seconds() * 1000 + d.nanos() / 1000000; }
int64_t Ms(const google::protobuf::Timestamp& t) {
  return t.seconds() * 1000 + t.nanos() / 1000000;
}

class PropagationTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    server_ = new advocacy::testing::RedisServer();
    ASSERT_TRUE(server_->Start().ok());
  }
  static void TearDownTestSuite() {
    delete server_;
    server_ = nullptr;
  }
  void SetUp() override {
    redis::Options o;
    o.port = server_->port();
    pool_ = std::make_unique<redis::Pool>(o, 4);
    ASSERT_EQ(Raw({"FLUSHALL"}).str, "OK");
    Build({.services = {"content", "notifications"}});
  }
  void Build(PropagationTracking tracking) {
    propagation_.reset();
    metrics_.reset();
    manager_.reset();
    registry_ = std::make_unique<prometheus::Registry>();
    store_ = std::make_unique<RedisConsentStore>(pool_.get(), tracking);
    propagation_store_ = std::make_unique<RedisPropagationStore>(pool_.get(), tracking);
    manager_ = std::make_unique<ConsentManager>(store_.get(), &notifier_, ManagerOptions{},
                                                [this] { return now_; });
    metrics_ = std::make_unique<PropagationMetrics>(*registry_, tracking.services);
    propagation_ =
        std::make_unique<PropagationManager>(store_.get(), propagation_store_.get(), metrics_.get(),
                                             tracking.services, [this] { return now_; });
    v1::PublishNoticeRequest n;
    n.set_tenant_id(kTenant);
    n.set_version("v1");
    n.set_url("https://acme.example/v1");
    ASSERT_TRUE(manager_->PublishNotice(Admin(), n).ok());
  }
  redis::Reply Raw(const std::vector<std::string>& cmd) {
    auto c = pool_->Acquire();
    EXPECT_TRUE(c.ok());
    auto r = (*c)->Command(cmd);
    EXPECT_TRUE(r.ok()) << r.status();
    return r.ok() ? *r : redis::Reply();
  }

  int64_t Give(const std::string& e, std::vector<v1::ConsentScope> scopes) {
    v1::GiveConsentRequest req;
    req.set_tenant_id(kTenant);
    req.set_employee_id(e);
    for (auto& s : scopes) *req.add_scopes() = s;
    req.set_notice_version("v1");
    auto r = manager_->Give(Employee(e), req);
    EXPECT_TRUE(r.ok()) << r.status();
    return r.ok() ? r->sequence() : 0;
  }
  int64_t Withdraw(const std::string& e, std::vector<v1::ConsentScope> scopes) {
    v1::WithdrawConsentRequest req;
    req.set_tenant_id(kTenant);
    req.set_employee_id(e);
    for (auto& s : scopes) *req.add_scopes() = s;
    auto r = manager_->Withdraw(Employee(e), req);
    EXPECT_TRUE(r.ok()) << r.status();
    return r.ok() ? r->sequence() : 0;
  }
  v1::ConsentApplied Receipt(const std::string& e, const std::string& service, int64_t sequence,
                             int64_t event_ms, int64_t applied_ms) {
    v1::ConsentApplied r;
    r.set_tenant_id(kTenant);
    r.set_employee_id(e);
    r.set_service(service);
    r.set_sequence(sequence);
    r.mutable_event_time()->set_seconds(event_ms / 1000);
    r.mutable_event_time()->set_nanos(static_cast<int32_t>(event_ms % 1000) * 1000000);
    r.mutable_applied_time()->set_seconds(applied_ms / 1000);
    r.mutable_applied_time()->set_nanos(static_cast<int32_t>(applied_ms % 1000) * 1000000);
    r.set_state(v1::CONSENT_STATE_WITHDRAWN);
    return r;
  }
  kafka::Message ReceiptMessage(const v1::ConsentApplied& r) {
    kafka::Message m;
    m.topic = "advocacy.consent.receipts.v1";
    m.key = r.tenant_id() + "/" + r.employee_id();
    m.payload = r.SerializeAsString();
    m.headers = kafka::ToHeaders({.id = kafka::NewEventId(),
                                  .source = "/advocacy/" + r.service(),
                                  .type = "advocacy.consent.v1.ConsentApplied",
                                  .time = kafka::NowRfc3339()});
    return m;
  }
  v1::GetPropagationStatusResponse Status(const std::string& e, int64_t sequence) {
    v1::GetPropagationStatusRequest req;
    req.set_tenant_id(kTenant);
    req.set_employee_id(e);
    req.set_sequence(sequence);
    auto r = propagation_->GetStatus(Admin(), req);
    EXPECT_TRUE(r.ok()) << r.status();
    return r.ok() ? *r : v1::GetPropagationStatusResponse();
  }
  std::map<std::string, int64_t> Ages() {
    auto ages = propagation_->RefreshOldestUnapplied();
    EXPECT_TRUE(ages.ok()) << ages.status();
    return ages.ok() ? *ages : std::map<std::string, int64_t>();
  }
  std::string Metrics() { return prometheus::TextSerializer().Serialize(registry_->Collect()); }

  static advocacy::testing::RedisServer* server_;
  std::unique_ptr<redis::Pool> pool_;
  testing::RecordingNotifier notifier_;
  int64_t now_ = kStart;
  std::unique_ptr<prometheus::Registry> registry_;
  std::unique_ptr<RedisConsentStore> store_;
  std::unique_ptr<RedisPropagationStore> propagation_store_;
  std::unique_ptr<ConsentManager> manager_;
  std::unique_ptr<PropagationMetrics> metrics_;
  std::unique_ptr<PropagationManager> propagation_;
};
advocacy::testing::RedisServer* PropagationTest::server_ = nullptr;

TEST_F(PropagationTest, ChangeWaitsUntilEveryExpectedServiceApplied) {
  const int64_t given = Give("e1", {Share(v1::NETWORK_LINKEDIN)});
  now_ += 1000;
  const int64_t withdrawn = Withdraw("e1", {Share(v1::NETWORK_LINKEDIN)});
  ASSERT_EQ(withdrawn, given + 1);
  now_ += 4000;
  EXPECT_EQ(Ages()["content"], 5000) << "the oldest unapplied change is the give at kStart";
  EXPECT_EQ(Ages()["notifications"], 5000);

  // content applies the withdrawal; its receipt covers the earlier give too.
  ASSERT_TRUE(
      propagation_->ApplyReceipt(Receipt("e1", "content", withdrawn, kStart + 1000, kStart + 1040))
          .ok());
  auto ages = Ages();
  EXPECT_EQ(ages["content"], 0);
  EXPECT_EQ(ages["notifications"], 5000);

  auto status = Status("e1", given);
  EXPECT_EQ(status.sequence(), given);
  EXPECT_EQ(status.state(), v1::CONSENT_STATE_GIVEN);
  EXPECT_EQ(Ms(status.acknowledged_time()), kStart);
  ASSERT_EQ(status.services_size(), 2);
  EXPECT_EQ(status.services(0).service(), "content");
  EXPECT_TRUE(status.services(0).applied());
  EXPECT_EQ(status.services(0).applied_sequence(), withdrawn);
  EXPECT_EQ(status.services(0).latest_applied_sequence(), withdrawn);
  EXPECT_EQ(Ms(status.services(0).applied_time()), kStart + 1040);
  EXPECT_EQ(Ms(status.services(0).lag()), 1040);
  EXPECT_EQ(status.services(1).service(), "notifications");
  EXPECT_FALSE(status.services(1).applied());
  EXPECT_EQ(Ms(status.services(1).lag()), 5000) << "how long it has been waiting so far";
  EXPECT_FALSE(status.fully_applied());

  ASSERT_TRUE(
      propagation_->ApplyReceipt(Receipt("e1", "notifications", given, kStart, kStart + 2000))
          .ok());
  EXPECT_EQ(Ages()["notifications"], 4000) << "now the withdrawal at kStart + 1 s is the oldest";
  ASSERT_TRUE(
      propagation_
          ->ApplyReceipt(Receipt("e1", "notifications", withdrawn, kStart + 1000, kStart + 3000))
          .ok());
  ages = Ages();
  EXPECT_EQ(ages["content"], 0);
  EXPECT_EQ(ages["notifications"], 0);
  EXPECT_TRUE(Status("e1", withdrawn).fully_applied());
  // Everything applied everywhere: the pending record and the index entries are gone.
  EXPECT_EQ(Raw({"EXISTS", keys::Pending(kTenant, "e1")}).integer, 0);
  EXPECT_EQ(Raw({"ZCARD", keys::UnappliedIndex("content")}).integer, 0);
  EXPECT_EQ(Raw({"ZCARD", keys::UnappliedIndex("notifications")}).integer, 0);

  const std::string text = Metrics();
  EXPECT_THAT(text, HasSubstr("advocacy_consent_propagation_seconds_count{service=\"content\"} 1"));
  EXPECT_THAT(text,
              HasSubstr("advocacy_consent_propagation_seconds_sum{service=\"content\"} 0.04"));
  EXPECT_THAT(text,
              HasSubstr("advocacy_consent_propagation_seconds_count{service=\"notifications\"} 2"));
  EXPECT_THAT(text,
              HasSubstr("advocacy_consent_oldest_unapplied_seconds{service=\"notifications\"} 0"));
}

TEST_F(PropagationTest, GaugeShowsTheOldestChangeAcrossEmployees) {
  Give("e1", {Share(v1::NETWORK_X)});
  now_ += 2000;
  Give("e2", {Share(v1::NETWORK_X)});
  now_ += 1000;
  EXPECT_EQ(Ages()["content"], 3000);
  EXPECT_THAT(Metrics(),
              HasSubstr("advocacy_consent_oldest_unapplied_seconds{service=\"content\"} 3"));
  ASSERT_TRUE(propagation_->ApplyReceipt(Receipt("e1", "content", 1, kStart, kStart + 10)).ok());
  EXPECT_EQ(Ages()["content"], 1000) << "e2's change, 1 s old, is the oldest now";
}

TEST_F(PropagationTest, RepeatedReceiptIsKeptOnceAndObservedOnce) {
  const int64_t seq = Withdraw("e1", {Share(v1::NETWORK_X)});
  EXPECT_EQ(seq, 0) << "nothing given: nothing changes, nothing to follow";
  const int64_t given = Give("e1", {Share(v1::NETWORK_X)});
  ASSERT_TRUE(
      propagation_
          ->HandleReceipt(ReceiptMessage(Receipt("e1", "content", given, kStart, kStart + 5)))
          .ok());
  // A replay after a crash of the consuming service: later applied time, same change.
  ASSERT_TRUE(
      propagation_
          ->HandleReceipt(ReceiptMessage(Receipt("e1", "content", given, kStart, kStart + 900)))
          .ok());
  EXPECT_EQ(Ms(Status("e1", given).services(0).applied_time()), kStart + 5);
  EXPECT_THAT(Metrics(),
              HasSubstr("advocacy_consent_propagation_seconds_count{service=\"content\"} 1"));
}

TEST_F(PropagationTest, StatusOfTheLatestChangeAndErrors) {
  v1::GetPropagationStatusRequest req;
  req.set_tenant_id(kTenant);
  req.set_employee_id("e1");
  EXPECT_TRUE(absl::IsNotFound(propagation_->GetStatus(Admin(), req).status())) << "no change yet";
  Give("e1", {Share(v1::NETWORK_X)});
  const int64_t latest = Withdraw("e1", {Share(v1::NETWORK_X)});
  EXPECT_EQ(Status("e1", 0).sequence(), latest);
  EXPECT_EQ(Status("e1", 0).state(), v1::CONSENT_STATE_WITHDRAWN);

  req.set_sequence(latest + 1);
  auto unknown = propagation_->GetStatus(Admin(), req);
  EXPECT_TRUE(absl::IsNotFound(unknown.status()));
  EXPECT_THAT(std::string(unknown.status().message()), HasSubstr("sequence"));
  req.set_sequence(-1);
  EXPECT_TRUE(absl::IsInvalidArgument(propagation_->GetStatus(Admin(), req).status()));
  req.set_sequence(latest);
  // The employee themself, an admin or a service of the tenant; nobody else.
  EXPECT_TRUE(propagation_->GetStatus(Employee("e1"), req).ok());
  EXPECT_TRUE(propagation_->GetStatus(Service(), req).ok());
  EXPECT_TRUE(absl::IsPermissionDenied(propagation_->GetStatus(Employee("e2"), req).status()));
  EXPECT_TRUE(absl::IsPermissionDenied(propagation_->GetStatus(Admin("other"), req).status()));
  EXPECT_TRUE(absl::IsPermissionDenied(propagation_->GetStatus(Service("other"), req).status()));
  req.set_employee_id("bad{id}");
  EXPECT_TRUE(absl::IsInvalidArgument(propagation_->GetStatus(Admin(), req).status()));
}

TEST_F(PropagationTest, PoisonReceiptsAreInvalidArgument) {
  ASSERT_EQ(Give("e1", {Share(v1::NETWORK_X)}), 1);
  const v1::ConsentApplied good = Receipt("e1", "content", 1, kStart, kStart + 1);
  auto poison = [&](kafka::Message m) { return propagation_->HandleReceipt(m); };

  kafka::Message no_headers = ReceiptMessage(good);
  no_headers.headers.clear();
  EXPECT_TRUE(absl::IsInvalidArgument(poison(no_headers)));
  kafka::Message wrong_type = ReceiptMessage(good);
  for (auto& h : wrong_type.headers) {
    if (h.key == "ce_type") h.value = "advocacy.consent.v1.ConsentGiven";
  }
  EXPECT_TRUE(absl::IsInvalidArgument(poison(wrong_type)));
  kafka::Message garbage = ReceiptMessage(good);
  garbage.payload = "\xff\xff";
  EXPECT_TRUE(absl::IsInvalidArgument(poison(garbage)));
  kafka::Message other_key = ReceiptMessage(good);
  other_key.key = "acme/e2";
  EXPECT_EQ(event_trust::ReasonOf(poison(other_key)), event_trust::Reason::kKeyMismatch);

  auto bad = good;
  bad.clear_service();
  EXPECT_TRUE(absl::IsInvalidArgument(poison(ReceiptMessage(bad))));
  bad = good;
  bad.set_service("content{x}");
  EXPECT_TRUE(absl::IsInvalidArgument(poison(ReceiptMessage(bad))));
  bad = good;
  bad.set_sequence(0);
  EXPECT_TRUE(absl::IsInvalidArgument(poison(ReceiptMessage(bad))));
  bad = good;
  bad.clear_applied_time();
  EXPECT_TRUE(absl::IsInvalidArgument(poison(ReceiptMessage(bad))));
  bad = good;
  bad.set_employee_id("e/1");
  EXPECT_TRUE(absl::IsInvalidArgument(poison(ReceiptMessage(bad))));

  EXPECT_TRUE(poison(ReceiptMessage(good)).ok());
}

// A receipt speaks only for the service that sent it: content cannot vouch for notifications.
TEST_F(PropagationTest, ReceiptClaimingAnotherServiceIsRejectedAndRecordsNothing) {
  const int64_t seq = Give("e1", {Share(v1::NETWORK_X)});
  kafka::Message forged = ReceiptMessage(Receipt("e1", "notifications", seq, kStart, kStart + 1));
  for (auto& h : forged.headers) {
    if (h.key == "ce_source") h.value = "/advocacy/content";
  }
  const absl::Status st = propagation_->HandleReceipt(forged);
  EXPECT_EQ(event_trust::ReasonOf(st), event_trust::Reason::kServiceMismatch) << st;
  EXPECT_THAT(std::string(st.message()),
              HasSubstr("must come from /advocacy/notifications, not from '/advocacy/content'"));
  EXPECT_FALSE(Status("e1", seq).services(1).applied());
  EXPECT_EQ(Raw({"EXISTS", keys::Receipts(kTenant, "e1", "notifications")}).integer, 0);
}

// A receipt for a change the ledger never issued, or from a view that holds one: the view
// applied a forged event, and its receipts prove nothing.
TEST_F(PropagationTest, ReceiptBeyondTheLedgerIsRejectedAndRecordsNothing) {
  const int64_t given = Give("e1", {Share(v1::NETWORK_X)});
  const int64_t huge = int64_t{1} << 62;
  const absl::Status ahead =
      propagation_->HandleReceipt(ReceiptMessage(Receipt("e1", "content", huge, kStart, kStart)));
  EXPECT_EQ(event_trust::ReasonOf(ahead), event_trust::Reason::kSequenceAhead) << ahead;
  EXPECT_THAT(std::string(ahead.message()), HasSubstr("the ledger has issued 1"));

  now_ += 1000;
  const int64_t withdrawn = Withdraw("e1", {Share(v1::NETWORK_X)});
  // The view still holds the forged sequence: it ignored the real withdrawal, and says so.
  v1::ConsentApplied poisoned = Receipt("e1", "content", withdrawn, kStart, kStart + 1100);
  poisoned.set_view_sequence(huge);
  const absl::Status st = propagation_->ApplyReceipt(poisoned);
  EXPECT_EQ(event_trust::ReasonOf(st), event_trust::Reason::kSequenceAhead) << st;
  EXPECT_THAT(std::string(st.message()), HasSubstr("never issued"));
  EXPECT_FALSE(Status("e1", withdrawn).services(0).applied()) << "the proof stays honest";
  EXPECT_FALSE(Status("e1", given).services(0).applied());
  EXPECT_EQ(Ages()["content"], 1000) << "and the oldest-unapplied alert sees it";

  poisoned.set_view_sequence(withdrawn);
  ASSERT_TRUE(propagation_->ApplyReceipt(poisoned).ok());
  EXPECT_TRUE(Status("e1", withdrawn).services(0).applied());
}

TEST_F(PropagationTest, ReceiptOfAnUnexpectedServiceIsKeptButNotMeasured) {
  const int64_t seq = Give("e1", {Share(v1::NETWORK_X)});
  ASSERT_TRUE(propagation_->ApplyReceipt(Receipt("e1", "courses", seq, kStart, kStart + 1)).ok());
  EXPECT_EQ(Raw({"ZCARD", keys::Receipts(kTenant, "e1", "courses")}).integer, 1);
  EXPECT_THAT(Metrics(), ::testing::Not(HasSubstr("courses")));
  EXPECT_EQ(Status("e1", seq).services_size(), 2);
}

TEST_F(PropagationTest, LostIndexWriteIsRebuiltByReindex) {
  Give("e1", {Share(v1::NETWORK_X)});
  now_ += 7000;
  // A crash between the commit script and the index write leaves the pending record unindexed.
  Raw({"DEL", keys::UnappliedIndex("content"), keys::UnappliedIndex("notifications")});
  EXPECT_EQ(Ages()["content"], 0) << "under-reported until the re-index";
  auto seen = propagation_->Reindex();
  ASSERT_TRUE(seen.ok()) << seen.status();
  EXPECT_EQ(*seen, 1);
  EXPECT_EQ(Ages()["content"], 7000);
}

TEST_F(PropagationTest, StaleIndexEntryIsCorrectedBeforeItIsReported) {
  const int64_t seq = Give("e1", {Share(v1::NETWORK_X)});
  ASSERT_TRUE(propagation_->ApplyReceipt(Receipt("e1", "content", seq, kStart, kStart + 1)).ok());
  // A racing writer put back an entry for a change that is applied by now.
  Raw({"ZADD", keys::UnappliedIndex("content"), std::to_string(kStart - 60000), "acme/e1"});
  Raw({"ZADD", keys::UnappliedIndex("content"), "5", "not-a-member"});
  now_ += 1000;
  EXPECT_EQ(Ages()["content"], 0);
  EXPECT_EQ(Raw({"ZCARD", keys::UnappliedIndex("content")}).integer, 0);
}

TEST_F(PropagationTest, ReceiptsAndPendingChangesAreBounded) {
  Build({.services = {"content"}, .receipts_kept = 3, .pending_kept = 2});
  std::vector<int64_t> seqs;
  for (int i = 0; i < 3; ++i) {
    now_ += 1000;
    seqs.push_back(Give("e1", {Share(v1::NETWORK_X)}));
    now_ += 1000;
    seqs.push_back(Withdraw("e1", {Share(v1::NETWORK_X)}));
  }
  EXPECT_EQ(Raw({"ZCARD", keys::Pending(kTenant, "e1")}).integer, 2);
  // The newest pending changes are kept: the oldest unapplied one reported is the fifth.
  now_ += 1000;
  EXPECT_EQ(Ages()["content"], 2000);
  for (int64_t s : seqs) {
    ASSERT_TRUE(propagation_->ApplyReceipt(Receipt("e1", "content", s, kStart, kStart + s)).ok());
  }
  EXPECT_EQ(Raw({"ZCARD", keys::Receipts(kTenant, "e1", "content")}).integer, 3);
  // A receipt older than every kept one is a replay, not a first receipt.
  auto first = propagation_store_->RecordReceipt(kTenant, "e1", "content", seqs[0], kStart);
  ASSERT_TRUE(first.ok());
  EXPECT_FALSE(*first);
  // The oldest kept receipt covers older changes: an upper bound of their applied time.
  auto status = Status("e1", seqs[0]);
  EXPECT_TRUE(status.services(0).applied());
  EXPECT_EQ(status.services(0).applied_sequence(), seqs[3]);
  EXPECT_EQ(Ages()["content"], 0);
}

TEST_F(PropagationTest, NothingIsTrackedWithoutExpectedServices) {
  Build({});
  const int64_t seq = Give("e1", {Share(v1::NETWORK_X)});
  EXPECT_EQ(Raw({"EXISTS", keys::Pending(kTenant, "e1")}).integer, 0);
  EXPECT_TRUE(Ages().empty());
  auto status = Status("e1", seq);
  EXPECT_EQ(status.services_size(), 0);
  EXPECT_FALSE(status.fully_applied()) << "no proof without a service expected to give it";
}

TEST_F(PropagationTest, PerEmployeeKeysShareOneSlot) {
  const auto slot = [&](const std::string& key) {
    return Raw({"CLUSTER", "KEYSLOT", key}).integer;
  };
  // An e-mail-like id (ids.h allows '@', '+' and '.') stays inside the one hash tag.
  const std::string e = "jane.doe+news@acme.example";
  EXPECT_EQ(slot(keys::Pending(kTenant, e)), slot(keys::Ledger(kTenant, e)));
  EXPECT_EQ(slot(keys::Receipts(kTenant, e, "content")), slot(keys::Scopes(kTenant, e)));
}

}  // namespace
}  // namespace advocacy::consent
