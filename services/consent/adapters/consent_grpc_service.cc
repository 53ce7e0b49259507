#include "consent_grpc_service.h"

#include <chrono>

#include "advocacy/common/status_macros.h"

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

ConsentGrpcService::ConsentGrpcService(ConsentManager* manager, rpc::Runtime runtime,
                                       PropagationManager* propagation, PropagationWaiter* waiter)
    : manager_(manager), runtime_(runtime), propagation_(propagation), waiter_(waiter) {}

grpc::Status ConsentGrpcService::GiveConsent(grpc::ServerContext* ctx,
                                             const v1::GiveConsentRequest* req,
                                             v1::GiveConsentResponse* resp) {
  return rpc::Unary(runtime_, "GiveConsent", ctx, req, resp, manager_, &ConsentManager::Give);
}

grpc::Status ConsentGrpcService::WithdrawConsent(grpc::ServerContext* ctx,
                                                 const v1::WithdrawConsentRequest* req,
                                                 v1::WithdrawConsentResponse* resp) {
  // rpc::Handle rather than rpc::Unary: after the commit comes the wait for propagation.
  return rpc::Handle(
      runtime_, "WithdrawConsent", ctx, [&](const auth::Principal& caller) -> absl::Status {
        ASSIGN_OR_RETURN(*resp, manager_->Withdraw(caller, *req));
        // Committed: from here on the answer is OK whatever the wait brings.
        // Cancellation covers a caller that gave up and a server whose drain ran
        // out.
        if (waiter_ != nullptr) {
          waiter_->Complete(req->tenant_id(), req->employee_id(), resp, SteadyDeadline(*ctx),
                            [ctx] { return ctx->IsCancelled(); });
        }
        return absl::OkStatus();
      });
}

grpc::Status ConsentGrpcService::GetConsentState(grpc::ServerContext* ctx,
                                                 const v1::GetConsentStateRequest* req,
                                                 v1::GetConsentStateResponse* resp) {
  return rpc::Unary(runtime_, "GetConsentState", ctx, req, resp, manager_,
                    &ConsentManager::GetState);
}

grpc::Status ConsentGrpcService::CheckConsent(grpc::ServerContext* ctx,
                                              const v1::CheckConsentRequest* req,
                                              v1::CheckConsentResponse* resp) {
  return rpc::Unary(runtime_, "CheckConsent", ctx, req, resp, manager_, &ConsentManager::Check);
}

grpc::Status ConsentGrpcService::BatchCheckConsent(grpc::ServerContext* ctx,
                                                   const v1::BatchCheckConsentRequest* req,
                                                   v1::BatchCheckConsentResponse* resp) {
  return rpc::Unary(runtime_, "BatchCheckConsent", ctx, req, resp, manager_,
                    &ConsentManager::BatchCheck);
}

grpc::Status ConsentGrpcService::ListConsentHistory(grpc::ServerContext* ctx,
                                                    const v1::ListConsentHistoryRequest* req,
                                                    v1::ListConsentHistoryResponse* resp) {
  return rpc::Unary(runtime_, "ListConsentHistory", ctx, req, resp, manager_,
                    &ConsentManager::ListHistory);
}

grpc::Status ConsentGrpcService::PublishNotice(grpc::ServerContext* ctx,
                                               const v1::PublishNoticeRequest* req,
                                               v1::PublishNoticeResponse* resp) {
  return rpc::Unary(runtime_, "PublishNotice", ctx, req, resp, manager_,
                    &ConsentManager::PublishNotice);
}

grpc::Status ConsentGrpcService::GetCurrentNotice(grpc::ServerContext* ctx,
                                                  const v1::GetCurrentNoticeRequest* req,
                                                  v1::GetCurrentNoticeResponse* resp) {
  return rpc::Unary(runtime_, "GetCurrentNotice", ctx, req, resp, manager_,
                    &ConsentManager::GetCurrentNotice);
}

grpc::Status ConsentGrpcService::GetPropagationStatus(grpc::ServerContext* ctx,
                                                      const v1::GetPropagationStatusRequest* req,
                                                      v1::GetPropagationStatusResponse* resp) {
  return rpc::Unary(
      runtime_, "GetPropagationStatus", ctx, req, resp,
      [this](const auth::Principal& caller, const v1::GetPropagationStatusRequest& r)
          -> absl::StatusOr<v1::GetPropagationStatusResponse> {
        if (propagation_ == nullptr) {
          return absl::UnimplementedError("propagation receipts are not enabled on this server");
        }
        return propagation_->GetStatus(caller, r);
      });
}

}  // namespace advocacy::consent
