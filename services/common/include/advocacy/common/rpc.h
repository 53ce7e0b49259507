#pragma once

// The thin edge between gRPC and domain code: one place maps absl::Status to grpc::Status,
// authenticates the caller, binds the request id to the log, and records RPC metrics.

#include <grpcpp/grpcpp.h>

#include <chrono>
#include <exception>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "advocacy/common/auth.h"
#include "advocacy/common/logging.h"
#include "advocacy/common/metrics.h"

namespace advocacy::rpc {

grpc::Status ToGrpcStatus(const absl::Status& status);

// The caller's request id from `x-request-id` metadata, or a new random one.
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
// errors, and the status mapping. `body` returns absl::Status. An exception escaping the domain
// is a bug: it is logged and answered with INTERNAL instead of taking the process down.
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
  if (status.code() == absl::StatusCode::kInternal ||
      status.code() == absl::StatusCode::kUnavailable ||
      status.code() == absl::StatusCode::kDataLoss || status.code() == absl::StatusCode::kUnknown) {
    log::Error("rpc failed", {{"method", std::string(method)},
                              {"code", code},
                              {"error", std::string(status.message())}});
  }
  rt.metrics->RecordRpc(method, code, std::chrono::steady_clock::now() - start);
  return ToGrpcStatus(status);
}

}  // namespace advocacy::rpc
