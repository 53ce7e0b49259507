#pragma once

// The four services behind the gateway, called over gRPC with generic stubs: the route's method
// path, the decoded request message, and the caller's identity. One channel per service, with
// the runtime's TLS settings (mutual TLS with the gateway's own certificate when configured) and
// keep-alive.
//
// What a call carries to the service, and nothing else: `authorization` (the caller's bearer
// token; the service verifies it and decides what the caller may do) and `x-request-id`. No other
// header of the browser's request is forwarded.

#include <grpcpp/grpcpp.h>

#include <chrono>
#include <map>
#include <memory>
#include <string>

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
  // One channel per name of `addresses` (host:port); none connects until the first call.
  // Errors are grpc_tls::ChannelCredentials' (unreadable certificate files).
  static absl::StatusOr<std::unique_ptr<Upstreams>> Connect(
      const std::map<std::string, std::string>& addresses, const grpc_tls::Settings& tls);

  // Calls `route` on its upstream and waits for the answer (at most `deadline`). A route whose
  // upstream has no address is UNAVAILABLE (a configuration error caught at start by main).
  grpc::Status Call(const Route& route, const google::protobuf::Message& request,
                    google::protobuf::Message* response, const CallIdentity& identity,
                    std::chrono::milliseconds deadline) const;

 private:
  std::map<std::string, std::shared_ptr<grpc::Channel>, std::less<>> channels_;
};

}  // namespace advocacy::gateway
