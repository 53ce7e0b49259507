// kafka_latency: the raw librdkafka produce-to-consume latency on a broker, the baseline that
// consent propagation is compared with (issue "The whole system").
//
// One process, one producer, one consumer (its own group, assigned before the first message is
// sent), a fresh topic with the given partitions. Messages of --size bytes are produced at
// --rate per second for --count messages; each carries its send time (steady clock, same
// process), and the consumer records now - send time when it receives it. The producer and
// consumer use the same settings as the services' (services/common/src/kafka_*.cc): idempotent,
// acks=all, linger.ms=0, Nagle off; fetch.wait.max.ms=10. Prints one RESULT line with p50/p99.

#include <librdkafka/rdkafka.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "advocacy/common/kafka.h"
#include "advocacy/common/strings.h"
#include "load_engine.h"
#include "rdkafka_util.h"

namespace {

using advocacy::bench::Clock;
using advocacy::bench::KafkaPtr;
using advocacy::bench::ListDeleter;
using advocacy::bench::MakeKafka;

int64_t NowNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now().time_since_epoch())
      .count();
}

int Fail(const std::string& m) {
  std::fprintf(stderr, "kafka_latency: %s\n", m.c_str());
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  std::string brokers;
  std::string topic;
  int partitions = 3;
  int count = 2000;
  double rate = 200;
  int size = 300;
  int warmup = 100;
  CLI::App app{"kafka_latency: raw librdkafka produce-to-consume latency"};
  app.add_option("--brokers", brokers, "bootstrap servers")->required();
  app.add_option("--topic", topic, "a fresh topic (created)")->required();
  app.add_option("--partitions", partitions, "partitions of the topic");
  app.add_option("--count", count, "messages")->check(CLI::Range(10, 10000000));
  app.add_option("--rate", rate, "messages per second");
  app.add_option("--size", size, "message size in bytes (>= 16)")->check(CLI::Range(16, 1 << 20));
  app.add_option("--warmup", warmup, "unmeasured messages first (metadata, PID, first fetch)");
  CLI11_PARSE(app, argc, argv);

  {
    // Topic creation is set-up, not measured: the services' own helper does it.
    advocacy::kafka::ProducerOptions po;
    po.brokers = brokers;
    po.security = advocacy::bench::SecurityFromEnv();
    auto admin = advocacy::kafka::Producer::Create(po, nullptr);
    if (!admin.ok()) return Fail(std::string(admin.status().message()));
    if (auto st = (*admin)->EnsureTopics({{.name = topic, .partitions = partitions}},
                                         std::chrono::seconds(30));
        !st.ok()) {
      return Fail(std::string(st.message()));
    }
  }

  std::string err;
  KafkaPtr producer = MakeKafka(RD_KAFKA_PRODUCER,
                                {{"bootstrap.servers", brokers},
                                 {"enable.idempotence", "true"},
                                 {"acks", "all"},
                                 {"linger.ms", "0"},
                                 {"socket.nagle.disable", "true"}},
                                &err);
  if (!producer) return Fail(advocacy::StrCat("producer: ", err));
  const std::string group = advocacy::StrCat("kafka-latency-", topic);
  KafkaPtr consumer = MakeKafka(RD_KAFKA_CONSUMER,
                                {{"bootstrap.servers", brokers},
                                 {"group.id", group},
                                 {"auto.offset.reset", "latest"},
                                 {"enable.auto.commit", "true"},
                                 {"fetch.wait.max.ms", "10"},
                                 {"socket.nagle.disable", "true"}},
                                &err);
  if (!consumer) return Fail(advocacy::StrCat("consumer: ", err));
  rd_kafka_poll_set_consumer(consumer.get());
  // Assign every partition at its end directly: no group rebalance in the measurement.
  std::unique_ptr<rd_kafka_topic_partition_list_t, ListDeleter> parts(
      rd_kafka_topic_partition_list_new(partitions));
  for (int p = 0; p < partitions; ++p) {
    rd_kafka_topic_partition_list_add(parts.get(), topic.c_str(), p)->offset = RD_KAFKA_OFFSET_END;
  }
  if (rd_kafka_assign(consumer.get(), parts.get()) != RD_KAFKA_RESP_ERR_NO_ERROR) {
    return Fail("cannot assign the partitions");
  }
  // Let the consumer resolve its end offsets before anything is produced.
  for (int i = 0; i < 20; ++i) {
    if (rd_kafka_message_t* m = rd_kafka_consumer_poll(consumer.get(), 50))
      rd_kafka_message_destroy(m);
  }

  std::atomic<int> received{0};
  std::atomic<int> warm{0};
  std::atomic<bool> stop{false};
  std::vector<int64_t> lat;
  lat.reserve(static_cast<size_t>(count));
  std::thread reader([&] {
    while (!stop.load() && received.load() < count) {
      rd_kafka_message_t* m = rd_kafka_consumer_poll(consumer.get(), 100);
      if (m == nullptr) continue;
      if (m->err == RD_KAFKA_RESP_ERR_NO_ERROR && m->len >= 2 * sizeof(int64_t)) {
        int64_t sent = 0;
        int64_t index = 0;
        std::memcpy(&sent, m->payload, sizeof(sent));
        std::memcpy(&index, static_cast<const char*>(m->payload) + sizeof(sent), sizeof(index));
        if (index < 0) {
          warm.fetch_add(1);
        } else {
          lat.push_back(NowNs() - sent);
          received.fetch_add(1);
        }
      }
      rd_kafka_message_destroy(m);
    }
  });

  std::string payload(static_cast<size_t>(size), 'x');
  const auto produce = [&](int64_t index) -> bool {
    const int64_t now = NowNs();
    std::memcpy(payload.data(), &now, sizeof(now));
    std::memcpy(payload.data() + sizeof(now), &index, sizeof(index));
    const std::string key = advocacy::StrCat("k", index);
    for (;;) {
      const rd_kafka_resp_err_t e =
          rd_kafka_producev(producer.get(), RD_KAFKA_V_TOPIC(topic.c_str()),
                            RD_KAFKA_V_KEY(const_cast<char*>(key.data()), key.size()),
                            RD_KAFKA_V_VALUE(payload.data(), payload.size()),
                            RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_END);
      if (e == RD_KAFKA_RESP_ERR_NO_ERROR) break;
      if (e != RD_KAFKA_RESP_ERR__QUEUE_FULL) {
        err = rd_kafka_err2str(e);
        return false;
      }
      rd_kafka_poll(producer.get(), 10);
    }
    rd_kafka_poll(producer.get(), 0);
    return true;
  };
  // Warm-up: topic metadata, the idempotent producer's id, every partition's first fetch.
  for (int i = 0; i < warmup; ++i) {
    if (!produce(-1 - i)) return Fail(err);
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  rd_kafka_flush(producer.get(), 30000);
  const auto warm_deadline = Clock::now() + std::chrono::seconds(30);
  while (warm.load() < warmup && Clock::now() < warm_deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  if (warm.load() < warmup) return Fail("the warm-up messages did not all arrive within 30 s");
  const auto start = Clock::now();
  const auto interval = std::chrono::duration<double>(1.0 / rate);
  for (int i = 0; i < count; ++i) {
    std::this_thread::sleep_until(start +
                                  std::chrono::duration_cast<Clock::duration>(interval * i));
    if (!produce(i)) return Fail(err);
  }
  rd_kafka_flush(producer.get(), 30000);
  const auto deadline = Clock::now() + std::chrono::seconds(30);
  while (received.load() < count && Clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  stop.store(true);
  reader.join();
  rd_kafka_consumer_close(consumer.get());
  if (received.load() < count) {
    return Fail(advocacy::StrCat("only ", received.load(), " of ", count, " messages arrived"));
  }
  std::printf(
      "RESULT name=kafka_raw messages=%d size=%d partitions=%d rate=%.0f p50_us=%.1f "
      "p99_us=%.1f max_us=%.1f\n",
      count, size, partitions, rate, advocacy::bench::PercentileUs(lat, 0.5),
      advocacy::bench::PercentileUs(lat, 0.99), advocacy::bench::PercentileUs(lat, 1.0));
  return 0;
}
