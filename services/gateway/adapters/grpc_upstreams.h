#pragma once

// The four services behind the gateway, called over gRPC with generic unary calls: the route's
// method path, the decoded request message, and the caller's identity. One channel per service,
// with the runtime's TLS settings (mutual TLS with the gateway's own certificate when configured)
// and keep-alive.
//
// What a call carries to the service, and nothing else: `authorization` (the caller's bearer
// token; the service verifies it and decides what the caller may do) and `x-request-id`. No other
// header of the browser's request is forwarded.

#include <grpcpp/grpcpp.h>

#include <chrono>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "advocacy/common/grpc_tls.h"
#include "allow_list.h"

namespace google::protobuf {
class Message;
}

namespace advocacy::gateway {

struct CallIdentity {
  std::string bearer_token;  // without "Bearer "; empty: the call carries no authorization
  std::string request_id;
};

class Upstreams {
 public:
  // One channel per name of `addresses` (host:port); none connects until the first call. Every
  // route of `routes` whose upstream has an address is registered on its channel once (gRPC
  // then skips interning the method path on each call). Errors are grpc_tls::ChannelCredentials'
  // (unreadable certificate files).
  static absl::StatusOr<std::unique_ptr<Upstreams>> Connect(
      const std::map<std::string, std::string>& addresses, const grpc_tls::Settings& tls,
      const std::vector<Route>& routes);

  // Calls `route` on its upstream and waits for the answer (at most `deadline`), on the calling
  // thread: gRPC's blocking unary call drives the completion on this thread, so no other thread
  // has to wake it. A route that was not registered (its upstream has no address: a
  // configuration error caught at start by main) is UNAVAILABLE.
  grpc::Status Call(const Route& route, const google::protobuf::Message& request,
                    google::protobuf::Message* response, const CallIdentity& identity,
                    std::chrono::milliseconds deadline) const;

 private:
  struct Method {
    std::shared_ptr<grpc::Channel> channel;
    std::unique_ptr<grpc::internal::RpcMethod> rpc;  // names the map's key, which stays put
  };
  std::map<std::string, std::shared_ptr<grpc::Channel>, std::less<>> channels_;
  std::map<std::string, Method, std::less<>> methods_;  // by route path
};

}  // namespace advocacy::gateway
