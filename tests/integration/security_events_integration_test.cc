// Forged events on the real broker against the real consent, content and notifications binaries
// (docs/SECURITY.md, "Consumers trust nothing they did not check"). An attacker who can reach
// Kafka produces, with a raw producer:
//   - ConsentGiven{sequence = 2^62} for an employee, (a) with the consent service's ce_source but
//     the key of another employee, (b) with the right key but a consumer's ce_source, (c) with
//     key and source consistent but the sequence far above anything real;
//   - ItemPublished with a ce_source other than content's, and one under another tenant's key;
//   - ConsentApplied receipts that claim another service, or a sequence the ledger never issued.
// Each must land in the consumer's dead-letter topic with its reason and be counted in
// advocacy_kafka_rejected_events_total, and afterwards the real opt-out must still be applied by
// every consuming service with receipts that are true, and no forged mail must leave.
//
// Every test uses its own tenant. The forged events go to the real topics, so later runs on the
// same stack read them again (and reject them again); assertions on counters are therefore
// "went up by at least one" and the dead letters are matched by this run's unique keys.

#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "advocacy/common/kafka.h"
#include "advocacy/common/redis_client.h"
#include "advocacy/consent/v1/consent_events.pb.h"
#include "advocacy/consent/v1/consent_service.grpc.pb.h"
#include "advocacy/content/v1/content_events.pb.h"
#include "advocacy/content/v1/content_service.grpc.pb.h"
#include "advocacy/notifications/v1/notifications_service.grpc.pb.h"
#include "harness.h"

namespace advocacy::it {
namespace {

namespace cv1 = advocacy::consent::v1;
namespace ctv1 = advocacy::content::v1;
namespace nv1 = advocacy::notifications::v1;
using auth::Role;
using std::chrono::seconds;

constexpr char kConsentTopic[] = "advocacy.consent.v1";
constexpr char kContentTopic[] = "advocacy.content.v1";
constexpr char kReceiptsTopic[] = "advocacy.consent.receipts.v1";
constexpr int64_t kForgedSequence = int64_t{1} << 62;

cv1::ConsentScope Scope(cv1::Purpose p, cv1::Network n = cv1::NETWORK_UNSPECIFIED) {
  cv1::ConsentScope s;
  s.set_purpose(p);
  s.set_network(n);
  return s;
}
const cv1::ConsentScope kShareLinkedIn = Scope(cv1::PURPOSE_SHARE_CONTENT, cv1::NETWORK_LINKEDIN);
const cv1::ConsentScope kEmailTips = Scope(cv1::PURPOSE_EMAIL_TIPS);
const cv1::ConsentScope kLeaderboard = Scope(cv1::PURPOSE_LEADERBOARD);

// advocacy_kafka_rejected_events_total of one service, topic and reason on a /metrics page;
// -1 when the series is missing.
double Rejected(int metrics_port, const std::string& service, const std::string& topic,
                const std::string& reason) {
  const std::string text = HttpGet(metrics_port, "/metrics");
  const std::string series = "advocacy_kafka_rejected_events_total{reason=\"" + reason +
                             "\",service=\"" + service + "\",topic=\"" + topic + "\"} ";
  const size_t at = text.find(series);
  if (at == std::string::npos) return -1;
  return std::stod(text.substr(at + series.size()));
}

std::string Header(const kafka::Message& m, const std::string& key) {
  const std::string* v = m.FindHeader(key);
  return v == nullptr ? "" : *v;
}

class SecurityEventsIntegrationTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    // The unsubscribe-link key. Tokens come from the stack's OpenID provider; notifications calls
    // consent as the provider's client `notifications` (NotificationsIdentityEnv).
    char dir[] = "/tmp/advocacy-security-events-it-XXXXXX";
    ASSERT_NE(mkdtemp(dir), nullptr);
    dir_ = new std::string(dir);
    {
      std::random_device rd;
      std::string key;
      for (int i = 0; i < 48; ++i) key.push_back(static_cast<char>('a' + rd() % 26));
      std::ofstream(*dir_ + "/unsubscribe.key") << key;
    }
    auto sink = SmtpSink::Start();
    ASSERT_TRUE(sink.ok()) << sink.status();
    sink_ = sink->release();

