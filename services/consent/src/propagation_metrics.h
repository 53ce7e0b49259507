#pragma once

// Propagation metrics of the consent service. Here the `service` label names the CONSUMING
// service the series is about ("content"), not the process that exports it:
//   advocacy_consent_propagation_seconds{service}        histogram: a change's acknowledgement
//       until that service applied it, observed once per change (the first receipt)
//   advocacy_consent_oldest_unapplied_seconds{service}   gauge: age of the oldest acknowledged
//       change the service has not applied yet; 0 when none. Alert on it.
// Series exist only for the expected services (CONSENT_PROPAGATION_SERVICES), so a receipt
// naming anything else cannot add label values.
// How WithdrawConsent waits for the services (PropagationWaiter):
//   advocacy_consent_withdrawal_wait_seconds{outcome}             histogram: how long each
//       withdrawal waited after its commit; outcome is one of kWaitOutcomes
//   advocacy_consent_withdrawal_wait_timeouts_total{service}      counter: withdrawals whose
//       wait ended (bound or deadline) before that consuming service applied them
//   advocacy_consent_withdrawals_waiting                           gauge: waiting right now
// Thread-safe.

#include <array>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace prometheus {
class Registry;
class Counter;
class Gauge;
class Histogram;
}  // namespace prometheus

namespace advocacy::consent {

// The values of the `outcome` label of advocacy_consent_withdrawal_wait_seconds.
inline constexpr std::array<std::string_view, 6> kWaitOutcomes = {
    "propagated",  // every expected service applied the withdrawal
    "timed_out",   // the bound or the call's deadline expired first
    "busy",        // CONSENT_ACK_MAX_WAITING withdrawals were waiting already: did not wait
    "no_wait",     // nothing to wait for: unchanged, waiting off, or no service expected
    "cancelled",   // the caller went away or the server shut down
    "failed",      // Redis could not be read when the wait ended
};

class PropagationMetrics final {
 public:
  PropagationMetrics(prometheus::Registry& registry, const std::vector<std::string>& services);

  // No-op for a service that is not expected.
  void ObservePropagation(const std::string& service, double seconds);
  void SetOldestUnapplied(const std::string& service, double seconds);
  void CountWaitTimeout(const std::string& service);

  // No-op for an outcome not in kWaitOutcomes.
  void ObserveWithdrawalWait(std::string_view outcome, double seconds);
  // +1 when a withdrawal starts waiting, -1 when it stops.
  void AddWithdrawalsWaiting(double delta);

 private:
  struct Series {
    prometheus::Histogram* propagation = nullptr;
    prometheus::Gauge* oldest_unapplied = nullptr;
    prometheus::Counter* wait_timeouts = nullptr;
  };
  // Built once in the constructor and never changed: reads need no lock.
  std::map<std::string, Series> series_;
  std::map<std::string, prometheus::Histogram*, std::less<>> wait_;
  prometheus::Gauge* waiting_ = nullptr;
};

}  // namespace advocacy::consent
