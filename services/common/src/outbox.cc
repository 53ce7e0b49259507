#include "advocacy/common/outbox.h"

#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <prometheus/registry.h>

#include <cstring>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "advocacy/common/clock.h"
#include "advocacy/common/logging.h"
#include "advocacy/common/metrics.h"
#include "advocacy/common/redis_client.h"
#include "advocacy/common/strings.h"

namespace advocacy::outbox {
namespace {

constexpr char kFormatVersion = 1;

void PutString(std::string* out, std::string_view s) {
  const auto n = static_cast<uint32_t>(s.size());
  char len[4];
  std::memcpy(len, &n, 4);
  out->append(len, 4);
  out->append(s);
}

bool GetString(std::string_view* in, std::string* out) {
  if (in->size() < 4) return false;
  uint32_t n = 0;
  std::memcpy(&n, in->data(), 4);
  in->remove_prefix(4);
  if (in->size() < n) return false;
  out->assign(in->data(), n);
  in->remove_prefix(n);
  return true;
}

}  // namespace

std::string OutboxKey(std::string_view service, std::string_view hash_tag) {
  return advocacy::StrCat("adv:", service, ":outbox:{", hash_tag, "}");
}

std::string IndexKey(std::string_view service) {
  return advocacy::StrCat("adv:", service, ":outbox:index");
}

std::string RefusedKey(std::string_view service) {
  return advocacy::StrCat("adv:", service, ":outbox:refused");
}

std::string LegacyOutboxKey(std::string_view hash_tag) {
  return advocacy::StrCat("adv:outbox:{", hash_tag, "}");
}

std::string Encode(const kafka::Message& message) {
  std::string out;
  out.reserve(64 + message.topic.size() + message.key.size() + message.payload.size());
  out.push_back(kFormatVersion);
  PutString(&out, message.topic);
  PutString(&out, message.key);
  PutString(&out, message.payload);
  const auto count = static_cast<uint32_t>(message.headers.size());
  char len[4];
  std::memcpy(len, &count, 4);
  out.append(len, 4);
  for (const auto& h : message.headers) {
    PutString(&out, h.key);
    PutString(&out, h.value);
  }
  return out;
}

absl::StatusOr<kafka::Message> Decode(std::string_view in) {
  if (in.empty() || in.front() != kFormatVersion) {
    return absl::DataLossError("outbox entry has an unknown format version");
  }
  in.remove_prefix(1);
  kafka::Message m;
  if (!GetString(&in, &m.topic) || !GetString(&in, &m.key) || !GetString(&in, &m.payload) ||
      in.size() < 4) {
    return absl::DataLossError("outbox entry is truncated");
  }
  uint32_t count = 0;
  std::memcpy(&count, in.data(), 4);
  in.remove_prefix(4);
  for (uint32_t i = 0; i < count; ++i) {
    kafka::Header h;
    if (!GetString(&in, &h.key) || !GetString(&in, &h.value)) {
      return absl::DataLossError("outbox entry headers are truncated");
    }
    m.headers.push_back(std::move(h));
  }
  if (!in.empty()) return absl::DataLossError("outbox entry has trailing bytes");
  return m;
}

Relay::Relay(redis::Pool* redis, kafka::Producer* producer, RelayOptions options,
             metrics::Metrics* metrics)
    : redis_(redis),
      producer_(producer),
      options_(std::move(options)),
      index_key_(IndexKey(options_.service)) {
  if (metrics != nullptr) {
    const prometheus::Labels labels = {{"service", metrics->service()}};
    auto& reg = metrics->registry();
    pending_keys_ = &prometheus::BuildGauge()
                         .Name("advocacy_outbox_pending_lists")
                         .Help("Outbox lists that hold events not yet acknowledged by Kafka.")
                         .Register(reg)
                         .Add(labels);
    in_flight_gauge_ =
        &prometheus::BuildGauge()
             .Name("advocacy_outbox_in_flight")
             .Help("Outbox events handed to the Kafka producer, not yet acknowledged.")
             .Register(reg)
             .Add(labels);
    oldest_age_ =
        &prometheus::BuildGauge()
             .Name("advocacy_outbox_oldest_lease_age_seconds")
             .Help("Age of the oldest outbox lease: grows while events cannot be published.")
             .Register(reg)
             .Add(labels);
    auto& counters = prometheus::BuildCounter()
                         .Name("advocacy_outbox_published_total")
                         .Help("Outbox events acknowledged by Kafka and removed from the outbox.")
                         .Register(reg);
    published_ = &counters.Add(labels);
    republished_ = &prometheus::BuildCounter()
                        .Name("advocacy_outbox_republished_total")
                        .Help("Outbox events published by the sweep rather than the fast path.")
                        .Register(reg)
                        .Add(labels);
    refused_ = &prometheus::BuildCounter()
                    .Name("advocacy_outbox_refused_total")
                    .Help(
                        "Outbox entries naming a topic the service does not own: never "
                        "published, moved to adv:<service>:outbox:refused.")
                    .Register(reg)
                    .Add(labels);
  }
}

Relay::~Relay() { Stop(); }

void Relay::Start() {
  std::lock_guard lock(mu_);
  if (thread_.joinable()) return;
  stop_ = false;
  thread_ = std::thread([this] { Loop(); });
}

void Relay::Stop() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void Relay::Notify(std::string outbox_key, std::string encoded) {
  Enqueue({Work::Kind::kPublish, std::move(outbox_key), std::move(encoded)});
}

size_t Relay::in_flight() const {
  std::lock_guard lock(mu_);
  return in_flight_.size();
}

void Relay::Enqueue(Work work) {
  {
    std::lock_guard lock(mu_);
    queue_.push_back(std::move(work));
  }
  cv_.notify_one();
}

void Relay::Loop() {
  Reindex();
  auto next_sweep = std::chrono::steady_clock::now();
  for (;;) {
    std::deque<Work> batch;
    {
      std::unique_lock lock(mu_);
      cv_.wait_until(lock, next_sweep, [this] { return stop_ || !queue_.empty(); });
      if (stop_) break;
      batch.swap(queue_);
    }
    // Publishes first: a new event must not wait behind the Redis round trips that removing
    // acknowledged entries costs (the publish latency is what consumers see).
    std::vector<std::string> new_keys;
    for (auto& w : batch) {
      if (w.kind != Work::Kind::kPublish) continue;
      Publish(w.key, w.encoded);
      new_keys.push_back(std::move(w.key));
    }
    for (auto& w : batch) {
      switch (w.kind) {
        case Work::Kind::kPublish:
          break;
        case Work::Kind::kAck:
          Acknowledge(w.key, w.encoded);
          break;
        case Work::Kind::kFailed: {
          std::lock_guard lock(mu_);
          in_flight_.erase(w.encoded);  // the sweep tries again after the lease
          break;
        }
      }
    }
    if (!new_keys.empty()) {
      // Index after producing so the index write adds nothing to the publish latency.
      std::vector<std::vector<std::string>> cmds;
      cmds.reserve(new_keys.size());
      const std::string now = std::to_string(clock::UnixMillis());
      for (auto& k : new_keys) cmds.push_back({"ZADD", index_key_, "NX", now, k});
      auto lease = redis_->Acquire();
      if (lease.ok()) {
        auto r = (*lease)->Pipeline(cmds);
        if (!r.ok())
          log::Warning("outbox index write failed", {{"error", std::string(r.status().message())}});
      }
    }
    if (std::chrono::steady_clock::now() >= next_sweep) {
      Sweep();
      next_sweep = std::chrono::steady_clock::now() + options_.sweep_interval;
    }
  }
}

void Relay::Publish(const std::string& key, const std::string& encoded) {
  {
    std::lock_guard lock(mu_);
    if (in_flight_.size() >= options_.max_in_flight) return;  // the sweep catches up later
    if (!in_flight_.emplace(encoded, key).second) return;     // already on its way
  }
  absl::StatusOr<kafka::Message> message = Decode(encoded);
  if (!message.ok()) {
    // A corrupt entry can never be published; keep it for an operator, but do not spin on it.
    log::Error("outbox entry cannot be decoded; left in place for inspection",
               {{"outbox_key", key}, {"error", std::string(message.status().message())}});
    return;
  }
  if (!Allowed(key, encoded, *message)) return;
  const absl::Status st =
      producer_->Produce(std::move(*message), [this, key, encoded](const absl::Status& delivery) {
        if (delivery.ok()) {
          Enqueue({Work::Kind::kAck, key, encoded});
        } else {
          log::Warning("outbox event not delivered, will retry",
                       {{"outbox_key", key}, {"error", std::string(delivery.message())}});
          Enqueue({Work::Kind::kFailed, key, encoded});
        }
      });
  if (!st.ok()) {
    std::lock_guard lock(mu_);
    in_flight_.erase(encoded);
  }
}

bool Relay::Allowed(const std::string& key, const std::string& encoded,
                    const kafka::Message& message) {
  if (options_.topics.count(message.topic) != 0) return true;
  // Removed first, recorded and counted only by the pass that removed it: a sweep and a notify
  // can hand the same entry to the relay twice, and the refusal must happen once. (A crash
  // between the two steps loses the copy in the refused list, never the log line.)
  auto lease = redis_->Acquire();
  if (!lease.ok()) {
    log::Warning("refused outbox entry not moved; it is refused again at the next sweep",
                 {{"outbox_key", key}, {"error", std::string(lease.status().message())}});
  } else if (auto removed = (*lease)->Command({"LREM", key, "1", encoded}); !removed.ok()) {
    log::Warning("refused outbox entry not moved; it is refused again at the next sweep",
                 {{"outbox_key", key}, {"error", std::string(removed.status().message())}});
  } else if (removed->is_integer() && removed->integer == 1) {
    log::Error("outbox entry names a topic this service does not own; refused, not published",
               {{"outbox_key", key}, {"topic", message.topic}, {"service", options_.service}});
    if (refused_ != nullptr) refused_->Increment();
    const std::string refused = RefusedKey(options_.service);
    auto r = (*lease)->Pipeline(
        {{"LPUSH", refused, encoded}, {"LTRIM", refused, "0", std::to_string(kRefusedKept - 1)}});
    if (!r.ok()) {
      log::Warning("refused outbox entry removed but not kept in the refused list",
                   {{"outbox_key", key}, {"error", std::string(r.status().message())}});
    }
  }
  std::lock_guard lock(mu_);
  in_flight_.erase(encoded);
  return false;
}

void Relay::Acknowledge(const std::string& key, const std::string& encoded) {
  auto lease = redis_->Acquire();
  if (!lease.ok()) {
    // The entry stays; it is published again after the lease and consumers deduplicate.
    std::lock_guard lock(mu_);
    in_flight_.erase(encoded);
    return;
  }
  auto r = (*lease)->Pipeline({{"LREM", key, "1", encoded}, {"LLEN", key}});
  {
    std::lock_guard lock(mu_);
    in_flight_.erase(encoded);
  }
  if (!r.ok()) {
    log::Warning("outbox entry delivered but not removed; it will be published again",
                 {{"outbox_key", key}, {"error", std::string(r.status().message())}});
    return;
  }
  if (published_ != nullptr) published_->Increment();
  if ((*r)[1].type == redis::Reply::Type::kInteger && (*r)[1].integer == 0) {
    // A writer racing this ZREM re-adds the key after its own commit, and its fast path
    // publishes the entry anyway; the start-up reindex covers a crash in between.
    (void)(*lease)->Command({"ZREM", index_key_, key});
  }
}

void Relay::Sweep() {
  auto lease = redis_->Acquire();
  if (!lease.ok()) return;
  redis::Connection& conn = **lease;
  const int64_t now = clock::UnixMillis();
  const std::string now_text = std::to_string(now);

  // Renew the leases of everything this process has in flight, so other replicas leave it alone.
  std::unordered_set<std::string> own_keys;
  {
    std::lock_guard lock(mu_);
    for (const auto& [encoded, key] : in_flight_) own_keys.insert(key);
    if (in_flight_gauge_ != nullptr) in_flight_gauge_->Set(static_cast<double>(in_flight_.size()));
  }
  if (!own_keys.empty()) {
    std::vector<std::vector<std::string>> renew;
    renew.reserve(own_keys.size());
    for (const auto& k : own_keys) renew.push_back({"ZADD", index_key_, "XX", now_text, k});
    (void)conn.Pipeline(renew);
  }

  auto due = conn.Command({"ZRANGEBYSCORE", index_key_, "-inf",
                           std::to_string(now - options_.lease.count()), "LIMIT", "0",
                           std::to_string(options_.sweep_batch)});
  if (due.ok() && due->type == redis::Reply::Type::kArray) {
    for (const auto& item : due->elements) {
      const std::string& key = item.str;
      if (own_keys.count(key) != 0) continue;
      // Claim the list for one lease, then publish what it holds in order.
      auto entries =
          conn.Pipeline({{"ZADD", index_key_, "XX", now_text, key},
                         {"LRANGE", key, "0", std::to_string(options_.sweep_batch - 1)}});
      if (!entries.ok()) break;
      const redis::Reply& list = (*entries)[1];
      if (list.elements.empty()) {
        (void)conn.Command({"ZREM", index_key_, key});
        continue;
      }
      for (const auto& e : list.elements) {
        if (republished_ != nullptr) republished_->Increment();
        Publish(key, e.str);
      }
    }
  }

  auto stats =
      conn.Pipeline({{"ZCARD", index_key_}, {"ZRANGE", index_key_, "0", "0", "WITHSCORES"}});
  if (stats.ok()) {
    if (pending_keys_ != nullptr) pending_keys_->Set(static_cast<double>((*stats)[0].integer));
    if (oldest_age_ != nullptr) {
      const auto& oldest = (*stats)[1].elements;
      double age = 0;
      if (oldest.size() == 2) age = static_cast<double>(now - std::stoll(oldest[1].str)) / 1000.0;
      oldest_age_->Set(age < 0 ? 0 : age);
    }
  }
}

void Relay::Reindex() {
  auto lease = redis_->Acquire();
  if (!lease.ok()) {
    log::Warning("outbox reindex skipped: Redis unavailable; the sweep still covers indexed lists");
    return;
  }
  MigrateLegacy(**lease);
  std::string cursor = "0";
  size_t found = 0;
  const std::string pattern = OutboxKey(options_.service, "*");
  do {
    auto r = (*lease)->Command({"SCAN", cursor, "MATCH", pattern, "COUNT", "1000"});
    if (!r.ok() || r->elements.size() != 2) return;
    cursor = r->elements[0].str;
    std::vector<std::vector<std::string>> cmds;
    for (const auto& k : r->elements[1].elements) {
      cmds.push_back({"ZADD", index_key_, "NX", "0", k.str});
    }
    found += cmds.size();
    if (!cmds.empty()) (void)(*lease)->Pipeline(cmds);
  } while (cursor != "0");
  if (found > 0) log::Info("outbox lists re-indexed at start", {{"lists", std::to_string(found)}});
}

void Relay::MigrateLegacy(redis::Connection& conn) {
  // One entry at a time: removed from the legacy list and pushed to the head of the service's
  // own list in one step, so a crash in between neither loses nor duplicates it. Walking the
  // legacy list from its tail and pushing to the head keeps the entries' order, ahead of
  // anything the service wrote since the upgrade (consumers order by sequence anyway).
  static constexpr std::string_view kMove =
      "if redis.call('LREM', KEYS[1], 1, ARGV[1]) == 1 then "
      "redis.call('LPUSH', KEYS[2], ARGV[1]) return 1 end return 0";
  std::string cursor = "0";
  size_t moved = 0;
  do {
    auto r = conn.Command({"SCAN", cursor, "MATCH", LegacyOutboxKey("*"), "COUNT", "1000"});
    if (!r.ok() || r->elements.size() != 2) {
      log::Info("outbox: legacy lists not migrated (this service's Redis user may not read them)",
                {{"error", r.ok() ? "unexpected SCAN reply" : std::string(r.status().message())}});
      return;
    }
    cursor = r->elements[0].str;
    for (const auto& legacy : r->elements[1].elements) {
      const std::string& key = legacy.str;
      const std::string_view prefix = "adv:outbox:{";
      if (key.size() <= prefix.size() + 1 || key.back() != '}') continue;
      const std::string own =
          OutboxKey(options_.service,
                    std::string_view(key).substr(prefix.size(), key.size() - prefix.size() - 1));
      auto entries = conn.Command({"LRANGE", key, "0", "-1"});
      if (!entries.ok()) continue;
      size_t moved_here = 0;
      for (auto it = entries->elements.rbegin(); it != entries->elements.rend(); ++it) {
        auto message = Decode(it->str);
        if (!message.ok() || options_.topics.count(message->topic) == 0) continue;
        auto m = conn.Command({"EVAL", std::string(kMove), "2", key, own, it->str});
        if (m.ok() && m->integer == 1) ++moved_here;
      }
      if (moved_here > 0) (void)conn.Command({"ZADD", index_key_, "NX", "0", own});
      moved += moved_here;
    }
  } while (cursor != "0");
  if (moved > 0) {
    log::Info("outbox: entries moved from the shared pre-upgrade lists",
              {{"entries", std::to_string(moved)}, {"service", options_.service}});
  }
}

}  // namespace advocacy::outbox
