// "Nothing acts after the opt-out was acknowledged" (issue 7), with the real consent and content
// binaries on the real Redis and Kafka.
//
// Race: many rounds of an employee who consents to share on LinkedIn, threads that keep
// recording shares (now and scheduled, each on an item not shared yet) and reading the feed,
// and a WithdrawConsent(share on LinkedIn) issued in the middle of it. T is the client's clock
// when WithdrawConsent returned with fully_propagated = true. Then: no share recorded at or
// after T exists, no RecordShare issued after T succeeded (each is refused for lack of
// consent), no scheduled LinkedIn share is left, and no GetFeed issued after T lists LinkedIn.
//
// Outage: with content stopped (SIGTERM), a withdrawal answers after CONSENT_ACK_WAIT_MS,
// not fully propagated, naming content; once content is back, the status catches up.

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "advocacy/consent/v1/consent_service.grpc.pb.h"
#include "advocacy/content/v1/content_service.grpc.pb.h"
#include "harness.h"

namespace advocacy::it {
namespace {

namespace cv1 = advocacy::consent::v1;
namespace v1 = advocacy::content::v1;
using auth::Role;
using std::chrono::milliseconds;
using std::chrono::seconds;

constexpr int kRounds = 50;
constexpr int kItems = 60;  // per round each sharer takes a fresh one per call
constexpr int kAckWaitMs = 5000;
constexpr char kNotice[] = "2026-11";

cv1::ConsentScope LinkedIn() {
  cv1::ConsentScope s;
  s.set_purpose(cv1::PURPOSE_SHARE_CONTENT);
  s.set_network(cv1::NETWORK_LINKEDIN);
  return s;
}

int64_t NowUs() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}
int64_t Us(const google::protobuf::Timestamp& t) {
  return t.seconds() * 1000000 + t.nanos() / 1000;
}
int64_t Ms(const google::protobuf::Duration& d) { return d.seconds() * 1000 + d.nanos() / 1000000; }

// The value of the first metrics line that starts with `series` (labels included), or -1.
double MetricValue(const std::string& text, const std::string& series) {
  const size_t at = text.find("\n" + series + " ");
  if (at == std::string::npos) return -1;
  return std::stod(text.substr(at + series.size() + 2));
}

// One call made by a racing thread, on the client's clock.
struct Call {
  bool feed = false;       // GetFeed, else RecordShare
  bool scheduled = false;  // a scheduled share
  std::string item;
  int64_t issued_us = 0;  // just before the call was sent
  int64_t returned_us = 0;
  grpc::StatusCode code = grpc::StatusCode::OK;
  std::string message;
  bool feed_lists_linkedin = false;
  int64_t consent_sequence = 0;
};

class SafetyTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    keys_ = new Keys();
    tenant_ = new std::string(UniqueId("safety"));
    auto consent_env = CommonEnv();
    // Only the consumer this suite runs: the waits are for content alone.
    consent_env["CONSENT_PROPAGATION_SERVICES"] = "content";
    consent_env["CONSENT_ACK_WAIT_MS"] = std::to_string(kAckWaitMs);
    // Its own group: receipts are read from the beginning, and no member of an earlier killed
    // run holds the partitions.
    consent_env["CONSENT_RECEIPTS_GROUP"] = UniqueId("consent-receipts-safety");
    consent_ = new ServiceProcess(CONSENT_BINARY, consent_env);
    absl::Status st = consent_->Start();
    ASSERT_TRUE(st.ok()) << st;

