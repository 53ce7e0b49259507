// Propagation receipts end to end, with the real consent and content binaries on the real
// Redis and Kafka: a withdrawal reaches content, content sends its receipt, the consent service
// proves it in GetPropagationStatus and in its metrics; a stopped content shows as not applied
// and raises the oldest-unapplied gauge until it catches up; a poison receipt is dead-lettered
// and the receipts consumer goes on.
//
// The suite owns Redis database 7 of the test stack (flushed at start), so the gauge sees only
// the changes this suite makes: other suites' consent services write their pending changes to
// database 0 and would keep a "content" gauge of this service above 0 for ever.

#include <gtest/gtest.h>

#include <chrono>
#include <string>

#include "advocacy/common/kafka.h"
#include "advocacy/common/redis_client.h"
#include "advocacy/consent/v1/consent_events.pb.h"
#include "advocacy/consent/v1/consent_service.grpc.pb.h"
#include "harness.h"

namespace advocacy::it {
namespace {

namespace cv1 = advocacy::consent::v1;
using auth::Role;
using std::chrono::seconds;

constexpr char kReceiptsTopic[] = "advocacy.consent.receipts.v1";
constexpr char kReceiptsDeadLetters[] = "advocacy.consent.receipts.v1.consent.dlq";
constexpr char kRedisDb[] = "7";
constexpr char kGauge[] = "advocacy_consent_oldest_unapplied_seconds{service=\"content\"}";
constexpr char kHistogramCount[] =
    "advocacy_consent_propagation_seconds_count{service=\"content\"}";

cv1::ConsentScope ShareScope(cv1::Network n) {
  cv1::ConsentScope s;
  s.set_purpose(cv1::PURPOSE_SHARE_CONTENT);
  s.set_network(n);
  return s;
}

// The value of the first metrics line that starts with `series` (labels included), or -1.
double MetricValue(const std::string& text, const std::string& series) {
  const size_t at = text.find("\n" + series + " ");
  if (at == std::string::npos) return -1;
  return std::stod(text.substr(at + series.size() + 2));
}

int64_t Ms(const google::protobuf::Timestamp& t) {
  return t.seconds() * 1000 + t.nanos() / 1000000;
}
int64_t Ms(const google::protobuf::Duration& d) { return d.seconds() * 1000 + d.nanos() / 1000000; }
int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

class PropagationIntegrationTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    std::string base = Env("ADVOCACY_REDIS_URL");
    if (const size_t slash = base.rfind('/');
        slash != std::string::npos && slash > 0 && base[slash - 1] != '/' &&
        base.find_first_not_of("0123456789", slash + 1) == std::string::npos) {
      base.resize(slash);  // the stack's URL named a database already: use ours instead
    }
    redis_url_ = new std::string(base + "/" + kRedisDb);
    redis::Connection conn(RedisOptions("admin", *redis_url_));
    auto flushed = conn.Command({"FLUSHDB"});
    ASSERT_TRUE(flushed.ok()) << flushed.status();

    keys_ = new Keys();
    tenant_ = new std::string(UniqueId("t"));
    auto consent_env = CommonEnv();
    consent_env["CONSENT_PROPAGATION_SERVICES"] = "content";
    // Its own group: receipts are read from the beginning, and no member of an earlier killed
    // run holds the partitions.
    consent_env["CONSENT_RECEIPTS_GROUP"] = UniqueId("consent-receipts-it");
    consent_env["CONSENT_PROPAGATION_CHECK_INTERVAL_MS"] = "200";
    // This suite is about receipts and their timing: WithdrawConsent answers right after the
    // commit, as before, so a withdrawal while content is stopped does not wait for it
    // (tests/integration/safety_integration_test.cc covers the wait).
    consent_env["CONSENT_ACK_WAIT_MS"] = "0";
    consent_ = new ServiceProcess(CONSENT_BINARY, consent_env);
    absl::Status st = consent_->Start();
    ASSERT_TRUE(st.ok()) << st;

