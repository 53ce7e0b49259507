#include "advocacy/common/consent_view.h"

#include <memory>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "prometheus/registry.h"
#include "prometheus/text_serializer.h"
#include "testing/redis_server.h"

namespace advocacy::consent_view {
namespace {

namespace v1 = ::advocacy::consent::v1;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::UnorderedElementsAre;

v1::ConsentScope Scope(v1::Purpose p, v1::Network n = v1::NETWORK_UNSPECIFIED) {
  v1::ConsentScope s;
  s.set_purpose(p);
  s.set_network(n);
  return s;
}

const v1::ConsentScope kLinkedIn = Scope(v1::PURPOSE_SHARE_CONTENT, v1::NETWORK_LINKEDIN);
const v1::ConsentScope kX = Scope(v1::PURPOSE_SHARE_CONTENT, v1::NETWORK_X);
const v1::ConsentScope kBoard = Scope(v1::PURPOSE_LEADERBOARD);

v1::ConsentGiven Given(int64_t seq, std::vector<v1::ConsentScope> scopes) {
  v1::ConsentGiven e;
  e.set_tenant_id("acme");
  e.set_employee_id("e1");
  e.set_sequence(seq);
  for (auto& s : scopes) *e.add_scopes() = s;
  return e;
}

v1::ConsentWithdrawn Withdrawn(int64_t seq, std::vector<v1::ConsentScope> scopes,
                               bool all = false) {
  v1::ConsentWithdrawn e;
  e.set_tenant_id("acme");
  e.set_employee_id("e1");
  e.set_sequence(seq);
  e.set_all_scopes(all);
  for (auto& s : scopes) *e.add_scopes() = s;
  return e;
}

template <typename Event>
kafka::Message ToMessage(const Event& e, std::string time = kafka::NowRfc3339()) {
  kafka::Message m;
  m.topic = "advocacy.consent.v1";
  m.key = "acme/e1";
  m.payload = e.SerializeAsString();
  m.headers = kafka::ToHeaders({.id = kafka::NewEventId(),
                                .source = "/advocacy/consent",
                                .type = Event::descriptor()->full_name(),
                                .time = std::move(time)});
  return m;
}

class ConsentViewTest : public ::testing::Test {
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
    pool_ = std::make_unique<redis::Pool>(*options, 2);
    auto conn = pool_->Acquire();
    ASSERT_TRUE(conn.ok());
    ASSERT_TRUE((*conn)->Command({"FLUSHALL"}).ok());
    view_ = std::make_unique<ConsentView>(pool_.get(), "content");
  }
  bool Granted(const v1::ConsentScope& s) {
    auto g = view_->IsGranted("acme", "e1", s);
    EXPECT_TRUE(g.ok()) << g.status();
    return g.ok() && *g;
  }

  static testing::RedisServer* server_;
  std::unique_ptr<redis::Pool> pool_;
  std::unique_ptr<ConsentView> view_;
};
testing::RedisServer* ConsentViewTest::server_ = nullptr;

TEST(ConsentViewKeys, KeyAndFieldsShareTheEmployeeHashTag) {
  EXPECT_EQ(ConsentView::KeyFor("content", "acme", "e1"), "adv:content:cv:{acme:e1}");
  EXPECT_EQ(ConsentView::ScopeField(kLinkedIn), "PURPOSE_SHARE_CONTENT.NETWORK_LINKEDIN");
  auto back = ConsentView::ParseScopeField("PURPOSE_LEADERBOARD.NETWORK_UNSPECIFIED");
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->purpose(), v1::PURPOSE_LEADERBOARD);
  EXPECT_FALSE(ConsentView::ParseScopeField("nonsense").ok());
  EXPECT_EQ(ConsentViewConsumer::DeadLetterTopic("advocacy.consent.v1", "content"),
            "advocacy.consent.v1.content.dlq");
}

TEST_F(ConsentViewTest, UnknownScopeIsNotGranted) {
  EXPECT_FALSE(Granted(kLinkedIn));
  auto snap = view_->Load("acme", "e1");
  ASSERT_TRUE(snap.ok());
  EXPECT_EQ(snap->sequence, 0);
}

