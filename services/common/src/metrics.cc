#include "advocacy/common/metrics.h"

#include <prometheus/collectable.h>
#include <prometheus/counter.h>
#include <prometheus/exposer.h>
#include <prometheus/family.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>
#include <prometheus/text_serializer.h>

#include <algorithm>
#include <exception>
#include <map>
#include <utility>
#include <vector>

#include "advocacy/common/kafka.h"
#include "advocacy/common/logging.h"
#include "advocacy/common/strings.h"

namespace advocacy::metrics {
namespace {

// Latency buckets from 100 µs to 5 s: consent checks live in the sub-millisecond range.
const prometheus::Histogram::BucketBoundaries& LatencyBuckets() {
  static const prometheus::Histogram::BucketBoundaries kBuckets = {
      0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5};
  return kBuckets;
}

// Every family of `sources`, merged by name: the text format allows one HELP and TYPE block
// per name, and prometheus-cpp's exposer writes each collectable's families on their own, so two
// collectables (or a future second registry) naming the same family would break the
// exposition. A later family whose type differs from the first of its name is dropped and
// logged: that is a bug in the code that registered it, and dropping it keeps the scrape valid.
class MergedCollectable final : public prometheus::Collectable {
 public:
  explicit MergedCollectable(std::vector<std::shared_ptr<prometheus::Collectable>> sources)
      : sources_(std::move(sources)) {}

  std::vector<prometheus::MetricFamily> Collect() const override {
    std::vector<prometheus::MetricFamily> out;
    std::map<std::string, size_t> index;
    for (const auto& source : sources_) {
      for (prometheus::MetricFamily& family : source->Collect()) {
        auto [it, inserted] = index.emplace(family.name, out.size());
        if (inserted) {
          out.push_back(std::move(family));
          continue;
        }
        prometheus::MetricFamily& first = out[it->second];
        if (first.type != family.type) {
          log::Error(
              "metric family registered twice with different types; the second is not "
              "exported",
              {{"family", family.name}});
          continue;
        }
        for (auto& m : family.metric) first.metric.push_back(std::move(m));
      }
    }
    return out;
  }

 private:
  std::vector<std::shared_ptr<prometheus::Collectable>> sources_;
};

// One advocacy_kafka_* family: its name, help, type and how to read it from kafka::Stats.
struct KafkaFamily {
  const char* name;
  const char* help;
  prometheus::MetricType type;
  double (*value)(const kafka::Stats&);
  // Several clients of one role: true = 1 if any is (broker_up), false = their sum.
  bool any = false;
};

const std::vector<KafkaFamily>& KafkaFamilies() {
  using T = prometheus::MetricType;
  static const std::vector<KafkaFamily> kFamilies = {
      {"advocacy_kafka_produced_total", "Messages acknowledged by the broker.", T::Counter,
       [](const kafka::Stats& s) { return static_cast<double>(s.produced.load()); }},
      {"advocacy_kafka_produce_failed_total", "Messages whose delivery failed.", T::Counter,
       [](const kafka::Stats& s) { return static_cast<double>(s.produce_failed.load()); }},
      {"advocacy_kafka_consumed_total", "Messages handled successfully.", T::Counter,
       [](const kafka::Stats& s) { return static_cast<double>(s.consumed.load()); }},
      {"advocacy_kafka_handler_failed_total", "Handler failures (retried).", T::Counter,
       [](const kafka::Stats& s) { return static_cast<double>(s.handler_failed.load()); }},
      {"advocacy_kafka_dead_lettered_total", "Messages sent to the dead-letter topic.", T::Counter,
       [](const kafka::Stats& s) { return static_cast<double>(s.dead_lettered.load()); }},
      {"advocacy_kafka_consumer_backpressure_total",
       "Times a message waited because its partition had max_unfinished_per_partition "
       "unfinished messages (not a handler failure).",
       T::Counter,
       [](const kafka::Stats& s) { return static_cast<double>(s.backpressure_waits.load()); }},
      {"advocacy_kafka_consumer_lag", "Messages behind the high watermark, all partitions.",
       T::Gauge, [](const kafka::Stats& s) { return static_cast<double>(s.consumer_lag.load()); }},
      {"advocacy_kafka_broker_up", "1 while a broker connection is up.", T::Gauge,
       [](const kafka::Stats& s) { return s.broker_up.load() ? 1.0 : 0.0; }, /*any=*/true},
  };
  return kFamilies;
}

}  // namespace

// Bridges the atomic counters of the process's Kafka clients into scrapes without a polling
// thread: one family per advocacy_kafka_* name, one series per role.
class KafkaStatsCollectable final : public prometheus::Collectable {
 public:
  explicit KafkaStatsCollectable(std::string service) : service_(std::move(service)) {}

  void Add(std::string role, const kafka::Stats* stats) {
    std::lock_guard lock(mu_);
    sources_.emplace_back(std::move(role), stats);
  }

  std::vector<prometheus::MetricFamily> Collect() const override {
    std::vector<std::pair<std::string, std::vector<const kafka::Stats*>>> roles;
    {
      std::lock_guard lock(mu_);
      for (const auto& source : sources_) {
        const std::string& role = source.first;
        auto it = std::find_if(roles.begin(), roles.end(),
                               [&role](const auto& r) { return r.first == role; });
        if (it == roles.end()) it = roles.insert(roles.end(), {role, {}});
        it->second.push_back(source.second);
      }
    }
    std::vector<prometheus::MetricFamily> out;
    if (roles.empty()) return out;
    for (const KafkaFamily& spec : KafkaFamilies()) {
      prometheus::MetricFamily f;
      f.name = spec.name;
      f.help = spec.help;
      f.type = spec.type;
      for (const auto& [role, stats] : roles) {
        double value = 0;
        for (const kafka::Stats* s : stats) {
          value = spec.any ? std::max(value, spec.value(*s)) : value + spec.value(*s);
        }
        prometheus::ClientMetric m;
        m.label = {{"service", service_}, {"role", role}};
        (spec.type == prometheus::MetricType::Counter ? m.counter.value : m.gauge.value) = value;
        f.metric.push_back(std::move(m));
      }
      out.push_back(std::move(f));
    }
    return out;
  }

 private:
  const std::string service_;
  mutable std::mutex mu_;
  std::vector<std::pair<std::string, const kafka::Stats*>> sources_;
};

Metrics::Metrics(std::string service)
    : service_(std::move(service)),
      registry_(std::make_shared<prometheus::Registry>()),
      kafka_(std::make_shared<KafkaStatsCollectable>(service_)),
      exposition_(std::make_shared<MergedCollectable>(
          std::vector<std::shared_ptr<prometheus::Collectable>>{registry_, kafka_})) {
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
  exposer_->RegisterCollectable(exposition_);
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
  kafka_->Add(std::move(role), stats);
}

std::string Metrics::Exposition() const {
  return prometheus::TextSerializer().Serialize(exposition_->Collect());
}

}  // namespace advocacy::metrics
