// The consent service as a black box: the real binary on the real Redis and Kafka of the
// local stack. Each test uses its own tenant, so tests never see each other's data.

#include <gtest/gtest.h>

#include <fstream>
#include <set>
#include <thread>

#include "advocacy/common/kafka.h"
#include "advocacy/consent/v1/consent_events.pb.h"
#include "advocacy/consent/v1/consent_service.grpc.pb.h"
#include "harness.h"

namespace advocacy::it {
namespace {

namespace v1 = advocacy::consent::v1;
using auth::Role;

constexpr char kTopic[] = "advocacy.consent.v1";

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

class ConsentIntegrationTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    keys_ = new Keys();
    service_ = new ServiceProcess(CONSENT_BINARY, ServiceEnv());
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
            {"CONSENT_OUTBOX_LEASE_MS", "1000"},
            // No consuming service runs in this suite: nothing to wait for after a withdrawal.
            {"CONSENT_PROPAGATION_SERVICES", "none"},
            // The service is killed at the end: a group of its own leaves no stale member in
            // the default group for the next suite's consent service.
            {"CONSENT_RECEIPTS_GROUP", UniqueId("consent-receipts-it")}};
  }

  void SetUp() override {
    tenant_ = UniqueId("t");
    stub_ = v1::ConsentService::NewStub(service_->channel());
    ASSERT_TRUE(PublishNotice("2026-11").ok());
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
  std::string ServiceToken() const {
    return keys_->Token(Role::kService, tenant_, "notifications");
  }

  grpc::Status PublishNotice(const std::string& version) {
    v1::PublishNoticeRequest req;
    req.set_tenant_id(tenant_);
    req.set_version(version);
    req.set_url("https://example.org/consent/" + version);
    v1::PublishNoticeResponse resp;
    return stub_->PublishNotice(Ctx(AdminToken()).get(), req, &resp);
  }

  grpc::Status Give(const std::string& e, std::vector<v1::ConsentScope> scopes,
                    v1::GiveConsentResponse* resp, const std::string& key = "") {
    v1::GiveConsentRequest req;
    req.set_tenant_id(tenant_);
    req.set_employee_id(e);
    for (auto& s : scopes) *req.add_scopes() = s;
    req.set_notice_version("2026-11");
    req.set_method(v1::CONSENT_METHOD_APP_TOGGLE);
    req.set_idempotency_key(key);
    return stub_->GiveConsent(Ctx(EmployeeToken(e)).get(), req, resp);
  }

  grpc::Status Withdraw(const std::string& e, std::vector<v1::ConsentScope> scopes,
                        v1::WithdrawConsentResponse* resp, bool all = false) {
    v1::WithdrawConsentRequest req;
    req.set_tenant_id(tenant_);
    req.set_employee_id(e);
    for (auto& s : scopes) *req.add_scopes() = s;
    req.set_all_scopes(all);
    return stub_->WithdrawConsent(Ctx(EmployeeToken(e)).get(), req, resp);
  }

  bool Granted(const std::string& e, const v1::ConsentScope& scope) {
    v1::CheckConsentRequest req;
    req.set_tenant_id(tenant_);
    req.set_employee_id(e);
    *req.mutable_scope() = scope;
    v1::CheckConsentResponse resp;
    const grpc::Status st = stub_->CheckConsent(Ctx(ServiceToken()).get(), req, &resp);
    EXPECT_TRUE(st.ok()) << st.error_message();
    return resp.granted();
  }

  std::vector<v1::LedgerEntry> History(const std::string& e) {
    std::vector<v1::LedgerEntry> out;
    v1::ListConsentHistoryRequest req;
    req.set_tenant_id(tenant_);
    req.set_employee_id(e);
    req.set_page_size(7);
    for (int i = 0; i < 1000; ++i) {
      v1::ListConsentHistoryResponse resp;
      const grpc::Status st = stub_->ListConsentHistory(Ctx(EmployeeToken(e)).get(), req, &resp);
      EXPECT_TRUE(st.ok()) << st.error_message();
      for (const auto& entry : resp.entries()) out.push_back(entry);
      if (resp.next_page_token().empty()) break;
      req.set_page_token(resp.next_page_token());
    }
    return out;
  }

  static Keys* keys_;
  static ServiceProcess* service_;
  std::string tenant_;
  std::unique_ptr<v1::ConsentService::Stub> stub_;
};
Keys* ConsentIntegrationTest::keys_ = nullptr;
ServiceProcess* ConsentIntegrationTest::service_ = nullptr;

