#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <exception>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "advocacy/common/kafka.h"
#include "advocacy/common/logging.h"
#include "advocacy/common/status_macros.h"
#include "kafka_dead_letter_writer.h"
#include "kafka_deferred_progress.h"
#include "kafka_internal.h"

namespace advocacy::kafka {

using internal::DeadLetterWriter;
using internal::DeferredProgress;
using internal::ErrorPtr;
using internal::ErrorText;
using internal::KafkaPtr;
using internal::MessagePtr;
using internal::PartitionKey;
using internal::PartitionListPtr;

namespace {

constexpr int kPollTimeoutMs = 100;
constexpr int kSeekTimeoutMs = 5000;
constexpr std::chrono::seconds kIdleLagInterval{1};
constexpr std::chrono::seconds kErrorLogInterval{30};
// How many times a message fetched past the one a partition is held on is discarded (with a new
// seek) before concluding that the held offset is gone (retention, compaction) and moving on.
constexpr int kMaxStrays = 3;

using Clock = std::chrono::steady_clock;

std::string PartitionsText(const rd_kafka_topic_partition_list_t* list) {
  std::vector<std::string> parts;
  if (list != nullptr) {
    for (int i = 0; i < list->cnt; ++i) {
      parts.push_back(absl::StrCat(list->elems[i].topic, "/", list->elems[i].partition));
    }
  }
  return absl::StrJoin(parts, ",");
}

std::vector<PartitionKey> PartitionKeys(const rd_kafka_topic_partition_list_t* list) {
  std::vector<PartitionKey> keys;
  keys.reserve(static_cast<size_t>(list->cnt));
  for (int i = 0; i < list->cnt; ++i) {
    keys.emplace_back(list->elems[i].topic, list->elems[i].partition);
  }
  return keys;
}

// A partition held on one message: seeked back to it and waiting a backoff, because its handler
// failed (or its dead letter could not be written) or because of back-pressure. Nothing after it
// on that partition is handed out until it is taken.
struct Hold {
  int64_t offset = -1;
  int failures = 0;  // handler calls (or dead-letter writes) that failed
  int waits = 0;     // back-pressure waits: the partition had too many unfinished messages
  int strays = 0;    // messages fetched past `offset` since the last seek

  [[nodiscard]] int attempts() const { return failures + waits; }
};

}  // namespace

struct Consumer::Impl {
  ConsumerOptions options;
  DeferredHandler handler;
  std::shared_ptr<DeferredProgress> progress = std::make_shared<DeferredProgress>();
  Stats* stats = nullptr;
  std::unique_ptr<DeadLetterWriter> dead_letter;
  KafkaPtr rk;

  enum class State { kCreated, kRunning, kStopped };
  std::mutex lifecycle_mu;
  State state = State::kCreated;  // guarded by lifecycle_mu
  std::thread thread;

  std::mutex stop_mu;
  std::condition_variable stop_cv;
  std::atomic<bool> stop{false};

  // Everything below is touched only by the poll thread, and by Stop() once that thread has
  // been joined (rd_kafka_consumer_close() runs the rebalance callback on the caller).
  std::map<PartitionKey, Hold> holds;
  PartitionListPtr assignment;  // also scratch space for rd_kafka_position()
  int64_t reported_lag = 0;     // this consumer's share of stats->consumer_lag
  Clock::time_point next_idle_lag_update{};
  std::map<int, Clock::time_point> last_error_log;

  void Count(std::atomic<uint64_t> Stats::*counter) const {
    if (stats != nullptr) (stats->*counter).fetch_add(1);
  }

  void SetBrokerUp(bool up) const {
    if (stats != nullptr) stats->broker_up.store(up);
  }

  // At most one line per error code every kErrorLogInterval: librdkafka repeats them.
  bool ShouldLog(int code) {
    const auto now = Clock::now();
    auto [it, inserted] = last_error_log.try_emplace(code, now);
    if (inserted) return true;
    if (now - it->second < kErrorLogInterval) return false;
    it->second = now;
    return true;
  }

