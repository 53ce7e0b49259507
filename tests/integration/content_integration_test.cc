// The content service as a black box, with the real consent service beside it: consent events
// flow through Kafka into the content service's consent view for real. Each test uses its own
// tenant, so tests never see each other's data.

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <thread>
#include <utility>
#include <vector>

#include "advocacy/common/strings.h"
#include "advocacy/consent/v1/consent_service.grpc.pb.h"
#include "advocacy/content/v1/content_events.pb.h"
#include "advocacy/content/v1/content_service.grpc.pb.h"
#include "harness.h"

namespace advocacy::it {
namespace {

namespace cv1 = advocacy::consent::v1;
namespace v1 = advocacy::content::v1;
using auth::Role;

cv1::ConsentScope ShareScope(cv1::Network n) {
  cv1::ConsentScope s;
  s.set_purpose(cv1::PURPOSE_SHARE_CONTENT);
  s.set_network(n);
  return s;
}
cv1::ConsentScope BoardScope() {
  cv1::ConsentScope s;
  s.set_purpose(cv1::PURPOSE_LEADERBOARD);
  return s;
}

// Runs a real HTTP client (curl) against the link endpoint: "<status> <location>".
std::string Curl(const std::string& url) {
  const std::string cmd =
      "curl -s -o /dev/null --max-time 10 -w '%{http_code} %{redirect_url}' '" + url + "'";
  FILE* p = ::popen(cmd.c_str(), "r");
  if (p == nullptr) return "popen failed";
  std::string out;
  char buf[512];
  while (std::fgets(buf, sizeof buf, p) != nullptr) out += buf;
  ::pclose(p);
  return out;
}

// The value of the first metrics line that starts with `series` (labels included), or -1.
double MetricValue(const std::string& text, const std::string& series) {
  const size_t at = text.find("\n" + series + " ");
  if (at == std::string::npos) return -1;
  return std::stod(text.substr(at + series.size() + 2));
}

class ContentIntegrationTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    keys_ = new Keys();
    auto consent_env = CommonEnv();
    // Content is the only consuming service here: withdrawals wait for its receipt alone.
    consent_env["CONSENT_PROPAGATION_SERVICES"] = "content";
    consent_env["CONSENT_RECEIPTS_GROUP"] = UniqueId("consent-receipts-it");
    consent_ = new ServiceProcess(CONSENT_BINARY, consent_env);
    absl::Status st = consent_->Start();
    ASSERT_TRUE(st.ok()) << st;
    link_port_ = FreePort();
    auto env = CommonEnv();
    env["CONTENT_OUTBOX_LEASE_MS"] = "1000";
    env["CONTENT_LINK_LISTEN"] = "127.0.0.1:" + std::to_string(link_port_);
    env["CONTENT_LINK_BASE_URL"] = "http://127.0.0.1:" + std::to_string(link_port_) + "/l/";
    env["CONTENT_MIN_GROUP_SIZE"] = "2";
    // A group of its own: a member left behind by an earlier, killed run would hold the
    // partitions until its session times out.
    env["CONTENT_CONSENT_GROUP"] = UniqueId("content-consent-view-it");
    content_ = new ServiceProcess(CONTENT_BINARY, env);
    st = content_->Start();
    ASSERT_TRUE(st.ok()) << st;
  }
  static void TearDownTestSuite() {
    // SIGTERM first: the service leaves its consumer group cleanly.
    if (content_ != nullptr) {
      EXPECT_EQ(content_->Stop(), 0);
    }
    delete content_;
    delete consent_;
    delete keys_;
  }
  static std::map<std::string, std::string> CommonEnv() {
    return {{"ADVOCACY_REDIS_URL", Env("ADVOCACY_REDIS_URL")},
            {"ADVOCACY_KAFKA_BROKERS", Env("ADVOCACY_KAFKA_BROKERS")},
            {"ADVOCACY_AUTH_ISSUERS_FILE", keys_->issuers_file()},
            {"ADVOCACY_DRAIN_TIMEOUT_MS", "2000"},
            {"CONSENT_OUTBOX_LEASE_MS", "1000"}};
  }

