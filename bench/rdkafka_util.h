#pragma once

// RAII for the raw librdkafka handles the Kafka baselines use (they measure librdkafka itself,
// not our wrappers in services/common).

#include <librdkafka/rdkafka.h>

#include <array>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "advocacy/common/strings.h"
#include "kafka_security_env.h"

namespace advocacy::bench {

struct KafkaDeleter {
  void operator()(rd_kafka_t* rk) const { rd_kafka_destroy(rk); }
};
using KafkaPtr = std::unique_ptr<rd_kafka_t, KafkaDeleter>;
struct ConfDeleter {
  void operator()(rd_kafka_conf_t* c) const { rd_kafka_conf_destroy(c); }
};
using ConfPtr = std::unique_ptr<rd_kafka_conf_t, ConfDeleter>;
struct ListDeleter {
  void operator()(rd_kafka_topic_partition_list_t* l) const {
    rd_kafka_topic_partition_list_destroy(l);
  }
};

// Sets one property; false with the reason in *err.
inline bool SetConf(rd_kafka_conf_t* conf, const char* k, const std::string& v, std::string* err) {
  std::array<char, 512> buf{};
  if (rd_kafka_conf_set(conf, k, v.c_str(), buf.data(), buf.size()) != RD_KAFKA_CONF_OK) {
    *err = advocacy::StrCat(k, ": ", buf.data());
    return false;
  }
  return true;
}

// A producer or consumer with the environment's security settings (SecurityFromEnv) and these
// properties; null with the reason in *err.
inline KafkaPtr MakeKafka(rd_kafka_type_t type,
                          const std::vector<std::pair<const char*, std::string>>& props,
                          std::string* err) {
  ConfPtr conf(rd_kafka_conf_new());
  for (const auto& [k, v] : SecurityFromEnv().Properties()) {
    if (!SetConf(conf.get(), k.c_str(), v, err)) return nullptr;
  }
  for (const auto& [k, v] : props) {
    if (!SetConf(conf.get(), k, v, err)) return nullptr;
  }
  std::array<char, 512> buf{};
  rd_kafka_conf_t* raw = conf.release();
  rd_kafka_t* rk = rd_kafka_new(type, raw, buf.data(), buf.size());
  if (rk == nullptr) {
    rd_kafka_conf_destroy(raw);
    *err = buf.data();
  }
  return KafkaPtr(rk);
}

}  // namespace advocacy::bench
