// Kafka authentication and ACLs on the real secured broker of the local stack
// (deploy/local/stack.sh with ADVOCACY_KAFKA_SECURITY=on: TLS with a client certificate per
// principal, StandardAuthorizer, the rules of deploy/k8s/base/kafka-topics/acls.conf), with the
// real consent and content binaries:
//   - content's principal producing to advocacy.consent.v1 is refused by the broker;
//   - a consuming service's (notifications') principal producing a forged ConsentGiven with a
//     sequence of 2^62 is refused, and a later real withdrawal is applied and its receipt true;
//   - a certificate the stack's CA did not sign, or none, is refused (the equivalent of a wrong
//     password: the local stack authenticates with certificates, see docs/SECURITY.md);
//   - a principal reading a topic it does not consume, or joining another service's consumer
//     group, is refused;
//   - the legitimate flow (consent change -> content's view -> receipt) works.
// Every refusal has a positive control: the same request with the right principal succeeds, so
// a broker that let everything through fails the test.
//
// Skipped (with the reason) when the stack runs without security (ADVOCACY_KAFKA_SECURITY=off).

#include <gtest/gtest.h>
#include <librdkafka/rdkafka.h>

#include <array>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>

#include "advocacy/common/kafka.h"
#include "advocacy/consent/v1/consent_events.pb.h"
#include "advocacy/consent/v1/consent_service.grpc.pb.h"
#include "harness.h"

namespace advocacy::it {
namespace {

namespace cv1 = advocacy::consent::v1;
using auth::Role;
using std::chrono::seconds;

constexpr char kConsentTopic[] = "advocacy.consent.v1";
constexpr char kEngagementTopic[] = "advocacy.engagement.v1";
constexpr char kContentTopic[] = "advocacy.content.v1";

bool Secured() {
  const char* protocol = std::getenv("ADVOCACY_KAFKA_SECURITY_PROTOCOL");
  return protocol != nullptr && std::string(protocol) == "SSL";
}

cv1::ConsentScope ShareScope(cv1::Network n) {
  cv1::ConsentScope s;
  s.set_purpose(cv1::PURPOSE_SHARE_CONTENT);
  s.set_network(n);
  return s;
}

// A ConsentGiven as consent would write it, for `tenant/employee` with `sequence`.
kafka::Message ConsentGivenEvent(const std::string& tenant, const std::string& employee,
                                 int64_t sequence) {
  cv1::ConsentGiven given;
  given.set_tenant_id(tenant);
  given.set_employee_id(employee);
  *given.add_scopes() = ShareScope(cv1::NETWORK_LINKEDIN);
  given.set_notice_version("2026-11");
  given.set_sequence(sequence);
  kafka::Message m;
  m.topic = kConsentTopic;
  m.key = tenant + "/" + employee;
  m.payload = given.SerializeAsString();
  m.headers = kafka::ToHeaders({.id = kafka::NewEventId(),
                                .source = "/advocacy/consent",
                                .type = "advocacy.consent.v1.ConsentGiven",
                                .time = kafka::NowRfc3339(),
                                .subject = m.key});
  return m;
}

std::unique_ptr<kafka::Producer> ProducerAs(const kafka::ClientSecurity& security) {
  auto p = kafka::Producer::Create({.brokers = Env("ADVOCACY_KAFKA_BROKERS"),
                                    .client_id = "security-it",
                                    .message_timeout = std::chrono::milliseconds(8000),
                                    .security = security});
  EXPECT_TRUE(p.ok()) << p.status();
  return p.ok() ? std::move(*p) : nullptr;
}

// Subscribes as `principal` in `group` to `topic` with librdkafka directly and polls until it
// reports an error or `limit` passes; returns the error (NO_ERROR when none came). Messages and
// partition-EOF events are not errors.
rd_kafka_resp_err_t FirstConsumeError(const std::string& principal, const std::string& group,
                                      const std::string& topic, std::chrono::seconds limit) {
  std::array<char, 512> errstr{};
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  auto set = [&](const std::string& k, const std::string& v) {
    EXPECT_EQ(rd_kafka_conf_set(conf, k.c_str(), v.c_str(), errstr.data(), errstr.size()),
              RD_KAFKA_CONF_OK)
        << k << ": " << errstr.data();
  };
  set("bootstrap.servers", Env("ADVOCACY_KAFKA_BROKERS"));
  set("group.id", group);
  set("auto.offset.reset", "earliest");
  set("enable.partition.eof", "false");
  for (const auto& [k, v] : KafkaSecurity(principal).Properties()) set(k, v);
  rd_kafka_t* rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, errstr.data(), errstr.size());
  if (rk == nullptr) {
    ADD_FAILURE() << "consumer not created: " << errstr.data();
    rd_kafka_conf_destroy(conf);
    return RD_KAFKA_RESP_ERR__FAIL;
  }
  rd_kafka_poll_set_consumer(rk);
  rd_kafka_topic_partition_list_t* topics = rd_kafka_topic_partition_list_new(1);
  rd_kafka_topic_partition_list_add(topics, topic.c_str(), RD_KAFKA_PARTITION_UA);
  EXPECT_EQ(rd_kafka_subscribe(rk, topics), RD_KAFKA_RESP_ERR_NO_ERROR);
  rd_kafka_topic_partition_list_destroy(topics);
  rd_kafka_resp_err_t found = RD_KAFKA_RESP_ERR_NO_ERROR;
  const auto until = std::chrono::steady_clock::now() + limit;
  while (found == RD_KAFKA_RESP_ERR_NO_ERROR && std::chrono::steady_clock::now() < until) {
    rd_kafka_message_t* m = rd_kafka_consumer_poll(rk, 200);
    if (m == nullptr) continue;
    if (m->err != RD_KAFKA_RESP_ERR_NO_ERROR) found = m->err;
    rd_kafka_message_destroy(m);
  }
  rd_kafka_consumer_close(rk);
  rd_kafka_destroy(rk);
  return found;
}

class SecurityKafkaIntegrationTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (!Secured()) return;
    keys_ = new Keys();
    tenant_ = new std::string(UniqueId("t"));
    auto consent_env = CommonEnv();
    consent_env["CONSENT_PROPAGATION_SERVICES"] = "content";
    consent_env["CONSENT_RECEIPTS_GROUP"] = UniqueId("consent-receipts-security-it");
    consent_env["CONSENT_ACK_WAIT_MS"] = "10000";
    consent_ = new ServiceProcess(CONSENT_BINARY, consent_env);
    absl::Status st = consent_->Start();
    ASSERT_TRUE(st.ok()) << st;

