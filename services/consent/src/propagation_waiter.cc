#include "propagation_waiter.h"

#include <google/protobuf/util/time_util.h>

#include <algorithm>
#include <thread>

#include "absl/strings/str_join.h"
#include "advocacy/common/logging.h"

namespace advocacy::consent {
namespace {

using std::chrono::steady_clock;

int64_t ElapsedMs(steady_clock::time_point since) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(steady_clock::now() - since).count();
}

// At most one "too many waiting" line per this period: during an outage of a consuming service
// every withdrawal would log one, and the metric counts them anyway.
constexpr int64_t kBusyLogPeriodMs = 10000;

}  // namespace

std::string_view WaitOutcomeName(WaitOutcome outcome) {
  switch (outcome) {
    case WaitOutcome::kPropagated:
      return kWaitOutcomes[0];
    case WaitOutcome::kTimedOut:
      return kWaitOutcomes[1];
    case WaitOutcome::kBusy:
      return kWaitOutcomes[2];
    case WaitOutcome::kNoWait:
      return kWaitOutcomes[3];
    case WaitOutcome::kCancelled:
      return kWaitOutcomes[4];
    case WaitOutcome::kFailed:
      return kWaitOutcomes[5];
  }
  return "unknown";
}

PropagationWaiter::PropagationWaiter(PropagationManager* propagation, WaitOptions options,
                                     PropagationMetrics* metrics)
    : propagation_(propagation), options_(options), metrics_(metrics) {}

bool PropagationWaiter::Enter() {
  if (waiting_.fetch_add(1) >= options_.max_waiting) {
    waiting_.fetch_sub(1);
    return false;
  }
  if (metrics_ != nullptr) metrics_->AddWithdrawalsWaiting(1);
  return true;
}

void PropagationWaiter::Leave() {
  waiting_.fetch_sub(1);
  if (metrics_ != nullptr) metrics_->AddWithdrawalsWaiting(-1);
}

void PropagationWaiter::LogBusy() {
  const int64_t now =
      std::chrono::duration_cast<std::chrono::milliseconds>(steady_clock::now().time_since_epoch())
          .count();
  int64_t last = last_busy_log_ms_.load();
  if (now - last < kBusyLogPeriodMs && last != 0) return;
  if (!last_busy_log_ms_.compare_exchange_strong(last, now)) return;  // another thread logs
  log::Warning(
      "withdrawals are acknowledged without waiting for the consuming services: "
      "CONSENT_ACK_MAX_WAITING withdrawals are waiting already, which usually means a consuming "
      "service is down or lagging (see advocacy_consent_oldest_unapplied_seconds)",
      {{"max_waiting", std::to_string(options_.max_waiting)}});
}

WaitOutcome PropagationWaiter::Wait(const std::string& tenant_id, const std::string& employee_id,
                                    int64_t sequence, Deadline end,
                                    const std::function<bool()>& cancelled,
                                    std::optional<std::vector<std::string>>* pending) {
  auto pause = options_.first_poll;
  absl::Status last_error;
  for (;;) {
    auto unapplied = propagation_->Unapplied(tenant_id, employee_id, sequence);
    if (unapplied.ok()) {
      last_error = absl::OkStatus();
      if (unapplied->empty()) {
        *pending = std::vector<std::string>();
        return WaitOutcome::kPropagated;
      }
      *pending = std::move(*unapplied);
    } else {
      // Keep polling: a Redis blip shorter than the bound should not cost the proof.
      last_error = unapplied.status();
    }
    if (cancelled && cancelled()) return WaitOutcome::kCancelled;
    const auto now = steady_clock::now();
    if (now >= end) {
      if (!last_error.ok()) {
        log::Warning("cannot read propagation receipts while a withdrawal waits for them",
                     {{"tenant", tenant_id}, {"error", std::string(last_error.message())}});
        return WaitOutcome::kFailed;
      }
      return WaitOutcome::kTimedOut;
    }
    std::this_thread::sleep_for(std::min<steady_clock::duration>(pause, end - now));
    pause = std::min(pause * 2, options_.max_poll);
  }
}

