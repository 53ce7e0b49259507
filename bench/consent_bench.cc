// consent_bench: a closed-loop load generator for the consent service.
//
// C client threads, spread over ceil(C / clients-per-channel) independent gRPC channels, each
// issue synchronous calls back to back for a warm-up period and then for D measured seconds.
// Every measured call's latency is kept, so p50/p99 are exact, not estimated from buckets.
//
// Modes:
//   keygen  writes a fresh P-256 key pair (the service gets the public key, this tool keeps the
//           private key and mints its own tokens with it)
//   wait    polls CheckConsent until the service answers OK (readiness for scripts)
//   seed    publishes a notice as admin and gives share:linkedin consent for every even-numbered
//           employee; odd-numbered employees are never touched (default deny)
//   check   CheckConsent for a random seeded employee per call
//   batch   BatchCheckConsent with --batch-size random seeded employees per call
//   noop    the check load against an in-process ConsentService whose every method returns an
//           empty OK: the ceiling of gRPC itself on this machine, with this client
//
// Each load mode prints one machine-readable line:
//   RESULT name=check mode=check concurrency=32 ... rps=... p50_us=... p99_us=...

#include <grpcpp/grpcpp.h>
#include <grpcpp/resource_quota.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <functional>
#include <iterator>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <sstream>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_format.h"
#include "absl/synchronization/mutex.h"
#include "advocacy/common/auth.h"
#include "advocacy/common/grpc_tls.h"
#include "advocacy/common/strings.h"
#include "advocacy/consent/v1/consent_service.grpc.pb.h"
#include "load_engine.h"

