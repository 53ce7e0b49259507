#include "notifications_grpc_service.h"

namespace advocacy::notifications {

NotificationsGrpcService::NotificationsGrpcService(NotificationsManager* manager,
                                                   rpc::Runtime runtime)
    : manager_(manager), runtime_(runtime) {}

grpc::Status NotificationsGrpcService::UpsertRecipient(grpc::ServerContext* ctx,
                                                       const v1::UpsertRecipientRequest* req,
                                                       v1::UpsertRecipientResponse* resp) {
  return Run("UpsertRecipient", ctx, req, resp,
             [this](const auth::Principal& p, const v1::UpsertRecipientRequest& r) {
               return manager_->UpsertRecipient(p, r);
             });
}

grpc::Status NotificationsGrpcService::GetRecipient(grpc::ServerContext* ctx,
                                                    const v1::GetRecipientRequest* req,
                                                    v1::GetRecipientResponse* resp) {
  return Run("GetRecipient", ctx, req, resp,
             [this](const auth::Principal& p, const v1::GetRecipientRequest& r) {
               return manager_->GetRecipient(p, r);
             });
}

grpc::Status NotificationsGrpcService::SetPreferences(grpc::ServerContext* ctx,
                                                      const v1::SetPreferencesRequest* req,
                                                      v1::SetPreferencesResponse* resp) {
  return Run("SetPreferences", ctx, req, resp,
             [this](const auth::Principal& p, const v1::SetPreferencesRequest& r) {
               return manager_->SetPreferences(p, r);
             });
}

grpc::Status NotificationsGrpcService::GetPreferences(grpc::ServerContext* ctx,
                                                      const v1::GetPreferencesRequest* req,
                                                      v1::GetPreferencesResponse* resp) {
  return Run("GetPreferences", ctx, req, resp,
             [this](const auth::Principal& p, const v1::GetPreferencesRequest& r) {
               return manager_->GetPreferences(p, r);
             });
}

grpc::Status NotificationsGrpcService::Trigger(grpc::ServerContext* ctx,
                                               const v1::TriggerRequest* req,
                                               v1::TriggerResponse* resp) {
  return Run("Trigger", ctx, req, resp,
             [this](const auth::Principal& p, const v1::TriggerRequest& r) {
               return manager_->Trigger(p, r);
             });
}

grpc::Status NotificationsGrpcService::BulkTrigger(grpc::ServerContext* ctx,
                                                   const v1::BulkTriggerRequest* req,
                                                   v1::BulkTriggerResponse* resp) {
  return Run("BulkTrigger", ctx, req, resp,
             [this](const auth::Principal& p, const v1::BulkTriggerRequest& r) {
               return manager_->BulkTrigger(p, r);
             });
}

grpc::Status NotificationsGrpcService::ExplainDelivery(grpc::ServerContext* ctx,
                                                       const v1::ExplainDeliveryRequest* req,
                                                       v1::ExplainDeliveryResponse* resp) {
  return Run("ExplainDelivery", ctx, req, resp,
             [this](const auth::Principal& p, const v1::ExplainDeliveryRequest& r) {
               return manager_->ExplainDelivery(p, r);
             });
}

}  // namespace advocacy::notifications
