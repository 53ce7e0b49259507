#pragma once

// The thin edge between gRPC and domain code: one place maps absl::Status to grpc::Status,
// authenticates the caller, binds the request id to the log, and records RPC metrics.

#include <grpcpp/grpcpp.h>

#include <chrono>
#include <exception>
#include <optional>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "advocacy/common/auth.h"
#include "advocacy/common/logging.h"
#include "advocacy/common/metrics.h"

namespace advocacy::rpc {

grpc::Status ToGrpcStatus(const absl::Status& status);

// True for the codes that mean "the server failed" and whose text is written for operators (a
// Redis reply, a decoding failure, an exception): INTERNAL, UNKNOWN and DATA_LOSS.
bool IsServerFault(absl::StatusCode code);

// What the caller is told: ToGrpcStatus, except that a server fault (IsServerFault) keeps its
// code and says only "internal error; request id <request_id>", and UNAVAILABLE (whose text
// names Redis or SMTP addresses and nested errors) only "temporarily unavailable; retry; request
// id <request_id>", so no internal detail leaves the process; Handle logs the real message with
// the same request id. Every other code is the caller's own doing and keeps its message.
grpc::Status ToCallerStatus(const absl::Status& status, std::string_view request_id);

// `offered` when it is a usable request id (1-128 printable ASCII characters, no space), else a
// new random one (32 hex digits). Every edge that accepts a caller's id uses this rule: gRPC
// metadata (RequestIdFrom) and the gateway's HTTP header.
std::string RequestIdOr(std::optional<std::string_view> offered);

// The caller's request id from `x-request-id` metadata (RequestIdOr).
std::string RequestIdFrom(const grpc::ServerContext& context);

// Verifies the bearer token in the `authorization` metadata.
absl::StatusOr<auth::Principal> Authenticate(const grpc::ServerContext& context,
                                             const auth::TokenVerifier& verifier);

// Everything an RPC handler needs from the runtime.
struct Runtime {
  const auth::TokenVerifier* verifier;
  metrics::Metrics* metrics;
};

// Runs `body(principal)` for one RPC: request id, authentication, metrics, logging of server
// errors, and the status mapping (ToCallerStatus: a server fault reaches the caller as a generic
// text with the request id, and the log line with that request id holds the real message).
// `body` returns absl::Status. An exception escaping the domain is a bug: it is logged and
// answered with INTERNAL instead of taking the process down.
template <typename Body>
grpc::Status Handle(const Runtime& rt, std::string_view method, grpc::ServerContext* context,
                    Body&& body) {
  const auto start = std::chrono::steady_clock::now();
  log::RequestIdScope request_scope(RequestIdFrom(*context));
  context->AddInitialMetadata("x-request-id", log::CurrentRequestId());
  absl::Status status;
  try {
    absl::StatusOr<auth::Principal> principal = Authenticate(*context, *rt.verifier);
    status = principal.ok() ? body(*principal) : principal.status();
  } catch (const std::exception& e) {
    status = absl::InternalError(std::string("unexpected error: ") + e.what());
  }
  const std::string code = absl::StatusCodeToString(status.code());
  if (IsServerFault(status.code()) || status.code() == absl::StatusCode::kUnavailable) {
    // The log line carries the request id (RequestIdScope): the caller's only handle on it.
    log::Error("rpc failed", {{"method", std::string(method)},
                              {"code", code},
                              {"error", std::string(status.message())}});
  }
  rt.metrics->RecordRpc(method, code, std::chrono::steady_clock::now() - start);
  return ToCallerStatus(status, log::CurrentRequestId());
}

}  // namespace advocacy::rpc