  // ---- The poll loop ---------------------------------------------------------------------

  void Run() {
    log::Info("Kafka consumer running",
              {{"group", options.group_id}, {"topics", absl::StrJoin(options.topics, ",")}});
    while (!stop.load()) {
      MessagePtr message(rd_kafka_consumer_poll(rk.get(), kPollTimeoutMs));
      if (message == nullptr) {
        StoreFinished();
        if (Clock::now() >= next_idle_lag_update) {
          UpdateLag();
          next_idle_lag_update = Clock::now() + kIdleLagInterval;
        }
        continue;
      }
      if (message->err != RD_KAFKA_RESP_ERR_NO_ERROR) {
        OnConsumerError(*message);
        continue;
      }
      SetBrokerUp(true);
      Process(*message);
      StoreFinished();
      UpdateLag();
    }
  }

  // Leaves the loop without waiting out a backoff.
  void RequestStop() {
    {
      std::lock_guard lock(stop_mu);
      stop.store(true);
    }
    stop_cv.notify_all();
  }

  void Backoff(std::chrono::milliseconds delay) {
    std::unique_lock lock(stop_mu);
    stop_cv.wait_for(lock, delay, [this] { return stop.load(); });
  }

  [[nodiscard]] std::chrono::milliseconds BackoffFor(int attempts) const {
    auto delay = options.retry_backoff_initial;
    for (int i = 1; i < attempts && delay < options.retry_backoff_max; ++i) delay *= 2;
    return std::min(delay, options.retry_backoff_max);
  }

  // ---- Errors librdkafka reports ------------------------------------------------------------

  void OnConsumerError(const rd_kafka_message_t& message) {
    if (message.err == RD_KAFKA_RESP_ERR__PARTITION_EOF) return;
    if (!ShouldLog(message.err)) return;
    const std::string topic = message.rkt != nullptr ? rd_kafka_topic_name(message.rkt) : "";
    if (message.err == RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART ||
        message.err == RD_KAFKA_RESP_ERR__UNKNOWN_TOPIC) {
      log::Warning(
          "Kafka topic to consume does not exist (yet); create it, e.g. with "
          "Producer::EnsureTopics at service start",
          {{"topic", topic},
           {"group", options.group_id},
           {"detail", rd_kafka_message_errstr(&message)}});
      return;
    }
    log::Warning("Kafka consumer error (librdkafka retries on its own)",
                 {{"topic", topic},
                  {"group", options.group_id},
                  {"error", ErrorText(message.err)},
                  {"detail", rd_kafka_message_errstr(&message)}});
  }

  void OnError(int code, const char* reason) {
    const auto err = static_cast<rd_kafka_resp_err_t>(code);
    if (err == RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN) {
      SetBrokerUp(false);
      log::Warning("all Kafka brokers are down; the consumer waits for one to come back",
                   {{"group", options.group_id}, {"brokers", options.brokers}});
      return;
    }
    if (err == RD_KAFKA_RESP_ERR__FATAL) {
      std::array<char, 512> detail{};
      const rd_kafka_resp_err_t fatal_err =
          rd_kafka_fatal_error(rk.get(), detail.data(), detail.size());
      SetBrokerUp(false);
      log::Error(
          "Kafka consumer hit a fatal error and cannot consume any more; restart the "
          "service",
          {{"group", options.group_id},
           {"error", ErrorText(fatal_err)},
           {"detail", detail.data()}});
      return;
    }
    if (!ShouldLog(code)) return;
    log::Warning("Kafka consumer error (librdkafka retries on its own)",
                 {{"group", options.group_id}, {"error", ErrorText(err)}, {"detail", reason}});
  }

  // ---- Rebalances ---------------------------------------------------------------------------

