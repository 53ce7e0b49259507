#include "consent_manager.h"

#include <gtest/gtest.h>

#include <thread>

#include "advocacy/common/kafka.h"
#include "advocacy/common/outbox.h"
#include "advocacy/consent/v1/consent_events.pb.h"
#include "in_memory_consent_store.h"

namespace advocacy::consent {
namespace {

using auth::Principal;
using auth::Role;
using testing::InMemoryConsentStore;
using testing::RecordingNotifier;

constexpr char kTenant[] = "acme";

Principal Employee(const std::string& id, const std::string& tenant = kTenant) {
  return {.tenant_id = tenant, .subject = id, .role = Role::kEmployee, .expires_at = 0};
}
Principal Admin(const std::string& tenant = kTenant) {
  return {.tenant_id = tenant, .subject = "hr-1", .role = Role::kAdmin, .expires_at = 0};
}
Principal Service(const std::string& tenant = kTenant) {
  return {.tenant_id = tenant, .subject = "notifications", .role = Role::kService, .expires_at = 0};
}

v1::ConsentScope Share(v1::Network n) {
  v1::ConsentScope s;
  s.set_purpose(v1::PURPOSE_SHARE_CONTENT);
  s.set_network(n);
  return s;
}
v1::ConsentScope Tips() {
  v1::ConsentScope s;
  s.set_purpose(v1::PURPOSE_EMAIL_TIPS);
  return s;
}

class ConsentManagerTest : public ::testing::Test {
 protected:
  ConsentManagerTest() : manager_(&store_, &notifier_, {}, [this] { return now_ms_; }) {
    Publish("2026-01", false);
  }

  void Publish(const std::string& version, bool material) {
    v1::PublishNoticeRequest req;
    req.set_tenant_id(kTenant);
    req.set_version(version);
    req.set_material(material);
    req.set_url("https://acme.example/consent/" + version);
    ASSERT_TRUE(manager_.PublishNotice(Admin(), req).ok());
  }

  absl::StatusOr<v1::GiveConsentResponse> Give(const std::string& employee,
                                               std::vector<v1::ConsentScope> scopes,
                                               const std::string& key = "",
                                               const std::string& notice = "2026-01") {
    v1::GiveConsentRequest req;
    req.set_tenant_id(kTenant);
    req.set_employee_id(employee);
    for (auto& s : scopes) *req.add_scopes() = s;
    req.set_notice_version(notice);
    req.set_idempotency_key(key);
    return manager_.Give(Employee(employee), req);
  }

  absl::StatusOr<v1::WithdrawConsentResponse> Withdraw(const std::string& employee,
                                                       std::vector<v1::ConsentScope> scopes,
                                                       bool all = false,
                                                       const std::string& key = "") {
    v1::WithdrawConsentRequest req;
    req.set_tenant_id(kTenant);
    req.set_employee_id(employee);
    for (auto& s : scopes) *req.add_scopes() = s;
    req.set_all_scopes(all);
    req.set_idempotency_key(key);
    return manager_.Withdraw(Employee(employee), req);
  }

  v1::CheckConsentResponse Check(const std::string& employee, const v1::ConsentScope& scope) {
    v1::CheckConsentRequest req;
    req.set_tenant_id(kTenant);
    req.set_employee_id(employee);
    *req.mutable_scope() = scope;
    auto r = manager_.Check(Service(), req);
    EXPECT_TRUE(r.ok()) << r.status();
    return r.ok() ? *r : v1::CheckConsentResponse();
  }

  // Events notified to the relay, excluding notices.
  std::vector<kafka::Message> ConsentEvents() {
    std::vector<kafka::Message> out;
    for (const auto& [key, encoded] : notifier_.notified()) {
      auto m = outbox::Decode(encoded);
      EXPECT_TRUE(m.ok());
      if (m.ok() && m->key.find('/') != std::string::npos) out.push_back(*m);
    }
    return out;
  }

