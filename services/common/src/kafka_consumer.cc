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
#include "kafka_internal.h"

namespace advocacy::kafka {

using internal::ErrorPtr;
using internal::ErrorText;
using internal::KafkaPtr;
using internal::MessagePtr;
using internal::PartitionListPtr;

namespace {

constexpr int kPollTimeoutMs = 100;
constexpr int kSeekTimeoutMs = 5000;
constexpr std::chrono::seconds kIdleLagInterval{1};
constexpr std::chrono::seconds kErrorLogInterval{30};
// How many times a message fetched past the one being retried is discarded (with a new seek)
// before concluding that the retried offset is gone (retention, compaction) and moving on.
constexpr int kMaxStrays = 3;
// Extra wait on top of the dead-letter producer's message timeout, so that its own delivery
// report (success or timeout) normally arrives first and the outcome is known.
constexpr std::chrono::milliseconds kDeadLetterReportMargin{1000};

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

}  // namespace

// Messages of each partition that the handler took (returned OK, or were dead-lettered) in
// the order it took them, and whether each is finished. Shared with the Finished callbacks,
// which may run on other threads and after the consumer is gone (they hold a weak_ptr).
struct Progress {
  using PartitionKey = std::pair<std::string, int32_t>;
  std::mutex mu;
  std::map<PartitionKey, std::map<int64_t, bool>> taken;  // offset -> finished; guarded by mu

  void Finish(const PartitionKey& key, int64_t offset) {
    std::lock_guard lock(mu);
    auto partition = taken.find(key);
    if (partition == taken.end()) return;  // revoked meanwhile
    if (auto it = partition->second.find(offset); it != partition->second.end()) it->second = true;
  }
};

struct Consumer::Impl {
  ConsumerOptions options;
  DeferredHandler handler;
  std::shared_ptr<Progress> progress = std::make_shared<Progress>();
  Stats* stats = nullptr;
  std::unique_ptr<Producer> dead_letter;
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
  struct Retry {
    int64_t offset = -1;
    int attempts = 0;
    int strays = 0;
  };
  using PartitionKey = std::pair<std::string, int32_t>;
  std::map<PartitionKey, Retry> retries;  // partitions held on a transiently failing message
  PartitionListPtr assignment;            // also scratch space for rd_kafka_position()
  int64_t reported_lag = 0;               // this consumer's share of stats->consumer_lag
  Clock::time_point next_idle_lag_update{};
  std::map<int, Clock::time_point> last_error_log;

  bool ShouldLog(int code) {
    const auto now = Clock::now();
    auto [it, inserted] = last_error_log.try_emplace(code, now);
    if (inserted) return true;
    if (now - it->second < kErrorLogInterval) return false;
    it->second = now;
    return true;
  }

  void SetBrokerUp(bool up) {
    if (stats != nullptr) stats->broker_up.store(up);
  }

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

  void OnRebalance(rd_kafka_resp_err_t err, rd_kafka_topic_partition_list_t* partitions) {
    const char* protocol = rd_kafka_rebalance_protocol(rk.get());
    const bool cooperative = protocol != nullptr && std::strcmp(protocol, "COOPERATIVE") == 0;
    if (err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
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
    } else {
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
      for (int i = 0; i < partitions->cnt; ++i) {
        retries.erase({partitions->elems[i].topic, partitions->elems[i].partition});
      }
      {
        // Unfinished messages of revoked partitions come again at their next owner; their
        // Finished calls now do nothing.
        std::lock_guard lock(progress->mu);
        for (int i = 0; i < partitions->cnt; ++i) {
          progress->taken.erase({partitions->elems[i].topic, partitions->elems[i].partition});
        }
        if (!(cooperative && err == RD_KAFKA_RESP_ERR__REVOKE_PARTITIONS)) progress->taken.clear();
      }
      if (cooperative && err == RD_KAFKA_RESP_ERR__REVOKE_PARTITIONS) {
        ErrorPtr error(rd_kafka_incremental_unassign(rk.get(), partitions));
        if (error != nullptr) {
          log::Error("Kafka incremental unassign failed",
                     {{"group", options.group_id}, {"error", rd_kafka_error_string(error.get())}});
        }
      } else {
        retries.clear();
        rd_kafka_assign(rk.get(), nullptr);
      }
    }
    rd_kafka_topic_partition_list_t* current = nullptr;
    if (rd_kafka_assignment(rk.get(), &current) == RD_KAFKA_RESP_ERR_NO_ERROR) {
      assignment.reset(current);
    } else {
      assignment.reset();
    }
    UpdateLag();
  }

  [[nodiscard]] bool Assigned(const std::string& topic, int32_t partition) const {
    return assignment != nullptr && rd_kafka_topic_partition_list_find(
                                        assignment.get(), topic.c_str(), partition) != nullptr;
  }