  void SetUp() override {
    tenant_ = UniqueId("t");
    consent_stub_ = cv1::ConsentService::NewStub(consent_->channel());
    stub_ = v1::ContentService::NewStub(content_->channel());
    cv1::PublishNoticeRequest req;
    req.set_tenant_id(tenant_);
    req.set_version("2026-11");
    req.set_url("https://example.org/consent/2026-11");
    cv1::PublishNoticeResponse resp;
    ASSERT_TRUE(consent_stub_->PublishNotice(Ctx(AdminToken()).get(), req, &resp).ok());
  }

  static std::unique_ptr<grpc::ClientContext> Ctx(const std::string& token) {
    auto ctx = std::make_unique<grpc::ClientContext>();
    ctx->AddMetadata("authorization", "Bearer " + token);
    ctx->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    return ctx;
  }
  std::string EmployeeToken(const std::string& e) const {
    return keys_->Token(Role::kEmployee, tenant_, e);
  }
  std::string AdminToken() const { return keys_->Token(Role::kAdmin, tenant_, "admin-1"); }

  int64_t Give(const std::string& e, std::vector<cv1::ConsentScope> scopes) {
    cv1::GiveConsentRequest req;
    req.set_tenant_id(tenant_);
    req.set_employee_id(e);
    for (auto& s : scopes) *req.add_scopes() = s;
    req.set_notice_version("2026-11");
    req.set_method(cv1::CONSENT_METHOD_APP_TOGGLE);
    cv1::GiveConsentResponse resp;
    const grpc::Status st = consent_stub_->GiveConsent(Ctx(EmployeeToken(e)).get(), req, &resp);
    EXPECT_TRUE(st.ok()) << st.error_message();
    return resp.sequence();
  }
  int64_t Withdraw(const std::string& e, std::vector<cv1::ConsentScope> scopes) {
    cv1::WithdrawConsentRequest req;
    req.set_tenant_id(tenant_);
    req.set_employee_id(e);
    for (auto& s : scopes) *req.add_scopes() = s;
    req.set_method(cv1::CONSENT_METHOD_APP_TOGGLE);
    cv1::WithdrawConsentResponse resp;
    const grpc::Status st = consent_stub_->WithdrawConsent(Ctx(EmployeeToken(e)).get(), req, &resp);
    EXPECT_TRUE(st.ok()) << st.error_message();
    return resp.sequence();
  }

  std::string Publish(const std::string& id) {
    v1::CreateItemRequest req;
    req.set_tenant_id(tenant_);
    auto* item = req.mutable_item();
    item->set_item_id(id);
    item->set_title("Plant " + id);
    item->set_url("https://example.com/news/" + id);
    for (auto n : {cv1::NETWORK_LINKEDIN, cv1::NETWORK_X}) {
      auto* c = item->add_captions();
      c->set_network(n);
      c->add_captions("Proud of this");
      c->add_captions("Have a look");
    }
    v1::CreateItemResponse created;
    grpc::Status st = stub_->CreateItem(Ctx(AdminToken()).get(), req, &created);
    EXPECT_TRUE(st.ok()) << st.error_message();
    v1::PublishItemRequest pub;
    pub.set_tenant_id(tenant_);
    pub.set_item_id(id);
    v1::PublishItemResponse published;
    st = stub_->PublishItem(Ctx(AdminToken()).get(), pub, &published);
    EXPECT_TRUE(st.ok()) << st.error_message();
    return id;
  }

  v1::GetFeedResponse Feed(const std::string& e) {
    v1::GetFeedRequest req;
    req.set_tenant_id(tenant_);
    req.set_employee_id(e);
    v1::GetFeedResponse resp;
    const grpc::Status st = stub_->GetFeed(Ctx(EmployeeToken(e)).get(), req, &resp);
    EXPECT_TRUE(st.ok()) << st.error_message();
    return resp;
  }
  // The first feed built on a view that applied `sequence`.
  v1::GetFeedResponse FeedAfter(const std::string& e, int64_t sequence) {
    v1::GetFeedResponse feed;
    EXPECT_TRUE(WaitFor(
        [&] {
          feed = Feed(e);
          return feed.consent_sequence() >= sequence;
        },
        std::chrono::seconds(30)))
        << "the content service's consent view never reached sequence " << sequence;
    return feed;
  }

