// ServerRunner: gRPC server reflection answers only when configured (ADVOCACY_GRPC_REFLECTION),
// asked the way reflection clients (buf curl, grpcurl) ask, over a real channel.

#include "advocacy/common/server.h"

#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/grpcpp.h>

#include <chrono>
#include <future>
#include <memory>
#include <string>

#include "advocacy/common/metrics.h"
#include "advocacy/common/unary_service.h"
#include "advocacy/consent/v1/consent_service.grpc.pb.h"
#include "gtest/gtest.h"

namespace advocacy::server {
namespace {

// A ServerReflectionRequest{list_services: ""}: field 7, length-delimited, empty.
constexpr char kListServices[] = "\x3a\x00";
constexpr char kReflectionMethod[] =
    "/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo";

struct Answer {
  grpc::Status status;
  std::string body;
};

// One ServerReflectionInfo exchange: the stream carries one request and the server answers it
// with one response before the client half-closes, which is a unary call on the wire.
Answer AskForServices(int port) {
  auto channel =
      grpc::CreateChannel("127.0.0.1:" + std::to_string(port), grpc::InsecureChannelCredentials());
  grpc::GenericStub stub(channel);
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  const grpc::Slice slice(kListServices, sizeof(kListServices) - 1);
  const grpc::ByteBuffer request(&slice, 1);
  grpc::ByteBuffer response;
  std::promise<grpc::Status> done;
  stub.UnaryCall(&context, kReflectionMethod, grpc::StubOptions(), &request, &response,
                 [&done](grpc::Status s) { done.set_value(std::move(s)); });
  Answer answer{done.get_future().get(), ""};
  std::vector<grpc::Slice> slices;
  if (answer.status.ok() && response.Dump(&slices).ok()) {
    for (const grpc::Slice& s : slices) {
      answer.body.append(reinterpret_cast<const char*>(s.begin()), s.size());
    }
  }
  return answer;
}

class ReflectionTest : public ::testing::TestWithParam<bool> {};

TEST_P(ReflectionTest, AnswersOnlyWhenConfigured) {
  const bool reflection = GetParam();
  metrics::Metrics metrics("reflection-test");
  rpc::UnaryService service(consent::v1::ConsentService::service_full_name(),
                            {.verifier = nullptr, .metrics = &metrics});
  service.Add<consent::v1::CheckConsentRequest, consent::v1::CheckConsentResponse>(
      "CheckConsent", [](const auth::Principal&, const consent::v1::CheckConsentRequest&) {
        return consent::v1::CheckConsentResponse();
      });
  ServerRunner runner({.listen = "127.0.0.1:0", .reflection = reflection}, {&service},
                      [] { return absl::OkStatus(); });
  ASSERT_TRUE(runner.Start().ok());
  const Answer answer = AskForServices(runner.port());
  if (reflection) {
    ASSERT_TRUE(answer.status.ok()) << answer.status.error_message();
    EXPECT_NE(answer.body.find("advocacy.consent.v1.ConsentService"), std::string::npos);
  } else {
    EXPECT_EQ(answer.status.error_code(), grpc::StatusCode::UNIMPLEMENTED)
        << answer.status.error_message();
    EXPECT_EQ(answer.body, "");
  }
  runner.Drain();
}

INSTANTIATE_TEST_SUITE_P(OnAndOff, ReflectionTest, ::testing::Bool(),
                         [](const auto& param_info) { return param_info.param ? "On" : "Off"; });

}  // namespace
}  // namespace advocacy::server
