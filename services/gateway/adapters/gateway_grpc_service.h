#pragma once

// The gateway's own gRPC API (proto/advocacy/gateway/v1/gateway_service.proto), on the shared
// rpc::UnaryService table: ListBrowserRpcs, for admins only (employees and service identities
// get PERMISSION_DENIED).

#include <memory>

#include "advocacy/common/unary_service.h"
#include "allow_list.h"

namespace advocacy::gateway {

std::unique_ptr<rpc::UnaryService> GatewayGrpcService(const AllowList* allow, rpc::Runtime runtime);

}  // namespace advocacy::gateway
