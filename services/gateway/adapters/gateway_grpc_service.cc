#include "gateway_grpc_service.h"

#include "advocacy/gateway/v1/gateway_service.grpc.pb.h"

namespace advocacy::gateway {

std::unique_ptr<rpc::UnaryService> GatewayGrpcService(const AllowList* allow,
                                                      rpc::Runtime runtime) {
  namespace v1 = ::advocacy::gateway::v1;
  auto service =
      std::make_unique<rpc::UnaryService>(v1::GatewayService::service_full_name(), runtime);
  service->Add<v1::ListBrowserRpcsRequest, v1::ListBrowserRpcsResponse>(
      "ListBrowserRpcs",
      [allow](const auth::Principal& caller,
              const v1::ListBrowserRpcsRequest&) -> absl::StatusOr<v1::ListBrowserRpcsResponse> {
        if (caller.role != auth::Role::kAdmin) {
          return absl::PermissionDeniedError("ListBrowserRpcs is for admins");
        }
        v1::ListBrowserRpcsResponse response;
        for (const Route& route : allow->routes()) {
          v1::BrowserRpc* rpc = response.add_rpcs();
          rpc->set_path(route.path);
          rpc->set_upstream(route.upstream);
        }
        return response;
      });
  return service;
}

}  // namespace advocacy::gateway
