#include "content_grpc_service.h"

#include "advocacy/content/v1/content_service.grpc.pb.h"

namespace advocacy::content {

std::unique_ptr<rpc::UnaryService> ContentGrpcService(ContentManager* manager,
                                                      rpc::Runtime runtime) {
  auto service =
      std::make_unique<rpc::UnaryService>(v1::ContentService::service_full_name(), runtime);
  (*service)
      .Add("CreateItem", manager, &ContentManager::CreateItem)
      .Add("SubmitItem", manager, &ContentManager::SubmitItem)
      .Add("PublishItem", manager, &ContentManager::PublishItem)
      .Add("ArchiveItem", manager, &ContentManager::ArchiveItem)
      .Add("GetItem", manager, &ContentManager::GetItem)
      .Add("ListItems", manager, &ContentManager::ListItems)
      .Add("GetTenantSettings", manager, &ContentManager::GetTenantSettings)
      .Add("UpdateTenantSettings", manager, &ContentManager::UpdateTenantSettings)
      .Add("GetFeed", manager, &ContentManager::GetFeed)
      .Add("RecordShare", manager, &ContentManager::RecordShare)
      .Add("ListMyShares", manager, &ContentManager::ListMyShares)
      .Add("SetMyShareCap", manager, &ContentManager::SetMyShareCap)
      .Add("GetMyStats", manager, &ContentManager::GetMyStats)
      .Add("GetLeaderboard", manager, &ContentManager::GetLeaderboard)
      .Add("GetGroupStats", manager, &ContentManager::GetGroupStats);
  return service;
}

}  // namespace advocacy::content
