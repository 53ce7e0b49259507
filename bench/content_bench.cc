// content_bench: a closed-loop load generator for the content service.
//
// C client threads, spread over ceil(C / clients-per-channel) independent gRPC channels, each
// issue synchronous calls back to back for a warm-up period and then for D measured seconds.
// Every measured call's latency is kept, so p50/p99 are exact, not estimated from buckets.
//
// Modes:
//   keygen  writes a fresh P-256 key pair (the services get the public key, this tool keeps the
//           private key and mints its own tokens with it)
//   wait    polls GetTenantSettings until the content service answers OK (readiness)
//   seed    through the consent service: publishes a notice and gives share consent on LinkedIn
//           and X for every employee; through the content service: raises the tenant's daily
//           cap, publishes --items items for group "bench" in "en"; then waits until every
//           employee's feed reflects the consent (consent events reach content through Kafka)
//   feed    GetFeed of a random seeded employee per call, with that employee's own token
//   share   RecordShare of a fresh (employee, item, network) per call, so none is a duplicate;
//           --slot-start says where this run starts in that space (the RESULT line says where
//           the next run must start)
//   noop    the feed load against an in-process ContentService whose every method returns an
//           empty OK: the ceiling of gRPC itself on this machine, with this client
//
// Each load mode prints one machine-readable line:
//   RESULT name=feed mode=feed concurrency=32 ... rps=... p50_us=... p99_us=...

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
#include <memory>
#include <mutex>
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
#include "advocacy/common/auth.h"
#include "advocacy/common/strings.h"
#include "advocacy/consent/v1/consent_service.grpc.pb.h"
#include "advocacy/content/v1/content_service.grpc.pb.h"
#include "bench_util.h"
#include "load_engine.h"

