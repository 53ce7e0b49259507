#include "gateway_metrics.h"

#include "prometheus/counter.h"
#include "prometheus/family.h"
#include "prometheus/histogram.h"
#include "prometheus/registry.h"

namespace advocacy::gateway {
namespace {

const prometheus::Histogram::BucketBoundaries& Buckets() {
  static const auto* b = new prometheus::Histogram::BucketBoundaries{
      0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};
  return *b;
}

double Seconds(std::chrono::nanoseconds d) { return std::chrono::duration<double>(d).count(); }

}  // namespace

GatewayMetrics::GatewayMetrics(prometheus::Registry& registry, std::string service)
    : service_(std::move(service)),
      requests_(&prometheus::BuildCounter()
                     .Name("advocacy_gateway_requests_total")
                     .Help("Requests the gateway answered, by route (an allow-listed RPC, static "
                           "or other) and code (Connect code or HTTP status)")
                     .Register(registry)),
      duration_(&prometheus::BuildHistogram()
                     .Name("advocacy_gateway_request_duration_seconds")
                     .Help("Time from a request's arrival at the handler to its answer, by kind "
                           "(rpc, static)")
                     .Register(registry)),
      upstream_(&prometheus::BuildHistogram()
                     .Name("advocacy_gateway_upstream_duration_seconds")
                     .Help("Duration of the gRPC call to the service (label upstream)")
                     .Register(registry)) {}

void GatewayMetrics::Request(std::string_view route, std::string_view code, std::string_view kind,
                             std::chrono::nanoseconds elapsed) {
  prometheus::Counter* counter = nullptr;
  prometheus::Histogram* histogram = nullptr;
  {
    std::lock_guard lock(mu_);
    auto key = std::make_pair(std::string(route), std::string(code));
    auto it = counters_.find(key);
    if (it == counters_.end()) {
      it = counters_
               .emplace(key,
                        &requests_->Add(
                            {{"service", service_}, {"route", key.first}, {"code", key.second}}))
               .first;
    }
    counter = it->second;
    auto h = durations_.find(kind);
    if (h == durations_.end()) {
      h = durations_
              .emplace(
                  std::string(kind),
                  &duration_->Add({{"service", service_}, {"kind", std::string(kind)}}, Buckets()))
              .first;
    }
    histogram = h->second;
  }
  counter->Increment();
  histogram->Observe(Seconds(elapsed));
}

void GatewayMetrics::Upstream(std::string_view upstream, std::chrono::nanoseconds elapsed) {
  prometheus::Histogram* histogram = nullptr;
  {
    std::lock_guard lock(mu_);
    auto h = upstreams_.find(upstream);
    if (h == upstreams_.end()) {
      h = upstreams_
              .emplace(std::string(upstream),
                       &upstream_->Add({{"service", service_}, {"upstream", std::string(upstream)}},
                                       Buckets()))
              .first;
    }
    histogram = h->second;
  }
  histogram->Observe(Seconds(elapsed));
}

}  // namespace advocacy::gateway
