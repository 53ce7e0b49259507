#pragma once

// The gRPC edge of the content service: proto in, ContentManager, proto out. Every RPC is one
// rpc::Unary call (request id, authentication, metrics, status mapping).

#include "advocacy/common/rpc.h"
#include "advocacy/content/v1/content_service.grpc.pb.h"
#include "content_manager.h"

namespace advocacy::content {

class ContentGrpcService final : public v1::ContentService::Service {
 public:
  ContentGrpcService(ContentManager* manager, rpc::Runtime runtime);
  grpc::Status CreateItem(grpc::ServerContext* ctx, const v1::CreateItemRequest* req,
                          v1::CreateItemResponse* resp) override;
  grpc::Status SubmitItem(grpc::ServerContext* ctx, const v1::SubmitItemRequest* req,
                          v1::SubmitItemResponse* resp) override;
  grpc::Status PublishItem(grpc::ServerContext* ctx, const v1::PublishItemRequest* req,
                           v1::PublishItemResponse* resp) override;
  grpc::Status ArchiveItem(grpc::ServerContext* ctx, const v1::ArchiveItemRequest* req,
                           v1::ArchiveItemResponse* resp) override;
  grpc::Status GetItem(grpc::ServerContext* ctx, const v1::GetItemRequest* req,
                       v1::GetItemResponse* resp) override;
  grpc::Status ListItems(grpc::ServerContext* ctx, const v1::ListItemsRequest* req,
                         v1::ListItemsResponse* resp) override;
  grpc::Status GetTenantSettings(grpc::ServerContext* ctx, const v1::GetTenantSettingsRequest* req,
                                 v1::GetTenantSettingsResponse* resp) override;
  grpc::Status UpdateTenantSettings(grpc::ServerContext* ctx,
                                    const v1::UpdateTenantSettingsRequest* req,
                                    v1::UpdateTenantSettingsResponse* resp) override;
  grpc::Status GetFeed(grpc::ServerContext* ctx, const v1::GetFeedRequest* req,
                       v1::GetFeedResponse* resp) override;
  grpc::Status RecordShare(grpc::ServerContext* ctx, const v1::RecordShareRequest* req,
                           v1::RecordShareResponse* resp) override;
  grpc::Status ListMyShares(grpc::ServerContext* ctx, const v1::ListMySharesRequest* req,
                            v1::ListMySharesResponse* resp) override;
  grpc::Status SetMyShareCap(grpc::ServerContext* ctx, const v1::SetMyShareCapRequest* req,
                             v1::SetMyShareCapResponse* resp) override;
  grpc::Status GetMyStats(grpc::ServerContext* ctx, const v1::GetMyStatsRequest* req,
                          v1::GetMyStatsResponse* resp) override;
  grpc::Status GetLeaderboard(grpc::ServerContext* ctx, const v1::GetLeaderboardRequest* req,
                              v1::GetLeaderboardResponse* resp) override;
  grpc::Status GetGroupStats(grpc::ServerContext* ctx, const v1::GetGroupStatsRequest* req,
                             v1::GetGroupStatsResponse* resp) override;

 private:
  ContentManager* manager_;
  rpc::Runtime runtime_;
};

}  // namespace advocacy::content