    auto consent_env = CommonEnv();
    consent_env["CONSENT_PROPAGATION_SERVICES"] = "content,notifications";
    consent_env["CONSENT_RECEIPTS_GROUP"] = UniqueId("consent-receipts-sec-it");
    // WithdrawConsent answers once both services sent their receipts (or after 5 s).
    consent_env["CONSENT_ACK_WAIT_MS"] = "5000";
    consent_ = new ServiceProcess(CONSENT_BINARY, consent_env);
    absl::Status st = consent_->Start();
    ASSERT_TRUE(st.ok()) << st;

    auto content_env = CommonEnv();
    const int link_port = FreePort();
    content_env["CONTENT_LINK_LISTEN"] = "127.0.0.1:" + std::to_string(link_port);
    content_env["CONTENT_LINK_BASE_URL"] = "http://127.0.0.1:" + std::to_string(link_port) + "/l/";
    content_env["CONTENT_OUTBOX_LEASE_MS"] = "1000";
    content_env["CONTENT_CONSENT_GROUP"] = UniqueId("content-consent-sec-it");
    content_ = new ServiceProcess(CONTENT_BINARY, content_env);
    st = content_->Start();
    ASSERT_TRUE(st.ok()) << st;

    auto env = CommonEnv();
    env["NOTIFICATIONS_CONSENT_ADDR"] = consent_->address();
    for (const auto& kv : NotificationsIdentityEnv()) env.insert(kv);
    env["NOTIFICATIONS_UNSUBSCRIBE_KEY_FILE"] = *dir_ + "/unsubscribe.key";
    env["NOTIFICATIONS_PUBLIC_BASE_URL"] = "https://notifications.test";
    env["NOTIFICATIONS_UNSUBSCRIBE_LISTEN"] = "127.0.0.1:" + std::to_string(FreePort());
    env["NOTIFICATIONS_SMTP_URL"] = sink_->url();
    env["NOTIFICATIONS_MAIL_FROM"] = "tips@advocacy.test";
    env["NOTIFICATIONS_POLL_INTERVAL_MS"] = "50";
    env["NOTIFICATIONS_OUTBOX_LEASE_MS"] = "1000";
    env["ADVOCACY_KAFKA_SESSION_TIMEOUT_MS"] = "6000";
    env["NOTIFICATIONS_CONSENT_GROUP"] = UniqueId("notifications-consent-sec-it");
    env["NOTIFICATIONS_EVENTS_GROUP"] = UniqueId("notifications-events-sec-it");
    notifications_ = new ServiceProcess(NOTIFICATIONS_BINARY, env);
    st = notifications_->Start();
    ASSERT_TRUE(st.ok()) << st;

    // The forger holds the broker's widest credential (the admin's): broker ACLs stop every
    // service principal from writing what it does not own (security_kafka_integration), and
    // the consumers' own checks must hold even against a principal that may write every topic.
    auto producer = kafka::Producer::Create({.brokers = Env("ADVOCACY_KAFKA_BROKERS"),
                                             .client_id = "security-events-it-attacker",
                                             .security = KafkaSecurity("admin")});
    ASSERT_TRUE(producer.ok()) << producer.status();
    attacker_ = producer->release();
  }

  static void TearDownTestSuite() {
    delete attacker_;
    for (ServiceProcess* p : {notifications_, content_, consent_}) {
      if (p != nullptr && p->running()) {
        EXPECT_EQ(p->Stop(), 0) << "see " << p->log_path();
      }
      delete p;
    }
    delete sink_;
    if (dir_ != nullptr) {
      std::error_code ec;
      std::filesystem::remove_all(*dir_, ec);
    }
    delete dir_;
  }