    auto content_env = CommonEnv();
    const int link_port = FreePort();
    content_env["CONTENT_LINK_LISTEN"] = "127.0.0.1:" + std::to_string(link_port);
    content_env["CONTENT_LINK_BASE_URL"] = "http://127.0.0.1:" + std::to_string(link_port) + "/l/";
    content_env["CONTENT_CONSENT_GROUP"] = UniqueId("content-consent-view-security-it");
    content_ = new ServiceProcess(CONTENT_BINARY, content_env);
    st = content_->Start();
    ASSERT_TRUE(st.ok()) << st;
  }
  static void TearDownTestSuite() {
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
  }
  static std::map<std::string, std::string> CommonEnv() {
    // No Kafka settings here: the harness gives each binary its own principal.
    return {{"ADVOCACY_REDIS_URL", Env("ADVOCACY_REDIS_URL")},
            {"ADVOCACY_KAFKA_BROKERS", Env("ADVOCACY_KAFKA_BROKERS")},
            {"ADVOCACY_AUTH_ISSUERS_FILE", keys_->issuers_file()},
            {"ADVOCACY_DRAIN_TIMEOUT_MS", "2000"},
            {"CONSENT_OUTBOX_LEASE_MS", "1000"},
            {"CONTENT_OUTBOX_LEASE_MS", "1000"}};
  }

  void SetUp() override {
    if (!Secured()) {
      GTEST_SKIP() << "the stack runs without Kafka security (ADVOCACY_KAFKA_SECURITY=off)";
    }
    stub_ = cv1::ConsentService::NewStub(consent_->channel());
    cv1::PublishNoticeRequest req;
    req.set_tenant_id(*tenant_);
    req.set_version("2026-11");
    req.set_url("https://example.org/consent/2026-11");
    cv1::PublishNoticeResponse resp;
    ASSERT_TRUE(
        stub_->PublishNotice(Ctx(keys_->Token(Role::kAdmin, *tenant_, "admin-1")).get(), req, &resp)
            .ok());
  }

  static std::unique_ptr<grpc::ClientContext> Ctx(const std::string& token) {
    auto ctx = std::make_unique<grpc::ClientContext>();
    ctx->AddMetadata("authorization", "Bearer " + token);
    ctx->set_deadline(std::chrono::system_clock::now() + seconds(20));
    return ctx;
  }
  std::string EmployeeToken(const std::string& e) const {
    return keys_->Token(Role::kEmployee, *tenant_, e);
  }
  int64_t Give(const std::string& e) {
    cv1::GiveConsentRequest req;
    req.set_tenant_id(*tenant_);
    req.set_employee_id(e);
    *req.add_scopes() = ShareScope(cv1::NETWORK_LINKEDIN);
    req.set_notice_version("2026-11");
    cv1::GiveConsentResponse resp;
    const grpc::Status st = stub_->GiveConsent(Ctx(EmployeeToken(e)).get(), req, &resp);
    EXPECT_TRUE(st.ok()) << st.error_message();
    return resp.sequence();
  }
  cv1::WithdrawConsentResponse Withdraw(const std::string& e) {
    cv1::WithdrawConsentRequest req;
    req.set_tenant_id(*tenant_);
    req.set_employee_id(e);
    *req.add_scopes() = ShareScope(cv1::NETWORK_LINKEDIN);
    cv1::WithdrawConsentResponse resp;
    const grpc::Status st = stub_->WithdrawConsent(Ctx(EmployeeToken(e)).get(), req, &resp);
    EXPECT_TRUE(st.ok()) << st.error_message();
    return resp;
  }
  // Polls until content reports `sequence` applied; the last answer either way.
  cv1::GetPropagationStatusResponse WaitApplied(const std::string& e, int64_t sequence,
                                                std::chrono::milliseconds limit) {
    cv1::GetPropagationStatusResponse resp;
    WaitFor(
        [&] {
          resp.Clear();
          cv1::GetPropagationStatusRequest req;
          req.set_tenant_id(*tenant_);
          req.set_employee_id(e);
          req.set_sequence(sequence);
          return stub_->GetPropagationStatus(Ctx(EmployeeToken(e)).get(), req, &resp).ok() &&
                 resp.fully_applied();
        },
        limit);
    return resp;
  }

  static Keys* keys_;
  static std::string* tenant_;
  static ServiceProcess* consent_;
  static ServiceProcess* content_;
  std::unique_ptr<cv1::ConsentService::Stub> stub_;
};
Keys* SecurityKafkaIntegrationTest::keys_ = nullptr;
std::string* SecurityKafkaIntegrationTest::tenant_ = nullptr;
ServiceProcess* SecurityKafkaIntegrationTest::consent_ = nullptr;
ServiceProcess* SecurityKafkaIntegrationTest::content_ = nullptr;