TEST_F(ConsentViewTest, GrantThenWithdrawAndSequenceAdvances) {
  ASSERT_TRUE(view_->Apply(Given(1, {kLinkedIn, kX, kBoard})).ok());
  EXPECT_TRUE(Granted(kLinkedIn));
  EXPECT_TRUE(Granted(kBoard));
  auto r = view_->Apply(Withdrawn(2, {kLinkedIn}));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->changed, 1);
  EXPECT_THAT(r->withdrawn, ElementsAre("PURPOSE_SHARE_CONTENT.NETWORK_LINKEDIN"));
  EXPECT_FALSE(Granted(kLinkedIn));
  EXPECT_TRUE(Granted(kX));
  auto snap = view_->Load("acme", "e1");
  ASSERT_TRUE(snap.ok());
  EXPECT_EQ(snap->sequence, 2);
  EXPECT_THAT(snap->granted, UnorderedElementsAre("PURPOSE_SHARE_CONTENT.NETWORK_X",
                                                  "PURPOSE_LEADERBOARD.NETWORK_UNSPECIFIED"));
}

TEST_F(ConsentViewTest, ReplayIsIdempotentAndReportsTheSameWithdrawal) {
  ASSERT_TRUE(view_->Apply(Given(1, {kLinkedIn})).ok());
  ASSERT_TRUE(view_->Apply(Withdrawn(2, {kLinkedIn})).ok());
  auto again = view_->Apply(Withdrawn(2, {kLinkedIn}));
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->changed, 0);
  EXPECT_THAT(again->withdrawn, ElementsAre("PURPOSE_SHARE_CONTENT.NETWORK_LINKEDIN"));
  auto given_again = view_->Apply(Given(1, {kLinkedIn}));
  ASSERT_TRUE(given_again.ok());
  EXPECT_EQ(given_again->changed, 0);
  EXPECT_FALSE(Granted(kLinkedIn));
}

TEST_F(ConsentViewTest, OlderEventArrivingLateIsIgnored) {
  ASSERT_TRUE(view_->Apply(Withdrawn(5, {kLinkedIn})).ok());
  ASSERT_TRUE(view_->Apply(Given(3, {kLinkedIn})).ok());
  EXPECT_FALSE(Granted(kLinkedIn));
  ASSERT_TRUE(view_->Apply(Given(6, {kLinkedIn})).ok());
  EXPECT_TRUE(Granted(kLinkedIn));
  // A stale withdrawal does not report scopes a newer grant holds.
  auto stale = view_->Apply(Withdrawn(4, {kLinkedIn}));
  ASSERT_TRUE(stale.ok());
  EXPECT_THAT(stale->withdrawn, IsEmpty());
  EXPECT_TRUE(Granted(kLinkedIn));
  auto snap = view_->Load("acme", "e1");
  ASSERT_TRUE(snap.ok());
  EXPECT_EQ(snap->sequence, 6);
}

TEST_F(ConsentViewTest, WithdrawAllBlocksOlderGrantsOfScopesNotSeenYet) {
  ASSERT_TRUE(view_->Apply(Given(1, {kLinkedIn, kBoard})).ok());
  auto all = view_->Apply(Withdrawn(4, {}, /*all=*/true));
  ASSERT_TRUE(all.ok()) << all.status();
  EXPECT_THAT(all->withdrawn, UnorderedElementsAre("PURPOSE_SHARE_CONTENT.NETWORK_LINKEDIN",
                                                   "PURPOSE_LEADERBOARD.NETWORK_UNSPECIFIED"));
  ASSERT_TRUE(view_->Apply(Given(3, {kX})).ok());  // older than the withdraw-all
  EXPECT_FALSE(Granted(kX));
  EXPECT_FALSE(Granted(kBoard));
  ASSERT_TRUE(view_->Apply(Given(7, {kX})).ok());
  EXPECT_TRUE(Granted(kX));
}

