#include "propagation_metrics.h"

#include "prometheus/counter.h"
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
  auto& timeouts = prometheus::BuildCounter()
                       .Name("advocacy_consent_withdrawal_wait_timeouts_total")
                       .Help(
                           "Withdrawals acknowledged before the consuming service (label "
                           "service) had applied them: the wait's bound or deadline expired")
                       .Register(registry);
  for (const std::string& service : services) {
    Series s;
    s.propagation = &propagation.Add({{"service", service}}, buckets);
    s.oldest_unapplied = &oldest.Add({{"service", service}});
    s.wait_timeouts = &timeouts.Add({{"service", service}});
    series_.emplace(service, s);
  }
  auto& wait = prometheus::BuildHistogram()
                   .Name("advocacy_consent_withdrawal_wait_seconds")
                   .Help(
                       "How long WithdrawConsent waited after the commit for every consuming "
                       "service to apply the withdrawal, by how the wait ended (label outcome)")
                   .Register(registry);
  // Waits end at CONSENT_ACK_WAIT_MS (3 s by default, at most 60 s): fine buckets where
  // propagation normally lands (a few ms), coarse ones up to the bound.
  const prometheus::Histogram::BucketBoundaries wait_buckets = {
      0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 3, 5, 10, 30, 60};
  for (std::string_view outcome : kWaitOutcomes) {
    wait_.emplace(std::string(outcome),
                  &wait.Add({{"outcome", std::string(outcome)}}, wait_buckets));
  }
  waiting_ = &prometheus::BuildGauge()
                  .Name("advocacy_consent_withdrawals_waiting")
                  .Help(
                      "WithdrawConsent calls waiting right now for consuming services to apply "
                      "the withdrawal (bounded by CONSENT_ACK_MAX_WAITING)")
                  .Register(registry)
                  .Add({});
}

void PropagationMetrics::ObservePropagation(const std::string& service, double seconds) {
  auto it = series_.find(service);
  if (it != series_.end()) it->second.propagation->Observe(seconds < 0 ? 0 : seconds);
}

void PropagationMetrics::SetOldestUnapplied(const std::string& service, double seconds) {
  auto it = series_.find(service);
  if (it != series_.end()) it->second.oldest_unapplied->Set(seconds < 0 ? 0 : seconds);
}

void PropagationMetrics::CountWaitTimeout(const std::string& service) {
  auto it = series_.find(service);
  if (it != series_.end()) it->second.wait_timeouts->Increment();
}

void PropagationMetrics::ObserveWithdrawalWait(std::string_view outcome, double seconds) {
  auto it = wait_.find(outcome);
  if (it != wait_.end()) it->second->Observe(seconds < 0 ? 0 : seconds);
}

void PropagationMetrics::AddWithdrawalsWaiting(double delta) {
  if (delta >= 0) {
    waiting_->Increment(delta);
  } else {
    waiting_->Decrement(-delta);
  }
}

}  // namespace advocacy::consent
