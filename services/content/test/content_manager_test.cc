// ContentManager against the real Redis store on a real redis-server: the Lua scripts (caps,
// consent, duplicates, cancellation, clicks) are what is under test.

#include "content_manager.h"

#include <atomic>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "advocacy/common/strings.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "prometheus/registry.h"
#include "prometheus/text_serializer.h"
#include "redis_content_store.h"
#include "testing/redis_server.h"

namespace advocacy::content {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::StartsWith;

constexpr int64_t kNoon = int64_t{1767268800} * 1000;  // 2026-01-01T12:00:00Z

// Records the outbox lists the manager hands to the relay.
class FakeNotifier final : public outbox::Notifier {
 public:
  void Notify(std::string outbox_key, std::string encoded) override {
    EXPECT_FALSE(encoded.empty());
    std::lock_guard lock(mu_);
    keys_.push_back(std::move(outbox_key));
  }
  std::vector<std::string> keys() const {
    std::lock_guard lock(mu_);
    return keys_;
  }
  void Clear() {
    std::lock_guard lock(mu_);
    keys_.clear();
  }

 private:
  mutable std::mutex mu_;
  std::vector<std::string> keys_;
};

auth::Principal Admin() {
  return {.tenant_id = "acme", .subject = "boss", .role = auth::Role::kAdmin};
}
auth::Principal Employee(const std::string& id) {
  return {.tenant_id = "acme", .subject = id, .role = auth::Role::kEmployee};
}

cv1::ConsentScope Share(cv1::Network n) {
  cv1::ConsentScope s;
  s.set_purpose(cv1::PURPOSE_SHARE_CONTENT);
  s.set_network(n);
  return s;
}
cv1::ConsentScope Board() {
  cv1::ConsentScope s;
  s.set_purpose(cv1::PURPOSE_LEADERBOARD);
  return s;
}

class ContentManagerTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    server_ = new testing::RedisServer();
    ASSERT_TRUE(server_->Start().ok());
  }
  static void TearDownTestSuite() {
    delete server_;
    server_ = nullptr;
  }
  void SetUp() override {
    auto options = redis::ParseUrl(server_->url());
    ASSERT_TRUE(options.ok());
    pool_ = std::make_unique<redis::Pool>(*options, 8);
    auto conn = pool_->Acquire();
    ASSERT_TRUE(conn.ok());
    ASSERT_TRUE((*conn)->Command({"FLUSHALL"}).ok());
    store_ = std::make_unique<RedisContentStore>(pool_.get());
    view_ = std::make_unique<consent_view::ConsentView>(pool_.get(), "content");
    metrics_ = std::make_unique<ContentMetrics>(registry_, "content");
    manager_ =
        std::make_unique<ContentManager>(store_.get(), view_.get(), metrics_.get(), &notifier_,
                                         ContentOptions{.link_base_url = "http://links.test/l/",
                                                        .min_group_size = 2,
                                                        .now_ms = [this] { return now_.load(); }});
  }

  void Grant(const std::string& employee, std::vector<cv1::ConsentScope> scopes) {
    cv1::ConsentGiven e;
    e.set_tenant_id("acme");
    e.set_employee_id(employee);
    e.set_sequence(++seq_);
    for (auto& s : scopes) *e.add_scopes() = s;
    ASSERT_TRUE(view_->Apply(e).ok());
  }
  consent_view::ApplyResult Withdraw(const std::string& employee,
                                     std::vector<cv1::ConsentScope> scopes) {
    cv1::ConsentWithdrawn e;
    e.set_tenant_id("acme");
    e.set_employee_id(employee);
    e.set_sequence(++seq_);
    for (auto& s : scopes) *e.add_scopes() = s;
    auto r = view_->Apply(e);
    EXPECT_TRUE(r.ok());
    return *r;
  }

  std::string Publish(const std::string& id, int x_variants = 1) {
    v1::CreateItemRequest req;
    req.set_tenant_id("acme");
    auto* item = req.mutable_item();
    item->set_item_id(id);
    item->set_title("Title " + id);
    item->set_url("https://example.com/" + id);
    auto* li = item->add_captions();
    li->set_network(cv1::NETWORK_LINKEDIN);
    li->add_captions("LinkedIn text");
    auto* x = item->add_captions();
    x->set_network(cv1::NETWORK_X);
    for (int i = 0; i < x_variants; ++i) x->add_captions("X variant " + std::to_string(i));
    auto created = manager_->CreateItem(Admin(), req);
    EXPECT_TRUE(created.ok()) << created.status();
    v1::PublishItemRequest pub;
    pub.set_tenant_id("acme");
    pub.set_item_id(id);
    auto published = manager_->PublishItem(Admin(), pub);
    EXPECT_TRUE(published.ok()) << published.status();
    return id;
  }

  absl::StatusOr<v1::RecordShareResponse> ShareIt(const std::string& employee,
                                                  const std::string& item, cv1::Network n) {
    v1::RecordShareRequest r;
    r.set_tenant_id("acme");
    r.set_employee_id(employee);
    r.set_item_id(item);
    r.set_network(n);
    r.add_groups("sales");
    return manager_->RecordShare(Employee(employee), r);
  }

  absl::StatusOr<v1::GetFeedResponse> Feed(const std::string& employee) {
    v1::GetFeedRequest r;
    r.set_tenant_id("acme");
    r.set_employee_id(employee);
    return manager_->GetFeed(Employee(employee), r);
  }

  void Settings(int cap, int quiet_start = 0, int quiet_end = 0, bool approval = false) {
    v1::UpdateTenantSettingsRequest r;
    r.set_tenant_id("acme");
    r.mutable_settings()->set_daily_share_cap(cap);
    r.mutable_settings()->set_quiet_hours_start(quiet_start);
    r.mutable_settings()->set_quiet_hours_end(quiet_end);
    r.mutable_settings()->set_approval_required(approval);
    ASSERT_TRUE(manager_->UpdateTenantSettings(Admin(), r).ok());
  }

  std::string Metrics() { return prometheus::TextSerializer().Serialize(registry_.Collect()); }

  // The manager again, with these quotas.
  void UseQuotas(ContentQuotas quotas) {
    manager_ =
        std::make_unique<ContentManager>(store_.get(), view_.get(), metrics_.get(), &notifier_,
                                         ContentOptions{.link_base_url = "http://links.test/l/",
                                                        .min_group_size = 2,
                                                        .quotas = quotas,
                                                        .now_ms = [this] { return now_.load(); }});
  }

  // One Redis command on the test server; its reply.
  redis::Reply Redis(const std::vector<std::string>& command) {
    auto conn = pool_->Acquire();
    EXPECT_TRUE(conn.ok());
    auto reply = (*conn)->Command(command);
    EXPECT_TRUE(reply.ok()) << reply.status();
    return *std::move(reply);
  }
  int64_t LinkCount() {
    const redis::Reply r = Redis({"GET", "adv:content:{acme}:links"});
    return r.is_nil() ? 0 : std::stoll(r.str);
  }
  size_t LinkRecords() { return Redis({"KEYS", "adv:content:{lnk:*}:link"}).elements.size(); }

  // A CreateItem request for item `id` with a title and a link, and no captions yet.
  static v1::CreateItemRequest ItemRequest(const std::string& id,
                                           const std::string& tenant = "acme") {
    v1::CreateItemRequest req;
    req.set_tenant_id(tenant);
    req.mutable_item()->set_item_id(id);
    req.mutable_item()->set_title("Title " + id);
    req.mutable_item()->set_url("https://example.com/" + id);
    return req;
  }

  absl::StatusOr<v1::CreateItemResponse> Create(const std::string& id,
                                                const std::string& tenant = "acme") {
    v1::CreateItemRequest req = ItemRequest(id, tenant);
    auto* c = req.mutable_item()->add_captions();
    c->set_network(cv1::NETWORK_X);
    c->add_captions("hello");
    return manager_->CreateItem(
        {.tenant_id = tenant, .subject = "boss", .role = auth::Role::kAdmin}, req);
  }
  absl::StatusOr<v1::GetFeedResponse> FeedIn(const std::string& employee,
                                             std::vector<std::string> groups) {
    v1::GetFeedRequest r;
    r.set_tenant_id("acme");
    r.set_employee_id(employee);
    for (auto& g : groups) r.add_groups(std::move(g));
    return manager_->GetFeed(Employee(employee), r);
  }

  static testing::RedisServer* server_;
  std::unique_ptr<redis::Pool> pool_;
  std::unique_ptr<RedisContentStore> store_;
  std::unique_ptr<consent_view::ConsentView> view_;
  prometheus::Registry registry_;
  std::unique_ptr<ContentMetrics> metrics_;
  std::unique_ptr<ContentManager> manager_;
  FakeNotifier notifier_;
  std::atomic<int64_t> now_{kNoon};
  int64_t seq_ = 0;
};
testing::RedisServer* ContentManagerTest::server_ = nullptr;

