#pragma once

// The token verifier's metrics, on a service's registry (metrics.h):
//   advocacy_auth_rejected_total{service,reason}  refused tokens by auth::RejectReasonName; every
//       reason is exported from the start (at 0), so a rate() alert works before the first one
//   advocacy_auth_jwks_keys{service,issuer}        usable keys of the issuer (0: tokens refused)
//   advocacy_auth_jwks_last_success_timestamp_seconds{service,issuer}  last successful load
//   advocacy_auth_jwks_load_failures_total{service,issuer}  failed loads (fetch, TLS, parse)
// Labels are bounded: reasons are a fixed set, issuers come from configuration.

#include <map>
#include <mutex>
#include <string>

#include "advocacy/common/auth.h"

namespace prometheus {
class Registry;
class Counter;
class Gauge;
template <typename T>
class Family;
}  // namespace prometheus

namespace advocacy::metrics {

class AuthMetrics final {
 public:
  AuthMetrics(prometheus::Registry& registry, std::string service);
  ~AuthMetrics() = default;
  AuthMetrics(const AuthMetrics&) = delete;
  AuthMetrics& operator=(const AuthMetrics&) = delete;

  void Rejected(auth::RejectReason reason);
  // After each key load attempt of an issuer (any thread).
  void KeysLoaded(const auth::IssuerKeyStatus& status);
  // Sets options->on_rejected and on_key_status to this object, which must outlive the verifier.
  void Attach(auth::VerifierOptions* options);

 private:
  std::string service_;
  prometheus::Family<prometheus::Counter>* rejected_family_;
  prometheus::Family<prometheus::Gauge>* keys_family_;
  prometheus::Family<prometheus::Gauge>* last_success_family_;
  prometheus::Family<prometheus::Counter>* failures_family_;
  std::map<auth::RejectReason, prometheus::Counter*> rejected_;
  std::mutex mu_;
  std::map<std::string, uint64_t> failures_seen_;  // per issuer, to turn totals into increments
};

}  // namespace advocacy::metrics