  // Stores, for commit, the offset after `offset` (the committed offset is the next to read).
  void StoreOffset(const std::string& topic, int32_t partition, int64_t offset) {
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

  // Marks a message taken (before its handler runs: `finished` may come before it returns).
  Finished Take(const PartitionKey& key, int64_t offset) {
    {
      std::lock_guard lock(progress->mu);
      progress->taken[key][offset] = false;
    }
    return [weak = std::weak_ptr<Progress>(progress), key, offset] {
      if (auto p = weak.lock()) p->Finish(key, offset);
    };
  }

  void Untake(const PartitionKey& key, int64_t offset) {
    std::lock_guard lock(progress->mu);
    if (auto partition = progress->taken.find(key); partition != progress->taken.end()) {
      partition->second.erase(offset);
    }
  }

  // How many taken messages of the partition are not finished yet.
  size_t Unfinished(const PartitionKey& key) {
    std::lock_guard lock(progress->mu);
    auto partition = progress->taken.find(key);
    return partition == progress->taken.end() ? 0 : partition->second.size();
  }

  // Stores, per partition, the offset after the last message of its finished prefix.
  void StoreFinished() {
    std::vector<std::pair<PartitionKey, int64_t>> done;
    {
      std::lock_guard lock(progress->mu);
      for (auto& [key, offsets] : progress->taken) {
        int64_t last = -1;
        while (!offsets.empty() && offsets.begin()->second) {
          last = offsets.begin()->first;
          offsets.erase(offsets.begin());
        }
        if (last >= 0) done.emplace_back(key, last);
      }
    }
    for (const auto& [key, offset] : done) StoreOffset(key.first, key.second, offset);
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
      // Not fatal: a message fetched past `offset` is caught in Process() and seeks again.
      log::Error("Kafka seek back to the failed message failed",
                 {{"topic", topic},
                  {"partition", std::to_string(partition)},
                  {"offset", std::to_string(offset)},
                  {"error", failure}});
    }
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

  absl::Status DeadLetter(const Message& m, const absl::Status& reason) {
    Message out;
    out.topic = options.dead_letter_topic;
    out.key = m.key;
    out.payload = m.payload;
    out.headers = m.headers;
    out.headers.push_back({"dlq_reason", std::string(reason.message())});
    out.headers.push_back({"dlq_source_topic", m.topic});
    out.headers.push_back({"dlq_source_partition", std::to_string(m.partition)});
    out.headers.push_back({"dlq_source_offset", std::to_string(m.offset)});
    out.headers.push_back({"dlq_consumer_group", options.group_id});
    out.headers.push_back({"dlq_time", NowRfc3339()});
    return dead_letter->ProduceSync(std::move(out),
                                    options.dead_letter_timeout + kDeadLetterReportMargin);
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

  void Process(const rd_kafka_message_t& rkm) {
    const Message m = internal::ToMessage(rkm);
    const PartitionKey key{m.topic, m.partition};

    if (auto it = retries.find(key); it != retries.end() && it->second.offset != m.offset) {
      if (it->second.strays < kMaxStrays) {
        ++it->second.strays;
        log::Warning("Kafka message fetched past the one being retried; seeking back",
                     {{"topic", m.topic},
                      {"partition", std::to_string(m.partition)},
                      {"offset", std::to_string(m.offset)},
                      {"retrying_offset", std::to_string(it->second.offset)}});
        Seek(m.topic, m.partition, it->second.offset);
        return;
      }
      log::Error(
          "Kafka message being retried is no longer in its partition (retention or "
          "compaction removed it); continuing with the next one",
          {{"topic", m.topic},
           {"partition", std::to_string(m.partition)},
           {"lost_offset", std::to_string(it->second.offset)},
           {"next_offset", std::to_string(m.offset)}});
      retries.erase(it);
    }

    absl::Status status;
    if (const size_t unfinished = Unfinished(key);
        unfinished >= static_cast<size_t>(options.max_unfinished_per_partition)) {
      // Back-pressure: the work the handler started for earlier messages is not done yet.
      status = absl::UnavailableError(absl::StrCat(
          unfinished, " earlier messages of this partition are not finished yet"));
    } else {
      Finished finished = Take(key, m.offset);
      status = CallHandler(m, finished);
      if (!status.ok()) Untake(key, m.offset);
    }
    if (status.ok()) {
      if (stats != nullptr) stats->consumed.fetch_add(1);
      if (auto it = retries.find(key); it != retries.end()) {
        log::Info("Kafka message handled after retries",
                  {{"topic", m.topic},
                   {"partition", std::to_string(m.partition)},
                   {"offset", std::to_string(m.offset)},
                   {"failed_attempts", std::to_string(it->second.attempts)}});
        retries.erase(it);
      }
      return;
    }
    if (stats != nullptr) stats->handler_failed.fetch_add(1);

    if (status.code() == absl::StatusCode::kInvalidArgument) {
      const absl::Status written = DeadLetter(m, status);
      if (written.ok()) {
        if (stats != nullptr) stats->dead_lettered.fetch_add(1);
        log::Warning("Kafka message cannot be processed; moved to the dead-letter topic",
                     {{"topic", m.topic},
                      {"partition", std::to_string(m.partition)},
                      {"offset", std::to_string(m.offset)},
                      {"dead_letter_topic", options.dead_letter_topic},
                      {"reason", std::string(status.message())}});
        Take(key, m.offset)();  // dead-lettered: finished
        retries.erase(key);
        return;
      }
      log::Error(
          "Kafka poison message could not be written to the dead-letter topic; "
          "retrying it",
          {{"topic", m.topic},
           {"partition", std::to_string(m.partition)},
           {"offset", std::to_string(m.offset)},
           {"dead_letter_topic", options.dead_letter_topic},
           {"reason", std::string(status.message())},
           {"error", std::string(written.message())}});
      status = written;
    }

    Retry& retry = retries[key];
    if (retry.offset != m.offset) retry = Retry{m.offset, 0, 0};
    ++retry.attempts;
    retry.strays = 0;
    const auto delay = BackoffFor(retry.attempts);
    log::Warning("Kafka message handling failed; the same message is retried after a backoff",
                 {{"topic", m.topic},
                  {"partition", std::to_string(m.partition)},
                  {"offset", std::to_string(m.offset)},
                  {"key", m.key},
                  {"attempt", std::to_string(retry.attempts)},
                  {"backoff_ms", std::to_string(delay.count())},
                  {"error", status.ToString()}});
    Seek(m.topic, m.partition, m.offset);
    Backoff(delay);
  }

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
    return absl::InvalidArgumentError("Kafka consumer max_unfinished_per_partition must be positive");
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
  if (auto status = ValidateOptions(options, handler); !status.ok()) return status;
  const std::string client_id = options.client_id.empty() ? options.group_id : options.client_id;
  std::vector<std::pair<std::string, std::string>> properties = {
      {"bootstrap.servers", options.brokers},
      {"group.id", options.group_id},
      {"client.id", client_id},
      {"enable.auto.commit", "true"},
      {"enable.auto.offset.store", "false"},
      {"auto.offset.reset", "earliest"},
      {"fetch.wait.max.ms", std::to_string(options.fetch_wait.count())},
  };
  for (const auto& [name, value] : options.extra) properties.emplace_back(name, value);
  internal::ConfPtr conf(rd_kafka_conf_new());
  if (auto status = internal::ApplyConfig(conf.get(), properties, "consumer"); !status.ok()) {
    return status;
  }

  ProducerOptions dead_letter_options;
  dead_letter_options.brokers = options.brokers;
  dead_letter_options.client_id = client_id + "-dead-letter";
  dead_letter_options.message_timeout = options.dead_letter_timeout;
  dead_letter_options.extra = options.dead_letter_producer_extra;
  // No Stats: "produced" counts the service's own messages; dead letters have their counter.
  auto dead_letter = Producer::Create(std::move(dead_letter_options));
  if (!dead_letter.ok()) {
    return absl::Status(
        dead_letter.status().code(),
        absl::StrCat("Kafka consumer's dead-letter producer: ", dead_letter.status().message()));
  }

  auto impl = std::make_unique<Impl>();
  impl->options = std::move(options);
  impl->handler = std::move(handler);
  impl->stats = stats;
  impl->dead_letter = std::move(*dead_letter);
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

void Consumer::Stop() {
  Impl& impl = *impl_;
  if (impl.thread.joinable() && std::this_thread::get_id() == impl.thread.get_id()) {
    // Called from the handler: joining would deadlock. Leave the loop; the destructor (on
    // another thread) finishes the job.
    impl.stop.store(true);
    return;
  }
  std::lock_guard lock(impl.lifecycle_mu);
  if (impl.state == Impl::State::kStopped) return;
  const bool was_running = impl.state == Impl::State::kRunning;
  impl.state = Impl::State::kStopped;
  {
    std::lock_guard stop_lock(impl.stop_mu);
    impl.stop.store(true);
  }
  impl.stop_cv.notify_all();
  if (impl.thread.joinable()) impl.thread.join();

  if (was_running) {
    impl.StoreFinished();  // what finished since the loop's last pass
    // Synchronous: auto-commit alone could lose the last few seconds of progress.
    const auto err = rd_kafka_commit(impl.rk.get(), nullptr, 0);
    if (err != RD_KAFKA_RESP_ERR_NO_ERROR && err != RD_KAFKA_RESP_ERR__NO_OFFSET) {
      log::Warning(
          "Kafka consumer could not commit offsets on stop; the last messages may be "
          "handled again",
          {{"group", impl.options.group_id}, {"error", ErrorText(err)}});
    }
  }
  if (const auto err = rd_kafka_consumer_close(impl.rk.get()); err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    log::Warning("Kafka consumer did not leave its group cleanly",
                 {{"group", impl.options.group_id}, {"error", ErrorText(err)}});
  }
  if (impl.stats != nullptr) impl.stats->consumer_lag.fetch_sub(impl.reported_lag);
  impl.reported_lag = 0;
  if (was_running) log::Info("Kafka consumer stopped", {{"group", impl.options.group_id}});
}

}  // namespace advocacy::kafka