  void OnRebalance(rd_kafka_resp_err_t err, rd_kafka_topic_partition_list_t* partitions) {
    const char* protocol = rd_kafka_rebalance_protocol(rk.get());
    const bool cooperative = protocol != nullptr && std::strcmp(protocol, "COOPERATIVE") == 0;
    if (err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
      Assign(partitions, cooperative);
    } else {
      Unassign(err, partitions, cooperative);
    }
    rd_kafka_topic_partition_list_t* current = nullptr;
    if (rd_kafka_assignment(rk.get(), &current) == RD_KAFKA_RESP_ERR_NO_ERROR) {
      assignment.reset(current);
    } else {
      assignment.reset();
    }
    UpdateLag();
  }

  void Assign(rd_kafka_topic_partition_list_t* partitions, bool cooperative) {
    log::Info("Kafka partitions assigned",
              {{"group", options.group_id}, {"partitions", PartitionsText(partitions)}});
    if (cooperative) {
      ErrorPtr error(rd_kafka_incremental_assign(rk.get(), partitions));
      if (error != nullptr) {
        log::Error("Kafka incremental assign failed",
                   {{"group", options.group_id}, {"error", rd_kafka_error_string(error.get())}});
      }
    } else if (const auto assign_err = rd_kafka_assign(rk.get(), partitions);
               assign_err != RD_KAFKA_RESP_ERR_NO_ERROR) {
      log::Error("Kafka assign failed",
                 {{"group", options.group_id}, {"error", ErrorText(assign_err)}});
    }
  }

  // Partitions revoked or lost, or a failed rebalance (which drops the whole assignment).
  void Unassign(rd_kafka_resp_err_t err, rd_kafka_topic_partition_list_t* partitions,
                bool cooperative) {
    if (err == RD_KAFKA_RESP_ERR__REVOKE_PARTITIONS) {
      // A lost assignment means another member may already own these partitions: offsets
      // stored for them will not be committed, and their messages will be handled again.
      const bool lost = rd_kafka_assignment_lost(rk.get()) != 0;
      log::Write(lost ? log::Severity::kWarning : log::Severity::kInfo,
                 lost ? "Kafka partitions lost (session timed out); their uncommitted "
                        "messages will be handled again by the new owner"
                      : "Kafka partitions revoked",
                 {{"group", options.group_id}, {"partitions", PartitionsText(partitions)}});
    } else {
      log::Error("Kafka rebalance failed; dropping the assignment",
                 {{"group", options.group_id}, {"error", ErrorText(err)}});
    }
    // Unfinished messages of revoked partitions come again at their next owner.
    if (cooperative && err == RD_KAFKA_RESP_ERR__REVOKE_PARTITIONS) {
      const std::vector<PartitionKey> revoked = PartitionKeys(partitions);
      for (const PartitionKey& key : revoked) holds.erase(key);
      progress->Forget(revoked);
      ErrorPtr error(rd_kafka_incremental_unassign(rk.get(), partitions));
      if (error != nullptr) {
        log::Error("Kafka incremental unassign failed",
                   {{"group", options.group_id}, {"error", rd_kafka_error_string(error.get())}});
      }
    } else {
      holds.clear();
      progress->ForgetAll();
      rd_kafka_assign(rk.get(), nullptr);
    }
  }

  [[nodiscard]] bool Assigned(const std::string& topic, int32_t partition) const {
    return assignment != nullptr && rd_kafka_topic_partition_list_find(
                                        assignment.get(), topic.c_str(), partition) != nullptr;
  }

  // ---- Offsets --------------------------------------------------------------------------------

  // Stores, for commit, the offset after `offset` (the committed offset is the next to read).
  void StoreOffset(const PartitionKey& key, int64_t offset) {
    const auto& [topic, partition] = key;
    if (!Assigned(topic, partition)) {
      log::Debug("Kafka partition no longer assigned; offset not stored",
                 {{"topic", topic}, {"partition", std::to_string(partition)}});
      return;
    }
    PartitionListPtr list(rd_kafka_topic_partition_list_new(1));
    rd_kafka_topic_partition_list_add(list.get(), topic.c_str(), partition)->offset = offset + 1;
    rd_kafka_resp_err_t err = rd_kafka_offsets_store(rk.get(), list.get());
    if (err == RD_KAFKA_RESP_ERR_NO_ERROR) err = list->elems[0].err;
    if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
      log::Warning("Kafka offset not stored; the message may be handled again",
                   {{"topic", topic},
                    {"partition", std::to_string(partition)},
                    {"offset", std::to_string(offset)},
                    {"error", ErrorText(err)}});
    }
  }

