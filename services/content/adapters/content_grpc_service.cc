#include "content_grpc_service.h"

#include "advocacy/content/v1/content_service.grpc.pb.h"

namespace advocacy::content {

std::unique_ptr<rpc::UnaryService> ContentGrpcService(ContentManager* manager,
                                                      rpc::Runtime runtime) {
  auto service =
      std::make_unique<rpc::UnaryService>(v1::ContentService::service_full_name(), runtime);
  (*service)
      .Add("CreateItem", manager, &ContentManager::CreateItem)
      .ServiceScope("content:write")
      .Add("SubmitItem", manager, &ContentManager::SubmitItem)
      .ServiceScope("content:write")
      .Add("PublishItem", manager, &ContentManager::PublishItem)
      .ServiceScope("content:write")
      .Add("ArchiveItem", manager, &ContentManager::ArchiveItem)
      .ServiceScope("content:write")
      .Add("GetItem", manager, &ContentManager::GetItem)
      .ServiceScope("content:read")
      .Add("ListItems", manager, &ContentManager::ListItems)
      .ServiceScope("content:read")
      .Add("GetTenantSettings", manager, &ContentManager::GetTenantSettings)
      .ServiceScope("content:read")
      .Add("UpdateTenantSettings", manager, &ContentManager::UpdateTenantSettings)
      .ServiceScope("content:write")
      .Add("GetFeed", manager, &ContentManager::GetFeed)
      .ServiceScope("content:read")
      .Add("RecordShare", manager, &ContentManager::RecordShare)
      .ServiceScope("content:write")
      .Add("PreviewShare", manager, &ContentManager::PreviewShare)
      .ServiceScope("content:read")
      .Add("ListMyShares", manager, &ContentManager::ListMyShares)
      .ServiceScope("content:read")
      .Add("SetMyShareCap", manager, &ContentManager::SetMyShareCap)
      .Add("GetMySharingLimits", manager, &ContentManager::GetMySharingLimits)
      .ServiceScope("content:write")
      .Add("GetMyStats", manager, &ContentManager::GetMyStats)
      .ServiceScope("content:read")
      .Add("GetLeaderboard", manager, &ContentManager::GetLeaderboard)
      .ServiceScope("content:read")
      .Add("GetGroupStats", manager, &ContentManager::GetGroupStats)
      .ServiceScope("content:read");
  return service;
}

}  // namespace advocacy::content
