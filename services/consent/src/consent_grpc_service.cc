#include "consent_grpc_service.h"

#include <chrono>

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
  return rpc::Handle(runtime_, "GiveConsent", ctx, [&](const auth::Principal& caller) {
    auto r = manager_->Give(caller, *req);
    if (r.ok()) *resp = std::move(*r);
    return r.status();
  });
}

grpc::Status ConsentGrpcService::WithdrawConsent(grpc::ServerContext* ctx,
                                                 const v1::WithdrawConsentRequest* req,
                                                 v1::WithdrawConsentResponse* resp) {
  return rpc::Handle(runtime_, "WithdrawConsent", ctx, [&](const auth::Principal& caller) {
    auto r = manager_->Withdraw(caller, *req);
    if (!r.ok()) return r.status();
    *resp = std::move(*r);
    // Committed: from here on the answer is OK whatever the wait brings. Cancellation covers a
    // caller that gave up and a server whose drain ran out.
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
  return rpc::Handle(runtime_, "GetConsentState", ctx, [&](const auth::Principal& caller) {
    auto r = manager_->GetState(caller, *req);
    if (r.ok()) *resp = std::move(*r);
    return r.status();
  });
}

grpc::Status ConsentGrpcService::CheckConsent(grpc::ServerContext* ctx,
                                              const v1::CheckConsentRequest* req,
                                              v1::CheckConsentResponse* resp) {
  return rpc::Handle(runtime_, "CheckConsent", ctx, [&](const auth::Principal& caller) {
    auto r = manager_->Check(caller, *req);
    if (r.ok()) *resp = std::move(*r);
    return r.status();
  });
}

grpc::Status ConsentGrpcService::BatchCheckConsent(grpc::ServerContext* ctx,
                                                   const v1::BatchCheckConsentRequest* req,
                                                   v1::BatchCheckConsentResponse* resp) {
  return rpc::Handle(runtime_, "BatchCheckConsent", ctx, [&](const auth::Principal& caller) {
    auto r = manager_->BatchCheck(caller, *req);
    if (r.ok()) *resp = std::move(*r);
    return r.status();
  });
}

grpc::Status ConsentGrpcService::ListConsentHistory(grpc::ServerContext* ctx,
                                                    const v1::ListConsentHistoryRequest* req,
                                                    v1::ListConsentHistoryResponse* resp) {
  return rpc::Handle(runtime_, "ListConsentHistory", ctx, [&](const auth::Principal& caller) {
    auto r = manager_->ListHistory(caller, *req);
    if (r.ok()) *resp = std::move(*r);
    return r.status();
  });
}

grpc::Status ConsentGrpcService::PublishNotice(grpc::ServerContext* ctx,
                                               const v1::PublishNoticeRequest* req,
                                               v1::PublishNoticeResponse* resp) {
  return rpc::Handle(runtime_, "PublishNotice", ctx, [&](const auth::Principal& caller) {
    auto r = manager_->PublishNotice(caller, *req);
    if (r.ok()) *resp = std::move(*r);
    return r.status();
  });
}

grpc::Status ConsentGrpcService::GetCurrentNotice(grpc::ServerContext* ctx,
                                                  const v1::GetCurrentNoticeRequest* req,
                                                  v1::GetCurrentNoticeResponse* resp) {
  return rpc::Handle(runtime_, "GetCurrentNotice", ctx, [&](const auth::Principal& caller) {
    auto r = manager_->GetCurrentNotice(caller, *req);
    if (r.ok()) *resp = std::move(*r);
    return r.status();
  });
}

grpc::Status ConsentGrpcService::GetPropagationStatus(grpc::ServerContext* ctx,
                                                      const v1::GetPropagationStatusRequest* req,
                                                      v1::GetPropagationStatusResponse* resp) {
  return rpc::Handle(runtime_, "GetPropagationStatus", ctx, [&](const auth::Principal& caller) {
    if (propagation_ == nullptr) {
      return absl::UnimplementedError("propagation receipts are not enabled on this server");
    }
    auto r = propagation_->GetStatus(caller, *req);
    if (r.ok()) *resp = std::move(*r);
    return r.status();
  });
}

}  // namespace advocacy::consent