  grpc::Status ShareOn(v1::ContentService::Stub* stub, const std::string& e,
                       const std::string& item, cv1::Network n, v1::RecordShareResponse* resp) {
    v1::RecordShareRequest req;
    req.set_tenant_id(tenant_);
    req.set_employee_id(e);
    req.set_item_id(item);
    req.set_network(n);
    return stub->RecordShare(Ctx(EmployeeToken(e)).get(), req, resp);
  }

  v1::ListMySharesResponse MyShares(const std::string& e) {
    v1::ListMySharesRequest req;
    req.set_tenant_id(tenant_);
    req.set_employee_id(e);
    v1::ListMySharesResponse resp;
    const grpc::Status st = stub_->ListMyShares(Ctx(EmployeeToken(e)).get(), req, &resp);
    EXPECT_TRUE(st.ok()) << st.error_message();
    return resp;
  }

  v1::GetLeaderboardResponse Leaderboard() {
    v1::GetLeaderboardRequest req;
    req.set_tenant_id(tenant_);
    v1::GetLeaderboardResponse resp;
    EXPECT_TRUE(stub_->GetLeaderboard(Ctx(AdminToken()).get(), req, &resp).ok());
    return resp;
  }

  static Keys* keys_;
  static ServiceProcess* consent_;
  static ServiceProcess* content_;
  static int link_port_;
  std::string tenant_;
  std::unique_ptr<cv1::ConsentService::Stub> consent_stub_;
  std::unique_ptr<v1::ContentService::Stub> stub_;
};
Keys* ContentIntegrationTest::keys_ = nullptr;
ServiceProcess* ContentIntegrationTest::consent_ = nullptr;
ServiceProcess* ContentIntegrationTest::content_ = nullptr;
int ContentIntegrationTest::link_port_ = 0;

TEST_F(ContentIntegrationTest, WithdrawingLinkedInEmptiesTheFeedRefusesSharesAndLeavesTheBoard) {
  const std::string item = Publish("launch");
  const int64_t given =
      Give("alice", {ShareScope(cv1::NETWORK_LINKEDIN), ShareScope(cv1::NETWORK_X), BoardScope()});
  v1::GetFeedResponse feed = FeedAfter("alice", given);
  ASSERT_EQ(feed.entries_size(), 1);
  EXPECT_EQ(feed.entries(0).item().item_id(), item);
  ASSERT_EQ(feed.entries(0).networks_size(), 2);
  // Bob never consented: nothing to share.
  EXPECT_EQ(Feed("bob").entries_size(), 0);

  v1::RecordShareResponse shared;
  grpc::Status st = ShareOn(stub_.get(), "alice", item, cv1::NETWORK_X, &shared);
  ASSERT_TRUE(st.ok()) << st.error_message();
  auto board = Leaderboard();
  ASSERT_EQ(board.entries_size(), 1);
  EXPECT_EQ(board.entries(0).employee_id(), "alice");

  const int64_t withdrawn = Withdraw("alice", {ShareScope(cv1::NETWORK_LINKEDIN), BoardScope()});
  feed = FeedAfter("alice", withdrawn);
  for (const auto& entry : feed.entries()) {
    for (int n : entry.networks()) EXPECT_NE(n, cv1::NETWORK_LINKEDIN);
  }
  v1::RecordShareResponse refused;
  st = ShareOn(stub_.get(), "alice", item, cv1::NETWORK_LINKEDIN, &refused);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::FAILED_PRECONDITION) << st.error_message();
  EXPECT_EQ(Leaderboard().entries_size(), 0);

  const std::string metrics = HttpGet(content_->metrics_port(), "/metrics");
  EXPECT_NE(metrics.find("advocacy_consent_propagation_lag_seconds_count{service=\"content\"}"),
            std::string::npos);
}

