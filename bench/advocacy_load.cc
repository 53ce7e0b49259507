// advocacy_load: drives a realistic mix of calls against the running system at a fixed rate for
// a fixed time (open loop), the load that the system-level proofs (propagation, faults, soak)
// run under.
//
// Open loop: call k is due at start + k / rate whether or not earlier calls have finished. A pool
// of worker threads takes due calls from a queue; each call's latency is measured from the time
// it was DUE, not from when a worker got to it, so a stalled system shows up as latency instead
// of silently lowering the offered rate (no coordinated omission). When the queue holds more than
// --max-backlog calls, new ones are dropped and counted: the system could not keep up.
//
// The mix (--mix, weights):
//   check    CheckConsent of a random employee (service token)
//   batch    BatchCheckConsent of 100 random employees (service token)
//   feed     GetFeed of a random steady employee (their own token)
//   share    RecordShare of a fresh (steady employee, item) on LinkedIn (their own token)
//   consent  a churn employee toggles share-on-LinkedIn and email tips: give, then withdraw
//            next time (their own token); never two toggles of one employee at once
//   publish  an admin creates and publishes a new item
// Steady employees (the first 1 - churn of them) keep their consent for the whole run, so shares
// and feeds are not refused by the churn; churn employees' acknowledged withdrawals can be
// written to --ack-log for the propagation measurement.
//
// For the fault runs (bench/run_faults.sh, bench/fault_check.cc), what the system acknowledged
// can be logged, one line per call, so that a later check can prove nothing acknowledged was
// lost and nothing was applied twice:
//   --change-log   every consent toggle: tenant employee G|W ok|err sequence fully_propagated
//                  start_ns end_ns code (sequence and fully_propagated only when ok)
//   --share-log    every share: tenant employee item ok|exists|err|refused attempts link_code
//                  end_ns code ("exists": a retry after UNAVAILABLE / DEADLINE_EXCEEDED was
//                  answered ALREADY_EXISTS, i.e. the first attempt had been committed)
//   --publish-log  every publish: tenant item ok|err end_ns
// --share-retries N retries a RecordShare that failed with UNAVAILABLE or DEADLINE_EXCEEDED (the
// retry must return the existing share or ALREADY_EXISTS, never a second share).
// --pause-file F: while F exists no consent toggle starts, and once none is in flight the tool
// creates F.idle (removed when F goes), so a check can compare a quiet consent state.
// SIGTERM / SIGINT end the run early (the calls in flight finish; the report is printed).
//
// Modes:
//   seed  publishes a notice, raises the tenant's share cap, creates --items items, gives every
//         employee share consent on LinkedIn and email tips, waits until content's view shows it;
//         with --notifications and --recipients N, makes employees 0..N-1 (steady ones)
//         notification recipients (<employee>@load.test, instant mails, every topic)
//   run   the load; prints RESULT lines per operation, WINDOW lines every --report-every s

#include <grpcpp/grpcpp.h>
#include <sys/stat.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <deque>
#include <fstream>
#include <map>
#include <memory>
#include <mutex>
#include <random>
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
#include "advocacy/notifications/v1/notifications_service.grpc.pb.h"
#include "bench_util.h"
#include "load_engine.h"

namespace advocacy::bench {
namespace {

namespace cv1 = advocacy::consent::v1;
namespace v1 = advocacy::content::v1;
namespace nv1 = advocacy::notifications::v1;

constexpr std::string_view kNoticeVersion = "load-1";
constexpr std::string_view kGroup = "load";
constexpr std::string_view kLanguage = "en";
constexpr int kBatchSize = 100;

enum Op { kCheck, kBatch, kFeed, kShare, kConsent, kPublish, kOpCount };
constexpr const char* kOpNames[kOpCount] = {"check", "batch",   "feed",
                                            "share", "consent", "publish"};

struct Options {
  std::string mode = "run";
  std::string consent_target;
  std::string content_target;
  std::string tenant = "load";
  std::string private_key_file;
  std::string issuer = "advocacy-bench";
  std::string audience = "advocacy";
  int employees = 1000;
  double churn = 0.1;
  int items = 50;
  double rate = 200;
  double duration_s = 30;
  std::string mix = "check=40,batch=5,feed=25,share=10,consent=15,publish=5";
  int workers = 64;
  int max_backlog = 5000;
  double report_every_s = 0;
  int deadline_ms = 10000;
  double timeout_s = 120;
  uint64_t seed = 1;
  std::string run_id;
  std::string ack_log;
  std::string change_log;
  std::string share_log;
  std::string publish_log;
  std::string pause_file;
  int share_retries = 0;
  double max_error_percent = 1;
  std::string notifications_target;
  int recipients = 0;
};

// Set by SIGTERM / SIGINT: stop offering calls, finish those in flight, report.
std::atomic<bool> g_stop{false};
extern "C" void OnStopSignal(int /*signal*/) { g_stop.store(true); }

int64_t UnixNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

bool FileExists(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0;
}

// Appends whole lines to a file shared by the workers; each line is flushed at once, so a
// check reading the file while the load runs sees every call that has returned.
class LineLog final {
 public:
  bool Open(const std::string& path) {
    if (path.empty()) return true;
    out_.open(path, std::ios::trunc);
    return static_cast<bool>(out_);
  }
  bool enabled() const { return out_.is_open(); }
  void Write(const std::string& line) {
    if (!out_.is_open()) return;
    std::lock_guard lock(mu_);
    out_ << line << '\n';
    out_.flush();
  }

