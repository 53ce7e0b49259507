#pragma once

// Kafka for the Advocacy services: an idempotent producer, a consumer with at-least-once
// processing and a dead-letter topic, and the CloudEvents 1.0 Kafka binding (binary mode).
//
// Built on the librdkafka C API; its headers stay inside the library (pimpl).
//
// Ordering: services key every message `tenant/employee`, so all events of one employee land
// on one partition and are handled in order. The consumer never handles a message before the
// one in front of it on the same partition has been applied or dead-lettered.

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "advocacy/common/kafka_security.h"

namespace advocacy::kafka {

struct Header {
  std::string key;
  std::string value;

  friend bool operator==(const Header&, const Header&) = default;
};

struct Message {
  std::string topic;
  std::string key;
  std::string payload;
  std::vector<Header> headers;
  int32_t partition = -1;    // -1 on produce: chosen by the key's hash
  int64_t offset = -1;       // set on consumed messages only
  int64_t timestamp_ms = 0;  // 0 on produce: the producer's clock

  // The last header with that key (Kafka allows repeats; the last one wins), or nullptr.
  [[nodiscard]] const std::string* FindHeader(std::string_view header_key) const;
};

// ---------------------------------------------------------------------------------------------
// CloudEvents 1.0, Kafka protocol binding, binary content mode: the attributes travel as the
// headers ce_id, ce_source, ce_type, ce_time, ce_specversion ("1.0"), optional ce_subject, and
// content-type; the message body is the event data (protobuf bytes).

inline constexpr std::string_view kCloudEventSpecVersion = "1.0";
inline constexpr std::string_view kProtobufContentType = "application/protobuf";

struct CloudEvent {
  std::string id;       // unique per event (NewEventId()); consumers deduplicate on it
  std::string source;   // URI reference of the producer, e.g. "/advocacy/consent"
  std::string type;     // e.g. "advocacy.consent.v1.ConsentGranted"
  std::string time;     // RFC 3339 UTC, e.g. "2026-01-31T12:00:00.123Z" (NowRfc3339())
  std::string subject;  // optional; empty means absent
  std::string content_type = std::string(kProtobufContentType);

  friend bool operator==(const CloudEvent&, const CloudEvent&) = default;
};

// Always emits ce_specversion, ce_id, ce_source, ce_type; ce_time, ce_subject and content-type
// only when non-empty.
std::vector<Header> ToHeaders(const CloudEvent& event);

// Reads the attributes back (last header wins). InvalidArgument naming the header when
// ce_id / ce_source / ce_type / ce_specversion is missing or empty, when ce_specversion is not
// "1.0", or when ce_time is present but not RFC 3339. A missing content-type gives an empty
// content_type (the event did not say what its body is).
absl::StatusOr<CloudEvent> FromHeaders(const std::vector<Header>& headers);

// A random (version 4) UUID in its 36-character text form.
std::string NewEventId();
// The current UTC time as RFC 3339 with millisecond precision: "2026-01-31T12:00:00.123Z".
std::string NowRfc3339();

// ---------------------------------------------------------------------------------------------
// Counters a service exports as Prometheus metrics (the runtime reads them; no prometheus here).
// One Stats may be shared by a producer and several consumers: counters add up, consumer_lag is
// the sum over the consumers, broker_up is the last thing any of them observed.
struct Stats {
  std::atomic<uint64_t> produced{0};        // delivery reports with success
  std::atomic<uint64_t> produce_failed{0};  // delivery reports with an error
  std::atomic<uint64_t> consumed{0};        // messages the handler applied (returned OK)
  std::atomic<uint64_t> handler_failed{0};  // handler calls that did not return OK (any reason)
  std::atomic<uint64_t> dead_lettered{0};   // messages durably written to the dead-letter topic
  // Times a message was held back (seek back, back off) because its partition had
  // max_unfinished_per_partition messages unfinished: deferred work is slower than the input.
  // Not a handler failure: the handler was not called.
  std::atomic<uint64_t> backpressure_waits{0};
  // Approximate messages not yet handled: cached high watermark minus the consumer's position,
  // summed over assigned partitions. Partitions with no position yet (nothing consumed since
  // assignment) or no fetched watermark count as 0; refreshed after each message and about
  // once a second when idle.
  std::atomic<int64_t> consumer_lag{0};
  std::atomic<bool> broker_up{false};
};

// ---------------------------------------------------------------------------------------------

struct ProducerOptions {
  std::string brokers;  // bootstrap.servers, e.g. "127.0.0.1:9092"
  std::string client_id;
  std::chrono::milliseconds message_timeout{0};  // 0 = librdkafka retries until delivered
  ClientSecurity security;                       // TLS and authentication (kafka_security.h)
  std::map<std::string, std::string> extra;      // raw librdkafka overrides, applied last
};

// An idempotent producer (enable.idempotence=true, acks=all, linger.ms=0, Nagle off): no
// duplicates or reordering from librdkafka's own retries. A background thread serves delivery
// reports and error callbacks. Thread-safe.
class Producer final {
 public:
  struct Impl;  // implementation detail; public only so librdkafka callbacks can name it

