#pragma once

// Runs a gRPC server the same way in every service: the standard health service whose
// readiness follows the service's real dependencies, server reflection only when configured,
// bounded threads, and a graceful drain on SIGTERM/SIGINT.

#include <grpcpp/grpcpp.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"

namespace advocacy::server {

// A health service name that does not depend on Redis or Kafka: SERVING from the moment the
// server listens until the drain starts. For liveness probes: a dependency outage takes a pod
// out of its Service (readiness, "") but must not restart every replica, while a process that no
// longer answers gRPC at all must be restarted.
inline constexpr char kLivenessService[] = "liveness";

struct ServerOptions {
  std::string listen;  // host:port; port 0 picks a free one
  int max_threads = 128;
  int min_pollers = 4;
  std::chrono::milliseconds drain_timeout{10000};
  std::chrono::milliseconds readiness_interval{1000};
  // Service names to report in the health service besides "" (the whole server) and
  // kLivenessService. They follow readiness.
  std::vector<std::string> health_service_names;
  // gRPC server reflection (ADVOCACY_GRPC_REFLECTION). Off: the server does not describe its
  // API to whoever reaches the port (an attacker's map of every RPC and message); tools such as
  // buf curl then need the protos. On in the local stack.
  bool reflection = false;
  // The listening port's credentials (grpc_tls::ServerCredentials); null: plaintext.
  std::shared_ptr<grpc::ServerCredentials> credentials;
};

// Returns OK when every dependency the service needs is reachable.
using ReadinessProbe = std::function<absl::Status()>;

class ServerRunner final {
 public:
  ServerRunner(ServerOptions options, std::vector<grpc::Service*> services, ReadinessProbe probe);
  ~ServerRunner();
  ServerRunner(const ServerRunner&) = delete;
  ServerRunner& operator=(const ServerRunner&) = delete;

  // Binds and starts serving. Unavailable if the address cannot be bound; FailedPrecondition
  // without a service.
  absl::Status Start();
  int port() const { return port_; }
  // What the health service reports for "" (readiness) and kLivenessService, for the plain-HTTP
  // probe endpoint (ServiceRuntime, ADVOCACY_HEALTH_LISTEN). Thread-safe.
  bool ready() const { return ready_.load(); }
  bool live() const { return live_.load(); }

  // Blocks SIGTERM/SIGINT in the calling thread (call before starting other threads) so that
  // WaitForSignalAndDrain can receive them with sigwait.
  static void BlockTerminationSignals();
  // Waits for SIGTERM or SIGINT, then reports NOT_SERVING, lets in-flight RPCs finish within
  // the drain timeout, and shuts the server down.
  void WaitForSignalAndDrain();
  // The same drain, triggered by code (tests).
  void Drain();

 private:
  void ReadinessLoop();

  ServerOptions options_;
  std::vector<grpc::Service*> services_;
  ReadinessProbe probe_;
  std::unique_ptr<grpc::Server> server_;
  int port_ = 0;
  std::atomic<bool> stopping_{false};
  std::atomic<bool> ready_{false};
  std::atomic<bool> live_{false};
  std::thread readiness_thread_;
};

}  // namespace advocacy::server