namespace advocacy::bench {
namespace {

namespace v1 = advocacy::consent::v1;
using Worker = LoadWorker<v1::ConsentService::Stub>;

constexpr std::string_view kNoticeVersion = "bench-1";

struct Options {
  std::string mode = "check";
  std::string target;
  std::string name;
  int concurrency = 32;
  int clients_per_channel = 8;
  double duration_s = 4.0;
  double warmup_s = 1.0;
  int batch_size = 1000;
  int employees = 10000;
  std::string tenant = "bench";
  std::string private_key_file;
  std::string public_key_file;
  std::string issuer = "advocacy-bench";
  std::string audience = "advocacy";
  int deadline_ms = 10000;
  double timeout_s = 60.0;
  int noop_max_threads = 64;
  int noop_min_pollers = 0;  // 0: gRPC's default
  int noop_max_pollers = 0;  // 0: gRPC's default
  bool deadlock_detection = true;
  bool verify = true;
  // gRPC TLS towards the service (--tls-ca/--tls-cert/--tls-key); plaintext when none is given.
  std::string tls_ca;
  std::string tls_cert;
  std::string tls_key;
  std::shared_ptr<grpc::ChannelCredentials> credentials;  // built from the three after parsing
};

// ---------------------------------------------------------------------------------- helpers --

std::string EmployeeId(int index) { return absl::StrFormat("e%07d", index); }

// Seeding gives consent to even-numbered employees only, so a correct answer is predictable.
bool ExpectedGranted(int index) { return index % 2 == 0; }

v1::ConsentScope LinkedInShare() {
  v1::ConsentScope scope;
  scope.set_purpose(v1::PURPOSE_SHARE_CONTENT);
  scope.set_network(v1::NETWORK_LINKEDIN);
  return scope;
}

absl::StatusOr<std::string> Mint(const Options& o, auth::Role role, const std::string& subject) {
  auto key = ReadFile(o.private_key_file);
  if (!key.ok()) return key.status();
  auth::MintOptions mint;
  mint.private_key_pem = *key;
  mint.issuer = o.issuer;
  mint.audience = o.audience;
  mint.principal.tenant_id = o.tenant;
  mint.principal.subject = subject;
  mint.principal.role = role;
  // A service principal may call only the RPCs its scopes name (UnaryService::ServiceScope).
  if (role == auth::Role::kService) mint.principal.scopes = {"consent:check", "consent:read"};
  mint.ttl = std::chrono::hours(2);
  auto token = auth::MintToken(mint);
  if (!token.ok()) return token.status();
  return advocacy::StrCat("Bearer ", *token);
}

void Warn(const std::string& message) {
  std::fprintf(stderr, "consent_bench: %s\n", message.c_str());
}

int Fail(const std::string& message) {
  Warn(message);
  return 1;
}

// Prints the RESULT line; returns the process exit code. More than 1% failed calls, or none
// that succeeded, makes the run a failure: its throughput would not mean anything.
int Report(const Options& o, const std::string& name, LoadResult& r, int keys_per_call) {
  const double rps = static_cast<double>(r.calls) / r.seconds;
  const double p50 = PercentileUs(r.latencies_ns, 0.50);
  const double p90 = PercentileUs(r.latencies_ns, 0.90);
  const double p99 = PercentileUs(r.latencies_ns, 0.99);
  const double max = PercentileUs(r.latencies_ns, 1.0);
  const int channels = ChannelCount(o);
  std::printf(
      "RESULT name=%s mode=%s concurrency=%d channels=%d duration_s=%.2f calls=%lld errors=%lld "
      "rps=%.1f",
      name.c_str(), o.mode.c_str(), o.concurrency, channels, r.seconds,
      static_cast<long long>(r.calls), static_cast<long long>(r.errors), rps);
  if (keys_per_call > 1) {
    std::printf(" batch=%d keys_per_s=%.1f", keys_per_call, rps * keys_per_call);
  }
  std::printf(" p50_us=%.1f p90_us=%.1f p99_us=%.1f max_us=%.1f\n", p50, p90, p99, max);
  std::fflush(stdout);
  if (r.errors > 0) {
    Warn(advocacy::StrCat(r.errors, " calls failed; first failure: ", r.first_error));
  }
  if (r.calls == 0 || r.errors * 100 > r.calls) {
    Warn(advocacy::StrCat(name, ": too many failures (", r.errors, " of ", r.calls + r.errors,
                          ") for a valid result"));
    return 1;
  }
  return 0;
}

// ---------------------------------------------------------------------------------- workers --

class CheckWorker final : public Worker {
 public:
  CheckWorker(const Options& o, std::string token, uint64_t seed, bool verify)
      : token_(std::move(token)),
        employees_(o.employees),
        deadline_ms_(o.deadline_ms),
        verify_(verify),
        rng_(seed) {
    req_.set_tenant_id(o.tenant);
    *req_.mutable_scope() = LinkedInShare();
  }

  Outcome Call(v1::ConsentService::Stub& stub, std::string* error) override {
    const int index = static_cast<int>(rng_() % static_cast<uint64_t>(employees_));
    req_.set_employee_id(EmployeeId(index));
    grpc::ClientContext ctx;
    ctx.AddMetadata("authorization", token_);
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::milliseconds(deadline_ms_));
    v1::CheckConsentResponse resp;
    const grpc::Status st = stub.CheckConsent(&ctx, req_, &resp);
    if (!st.ok()) {
      if (error->empty()) *error = Describe(st);
      return Outcome::kError;
    }
    if (verify_ && resp.granted() != ExpectedGranted(index)) {
      if (error->empty()) {
        *error =
            advocacy::StrCat("wrong answer for ", req_.employee_id(), ": granted=", resp.granted(),
                             "; was the service seeded (--mode seed)?");
      }
      return Outcome::kError;
    }
    return Outcome::kOk;
  }

 private:
  std::string token_;
  int employees_;
  int deadline_ms_;
  bool verify_;
  std::mt19937_64 rng_;
  v1::CheckConsentRequest req_;
};

class BatchWorker final : public Worker {
 public:
  // A few prebuilt requests per client, used in turn: building 1,000 ids per call would make
  // the client, not the service, the bottleneck.
  static constexpr int kPrebuilt = 8;

