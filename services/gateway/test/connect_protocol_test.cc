#include "connect_protocol.h"

#include <google/protobuf/descriptor.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "advocacy/consent/v1/consent_service.pb.h"

namespace advocacy::gateway {
namespace {

namespace v1 = ::advocacy::consent::v1;

const google::protobuf::MethodDescriptor& GiveConsent() {
  return *v1::GiveConsentRequest::descriptor()
              ->file()
              ->FindServiceByName("ConsentService")
              ->FindMethodByName("GiveConsent");
}

http::Request Post(std::string content_type, std::string body = "") {
  http::Request r;
  r.method = "POST";
  r.path = "/advocacy.consent.v1.ConsentService/GiveConsent";
  r.target = r.path;
  if (!content_type.empty()) r.headers.emplace_back("content-type", std::move(content_type));
  r.body = std::move(body);
  return r;
}

TEST(ConnectCodes, NamesAndHttpStatusesFollowTheProtocol) {
  const std::vector<std::tuple<absl::StatusCode, std::string_view, int>> table = {
      {absl::StatusCode::kCancelled, "canceled", 499},
      {absl::StatusCode::kUnknown, "unknown", 500},
      {absl::StatusCode::kInvalidArgument, "invalid_argument", 400},
      {absl::StatusCode::kDeadlineExceeded, "deadline_exceeded", 504},
      {absl::StatusCode::kNotFound, "not_found", 404},
      {absl::StatusCode::kAlreadyExists, "already_exists", 409},
      {absl::StatusCode::kPermissionDenied, "permission_denied", 403},
      {absl::StatusCode::kResourceExhausted, "resource_exhausted", 429},
      {absl::StatusCode::kFailedPrecondition, "failed_precondition", 400},
      {absl::StatusCode::kAborted, "aborted", 409},
      {absl::StatusCode::kOutOfRange, "out_of_range", 400},
      {absl::StatusCode::kUnimplemented, "unimplemented", 501},
      {absl::StatusCode::kInternal, "internal", 500},
      {absl::StatusCode::kUnavailable, "unavailable", 503},
      {absl::StatusCode::kDataLoss, "data_loss", 500},
      {absl::StatusCode::kUnauthenticated, "unauthenticated", 401},
  };
  for (const auto& [code, name, status] : table) {
    EXPECT_EQ(CodeName(code), name);
    EXPECT_EQ(HttpStatusFor(code), status) << name;
  }
}

TEST(ConnectCodes, ErrorResponseIsConnectJson) {
  const http::Response r =
      ErrorResponse({.code = absl::StatusCode::kInvalidArgument, .message = "scopes: empty"});
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(r.content_type, "application/json");
  const auto body = nlohmann::json::parse(r.body);
  EXPECT_EQ(body["code"], "invalid_argument");
  EXPECT_EQ(body["message"], "scopes: empty");
  const http::Response not_found = ErrorResponse(
      {.code = absl::StatusCode::kUnimplemented, .message = "no", .http_status = 404});
  EXPECT_EQ(not_found.status, 404);
  EXPECT_EQ(nlohmann::json::parse(not_found.body)["code"], "unimplemented");
}

TEST(ConnectHeaders, AcceptsJsonAndProto) {
  UnaryCall call;
  EXPECT_FALSE(ParseUnaryHeaders(Post("application/json"), &call));
  EXPECT_EQ(call.codec, Codec::kJson);
  EXPECT_FALSE(ParseUnaryHeaders(Post("Application/JSON; charset=utf-8"), &call));
  EXPECT_EQ(call.codec, Codec::kJson);
  EXPECT_FALSE(ParseUnaryHeaders(Post("application/proto"), &call));
  EXPECT_EQ(call.codec, Codec::kProto);
  EXPECT_FALSE(call.timeout.has_value());
}

TEST(ConnectHeaders, OtherContentTypesAre415WithAcceptPost) {
  for (const char* type :
       {"", "text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x",
        "application/json; charset=latin1", "application/grpc"}) {
    UnaryCall call;
    const auto error = ParseUnaryHeaders(Post(type), &call);
    ASSERT_TRUE(error) << type;
    EXPECT_EQ(error->http_status, 415) << type;
    ASSERT_EQ(error->headers.size(), 1u);
    EXPECT_EQ(error->headers[0].first, "Accept-Post");
  }
}

TEST(ConnectHeaders, VersionTimeoutAndEncoding) {
  UnaryCall call;
  http::Request r = Post("application/json");
  r.headers.emplace_back("connect-protocol-version", "1");
  r.headers.emplace_back("connect-timeout-ms", "2500");
  EXPECT_FALSE(ParseUnaryHeaders(r, &call));
  EXPECT_EQ(call.timeout, std::chrono::milliseconds(2500));

  http::Request v2 = Post("application/json");
  v2.headers.emplace_back("connect-protocol-version", "2");
  auto error = ParseUnaryHeaders(v2, &call);
  ASSERT_TRUE(error);
  EXPECT_EQ(error->code, absl::StatusCode::kInvalidArgument);

  for (const char* bad : {"", "-1", "1.5", "12345678901", "abc"}) {
    http::Request t = Post("application/json");
    t.headers.emplace_back("connect-timeout-ms", bad);
    error = ParseUnaryHeaders(t, &call);
    ASSERT_TRUE(error) << bad;
    EXPECT_EQ(error->code, absl::StatusCode::kInvalidArgument) << bad;
  }

  http::Request gz = Post("application/json");
  gz.headers.emplace_back("content-encoding", "gzip");
  error = ParseUnaryHeaders(gz, &call);
  ASSERT_TRUE(error);
  EXPECT_EQ(error->code, absl::StatusCode::kUnimplemented);
}

TEST(ConnectBodies, JsonDecodesThroughTheDescriptors) {
  std::unique_ptr<google::protobuf::Message> message;
  ASSERT_FALSE(DecodeRequest(GiveConsent(), Codec::kJson,
                             R"({"tenantId":"t1","employeeId":"e1","noticeVersion":"v1",
                                 "scopes":[{"purpose":"PURPOSE_SHARE_CONTENT",
                                            "network":"NETWORK_LINKEDIN"}]})",
                             &message));
  const auto& request = dynamic_cast<const v1::GiveConsentRequest&>(*message);
  EXPECT_EQ(request.tenant_id(), "t1");
  EXPECT_EQ(request.employee_id(), "e1");
  ASSERT_EQ(request.scopes_size(), 1);
  EXPECT_EQ(request.scopes(0).network(), v1::NETWORK_LINKEDIN);
  // The proto field names are accepted too (protobuf's JSON mapping).
  EXPECT_FALSE(DecodeRequest(GiveConsent(), Codec::kJson, R"({"tenant_id":"t2"})", &message));
  EXPECT_EQ(dynamic_cast<const v1::GiveConsentRequest&>(*message).tenant_id(), "t2");
  // An empty body is the empty message.
  EXPECT_FALSE(DecodeRequest(GiveConsent(), Codec::kJson, "  ", &message));
}

