// What a Prometheus scrape of Metrics returns: the Kafka counters (Metrics::ExportKafkaStats)
// under the names dashboards and alerts use, with the service and role labels, and an exposition
// that strict parsers accept: every family of the shared runtime (gRPC, Kafka of both roles,
// outbox, consent view) once, checked by our own reading of the text and by `promtool check
// metrics` (Debian's prometheus package, installed by deploy/local/install.sh).

#include "advocacy/common/metrics.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>

#include "advocacy/common/consent_view.h"
#include "advocacy/common/kafka.h"
#include "advocacy/common/outbox.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace advocacy::metrics {
namespace {

using ::testing::HasSubstr;

// GET /metrics from the exposer on 127.0.0.1:port; the body of the HTTP response, or "" on
// failure.
std::string Scrape(int port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return "";
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<uint16_t>(port));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  std::string response;
  if (::connect(fd, reinterpret_cast<const sockaddr*>(&address), sizeof(address)) == 0) {
    const std::string request =
        "GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n";
    if (::send(fd, request.data(), request.size(), 0) == static_cast<ssize_t>(request.size())) {
      std::array<char, 4096> buffer{};
      ssize_t n = 0;
      while ((n = ::recv(fd, buffer.data(), buffer.size(), 0)) > 0) {
        response.append(buffer.data(), static_cast<size_t>(n));
      }
    }
  }
  ::close(fd);
  const size_t body = response.find("\r\n\r\n");
  return body == std::string::npos ? "" : response.substr(body + 4);
}

// How often each family name has a "# TYPE" line.
std::map<std::string, int> TypeLines(const std::string& text) {
  std::map<std::string, int> count;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("# TYPE ", 0) != 0) continue;
    const std::string rest = line.substr(7);
    ++count[rest.substr(0, rest.find(' '))];
  }
  return count;
}

struct PromtoolResult {
  int exit_code = -1;
  std::string output;
};

// `promtool check metrics` on `text` (stdin), with its combined output.
PromtoolResult Promtool(const std::string& text) {
  const std::filesystem::path dir = std::filesystem::temp_directory_path();
  const std::string input = (dir / ("metrics_test_" + std::to_string(::getpid()) + ".prom"));
  std::ofstream(input) << text;
  PromtoolResult result;
  const std::string command = "promtool check metrics < " + input + " 2>&1";
  FILE* pipe = ::popen(command.c_str(), "r");
  if (pipe != nullptr) {
    std::array<char, 512> buffer{};
    size_t n = 0;
    while ((n = std::fread(buffer.data(), 1, buffer.size(), pipe)) > 0) {
      result.output.append(buffer.data(), n);
    }
    const int status = ::pclose(pipe);
    result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  }
  std::filesystem::remove(input);
  return result;
}

bool HavePromtool() { return std::system("command -v promtool > /dev/null 2>&1") == 0; }

TEST(MetricsTest, ExportsTheKafkaCountersOfEachRole) {
  kafka::Stats consumer;
  consumer.consumed = 7;
  consumer.handler_failed = 2;
  consumer.dead_lettered = 1;
  consumer.backpressure_waits = 3;
  kafka::Stats producer;
  producer.produced = 11;
  producer.broker_up = true;
  Metrics metrics("svc");
  metrics.ExportKafkaStats("producer", &producer);
  metrics.ExportKafkaStats("consumer", &consumer);
  ASSERT_TRUE(metrics.Serve("127.0.0.1:0").ok());
  ASSERT_GT(metrics.port(), 0);

  const std::string text = Scrape(metrics.port());
  const std::string labels = R"({service="svc",role="consumer"})";
  EXPECT_THAT(text, HasSubstr("advocacy_kafka_consumed_total" + labels + " 7"));
  EXPECT_THAT(text, HasSubstr("advocacy_kafka_handler_failed_total" + labels + " 2"));
  EXPECT_THAT(text, HasSubstr("advocacy_kafka_dead_lettered_total" + labels + " 1"));
  // Back-pressure waits are their own counter: they are not handler failures.
  EXPECT_THAT(text, HasSubstr("advocacy_kafka_consumer_backpressure_total" + labels + " 3"));
  EXPECT_THAT(text, HasSubstr("# TYPE advocacy_kafka_consumer_backpressure_total counter"));
  EXPECT_THAT(text,
              HasSubstr(R"(advocacy_kafka_produced_total{service="svc",role="producer"} 11)"));
  EXPECT_THAT(text, HasSubstr(R"(advocacy_kafka_broker_up{service="svc",role="producer"} 1)"));
  EXPECT_THAT(text, HasSubstr(R"(advocacy_kafka_broker_up{service="svc",role="consumer"} 0)"));
}

// Both roles share one family per name: one HELP and one TYPE line each, the role a label.
TEST(MetricsTest, EveryKafkaFamilyAppearsOnceForBothRoles) {
  kafka::Stats producer;
  kafka::Stats consumer;
  Metrics metrics("svc");
  metrics.ExportKafkaStats("producer", &producer);
  metrics.ExportKafkaStats("consumer", &consumer);
  const std::string text = metrics.Exposition();
  const std::map<std::string, int> types = TypeLines(text);
  for (const char* name :
       {"advocacy_kafka_produced_total", "advocacy_kafka_produce_failed_total",
        "advocacy_kafka_consumed_total", "advocacy_kafka_handler_failed_total",
        "advocacy_kafka_dead_lettered_total", "advocacy_kafka_consumer_backpressure_total",
        "advocacy_kafka_consumer_lag", "advocacy_kafka_broker_up"}) {
    ASSERT_EQ(types.count(name), 1U) << name << " is missing:\n" << text;
    EXPECT_EQ(types.at(name), 1) << name << " has several TYPE lines:\n" << text;
    for (const char* role : {"producer", "consumer"}) {
      EXPECT_THAT(text, HasSubstr(std::string(name) + R"({service="svc",role=")" + role + "\"}"));
    }
  }
}