TEST_F(ContentIntegrationTest, CapsHoldUnderConcurrentSharesFromSeveralClients) {
  v1::UpdateTenantSettingsRequest settings;
  settings.set_tenant_id(tenant_);
  settings.mutable_settings()->set_daily_share_cap(3);
  v1::UpdateTenantSettingsResponse sresp;
  ASSERT_TRUE(stub_->UpdateTenantSettings(Ctx(AdminToken()).get(), settings, &sresp).ok());
  std::vector<std::string> items;
  for (int i = 0; i < 10; ++i) items.push_back(Publish("c" + std::to_string(i)));
  FeedAfter("carol", Give("carol", {ShareScope(cv1::NETWORK_X)}));

  std::atomic<int> ok{0}, exhausted{0}, other{0};
  std::vector<std::thread> clients;
  for (const auto& item : items) {
    clients.emplace_back([&, item] {
      // Each client has its own channel (a local subchannel pool): separate connections, truly
      // concurrent calls.
      auto channel = content_->channel();
      auto stub = v1::ContentService::NewStub(channel);
      v1::RecordShareResponse resp;
      const grpc::Status st = ShareOn(stub.get(), "carol", item, cv1::NETWORK_X, &resp);
      if (st.ok()) {
        ++ok;
      } else if (st.error_code() == grpc::StatusCode::RESOURCE_EXHAUSTED) {
        ++exhausted;
      } else {
        ++other;
      }
    });
  }
  for (auto& c : clients) c.join();
  EXPECT_EQ(ok.load(), 3);
  EXPECT_EQ(exhausted.load(), 7);
  EXPECT_EQ(other.load(), 0);

  const std::string metrics = HttpGet(content_->metrics_port(), "/metrics");
  EXPECT_EQ(MetricValue(metrics,
                        "advocacy_content_shares_total{network=\"x\",service=\"content\","
                        "tenant=\"" +
                            tenant_ + "\"}"),
            3);
  EXPECT_EQ(MetricValue(metrics,
                        "advocacy_content_items_published_total{service=\"content\","
                        "tenant=\"" +
                            tenant_ + "\"}"),
            10);
  EXPECT_EQ(MetricValue(metrics, "advocacy_content_active_advocates{service=\"content\",tenant=\"" +
                                     tenant_ + "\"}"),
            1);
}

TEST_F(ContentIntegrationTest, RedirectWorksWithARealHttpClientAndCountsEachClickOnce) {
  const std::string item = Publish("promo");
  FeedAfter("dave", Give("dave", {ShareScope(cv1::NETWORK_LINKEDIN)}));
  TopicReader engagement("advocacy.engagement.v1");
  v1::RecordShareResponse shared;
  const grpc::Status st = ShareOn(stub_.get(), "dave", item, cv1::NETWORK_LINKEDIN, &shared);
  ASSERT_TRUE(st.ok()) << st.error_message();
  const std::string url = shared.share().tracked_url();
  ASSERT_EQ(url.rfind("http://127.0.0.1:" + std::to_string(link_port_) + "/l/", 0), 0u) << url;

  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(Curl(url),
              "302 https://example.com/news/promo?utm_source=linkedin&utm_medium=employee_advocacy"
              "&utm_campaign=promo");
  }
  EXPECT_EQ(
      Curl("http://127.0.0.1:" + std::to_string(link_port_) + "/l/AAAAAAAAAAAAAAAA").substr(0, 3),
      "404");
  EXPECT_EQ(
      Curl("http://127.0.0.1:" + std::to_string(link_port_) + "/l/..%2F..%2Fetc").substr(0, 3),
      "404");

  v1::GetMyStatsRequest req;
  req.set_tenant_id(tenant_);
  req.set_employee_id("dave");
  v1::GetMyStatsResponse stats;
  ASSERT_TRUE(stub_->GetMyStats(Ctx(EmployeeToken("dave")).get(), req, &stats).ok());
  EXPECT_EQ(stats.total_shares(), 1);
  EXPECT_EQ(stats.total_clicks(), 3);
  const std::string metrics = HttpGet(content_->metrics_port(), "/metrics");
  EXPECT_EQ(MetricValue(metrics,
                        "advocacy_content_clicks_total{network=\"linkedin\",service="
                        "\"content\",tenant=\"" +
                            tenant_ + "\"}"),
            3);

  // One ShareRecorded and one LinkClicked per click, keyed tenant/employee.
  const std::string key = tenant_ + "/dave";
  ASSERT_TRUE(engagement.WaitForKeyCount(key, 4, std::chrono::seconds(30)));
  int shares = 0, clicks = 0;
  for (const auto& m : engagement.ForKey(key)) {
    const std::string* type = m.FindHeader("ce_type");
    ASSERT_NE(type, nullptr);
    if (*type == "advocacy.content.v1.ShareRecorded") ++shares;
    if (*type == "advocacy.content.v1.LinkClicked") ++clicks;
  }
  EXPECT_EQ(shares, 1);
  EXPECT_EQ(clicks, 3);
}

