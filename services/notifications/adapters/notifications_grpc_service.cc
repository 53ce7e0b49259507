#include "notifications_grpc_service.h"

#include "advocacy/notifications/v1/notifications_service.grpc.pb.h"

namespace advocacy::notifications {

std::unique_ptr<rpc::UnaryService> NotificationsGrpcService(NotificationsManager* manager,
                                                            rpc::Runtime runtime) {
  auto service =
      std::make_unique<rpc::UnaryService>(v1::NotificationsService::service_full_name(), runtime);
  (*service)
      .Add("UpsertRecipient", manager, &NotificationsManager::UpsertRecipient)
      .ServiceScope("notifications:write")
      .Add("GetRecipient", manager, &NotificationsManager::GetRecipient)
      .ServiceScope("notifications:read")
      .Add("SetPreferences", manager, &NotificationsManager::SetPreferences)
      .ServiceScope("notifications:write")
      .Add("GetPreferences", manager, &NotificationsManager::GetPreferences)
      .ServiceScope("notifications:read")
      .Add("Trigger", manager, &NotificationsManager::Trigger)
      .ServiceScope("notifications:write")
      .Add("BulkTrigger", manager, &NotificationsManager::BulkTrigger)
      .ServiceScope("notifications:write")
      .Add("ExplainDelivery", manager, &NotificationsManager::ExplainDelivery)
      .ServiceScope("notifications:read");
  return service;
}

}  // namespace advocacy::notifications
