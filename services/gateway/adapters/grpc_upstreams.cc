#include "grpc_upstreams.h"

#include <google/protobuf/message.h>
#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/impl/codegen/proto_utils.h>

#include <future>

namespace advocacy::gateway {

absl::StatusOr<std::unique_ptr<Upstreams>> Upstreams::Connect(
    const std::map<std::string, std::string>& addresses, const grpc_tls::Settings& tls) {
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
  return upstreams;
}

grpc::Status Upstreams::Call(const Route& route, const google::protobuf::Message& request,
                             google::protobuf::Message* response, const CallIdentity& identity,
                             std::chrono::milliseconds deadline) const {
  auto it = channels_.find(route.upstream);
  if (it == channels_.end()) {
    return {grpc::StatusCode::UNAVAILABLE, "no address for the " + route.upstream + " service"};
  }
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + deadline);
  if (!identity.bearer_token.empty()) {
    context.AddMetadata("authorization", "Bearer " + identity.bearer_token);
  }
  if (!identity.request_id.empty()) context.AddMetadata("x-request-id", identity.request_id);
  grpc::TemplatedGenericStub<google::protobuf::Message, google::protobuf::Message> stub(it->second);
  std::promise<grpc::Status> done;
  stub.UnaryCall(&context, route.path, grpc::StubOptions(), &request, response,
                 [&done](grpc::Status status) { done.set_value(std::move(status)); });
  return done.get_future().get();
}

}  // namespace advocacy::gateway