  static std::map<std::string, std::string> CommonEnv() {
    return {{"ADVOCACY_REDIS_URL", Env("ADVOCACY_REDIS_URL")},
            {"ADVOCACY_KAFKA_BROKERS", Env("ADVOCACY_KAFKA_BROKERS")},
            {"ADVOCACY_AUTH_ISSUERS_FILE", Env("ADVOCACY_OIDC_ISSUERS_FILE")},
            {"ADVOCACY_DRAIN_TIMEOUT_MS", "2000"},
            {"CONSENT_OUTBOX_LEASE_MS", "1000"}};
  }

  static std::string Token(Role role, const std::string& tenant, const std::string& subject) {
    static Keys keys;  // tokens of the stack's OpenID provider
    return keys.Token(role, tenant, subject, seconds(900));
  }
  static std::unique_ptr<grpc::ClientContext> Ctx(const std::string& token) {
    auto ctx = std::make_unique<grpc::ClientContext>();
    ctx->AddMetadata("authorization", "Bearer " + token);
    ctx->set_deadline(std::chrono::system_clock::now() + seconds(15));
    return ctx;
  }

  void SetUp() override {
    tenant_ = UniqueId("sec");
    consent_stub_ = cv1::ConsentService::NewStub(consent_->channel());
    content_stub_ = ctv1::ContentService::NewStub(content_->channel());
    notifications_stub_ = nv1::NotificationsService::NewStub(notifications_->channel());
    cv1::PublishNoticeRequest req;
    req.set_tenant_id(tenant_);
    req.set_version("2026-11");
    req.set_url("https://example.org/consent/2026-11");
    cv1::PublishNoticeResponse resp;
    const grpc::Status st = consent_stub_->PublishNotice(Ctx(Admin()).get(), req, &resp);
    ASSERT_TRUE(st.ok()) << st.error_message();
  }

  std::string Admin() const { return Token(Role::kAdmin, tenant_, "admin-1"); }
  std::string Employee(const std::string& e) const { return Token(Role::kEmployee, tenant_, e); }
  std::string Key(const std::string& e) const { return tenant_ + "/" + e; }
  std::string Address(const std::string& e) const { return e + "@" + tenant_ + ".test"; }

  int64_t Give(const std::string& e, const std::vector<cv1::ConsentScope>& scopes) {
    cv1::GiveConsentRequest req;
    req.set_tenant_id(tenant_);
    req.set_employee_id(e);
    for (const auto& s : scopes) *req.add_scopes() = s;
    req.set_notice_version("2026-11");
    cv1::GiveConsentResponse resp;
    const grpc::Status st = consent_stub_->GiveConsent(Ctx(Employee(e)).get(), req, &resp);
    EXPECT_TRUE(st.ok()) << st.error_message();
    return resp.sequence();
  }
  cv1::WithdrawConsentResponse WithdrawAll(const std::string& e) {
    cv1::WithdrawConsentRequest req;
    req.set_tenant_id(tenant_);
    req.set_employee_id(e);
    req.set_all_scopes(true);
    cv1::WithdrawConsentResponse resp;
    const grpc::Status st = consent_stub_->WithdrawConsent(Ctx(Employee(e)).get(), req, &resp);
    EXPECT_TRUE(st.ok()) << st.error_message();
    return resp;
  }
  cv1::GetPropagationStatusResponse Propagation(const std::string& e, int64_t sequence) {
    cv1::GetPropagationStatusRequest req;
    req.set_tenant_id(tenant_);
    req.set_employee_id(e);
    req.set_sequence(sequence);
    cv1::GetPropagationStatusResponse resp;
    const grpc::Status st = consent_stub_->GetPropagationStatus(Ctx(Employee(e)).get(), req, &resp);
    EXPECT_TRUE(st.ok()) << st.error_message();
    return resp;
  }
  bool WaitFullyApplied(const std::string& e, int64_t sequence) {
    return WaitFor([&] { return Propagation(e, sequence).fully_applied(); }, seconds(60));
  }
  // The highest sequence a service's consent view holds for an employee (its "_seq").
  int64_t ViewSequence(const std::string& service, const std::string& e) {
    redis::Connection conn(RedisOptions("admin"));
    auto r = conn.Command({"HGET", "adv:" + service + ":cv:{" + tenant_ + ":" + e + "}", "_seq"});
    EXPECT_TRUE(r.ok()) << r.status();
    EXPECT_TRUE(r.ok() && !r->is_error()) << r->DebugString();
    return r.ok() && r->is_string() ? std::stoll(r->str) : 0;
  }