TEST_F(ConsentIntegrationTest, GiveAndWithdrawPublishCloudEventsWithKeyAndPayload) {
  TopicReader reader(kTopic);
  const std::string e = "emp-1";
  v1::GiveConsentResponse given;
  ASSERT_TRUE(Give(e, {Share(v1::NETWORK_LINKEDIN)}, &given).ok());
  EXPECT_TRUE(Granted(e, Share(v1::NETWORK_LINKEDIN)));
  v1::WithdrawConsentResponse withdrawn;
  ASSERT_TRUE(Withdraw(e, {Share(v1::NETWORK_LINKEDIN)}, &withdrawn).ok());
  // Visible at once: the withdrawal is in Redis before WithdrawConsent returned.
  EXPECT_FALSE(Granted(e, Share(v1::NETWORK_LINKEDIN)));

  const std::string key = tenant_ + "/" + e;
  ASSERT_TRUE(reader.WaitForKeyCount(key, 2, std::chrono::seconds(30)));
  const auto msgs = reader.ForKey(key);
  ASSERT_EQ(msgs.size(), 2u);
  const char* types[] = {"advocacy.consent.v1.ConsentGiven",
                         "advocacy.consent.v1.ConsentWithdrawn"};
  for (size_t i = 0; i < 2; ++i) {
    auto ce = kafka::FromHeaders(msgs[i].headers);
    ASSERT_TRUE(ce.ok()) << ce.status();
    EXPECT_EQ(ce->type, types[i]);
    EXPECT_EQ(ce->source, "/advocacy/consent");
    EXPECT_FALSE(ce->id.empty());
    EXPECT_FALSE(ce->time.empty());
    EXPECT_EQ(ce->content_type, "application/protobuf");
    const std::string* spec = msgs[i].FindHeader("ce_specversion");
    ASSERT_NE(spec, nullptr);
    EXPECT_EQ(*spec, "1.0");
  }
  v1::ConsentGiven g;
  ASSERT_TRUE(g.ParseFromString(msgs[0].payload));
  EXPECT_EQ(g.tenant_id(), tenant_);
  EXPECT_EQ(g.employee_id(), e);
  EXPECT_EQ(g.sequence(), 1);
  EXPECT_EQ(g.notice_version(), "2026-11");
  EXPECT_EQ(g.method(), v1::CONSENT_METHOD_APP_TOGGLE);
  ASSERT_EQ(g.scopes_size(), 1);
  EXPECT_EQ(g.scopes(0).network(), v1::NETWORK_LINKEDIN);
  v1::ConsentWithdrawn w;
  ASSERT_TRUE(w.ParseFromString(msgs[1].payload));
  EXPECT_EQ(w.sequence(), 2);
  EXPECT_EQ(w.actor().subject(), e);
  // The ledger names the events it produced.
  const auto history = History(e);
  ASSERT_EQ(history.size(), 2u);
  EXPECT_EQ(history[0].event_id(), kafka::FromHeaders(msgs[0].headers)->id);
  EXPECT_EQ(history[1].event_id(), kafka::FromHeaders(msgs[1].headers)->id);
}

