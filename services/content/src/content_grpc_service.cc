#include "content_grpc_service.h"

namespace advocacy::content {

ContentGrpcService::ContentGrpcService(ContentManager* manager, rpc::Runtime runtime)
    : manager_(manager), runtime_(runtime) {}

grpc::Status ContentGrpcService::CreateItem(grpc::ServerContext* ctx,
                                            const v1::CreateItemRequest* req,
                                            v1::CreateItemResponse* resp) {
  return Run("CreateItem", ctx, req, resp,
             [this](const auth::Principal& p, const v1::CreateItemRequest& r) {
               return manager_->CreateItem(p, r);
             });
}

grpc::Status ContentGrpcService::SubmitItem(grpc::ServerContext* ctx,
                                            const v1::SubmitItemRequest* req,
                                            v1::SubmitItemResponse* resp) {
  return Run("SubmitItem", ctx, req, resp,
             [this](const auth::Principal& p, const v1::SubmitItemRequest& r) {
               return manager_->SubmitItem(p, r);
             });
}

grpc::Status ContentGrpcService::PublishItem(grpc::ServerContext* ctx,
                                             const v1::PublishItemRequest* req,
                                             v1::PublishItemResponse* resp) {
  return Run("PublishItem", ctx, req, resp,
             [this](const auth::Principal& p, const v1::PublishItemRequest& r) {
               return manager_->PublishItem(p, r);
             });
}

grpc::Status ContentGrpcService::ArchiveItem(grpc::ServerContext* ctx,
                                             const v1::ArchiveItemRequest* req,
                                             v1::ArchiveItemResponse* resp) {
  return Run("ArchiveItem", ctx, req, resp,
             [this](const auth::Principal& p, const v1::ArchiveItemRequest& r) {
               return manager_->ArchiveItem(p, r);
             });
}

grpc::Status ContentGrpcService::GetItem(grpc::ServerContext* ctx, const v1::GetItemRequest* req,
                                         v1::GetItemResponse* resp) {
  return Run("GetItem", ctx, req, resp,
             [this](const auth::Principal& p, const v1::GetItemRequest& r) {
               return manager_->GetItem(p, r);
             });
}

grpc::Status ContentGrpcService::ListItems(grpc::ServerContext* ctx,
                                           const v1::ListItemsRequest* req,
                                           v1::ListItemsResponse* resp) {
  return Run("ListItems", ctx, req, resp,
             [this](const auth::Principal& p, const v1::ListItemsRequest& r) {
               return manager_->ListItems(p, r);
             });
}

grpc::Status ContentGrpcService::GetTenantSettings(grpc::ServerContext* ctx,
                                                   const v1::GetTenantSettingsRequest* req,
                                                   v1::GetTenantSettingsResponse* resp) {
  return Run("GetTenantSettings", ctx, req, resp,
             [this](const auth::Principal& p, const v1::GetTenantSettingsRequest& r) {
               return manager_->GetTenantSettings(p, r);
             });
}

grpc::Status ContentGrpcService::UpdateTenantSettings(grpc::ServerContext* ctx,
                                                      const v1::UpdateTenantSettingsRequest* req,
                                                      v1::UpdateTenantSettingsResponse* resp) {
  return Run("UpdateTenantSettings", ctx, req, resp,
             [this](const auth::Principal& p, const v1::UpdateTenantSettingsRequest& r) {
               return manager_->UpdateTenantSettings(p, r);
             });
}

grpc::Status ContentGrpcService::GetFeed(grpc::ServerContext* ctx, const v1::GetFeedRequest* req,
                                         v1::GetFeedResponse* resp) {
  return Run("GetFeed", ctx, req, resp,
             [this](const auth::Principal& p, const v1::GetFeedRequest& r) {
               return manager_->GetFeed(p, r);
             });
}

grpc::Status ContentGrpcService::RecordShare(grpc::ServerContext* ctx,
                                             const v1::RecordShareRequest* req,
                                             v1::RecordShareResponse* resp) {
  return Run("RecordShare", ctx, req, resp,
             [this](const auth::Principal& p, const v1::RecordShareRequest& r) {
               return manager_->RecordShare(p, r);
             });
}

grpc::Status ContentGrpcService::ListMyShares(grpc::ServerContext* ctx,
                                              const v1::ListMySharesRequest* req,
                                              v1::ListMySharesResponse* resp) {
  return Run("ListMyShares", ctx, req, resp,
             [this](const auth::Principal& p, const v1::ListMySharesRequest& r) {
               return manager_->ListMyShares(p, r);
             });
}

grpc::Status ContentGrpcService::SetMyShareCap(grpc::ServerContext* ctx,
                                               const v1::SetMyShareCapRequest* req,
                                               v1::SetMyShareCapResponse* resp) {
  return Run("SetMyShareCap", ctx, req, resp,
             [this](const auth::Principal& p, const v1::SetMyShareCapRequest& r) {
               return manager_->SetMyShareCap(p, r);
             });
}

grpc::Status ContentGrpcService::GetMyStats(grpc::ServerContext* ctx,
                                            const v1::GetMyStatsRequest* req,
                                            v1::GetMyStatsResponse* resp) {
  return Run("GetMyStats", ctx, req, resp,
             [this](const auth::Principal& p, const v1::GetMyStatsRequest& r) {
               return manager_->GetMyStats(p, r);
             });
}

grpc::Status ContentGrpcService::GetLeaderboard(grpc::ServerContext* ctx,
                                                const v1::GetLeaderboardRequest* req,
                                                v1::GetLeaderboardResponse* resp) {
  return Run("GetLeaderboard", ctx, req, resp,
             [this](const auth::Principal& p, const v1::GetLeaderboardRequest& r) {
               return manager_->GetLeaderboard(p, r);
             });
}

grpc::Status ContentGrpcService::GetGroupStats(grpc::ServerContext* ctx,
                                               const v1::GetGroupStatsRequest* req,
                                               v1::GetGroupStatsResponse* resp) {
  return Run("GetGroupStats", ctx, req, resp,
             [this](const auth::Principal& p, const v1::GetGroupStatsRequest& r) {
               return manager_->GetGroupStats(p, r);
             });
}

}  // namespace advocacy::content