  void Upsert(const std::string& e) {
    nv1::UpsertRecipientRequest req;
    auto* r = req.mutable_recipient();
    r->set_tenant_id(tenant_);
    r->set_employee_id(e);
    r->set_email(Address(e));
    r->set_display_name("Employee " + e);
    r->set_locale("en-GB");
    r->set_time_zone("Europe/Oslo");
    nv1::UpsertRecipientResponse resp;
    const grpc::Status st = notifications_stub_->UpsertRecipient(Ctx(Admin()).get(), req, &resp);
    ASSERT_TRUE(st.ok()) << st.error_message();
  }
  // An item published through the real content service (its ItemPublished comes from its outbox).
  void PublishItem(const std::string& id, const std::string& title) {
    ctv1::CreateItemRequest req;
    req.set_tenant_id(tenant_);
    auto* item = req.mutable_item();
    item->set_item_id(id);
    item->set_title(title);
    item->set_url("https://example.com/news/" + id);
    auto* c = item->add_captions();
    c->set_network(cv1::NETWORK_LINKEDIN);
    c->add_captions("Proud of this");
    ctv1::CreateItemResponse created;
    grpc::Status st = content_stub_->CreateItem(Ctx(Admin()).get(), req, &created);
    ASSERT_TRUE(st.ok()) << st.error_message();
    ctv1::PublishItemRequest pub;
    pub.set_tenant_id(tenant_);
    pub.set_item_id(id);
    ctv1::PublishItemResponse published;
    st = content_stub_->PublishItem(Ctx(Admin()).get(), pub, &published);
    ASSERT_TRUE(st.ok()) << st.error_message();
  }

  // Produces with the attacker's raw producer; the broker must acknowledge it.
  static void Forge(const std::string& topic, const std::string& key, const std::string& source,
                    const google::protobuf::Message& body) {
    kafka::Message m;
    m.topic = topic;
    m.key = key;
    m.payload = body.SerializeAsString();
    m.headers = kafka::ToHeaders({.id = kafka::NewEventId(),
                                  .source = source,
                                  .type = body.GetDescriptor()->full_name(),
                                  .time = kafka::NowRfc3339(),
                                  .subject = key});
    const absl::Status st = attacker_->ProduceSync(std::move(m), seconds(10));
    ASSERT_TRUE(st.ok()) << st;
  }
  cv1::ConsentGiven ForgedGrant(const std::string& e) const {
    cv1::ConsentGiven g;
    g.set_tenant_id(tenant_);
    g.set_employee_id(e);
    for (const auto& s : {kShareLinkedIn, kEmailTips, kLeaderboard}) *g.add_scopes() = s;
    g.set_notice_version("2026-11");
    g.set_sequence(kForgedSequence);
    g.set_method(cv1::CONSENT_METHOD_API);
    g.mutable_occurred_at()->set_seconds(std::time(nullptr));
    return g;
  }

  // Waits for `count` dead letters under `key` and returns their dlq_reason headers.
  static std::vector<std::string> DeadLetterReasons(TopicReader& dlq, const std::string& key,
                                                    size_t count) {
    EXPECT_TRUE(dlq.WaitForKeyCount(key, count, seconds(60)))
        << "fewer than " << count << " dead letters under " << key;
    std::vector<std::string> reasons;
    for (const auto& m : dlq.ForKey(key)) reasons.push_back(Header(m, "dlq_reason"));
    return reasons;
  }

