#pragma once

// Propagation metrics of the consent service. Here the `service` label names the CONSUMING
// service the series is about ("content"), not the process that exports it:
//   advocacy_consent_propagation_seconds{service}        histogram: a change's acknowledgement
//       until that service applied it, observed once per change (the first receipt)
//   advocacy_consent_oldest_unapplied_seconds{service}   gauge: age of the oldest acknowledged
//       change the service has not applied yet; 0 when none. Alert on it.
// Series exist only for the expected services (CONSENT_PROPAGATION_SERVICES), so a receipt
// naming anything else cannot add label values. Thread-safe.

#include <map>
#include <string>
#include <vector>

namespace prometheus {
class Registry;
class Gauge;
class Histogram;
}  // namespace prometheus

namespace advocacy::consent {

class PropagationMetrics final {
 public:
  PropagationMetrics(prometheus::Registry& registry, const std::vector<std::string>& services);

  // No-op for a service that is not expected.
  void ObservePropagation(const std::string& service, double seconds);
  void SetOldestUnapplied(const std::string& service, double seconds);

 private:
  struct Series {
    prometheus::Histogram* propagation = nullptr;
    prometheus::Gauge* oldest_unapplied = nullptr;
  };
  // Built once in the constructor and never changed: reads need no lock.
  std::map<std::string, Series> series_;
};

}  // namespace advocacy::consent