 private:
  std::mutex mu_;
  std::ofstream out_;
};

std::string EmployeeId(int i) { return absl::StrFormat("e%07d", i); }
std::string ItemId(int i) { return absl::StrFormat("item%04d", i); }

void Warn(const std::string& m) { std::fprintf(stderr, "advocacy_load: %s\n", m.c_str()); }
int Fail(const std::string& m) {
  Warn(m);
  return 1;
}

absl::StatusOr<std::vector<double>> ParseMix(const std::string& mix) {
  std::vector<double> w(kOpCount, 0);
  size_t pos = 0;
  while (pos < mix.size()) {
    size_t end = mix.find(',', pos);
    if (end == std::string::npos) end = mix.size();
    const std::string part = mix.substr(pos, end - pos);
    pos = end + 1;
    const size_t eq = part.find('=');
    if (eq == std::string::npos) {
      return absl::InvalidArgumentError(advocacy::StrCat("--mix: '", part, "' is not op=weight"));
    }
    const std::string name = part.substr(0, eq);
    int op = -1;
    for (int i = 0; i < kOpCount; ++i) {
      if (name == kOpNames[i]) op = i;
    }
    if (op < 0)
      return absl::InvalidArgumentError(advocacy::StrCat("--mix: unknown op '", name, "'"));
    try {
      w[static_cast<size_t>(op)] = std::stod(part.substr(eq + 1));
    } catch (const std::exception&) {
      return absl::InvalidArgumentError(advocacy::StrCat("--mix: bad weight in '", part, "'"));
    }
    if (w[static_cast<size_t>(op)] < 0) {
      return absl::InvalidArgumentError(advocacy::StrCat("--mix: negative weight in '", part, "'"));
    }
  }
  double total = 0;
  for (double x : w) total += x;
  if (total <= 0) return absl::InvalidArgumentError("--mix: no positive weight");
  return w;
}

// ------------------------------------------------------------------------------- the system --

// Everything the calls need, shared by the workers (stubs and tokens are thread-safe to share).
class System final {
 public:
  static absl::StatusOr<std::unique_ptr<System>> Create(const Options& o) {
    auto minter = Minter::Create(o.private_key_file, o.issuer, o.audience, o.tenant);
    if (!minter.ok()) return minter.status();
    auto sys = std::unique_ptr<System>(new System(o, std::move(*minter)));
    if (auto st = sys->Init(); !st.ok()) return st;
    return sys;
  }

  const Options& o;
  Minter minter;
  std::string admin;
  std::string service;
  std::vector<std::string> tokens;  // per employee
  std::unique_ptr<cv1::ConsentService::Stub> consent;
  std::unique_ptr<v1::ContentService::Stub> content;
  std::unique_ptr<nv1::NotificationsService::Stub> notifications;  // null without --notifications
  int steady = 0;  // employees [0, steady) never churn

 private:
  System(const Options& opts, Minter m) : o(opts), minter(std::move(m)) {}

