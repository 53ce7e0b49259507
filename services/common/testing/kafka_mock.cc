#include "testing/kafka_mock.h"

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

#include <array>
#include <stdexcept>
#include <utility>

namespace advocacy::testing {

MockKafkaCluster::MockKafkaCluster() {
  std::array<char, 512> errstr{};
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  rd_kafka_conf_set(conf, "log_level", "0", errstr.data(), errstr.size());
  rd_kafka_conf_set(conf, "test.mock.num.brokers", "1", errstr.data(), errstr.size());
  rk_ = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr.data(), errstr.size());
  if (rk_ == nullptr) {
    rd_kafka_conf_destroy(conf);
    throw std::runtime_error(errstr.data());
  }
  cluster_ = rd_kafka_handle_mock_cluster(rk_);
  if (cluster_ == nullptr) {
    rd_kafka_destroy(rk_);
    throw std::runtime_error("test.mock.num.brokers made no cluster");
  }
  bootstraps_ = rd_kafka_mock_cluster_bootstraps(cluster_);
}

MockKafkaCluster::~MockKafkaCluster() { rd_kafka_destroy(rk_); }

bool MockKafkaCluster::CreateTopic(const std::string& name, int partitions) {
  return rd_kafka_mock_topic_create(cluster_, name.c_str(), partitions, 1) ==
         RD_KAFKA_RESP_ERR_NO_ERROR;
}

void MockKafkaCluster::SetBrokerDown() { rd_kafka_mock_broker_set_down(cluster_, 1); }
void MockKafkaCluster::SetBrokerUp() { rd_kafka_mock_broker_set_up(cluster_, 1); }

std::vector<kafka::Message> ReadTopic(const std::string& brokers, const std::string& topic,
                                      int partitions, size_t want,
                                      std::chrono::milliseconds limit) {
  std::array<char, 512> errstr{};
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  rd_kafka_conf_set(conf, "bootstrap.servers", brokers.c_str(), errstr.data(), errstr.size());
  rd_kafka_conf_set(conf, "group.id", "test-reader", errstr.data(), errstr.size());
  rd_kafka_conf_set(conf, "enable.auto.commit", "false", errstr.data(), errstr.size());
  rd_kafka_conf_set(conf, "log_level", "0", errstr.data(), errstr.size());
  rd_kafka_t* rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, errstr.data(), errstr.size());
  if (rk == nullptr) {
    rd_kafka_conf_destroy(conf);
    throw std::runtime_error(errstr.data());
  }
  rd_kafka_poll_set_consumer(rk);
  rd_kafka_topic_partition_list_t* list = rd_kafka_topic_partition_list_new(partitions);
  for (int p = 0; p < partitions; ++p) {
    rd_kafka_topic_partition_list_add(list, topic.c_str(), p)->offset = RD_KAFKA_OFFSET_BEGINNING;
  }
  rd_kafka_assign(rk, list);
  rd_kafka_topic_partition_list_destroy(list);

  std::vector<kafka::Message> out;
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (out.size() < want && std::chrono::steady_clock::now() < deadline) {
    rd_kafka_message_t* rkm = rd_kafka_consumer_poll(rk, 100);
    if (rkm == nullptr) continue;
    if (rkm->err == RD_KAFKA_RESP_ERR_NO_ERROR) {
      kafka::Message m;
      m.topic = rd_kafka_topic_name(rkm->rkt);
      m.key.assign(static_cast<const char*>(rkm->key), rkm->key_len);
      m.payload.assign(static_cast<const char*>(rkm->payload), rkm->len);
      m.partition = rkm->partition;
      m.offset = rkm->offset;
      rd_kafka_headers_t* headers = nullptr;
      if (rd_kafka_message_headers(rkm, &headers) == RD_KAFKA_RESP_ERR_NO_ERROR) {
        const char* name = nullptr;
        const void* value = nullptr;
        size_t size = 0;
        for (size_t i = 0; rd_kafka_header_get_all(headers, i, &name, &value, &size) ==
                           RD_KAFKA_RESP_ERR_NO_ERROR;
             ++i) {
          m.headers.push_back({name, std::string(static_cast<const char*>(value), size)});
        }
      }
      out.push_back(std::move(m));
    }
    rd_kafka_message_destroy(rkm);
  }
  rd_kafka_consumer_close(rk);
  rd_kafka_destroy(rk);
  return out;
}

}  // namespace advocacy::testing
