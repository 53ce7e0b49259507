#pragma once

// Thin gRPC adapter: one rpc::Unary call per RPC (request id, authentication, metrics, status
// mapping) into ConsentManager or PropagationManager. No domain logic here.

#include "advocacy/common/rpc.h"
#include "advocacy/consent/v1/consent_service.grpc.pb.h"
#include "consent_manager.h"
#include "propagation_manager.h"
#include "propagation_waiter.h"

namespace advocacy::consent {

class ConsentGrpcService final : public v1::ConsentService::Service {
 public:
  // `propagation` may be null: GetPropagationStatus then answers UNIMPLEMENTED. `waiter` may be
  // null: WithdrawConsent then answers right after the commit, without propagation fields.
  ConsentGrpcService(ConsentManager* manager, rpc::Runtime runtime,
                     PropagationManager* propagation = nullptr,
                     PropagationWaiter* waiter = nullptr);

  grpc::Status GiveConsent(grpc::ServerContext* ctx, const v1::GiveConsentRequest* req,
                           v1::GiveConsentResponse* resp) override;
  grpc::Status WithdrawConsent(grpc::ServerContext* ctx, const v1::WithdrawConsentRequest* req,
                               v1::WithdrawConsentResponse* resp) override;
  grpc::Status GetConsentState(grpc::ServerContext* ctx, const v1::GetConsentStateRequest* req,
                               v1::GetConsentStateResponse* resp) override;
  grpc::Status CheckConsent(grpc::ServerContext* ctx, const v1::CheckConsentRequest* req,
                            v1::CheckConsentResponse* resp) override;
  grpc::Status BatchCheckConsent(grpc::ServerContext* ctx, const v1::BatchCheckConsentRequest* req,
                                 v1::BatchCheckConsentResponse* resp) override;
  grpc::Status ListConsentHistory(grpc::ServerContext* ctx,
                                  const v1::ListConsentHistoryRequest* req,
                                  v1::ListConsentHistoryResponse* resp) override;
  grpc::Status PublishNotice(grpc::ServerContext* ctx, const v1::PublishNoticeRequest* req,
                             v1::PublishNoticeResponse* resp) override;
  grpc::Status GetCurrentNotice(grpc::ServerContext* ctx, const v1::GetCurrentNoticeRequest* req,
                                v1::GetCurrentNoticeResponse* resp) override;
  grpc::Status GetPropagationStatus(grpc::ServerContext* ctx,
                                    const v1::GetPropagationStatusRequest* req,
                                    v1::GetPropagationStatusResponse* resp) override;

 private:
  ConsentManager* manager_;
  rpc::Runtime runtime_;
  PropagationManager* propagation_;
  PropagationWaiter* waiter_;
};

}  // namespace advocacy::consent