    auto content_env = CommonEnv();
    const int link_port = FreePort();
    content_env["CONTENT_LINK_LISTEN"] = "127.0.0.1:" + std::to_string(link_port);
    content_env["CONTENT_LINK_BASE_URL"] = "http://127.0.0.1:" + std::to_string(link_port) + "/l/";
    content_env["CONTENT_OUTBOX_LEASE_MS"] = "1000";
    content_env["CONTENT_CONSENT_GROUP"] = UniqueId("content-consent-view-it");
    content_ = new ServiceProcess(CONTENT_BINARY, content_env);
    st = content_->Start();
    ASSERT_TRUE(st.ok()) << st;
  }
  static void TearDownTestSuite() {
    // SIGTERM: both leave their consumer groups cleanly.
    if (content_ != nullptr && content_->running()) {
      EXPECT_EQ(content_->Stop(), 0);
    }
    if (consent_ != nullptr && consent_->running()) {
      EXPECT_EQ(consent_->Stop(), 0);
    }
    delete content_;
    delete consent_;
    delete keys_;
    delete tenant_;
    delete redis_url_;
  }
  static std::map<std::string, std::string> CommonEnv() {
    return {{"ADVOCACY_REDIS_URL", *redis_url_},
            {"ADVOCACY_KAFKA_BROKERS", Env("ADVOCACY_KAFKA_BROKERS")},
            {"ADVOCACY_AUTH_ISSUERS_FILE", keys_->issuers_file()},
            {"ADVOCACY_DRAIN_TIMEOUT_MS", "2000"},
            {"CONSENT_OUTBOX_LEASE_MS", "1000"}};
  }

  void SetUp() override {
    stub_ = cv1::ConsentService::NewStub(consent_->channel());
    cv1::PublishNoticeRequest req;
    req.set_tenant_id(*tenant_);
    req.set_version("2026-11");
    req.set_url("https://example.org/consent/2026-11");
    cv1::PublishNoticeResponse resp;
    ASSERT_TRUE(stub_->PublishNotice(Ctx(AdminToken()).get(), req, &resp).ok());
  }

  static std::unique_ptr<grpc::ClientContext> Ctx(const std::string& token) {
    auto ctx = std::make_unique<grpc::ClientContext>();
    ctx->AddMetadata("authorization", "Bearer " + token);
    ctx->set_deadline(std::chrono::system_clock::now() + seconds(10));
    return ctx;
  }
  std::string EmployeeToken(const std::string& e) const {
    return keys_->Token(Role::kEmployee, *tenant_, e);
  }
  std::string AdminToken() const { return keys_->Token(Role::kAdmin, *tenant_, "admin-1"); }

  int64_t Give(const std::string& e, cv1::ConsentScope scope) {
    cv1::GiveConsentRequest req;
    req.set_tenant_id(*tenant_);
    req.set_employee_id(e);
    *req.add_scopes() = scope;
    req.set_notice_version("2026-11");
    cv1::GiveConsentResponse resp;
    const grpc::Status st = stub_->GiveConsent(Ctx(EmployeeToken(e)).get(), req, &resp);
    EXPECT_TRUE(st.ok()) << st.error_message();
    return resp.sequence();
  }
  int64_t Withdraw(const std::string& e, cv1::ConsentScope scope) {
    cv1::WithdrawConsentRequest req;
    req.set_tenant_id(*tenant_);
    req.set_employee_id(e);
    *req.add_scopes() = scope;
    cv1::WithdrawConsentResponse resp;
    const grpc::Status st = stub_->WithdrawConsent(Ctx(EmployeeToken(e)).get(), req, &resp);
    EXPECT_TRUE(st.ok()) << st.error_message();
    return resp.sequence();
  }
  grpc::Status Status(const std::string& e, int64_t sequence,
                      cv1::GetPropagationStatusResponse* resp) {
    cv1::GetPropagationStatusRequest req;
    req.set_tenant_id(*tenant_);
    req.set_employee_id(e);
    req.set_sequence(sequence);
    return stub_->GetPropagationStatus(Ctx(EmployeeToken(e)).get(), req, resp);
  }
  // Polls until content reports the change applied; the last answer either way.
  cv1::GetPropagationStatusResponse WaitApplied(const std::string& e, int64_t sequence,
                                                std::chrono::milliseconds limit) {
    cv1::GetPropagationStatusResponse resp;
    WaitFor(
        [&] {
          resp.Clear();
          const grpc::Status st = Status(e, sequence, &resp);
          return st.ok() && resp.fully_applied();
        },
        limit);
    return resp;
  }
  double Gauge() { return MetricValue(HttpGet(consent_->metrics_port(), "/metrics"), kGauge); }

