#pragma once

// Propagation receipts, the domain side: records the ConsentApplied receipts consuming services
// send after applying a consent change, answers GetPropagationStatus (which services applied a
// change of an employee, and when), and measures how long changes take to propagate. No gRPC,
// Kafka client or Redis types here: unit tests build it with in-memory stores.

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "advocacy/common/auth.h"
#include "advocacy/common/kafka.h"
#include "advocacy/consent/v1/consent_events.pb.h"
#include "advocacy/consent/v1/consent_service.pb.h"
#include "ports.h"
#include "propagation_metrics.h"

namespace advocacy::consent {

class PropagationManager final {
 public:
  using Clock = std::function<int64_t()>;  // milliseconds since the epoch

  // `services`: the consuming services expected to apply every change, in the order responses
  // list them. `metrics` may be null. Pointers must outlive the manager.
  PropagationManager(ConsentStore* consent, PropagationStore* store, PropagationMetrics* metrics,
                     std::vector<std::string> services, Clock clock = nullptr);

  // The employee themself, an admin of the tenant, or a service of the tenant may ask.
  // sequence 0 means the employee's latest change. NOT_FOUND for a sequence the employee does
  // not have (or, with 0, an employee who never changed anything).
  absl::StatusOr<v1::GetPropagationStatusResponse> GetStatus(
      const auth::Principal& caller, const v1::GetPropagationStatusRequest& request);

  // GetStatus for the consent service's own use: no validation or authorization. `sequence`
  // must be positive; NOT_FOUND when the employee has no such change.
  absl::StatusOr<v1::GetPropagationStatusResponse> StatusOf(const std::string& tenant_id,
                                                            const std::string& employee_id,
                                                            int64_t sequence);
  // The expected services, in order, that have not reported applying change `sequence` (or a
  // later one) of the employee; empty once every one has. One Redis round trip and no ledger
  // read, so a waiting caller can poll it.
  absl::StatusOr<std::vector<std::string>> Unapplied(const std::string& tenant_id,
                                                     const std::string& employee_id,
                                                     int64_t sequence);

  // The receipts consumer's handler. InvalidArgument (the message is dead-lettered) for anything
  // that is not a well-formed ConsentApplied; event_trust rejections (dead-lettered and counted)
  // when its Kafka key is not its tenant_id/employee_id (key_mismatch), when its ce_source is not
  // the source of the service it names (service_mismatch: one service cannot vouch for another),
  // and as ApplyReceipt. Other errors are transient (Redis) and the message is retried.
  // Idempotent. The runtime checked before that ce_source may produce receipts at all.
  absl::Status HandleReceipt(const kafka::Message& message);
  // Records a receipt unless it claims what the ledger never issued: a sequence above the
  // employee's latest, or a view_sequence above it (the view applied a forged event, so what it
  // holds is not the employee's decision): event_trust::Reject(kSequenceAhead), nothing recorded.
  absl::Status ApplyReceipt(const v1::ConsentApplied& receipt);

  // Recomputes advocacy_consent_oldest_unapplied_seconds for every expected service and returns
  // the ages in milliseconds (0: nothing waiting). A service whose age cannot be read keeps its
  // previous gauge value; the first error is returned after the others were updated.
  absl::StatusOr<std::map<std::string, int64_t>> RefreshOldestUnapplied();

  // After a crash: see PropagationStore::Reindex.
  absl::StatusOr<int64_t> Reindex() { return store_->Reindex(); }

  const std::vector<std::string>& services() const { return services_; }

 private:
  absl::Status CheckAgainstLedger(const v1::ConsentApplied& receipt);

  ConsentStore* consent_;
  PropagationStore* store_;
  PropagationMetrics* metrics_;
  std::vector<std::string> services_;
  Clock clock_;
};

}  // namespace advocacy::consent
