#pragma once

// Keeps advocacy_consent_oldest_unapplied_seconds current: a background thread that refreshes
// it every `interval`, so the gauge rises while a consuming service is stopped and falls back
// to 0 once it caught up, even when no receipt arrives. Also runs the start-up re-index of
// pending changes (PropagationStore::Reindex) once, in the background, so a large keyspace does
// not delay readiness.

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "propagation_manager.h"

namespace advocacy::consent {

class PropagationMonitor final {
 public:
  // `manager` must outlive the monitor.
  PropagationMonitor(PropagationManager* manager, std::chrono::milliseconds interval);
  ~PropagationMonitor();  // Stop()
  PropagationMonitor(const PropagationMonitor&) = delete;
  PropagationMonitor& operator=(const PropagationMonitor&) = delete;

  void Start();
  // Idempotent; returns once the thread has finished its current round.
  void Stop();

 private:
  void Loop();

  PropagationManager* manager_;
  std::chrono::milliseconds interval_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;  // guarded by mu_
  std::thread thread_;
};

}  // namespace advocacy::consent
