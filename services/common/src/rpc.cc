#include "advocacy/common/rpc.h"

#include <algorithm>
#include <random>

#include "absl/strings/str_format.h"
#include "advocacy/common/strings.h"

namespace advocacy::rpc {

grpc::Status ToGrpcStatus(const absl::Status& status) {
  if (status.ok()) return grpc::Status::OK;
  // absl and gRPC share the canonical code numbering.
  return grpc::Status(static_cast<grpc::StatusCode>(status.code()), std::string(status.message()));
}

bool IsServerFault(absl::StatusCode code) {
  return code == absl::StatusCode::kInternal || code == absl::StatusCode::kUnknown ||
         code == absl::StatusCode::kDataLoss;
}

grpc::Status ToCallerStatus(const absl::Status& status, std::string_view request_id) {
  if (status.code() == absl::StatusCode::kUnavailable) {
    return grpc::Status(
        grpc::StatusCode::UNAVAILABLE,
        advocacy::StrCat("temporarily unavailable; retry; request id ", request_id));
  }
  if (!IsServerFault(status.code())) return ToGrpcStatus(status);
  return grpc::Status(static_cast<grpc::StatusCode>(status.code()),
                      advocacy::StrCat("internal error; request id ", request_id));
}

std::string RequestIdOr(std::optional<std::string_view> offered) {
  if (offered && !offered->empty() && offered->size() <= 128 &&
      std::all_of(offered->begin(), offered->end(), [](char c) { return c > 0x20 && c < 0x7f; })) {
    return std::string(*offered);
  }
  thread_local std::mt19937_64 rng{std::random_device{}()};
  return absl::StrFormat("%016x%016x", rng(), rng());
}

std::string RequestIdFrom(const grpc::ServerContext& context) {
  const auto& md = context.client_metadata();
  auto it = md.find("x-request-id");
  if (it == md.end()) return RequestIdOr(std::nullopt);
  return RequestIdOr(std::string_view(it->second.data(), it->second.size()));
}

absl::StatusOr<auth::Principal> Authenticate(const grpc::ServerContext& context,
                                             const auth::TokenVerifier& verifier) {
  const auto& md = context.client_metadata();
  auto it = md.find("authorization");
  // Through the verifier even when absent, so that the refusal is counted like any other.
  if (it == md.end()) return verifier.Verify("");
  return verifier.Verify(std::string_view(it->second.data(), it->second.size()));
}

}  // namespace advocacy::rpc
