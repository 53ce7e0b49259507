#include "notifications_grpc_service.h"

#include "advocacy/notifications/v1/notifications_service.grpc.pb.h"

namespace advocacy::notifications {

std::unique_ptr<rpc::UnaryService> NotificationsGrpcService(NotificationsManager* manager,
                                                            rpc::Runtime runtime) {
  auto service =
      std::make_unique<rpc::UnaryService>(v1::NotificationsService::service_full_name(), runtime);
  (*service)
      .Add("UpsertRecipient", manager, &NotificationsManager::UpsertRecipient)
      .Add("GetRecipient", manager, &NotificationsManager::GetRecipient)
      .Add("SetPreferences", manager, &NotificationsManager::SetPreferences)
      .Add("GetPreferences", manager, &NotificationsManager::GetPreferences)
      .Add("Trigger", manager, &NotificationsManager::Trigger)
      .Add("BulkTrigger", manager, &NotificationsManager::BulkTrigger)
      .Add("ExplainDelivery", manager, &NotificationsManager::ExplainDelivery);
  return service;
}

}  // namespace advocacy::notifications