  int64_t now_ms_ = 1'790'000'000'000;
  InMemoryConsentStore store_;
  RecordingNotifier notifier_;
  ConsentManager manager_;
};

TEST_F(ConsentManagerTest, UnknownEmployeeHasConsentedToNothing) {
  const auto r = Check("nobody", Share(v1::NETWORK_LINKEDIN));
  EXPECT_FALSE(r.granted());
  EXPECT_EQ(r.sequence(), 0);
  v1::GetConsentStateRequest req;
  req.set_tenant_id(kTenant);
  req.set_employee_id("nobody");
  auto state = manager_.GetState(Employee("nobody"), req);
  ASSERT_TRUE(state.ok());
  EXPECT_EQ(state->consents_size(), 0);
}

TEST_F(ConsentManagerTest, GiveThenWithdrawRecordsLedgerAndEvents) {
  auto given = Give("e1", {Share(v1::NETWORK_LINKEDIN), Tips()});
  ASSERT_TRUE(given.ok()) << given.status();
  EXPECT_EQ(given->sequence(), 1);
  EXPECT_FALSE(given->unchanged());
  EXPECT_TRUE(Check("e1", Share(v1::NETWORK_LINKEDIN)).granted());
  EXPECT_TRUE(Check("e1", Tips()).granted());
  EXPECT_FALSE(Check("e1", Share(v1::NETWORK_FACEBOOK)).granted());

  auto withdrawn = Withdraw("e1", {Share(v1::NETWORK_LINKEDIN)});
  ASSERT_TRUE(withdrawn.ok()) << withdrawn.status();
  EXPECT_EQ(withdrawn->sequence(), 2);
  EXPECT_FALSE(Check("e1", Share(v1::NETWORK_LINKEDIN)).granted());
  EXPECT_TRUE(Check("e1", Tips()).granted());

  const auto events = ConsentEvents();
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].key, "acme/e1");
  EXPECT_EQ(events[0].topic, "advocacy.consent.v1");
  auto ce = kafka::FromHeaders(events[0].headers);
  ASSERT_TRUE(ce.ok());
  EXPECT_EQ(ce->type, "advocacy.consent.v1.ConsentGiven");
  v1::ConsentGiven g;
  ASSERT_TRUE(g.ParseFromString(events[0].payload));
  EXPECT_EQ(g.sequence(), 1);
  EXPECT_EQ(g.scopes_size(), 2);
  EXPECT_EQ(g.notice_version(), "2026-01");
  EXPECT_EQ(g.actor().subject(), "e1");
  v1::ConsentWithdrawn w;
  ASSERT_TRUE(w.ParseFromString(events[1].payload));
  EXPECT_EQ(w.sequence(), 2);
  ASSERT_EQ(w.scopes_size(), 1);
  EXPECT_EQ(w.scopes(0).network(), v1::NETWORK_LINKEDIN);
  EXPECT_EQ(store_.ledger_size(kTenant, "e1"), 2u);
}

TEST_F(ConsentManagerTest, RepeatedGiveAndWithdrawChangeNothing) {
  ASSERT_TRUE(Give("e1", {Tips()}).ok());
  auto again = Give("e1", {Tips()});
  ASSERT_TRUE(again.ok());
  EXPECT_TRUE(again->unchanged());
  EXPECT_EQ(again->sequence(), 1);
  auto never_given = Withdraw("e1", {Share(v1::NETWORK_X)});
  ASSERT_TRUE(never_given.ok());
  EXPECT_TRUE(never_given->unchanged());
  EXPECT_EQ(ConsentEvents().size(), 1u);
  EXPECT_EQ(store_.ledger_size(kTenant, "e1"), 1u);
}

TEST_F(ConsentManagerTest, WithdrawAllIsOneChangeOverEveryGivenScope) {
  ASSERT_TRUE(Give("e1", {Share(v1::NETWORK_LINKEDIN), Share(v1::NETWORK_X), Tips()}).ok());
  auto w = Withdraw("e1", {}, /*all=*/true);
  ASSERT_TRUE(w.ok()) << w.status();
  EXPECT_EQ(w->sequence(), 2);
  EXPECT_EQ(w->consents_size(), 3);
  for (const auto& c : w->consents()) EXPECT_EQ(c.state(), v1::CONSENT_STATE_WITHDRAWN);
  const auto events = ConsentEvents();
  ASSERT_EQ(events.size(), 2u);
  v1::ConsentWithdrawn ev;
  ASSERT_TRUE(ev.ParseFromString(events[1].payload));
  EXPECT_TRUE(ev.all_scopes());
  EXPECT_EQ(ev.scopes_size(), 3);
  // Nothing left to withdraw: a second call is a no-op.
  auto again = Withdraw("e1", {}, true);
  ASSERT_TRUE(again.ok());
  EXPECT_TRUE(again->unchanged());
}

