// RedisConsentStore against a real redis-server: the commit script's compare-and-set,
// idempotency and outbox writes, and the end-to-end manager on Redis.

#include "redis_consent_store.h"

#include <gtest/gtest.h>

#include <thread>

#include "advocacy/common/outbox.h"
#include "consent_manager.h"
#include "in_memory_consent_store.h"
#include "testing/redis_server.h"

namespace advocacy::consent {
namespace {

storage::v1::StoredScope Scope(v1::Purpose p, v1::Network n, v1::ConsentState st, int64_t seq) {
  storage::v1::StoredScope s;
  s.mutable_scope()->set_purpose(p);
  s.mutable_scope()->set_network(n);
  s.set_state(st);
  s.set_sequence(seq);
  s.set_notice_version("v1");
  s.set_notice_ordinal(1);
  return s;
}

class RedisConsentStoreTest : public ::testing::Test {
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
    redis::Options o;
    o.port = server_->port();
    pool_ = std::make_unique<redis::Pool>(o, 4);
    auto c = pool_->Acquire();
    ASSERT_TRUE(c.ok());
    ASSERT_TRUE((*c)->Command({"FLUSHALL"}).ok());
    store_ = std::make_unique<RedisConsentStore>(pool_.get());
  }
  redis::Reply Raw(const std::vector<std::string>& cmd) {
    auto c = pool_->Acquire();
    EXPECT_TRUE(c.ok());
    auto r = (*c)->Command(cmd);
    EXPECT_TRUE(r.ok());
    return r.ok() ? *r : redis::Reply();
  }

  static advocacy::testing::RedisServer* server_;
  std::unique_ptr<redis::Pool> pool_;
  std::unique_ptr<RedisConsentStore> store_;
};
advocacy::testing::RedisServer* RedisConsentStoreTest::server_ = nullptr;

TEST_F(RedisConsentStoreTest, CommitIsCompareAndSetOnTheSequence) {
  EmployeeCommit c;
  c.tenant_id = "t1";
  c.employee_id = "e1";
  c.expected_sequence = 0;
  c.new_sequence = 1;
  c.scopes = {Scope(v1::PURPOSE_EMAIL_TIPS, v1::NETWORK_UNSPECIFIED, v1::CONSENT_STATE_GIVEN, 1)};
  c.ledger_entry = "entry-1";
  c.outbox_entry = "event-1";
  auto r = store_->Commit(c);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(*r, CommitResult::kCommitted);
  // The same expected sequence again is a conflict and writes nothing.
  c.ledger_entry = "entry-dup";
  auto again = store_->Commit(c);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(*again, CommitResult::kSequenceConflict);

  auto snap = store_->Load("t1", "e1");
  ASSERT_TRUE(snap.ok());
  EXPECT_EQ(snap->sequence, 1);
  ASSERT_EQ(snap->scopes.size(), 1u);
  EXPECT_EQ(snap->scopes.begin()->first, "3.0");
  EXPECT_EQ(Raw({"LLEN", "adv:consent:{t1:e1}:l"}).integer, 1);
  auto outbox = Raw({"LRANGE", outbox::OutboxKey(kServiceName, "t1:e1"), "0", "-1"});
  ASSERT_EQ(outbox.elements.size(), 1u);
  EXPECT_EQ(outbox.elements[0].str, "event-1");
  // All keys of the employee share one hash slot.
  EXPECT_EQ(Raw({"CLUSTER", "KEYSLOT", "adv:consent:{t1:e1}:s"}).integer,
            Raw({"CLUSTER", "KEYSLOT", outbox::OutboxKey(kServiceName, "t1:e1")}).integer);
}

TEST_F(RedisConsentStoreTest, IdempotencyKeyIsTakenOnce) {
  EmployeeCommit c;
  c.tenant_id = "t1";
  c.employee_id = "e2";
  c.idempotency_key = "k";
  c.idempotency_record = "rec";
  c.idempotency_ttl_ms = 60000;
  auto first = store_->Commit(c);
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(*first, CommitResult::kCommitted);
  auto second = store_->Commit(c);
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(*second, CommitResult::kIdempotencyConflict);
  EXPECT_GT(Raw({"PTTL", "adv:consent:{t1:e2}:i:k"}).integer, 0);
}

TEST_F(RedisConsentStoreTest, BatchReadsKeepRequestOrder) {
  for (int i = 0; i < 2500; i += 2) {
    EmployeeCommit c;
    c.tenant_id = "t1";
    c.employee_id = "e" + std::to_string(i);
    c.new_sequence = 1;
    c.scopes = {Scope(v1::PURPOSE_SHARE_CONTENT, v1::NETWORK_X, v1::CONSENT_STATE_GIVEN, 1)};
    ASSERT_TRUE(store_->Commit(c).ok());
  }
  std::vector<std::string> ids;
  for (int i = 0; i < 2500; ++i) ids.push_back("e" + std::to_string(i));
  auto r = store_->GetScopeBatch("t1", ids, "1.4");
  ASSERT_TRUE(r.ok()) << r.status();
  ASSERT_EQ(r->size(), ids.size());
  for (size_t i = 0; i < ids.size(); ++i) EXPECT_EQ((*r)[i].has_value(), i % 2 == 0) << i;
}

TEST_F(RedisConsentStoreTest, ManagerOnRedisSurvivesARedisRestart) {
  advocacy::testing::RedisServer durable({.appendonly = true});
  ASSERT_TRUE(durable.Start().ok());
  redis::Options o;
  o.port = durable.port();
  redis::Pool pool(o, 4);
  RedisConsentStore store(&pool);
  testing::RecordingNotifier notifier;
  ConsentManager manager(&store, &notifier, {});
  const auth::Principal admin{.tenant_id = "t1", .subject = "a", .role = auth::Role::kAdmin};
  const auth::Principal emp{.tenant_id = "t1", .subject = "e1", .role = auth::Role::kEmployee};
  v1::PublishNoticeRequest n;
  n.set_tenant_id("t1");
  n.set_version("v1");
  n.set_url("https://t1.example/v1");
  ASSERT_TRUE(manager.PublishNotice(admin, n).ok());
  v1::GiveConsentRequest g;
  g.set_tenant_id("t1");
  g.set_employee_id("e1");
  g.add_scopes()->set_purpose(v1::PURPOSE_COURSE_TIPS);
  g.set_notice_version("v1");
  ASSERT_TRUE(manager.Give(emp, g).ok());

  ASSERT_TRUE(durable.Restart().ok());
  v1::CheckConsentRequest c;
  c.set_tenant_id("t1");
  c.set_employee_id("e1");
  c.mutable_scope()->set_purpose(v1::PURPOSE_COURSE_TIPS);
  absl::StatusOr<v1::CheckConsentResponse> r;
  // The pool reconnects after its backoff; retry briefly on Unavailable only.
  for (int i = 0; i < 100; ++i) {
    r = manager.Check(emp, c);
    if (r.ok() || r.status().code() != absl::StatusCode::kUnavailable) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_TRUE(r->granted());
  EXPECT_EQ(r->sequence(), 1);
}

}  // namespace
}  // namespace advocacy::consent