  // Stores, per partition, the offset after the last message of its finished prefix.
  void StoreFinished() {
    for (const auto& [key, offset] : progress->TakeFinishedPrefixes()) StoreOffset(key, offset);
  }

  void Seek(const std::string& topic, int32_t partition, int64_t offset) {
    PartitionListPtr list(rd_kafka_topic_partition_list_new(1));
    rd_kafka_topic_partition_list_add(list.get(), topic.c_str(), partition)->offset = offset;
    // With a timeout the call returns only once prefetched messages past `offset` are purged.
    ErrorPtr error(rd_kafka_seek_partitions(rk.get(), list.get(), kSeekTimeoutMs));
    std::string failure;
    if (error != nullptr) {
      failure = rd_kafka_error_string(error.get());
    } else if (list->elems[0].err != RD_KAFKA_RESP_ERR_NO_ERROR) {
      failure = ErrorText(list->elems[0].err);
    }
    if (!failure.empty()) {
      // Not fatal: a message fetched past `offset` is caught by SkipStray() and seeks again.
      log::Error("Kafka seek back to the held message failed",
                 {{"topic", topic},
                  {"partition", std::to_string(partition)},
                  {"offset", std::to_string(offset)},
                  {"error", failure}});
    }
  }

  // ---- Handing out one message ----------------------------------------------------------------

  // Hands the message to the handler, or holds its partition on it (seek back, back off) until it
  // can be taken: after a transient failure, or while the partition is at its bound of
  // unfinished messages. Poison messages go to the dead-letter topic.
  void Process(const rd_kafka_message_t& rkm) {
    const Message m = internal::ToMessage(rkm);
    const PartitionKey key{m.topic, m.partition};
    if (SkipStray(m, key)) return;
    if (const size_t unfinished = progress->Unfinished(key);
        unfinished >= static_cast<size_t>(options.max_unfinished_per_partition)) {
      WaitForUnfinished(m, key, unfinished);
      return;
    }
    const absl::Status status = Hand(m, key);
    if (status.ok()) {
      OnTaken(m, key);
      return;
    }
    Count(&Stats::handler_failed);
    if (status.code() != absl::StatusCode::kInvalidArgument) {
      RetryLater(m, key, status);
      return;
    }
    const absl::Status written = dead_letter->Write(m, status);
    if (written.ok()) {
      OnDeadLettered(m, key, status);
      return;
    }
    log::Error("Kafka poison message could not be written to the dead-letter topic; retrying it",
               {{"topic", m.topic},
                {"partition", std::to_string(m.partition)},
                {"offset", std::to_string(m.offset)},
                {"dead_letter_topic", dead_letter->topic()},
                {"reason", std::string(status.message())},
                {"error", std::string(written.message())}});
    RetryLater(m, key, written);
  }

  // True when the partition is held on an earlier message and `m` was fetched past it (a seek
  // raced a prefetch): `m` is dropped and the partition seeked back again. After kMaxStrays the
  // held message is taken to be gone (retention, compaction) and the hold is released.
  bool SkipStray(const Message& m, const PartitionKey& key) {
    auto it = holds.find(key);
    if (it == holds.end() || it->second.offset == m.offset) return false;
    Hold& hold = it->second;
    if (hold.strays < kMaxStrays) {
      ++hold.strays;
      log::Warning("Kafka message fetched past the one being retried; seeking back",
                   {{"topic", m.topic},
                    {"partition", std::to_string(m.partition)},
                    {"offset", std::to_string(m.offset)},
                    {"retrying_offset", std::to_string(hold.offset)}});
      Seek(m.topic, m.partition, hold.offset);
      return true;
    }
    log::Error(
        "Kafka message being retried is no longer in its partition (retention or "
        "compaction removed it); continuing with the next one",
        {{"topic", m.topic},
         {"partition", std::to_string(m.partition)},
         {"lost_offset", std::to_string(hold.offset)},
         {"next_offset", std::to_string(m.offset)}});
    holds.erase(it);
    return false;
  }