  static std::string* redis_url_;
  static Keys* keys_;
  static std::string* tenant_;
  static ServiceProcess* consent_;
  static ServiceProcess* content_;
  std::unique_ptr<cv1::ConsentService::Stub> stub_;
};
std::string* PropagationIntegrationTest::redis_url_ = nullptr;
Keys* PropagationIntegrationTest::keys_ = nullptr;
std::string* PropagationIntegrationTest::tenant_ = nullptr;
ServiceProcess* PropagationIntegrationTest::consent_ = nullptr;
ServiceProcess* PropagationIntegrationTest::content_ = nullptr;

TEST_F(PropagationIntegrationTest, WithdrawalIsProvenAppliedByContentWithinSeconds) {
  // A fresh consumer group reads the consent topic from the beginning: first let content
  // catch up with whatever earlier suites left there.
  const int64_t given = Give("alice", ShareScope(cv1::NETWORK_LINKEDIN));
  ASSERT_TRUE(WaitApplied("alice", given, seconds(120)).fully_applied())
      << "content never reported applying the first change; see " << content_->log_path();

  const int64_t before = NowMs();
  const int64_t withdrawn = Withdraw("alice", ShareScope(cv1::NETWORK_LINKEDIN));
  const int64_t acknowledged = NowMs();
  ASSERT_EQ(withdrawn, given + 1);
  const auto status = WaitApplied("alice", withdrawn, seconds(5));
  ASSERT_TRUE(status.fully_applied()) << status.DebugString();
  EXPECT_EQ(status.sequence(), withdrawn);
  EXPECT_EQ(status.state(), cv1::CONSENT_STATE_WITHDRAWN);
  ASSERT_EQ(status.scopes_size(), 1);
  EXPECT_EQ(status.scopes(0).network(), cv1::NETWORK_LINKEDIN);
  ASSERT_EQ(status.services_size(), 1);
  const auto& content = status.services(0);
  EXPECT_EQ(content.service(), "content");
  EXPECT_TRUE(content.applied());
  EXPECT_EQ(content.applied_sequence(), withdrawn);
  // Sane times: acknowledged while the call ran, applied after that and a moment later.
  const int64_t ack = Ms(status.acknowledged_time());
  EXPECT_GE(ack, before - 5);
  EXPECT_LE(ack, acknowledged + 5);
  EXPECT_GE(Ms(content.applied_time()), ack);
  EXPECT_LE(Ms(content.applied_time()), NowMs() + 5);
  EXPECT_EQ(Ms(content.lag()), Ms(content.applied_time()) - ack);
  EXPECT_LT(Ms(content.lag()), 5000);

  // Another employee may not look; sequence 0 means the latest change.
  cv1::GetPropagationStatusRequest req;
  req.set_tenant_id(*tenant_);
  req.set_employee_id("alice");
  cv1::GetPropagationStatusResponse denied;
  EXPECT_EQ(stub_->GetPropagationStatus(Ctx(EmployeeToken("bob")).get(), req, &denied).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  cv1::GetPropagationStatusResponse latest;
  ASSERT_TRUE(Status("alice", 0, &latest).ok());
  EXPECT_EQ(latest.sequence(), withdrawn);
  cv1::GetPropagationStatusResponse unknown;
  EXPECT_EQ(Status("alice", withdrawn + 10, &unknown).error_code(), grpc::StatusCode::NOT_FOUND);

  const std::string metrics = HttpGet(consent_->metrics_port(), "/metrics");
  EXPECT_GE(MetricValue(metrics, kHistogramCount), 2) << metrics;
  EXPECT_TRUE(WaitFor([&] { return Gauge() == 0; }, seconds(5))) << Gauge();
}

TEST_F(PropagationIntegrationTest, StoppedContentShowsNotAppliedAndRaisesTheGaugeUntilItCatchesUp) {
  const int64_t given = Give("carol", ShareScope(cv1::NETWORK_X));
  ASSERT_TRUE(WaitApplied("carol", given, seconds(60)).fully_applied());
  ASSERT_TRUE(WaitFor([&] { return Gauge() == 0; }, seconds(5))) << Gauge();

  ASSERT_EQ(content_->Stop(), 0) << "content must stop cleanly on SIGTERM";
  const int64_t withdrawn = Withdraw("carol", ShareScope(cv1::NETWORK_X));
  cv1::GetPropagationStatusResponse status;
  ASSERT_TRUE(Status("carol", withdrawn, &status).ok());
  ASSERT_EQ(status.services_size(), 1);
  EXPECT_FALSE(status.services(0).applied());
  EXPECT_EQ(status.services(0).latest_applied_sequence(), given);
  EXPECT_FALSE(status.fully_applied());

  // The gauge rises while content is away...
  ASSERT_TRUE(WaitFor([&] { return Gauge() >= 1.0; }, seconds(10))) << Gauge();
  const double risen = Gauge();
  ASSERT_TRUE(WaitFor([&] { return Gauge() >= risen + 0.5; }, seconds(10))) << Gauge();
  ASSERT_TRUE(Status("carol", withdrawn, &status).ok());
  EXPECT_FALSE(status.services(0).applied());
  EXPECT_GE(Ms(status.services(0).lag()), 1000) << "waiting for at least as long as the gauge";

  // ...and content catches up from its committed offset once it is back.
  const absl::Status started = content_->Start();
  ASSERT_TRUE(started.ok()) << started;
  status = WaitApplied("carol", withdrawn, seconds(60));
  ASSERT_TRUE(status.fully_applied()) << status.DebugString();
  EXPECT_GE(Ms(status.services(0).lag()), 1000) << "it was applied late, and the proof says so";
  EXPECT_TRUE(WaitFor([&] { return Gauge() == 0; }, seconds(10))) << Gauge();
}

TEST_F(PropagationIntegrationTest, PoisonReceiptIsDeadLetteredAndTheConsumerGoesOn) {
  const std::string employee = UniqueId("dave");
  const std::string key = *tenant_ + "/" + employee;
  const int64_t given = Give(employee, ShareScope(cv1::NETWORK_FACEBOOK));
  ASSERT_TRUE(WaitApplied(employee, given, seconds(60)).fully_applied());

  // The dead-letter topic exists by now: consent creates it before it reads any receipt.
  TopicReader dead_letters(kReceiptsDeadLetters);
  auto producer = kafka::Producer::Create(
      {.brokers = Env("ADVOCACY_KAFKA_BROKERS"),
       .client_id = "propagation-it",
       .security = KafkaSecurity("content")});  // a buggy content replica writes the poison
  ASSERT_TRUE(producer.ok()) << producer.status();
  kafka::Message poison;
  poison.topic = kReceiptsTopic;
  poison.key = key;  // the same partition as the employee's real receipts
  poison.payload = "\xff\xff\xff not a receipt";
  // From a producer of receipts (any other source is refused before the body is read).
  poison.headers = kafka::ToHeaders({.id = kafka::NewEventId(),
                                     .source = "/advocacy/content",
                                     .type = "advocacy.consent.v1.ConsentApplied",
                                     .time = kafka::NowRfc3339()});
  ASSERT_TRUE((*producer)->ProduceSync(poison, seconds(10)).ok());

  ASSERT_TRUE(dead_letters.WaitForKeyCount(key, 1, seconds(30)))
      << "the poison receipt never reached " << kReceiptsDeadLetters;
  const auto dead = dead_letters.ForKey(key).front();
  EXPECT_EQ(dead.payload, poison.payload);
  const std::string* reason = dead.FindHeader("dlq_reason");
  ASSERT_NE(reason, nullptr);
  EXPECT_NE(reason->find("cannot be decoded"), std::string::npos) << *reason;

  // The consumer went on: the next real receipt on that partition is recorded.
  const int64_t withdrawn = Withdraw(employee, ShareScope(cv1::NETWORK_FACEBOOK));
  EXPECT_TRUE(WaitApplied(employee, withdrawn, seconds(10)).fully_applied());
}

}  // namespace
}  // namespace advocacy::it
