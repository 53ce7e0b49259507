#include "notifications_grpc_service.h"

namespace advocacy::notifications {

NotificationsGrpcService::NotificationsGrpcService(NotificationsManager* manager,
                                                   rpc::Runtime runtime)
    : manager_(manager), runtime_(runtime) {}

grpc::Status NotificationsGrpcService::UpsertRecipient(grpc::ServerContext* ctx,
                                                       const v1::UpsertRecipientRequest* req,
                                                       v1::UpsertRecipientResponse* resp) {
  return rpc::Unary(runtime_, "UpsertRecipient", ctx, req, resp, manager_,
                    &NotificationsManager::UpsertRecipient);
}

grpc::Status NotificationsGrpcService::GetRecipient(grpc::ServerContext* ctx,
                                                    const v1::GetRecipientRequest* req,
                                                    v1::GetRecipientResponse* resp) {
  return rpc::Unary(runtime_, "GetRecipient", ctx, req, resp, manager_,
                    &NotificationsManager::GetRecipient);
}

grpc::Status NotificationsGrpcService::SetPreferences(grpc::ServerContext* ctx,
                                                      const v1::SetPreferencesRequest* req,
                                                      v1::SetPreferencesResponse* resp) {
  return rpc::Unary(runtime_, "SetPreferences", ctx, req, resp, manager_,
                    &NotificationsManager::SetPreferences);
}

grpc::Status NotificationsGrpcService::GetPreferences(grpc::ServerContext* ctx,
                                                      const v1::GetPreferencesRequest* req,
                                                      v1::GetPreferencesResponse* resp) {
  return rpc::Unary(runtime_, "GetPreferences", ctx, req, resp, manager_,
                    &NotificationsManager::GetPreferences);
}

grpc::Status NotificationsGrpcService::Trigger(grpc::ServerContext* ctx,
                                               const v1::TriggerRequest* req,
                                               v1::TriggerResponse* resp) {
  return rpc::Unary(runtime_, "Trigger", ctx, req, resp, manager_, &NotificationsManager::Trigger);
}

grpc::Status NotificationsGrpcService::BulkTrigger(grpc::ServerContext* ctx,
                                                   const v1::BulkTriggerRequest* req,
                                                   v1::BulkTriggerResponse* resp) {
  return rpc::Unary(runtime_, "BulkTrigger", ctx, req, resp, manager_,
                    &NotificationsManager::BulkTrigger);
}

grpc::Status NotificationsGrpcService::ExplainDelivery(grpc::ServerContext* ctx,
                                                       const v1::ExplainDeliveryRequest* req,
                                                       v1::ExplainDeliveryResponse* resp) {
  return rpc::Unary(runtime_, "ExplainDelivery", ctx, req, resp, manager_,
                    &NotificationsManager::ExplainDelivery);
}

}  // namespace advocacy::notifications
