#include "propagation_metrics.h"

#include "prometheus/family.h"
#include "prometheus/gauge.h"
#include "prometheus/histogram.h"
#include "prometheus/registry.h"

namespace advocacy::consent {

PropagationMetrics::PropagationMetrics(prometheus::Registry& registry,
                                       const std::vector<std::string>& services) {
  auto& propagation = prometheus::BuildHistogram()
                          .Name("advocacy_consent_propagation_seconds")
                          .Help(
                              "Time from a consent change's acknowledgement until the consuming "
                              "service (label service) applied it, from its first receipt")
                          .Register(registry);
  auto& oldest = prometheus::BuildGauge()
                     .Name("advocacy_consent_oldest_unapplied_seconds")
                     .Help(
                         "Age of the oldest acknowledged consent change the consuming service "
                         "(label service) has not applied yet; 0 when it is up to date")
                     .Register(registry);
  // From "instant" to "a service was down for an hour": the long tail is what an operator
  // needs to see after an outage.
  const prometheus::Histogram::BucketBoundaries buckets = {
      0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600};
  for (const std::string& service : services) {
    Series s;
    s.propagation = &propagation.Add({{"service", service}}, buckets);
    s.oldest_unapplied = &oldest.Add({{"service", service}});
    series_.emplace(service, s);
  }
}

void PropagationMetrics::ObservePropagation(const std::string& service, double seconds) {
  auto it = series_.find(service);
  if (it != series_.end()) it->second.propagation->Observe(seconds < 0 ? 0 : seconds);
}

void PropagationMetrics::SetOldestUnapplied(const std::string& service, double seconds) {
  auto it = series_.find(service);
  if (it != series_.end()) it->second.oldest_unapplied->Set(seconds < 0 ? 0 : seconds);
}

}  // namespace advocacy::consent
