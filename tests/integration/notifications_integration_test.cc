// The notifications service as a black box: the real notifications and consent binaries on the
// real Redis and Kafka of the local stack, and a real SMTP server (SmtpSink, aiosmtpd) that
// records what it accepted. Each test uses its own tenant, and every address carries the
// tenant, so tests never see each other's mail.

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <set>
#include <thread>

#include "advocacy/common/strings.h"
#include "advocacy/consent/v1/consent_service.grpc.pb.h"
#include "advocacy/content/v1/content_events.pb.h"
#include "advocacy/notifications/v1/notifications_events.pb.h"
#include "advocacy/notifications/v1/notifications_service.grpc.pb.h"
#include "harness.h"
#include "notifications_domain.h"

namespace advocacy::it {
namespace {

namespace cv1 = advocacy::consent::v1;
namespace nv1 = advocacy::notifications::v1;
using auth::Role;

constexpr char kPublicBase[] = "https://notifications.test";
constexpr char kMailFrom[] = "tips@advocacy.test";
constexpr int kDispatchWorkers = 4;

int64_t NowNanos() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

int64_t Nanos(const google::protobuf::Timestamp& ts) {
  return ts.seconds() * 1000000000LL + ts.nanos();
}

bool Terminal(nv1::JobState s) {
  return s == nv1::JOB_STATE_SENT || s == nv1::JOB_STATE_SKIPPED || s == nv1::JOB_STATE_CANCELLED ||
         s == nv1::JOB_STATE_FAILED;
}

// Runs a function when the scope ends, also when an assertion returns early, or on Run().
class Finally {
 public:
  explicit Finally(std::function<void()> fn) : fn_(std::move(fn)) {}
  ~Finally() { Run(); }
  Finally(const Finally&) = delete;
  Finally& operator=(const Finally&) = delete;
  void Run() {
    auto fn = std::move(fn_);
    fn_ = nullptr;
    if (fn) fn();
  }

 private:
  std::function<void()> fn_;
};

struct HttpResult {
  int status = 0;
  std::string body;
};

// One HTTP/1.0 request over a plain socket (the unsubscribe endpoint listens on loopback).
HttpResult Http(int port, const std::string& method, const std::string& target,
                const std::string& body = "") {
  HttpResult out;
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<uint16_t>(port));
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    close(fd);
    return out;
  }
  std::string req = method + " " + target + " HTTP/1.0\r\nHost: notifications.test\r\n";
  if (method == "POST") {
    req += "Content-Type: application/x-www-form-urlencoded\r\nContent-Length: " +
           std::to_string(body.size()) + "\r\n";
  }
  req += "\r\n" + body;
  (void)write(fd, req.data(), req.size());
  std::string raw;
  char buf[8192];
  ssize_t n;
  while ((n = read(fd, buf, sizeof(buf))) > 0) raw.append(buf, static_cast<size_t>(n));
  close(fd);
  if (raw.rfind("HTTP/1.", 0) == 0 && raw.size() > 12) out.status = std::atoi(raw.c_str() + 9);
  const auto at = raw.find("\r\n\r\n");
  if (at != std::string::npos) out.body = raw.substr(at + 4);
  return out;
}

class NotificationsIntegrationTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    // The unsubscribe-link key. Tokens come from the stack's OpenID provider; notifications calls
    // consent as the provider's client `notifications` (NotificationsIdentityEnv).
    char dir[] = "/tmp/advocacy-notif-it-XXXXXX";
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
    // Only this suite's services run: the consent service waits (up to CONSENT_ACK_WAIT_MS) for
    // the notifications service to apply a withdrawal before acknowledging it.
    consent_env["CONSENT_PROPAGATION_SERVICES"] = "notifications";
    consent_env["CONSENT_RECEIPTS_GROUP"] = UniqueId("consent-receipts-it");
    consent_env["CONSENT_ACK_WAIT_MS"] = "5000";
    consent_ = new ServiceProcess(CONSENT_BINARY, consent_env);
    // With the stack's gRPC certificates, consent requires client certificates of the stack CA
    // (GrpcTlsEnv), so every call notifications makes below (CheckConsent before a mail,
    // WithdrawConsent for a one-click unsubscribe) travels over mutual TLS with its own
    // certificate: the unsubscribe tests prove that channel.
    if (std::getenv("ADVOCACY_GRPC_TLS_DIR") != nullptr) {
      ASSERT_TRUE(consent_->tls());
    }
    absl::Status st = consent_->Start();
    ASSERT_TRUE(st.ok()) << st;

    unsubscribe_port_ = FreePort();
    auto env = CommonEnv();
    env["NOTIFICATIONS_CONSENT_ADDR"] = consent_->address();
    for (const auto& kv : NotificationsIdentityEnv()) env.insert(kv);
    env["NOTIFICATIONS_UNSUBSCRIBE_KEY_FILE"] = *dir_ + "/unsubscribe.key";
    env["NOTIFICATIONS_PUBLIC_BASE_URL"] = kPublicBase;
    env["NOTIFICATIONS_UNSUBSCRIBE_LISTEN"] = "127.0.0.1:" + std::to_string(unsubscribe_port_);
    env["NOTIFICATIONS_SMTP_URL"] = sink_->url();
    env["NOTIFICATIONS_MAIL_FROM"] = kMailFrom;
    env["NOTIFICATIONS_SEND_MAX_ATTEMPTS"] = "6";
    // Six attempts over ~7.5 s (250 ms doubling to 4 s): the relay-down test restarts the SMTP
    // sink (a Python process) after a job's first attempt, and it must be back before the last
    // one even on a loaded 2-core machine (800 ms caps left ~2 s, and a slow start failed it).
    env["NOTIFICATIONS_RETRY_BASE_MS"] = "250";
    env["NOTIFICATIONS_RETRY_MAX_MS"] = "4000";
    env["NOTIFICATIONS_CONSENT_RETRY_MS"] = "200";
    env["NOTIFICATIONS_POLL_INTERVAL_MS"] = "50";
    env["NOTIFICATIONS_DISPATCH_WORKERS"] = std::to_string(kDispatchWorkers);
    env["NOTIFICATIONS_DISPATCH_BATCH"] = "20";
    // Short claims so the kill test's restart takes over quickly; still longer than the
    // longest send (1 s connect + 2 s transfer + 2 x 400 ms consent).
    env["NOTIFICATIONS_SMTP_CONNECT_TIMEOUT_MS"] = "1000";
    env["NOTIFICATIONS_SMTP_TIMEOUT_MS"] = "2000";
    env["NOTIFICATIONS_CONSENT_DEADLINE_MS"] = "400";
    env["NOTIFICATIONS_CLAIM_LEASE_MS"] = "4000";
    env["NOTIFICATIONS_OUTBOX_LEASE_MS"] = "1000";
    // The broker's minimum: after the SIGKILL the dead member's partitions move on quickly.
    env["ADVOCACY_KAFKA_SESSION_TIMEOUT_MS"] = "6000";
    // Groups of their own: a member left behind by an earlier, killed run would hold the
    // partitions until its session times out.
    env["NOTIFICATIONS_CONSENT_GROUP"] = UniqueId("notifications-consent-it");
    env["NOTIFICATIONS_EVENTS_GROUP"] = UniqueId("notifications-events-it");
    notifications_env_ = new std::map<std::string, std::string>(env);
    notifications_ = new ServiceProcess(NOTIFICATIONS_BINARY, env);
    st = notifications_->Start();
    ASSERT_TRUE(st.ok()) << st;
  }

  static void TearDownTestSuite() {
    // SIGTERM: the service leaves its consumer groups and finishes sends in progress.
    if (notifications_ != nullptr && notifications_->running()) {
      EXPECT_EQ(notifications_->Stop(), 0) << "see " << notifications_->log_path();
    }
    delete notifications_;
    if (consent_ != nullptr && consent_->running()) consent_->Stop();
    delete consent_;
    delete sink_;
    delete notifications_env_;
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
    return keys.Token(role, tenant, subject, std::chrono::seconds(900));
  }

  void SetUp() override {
    tenant_ = UniqueId("nt");
    consent_stub_ = cv1::ConsentService::NewStub(consent_->channel());
    Connect();
    cv1::PublishNoticeRequest req;
    req.set_tenant_id(tenant_);
    req.set_version("2026-11");
    req.set_url("https://example.org/consent/2026-11");
    cv1::PublishNoticeResponse resp;
    const grpc::Status st = consent_stub_->PublishNotice(Ctx(AdminToken()).get(), req, &resp);
    ASSERT_TRUE(st.ok()) << st.error_message();
  }

  void Connect() { stub_ = nv1::NotificationsService::NewStub(notifications_->channel()); }

  static std::unique_ptr<grpc::ClientContext> Ctx(const std::string& token) {
    auto ctx = std::make_unique<grpc::ClientContext>();
    ctx->AddMetadata("authorization", "Bearer " + token);
    ctx->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    return ctx;
  }
  std::string AdminToken() const { return Token(Role::kAdmin, tenant_, "admin-1"); }
  std::string ServiceToken() const { return Token(Role::kService, "*", "content"); }
  std::string EmployeeToken(const std::string& e) const {
    return Token(Role::kEmployee, tenant_, e);
  }
  std::string Address(const std::string& e) const { return e + "@" + tenant_ + ".test"; }

  void Upsert(const std::string& e, const std::string& locale = "en-GB") {
    nv1::UpsertRecipientRequest req;
    auto* r = req.mutable_recipient();
    r->set_tenant_id(tenant_);
    r->set_employee_id(e);
    r->set_email(Address(e));
    r->set_display_name("Employee " + e);
    r->set_locale(locale);
    r->set_time_zone("Europe/Oslo");
    nv1::UpsertRecipientResponse resp;
    const grpc::Status st = stub_->UpsertRecipient(Ctx(AdminToken()).get(), req, &resp);
    ASSERT_TRUE(st.ok()) << st.error_message();
  }

  static cv1::ConsentScope Scope(cv1::Purpose p) {
    cv1::ConsentScope s;
    s.set_purpose(p);
    return s;
  }
  void Give(const std::string& e, cv1::Purpose p = cv1::PURPOSE_EMAIL_TIPS) {
    cv1::GiveConsentRequest req;
    req.set_tenant_id(tenant_);
    req.set_employee_id(e);
    *req.add_scopes() = Scope(p);
    req.set_notice_version("2026-11");
    req.set_method(cv1::CONSENT_METHOD_APP_TOGGLE);
    cv1::GiveConsentResponse resp;
    const grpc::Status st = consent_stub_->GiveConsent(Ctx(EmployeeToken(e)).get(), req, &resp);
    ASSERT_TRUE(st.ok()) << st.error_message();
  }
  cv1::WithdrawConsentResponse Withdraw(const std::string& e,
                                        cv1::Purpose p = cv1::PURPOSE_EMAIL_TIPS) {
    cv1::WithdrawConsentRequest req;
    req.set_tenant_id(tenant_);
    req.set_employee_id(e);
    *req.add_scopes() = Scope(p);
    req.set_method(cv1::CONSENT_METHOD_APP_TOGGLE);
    cv1::WithdrawConsentResponse resp;
    const grpc::Status st = consent_stub_->WithdrawConsent(Ctx(EmployeeToken(e)).get(), req, &resp);
    EXPECT_TRUE(st.ok()) << st.error_message();
    return resp;
  }
  bool Granted(const std::string& e, cv1::Purpose p = cv1::PURPOSE_EMAIL_TIPS) {
    cv1::CheckConsentRequest req;
    req.set_tenant_id(tenant_);
    req.set_employee_id(e);
    *req.mutable_scope() = Scope(p);
    cv1::CheckConsentResponse resp;
    const grpc::Status st = consent_stub_->CheckConsent(Ctx(AdminToken()).get(), req, &resp);
    EXPECT_TRUE(st.ok()) << st.error_message();
    return resp.granted();
  }

  static nv1::NotificationContent Content(const std::string& title) {
    nv1::NotificationContent c;
    c.set_purpose(cv1::PURPOSE_EMAIL_TIPS);
    c.set_topic(nv1::TOPIC_CONTENT);
    c.set_title(title);
    c.set_summary("Worth a look");
    c.set_link("https://example.com/news/" + title);
    return c;
  }

  grpc::Status Trigger(const std::string& e, const std::string& key, const std::string& title,
                       std::string* job_id) {
    nv1::TriggerRequest req;
    req.set_tenant_id(tenant_);
    req.set_employee_id(e);
    *req.mutable_content() = Content(title);
    req.set_idempotency_key(key);
    nv1::TriggerResponse resp;
    grpc::Status st = stub_->Trigger(Ctx(ServiceToken()).get(), req, &resp);
    if (job_id != nullptr) *job_id = resp.job_id();
    return st;
  }
  std::string TriggerOk(const std::string& e, const std::string& key, const std::string& title) {
    std::string id;
    const grpc::Status st = Trigger(e, key, title, &id);
    EXPECT_TRUE(st.ok()) << st.error_message();
    return id;
  }

  nv1::Explanation Explain(const std::string& job_id) {
    nv1::ExplainDeliveryRequest req;
    req.set_job_id(job_id);
    nv1::ExplainDeliveryResponse resp;
    const grpc::Status st = stub_->ExplainDelivery(Ctx(AdminToken()).get(), req, &resp);
    return st.ok() ? resp.explanation() : nv1::Explanation();
  }
  // The explanation once the job is settled (sent, skipped, cancelled or failed).
  nv1::Explanation Settled(const std::string& job_id,
                           std::chrono::milliseconds limit = std::chrono::seconds(30)) {
    nv1::Explanation x;
    EXPECT_TRUE(WaitFor(
        [&] {
          x = Explain(job_id);
          return Terminal(x.job_state());
        },
        limit))
        << "job " << job_id << " never settled; last: " << x.ShortDebugString() << "; see "
        << notifications_->log_path();
    return x;
  }

  std::vector<ReceivedMail> MailsTo(const std::string& e) const {
    std::vector<ReceivedMail> out;
    for (auto& m : sink_->Mails()) {
      if (m.rcpt_to.size() == 1 && m.rcpt_to[0] == Address(e)) out.push_back(std::move(m));
    }
    return out;
  }
  std::vector<ReceivedMail> TenantMails() const {
    std::vector<ReceivedMail> out;
    const std::string suffix = "@" + tenant_ + ".test";
    for (auto& m : sink_->Mails()) {
      if (m.rcpt_to.size() == 1 && m.rcpt_to[0].ends_with(suffix)) out.push_back(std::move(m));
    }
    return out;
  }

  // Publishes an ItemPublished event the way the content service does (CloudEvents binary).
  void PublishItem(const std::string& ce_id, const std::string& item_id, const std::string& title) {
    advocacy::content::v1::ItemPublished e;
    auto* item = e.mutable_item();
    item->set_tenant_id(tenant_);
    item->set_item_id(item_id);
    item->set_title(title);
    item->set_url("https://example.com/items/" + item_id);
    item->set_state(advocacy::content::v1::ITEM_STATE_PUBLISHED);
    auto* c = item->add_captions();
    c->set_network(cv1::NETWORK_LINKEDIN);
    c->add_captions("Proud of this one");
    kafka::Message m;
    m.topic = "advocacy.content.v1";
    m.key = tenant_;
    m.payload = e.SerializeAsString();
    m.headers = kafka::ToHeaders({.id = ce_id,
                                  .source = "/advocacy/content",
                                  .type = "advocacy.content.v1.ItemPublished",
                                  .time = kafka::NowRfc3339(),
                                  .subject = tenant_});
    ASSERT_TRUE(Producer()->ProduceSync(std::move(m), std::chrono::seconds(10)).ok());
  }

  static kafka::Producer* Producer() {
    static kafka::Producer* producer = [] {
      auto p = kafka::Producer::Create(
          {.brokers = Env("ADVOCACY_KAFKA_BROKERS"),
           .client_id = "notifications-it",
           .security = KafkaSecurity("admin")});  // plays content and courses
      EXPECT_TRUE(p.ok()) << p.status();
      return p.ok() ? p->release() : nullptr;
    }();
    return producer;
  }

  std::string tenant_;
  std::unique_ptr<cv1::ConsentService::Stub> consent_stub_;
  std::unique_ptr<nv1::NotificationsService::Stub> stub_;

  static inline std::string* dir_ = nullptr;
  static inline SmtpSink* sink_ = nullptr;
  static inline ServiceProcess* consent_ = nullptr;
  static inline ServiceProcess* notifications_ = nullptr;
  static inline std::map<std::string, std::string>* notifications_env_ = nullptr;
  static inline int unsubscribe_port_ = 0;
};

