#include "grpc_upstreams.h"

#include <google/protobuf/message.h>
#include <grpcpp/impl/client_unary_call.h>
#include <grpcpp/impl/codegen/proto_utils.h>
#include <grpcpp/impl/rpc_method.h>

namespace advocacy::gateway {

absl::StatusOr<std::unique_ptr<Upstreams>> Upstreams::Connect(
    const std::map<std::string, std::string>& addresses, const grpc_tls::Settings& tls,
    const std::vector<Route>& routes) {
  auto credentials = grpc_tls::ChannelCredentials(tls);
  if (!credentials.ok()) return credentials.status();
  auto upstreams = std::make_unique<Upstreams>();
  for (const auto& [name, address] : addresses) {
    grpc::ChannelArguments args;
    args.SetInt(GRPC_ARG_KEEPALIVE_TIME_MS, 30000);
    // One channel per service for every browser: gRPC multiplexes the calls over its HTTP/2
    // connection.
    upstreams->channels_.emplace(name, grpc::CreateCustomChannel(address, *credentials, args));
  }
  for (const Route& route : routes) {
    auto channel = upstreams->channels_.find(route.upstream);
    if (channel == upstreams->channels_.end()) continue;
    auto [it, inserted] = upstreams->methods_.try_emplace(route.path);
    if (!inserted) continue;
    it->second.channel = channel->second;
    it->second.rpc = std::make_unique<grpc::internal::RpcMethod>(
        it->first.c_str(), grpc::internal::RpcMethod::NORMAL_RPC, channel->second);
  }
  return upstreams;
}

grpc::Status Upstreams::Call(const Route& route, const google::protobuf::Message& request,
                             google::protobuf::Message* response, const CallIdentity& identity,
                             std::chrono::milliseconds deadline) const {
  auto it = methods_.find(route.path);
  if (it == methods_.end()) {
    return {grpc::StatusCode::UNAVAILABLE, "no address for the " + route.upstream + " service"};
  }
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + deadline);
  if (!identity.bearer_token.empty()) {
    context.AddMetadata("authorization", "Bearer " + identity.bearer_token);
  }
  if (!identity.request_id.empty()) context.AddMetadata("x-request-id", identity.request_id);
  return grpc::internal::BlockingUnaryCall<google::protobuf::Message, google::protobuf::Message>(
      it->second.channel.get(), *it->second.rpc, &context, request, response);
}

}  // namespace advocacy::gateway