    auto content_env = CommonEnv();
    const int link_port = FreePort();
    content_env["CONTENT_LINK_LISTEN"] = "127.0.0.1:" + std::to_string(link_port);
    content_env["CONTENT_LINK_BASE_URL"] = "http://127.0.0.1:" + std::to_string(link_port) + "/l/";
    content_env["CONTENT_OUTBOX_LEASE_MS"] = "1000";
    content_env["CONTENT_CONSENT_GROUP"] = UniqueId("content-consent-view-safety");
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
  }
  static std::map<std::string, std::string> CommonEnv() {
    return {{"ADVOCACY_REDIS_URL", Env("ADVOCACY_REDIS_URL")},
            {"ADVOCACY_KAFKA_BROKERS", Env("ADVOCACY_KAFKA_BROKERS")},
            {"ADVOCACY_AUTH_ISSUERS_FILE", keys_->issuers_file()},
            {"ADVOCACY_DRAIN_TIMEOUT_MS", "2000"},
            {"CONSENT_OUTBOX_LEASE_MS", "1000"}};
  }

  void SetUp() override {
    consent_stub_ = cv1::ConsentService::NewStub(consent_->channel());
    content_stub_ = v1::ContentService::NewStub(content_->channel());
    cv1::PublishNoticeRequest req;
    req.set_tenant_id(*tenant_);
    req.set_version(kNotice);
    req.set_url("https://example.org/consent/2026-11");
    cv1::PublishNoticeResponse resp;
    ASSERT_TRUE(consent_stub_->PublishNotice(Ctx(AdminToken()).get(), req, &resp).ok());
  }

  static std::unique_ptr<grpc::ClientContext> Ctx(const std::string& token) {
    auto ctx = std::make_unique<grpc::ClientContext>();
    ctx->AddMetadata("authorization", "Bearer " + token);
    ctx->set_deadline(std::chrono::system_clock::now() + seconds(15));
    return ctx;
  }
  static std::string EmployeeToken(const std::string& e) {
    return keys_->Token(Role::kEmployee, *tenant_, e);
  }
  static std::string AdminToken() { return keys_->Token(Role::kAdmin, *tenant_, "admin-1"); }

  int64_t Give(const std::string& e) {
    cv1::GiveConsentRequest req;
    req.set_tenant_id(*tenant_);
    req.set_employee_id(e);
    *req.add_scopes() = LinkedIn();
    req.set_notice_version(kNotice);
    cv1::GiveConsentResponse resp;
    const grpc::Status st = consent_stub_->GiveConsent(Ctx(EmployeeToken(e)).get(), req, &resp);
    EXPECT_TRUE(st.ok()) << st.error_message();
    return resp.sequence();
  }
  grpc::Status Withdraw(const std::string& e, cv1::WithdrawConsentResponse* resp) {
    cv1::WithdrawConsentRequest req;
    req.set_tenant_id(*tenant_);
    req.set_employee_id(e);
    *req.add_scopes() = LinkedIn();
    req.set_method(cv1::CONSENT_METHOD_APP_TOGGLE);
    return consent_stub_->WithdrawConsent(Ctx(EmployeeToken(e)).get(), req, resp);
  }
  // Polls until content's receipt covers the change; the last answer either way.
  cv1::GetPropagationStatusResponse WaitApplied(const std::string& e, int64_t sequence,
                                                milliseconds limit) {
    cv1::GetPropagationStatusResponse resp;
    WaitFor(
        [&] {
          resp.Clear();
          cv1::GetPropagationStatusRequest req;
          req.set_tenant_id(*tenant_);
          req.set_employee_id(e);
          req.set_sequence(sequence);
          return consent_stub_->GetPropagationStatus(Ctx(EmployeeToken(e)).get(), req, &resp)
                     .ok() &&
                 resp.fully_applied();
        },
        limit);
    return resp;
  }

  void PublishItems() {
    v1::UpdateTenantSettingsRequest settings;
    settings.set_tenant_id(*tenant_);
    // The cap must never be what refuses a share here: only consent may.
    settings.mutable_settings()->set_daily_share_cap(100);
    v1::UpdateTenantSettingsResponse updated;
    ASSERT_TRUE(
        content_stub_->UpdateTenantSettings(Ctx(AdminToken()).get(), settings, &updated).ok());
    for (int i = 0; i < kItems; ++i) {
      const std::string id = "item-" + std::to_string(i);
      v1::CreateItemRequest req;
      req.set_tenant_id(*tenant_);
      auto* item = req.mutable_item();
      item->set_item_id(id);
      item->set_title("News " + id);
      item->set_url("https://example.com/news/" + id);
      auto* c = item->add_captions();
      c->set_network(cv1::NETWORK_LINKEDIN);
      c->add_captions("Proud of this");
      v1::CreateItemResponse created;
      grpc::Status st = content_stub_->CreateItem(Ctx(AdminToken()).get(), req, &created);
      ASSERT_TRUE(st.ok()) << st.error_message();
      v1::PublishItemRequest pub;
      pub.set_tenant_id(*tenant_);
      pub.set_item_id(id);
      v1::PublishItemResponse published;
      st = content_stub_->PublishItem(Ctx(AdminToken()).get(), pub, &published);
      ASSERT_TRUE(st.ok()) << st.error_message();
    }
  }

  static Keys* keys_;
  static std::string* tenant_;
  static ServiceProcess* consent_;
  static ServiceProcess* content_;
  std::unique_ptr<cv1::ConsentService::Stub> consent_stub_;
  std::unique_ptr<v1::ContentService::Stub> content_stub_;
};
Keys* SafetyTest::keys_ = nullptr;
std::string* SafetyTest::tenant_ = nullptr;
ServiceProcess* SafetyTest::consent_ = nullptr;
ServiceProcess* SafetyTest::content_ = nullptr;

