#pragma once

// Kafka helpers for unit tests: librdkafka's in-process mock cluster (no broker needed) and a
// reader that takes a topic's messages from the beginning without joining a consumer group.

#include <chrono>
#include <cstddef>
#include <string>
#include <vector>

#include "advocacy/common/kafka.h"

struct rd_kafka_s;
struct rd_kafka_mock_cluster_s;

namespace advocacy::testing {

// One mock broker (id 1), owned by a bare client handle that lives as long as this object:
// destroying the handle stops it (an explicit rd_kafka_mock_cluster_new/_destroy pair sometimes
// takes a full second to shut down).
class MockKafkaCluster final {
 public:
  MockKafkaCluster();  // throws std::runtime_error when librdkafka cannot make the cluster
  ~MockKafkaCluster();
  MockKafkaCluster(const MockKafkaCluster&) = delete;
  MockKafkaCluster& operator=(const MockKafkaCluster&) = delete;

  [[nodiscard]] const std::string& brokers() const { return bootstraps_; }
  // False when the cluster refused the topic.
  [[nodiscard]] bool CreateTopic(const std::string& name, int partitions);
  void SetBrokerDown();
  void SetBrokerUp();

 private:
  rd_kafka_s* rk_ = nullptr;
  rd_kafka_mock_cluster_s* cluster_ = nullptr;
  std::string bootstraps_;
};

// Reads partitions 0..partitions-1 of `topic` from the beginning until `want` messages arrived
// or `limit` passed (key, payload, headers, partition and offset set).
std::vector<kafka::Message> ReadTopic(const std::string& brokers, const std::string& topic,
                                      int partitions, size_t want,
                                      std::chrono::milliseconds limit = std::chrono::seconds(15));

}  // namespace advocacy::testing
