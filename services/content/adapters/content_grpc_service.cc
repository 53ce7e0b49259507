#include "content_grpc_service.h"

namespace advocacy::content {

ContentGrpcService::ContentGrpcService(ContentManager* manager, rpc::Runtime runtime)
    : manager_(manager), runtime_(runtime) {}

grpc::Status ContentGrpcService::CreateItem(grpc::ServerContext* ctx,
                                            const v1::CreateItemRequest* req,
                                            v1::CreateItemResponse* resp) {
  return rpc::Unary(runtime_, "CreateItem", ctx, req, resp, manager_, &ContentManager::CreateItem);
}

grpc::Status ContentGrpcService::SubmitItem(grpc::ServerContext* ctx,
                                            const v1::SubmitItemRequest* req,
                                            v1::SubmitItemResponse* resp) {
  return rpc::Unary(runtime_, "SubmitItem", ctx, req, resp, manager_, &ContentManager::SubmitItem);
}

grpc::Status ContentGrpcService::PublishItem(grpc::ServerContext* ctx,
                                             const v1::PublishItemRequest* req,
                                             v1::PublishItemResponse* resp) {
  return rpc::Unary(runtime_, "PublishItem", ctx, req, resp, manager_,
                    &ContentManager::PublishItem);
}

grpc::Status ContentGrpcService::ArchiveItem(grpc::ServerContext* ctx,
                                             const v1::ArchiveItemRequest* req,
                                             v1::ArchiveItemResponse* resp) {
  return rpc::Unary(runtime_, "ArchiveItem", ctx, req, resp, manager_,
                    &ContentManager::ArchiveItem);
}

grpc::Status ContentGrpcService::GetItem(grpc::ServerContext* ctx, const v1::GetItemRequest* req,
                                         v1::GetItemResponse* resp) {
  return rpc::Unary(runtime_, "GetItem", ctx, req, resp, manager_, &ContentManager::GetItem);
}

grpc::Status ContentGrpcService::ListItems(grpc::ServerContext* ctx,
                                           const v1::ListItemsRequest* req,
                                           v1::ListItemsResponse* resp) {
  return rpc::Unary(runtime_, "ListItems", ctx, req, resp, manager_, &ContentManager::ListItems);
}

grpc::Status ContentGrpcService::GetTenantSettings(grpc::ServerContext* ctx,
                                                   const v1::GetTenantSettingsRequest* req,
                                                   v1::GetTenantSettingsResponse* resp) {
  return rpc::Unary(runtime_, "GetTenantSettings", ctx, req, resp, manager_,
                    &ContentManager::GetTenantSettings);
}

grpc::Status ContentGrpcService::UpdateTenantSettings(grpc::ServerContext* ctx,
                                                      const v1::UpdateTenantSettingsRequest* req,
                                                      v1::UpdateTenantSettingsResponse* resp) {
  return rpc::Unary(runtime_, "UpdateTenantSettings", ctx, req, resp, manager_,
                    &ContentManager::UpdateTenantSettings);
}

grpc::Status ContentGrpcService::GetFeed(grpc::ServerContext* ctx, const v1::GetFeedRequest* req,
                                         v1::GetFeedResponse* resp) {
  return rpc::Unary(runtime_, "GetFeed", ctx, req, resp, manager_, &ContentManager::GetFeed);
}

grpc::Status ContentGrpcService::RecordShare(grpc::ServerContext* ctx,
                                             const v1::RecordShareRequest* req,
                                             v1::RecordShareResponse* resp) {
  return rpc::Unary(runtime_, "RecordShare", ctx, req, resp, manager_,
                    &ContentManager::RecordShare);
}

grpc::Status ContentGrpcService::ListMyShares(grpc::ServerContext* ctx,
                                              const v1::ListMySharesRequest* req,
                                              v1::ListMySharesResponse* resp) {
  return rpc::Unary(runtime_, "ListMyShares", ctx, req, resp, manager_,
                    &ContentManager::ListMyShares);
}

grpc::Status ContentGrpcService::SetMyShareCap(grpc::ServerContext* ctx,
                                               const v1::SetMyShareCapRequest* req,
                                               v1::SetMyShareCapResponse* resp) {
  return rpc::Unary(runtime_, "SetMyShareCap", ctx, req, resp, manager_,
                    &ContentManager::SetMyShareCap);
}

grpc::Status ContentGrpcService::GetMyStats(grpc::ServerContext* ctx,
                                            const v1::GetMyStatsRequest* req,
                                            v1::GetMyStatsResponse* resp) {
  return rpc::Unary(runtime_, "GetMyStats", ctx, req, resp, manager_, &ContentManager::GetMyStats);
}

grpc::Status ContentGrpcService::GetLeaderboard(grpc::ServerContext* ctx,
                                                const v1::GetLeaderboardRequest* req,
                                                v1::GetLeaderboardResponse* resp) {
  return rpc::Unary(runtime_, "GetLeaderboard", ctx, req, resp, manager_,
                    &ContentManager::GetLeaderboard);
}

grpc::Status ContentGrpcService::GetGroupStats(grpc::ServerContext* ctx,
                                               const v1::GetGroupStatsRequest* req,
                                               v1::GetGroupStatsResponse* resp) {
  return rpc::Unary(runtime_, "GetGroupStats", ctx, req, resp, manager_,
                    &ContentManager::GetGroupStats);
}

}  // namespace advocacy::content
