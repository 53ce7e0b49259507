// rpc::UnaryService: the table is held against the proto, and a real gRPC call reaches the
// handler through authentication and the status mapping.

#include "advocacy/common/unary_service.h"

#include <grpcpp/grpcpp.h>

#include <memory>
#include <string>

#include "advocacy/common/auth.h"
#include "advocacy/common/metrics.h"
#include "advocacy/consent/v1/consent_service.grpc.pb.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace advocacy::rpc {
namespace {

namespace v1 = ::advocacy::consent::v1;
using ::testing::HasSubstr;

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

}  // namespace
}  // namespace advocacy::rpc
