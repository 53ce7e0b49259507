#pragma once

// Prometheus metrics of one service process, served by prometheus-cpp's pull exposer on its
// own port. Metric names are shared by every service; the `service` label tells them apart.

#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "absl/status/status.h"

namespace prometheus {
class Registry;
class Collectable;
class Exposer;
class Counter;
class Histogram;
template <typename T>
class Family;
}  // namespace prometheus

namespace advocacy::kafka {
struct Stats;
}

namespace advocacy::metrics {

class Metrics final {
 public:
  explicit Metrics(std::string service);
  ~Metrics();
  Metrics(const Metrics&) = delete;
  Metrics& operator=(const Metrics&) = delete;

  // Starts serving /metrics on "host:port". Unavailable if the port cannot be bound.
  absl::Status Serve(const std::string& listen);
  // The port actually bound (useful with port 0), or 0 before Serve.
  int port() const;

  prometheus::Registry& registry() { return *registry_; }
  const std::string& service() const { return service_; }

  // advocacy_grpc_requests_total, advocacy_grpc_errors_total{code},
  // advocacy_grpc_request_duration_seconds. Thread-safe.
  void RecordRpc(std::string_view method, std::string_view code, std::chrono::nanoseconds elapsed);

  // Exports the counters of a Kafka client under advocacy_kafka_*; `role` tells producer and
  // consumer apart. `stats` must outlive this object.
  void ExportKafkaStats(std::string role, const kafka::Stats* stats);

 private:
  struct RpcSeries {
    prometheus::Counter* requests;
    prometheus::Histogram* latency;
  };
  RpcSeries& SeriesFor(std::string_view method);

  std::string service_;
  std::shared_ptr<prometheus::Registry> registry_;
  std::unique_ptr<prometheus::Exposer> exposer_;
  prometheus::Family<prometheus::Counter>* requests_;
  prometheus::Family<prometheus::Counter>* errors_;
  prometheus::Family<prometheus::Histogram>* latency_;
  std::mutex mu_;
  std::unordered_map<std::string, RpcSeries> series_;
  std::unordered_map<std::string, prometheus::Counter*> error_series_;
  std::vector<std::shared_ptr<prometheus::Collectable>> registry_collectables_;
};

}  // namespace advocacy::metrics
