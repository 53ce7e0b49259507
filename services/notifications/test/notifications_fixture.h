#pragma once

// The manager and the dispatcher on a real redis-server (one per suite, flushed per test) with
// fake ports and a hand-driven clock, so the Lua scripts are what is under test.

#include <atomic>
#include <memory>
#include <string>
#include <vector>

#include "advocacy/common/status_macros.h"
#include "dispatcher.h"
#include "fakes.h"
#include "gtest/gtest.h"
#include "notifications_manager.h"
#include "prometheus/registry.h"
#include "prometheus/text_serializer.h"
#include "redis_notifications_store.h"
#include "testing/redis_server.h"

namespace advocacy::notifications {

inline constexpr char kTenant[] = "acme";
// 2026-01-01T12:00:00Z, a Thursday.
inline const absl::Time kNoon = absl::FromUnixSeconds(1767268800);

class NotificationsFixture : public ::testing::Test {
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
    auto options = redis::ParseUrl(server_->url());
    ASSERT_TRUE(options.ok());
    pool_ = std::make_unique<redis::Pool>(*options, 16);
    ASSERT_TRUE(Redis({"FLUSHALL"}).ok());
    now_ms_ = ToMs(kNoon);
    store_ = std::make_unique<RedisNotificationsStore>(pool_.get());
    registry_ = std::make_unique<prometheus::Registry>();
    metrics_ = std::make_unique<NotificationsMetrics>(*registry_, "notifications");
    auto signer = UnsubscribeTokenSigner::Create(std::string(32, 'k'));
    ASSERT_TRUE(signer.ok());
    signer_ = std::make_unique<UnsubscribeTokenSigner>(std::move(*signer));
    manager_ = std::make_unique<NotificationsManager>(
        store_.get(), &consent_, metrics_.get(), [this] { ++wakeups_; },
        ManagerOptions{.app_base_url = "https://app.example",
                       .fanout_chunk = 3,  // small, so chunking is exercised
                       .now = [this] { return Now(); }});
    MakeDispatcher(DispatcherOptions{});
  }

  void MakeDispatcher(DispatcherOptions o) {
    o.mail_from = "tips@advocacy.example";
    o.public_base_url = "https://advocacy.example";
    o.now = [this] { return Now(); };
    o.seed = 42;
    o.owner = o.owner.empty() ? "test" : o.owner;
    dispatcher_ = std::make_unique<Dispatcher>(store_.get(), &sender_, &consent_, signer_.get(),
                                               metrics_.get(), &dead_letters_, o);
  }

  absl::Time Now() const { return FromMs(now_ms_.load()); }
  void Advance(absl::Duration d) { now_ms_ += absl::ToInt64Milliseconds(d); }

  absl::StatusOr<redis::Reply> Redis(const std::vector<std::string>& args) {
    // Connection::Command, not Pool::Run: a test sees error replies as data.
    ASSIGN_OR_RETURN(redis::Pool::Lease conn, pool_->Acquire());
    return conn->Command(args);
  }

  static auth::Principal Admin(const std::string& tenant = kTenant) {
    return {.tenant_id = tenant, .subject = "boss", .role = auth::Role::kAdmin};
  }
  static auth::Principal Service() {
    return {.tenant_id = "*", .subject = "content", .role = auth::Role::kService};
  }
  static auth::Principal Employee(const std::string& id, const std::string& tenant = kTenant) {
    return {.tenant_id = tenant, .subject = id, .role = auth::Role::kEmployee};
  }

  static std::string Email(const std::string& employee) { return employee + "@example.org"; }

  // A recipient with consent to both mail purposes unless `consent` is false.
  void AddRecipient(const std::string& employee, bool consent = true,
                    const std::string& locale = "en-GB", const std::string& tz = "UTC") {
    v1::UpsertRecipientRequest req;
    auto* r = req.mutable_recipient();
    r->set_tenant_id(kTenant);
    r->set_employee_id(employee);
    r->set_email(Email(employee));
    r->set_display_name("Name " + employee);
    r->set_locale(locale);
    r->set_time_zone(tz);
    auto out = manager_->UpsertRecipient(Admin(), req);
    ASSERT_TRUE(out.ok()) << out.status();
    consent_.Set(kTenant, employee, cv1::PURPOSE_EMAIL_TIPS, consent);
    consent_.Set(kTenant, employee, cv1::PURPOSE_COURSE_TIPS, consent);
  }

  void SetPrefs(const std::string& employee, v1::Preferences prefs) {
    prefs.set_tenant_id(kTenant);
    prefs.set_employee_id(employee);
    v1::SetPreferencesRequest req;
    *req.mutable_preferences() = prefs;
    auto out = manager_->SetPreferences(Employee(employee), req);
    ASSERT_TRUE(out.ok()) << out.status();
  }

  static v1::NotificationContent Content(const std::string& title = "Big news",
                                         v1::Topic topic = v1::TOPIC_CONTENT) {
    v1::NotificationContent c;
    c.set_purpose(topic == v1::TOPIC_CONTENT ? cv1::PURPOSE_EMAIL_TIPS : cv1::PURPOSE_COURSE_TIPS);
    c.set_topic(topic);
    c.set_title(title);
    c.set_summary("Something worth sharing");
    c.set_link("https://example.com/news");
    return c;
  }

  absl::StatusOr<v1::TriggerResponse> Trigger(const std::string& employee, const std::string& key,
                                              const v1::NotificationContent& content = Content()) {
    v1::TriggerRequest req;
    req.set_tenant_id(kTenant);
    req.set_employee_id(employee);
    *req.mutable_content() = content;
    req.set_idempotency_key(key);
    return manager_->Trigger(Service(), req);
  }

  v1::Explanation Explain(const std::string& job_id) {
    v1::ExplainDeliveryRequest req;
    req.set_job_id(job_id);
    auto out = manager_->ExplainDelivery(Admin(), req);
    EXPECT_TRUE(out.ok()) << out.status();
    return out.ok() ? out->explanation() : v1::Explanation();
  }

  // Runs the dispatcher until a pass claims nothing.
  void Drain() {
    for (int i = 0; i < 100; ++i) {
      auto n = dispatcher_->RunOnce();
      ASSERT_TRUE(n.ok()) << n.status();
      if (*n == 0) return;
    }
    FAIL() << "the dispatcher never ran dry";
  }

  int64_t QueueDepth() {
    auto d = store_->QueueDepth();
    EXPECT_TRUE(d.ok());
    return d.ok() ? *d : -1;
  }

  std::string MetricsText() {
    prometheus::TextSerializer s;
    return s.Serialize(registry_->Collect());
  }

  static inline advocacy::testing::RedisServer* server_ = nullptr;
  std::unique_ptr<redis::Pool> pool_;
  std::atomic<int64_t> now_ms_{0};
  std::unique_ptr<RedisNotificationsStore> store_;
  std::unique_ptr<prometheus::Registry> registry_;
  std::unique_ptr<NotificationsMetrics> metrics_;
  std::unique_ptr<UnsubscribeTokenSigner> signer_;
  fakes::FakeConsent consent_;
  fakes::FakeSender sender_;
  std::unique_ptr<NotificationsManager> manager_;
  std::unique_ptr<Dispatcher> dispatcher_;
  std::atomic<int> wakeups_{0};
  fakes::RecordingNotifier dead_letters_;
};

}  // namespace advocacy::notifications
