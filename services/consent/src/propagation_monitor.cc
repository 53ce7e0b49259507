#include "propagation_monitor.h"

#include <string>

#include "advocacy/common/logging.h"

namespace advocacy::consent {
namespace {

// Redis being down makes every round fail; one line now and then is enough.
constexpr std::chrono::seconds kErrorLogInterval{30};

}  // namespace

PropagationMonitor::PropagationMonitor(PropagationManager* manager,
                                       std::chrono::milliseconds interval)
    : manager_(manager), interval_(interval) {}

PropagationMonitor::~PropagationMonitor() { Stop(); }

void PropagationMonitor::Start() {
  if (thread_.joinable()) return;
  thread_ = std::thread([this] { Loop(); });
}

void PropagationMonitor::Stop() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void PropagationMonitor::Loop() {
  bool reindexed = manager_->services().empty();
  auto last_error_log = std::chrono::steady_clock::now() - kErrorLogInterval;
  auto report = [&](const char* what, const absl::Status& st) {
    const auto now = std::chrono::steady_clock::now();
    if (now - last_error_log < kErrorLogInterval) return;
    last_error_log = now;
    log::Warning(what, {{"error", std::string(st.message())}});
  };
  while (true) {
    if (auto ages = manager_->RefreshOldestUnapplied(); !ages.ok()) {
      report("cannot refresh advocacy_consent_oldest_unapplied_seconds; it keeps its last value",
             ages.status());
    }
    if (!reindexed) {
      auto seen = manager_->Reindex();
      if (seen.ok()) {
        reindexed = true;
        log::Info("pending consent changes re-indexed for the propagation gauge",
                  {{"employees", std::to_string(*seen)}});
      } else {
        report("cannot re-index pending consent changes yet; retrying", seen.status());
      }
    }
    std::unique_lock lock(mu_);
    if (cv_.wait_for(lock, interval_, [this] { return stop_; })) return;
  }
}

}  // namespace advocacy::consent
