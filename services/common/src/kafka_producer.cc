#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <exception>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "advocacy/common/kafka.h"
#include "advocacy/common/logging.h"
#include "advocacy/common/status_macros.h"
#include "kafka_internal.h"

namespace advocacy::kafka {

using internal::ErrorPtr;
using internal::ErrorText;
using internal::EventPtr;
using internal::KafkaPtr;
using internal::QueuePtr;
using internal::ToStatusCode;

namespace {

constexpr std::chrono::milliseconds kPollInterval{100};
// While brokers answer, probing rarely is enough: a failure shows up at once through the
// ALL_BROKERS_DOWN error callback. While they do not, probe often so readiness recovers fast.
constexpr std::chrono::milliseconds kProbeIntervalUp{5000};
constexpr std::chrono::milliseconds kProbeIntervalDown{1000};
// Bounds how long shutdown can wait for a probe in progress while brokers are unreachable.
constexpr int kProbeTimeoutMs = 500;
constexpr std::chrono::milliseconds kShutdownFlush{5000};
constexpr std::chrono::seconds kErrorLogInterval{30};
constexpr std::chrono::milliseconds kShutdownPurgeWait{2000};

struct AdminOptionsDeleter {
  void operator()(rd_kafka_AdminOptions_t* options) const {
    rd_kafka_AdminOptions_destroy(options);
  }
};
struct NewTopicDeleter {
  void operator()(rd_kafka_NewTopic_t* topic) const { rd_kafka_NewTopic_destroy(topic); }
};

}  // namespace

struct Producer::Impl {
  ProducerOptions options;
  Stats* stats = nullptr;
  KafkaPtr rk;
  std::thread poll_thread;
  std::atomic<bool> stop{false};
  std::atomic<bool> broker_up{false};
  std::atomic<bool> fatal{false};
  std::map<int, std::chrono::steady_clock::time_point> last_error_log;  // poll thread only

  std::mutex mu;
  std::condition_variable cv;
  int64_t in_flight = 0;  // guarded by mu: produced, delivery callback not yet finished

  void SetBrokerUp(bool up) {
    broker_up.store(up);
    if (stats != nullptr) stats->broker_up.store(up);
  }

  void PollLoop() {
    auto next_probe = std::chrono::steady_clock::now();
    while (!stop.load()) {
      rd_kafka_poll(rk.get(), static_cast<int>(kPollInterval.count()));
      const auto now = std::chrono::steady_clock::now();
      if (now >= next_probe && !stop.load()) {
        const bool up = internal::ProbeBrokers(rk.get(), kProbeTimeoutMs);
        if (up != broker_up.load()) {
          log::Info(up ? "Kafka brokers reachable" : "Kafka brokers unreachable",
                    {{"client", rd_kafka_name(rk.get())}, {"brokers", options.brokers}});
        }
        SetBrokerUp(up);
        next_probe =
            std::chrono::steady_clock::now() + (up ? kProbeIntervalUp : kProbeIntervalDown);
      }
    }
    rd_kafka_poll(rk.get(), 0);  // serve what arrived while stopping
  }

  void OnDelivery(const rd_kafka_message_t& rkm) {
    std::unique_ptr<DeliveryCallback> callback(static_cast<DeliveryCallback*>(rkm._private));
    absl::Status status;
    if (rkm.err != RD_KAFKA_RESP_ERR_NO_ERROR) {
      const std::string topic = rkm.rkt != nullptr ? rd_kafka_topic_name(rkm.rkt) : "";
      status = absl::Status(ToStatusCode(rkm.err), absl::StrCat("Kafka delivery to topic '", topic,
                                                                "' failed: ", ErrorText(rkm.err)));
      if (stats != nullptr) stats->produce_failed.fetch_add(1);
      log::Warning("Kafka message not delivered",
                   {{"topic", topic}, {"error", ErrorText(rkm.err)}});
    } else {
      if (stats != nullptr) stats->produced.fetch_add(1);
      if (!broker_up.load()) SetBrokerUp(true);  // an acknowledgement proves a broker is up
    }
    if (callback != nullptr && *callback) {
      try {
        (*callback)(status);
      } catch (const std::exception& e) {
        log::Error("Kafka delivery callback threw; the exception was dropped",
                   {{"error", e.what()}});
      } catch (...) {
        log::Error("Kafka delivery callback threw a non-standard exception; it was dropped");
      }
    }
    std::lock_guard lock(mu);
    if (--in_flight == 0) cv.notify_all();
  }