  static std::string* dir_;
  static SmtpSink* sink_;
  static ServiceProcess* consent_;
  static ServiceProcess* content_;
  static ServiceProcess* notifications_;
  static kafka::Producer* attacker_;
  std::string tenant_;
  std::unique_ptr<cv1::ConsentService::Stub> consent_stub_;
  std::unique_ptr<ctv1::ContentService::Stub> content_stub_;
  std::unique_ptr<nv1::NotificationsService::Stub> notifications_stub_;
};
std::string* SecurityEventsIntegrationTest::dir_ = nullptr;
SmtpSink* SecurityEventsIntegrationTest::sink_ = nullptr;
ServiceProcess* SecurityEventsIntegrationTest::consent_ = nullptr;
ServiceProcess* SecurityEventsIntegrationTest::content_ = nullptr;
ServiceProcess* SecurityEventsIntegrationTest::notifications_ = nullptr;
kafka::Producer* SecurityEventsIntegrationTest::attacker_ = nullptr;

// The attack of issue 11: ConsentGiven{sequence = 2^62} would make every consent view ignore the
// employee's later real withdrawal while the receipts still said "fully applied".
TEST_F(SecurityEventsIntegrationTest,
       ForgedConsentGivenIsDeadLetteredAndTheRealOptOutAppliesEverywhere) {
  const std::string victim = UniqueId("victim");
  const std::string other = UniqueId("other");
  const int64_t given = Give(victim, {kShareLinkedIn, kEmailTips, kLeaderboard});
  // Both views applied it, so both consumers run and their dead-letter topics exist.
  ASSERT_TRUE(WaitFullyApplied(victim, given));
  TopicReader content_dlq("advocacy.consent.v1.content.dlq");
  TopicReader notifications_dlq("advocacy.consent.v1.notifications.dlq");
  std::map<std::string, double> before;
  for (const char* reason : {"key_mismatch", "unexpected_source", "sequence_gap"}) {
    before[std::string("content/") + reason] =
        Rejected(content_->metrics_port(), "content", kConsentTopic, reason);
    before[std::string("notifications/") + reason] =
        Rejected(notifications_->metrics_port(), "notifications", kConsentTopic, reason);
    EXPECT_GE(before[std::string("content/") + reason], 0) << "declared at start: " << reason;
  }

  // (a) The consent service's source, the key of another employee.
  Forge(kConsentTopic, Key(other), "/advocacy/consent", ForgedGrant(victim));
  // (b) The right key, a consumer's source (its stolen credentials).
  Forge(kConsentTopic, Key(victim), "/advocacy/content", ForgedGrant(victim));
  // (c) Key and source consistent; the sequence far above anything real.
  Forge(kConsentTopic, Key(victim), "/advocacy/consent", ForgedGrant(victim));

  for (TopicReader* dlq : {&content_dlq, &notifications_dlq}) {
    const auto wrong_key = DeadLetterReasons(*dlq, Key(other), 1);
    ASSERT_EQ(wrong_key.size(), 1u);
    EXPECT_EQ(wrong_key[0].rfind("key_mismatch: ", 0), 0u) << wrong_key[0];
    const auto victims = DeadLetterReasons(*dlq, Key(victim), 2);
    ASSERT_EQ(victims.size(), 2u);
    EXPECT_EQ(victims[0].rfind("unexpected_source: ", 0), 0u) << victims[0];
    EXPECT_EQ(victims[1].rfind("sequence_gap: ", 0), 0u) << victims[1];
  }
  for (const char* reason : {"key_mismatch", "unexpected_source", "sequence_gap"}) {
    EXPECT_TRUE(WaitFor(
        [&] {
          return Rejected(content_->metrics_port(), "content", kConsentTopic, reason) >=
                     before[std::string("content/") + reason] + 1 &&
                 Rejected(notifications_->metrics_port(), "notifications", kConsentTopic, reason) >=
                     before[std::string("notifications/") + reason] + 1;
        },
        seconds(10)))
        << "the rejection is counted: " << reason;
  }
  EXPECT_EQ(ViewSequence("content", victim), given) << "nothing forged was applied";
  EXPECT_EQ(ViewSequence("notifications", victim), given);

  // The real opt-out, through the consent API: applied by both services before it answers, and
  // the proof says so truthfully.
  const cv1::WithdrawConsentResponse withdrawn = WithdrawAll(victim);
  ASSERT_GT(withdrawn.sequence(), given);
  EXPECT_TRUE(withdrawn.fully_propagated()) << withdrawn.ShortDebugString();
  const cv1::GetPropagationStatusResponse status = Propagation(victim, withdrawn.sequence());
  EXPECT_TRUE(status.fully_applied()) << status.ShortDebugString();
  ASSERT_EQ(status.services_size(), 2);
  for (const auto& s : status.services()) {
    EXPECT_TRUE(s.applied()) << s.service();
    EXPECT_EQ(s.latest_applied_sequence(), withdrawn.sequence()) << s.service();
  }
  EXPECT_EQ(ViewSequence("content", victim), withdrawn.sequence());
  EXPECT_EQ(ViewSequence("notifications", victim), withdrawn.sequence());
  // And content acts on it: the feed is built on the withdrawal, not on the forged grant.
  ctv1::GetFeedRequest feed_req;
  feed_req.set_tenant_id(tenant_);
  feed_req.set_employee_id(victim);
  ctv1::GetFeedResponse feed;
  ASSERT_TRUE(content_stub_->GetFeed(Ctx(Employee(victim)).get(), feed_req, &feed).ok());
  EXPECT_EQ(feed.consent_sequence(), withdrawn.sequence());
}