// Two consumers of one process export one stats object each under the same role: one series,
// the counters added up, broker_up 1 if either is connected.
TEST(MetricsTest, TwoClientsOfOneRoleAreOneSeries) {
  kafka::Stats a;
  kafka::Stats b;
  a.consumed = 4;
  b.consumed = 5;
  b.broker_up = true;
  Metrics metrics("svc");
  metrics.ExportKafkaStats("consumer", &a);
  metrics.ExportKafkaStats("consumer", &b);
  const std::string text = metrics.Exposition();
  EXPECT_THAT(text, HasSubstr(R"(advocacy_kafka_consumed_total{service="svc",role="consumer"} 9)"));
  EXPECT_THAT(text, HasSubstr(R"(advocacy_kafka_broker_up{service="svc",role="consumer"} 1)"));
  EXPECT_EQ(TypeLines(text).at("advocacy_kafka_consumed_total"), 1);
}

// A family name that two sources contribute to (here the registry and the Kafka counters) is
// still one family in the exposition.
TEST(MetricsTest, AFamilyFromTwoSourcesIsMergedByName) {
  kafka::Stats consumer;
  consumer.consumed = 2;
  Metrics metrics("svc");
  metrics.ExportKafkaStats("consumer", &consumer);
  prometheus::BuildCounter()
      .Name("advocacy_kafka_consumed_total")
      .Help("Messages handled successfully.")
      .Register(metrics.registry())
      .Add({{"service", "svc"}, {"role", "replayer"}})
      .Increment(3);
  const std::string text = metrics.Exposition();
  EXPECT_EQ(TypeLines(text).at("advocacy_kafka_consumed_total"), 1) << text;
  EXPECT_THAT(text, HasSubstr(R"(advocacy_kafka_consumed_total{service="svc",role="consumer"} 2)"));
  // The registry writes its labels sorted by name.
  EXPECT_THAT(text, HasSubstr(R"(advocacy_kafka_consumed_total{role="replayer",service="svc"} 3)"));
}

// Every family the shared runtime registers in a service process, with series in each, passes
// `promtool check metrics` as served over HTTP.
TEST(MetricsTest, TheSharedFamiliesPassPromtool) {
  ASSERT_TRUE(HavePromtool()) << "promtool is not on PATH: install Debian's prometheus package "
                                 "(deploy/local/install.sh does)";
  kafka::Stats producer;
  kafka::Stats consumer;
  producer.produced = 3;
  consumer.consumed = 2;
  consumer.consumer_lag = 1;
  Metrics metrics("svc");
  metrics.ExportKafkaStats("producer", &producer);
  metrics.ExportKafkaStats("consumer", &consumer);
  metrics.RecordRpc("GetFeed", "OK", std::chrono::microseconds(300));
  metrics.RecordRpc("GetFeed", "INVALID_ARGUMENT", std::chrono::microseconds(120));
  metrics.RecordRpc("CreateItem", "INTERNAL", std::chrono::milliseconds(4));
  // The outbox relay and the consent view register their families on construction (neither is
  // started: their Redis pool and producer are not used here).
  outbox::Relay relay(nullptr, nullptr, outbox::RelayOptions{}, &metrics);
  consent_view::ConsentView view(nullptr, "svc");
  auto view_consumer =
      consent_view::ConsentViewConsumer::Create(&view, {.registry = &metrics.registry()});
  ASSERT_TRUE(view_consumer.ok()) << view_consumer.status();
  ASSERT_TRUE(metrics.Serve("127.0.0.1:0").ok());

  const std::string text = Scrape(metrics.port());
  for (const auto& [name, lines] : TypeLines(text)) {
    EXPECT_EQ(lines, 1) << name << " has " << lines << " TYPE lines";
  }
  for (const char* name :
       {"advocacy_grpc_requests_total", "advocacy_grpc_errors_total",
        "advocacy_grpc_request_duration_seconds", "advocacy_kafka_produced_total",
        "advocacy_outbox_pending_lists", "advocacy_outbox_published_total",
        "advocacy_consent_propagation_lag_seconds"}) {
    EXPECT_EQ(TypeLines(text).count(name), 1U) << name << " is not exported";
  }
  const PromtoolResult check = Promtool(text);
  EXPECT_EQ(check.exit_code, 0) << check.output << "\n" << text;
  EXPECT_EQ(check.output, "") << text;
}

// The test's own check is not vacuous: the exposition this change replaced (a family per role)
// fails promtool.
TEST(MetricsTest, PromtoolRefusesAFamilyWrittenTwice) {
  ASSERT_TRUE(HavePromtool());
  const std::string twice =
      "# HELP advocacy_kafka_consumed_total Messages handled successfully.\n"
      "# TYPE advocacy_kafka_consumed_total counter\n"
      "advocacy_kafka_consumed_total{service=\"svc\",role=\"producer\"} 0\n"
      "# HELP advocacy_kafka_consumed_total Messages handled successfully.\n"
      "# TYPE advocacy_kafka_consumed_total counter\n"
      "advocacy_kafka_consumed_total{service=\"svc\",role=\"consumer\"} 1\n";
  EXPECT_NE(Promtool(twice).exit_code, 0);
}

}  // namespace
}  // namespace advocacy::metrics