  // Calls the handler with the message marked taken; unmarks it when the handler did not take it.
  absl::Status Hand(const Message& m, const PartitionKey& key) {
    absl::Status status = CallHandler(m, progress->Take(key, m.offset));
    if (!status.ok()) progress->Untake(key, m.offset);
    return status;
  }

  absl::Status CallHandler(const Message& m, Finished finished) {
    try {
      return handler(m, std::move(finished));
    } catch (const std::exception& e) {
      log::Error("Kafka message handler threw; treating the message as poison",
                 {{"topic", m.topic},
                  {"partition", std::to_string(m.partition)},
                  {"offset", std::to_string(m.offset)},
                  {"error", e.what()}});
      return absl::InvalidArgumentError(absl::StrCat("handler threw: ", e.what()));
    } catch (...) {
      log::Error(
          "Kafka message handler threw a non-standard exception; treating the message "
          "as poison",
          {{"topic", m.topic},
           {"partition", std::to_string(m.partition)},
           {"offset", std::to_string(m.offset)}});
      return absl::InvalidArgumentError("handler threw a non-standard exception");
    }
  }

  void OnTaken(const Message& m, const PartitionKey& key) {
    Count(&Stats::consumed);
    auto it = holds.find(key);
    if (it == holds.end()) return;
    const Hold& hold = it->second;
    if (hold.failures > 0) {
      log::Info("Kafka message handled after retries",
                {{"topic", m.topic},
                 {"partition", std::to_string(m.partition)},
                 {"offset", std::to_string(m.offset)},
                 {"failed_attempts", std::to_string(hold.failures)}});
    } else {
      log::Info("Kafka message handed out after earlier messages of its partition finished",
                {{"topic", m.topic},
                 {"partition", std::to_string(m.partition)},
                 {"offset", std::to_string(m.offset)},
                 {"backpressure_waits", std::to_string(hold.waits)}});
    }
    holds.erase(it);
  }

  void OnDeadLettered(const Message& m, const PartitionKey& key, const absl::Status& reason) {
    Count(&Stats::dead_lettered);
    log::Warning("Kafka message cannot be processed; moved to the dead-letter topic",
                 {{"topic", m.topic},
                  {"partition", std::to_string(m.partition)},
                  {"offset", std::to_string(m.offset)},
                  {"dead_letter_topic", dead_letter->topic()},
                  {"reason", std::string(reason.message())}});
    progress->Take(key, m.offset)();  // dead-lettered: finished
    holds.erase(key);
  }

  // The hold of the partition on `m`, new when it was held on another message (or not at all).
  Hold& HoldOn(const Message& m, const PartitionKey& key) {
    Hold& hold = holds[key];
    if (hold.offset != m.offset) hold = Hold{.offset = m.offset};
    hold.strays = 0;
    return hold;
  }

  // A transient failure: the same message comes again after a backoff.
  void RetryLater(const Message& m, const PartitionKey& key, const absl::Status& status) {
    Hold& hold = HoldOn(m, key);
    ++hold.failures;
    const auto delay = BackoffFor(hold.attempts());
    log::Warning("Kafka message handling failed; the same message is retried after a backoff",
                 {{"topic", m.topic},
                  {"partition", std::to_string(m.partition)},
                  {"offset", std::to_string(m.offset)},
                  {"key", m.key},
                  {"attempt", std::to_string(hold.failures)},
                  {"backoff_ms", std::to_string(delay.count())},
                  {"error", status.ToString()}});
    Seek(m.topic, m.partition, m.offset);
    Backoff(delay);
  }

