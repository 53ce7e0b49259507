// rpc::UnaryService: the table is held against the proto, and a real gRPC call reaches the
// handler through authentication and the status mapping.

#include "advocacy/common/unary_service.h"

#include <grpcpp/grpcpp.h>

#include <memory>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "advocacy/common/auth.h"
#include "advocacy/common/metrics.h"
#include "advocacy/consent/v1/consent_service.grpc.pb.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace advocacy::rpc {
namespace {

namespace v1 = ::advocacy::consent::v1;
using ::testing::HasSubstr;
using ::testing::Not;

class UnaryServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto keys = auth::GenerateKeyPair();
    ASSERT_TRUE(keys.ok());
    private_key_ = keys->first;
    auto verifier = auth::TokenVerifier::Create(
        {.public_key_pem = keys->second, .issuer = "it", .audience = "advocacy"});
    ASSERT_TRUE(verifier.ok());
    verifier_ = std::move(*verifier);
  }
  Runtime runtime() { return {.verifier = verifier_.get(), .metrics = &metrics_}; }
  std::string Token(const std::string& subject) {
    return *auth::MintToken({.private_key_pem = private_key_,
                             .issuer = "it",
                             .audience = "advocacy",
                             .principal = {.tenant_id = "t1", .subject = subject}});
  }

  std::string private_key_;
  std::unique_ptr<auth::TokenVerifier> verifier_;
  metrics::Metrics metrics_{"unary-test"};
};

absl::StatusOr<v1::CheckConsentResponse> Check(const auth::Principal& caller,
                                               const v1::CheckConsentRequest& req) {
  if (req.employee_id() == "bad") return absl::InvalidArgumentError("employee_id: bad");
  v1::CheckConsentResponse resp;
  resp.set_granted(caller.subject == req.employee_id());
  return resp;
}

