#pragma once

// The closed-loop load engine shared by the benchmark tools: independent gRPC channels, one
// thread per client, a warm-up window, per-call latencies inside the measured window, and
// nearest-rank percentiles. Each tool supplies its workers (one call each) and its report.

#include <grpcpp/grpcpp.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <fstream>
#include <functional>
#include <memory>
#include <mutex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "advocacy/common/strings.h"

namespace advocacy::bench {

using Clock = std::chrono::steady_clock;

inline std::string Describe(const grpc::Status& st) {
  return advocacy::StrCat("code ", static_cast<int>(st.error_code()), ": ", st.error_message());
}

inline absl::StatusOr<std::string> ReadFile(const std::string& path) {
  std::ifstream in(path);
  if (!in) return absl::NotFoundError(advocacy::StrCat("cannot read ", path));
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

inline absl::Status WriteFile(const std::string& path, const std::string& contents) {
  std::ofstream out(path, std::ios::trunc);
  out << contents;
  out.close();
  if (!out) return absl::InternalError(advocacy::StrCat("cannot write ", path));
  return absl::OkStatus();
}

// Independent channels: without their own subchannel pool, channels with equal arguments share
// one TCP connection and the "several channels" would be one. Plaintext unless `credentials`
// (grpc_tls::ChannelCredentials) are given.
inline std::vector<std::shared_ptr<grpc::Channel>> MakeChannels(
    const std::string& target, int count,
    const std::shared_ptr<grpc::ChannelCredentials>& credentials = nullptr) {
  std::vector<std::shared_ptr<grpc::Channel>> channels;
  for (int i = 0; i < count; ++i) {
    grpc::ChannelArguments args;
    args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
    args.SetInt("advocacy.bench.channel_id", i);
    args.SetMaxReceiveMessageSize(64 * 1024 * 1024);
    channels.push_back(grpc::CreateCustomChannel(
        target, credentials ? credentials : grpc::InsecureChannelCredentials(), args));
  }
  return channels;
}

template <typename Opts>
int ChannelCount(const Opts& o) {
  return (o.concurrency + o.clients_per_channel - 1) / o.clients_per_channel;
}

// ------------------------------------------------------------------------------ load engine --

enum class Outcome { kOk, kError, kRefused };

// One client thread's view: issue one call and say how it went. `error` gets a description of
// the first failure only.
template <typename Stub>
class LoadWorker {
 public:
  LoadWorker() = default;
  virtual ~LoadWorker() = default;
  LoadWorker(const LoadWorker&) = delete;
  LoadWorker& operator=(const LoadWorker&) = delete;
  LoadWorker(LoadWorker&&) = delete;
  LoadWorker& operator=(LoadWorker&&) = delete;

  virtual Outcome Call(Stub& stub, std::string* error) = 0;
};

struct LoadResult {
  int64_t calls = 0;                 // successful calls completed inside the measured window
  int64_t errors = 0;                // failed calls, warm-up included
  int64_t refused = 0;               // RESOURCE_EXHAUSTED (cap, quiet hours), warm-up included
  int64_t max_calls_per_client = 0;  // every call, warm-up and failures included
  std::string first_error;
  double seconds = 0;
  std::vector<int64_t> latencies_ns;
};

// Runs `o.concurrency` closed-loop clients (one thread each) for `o.warmup_s` unmeasured and
// `o.duration_s` measured seconds. Client i calls through make_stub(i) (made on its own thread),
// with the worker make_worker(i). Any client type works: a gRPC stub, an HTTP connection.
template <typename Stub, typename Opts>
LoadResult RunClosedLoop(const Opts& o, const std::function<std::unique_ptr<Stub>(int)>& make_stub,
                         const std::function<std::unique_ptr<LoadWorker<Stub>>(int)>& make_worker) {
  std::vector<std::unique_ptr<LoadWorker<Stub>>> workers;
  workers.reserve(static_cast<size_t>(o.concurrency));
  for (int i = 0; i < o.concurrency; ++i) workers.push_back(make_worker(i));

  std::atomic<int> ready{0};
  std::atomic<bool> go{false};
  Clock::time_point measure_start;
  Clock::time_point measure_end;
  std::mutex mu;
  LoadResult total;
  std::vector<std::thread> threads;
  threads.reserve(static_cast<size_t>(o.concurrency));
  for (int i = 0; i < o.concurrency; ++i) {
    threads.emplace_back([&, i] {
      auto stub = make_stub(i);
      std::vector<int64_t> lat;
      lat.reserve(1 << 16);
      int64_t errors = 0;
      int64_t refused = 0;
      int64_t issued = 0;
      std::string first_error;
      ready.fetch_add(1);
      while (!go.load(std::memory_order_acquire)) std::this_thread::yield();
      for (;;) {
        const auto start = Clock::now();
        if (start >= measure_end) break;
        std::string error;
        ++issued;
        const Outcome outcome = workers[static_cast<size_t>(i)]->Call(
            *stub, first_error.empty() ? &first_error : &error);
        const auto end = Clock::now();
        if (outcome == Outcome::kError) {
          ++errors;
          continue;
        }
        if (outcome == Outcome::kRefused) {
          ++refused;
          continue;
        }
        if (start >= measure_start && end <= measure_end) {
          lat.push_back(std::chrono::duration_cast<std::chrono::nanoseconds>(end - start).count());
        }
      }
      std::lock_guard lock(mu);
      total.errors += errors;
      total.refused += refused;
      total.max_calls_per_client = std::max(total.max_calls_per_client, issued);
      if (total.first_error.empty()) total.first_error = std::move(first_error);
      total.latencies_ns.insert(total.latencies_ns.end(), lat.begin(), lat.end());
    });
  }
  while (ready.load() < o.concurrency) std::this_thread::yield();
  const auto now = Clock::now();
  measure_start =
      now + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(o.warmup_s));
  measure_end = measure_start + std::chrono::duration_cast<Clock::duration>(
                                    std::chrono::duration<double>(o.duration_s));
  go.store(true, std::memory_order_release);
  for (auto& t : threads) t.join();
  total.calls = static_cast<int64_t>(total.latencies_ns.size());
  total.seconds = o.duration_s;
  return total;
}

// RunClosedLoop against the gRPC service `target`: Service is the generated service class; the
// clients are spread over ceil(concurrency / clients_per_channel) independent channels.
template <typename Service, typename Opts>
LoadResult RunLoad(
    const Opts& o, const std::string& target,
    const std::function<std::unique_ptr<LoadWorker<typename Service::Stub>>(int)>& make_worker,
    const std::shared_ptr<grpc::ChannelCredentials>& credentials = nullptr) {
  auto channels = MakeChannels(target, ChannelCount(o), credentials);
  for (auto& ch : channels) {
    ch->WaitForConnected(std::chrono::system_clock::now() + std::chrono::seconds(5));
  }
  return RunClosedLoop<typename Service::Stub>(
      o,
      [&](int i) {
        return Service::NewStub(channels[static_cast<size_t>(i / o.clients_per_channel)]);
      },
      make_worker);
}

// Nearest-rank percentile (p in (0, 1]); reorders `v`.
inline double PercentileUs(std::vector<int64_t>& v, double p) {
  if (v.empty()) return 0;
  const auto rank = static_cast<size_t>(std::ceil(p * static_cast<double>(v.size())));
  const size_t k = std::clamp<size_t>(rank, 1, v.size()) - 1;
  std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(k), v.end());
  return static_cast<double>(v[k]) / 1000.0;
}

}  // namespace advocacy::bench
