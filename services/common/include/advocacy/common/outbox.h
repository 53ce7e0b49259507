#pragma once

// The transactional outbox. A service writes a state change and the event describing it in one
// Lua script: the event goes to a Redis list `adv:outbox:{<hash tag>}` in the same hash slot as
// the state it describes. The Relay publishes each entry to Kafka and deletes it only after the
// broker acknowledged it (acks=all). Kafka being down delays events; it never loses them.
//
// Finding entries again after a crash: every outbox list with entries is named in the sorted set
// `adv:outbox:index` (score = when it was last leased, ms). The relay that wrote an entry
// publishes it at once (fast path); a periodic sweep publishes entries whose lease ran out
// (another replica crashed, or Kafka was down); at start a SCAN re-indexes lists that a crash
// left unindexed. Delivery is therefore at-least-once: consumers deduplicate by sequence.

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_map>

#include "absl/status/statusor.h"
#include "advocacy/common/kafka.h"

namespace advocacy::redis {
class Pool;
}
namespace advocacy::metrics {
class Metrics;
}
namespace prometheus {
class Gauge;
class Counter;
}  // namespace prometheus

namespace advocacy::outbox {

inline constexpr std::string_view kIndexKey = "adv:outbox:index";
inline constexpr std::string_view kKeyPrefix = "adv:outbox:";

// The outbox list of one hash tag, e.g. OutboxKey("t1:e7") == "adv:outbox:{t1:e7}".
std::string OutboxKey(std::string_view hash_tag);

// An outbox entry is a Kafka message in a compact length-prefixed binary form.
std::string Encode(const kafka::Message& message);
absl::StatusOr<kafka::Message> Decode(std::string_view encoded);

// Where a service hands an entry right after the script that wrote it committed: the relay's
// fast path. Managers take a Notifier*, so unit tests give them a fake; may be null there. An
// entry that is never notified is still published by the relay's sweep after its lease.
class Notifier {
 public:
  virtual ~Notifier() = default;
  virtual void Notify(std::string outbox_key, std::string encoded) = 0;
};

struct RelayOptions {
  // An entry not acknowledged within the lease is published again by whichever relay sweeps it.
  std::chrono::milliseconds lease{3000};
  std::chrono::milliseconds sweep_interval{250};
  size_t sweep_batch = 200;
  size_t max_in_flight = 100000;
};

class Relay final : public Notifier {
 public:
  Relay(redis::Pool* redis, kafka::Producer* producer, RelayOptions options,
        metrics::Metrics* metrics);
  ~Relay() override;
  Relay(const Relay&) = delete;
  Relay& operator=(const Relay&) = delete;

  void Start();
  // Stops sweeping; entries in flight stay in Redis if not acknowledged and are picked up later.
  void Stop();

  // Fast path: called right after a script committed `encoded` to `outbox_key`.
  void Notify(std::string outbox_key, std::string encoded) override;

  // Entries produced but not yet acknowledged (for tests and metrics).
  size_t in_flight() const;

 private:
  struct Work {
    enum class Kind { kPublish, kAck, kFailed } kind;
    std::string key;
    std::string encoded;
  };
  void Loop();
  void Publish(const std::string& key, const std::string& encoded);
  void Acknowledge(const std::string& key, const std::string& encoded);
  void Sweep();
  void Reindex();
  void Enqueue(Work work);

  redis::Pool* redis_;
  kafka::Producer* producer_;
  RelayOptions options_;
  prometheus::Gauge* pending_keys_ = nullptr;
  prometheus::Gauge* in_flight_gauge_ = nullptr;
  prometheus::Gauge* oldest_age_ = nullptr;
  prometheus::Counter* published_ = nullptr;
  prometheus::Counter* republished_ = nullptr;

  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Work> queue_;
  std::unordered_map<std::string, std::string> in_flight_;  // encoded entry -> outbox key
  bool stop_ = false;
  std::thread thread_;
};

}  // namespace advocacy::outbox