TEST_F(ConsentIntegrationTest, RetriedWriteWithTheSameIdempotencyKeyChangesNothingTwice) {
  TopicReader reader(kTopic);
  const std::string e = "emp-idem";
  v1::GiveConsentResponse first, second;
  ASSERT_TRUE(Give(e, {Tips()}, &first, "req-42").ok());
  ASSERT_TRUE(Give(e, {Tips()}, &second, "req-42").ok());
  EXPECT_FALSE(first.unchanged());
  EXPECT_TRUE(second.unchanged());
  EXPECT_EQ(first.sequence(), second.sequence());
  v1::GiveConsentResponse other;
  const grpc::Status st = Give(e, {Share(v1::NETWORK_X)}, &other, "req-42");
  EXPECT_EQ(st.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_NE(st.error_message().find("idempotency_key"), std::string::npos);
  EXPECT_EQ(History(e).size(), 1u);
  ASSERT_TRUE(reader.WaitForKeyCount(tenant_ + "/" + e, 1, std::chrono::seconds(30)));
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  EXPECT_EQ(reader.ForKey(tenant_ + "/" + e).size(), 1u);
}

TEST_F(ConsentIntegrationTest, BadInputIsInvalidArgumentNamingTheField) {
  struct Case {
    std::string field;
    std::function<void(v1::GiveConsentRequest&)> mutate;
  };
  const std::vector<Case> cases = {
      {"tenant_id", [](auto& r) { r.set_tenant_id("has space"); }},
      {"tenant_id", [](auto& r) { r.set_tenant_id(std::string(65, 'x')); }},
      {"employee_id", [](auto& r) { r.set_employee_id(""); }},
      {"employee_id", [](auto& r) { r.set_employee_id("a/b"); }},
      {"employee_id", [](auto& r) { r.set_employee_id("a:b"); }},
      {"employee_id", [](auto& r) { r.set_employee_id(std::string(129, 'e')); }},
      {"scopes", [](auto& r) { r.clear_scopes(); }},
      {"scopes[0].purpose",
       [](auto& r) { r.mutable_scopes(0)->set_purpose(v1::PURPOSE_UNSPECIFIED); }},
      {"scopes[0].network",
       [](auto& r) { r.mutable_scopes(0)->set_network(static_cast<v1::Network>(77)); }},
      {"scopes[0].network",
       [](auto& r) { r.mutable_scopes(0)->set_network(v1::NETWORK_UNSPECIFIED); }},
      {"scopes[1]", [](auto& r) { *r.add_scopes() = r.scopes(0); }},
      {"notice_version", [](auto& r) { r.set_notice_version(""); }},
      {"notice_version", [](auto& r) { r.set_notice_version("bad version!"); }},
      {"method", [](auto& r) { r.set_method(static_cast<v1::ConsentMethod>(99)); }},
      {"idempotency_key", [](auto& r) { r.set_idempotency_key(std::string(200, 'k')); }},
      {"idempotency_key", [](auto& r) { r.set_idempotency_key("req:42"); }},
  };
  for (const auto& c : cases) {
    v1::GiveConsentRequest req;
    req.set_tenant_id(tenant_);
    req.set_employee_id("emp-bad");
    *req.add_scopes() = Share(v1::NETWORK_FACEBOOK);
    req.set_notice_version("2026-11");
    c.mutate(req);
    v1::GiveConsentResponse resp;
    const grpc::Status st = stub_->GiveConsent(Ctx(AdminToken()).get(), req, &resp);
    EXPECT_EQ(st.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << c.field;
    EXPECT_EQ(st.error_message().rfind(c.field, 0), 0u)
        << "expected the message to start with " << c.field << ", got: " << st.error_message();
  }
  // Other RPCs validate their own fields.
  v1::BatchCheckConsentRequest batch;
  batch.set_tenant_id(tenant_);
  *batch.mutable_scope() = Tips();
  for (int i = 0; i < 10001; ++i) batch.add_employee_ids("e" + std::to_string(i));
  v1::BatchCheckConsentResponse bresp;
  grpc::Status st = stub_->BatchCheckConsent(Ctx(ServiceToken()).get(), batch, &bresp);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(st.error_message().rfind("employee_ids", 0), 0u) << st.error_message();

  v1::CheckConsentRequest check;
  check.set_tenant_id(tenant_);
  check.set_employee_id("emp-bad");
  v1::CheckConsentResponse cresp;
  st = stub_->CheckConsent(Ctx(ServiceToken()).get(), check, &cresp);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(st.error_message().rfind("scope.purpose", 0), 0u) << st.error_message();

  v1::ListConsentHistoryRequest hist;
  hist.set_tenant_id(tenant_);
  hist.set_employee_id("emp-bad");
  hist.set_page_token("not-a-token");
  v1::ListConsentHistoryResponse hresp;
  st = stub_->ListConsentHistory(Ctx(AdminToken()).get(), hist, &hresp);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(st.error_message().rfind("page_token", 0), 0u) << st.error_message();

  v1::PublishNoticeRequest notice;
  notice.set_tenant_id(tenant_);
  notice.set_version("v2");
  notice.set_url("ftp://nope");
  v1::PublishNoticeResponse nresp;
  st = stub_->PublishNotice(Ctx(AdminToken()).get(), notice, &nresp);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(st.error_message().rfind("url", 0), 0u) << st.error_message();
}

// Employee ids reach Redis keys ({tenant:employee}) and Kafka keys (tenant/employee): with ':'
// or '/' two different pairs could share one. Every RPC that takes an employee refuses them.
TEST_F(ConsentIntegrationTest, EmployeeIdWithColonOrSlashIsInvalidArgumentNamingTheField) {
  const auto expect_named = [](const grpc::Status& st, const std::string& field,
                               const std::string& id) {
    EXPECT_EQ(st.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << field << " " << id;
    EXPECT_EQ(st.error_message().rfind(field, 0), 0u)
        << "expected the message to start with " << field << ", got: " << st.error_message();
  };
  for (const std::string id : {"a:b", "a/b"}) {
    v1::GiveConsentRequest give;
    give.set_tenant_id(tenant_);
    give.set_employee_id(id);
    *give.add_scopes() = Tips();
    give.set_notice_version("2026-11");
    v1::GiveConsentResponse gresp;
    expect_named(stub_->GiveConsent(Ctx(AdminToken()).get(), give, &gresp), "employee_id", id);

    v1::WithdrawConsentRequest withdraw;
    withdraw.set_tenant_id(tenant_);
    withdraw.set_employee_id(id);
    withdraw.set_all_scopes(true);
    v1::WithdrawConsentResponse wresp;
    expect_named(stub_->WithdrawConsent(Ctx(ServiceToken()).get(), withdraw, &wresp), "employee_id",
                 id);

    v1::CheckConsentRequest check;
    check.set_tenant_id(tenant_);
    check.set_employee_id(id);
    *check.mutable_scope() = Tips();
    v1::CheckConsentResponse cresp;
    expect_named(stub_->CheckConsent(Ctx(ServiceToken()).get(), check, &cresp), "employee_id", id);

    v1::BatchCheckConsentRequest batch;
    batch.set_tenant_id(tenant_);
    *batch.mutable_scope() = Tips();
    batch.add_employee_ids("ok-1");
    batch.add_employee_ids(id);
    v1::BatchCheckConsentResponse bresp;
    expect_named(stub_->BatchCheckConsent(Ctx(ServiceToken()).get(), batch, &bresp),
                 "employee_ids[1]", id);

    v1::GetPropagationStatusRequest propagation;
    propagation.set_tenant_id(tenant_);
    propagation.set_employee_id(id);
    v1::GetPropagationStatusResponse presp;
    expect_named(stub_->GetPropagationStatus(Ctx(AdminToken()).get(), propagation, &presp),
                 "employee_id", id);
  }
}

TEST_F(ConsentIntegrationTest, CrossTenantAndCrossEmployeeAccessIsDenied) {
  v1::GiveConsentResponse resp;
  ASSERT_TRUE(Give("alice", {Tips()}, &resp).ok());

  v1::CheckConsentRequest check;
  check.set_tenant_id(tenant_);
  check.set_employee_id("alice");
  *check.mutable_scope() = Tips();
  v1::CheckConsentResponse cresp;
  // Another employee of the same tenant.
  EXPECT_EQ(stub_->CheckConsent(Ctx(EmployeeToken("bob")).get(), check, &cresp).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  // An admin and a service of another tenant.
  const std::string other = UniqueId("other");
  EXPECT_EQ(stub_->CheckConsent(Ctx(keys_->Token(Role::kAdmin, other, "a")).get(), check, &cresp)
                .error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(stub_->CheckConsent(Ctx(keys_->Token(Role::kService, other, "s")).get(), check, &cresp)
                .error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  // Bob cannot withdraw Alice's consent either.
  v1::WithdrawConsentRequest w;
  w.set_tenant_id(tenant_);
  w.set_employee_id("alice");
  w.set_all_scopes(true);
  v1::WithdrawConsentResponse wresp;
  EXPECT_EQ(stub_->WithdrawConsent(Ctx(EmployeeToken("bob")).get(), w, &wresp).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_TRUE(Granted("alice", Tips()));
  // No token, a token from another issuer key, a malformed token. (Expiry, alg confusion and
  // the other token failures are covered by the auth unit tests with a controlled clock.)
  EXPECT_EQ(stub_->CheckConsent(Ctx("").get(), check, &cresp).error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(
      stub_->CheckConsent(Ctx(keys_->TokenSignedByAnotherKey(tenant_, "x")).get(), check, &cresp)
          .error_code(),
      grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(stub_->CheckConsent(Ctx("garbage.token.here").get(), check, &cresp).error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
}

TEST_F(ConsentIntegrationTest, BatchCheckAnswersInRequestOrder) {
  v1::GiveConsentResponse resp;
  for (int i = 0; i < 20; i += 2) ASSERT_TRUE(Give("b" + std::to_string(i), {Tips()}, &resp).ok());
  v1::BatchCheckConsentRequest req;
  req.set_tenant_id(tenant_);
  *req.mutable_scope() = Tips();
  for (int i = 0; i < 20; ++i) req.add_employee_ids("b" + std::to_string(i));
  v1::BatchCheckConsentResponse out;
  ASSERT_TRUE(stub_->BatchCheckConsent(Ctx(ServiceToken()).get(), req, &out).ok());
  ASSERT_EQ(out.results_size(), 20);
  for (int i = 0; i < 20; ++i) {
    EXPECT_EQ(out.results(i).employee_id(), "b" + std::to_string(i));
    EXPECT_EQ(out.results(i).granted(), i % 2 == 0) << i;
  }
}

TEST_F(ConsentIntegrationTest, MetricsEndpointCountsRequestsAndErrors) {
  v1::GiveConsentResponse resp;
  ASSERT_TRUE(Give("m1", {Tips()}, &resp).ok());
  v1::CheckConsentRequest check;
  check.set_tenant_id(tenant_);
  v1::CheckConsentResponse cresp;
  (void)stub_->CheckConsent(Ctx(ServiceToken()).get(), check, &cresp);  // INVALID_ARGUMENT
  const std::string body = HttpGet(service_->metrics_port(), "/metrics");
  EXPECT_NE(body.find("advocacy_grpc_requests_total{method=\"GiveConsent\",service=\"consent\"}"),
            std::string::npos)
      << body.substr(0, 2000);
  EXPECT_NE(
      body.find("advocacy_grpc_errors_total{code=\"INVALID_ARGUMENT\",method=\"CheckConsent\""),
      std::string::npos);
  EXPECT_NE(body.find("advocacy_grpc_request_duration_seconds_bucket"), std::string::npos);
  EXPECT_NE(body.find("advocacy_kafka_produced_total"), std::string::npos);
  EXPECT_NE(body.find("advocacy_outbox_pending_lists"), std::string::npos);
}

// Kafka down must delay events, never lose them, and never stop consent from changing.
TEST_F(ConsentIntegrationTest, KafkaOutageDelaysEventsWithoutLosingOrDuplicatingAny) {
  const std::string e = "emp-outage";
  Stack("kafka stop");
  constexpr int kChanges = 20;
  for (int i = 0; i < kChanges; ++i) {
    if (i % 2 == 0) {
      v1::GiveConsentResponse r;
      ASSERT_TRUE(Give(e, {Share(v1::NETWORK_INSTAGRAM)}, &r).ok());
    } else {
      v1::WithdrawConsentResponse r;
      ASSERT_TRUE(Withdraw(e, {Share(v1::NETWORK_INSTAGRAM)}, &r).ok());
    }
  }
  EXPECT_FALSE(Granted(e, Share(v1::NETWORK_INSTAGRAM)));
  // Readiness follows Kafka.
  EXPECT_TRUE(WaitFor([&] { return HealthStatus(service_->channel()) == "NOT_SERVING"; },
                      std::chrono::seconds(30)));
  // Liveness does not: a Kafka outage must not get every replica restarted.
  EXPECT_EQ(HealthStatus(service_->channel(), "liveness"), "SERVING");
  Stack("kafka start");
  TopicReader reader(kTopic);
  const std::string key = tenant_ + "/" + e;
  ASSERT_TRUE(reader.WaitForKeyCount(key, kChanges, std::chrono::seconds(90)))
      << "got " << reader.ForKey(key).size() << " of " << kChanges;
  std::set<int64_t> seqs;
  for (const auto& m : reader.ForKey(key)) {
    v1::ConsentGiven g;  // both event types carry the sequence in field 5
    ASSERT_TRUE(g.ParseFromString(m.payload));
    seqs.insert(g.sequence());
  }
  EXPECT_EQ(seqs.size(), static_cast<size_t>(kChanges));
  EXPECT_EQ(*seqs.begin(), 1);
  EXPECT_EQ(*seqs.rbegin(), kChanges);
  const auto history = History(e);
  ASSERT_EQ(history.size(), static_cast<size_t>(kChanges));
  for (int i = 0; i < kChanges; ++i) EXPECT_EQ(history[i].sequence(), i + 1);
  EXPECT_TRUE(WaitFor([&] { return HealthStatus(service_->channel()) == "SERVING"; },
                      std::chrono::seconds(30)));
}

TEST_F(ConsentIntegrationTest, RestartOfServiceAndRedisLosesNothing) {
  const std::string e = "emp-durable";
  v1::GiveConsentResponse g;
  ASSERT_TRUE(Give(e, {Share(v1::NETWORK_LINKEDIN), Tips()}, &g).ok());
  v1::WithdrawConsentResponse w;
  ASSERT_TRUE(Withdraw(e, {Tips()}, &w).ok());

  // Graceful drain on SIGTERM exits 0; a new process serves the same state.
  EXPECT_EQ(service_->Stop(), 0);
  ASSERT_TRUE(service_->Start().ok());
  stub_ = v1::ConsentService::NewStub(service_->channel());
  EXPECT_TRUE(Granted(e, Share(v1::NETWORK_LINKEDIN)));
  EXPECT_FALSE(Granted(e, Tips()));

  // A Redis crash (SIGKILL) after the write was acknowledged: AOF replays it.
  Stack("redis kill");
  Stack("redis start");
  // The first call on a connection the crash broke fails with UNAVAILABLE (clients retry, with
  // the same idempotency key for writes); what must hold is that nothing acknowledged is lost.
  ASSERT_TRUE(WaitFor(
      [&] {
        v1::CheckConsentRequest req;
        req.set_tenant_id(tenant_);
        req.set_employee_id(e);
        *req.mutable_scope() = Tips();
        v1::CheckConsentResponse resp;
        return stub_->CheckConsent(Ctx(ServiceToken()).get(), req, &resp).ok();
      },
      std::chrono::seconds(30)));
  EXPECT_TRUE(Granted(e, Share(v1::NETWORK_LINKEDIN)));
  EXPECT_FALSE(Granted(e, Tips()));
  const auto history = History(e);
  ASSERT_EQ(history.size(), 2u);
  EXPECT_EQ(history[1].state(), v1::CONSENT_STATE_WITHDRAWN);
}

TEST(ConsentConfigTest, BadConfigurationExitsWithAMessage) {
  ServiceProcess bad(CONSENT_BINARY, {{"ADVOCACY_REDIS_URL", ""},
                                      {"ADVOCACY_KAFKA_BROKERS", ""},
                                      {"ADVOCACY_JWT_PUBLIC_KEY_FILE", "/nonexistent.pem"},
                                      {"ADVOCACY_JWT_ISSUER", "x"},
                                      {"ADVOCACY_GRPC_MAX_THREADS", "zero"}});
  const absl::Status st = bad.Start(std::chrono::seconds(10));
  EXPECT_FALSE(st.ok());
  std::ifstream log(bad.log_path());
  const std::string text((std::istreambuf_iterator<char>(log)), std::istreambuf_iterator<char>());
  EXPECT_NE(text.find("ADVOCACY_REDIS_URL is required"), std::string::npos) << text;
  EXPECT_NE(text.find("ADVOCACY_KAFKA_BROKERS is required"), std::string::npos) << text;
  EXPECT_NE(text.find("ADVOCACY_JWT_PUBLIC_KEY_FILE='/nonexistent.pem' cannot be read"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("ADVOCACY_GRPC_MAX_THREADS='zero'"), std::string::npos) << text;
}

}  // namespace
}  // namespace advocacy::it
