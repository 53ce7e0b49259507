#pragma once

// The gRPC edge of the content service: a table from each RPC of advocacy.content.v1.ContentService
// to the domain function that answers it (rpc::UnaryService: request id, authentication, metrics
// and the one status mapping for all of them; the table is checked against the proto before
// serving).

#include <memory>

#include "advocacy/common/unary_service.h"
#include "content_manager.h"

namespace advocacy::content {

std::unique_ptr<rpc::UnaryService> ContentGrpcService(ContentManager* manager,
                                                      rpc::Runtime runtime);

}  // namespace advocacy::content