// Issue 14: the post ready to share comes from the server; a preview records nothing.
TEST_F(ContentIntegrationTest, RecordShareReturnsThePostAndPreviewShareRecordsNothing) {
  const std::string item = Publish("ready");
  FeedAfter("erin", Give("erin", {ShareScope(cv1::NETWORK_LINKEDIN), ShareScope(cv1::NETWORK_X)}));
  // The link base of this stack (http://127.0.0.1:<port>/l/) plus a 16-character code; X links
  // no IP address, so it counts at its full length.
  const int link_length =
      static_cast<int>(("http://127.0.0.1:" + std::to_string(link_port_) + "/l/").size()) + 16;

  v1::PreviewShareRequest preview;
  preview.set_tenant_id(tenant_);
  preview.set_employee_id("erin");
  preview.set_item_id(item);
  preview.set_network(cv1::NETWORK_X);
  v1::PreviewShareResponse before;
  grpc::Status st = stub_->PreviewShare(Ctx(EmployeeToken("erin")).get(), preview, &before);
  ASSERT_TRUE(st.ok()) << st.error_message();
  EXPECT_FALSE(before.has_share());
  EXPECT_EQ(before.post().post_text(), "Proud of this");
  EXPECT_EQ(before.post().share_intent_url(), "");
  EXPECT_EQ(before.post().length(), 13 + 1 + link_length);
  EXPECT_EQ(before.post().limit(), 280);
  // Recorded nothing: no share, and the feed still offers both networks.
  EXPECT_EQ(MyShares("erin").shares_size(), 0);
  v1::GetFeedResponse feed = Feed("erin");
  ASSERT_EQ(feed.entries_size(), 1);
  EXPECT_EQ(feed.entries(0).networks_size(), 2);

  v1::RecordShareResponse x;
  st = ShareOn(stub_.get(), "erin", item, cv1::NETWORK_X, &x);
  ASSERT_TRUE(st.ok()) << st.error_message();
  const std::string tracked = x.share().tracked_url();
  EXPECT_EQ(x.post().post_text(), "Proud of this");
  EXPECT_EQ(
      x.post().share_intent_url(),
      "https://twitter.com/intent/tweet?text=Proud%20of%20this&url=" + PercentEncode(tracked));
  EXPECT_EQ(x.post().copy_text(), "Proud of this " + tracked);
  EXPECT_EQ(x.post().length(), 13 + 1 + link_length);

  v1::RecordShareResponse li;
  st = ShareOn(stub_.get(), "erin", item, cv1::NETWORK_LINKEDIN, &li);
  ASSERT_TRUE(st.ok()) << st.error_message();
  EXPECT_EQ(li.post().share_intent_url(), "https://www.linkedin.com/sharing/share-offsite/?url=" +
                                              PercentEncode(li.share().tracked_url()));
  EXPECT_EQ(li.post().limit(), 3000);
  // The redirect behind the link in the dialog is the tracked one.
  EXPECT_EQ(Curl(li.share().tracked_url()).substr(0, 3), "302");

  // After the share the preview is that share's post, its dialog included.
  v1::PreviewShareResponse after;
  st = stub_->PreviewShare(Ctx(EmployeeToken("erin")).get(), preview, &after);
  ASSERT_TRUE(st.ok()) << st.error_message();
  EXPECT_EQ(after.share().link_code(), x.share().link_code());
  EXPECT_EQ(after.post().share_intent_url(), x.post().share_intent_url());
}

