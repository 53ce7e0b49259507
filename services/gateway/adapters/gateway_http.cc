#include "gateway_http.h"

#include <google/protobuf/descriptor.h>
#include <google/protobuf/message.h>

#include <random>

#include "absl/strings/str_format.h"
#include "advocacy/common/logging.h"
#include "advocacy/common/strings.h"
#include "connect_protocol.h"
#include "security_headers.h"
#include "text.h"

namespace advocacy::gateway {
namespace {

// Codes whose upstream text is transport detail, not something the caller can act on.
bool Opaque(absl::StatusCode code) {
  switch (code) {
    case absl::StatusCode::kUnavailable:
    case absl::StatusCode::kDeadlineExceeded:
    case absl::StatusCode::kInternal:
    case absl::StatusCode::kUnknown:
    case absl::StatusCode::kDataLoss:
    case absl::StatusCode::kCancelled:
      return true;
    default:
      return false;
  }
}

std::string BearerOf(const http::Request& request) {
  std::string_view v = request.Header("authorization").value_or("");
  if (v.size() < 7 || !text::EqualsIgnoreCase(v.substr(0, 7), "bearer ")) return "";
  return std::string(text::Trim(v.substr(7)));
}

}  // namespace

std::string RequestIdOf(const http::Request& request) {
  if (auto id = request.Header("x-request-id"); id && !id->empty() && id->size() <= 128 &&
                                                 std::all_of(id->begin(), id->end(), [](char c) {
                                                   return c > 0x20 && c < 0x7f;
                                                 })) {
    return std::string(*id);
  }
  thread_local std::mt19937_64 rng{std::random_device{}()};
  return absl::StrFormat("%016x%016x", rng(), rng());
}

GatewayHandler::GatewayHandler(const AllowList* allow, const Upstreams* upstreams,
                               const StaticSite* site, GatewayMetrics* metrics,
                               HandlerOptions options)
    : allow_(allow),
      upstreams_(upstreams),
      site_(site),
      metrics_(metrics),
      options_(options),
      security_headers_(SecurityHeaders(options.https)) {}

http::Response GatewayHandler::Handle(const http::Request& request) const {
  const auto start = std::chrono::steady_clock::now();
  const std::string request_id = RequestIdOf(request);
  std::string route = "other";
  std::string code;
  std::string_view kind = "static";
  http::Response response;
  if (request.method == "POST" || SplitMethodPath(request.path).has_value()) {
    kind = "rpc";
    response = HandleRpc(request, request_id, &route, &code);
  } else {
    response = site_->Serve(request);
    route = "static";
    code = std::to_string(response.status);
  }
  response.headers.insert(response.headers.end(), security_headers_.begin(),
                          security_headers_.end());
  response.headers.emplace_back("x-request-id", request_id);
  metrics_->Request(route, code, kind, std::chrono::steady_clock::now() - start);
  return response;
}

http::Response GatewayHandler::HandleRpc(const http::Request& request,
                                         const std::string& request_id, std::string* route_label,
                                         std::string* code_label) const {
  const auto fail = [&](ConnectError error) {
    *code_label = std::string(CodeName(error.code));
    return ErrorResponse(error);
  };
  const Route* route = allow_->Find(request.path);
  if (route == nullptr) {
    return fail({.code = absl::StatusCode::kUnimplemented,
                 .message = "no such RPC is served here",
                 .http_status = 404,
                 .headers = {}});
  }
  *route_label = route->path;
  if (request.method != "POST") {
    return fail({.code = absl::StatusCode::kUnimplemented,
                 .message = "RPCs are called with POST",
                 .http_status = 405,
                 .headers = {{"Allow", "POST"}}});
  }
  UnaryCall call;
  if (auto error = ParseUnaryHeaders(request, &call)) return fail(*std::move(error));
  CallIdentity identity{.bearer_token = BearerOf(request), .request_id = request_id};
  if (identity.bearer_token.empty()) {
    return fail({.code = absl::StatusCode::kUnauthenticated,
                 .message = "sign in first",
                 .http_status = 0,
                 .headers = {}});
  }
  std::unique_ptr<google::protobuf::Message> input;
  if (auto error = DecodeRequest(*route->method, call.codec, request.body, &input)) {
    return fail(*std::move(error));
  }
  std::unique_ptr<google::protobuf::Message> output = NewResponse(*route->method);
  std::chrono::milliseconds deadline = options_.upstream_deadline;
  if (call.timeout && *call.timeout < deadline) deadline = *call.timeout;
  const auto upstream_start = std::chrono::steady_clock::now();
  const grpc::Status status = upstreams_->Call(*route, *input, output.get(), identity, deadline);
  metrics_->Upstream(route->upstream, std::chrono::steady_clock::now() - upstream_start);
  if (!status.ok()) {
    const auto code = static_cast<absl::StatusCode>(status.error_code());
    if (Opaque(code)) {
      log::Warning("an upstream call failed",
                   {{"route", route->path},
                    {"code", std::string(CodeName(code))},
                    {"error", status.error_message()},
                    {"request_id", request_id}});
      return fail({.code = code,
                   .message = StrCat("the ", route->upstream,
                                     " service could not answer; try again; request id ",
                                     request_id),
                   .http_status = 0,
                   .headers = {}});
    }
    return fail({.code = code, .message = status.error_message(), .http_status = 0, .headers = {}});
  }
  http::Response response;
  if (auto error = EncodeResponse(*output, call.codec, &response)) return fail(*std::move(error));
  *code_label = "ok";
  return response;
}

}  // namespace advocacy::gateway