TEST_F(ContentManagerTest, FeedShowsOnlyConsentedNetworksAndCarriesTheSequence) {
  Publish("i1");
  auto empty = Feed("e1");
  ASSERT_TRUE(empty.ok()) << empty.status();
  EXPECT_THAT(empty->entries(), IsEmpty());
  Grant("e1", {Share(cv1::NETWORK_X)});
  auto feed = Feed("e1");
  ASSERT_TRUE(feed.ok());
  ASSERT_EQ(feed->entries_size(), 1);
  EXPECT_THAT(feed->entries(0).networks(), ElementsAre(cv1::NETWORK_X));
  EXPECT_EQ(feed->consent_sequence(), seq_);
  Grant("e1", {Share(cv1::NETWORK_LINKEDIN)});
  feed = Feed("e1");
  ASSERT_TRUE(feed.ok());
  EXPECT_THAT(feed->entries(0).networks(), ElementsAre(cv1::NETWORK_LINKEDIN, cv1::NETWORK_X));
  Withdraw("e1", {Share(cv1::NETWORK_LINKEDIN)});
  feed = Feed("e1");
  ASSERT_TRUE(feed.ok());
  EXPECT_THAT(feed->entries(0).networks(), ElementsAre(cv1::NETWORK_X));
  EXPECT_EQ(feed->consent_sequence(), seq_);
  // Someone else's feed is not the employee's business.
  v1::GetFeedRequest other;
  other.set_tenant_id("acme");
  other.set_employee_id("e2");
  EXPECT_TRUE(absl::IsPermissionDenied(manager_->GetFeed(Employee("e1"), other).status()));
}