// ItemPublished produced to Kafka (twice: a redelivery) reaches exactly the consenting
// employees who want content, one mail each, with the one-click unsubscribe headers.
TEST_F(NotificationsIntegrationTest, PublishedItemReachesExactlyTheConsentingEmployeesOnce) {
  for (const char* e : {"a", "b", "c", "d"}) Upsert(e);
  Give("a");
  Give("b");
  Give("d");  // consents, but only wants course mails
  nv1::SetPreferencesRequest prefs;
  prefs.mutable_preferences()->set_tenant_id(tenant_);
  prefs.mutable_preferences()->set_employee_id("d");
  prefs.mutable_preferences()->add_topics(nv1::TOPIC_COURSES);
  nv1::SetPreferencesResponse prefs_resp;
  ASSERT_TRUE(stub_->SetPreferences(Ctx(EmployeeToken("d")).get(), prefs, &prefs_resp).ok());

  const std::string ce_id = UniqueId("item-event");
  PublishItem(ce_id, "item-1", "Our new plant");
  PublishItem(ce_id, "item-1", "Our new plant");  // the same event again: no new jobs

  const std::string source = notifications::SourceHash("event", "advocacy.content.v1\n" + ce_id);
  std::map<std::string, nv1::Explanation> x;
  for (const char* e : {"a", "b", "c", "d"}) {
    x[e] = Settled(notifications::JobId(tenant_, e, source), std::chrono::seconds(60));
  }
  EXPECT_EQ(x["a"].job_state(), nv1::JOB_STATE_SENT);
  EXPECT_EQ(x["b"].job_state(), nv1::JOB_STATE_SENT);
  EXPECT_EQ(x["c"].skip_reason(), nv1::SKIP_REASON_NO_CONSENT);
  EXPECT_EQ(x["d"].skip_reason(), nv1::SKIP_REASON_TOPIC_FILTERED);

  ASSERT_EQ(MailsTo("a").size(), 1u);
  ASSERT_EQ(MailsTo("b").size(), 1u);
  EXPECT_TRUE(MailsTo("c").empty());
  EXPECT_TRUE(MailsTo("d").empty());
  EXPECT_EQ(TenantMails().size(), 2u);

  const ReceivedMail m = MailsTo("a")[0];
  EXPECT_EQ(m.mail_from, kMailFrom);
  EXPECT_EQ(m.headers.at("message-id"), "<" + x["a"].message_id() + ">");
  EXPECT_NE(m.headers.at("from").find(kMailFrom), std::string::npos);
  EXPECT_NE(m.headers.at("to").find(Address("a")), std::string::npos);
  EXPECT_NE(m.headers.at("subject").find("Our new plant"), std::string::npos)
      << m.headers.at("subject");
  EXPECT_EQ(m.headers.at("content-type").rfind("multipart/alternative", 0), 0u);
  EXPECT_NE(m.data.find("text/plain"), std::string::npos);
  EXPECT_NE(m.data.find("text/html"), std::string::npos);
  const std::string unsubscribe = m.headers.at("list-unsubscribe");
  EXPECT_EQ(unsubscribe.rfind(std::string("<") + kPublicBase + "/unsubscribe?token=", 0), 0u)
      << unsubscribe;
  EXPECT_EQ(m.headers.at("list-unsubscribe-post"), "List-Unsubscribe=One-Click");
  EXPECT_NE(MailsTo("b")[0].headers.at("list-unsubscribe"), unsubscribe);  // per employee

  // The same idempotency key with another body is refused; the same body is a no-op.
  std::string first;
  ASSERT_TRUE(Trigger("a", "k1", "One", &first).ok());
  std::string again;
  ASSERT_TRUE(Trigger("a", "k1", "One", &again).ok());
  EXPECT_EQ(first, again);
  EXPECT_EQ(Trigger("a", "k1", "Two", nullptr).error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(Settled(first).job_state(), nv1::JOB_STATE_SENT);
  EXPECT_EQ(MailsTo("a").size(), 2u);
}

// Withdraw, then trigger at once: no mail. The withdrawal also races a send already under way
// (a trigger issued a random 0-8 ms earlier). Asserted with the relay's acceptance times:
//  * a withdrawal that returned fully propagated (the notifications service applied it: open
//    jobs cancelled and every send past its re-check over) is never followed by an accepted
//    mail of that employee;
//  * without that acknowledgement (the consent service did not wait), a mail accepted after
//    the withdrawal returned must have had its consent re-check start before it returned;
//  * a trigger after the withdrawal never mails.
TEST_F(NotificationsIntegrationTest, WithdrawalRacingTheSendNeverLetsAMailOutAfterIt) {
  constexpr int kRounds = 60;
  std::mt19937 rng(std::random_device{}());
  std::uniform_int_distribution<int> delay_us(0, 8000);
  int sent_before = 0;
  int stopped = 0;
  int in_flight_after = 0;
  int propagated = 0;
  std::vector<int64_t> windows_ns;  // consent re-check started -> relay accepted, per mail
  {
    // Warm-up: the service's consent view may still be replaying older consent events; the
    // rounds should race sends, not that replay.
    Upsert("warm-up");
    Give("warm-up");
    const int64_t sequence = Withdraw("warm-up").sequence();
    ASSERT_TRUE(WaitFor(
        [&] {
          cv1::GetPropagationStatusRequest req;
          req.set_tenant_id(tenant_);
          req.set_employee_id("warm-up");
          req.set_sequence(sequence);
          cv1::GetPropagationStatusResponse resp;
          return consent_stub_->GetPropagationStatus(Ctx(AdminToken()).get(), req, &resp).ok() &&
                 resp.fully_applied();
        },
        std::chrono::seconds(120)))
        << "the notifications service never applied a withdrawal; see "
        << notifications_->log_path();
  }
  for (int round = 0; round < kRounds; ++round) {
    const std::string e = "race-" + std::to_string(round);
    Upsert(e);
    Give(e);
    const std::string racing = TriggerOk(e, "racing-" + std::to_string(round), "Racing");
    // The race itself; every fourth round withdraws at once, so both outcomes occur.
    std::this_thread::sleep_for(std::chrono::microseconds(round % 4 == 0 ? 0 : delay_us(rng)));
    const int64_t withdraw_start = NowNanos();
    const cv1::WithdrawConsentResponse withdrawn = Withdraw(e);
    const int64_t acknowledged = NowNanos();
    if (withdrawn.fully_propagated()) ++propagated;
    const std::string after = TriggerOk(e, "after-" + std::to_string(round), "After");

    const nv1::Explanation xa = Settled(racing);
    const nv1::Explanation xb = Settled(after);
    EXPECT_NE(xb.job_state(), nv1::JOB_STATE_SENT) << "round " << round;
    const auto mails = MailsTo(e);
    ASSERT_LE(mails.size(), 1u) << "round " << round;
    if (mails.empty()) {
      ++stopped;
      EXPECT_NE(xa.job_state(), nv1::JOB_STATE_SENT);
      continue;
    }
    ASSERT_EQ(xa.job_state(), nv1::JOB_STATE_SENT) << "round " << round;
    EXPECT_EQ(mails[0].headers.at("message-id"), "<" + xa.message_id() + ">");
    windows_ns.push_back(mails[0].received_unix_nanos - Nanos(xa.consent_check_time()));
    if (mails[0].received_unix_nanos < acknowledged) {
      ++sent_before;
      continue;
    }
    // Accepted after the withdrawal returned: never after a fully propagated one. Otherwise
    // allowed only when the consent re-check started before the withdrawal was acknowledged
    // (it read the state before the commit): the residual window between the re-check and the
    // relay's "250". A check that started after the acknowledgement reads the withdrawal.
    EXPECT_FALSE(withdrawn.fully_propagated())
        << "round " << round << ": a mail was accepted "
        << (mails[0].received_unix_nanos - acknowledged) / 1000
        << " us after a withdrawal the notifications service had confirmed as applied";
    ++in_flight_after;
    const int64_t check = Nanos(xa.consent_check_time());
    EXPECT_LT(check, acknowledged)
        << "round " << round << ": the consent re-check started " << (check - acknowledged)
        << " ns after the withdrawal was acknowledged, yet the mail was accepted";
    std::printf(
        "[ race ] round %d: accepted %.2f ms after the withdrawal returned; the re-check "
        "started %.2f ms after the withdrawal was sent and %.2f ms before it returned\n",
        round, static_cast<double>(mails[0].received_unix_nanos - acknowledged) / 1e6,
        static_cast<double>(check - withdraw_start) / 1e6,
        static_cast<double>(acknowledged - check) / 1e6);
  }
  std::sort(windows_ns.begin(), windows_ns.end());
  const auto ms = [&](size_t i) {
    return windows_ns.empty() ? 0.0 : static_cast<double>(windows_ns[i]) / 1e6;
  };
  std::printf(
      "[ race ] %d rounds (%d withdrawals returned fully propagated): %d mailed before the "
      "withdrawal returned, %d stopped, %d accepted after it with the re-check in flight; "
      "re-check start -> relay accepted: median %.2f ms, max %.2f ms\n",
      kRounds, propagated, sent_before, stopped, in_flight_after, ms(windows_ns.size() / 2),
      ms(windows_ns.empty() ? 0 : windows_ns.size() - 1));
  EXPECT_EQ(sent_before + stopped + in_flight_after, kRounds);
  // The strict property above is only exercised for fully propagated withdrawals.
  EXPECT_GE(propagated, kRounds * 9 / 10);
  EXPECT_GT(stopped, 0) << "the withdrawal never won the race: the test raced nothing";
}

// SIGKILL in the middle of a batch, then a restart: every employee gets the mail, nobody gets
// two different mails; a repeat of the same mail (same Message-ID) is possible only for a mail
// the relay accepted in the instant before the kill, and is counted.
TEST_F(NotificationsIntegrationTest, KillMidBatchLosesNothingAndNeverSendsADifferentSecondMail) {
  constexpr int kEmployees = 200;
  nv1::BulkTriggerRequest bulk;
  bulk.set_tenant_id(tenant_);
  for (int i = 0; i < kEmployees; ++i) {
    const std::string e = "k" + std::to_string(i);
    Upsert(e);
    Give(e);
    bulk.add_employee_ids(e);
  }
  *bulk.mutable_content() = Content("Batch");
  bulk.set_idempotency_key("batch-1");
  nv1::BulkTriggerResponse resp;
  const grpc::Status st = stub_->BulkTrigger(Ctx(ServiceToken()).get(), bulk, &resp);
  ASSERT_TRUE(st.ok()) << st.error_message();
  ASSERT_EQ(resp.job_ids_size(), kEmployees);

  ASSERT_TRUE(WaitFor([&] { return TenantMails().size() >= 10; }, std::chrono::seconds(30)));
  notifications_->Kill();
  const size_t at_kill = TenantMails().size();
  std::printf("[ kill ] SIGKILL after %zu of %d mails\n", at_kill, kEmployees);
  EXPECT_LT(at_kill, static_cast<size_t>(kEmployees)) << "the batch was over before the kill";

  delete notifications_;
  notifications_ = new ServiceProcess(NOTIFICATIONS_BINARY, *notifications_env_);
  const absl::Status started = notifications_->Start();
  ASSERT_TRUE(started.ok()) << started;
  Connect();

  std::map<std::string, int64_t> recorded_ns;  // address -> ledger written (ms precision)
  for (int i = 0; i < kEmployees; ++i) {
    const nv1::Explanation x = Settled(resp.job_ids(i), std::chrono::seconds(60));
    EXPECT_EQ(x.job_state(), nv1::JOB_STATE_SENT) << resp.job_ids(i);
    recorded_ns[Address("k" + std::to_string(i))] = Nanos(x.decide_time());
  }
  const std::vector<ReceivedMail> mails = TenantMails();
  std::map<std::string, std::vector<std::string>> ids_by_employee;
  for (const auto& m : mails) ids_by_employee[m.rcpt_to[0]].push_back(m.headers.at("message-id"));
  // Outside a crash, the window a SIGKILL must hit to repeat a mail: the relay's "250" until
  // the ledger write.
  std::vector<int64_t> gaps_ns;
  for (const auto& m : mails) {
    if (ids_by_employee[m.rcpt_to[0]].size() == 1) {
      gaps_ns.push_back(recorded_ns[m.rcpt_to[0]] - m.received_unix_nanos);
    }
  }
  std::sort(gaps_ns.begin(), gaps_ns.end());
  if (!gaps_ns.empty()) {
    // decide_time has millisecond resolution: +1 ms makes these upper bounds.
    std::printf("[ kill ] relay accepted -> ledger written: median <= %.2f ms, max <= %.2f ms\n",
                static_cast<double>(gaps_ns[gaps_ns.size() / 2] + 1000000) / 1e6,
                static_cast<double>(gaps_ns.back() + 1000000) / 1e6);
  }
  int repeats = 0;
  for (int i = 0; i < kEmployees; ++i) {
    const auto& ids = ids_by_employee[Address("k" + std::to_string(i))];
    ASSERT_FALSE(ids.empty()) << "k" << i << " never got the mail";
    EXPECT_EQ(std::set<std::string>(ids.begin(), ids.end()).size(), 1u)
        << "k" << i << " got two different mails";
    repeats += static_cast<int>(ids.size()) - 1;
  }
  std::printf(
      "[ kill ] %d mail(s) repeated with the same Message-ID (accepted by the relay "
      "before the kill, not yet in the ledger)\n",
      repeats);
  EXPECT_LE(repeats, kDispatchWorkers);
}

// The relay down: retries with backoff, then the dead-letter topic after the last attempt; the
// relay back: the mail arrives after retries.
TEST_F(NotificationsIntegrationTest, RelayDownRetriesThenDeadLettersOrDeliversWhenBack) {
  Upsert("lost");
  Upsert("late");
  Give("lost");
  Give("late");
  TopicReader dlq("advocacy.notifications.v1.dlq");
  sink_->Stop();
  // The relay comes back even when an assertion ends the test early: later tests need it.
  Finally restart([] { ASSERT_TRUE(sink_->Restart().ok()); });

  const std::string lost = TriggerOk("lost", "k-lost", "Lost");
  const nv1::Explanation xl = Settled(lost, std::chrono::seconds(30));
  EXPECT_EQ(xl.job_state(), nv1::JOB_STATE_FAILED);
  EXPECT_EQ(xl.attempts(), 6);
  const std::string key = tenant_ + "/lost";
  ASSERT_TRUE(dlq.WaitForKeyCount(key, 1, std::chrono::seconds(30)));
  nv1::DeliveryFailed failed;
  ASSERT_TRUE(failed.ParseFromString(dlq.ForKey(key)[0].payload));
  EXPECT_EQ(failed.job_ids(0), lost);
  EXPECT_EQ(failed.attempts(), 6);
  EXPECT_FALSE(failed.permanent());

  const std::string late = TriggerOk("late", "k-late", "Late");
  ASSERT_TRUE(WaitFor([&] { return Explain(late).attempts() >= 1; }, std::chrono::seconds(20)));
  EXPECT_EQ(Explain(late).delivery_state(), nv1::DELIVERY_STATE_RETRYING);
  restart.Run();  // the relay is back
  const nv1::Explanation x = Settled(late);
  EXPECT_EQ(x.job_state(), nv1::JOB_STATE_SENT);
  EXPECT_GE(x.attempts(), 2);
  EXPECT_EQ(MailsTo("late").size(), 1u);
  EXPECT_TRUE(MailsTo("lost").empty());
}

// A GET of the unsubscribe link changes nothing; the RFC 8058 one-click POST withdraws consent,
// and the next trigger sends nothing.
TEST_F(NotificationsIntegrationTest, OneClickPostWithdrawsAndGetDoesNot) {
  Upsert("u");
  Give("u");
  const std::string job = TriggerOk("u", "k1", "Hello");
  ASSERT_EQ(Settled(job).job_state(), nv1::JOB_STATE_SENT);
  ASSERT_EQ(MailsTo("u").size(), 1u);
  const std::string header = MailsTo("u")[0].headers.at("list-unsubscribe");
  const std::string prefix = std::string("<") + kPublicBase;
  ASSERT_EQ(header.rfind(prefix, 0), 0u);
  const std::string target = header.substr(prefix.size(), header.size() - prefix.size() - 1);
  ASSERT_EQ(target.rfind("/unsubscribe?token=", 0), 0u);

  const HttpResult get = Http(unsubscribe_port_, "GET", target);
  EXPECT_EQ(get.status, 200);
  EXPECT_NE(get.body.find("<form"), std::string::npos);
  EXPECT_TRUE(Granted("u"));

  const HttpResult forged =
      Http(unsubscribe_port_, "POST", target + "x", "List-Unsubscribe=One-Click");
  EXPECT_EQ(forged.status, 400);
  EXPECT_TRUE(Granted("u"));

  const HttpResult post = Http(unsubscribe_port_, "POST", target, "List-Unsubscribe=One-Click");
  EXPECT_EQ(post.status, 200);
  EXPECT_FALSE(Granted("u"));

  const std::string next = TriggerOk("u", "k2", "Again");
  const nv1::Explanation x = Settled(next);
  EXPECT_EQ(x.job_state(), nv1::JOB_STATE_SKIPPED);
  EXPECT_EQ(x.skip_reason(), nv1::SKIP_REASON_NO_CONSENT);
  EXPECT_EQ(MailsTo("u").size(), 1u);
}

// An event that cannot be decoded goes to the consumer's dead-letter topic, and the consumer
// moves on to the next event.
TEST_F(NotificationsIntegrationTest, MalformedEventLandsInTheDeadLetterTopic) {
  TopicReader dlq("advocacy.content.v1.notifications.dlq");
  kafka::Message bad;
  bad.topic = "advocacy.content.v1";
  bad.key = tenant_;
  bad.payload = std::string(
      "\x0a\x7f"
      "short",
      7);  // field 1 claims 127 bytes, has 5
  bad.headers = kafka::ToHeaders({.id = UniqueId("bad"),
                                  .source = "/advocacy/content",
                                  .type = "advocacy.content.v1.ItemPublished",
                                  .time = kafka::NowRfc3339()});
  ASSERT_TRUE(Producer()->ProduceSync(std::move(bad), std::chrono::seconds(10)).ok());
  ASSERT_TRUE(dlq.WaitForKeyCount(tenant_, 1, std::chrono::seconds(60)));
  const auto dead = dlq.ForKey(tenant_)[0];
  ASSERT_NE(dead.FindHeader("dlq_reason"), nullptr);
  EXPECT_NE(dead.FindHeader("dlq_reason")->find("ItemPublished"), std::string::npos);

  Upsert("after");
  Give("after");
  const std::string ce_id = UniqueId("good");
  PublishItem(ce_id, "item-2", "After the bad one");
  const std::string job = notifications::JobId(
      tenant_, "after", notifications::SourceHash("event", "advocacy.content.v1\n" + ce_id));
  EXPECT_EQ(Settled(job, std::chrono::seconds(60)).job_state(), nv1::JOB_STATE_SENT);
}

TEST_F(NotificationsIntegrationTest, MetricsExposeDeliveryAndConsentLag) {
  Upsert("m");
  Give("m");
  ASSERT_EQ(Settled(TriggerOk("m", "k", "Metrics")).job_state(), nv1::JOB_STATE_SENT);
  const std::string text = HttpGet(notifications_->metrics_port(), "/metrics");
  for (const char* series :
       {"advocacy_notifications_sent_total{", "advocacy_notifications_skipped_total{",
        "advocacy_notifications_failed_total{", "advocacy_notifications_retries_total{",
        "advocacy_notifications_digest_merges_total{", "advocacy_notifications_queue_depth{",
        "advocacy_consent_propagation_lag_seconds_count{service=\"notifications\"}",
        "advocacy_grpc_requests_total{"}) {
    EXPECT_NE(text.find(series), std::string::npos) << series;
  }
}

}  // namespace
}  // namespace advocacy::it