TEST_F(ConsentManagerTest, IdempotencyKeyReplaysAndRejectsDifferentRequests) {
  auto first = Give("e1", {Tips()}, "k-1");
  ASSERT_TRUE(first.ok());
  auto retry = Give("e1", {Tips()}, "k-1");
  ASSERT_TRUE(retry.ok());
  EXPECT_TRUE(retry->unchanged());
  EXPECT_EQ(retry->sequence(), first->sequence());

  auto other = Give("e1", {Share(v1::NETWORK_LINKEDIN)}, "k-1");
  EXPECT_EQ(other.status().code(), absl::StatusCode::kFailedPrecondition);

  // A late retry of the give after a withdrawal must not give consent again.
  ASSERT_TRUE(Withdraw("e1", {Tips()}, false, "k-2").ok());
  ASSERT_TRUE(Give("e1", {Tips()}, "k-1").ok());
  EXPECT_FALSE(Check("e1", Tips()).granted());
  EXPECT_EQ(ConsentEvents().size(), 2u);
}

// Stored idempotency records outlive releases: the fingerprint is SHA-256 over a canonical
// string whose bytes must never change, or retries after an upgrade would be refused.
TEST_F(ConsentManagerTest, FingerprintBytesAreStable) {
  ASSERT_TRUE(Give("e1", {Tips(), Share(v1::NETWORK_LINKEDIN)}, "k-1").ok());
  v1::WithdrawConsentRequest w;
  w.set_tenant_id(kTenant);
  w.set_employee_id("e1");
  w.set_all_scopes(true);
  w.set_idempotency_key("k-2");
  ASSERT_TRUE(manager_.Withdraw(Admin(), w).ok());
  const auto hex = [this](const std::string& key) {
    auto record = store_.GetIdempotency(kTenant, "e1", key);
    EXPECT_TRUE(record.ok() && record->has_value());
    std::string out;
    if (!record.ok() || !record->has_value()) return out;
    for (unsigned char c : (*record)->fingerprint()) {
      out += "0123456789abcdef"[c >> 4];
      out += "0123456789abcdef"[c & 15];
    }
    return out;
  };
  // SHA-256("1|some|2026-01|3|e1|1.1,3.0,") and SHA-256("2|all||4|hr-1|").
  EXPECT_EQ(hex("k-1"), "77a52fb184e38224676785d23d43fe5d94ba544c82325d5fd12d78442454dfc9");
  EXPECT_EQ(hex("k-2"), "929c817d82c04356590a62a3df933fe0e0f78e1d725fafd24fb09bc93ed4f5be");
}

