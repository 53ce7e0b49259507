#include "advocacy/common/consent_view.h"

#include <atomic>
#include <chrono>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "prometheus/registry.h"
#include "prometheus/text_serializer.h"
#include "testing/kafka_mock.h"
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
  EXPECT_EQ(kafka::DeadLetterTopic("advocacy.consent.v1", "content"),
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

TEST_F(ConsentViewTest, KeyOfAnotherEmployeeIsRejectedAndChangesNothing) {
  ASSERT_TRUE(view_->Apply(Given(1, {kLinkedIn})).ok());
  kafka::Message forged = ToMessage(Withdrawn(2, {kLinkedIn}));
  forged.key = "acme/e2";  // e2's partition, e1's body
  const absl::Status st = view_->ApplyMessage(forged).status();
  EXPECT_EQ(event_trust::ReasonOf(st), event_trust::Reason::kKeyMismatch) << st;
  EXPECT_THAT(std::string(st.message()), HasSubstr("'acme/e2' is not 'acme/e1'"));
  forged.key = "acme";
  EXPECT_EQ(event_trust::ReasonOf(view_->ApplyMessage(forged).status()),
            event_trust::Reason::kKeyMismatch);
  EXPECT_TRUE(Granted(kLinkedIn)) << "nothing of a rejected event is applied";
  EXPECT_TRUE(view_->ApplyMessage(ToMessage(Withdrawn(2, {kLinkedIn}))).ok());
  EXPECT_FALSE(Granted(kLinkedIn));
}

// The forged ConsentGiven{sequence=2^62} of issue 11: without the bound every later real change
// of the employee would be "older" and ignored.
TEST_F(ConsentViewTest, SequenceFarAboveTheViewIsRejectedAndLaterRealChangesApply) {
  ASSERT_TRUE(view_->Apply(Given(1, {kLinkedIn, kBoard})).ok());
  const auto forged = view_->Apply(Given(int64_t{1} << 62, {kLinkedIn, kBoard}));
  EXPECT_EQ(event_trust::ReasonOf(forged.status()), event_trust::Reason::kSequenceGap)
      << forged.status();
  EXPECT_THAT(std::string(forged.status().message()),
              HasSubstr("is more than 1000 above the highest sequence this view applied (1)"));
  auto snap = view_->Load("acme", "e1");
  ASSERT_TRUE(snap.ok());
  EXPECT_EQ(snap->sequence, 1) << "the rejected event left no trace";

  auto real = view_->Apply(Withdrawn(2, {}, /*all=*/true));
  ASSERT_TRUE(real.ok()) << real.status();
  EXPECT_EQ(real->changed, 2);
  EXPECT_EQ(real->view_sequence, 2);
  EXPECT_FALSE(Granted(kLinkedIn));
  EXPECT_FALSE(Granted(kBoard));
}

TEST_F(ConsentViewTest, GapIsMeasuredFromTheHighestAppliedSequence) {
  ConsentView narrow(pool_.get(), "content", {.max_sequence_gap = 10});
  // An employee the view has not seen: the gap counts from 0.
  EXPECT_EQ(event_trust::ReasonOf(narrow.Apply(Given(11, {kX})).status()),
            event_trust::Reason::kSequenceGap);
  auto first = narrow.Apply(Given(10, {kX}));
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_EQ(first->view_sequence, 10);
  EXPECT_TRUE(narrow.Apply(Withdrawn(20, {kX})).ok()) << "exactly the gap above is allowed";
  EXPECT_EQ(event_trust::ReasonOf(narrow.Apply(Given(31, {kX})).status()),
            event_trust::Reason::kSequenceGap);
  // A late, older event is no gap at all: applied as before (a no-op here).
  auto late = narrow.Apply(Given(15, {kX}));
  ASSERT_TRUE(late.ok()) << late.status();
  EXPECT_EQ(late->changed, 0);
  EXPECT_EQ(late->view_sequence, 20) << "the receipt says what the view holds";
  EXPECT_FALSE(Granted(kX));
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

// ---------------------------------------------------------------------------------------------
// Propagation receipts, against librdkafka's in-process mock cluster (no broker needed).

using namespace std::chrono_literals;

constexpr char kConsentTopic[] = "advocacy.consent.v1";
constexpr char kReceipts[] = "advocacy.consent.receipts.v1";

using MockCluster = ::advocacy::testing::MockKafkaCluster;
using ::advocacy::testing::ReadTopic;

v1::ConsentApplied DecodeReceipt(const kafka::Message& m) {
  v1::ConsentApplied r;
  EXPECT_TRUE(r.ParseFromString(m.payload));
  return r;
}

class ConsentViewReceiptTest : public ConsentViewTest {
 protected:
  void SetUp() override {
    ConsentViewTest::SetUp();
    cluster_ = std::make_unique<MockCluster>();
    ASSERT_TRUE(cluster_->CreateTopic(kConsentTopic, 1));
    ASSERT_TRUE(cluster_->CreateTopic(kReceipts, 1));
    ASSERT_TRUE(cluster_->CreateTopic(kafka::DeadLetterTopic(kConsentTopic, "content"), 1));
    auto producer = kafka::Producer::Create(
        {.brokers = cluster_->brokers(), .client_id = "content", .message_timeout = 2000ms},
        &producer_stats_);
    ASSERT_TRUE(producer.ok()) << producer.status();
    producer_ = std::move(*producer);
  }
  void TearDown() override {
    producer_.reset();
    cluster_.reset();
  }
  ReceiptOptions Receipts() { return {.producer = producer_.get(), .timeout = 5000ms}; }

  std::unique_ptr<MockCluster> cluster_;
  kafka::Stats producer_stats_;
  std::unique_ptr<kafka::Producer> producer_;
};

TEST_F(ConsentViewReceiptTest, ReceiptFollowsTheViewWriteAndTheCancellation) {
  std::vector<std::string> cancelled;
  int failures_left = 1;
  auto consumer = ConsentViewConsumer::Create(
      view_.get(), {.on_withdrawn = [&](const ApplyResult& r) -> absl::Status {
                      // "Applied" must mean the service stopped acting: the receipt of a
                      // withdrawal may only leave after this returned OK.
                      if (failures_left-- > 0) return absl::UnavailableError("try later");
                      cancelled.insert(cancelled.end(), r.withdrawn.begin(), r.withdrawn.end());
                      return absl::OkStatus();
                    },
                    .receipts = Receipts()});
  ASSERT_TRUE(consumer.ok()) << consumer.status();

  auto given = Given(1, {kLinkedIn, kBoard});
  given.mutable_occurred_at()->set_seconds(1767225600);
  given.mutable_occurred_at()->set_nanos(250000000);
  ASSERT_TRUE((*consumer)->Handle(ToMessage(given)).ok());
  EXPECT_EQ(producer_stats_.produced.load(), 1u)
      << "the receipt is acknowledged before Handle returns";

  auto withdrawn = Withdrawn(2, {kLinkedIn});
  withdrawn.mutable_occurred_at()->set_seconds(1767225700);
  const auto withdrawal = ToMessage(withdrawn);
  EXPECT_TRUE(absl::IsUnavailable((*consumer)->Handle(withdrawal)));
  EXPECT_FALSE(Granted(kLinkedIn)) << "the view write comes first";
  EXPECT_EQ(producer_stats_.produced.load(), 1u) << "no receipt while the cancellation failed";
  ASSERT_TRUE((*consumer)->Handle(withdrawal).ok());
  EXPECT_THAT(cancelled, ElementsAre("PURPOSE_SHARE_CONTENT.NETWORK_LINKEDIN"));
  // A replay (a crash before the offset was committed) sends the receipt again.
  ASSERT_TRUE((*consumer)->Handle(withdrawal).ok());
  // Nothing to apply, nothing to prove: no receipt for a notice or a poison message.
  ASSERT_TRUE((*consumer)->Handle(ToMessage(v1::NoticePublished())).ok());
  kafka::Message poison = withdrawal;
  poison.payload = "\xff";
  EXPECT_TRUE(absl::IsInvalidArgument((*consumer)->Handle(poison)));
  EXPECT_EQ(producer_stats_.produced.load(), 3u);

  const auto receipts = ReadTopic(cluster_->brokers(), kReceipts, 1, 3);
  ASSERT_EQ(receipts.size(), 3u);
  for (const auto& m : receipts) {
    EXPECT_EQ(m.key, "acme/e1");
    auto ce = kafka::FromHeaders(m.headers);
    ASSERT_TRUE(ce.ok()) << ce.status();
    EXPECT_EQ(ce->type, "advocacy.consent.v1.ConsentApplied");
    EXPECT_EQ(ce->source, "/advocacy/content");
    EXPECT_EQ(ce->subject, "acme/e1");
  }
  const auto first = DecodeReceipt(receipts[0]);
  EXPECT_EQ(first.tenant_id(), "acme");
  EXPECT_EQ(first.employee_id(), "e1");
  EXPECT_EQ(first.service(), "content");
  EXPECT_EQ(first.sequence(), 1);
  EXPECT_EQ(first.state(), v1::CONSENT_STATE_GIVEN);
  EXPECT_EQ(first.scopes_size(), 2);
  EXPECT_EQ(first.event_time().seconds(), 1767225600);
  EXPECT_EQ(first.event_time().nanos(), 250000000);
  EXPECT_GT(first.applied_time().seconds(), 1767225600);
  const auto second = DecodeReceipt(receipts[1]);
  EXPECT_EQ(second.sequence(), 2);
  EXPECT_EQ(second.state(), v1::CONSENT_STATE_WITHDRAWN);
  ASSERT_EQ(second.scopes_size(), 1);
  EXPECT_EQ(second.scopes(0).network(), v1::NETWORK_LINKEDIN);
  EXPECT_FALSE(second.all_scopes());
  EXPECT_EQ(DecodeReceipt(receipts[2]).sequence(), 2);
}

TEST_F(ConsentViewReceiptTest, StaleEventAndWithdrawAllStillGetReceipts) {
  auto consumer = ConsentViewConsumer::Create(view_.get(), {.receipts = Receipts()});
  ASSERT_TRUE(consumer.ok()) << consumer.status();
  ASSERT_TRUE((*consumer)->Handle(ToMessage(Withdrawn(5, {}, /*all=*/true))).ok());
  // Older than what the view holds: nothing changes, but the view is at least this new.
  ASSERT_TRUE((*consumer)->Handle(ToMessage(Given(3, {kX}))).ok());
  const auto receipts = ReadTopic(cluster_->brokers(), kReceipts, 1, 2);
  ASSERT_EQ(receipts.size(), 2u);
  EXPECT_TRUE(DecodeReceipt(receipts[0]).all_scopes());
  EXPECT_EQ(DecodeReceipt(receipts[0]).sequence(), 5);
  EXPECT_EQ(DecodeReceipt(receipts[1]).sequence(), 3);
}

TEST_F(ConsentViewReceiptTest, UndeliverableReceiptIsRetriedNeverDeadLettered) {
  auto consumer = ConsentViewConsumer::Create(
      view_.get(), {.receipts = {.producer = producer_.get(), .timeout = 5000ms}});
  ASSERT_TRUE(consumer.ok()) << consumer.status();
  ASSERT_TRUE((*consumer)->Handle(ToMessage(Given(1, {kLinkedIn}))).ok());
  cluster_->SetBrokerDown();
  const absl::Status st = (*consumer)->Handle(ToMessage(Withdrawn(2, {kLinkedIn})));
  EXPECT_FALSE(st.ok());
  EXPECT_FALSE(absl::IsInvalidArgument(st)) << st;
  EXPECT_THAT(std::string(st.message()), HasSubstr("not acknowledged"));
  EXPECT_FALSE(Granted(kLinkedIn)) << "the withdrawal itself is applied; only its proof waits";
}

// What the running consumer does: the handler returns at once, and the event is finished (its
// offset may be committed) only when the broker acknowledged the receipt.
TEST_F(ConsentViewReceiptTest, EventIsFinishedOnlyWhenItsReceiptIsAcknowledged) {
  auto consumer = ConsentViewConsumer::Create(view_.get(), {.receipts = Receipts()});
  ASSERT_TRUE(consumer.ok()) << consumer.status();
  cluster_->SetBrokerDown();
  std::atomic<int> finished{0};
  const absl::Status st =
      (*consumer)->Handle(ToMessage(Withdrawn(3, {kLinkedIn})), [&] { finished.fetch_add(1); });
  ASSERT_TRUE(st.ok()) << st;
  EXPECT_FALSE(Granted(kLinkedIn)) << "applied before the receipt is acknowledged";
  std::this_thread::sleep_for(500ms);
  EXPECT_EQ(finished.load(), 0) << "finished before the broker acknowledged the receipt";
  cluster_->SetBrokerUp();
  const auto deadline = std::chrono::steady_clock::now() + 20s;
  while (finished.load() == 0 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(20ms);
  }
  EXPECT_EQ(finished.load(), 1);
  const auto receipts = ReadTopic(cluster_->brokers(), kReceipts, 1, 1, 30s);
  ASSERT_EQ(receipts.size(), 1u);
  EXPECT_EQ(DecodeReceipt(receipts[0]).sequence(), 3);
}

// The whole path: a consent event on the topic, the consumer group, the view, the receipt.
TEST_F(ConsentViewReceiptTest, RunningConsumerSendsReceiptsForConsumedEvents) {
  auto consumer = ConsentViewConsumer::Create(
      view_.get(), {.brokers = cluster_->brokers(),
                    .group_id = "content-receipts-test",
                    .extra = {{"session.timeout.ms", "3000"}, {"heartbeat.interval.ms", "500"}},
                    .receipts = Receipts()});
  ASSERT_TRUE(consumer.ok()) << consumer.status();
  ASSERT_TRUE((*consumer)->Start().ok());
  ASSERT_TRUE(producer_->ProduceSync(ToMessage(Given(1, {kLinkedIn})), 5s).ok());
  ASSERT_TRUE(producer_->ProduceSync(ToMessage(Withdrawn(2, {kLinkedIn})), 5s).ok());
  const auto receipts = ReadTopic(cluster_->brokers(), kReceipts, 1, 2, 30s);
  (*consumer)->Stop();
  ASSERT_EQ(receipts.size(), 2u);
  EXPECT_EQ(DecodeReceipt(receipts[0]).sequence(), 1);
  EXPECT_EQ(DecodeReceipt(receipts[1]).sequence(), 2);
  EXPECT_FALSE(Granted(kLinkedIn));
}

// A forged event produced under another identity, or under the consent service's identity with
// the key of another employee or an impossible sequence: dead-lettered and counted, never
// applied, no receipt.
TEST_F(ConsentViewReceiptTest, ForgedEventsAreRejectedCountedAndGetNoReceipt) {
  prometheus::Registry registry;
  event_trust::RejectionMetrics rejections(registry, "content");
  auto consumer =
      ConsentViewConsumer::Create(view_.get(), {.receipts = Receipts(), .rejections = &rejections});
  ASSERT_TRUE(consumer.ok()) << consumer.status();
  ASSERT_TRUE((*consumer)->Handle(ToMessage(Given(1, {kLinkedIn}))).ok());

  const int64_t huge = int64_t{1} << 62;
  kafka::Message wrong_key = ToMessage(Given(huge, {kLinkedIn}));
  wrong_key.key = "acme/e2";
  kafka::Message wrong_source = ToMessage(Given(huge, {kLinkedIn}));
  for (auto& h : wrong_source.headers) {
    if (h.key == "ce_source") h.value = "/advocacy/content";  // a consumer's identity
  }
  kafka::Message far_above = ToMessage(Given(huge, {kLinkedIn}));
  EXPECT_EQ(event_trust::ReasonOf((*consumer)->Handle(wrong_key)),
            event_trust::Reason::kKeyMismatch);
  EXPECT_EQ(event_trust::ReasonOf((*consumer)->Handle(wrong_source)),
            event_trust::Reason::kUnexpectedSource);
  EXPECT_EQ(event_trust::ReasonOf((*consumer)->Handle(far_above)),
            event_trust::Reason::kSequenceGap);
  EXPECT_EQ(producer_stats_.produced.load(), 1u) << "receipts only for what was applied";

  ASSERT_TRUE((*consumer)->Handle(ToMessage(Withdrawn(2, {kLinkedIn}))).ok());
  EXPECT_FALSE(Granted(kLinkedIn)) << "the real withdrawal after the forgeries is applied";
  const auto receipts = ReadTopic(cluster_->brokers(), kReceipts, 1, 2);
  ASSERT_EQ(receipts.size(), 2u);
  EXPECT_EQ(DecodeReceipt(receipts[1]).sequence(), 2);
  EXPECT_EQ(DecodeReceipt(receipts[1]).view_sequence(), 2);

  const std::string text = prometheus::TextSerializer().Serialize(registry.Collect());
  for (const char* reason : {"key_mismatch", "unexpected_source", "sequence_gap"}) {
    EXPECT_THAT(text, HasSubstr(std::string("advocacy_kafka_rejected_events_total{reason=\"") +
                                reason + "\",service=\"content\",topic=\"advocacy.consent.v1\"} 1"))
        << reason;
  }
  EXPECT_THAT(text, HasSubstr("reason=\"service_mismatch\",service=\"content\",topic=\""
                              "advocacy.consent.v1\"} 0"))
      << "declared at 0 when the consumer was created";
}

TEST(ParseRfc3339, ParsesMillis) {
  auto ms = ParseRfc3339Ms("1970-01-01T00:00:01.500Z");
  ASSERT_TRUE(ms.ok());
  EXPECT_EQ(*ms, 1500);
  EXPECT_FALSE(ParseRfc3339Ms("yesterday").ok());
}

}  // namespace
}  // namespace advocacy::consent_view