  BatchWorker(const Options& o, std::string token, uint64_t seed)
      : token_(std::move(token)), deadline_ms_(o.deadline_ms), verify_(o.verify) {
    std::mt19937_64 rng(seed);
    for (int r = 0; r < kPrebuilt; ++r) {
      v1::BatchCheckConsentRequest req;
      req.set_tenant_id(o.tenant);
      *req.mutable_scope() = LinkedInShare();
      std::vector<bool> expected;
      for (int k = 0; k < o.batch_size; ++k) {
        const int index = static_cast<int>(rng() % static_cast<uint64_t>(o.employees));
        req.add_employee_ids(EmployeeId(index));
        expected.push_back(ExpectedGranted(index));
      }
      reqs_.push_back(std::move(req));
      expected_.push_back(std::move(expected));
    }
  }

  Outcome Call(v1::ConsentService::Stub& stub, std::string* error) override {
    const size_t n = next_++ % reqs_.size();
    grpc::ClientContext ctx;
    ctx.AddMetadata("authorization", token_);
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::milliseconds(deadline_ms_));
    v1::BatchCheckConsentResponse resp;
    const grpc::Status st = stub.BatchCheckConsent(&ctx, reqs_[n], &resp);
    if (!st.ok()) {
      if (error->empty()) *error = Describe(st);
      return Outcome::kError;
    }
    if (resp.results_size() != reqs_[n].employee_ids_size()) {
      if (error->empty()) {
        *error = advocacy::StrCat("asked for ", reqs_[n].employee_ids_size(), " employees, got ",
                                  resp.results_size(), " results");
      }
      return Outcome::kError;
    }
    if (verify_) {
      for (int k = 0; k < resp.results_size(); ++k) {
        if (resp.results(k).granted() != expected_[n][static_cast<size_t>(k)]) {
          if (error->empty()) {
            *error = advocacy::StrCat("wrong answer for ", resp.results(k).employee_id(),
                                      "; was the service seeded (--mode seed)?");
          }
          return Outcome::kError;
        }
      }
    }
    return Outcome::kOk;
  }

 private:
  std::string token_;
  int deadline_ms_;
  bool verify_;
  std::vector<v1::BatchCheckConsentRequest> reqs_;
  std::vector<std::vector<bool>> expected_;
  size_t next_ = 0;
};

// ------------------------------------------------------------------------- no-op server ----

// Every method answers an empty OK without looking at the request: what is left is the cost of
// gRPC (HTTP/2, protobuf, thread hand-offs) on this machine with this client.
class NoopConsentService final : public v1::ConsentService::Service {
 public:
  grpc::Status GiveConsent(grpc::ServerContext*, const v1::GiveConsentRequest*,
                           v1::GiveConsentResponse*) override {
    return grpc::Status::OK;
  }
  grpc::Status WithdrawConsent(grpc::ServerContext*, const v1::WithdrawConsentRequest*,
                               v1::WithdrawConsentResponse*) override {
    return grpc::Status::OK;
  }
  grpc::Status GetConsentState(grpc::ServerContext*, const v1::GetConsentStateRequest*,
                               v1::GetConsentStateResponse*) override {
    return grpc::Status::OK;
  }
  grpc::Status CheckConsent(grpc::ServerContext*, const v1::CheckConsentRequest*,
                            v1::CheckConsentResponse*) override {
    return grpc::Status::OK;
  }
  grpc::Status BatchCheckConsent(grpc::ServerContext*, const v1::BatchCheckConsentRequest*,
                                 v1::BatchCheckConsentResponse*) override {
    return grpc::Status::OK;
  }
  grpc::Status ListConsentHistory(grpc::ServerContext*, const v1::ListConsentHistoryRequest*,
                                  v1::ListConsentHistoryResponse*) override {
    return grpc::Status::OK;
  }
  grpc::Status PublishNotice(grpc::ServerContext*, const v1::PublishNoticeRequest*,
                             v1::PublishNoticeResponse*) override {
    return grpc::Status::OK;
  }
  grpc::Status GetCurrentNotice(grpc::ServerContext*, const v1::GetCurrentNoticeRequest*,
                                v1::GetCurrentNoticeResponse*) override {
    return grpc::Status::OK;
  }
};