void ExpectTopicAuthorizationFailed(const absl::Status& st) {
  EXPECT_EQ(st.code(), absl::StatusCode::kPermissionDenied) << st;
  EXPECT_NE(st.message().find("TOPIC_AUTHORIZATION_FAILED"), std::string::npos) << st;
}

TEST_F(SecurityKafkaIntegrationTest, ContentMayNotWriteTheConsentTopic) {
  const std::string employee = UniqueId("erin");
  auto content = ProducerAs(KafkaSecurity("content"));
  ASSERT_NE(content, nullptr);
  ExpectTopicAuthorizationFailed(
      content->ProduceSync(ConsentGivenEvent(*tenant_, employee, 1), seconds(15)));
  // Positive control: content's principal writes its own topic through the same connection.
  kafka::Message own = ConsentGivenEvent(*tenant_, employee, 1);
  own.topic = kEngagementTopic;
  own.payload = "security-it control";
  EXPECT_TRUE(content->ProduceSync(std::move(own), seconds(15)).ok());
}

TEST_F(SecurityKafkaIntegrationTest, ForgedConsentFromAConsumersCredentialIsRefused) {
  const std::string employee = UniqueId("frank");
  const int64_t given = Give(employee);
  ASSERT_TRUE(WaitApplied(employee, given, seconds(60)).fully_applied())
      << "content never applied the real grant; see " << content_->log_path();

  // Notifications reads the consent topic; with its credential an attacker tries to plant a
  // grant that every later real withdrawal would lose against (sequence 2^62).
  auto notifications = ProducerAs(KafkaSecurity("notifications"));
  ASSERT_NE(notifications, nullptr);
  ExpectTopicAuthorizationFailed(notifications->ProduceSync(
      ConsentGivenEvent(*tenant_, employee, int64_t{1} << 62), seconds(15)));

  // The real withdrawal is applied by content, and the receipt says so before the answer.
  const cv1::WithdrawConsentResponse withdrawn = Withdraw(employee);
  EXPECT_EQ(withdrawn.sequence(), given + 1);
  EXPECT_TRUE(withdrawn.fully_propagated()) << withdrawn.DebugString();
  const auto status = WaitApplied(employee, withdrawn.sequence(), seconds(10));
  ASSERT_TRUE(status.fully_applied()) << status.DebugString();
  ASSERT_EQ(status.services_size(), 1);
  EXPECT_EQ(status.services(0).service(), "content");
  EXPECT_EQ(status.services(0).applied_sequence(), withdrawn.sequence());
  EXPECT_EQ(status.state(), cv1::CONSENT_STATE_WITHDRAWN);

  // Positive control: consent's own principal may write the topic (the same event shape).
  auto consent = ProducerAs(KafkaSecurity("consent"));
  ASSERT_NE(consent, nullptr);
  kafka::Message replay = ConsentGivenEvent(*tenant_, employee, given);  // an old sequence: no-op
  EXPECT_TRUE(consent->ProduceSync(std::move(replay), seconds(15)).ok());
}