  // InvalidArgument when a property is unknown or has a bad value (the message names it).
  static absl::StatusOr<std::unique_ptr<Producer>> Create(ProducerOptions options,
                                                          Stats* stats = nullptr);
  // Waits up to 5 s for outstanding deliveries; what is still undelivered then is purged and
  // its callbacks get Cancelled. Then stops the poll thread.
  ~Producer();
  Producer(const Producer&) = delete;
  Producer& operator=(const Producer&) = delete;
  Producer(Producer&&) = delete;
  Producer& operator=(Producer&&) = delete;

  // Receives OK only once the broker acknowledged the message (acks=all), otherwise why not:
  // DeadlineExceeded (message.timeout.ms passed), Cancelled (producer shut down first),
  // Unavailable or another code for broker-side errors.
  using DeliveryCallback = std::function<void(const absl::Status&)>;

  // Enqueues the message. When this returns OK, on_delivery (may be empty) runs exactly once,
  // later, on the poll thread; it must not block for long and must not destroy the Producer.
  // When this returns an error the callback never runs and the message was not taken:
  // ResourceExhausted when the local queue is full (keep the message and try later),
  // InvalidArgument when it is too large, NotFound for an unknown topic or partition,
  // FailedPrecondition after a fatal producer error.
  absl::Status Produce(Message message, DeliveryCallback on_delivery);

  // Produce and wait for the delivery report. DeadlineExceeded when it did not arrive within
  // `timeout`: the message may still be delivered afterwards.
  absl::Status ProduceSync(Message message, std::chrono::milliseconds timeout);

  // Waits until every message produced so far has had its delivery callback run.
  // DeadlineExceeded (with the count still outstanding) on timeout.
  absl::Status Flush(std::chrono::milliseconds timeout);

  // True while at least one broker answered recently (a cheap metadata probe every few
  // seconds; cleared as soon as librdkafka reports all brokers down) and no fatal error has
  // been raised. Meant for gRPC readiness.
  [[nodiscard]] bool BrokerReachable() const;
  // True once librdkafka raised a fatal error (for example CLUSTER_AUTHORIZATION_FAILED for the
  // idempotent producer's id): this producer can never produce again. ServiceRuntime then exits
  // the process with status 1 so that its supervisor starts it afresh.
  [[nodiscard]] bool Fatal() const;
  // Raises a fatal error through librdkafka's own test hook (rd_kafka_test_fatal_error), exactly
  // as the broker would; for tests of what follows a fatal error.
  void RaiseFatalErrorForTesting(const std::string& reason);

  struct TopicSpec {
    std::string name;
    int partitions = 3;
    int replication_factor = 1;
    std::map<std::string, std::string> config;  // e.g. {"retention.ms", "604800000"}
  };
  // Creates the topics that do not exist (one metadata request finds them; only they are sent to
  // CreateTopics); existing ones are left as they are (not even their partition count is
  // checked). OK when every topic exists afterwards. PermissionDenied when a topic is missing
  // and the broker's ACLs do not let this principal create it: on a secured cluster the
  // operator creates the topics, and a service only needs them to exist.
  absl::Status EnsureTopics(const std::vector<TopicSpec>& topics,
                            std::chrono::milliseconds timeout);