TEST_F(ContentManagerTest, LifecycleWithApprovalAndEvents) {
  Settings(0, 0, 0, /*approval=*/true);
  v1::CreateItemRequest req;
  req.set_tenant_id("acme");
  req.mutable_item()->set_title("t");
  req.mutable_item()->set_url("https://example.com");
  auto* c = req.mutable_item()->add_captions();
  c->set_network(cv1::NETWORK_X);
  c->add_captions("hello");
  auto created = manager_->CreateItem(Admin(), req);
  ASSERT_TRUE(created.ok()) << created.status();
  const std::string id = created->item().item_id();
  EXPECT_EQ(created->item().state(), v1::ITEM_STATE_DRAFT);
  v1::PublishItemRequest pub;
  pub.set_tenant_id("acme");
  pub.set_item_id(id);
  EXPECT_TRUE(absl::IsFailedPrecondition(manager_->PublishItem(Admin(), pub).status()));
  v1::SubmitItemRequest sub;
  sub.set_tenant_id("acme");
  sub.set_item_id(id);
  ASSERT_TRUE(manager_->SubmitItem(Admin(), sub).ok());
  notifier_.Clear();
  auto published = manager_->PublishItem(Admin(), pub);
  ASSERT_TRUE(published.ok()) << published.status();
  EXPECT_EQ(published->item().state(), v1::ITEM_STATE_PUBLISHED);
  EXPECT_THAT(notifier_.keys(), ElementsAre("adv:content:outbox:{acme}"));
  auto conn = pool_->Acquire();
  ASSERT_TRUE(conn.ok());
  EXPECT_EQ((*conn)->Command({"LLEN", "adv:content:outbox:{acme}"})->integer, 1);
  EXPECT_THAT(
      Metrics(),
      HasSubstr("advocacy_content_items_published_total{service=\"content\",tenant=\"acme\"} 1"));
  // Duplicates are ALREADY_EXISTS; employees cannot create.
  req.mutable_item()->set_item_id(id);
  EXPECT_TRUE(absl::IsAlreadyExists(manager_->CreateItem(Admin(), req).status()));
  EXPECT_TRUE(absl::IsPermissionDenied(manager_->CreateItem(Employee("e1"), req).status()));
  v1::ArchiveItemRequest arch;
  arch.set_tenant_id("acme");
  arch.set_item_id(id);
  ASSERT_TRUE(manager_->ArchiveItem(Admin(), arch).ok());
  Grant("e1", {Share(cv1::NETWORK_X)});
  auto feed = Feed("e1");
  ASSERT_TRUE(feed.ok());
  EXPECT_THAT(feed->entries(), IsEmpty());
}

TEST_F(ContentManagerTest, BadItemsAreInvalidArgumentWithTheFieldPath) {
  v1::CreateItemRequest req;
  req.set_tenant_id("acme");
  req.mutable_item()->set_title("t");
  req.mutable_item()->set_url("https://example.com");
  auto* c = req.mutable_item()->add_captions();
  c->set_network(cv1::NETWORK_X);
  c->add_captions(std::string(281, 'x'));
  auto st = manager_->CreateItem(Admin(), req).status();
  EXPECT_TRUE(absl::IsInvalidArgument(st));
  EXPECT_THAT(std::string(st.message()), StartsWith("item.captions[0].captions[0]:"));
  EXPECT_THAT(std::string(ShareIt("e1", "nope", cv1::NETWORK_X).status().message()),
              StartsWith("item_id:"));
}

// Employee ids come from the identity provider, often as mail addresses (ids.h).
TEST_F(ContentManagerTest, EmailLikeEmployeeIdsAreValid) {
  const std::string jane = "jane.doe+news@acme.com";
  Publish("i1");
  Grant(jane, {Share(cv1::NETWORK_X)});
  auto feed = Feed(jane);
  ASSERT_TRUE(feed.ok()) << feed.status();
  ASSERT_EQ(feed->entries_size(), 1);
  notifier_.Clear();
  auto shared = ShareIt(jane, "i1", cv1::NETWORK_X);
  ASSERT_TRUE(shared.ok()) << shared.status();
  EXPECT_EQ(shared->share().employee_id(), jane);
  EXPECT_THAT(notifier_.keys(), ElementsAre("adv:content:outbox:{acme:" + jane + "}"));
  v1::ListMySharesRequest mine;
  mine.set_tenant_id("acme");
  mine.set_employee_id(jane);
  auto shares = manager_->ListMyShares(Employee(jane), mine);
  ASSERT_TRUE(shares.ok()) << shares.status();
  EXPECT_EQ(shares->shares_size(), 1);
}

// ':' and '/' separate the parts of Redis and Kafka keys; '{' and '}' delimit hash tags.
TEST_F(ContentManagerTest, IdsWithKeySeparatorsAreInvalidArgumentNamingTheField) {
  Publish("i1");
  for (const std::string bad : {"e:1", "e/1", "e{1}"}) {
    auto share = ShareIt(bad, "i1", cv1::NETWORK_X);
    EXPECT_TRUE(absl::IsInvalidArgument(share.status())) << bad << ": " << share.status();
    EXPECT_THAT(std::string(share.status().message()), StartsWith("employee_id: ")) << bad;
    auto feed = Feed(bad);
    EXPECT_TRUE(absl::IsInvalidArgument(feed.status())) << bad << ": " << feed.status();
    EXPECT_THAT(std::string(feed.status().message()), StartsWith("employee_id: ")) << bad;
  }
  v1::RecordShareRequest r;
  r.set_tenant_id("ac:me");
  r.set_employee_id("e1");
  r.set_item_id("i1");
  r.set_network(cv1::NETWORK_X);
  EXPECT_THAT(std::string(manager_->RecordShare(Employee("e1"), r).status().message()),
              StartsWith("tenant_id: "));
  r.set_tenant_id("acme");
  r.set_item_id("i/1");
  EXPECT_THAT(std::string(manager_->RecordShare(Employee("e1"), r).status().message()),
              StartsWith("item_id: "));
  r.set_item_id("i1");
  r.add_groups("sales/emea");
  EXPECT_THAT(std::string(manager_->RecordShare(Employee("e1"), r).status().message()),
              StartsWith("groups[0]: "));
  v1::GetItemRequest get;
  get.set_tenant_id("acme");
  get.set_item_id("i:1");
  auto item = manager_->GetItem(Admin(), get);
  EXPECT_TRUE(absl::IsInvalidArgument(item.status())) << item.status();
  EXPECT_THAT(std::string(item.status().message()), StartsWith("item_id: "));
}