// Racing clients of one round: two sharers (one of them alternating scheduled shares) and one
// feed reader, each on its own channel, until stopped.
class Racers {
 public:
  Racers(const ServiceProcess& content, std::string tenant, std::string employee, std::string token)
      : tenant_(std::move(tenant)), employee_(std::move(employee)), token_(std::move(token)) {
    for (int i = 0; i < 3; ++i) stubs_.push_back(v1::ContentService::NewStub(content.channel()));
    calls_.resize(3);
  }

  void Start() {
    threads_.emplace_back([this] { Share(0, /*may_schedule=*/false); });
    threads_.emplace_back([this] { Share(1, /*may_schedule=*/true); });
    threads_.emplace_back([this] { Feed(2); });
  }
  // Every thread finished at least `n` calls (a sharer that ran out of items counts as done).
  bool EachCompleted(int n) {
    std::lock_guard lock(mu_);
    for (size_t i = 0; i < calls_.size(); ++i) {
      if (static_cast<int>(calls_[i].size()) < n && !out_of_items_[i]) return false;
    }
    return true;
  }
  // Every thread finished at least `n` calls issued at or after `t_us`.
  bool EachIssuedAfter(int64_t t_us, int n) {
    std::lock_guard lock(mu_);
    for (size_t i = 0; i < calls_.size(); ++i) {
      int after = 0;
      for (const Call& c : calls_[i]) after += c.issued_us >= t_us ? 1 : 0;
      if (after < n && !out_of_items_[i]) return false;
    }
    return true;
  }
  std::vector<Call> StopAndCollect() {
    stop_ = true;
    for (auto& t : threads_) t.join();
    threads_.clear();
    std::vector<Call> all;
    for (auto& v : calls_) all.insert(all.end(), v.begin(), v.end());
    return all;
  }
  ~Racers() {
    stop_ = true;
    for (auto& t : threads_) t.join();
  }

 private:
  std::unique_ptr<grpc::ClientContext> Ctx() const {
    auto ctx = std::make_unique<grpc::ClientContext>();
    ctx->AddMetadata("authorization", "Bearer " + token_);
    ctx->set_deadline(std::chrono::system_clock::now() + seconds(15));
    return ctx;
  }
  void Record(int slot, Call call) {
    std::lock_guard lock(mu_);
    calls_[slot].push_back(std::move(call));
  }
  void Share(int slot, bool may_schedule) {
    // Sharer k takes items k, k + 2, k + 4, ...: no call repeats an item on LinkedIn.
    for (int i = slot; !stop_; i += 2) {
      if (i >= kItems) {
        std::lock_guard lock(mu_);
        out_of_items_[slot] = true;
        return;
      }
      v1::RecordShareRequest req;
      req.set_tenant_id(tenant_);
      req.set_employee_id(employee_);
      req.set_item_id("item-" + std::to_string(i));
      req.set_network(cv1::NETWORK_LINKEDIN);
      Call call;
      call.item = req.item_id();
      call.scheduled = may_schedule && (i / 2) % 2 == 1;
      if (call.scheduled) {
        const auto due = std::chrono::system_clock::now() + std::chrono::hours(2);
        req.mutable_scheduled_for()->set_seconds(
            std::chrono::duration_cast<seconds>(due.time_since_epoch()).count());
      }
      v1::RecordShareResponse resp;
      auto ctx = Ctx();
      call.issued_us = NowUs();
      const grpc::Status st = stubs_[slot]->RecordShare(ctx.get(), req, &resp);
      call.returned_us = NowUs();
      call.code = st.error_code();
      call.message = st.error_message();
      Record(slot, std::move(call));
    }
  }
  void Feed(int slot) {
    while (!stop_) {
      v1::GetFeedRequest req;
      req.set_tenant_id(tenant_);
      req.set_employee_id(employee_);
      req.set_page_size(50);
      v1::GetFeedResponse resp;
      Call call;
      call.feed = true;
      auto ctx = Ctx();
      call.issued_us = NowUs();
      const grpc::Status st = stubs_[slot]->GetFeed(ctx.get(), req, &resp);
      call.returned_us = NowUs();
      call.code = st.error_code();
      call.message = st.error_message();
      call.consent_sequence = resp.consent_sequence();
      for (const auto& entry : resp.entries()) {
        for (int n : entry.networks()) call.feed_lists_linkedin |= n == cv1::NETWORK_LINKEDIN;
      }
      Record(slot, std::move(call));
    }
  }

