#pragma once

// The transactional outbox. A service writes a state change and the event describing it in one
// Lua script: the event goes to a Redis list `adv:<service>:outbox:{<hash tag>}` in the same hash
// slot as the state it describes. The Relay publishes each entry to Kafka and deletes it only
// after the broker acknowledged it (acks=all). Kafka being down delays events; it never loses them.
//
// Finding entries again after a crash: every outbox list with entries is named in the service's
// sorted set `adv:<service>:outbox:index` (score = when it was last leased, ms). The relay that
// wrote an entry publishes it at once (fast path); a periodic sweep publishes entries whose lease
// ran out (another replica crashed, or Kafka was down); at start a SCAN re-indexes lists that a
// crash left unindexed. Delivery is therefore at-least-once: consumers deduplicate by sequence.
//
// Least privilege: every key a service's outbox uses starts with `adv:<service>:`, so the
// service's Redis ACL user (`~adv:<service>:*`) covers its outbox and nothing of another
// service's, and a relay only ever sees its own service's entries. A relay publishes only the
// topics its service owns (RelayOptions::topics): an entry naming any other topic — a bug, or a
// write by someone who got into the service's keys — is never published; it moves to
// `adv:<service>:outbox:refused` (newest first, at most kRefusedKept) and is counted in
// advocacy_outbox_refused_total{service}, which an alert watches.
//
// Upgrade from the shared layout (before issue 11 every service wrote `adv:outbox:{tag}` and
// swept `adv:outbox:index`): at start, a relay moves the entries of those legacy lists whose
// topic it owns into its own lists (oldest first, atomically per entry) and publishes them;
// entries of other topics stay for their own service. Where the service's Redis user may not
// read the legacy keys (ACLs on), this step logs once and is skipped.

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_map>

#include "absl/status/statusor.h"
#include "advocacy/common/kafka.h"

namespace advocacy::redis {
class Connection;
class Pool;
}  // namespace advocacy::redis
namespace advocacy::metrics {
class Metrics;
}
namespace prometheus {
class Gauge;
class Counter;
}  // namespace prometheus

namespace advocacy::outbox {

// The outbox list of one hash tag of one service:
// OutboxKey("consent", "t1:e7") == "adv:consent:outbox:{t1:e7}".
std::string OutboxKey(std::string_view service, std::string_view hash_tag);
// "adv:<service>:outbox:index": the lists of `service` that hold entries.
std::string IndexKey(std::string_view service);
// "adv:<service>:outbox:refused": entries the relay refused to publish.
std::string RefusedKey(std::string_view service);
inline constexpr size_t kRefusedKept = 10000;
// The shared list of the layout before issue 11, "adv:outbox:{<hash tag>}" (upgrade only).
std::string LegacyOutboxKey(std::string_view hash_tag);

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
  // The service whose outbox this relay publishes ("consent"); names its keys. Required.
  std::string service;
  // The topics the service owns. Entries naming any other topic are refused (see above); an
  // empty set refuses every entry.
  std::set<std::string, std::less<>> topics;
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
  void MigrateLegacy(redis::Connection& conn);
  // False (and the entry moved to the refused list) when `message` names a topic the service
  // does not own.
  bool Allowed(const std::string& key, const std::string& encoded, const kafka::Message& message);
  void Enqueue(Work work);

  redis::Pool* redis_;
  kafka::Producer* producer_;
  RelayOptions options_;
  prometheus::Gauge* pending_keys_ = nullptr;
  prometheus::Gauge* in_flight_gauge_ = nullptr;
  prometheus::Gauge* oldest_age_ = nullptr;
  prometheus::Counter* published_ = nullptr;
  prometheus::Counter* republished_ = nullptr;
  prometheus::Counter* refused_ = nullptr;
  std::string index_key_;

  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Work> queue_;
  std::unordered_map<std::string, std::string> in_flight_;  // encoded entry -> outbox key
  bool stop_ = false;
  std::thread thread_;
};

}  // namespace advocacy::outbox
