#pragma once

// Token buckets by key (a session, or one shared key): `per_second` sustained, `burst` at once.
// Bounded: at most `max_keys` buckets; when full, the buckets that are full again (idle long
// enough) are dropped first, and if that frees nothing, all are (a flood of new keys must not
// grow memory). Per process: with several gateway replicas each enforces its own share.
// Thread-safe.

#include <chrono>
#include <mutex>
#include <string>
#include <unordered_map>

namespace advocacy::gateway {

class RateLimiter {
 public:
  RateLimiter(double per_second, double burst, size_t max_keys = 100000)
      : per_second_(per_second), burst_(burst), max_keys_(max_keys) {}

  bool Allow(const std::string& key,
             std::chrono::steady_clock::time_point now = std::chrono::steady_clock::now()) {
    std::lock_guard lock(mu_);
    auto it = buckets_.find(key);
    if (it == buckets_.end()) {
      if (buckets_.size() >= max_keys_) Prune(now);
      it = buckets_.emplace(key, Bucket{.tokens = burst_, .last = now}).first;
    }
    Bucket& b = it->second;
    const double elapsed = std::chrono::duration<double>(now - b.last).count();
    b.tokens = std::min(burst_, b.tokens + elapsed * per_second_);
    b.last = now;
    if (b.tokens < 1.0) return false;
    b.tokens -= 1.0;
    return true;
  }

 private:
  struct Bucket {
    double tokens;
    std::chrono::steady_clock::time_point last;
  };
  void Prune(std::chrono::steady_clock::time_point now) {
    const double refill = burst_ / per_second_;
    for (auto it = buckets_.begin(); it != buckets_.end();) {
      if (std::chrono::duration<double>(now - it->second.last).count() >= refill) {
        it = buckets_.erase(it);
      } else {
        ++it;
      }
    }
    if (buckets_.size() >= max_keys_) buckets_.clear();
  }

  const double per_second_;
  const double burst_;
  const size_t max_keys_;
  std::mutex mu_;
  std::unordered_map<std::string, Bucket> buckets_;
};

}  // namespace advocacy::gateway
