#pragma once

// A consumer's dead-letter writer: poison messages go to ConsumerOptions::dead_letter_topic with
// their key, payload and headers unchanged plus the dlq_* headers, through a producer of its own.
// Internal to advocacy_kafka.

#include <chrono>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "advocacy/common/kafka.h"

namespace advocacy::kafka::internal {

class DeadLetterWriter final {
 public:
  // The producer connects to the consumer's brokers as `<client_id>-dead-letter`, with
  // options.dead_letter_producer_extra. The status names the dead-letter producer on failure.
  static absl::StatusOr<std::unique_ptr<DeadLetterWriter>> Create(const ConsumerOptions& options,
                                                                  const std::string& client_id);

  // Writes `m` with dlq_reason (the message of `reason`), dlq_source_topic,
  // dlq_source_partition, dlq_source_offset, dlq_consumer_group and dlq_time, and waits for the
  // broker's acknowledgement: OK only once the dead letter is durable.
  absl::Status Write(const Message& m, const absl::Status& reason);

  [[nodiscard]] const std::string& topic() const { return topic_; }
  // Its producer hit a fatal error (Producer::Fatal): no dead letter can be written again.
  [[nodiscard]] bool Fatal() const { return producer_->Fatal(); }
  void RaiseFatalErrorForTesting(const std::string& reason) {
    producer_->RaiseFatalErrorForTesting(reason);
  }

 private:
  DeadLetterWriter(std::unique_ptr<Producer> producer, const ConsumerOptions& options);

  std::unique_ptr<Producer> producer_;
  std::string topic_;
  std::string group_id_;
  std::chrono::milliseconds timeout_;
};

}  // namespace advocacy::kafka::internal