TEST_F(ConsentViewTest, InvalidEventsAreInvalidArgument) {
  auto no_seq = Given(0, {kLinkedIn});
  EXPECT_TRUE(absl::IsInvalidArgument(view_->Apply(no_seq).status()));
  auto no_scopes = Given(1, {});
  EXPECT_TRUE(absl::IsInvalidArgument(view_->Apply(no_scopes).status()));
  auto bad_scope = Given(1, {Scope(v1::PURPOSE_UNSPECIFIED)});
  auto st = view_->Apply(bad_scope).status();
  EXPECT_TRUE(absl::IsInvalidArgument(st));
  EXPECT_THAT(std::string(st.message()), HasSubstr("scopes[0].purpose"));
  auto no_tenant = Given(1, {kLinkedIn});
  no_tenant.clear_tenant_id();
  EXPECT_TRUE(absl::IsInvalidArgument(view_->Apply(no_tenant).status()));

  kafka::Message garbage = ToMessage(Given(1, {kLinkedIn}));
  garbage.payload = "\xff\xff\xff";
  EXPECT_TRUE(absl::IsInvalidArgument(view_->ApplyMessage(garbage).status()));
  kafka::Message no_headers = ToMessage(Given(1, {kLinkedIn}));
  no_headers.headers.clear();
  EXPECT_TRUE(absl::IsInvalidArgument(view_->ApplyMessage(no_headers).status()));
  kafka::Message foreign = ToMessage(Given(1, {kLinkedIn}));
  for (auto& h : foreign.headers) {
    if (h.key == "ce_type") h.value = "advocacy.courses.v1.CourseCompleted";
  }
  EXPECT_TRUE(absl::IsInvalidArgument(view_->ApplyMessage(foreign).status()));
  v1::NoticePublished notice;
  auto ok = view_->ApplyMessage(ToMessage(notice));
  EXPECT_TRUE(ok.ok()) << ok.status();
}

TEST_F(ConsentViewTest, ConsumerHandlerCallsBackOnWithdrawalAndMeasuresLag) {
  prometheus::Registry registry;
  std::vector<std::string> cancelled;
  int failures_left = 1;
  auto consumer = ConsentViewConsumer::Create(
      view_.get(), {.on_withdrawn = [&](const ApplyResult& r) -> absl::Status {
                      if (failures_left-- > 0) return absl::UnavailableError("try later");
                      cancelled.insert(cancelled.end(), r.withdrawn.begin(), r.withdrawn.end());
                      return absl::OkStatus();
                    },
                    .registry = &registry});
  ASSERT_TRUE(consumer.ok()) << consumer.status();
  ASSERT_TRUE((*consumer)->Handle(ToMessage(Given(1, {kLinkedIn}))).ok());
  const auto withdrawal = ToMessage(Withdrawn(2, {kLinkedIn}));
  // The first cancellation fails: the event is retried and the callback sees it again.
  EXPECT_TRUE(absl::IsUnavailable((*consumer)->Handle(withdrawal)));
  EXPECT_TRUE((*consumer)->Handle(withdrawal).ok());
  EXPECT_THAT(cancelled, ElementsAre("PURPOSE_SHARE_CONTENT.NETWORK_LINKEDIN"));
  kafka::Message poison = withdrawal;
  poison.payload = "\xff";
  EXPECT_TRUE(absl::IsInvalidArgument((*consumer)->Handle(poison)));

  const std::string text = prometheus::TextSerializer().Serialize(registry.Collect());
  EXPECT_THAT(text,
              HasSubstr("advocacy_consent_propagation_lag_seconds_count{service=\"content\"} 2"));
}

TEST_F(ConsentViewTest, GrantedLuaSnippetReadsTheView) {
  ASSERT_TRUE(view_->Apply(Given(1, {kLinkedIn})).ok());
  const std::string script = std::string(ConsentView::ScopeGrantedLua()) +
                             "if cv_granted(KEYS[1], ARGV[1]) then return 1 end return 0";
  auto conn = pool_->Acquire();
  ASSERT_TRUE(conn.ok());
  redis::Script s(script);
  auto yes = (*conn)->Eval(s, {view_->KeyFor("acme", "e1")}, {ConsentView::ScopeField(kLinkedIn)});
  ASSERT_TRUE(yes.ok());
  EXPECT_EQ(yes->integer, 1);
  auto no = (*conn)->Eval(s, {view_->KeyFor("acme", "e1")}, {ConsentView::ScopeField(kX)});
  ASSERT_TRUE(no.ok());
  EXPECT_EQ(no->integer, 0);
}

TEST(ParseRfc3339, ParsesMillis) {
  auto ms = ParseRfc3339Ms("1970-01-01T00:00:01.500Z");
  ASSERT_TRUE(ms.ok());
  EXPECT_EQ(*ms, 1500);
  EXPECT_FALSE(ParseRfc3339Ms("yesterday").ok());
}

}  // namespace
}  // namespace advocacy::consent_view