 private:
  explicit Producer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// ---------------------------------------------------------------------------------------------

// The dead-letter topic of one consumer of `topic`: "<topic>.<consumer>.dlq", where `consumer` is
// the consuming service ("advocacy.consent.v1.content.dlq"). One per consumer, so a poison
// message names who could not handle it and each service's dead letters are read on their own.
std::string DeadLetterTopic(std::string_view topic, std::string_view consumer);

struct ConsumerOptions {
  std::string brokers;
  std::string group_id;
  std::vector<std::string> topics;
  std::string dead_letter_topic;             // required; must not be one of `topics`
  std::string client_id;                     // optional; defaults to group_id
  std::chrono::milliseconds fetch_wait{10};  // fetch.wait.max.ms: short, for latency
  std::chrono::milliseconds retry_backoff_initial{100};
  std::chrono::milliseconds retry_backoff_max{5000};
  // How long to wait for the dead-letter write to be acknowledged before treating the poison
  // message like a transient failure (seek back, back off, try again).
  std::chrono::milliseconds dead_letter_timeout{10000};
  // TLS and authentication; the internal dead-letter producer uses the same.
  ClientSecurity security;
  std::map<std::string, std::string> extra;  // raw librdkafka consumer overrides, applied last
  // Raw overrides for the internal dead-letter producer.
  std::map<std::string, std::string> dead_letter_producer_extra;
  // DeferredHandler only: how many messages of one partition may have returned OK without being
  // finished yet. At the bound the next message waits (seek back, back off) until some finish;
  // each such wait counts in Stats::backpressure_waits.
  int max_unfinished_per_partition = 10000;
};

// Handler contract: return OK when the message was applied (handlers must be idempotent: a
// message can come again after a crash or a rebalance). Return InvalidArgument for a message
// that can never be processed (undecodable, fails validation: "poison"): it goes to the
// dead-letter topic and the consumer moves on. Any other error is transient: the same message
// is retried with exponential backoff and nothing after it on that partition is handled
// meanwhile. A handler that throws is logged and treated as poison.
using Handler = std::function<absl::Status(const Message&)>;

// Tells the consumer that a message whose DeferredHandler returned OK is done. Call it once,
// from any thread; calls after the consumer stopped, or for a partition it no longer owns, do
// nothing.
using Finished = std::function<void()>;
// A handler whose work ends after it returns, e.g. with an asynchronous produce that must be
// acknowledged before the message counts as handled. The same contract as Handler, except that
// OK means "taken": the handler (or whatever it started) calls `finished` once the work is done.
// Offsets are stored for commit, per partition, only up to the first message not finished yet,
// so a crash before `finished` means that message and those after it come again. `finished`
// may run before the handler returns; after a non-OK return it must not run.
using DeferredHandler = std::function<absl::Status(const Message&, Finished finished)>;

// A group member that feeds one handler from one thread, in partition order, with
// at-least-once semantics: an offset is committed only after its message was applied or
// durably dead-lettered. Dead-letter messages keep the original key, payload and headers and add
// dlq_reason, dlq_source_topic, dlq_source_partition, dlq_source_offset, dlq_consumer_group and
// dlq_time.
class Consumer final {
 public:
  struct Impl;  // implementation detail; public only so librdkafka callbacks can name it

  // InvalidArgument for missing options or bad librdkafka properties.
  static absl::StatusOr<std::unique_ptr<Consumer>> Create(ConsumerOptions options, Handler handler,
                                                          Stats* stats = nullptr);
  // The same for a handler that finishes messages later (see DeferredHandler): messages are still
  // handed out one at a time in partition order, but the next one need not wait for the previous
  // one's work to finish.
  static absl::StatusOr<std::unique_ptr<Consumer>> CreateDeferred(ConsumerOptions options,
                                                                  DeferredHandler handler,
                                                                  Stats* stats = nullptr);
  ~Consumer();  // Stop()
  Consumer(const Consumer&) = delete;
  Consumer& operator=(const Consumer&) = delete;
  Consumer(Consumer&&) = delete;
  Consumer& operator=(Consumer&&) = delete;

  // Subscribes and runs the poll loop on its own thread. FailedPrecondition if called twice
  // or after Stop().
  absl::Status Start();
  // Leaves the loop (after the handler call in progress returns), commits the stored offsets
  // and leaves the group. Idempotent. Called from inside the handler it only asks the loop to
  // end; the destructor, which must then run on another thread, does the rest.
  void Stop();

  // True once its dead-letter producer hit a fatal error: a poison message could then never be
  // set aside, and the consumer would retry it forever. ServiceRuntime exits the process with
  // status 1, as for its own producer (Producer::Fatal).
  [[nodiscard]] bool Fatal() const;
  // Raises a fatal error on the dead-letter producer (Producer::RaiseFatalErrorForTesting).
  void RaiseFatalErrorForTesting(const std::string& reason);

 private:
  explicit Consumer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace advocacy::kafka
