#pragma once

// ConsentGateway over gRPC: the consent service's ConsentService, called as the notifications
// service with its own identity: a client-credentials token of the organization's identity
// provider for the consent service's audience, carrying exactly the scopes it needs
// (consent:check, consent:withdraw). Notifications holds no signing key.

#include <grpcpp/grpcpp.h>

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "advocacy/common/oidc_client.h"
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
//    ...) and a message naming the RPC. A token_source failure is UNAVAILABLE (logged once per
//    failing call with the provider's answer; the secret never). A consent service
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

// The service's consent gateway: a channel with keep-alive to NOTIFICATIONS_CONSENT_ADDR whose
// calls carry tokens of `tokens` (oidc::TokenSource: cached, refreshed a minute before expiry,
// one request per second at most while the provider fails). With gRPC TLS on (the runtime's
// ADVOCACY_GRPC_TLS_*), the channel checks consent's certificate against
// ADVOCACY_GRPC_TLS_CA_FILE and presents the service's own certificate (mutual TLS), both
// watched for renewal; errors are grpc_tls::ChannelCredentials'.
absl::StatusOr<std::unique_ptr<GrpcConsentGateway>> ConnectConsentGateway(
    const NotificationsConfig& config, std::shared_ptr<oidc::TokenSource> tokens);

// Readiness of the identity towards consent, without I/O: OK while the source holds an
// unexpired token; otherwise UNAVAILABLE naming the provider's last answer.
absl::Status ConsentTokenReadiness(const oidc::TokenSource& tokens);

}  // namespace advocacy::notifications