  std::string tenant_;
  std::string employee_;
  std::string token_;
  std::vector<std::unique_ptr<v1::ContentService::Stub>> stubs_;
  std::atomic<bool> stop_{false};
  std::mutex mu_;
  std::vector<std::vector<Call>> calls_;          // per thread, guarded by mu_
  bool out_of_items_[3] = {false, false, false};  // guarded by mu_
  std::vector<std::thread> threads_;
};

TEST_F(SafetyTest, NothingActsAfterTheWithdrawalWasAcknowledged) {
  PublishItems();
  // A fresh consumer group reads the consent topic from the beginning: let content (and the
  // receipts consumer) catch up with whatever earlier suites left there first.
  const int64_t warm = Give("warm-up");
  ASSERT_TRUE(WaitApplied("warm-up", warm, seconds(120)).fully_applied())
      << "content never reported applying the first change; see " << content_->log_path();

  // Client-side WithdrawConsent latency (commit + wait) under the race and with nothing else
  // going on, and the propagation itself (content's applied_time - acknowledgement).
  std::vector<int64_t> withdraw_ms, quiet_ms, lag_ms;
  int shares_before = 0, scheduled_before = 0, refused_after = 0, feeds_with_linkedin = 0,
      feeds_after = 0, rounds_with_a_race = 0;
  for (int round = 0; round < kRounds; ++round) {
    SCOPED_TRACE("round " + std::to_string(round));
    const std::string e = "emp-" + std::to_string(round);
    const std::string quiet = "quiet-" + std::to_string(round);
    const int64_t given = Give(e);
    const int64_t quiet_given = Give(quiet);
    ASSERT_TRUE(WaitApplied(e, given, seconds(30)).fully_applied())
        << "content never applied the grant; see " << content_->log_path();
    ASSERT_TRUE(WaitApplied(quiet, quiet_given, seconds(30)).fully_applied());
    {
      cv1::WithdrawConsentResponse alone;
      const int64_t sent_us = NowUs();
      ASSERT_TRUE(Withdraw(quiet, &alone).ok());
      quiet_ms.push_back((NowUs() - sent_us) / 1000);
      EXPECT_TRUE(alone.fully_propagated()) << alone.DebugString();
    }

    Racers racers(*content_, *tenant_, e, EmployeeToken(e));
    racers.Start();
    // Withdraw while every racer is busy: each has completed a call, so more are in flight.
    ASSERT_TRUE(WaitFor([&] { return racers.EachCompleted(1); }, seconds(30)));
    cv1::WithdrawConsentResponse withdrawn;
    const int64_t sent_us = NowUs();
    const grpc::Status st = Withdraw(e, &withdrawn);
    const int64_t t_us = NowUs();  // T: the acknowledgement, on the client's clock
    ASSERT_TRUE(st.ok()) << st.error_message();
    withdraw_ms.push_back((t_us - sent_us) / 1000);
    ASSERT_FALSE(withdrawn.unchanged());
    ASSERT_TRUE(withdrawn.fully_propagated())
        << "not propagated within " << kAckWaitMs << " ms: " << withdrawn.DebugString();
    ASSERT_EQ(withdrawn.service_propagations_size(), 1);
    EXPECT_EQ(withdrawn.service_propagations(0).service(), "content");
    EXPECT_TRUE(withdrawn.service_propagations(0).applied());
    EXPECT_GE(withdrawn.service_propagations(0).applied_sequence(), withdrawn.sequence());
    lag_ms.push_back(Ms(withdrawn.service_propagations(0).lag()));

    // Keep racing after T: each racer issues more calls after the acknowledgement.
    ASSERT_TRUE(WaitFor([&] { return racers.EachIssuedAfter(t_us, 2); }, seconds(30)));
    const std::vector<Call> calls = racers.StopAndCollect();

    int ok_now = 0, ok_scheduled = 0;
    bool refused = false, succeeded = false;
    for (const Call& c : calls) {
      if (c.feed) {
        EXPECT_EQ(c.code, grpc::StatusCode::OK) << c.message;
        if (c.issued_us >= t_us) {
          ++feeds_after;
          EXPECT_FALSE(c.feed_lists_linkedin)
              << "a feed requested " << (c.issued_us - t_us) << " us after the acknowledgement "
              << "still offers LinkedIn";
          EXPECT_GE(c.consent_sequence, withdrawn.sequence());
        } else if (c.feed_lists_linkedin) {
          ++feeds_with_linkedin;
        }
        continue;
      }
      if (c.issued_us >= t_us) {
        EXPECT_EQ(c.code, grpc::StatusCode::FAILED_PRECONDITION)
            << "RecordShare of " << c.item << " issued " << (c.issued_us - t_us)
            << " us after the acknowledgement: " << c.message;
        ++refused_after;
      }
      if (c.code == grpc::StatusCode::OK) {
        succeeded = true;
        (c.scheduled ? ok_scheduled : ok_now) += 1;
        EXPECT_LT(c.issued_us, t_us);
      } else {
        // Only consent may refuse: no duplicate, no cap, no quiet hours.
        EXPECT_EQ(c.code, grpc::StatusCode::FAILED_PRECONDITION) << c.item << ": " << c.message;
        refused = true;
      }
    }
    shares_before += ok_now;
    scheduled_before += ok_scheduled;
    rounds_with_a_race += succeeded && refused ? 1 : 0;

    v1::ListMySharesRequest list;
    list.set_tenant_id(*tenant_);
    list.set_employee_id(e);
    v1::ListMySharesResponse mine;
    ASSERT_TRUE(content_stub_->ListMyShares(Ctx(EmployeeToken(e)).get(), list, &mine).ok());
    int shared = 0, cancelled = 0;
    for (const auto& s : mine.shares()) {
      EXPECT_LT(Us(s.recorded_at()), t_us)
          << "share of " << s.item_id() << " recorded after the acknowledgement";
      EXPECT_NE(s.state(), v1::SHARE_STATE_SCHEDULED)
          << "scheduled share of " << s.item_id() << " survived the acknowledged withdrawal";
      shared += s.state() == v1::SHARE_STATE_SHARED ? 1 : 0;
      cancelled += s.state() == v1::SHARE_STATE_CANCELLED ? 1 : 0;
    }
    EXPECT_EQ(shared, ok_now);
    EXPECT_EQ(cancelled, ok_scheduled);
    if (HasFailure()) break;  // one round's story is enough to read
  }

  ASSERT_FALSE(withdraw_ms.empty());
  const auto pct = [](std::vector<int64_t> v, double p) {
    std::sort(v.begin(), v.end());
    return static_cast<long long>(
        v[std::min(v.size() - 1, static_cast<size_t>(p * static_cast<double>(v.size())))]);
  };
  std::printf(
      "safety: %d rounds; WithdrawConsent until fully propagated, under the race: p50 %lld ms, "
      "p99 %lld ms; alone: p50 %lld ms, p99 %lld ms; content's lag behind the commit: p50 %lld "
      "ms, p99 %lld ms\n"
      "safety: shares before T: %d now + %d scheduled (all cancelled); refused after T: %d; "
      "feeds after T: %d (none with LinkedIn); feeds before T with LinkedIn: %d; rounds where "
      "a share succeeded and a later one was refused: %d\n",
      static_cast<int>(withdraw_ms.size()), pct(withdraw_ms, 0.5), pct(withdraw_ms, 0.99),
      pct(quiet_ms, 0.5), pct(quiet_ms, 0.99), pct(lag_ms, 0.5), pct(lag_ms, 0.99), shares_before,
      scheduled_before, refused_after, feeds_after, feeds_with_linkedin, rounds_with_a_race);
  RecordProperty("withdraw_p50_ms", static_cast<int>(pct(withdraw_ms, 0.5)));
  RecordProperty("withdraw_p99_ms", static_cast<int>(pct(withdraw_ms, 0.99)));
  // The test must have raced for real, not only refused everything.
  EXPECT_GT(shares_before, 0);
  EXPECT_GT(refused_after, 0);
  EXPECT_GT(feeds_after, 0);

  const std::string metrics = HttpGet(consent_->metrics_port(), "/metrics");
  EXPECT_GE(MetricValue(metrics,
                        "advocacy_consent_withdrawal_wait_seconds_count{outcome=\"propagated\"}"),
            kRounds)
      << metrics;
}