  // Back-pressure: the work the handler started for earlier messages of the partition is not
  // done yet. The handler is not called; the message comes again after a backoff.
  void WaitForUnfinished(const Message& m, const PartitionKey& key, size_t unfinished) {
    Hold& hold = HoldOn(m, key);
    ++hold.waits;
    Count(&Stats::backpressure_waits);
    const auto delay = BackoffFor(hold.attempts());
    log::Warning(
        "Kafka partition has too many unfinished messages; the next one waits for earlier ones "
        "to finish",
        {{"topic", m.topic},
         {"partition", std::to_string(m.partition)},
         {"offset", std::to_string(m.offset)},
         {"unfinished", std::to_string(unfinished)},
         {"max_unfinished_per_partition", std::to_string(options.max_unfinished_per_partition)},
         {"wait", std::to_string(hold.waits)},
         {"backoff_ms", std::to_string(delay.count())}});
    Seek(m.topic, m.partition, m.offset);
    Backoff(delay);
  }

  // ---- Lag ------------------------------------------------------------------------------------

  // Approximate by design: watermarks are librdkafka's cached values from the last fetch
  // response, positions are what this consumer handed out; partitions missing either count 0.
  void UpdateLag() {
    if (stats == nullptr) return;
    int64_t total = 0;
    if (assignment != nullptr && assignment->cnt > 0 &&
        rd_kafka_position(rk.get(), assignment.get()) == RD_KAFKA_RESP_ERR_NO_ERROR) {
      for (int i = 0; i < assignment->cnt; ++i) {
        const rd_kafka_topic_partition_t& tp = assignment->elems[i];
        if (tp.offset < 0) continue;
        int64_t low = 0;
        int64_t high = 0;
        if (rd_kafka_get_watermark_offsets(rk.get(), tp.topic, tp.partition, &low, &high) ==
                RD_KAFKA_RESP_ERR_NO_ERROR &&
            high >= 0) {
          total += std::max<int64_t>(0, high - tp.offset);
        }
      }
    }
    stats->consumer_lag.fetch_add(total - reported_lag);
    reported_lag = total;
  }

  void ForgetLag() {
    if (stats != nullptr) stats->consumer_lag.fetch_sub(reported_lag);
    reported_lag = 0;
  }

  // ---- Shutdown -------------------------------------------------------------------------------

  // After the poll thread ended: stores what finished since its last pass and commits
  // synchronously (auto-commit alone could lose the last few seconds of progress).
  void CommitOnStop() {
    StoreFinished();
    const auto err = rd_kafka_commit(rk.get(), nullptr, 0);
    if (err != RD_KAFKA_RESP_ERR_NO_ERROR && err != RD_KAFKA_RESP_ERR__NO_OFFSET) {
      log::Warning(
          "Kafka consumer could not commit offsets on stop; the last messages may be "
          "handled again",
          {{"group", options.group_id}, {"error", ErrorText(err)}});
    }
  }

  void LeaveGroup() {
    if (const auto err = rd_kafka_consumer_close(rk.get()); err != RD_KAFKA_RESP_ERR_NO_ERROR) {
      log::Warning("Kafka consumer did not leave its group cleanly",
                   {{"group", options.group_id}, {"error", ErrorText(err)}});
    }
  }
};

