#pragma once

// One channel to a consent service plus what every call carries. Every context it hands out has
// the deadline, `authorization: Bearer <token>` (when a token is set) and a fresh random
// `x-request-id`, so a failed call can be found in the server's logs.

#include <grpcpp/grpcpp.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <random>
#include <string>
#include <string_view>

#include "advocacy/consent/v1/consent_service.grpc.pb.h"

namespace advocacy::ctl {

struct SessionOptions {
  std::string address;  // host:port, or any gRPC target (dns:///..., unix:...).
  std::string token;    // Bare JWT; empty sends no authorization metadata.
  std::chrono::milliseconds timeout{5000};
  // The channel's credentials (grpc_tls::ChannelCredentials); null: plaintext.
  std::shared_ptr<grpc::ChannelCredentials> credentials;
};

// grpc.health.v1.HealthCheckResponse.ServingStatus.
enum class ServingStatus : int { kUnknown = 0, kServing = 1, kNotServing = 2, kServiceUnknown = 3 };
std::string_view ServingStatusName(ServingStatus status);

// "OK", "INVALID_ARGUMENT", ...: the canonical names operators grep for ("UNKNOWN" for a number
// that is no canonical code).
std::string StatusCodeName(grpc::StatusCode code);

class Session final {
 public:
  explicit Session(SessionOptions options);

  // A context for one call. The session keeps the request id for error messages.
  [[nodiscard]] std::unique_ptr<grpc::ClientContext> NewContext();
  [[nodiscard]] const std::string& last_request_id() const { return last_request_id_; }

  [[nodiscard]] consent::v1::ConsentService::Stub& consent() { return *consent_; }

  // One grpc.health.v1.Health/Check for `service` ("" is the whole server) with its own
  // deadline. With wait_for_ready the call waits for the channel to connect instead of failing
  // fast, which is what a readiness wait wants. The request and response are (de)serialized by
  // hand: Debian's gRPC ships no generated health stubs, and the message is one field.
  [[nodiscard]] grpc::Status CheckHealth(std::string_view service,
                                         std::chrono::milliseconds timeout, bool wait_for_ready,
                                         ServingStatus* status);

 private:
  [[nodiscard]] std::unique_ptr<grpc::ClientContext> NewContext(std::chrono::milliseconds timeout);

  SessionOptions options_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<consent::v1::ConsentService::Stub> consent_;
  std::mt19937_64 rng_;
  std::string last_request_id_;
};

}  // namespace advocacy::ctl
