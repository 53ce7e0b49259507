#pragma once

// The gateway's metrics (beside the runtime's own), each series labelled service="gateway":
//   advocacy_gateway_requests_total{route, code}   counter: every answered request. route is an
//       allow-listed RPC path, "static" (the web app's files) or "other" (anything else: unknown
//       paths never become label values); code is the Connect code of an RPC's answer, or for
//       the rest the HTTP status ("200", "304", "404", ...).
//   advocacy_gateway_request_duration_seconds{kind} histogram: from the handler's start to its
//       answer; kind "rpc" or "static".
//   advocacy_gateway_upstream_duration_seconds{upstream} histogram: the gRPC call to a service.
// Thread-safe.

#include <chrono>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>

namespace prometheus {
class Registry;
class Counter;
class Histogram;
template <typename T>
class Family;
}  // namespace prometheus

namespace advocacy::gateway {

class GatewayMetrics {
 public:
  // `service` is the value of the `service` label every series carries ("gateway").
  GatewayMetrics(prometheus::Registry& registry, std::string service);
  void Request(std::string_view route, std::string_view code, std::string_view kind,
               std::chrono::nanoseconds elapsed);
  void Upstream(std::string_view upstream, std::chrono::nanoseconds elapsed);

 private:
  std::string service_;
  prometheus::Family<prometheus::Counter>* requests_;
  prometheus::Family<prometheus::Histogram>* duration_;
  prometheus::Family<prometheus::Histogram>* upstream_;
  std::mutex mu_;
  std::map<std::pair<std::string, std::string>, prometheus::Counter*, std::less<>> counters_;
  std::map<std::string, prometheus::Histogram*, std::less<>> durations_;
  std::map<std::string, prometheus::Histogram*, std::less<>> upstreams_;
};

}  // namespace advocacy::gateway