// The local stack authenticates with certificates, so "a wrong password" is a certificate the
// stack's CA did not sign (here: a self-signed one claiming CN=consent), or no certificate.
TEST_F(SecurityKafkaIntegrationTest, UntrustedOrMissingClientCertificatesAreRefused) {
  const std::string dir = ::testing::TempDir() + "/security-kafka-it-" + UniqueId("cert");
  std::filesystem::create_directories(dir);
  const std::string cmd =
      "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes "
      "-days 2 -subj '/O=Advocacy local/CN=consent' -keyout '" +
      dir + "/fake.key' -out '" + dir + "/fake.pem' >/dev/null 2>&1";
  ASSERT_EQ(std::system(cmd.c_str()), 0) << cmd;

  kafka::ClientSecurity forged = KafkaSecurity("consent");
  forged.cert_file = dir + "/fake.pem";
  forged.key_file = dir + "/fake.key";
  auto impostor = ProducerAs(forged);
  ASSERT_NE(impostor, nullptr);
  kafka::ClientSecurity anonymous = KafkaSecurity("consent");
  anonymous.cert_file.clear();
  anonymous.key_file.clear();
  auto nobody = ProducerAs(anonymous);
  ASSERT_NE(nobody, nullptr);
  // consent's own dead-letter topic: writable by consent only, read by nobody.
  const auto message = [] {
    kafka::Message m;
    m.topic = "advocacy.consent.receipts.v1.consent.dlq";
    m.key = "security-it";
    m.payload = "who am I";
    return m;
  };
  EXPECT_FALSE(impostor->ProduceSync(message(), seconds(15)).ok());
  EXPECT_FALSE(nobody->ProduceSync(message(), seconds(15)).ok());
  EXPECT_FALSE(impostor->BrokerReachable());
  EXPECT_FALSE(nobody->BrokerReachable());

  // Positive control: the real consent certificate, same topic, same message.
  auto consent = ProducerAs(KafkaSecurity("consent"));
  ASSERT_NE(consent, nullptr);
  EXPECT_TRUE(consent->ProduceSync(message(), seconds(15)).ok());
  std::filesystem::remove_all(dir);
}

TEST_F(SecurityKafkaIntegrationTest, PrincipalsReadOnlyWhatTheyConsumeInTheirOwnGroups) {
  // Nobody consumes the engagement topic: notifications may not read it.
  EXPECT_EQ(FirstConsumeError("notifications", UniqueId("notifications-security-it"),
                              kEngagementTopic, seconds(30)),
            RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED);
  // Content may not join a consumer group of notifications, even on a topic it may read.
  EXPECT_EQ(FirstConsumeError("content", UniqueId("notifications-security-it"), kConsentTopic,
                              seconds(30)),
            RD_KAFKA_RESP_ERR_GROUP_AUTHORIZATION_FAILED);
  // Positive control: notifications reads the content topic in a group of its own.
  EXPECT_EQ(FirstConsumeError("notifications", UniqueId("notifications-security-it"), kContentTopic,
                              seconds(8)),
            RD_KAFKA_RESP_ERR_NO_ERROR);
}

}  // namespace
}  // namespace advocacy::it
