// Service identities without a master key (issue 11 item 2): with the notifications service's
// own credentials at the stack's real OpenID provider (client `notifications`, client
// credentials), exactly CheckConsent, BatchCheckConsent and WithdrawConsent (one-click
// unsubscribe) work; giving consent, every other consent RPC (the admin ones included), and any
// call to content, courses or notifications fail. The provider itself refuses it tokens for
// other services and scopes it was not given. Then the notifications process, configured with
// the same client, reaches consent with it (its readiness and its token metrics say so).

#include <gtest/gtest.h>

#include <ctime>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <random>
#include <string>

#include "advocacy/consent/v1/consent_service.grpc.pb.h"
#include "advocacy/content/v1/content_service.grpc.pb.h"
#include "advocacy/courses/v1/courses_service.grpc.pb.h"
#include "advocacy/notifications/v1/notifications_service.grpc.pb.h"
#include "harness.h"

namespace advocacy::it {
namespace {

namespace cv1 = advocacy::consent::v1;
namespace ctv1 = advocacy::content::v1;
namespace crv1 = advocacy::courses::v1;
namespace nv1 = advocacy::notifications::v1;
using grpc::StatusCode;

constexpr char kNotificationsScopes[] = "consent:check consent:withdraw";

std::string Base64UrlDecode(std::string in) {
  for (char& c : in) c = c == '-' ? '+' : c == '_' ? '/' : c;
  while (in.size() % 4 != 0) in += '=';
  static const std::string kAlphabet =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  int val = 0;
  int bits = -8;
  for (char c : in) {
    if (c == '=') break;
    val = (val << 6) + static_cast<int>(kAlphabet.find(c));
    bits += 6;
    if (bits >= 0) {
      out.push_back(static_cast<char>((val >> bits) & 0xFF));
      bits -= 8;
    }
  }
  return out;
}

nlohmann::json Payload(const std::string& jwt) {
  const size_t a = jwt.find('.') + 1;
  return nlohmann::json::parse(Base64UrlDecode(jwt.substr(a, jwt.find('.', a) - a)));
}

class SecurityIdentityTest : public ::testing::Test {
 protected:
  static std::map<std::string, std::string> CommonEnv() {
    return {{"ADVOCACY_REDIS_URL", Env("ADVOCACY_REDIS_URL")},
            {"ADVOCACY_KAFKA_BROKERS", Env("ADVOCACY_KAFKA_BROKERS")},
            {"ADVOCACY_AUTH_ISSUERS_FILE", Env("ADVOCACY_OIDC_ISSUERS_FILE")},
            {"ADVOCACY_DRAIN_TIMEOUT_MS", "2000"},
            {"CONSENT_OUTBOX_LEASE_MS", "1000"}};
  }

