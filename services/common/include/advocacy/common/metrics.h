#pragma once

// Prometheus metrics of one service process, served by prometheus-cpp's pull exposer on its
// own port. Metric names are shared by every service; the `service` label tells them apart.
//
// The exposition is valid text format (`promtool check metrics` passes): every family name
// appears once, with one HELP and one TYPE line, however many sources contribute to it. The
// exposer serves a single collectable that merges the registry and the Kafka counters by name;
// a Kafka client's role (producer, consumer) is a label of the shared family, never a family
// of its own.

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

class KafkaStatsCollectable;

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

  // Exports the counters of a Kafka client under advocacy_kafka_* with labels `service` and
  // `role` (producer, consumer): one family per name, one series per role. Stats exported twice
  // under one role are added up into that role's series (broker_up: 1 if any is up), so a
  // series never appears twice. `stats` must outlive this object. Thread-safe; may be called
  // before or after Serve.
  void ExportKafkaStats(std::string role, const kafka::Stats* stats);

  // The text a scrape of /metrics returns (the same merge the exposer serves), for tests.
  std::string Exposition() const;

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
  std::shared_ptr<KafkaStatsCollectable> kafka_;
  // The registry and kafka_ merged by family name: the one collectable the exposer serves.
  std::shared_ptr<prometheus::Collectable> exposition_;
};

}  // namespace advocacy::metrics