WaitOutcome PropagationWaiter::Complete(const std::string& tenant_id,
                                        const std::string& employee_id,
                                        v1::WithdrawConsentResponse* response, Deadline deadline,
                                        const std::function<bool()>& cancelled) {
  const auto start = steady_clock::now();
  const int64_t sequence = response->sequence();
  const std::vector<std::string>& services = propagation_->services();
  response->set_fully_propagated(false);
  response->clear_service_propagations();

  WaitOutcome outcome = WaitOutcome::kNoWait;
  std::optional<std::vector<std::string>> pending;
  if (sequence == 0) {
    // The employee never changed anything: nothing was ever given, so nothing can act.
    response->set_fully_propagated(true);
  } else if (!response->unchanged() && !services.empty() && options_.max_wait.count() > 0) {
    if (Enter()) {
      Deadline end = start + options_.max_wait;
      if (deadline != Deadline::max()) end = std::min(end, deadline - options_.reply_margin);
      outcome = Wait(tenant_id, employee_id, sequence, end, cancelled, &pending);
      Leave();
    } else {
      outcome = WaitOutcome::kBusy;
      LogBusy();
    }
  }

  // Where the change stands, in the form GetPropagationStatus gives it. Skipped when the caller
  // is gone (nobody would read it, and at shutdown the server is waiting for this thread) and
  // when no service is expected (nothing to report).
  if (sequence != 0 && !services.empty() && outcome != WaitOutcome::kCancelled) {
    auto status = propagation_->StatusOf(tenant_id, employee_id, sequence);
    if (status.ok()) {
      // A receipt may have landed after the last poll: the answer is still true when sent.
      response->set_fully_propagated(status->fully_applied());
      *response->mutable_service_propagations() = status->services();
      if (status->fully_applied() &&
          (outcome == WaitOutcome::kTimedOut || outcome == WaitOutcome::kFailed)) {
        outcome = WaitOutcome::kPropagated;
      }
    } else if (pending.has_value()) {
      // The details could not be read; what the last poll saw is still a fact.
      log::Warning(
          "cannot read the propagation status of a withdrawal; answering with the last "
          "poll's result",
          {{"tenant", tenant_id}, {"error", std::string(status.status().message())}});
      for (const std::string& service : services) {
        auto* entry = response->add_service_propagations();
        entry->set_service(service);
        entry->set_applied(std::find(pending->begin(), pending->end(), service) == pending->end());
      }
      response->set_fully_propagated(!services.empty() && pending->empty());
    } else {
      log::Warning(
          "cannot read the propagation status of a withdrawal; it is in force at the "
          "source, follow it with GetPropagationStatus",
          {{"tenant", tenant_id}, {"error", std::string(status.status().message())}});
      if (outcome == WaitOutcome::kTimedOut) outcome = WaitOutcome::kFailed;
    }
  }

  const auto waited = steady_clock::now() - start;
  *response->mutable_propagation_wait() = google::protobuf::util::TimeUtil::NanosecondsToDuration(
      std::chrono::duration_cast<std::chrono::nanoseconds>(waited).count());
  if (outcome == WaitOutcome::kTimedOut) {
    std::vector<std::string> lagging;
    for (const auto& s : response->service_propagations()) {
      if (!s.applied()) lagging.push_back(s.service());
    }
    if (metrics_ != nullptr) {
      for (const auto& s : lagging) metrics_->CountWaitTimeout(s);
    }
    log::Warning(
        "a withdrawal was acknowledged before every consuming service applied it; it is in "
        "force at the source, and GetPropagationStatus (advocacyctl consent propagation) "
        "follows it",
        {{"tenant", tenant_id},
         {"employee", employee_id},
         {"sequence", std::to_string(sequence)},
         {"not_applied_by", absl::StrJoin(lagging, ",")},
         {"waited_ms", std::to_string(ElapsedMs(start))}});
  }
  if (metrics_ != nullptr) {
    metrics_->ObserveWithdrawalWait(WaitOutcomeName(outcome),
                                    std::chrono::duration<double>(waited).count());
  }
  return outcome;
}

}  // namespace advocacy::consent
