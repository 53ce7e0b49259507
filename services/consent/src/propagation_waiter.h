#pragma once

// Makes WithdrawConsent's acknowledgement mean "nothing acts on the withdrawn scopes any more",
// not only "recorded": after the withdrawal is committed, waits (bounded) until every expected
// consuming service has reported applying it, and says in the response whether it did.
//
// Guarantees, for a response this class completed:
// - fully_propagated = true only if, before the response was completed, a receipt of every
//   service of CONSENT_PROPAGATION_SERVICES covering the change (its sequence or a later one)
//   was recorded in Redis. A consuming service sends its receipt only after it applied the
//   change to its consent view and its withdrawal callback cancelled pending work, so from then
//   on nothing those services do acts on the withdrawn scopes.
// - It never turns a committed withdrawal into an error: whatever happens while waiting (Redis
//   down, the caller gone), the response keeps what ConsentManager returned and says "not fully
//   propagated".
// - A withdrawal waits at most min(CONSENT_ACK_WAIT_MS, the call's deadline − reply margin), and
//   at most `max_waiting` withdrawals wait at once; beyond that a withdrawal answers at once
//   (outcome busy), so a lagging service cannot take every server thread.
//
// Why polling Redis rather than waking on the receipt: receipts are consumed by whichever consent
// replica owns the partition (the receipts consumer group spreads them), so the replica that
// waits is often not the one that records. Redis holds the truth for all replicas; a poll is one
// pipelined round trip (two commands per expected service) on a pooled connection, and the
// back-off (1 ms doubling to 10 ms) adds at most ~10 ms to a propagation of a few ms. Pub/sub
// would need a dedicated subscriber connection per replica, can drop a message across a
// reconnect (so a poll would still be needed as the fallback), and PUBLISH is broadcast to every
// node of a Redis Cluster. The cost of polling is bounded by `max_waiting` × one round trip per
// 10 ms.

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "advocacy/consent/v1/consent_service.pb.h"
#include "propagation_manager.h"
#include "propagation_metrics.h"

namespace advocacy::consent {

struct WaitOptions {
  // CONSENT_ACK_WAIT_MS: the longest a withdrawal waits. 0: never wait (the response still says
  // where the change stands, from one read).
  std::chrono::milliseconds max_wait{3000};
  // CONSENT_ACK_MAX_WAITING: withdrawals that may wait at once.
  int max_waiting = 32;
  // Polling back-off: the first pause, doubled after each poll up to max_poll.
  std::chrono::milliseconds first_poll{1};
  std::chrono::milliseconds max_poll{10};
  // Left free before the caller's deadline, so the answer still arrives in time.
  std::chrono::milliseconds reply_margin{100};
};

// How a wait ended; the names are the `outcome` label values (kWaitOutcomes).
enum class WaitOutcome {
  kPropagated,  // every expected service applied the change
  kTimedOut,    // the bound or the caller's deadline expired first
  kBusy,        // max_waiting withdrawals were waiting already: did not wait
  kNoWait,      // nothing to wait for: unchanged, max_wait 0, no service expected, sequence 0
  kCancelled,   // the caller went away or the server is shutting down
  kFailed,      // Redis could not be read when the wait ended
};
std::string_view WaitOutcomeName(WaitOutcome outcome);

class PropagationWaiter final {
 public:
  using Deadline = std::chrono::steady_clock::time_point;

  // `propagation` must outlive the waiter; `metrics` may be null.
  PropagationWaiter(PropagationManager* propagation, WaitOptions options,
                    PropagationMetrics* metrics);
  ~PropagationWaiter() = default;
  PropagationWaiter(const PropagationWaiter&) = delete;
  PropagationWaiter& operator=(const PropagationWaiter&) = delete;

  // Completes `response`, as ConsentManager::Withdraw returned it for the employee (sequence
  // and unchanged set): sets fully_propagated, service_propagations and propagation_wait.
  // Waits only for a change (unchanged = false); a repeated call reports where change
  // `sequence` stands at once. `deadline`: the call's; `cancelled` is asked between polls.
  WaitOutcome Complete(const std::string& tenant_id, const std::string& employee_id,
                       v1::WithdrawConsentResponse* response, Deadline deadline = Deadline::max(),
                       const std::function<bool()>& cancelled = nullptr);

  // Withdrawals waiting right now.
  int waiting() const { return waiting_.load(); }
  const WaitOptions& options() const { return options_; }

 private:
  // Polls until every service applied `sequence`, `end`, or cancellation. `pending` receives
  // the services not applied at the last successful poll.
  WaitOutcome Wait(const std::string& tenant_id, const std::string& employee_id, int64_t sequence,
                   Deadline end, const std::function<bool()>& cancelled,
                   std::optional<std::vector<std::string>>* pending);
  bool Enter();
  void Leave();
  void LogBusy();

  PropagationManager* propagation_;
  WaitOptions options_;
  PropagationMetrics* metrics_;
  std::atomic<int> waiting_{0};
  std::atomic<int64_t> last_busy_log_ms_{0};
};

}  // namespace advocacy::consent
