#include "advocacy/common/server.h"

#include <grpcpp/ext/proto_server_reflection_plugin.h>
#include <grpcpp/health_check_service_interface.h>
#include <grpcpp/impl/server_builder_option.h>
#include <grpcpp/impl/server_builder_plugin.h>
#include <grpcpp/resource_quota.h>

#include <algorithm>
#include <csignal>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "advocacy/common/logging.h"
#include "advocacy/common/strings.h"

namespace advocacy::server {
namespace {

// The name grpc::reflection::ProtoServerReflectionPlugin::name() returns.
constexpr char kReflectionPlugin[] = "proto_server_reflection";

// Removes one plugin from a ServerBuilder (the documented ServerBuilderOption hook).
class WithoutPlugin final : public grpc::ServerBuilderOption {
 public:
  explicit WithoutPlugin(std::string name) : name_(std::move(name)) {}
  void UpdateArguments(grpc::ChannelArguments* /*args*/) override {}
  void UpdatePlugins(std::vector<std::unique_ptr<grpc::ServerBuilderPlugin>>* plugins) override {
    plugins->erase(std::remove_if(plugins->begin(), plugins->end(),
                                  [this](const auto& p) { return p->name() == name_; }),
                   plugins->end());
  }

 private:
  std::string name_;
};

}  // namespace

ServerRunner::ServerRunner(ServerOptions options, std::vector<grpc::Service*> services,
                           ReadinessProbe probe)
    : options_(std::move(options)), services_(std::move(services)), probe_(std::move(probe)) {}

ServerRunner::~ServerRunner() { Drain(); }

absl::Status ServerRunner::Start() {
  if (services_.empty()) {
    // gRPC's synchronous server does not start without a synchronous method to poll for (with
    // reflection off, the health service alone has none); a server without a service of its own
    // is a wiring mistake anyway.
    return absl::FailedPreconditionError(
        "the gRPC server has no service to serve; register the service's adapter");
  }
  // Debian's Abseil ships with deadlock detection on; every gRPC lock pays for the cycle
  // graph (about 12% of a no-op server's CPU here). Lock ordering is tested, not checked live.
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
  grpc::EnableDefaultHealthCheckService(true);
  // Linking gRPC's reflection library registers its plugin for every ServerBuilder (a static
  // initializer); a server without reflection has to take it out again.
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  grpc::ServerBuilder builder;
  if (!options_.reflection) builder.SetOption(std::make_unique<WithoutPlugin>(kReflectionPlugin));
  builder.AddListeningPort(
      options_.listen,
      options_.credentials ? options_.credentials : grpc::InsecureServerCredentials(), &port_);
  grpc::ResourceQuota quota("advocacy");
  quota.SetMaxThreads(options_.max_threads);
  builder.SetResourceQuota(quota);
  // Keep polling threads alive between calls: without a floor the sync server creates and ends
  // a thread for about every second call (measured with bench/run_consent_bench.sh: -33% CPU
  // per CheckConsent with the floor).
  builder.SetSyncServerOption(grpc::ServerBuilder::SyncServerOption::MIN_POLLERS,
                              options_.min_pollers);
  builder.SetSyncServerOption(grpc::ServerBuilder::SyncServerOption::MAX_POLLERS,
                              options_.max_threads);
  // Requests are small; a bounded message size keeps a bad client from exhausting memory.
  builder.SetMaxReceiveMessageSize(4 * 1024 * 1024);
  for (grpc::Service* s : services_) builder.RegisterService(s);
  server_ = builder.BuildAndStart();
  if (!server_ || port_ == 0) {
    return absl::UnavailableError(
        advocacy::StrCat("cannot listen for gRPC on ", options_.listen,
                         ": is the port in use? set ADVOCACY_GRPC_LISTEN"));
  }
  auto* health = server_->GetHealthCheckService();
  // The one-argument SetServingStatus would set every name, liveness too: name "" explicitly.
  health->SetServingStatus("", false);  // not ready until the first probe passes
  health->SetServingStatus(kLivenessService, true);
  live_.store(true);
  readiness_thread_ = std::thread([this] { ReadinessLoop(); });
  log::Info("gRPC server listening", {{"address", options_.listen},
                                      {"port", std::to_string(port_)},
                                      {"reflection", options_.reflection ? "on" : "off"},
                                      {"tls", options_.credentials ? "on" : "off"}});
  return absl::OkStatus();
}

void ServerRunner::ReadinessLoop() {
  bool last = false;
  bool first = true;
  while (!stopping_.load()) {
    const absl::Status st = probe_ ? probe_() : absl::OkStatus();
    const bool ready = st.ok();
    if (!stopping_.load()) {
      auto* health = server_->GetHealthCheckService();
      health->SetServingStatus("", ready);
      for (const auto& name : options_.health_service_names) health->SetServingStatus(name, ready);
      ready_.store(ready);
    }
    if (first || ready != last) {
      if (ready) {
        log::Info("ready: dependencies reachable");
      } else {
        log::Warning("not ready", {{"reason", std::string(st.message())}});
      }
    }
    first = false;
    last = ready;
    // Sleep in small steps so a drain is not held up by the probe interval.
    const auto until = std::chrono::steady_clock::now() + options_.readiness_interval;
    while (!stopping_.load() && std::chrono::steady_clock::now() < until) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
  }
}

void ServerRunner::BlockTerminationSignals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
}

void ServerRunner::WaitForSignalAndDrain() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  int sig = 0;
  sigwait(&set, &sig);
  log::Info("termination signal received, draining",
            {{"signal", sig == SIGTERM ? "SIGTERM" : "SIGINT"}});
  Drain();
}

void ServerRunner::Drain() {
  if (stopping_.exchange(true)) return;
  ready_.store(false);
  live_.store(false);
  if (readiness_thread_.joinable()) readiness_thread_.join();
  if (!server_) return;
  // Load balancers see NOT_SERVING first; in-flight RPCs then get the drain timeout to finish.
  server_->GetHealthCheckService()->Shutdown();
  server_->Shutdown(std::chrono::system_clock::now() + options_.drain_timeout);
  server_->Wait();
  log::Info("gRPC server drained");
}

}  // namespace advocacy::server