  void OnError(int code, const char* reason) {
    const auto err = static_cast<rd_kafka_resp_err_t>(code);
    if (err == RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN) {
      SetBrokerUp(false);
      log::Warning("all Kafka brokers are down; messages stay queued until one is back",
                   {{"brokers", options.brokers}, {"detail", reason}});
      return;
    }
    if (err == RD_KAFKA_RESP_ERR__FATAL) {
      std::array<char, 512> detail{};
      const rd_kafka_resp_err_t fatal_err =
          rd_kafka_fatal_error(rk.get(), detail.data(), detail.size());
      fatal.store(true);
      SetBrokerUp(false);
      log::Error(
          "Kafka producer hit a fatal error and cannot produce any more; restart the "
          "service",
          {{"error", ErrorText(fatal_err)}, {"detail", detail.data()}});
      return;
    }
    if (!ShouldLog(code)) return;
    log::Warning(
        "Kafka producer error (librdkafka retries on its own)",
        {{"client", rd_kafka_name(rk.get())}, {"error", ErrorText(err)}, {"detail", reason}});
  }

  // Error callbacks repeat while a broker is unreachable; one line per code per interval is
  // enough (librdkafka's own log lines carry the details).
  bool ShouldLog(int code) {
    const auto now = std::chrono::steady_clock::now();
    auto [it, inserted] = last_error_log.try_emplace(code, now);
    if (inserted) return true;
    if (now - it->second < kErrorLogInterval) return false;
    it->second = now;
    return true;
  }

