#include "session.h"

#include <grpcpp/grpcpp.h>
#include <grpcpp/health_check_service_interface.h>
#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace advocacy::ctl {
namespace {

using std::chrono::milliseconds;

// A real in-process gRPC server with the default health service, so the hand-written
// HealthCheckRequest/Response encoding is checked against gRPC's own implementation.
class HealthTest : public ::testing::Test {
 protected:
  void SetUp() override {
    grpc::EnableDefaultHealthCheckService(true);
    grpc::ServerBuilder builder;
    builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port_);
    // A synchronous server needs one registered service to poll its queue; every method of
    // this one answers UNIMPLEMENTED, which is all the test needs.
    builder.RegisterService(&unimplemented_);
    server_ = builder.BuildAndStart();
    ASSERT_NE(server_, nullptr);
    ASSERT_GT(port_, 0);
    session_ =
        std::make_unique<Session>(SessionOptions{.address = "127.0.0.1:" + std::to_string(port_),
                                                 .token = "t",
                                                 .timeout = milliseconds(5000)});
  }
  void TearDown() override {
    if (server_) server_->Shutdown();
  }

  grpc::Server& server() { return *server_; }
  Session& session() { return *session_; }

 private:
  consent::v1::ConsentService::Service unimplemented_;
  int port_ = 0;
  std::unique_ptr<grpc::Server> server_;
  std::unique_ptr<Session> session_;
};

TEST_F(HealthTest, ReportsServingAndNotServing) {
  ServingStatus status = ServingStatus::kUnknown;
  ASSERT_TRUE(session().CheckHealth("", milliseconds(5000), false, &status).ok());
  EXPECT_EQ(status, ServingStatus::kServing);

  server().GetHealthCheckService()->SetServingStatus("my.Service", false);
  ASSERT_TRUE(session().CheckHealth("my.Service", milliseconds(5000), false, &status).ok());
  EXPECT_EQ(status, ServingStatus::kNotServing);

  server().GetHealthCheckService()->SetServingStatus("my.Service", true);
  ASSERT_TRUE(session().CheckHealth("my.Service", milliseconds(5000), false, &status).ok());
  EXPECT_EQ(status, ServingStatus::kServing);
}

TEST_F(HealthTest, UnknownServiceIsNotFound) {
  ServingStatus status = ServingStatus::kUnknown;
  const grpc::Status st = session().CheckHealth("no.Such", milliseconds(5000), false, &status);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::NOT_FOUND);
}

TEST(Session, ContextsCarryFreshRequestIds) {
  Session session(
      SessionOptions{.address = "127.0.0.1:1", .token = "abc", .timeout = milliseconds(5000)});
  auto a = session.NewContext();
  const std::string first = session.last_request_id();
  auto b = session.NewContext();
  EXPECT_EQ(first.size(), 32u);
  EXPECT_NE(first, session.last_request_id());
}

TEST(Session, UnreachableServerIsUnavailable) {
  // Port 1 on loopback is closed on any sane machine; the call must fail fast, not hang.
  Session session(
      SessionOptions{.address = "127.0.0.1:1", .token = "", .timeout = milliseconds(5000)});
  ServingStatus status = ServingStatus::kUnknown;
  const grpc::Status st = session.CheckHealth("", milliseconds(2000), false, &status);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::UNAVAILABLE) << st.error_message();
}

// The names operators grep for: every canonical code by its gRPC enum name, so a change in
// the mapping (absl::StatusCodeToString) shows here.
TEST(StatusCodeName, Canonical) {
  const std::vector<std::pair<grpc::StatusCode, std::string>> names = {
      {grpc::StatusCode::OK, "OK"},
      {grpc::StatusCode::CANCELLED, "CANCELLED"},
      {grpc::StatusCode::UNKNOWN, "UNKNOWN"},
      {grpc::StatusCode::INVALID_ARGUMENT, "INVALID_ARGUMENT"},
      {grpc::StatusCode::DEADLINE_EXCEEDED, "DEADLINE_EXCEEDED"},
      {grpc::StatusCode::NOT_FOUND, "NOT_FOUND"},
      {grpc::StatusCode::ALREADY_EXISTS, "ALREADY_EXISTS"},
      {grpc::StatusCode::PERMISSION_DENIED, "PERMISSION_DENIED"},
      {grpc::StatusCode::RESOURCE_EXHAUSTED, "RESOURCE_EXHAUSTED"},
      {grpc::StatusCode::FAILED_PRECONDITION, "FAILED_PRECONDITION"},
      {grpc::StatusCode::ABORTED, "ABORTED"},
      {grpc::StatusCode::OUT_OF_RANGE, "OUT_OF_RANGE"},
      {grpc::StatusCode::UNIMPLEMENTED, "UNIMPLEMENTED"},
      {grpc::StatusCode::INTERNAL, "INTERNAL"},
      {grpc::StatusCode::UNAVAILABLE, "UNAVAILABLE"},
      {grpc::StatusCode::DATA_LOSS, "DATA_LOSS"},
      {grpc::StatusCode::UNAUTHENTICATED, "UNAUTHENTICATED"},
  };
  for (const auto& [code, name] : names) {
    EXPECT_EQ(StatusCodeName(code), name) << "code " << static_cast<int>(code);
  }
}

TEST(StatusCodeName, NumbersThatAreNoCanonicalCodeAreUnknown) {
  EXPECT_EQ(StatusCodeName(grpc::StatusCode::DO_NOT_USE), "UNKNOWN");
  EXPECT_EQ(StatusCodeName(static_cast<grpc::StatusCode>(17)), "UNKNOWN");
  EXPECT_EQ(StatusCodeName(static_cast<grpc::StatusCode>(99)), "UNKNOWN");
}

}  // namespace
}  // namespace advocacy::ctl
