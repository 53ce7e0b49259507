// GrpcConsentGateway against an in-process ConsentService: a test of the client (metadata,
// chunking, order, error mapping), not of the consent service.

#include "consent_client.h"

#include <grpcpp/grpcpp.h>

#include <atomic>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "absl/time/clock.h"
#include "advocacy/common/auth.h"
#include "advocacy/common/logging.h"
#include "advocacy/common/oidc_client.h"
#include "advocacy/consent/v1/consent_service.grpc.pb.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "harness.h"

namespace advocacy::notifications {
namespace {

namespace v1 = advocacy::consent::v1;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;

// Grants consent to employees whose id ends in an even digit.
bool Granted(const std::string& id) { return (id.back() - '0') % 2 == 0; }

class FakeConsentService final : public v1::ConsentService::Service {
 public:
  grpc::Status BatchCheckConsent(grpc::ServerContext* ctx, const v1::BatchCheckConsentRequest* req,
                                 v1::BatchCheckConsentResponse* resp) override {
    Record(ctx);
    {
      std::lock_guard lock(mu_);
      batch_sizes_.push_back(req->employee_ids_size());
      last_scope_ = req->scope();
      last_tenant_ = req->tenant_id();
    }
    if (!fail_.ok()) return fail_;
    for (const auto& id : req->employee_ids()) {
      auto* r = resp->add_results();
      r->set_employee_id(id);
      r->set_granted(Granted(id));
    }
    if (swap_order_ && resp->results_size() > 1) resp->mutable_results()->SwapElements(0, 1);
    if (drop_one_ && resp->results_size() > 0) resp->mutable_results()->RemoveLast();
    return grpc::Status::OK;
  }

  grpc::Status CheckConsent(grpc::ServerContext* ctx, const v1::CheckConsentRequest* req,
                            v1::CheckConsentResponse* resp) override {
    Record(ctx);
    if (delay_.count() > 0) std::this_thread::sleep_for(delay_);
    if (!fail_.ok()) return fail_;
    {
      std::lock_guard lock(mu_);
      last_scope_ = req->scope();
      last_tenant_ = req->tenant_id();
    }
    resp->set_granted(Granted(req->employee_id()));
    return grpc::Status::OK;
  }

  grpc::Status WithdrawConsent(grpc::ServerContext* ctx, const v1::WithdrawConsentRequest* req,
                               v1::WithdrawConsentResponse*) override {
    Record(ctx);
    if (!fail_.ok()) return fail_;
    std::lock_guard lock(mu_);
    withdrawals_.push_back(*req);
    return grpc::Status::OK;
  }

  void Record(grpc::ServerContext* ctx) {
    std::lock_guard lock(mu_);
    std::string auth;
    std::string request_id;
    for (const auto& [k, v] : ctx->client_metadata()) {
      if (k == "authorization") auth.assign(v.data(), v.size());
      if (k == "x-request-id") request_id.assign(v.data(), v.size());
    }
    authorizations_.push_back(auth);
    request_ids_.push_back(request_id);
  }

  std::mutex mu_;
  std::vector<std::string> authorizations_;
  std::vector<std::string> request_ids_;
  std::vector<int> batch_sizes_;
  std::vector<v1::WithdrawConsentRequest> withdrawals_;
  v1::ConsentScope last_scope_;
  std::string last_tenant_;
  grpc::Status fail_ = grpc::Status::OK;
  bool swap_order_ = false;
  bool drop_one_ = false;
  std::chrono::milliseconds delay_{0};
};

class GrpcConsentGatewayTest : public ::testing::Test {
 protected:
  void SetUp() override {
    grpc::ServerBuilder builder;
    builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port_);
    builder.RegisterService(&service_);
    builder.SetMaxReceiveMessageSize(16 * 1024 * 1024);
    server_ = builder.BuildAndStart();
    ASSERT_NE(server_, nullptr);
    ASSERT_GT(port_, 0);
    gateway_ = std::make_unique<GrpcConsentGateway>(
        grpc::CreateChannel("127.0.0.1:" + std::to_string(port_),
                            grpc::InsecureChannelCredentials()),
        [this]() -> absl::StatusOr<std::string> {
          if (!token_error_.ok()) return token_error_;
          return "tok-" + std::to_string(++tokens_);
        },
        std::chrono::milliseconds(2000));
  }
  void TearDown() override { server_->Shutdown(); }