TEST_F(ContentIntegrationTest, AScheduledShareComesWithItsPostAndIsListedAsScheduled) {
  const std::string item = Publish("later");
  FeedAfter("fred", Give("fred", {ShareScope(cv1::NETWORK_LINKEDIN)}));
  v1::RecordShareRequest req;
  req.set_tenant_id(tenant_);
  req.set_employee_id("fred");
  req.set_item_id(item);
  req.set_network(cv1::NETWORK_LINKEDIN);
  const auto when = std::chrono::system_clock::now() + std::chrono::hours(2);
  req.mutable_scheduled_for()->set_seconds(
      std::chrono::duration_cast<std::chrono::seconds>(when.time_since_epoch()).count());
  v1::RecordShareResponse resp;
  grpc::Status st = stub_->RecordShare(Ctx(EmployeeToken("fred")).get(), req, &resp);
  ASSERT_TRUE(st.ok()) << st.error_message();
  EXPECT_EQ(resp.share().state(), v1::SHARE_STATE_SCHEDULED);
  EXPECT_EQ(resp.share().scheduled_for().seconds(), req.scheduled_for().seconds());
  EXPECT_EQ(resp.post().post_text(), "Proud of this");
  EXPECT_NE(resp.post().share_intent_url().find(PercentEncode(resp.share().tracked_url())),
            std::string::npos);
  const v1::ListMySharesResponse mine = MyShares("fred");
  ASSERT_EQ(mine.shares_size(), 1);
  EXPECT_EQ(mine.shares(0).state(), v1::SHARE_STATE_SCHEDULED);
}

// ---- Issue 11: slow clients against the real binary's tracked-link endpoint ----

using Ms = std::chrono::milliseconds;

// A connection to the link endpoint from a chosen loopback source address, or -1.
int ConnectFrom(int port, const std::string& source) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in from{};
  from.sin_family = AF_INET;
  ::inet_pton(AF_INET, source.c_str(), &from.sin_addr);
  sockaddr_in to{};
  to.sin_family = AF_INET;
  to.sin_port = htons(static_cast<uint16_t>(port));
  to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::bind(fd, reinterpret_cast<sockaddr*>(&from), sizeof from) != 0 ||
      ::connect(fd, reinterpret_cast<sockaddr*>(&to), sizeof to) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

// Opens `count` connections over `sources` that never send a complete request: every other one
// sends nothing, the rest half a request head.
std::vector<int> OpenIdle(int port, size_t count, const std::vector<std::string>& sources) {
  std::vector<int> fds;
  for (size_t i = 0; i < count; ++i) {
    const int fd = ConnectFrom(port, sources[i % sources.size()]);
    if (fd < 0) break;
    if (i % 2 == 1) ::send(fd, "GET /l/x HTTP/1.1\r\n", 19, MSG_NOSIGNAL);
    fds.push_back(fd);
  }
  return fds;
}

// How many of `fds` the server has closed (EOF or reset), waiting at most `limit` for them.
size_t CountClosed(const std::vector<int>& fds, Ms limit) {
  const auto until = std::chrono::steady_clock::now() + limit;
  size_t closed = 0;
  std::vector<bool> done(fds.size(), false);
  do {
    for (size_t i = 0; i < fds.size(); ++i) {
      pollfd pfd{fds[i], POLLIN, 0};
      char c = 0;
      if (!done[i] && ::poll(&pfd, 1, 0) > 0 && ::recv(fds[i], &c, 1, MSG_DONTWAIT) <= 0) {
        done[i] = true;
        ++closed;
      }
    }
    if (closed == fds.size()) break;
    std::this_thread::sleep_for(Ms(50));
  } while (std::chrono::steady_clock::now() < until);
  return closed;
}