TEST_F(SafetyTest, StoppedContentMakesTheWithdrawalWaitForTheBoundAndNameIt) {
  const std::string e = UniqueId("late");
  const int64_t given = Give(e);
  ASSERT_TRUE(WaitApplied(e, given, seconds(120)).fully_applied());

  ASSERT_EQ(content_->Stop(), 0) << "content must stop cleanly on SIGTERM";
  cv1::WithdrawConsentResponse withdrawn;
  auto start = std::chrono::steady_clock::now();
  grpc::Status st = Withdraw(e, &withdrawn);
  auto took = std::chrono::steady_clock::now() - start;
  ASSERT_TRUE(st.ok()) << st.error_message();
  EXPECT_GE(took, milliseconds(kAckWaitMs));
  EXPECT_LT(took, milliseconds(kAckWaitMs + 2000));
  EXPECT_FALSE(withdrawn.unchanged());
  EXPECT_FALSE(withdrawn.fully_propagated());
  EXPECT_GE(Ms(withdrawn.propagation_wait()), kAckWaitMs - 1);
  ASSERT_EQ(withdrawn.service_propagations_size(), 1);
  EXPECT_EQ(withdrawn.service_propagations(0).service(), "content");
  EXPECT_FALSE(withdrawn.service_propagations(0).applied());
  EXPECT_EQ(withdrawn.service_propagations(0).latest_applied_sequence(), given);

  // A repeat changes nothing and answers at once, with where the change stands.
  cv1::WithdrawConsentResponse again;
  start = std::chrono::steady_clock::now();
  st = Withdraw(e, &again);
  took = std::chrono::steady_clock::now() - start;
  ASSERT_TRUE(st.ok()) << st.error_message();
  EXPECT_LT(took, milliseconds(1000));
  EXPECT_TRUE(again.unchanged());
  EXPECT_EQ(again.sequence(), withdrawn.sequence());
  EXPECT_FALSE(again.fully_propagated());

  const std::string metrics = HttpGet(consent_->metrics_port(), "/metrics");
  EXPECT_GE(
      MetricValue(metrics, "advocacy_consent_withdrawal_wait_timeouts_total{service=\"content\"}"),
      1)
      << metrics;
  EXPECT_GE(
      MetricValue(metrics, "advocacy_consent_withdrawal_wait_seconds_count{outcome=\"timed_out\"}"),
      1);

  // Content catches up from its committed offset once it is back, and the proof follows.
  const absl::Status started = content_->Start();
  ASSERT_TRUE(started.ok()) << started;
  const auto status = WaitApplied(e, withdrawn.sequence(), seconds(60));
  ASSERT_TRUE(status.fully_applied()) << status.DebugString();
  EXPECT_GE(Ms(status.services(0).lag()), kAckWaitMs) << "applied late, and the proof says so";
  st = Withdraw(e, &again);
  ASSERT_TRUE(st.ok()) << st.error_message();
  EXPECT_TRUE(again.unchanged());
  EXPECT_TRUE(again.fully_propagated());
}

}  // namespace
}  // namespace advocacy::it
