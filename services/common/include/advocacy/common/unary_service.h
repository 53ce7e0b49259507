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
    const std::string* name = &entry.method;
    AddMethod(new grpc::internal::RpcServiceMethod(
        entry.path.c_str(), grpc::internal::RpcMethod::NORMAL_RPC,
        new grpc::internal::RpcMethodHandler<UnaryService, Request, Response,
                                             ::google::protobuf::MessageLite,
                                             ::google::protobuf::MessageLite>(
            [name, call = std::move(call)](UnaryService* self, grpc::ServerContext* context,
                                           const Request* request, Response* response) {
              return Handle(self->runtime_, *name, context, [&](const auth::Principal& caller) {
                return call(*context, caller, *request, response);
              });
            },
            this)));
    return *this;
  }

  // OK when the table covers the service's descriptor exactly (see above); otherwise
  // FailedPrecondition listing every RPC that is missing, unknown or typed differently.
  absl::Status Verify() const;

 private:
  struct Entry {
    std::string method;  // "GetFeed"
    std::string path;    // "/advocacy.content.v1.ContentService/GetFeed"
    std::string request_type;
    std::string response_type;
  };
  Entry& Register(std::string_view method, const std::string& request_type,
                  const std::string& response_type);

  std::string full_name_;
  Runtime runtime_;
  // A deque, so that the path strings gRPC keeps pointers to never move.
  std::deque<Entry> entries_;
};

}  // namespace advocacy::rpc