  FakeConsentService service_;
  int port_ = 0;
  std::unique_ptr<grpc::Server> server_;
  std::atomic<int> tokens_{0};
  absl::Status token_error_;
  std::unique_ptr<GrpcConsentGateway> gateway_;
};

TEST_F(GrpcConsentGatewayTest, BatchCheckSplitsIntoChunksAndKeepsOrder) {
  std::vector<std::string> ids;
  for (int i = 0; i < 25003; ++i) ids.push_back("emp-" + std::to_string(i));
  auto granted = gateway_->BatchCheck("t1", v1::PURPOSE_EMAIL_TIPS, ids);
  ASSERT_TRUE(granted.ok()) << granted.status();
  ASSERT_EQ(granted->size(), ids.size());
  for (size_t i = 0; i < ids.size(); ++i) ASSERT_EQ((*granted)[i], Granted(ids[i])) << i;
  EXPECT_THAT(service_.batch_sizes_, ElementsAre(10000, 10000, 5003));
  EXPECT_THAT(service_.authorizations_,
              ElementsAre("Bearer tok-1", "Bearer tok-2", "Bearer tok-3"));
  EXPECT_EQ(service_.last_tenant_, "t1");
  EXPECT_EQ(service_.last_scope_.purpose(), v1::PURPOSE_EMAIL_TIPS);
  EXPECT_EQ(service_.last_scope_.network(), v1::NETWORK_UNSPECIFIED);

  auto empty = gateway_->BatchCheck("t1", v1::PURPOSE_EMAIL_TIPS, {});
  ASSERT_TRUE(empty.ok());
  EXPECT_TRUE(empty->empty());
  EXPECT_EQ(service_.batch_sizes_.size(), 3u);  // no RPC for nothing
}

TEST_F(GrpcConsentGatewayTest, BatchCheckRefusesAnAnswerThatDoesNotMatch) {
  service_.swap_order_ = true;
  auto r = gateway_->BatchCheck("t1", v1::PURPOSE_COURSE_TIPS, {"a0", "a1", "a2"});
  EXPECT_TRUE(absl::IsInternal(r.status())) << r.status();
  service_.swap_order_ = false;
  service_.drop_one_ = true;
  r = gateway_->BatchCheck("t1", v1::PURPOSE_COURSE_TIPS, {"a0", "a1", "a2"});
  EXPECT_TRUE(absl::IsInternal(r.status())) << r.status();
}

TEST_F(GrpcConsentGatewayTest, CheckAsksTheServiceWithAToken) {
  auto yes = gateway_->Check("t1", "emp-2", v1::PURPOSE_COURSE_TIPS);
  ASSERT_TRUE(yes.ok()) << yes.status();
  EXPECT_TRUE(*yes);
  auto no = gateway_->Check("t1", "emp-3", v1::PURPOSE_COURSE_TIPS);
  ASSERT_TRUE(no.ok());
  EXPECT_FALSE(*no);
  EXPECT_EQ(service_.last_scope_.purpose(), v1::PURPOSE_COURSE_TIPS);
  EXPECT_THAT(service_.authorizations_, ElementsAre("Bearer tok-1", "Bearer tok-2"));
}

TEST_F(GrpcConsentGatewayTest, PropagatesTheRequestId) {
  {
    log::RequestIdScope scope("req-123");
    ASSERT_TRUE(gateway_->Check("t1", "emp-2", v1::PURPOSE_EMAIL_TIPS).ok());
  }
  EXPECT_THAT(service_.request_ids_, ElementsAre("req-123"));
}

TEST_F(GrpcConsentGatewayTest, WithdrawSendsOneClickForThePurposeScope) {
  ASSERT_TRUE(gateway_->Withdraw("t1", "emp-7", v1::PURPOSE_EMAIL_TIPS, "key-1").ok());
  ASSERT_EQ(service_.withdrawals_.size(), 1u);
  const auto& w = service_.withdrawals_[0];
  EXPECT_EQ(w.tenant_id(), "t1");
  EXPECT_EQ(w.employee_id(), "emp-7");
  ASSERT_EQ(w.scopes_size(), 1);
  EXPECT_EQ(w.scopes(0).purpose(), v1::PURPOSE_EMAIL_TIPS);
  EXPECT_EQ(w.scopes(0).network(), v1::NETWORK_UNSPECIFIED);
  EXPECT_FALSE(w.all_scopes());
  EXPECT_EQ(w.method(), v1::CONSENT_METHOD_EMAIL_ONE_CLICK);
  EXPECT_EQ(w.idempotency_key(), "key-1");
  EXPECT_THAT(service_.authorizations_, ElementsAre("Bearer tok-1"));
}

TEST_F(GrpcConsentGatewayTest, MapsErrorsWithTheirCodes) {
  service_.fail_ = grpc::Status(grpc::StatusCode::PERMISSION_DENIED, "role service may not give");
  const absl::Status st = gateway_->Withdraw("t1", "e", v1::PURPOSE_EMAIL_TIPS, "k");
  EXPECT_TRUE(absl::IsPermissionDenied(st)) << st;
  EXPECT_THAT(std::string(st.message()), HasSubstr("WithdrawConsent"));
  EXPECT_THAT(std::string(st.message()), HasSubstr("role service may not give"));
  service_.fail_ = grpc::Status(grpc::StatusCode::UNAVAILABLE, "redis down");
  EXPECT_TRUE(absl::IsUnavailable(gateway_->Check("t1", "e2", v1::PURPOSE_EMAIL_TIPS).status()));
  EXPECT_TRUE(
      absl::IsUnavailable(gateway_->BatchCheck("t1", v1::PURPOSE_EMAIL_TIPS, {"e2"}).status()));
  service_.fail_ = grpc::Status::OK;
  service_.delay_ = std::chrono::milliseconds(3000);
  EXPECT_TRUE(
      absl::IsDeadlineExceeded(gateway_->Check("t1", "e2", v1::PURPOSE_EMAIL_TIPS).status()));
}

TEST_F(GrpcConsentGatewayTest, RefusesNetworkPurposesAndTokenFailuresWithoutCalling) {
  EXPECT_TRUE(
      absl::IsInvalidArgument(gateway_->Check("t1", "e", v1::PURPOSE_SHARE_CONTENT).status()));
  EXPECT_TRUE(absl::IsInvalidArgument(
      gateway_->BatchCheck("t1", v1::PURPOSE_CONTENT_SUGGESTIONS, {"e"}).status()));
  EXPECT_TRUE(absl::IsInvalidArgument(gateway_->Withdraw("t1", "e", v1::PURPOSE_UNSPECIFIED, "k")));
  token_error_ = absl::UnauthenticatedError("token request: HTTP 401, error invalid_client");
  const absl::Status st = gateway_->Withdraw("t1", "e", v1::PURPOSE_EMAIL_TIPS, "k");
  EXPECT_TRUE(absl::IsUnavailable(st)) << st;
  EXPECT_THAT(std::string(st.message()), HasSubstr("identity provider"));
  EXPECT_THAT(std::string(st.message()), HasSubstr("invalid_client"));
  EXPECT_TRUE(service_.authorizations_.empty());
}

TEST(GrpcConsentGateway, AServiceThatIsDownIsUnavailable) {
  const int port = it::FreePort();  // nothing listens there
  GrpcConsentGateway gateway(
      grpc::CreateChannel("127.0.0.1:" + std::to_string(port), grpc::InsecureChannelCredentials()),
      []() -> absl::StatusOr<std::string> { return std::string("t"); },
      std::chrono::milliseconds(1000));
  const auto st = gateway.Check("t1", "e", v1::PURPOSE_EMAIL_TIPS).status();
  EXPECT_TRUE(absl::IsUnavailable(st) || absl::IsDeadlineExceeded(st)) << st;
}

// The identity towards consent when the provider is down: UNAVAILABLE naming it, one request
// per retry interval (not one per call), readiness failing with the same reason. The provider
// itself is exercised by tests/integration/security_identity_integration_test.cc.
TEST(ConsentTokenSource, AProviderThatIsDownIsUnavailableAndAskedOncePerInterval) {
  const int port = it::FreePort();  // nothing listens there
  auto source = std::make_shared<oidc::TokenSource>(
      oidc::ClientCredentials{.token_url = "https://127.0.0.1:" + std::to_string(port) + "/token",
                              .client_id = "notifications",
                              .client_secret = "s3cret-never-shown",
                              .resource = "urn:advocacy:consent",
                              .timeout = std::chrono::milliseconds(1000)},
      std::chrono::seconds(60), std::chrono::milliseconds(60000));
  const auto first = source->Get();
  EXPECT_TRUE(absl::IsUnavailable(first.status())) << first.status();
  EXPECT_THAT(std::string(first.status().message()), HasSubstr("client 'notifications'"));
  EXPECT_THAT(std::string(first.status().message()), Not(HasSubstr("s3cret")));
  EXPECT_TRUE(absl::IsUnavailable(source->Get().status()));
  EXPECT_EQ(source->stats().requests, 1U);  // the second call made no request
  EXPECT_EQ(source->stats().failures, 1U);
  const absl::Status ready = ConsentTokenReadiness(*source);
  EXPECT_TRUE(absl::IsUnavailable(ready)) << ready;
  EXPECT_THAT(std::string(ready.message()), Not(HasSubstr("s3cret")));
}

TEST(ConsentTokenSource, RefusesPlainHttpAndIncompleteCredentials) {
  EXPECT_TRUE(absl::IsInvalidArgument(oidc::ValidateClientCredentials(
      {.token_url = "http://idp/token", .client_id = "n", .client_secret = "s"})));
  EXPECT_TRUE(absl::IsInvalidArgument(oidc::ValidateClientCredentials(
      {.token_url = "https://user:pw@idp/token", .client_id = "n", .client_secret = "s"})));
  EXPECT_TRUE(absl::IsInvalidArgument(
      oidc::ValidateClientCredentials({.token_url = "https://idp/token", .client_id = "n"})));
  EXPECT_TRUE(
      absl::IsInvalidArgument(oidc::RequestToken({.token_url = "https://idp/token"}).status()));
  EXPECT_TRUE(oidc::ValidateClientCredentials(
                  {.token_url = "https://idp/token", .client_id = "n", .client_secret = "s"})
                  .ok());
}

}  // namespace
}  // namespace advocacy::notifications