TEST(ConnectBodies, MalformedJsonIsInvalidArgumentNamingTheField) {
  std::unique_ptr<google::protobuf::Message> message;
  auto error = DecodeRequest(GiveConsent(), Codec::kJson, R"({"tenantId": 5, )", &message);
  ASSERT_TRUE(error);
  EXPECT_EQ(error->code, absl::StatusCode::kInvalidArgument);
  EXPECT_NE(error->message.find("advocacy.consent.v1.GiveConsentRequest"), std::string::npos);

  error = DecodeRequest(GiveConsent(), Codec::kJson, R"({"tenantIdd":"t"})", &message);
  ASSERT_TRUE(error);
  EXPECT_NE(error->message.find("tenantIdd"), std::string::npos) << error->message;

  error = DecodeRequest(GiveConsent(), Codec::kJson, R"({"scopes":[{"purpose":"PURPOSE_NOPE"}]})",
                        &message);
  ASSERT_TRUE(error);
  EXPECT_NE(error->message.find("purpose"), std::string::npos) << error->message;
}

TEST(ConnectBodies, ProtoWireFormatRoundTrips) {
  v1::GiveConsentRequest in;
  in.set_tenant_id("t1");
  in.set_idempotency_key("k");
  std::unique_ptr<google::protobuf::Message> message;
  ASSERT_FALSE(DecodeRequest(GiveConsent(), Codec::kProto, in.SerializeAsString(), &message));
  EXPECT_EQ(dynamic_cast<const v1::GiveConsentRequest&>(*message).idempotency_key(), "k");
  const auto error = DecodeRequest(GiveConsent(), Codec::kProto, "\xff\xff\xff", &message);
  ASSERT_TRUE(error);
  EXPECT_EQ(error->code, absl::StatusCode::kInvalidArgument);
}

TEST(ConnectBodies, ResponsesAreCanonicalJsonOrWireFormat) {
  v1::GiveConsentResponse out;
  out.set_sequence(7);
  http::Response r;
  ASSERT_FALSE(EncodeResponse(out, Codec::kJson, &r));
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.content_type, "application/json");
  EXPECT_EQ(nlohmann::json::parse(r.body)["sequence"], "7");  // int64 is a string in JSON
  ASSERT_FALSE(EncodeResponse(out, Codec::kProto, &r));
  EXPECT_EQ(r.content_type, "application/proto");
  v1::GiveConsentResponse back;
  ASSERT_TRUE(back.ParseFromString(r.body));
  EXPECT_EQ(back.sequence(), 7);
}

TEST(ConnectPaths, SplitsOnlyTheConnectShape) {
  auto m = SplitMethodPath("/advocacy.consent.v1.ConsentService/GiveConsent");
  ASSERT_TRUE(m);
  EXPECT_EQ(m->service, "advocacy.consent.v1.ConsentService");
  EXPECT_EQ(m->method, "GiveConsent");
  for (const char* p :
       {"/", "/consent", "/assets/app.js", "/a.b/", "/a.b/c/d", "//x", "/content/item-1"}) {
    EXPECT_FALSE(SplitMethodPath(p)) << p;
  }
}

}  // namespace
}  // namespace advocacy::gateway
