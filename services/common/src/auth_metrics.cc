#include "advocacy/common/auth_metrics.h"

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/registry.h>

#include <utility>

namespace advocacy::metrics {

AuthMetrics::AuthMetrics(prometheus::Registry& registry, std::string service)
    : service_(std::move(service)),
      rejected_family_(&prometheus::BuildCounter()
                            .Name("advocacy_auth_rejected_total")
                            .Help("Bearer tokens refused, by reason.")
                            .Register(registry)),
      keys_family_(&prometheus::BuildGauge()
                        .Name("advocacy_auth_jwks_keys")
                        .Help("Usable token-signing keys of an issuer (0: its tokens are refused).")
                        .Register(registry)),
      last_success_family_(&prometheus::BuildGauge()
                                .Name("advocacy_auth_jwks_last_success_timestamp_seconds")
                                .Help("When the keys of an issuer were last loaded successfully.")
                                .Register(registry)),
      failures_family_(&prometheus::BuildCounter()
                            .Name("advocacy_auth_jwks_load_failures_total")
                            .Help("Failed loads of an issuer's keys (fetch, TLS, size, parse).")
                            .Register(registry)) {
  for (int i = 0; i < auth::kRejectReasonCount; ++i) {
    const auto reason = static_cast<auth::RejectReason>(i);
    rejected_[reason] = &rejected_family_->Add(
        {{"service", service_}, {"reason", std::string(auth::RejectReasonName(reason))}});
  }
}

void AuthMetrics::Rejected(auth::RejectReason reason) {
  auto it = rejected_.find(reason);
  if (it != rejected_.end()) it->second->Increment();
}

void AuthMetrics::KeysLoaded(const auth::IssuerKeyStatus& status) {
  const std::map<std::string, std::string> labels = {{"service", service_},
                                                     {"issuer", status.issuer}};
  keys_family_->Add(labels).Set(static_cast<double>(status.key_ids.size()));
  last_success_family_->Add(labels).Set(static_cast<double>(status.last_success_unix));
  prometheus::Counter& failures = failures_family_->Add(labels);
  std::lock_guard lock(mu_);
  uint64_t& seen = failures_seen_[status.issuer];
  if (status.failures > seen) failures.Increment(static_cast<double>(status.failures - seen));
  seen = std::max(seen, status.failures);
}

void AuthMetrics::Attach(auth::VerifierOptions* options) {
  options->on_rejected = [this](auth::RejectReason reason) { Rejected(reason); };
  options->on_key_status = [this](const auth::IssuerKeyStatus& status) { KeysLoaded(status); };
}

}  // namespace advocacy::metrics
