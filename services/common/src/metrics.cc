#include "advocacy/common/metrics.h"

#include <prometheus/collectable.h>
#include <prometheus/counter.h>
#include <prometheus/exposer.h>
#include <prometheus/family.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include <exception>
#include <vector>

#include "advocacy/common/kafka.h"
#include "advocacy/common/strings.h"

namespace advocacy::metrics {
namespace {

// Latency buckets from 100 µs to 5 s: consent checks live in the sub-millisecond range.
const prometheus::Histogram::BucketBoundaries& LatencyBuckets() {
  static const prometheus::Histogram::BucketBoundaries kBuckets = {
      0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5};
  return kBuckets;
}

// Bridges the atomic counters of a Kafka client into scrapes without a polling thread.
class KafkaStatsCollectable final : public prometheus::Collectable {
 public:
  KafkaStatsCollectable(std::string service, std::string role, const kafka::Stats* stats)
      : service_(std::move(service)), role_(std::move(role)), stats_(stats) {}

  std::vector<prometheus::MetricFamily> Collect() const override {
    std::vector<prometheus::MetricFamily> out;
    auto add = [&](const char* name, const char* help, prometheus::MetricType type, double value) {
      prometheus::MetricFamily f;
      f.name = name;
      f.help = help;
      f.type = type;
      prometheus::ClientMetric m;
      m.label = {{"service", service_}, {"role", role_}};
      if (type == prometheus::MetricType::Counter) {
        m.counter.value = value;
      } else {
        m.gauge.value = value;
      }
      f.metric.push_back(std::move(m));
      out.push_back(std::move(f));
    };
    using T = prometheus::MetricType;
    add("advocacy_kafka_produced_total", "Messages acknowledged by the broker.", T::Counter,
        static_cast<double>(stats_->produced.load()));
    add("advocacy_kafka_produce_failed_total", "Messages whose delivery failed.", T::Counter,
        static_cast<double>(stats_->produce_failed.load()));
    add("advocacy_kafka_consumed_total", "Messages handled successfully.", T::Counter,
        static_cast<double>(stats_->consumed.load()));
    add("advocacy_kafka_handler_failed_total", "Handler failures (retried).", T::Counter,
        static_cast<double>(stats_->handler_failed.load()));
    add("advocacy_kafka_dead_lettered_total", "Messages sent to the dead-letter topic.", T::Counter,
        static_cast<double>(stats_->dead_lettered.load()));
    add("advocacy_kafka_consumer_backpressure_total",
        "Times a message waited because its partition had max_unfinished_per_partition "
        "unfinished messages (not a handler failure).",
        T::Counter, static_cast<double>(stats_->backpressure_waits.load()));
    add("advocacy_kafka_consumer_lag", "Messages behind the high watermark, all partitions.",
        T::Gauge, static_cast<double>(stats_->consumer_lag.load()));
    add("advocacy_kafka_broker_up", "1 while a broker connection is up.", T::Gauge,
        stats_->broker_up.load() ? 1.0 : 0.0);
    return out;
  }

 private:
  std::string service_;
  std::string role_;
  const kafka::Stats* stats_;
};

}  // namespace

Metrics::Metrics(std::string service)
    : service_(std::move(service)), registry_(std::make_shared<prometheus::Registry>()) {
  requests_ = &prometheus::BuildCounter()
                   .Name("advocacy_grpc_requests_total")
                   .Help("gRPC requests handled, by method.")
                   .Register(*registry_);
  errors_ = &prometheus::BuildCounter()
                 .Name("advocacy_grpc_errors_total")
                 .Help("gRPC requests that ended with a status other than OK, by method and code.")
                 .Register(*registry_);
  latency_ = &prometheus::BuildHistogram()
                  .Name("advocacy_grpc_request_duration_seconds")
                  .Help("gRPC request latency inside the server, by method.")
                  .Register(*registry_);
}

Metrics::~Metrics() = default;

absl::Status Metrics::Serve(const std::string& listen) {
  try {
    exposer_ = std::make_unique<prometheus::Exposer>(listen, /*num_threads=*/1);
  } catch (const std::exception& e) {
    return absl::UnavailableError(
        advocacy::StrCat("cannot serve metrics on ", listen, ": ", e.what(),
                         "; set ADVOCACY_METRICS_LISTEN to a free host:port"));
  }
  exposer_->RegisterCollectable(registry_);
  for (const auto& c : registry_collectables_) exposer_->RegisterCollectable(c);
  return absl::OkStatus();
}

int Metrics::port() const {
  if (!exposer_) return 0;
  const auto ports = exposer_->GetListeningPorts();
  return ports.empty() ? 0 : ports.front();
}

Metrics::RpcSeries& Metrics::SeriesFor(std::string_view method) {
  auto it = series_.find(std::string(method));
  if (it != series_.end()) return it->second;
  const std::map<std::string, std::string> labels = {{"service", service_},
                                                     {"method", std::string(method)}};
  RpcSeries s{&requests_->Add(labels), &latency_->Add(labels, LatencyBuckets())};
  return series_.emplace(std::string(method), s).first->second;
}

void Metrics::RecordRpc(std::string_view method, std::string_view code,
                        std::chrono::nanoseconds elapsed) {
  std::lock_guard lock(mu_);
  RpcSeries& s = SeriesFor(method);
  s.requests->Increment();
  s.latency->Observe(std::chrono::duration<double>(elapsed).count());
  if (code != "OK") {
    const std::string key = advocacy::StrCat(method, "\x1f", code);
    auto it = error_series_.find(key);
    if (it == error_series_.end()) {
      prometheus::Counter* c = &errors_->Add(
          {{"service", service_}, {"method", std::string(method)}, {"code", std::string(code)}});
      it = error_series_.emplace(key, c).first;
    }
    it->second->Increment();
  }
}

void Metrics::ExportKafkaStats(std::string role, const kafka::Stats* stats) {
  registry_collectables_.push_back(
      std::make_shared<KafkaStatsCollectable>(service_, std::move(role), stats));
  if (exposer_) exposer_->RegisterCollectable(registry_collectables_.back());
}

}  // namespace advocacy::metrics