// The slowest of `n` GET `path` from 127.0.0.1, each timed from connect to the last byte, and
// how many were 302 to `location`. Prints every time.
std::pair<Ms, int> TimeRedirects(int port, const std::string& path, const std::string& location,
                                 int n) {
  Ms slowest{0};
  int ok = 0;
  std::string times;
  for (int i = 0; i < n; ++i) {
    const auto start = std::chrono::steady_clock::now();
    const int fd = ConnectFrom(port, "127.0.0.1");
    if (fd < 0) continue;
    const std::string req = "GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";
    ::send(fd, req.data(), req.size(), MSG_NOSIGNAL);
    std::string answer;
    char buf[4096];
    pollfd pfd{fd, POLLIN, 0};
    while (::poll(&pfd, 1, 5000) > 0) {
      const ssize_t got = ::recv(fd, buf, sizeof buf, 0);
      if (got <= 0) break;
      answer.append(buf, static_cast<size_t>(got));
    }
    const Ms took = std::chrono::duration_cast<Ms>(std::chrono::steady_clock::now() - start);
    slowest = std::max(slowest, took);
    times += " " + std::to_string(took.count());
    ::close(fd);
    if (answer.rfind("HTTP/1.1 302 Found\r\n", 0) == 0 &&
        answer.find("\r\nLocation: " + location + "\r\n") != std::string::npos) {
      ++ok;
    }
  }
  std::printf("redirect times (ms):%s\n", times.c_str());
  return {slowest, ok};
}

// 1,000 connections that never send a complete request, from 127.0.0.2..17 (63 or 62 each,
// under the default per-client limit of 64): redirects from 127.0.0.1 are still answered within
// 100 ms, and the idle connections were really held by the service: after the default read
// timeout (5 s) it closes every one of them, unanswered.
TEST_F(ContentIntegrationTest, AThousandIdleConnectionsDoNotDelayARedirect) {
  const std::string item = Publish("slowloris");
  FeedAfter("erin", Give("erin", {ShareScope(cv1::NETWORK_LINKEDIN)}));
  v1::RecordShareResponse shared;
  const grpc::Status st = ShareOn(stub_.get(), "erin", item, cv1::NETWORK_LINKEDIN, &shared);
  ASSERT_TRUE(st.ok()) << st.error_message();
  const std::string base = "http://127.0.0.1:" + std::to_string(link_port_);
  const std::string path = shared.share().tracked_url().substr(base.size());
  const std::string location =
      "https://example.com/news/slowloris?utm_source=linkedin&utm_medium=employee_advocacy"
      "&utm_campaign=slowloris";
  rlimit limit{};
  ASSERT_EQ(::getrlimit(RLIMIT_NOFILE, &limit), 0);
  limit.rlim_cur = std::max<rlim_t>(limit.rlim_cur, std::min<rlim_t>(limit.rlim_max, 4096));
  ASSERT_EQ(::setrlimit(RLIMIT_NOFILE, &limit), 0);
  ASSERT_GE(limit.rlim_cur, 2048u) << "this test holds 1,000 sockets";

  std::vector<std::string> sources;
  for (int i = 2; i <= 17; ++i) sources.push_back("127.0.0." + std::to_string(i));
  std::vector<int> idle = OpenIdle(link_port_, 1000, sources);
  ASSERT_EQ(idle.size(), 1000u);
  // The service accepts in arrival order: once a connection opened after the 1,000 is answered,
  // all 1,000 are held by the service (not waiting in the kernel's backlog). What is timed is
  // a redirect next to 1,000 held idle connections, not the burst of accepting them.
  ASSERT_EQ(TimeRedirects(link_port_, path, location, 1).second, 1);
  const auto [slowest, ok] = TimeRedirects(link_port_, path, location, 10);
  std::printf("1,000 idle from 16 addresses: %d of 10 redirects, the slowest in %lld ms\n", ok,
              static_cast<long long>(slowest.count()));
  EXPECT_EQ(ok, 10);
  EXPECT_LT(slowest, Ms(100));
  EXPECT_EQ(CountClosed(idle, Ms(0)), 0u) << "idle connections were dropped early";
  EXPECT_EQ(CountClosed(idle, Ms(8000)), 1000u) << "not every idle connection timed out";
  for (int fd : idle) ::close(fd);

  // All from 127.0.0.1, like the redirects: the per-client limit keeps the newest 64 and
  // closes the others; the redirect takes the place of the oldest idle one.
  idle = OpenIdle(link_port_, 1000, {"127.0.0.1"});
  ASSERT_EQ(idle.size(), 1000u);
  ASSERT_EQ(TimeRedirects(link_port_, path, location, 1).second, 1);
  const auto [slowest_same, ok_same] = TimeRedirects(link_port_, path, location, 10);
  std::printf("1,000 idle from 127.0.0.1: %d of 10 redirects, the slowest in %lld ms\n", ok_same,
              static_cast<long long>(slowest_same.count()));
  EXPECT_EQ(ok_same, 10);
  EXPECT_LT(slowest_same, Ms(100));
  const size_t closed = CountClosed(idle, Ms(1000));
  EXPECT_GE(closed, 936u);
  EXPECT_LE(closed, 950u);
  for (int fd : idle) ::close(fd);
}