  static void SetUpTestSuite() {
    auto consent_env = CommonEnv();
    consent_env["CONSENT_PROPAGATION_SERVICES"] = "";
    consent_ = new ServiceProcess(CONSENT_BINARY, consent_env);
    ASSERT_TRUE(consent_->Start().ok()) << consent_->log_path();

    const int link_port = FreePort();
    auto content_env = CommonEnv();
    content_env["CONTENT_LINK_LISTEN"] = "127.0.0.1:" + std::to_string(link_port);
    content_env["CONTENT_LINK_BASE_URL"] = "http://127.0.0.1:" + std::to_string(link_port) + "/l/";
    content_env["CONTENT_CONSENT_GROUP"] = UniqueId("content-consent-view-it");
    content_ = new ServiceProcess(CONTENT_BINARY, content_env);
    ASSERT_TRUE(content_->Start().ok()) << content_->log_path();

    courses_ = new ServiceProcess(COURSES_BINARY, CommonEnv());
    ASSERT_TRUE(courses_->Start().ok()) << courses_->log_path();

    auto sink = SmtpSink::Start();
    ASSERT_TRUE(sink.ok()) << sink.status();
    sink_ = sink->release();
    dir_ = new std::string(std::filesystem::temp_directory_path() / UniqueId("advocacy-id-it"));
    std::filesystem::create_directories(*dir_);
    {
      std::random_device rd;
      std::string key;
      for (int i = 0; i < 48; ++i) key.push_back(static_cast<char>('a' + rd() % 26));
      std::ofstream(*dir_ + "/unsubscribe.key") << key;
    }
    auto env = CommonEnv();
    for (const auto& kv : NotificationsIdentityEnv()) env.insert(kv);
    env["NOTIFICATIONS_CONSENT_ADDR"] = consent_->address();
    env["NOTIFICATIONS_UNSUBSCRIBE_KEY_FILE"] = *dir_ + "/unsubscribe.key";
    env["NOTIFICATIONS_PUBLIC_BASE_URL"] = "https://advocacy.test";
    env["NOTIFICATIONS_UNSUBSCRIBE_LISTEN"] = "127.0.0.1:" + std::to_string(FreePort());
    env["NOTIFICATIONS_SMTP_URL"] = sink_->url();
    env["NOTIFICATIONS_MAIL_FROM"] = "advocacy@advocacy.test";
    env["NOTIFICATIONS_CONSENT_GROUP"] = UniqueId("notifications-consent-it");
    env["NOTIFICATIONS_EVENTS_GROUP"] = UniqueId("notifications-events-it");
    notifications_ = new ServiceProcess(NOTIFICATIONS_BINARY, env);
    ASSERT_TRUE(notifications_->Start().ok()) << notifications_->log_path();
  }

  static void TearDownTestSuite() {
    for (ServiceProcess* p : {notifications_, courses_, content_, consent_}) {
      if (p != nullptr && p->running()) {
        EXPECT_EQ(p->Stop(), 0) << "see " << p->log_path();
      }
      delete p;
    }
    delete sink_;
    std::error_code ec;
    if (dir_ != nullptr) std::filesystem::remove_all(*dir_, ec);
    delete dir_;
  }

  void SetUp() override {
    tenant_ = UniqueId("ident");
    auto token = oidc::RequestToken(
        StackClient("notifications", "urn:advocacy:consent", kNotificationsScopes));
    ASSERT_TRUE(token.ok()) << token.status();
    token_ = token->value;
    consent_stub_ = cv1::ConsentService::NewStub(consent_->channel());
    // The tenant's notice, published by its admin (a person), so that consent can be given.
    cv1::PublishNoticeRequest req;
    req.set_tenant_id(tenant_);
    req.set_version("2026-11");
    req.set_url("https://example.org/consent/2026-11");
    cv1::PublishNoticeResponse resp;
    auto ctx = Ctx(keys_.Token(auth::Role::kAdmin, tenant_, "admin-1"));
    ASSERT_TRUE(consent_stub_->PublishNotice(ctx.get(), req, &resp).ok());
  }

  static std::unique_ptr<grpc::ClientContext> Ctx(const std::string& token) {
    auto ctx = std::make_unique<grpc::ClientContext>();
    ctx->AddMetadata("authorization", "Bearer " + token);
    ctx->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    return ctx;
  }
  cv1::ConsentScope EmailTips() const {
    cv1::ConsentScope scope;
    scope.set_purpose(cv1::PURPOSE_EMAIL_TIPS);
    return scope;
  }
  void GiveAsEmployee(const std::string& employee) {
    cv1::GiveConsentRequest req;
    req.set_tenant_id(tenant_);
    req.set_employee_id(employee);
    *req.add_scopes() = EmailTips();
    req.set_notice_version("2026-11");
    req.set_method(cv1::CONSENT_METHOD_APP_TOGGLE);
    req.set_idempotency_key(UniqueId("give"));
    cv1::GiveConsentResponse resp;
    auto ctx = Ctx(keys_.Token(auth::Role::kEmployee, tenant_, employee));
    ASSERT_TRUE(consent_stub_->GiveConsent(ctx.get(), req, &resp).ok());
  }

