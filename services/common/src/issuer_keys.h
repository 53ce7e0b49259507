#pragma once

// The keys of one issuer: loaded from its JwksSource, cached, refreshed by a thread of its own
// on the cache lifetime and (rate-limited) when a token names an unknown kid. Private to the
// auth code; TokenVerifier holds one per issuer.

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "advocacy/common/auth.h"
#include "jwk.h"
#include "jwks_source.h"

namespace advocacy::auth::internal {

// An immutable snapshot of an issuer's usable keys.
struct KeySet {
  std::vector<KeyPtr> keys;
  // The key with `kid`; a token without kid, or a set of one key without kid, uses the set's
  // only key. nullptr when there is no such key.
  [[nodiscard]] KeyPtr Find(const std::optional<std::string>& kid) const;
};

class IssuerKeys final {
 public:
  struct Options {
    std::string issuer;
    JwksPolicy policy;
    std::unique_ptr<JwksSource> source;  // nullptr: static_keys only, never refreshed
    std::vector<KeyPtr> static_keys;
    // Incremented whenever a refresh drops a key, so cached verifications made with it end.
    std::atomic<uint64_t>* key_epoch = nullptr;
    std::function<void(const IssuerKeyStatus&)> on_status;
  };

  struct Found {
    KeyPtr key;               // nullptr when no key fits
    bool any_loaded = false;  // whether the issuer had any key at all
  };

  explicit IssuerKeys(Options options);
  ~IssuerKeys();  // Stop()
  IssuerKeys(const IssuerKeys&) = delete;
  IssuerKeys& operator=(const IssuerKeys&) = delete;

  // One load on the calling thread (start-up of a file source). Its error, if it failed.
  absl::Status LoadNow();
  // Starts the refresher thread (if there is a source); it loads at once when no key is loaded
  // yet, then on the cache lifetime, with backoff after failures (1 s doubling to 5 min).
  void Start();
  // Aborts an ongoing load and joins the thread. Idempotent.
  void Stop();

  // The key for a token's kid. On a miss, asks the thread for a refresh unless one was asked
  // for less than unknown_kid_interval ago (a refresh already running is joined instead), and
  // waits at most unknown_kid_wait for it. Thread-safe.
  Found Find(const std::optional<std::string>& kid);

  [[nodiscard]] bool Usable() const;
  [[nodiscard]] IssuerKeyStatus Status() const;

 private:
  void Run();
  // Loads from the source and applies the result; in_flight_ must be set by the caller.
  absl::Status LoadOnce();
  void ApplyLocked(const ParsedJwks& parsed, std::optional<std::chrono::seconds> max_age);
  void FailLocked(const absl::Status& error);
  [[nodiscard]] IssuerKeyStatus StatusLocked() const;

  const std::string issuer_;
  const JwksPolicy policy_;
  const std::unique_ptr<JwksSource> source_;
  std::atomic<uint64_t>* const key_epoch_;
  const std::function<void(const IssuerKeyStatus&)> on_status_;
  std::atomic<bool> cancel_{false};
  std::thread thread_;

  mutable std::mutex mu_;
  std::condition_variable cv_;  // refresh asked for, refresh finished, stopping
  std::shared_ptr<const KeySet> keys_;
  uint64_t generation_ = 0;  // completed load attempts
  bool in_flight_ = false;
  bool refresh_requested_ = false;
  bool stopping_ = false;
  std::chrono::steady_clock::time_point next_refresh_;
  bool kid_refresh_granted_ = false;
  std::chrono::steady_clock::time_point last_kid_refresh_;
  uint32_t consecutive_failures_ = 0;
  int64_t last_success_unix_ = 0;
  std::string last_error_;
  std::vector<std::string> last_skipped_;
  uint64_t loads_ = 0;
  uint64_t failures_ = 0;
  uint64_t unknown_kid_refreshes_ = 0;
  std::minstd_rand jitter_{std::random_device{}()};
};

}  // namespace advocacy::auth::internal