namespace {

void RebalanceCallback(rd_kafka_t* /*rk*/, rd_kafka_resp_err_t err,
                       rd_kafka_topic_partition_list_t* partitions, void* opaque) {
  static_cast<Consumer::Impl*>(opaque)->OnRebalance(err, partitions);
}

void ConsumerErrorCallback(rd_kafka_t* /*rk*/, int err, const char* reason, void* opaque) {
  static_cast<Consumer::Impl*>(opaque)->OnError(err, reason);
}

absl::Status ValidateOptions(const ConsumerOptions& options, const DeferredHandler& handler) {
  if (options.brokers.empty()) {
    return absl::InvalidArgumentError(
        "Kafka consumer needs the broker list (bootstrap.servers), e.g. 127.0.0.1:9092");
  }
  if (options.group_id.empty()) {
    return absl::InvalidArgumentError("Kafka consumer needs a group id");
  }
  if (options.topics.empty()) {
    return absl::InvalidArgumentError("Kafka consumer needs at least one topic");
  }
  for (const std::string& topic : options.topics) {
    if (topic.empty()) return absl::InvalidArgumentError("Kafka consumer topic names are empty");
    if (topic == options.dead_letter_topic) {
      return absl::InvalidArgumentError(
          absl::StrCat("Kafka consumer dead-letter topic '", topic,
                       "' is also a consumed topic; poison messages would come straight back"));
    }
  }
  if (options.dead_letter_topic.empty()) {
    return absl::InvalidArgumentError(
        "Kafka consumer needs a dead-letter topic for messages that can never be processed");
  }
  if (!handler) return absl::InvalidArgumentError("Kafka consumer needs a handler");
  if (options.retry_backoff_initial.count() <= 0 ||
      options.retry_backoff_max < options.retry_backoff_initial) {
    return absl::InvalidArgumentError(
        "Kafka consumer retry backoff must satisfy 0 < initial <= max");
  }
  if (options.max_unfinished_per_partition <= 0) {
    return absl::InvalidArgumentError(
        "Kafka consumer max_unfinished_per_partition must be positive");
  }
  if (options.dead_letter_timeout.count() <= 0) {
    return absl::InvalidArgumentError("Kafka consumer dead_letter_timeout must be positive");
  }
  if (auto it = options.extra.find("enable.auto.offset.store");
      it != options.extra.end() && it->second != "false") {
    return absl::InvalidArgumentError(
        "Kafka consumer setting enable.auto.offset.store must stay false: offsets are stored "
        "only after a message was handled, which is what makes processing at-least-once");
  }
  return absl::OkStatus();
}

// At-least-once: offsets are stored by the consumer only once a message was handled (or
// dead-lettered) and then auto-committed; options.extra comes last and may override the rest.
std::vector<std::pair<std::string, std::string>> ConsumerProperties(const ConsumerOptions& options,
                                                                    const std::string& client_id) {
  std::vector<std::pair<std::string, std::string>> properties = {
      {"bootstrap.servers", options.brokers},
      {"group.id", options.group_id},
      {"client.id", client_id},
      {"enable.auto.commit", "true"},
      {"enable.auto.offset.store", "false"},
      {"auto.offset.reset", "earliest"},
      {"fetch.wait.max.ms", std::to_string(options.fetch_wait.count())},
      // As the producers: librdkafka keeps Nagle on by default, and over TLS a request leaves as
      // several records, the later ones held until the broker's delayed ACK (up to 40 ms). That
      // added ~27 ms to every opt-out's propagation with Kafka TLS on (bench/README.md,
      // "run_security_bench.sh").
      {"socket.nagle.disable", "true"},
  };
  for (auto& property : options.security.Properties()) properties.push_back(std::move(property));
  for (const auto& [name, value] : options.extra) properties.emplace_back(name, value);
  return properties;
}

}  // namespace

Consumer::Consumer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

absl::StatusOr<std::unique_ptr<Consumer>> Consumer::Create(ConsumerOptions options, Handler handler,
                                                           Stats* stats) {
  if (!handler) return absl::InvalidArgumentError("Kafka consumer needs a handler");
  return CreateDeferred(
      std::move(options),
      [handler = std::move(handler)](const Message& m, const Finished& finished) {
        absl::Status status = handler(m);
        if (status.ok()) finished();
        return status;
      },
      stats);
}