  static ServiceProcess* consent_;
  static ServiceProcess* content_;
  static ServiceProcess* courses_;
  static ServiceProcess* notifications_;
  static SmtpSink* sink_;
  static std::string* dir_;
  Keys keys_;
  std::string tenant_;
  std::string token_;  // notifications' own token for consent
  std::unique_ptr<cv1::ConsentService::Stub> consent_stub_;
};

ServiceProcess* SecurityIdentityTest::consent_ = nullptr;
ServiceProcess* SecurityIdentityTest::content_ = nullptr;
ServiceProcess* SecurityIdentityTest::courses_ = nullptr;
ServiceProcess* SecurityIdentityTest::notifications_ = nullptr;
SmtpSink* SecurityIdentityTest::sink_ = nullptr;
std::string* SecurityIdentityTest::dir_ = nullptr;

TEST_F(SecurityIdentityTest, TheTokenNamesConsentAndTheTwoScopesOnly) {
  const nlohmann::json claims = Payload(token_);
  EXPECT_EQ(claims["aud"], "advocacy-consent");
  EXPECT_EQ(claims["sub"], "notifications");
  EXPECT_EQ(claims["scope"], kNotificationsScopes);
  EXPECT_EQ(claims["roles"], nlohmann::json::array({"advocacy-service"}));
}

TEST_F(SecurityIdentityTest, ItsThreeCallsWork) {
  GiveAsEmployee("e1");
  cv1::CheckConsentRequest check;
  check.set_tenant_id(tenant_);
  check.set_employee_id("e1");
  *check.mutable_scope() = EmailTips();
  cv1::CheckConsentResponse checked;
  grpc::Status st = consent_stub_->CheckConsent(Ctx(token_).get(), check, &checked);
  ASSERT_TRUE(st.ok()) << st.error_message();
  EXPECT_TRUE(checked.granted());

  cv1::BatchCheckConsentRequest batch;
  batch.set_tenant_id(tenant_);
  *batch.mutable_scope() = EmailTips();
  batch.add_employee_ids("e1");
  batch.add_employee_ids("e2");
  cv1::BatchCheckConsentResponse batched;
  st = consent_stub_->BatchCheckConsent(Ctx(token_).get(), batch, &batched);
  ASSERT_TRUE(st.ok()) << st.error_message();
  ASSERT_EQ(batched.results_size(), 2);
  EXPECT_TRUE(batched.results(0).granted());
  EXPECT_FALSE(batched.results(1).granted());

  cv1::WithdrawConsentRequest withdraw;
  withdraw.set_tenant_id(tenant_);
  withdraw.set_employee_id("e1");
  *withdraw.add_scopes() = EmailTips();
  withdraw.set_method(cv1::CONSENT_METHOD_EMAIL_ONE_CLICK);
  withdraw.set_idempotency_key(UniqueId("unsubscribe"));
  cv1::WithdrawConsentResponse withdrawn;
  st = consent_stub_->WithdrawConsent(Ctx(token_).get(), withdraw, &withdrawn);
  ASSERT_TRUE(st.ok()) << st.error_message();
  st = consent_stub_->CheckConsent(Ctx(token_).get(), check, &checked);
  ASSERT_TRUE(st.ok()) << st.error_message();
  EXPECT_FALSE(checked.granted());
}

TEST_F(SecurityIdentityTest, EveryOtherConsentCallIsRefused) {
  cv1::GiveConsentRequest give;
  give.set_tenant_id(tenant_);
  give.set_employee_id("e1");
  *give.add_scopes() = EmailTips();
  give.set_notice_version("2026-11");
  give.set_method(cv1::CONSENT_METHOD_APP_TOGGLE);
  give.set_idempotency_key(UniqueId("give"));
  cv1::GiveConsentResponse given;
  EXPECT_EQ(consent_stub_->GiveConsent(Ctx(token_).get(), give, &given).error_code(),
            StatusCode::PERMISSION_DENIED);

  cv1::PublishNoticeRequest publish;  // an admin RPC
  publish.set_tenant_id(tenant_);
  publish.set_version("2027-01");
  publish.set_url("https://example.org/consent/2027-01");
  cv1::PublishNoticeResponse published;
  const grpc::Status st = consent_stub_->PublishNotice(Ctx(token_).get(), publish, &published);
  EXPECT_EQ(st.error_code(), StatusCode::PERMISSION_DENIED);
  EXPECT_NE(st.error_message().find("PublishNotice"), std::string::npos) << st.error_message();

  cv1::GetConsentStateRequest state;
  state.set_tenant_id(tenant_);
  state.set_employee_id("e1");
  cv1::GetConsentStateResponse state_resp;
  EXPECT_EQ(consent_stub_->GetConsentState(Ctx(token_).get(), state, &state_resp).error_code(),
            StatusCode::PERMISSION_DENIED);
  cv1::ListConsentHistoryRequest history;
  history.set_tenant_id(tenant_);
  history.set_employee_id("e1");
  cv1::ListConsentHistoryResponse history_resp;
  EXPECT_EQ(
      consent_stub_->ListConsentHistory(Ctx(token_).get(), history, &history_resp).error_code(),
      StatusCode::PERMISSION_DENIED);
  cv1::GetPropagationStatusRequest propagation;
  propagation.set_tenant_id(tenant_);
  propagation.set_employee_id("e1");
  cv1::GetPropagationStatusResponse propagation_resp;
  EXPECT_EQ(consent_stub_->GetPropagationStatus(Ctx(token_).get(), propagation, &propagation_resp)
                .error_code(),
            StatusCode::PERMISSION_DENIED);
}

TEST_F(SecurityIdentityTest, ContentCoursesAndNotificationsRefuseItsToken) {
  // Its token names consent's audience: every other service refuses it before any rule runs,
  // admin RPCs and reads alike.
  auto content = ctv1::ContentService::NewStub(content_->channel());
  ctv1::UpdateTenantSettingsRequest settings;
  settings.set_tenant_id(tenant_);
  settings.mutable_settings()->set_tenant_id(tenant_);
  ctv1::UpdateTenantSettingsResponse settings_resp;
  EXPECT_EQ(content->UpdateTenantSettings(Ctx(token_).get(), settings, &settings_resp).error_code(),
            StatusCode::UNAUTHENTICATED);
  ctv1::GetFeedRequest feed;
  feed.set_tenant_id(tenant_);
  feed.set_employee_id("e1");
  ctv1::GetFeedResponse feed_resp;
  EXPECT_EQ(content->GetFeed(Ctx(token_).get(), feed, &feed_resp).error_code(),
            StatusCode::UNAUTHENTICATED);

  auto courses = crv1::CoursesService::NewStub(courses_->channel());
  crv1::CreateCourseRequest create;
  create.set_tenant_id(tenant_);
  create.set_idempotency_key(UniqueId("course"));
  create.mutable_content()->set_title("x");
  crv1::CreateCourseResponse create_resp;
  EXPECT_EQ(courses->CreateCourse(Ctx(token_).get(), create, &create_resp).error_code(),
            StatusCode::UNAUTHENTICATED);
  crv1::ListCoursesRequest list;
  list.set_tenant_id(tenant_);
  crv1::ListCoursesResponse list_resp;
  EXPECT_EQ(courses->ListCourses(Ctx(token_).get(), list, &list_resp).error_code(),
            StatusCode::UNAUTHENTICATED);

  auto notifications = nv1::NotificationsService::NewStub(notifications_->channel());
  nv1::UpsertRecipientRequest upsert;
  upsert.mutable_recipient()->set_tenant_id(tenant_);
  upsert.mutable_recipient()->set_employee_id("e1");
  upsert.mutable_recipient()->set_email("e1@advocacy.test");
  nv1::UpsertRecipientResponse upsert_resp;
  EXPECT_EQ(notifications->UpsertRecipient(Ctx(token_).get(), upsert, &upsert_resp).error_code(),
            StatusCode::UNAUTHENTICATED);
}

TEST_F(SecurityIdentityTest, TheProviderGivesItNothingElse) {
  for (const char* resource :
       {"urn:advocacy:content", "urn:advocacy:courses", "urn:advocacy:notifications"}) {
    auto other = oidc::RequestToken(StackClient("notifications", resource, kNotificationsScopes));
    EXPECT_TRUE(absl::IsPermissionDenied(other.status())) << resource << ": " << other.status();
  }
  auto wider = oidc::RequestToken(
      StackClient("notifications", "urn:advocacy:consent", "consent:check consent:read"));
  EXPECT_TRUE(absl::IsPermissionDenied(wider.status())) << wider.status();
  oidc::ClientCredentials wrong = StackClient("notifications", "urn:advocacy:consent");
  wrong.client_secret = "not-the-secret";
  EXPECT_TRUE(absl::IsUnauthenticated(oidc::RequestToken(wrong).status()));
}

TEST_F(SecurityIdentityTest, TheNotificationsServiceCallsConsentWithIt) {
  // Ready (its readiness includes holding a token for consent) and its metrics show the token.
  EXPECT_EQ(HealthStatus(notifications_->channel()), "SERVING");
  const std::string metrics = HttpGet(notifications_->metrics_port(), "/metrics");
  const std::string name = "advocacy_notifications_consent_token_expiry_timestamp_seconds{";
  const size_t at = metrics.find(name);
  ASSERT_NE(at, std::string::npos) << metrics;
  const size_t eol = metrics.find('\n', at);
  const std::string line = metrics.substr(at, eol - at);
  const double expiry = std::stod(line.substr(line.rfind(' ') + 1));
  EXPECT_GT(expiry, static_cast<double>(std::time(nullptr))) << line;
  // And it uses it: BulkTrigger makes notifications ask consent (BatchCheckConsent) for everyone
  // it would mail, and the dispatcher asks again (CheckConsent) before sending: the employee who
  // consented gets the mail, the other does not.
  GiveAsEmployee("e3");
  auto notifications = nv1::NotificationsService::NewStub(notifications_->channel());
  for (const char* e : {"e3", "e4"}) {
    nv1::UpsertRecipientRequest upsert;
    upsert.mutable_recipient()->set_tenant_id(tenant_);
    upsert.mutable_recipient()->set_employee_id(e);
    upsert.mutable_recipient()->set_email(std::string(e) + "@advocacy.test");
    upsert.mutable_recipient()->set_locale("en");
    nv1::UpsertRecipientResponse upsert_resp;
    const grpc::Status st = notifications->UpsertRecipient(
        Ctx(keys_.Token(auth::Role::kAdmin, tenant_, "admin-1")).get(), upsert, &upsert_resp);
    ASSERT_TRUE(st.ok()) << st.error_message();
  }
  nv1::BulkTriggerRequest bulk;
  bulk.set_tenant_id(tenant_);
  bulk.add_employee_ids("e3");
  bulk.add_employee_ids("e4");
  nv1::NotificationContent* content = bulk.mutable_content();
  content->set_purpose(cv1::PURPOSE_EMAIL_TIPS);
  content->set_topic(nv1::TOPIC_CONTENT);
  content->set_title("Identity " + tenant_);
  content->set_summary("Worth a look");
  content->set_link("https://example.com/news/identity");
  bulk.set_idempotency_key(UniqueId("bulk"));
  nv1::BulkTriggerResponse bulk_resp;
  const grpc::Status st = notifications->BulkTrigger(
      Ctx(keys_.Token(auth::Role::kAdmin, tenant_, "admin-1")).get(), bulk, &bulk_resp);
  ASSERT_TRUE(st.ok()) << st.error_message() << " (see " << notifications_->log_path() << ")";
  const auto mailed = [&](const std::string& address) {
    for (const ReceivedMail& m : sink_->Mails()) {
      for (const std::string& r : m.rcpt_to) {
        if (r == address) return true;
      }
    }
    return false;
  };
  EXPECT_TRUE(WaitFor([&] { return mailed("e3@advocacy.test"); }, std::chrono::seconds(30)))
      << "see " << notifications_->log_path();
  EXPECT_FALSE(mailed("e4@advocacy.test")) << "e4 never consented";
}

}  // namespace
}  // namespace advocacy::it