  absl::Status WaitIdle(std::chrono::milliseconds timeout) {
    std::unique_lock lock(mu);
    if (!cv.wait_for(lock, timeout, [this] { return in_flight == 0; })) {
      return absl::DeadlineExceededError(
          absl::StrCat(in_flight, " Kafka message(s) still awaiting delivery after ",
                       timeout.count(), " ms (brokers: ", options.brokers, ")"));
    }
    return absl::OkStatus();
  }
};

namespace {

void DeliveryReportCallback(rd_kafka_t* /*rk*/, const rd_kafka_message_t* rkm, void* opaque) {
  static_cast<Producer::Impl*>(opaque)->OnDelivery(*rkm);
}

void ErrorCallback(rd_kafka_t* /*rk*/, int err, const char* reason, void* opaque) {
  static_cast<Producer::Impl*>(opaque)->OnError(err, reason);
}

}  // namespace

Producer::Producer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

absl::StatusOr<std::unique_ptr<Producer>> Producer::Create(ProducerOptions options, Stats* stats) {
  if (options.brokers.empty()) {
    return absl::InvalidArgumentError(
        "Kafka producer needs the broker list (bootstrap.servers), e.g. 127.0.0.1:9092");
  }
  if (options.message_timeout.count() < 0) {
    return absl::InvalidArgumentError("Kafka producer message_timeout must not be negative");
  }
  std::vector<std::pair<std::string, std::string>> properties = {
      {"bootstrap.servers", options.brokers},
      {"enable.idempotence", "true"},
      {"acks", "all"},
      {"linger.ms", "0"},
      {"socket.nagle.disable", "true"},
      {"message.timeout.ms", std::to_string(options.message_timeout.count())},
  };
  if (!options.client_id.empty()) properties.emplace_back("client.id", options.client_id);
  for (auto& property : options.security.Properties()) properties.push_back(std::move(property));
  for (const auto& [name, value] : options.extra) properties.emplace_back(name, value);

  internal::ConfPtr conf(rd_kafka_conf_new());
  RETURN_IF_ERROR(internal::ApplyConfig(conf.get(), properties, "producer"));
  auto impl = std::make_unique<Impl>();
  impl->options = std::move(options);
  impl->stats = stats;
  rd_kafka_conf_set_dr_msg_cb(conf.get(), &DeliveryReportCallback);
  rd_kafka_conf_set_error_cb(conf.get(), &ErrorCallback);
  internal::InstallLogCallback(conf.get());
  rd_kafka_conf_set_opaque(conf.get(), impl.get());

  std::array<char, 512> errstr{};
  // rd_kafka_new takes the configuration only when it succeeds.
  rd_kafka_conf_t* raw_conf = conf.release();
  rd_kafka_t* rk = rd_kafka_new(RD_KAFKA_PRODUCER, raw_conf, errstr.data(), errstr.size());
  if (rk == nullptr) {
    rd_kafka_conf_destroy(raw_conf);
    return absl::InvalidArgumentError(
        absl::StrCat("Kafka producer could not be created: ", errstr.data()));
  }
  impl->rk.reset(rk);
  Impl* raw = impl.get();
  impl->poll_thread = std::thread([raw] { raw->PollLoop(); });
  log::Info("Kafka producer created",
            {{"client", rd_kafka_name(rk)}, {"brokers", raw->options.brokers}});
  return std::unique_ptr<Producer>(new Producer(std::move(impl)));
}

Producer::~Producer() {
  if (auto status = impl_->WaitIdle(kShutdownFlush); !status.ok()) {
    log::Warning("Kafka producer shutting down with undelivered messages; purging them",
                 {{"error", std::string(status.message())}});
    rd_kafka_purge(impl_->rk.get(), RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT);
    if (auto purged = impl_->WaitIdle(kShutdownPurgeWait); !purged.ok()) {
      log::Error("Kafka producer destroyed before all delivery callbacks ran",
                 {{"error", std::string(purged.message())}});
    }
  }
  impl_->stop.store(true);
  rd_kafka_yield(impl_->rk.get());
  if (impl_->poll_thread.joinable()) impl_->poll_thread.join();
  impl_->rk.reset();
}

absl::Status Producer::Produce(Message message, DeliveryCallback on_delivery) {
  if (impl_->fatal.load()) {
    return absl::FailedPreconditionError(
        "Kafka producer hit a fatal error earlier and cannot produce; restart the service");
  }
  // librdkafka takes the message as an array of tagged unions (rd_kafka_produceva).
  // NOLINTBEGIN(cppcoreguidelines-pro-type-union-access)
  std::vector<rd_kafka_vu_t> vus;
  vus.reserve(7 + message.headers.size());
  auto add = [&vus](rd_kafka_vtype_t type) -> rd_kafka_vu_t& {
    rd_kafka_vu_t& vu = vus.emplace_back();
    vu.vtype = type;
    return vu;
  };
  add(RD_KAFKA_VTYPE_TOPIC).u.cstr = message.topic.c_str();
  if (!message.key.empty()) {
    auto& key = add(RD_KAFKA_VTYPE_KEY);
    key.u.mem.ptr = message.key.data();
    key.u.mem.size = message.key.size();
  }
  auto& value = add(RD_KAFKA_VTYPE_VALUE);
  value.u.mem.ptr = message.payload.data();
  value.u.mem.size = message.payload.size();
  add(RD_KAFKA_VTYPE_MSGFLAGS).u.i = RD_KAFKA_MSG_F_COPY;
  if (message.partition >= 0) add(RD_KAFKA_VTYPE_PARTITION).u.i32 = message.partition;
  if (message.timestamp_ms > 0) add(RD_KAFKA_VTYPE_TIMESTAMP).u.i64 = message.timestamp_ms;
  for (const Header& header : message.headers) {
    auto& h = add(RD_KAFKA_VTYPE_HEADER);
    h.u.header.name = header.key.c_str();
    h.u.header.val = header.value.data();
    h.u.header.size = static_cast<ssize_t>(header.value.size());
  }
  auto callback =
      on_delivery ? std::make_unique<DeliveryCallback>(std::move(on_delivery)) : nullptr;
  add(RD_KAFKA_VTYPE_OPAQUE).u.ptr = callback.get();
  // NOLINTEND(cppcoreguidelines-pro-type-union-access)

  {
    // Counted before producing: the delivery report can run before produceva returns.
    std::lock_guard lock(impl_->mu);
    ++impl_->in_flight;
  }
  ErrorPtr error(rd_kafka_produceva(impl_->rk.get(), vus.data(), vus.size()));
  if (error != nullptr) {
    {
      std::lock_guard lock(impl_->mu);
      if (--impl_->in_flight == 0) impl_->cv.notify_all();
    }
    const rd_kafka_resp_err_t code = rd_kafka_error_code(error.get());
    if (code == RD_KAFKA_RESP_ERR__QUEUE_FULL) {
      return absl::ResourceExhaustedError(absl::StrCat(
          "Kafka producer queue is full (", rd_kafka_outq_len(impl_->rk.get()),
          " messages waiting; brokers slow or down); keep the message and try again later"));
    }
    return absl::Status(ToStatusCode(code),
                        absl::StrCat("Kafka produce to topic '", message.topic,
                                     "' failed: ", rd_kafka_error_string(error.get()), " (",
                                     rd_kafka_err2name(code), ")"));
  }
  static_cast<void>(callback.release());  // owned by the delivery report now
  return absl::OkStatus();
}

absl::Status Producer::ProduceSync(Message message, std::chrono::milliseconds timeout) {
  struct Result {
    std::mutex mu;
    std::condition_variable cv;
    bool done = false;
    absl::Status status;
  };
  // Shared: the delivery report may arrive after this call gave up waiting.
  auto result = std::make_shared<Result>();
  const std::string topic = message.topic;
  if (auto status = Produce(std::move(message),
                            [result](const absl::Status& s) {
                              std::lock_guard lock(result->mu);
                              result->status = s;
                              result->done = true;
                              result->cv.notify_all();
                            });
      !status.ok()) {
    return status;
  }
  std::unique_lock lock(result->mu);
  if (!result->cv.wait_for(lock, timeout, [&] { return result->done; })) {
    return absl::DeadlineExceededError(
        absl::StrCat("no Kafka delivery report for topic '", topic, "' within ", timeout.count(),
                     " ms; the message may still be delivered later"));
  }
  return result->status;
}

absl::Status Producer::Flush(std::chrono::milliseconds timeout) {
  // Not rd_kafka_flush(): it would serve delivery callbacks on the caller's thread, and the
  // contract is that they run on the poll thread only.
  return impl_->WaitIdle(timeout);
}

bool Producer::BrokerReachable() const { return impl_->broker_up.load() && !impl_->fatal.load(); }

bool Producer::Fatal() const { return impl_->fatal.load(); }

void Producer::RaiseFatalErrorForTesting(const std::string& reason) {
  rd_kafka_test_fatal_error(impl_->rk.get(), RD_KAFKA_RESP_ERR_CLUSTER_AUTHORIZATION_FAILED,
                            reason.c_str());
}

namespace {

// The names of the topics this client may see (Describe), from one metadata request.
absl::StatusOr<std::set<std::string>> ExistingTopics(rd_kafka_t* rk, int timeout_ms,
                                                     const std::string& brokers) {
  const rd_kafka_metadata_t* metadata = nullptr;
  const rd_kafka_resp_err_t err = rd_kafka_metadata(rk, 1, nullptr, &metadata, timeout_ms);
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    if (metadata != nullptr) rd_kafka_metadata_destroy(metadata);
    return absl::Status(ToStatusCode(err),
                        absl::StrCat("Kafka metadata request failed: ", ErrorText(err),
                                     " (brokers: ", brokers, ")"));
  }
  std::set<std::string> names;
  for (int i = 0; i < metadata->topic_cnt; ++i) {
    // NOLINTNEXTLINE(cppcoreguidelines-pro-bounds-pointer-arithmetic): librdkafka's C array
    const rd_kafka_metadata_topic_t& topic = metadata->topics[i];
    if (topic.err == RD_KAFKA_RESP_ERR_NO_ERROR) names.insert(topic.topic);
  }
  rd_kafka_metadata_destroy(metadata);
  return names;
}

}  // namespace