// A 4 MB item (under gRPC's 4 MiB message limit, so the service itself must refuse it) is
// INVALID_ARGUMENT naming the item and its size, stores nothing, and the service goes on
// answering; five of them in a row do not take it down either. Unknown fields sent with a valid
// item are not stored.
TEST_F(ContentIntegrationTest, AFourMegabyteItemIsRefusedAndTheServiceStaysUp) {
  v1::CreateItemRequest big;
  big.set_tenant_id(tenant_);
  auto* item = big.mutable_item();
  item->set_item_id("huge");
  item->set_title("Quarterly report");
  item->set_url("https://example.com/news/huge");
  auto* c = item->add_captions();
  c->set_network(cv1::NETWORK_LINKEDIN);
  c->add_captions(std::string(4000000, 'a'));
  ASSERT_GT(big.ByteSizeLong(), 4000000U);
  for (int i = 0; i < 5; ++i) {
    v1::CreateItemResponse resp;
    const grpc::Status st = stub_->CreateItem(Ctx(AdminToken()).get(), big, &resp);
    ASSERT_EQ(st.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << st.error_message();
    EXPECT_NE(st.error_message().find("item: is "), std::string::npos) << st.error_message();
    EXPECT_NE(st.error_message().find("at most 65536"), std::string::npos) << st.error_message();
  }
  // Nothing was stored under that id, and the service answers as before.
  v1::GetItemRequest get;
  get.set_tenant_id(tenant_);
  get.set_item_id("huge");
  v1::GetItemResponse got;
  EXPECT_EQ(stub_->GetItem(Ctx(AdminToken()).get(), get, &got).error_code(),
            grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(HealthStatus(content_->channel(), "liveness"), "SERVING");
  EXPECT_EQ(HealthStatus(content_->channel()), "SERVING");
  Publish("normal");
  get.set_item_id("normal");
  const grpc::Status fetched = stub_->GetItem(Ctx(AdminToken()).get(), get, &got);
  ASSERT_TRUE(fetched.ok()) << fetched.error_message();
  EXPECT_EQ(got.item().state(), v1::ITEM_STATE_PUBLISHED);

  // A field this version does not know is not stored (a reader would get it back otherwise).
  v1::CreateItemRequest extra;
  extra.set_tenant_id(tenant_);
  *extra.mutable_item() = got.item();
  extra.mutable_item()->set_item_id("extra");
  extra.mutable_item()
      ->GetReflection()
      ->MutableUnknownFields(extra.mutable_item())
      ->AddLengthDelimited(999, "smuggled");
  v1::CreateItemResponse created;
  const grpc::Status made = stub_->CreateItem(Ctx(AdminToken()).get(), extra, &created);
  ASSERT_TRUE(made.ok()) << made.error_message();
  get.set_item_id("extra");
  ASSERT_TRUE(stub_->GetItem(Ctx(AdminToken()).get(), get, &got).ok());
  EXPECT_TRUE(got.item().GetReflection()->GetUnknownFields(got.item()).empty());
}

}  // namespace
}  // namespace advocacy::it