TEST_F(ContentManagerTest, ShareNeedsConsentAndIsNotRepeated) {
  Publish("i1");
  auto refused = ShareIt("e1", "i1", cv1::NETWORK_LINKEDIN);
  EXPECT_TRUE(absl::IsFailedPrecondition(refused.status())) << refused.status();
  Grant("e1", {Share(cv1::NETWORK_LINKEDIN)});
  auto shared = ShareIt("e1", "i1", cv1::NETWORK_LINKEDIN);
  ASSERT_TRUE(shared.ok()) << shared.status();
  EXPECT_EQ(shared->share().caption(), "LinkedIn text");
  EXPECT_TRUE(IsValidLinkCode(shared->share().link_code()));
  EXPECT_EQ(shared->share().tracked_url(), "http://links.test/l/" + shared->share().link_code());
  EXPECT_TRUE(absl::IsAlreadyExists(ShareIt("e1", "i1", cv1::NETWORK_LINKEDIN).status()));
  auto feed = Feed("e1");
  ASSERT_TRUE(feed.ok());
  EXPECT_THAT(feed->entries(), IsEmpty());  // shared on the only consented network
  Withdraw("e1", {Share(cv1::NETWORK_LINKEDIN)});
  Publish("i2");
  EXPECT_TRUE(absl::IsFailedPrecondition(ShareIt("e1", "i2", cv1::NETWORK_LINKEDIN).status()));
  // An admin may not share on an employee's behalf.
  v1::RecordShareRequest r;
  r.set_tenant_id("acme");
  r.set_employee_id("e1");
  r.set_item_id("i2");
  r.set_network(cv1::NETWORK_X);
  EXPECT_TRUE(absl::IsPermissionDenied(manager_->RecordShare(Admin(), r).status()));
  EXPECT_THAT(Metrics(), HasSubstr("advocacy_content_shares_total{network=\"linkedin\",service="
                                   "\"content\",tenant=\"acme\"} 1"));
}

TEST_F(ContentManagerTest, RecordShareReturnsThePostReadyToShare) {
  Publish("i1");
  Grant("e1", {Share(cv1::NETWORK_LINKEDIN), Share(cv1::NETWORK_X)});
  auto li = ShareIt("e1", "i1", cv1::NETWORK_LINKEDIN);
  ASSERT_TRUE(li.ok()) << li.status();
  const std::string tracked = li->share().tracked_url();
  EXPECT_EQ(li->post().post_text(), "LinkedIn text");
  EXPECT_EQ(li->post().share_intent_url(),
            "https://www.linkedin.com/sharing/share-offsite/?url=" + PercentEncode(tracked));
  EXPECT_EQ(li->post().copy_text(), "LinkedIn text");
  EXPECT_EQ(li->post().length(), 13);
  EXPECT_EQ(li->post().limit(), 3000);
  auto x = ShareIt("e1", "i1", cv1::NETWORK_X);
  ASSERT_TRUE(x.ok()) << x.status();
  EXPECT_EQ(x->post().share_intent_url(),
            "https://twitter.com/intent/tweet?text=X%20variant%200&url=" +
                PercentEncode(x->share().tracked_url()));
  // "X variant 0", a space and the link: at its full length, since X links no ".test" host
  // (a tracked link on a real domain counts 23).
  EXPECT_EQ(x->post().length(), 11 + 1 + static_cast<int>(x->share().tracked_url().size()));
  EXPECT_EQ(x->post().limit(), 280);
}

TEST_F(ContentManagerTest, PreviewShareRecordsNothingAndShowsTheShareOnceMade) {
  Publish("i1", /*x_variants=*/3);
  Settings(/*cap=*/1);
  Grant("e1", {Share(cv1::NETWORK_X)});
  Grant("e2", {Share(cv1::NETWORK_X)});
  v1::PreviewShareRequest r;
  r.set_tenant_id("acme");
  r.set_employee_id("e1");
  r.set_item_id("i1");
  r.set_network(cv1::NETWORK_X);
  for (int i = 0; i < 3; ++i) {
    auto preview = manager_->PreviewShare(Employee("e1"), r);
    ASSERT_TRUE(preview.ok()) << preview.status();
    EXPECT_FALSE(preview->has_share());
    EXPECT_EQ(preview->post().post_text(), "X variant 0");
    EXPECT_EQ(preview->post().share_intent_url(), "");  // no tracked link without a share
    EXPECT_EQ(preview->post().length(), 11 + 1 + 36);   // counted with a link all the same
  }
  // Nothing was taken: no link, no share, no rotation, no cap (1 a day, still free).
  EXPECT_EQ(LinkCount(), 0);
  EXPECT_EQ(LinkRecords(), 0u);
  auto shares = manager_->ListMyShares(Employee("e1"), [] {
    v1::ListMySharesRequest l;
    l.set_tenant_id("acme");
    l.set_employee_id("e1");
    return l;
  }());
  ASSERT_TRUE(shares.ok());
  EXPECT_THAT(shares->shares(), IsEmpty());
  auto shared = ShareIt("e1", "i1", cv1::NETWORK_X);
  ASSERT_TRUE(shared.ok()) << shared.status();
  EXPECT_EQ(shared->share().caption(), "X variant 0");

  // Once shared, the preview is that share's post, with its link and dialog.
  auto after = manager_->PreviewShare(Employee("e1"), r);
  ASSERT_TRUE(after.ok()) << after.status();
  EXPECT_EQ(after->share().link_code(), shared->share().link_code());
  EXPECT_EQ(after->post().share_intent_url(), shared->post().share_intent_url());
  EXPECT_EQ(after->post().copy_text(), shared->post().copy_text());
  // A colleague's preview shows the variant their share would get next.
  r.set_employee_id("e2");
  auto colleague = manager_->PreviewShare(Employee("e2"), r);
  ASSERT_TRUE(colleague.ok()) << colleague.status();
  EXPECT_EQ(colleague->post().post_text(), "X variant 1");
  // Only the employee themselves.
  EXPECT_TRUE(absl::IsPermissionDenied(manager_->PreviewShare(Employee("e1"), r).status()));
  EXPECT_TRUE(absl::IsPermissionDenied(manager_->PreviewShare(Admin(), r).status()));
  r.set_item_id("nope");
  EXPECT_TRUE(absl::IsNotFound(manager_->PreviewShare(Employee("e2"), r).status()));
}