TEST_F(ConsentManagerTest, GiveNeedsAPublishedNotice) {
  auto r = Give("e1", {Tips()}, "", "1999-01");
  EXPECT_EQ(r.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(r.status().message().find("notice_version"), absl::string_view::npos);
}

TEST_F(ConsentManagerTest, MaterialNoticeMarksOlderConsentForRenewal) {
  ASSERT_TRUE(Give("e1", {Tips()}).ok());
  EXPECT_FALSE(Check("e1", Tips()).needs_renewal());
  Publish("2026-02", /*material=*/false);
  now_ms_ += 5000;  // past the ordinal cache
  EXPECT_FALSE(Check("e1", Tips()).needs_renewal());
  Publish("2026-03", /*material=*/true);
  now_ms_ += 5000;
  auto c = Check("e1", Tips());
  EXPECT_TRUE(c.granted());
  EXPECT_TRUE(c.needs_renewal());
  auto renewed = Give("e1", {Tips()}, "", "2026-03");
  ASSERT_TRUE(renewed.ok());
  EXPECT_FALSE(renewed->unchanged());
  EXPECT_FALSE(Check("e1", Tips()).needs_renewal());
}

TEST_F(ConsentManagerTest, AuthorizationRules) {
  v1::GiveConsentRequest give;
  give.set_tenant_id(kTenant);
  give.set_employee_id("e1");
  *give.add_scopes() = Tips();
  give.set_notice_version("2026-01");
  EXPECT_EQ(manager_.Give(Employee("e2"), give).status().code(),
            absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(manager_.Give(Employee("e1", "other"), give).status().code(),
            absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(manager_.Give(Service(), give).status().code(), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(manager_.Give(Admin("other"), give).status().code(),
            absl::StatusCode::kPermissionDenied);
  auto by_admin = manager_.Give(Admin(), give);
  ASSERT_TRUE(by_admin.ok()) << by_admin.status();

  v1::ListConsentHistoryRequest hist;
  hist.set_tenant_id(kTenant);
  hist.set_employee_id("e1");
  auto h = manager_.ListHistory(Employee("e1"), hist);
  ASSERT_TRUE(h.ok());
  ASSERT_EQ(h->entries_size(), 1);
  EXPECT_EQ(h->entries(0).method(), v1::CONSENT_METHOD_ADMIN_ON_BEHALF);
  EXPECT_EQ(h->entries(0).actor().role(), v1::ACTOR_ROLE_ADMIN);

  // Services withdraw (one-click unsubscribe) but never give.
  v1::WithdrawConsentRequest w;
  w.set_tenant_id(kTenant);
  w.set_employee_id("e1");
  w.set_all_scopes(true);
  w.set_method(v1::CONSENT_METHOD_EMAIL_ONE_CLICK);
  ASSERT_TRUE(manager_.Withdraw(Service(), w).ok());
  EXPECT_EQ(manager_.Withdraw(Service("other"), w).status().code(),
            absl::StatusCode::kPermissionDenied);

  v1::BatchCheckConsentRequest batch;
  batch.set_tenant_id(kTenant);
  *batch.mutable_scope() = Tips();
  batch.add_employee_ids("e1");
  EXPECT_EQ(manager_.BatchCheck(Employee("e1"), batch).status().code(),
            absl::StatusCode::kPermissionDenied);
  v1::PublishNoticeRequest notice;
  notice.set_tenant_id(kTenant);
  notice.set_version("x");
  notice.set_url("https://a.example/x");
  EXPECT_EQ(manager_.PublishNotice(Employee("e1"), notice).status().code(),
            absl::StatusCode::kPermissionDenied);
}

TEST_F(ConsentManagerTest, BadInputNamesTheField) {
  struct Case {
    std::function<void(v1::GiveConsentRequest&)> mutate;
    std::string field;
  };
  const std::vector<Case> cases = {
      {[](auto& r) { r.clear_tenant_id(); }, "tenant_id"},
      {[](auto& r) { r.set_tenant_id("a b"); }, "tenant_id"},
      {[](auto& r) { r.set_tenant_id(std::string(65, 'a')); }, "tenant_id"},
      {[](auto& r) { r.clear_employee_id(); }, "employee_id"},
      {[](auto& r) { r.set_employee_id("a{b}"); }, "employee_id"},
      {[](auto& r) { r.set_employee_id(std::string(129, 'e')); }, "employee_id"},
      {[](auto& r) { r.clear_scopes(); }, "scopes"},
      {[](auto& r) { r.mutable_scopes(0)->set_purpose(v1::PURPOSE_UNSPECIFIED); },
       "scopes[0].purpose"},
      {[](auto& r) { r.mutable_scopes(0)->set_purpose(static_cast<v1::Purpose>(99)); },
       "scopes[0].purpose"},
      {[](auto& r) { r.mutable_scopes(0)->set_network(v1::NETWORK_X); }, "scopes[0].network"},
      {[](auto& r) { *r.add_scopes() = r.scopes(0); }, "scopes[1]"},
      {[](auto& r) {
         auto* s = r.add_scopes();
         s->set_purpose(v1::PURPOSE_SHARE_CONTENT);
       },
       "scopes[1].network"},
      {[](auto& r) { r.clear_notice_version(); }, "notice_version"},
      {[](auto& r) { r.set_idempotency_key(std::string(129, 'k')); }, "idempotency_key"},
      {[](auto& r) { r.set_idempotency_key("req:42"); }, "idempotency_key"},
      {[](auto& r) { r.set_idempotency_key("req 42"); }, "idempotency_key"},
      {[](auto& r) { r.set_method(v1::CONSENT_METHOD_ADMIN_ON_BEHALF); }, "method"},
      {[](auto& r) { r.set_method(static_cast<v1::ConsentMethod>(42)); }, "method"},
  };
  for (const auto& c : cases) {
    v1::GiveConsentRequest req;
    req.set_tenant_id(kTenant);
    req.set_employee_id("e1");
    *req.add_scopes() = Tips();
    req.set_notice_version("2026-01");
    c.mutate(req);
    auto r = manager_.Give(Employee(req.employee_id().empty() ? "e1" : req.employee_id(),
                                    req.tenant_id().empty() ? kTenant : req.tenant_id()),
                           req);
    EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument) << c.field;
    EXPECT_EQ(r.status().message().substr(0, c.field.size()), c.field)
        << "got: " << r.status().message();
  }
  v1::WithdrawConsentRequest w;
  w.set_tenant_id(kTenant);
  w.set_employee_id("e1");
  EXPECT_EQ(manager_.Withdraw(Employee("e1"), w).status().code(),
            absl::StatusCode::kInvalidArgument);
  w.set_all_scopes(true);
  *w.add_scopes() = Tips();
  auto both = manager_.Withdraw(Employee("e1"), w);
  EXPECT_EQ(both.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(both.status().message().substr(0, 10), "all_scopes");

  v1::BatchCheckConsentRequest batch;
  batch.set_tenant_id(kTenant);
  *batch.mutable_scope() = Tips();
  for (int i = 0; i < 10001; ++i) batch.add_employee_ids("e" + std::to_string(i));
  auto big = manager_.BatchCheck(Service(), batch);
  EXPECT_EQ(big.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(big.status().message().substr(0, 12), "employee_ids");

  v1::ListConsentHistoryRequest hist;
  hist.set_tenant_id(kTenant);
  hist.set_employee_id("e1");
  hist.set_page_token("garbage");
  EXPECT_EQ(manager_.ListHistory(Employee("e1"), hist).status().code(),
            absl::StatusCode::kInvalidArgument);
  hist.set_page_token("");
  hist.set_page_size(101);
  EXPECT_EQ(manager_.ListHistory(Employee("e1"), hist).status().code(),
            absl::StatusCode::kInvalidArgument);
}

// ':' and '/' would let two (tenant, employee) pairs build the same Redis or Kafka key.
TEST_F(ConsentManagerTest, EmployeeIdWithColonOrSlashIsInvalidArgumentNamingTheField) {
  const auto expect_named = [](const absl::Status& st, const std::string& field,
                               const std::string& id) {
    EXPECT_EQ(st.code(), absl::StatusCode::kInvalidArgument) << field << " " << id;
    EXPECT_EQ(st.message().substr(0, field.size()), field) << "got: " << st.message();
  };
  for (const std::string id : {"a:b", "a/b", "acme:e1", "e1/x"}) {
    v1::GiveConsentRequest give;
    give.set_tenant_id(kTenant);
    give.set_employee_id(id);
    *give.add_scopes() = Tips();
    give.set_notice_version("2026-01");
    expect_named(manager_.Give(Admin(), give).status(), "employee_id", id);
    v1::WithdrawConsentRequest withdraw;
    withdraw.set_tenant_id(kTenant);
    withdraw.set_employee_id(id);
    withdraw.set_all_scopes(true);
    expect_named(manager_.Withdraw(Admin(), withdraw).status(), "employee_id", id);
    v1::CheckConsentRequest check;
    check.set_tenant_id(kTenant);
    check.set_employee_id(id);
    *check.mutable_scope() = Tips();
    expect_named(manager_.Check(Service(), check).status(), "employee_id", id);
    v1::BatchCheckConsentRequest batch;
    batch.set_tenant_id(kTenant);
    *batch.mutable_scope() = Tips();
    batch.add_employee_ids("e1");
    batch.add_employee_ids(id);
    expect_named(manager_.BatchCheck(Service(), batch).status(), "employee_ids[1]", id);
  }
  EXPECT_TRUE(ConsentEvents().empty());
}

// Employees' ids come from the identity provider, often as their mail address.
TEST_F(ConsentManagerTest, EmailLikeEmployeeIdsAreValid) {
  const std::string id = "jane.doe+news@acme.example";
  auto given = Give(id, {Tips()}, "0190f3a2-7b1c-7d4e-9f00-1234567890ab");
  ASSERT_TRUE(given.ok()) << given.status();
  EXPECT_TRUE(Check(id, Tips()).granted());
  const auto events = ConsentEvents();
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].key, "acme/" + id);
}

TEST_F(ConsentManagerTest, HistoryPagesInSequenceOrder) {
  for (int i = 0; i < 5; ++i) {
    ASSERT_TRUE(Give("e1", {Tips()}).ok());
    ASSERT_TRUE(Withdraw("e1", {Tips()}).ok());
  }
  v1::ListConsentHistoryRequest req;
  req.set_tenant_id(kTenant);
  req.set_employee_id("e1");
  req.set_page_size(3);
  std::vector<int64_t> seqs;
  for (int page = 0; page < 10; ++page) {
    auto r = manager_.ListHistory(Employee("e1"), req);
    ASSERT_TRUE(r.ok()) << r.status();
    for (const auto& e : r->entries()) seqs.push_back(e.sequence());
    if (r->next_page_token().empty()) break;
    req.set_page_token(r->next_page_token());
  }
  ASSERT_EQ(seqs.size(), 10u);
  for (size_t i = 0; i < seqs.size(); ++i) EXPECT_EQ(seqs[i], static_cast<int64_t>(i + 1));
}

TEST_F(ConsentManagerTest, ConcurrentChangesGetDistinctSequences) {
  constexpr int kThreads = 4;
  constexpr int kRounds = 50;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([this, t] {
      const auto scope = Share(static_cast<v1::Network>(1 + t));
      for (int i = 0; i < kRounds; ++i) {
        ASSERT_TRUE(Give("e1", {scope}).ok());
        ASSERT_TRUE(Withdraw("e1", {scope}).ok());
      }
    });
  }
  for (auto& th : threads) th.join();
  const size_t expected = kThreads * kRounds * 2;
  EXPECT_EQ(store_.ledger_size(kTenant, "e1"), expected);
  const auto events = ConsentEvents();
  ASSERT_EQ(events.size(), expected);
  std::set<int64_t> seqs;
  for (const auto& m : events) {
    v1::ConsentGiven g;  // both event types carry sequence as field 5
    ASSERT_TRUE(g.ParseFromString(m.payload));
    seqs.insert(g.sequence());
  }
  EXPECT_EQ(seqs.size(), expected);
  EXPECT_EQ(*seqs.rbegin(), static_cast<int64_t>(expected));
}

TEST_F(ConsentManagerTest, StoreOutageIsUnavailableAndChangesNothing) {
  store_.set_fail(true);
  EXPECT_EQ(Give("e1", {Tips()}).status().code(), absl::StatusCode::kUnavailable);
  store_.set_fail(false);
  EXPECT_FALSE(Check("e1", Tips()).granted());
  EXPECT_TRUE(ConsentEvents().empty());
}

TEST_F(ConsentManagerTest, NoticePublicationIsIdempotentPerVersion) {
  v1::PublishNoticeRequest req;
  req.set_tenant_id(kTenant);
  req.set_version("2026-01");
  req.set_url("https://acme.example/consent/2026-01");
  auto same = manager_.PublishNotice(Admin(), req);
  ASSERT_TRUE(same.ok()) << same.status();
  EXPECT_EQ(same->notice().ordinal(), 1);
  req.set_summary("changed");
  EXPECT_EQ(manager_.PublishNotice(Admin(), req).status().code(), absl::StatusCode::kAlreadyExists);
  req.set_url("http://insecure.example");
  EXPECT_EQ(manager_.PublishNotice(Admin(), req).status().code(),
            absl::StatusCode::kInvalidArgument);
  v1::GetCurrentNoticeRequest cur;
  cur.set_tenant_id("empty-tenant");
  EXPECT_EQ(manager_.GetCurrentNotice(Admin("empty-tenant"), cur).status().code(),
            absl::StatusCode::kNotFound);
}

}  // namespace
}  // namespace advocacy::consent
