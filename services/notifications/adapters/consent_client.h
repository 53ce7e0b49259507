#pragma once

// ConsentGateway over gRPC: the consent service's ConsentService, called as the notifications
// service with a short-lived service token.

#include <grpcpp/grpcpp.h>

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "advocacy/consent/v1/consent_service.grpc.pb.h"
#include "ports.h"

namespace advocacy::notifications {

struct NotificationsConfig;

// Guarantees:
//  * Every call carries `authorization: Bearer <token>` from token_source (asked once per RPC)
//    and, when the calling thread has one, the log's request id as `x-request-id`.
//  * Every RPC has `deadline`; a batch of n ids makes ceil(n / 10,000) RPCs, each with its own
//    deadline, and the answers keep the order of the ids. Zero ids make no RPC.
//  * gRPC errors come back with their code (UNAVAILABLE, DEADLINE_EXCEEDED, PERMISSION_DENIED,
//    ...) and a message naming the RPC. A token_source failure is INTERNAL. A consent service
//    that answers a batch with the wrong number or order of results is INTERNAL: nothing of
//    such an answer is used.
//  * Purposes bound to a network (PURPOSE_SHARE_CONTENT, PURPOSE_CONTENT_SUGGESTIONS) and
//    PURPOSE_UNSPECIFIED are INVALID_ARGUMENT without an RPC: these mails never concern them.
//  * Withdraw records CONSENT_METHOD_EMAIL_ONE_CLICK with the given idempotency key.
//  * Thread-safe.
class GrpcConsentGateway final : public ConsentGateway {
 public:
  // The consent service's limit for one BatchCheckConsent.
  static constexpr size_t kMaxBatch = 10000;

  // token_source returns a bearer token (without "Bearer ") for each call.
  GrpcConsentGateway(std::shared_ptr<grpc::Channel> channel,
                     std::function<absl::StatusOr<std::string>()> token_source,
                     std::chrono::milliseconds deadline);

  absl::StatusOr<std::vector<bool>> BatchCheck(
      std::string_view tenant_id, advocacy::consent::v1::Purpose purpose,
      const std::vector<std::string>& employee_ids) override;
  absl::StatusOr<bool> Check(std::string_view tenant_id, std::string_view employee_id,
                             advocacy::consent::v1::Purpose purpose) override;
  absl::Status Withdraw(std::string_view tenant_id, std::string_view employee_id,
                        advocacy::consent::v1::Purpose purpose,
                        std::string_view idempotency_key) override;

 private:
  absl::Status Prepare(grpc::ClientContext* context) const;

  std::unique_ptr<advocacy::consent::v1::ConsentService::Stub> stub_;
  std::function<absl::StatusOr<std::string>()> token_source_;
  std::chrono::milliseconds deadline_;
};

// A token source that mints short-lived service tokens (subject "notifications", role service,
// tenant "*") with advocacy::auth::MintToken from a PKCS#8 private key PEM, cached and re-minted
// a minute before expiry. Thread-safe. A bad key fails every call with MintToken's
// INVALID_ARGUMENT; check it at start by calling the source once.
std::function<absl::StatusOr<std::string>()> MintingTokenSource(std::string private_key_pem,
                                                                std::string issuer,
                                                                std::string audience = "advocacy");

// The service's consent gateway: a channel with keep-alive to NOTIFICATIONS_CONSENT_ADDR and
// service tokens minted with NOTIFICATIONS_SIGNING_KEY_FILE. The key is tried once here, so a
// key that cannot sign fails the start (with MintToken's status) instead of every consent call.
absl::StatusOr<std::unique_ptr<GrpcConsentGateway>> ConnectConsentGateway(
    const NotificationsConfig& config);

}  // namespace advocacy::notifications