absl::StatusOr<std::unique_ptr<Consumer>> Consumer::CreateDeferred(ConsumerOptions options,
                                                                   DeferredHandler handler,
                                                                   Stats* stats) {
  RETURN_IF_ERROR(ValidateOptions(options, handler));
  const std::string client_id = options.client_id.empty() ? options.group_id : options.client_id;
  internal::ConfPtr conf(rd_kafka_conf_new());
  RETURN_IF_ERROR(
      internal::ApplyConfig(conf.get(), ConsumerProperties(options, client_id), "consumer"));
  ASSIGN_OR_RETURN(std::unique_ptr<DeadLetterWriter> dead_letter,
                   DeadLetterWriter::Create(options, client_id));

  auto impl = std::make_unique<Impl>();
  impl->options = std::move(options);
  impl->handler = std::move(handler);
  impl->stats = stats;
  impl->dead_letter = std::move(dead_letter);
  rd_kafka_conf_set_rebalance_cb(conf.get(), &RebalanceCallback);
  rd_kafka_conf_set_error_cb(conf.get(), &ConsumerErrorCallback);
  internal::InstallLogCallback(conf.get());
  rd_kafka_conf_set_opaque(conf.get(), impl.get());

  std::array<char, 512> errstr{};
  // rd_kafka_new takes the configuration only when it succeeds.
  rd_kafka_conf_t* raw_conf = conf.release();
  rd_kafka_t* rk = rd_kafka_new(RD_KAFKA_CONSUMER, raw_conf, errstr.data(), errstr.size());
  if (rk == nullptr) {
    rd_kafka_conf_destroy(raw_conf);
    return absl::InvalidArgumentError(
        absl::StrCat("Kafka consumer could not be created: ", errstr.data()));
  }
  impl->rk.reset(rk);
  // Error and log events then come out of rd_kafka_consumer_poll() on the poll thread.
  rd_kafka_poll_set_consumer(rk);
  return std::unique_ptr<Consumer>(new Consumer(std::move(impl)));
}

Consumer::~Consumer() {
  Stop();
  // Members go in reverse order: the consumer handle before the dead-letter producer.
  impl_->rk.reset();
}

absl::Status Consumer::Start() {
  std::lock_guard lock(impl_->lifecycle_mu);
  if (impl_->state != Impl::State::kCreated) {
    return absl::FailedPreconditionError("Kafka consumer was already started or stopped");
  }
  PartitionListPtr topics(
      rd_kafka_topic_partition_list_new(static_cast<int>(impl_->options.topics.size())));
  for (const std::string& topic : impl_->options.topics) {
    rd_kafka_topic_partition_list_add(topics.get(), topic.c_str(), RD_KAFKA_PARTITION_UA);
  }
  if (const auto err = rd_kafka_subscribe(impl_->rk.get(), topics.get());
      err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    return absl::Status(internal::ToStatusCode(err),
                        absl::StrCat("Kafka consumer group '", impl_->options.group_id,
                                     "' could not subscribe: ", ErrorText(err)));
  }
  impl_->state = Impl::State::kRunning;
  Impl* raw = impl_.get();
  impl_->thread = std::thread([raw] { raw->Run(); });
  return absl::OkStatus();
}

bool Consumer::Fatal() const { return impl_->dead_letter->Fatal(); }

void Consumer::RaiseFatalErrorForTesting(const std::string& reason) {
  impl_->dead_letter->RaiseFatalErrorForTesting(reason);
}

void Consumer::Stop() {
  Impl& impl = *impl_;
  if (impl.thread.joinable() && std::this_thread::get_id() == impl.thread.get_id()) {
    // Called from the handler: joining would deadlock. Leave the loop; the destructor (on
    // another thread) finishes the job.
    impl.RequestStop();
    return;
  }
  std::lock_guard lock(impl.lifecycle_mu);
  if (impl.state == Impl::State::kStopped) return;
  const bool was_running = impl.state == Impl::State::kRunning;
  impl.state = Impl::State::kStopped;
  impl.RequestStop();
  if (impl.thread.joinable()) impl.thread.join();
  if (was_running) impl.CommitOnStop();
  impl.LeaveGroup();
  impl.ForgetLag();
  if (was_running) log::Info("Kafka consumer stopped", {{"group", impl.options.group_id}});
}

}  // namespace advocacy::kafka
