#include "connect_protocol.h"

#include <google/protobuf/descriptor.h>
#include <google/protobuf/dynamic_message.h>
#include <google/protobuf/message.h>
#include <google/protobuf/util/json_util.h>

#include <nlohmann/json.hpp>

#include "advocacy/common/strings.h"
#include "text.h"

namespace advocacy::gateway {
namespace {

using google::protobuf::Message;
using google::protobuf::MethodDescriptor;

constexpr std::string_view kJson = "application/json";
constexpr std::string_view kProto = "application/proto";

ConnectError Error(absl::StatusCode code, std::string message, int http_status = 0) {
  return {.code = code, .message = std::move(message), .http_status = http_status, .headers = {}};
}

// The media type of a Content-Type value, lower-cased, without parameters; and whether the
// parameters are acceptable (none, or charset=utf-8).
std::optional<Codec> CodecOf(std::string_view content_type) {
  const std::vector<std::string_view> parts = text::Split(content_type, ';');
  const std::string media = AsciiLower(text::Trim(parts[0]));
  for (size_t i = 1; i < parts.size(); ++i) {
    const std::string param = AsciiLower(text::Trim(parts[i]));
    if (param != "charset=utf-8" && param != "charset=\"utf-8\"") return std::nullopt;
  }
  if (media == kJson) return Codec::kJson;
  if (media == kProto && parts.size() == 1) return Codec::kProto;
  return std::nullopt;
}

// A Message of the generated pool when the type is compiled in (the gateway links every API
// proto), else a dynamic one.
const Message* PrototypeOf(const google::protobuf::Descriptor* type) {
  if (const Message* p = google::protobuf::MessageFactory::generated_factory()->GetPrototype(type);
      p != nullptr) {
    return p;
  }
  static auto* dynamic = new google::protobuf::DynamicMessageFactory();
  return dynamic->GetPrototype(type);
}

}  // namespace

std::string_view CodeName(absl::StatusCode code) {
  switch (code) {
    case absl::StatusCode::kOk:
      return "ok";
    case absl::StatusCode::kCancelled:
      return "canceled";
    case absl::StatusCode::kUnknown:
      return "unknown";
    case absl::StatusCode::kInvalidArgument:
      return "invalid_argument";
    case absl::StatusCode::kDeadlineExceeded:
      return "deadline_exceeded";
    case absl::StatusCode::kNotFound:
      return "not_found";
    case absl::StatusCode::kAlreadyExists:
      return "already_exists";
    case absl::StatusCode::kPermissionDenied:
      return "permission_denied";
    case absl::StatusCode::kResourceExhausted:
      return "resource_exhausted";
    case absl::StatusCode::kFailedPrecondition:
      return "failed_precondition";
    case absl::StatusCode::kAborted:
      return "aborted";
    case absl::StatusCode::kOutOfRange:
      return "out_of_range";
    case absl::StatusCode::kUnimplemented:
      return "unimplemented";
    case absl::StatusCode::kInternal:
      return "internal";
    case absl::StatusCode::kUnavailable:
      return "unavailable";
    case absl::StatusCode::kDataLoss:
      return "data_loss";
    case absl::StatusCode::kUnauthenticated:
      return "unauthenticated";
    default:
      return "unknown";
  }
}

int HttpStatusFor(absl::StatusCode code) {
  switch (code) {
    case absl::StatusCode::kCancelled:
      return 499;
    case absl::StatusCode::kInvalidArgument:
    case absl::StatusCode::kFailedPrecondition:
    case absl::StatusCode::kOutOfRange:
      return 400;
    case absl::StatusCode::kDeadlineExceeded:
      return 504;
    case absl::StatusCode::kNotFound:
      return 404;
    case absl::StatusCode::kAlreadyExists:
    case absl::StatusCode::kAborted:
      return 409;
    case absl::StatusCode::kPermissionDenied:
      return 403;
    case absl::StatusCode::kResourceExhausted:
      return 429;
    case absl::StatusCode::kUnimplemented:
      return 501;
    case absl::StatusCode::kUnavailable:
      return 503;
    case absl::StatusCode::kUnauthenticated:
      return 401;
    default:
      return 500;
  }
}

http::Response ErrorResponse(const ConnectError& error) {
  http::Response r;
  r.status = error.http_status != 0 ? error.http_status : HttpStatusFor(error.code);
  r.content_type = "application/json";
  nlohmann::json body = {{"code", CodeName(error.code)}};
  if (!error.message.empty()) body["message"] = error.message;
  // Replacement instead of an exception for text that is not UTF-8 (an upstream's message).
  r.body = body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  r.headers = error.headers;
  return r;
}

std::optional<ConnectError> ParseUnaryHeaders(const http::Request& request, UnaryCall* call) {
  const std::optional<std::string_view> type = request.Header("content-type");
  const std::optional<Codec> codec = type ? CodecOf(*type) : std::nullopt;
  if (!codec) {
    ConnectError e = Error(absl::StatusCode::kUnknown,
                           "Content-Type must be application/json or application/proto", 415);
    e.headers.emplace_back("Accept-Post", "application/json, application/proto");
    return e;
  }
  call->codec = *codec;
  if (auto v = request.Header("connect-protocol-version"); v && *v != "1") {
    return Error(absl::StatusCode::kInvalidArgument,
                 "Connect-Protocol-Version must be 1 (this server speaks version 1)");
  }
  if (auto t = request.Header("connect-timeout-ms"); t) {
    const std::optional<int64_t> ms = text::Digits(*t, 10);
    if (!ms) {
      return Error(absl::StatusCode::kInvalidArgument,
                   "Connect-Timeout-Ms must be a positive integer of at most 10 digits");
    }
    call->timeout = std::chrono::milliseconds(*ms);
  }
  if (auto enc = request.Header("content-encoding");
      enc && !text::EqualsIgnoreCase(*enc, "identity")) {
    return Error(
        absl::StatusCode::kUnimplemented,
        StrCat("Content-Encoding '", *enc, "' is not supported; send the body uncompressed"));
  }
  return std::nullopt;
}

std::optional<ConnectError> DecodeRequest(const MethodDescriptor& method, Codec codec,
                                          std::string_view body, std::unique_ptr<Message>* out) {
  std::unique_ptr<Message> message(PrototypeOf(method.input_type())->New());
  const std::string& type = method.input_type()->full_name();
  if (codec == Codec::kProto) {
    if (!message->ParseFromArray(body.data(), static_cast<int>(body.size()))) {
      return Error(absl::StatusCode::kInvalidArgument,
                   StrCat("the request body is not a valid ", type, " in protobuf wire format"));
    }
  } else if (!text::Trim(body).empty()) {
    google::protobuf::util::JsonParseOptions options;
    options.ignore_unknown_fields = false;
    const auto st = google::protobuf::util::JsonStringToMessage(
        google::protobuf::StringPiece(body.data(), body.size()), message.get(), options);
    if (!st.ok()) {
      return Error(absl::StatusCode::kInvalidArgument,
                   StrCat("the request body is not a valid ", type,
                          " in JSON: ", std::string(st.message().data(), st.message().size())));
    }
  }
  *out = std::move(message);
  return std::nullopt;
}

std::unique_ptr<Message> NewResponse(const MethodDescriptor& method) {
  return std::unique_ptr<Message>(PrototypeOf(method.output_type())->New());
}

std::optional<ConnectError> EncodeResponse(const Message& message, Codec codec,
                                           http::Response* out) {
  out->status = 200;
  if (codec == Codec::kProto) {
    out->content_type = std::string(kProto);
    if (!message.SerializeToString(&out->body)) {
      return Error(absl::StatusCode::kInternal, "the response cannot be encoded");
    }
    return std::nullopt;
  }
  out->content_type = std::string(kJson);
  google::protobuf::util::JsonPrintOptions options;
  options.preserve_proto_field_names = false;  // lowerCamelCase, protobuf's canonical JSON
  out->body.clear();
  const auto st = google::protobuf::util::MessageToJsonString(message, &out->body, options);
  if (!st.ok()) return Error(absl::StatusCode::kInternal, "the response cannot be encoded as JSON");
  return std::nullopt;
}

std::optional<MethodPath> SplitMethodPath(std::string_view path) {
  if (!path.starts_with('/')) return std::nullopt;
  path.remove_prefix(1);
  const size_t slash = path.find('/');
  if (slash == std::string_view::npos || slash == 0 || slash + 1 == path.size()) {
    return std::nullopt;
  }
  MethodPath m{.service = path.substr(0, slash), .method = path.substr(slash + 1)};
  if (m.method.find('/') != std::string_view::npos ||
      m.service.find('.') == std::string_view::npos) {
    return std::nullopt;
  }
  return m;
}

}  // namespace advocacy::gateway
