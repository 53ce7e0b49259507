#pragma once

// The per-partition progress of deferred handling (Consumer::CreateDeferred): which messages the
// handler took, in the order it took them, and which of those are finished. An offset is stored
// for commit only up to the first message that is not finished yet. Internal to advocacy_kafka.

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "advocacy/common/kafka.h"

namespace advocacy::kafka::internal {

using PartitionKey = std::pair<std::string, int32_t>;  // topic, partition

// Shared with the Finished callbacks it hands out, which may run on any thread and after the
// consumer is gone (they hold a weak_ptr): make it with std::make_shared; every member is
// thread-safe.
class DeferredProgress final : public std::enable_shared_from_this<DeferredProgress> {
 public:
  // Marks the message taken, before its handler runs: the callback returned, which finishes it,
  // may be called before the handler returns.
  Finished Take(const PartitionKey& partition, int64_t offset);
  // Forgets a message whose handler did not return OK (its callback must not run).
  void Untake(const PartitionKey& partition, int64_t offset);
  // How many taken messages of the partition wait to be stored: the unfinished ones, and the
  // finished ones behind the first unfinished one (or not yet collected by
  // TakeFinishedPrefixes).
  [[nodiscard]] size_t Unfinished(const PartitionKey& partition) const;
  // For each partition whose first taken messages are finished: the offset of the last of them.
  // They are forgotten: the caller stores their offsets now.
  std::vector<std::pair<PartitionKey, int64_t>> TakeFinishedPrefixes();
  // Forgets revoked partitions: their unfinished messages come again at their next owner, and
  // their Finished callbacks do nothing from now on.
  void Forget(const std::vector<PartitionKey>& partitions);
  void ForgetAll();

 private:
  void Finish(const PartitionKey& partition, int64_t offset);

  mutable std::mutex mu_;
  std::map<PartitionKey, std::map<int64_t, bool>> taken_;  // offset -> finished; guarded by mu_
};

}  // namespace advocacy::kafka::internal