  absl::Status Init() {
    auto a = minter.Mint(auth::Role::kAdmin, "load-admin");
    if (!a.ok()) return a.status();
    admin = std::move(*a);
    auto s = minter.Mint(auth::Role::kService, "load-service");
    if (!s.ok()) return s.status();
    service = std::move(*s);
    std::vector<std::string> ids;
    for (int i = 0; i < o.employees; ++i) ids.push_back(EmployeeId(i));
    auto t = minter.EmployeeTokens(ids);
    if (!t.ok()) return t.status();
    tokens = std::move(*t);
    // A few channels so one HTTP/2 connection is not the bottleneck of the client itself.
    consent = cv1::ConsentService::NewStub(MakeChannels(o.consent_target, 1)[0]);
    content = v1::ContentService::NewStub(MakeChannels(o.content_target, 1)[0]);
    if (!o.notifications_target.empty()) {
      notifications =
          nv1::NotificationsService::NewStub(MakeChannels(o.notifications_target, 1)[0]);
    }
    steady = std::max(1, static_cast<int>(o.employees * (1.0 - o.churn)));
    if (steady >= o.employees && o.churn > 0) steady = o.employees - 1;
    return absl::OkStatus();
  }
};

cv1::ConsentScope ShareScope() {
  cv1::ConsentScope s;
  s.set_purpose(cv1::PURPOSE_SHARE_CONTENT);
  s.set_network(cv1::NETWORK_LINKEDIN);
  return s;
}

cv1::ConsentScope TipsScope() {
  cv1::ConsentScope s;
  s.set_purpose(cv1::PURPOSE_EMAIL_TIPS);
  return s;
}

v1::GetFeedRequest FeedRequest(const Options& o, int employee) {
  v1::GetFeedRequest req;
  req.set_tenant_id(o.tenant);
  req.set_employee_id(EmployeeId(employee));
  req.add_groups(std::string(kGroup));
  req.set_language(std::string(kLanguage));
  req.set_page_size(20);
  return req;
}

absl::Status CreateAndPublish(System& sys, const std::string& item_id) {
  v1::CreateItemRequest req;
  req.set_tenant_id(sys.o.tenant);
  v1::Item* item = req.mutable_item();
  item->set_item_id(item_id);
  item->set_title(advocacy::StrCat("Load item ", item_id));
  item->set_url(advocacy::StrCat("https://example.com/news/", item_id));
  item->set_language(std::string(kLanguage));
  item->add_target_groups(std::string(kGroup));
  item->add_topics("load");
  v1::NetworkCaptions* c = item->add_captions();
  c->set_network(cv1::NETWORK_LINKEDIN);
  c->add_captions("Proud of this");
  c->add_captions("Have a look");
  v1::CreateItemResponse created;
  if (auto st =
          Check(sys.content->CreateItem(Ctx(sys.admin, sys.o.deadline_ms).get(), req, &created),
                advocacy::StrCat("CreateItem ", item_id));
      !st.ok()) {
    return st;
  }
  v1::PublishItemRequest pub;
  pub.set_tenant_id(sys.o.tenant);
  pub.set_item_id(item_id);
  v1::PublishItemResponse published;
  return Check(sys.content->PublishItem(Ctx(sys.admin, sys.o.deadline_ms).get(), pub, &published),
               advocacy::StrCat("PublishItem ", item_id));
}

// --------------------------------------------------------------------------------- seeding --

int RunSeed(const Options& o) {
  auto sys = System::Create(o);
  if (!sys.ok()) return Fail(std::string(sys.status().message()));
  System& s = **sys;
  const auto start = Clock::now();
  const auto deadline = start + std::chrono::duration_cast<Clock::duration>(
                                    std::chrono::duration<double>(o.timeout_s));
  {
    cv1::PublishNoticeRequest req;
    req.set_tenant_id(o.tenant);
    req.set_version(std::string(kNoticeVersion));
    req.set_summary("Load test notice.");
    req.set_url("https://example.com/advocacy/load-notice");
    for (;;) {
      cv1::PublishNoticeResponse resp;
      const grpc::Status st = s.consent->PublishNotice(Ctx(s.admin, 1000).get(), req, &resp);
      if (st.ok()) break;
      if (Clock::now() >= deadline) {
        return Fail(advocacy::StrCat("PublishNotice not accepted within ", o.timeout_s,
                                     " s: ", Describe(st)));
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
  }
  {
    v1::UpdateTenantSettingsRequest req;
    req.set_tenant_id(o.tenant);
    req.mutable_settings()->set_tenant_id(o.tenant);
    req.mutable_settings()->set_daily_share_cap(100);
    v1::UpdateTenantSettingsResponse resp;
    for (;;) {
      const grpc::Status st =
          s.content->UpdateTenantSettings(Ctx(s.admin, o.deadline_ms).get(), req, &resp);
      if (st.ok()) break;
      if (Clock::now() >= deadline) {
        return Fail(advocacy::StrCat("UpdateTenantSettings not accepted within ", o.timeout_s,
                                     " s: ", Describe(st)));
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
  }
  absl::Status st = ParallelFor(o.items, 4, [&](int i) { return CreateAndPublish(s, ItemId(i)); });
  if (!st.ok()) return Fail(advocacy::StrCat(st.message(), " (seeded before? use a new --tenant)"));
  std::vector<int64_t> sequences(static_cast<size_t>(o.employees), 0);
  st = ParallelFor(o.employees, 16, [&](int i) -> absl::Status {
    cv1::GiveConsentRequest req;
    req.set_tenant_id(o.tenant);
    req.set_employee_id(EmployeeId(i));
    *req.add_scopes() = ShareScope();
    *req.add_scopes() = TipsScope();
    req.set_notice_version(std::string(kNoticeVersion));
    req.set_method(cv1::CONSENT_METHOD_APP_TOGGLE);
    cv1::GiveConsentResponse resp;
    if (auto c = Check(s.consent->GiveConsent(
                           Ctx(s.tokens[static_cast<size_t>(i)], o.deadline_ms).get(), req, &resp),
                       advocacy::StrCat("GiveConsent ", EmployeeId(i)));
        !c.ok()) {
      return c;
    }
    sequences[static_cast<size_t>(i)] = resp.sequence();
    return absl::OkStatus();
  });
  if (!st.ok()) return Fail(std::string(st.message()));
  st = ParallelFor(o.employees, 16, [&](int i) -> absl::Status {
    std::string last;
    while (Clock::now() < deadline) {
      v1::GetFeedResponse resp;
      const grpc::Status g = s.content->GetFeed(
          Ctx(s.tokens[static_cast<size_t>(i)], o.deadline_ms).get(), FeedRequest(o, i), &resp);
      if (g.ok() && resp.consent_sequence() >= sequences[static_cast<size_t>(i)] &&
          resp.entries_size() > 0) {
        return absl::OkStatus();
      }
      last = g.ok() ? advocacy::StrCat("consent_sequence ", resp.consent_sequence(), ", ",
                                       resp.entries_size(), " entries")
                    : Describe(g);
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return absl::DeadlineExceededError(advocacy::StrCat(
        "content's consent view did not catch up for ", EmployeeId(i), " (last: ", last, ")"));
  });
  if (!st.ok()) return Fail(std::string(st.message()));
  // Recipients last: the seeded items' ItemPublished events were fanned out (or are being
  // fanned out) before anyone could receive them, so only the run's publishes send mail.
  if (o.recipients > 0) {
    if (!s.notifications) return Fail("--recipients needs --notifications");
    if (o.recipients > s.steady) return Fail("--recipients must not exceed the steady employees");
    st = ParallelFor(o.recipients, 4, [&](int i) -> absl::Status {
      nv1::UpsertRecipientRequest req;
      nv1::Recipient* r = req.mutable_recipient();
      r->set_tenant_id(o.tenant);
      r->set_employee_id(EmployeeId(i));
      r->set_email(advocacy::StrCat(EmployeeId(i), "@load.test"));
      r->set_display_name(advocacy::StrCat("Load ", EmployeeId(i)));
      r->set_locale("en");
      r->set_time_zone("UTC");
      std::string last;
      while (Clock::now() < deadline) {
        nv1::UpsertRecipientResponse resp;
        const grpc::Status g =
            s.notifications->UpsertRecipient(Ctx(s.admin, o.deadline_ms).get(), req, &resp);
        if (g.ok()) return absl::OkStatus();
        last = Describe(g);
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
      }
      return absl::DeadlineExceededError(
          advocacy::StrCat("UpsertRecipient ", EmployeeId(i), ": ", last));
    });
    if (!st.ok()) return Fail(std::string(st.message()));
  }
  std::printf("seeded tenant %s: %d items, %d employees consenting, %d recipients, in %.1f s\n",
              o.tenant.c_str(), o.items, o.employees, o.recipients,
              std::chrono::duration<double>(Clock::now() - start).count());
  return 0;
}

// ------------------------------------------------------------------------------------ load --

struct Due {
  Op op;
  Clock::time_point due;
  uint64_t n;  // the call's number, for fresh ids
};

enum class Result { kOk, kRefused, kError };

struct OpStats {
  int64_t ok = 0;
  int64_t refused = 0;
  int64_t errors = 0;
  std::string first_error;
  std::vector<int64_t> latencies_ns;  // ok and refused calls, from due time to completion
};

// A churn employee's consent state and whether a toggle is in flight.
struct ChurnState {
  std::atomic<bool> busy{false};
  bool granted = true;  // guarded by busy
};

class Load final {
 public:
  Load(System& sys, std::vector<double> weights)
      : sys_(sys), o_(sys.o), weights_(std::move(weights)) {
    churn_ = std::vector<ChurnState>(static_cast<size_t>(o_.employees - sys_.steady));
    if (!o_.ack_log.empty()) ack_log_.open(o_.ack_log, std::ios::trunc);
    logs_ok_ = change_log_.Open(o_.change_log) && share_log_.Open(o_.share_log) &&
               publish_log_.Open(o_.publish_log);
  }

  int Run() {
    if (!o_.ack_log.empty() && !ack_log_)
      return Fail(advocacy::StrCat("cannot write ", o_.ack_log));
    if (!logs_ok_) return Fail("cannot write --change-log, --share-log or --publish-log");
    std::vector<std::thread> workers;
    for (int i = 0; i < o_.workers; ++i) {
      workers.emplace_back([this, i] { Work(static_cast<uint64_t>(i)); });
    }
    std::mt19937_64 rng(o_.seed);
    std::discrete_distribution<int> pick(weights_.begin(), weights_.end());
    const auto interval = std::chrono::duration<double>(1.0 / o_.rate);
    start_ = Clock::now();
    std::printf("START unix_ns=%lld\n", static_cast<long long>(UnixNs()));
    std::fflush(stdout);
    const auto end = start_ + std::chrono::duration_cast<Clock::duration>(
                                  std::chrono::duration<double>(o_.duration_s));
    auto next_report = start_ + std::chrono::duration_cast<Clock::duration>(
                                    std::chrono::duration<double>(o_.report_every_s));
    uint64_t k = 0;
    for (;; ++k) {
      const auto due = start_ + std::chrono::duration_cast<Clock::duration>(interval * k);
      if (due >= end || g_stop.load()) break;
      std::this_thread::sleep_until(due);
      if (!o_.pause_file.empty()) UpdatePause();
      if (o_.report_every_s > 0 && Clock::now() >= next_report) {
        ReportWindow();
        next_report += std::chrono::duration_cast<Clock::duration>(
            std::chrono::duration<double>(o_.report_every_s));
      }
      std::unique_lock lock(mu_);
      if (queue_.size() >= static_cast<size_t>(o_.max_backlog)) {
        ++dropped_;
        continue;
      }
      queue_.push_back({static_cast<Op>(pick(rng)), due, k});
      lock.unlock();
      cv_.notify_one();
    }
    {
      std::lock_guard lock(mu_);
      closing_ = true;
    }
    cv_.notify_all();
    for (auto& t : workers) t.join();
    const double seconds = std::chrono::duration<double>(Clock::now() - start_).count();
    if (o_.report_every_s > 0) ReportWindow();
    return Report(k, seconds);
  }

 private:
  void Work(uint64_t id) {
    std::mt19937_64 rng(o_.seed * 7919 + id + 1);
    for (;;) {
      Due d;
      {
        std::unique_lock lock(mu_);
        cv_.wait(lock, [&] { return closing_ || !queue_.empty(); });
        if (queue_.empty()) return;
        d = queue_.front();
        queue_.pop_front();
      }
      std::string error;
      const Result r = Call(d, rng, &error);
      const int64_t ns =
          std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now() - d.due).count();
      std::lock_guard lock(stats_mu_);
      OpStats& s = stats_[d.op];
      if (r == Result::kError) {
        ++s.errors;
        ++window_errors_;
        if (s.first_error.empty()) s.first_error = error;
        continue;
      }
      (r == Result::kOk ? s.ok : s.refused) += 1;
      s.latencies_ns.push_back(ns);
      window_.push_back(ns);
    }
  }

  Result Call(const Due& d, std::mt19937_64& rng, std::string* error) {
    const auto fail = [&](const grpc::Status& st, std::string_view what) {
      *error = advocacy::StrCat(what, ": ", Describe(st));
      return Result::kError;
    };
    switch (d.op) {
      case kCheck: {
        cv1::CheckConsentRequest req;
        req.set_tenant_id(o_.tenant);
        req.set_employee_id(
            EmployeeId(static_cast<int>(rng() % static_cast<uint64_t>(o_.employees))));
        *req.mutable_scope() = ShareScope();
        cv1::CheckConsentResponse resp;
        const grpc::Status st =
            sys_.consent->CheckConsent(Ctx(sys_.service, o_.deadline_ms).get(), req, &resp);
        return st.ok() ? Result::kOk : fail(st, "CheckConsent");
      }
      case kBatch: {
        cv1::BatchCheckConsentRequest req;
        req.set_tenant_id(o_.tenant);
        *req.mutable_scope() = TipsScope();
        for (int i = 0; i < kBatchSize; ++i) {
          req.add_employee_ids(
              EmployeeId(static_cast<int>(rng() % static_cast<uint64_t>(o_.employees))));
        }
        cv1::BatchCheckConsentResponse resp;
        const grpc::Status st =
            sys_.consent->BatchCheckConsent(Ctx(sys_.service, o_.deadline_ms).get(), req, &resp);
        if (!st.ok()) return fail(st, "BatchCheckConsent");
        if (resp.results_size() != kBatchSize) {
          *error = "BatchCheckConsent: wrong number of results";
          return Result::kError;
        }
        return Result::kOk;
      }
      case kFeed: {
        const int e = static_cast<int>(rng() % static_cast<uint64_t>(sys_.steady));
        v1::GetFeedResponse resp;
        const grpc::Status st =
            sys_.content->GetFeed(Ctx(sys_.tokens[static_cast<size_t>(e)], o_.deadline_ms).get(),
                                  FeedRequest(o_, e), &resp);
        return st.ok() ? Result::kOk : fail(st, "GetFeed");
      }
      case kShare:
        return Share(error);
      case kConsent:
        return Toggle(rng, error);
      case kPublish: {
        const std::string item_id = advocacy::StrCat("run-", o_.run_id, "-", d.n);
        const auto st = CreateAndPublish(sys_, item_id);
        publish_log_.Write(
            advocacy::StrCat(o_.tenant, " ", item_id, st.ok() ? " ok " : " err ", UnixNs()));
        if (st.ok()) return Result::kOk;
        *error = std::string(st.message());
        return Result::kError;
      }
      case kOpCount:
        break;
    }
    *error = "unknown op";
    return Result::kError;
  }

  // Share slot j: employee j % steady, item j / steady; each pair at most once. A retry (after
  // UNAVAILABLE or DEADLINE_EXCEEDED, when --share-retries allows) repeats the same pair: the
  // service must answer with the share it already has or ALREADY_EXISTS, never make a second.
  Result Share(std::string* error) {
    const uint64_t j = next_share_.fetch_add(1);
    const uint64_t steady = static_cast<uint64_t>(sys_.steady);
    const uint64_t item = j / steady;
    if (item >= static_cast<uint64_t>(o_.items)) return Result::kRefused;  // space used up
    const int e = static_cast<int>(j % steady);
    v1::RecordShareRequest req;
    req.set_tenant_id(o_.tenant);
    req.set_employee_id(EmployeeId(e));
    req.set_item_id(ItemId(static_cast<int>(item)));
    req.set_network(cv1::NETWORK_LINKEDIN);
    req.add_groups(std::string(kGroup));
    grpc::Status st;
    v1::RecordShareResponse resp;
    int attempt = 0;
    for (;;) {
      ++attempt;
      resp.Clear();
      st = sys_.content->RecordShare(Ctx(sys_.tokens[static_cast<size_t>(e)], o_.deadline_ms).get(),
                                     req, &resp);
      const bool transient = st.error_code() == grpc::StatusCode::UNAVAILABLE ||
                             st.error_code() == grpc::StatusCode::DEADLINE_EXCEEDED;
      if (!transient || attempt > o_.share_retries || g_stop.load()) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(std::min(2000, 250 * attempt)));
    }
    const char* outcome = "err";
    Result r = Result::kError;
    if (st.ok()) {
      outcome = "ok";
      r = Result::kOk;
    } else if (st.error_code() == grpc::StatusCode::RESOURCE_EXHAUSTED) {
      outcome = "refused";
      r = Result::kRefused;
    } else if (st.error_code() == grpc::StatusCode::ALREADY_EXISTS && attempt > 1) {
      outcome = "exists";
      r = Result::kOk;
    } else {
      *error = advocacy::StrCat("RecordShare: ", Describe(st));
    }
    share_log_.Write(advocacy::StrCat(
        o_.tenant, " ", EmployeeId(e), " ", ItemId(static_cast<int>(item)), " ", outcome, " ",
        attempt, " ",
        st.ok() && !resp.share().link_code().empty() ? resp.share().link_code() : std::string("-"),
        " ", UnixNs(), " ", static_cast<int>(st.error_code())));
    return r;
  }

  // Reads --pause-file at most every 100 ms (dispatcher thread only); once paused and no toggle
  // is in flight, creates <pause-file>.idle.
  void UpdatePause() {
    const auto now = Clock::now();
    if (now < next_pause_poll_) return;
    next_pause_poll_ = now + std::chrono::milliseconds(100);
    const bool paused = FileExists(o_.pause_file);
    paused_.store(paused);
    const std::string idle = advocacy::StrCat(o_.pause_file, ".idle");
    if (paused && toggles_in_flight_.load() == 0) {
      if (!idle_written_) {
        std::ofstream(idle) << "idle\n";
        idle_written_ = true;
      }
    } else if (!paused && idle_written_) {
      std::remove(idle.c_str());
      idle_written_ = false;
    }
  }

  Result Toggle(std::mt19937_64& rng, std::string* error) {
    if (churn_.empty()) return Result::kRefused;
    // In flight first, then the pause flag: with both atomics sequentially consistent, the
    // dispatcher either sees this toggle in flight or this toggle sees the pause.
    toggles_in_flight_.fetch_add(1);
    if (paused_.load()) {
      toggles_in_flight_.fetch_sub(1);
      return Result::kRefused;
    }
    const Result r = ToggleOne(rng, error);
    toggles_in_flight_.fetch_sub(1);
    return r;
  }

  void LogChange(const std::string& employee, char op, const grpc::Status& st, int64_t sequence,
                 const char* fully_propagated, int64_t start_ns) {
    change_log_.Write(advocacy::StrCat(o_.tenant, " ", employee, " ", std::string(1, op),
                                       st.ok() ? " ok " : " err ", st.ok() ? sequence : 0, " ",
                                       fully_propagated, " ", start_ns, " ", UnixNs(), " ",
                                       static_cast<int>(st.error_code())));
  }

  Result ToggleOne(std::mt19937_64& rng, std::string* error) {
    const size_t n = churn_.size();
    size_t idx = rng() % n;
    for (size_t tries = 0;; ++tries, idx = (idx + 1) % n) {
      if (tries == n) return Result::kRefused;  // every churn employee busy
      bool expected = false;
      if (churn_[idx].busy.compare_exchange_strong(expected, true)) break;
    }
    ChurnState& c = churn_[idx];
    const int e = sys_.steady + static_cast<int>(idx);
    const std::string& token = sys_.tokens[static_cast<size_t>(e)];
    Result r = Result::kOk;
    if (c.granted) {
      cv1::WithdrawConsentRequest req;
      req.set_tenant_id(o_.tenant);
      req.set_employee_id(EmployeeId(e));
      *req.add_scopes() = ShareScope();
      *req.add_scopes() = TipsScope();
      req.set_method(cv1::CONSENT_METHOD_APP_TOGGLE);
      cv1::WithdrawConsentResponse resp;
      const int64_t t0 = UnixNs();
      const grpc::Status st =
          sys_.consent->WithdrawConsent(Ctx(token, o_.deadline_ms).get(), req, &resp);
      LogChange(EmployeeId(e), 'W', st, resp.sequence(), resp.fully_propagated() ? "1" : "0", t0);
      if (st.ok()) {
        c.granted = false;
        LogAck(EmployeeId(e), resp.sequence());
      } else {
        *error = advocacy::StrCat("WithdrawConsent: ", Describe(st));
        r = Result::kError;
      }
    } else {
      cv1::GiveConsentRequest req;
      req.set_tenant_id(o_.tenant);
      req.set_employee_id(EmployeeId(e));
      *req.add_scopes() = ShareScope();
      *req.add_scopes() = TipsScope();
      req.set_notice_version(std::string(kNoticeVersion));
      req.set_method(cv1::CONSENT_METHOD_APP_TOGGLE);
      cv1::GiveConsentResponse resp;
      const int64_t t0 = UnixNs();
      const grpc::Status st =
          sys_.consent->GiveConsent(Ctx(token, o_.deadline_ms).get(), req, &resp);
      LogChange(EmployeeId(e), 'G', st, resp.sequence(), "-", t0);
      if (st.ok()) {
        c.granted = true;
      } else {
        *error = advocacy::StrCat("GiveConsent: ", Describe(st));
        r = Result::kError;
      }
    }
    c.busy.store(false);
    return r;
  }

  // One line per acknowledged withdrawal: tenant employee sequence ack_unix_nanos.
  void LogAck(const std::string& employee, int64_t sequence) {
    if (!ack_log_.is_open()) return;
    const int64_t now = std::chrono::duration_cast<std::chrono::nanoseconds>(
                            std::chrono::system_clock::now().time_since_epoch())
                            .count();
    std::lock_guard lock(ack_mu_);
    ack_log_ << o_.tenant << ' ' << employee << ' ' << sequence << ' ' << now << '\n';
    ack_log_.flush();
  }

  void ReportWindow() {
    std::vector<int64_t> w;
    int64_t errors = 0;
    {
      std::lock_guard lock(stats_mu_);
      w.swap(window_);
      errors = window_errors_;
      window_errors_ = 0;
    }
    const double t = std::chrono::duration<double>(Clock::now() - start_).count();
    std::size_t backlog = 0;
    {
      std::lock_guard lock(mu_);
      backlog = queue_.size();
    }
    std::printf("WINDOW t_s=%.1f calls=%zu errors=%lld backlog=%zu p50_us=%.1f p99_us=%.1f\n", t,
                w.size(), static_cast<long long>(errors), backlog, PercentileUs(w, 0.5),
                PercentileUs(w, 0.99));
    std::fflush(stdout);
  }

  int Report(uint64_t offered, double seconds) {
    std::lock_guard lock(stats_mu_);
    int64_t ok = 0;
    int64_t refused = 0;
    int64_t errors = 0;
    std::vector<int64_t> all;
    for (int i = 0; i < kOpCount; ++i) {
      OpStats& s = stats_[static_cast<Op>(i)];
      if (s.ok + s.refused + s.errors == 0) continue;
      ok += s.ok;
      refused += s.refused;
      errors += s.errors;
      all.insert(all.end(), s.latencies_ns.begin(), s.latencies_ns.end());
      std::printf(
          "RESULT op=%s ok=%lld refused=%lld errors=%lld rps=%.1f p50_us=%.1f p99_us=%.1f "
          "max_us=%.1f\n",
          kOpNames[i], static_cast<long long>(s.ok), static_cast<long long>(s.refused),
          static_cast<long long>(s.errors), static_cast<double>(s.ok + s.refused) / seconds,
          PercentileUs(s.latencies_ns, 0.5), PercentileUs(s.latencies_ns, 0.99),
          PercentileUs(s.latencies_ns, 1.0));
      if (!s.first_error.empty())
        Warn(advocacy::StrCat(kOpNames[i], ": first error: ", s.first_error));
    }
    std::printf(
        "RESULT op=all target_rps=%.1f offered=%llu dropped=%lld ok=%lld refused=%lld errors=%lld "
        "rps=%.1f p50_us=%.1f p99_us=%.1f max_us=%.1f\n",
        o_.rate, static_cast<unsigned long long>(offered), static_cast<long long>(dropped_),
        static_cast<long long>(ok), static_cast<long long>(refused), static_cast<long long>(errors),
        static_cast<double>(ok + refused) / seconds, PercentileUs(all, 0.5),
        PercentileUs(all, 0.99), PercentileUs(all, 1.0));
    std::fflush(stdout);
    // More than 1% (--max-error-percent) failed calls makes the run invalid: its latencies would
    // describe failures.
    if (ok == 0 || static_cast<double>(errors) * 100 >
                       o_.max_error_percent * static_cast<double>(ok + refused + errors)) {
      Warn(advocacy::StrCat("too many failed calls: ", errors, " of ", ok + refused + errors));
      return 1;
    }
    return 0;
  }

  System& sys_;
  const Options& o_;
  std::vector<double> weights_;
  std::vector<ChurnState> churn_;
  std::atomic<uint64_t> next_share_{0};
  Clock::time_point start_;

  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Due> queue_;
  bool closing_ = false;
  int64_t dropped_ = 0;

  std::mutex stats_mu_;
  std::map<Op, OpStats> stats_;
  std::vector<int64_t> window_;
  int64_t window_errors_ = 0;

  std::mutex ack_mu_;
  std::ofstream ack_log_;
  LineLog change_log_;
  LineLog share_log_;
  LineLog publish_log_;
  bool logs_ok_ = true;

  std::atomic<int> toggles_in_flight_{0};
  std::atomic<bool> paused_{false};
  Clock::time_point next_pause_poll_{};
  bool idle_written_ = false;
};

int RunLoadMode(const Options& o) {
  auto weights = ParseMix(o.mix);
  if (!weights.ok()) return Fail(std::string(weights.status().message()));
  if (o.rate <= 0 || o.duration_s <= 0) return Fail("--rate and --duration must be positive");
  auto sys = System::Create(o);
  if (!sys.ok()) return Fail(std::string(sys.status().message()));
  std::signal(SIGTERM, OnStopSignal);
  std::signal(SIGINT, OnStopSignal);
  Load load(**sys, std::move(*weights));
  return load.Run();
}

}  // namespace
}  // namespace advocacy::bench

int main(int argc, char** argv) {
  using advocacy::bench::Options;
  Options o;
  CLI::App app{"advocacy_load: a fixed-rate, open-loop mix of calls against the running system"};
  app.add_option("mode", o.mode, "seed | run")->check(CLI::IsMember({"seed", "run"}));
  app.add_option("--consent", o.consent_target, "consent service host:port")->required();
  app.add_option("--content", o.content_target, "content service host:port")->required();
  app.add_option("--private-key", o.private_key_file, "PKCS#8 key the services trust")->required();
  app.add_option("--tenant", o.tenant, "tenant (seed a fresh one per run)");
  app.add_option("--issuer", o.issuer, "JWT issuer the services expect");
  app.add_option("--audience", o.audience, "JWT audience the services expect");
  app.add_option("--employees", o.employees, "employees")->check(CLI::Range(2, 1000000));
  app.add_option("--churn", o.churn, "fraction of employees that toggle consent")
      ->check(CLI::Range(0.0, 0.9));
  app.add_option("--items", o.items, "seeded items (at most 100: the daily share cap)")
      ->check(CLI::Range(1, 100));
  app.add_option("--rate", o.rate, "calls per second offered");
  app.add_option("--duration", o.duration_s, "seconds of load");
  app.add_option("--mix", o.mix, "op=weight,... over check,batch,feed,share,consent,publish");
  app.add_option("--workers", o.workers, "worker threads")->check(CLI::Range(1, 1024));
  app.add_option("--max-backlog", o.max_backlog, "due calls queued before new ones are dropped");
  app.add_option("--report-every", o.report_every_s, "print a WINDOW line every S seconds");
  app.add_option("--deadline-ms", o.deadline_ms, "per-call deadline");
  app.add_option("--timeout", o.timeout_s, "seed: how long to wait for the services");
  app.add_option("--seed", o.seed, "random seed");
  app.add_option("--run-id", o.run_id, "distinguishes item ids of publishes between runs");
  app.add_option("--ack-log", o.ack_log, "append acknowledged withdrawals to this file");
  app.add_option("--change-log", o.change_log, "write every consent toggle (see the header)");
  app.add_option("--share-log", o.share_log, "write every share (see the header)");
  app.add_option("--publish-log", o.publish_log, "write every publish (see the header)");
  app.add_option("--share-retries", o.share_retries,
                 "retries of a RecordShare that failed UNAVAILABLE / DEADLINE_EXCEEDED")
      ->check(CLI::Range(0, 100));
  app.add_option("--pause-file", o.pause_file,
                 "no consent toggle starts while this file exists; <file>.idle once none runs");
  app.add_option("--max-error-percent", o.max_error_percent,
                 "fail when more than this percentage of calls failed")
      ->check(CLI::Range(0.0, 100.0));
  app.add_option("--notifications", o.notifications_target,
                 "notifications service host:port (seed: --recipients)");
  app.add_option("--recipients", o.recipients,
                 "seed: employees 0..N-1 become notification recipients")
      ->check(CLI::Range(0, 100000));
  CLI11_PARSE(app, argc, argv);
  if (o.run_id.empty()) {
    o.run_id = std::to_string(std::chrono::duration_cast<std::chrono::seconds>(
                                  std::chrono::system_clock::now().time_since_epoch())
                                  .count());
  }
  return o.mode == "seed" ? advocacy::bench::RunSeed(o) : advocacy::bench::RunLoadMode(o);
}