TEST_F(ContentManagerTest, ACaptionThatCannotFitWithHashtagsIsRefusedAtSave) {
  v1::CreateItemRequest req = ItemRequest("long");
  auto* item = req.mutable_item();
  auto* x = item->add_captions();
  x->set_network(cv1::NETWORK_X);
  x->add_captions("fits");
  x->add_captions(std::string(250, 'a'));  // fits alone (280), not with "#launch" and the link
  item->add_hashtags("launch");
  const auto created = manager_->CreateItem(Admin(), req);
  EXPECT_TRUE(absl::IsInvalidArgument(created.status())) << created.status();
  EXPECT_THAT(std::string(created.status().message()),
              StartsWith("item.captions[0].captions[1]: with the hashtags and the disclosure tag "
                         "and the tracked link the post is 296 characters as NETWORK_X counts"));
  v1::GetItemRequest get;
  get.set_tenant_id("acme");
  get.set_item_id("long");
  EXPECT_TRUE(absl::IsNotFound(manager_->GetItem(Admin(), get).status()));
}

TEST_F(ContentManagerTest, AStoredItemThatCannotFitIsRefusedAtShareAndTakesNothing) {
  // Saved before posts were checked at save time: straight into the store.
  v1::Item item;
  item.set_tenant_id("acme");
  item.set_item_id("old");
  item.set_title("Old");
  item.set_url("https://example.com/old");
  item.set_state(v1::ITEM_STATE_PUBLISHED);
  item.add_hashtags("launch");
  auto* x = item.add_captions();
  x->set_network(cv1::NETWORK_X);
  x->add_captions(std::string(270, 'a'));
  auto* li = item.add_captions();
  li->set_network(cv1::NETWORK_LINKEDIN);
  li->add_captions(std::string(270, 'a'));
  ASSERT_TRUE(store_->CreateItem(item, "acme", 100).ok());
  Grant("e1", {Share(cv1::NETWORK_X), Share(cv1::NETWORK_LINKEDIN)});
  const auto refused = ShareIt("e1", "old", cv1::NETWORK_X);
  EXPECT_TRUE(absl::IsFailedPrecondition(refused.status())) << refused.status();
  EXPECT_THAT(std::string(refused.status().message()),
              HasSubstr("over the network's limit of 280"));
  EXPECT_EQ(LinkCount(), 0);
  EXPECT_EQ(LinkRecords(), 0u);
  v1::PreviewShareRequest r;
  r.set_tenant_id("acme");
  r.set_employee_id("e1");
  r.set_item_id("old");
  r.set_network(cv1::NETWORK_X);
  EXPECT_TRUE(absl::IsFailedPrecondition(manager_->PreviewShare(Employee("e1"), r).status()));
  // LinkedIn's limit leaves room: that network of the item is shared as ever, never cut.
  const auto shared = ShareIt("e1", "old", cv1::NETWORK_LINKEDIN);
  ASSERT_TRUE(shared.ok()) << shared.status();
  EXPECT_EQ(shared->post().post_text(), std::string(270, 'a') + "\n\n#launch");
}

TEST_F(ContentManagerTest, CaptionsRotateAcrossColleagues) {
  Publish("i1", /*x_variants=*/3);
  std::vector<std::string> captions;
  for (const char* e : {"e1", "e2", "e3", "e4"}) {
    Grant(e, {Share(cv1::NETWORK_X)});
    auto s = ShareIt(e, "i1", cv1::NETWORK_X);
    ASSERT_TRUE(s.ok()) << s.status();
    captions.push_back(s->share().caption());
  }
  EXPECT_THAT(captions, ElementsAre("X variant 0", "X variant 1", "X variant 2", "X variant 0"));
}

TEST_F(ContentManagerTest, TenantAndOwnCapsPerNetworkPerDay) {
  Settings(2);
  for (const char* id : {"a", "b", "c", "d"}) Publish(id);
  Grant("e1", {Share(cv1::NETWORK_X), Share(cv1::NETWORK_LINKEDIN)});
  ASSERT_TRUE(ShareIt("e1", "a", cv1::NETWORK_X).ok());
  ASSERT_TRUE(ShareIt("e1", "b", cv1::NETWORK_X).ok());
  EXPECT_TRUE(absl::IsResourceExhausted(ShareIt("e1", "c", cv1::NETWORK_X).status()));
  // Another network has its own count.
  ASSERT_TRUE(ShareIt("e1", "a", cv1::NETWORK_LINKEDIN).ok());
  // The employee's own cap lowers it.
  v1::SetMyShareCapRequest cap;
  cap.set_tenant_id("acme");
  cap.set_employee_id("e1");
  cap.set_network(cv1::NETWORK_LINKEDIN);
  cap.set_daily_cap(1);
  ASSERT_TRUE(manager_->SetMyShareCap(Employee("e1"), cap).ok());
  EXPECT_TRUE(absl::IsResourceExhausted(ShareIt("e1", "b", cv1::NETWORK_LINKEDIN).status()));
  // The employee reads their limits as the share script applies them.
  v1::GetMySharingLimitsRequest limits;
  limits.set_tenant_id("acme");
  limits.set_employee_id("e1");
  auto read = manager_->GetMySharingLimits(Employee("e1"), limits);
  ASSERT_TRUE(read.ok()) << read.status();
  std::map<int, std::tuple<int, int, int, int>> by_network;
  for (const auto& n : read->networks()) {
    by_network[n.network()] = {n.tenant_daily_cap(), n.own_daily_cap(), n.daily_cap(),
                               n.used_today()};
  }
  EXPECT_EQ(by_network[cv1::NETWORK_X], std::make_tuple(2, 0, 2, 2));
  EXPECT_EQ(by_network[cv1::NETWORK_LINKEDIN], std::make_tuple(2, 1, 1, 1));
  EXPECT_EQ(by_network[cv1::NETWORK_FACEBOOK], std::make_tuple(2, 0, 2, 0));
  EXPECT_EQ(read->day(), "2026-01-01");
  // Only that employee: not a colleague, not an admin.
  EXPECT_TRUE(
      absl::IsPermissionDenied(manager_->GetMySharingLimits(Employee("e2"), limits).status()));
  limits.set_employee_id("");
  EXPECT_TRUE(
      absl::IsInvalidArgument(manager_->GetMySharingLimits(Employee("e1"), limits).status()));
  // The next day starts afresh.
  now_ += int64_t{24} * 3600 * 1000;
  EXPECT_TRUE(ShareIt("e1", "c", cv1::NETWORK_X).ok());
  limits.set_employee_id("e1");
  read = manager_->GetMySharingLimits(Employee("e1"), limits);
  ASSERT_TRUE(read.ok()) << read.status();
  for (const auto& n : read->networks()) {
    EXPECT_EQ(n.used_today(), n.network() == cv1::NETWORK_X ? 1 : 0) << n.network();
  }
}

