// What a Prometheus scrape of Metrics returns for the Kafka counters (Metrics::ExportKafkaStats):
// the names dashboards and alerts use, with the service and role labels.

#include "advocacy/common/metrics.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <string>

#include "advocacy/common/kafka.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace advocacy::metrics {
namespace {

using ::testing::HasSubstr;

// GET /metrics from the exposer on 127.0.0.1:port; the whole HTTP response, or "" on failure.
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
  return response;
}

TEST(MetricsTest, ExportsTheKafkaCountersOfEachRole) {
  kafka::Stats consumer;
  consumer.consumed = 7;
  consumer.handler_failed = 2;
  consumer.dead_lettered = 1;
  consumer.backpressure_waits = 3;
  Metrics metrics("svc");
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
}

}  // namespace
}  // namespace advocacy::metrics