absl::Status Producer::EnsureTopics(const std::vector<TopicSpec>& topics,
                                    std::chrono::milliseconds timeout) {
  if (topics.empty()) return absl::OkStatus();
  rd_kafka_t* rk = impl_->rk.get();
  const int timeout_ms = static_cast<int>(std::max<int64_t>(1, timeout.count()));
  // Only the missing topics are created: on a broker with ACLs a service may write its topics
  // without being allowed to create them (the operator does), and CreateTopics for an existing
  // topic would still be refused for lack of CREATE.
  ASSIGN_OR_RETURN(const std::set<std::string> existing,
                   ExistingTopics(rk, timeout_ms, impl_->options.brokers));
  std::vector<const TopicSpec*> missing;
  for (const TopicSpec& spec : topics) {
    if (!existing.contains(spec.name)) missing.push_back(&spec);
  }
  if (missing.empty()) return absl::OkStatus();
  std::array<char, 512> errstr{};
  std::vector<std::unique_ptr<rd_kafka_NewTopic_t, NewTopicDeleter>> owned;
  std::vector<rd_kafka_NewTopic_t*> raw;
  for (const TopicSpec* spec_ptr : missing) {
    const TopicSpec& spec = *spec_ptr;
    rd_kafka_NewTopic_t* topic = rd_kafka_NewTopic_new(
        spec.name.c_str(), spec.partitions, spec.replication_factor, errstr.data(), errstr.size());
    if (topic == nullptr) {
      return absl::InvalidArgumentError(
          absl::StrCat("bad Kafka topic spec '", spec.name, "': ", errstr.data()));
    }
    owned.emplace_back(topic);
    raw.push_back(topic);
    for (const auto& [name, value] : spec.config) {
      if (const auto err = rd_kafka_NewTopic_set_config(topic, name.c_str(), value.c_str());
          err != RD_KAFKA_RESP_ERR_NO_ERROR) {
        return absl::InvalidArgumentError(absl::StrCat("bad config '", name, "'='", value,
                                                       "' for Kafka topic '", spec.name,
                                                       "': ", ErrorText(err)));
      }
    }
  }

  std::unique_ptr<rd_kafka_AdminOptions_t, AdminOptionsDeleter> admin_options(
      rd_kafka_AdminOptions_new(rk, RD_KAFKA_ADMIN_OP_CREATETOPICS));
  if (rd_kafka_AdminOptions_set_request_timeout(admin_options.get(), timeout_ms, errstr.data(),
                                                errstr.size()) != RD_KAFKA_RESP_ERR_NO_ERROR ||
      rd_kafka_AdminOptions_set_operation_timeout(admin_options.get(), timeout_ms, errstr.data(),
                                                  errstr.size()) != RD_KAFKA_RESP_ERR_NO_ERROR) {
    return absl::InvalidArgumentError(absl::StrCat("bad EnsureTopics timeout: ", errstr.data()));
  }
  QueuePtr queue(rd_kafka_queue_new(rk));
  rd_kafka_CreateTopics(rk, raw.data(), raw.size(), admin_options.get(), queue.get());
  // The request times out on its own after timeout_ms; the margin only covers scheduling.
  EventPtr event(rd_kafka_queue_poll(queue.get(), timeout_ms + 1000));
  if (event == nullptr) {
    return absl::DeadlineExceededError(absl::StrCat("Kafka CreateTopics got no answer within ",
                                                    timeout_ms,
                                                    " ms (brokers: ", impl_->options.brokers, ")"));
  }
  if (const rd_kafka_resp_err_t err = rd_kafka_event_error(event.get());
      err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    return absl::Status(
        ToStatusCode(err),
        absl::StrCat("Kafka CreateTopics failed: ", rd_kafka_event_error_string(event.get()),
                     " (brokers: ", impl_->options.brokers, ")"));
  }
  const rd_kafka_CreateTopics_result_t* result = rd_kafka_event_CreateTopics_result(event.get());
  size_t count = 0;
  const rd_kafka_topic_result_t** results = rd_kafka_CreateTopics_result_topics(result, &count);
  std::vector<std::string> failures;
  absl::StatusCode failure_code = absl::StatusCode::kOk;
  for (size_t i = 0; i < count; ++i) {
    const rd_kafka_resp_err_t err = rd_kafka_topic_result_error(results[i]);
    const char* name = rd_kafka_topic_result_name(results[i]);
    if (err == RD_KAFKA_RESP_ERR_NO_ERROR) {
      log::Info("Kafka topic created", {{"topic", name}});
    } else if (err != RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS) {
      const char* detail = rd_kafka_topic_result_error_string(results[i]);
      failures.push_back(absl::StrCat("'", name, "': ", detail != nullptr ? detail : "", " (",
                                      rd_kafka_err2name(err), ")"));
      if (failure_code == absl::StatusCode::kOk) failure_code = ToStatusCode(err);
    }
  }
  if (failure_code == absl::StatusCode::kPermissionDenied) {
    return absl::PermissionDeniedError(absl::StrCat(
        "Kafka topic(s) missing (or not visible to this client's principal, which needs READ or "
        "WRITE on them) and the principal may not create them: ",
        absl::StrJoin(failures, "; "),
        "; the operator creates the topics (the advocacy-kafka-topics Job, or "
        "deploy/local/stack.sh locally)"));
  }
  if (!failures.empty()) {
    return absl::Status(
        failure_code,
        absl::StrCat("Kafka could not create topic(s) ", absl::StrJoin(failures, "; "),
                     "; check the broker logs, the replication factor against "
                     "the number of brokers, and the topic settings"));
  }
  return absl::OkStatus();
}

}  // namespace advocacy::kafka