TEST_F(UnaryServiceTest, VerifyNamesEveryMissingUnknownOrMistypedRpc) {
  UnaryService service(v1::ConsentService::service_full_name(), runtime());
  service.Add<v1::CheckConsentRequest, v1::CheckConsentResponse>("CheckConsent", Check)
      .Add<v1::CheckConsentRequest, v1::CheckConsentResponse>("GiveConsent", Check)
      .Add<v1::CheckConsentRequest, v1::CheckConsentResponse>("NoSuchRpc", Check);
  const absl::Status st = service.Verify();
  EXPECT_EQ(st.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(st.message(), HasSubstr("GiveConsent takes advocacy.consent.v1.GiveConsentRequest"));
  EXPECT_THAT(st.message(), HasSubstr("NoSuchRpc is not an RPC of"));
  EXPECT_THAT(st.message(), HasSubstr("WithdrawConsent has no handler"));
  EXPECT_THAT(st.message(), ::testing::Not(HasSubstr(" CheckConsent has no handler")));

  UnaryService unknown("advocacy.nothing.v1.NoService", runtime());
  EXPECT_THAT(unknown.Verify().message(), HasSubstr("not in the linked protos"));
}

TEST_F(UnaryServiceTest, ACallIsAuthenticatedRoutedAndMapped) {
  UnaryService service(v1::ConsentService::service_full_name(), runtime());
  service.Add<v1::CheckConsentRequest, v1::CheckConsentResponse>("CheckConsent", Check);
  grpc::ServerBuilder builder;
  int port = 0;
  builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port);
  builder.RegisterService(&service);
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  ASSERT_NE(server, nullptr);
  auto stub = v1::ConsentService::NewStub(
      grpc::CreateChannel("127.0.0.1:" + std::to_string(port), grpc::InsecureChannelCredentials()));

  v1::CheckConsentRequest req;
  req.set_employee_id("e1");
  v1::CheckConsentResponse resp;
  {
    grpc::ClientContext ctx;
    ctx.AddMetadata("authorization", "Bearer " + Token("e1"));
    ASSERT_TRUE(stub->CheckConsent(&ctx, req, &resp).ok());
    EXPECT_TRUE(resp.granted());
  }
  {
    grpc::ClientContext ctx;  // no token
    EXPECT_EQ(stub->CheckConsent(&ctx, req, &resp).error_code(), grpc::StatusCode::UNAUTHENTICATED);
  }
  {
    grpc::ClientContext ctx;
    ctx.AddMetadata("authorization", "Bearer " + Token("e1"));
    req.set_employee_id("bad");
    const grpc::Status st = stub->CheckConsent(&ctx, req, &resp);
    EXPECT_EQ(st.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
    EXPECT_EQ(st.error_message(), "employee_id: bad");
  }
  {
    grpc::ClientContext ctx;  // a method of the proto without a handler here
    ctx.AddMetadata("authorization", "Bearer " + Token("e1"));
    v1::GiveConsentResponse give;
    EXPECT_EQ(stub->GiveConsent(&ctx, v1::GiveConsentRequest(), &give).error_code(),
              grpc::StatusCode::UNIMPLEMENTED);
  }
  server->Shutdown();
}

// Service identities: a `service` principal reaches an RPC only with the scope its entry names;
// an RPC naming none is closed to services; people are not concerned.
TEST_F(UnaryServiceTest, ServicePrincipalsNeedTheScopeTheRpcNames) {
  UnaryService service(v1::ConsentService::service_full_name(), runtime());
  service.Add<v1::CheckConsentRequest, v1::CheckConsentResponse>("CheckConsent", Check)
      .ServiceScope("consent:check");
  service.Add<v1::GiveConsentRequest, v1::GiveConsentResponse>(
      "GiveConsent",
      [](const auth::Principal&, const v1::GiveConsentRequest&)
          -> absl::StatusOr<v1::GiveConsentResponse> { return v1::GiveConsentResponse(); });
  EXPECT_EQ(service.ServiceScopeOf("CheckConsent"), "consent:check");
  EXPECT_EQ(service.ServiceScopeOf("GiveConsent"), "");
  grpc::ServerBuilder builder;
  int port = 0;
  builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port);
  builder.RegisterService(&service);
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  ASSERT_NE(server, nullptr);
  auto stub = v1::ConsentService::NewStub(
      grpc::CreateChannel("127.0.0.1:" + std::to_string(port), grpc::InsecureChannelCredentials()));
  const auto token = [&](auth::Role role, std::vector<std::string> scopes) {
    return *auth::MintToken({.private_key_pem = private_key_,
                             .issuer = "it",
                             .audience = "advocacy",
                             .principal = {.tenant_id = "t1",
                                           .subject = "notifications",
                                           .role = role,
                                           .scopes = std::move(scopes)}});
  };
  const auto check = [&](const std::string& t) {
    grpc::ClientContext ctx;
    ctx.AddMetadata("authorization", "Bearer " + t);
    v1::CheckConsentRequest req;
    req.set_employee_id("e1");
    v1::CheckConsentResponse resp;
    return stub->CheckConsent(&ctx, req, &resp);
  };
  const auto give = [&](const std::string& t) {
    grpc::ClientContext ctx;
    ctx.AddMetadata("authorization", "Bearer " + t);
    v1::GiveConsentResponse resp;
    return stub->GiveConsent(&ctx, v1::GiveConsentRequest(), &resp);
  };
  EXPECT_TRUE(check(token(auth::Role::kService, {"consent:check"})).ok());
  const grpc::Status without = check(token(auth::Role::kService, {"consent:withdraw"}));
  EXPECT_EQ(without.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_THAT(without.error_message(), HasSubstr("lacks the scope 'consent:check'"));
  const grpc::Status closed = give(token(auth::Role::kService, {"consent:check", "x"}));
  EXPECT_EQ(closed.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_THAT(closed.error_message(), HasSubstr("GiveConsent"));
  // People: role and tenant decide, scopes do not.
  EXPECT_TRUE(check(token(auth::Role::kEmployee, {})).ok());
  EXPECT_TRUE(give(token(auth::Role::kAdmin, {})).ok());
  server->Shutdown();
}

// A domain function that fails the way a server does: the messages hold what a caller must not
// see (addresses, stored bytes, an exception's text).
absl::StatusOr<v1::CheckConsentResponse> Failing(const auth::Principal&,
                                                 const v1::CheckConsentRequest& req) {
  if (req.employee_id() == "internal") {
    return absl::InternalError("redis 10.1.2.3:6379 answered ERR secret-internal-detail");
  }
  if (req.employee_id() == "unknown") return absl::UnknownError("secret-unknown-detail");
  if (req.employee_id() == "data-loss") return absl::DataLossError("secret-stored-bytes");
  if (req.employee_id() == "throws") throw std::runtime_error("secret-exception-detail");
  return absl::FailedPreconditionError("employee 'x' has not consented");
}

TEST_F(UnaryServiceTest, ServerFaultsReachTheCallerOnlyAsAGenericTextWithTheRequestId) {
  UnaryService service(v1::ConsentService::service_full_name(), runtime());
  service.Add<v1::CheckConsentRequest, v1::CheckConsentResponse>("CheckConsent", Failing);
  grpc::ServerBuilder builder;
  int port = 0;
  builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port);
  builder.RegisterService(&service);
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  ASSERT_NE(server, nullptr);
  auto stub = v1::ConsentService::NewStub(
      grpc::CreateChannel("127.0.0.1:" + std::to_string(port), grpc::InsecureChannelCredentials()));

  const std::vector<std::pair<std::string, grpc::StatusCode>> faults = {
      {"internal", grpc::StatusCode::INTERNAL},
      {"unknown", grpc::StatusCode::UNKNOWN},
      {"data-loss", grpc::StatusCode::DATA_LOSS},
      {"throws", grpc::StatusCode::INTERNAL}};
  for (const auto& [employee, code] : faults) {
    v1::CheckConsentRequest req;
    req.set_employee_id(employee);
    v1::CheckConsentResponse resp;
    grpc::ClientContext ctx;
    ctx.AddMetadata("authorization", "Bearer " + Token("e1"));
    ctx.AddMetadata("x-request-id", "req-" + employee);
    ::testing::internal::CaptureStdout();
    const grpc::Status st = stub->CheckConsent(&ctx, req, &resp);
    const std::string log = ::testing::internal::GetCapturedStdout();
    EXPECT_EQ(st.error_code(), code) << employee;
    EXPECT_EQ(st.error_message(), "internal error; request id req-" + employee);
    EXPECT_THAT(st.error_message(), Not(HasSubstr("secret")));
    // The real message is in the log line that carries the same request id.
    EXPECT_THAT(log, HasSubstr("\"request_id\":\"req-" + employee + "\"")) << log;
    EXPECT_THAT(log, HasSubstr("secret")) << log;
  }
  {
    // Without x-request-id the server makes one up, echoes it, and names it in the message.
    v1::CheckConsentRequest req;
    req.set_employee_id("internal");
    v1::CheckConsentResponse resp;
    grpc::ClientContext ctx;
    ctx.AddMetadata("authorization", "Bearer " + Token("e1"));
    const grpc::Status st = stub->CheckConsent(&ctx, req, &resp);
    EXPECT_EQ(st.error_code(), grpc::StatusCode::INTERNAL);
    const auto echoed = ctx.GetServerInitialMetadata().find("x-request-id");
    ASSERT_NE(echoed, ctx.GetServerInitialMetadata().end());
    const std::string id(echoed->second.data(), echoed->second.size());
    EXPECT_EQ(id.size(), 32U);
    EXPECT_EQ(st.error_message(), "internal error; request id " + id);
  }
  {
    // Errors meant for the caller keep their text.
    v1::CheckConsentRequest req;
    req.set_employee_id("x");
    v1::CheckConsentResponse resp;
    grpc::ClientContext ctx;
    ctx.AddMetadata("authorization", "Bearer " + Token("e1"));
    const grpc::Status st = stub->CheckConsent(&ctx, req, &resp);
    EXPECT_EQ(st.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
    EXPECT_EQ(st.error_message(), "employee 'x' has not consented");
  }
  server->Shutdown();
}

TEST(ToCallerStatusTest, HidesOnlyServerFaults) {
  EXPECT_EQ(ToCallerStatus(absl::InternalError("x"), "r1").error_message(),
            "internal error; request id r1");
  EXPECT_EQ(ToCallerStatus(absl::DataLossError("x"), "r1").error_code(),
            grpc::StatusCode::DATA_LOSS);
  EXPECT_EQ(ToCallerStatus(absl::InvalidArgumentError("field: bad"), "r1").error_message(),
            "field: bad");
  const grpc::Status unavailable =
      ToCallerStatus(absl::UnavailableError("Redis at 10.0.0.7:6379 is unavailable"), "r1");
  EXPECT_EQ(unavailable.error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_EQ(unavailable.error_message(), "temporarily unavailable; retry; request id r1");
  EXPECT_TRUE(ToCallerStatus(absl::OkStatus(), "r1").ok());
}

}  // namespace
}  // namespace advocacy::rpc
