#pragma once

// The gRPC edge of the notifications service: proto in, NotificationsManager, proto out. Every
// RPC is one rpc::Unary call (request id, authentication, metrics, status mapping).

#include "advocacy/common/rpc.h"
#include "advocacy/notifications/v1/notifications_service.grpc.pb.h"
#include "notifications_manager.h"

namespace advocacy::notifications {

class NotificationsGrpcService final : public v1::NotificationsService::Service {
 public:
  NotificationsGrpcService(NotificationsManager* manager, rpc::Runtime runtime);

  grpc::Status UpsertRecipient(grpc::ServerContext* ctx, const v1::UpsertRecipientRequest* req,
                               v1::UpsertRecipientResponse* resp) override;
  grpc::Status GetRecipient(grpc::ServerContext* ctx, const v1::GetRecipientRequest* req,
                            v1::GetRecipientResponse* resp) override;
  grpc::Status SetPreferences(grpc::ServerContext* ctx, const v1::SetPreferencesRequest* req,
                              v1::SetPreferencesResponse* resp) override;
  grpc::Status GetPreferences(grpc::ServerContext* ctx, const v1::GetPreferencesRequest* req,
                              v1::GetPreferencesResponse* resp) override;
  grpc::Status Trigger(grpc::ServerContext* ctx, const v1::TriggerRequest* req,
                       v1::TriggerResponse* resp) override;
  grpc::Status BulkTrigger(grpc::ServerContext* ctx, const v1::BulkTriggerRequest* req,
                           v1::BulkTriggerResponse* resp) override;
  grpc::Status ExplainDelivery(grpc::ServerContext* ctx, const v1::ExplainDeliveryRequest* req,
                               v1::ExplainDeliveryResponse* resp) override;

 private:
  NotificationsManager* manager_;
  rpc::Runtime runtime_;
};

}  // namespace advocacy::notifications