// ------------------------------------------------------------------------------------ modes --

int RunKeygen(const Options& o) {
  if (o.private_key_file.empty() || o.public_key_file.empty()) {
    return Fail("keygen needs --private-key and --public-key (the files to write)");
  }
  auto pair = auth::GenerateKeyPair();
  if (!pair.ok())
    return Fail(advocacy::StrCat("cannot generate a key pair: ", pair.status().message()));
  if (auto st = WriteFile(o.private_key_file, pair->first); !st.ok())
    return Fail(std::string(st.message()));
  if (auto st = WriteFile(o.public_key_file, pair->second); !st.ok())
    return Fail(std::string(st.message()));
  std::printf("wrote %s and %s\n", o.private_key_file.c_str(), o.public_key_file.c_str());
  return 0;
}

int RunWait(const Options& o) {
  auto token = Mint(o, auth::Role::kService, "consent-bench");
  if (!token.ok()) return Fail(advocacy::StrCat("cannot mint a token: ", token.status().message()));
  auto channel = grpc::CreateChannel(o.target, o.credentials);
  auto stub = v1::ConsentService::NewStub(channel);
  const auto deadline = Clock::now() + std::chrono::duration_cast<Clock::duration>(
                                           std::chrono::duration<double>(o.timeout_s));
  std::string last = "no answer yet";
  while (Clock::now() < deadline) {
    grpc::ClientContext ctx;
    ctx.AddMetadata("authorization", *token);
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(1));
    v1::CheckConsentRequest req;
    req.set_tenant_id(o.tenant);
    req.set_employee_id(EmployeeId(0));
    *req.mutable_scope() = LinkedInShare();
    v1::CheckConsentResponse resp;
    const grpc::Status st = stub->CheckConsent(&ctx, req, &resp);
    if (st.ok()) {
      std::printf("consent service at %s answers CheckConsent\n", o.target.c_str());
      return 0;
    }
    last = Describe(st);
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return Fail(advocacy::StrCat("the consent service at ", o.target,
                               " did not answer CheckConsent within ", o.timeout_s,
                               " s; last error: ", last));
}

