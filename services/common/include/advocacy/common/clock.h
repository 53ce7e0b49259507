#pragma once

// The wall clock, in the unit every stored timestamp uses. Durations, timeouts and deadlines
// use std::chrono::steady_clock instead: the wall clock may step.

#include <chrono>
#include <cstdint>

namespace advocacy::clock {

// Milliseconds since the Unix epoch (system clock): what records and events store, and what
// another replica or service can compare with its own.
inline int64_t UnixMillis() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace advocacy::clock
