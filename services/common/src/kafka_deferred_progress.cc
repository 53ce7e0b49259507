#include "kafka_deferred_progress.h"

namespace advocacy::kafka::internal {

Finished DeferredProgress::Take(const PartitionKey& partition, int64_t offset) {
  {
    std::lock_guard lock(mu_);
    taken_[partition][offset] = false;
  }
  return [weak = weak_from_this(), partition, offset] {
    if (auto progress = weak.lock()) progress->Finish(partition, offset);
  };
}

void DeferredProgress::Untake(const PartitionKey& partition, int64_t offset) {
  std::lock_guard lock(mu_);
  if (auto it = taken_.find(partition); it != taken_.end()) it->second.erase(offset);
}

size_t DeferredProgress::Unfinished(const PartitionKey& partition) const {
  std::lock_guard lock(mu_);
  auto it = taken_.find(partition);
  return it == taken_.end() ? 0 : it->second.size();
}

std::vector<std::pair<PartitionKey, int64_t>> DeferredProgress::TakeFinishedPrefixes() {
  std::vector<std::pair<PartitionKey, int64_t>> done;
  std::lock_guard lock(mu_);
  for (auto& [partition, offsets] : taken_) {
    int64_t last = -1;
    while (!offsets.empty() && offsets.begin()->second) {
      last = offsets.begin()->first;
      offsets.erase(offsets.begin());
    }
    if (last >= 0) done.emplace_back(partition, last);
  }
  return done;
}

void DeferredProgress::Forget(const std::vector<PartitionKey>& partitions) {
  std::lock_guard lock(mu_);
  for (const PartitionKey& partition : partitions) taken_.erase(partition);
}

void DeferredProgress::ForgetAll() {
  std::lock_guard lock(mu_);
  taken_.clear();
}

void DeferredProgress::Finish(const PartitionKey& partition, int64_t offset) {
  std::lock_guard lock(mu_);
  auto it = taken_.find(partition);
  if (it == taken_.end()) return;  // revoked meanwhile
  if (auto message = it->second.find(offset); message != it->second.end()) message->second = true;
}

}  // namespace advocacy::kafka::internal