// A forged ItemPublished would send the attacker's text and link through the corporate relay to
// every consenting employee.
TEST_F(SecurityEventsIntegrationTest, ForgedItemPublishedSendsNoMail) {
  const std::string reader = UniqueId("reader");
  Upsert(reader);
  ASSERT_TRUE(WaitFullyApplied(reader, Give(reader, {kEmailTips})));
  TopicReader dlq("advocacy.content.v1.notifications.dlq");
  const double source_before =
      Rejected(notifications_->metrics_port(), "notifications", kContentTopic, "unexpected_source");
  const double key_before =
      Rejected(notifications_->metrics_port(), "notifications", kContentTopic, "key_mismatch");

  ctv1::ItemPublished forged;
  auto* item = forged.mutable_item();
  item->set_tenant_id(tenant_);
  item->set_item_id("forged-1");
  item->set_title("Forged: reset your password");
  item->set_url("https://evil.example/phish");
  item->set_state(ctv1::ITEM_STATE_PUBLISHED);
  auto* caption = item->add_captions();
  caption->set_network(cv1::NETWORK_LINKEDIN);
  caption->add_captions("Forged: click here");
  // Not content's source (the consent service's credentials, say).
  Forge(kContentTopic, tenant_, "/advocacy/consent", forged);
  // Content's source, but under another tenant's key.
  const std::string elsewhere = UniqueId("elsewhere");
  Forge(kContentTopic, elsewhere, "/advocacy/content", forged);

  const auto by_source = DeadLetterReasons(dlq, tenant_, 1);
  ASSERT_EQ(by_source.size(), 1u);
  EXPECT_EQ(by_source[0].rfind("unexpected_source: ", 0), 0u) << by_source[0];
  const auto by_key = DeadLetterReasons(dlq, elsewhere, 1);
  ASSERT_EQ(by_key.size(), 1u);
  EXPECT_EQ(by_key[0].rfind("key_mismatch: ", 0), 0u) << by_key[0];
  EXPECT_TRUE(WaitFor(
      [&] {
        return Rejected(notifications_->metrics_port(), "notifications", kContentTopic,
                        "unexpected_source") >= source_before + 1 &&
               Rejected(notifications_->metrics_port(), "notifications", kContentTopic,
                        "key_mismatch") >= key_before + 1;
      },
      seconds(10)));

  // A real item afterwards (same key, same partition: handled after the forged one) is mailed;
  // the forged text never is.
  PublishItem("real-1", "Our new plant");
  ASSERT_TRUE(WaitFor(
      [&] {
        for (const auto& m : sink_->Mails()) {
          if (m.rcpt_to.size() == 1 && m.rcpt_to[0] == Address(reader)) return true;
        }
        return false;
      },
      seconds(60)))
      << "the real item never reached " << Address(reader) << "; see "
      << notifications_->log_path();
  int to_reader = 0;
  for (const auto& m : sink_->Mails()) {
    EXPECT_EQ(m.data.find("evil.example"), std::string::npos) << m.data;
    EXPECT_EQ(m.data.find("Forged"), std::string::npos) << m.data;
    if (m.rcpt_to.size() == 1 && m.rcpt_to[0] == Address(reader)) ++to_reader;
  }
  EXPECT_EQ(to_reader, 1);
}

