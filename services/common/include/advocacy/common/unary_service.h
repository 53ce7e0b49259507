#pragma once

// The gRPC adapter of every service: a table from RPC name to the domain function that answers
// it. Each entry runs through rpc::Handle (request id, authentication, metrics, the one status
// mapping), so a service's adapter is only its table:
//
//   auto service = std::make_unique<rpc::UnaryService>(v1::ContentService::service_full_name(),
//                                                      runtime);
//   service->Add("CreateItem", manager, &ContentManager::CreateItem)
//       .Add("GetFeed", manager, &ContentManager::GetFeed);
//
// Service identities (least privilege): a principal with role `service` may call an RPC only
// when the table names the OAuth scope it needs (ServiceScope) and the principal's token
// carries it; an RPC naming none is closed to services. This comes before the domain's own
// rules (tenant, role), which still apply. People (employee, admin) are not concerned: their
// role and tenant decide. A refusal is PERMISSION_DENIED naming the RPC and the scope.
//
//   service->Add("CheckConsent", manager, &ConsentManager::Check).ServiceScope("consent:check");
//
// Verify() holds the table against the service's descriptor: every RPC the proto declares has
// an entry, every entry names an RPC of the proto, and request and response types match; the
// runtime calls it before serving, so an RPC added to the proto without a handler stops the
// service at start instead of answering UNIMPLEMENTED in production. The server model (today
// gRPC's synchronous API) lives here and in server.h only.

#include <google/protobuf/message_lite.h>
#include <grpcpp/grpcpp.h>
#include <grpcpp/impl/rpc_service_method.h>
#include <grpcpp/support/method_handler.h>

#include <deque>
#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "advocacy/common/rpc.h"

namespace advocacy::rpc {

// OK unless `caller` is a service principal whose token lacks `scope` (or `scope` is empty: the
// RPC is closed to services); then PermissionDenied naming the RPC and the scope.
absl::Status AuthorizeServiceScope(const auth::Principal& caller, std::string_view method,
                                   std::string_view scope);

class UnaryService final : public grpc::Service {
 public:
  // `full_name` as in the proto, e.g. "advocacy.consent.v1.ConsentService".
  UnaryService(std::string full_name, Runtime runtime);

  const std::string& full_name() const { return full_name_; }

  // `method` answered by `call(principal, request)` returning absl::StatusOr<Response>.
  template <typename Request, typename Response>
  UnaryService& Add(
      std::string_view method,
      std::function<absl::StatusOr<Response>(const auth::Principal&, const Request&)> call) {
    return AddWithContext<Request, Response>(
        method, [call = std::move(call)](grpc::ServerContext&, const auth::Principal& caller,
                                         const Request& request, Response* response) {
          absl::StatusOr<Response> result = call(caller, request);
          if (!result.ok()) return result.status();
          *response = *std::move(result);
          return absl::OkStatus();
        });
  }

  // `method` answered by a manager's member function.
  template <typename Manager, typename Request, typename Response>
  UnaryService& Add(std::string_view method, Manager* manager,
                    absl::StatusOr<Response> (Manager::*member)(const auth::Principal&,
                                                                const Request&)) {
    return Add<Request, Response>(
        method, [manager, member](const auth::Principal& caller, const Request& request) {
          return (manager->*member)(caller, request);
        });
  }

  // `method` answered by `call(context, principal, request, response)` returning absl::Status,
  // for the few RPCs that need the call itself (its deadline, whether the caller gave up).
  template <typename Request, typename Response>
  UnaryService& AddWithContext(
      std::string_view method,
      std::function<absl::Status(grpc::ServerContext&, const auth::Principal&, const Request&,
                                 Response*)>
          call) {
    Entry& entry =
        Register(method, Request::descriptor()->full_name(), Response::descriptor()->full_name());
    const Entry* registered = &entry;
    AddMethod(new grpc::internal::RpcServiceMethod(
        entry.path.c_str(), grpc::internal::RpcMethod::NORMAL_RPC,
        new grpc::internal::RpcMethodHandler<UnaryService, Request, Response,
                                             ::google::protobuf::MessageLite,
                                             ::google::protobuf::MessageLite>(
            [registered, call = std::move(call)](UnaryService* self, grpc::ServerContext* context,
                                                 const Request* request, Response* response) {
              return Handle(self->runtime_, registered->method, context,
                            [&](const auth::Principal& caller) {
                              if (absl::Status allowed = AuthorizeServiceScope(
                                      caller, registered->method, registered->service_scope);
                                  !allowed.ok()) {
                                return allowed;
                              }
                              return call(*context, caller, *request, response);
                            });
            },
            this)));
    return *this;
  }

  // The scope a `service` principal needs for the RPC added last (see above). Call right after
  // its Add.
  UnaryService& ServiceScope(std::string scope);

  // The scope a service needs for `method`; empty when services may not call it.
  std::string ServiceScopeOf(std::string_view method) const;

  // OK when the table covers the service's descriptor exactly (see above); otherwise
  // FailedPrecondition listing every RPC that is missing, unknown or typed differently.
  absl::Status Verify() const;

 private:
  struct Entry {
    std::string method;  // "GetFeed"
    std::string path;    // "/advocacy.content.v1.ContentService/GetFeed"
    std::string request_type;
    std::string response_type;
    std::string service_scope;  // what a `service` principal needs; empty: services refused
  };
  Entry& Register(std::string_view method, const std::string& request_type,
                  const std::string& response_type);

  std::string full_name_;
  Runtime runtime_;
  // A deque, so that the path strings gRPC keeps pointers to never move.
  std::deque<Entry> entries_;
};

}  // namespace advocacy::rpc
