#pragma once

// Shared by kafka_producer.cc and kafka_consumer.cc only; this is where librdkafka's C API is
// allowed to appear.

#include <librdkafka/rdkafka.h>

#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "advocacy/common/kafka.h"

namespace advocacy::kafka::internal {

struct KafkaDeleter {
  void operator()(rd_kafka_t* rk) const { rd_kafka_destroy(rk); }
};
struct ConfDeleter {
  void operator()(rd_kafka_conf_t* conf) const { rd_kafka_conf_destroy(conf); }
};
struct PartitionListDeleter {
  void operator()(rd_kafka_topic_partition_list_t* list) const {
    rd_kafka_topic_partition_list_destroy(list);
  }
};
struct QueueDeleter {
  void operator()(rd_kafka_queue_t* queue) const { rd_kafka_queue_destroy(queue); }
};
struct EventDeleter {
  void operator()(rd_kafka_event_t* event) const { rd_kafka_event_destroy(event); }
};
struct MessageDeleter {
  void operator()(rd_kafka_message_t* message) const { rd_kafka_message_destroy(message); }
};
struct ErrorDeleter {
  void operator()(rd_kafka_error_t* error) const { rd_kafka_error_destroy(error); }
};

using KafkaPtr = std::unique_ptr<rd_kafka_t, KafkaDeleter>;
using ConfPtr = std::unique_ptr<rd_kafka_conf_t, ConfDeleter>;
using PartitionListPtr = std::unique_ptr<rd_kafka_topic_partition_list_t, PartitionListDeleter>;
using QueuePtr = std::unique_ptr<rd_kafka_queue_t, QueueDeleter>;
using EventPtr = std::unique_ptr<rd_kafka_event_t, EventDeleter>;
using MessagePtr = std::unique_ptr<rd_kafka_message_t, MessageDeleter>;
using ErrorPtr = std::unique_ptr<rd_kafka_error_t, ErrorDeleter>;

// Applies the properties in order; InvalidArgument naming the first bad one. `role` ("producer",
// "consumer") makes the message tell an operator which client's settings are wrong.
absl::Status ApplyConfig(rd_kafka_conf_t* conf,
                         const std::vector<std::pair<std::string, std::string>>& properties,
                         std::string_view role);

// Routes librdkafka's own log lines into the JSON log.
void InstallLogCallback(rd_kafka_conf_t* conf);

// Human-readable "Local: Broker transport failure (_TRANSPORT)" style text.
std::string ErrorText(rd_kafka_resp_err_t err);

// Maps a librdkafka error code to the closest absl::StatusCode.
absl::StatusCode ToStatusCode(rd_kafka_resp_err_t err);

// Copies a consumed librdkafka message into a Message.
Message ToMessage(const rd_kafka_message_t& rkm);

// The cheap reachability probe both clients use: a metadata request for no topics.
bool ProbeBrokers(rd_kafka_t* rk, int timeout_ms);

}  // namespace advocacy::kafka::internal
