#include "kafka_dead_letter_writer.h"

#include <string>
#include <utility>

#include "absl/strings/str_cat.h"

namespace advocacy::kafka::internal {
namespace {

// Extra wait on top of the dead-letter producer's message timeout, so that its own delivery
// report (success or timeout) normally arrives first and the outcome is known.
constexpr std::chrono::milliseconds kDeadLetterReportMargin{1000};

}  // namespace

absl::StatusOr<std::unique_ptr<DeadLetterWriter>> DeadLetterWriter::Create(
    const ConsumerOptions& options, const std::string& client_id) {
  ProducerOptions producer_options;
  producer_options.brokers = options.brokers;
  producer_options.client_id = client_id + "-dead-letter";
  producer_options.message_timeout = options.dead_letter_timeout;
  producer_options.security = options.security;
  producer_options.extra = options.dead_letter_producer_extra;
  // No Stats: "produced" counts the service's own messages; dead letters have their counter.
  auto producer = Producer::Create(std::move(producer_options));
  if (!producer.ok()) {
    return absl::Status(
        producer.status().code(),
        absl::StrCat("Kafka consumer's dead-letter producer: ", producer.status().message()));
  }
  return std::unique_ptr<DeadLetterWriter>(new DeadLetterWriter(std::move(*producer), options));
}

DeadLetterWriter::DeadLetterWriter(std::unique_ptr<Producer> producer,
                                   const ConsumerOptions& options)
    : producer_(std::move(producer)),
      topic_(options.dead_letter_topic),
      group_id_(options.group_id),
      timeout_(options.dead_letter_timeout) {}

absl::Status DeadLetterWriter::Write(const Message& m, const absl::Status& reason) {
  Message out;
  out.topic = topic_;
  out.key = m.key;
  out.payload = m.payload;
  out.headers = m.headers;
  out.headers.push_back({"dlq_reason", std::string(reason.message())});
  out.headers.push_back({"dlq_source_topic", m.topic});
  out.headers.push_back({"dlq_source_partition", std::to_string(m.partition)});
  out.headers.push_back({"dlq_source_offset", std::to_string(m.offset)});
  out.headers.push_back({"dlq_consumer_group", group_id_});
  out.headers.push_back({"dlq_time", NowRfc3339()});
  return producer_->ProduceSync(std::move(out), timeout_ + kDeadLetterReportMargin);
}

}  // namespace advocacy::kafka::internal