int RunSeed(const Options& o) {
  auto admin = Mint(o, auth::Role::kAdmin, "bench-admin");
  if (!admin.ok()) return Fail(advocacy::StrCat("cannot mint a token: ", admin.status().message()));
  auto service = Mint(o, auth::Role::kService, "consent-bench");
  if (!service.ok())
    return Fail(advocacy::StrCat("cannot mint a token: ", service.status().message()));
  auto channels = MakeChannels(
      o.target, (o.concurrency + o.clients_per_channel - 1) / o.clients_per_channel, o.credentials);

  {
    auto stub = v1::ConsentService::NewStub(channels[0]);
    grpc::ClientContext ctx;
    ctx.AddMetadata("authorization", *admin);
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::milliseconds(o.deadline_ms));
    v1::PublishNoticeRequest req;
    req.set_tenant_id(o.tenant);
    req.set_version(std::string(kNoticeVersion));
    req.set_summary("Benchmark notice.");
    req.set_url("https://example.com/advocacy/bench-notice");
    v1::PublishNoticeResponse resp;
    const grpc::Status st = stub->PublishNotice(&ctx, req, &resp);
    if (!st.ok()) return Fail(advocacy::StrCat("PublishNotice failed: ", Describe(st)));
  }

  // Already-seeded employees answer "unchanged", so seeding twice is harmless.
  const auto start = Clock::now();
  std::atomic<int> next{0};
  std::atomic<int64_t> failures{0};
  std::mutex mu;
  std::string first_error;
  std::vector<std::thread> threads;
  threads.reserve(static_cast<size_t>(o.concurrency));
  for (int t = 0; t < o.concurrency; ++t) {
    threads.emplace_back([&, t] {
      auto stub =
          v1::ConsentService::NewStub(channels[static_cast<size_t>(t / o.clients_per_channel)]);
      for (int i = next.fetch_add(2); i < o.employees; i = next.fetch_add(2)) {
        grpc::ClientContext ctx;
        ctx.AddMetadata("authorization", *admin);
        ctx.set_deadline(std::chrono::system_clock::now() +
                         std::chrono::milliseconds(o.deadline_ms));
        v1::GiveConsentRequest req;
        req.set_tenant_id(o.tenant);
        req.set_employee_id(EmployeeId(i));
        *req.add_scopes() = LinkedInShare();
        req.set_notice_version(std::string(kNoticeVersion));
        req.set_method(v1::CONSENT_METHOD_ADMIN_ON_BEHALF);
        v1::GiveConsentResponse resp;
        const grpc::Status st = stub->GiveConsent(&ctx, req, &resp);
        if (!st.ok()) {
          failures.fetch_add(1);
          std::lock_guard lock(mu);
          if (first_error.empty())
            first_error = advocacy::StrCat(EmployeeId(i), ": ", Describe(st));
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  const double secs = std::chrono::duration<double>(Clock::now() - start).count();
  if (failures.load() > 0) {
    return Fail(
        advocacy::StrCat(failures.load(), " GiveConsent calls failed; first: ", first_error));
  }
  const int given = (o.employees + 1) / 2;
  std::printf(
      "seeded %d employees (%d consenting to share:linkedin) in %.1f s (%.0f GiveConsent/s)\n",
      o.employees, given, secs, given / secs);

  // Read back a sample as the service token the load uses, so a seeding or auth mistake shows
  // here rather than as a run full of errors.
  auto stub = v1::ConsentService::NewStub(channels[0]);
  grpc::ClientContext ctx;
  ctx.AddMetadata("authorization", *service);
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::milliseconds(o.deadline_ms));
  v1::BatchCheckConsentRequest req;
  req.set_tenant_id(o.tenant);
  *req.mutable_scope() = LinkedInShare();
  const int sample = std::min(o.employees, 1000);
  for (int i = 0; i < sample; ++i) req.add_employee_ids(EmployeeId(i));
  v1::BatchCheckConsentResponse resp;
  const grpc::Status st = stub->BatchCheckConsent(&ctx, req, &resp);
  if (!st.ok())
    return Fail(advocacy::StrCat("BatchCheckConsent after seeding failed: ", Describe(st)));
  int wrong = 0;
  for (int i = 0; i < resp.results_size(); ++i)
    wrong += resp.results(i).granted() != ExpectedGranted(i);
  if (resp.results_size() != sample || wrong != 0) {
    return Fail(advocacy::StrCat("after seeding, ", wrong, " of ", resp.results_size(),
                                 " sampled answers are wrong"));
  }
  return 0;
}

int RunCheckOrBatch(const Options& o) {
  auto token = Mint(o, auth::Role::kService, "consent-bench");
  if (!token.ok()) return Fail(advocacy::StrCat("cannot mint a token: ", token.status().message()));
  const bool batch = o.mode == "batch";
  std::random_device rd;
  const uint64_t base_seed = (static_cast<uint64_t>(rd()) << 32) | rd();
  LoadResult r = RunLoad<v1::ConsentService>(
      o, o.target,
      [&](int i) -> std::unique_ptr<Worker> {
        if (batch)
          return std::make_unique<BatchWorker>(o, *token, base_seed + static_cast<uint64_t>(i));
        return std::make_unique<CheckWorker>(o, *token, base_seed + static_cast<uint64_t>(i),
                                             o.verify);
      },
      o.credentials);
  return Report(o, o.name.empty() ? o.mode : o.name, r, batch ? o.batch_size : 1);
}

int RunNoop(const Options& o) {
  NoopConsentService service;
  grpc::ServerBuilder builder;
  int port = 0;
  builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port);
  // The same thread bound as the real service's sync server (ADVOCACY_GRPC_MAX_THREADS).
  grpc::ResourceQuota quota("consent-bench-noop");
  quota.SetMaxThreads(o.noop_max_threads);
  builder.SetResourceQuota(quota);
  // gRPC's defaults (1 and 2 pollers) make the sync server start and end a thread for about
  // every other call under concurrent load; these let an experiment show what that costs.
  if (o.noop_min_pollers > 0) {
    builder.SetSyncServerOption(grpc::ServerBuilder::SyncServerOption::MIN_POLLERS,
                                o.noop_min_pollers);
  }
  if (o.noop_max_pollers > 0) {
    builder.SetSyncServerOption(grpc::ServerBuilder::SyncServerOption::MAX_POLLERS,
                                o.noop_max_pollers);
  }
  builder.RegisterService(&service);
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  if (!server || port == 0)
    return Fail("cannot start the in-process no-op gRPC server on 127.0.0.1");
  // The token is sent (the same bytes on the wire as the real load) but never checked.
  std::string token = "Bearer none";
  if (!o.private_key_file.empty()) {
    auto minted = Mint(o, auth::Role::kService, "consent-bench");
    if (!minted.ok())
      return Fail(advocacy::StrCat("cannot mint a token: ", minted.status().message()));
    token = *minted;
  }
  std::random_device rd;
  const uint64_t base_seed = rd();
  LoadResult r = RunLoad<v1::ConsentService>(
      o, advocacy::StrCat("127.0.0.1:", port), [&](int i) -> std::unique_ptr<Worker> {
        return std::make_unique<CheckWorker>(o, token, base_seed + static_cast<uint64_t>(i),
                                             /*verify=*/false);
      });
  const int rc = Report(o, o.name.empty() ? o.mode : o.name, r, 1);
  server->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(2));
  server->Wait();
  return rc;
}

int Run(int argc, char** argv) {
  Options o;
  CLI::App app{"Closed-loop load generator for the consent service (see bench/README.md)"};
  app.add_option("--mode", o.mode, "keygen | wait | seed | check | batch | noop")
      ->check(CLI::IsMember({"keygen", "wait", "seed", "check", "batch", "noop"}))
      ->capture_default_str();
  app.add_option("--target", o.target, "consent service host:port (wait, seed, check, batch)");
  app.add_option("--name", o.name, "name on the RESULT line (default: the mode)");
  app.add_option("-c,--concurrency", o.concurrency, "concurrent clients, one thread each")
      ->check(CLI::Range(1, 4096))
      ->capture_default_str();
  app.add_option("--clients-per-channel", o.clients_per_channel,
                 "clients sharing one gRPC channel (one TCP connection)")
      ->check(CLI::Range(1, 4096))
      ->capture_default_str();
  app.add_option("-d,--duration", o.duration_s, "measured seconds")
      ->check(CLI::Range(0.1, 3600.0))
      ->capture_default_str();
  app.add_option("--warmup", o.warmup_s, "unmeasured seconds before the measurement")
      ->check(CLI::Range(0.0, 600.0))
      ->capture_default_str();
  app.add_option("-b,--batch-size", o.batch_size, "employee ids per BatchCheckConsent")
      ->check(CLI::Range(1, 10000))
      ->capture_default_str();
  app.add_option("-n,--employees", o.employees, "employees seeded and checked")
      ->check(CLI::Range(1, 10000000))
      ->capture_default_str();
  app.add_option("--tenant", o.tenant, "tenant id")->capture_default_str();
  app.add_option("--private-key", o.private_key_file, "P-256 private key PEM that signs tokens");
  app.add_option("--public-key", o.public_key_file, "public key PEM (written by keygen)");
  app.add_option("--issuer", o.issuer, "token iss; must match ADVOCACY_JWT_ISSUER")
      ->capture_default_str();
  app.add_option("--audience", o.audience, "token aud; must match ADVOCACY_JWT_AUDIENCE")
      ->capture_default_str();
  app.add_option("--deadline-ms", o.deadline_ms, "deadline of each call")
      ->check(CLI::Range(1, 600000))
      ->capture_default_str();
  app.add_option("--timeout", o.timeout_s, "wait: give up after this many seconds")
      ->capture_default_str();
  app.add_option("--noop-max-threads", o.noop_max_threads,
                 "noop: the in-process server's thread bound (as ADVOCACY_GRPC_MAX_THREADS)")
      ->check(CLI::Range(2, 4096))
      ->capture_default_str();
  app.add_option("--noop-min-pollers", o.noop_min_pollers,
                 "noop: SyncServerOption MIN_POLLERS (0: gRPC's default, 1)")
      ->check(CLI::Range(0, 4096));
  app.add_option("--noop-max-pollers", o.noop_max_pollers,
                 "noop: SyncServerOption MAX_POLLERS (0: gRPC's default, 2)")
      ->check(CLI::Range(0, 4096));
  app.add_option("--deadlock-detection", o.deadlock_detection,
                 "absl::Mutex deadlock detection in this process (gRPC's locks included); "
                 "Debian's Abseil has it on")
      ->capture_default_str();
  app.add_flag("!--no-verify", o.verify, "check/batch: do not compare answers with the seeding");
  app.add_option("--tls-ca", o.tls_ca,
                 "gRPC TLS: CA bundle (PEM) that verifies the service (default: plaintext unless "
                 "a --tls-* option is given; then the system's trust store)");
  app.add_option("--tls-cert", o.tls_cert, "gRPC TLS: client certificate (PEM), mutual TLS");
  app.add_option("--tls-key", o.tls_key, "gRPC TLS: private key (PEM) of --tls-cert");
  CLI11_PARSE(app, argc, argv);

  {
    const advocacy::grpc_tls::Settings tls{
        .enabled = !o.tls_ca.empty() || !o.tls_cert.empty() || !o.tls_key.empty(),
        .cert_file = o.tls_cert,
        .key_file = o.tls_key,
        .ca_file = o.tls_ca};
    auto credentials = advocacy::grpc_tls::ChannelCredentials(tls);
    if (!credentials.ok()) {
      return Fail(advocacy::StrCat("--tls-*: ", credentials.status().message()));
    }
    o.credentials = *std::move(credentials);
  }

  if (!o.deadlock_detection) absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
  const bool needs_target =
      o.mode == "wait" || o.mode == "seed" || o.mode == "check" || o.mode == "batch";
  if (needs_target && o.target.empty()) return Fail(o.mode + " needs --target host:port");
  const bool needs_key = needs_target;
  if (needs_key && o.private_key_file.empty()) {
    return Fail(o.mode + " needs --private-key (the key whose public half the service trusts)");
  }
  if (o.mode == "keygen") return RunKeygen(o);
  if (o.mode == "wait") return RunWait(o);
  if (o.mode == "seed") return RunSeed(o);
  if (o.mode == "noop") return RunNoop(o);
  return RunCheckOrBatch(o);
}

}  // namespace
}  // namespace advocacy::bench

int main(int argc, char** argv) {
  // Nothing here is expected to throw; an exception is a bug, reported rather than aborting.
  try {
    return advocacy::bench::Run(argc, argv);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "consent_bench: unexpected error: %s\n", e.what());
    return 1;
  }
}