TEST_F(ContentManagerTest, ConcurrentSharesNeverExceedTheCap) {
  Settings(3);
  std::vector<std::string> items;
  for (int i = 0; i < 12; ++i) items.push_back(Publish("c" + std::to_string(i)));
  Grant("e1", {Share(cv1::NETWORK_X)});
  std::atomic<int> ok{0}, exhausted{0}, other{0};
  std::vector<std::thread> threads;
  for (const auto& item : items) {
    threads.emplace_back([&, item] {
      auto s = ShareIt("e1", item, cv1::NETWORK_X);
      if (s.ok()) {
        ++ok;
      } else if (absl::IsResourceExhausted(s.status())) {
        ++exhausted;
      } else {
        ++other;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(ok.load(), 3);
  EXPECT_EQ(exhausted.load(), 9);
  EXPECT_EQ(other.load(), 0);
}

TEST_F(ContentManagerTest, QuietHoursRefuseImmediateSharesButAllowScheduling) {
  Settings(0, 11, 14);  // noon is quiet
  Publish("i1");
  Grant("e1", {Share(cv1::NETWORK_X)});
  EXPECT_TRUE(absl::IsResourceExhausted(ShareIt("e1", "i1", cv1::NETWORK_X).status()));
  v1::RecordShareRequest r;
  r.set_tenant_id("acme");
  r.set_employee_id("e1");
  r.set_item_id("i1");
  r.set_network(cv1::NETWORK_X);
  *r.mutable_scheduled_for() = FromMs(kNoon + 3 * 3600 * 1000);  // 15:00
  auto s = manager_->RecordShare(Employee("e1"), r);
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(s->share().state(), v1::SHARE_STATE_SCHEDULED);
}

TEST_F(ContentManagerTest, WithdrawalCancelsScheduledSharesAndLeavesTheLeaderboard) {
  Publish("i1");
  Publish("i2");
  Grant("e1", {Share(cv1::NETWORK_X), Share(cv1::NETWORK_LINKEDIN), Board()});
  Grant("e2", {Share(cv1::NETWORK_X)});  // not on the leaderboard
  ASSERT_TRUE(ShareIt("e1", "i1", cv1::NETWORK_LINKEDIN).ok());
  ASSERT_TRUE(ShareIt("e2", "i1", cv1::NETWORK_X).ok());
  v1::RecordShareRequest r;
  r.set_tenant_id("acme");
  r.set_employee_id("e1");
  r.set_item_id("i2");
  r.set_network(cv1::NETWORK_X);
  *r.mutable_scheduled_for() = FromMs(kNoon + 3600 * 1000);
  ASSERT_TRUE(manager_->RecordShare(Employee("e1"), r).ok());

  v1::GetLeaderboardRequest lb;
  lb.set_tenant_id("acme");
  auto board = manager_->GetLeaderboard(Employee("e2"), lb);
  ASSERT_TRUE(board.ok());
  ASSERT_EQ(board->entries_size(), 1);
  EXPECT_EQ(board->entries(0).employee_id(), "e1");
  EXPECT_EQ(board->entries(0).shares(), 2);

  auto applied = Withdraw("e1", {Share(cv1::NETWORK_X), Board()});
  ASSERT_TRUE(manager_->OnConsentWithdrawn(applied).ok());
  ASSERT_TRUE(manager_->OnConsentWithdrawn(applied).ok());  // idempotent
  board = manager_->GetLeaderboard(Employee("e2"), lb);
  ASSERT_TRUE(board.ok());
  EXPECT_THAT(board->entries(), IsEmpty());
  v1::ListMySharesRequest mine;
  mine.set_tenant_id("acme");
  mine.set_employee_id("e1");
  auto shares = manager_->ListMyShares(Employee("e1"), mine);
  ASSERT_TRUE(shares.ok());
  std::multiset<int> states;
  for (const auto& s : shares->shares()) states.insert(s.state());
  EXPECT_EQ(states, (std::multiset<int>{v1::SHARE_STATE_SHARED, v1::SHARE_STATE_CANCELLED}));
}

TEST_F(ContentManagerTest, ClicksCountOncePerResolveAndUnknownCodesAreNotFound) {
  Publish("i1");
  Grant("e1", {Share(cv1::NETWORK_X)});
  auto s = ShareIt("e1", "i1", cv1::NETWORK_X);
  ASSERT_TRUE(s.ok());
  const std::string code = s->share().link_code();
  for (int i = 0; i < 3; ++i) {
    auto target = manager_->ResolveClick(code);
    ASSERT_TRUE(target.ok()) << target.status();
    EXPECT_EQ(*target,
              "https://example.com/i1?utm_source=x&utm_medium=employee_advocacy&utm_campaign=i1");
  }
  EXPECT_TRUE(absl::IsNotFound(manager_->ResolveClick("AAAAAAAAAAAAAAAA").status()));
  EXPECT_TRUE(absl::IsNotFound(manager_->ResolveClick("../x").status()));
  v1::GetMyStatsRequest st;
  st.set_tenant_id("acme");
  st.set_employee_id("e1");
  auto stats = manager_->GetMyStats(Employee("e1"), st);
  ASSERT_TRUE(stats.ok());
  EXPECT_EQ(stats->total_shares(), 1);
  EXPECT_EQ(stats->total_clicks(), 3);
  EXPECT_TRUE(absl::IsPermissionDenied(manager_->GetMyStats(Employee("e2"), st).status()));
  EXPECT_THAT(
      Metrics(),
      HasSubstr(
          "advocacy_content_clicks_total{network=\"x\",service=\"content\",tenant=\"acme\"} 3"));
  auto conn = pool_->Acquire();
  ASSERT_TRUE(conn.ok());
  EXPECT_EQ((*conn)->Command({"LLEN", "adv:content:outbox:{lnk:" + code + "}"})->integer, 3);
}

TEST_F(ContentManagerTest, GroupStatsHideSmallGroups) {
  Publish("i1");
  Grant("e1", {Share(cv1::NETWORK_X)});
  ASSERT_TRUE(ShareIt("e1", "i1", cv1::NETWORK_X).ok());  // sales: 1 member
  v1::GetGroupStatsRequest r;
  r.set_tenant_id("acme");
  auto stats = manager_->GetGroupStats(Admin(), r);
  ASSERT_TRUE(stats.ok());
  EXPECT_THAT(stats->groups(), IsEmpty());
  EXPECT_EQ(stats->suppressed_groups(), 1);
  v1::GetFeedRequest f;
  f.set_tenant_id("acme");
  f.set_employee_id("e2");
  f.add_groups("sales");
  ASSERT_TRUE(manager_->GetFeed(Employee("e2"), f).ok());  // a second member who did not share
  stats = manager_->GetGroupStats(Admin(), r);
  ASSERT_TRUE(stats.ok());
  ASSERT_EQ(stats->groups_size(), 1);
  EXPECT_EQ(stats->groups(0).members(), 2);
  EXPECT_EQ(stats->groups(0).advocates(), 1);
  EXPECT_EQ(stats->groups(0).shares(), 1);
  EXPECT_TRUE(absl::IsPermissionDenied(manager_->GetGroupStats(Employee("e1"), r).status()));
}

TEST_F(ContentManagerTest, AnItemOverTheSizeCapIsRefusedAndStoresNothing) {
  v1::CreateItemRequest req = ItemRequest("big");
  auto* li = req.mutable_item()->add_captions();
  li->set_network(cv1::NETWORK_LINKEDIN);
  std::string euros;
  for (int i = 0; i < 3000; ++i) euros += "\xe2\x82\xac";
  for (int i = 0; i < kMaxCaptionVariants; ++i) li->add_captions(euros);
  const absl::Status st = manager_->CreateItem(Admin(), req).status();
  EXPECT_TRUE(absl::IsInvalidArgument(st)) << st;
  EXPECT_THAT(std::string(st.message()), StartsWith("item: is "));
  EXPECT_EQ(Redis({"EXISTS", "adv:content:{acme}:item:big"}).integer, 0);
  EXPECT_EQ(Redis({"ZCARD", "adv:content:{acme}:items"}).integer, 0);
}

// Protobuf keeps the fields it does not know; stored, they would be served and published
// without ever having been checked.
TEST_F(ContentManagerTest, UnknownFieldsAreDiscardedBeforeStorage) {
  v1::CreateItemRequest req = ItemRequest("extra");
  auto* item = req.mutable_item();
  auto* x = item->add_captions();
  x->set_network(cv1::NETWORK_X);
  x->add_captions("hello");
  item->GetReflection()->MutableUnknownFields(item)->AddLengthDelimited(999, "smuggled");
  x->GetReflection()->MutableUnknownFields(x)->AddVarint(77, 1);
  auto created = manager_->CreateItem(Admin(), req);
  ASSERT_TRUE(created.ok()) << created.status();
  EXPECT_TRUE(created->item().GetReflection()->GetUnknownFields(created->item()).empty());

  const redis::Reply raw = Redis({"GET", "adv:content:{acme}:item:extra"});
  ASSERT_TRUE(raw.is_string());
  EXPECT_EQ(raw.str.find("smuggled"), std::string::npos);
  v1::Item stored;
  ASSERT_TRUE(stored.ParseFromString(raw.str));
  EXPECT_TRUE(stored.GetReflection()->GetUnknownFields(stored).empty());
  ASSERT_EQ(stored.captions_size(), 1);
  EXPECT_TRUE(stored.captions(0).GetReflection()->GetUnknownFields(stored.captions(0)).empty());

  v1::UpdateTenantSettingsRequest settings;
  settings.set_tenant_id("acme");
  settings.mutable_settings()->set_daily_share_cap(3);
  settings.mutable_settings()
      ->GetReflection()
      ->MutableUnknownFields(settings.mutable_settings())
      ->AddLengthDelimited(999, "smuggled");
  ASSERT_TRUE(manager_->UpdateTenantSettings(Admin(), settings).ok());
  const redis::Reply raw_settings = Redis({"GET", "adv:content:{acme}:settings"});
  ASSERT_TRUE(raw_settings.is_string());
  EXPECT_EQ(raw_settings.str.find("smuggled"), std::string::npos);
}

TEST_F(ContentManagerTest, TheItemQuotaCountsStoredItemsAndRetriesDoNotCountTwice) {
  UseQuotas({.items = 2});
  ASSERT_TRUE(Create("i1").ok());
  ASSERT_TRUE(Create("i2").ok());
  const absl::Status full = Create("i3").status();
  EXPECT_TRUE(absl::IsResourceExhausted(full)) << full;
  EXPECT_THAT(std::string(full.message()), HasSubstr("quota of 2 items"));
  EXPECT_THAT(std::string(full.message()), HasSubstr("CONTENT_MAX_ITEMS_PER_TENANT"));
  EXPECT_EQ(Redis({"EXISTS", "adv:content:{acme}:item:i3"}).integer, 0);
  // A retry of a creation already made is answered as such, not as a quota refusal.
  EXPECT_TRUE(absl::IsAlreadyExists(Create("i1").status()));
  // Archived items stay stored (their links keep redirecting), so they still count.
  v1::ArchiveItemRequest archive;
  archive.set_tenant_id("acme");
  archive.set_item_id("i1");
  ASSERT_TRUE(manager_->ArchiveItem(Admin(), archive).ok());
  EXPECT_TRUE(absl::IsResourceExhausted(Create("i3").status()));
  EXPECT_EQ(Redis({"ZCARD", "adv:content:{acme}:items"}).integer, 2);
  // The quota is per tenant.
  EXPECT_TRUE(Create("i3", "globex").ok());
}

TEST_F(ContentManagerTest, TheGroupQuotaRefusesANewGroupAndChangesNothing) {
  UseQuotas({.groups = 2});
  Publish("i1");
  Grant("e1", {Share(cv1::NETWORK_X)});
  ASSERT_TRUE(FeedIn("e1", {"sales", "support"}).ok());
  ASSERT_TRUE(FeedIn("e2", {"sales"}).ok());  // known groups cost nothing
  EXPECT_EQ(Redis({"SCARD", "adv:content:{acme}:groups"}).integer, 2);

  const absl::Status feed = FeedIn("e1", {"sales", "legal"}).status();
  EXPECT_TRUE(absl::IsResourceExhausted(feed)) << feed;
  EXPECT_THAT(std::string(feed.message()), StartsWith("groups: "));
  EXPECT_THAT(std::string(feed.message()), HasSubstr("CONTENT_MAX_GROUPS_PER_TENANT"));
  EXPECT_EQ(Redis({"SCARD", "adv:content:{acme}:groups"}).integer, 2);
  EXPECT_EQ(Redis({"EXISTS", "adv:content:{acme}:g:legal:m"}).integer, 0);

  v1::RecordShareRequest r;
  r.set_tenant_id("acme");
  r.set_employee_id("e1");
  r.set_item_id("i1");
  r.set_network(cv1::NETWORK_X);
  r.add_groups("legal");
  const absl::Status share = manager_->RecordShare(Employee("e1"), r).status();
  EXPECT_TRUE(absl::IsResourceExhausted(share)) << share;
  EXPECT_EQ(Redis({"HLEN", "adv:content:{acme:e1}:shares"}).integer, 0);
  EXPECT_EQ(LinkCount(), 0);
  EXPECT_EQ(LinkRecords(), 0U);
  r.set_groups(0, "support");
  ASSERT_TRUE(manager_->RecordShare(Employee("e1"), r).ok());
  EXPECT_EQ(LinkCount(), 1);
}

TEST_F(ContentManagerTest, TheLinkQuotaCountsCommittedSharesOnly) {
  UseQuotas({.links = 2});
  Publish("i1");
  Publish("i2");
  Grant("e1", {Share(cv1::NETWORK_X)});
  Grant("e2", {Share(cv1::NETWORK_X)});
  Settings(1);
  ASSERT_TRUE(ShareIt("e1", "i1", cv1::NETWORK_X).ok());
  EXPECT_EQ(LinkCount(), 1);
  // A retry of that share: ALREADY_EXISTS, counted once.
  EXPECT_TRUE(absl::IsAlreadyExists(ShareIt("e1", "i1", cv1::NETWORK_X).status()));
  EXPECT_EQ(LinkCount(), 1);
  // Refused by the daily cap inside the share script: its link is given back.
  const absl::Status capped = ShareIt("e1", "i2", cv1::NETWORK_X).status();
  EXPECT_TRUE(absl::IsResourceExhausted(capped)) << capped;
  EXPECT_THAT(std::string(capped.message()), HasSubstr("daily cap"));
  EXPECT_EQ(LinkCount(), 1);
  EXPECT_EQ(LinkRecords(), 1U);
  ASSERT_TRUE(ShareIt("e2", "i1", cv1::NETWORK_X).ok());
  EXPECT_EQ(LinkCount(), 2);
  // The quota is reached: refused before anything is written.
  Settings(5);
  const absl::Status full = ShareIt("e2", "i2", cv1::NETWORK_X).status();
  EXPECT_TRUE(absl::IsResourceExhausted(full)) << full;
  EXPECT_THAT(std::string(full.message()), HasSubstr("CONTENT_MAX_LINKS_PER_TENANT"));
  EXPECT_EQ(LinkCount(), 2);
  EXPECT_EQ(LinkRecords(), 2U);
  EXPECT_EQ(Redis({"HLEN", "adv:content:{acme:e2}:shares"}).integer, 1);
  // A retry of a share already made is still ALREADY_EXISTS at a full quota.
  EXPECT_TRUE(absl::IsAlreadyExists(ShareIt("e1", "i1", cv1::NETWORK_X).status()));
}

}  // namespace
}  // namespace advocacy::content
