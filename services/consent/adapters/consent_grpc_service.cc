#include "consent_grpc_service.h"

#include <chrono>

#include "advocacy/common/status_macros.h"
#include "advocacy/consent/v1/consent_service.grpc.pb.h"

namespace advocacy::consent {
namespace {

// The call's deadline on the steady clock the waiter uses; max() when the caller set none (or
// one so far away that it does not matter).
PropagationWaiter::Deadline SteadyDeadline(const grpc::ServerContext& ctx) {
  const auto deadline = ctx.deadline();
  const auto now = std::chrono::system_clock::now();
  if (deadline == std::chrono::system_clock::time_point::max() ||
      deadline - now > std::chrono::hours(1)) {
    return PropagationWaiter::Deadline::max();
  }
  return std::chrono::steady_clock::now() +
         std::chrono::duration_cast<std::chrono::steady_clock::duration>(deadline - now);
}

}  // namespace

std::unique_ptr<rpc::UnaryService> ConsentGrpcService(ConsentManager* manager, rpc::Runtime runtime,
                                                      PropagationManager* propagation,
                                                      PropagationWaiter* waiter) {
  auto service =
      std::make_unique<rpc::UnaryService>(v1::ConsentService::service_full_name(), runtime);
  (*service)
      .Add("GiveConsent", manager, &ConsentManager::Give)
      .Add("GetConsentState", manager, &ConsentManager::GetState)
      .ServiceScope("consent:read")
      .Add("CheckConsent", manager, &ConsentManager::Check)
      .ServiceScope("consent:check")
      .Add("BatchCheckConsent", manager, &ConsentManager::BatchCheck)
      .ServiceScope("consent:check")
      .Add("ListConsentHistory", manager, &ConsentManager::ListHistory)
      .ServiceScope("consent:read")
      .Add("PublishNotice", manager, &ConsentManager::PublishNotice)
      .Add("GetCurrentNotice", manager, &ConsentManager::GetCurrentNotice)
      .ServiceScope("consent:read");
  // After the commit comes the wait for propagation, bounded by the call's deadline.
  service->AddWithContext<v1::WithdrawConsentRequest, v1::WithdrawConsentResponse>(
      "WithdrawConsent",
      [manager, waiter](grpc::ServerContext& ctx, const auth::Principal& caller,
                        const v1::WithdrawConsentRequest& req,
                        v1::WithdrawConsentResponse* resp) -> absl::Status {
        ASSIGN_OR_RETURN(*resp, manager->Withdraw(caller, req));
        // Committed: from here on the answer is OK whatever the wait brings. Cancellation
        // covers a caller that gave up and a server whose drain ran out.
        if (waiter != nullptr) {
          waiter->Complete(req.tenant_id(), req.employee_id(), resp, SteadyDeadline(ctx),
                           [&ctx] { return ctx.IsCancelled(); });
        }
        return absl::OkStatus();
      });
  // One-click unsubscribe from a mail (the notifications service) is the one write a service
  // identity may make here; giving consent and publishing notices are for people only.
  service->ServiceScope("consent:withdraw");
  service->Add<v1::GetPropagationStatusRequest, v1::GetPropagationStatusResponse>(
      "GetPropagationStatus",
      [propagation](const auth::Principal& caller, const v1::GetPropagationStatusRequest& r)
          -> absl::StatusOr<v1::GetPropagationStatusResponse> {
        if (propagation == nullptr) {
          return absl::UnimplementedError("propagation receipts are not enabled on this server");
        }
        return propagation->GetStatus(caller, r);
      });
  service->ServiceScope("consent:read");
  return service;
}

}  // namespace advocacy::consent