namespace advocacy::bench {
namespace {

namespace cv1 = advocacy::consent::v1;
namespace v1 = advocacy::content::v1;
using Worker = LoadWorker<v1::ContentService::Stub>;

constexpr std::string_view kNoticeVersion = "bench-1";
constexpr std::string_view kGroup = "bench";
constexpr std::string_view kLanguage = "en";
// Both networks every item has captions for and every employee consents to.
constexpr cv1::Network kNetworks[] = {cv1::NETWORK_LINKEDIN, cv1::NETWORK_X};
constexpr int kNetworkCount = 2;

struct Options {
  std::string mode = "feed";
  std::string target;
  std::string consent_target;
  std::string name;
  int concurrency = 32;
  int clients_per_channel = 8;
  double duration_s = 3.0;
  double warmup_s = 1.0;
  int employees = 2000;
  int items = 50;
  int page_size = 20;
  int64_t slot_start = 0;
  std::string tenant = "bench";
  std::string private_key_file;
  std::string public_key_file;
  std::string issuer = "advocacy-bench";
  std::string audience = "advocacy";
  int deadline_ms = 10000;
  double timeout_s = 60.0;
  int noop_max_threads = 64;
  bool verify = true;
};

// ---------------------------------------------------------------------------------- helpers --

std::string EmployeeId(int index) { return absl::StrFormat("e%07d", index); }
std::string ItemId(int index) { return absl::StrFormat("item%04d", index); }

absl::StatusOr<Minter> MakeMinter(const Options& o) {
  return Minter::Create(o.private_key_file, o.issuer, o.audience, o.tenant);
}

std::vector<std::string> EmployeeIds(int employees) {
  std::vector<std::string> ids;
  ids.reserve(static_cast<size_t>(employees));
  for (int i = 0; i < employees; ++i) ids.push_back(EmployeeId(i));
  return ids;
}

void Warn(const std::string& message) {
  std::fprintf(stderr, "content_bench: %s\n", message.c_str());
}

int Fail(const std::string& message) {
  Warn(message);
  return 1;
}

// Prints the RESULT line; returns the process exit code. More than 1% failed calls, or none
// that succeeded, makes the run a failure: its throughput would not mean anything. Refusals
// (caps, quiet hours) are the service working as designed: counted, not failures.
int Report(const Options& o, const std::string& name, LoadResult& r, const std::string& extra) {
  const double rps = static_cast<double>(r.calls) / r.seconds;
  const double p50 = PercentileUs(r.latencies_ns, 0.50);
  const double p90 = PercentileUs(r.latencies_ns, 0.90);
  const double p99 = PercentileUs(r.latencies_ns, 0.99);
  const double max = PercentileUs(r.latencies_ns, 1.0);
  std::printf(
      "RESULT name=%s mode=%s concurrency=%d channels=%d duration_s=%.2f calls=%lld errors=%lld "
      "refused=%lld rps=%.1f p50_us=%.1f p90_us=%.1f p99_us=%.1f max_us=%.1f%s\n",
      name.c_str(), o.mode.c_str(), o.concurrency, ChannelCount(o), r.seconds,
      static_cast<long long>(r.calls), static_cast<long long>(r.errors),
      static_cast<long long>(r.refused), rps, p50, p90, p99, max, extra.c_str());
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

v1::GetFeedRequest FeedRequest(const Options& o, int employee) {
  v1::GetFeedRequest req;
  req.set_tenant_id(o.tenant);
  req.set_employee_id(EmployeeId(employee));
  req.add_groups(std::string(kGroup));
  req.set_language(std::string(kLanguage));
  req.set_page_size(o.page_size);
  return req;
}

// ---------------------------------------------------------------------------------- workers --

class FeedWorker final : public Worker {
 public:
  FeedWorker(const Options& o, const std::vector<std::string>* tokens, uint64_t seed, bool verify)
      : o_(o), tokens_(tokens), verify_(verify), rng_(seed) {}

  Outcome Call(v1::ContentService::Stub& stub, std::string* error) override {
    const int index = static_cast<int>(rng_() % static_cast<uint64_t>(o_.employees));
    const v1::GetFeedRequest req = FeedRequest(o_, index);
    auto ctx = Ctx((*tokens_)[static_cast<size_t>(index) % tokens_->size()], o_.deadline_ms);
    v1::GetFeedResponse resp;
    const grpc::Status st = stub.GetFeed(ctx.get(), req, &resp);
    if (!st.ok()) {
      if (error->empty()) *error = Describe(st);
      return Outcome::kError;
    }
    // Items leave a feed only once shared on both networks, which the share load does for a
    // small fraction of (employee, item) pairs: a seeded feed is never empty.
    if (verify_ && resp.entries_size() == 0) {
      if (error->empty()) {
        *error = advocacy::StrCat("empty feed for ", req.employee_id(),
                                  "; was the service seeded (--mode seed)?");
      }
      return Outcome::kError;
    }
    return Outcome::kOk;
  }

 private:
  const Options& o_;
  const std::vector<std::string>* tokens_;
  bool verify_;
  std::mt19937_64 rng_;
};

// Slot k of the share space is (employee k % E, network (k / E) % 2, item k / (2E)): consecutive
// slots spread over employees, and each employee shares at most --items times per network,
// below the daily cap the seeding sets.
class ShareWorker final : public Worker {
 public:
  ShareWorker(const Options& o, const std::vector<std::string>* tokens, int client)
      : o_(o), tokens_(tokens), next_slot_(o.slot_start + client) {}

  Outcome Call(v1::ContentService::Stub& stub, std::string* error) override {
    const int64_t slot = next_slot_;
    next_slot_ += o_.concurrency;
    const int64_t employees = o_.employees;
    const int64_t capacity = employees * o_.items * kNetworkCount;
    if (slot >= capacity) {
      if (error->empty()) {
        *error = advocacy::StrCat("no fresh (employee, item, network) left: ", capacity,
                                  " seeded; raise --employees or --items, or lower the load");
      }
      return Outcome::kError;
    }
    const auto employee = static_cast<int>(slot % employees);
    v1::RecordShareRequest req;
    req.set_tenant_id(o_.tenant);
    req.set_employee_id(EmployeeId(employee));
    req.set_item_id(ItemId(static_cast<int>(slot / (employees * kNetworkCount))));
    req.set_network(kNetworks[(slot / employees) % kNetworkCount]);
    req.add_groups(std::string(kGroup));
    auto ctx = Ctx((*tokens_)[static_cast<size_t>(employee)], o_.deadline_ms);
    v1::RecordShareResponse resp;
    const grpc::Status st = stub.RecordShare(ctx.get(), req, &resp);
    if (st.error_code() == grpc::StatusCode::RESOURCE_EXHAUSTED) return Outcome::kRefused;
    if (!st.ok()) {
      if (error->empty()) *error = advocacy::StrCat(req.employee_id(), ": ", Describe(st));
      return Outcome::kError;
    }
    return Outcome::kOk;
  }

 private:
  const Options& o_;
  const std::vector<std::string>* tokens_;
  int64_t next_slot_;
};

// ------------------------------------------------------------------------- no-op server ----

// Every method answers an empty OK without looking at the request: what is left is the cost of
// gRPC (HTTP/2, protobuf, thread hand-offs) on this machine with this client.
class NoopContentService final : public v1::ContentService::Service {
 public:
  grpc::Status CreateItem(grpc::ServerContext*, const v1::CreateItemRequest*,
                          v1::CreateItemResponse*) override {
    return grpc::Status::OK;
  }
  grpc::Status SubmitItem(grpc::ServerContext*, const v1::SubmitItemRequest*,
                          v1::SubmitItemResponse*) override {
    return grpc::Status::OK;
  }
  grpc::Status PublishItem(grpc::ServerContext*, const v1::PublishItemRequest*,
                           v1::PublishItemResponse*) override {
    return grpc::Status::OK;
  }
  grpc::Status ArchiveItem(grpc::ServerContext*, const v1::ArchiveItemRequest*,
                           v1::ArchiveItemResponse*) override {
    return grpc::Status::OK;
  }
  grpc::Status GetItem(grpc::ServerContext*, const v1::GetItemRequest*,
                       v1::GetItemResponse*) override {
    return grpc::Status::OK;
  }
  grpc::Status ListItems(grpc::ServerContext*, const v1::ListItemsRequest*,
                         v1::ListItemsResponse*) override {
    return grpc::Status::OK;
  }
  grpc::Status GetTenantSettings(grpc::ServerContext*, const v1::GetTenantSettingsRequest*,
                                 v1::GetTenantSettingsResponse*) override {
    return grpc::Status::OK;
  }
  grpc::Status UpdateTenantSettings(grpc::ServerContext*, const v1::UpdateTenantSettingsRequest*,
                                    v1::UpdateTenantSettingsResponse*) override {
    return grpc::Status::OK;
  }
  grpc::Status GetFeed(grpc::ServerContext*, const v1::GetFeedRequest*,
                       v1::GetFeedResponse*) override {
    return grpc::Status::OK;
  }
  grpc::Status RecordShare(grpc::ServerContext*, const v1::RecordShareRequest*,
                           v1::RecordShareResponse*) override {
    return grpc::Status::OK;
  }
  grpc::Status ListMyShares(grpc::ServerContext*, const v1::ListMySharesRequest*,
                            v1::ListMySharesResponse*) override {
    return grpc::Status::OK;
  }
  grpc::Status SetMyShareCap(grpc::ServerContext*, const v1::SetMyShareCapRequest*,
                             v1::SetMyShareCapResponse*) override {
    return grpc::Status::OK;
  }
  grpc::Status GetMyStats(grpc::ServerContext*, const v1::GetMyStatsRequest*,
                          v1::GetMyStatsResponse*) override {
    return grpc::Status::OK;
  }
  grpc::Status GetLeaderboard(grpc::ServerContext*, const v1::GetLeaderboardRequest*,
                              v1::GetLeaderboardResponse*) override {
    return grpc::Status::OK;
  }
  grpc::Status GetGroupStats(grpc::ServerContext*, const v1::GetGroupStatsRequest*,
                             v1::GetGroupStatsResponse*) override {
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
  auto minter = MakeMinter(o);
  if (!minter.ok()) return Fail(std::string(minter.status().message()));
  auto token = minter->Mint(auth::Role::kAdmin, "bench-admin");
  if (!token.ok()) return Fail(advocacy::StrCat("cannot mint a token: ", token.status().message()));
  auto stub = v1::ContentService::NewStub(
      grpc::CreateChannel(o.target, grpc::InsecureChannelCredentials()));
  const auto deadline = Clock::now() + std::chrono::duration_cast<Clock::duration>(
                                           std::chrono::duration<double>(o.timeout_s));
  std::string last = "no answer yet";
  while (Clock::now() < deadline) {
    v1::GetTenantSettingsRequest req;
    req.set_tenant_id(o.tenant);
    v1::GetTenantSettingsResponse resp;
    const grpc::Status st = stub->GetTenantSettings(Ctx(*token, 1000).get(), req, &resp);
    if (st.ok()) {
      std::printf("content service at %s answers GetTenantSettings\n", o.target.c_str());
      return 0;
    }
    last = Describe(st);
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return Fail(advocacy::StrCat("the content service at ", o.target,
                               " did not answer GetTenantSettings within ", o.timeout_s,
                               " s; last error: ", last));
}

int RunSeed(const Options& o) {
  if (o.consent_target.empty()) return Fail("seed needs --consent-target host:port");
  auto minter = MakeMinter(o);
  if (!minter.ok()) return Fail(std::string(minter.status().message()));
  auto admin = minter->Mint(auth::Role::kAdmin, "bench-admin");
  if (!admin.ok()) return Fail(advocacy::StrCat("cannot mint a token: ", admin.status().message()));
  auto tokens = minter->EmployeeTokens(EmployeeIds(o.employees));
  if (!tokens.ok())
    return Fail(advocacy::StrCat("cannot mint tokens: ", tokens.status().message()));
  const auto start = Clock::now();
  auto content = v1::ContentService::NewStub(
      grpc::CreateChannel(o.target, grpc::InsecureChannelCredentials()));
  auto consent = cv1::ConsentService::NewStub(
      grpc::CreateChannel(o.consent_target, grpc::InsecureChannelCredentials()));

  {
    cv1::PublishNoticeRequest req;
    req.set_tenant_id(o.tenant);
    req.set_version(std::string(kNoticeVersion));
    req.set_summary("Benchmark notice.");
    req.set_url("https://example.com/advocacy/bench-notice");
    // The consent service may still be starting: retry until --timeout, like `wait`.
    const auto deadline = Clock::now() + std::chrono::duration_cast<Clock::duration>(
                                             std::chrono::duration<double>(o.timeout_s));
    for (;;) {
      cv1::PublishNoticeResponse resp;
      const grpc::Status st = consent->PublishNotice(Ctx(*admin, 1000).get(), req, &resp);
      if (st.ok()) break;
      if (Clock::now() >= deadline) {
        return Fail(advocacy::StrCat("the consent service at ", o.consent_target,
                                     " did not accept PublishNotice within ", o.timeout_s,
                                     " s; last error: ", Describe(st)));
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
  }
  {
    // The highest daily cap: every employee shares each item at most once per network, and
    // --items stays within the cap, so the share load is never refused by it.
    v1::UpdateTenantSettingsRequest req;
    req.set_tenant_id(o.tenant);
    req.mutable_settings()->set_tenant_id(o.tenant);
    req.mutable_settings()->set_daily_share_cap(100);
    v1::UpdateTenantSettingsResponse resp;
    if (auto st = Check(content->UpdateTenantSettings(Ctx(*admin, o.deadline_ms).get(), req, &resp),
                        "UpdateTenantSettings");
        !st.ok())
      return Fail(std::string(st.message()));
  }
  absl::Status st = ParallelFor(o.items, 4, [&](int i) -> absl::Status {
    v1::CreateItemRequest req;
    req.set_tenant_id(o.tenant);
    v1::Item* item = req.mutable_item();
    item->set_item_id(ItemId(i));
    item->set_title(advocacy::StrCat("Benchmark item ", i));
    item->set_url(advocacy::StrCat("https://example.com/news/", ItemId(i)));
    item->set_language(std::string(kLanguage));
    item->add_target_groups(std::string(kGroup));
    item->add_hashtags("advocacy");
    item->add_topics("bench");
    for (cv1::Network n : kNetworks) {
      v1::NetworkCaptions* c = item->add_captions();
      c->set_network(n);
      c->add_captions("Proud of this");
      c->add_captions("Have a look");
    }
    v1::CreateItemResponse created;
    if (auto s = Check(content->CreateItem(Ctx(*admin, o.deadline_ms).get(), req, &created),
                       advocacy::StrCat("CreateItem ", ItemId(i)));
        !s.ok())
      return s;
    v1::PublishItemRequest pub;
    pub.set_tenant_id(o.tenant);
    pub.set_item_id(ItemId(i));
    v1::PublishItemResponse published;
    return Check(content->PublishItem(Ctx(*admin, o.deadline_ms).get(), pub, &published),
                 advocacy::StrCat("PublishItem ", ItemId(i)));
  });
  if (!st.ok())
    return Fail(advocacy::StrCat(st.message(), " (a tenant seeded before? use a new --tenant)"));

  std::vector<int64_t> sequences(static_cast<size_t>(o.employees), 0);
  st = ParallelFor(o.employees, std::min(o.concurrency, 16), [&](int i) -> absl::Status {
    cv1::GiveConsentRequest req;
    req.set_tenant_id(o.tenant);
    req.set_employee_id(EmployeeId(i));
    for (cv1::Network n : kNetworks) {
      cv1::ConsentScope* scope = req.add_scopes();
      scope->set_purpose(cv1::PURPOSE_SHARE_CONTENT);
      scope->set_network(n);
    }
    req.set_notice_version(std::string(kNoticeVersion));
    req.set_method(cv1::CONSENT_METHOD_ADMIN_ON_BEHALF);
    cv1::GiveConsentResponse resp;
    if (auto s = Check(consent->GiveConsent(Ctx(*admin, o.deadline_ms).get(), req, &resp),
                       advocacy::StrCat("GiveConsent ", EmployeeId(i)));
        !s.ok())
      return s;
    sequences[static_cast<size_t>(i)] = resp.sequence();
    return absl::OkStatus();
  });
  if (!st.ok()) return Fail(std::string(st.message()));
  const double consent_s = std::chrono::duration<double>(Clock::now() - start).count();

  // The consent reaches content's view through Kafka: wait until every employee's feed was built
  // on a view that applied the employee's GiveConsent and offers the items.
  const auto deadline = Clock::now() + std::chrono::duration_cast<Clock::duration>(
                                           std::chrono::duration<double>(o.timeout_s));
  st = ParallelFor(o.employees, std::min(o.concurrency, 16), [&](int i) -> absl::Status {
    std::string last;
    while (Clock::now() < deadline) {
      v1::GetFeedResponse resp;
      const grpc::Status g = content->GetFeed(
          Ctx((*tokens)[static_cast<size_t>(i)], o.deadline_ms).get(), FeedRequest(o, i), &resp);
      if (g.ok() && resp.consent_sequence() >= sequences[static_cast<size_t>(i)] &&
          resp.entries_size() > 0) {
        return absl::OkStatus();
      }
      last = g.ok() ? advocacy::StrCat("consent_sequence ", resp.consent_sequence(), " of ",
                                       sequences[static_cast<size_t>(i)], ", ", resp.entries_size(),
                                       " entries")
                    : Describe(g);
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return absl::DeadlineExceededError(advocacy::StrCat(
        "the content service's consent view did not catch up for ", EmployeeId(i), " within ",
        o.timeout_s, " s (last: ", last, "); is it consuming advocacy.consent.v1?"));
  });
  if (!st.ok()) return Fail(std::string(st.message()));
  std::printf(
      "seeded tenant %s: %d items, %d employees consenting on LinkedIn and X in %.1f s; content's "
      "view caught up after %.1f s in all\n",
      o.tenant.c_str(), o.items, o.employees, consent_s,
      std::chrono::duration<double>(Clock::now() - start).count());
  return 0;
}

int RunFeedOrShare(const Options& o) {
  auto minter = MakeMinter(o);
  if (!minter.ok()) return Fail(std::string(minter.status().message()));
  auto tokens = minter->EmployeeTokens(EmployeeIds(o.employees));
  if (!tokens.ok())
    return Fail(advocacy::StrCat("cannot mint tokens: ", tokens.status().message()));
  const bool share = o.mode == "share";
  std::random_device rd;
  const uint64_t base_seed = (static_cast<uint64_t>(rd()) << 32) | rd();
  LoadResult r = RunLoad<v1::ContentService>(o, o.target, [&](int i) -> std::unique_ptr<Worker> {
    if (share) return std::make_unique<ShareWorker>(o, &*tokens, i);
    return std::make_unique<FeedWorker>(o, &*tokens, base_seed + static_cast<uint64_t>(i),
                                        o.verify);
  });
  // Every client used slots start + i + k * C for k < its call count.
  const std::string extra =
      share ? advocacy::StrCat(" next_slot=", o.slot_start + r.max_calls_per_client * o.concurrency)
            : std::string();
  return Report(o, o.name.empty() ? o.mode : o.name, r, extra);
}

int RunNoop(const Options& o) {
  NoopContentService service;
  grpc::ServerBuilder builder;
  int port = 0;
  builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port);
  // The same thread bound as the real service's sync server (ADVOCACY_GRPC_MAX_THREADS).
  grpc::ResourceQuota quota("content-bench-noop");
  quota.SetMaxThreads(o.noop_max_threads);
  builder.SetResourceQuota(quota);
  builder.RegisterService(&service);
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  if (!server || port == 0)
    return Fail("cannot start the in-process no-op gRPC server on 127.0.0.1");
  // Real tokens when a key is given: the same bytes on the wire as the feed load.
  std::vector<std::string> tokens = {"Bearer none"};
  if (!o.private_key_file.empty()) {
    auto minter = MakeMinter(o);
    if (!minter.ok()) return Fail(std::string(minter.status().message()));
    auto minted = minter->EmployeeTokens(EmployeeIds(o.employees));
    if (!minted.ok())
      return Fail(advocacy::StrCat("cannot mint tokens: ", minted.status().message()));
    tokens = std::move(*minted);
  }
  std::random_device rd;
  const uint64_t base_seed = rd();
  LoadResult r = RunLoad<v1::ContentService>(
      o, advocacy::StrCat("127.0.0.1:", port), [&](int i) -> std::unique_ptr<Worker> {
        return std::make_unique<FeedWorker>(o, &tokens, base_seed + static_cast<uint64_t>(i),
                                            /*verify=*/false);
      });
  const int rc = Report(o, o.name.empty() ? o.mode : o.name, r, "");
  server->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(2));
  server->Wait();
  return rc;
}

int Run(int argc, char** argv) {
  Options o;
  CLI::App app{"Closed-loop load generator for the content service (see bench/README.md)"};
  app.add_option("--mode", o.mode, "keygen | wait | seed | feed | share | noop")
      ->check(CLI::IsMember({"keygen", "wait", "seed", "feed", "share", "noop"}))
      ->capture_default_str();
  app.add_option("--target", o.target, "content service host:port (wait, seed, feed, share)");
  app.add_option("--consent-target", o.consent_target, "consent service host:port (seed)");
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
  app.add_option("-n,--employees", o.employees, "employees seeded and loaded")
      ->check(CLI::Range(1, 1000000))
      ->capture_default_str();
  app.add_option("--items", o.items, "items published by seed (at most the daily cap, 100)")
      ->check(CLI::Range(1, 100))
      ->capture_default_str();
  app.add_option("--page-size", o.page_size, "GetFeed page_size")
      ->check(CLI::Range(1, 50))
      ->capture_default_str();
  app.add_option("--slot-start", o.slot_start,
                 "share: first (employee, item, network) slot; the previous share run's next_slot")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  app.add_option("--tenant", o.tenant, "tenant id (a new one per run: shares cannot repeat)")
      ->capture_default_str();
  app.add_option("--private-key", o.private_key_file, "P-256 private key PEM that signs tokens");
  app.add_option("--public-key", o.public_key_file, "public key PEM (written by keygen)");
  app.add_option("--issuer", o.issuer, "token iss; must match ADVOCACY_JWT_ISSUER")
      ->capture_default_str();
  app.add_option("--audience", o.audience, "token aud; must match ADVOCACY_JWT_AUDIENCE")
      ->capture_default_str();
  app.add_option("--deadline-ms", o.deadline_ms, "deadline of each call")
      ->check(CLI::Range(1, 600000))
      ->capture_default_str();
  app.add_option("--timeout", o.timeout_s, "wait, seed: give up after this many seconds")
      ->capture_default_str();
  app.add_option("--noop-max-threads", o.noop_max_threads,
                 "noop: the in-process server's thread bound (as ADVOCACY_GRPC_MAX_THREADS)")
      ->check(CLI::Range(2, 4096))
      ->capture_default_str();
  app.add_flag("!--no-verify", o.verify, "feed: do not fail on empty feeds");
  CLI11_PARSE(app, argc, argv);

  const bool needs_target =
      o.mode == "wait" || o.mode == "seed" || o.mode == "feed" || o.mode == "share";
  if (needs_target && o.target.empty()) return Fail(o.mode + " needs --target host:port");
  if (needs_target && o.private_key_file.empty()) {
    return Fail(o.mode + " needs --private-key (the key whose public half the services trust)");
  }
  if (o.mode == "keygen") return RunKeygen(o);
  if (o.mode == "wait") return RunWait(o);
  if (o.mode == "seed") return RunSeed(o);
  if (o.mode == "noop") return RunNoop(o);
  return RunFeedOrShare(o);
}

}  // namespace
}  // namespace advocacy::bench

int main(int argc, char** argv) {
  // Nothing here is expected to throw; an exception is a bug, reported rather than aborting.
  try {
    return advocacy::bench::Run(argc, argv);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "content_bench: unexpected error: %s\n", e.what());
    return 1;
  }
}
