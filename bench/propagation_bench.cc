// propagation_bench: how long acknowledged withdrawals took to be applied by each consuming
// service, from the propagation receipts on advocacy.consent.receipts.v1.
//
// Input: the --ack-log that advocacy_load wrote (one line per acknowledged withdrawal: tenant,
// employee, sequence, and the wall-clock time the WithdrawConsent call returned to the client).
// It reads the receipts topic from the beginning with its own consumer group and, for each
// withdrawal and each --services entry, takes the first receipt of that service for that
// employee whose sequence is the withdrawal's (or a later one, which covers it: sequences are
// per employee and ordered). Lag = the receipt's applied_time - the client's acknowledgement
// time, both wall clocks of this machine. Prints one RESULT line per service with p50/p99/max
// and how many withdrawals had no receipt by --timeout (a missing receipt is a failure).

#include <librdkafka/rdkafka.h>

#include <CLI/CLI.hpp>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <map>
#include <memory>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

#include "advocacy/common/strings.h"
#include "advocacy/consent/v1/consent_events.pb.h"
#include "load_engine.h"
#include "rdkafka_util.h"

namespace {

namespace cv1 = advocacy::consent::v1;
using advocacy::bench::Clock;

int Fail(const std::string& m) {
  std::fprintf(stderr, "propagation_bench: %s\n", m.c_str());
  return 1;
}

struct Ack {
  std::string employee;
  int64_t sequence = 0;
  int64_t ack_ns = 0;
};

// Per (service, employee): sequence -> earliest applied time (ns).
using Receipts = std::map<std::pair<std::string, std::string>, std::map<int64_t, int64_t>>;

int64_t ToNs(const google::protobuf::Timestamp& t) {
  return t.seconds() * 1'000'000'000 + t.nanos();
}

}  // namespace

int main(int argc, char** argv) {
  std::string brokers;
  std::string topic = "advocacy.consent.receipts.v1";
  std::string ack_log;
  std::string tenant;
  std::string services_csv = "content";
  double timeout_s = 60;
  CLI::App app{"propagation_bench: acknowledgement-to-applied latency per consuming service"};
  app.add_option("--brokers", brokers, "bootstrap servers")->required();
  app.add_option("--topic", topic, "the receipts topic");
  app.add_option("--ack-log", ack_log, "advocacy_load --ack-log output")->required();
  app.add_option("--tenant", tenant, "only this tenant's lines and receipts")->required();
  app.add_option("--services", services_csv, "comma-separated consuming services");
  app.add_option("--timeout", timeout_s, "seconds to wait for every receipt");
  CLI11_PARSE(app, argc, argv);

  std::vector<std::string> services;
  {
    std::stringstream ss(services_csv);
    for (std::string s; std::getline(ss, s, ',');) {
      if (!s.empty()) services.push_back(s);
    }
  }
  std::vector<Ack> acks;
  {
    std::ifstream in(ack_log);
    if (!in) return Fail(advocacy::StrCat("cannot read ", ack_log));
    std::string t;
    Ack a;
    while (in >> t >> a.employee >> a.sequence >> a.ack_ns) {
      if (t == tenant) acks.push_back(a);
    }
  }
  if (acks.empty())
    return Fail(advocacy::StrCat("no withdrawals of tenant ", tenant, " in ", ack_log));

  std::string err;
  advocacy::bench::KafkaPtr consumer = advocacy::bench::MakeKafka(
      RD_KAFKA_CONSUMER,
      {{"bootstrap.servers", brokers},
       {"group.id", advocacy::StrCat("propagation-bench-", tenant, "-", ::getpid())},
       {"auto.offset.reset", "earliest"},
       {"enable.auto.commit", "false"}},
      &err);
  if (!consumer) return Fail(err);
  rd_kafka_poll_set_consumer(consumer.get());
  std::unique_ptr<rd_kafka_topic_partition_list_t, advocacy::bench::ListDeleter> subs(
      rd_kafka_topic_partition_list_new(1));
  rd_kafka_topic_partition_list_add(subs.get(), topic.c_str(), RD_KAFKA_PARTITION_UA);
  if (rd_kafka_subscribe(consumer.get(), subs.get()) != RD_KAFKA_RESP_ERR_NO_ERROR) {
    return Fail(advocacy::StrCat("cannot subscribe to ", topic));
  }

  // What must be covered: for each service, each (employee, sequence).
  std::set<std::tuple<std::string, std::string, int64_t>> open;
  for (const auto& s : services) {
    for (const auto& a : acks) open.emplace(s, a.employee, a.sequence);
  }
  Receipts receipts;
  int64_t undecodable = 0;
  const auto deadline = Clock::now() + std::chrono::duration_cast<Clock::duration>(
                                           std::chrono::duration<double>(timeout_s));
  while (!open.empty() && Clock::now() < deadline) {
    rd_kafka_message_t* m = rd_kafka_consumer_poll(consumer.get(), 200);
    if (m == nullptr) continue;
    if (m->err == RD_KAFKA_RESP_ERR_NO_ERROR) {
      cv1::ConsentApplied r;
      if (!r.ParseFromArray(m->payload, static_cast<int>(m->len))) {
        ++undecodable;
      } else if (r.tenant_id() == tenant) {
        auto& by_seq = receipts[{r.service(), r.employee_id()}];
        const int64_t t = ToNs(r.applied_time());
        auto [it, inserted] = by_seq.emplace(r.sequence(), t);
        if (!inserted && t < it->second) it->second = t;
        // Everything of this employee up to r.sequence() is covered for this service.
        for (auto o = open.lower_bound({r.service(), r.employee_id(), 0});
             o != open.end() && std::get<0>(*o) == r.service() &&
             std::get<1>(*o) == r.employee_id() && std::get<2>(*o) <= r.sequence();) {
          o = open.erase(o);
        }
      }
    }
    rd_kafka_message_destroy(m);
  }
  rd_kafka_consumer_close(consumer.get());

  int rc = 0;
  for (const auto& s : services) {
    std::vector<int64_t> lags;
    int64_t missing = 0;
    int64_t negative = 0;
    for (const auto& a : acks) {
      auto it = receipts.find({s, a.employee});
      if (it == receipts.end()) {
        ++missing;
        continue;
      }
      // The first receipt whose sequence covers the withdrawal: the smallest sequence >= it.
      auto r = it->second.lower_bound(a.sequence);
      if (r == it->second.end()) {
        ++missing;
        continue;
      }
      const int64_t lag = r->second - a.ack_ns;
      if (lag < 0) ++negative;  // applied before the client saw the answer: count as 0
      lags.push_back(lag < 0 ? 0 : lag);
    }
    std::printf(
        "RESULT name=propagation service=%s withdrawals=%zu applied=%zu missing=%lld "
        "before_ack=%lld p50_us=%.1f p99_us=%.1f max_us=%.1f\n",
        s.c_str(), acks.size(), lags.size(), static_cast<long long>(missing),
        static_cast<long long>(negative), advocacy::bench::PercentileUs(lags, 0.5),
        advocacy::bench::PercentileUs(lags, 0.99), advocacy::bench::PercentileUs(lags, 1.0));
    if (missing > 0) rc = 1;
  }
  if (undecodable > 0) {
    std::fprintf(stderr, "propagation_bench: %lld undecodable receipts skipped\n",
                 static_cast<long long>(undecodable));
  }
  return rc;
}
