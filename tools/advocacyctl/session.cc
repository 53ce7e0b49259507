#include "session.h"

#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/io/zero_copy_stream_impl_lite.h>
#include <grpcpp/generic/generic_stub.h>

#include <future>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "advocacy/common/strings.h"

namespace advocacy::ctl {
namespace {

// Protobuf wire tags, (field_number << 3) | wire_type, spelled out so this file needs nothing
// from protobuf's internal namespace.
constexpr uint32_t kWireVarint = 0;
constexpr uint32_t kWireFixed64 = 1;
constexpr uint32_t kWireLengthDelimited = 2;
constexpr uint32_t kWireFixed32 = 5;
constexpr uint32_t kRequestServiceTag = (1 << 3) | kWireLengthDelimited;
constexpr uint32_t kResponseStatusTag = (1 << 3) | kWireVarint;

// HealthCheckRequest { string service = 1; }. An empty service is the default value, which
// proto3 leaves out: the encoding is then zero bytes.
std::string EncodeHealthCheckRequest(std::string_view service) {
  std::string out;
  if (service.empty()) return out;
  {
    google::protobuf::io::StringOutputStream raw(&out);
    google::protobuf::io::CodedOutputStream coded(&raw);
    coded.WriteTag(kRequestServiceTag);
    coded.WriteVarint32(static_cast<uint32_t>(service.size()));
    coded.WriteRaw(service.data(), static_cast<int>(service.size()));
  }  // The streams flush into `out` when they go out of scope.
  return out;
}

// HealthCheckResponse { ServingStatus status = 1; }. Unknown fields are skipped, as any
// protobuf parser would; groups (long deprecated) are treated as malformed.
bool DecodeHealthCheckResponse(const std::string& bytes, ServingStatus* status) {
  google::protobuf::io::CodedInputStream in(reinterpret_cast<const uint8_t*>(bytes.data()),
                                            static_cast<int>(bytes.size()));
  *status = ServingStatus::kUnknown;
  while (true) {
    const uint32_t tag = in.ReadTag();
    if (tag == 0) return in.ConsumedEntireMessage();  // false on a zero tag mid-message
    if (tag == kResponseStatusTag) {
      uint32_t value = 0;
      if (!in.ReadVarint32(&value)) return false;
      *status = static_cast<ServingStatus>(value);
      continue;
    }
    bool ok = false;
    switch (tag & 7) {
      case kWireVarint: {
        uint64_t ignored = 0;
        ok = in.ReadVarint64(&ignored);
        break;
      }
      case kWireFixed64:
        ok = in.Skip(8);
        break;
      case kWireLengthDelimited: {
        uint32_t length = 0;
        ok =
            in.ReadVarint32(&length) && length <= bytes.size() && in.Skip(static_cast<int>(length));
        break;
      }
      case kWireFixed32:
        ok = in.Skip(4);
        break;
      default:
        ok = false;
    }
    if (!ok) return false;
  }
}

// gRPC's default reconnect backoff grows to minutes; a CLI that waits for a service to come up
// should notice within a second that it has.
grpc::ChannelArguments ChannelArgs() {
  grpc::ChannelArguments args;
  args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, 100);
  args.SetInt(GRPC_ARG_MIN_RECONNECT_BACKOFF_MS, 100);
  args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, 1000);
  return args;
}

}  // namespace

std::string_view ServingStatusName(ServingStatus status) {
  switch (status) {
    case ServingStatus::kUnknown:
      return "UNKNOWN";
    case ServingStatus::kServing:
      return "SERVING";
    case ServingStatus::kNotServing:
      return "NOT_SERVING";
    case ServingStatus::kServiceUnknown:
      return "SERVICE_UNKNOWN";
  }
  return "UNKNOWN";
}

std::string StatusCodeName(grpc::StatusCode code) {
  // gRPC and absl share the canonical code numbering; absl names unknown numbers "".
  std::string name = absl::StatusCodeToString(static_cast<absl::StatusCode>(code));
  return name.empty() ? "UNKNOWN" : name;
}

Session::Session(SessionOptions options)
    : options_(std::move(options)),
      channel_(grpc::CreateCustomChannel(
          options_.address,
          options_.credentials ? options_.credentials : grpc::InsecureChannelCredentials(),
          ChannelArgs())),
      consent_(consent::v1::ConsentService::NewStub(channel_)),
      rng_(std::random_device{}()) {}

std::unique_ptr<grpc::ClientContext> Session::NewContext() { return NewContext(options_.timeout); }

std::unique_ptr<grpc::ClientContext> Session::NewContext(std::chrono::milliseconds timeout) {
  auto context = std::make_unique<grpc::ClientContext>();
  context->set_deadline(std::chrono::system_clock::now() + timeout);
  if (!options_.token.empty()) {
    context->AddMetadata("authorization", StrCat("Bearer ", options_.token));
  }
  constexpr std::string_view kHex = "0123456789abcdef";
  std::string id;
  for (int i = 0; i < 2; ++i) {
    uint64_t bits = rng_();
    for (int j = 0; j < 16; ++j, bits >>= 4) id += kHex[bits & 0xf];
  }
  context->AddMetadata("x-request-id", id);
  last_request_id_ = std::move(id);
  return context;
}

grpc::Status Session::CheckHealth(std::string_view service, std::chrono::milliseconds timeout,
                                  bool wait_for_ready, ServingStatus* status) {
  auto context = NewContext(timeout);
  context->set_wait_for_ready(wait_for_ready);

  grpc::Slice request_slice(EncodeHealthCheckRequest(service));
  grpc::ByteBuffer request(&request_slice, 1);
  grpc::ByteBuffer response;
  grpc::GenericStub stub(channel_);
  std::promise<grpc::Status> done;
  stub.UnaryCall(context.get(), "/grpc.health.v1.Health/Check", grpc::StubOptions(), &request,
                 &response, [&done](grpc::Status s) { done.set_value(std::move(s)); });
  grpc::Status result = done.get_future().get();
  if (!result.ok()) return result;

  std::vector<grpc::Slice> slices;
  if (!response.Dump(&slices).ok()) {
    return {grpc::StatusCode::INTERNAL, "could not read the health check response"};
  }
  std::string bytes;
  for (const grpc::Slice& s : slices) {
    bytes.append(reinterpret_cast<const char*>(s.begin()), s.size());
  }
  if (!DecodeHealthCheckResponse(bytes, status)) {
    return {grpc::StatusCode::INTERNAL,
            "the server's health check response is not a valid HealthCheckResponse"};
  }
  return grpc::Status::OK;
}

}  // namespace advocacy::ctl