// A forged ConsentApplied would fake compliance: with notifications stopped, content's identity
// claims notifications applied a withdrawal, and a receipt claims a sequence the ledger never
// issued. Both are refused; the proof keeps saying notifications has not applied it until it
// really has.
TEST_F(SecurityEventsIntegrationTest, ForgedReceiptsAreRejectedAndTheProofStaysTrue) {
  const std::string e = UniqueId("employee");
  const int64_t given = Give(e, {kEmailTips});
  ASSERT_TRUE(WaitFullyApplied(e, given));
  TopicReader dlq("advocacy.consent.receipts.v1.consent.dlq");
  const double mismatch_before =
      Rejected(consent_->metrics_port(), "consent", kReceiptsTopic, "service_mismatch");
  const double ahead_before =
      Rejected(consent_->metrics_port(), "consent", kReceiptsTopic, "sequence_ahead");

  ASSERT_EQ(notifications_->Stop(), 0);
  const cv1::WithdrawConsentResponse withdrawn = WithdrawAll(e);
  EXPECT_FALSE(withdrawn.fully_propagated()) << "notifications is stopped";

  cv1::ConsentApplied receipt;
  receipt.set_tenant_id(tenant_);
  receipt.set_employee_id(e);
  receipt.set_sequence(withdrawn.sequence());
  receipt.set_view_sequence(withdrawn.sequence());
  receipt.set_service("notifications");
  receipt.mutable_applied_time()->set_seconds(std::time(nullptr));
  receipt.set_state(cv1::CONSENT_STATE_WITHDRAWN);
  receipt.set_all_scopes(true);
  Forge(kReceiptsTopic, Key(e), "/advocacy/content", receipt);  // content vouching for another
  receipt.set_service("content");
  receipt.set_sequence(kForgedSequence);  // a change that never happened
  Forge(kReceiptsTopic, Key(e), "/advocacy/content", receipt);

  const auto reasons = DeadLetterReasons(dlq, Key(e), 2);
  ASSERT_EQ(reasons.size(), 2u);
  EXPECT_EQ(reasons[0].rfind("service_mismatch: ", 0), 0u) << reasons[0];
  EXPECT_EQ(reasons[1].rfind("sequence_ahead: ", 0), 0u) << reasons[1];
  EXPECT_TRUE(WaitFor(
      [&] {
        return Rejected(consent_->metrics_port(), "consent", kReceiptsTopic, "service_mismatch") >=
                   mismatch_before + 1 &&
               Rejected(consent_->metrics_port(), "consent", kReceiptsTopic, "sequence_ahead") >=
                   ahead_before + 1;
      },
      seconds(10)));
  cv1::GetPropagationStatusResponse status = Propagation(e, withdrawn.sequence());
  ASSERT_EQ(status.services_size(), 2);
  EXPECT_FALSE(status.fully_applied()) << status.ShortDebugString();
  EXPECT_EQ(status.services(1).service(), "notifications");
  EXPECT_FALSE(status.services(1).applied()) << "the forged receipt proved nothing";

  // Notifications comes back, applies the withdrawal and sends its own receipt.
  const absl::Status started = notifications_->Start();
  ASSERT_TRUE(started.ok()) << started;
  EXPECT_TRUE(WaitFullyApplied(e, withdrawn.sequence()));
  status = Propagation(e, withdrawn.sequence());
  EXPECT_TRUE(status.services(1).applied());
  EXPECT_EQ(status.services(1).latest_applied_sequence(), withdrawn.sequence());
}

}  // namespace
}  // namespace advocacy::it
