#pragma once

// The Connect protocol's unary calls, as the gateway serves them to browsers
// (https://connectrpc.com/docs/protocol): `POST /<package>.<Service>/<Method>` with a JSON
// (`application/json`) or binary (`application/proto`) body; the answer is 200 with the response
// message in the same codec, or an error: an HTTP status mapped from the gRPC code and a JSON body
// {"code": "invalid_argument", "message": "..."}.
//
// Pure functions over descriptors and bytes; no I/O. Transcoding is generic: any method of the
// allow-list (AllowList) is decoded and encoded through its descriptors, never by a handler per
// RPC.
//
// What a request must be:
//   * Content-Type application/json or application/proto (a `charset=utf-8` parameter is fine
//     with JSON); anything else is 415 with `Accept-Post`.
//   * Connect-Protocol-Version, when sent, "1" (else invalid_argument).
//   * Connect-Timeout-Ms, when sent, 1 to 10 digits (else invalid_argument); the gateway bounds
//     it by its own upstream deadline.
//   * Content-Encoding absent or identity: compressed requests are unimplemented (the web app
//     does not compress requests).
//   * A JSON body: protobuf's JSON mapping of the input message; unknown fields are refused, an
//     empty body is the empty message. A binary body: the message's wire format.

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "advocacy/common/http_server.h"

namespace google::protobuf {
class Message;
class MethodDescriptor;
}  // namespace google::protobuf

namespace advocacy::gateway {

enum class Codec { kJson, kProto };

// A refused or failed call, as the browser will see it.
struct ConnectError {
  absl::StatusCode code = absl::StatusCode::kUnknown;
  std::string message;
  // 0: the Connect mapping of `code` (HttpStatusFor). Set for the few answers the protocol
  // fixes otherwise: 404 for a path that is no allow-listed RPC, 415 for a content type.
  int http_status = 0;
  std::vector<std::pair<std::string, std::string>> headers;  // e.g. Accept-Post with a 415
};

// "invalid_argument", "unauthenticated", ...: the Connect name of a gRPC code.
std::string_view CodeName(absl::StatusCode code);
// The Connect protocol's HTTP status for a code (invalid_argument 400, unauthenticated 401,
// permission_denied 403, not_found 404, already_exists and aborted 409, resource_exhausted 429,
// canceled 499, unimplemented 501, unavailable 503, deadline_exceeded 504, failed_precondition
// and out_of_range 400, the rest 500).
int HttpStatusFor(absl::StatusCode code);

// The error response: status, `application/json` body {"code","message"}, the error's headers.
http::Response ErrorResponse(const ConnectError& error);

// What a well-formed Connect unary request asks for, before its body is decoded.
struct UnaryCall {
  Codec codec = Codec::kJson;
  std::optional<std::chrono::milliseconds> timeout;  // Connect-Timeout-Ms
};

// The protocol headers of `request` (content type, version, timeout, encoding); the path and
// method are the router's.
std::optional<ConnectError> ParseUnaryHeaders(const http::Request& request, UnaryCall* call);

// A new input message of `method` holding `body`. invalid_argument naming the message type and,
// where protobuf's parser says, the field.
std::optional<ConnectError> DecodeRequest(const google::protobuf::MethodDescriptor& method,
                                          Codec codec, std::string_view body,
                                          std::unique_ptr<google::protobuf::Message>* out);

// An empty output message of `method` (for the upstream's answer).
std::unique_ptr<google::protobuf::Message> NewResponse(
    const google::protobuf::MethodDescriptor& method);

// The 200 response carrying `message` in `codec`. internal when the message cannot be written as
// JSON (e.g. a Timestamp out of range).
std::optional<ConnectError> EncodeResponse(const google::protobuf::Message& message, Codec codec,
                                           http::Response* out);

// A path's service and method, when it has Connect's shape `/<pkg>.<Service>/<Method>`.
struct MethodPath {
  std::string_view service;  // "advocacy.consent.v1.ConsentService"
  std::string_view method;   // "GiveConsent"
};
std::optional<MethodPath> SplitMethodPath(std::string_view path);

}  // namespace advocacy::gateway
