// notifications_bench: the notifications fan-out benchmark (issue 3). One published item fans
// out to a tenant of N recipients, every --consent-every-th of whom consents to
// PURPOSE_EMAIL_TIPS, through to SMTP acceptance at a real SMTP sink
// (tests/integration/smtp_sink.py); the baseline sends the same number of mails straight to the
// same sink with the service's own SMTP adapter at the service's send concurrency.
//
// Both measurements are timed the same way: from the moment the work is handed over (the
// ItemPublished event is produced / the first mail is sent) to the sink's own receive time of
// the last expected mail, read from the sink's mails.jsonl (it writes a line before it answers
// 250). So fanout / baseline is the share of the SMTP path's ceiling that the service reaches.
//
// Modes:
//   wait      polls the notifications service (GetRecipient as admin) until it answers
//   seed      UpsertRecipient for --recipients employees (gRPC to notifications, admin), then
//             through the consent service PublishNotice and GiveConsent PURPOSE_EMAIL_TIPS
//             (admin on behalf) for every --consent-every-th, a BatchCheckConsent sample that
//             must show exactly that pattern, and then waits until the notifications service's
//             consent view applied every one of them (GetPropagationStatus of the consent
//             service). The mails do not depend on that view (the service asks the consent
//             service itself, at fan-out and again right before each send); the wait keeps its
//             catching up out of the measurements
//   fanout    after a warm-up event (an ItemArchived of no item, a no-op for the service)
//             that connects the producer, produces ONE ItemPublished for the tenant to
//             advocacy.content.v1 exactly as the content service does (CloudEvent headers,
//             key = tenant, payload), waits until the sink accepted a mail for every consenting
//             recipient, keeps watching for --settle seconds, then verifies: each consenting
//             recipient got exactly one mail, nobody else got any
//   baseline  the same number of mails, rendered like the service renders them (template,
//             one-click unsubscribe headers, MIME), sent with SmtpMailSender from -c threads;
//             verified the same way
//
// Each of fanout and baseline prints one machine-readable line:
//   RESULT name=fanout mode=fanout recipients=... mails=... total_s=... mails_per_s=... ok=1

#include <grpcpp/grpcpp.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <atomic>
#include <cctype>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <exception>
#include <fstream>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_map>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_format.h"
#include "absl/time/time.h"
#include "advocacy/common/auth.h"
#include "advocacy/common/kafka.h"
#include "advocacy/common/logging.h"
#include "advocacy/common/strings.h"
#include "advocacy/consent/v1/consent_service.grpc.pb.h"
#include "advocacy/content/v1/content_events.pb.h"
#include "advocacy/notifications/v1/notifications_service.grpc.pb.h"
#include "bench_util.h"
#include "kafka_security_env.h"
#include "load_engine.h"
#include "smtp_sender.h"
#include "templates.h"
#include "unsubscribe.h"

namespace advocacy::bench {
namespace {

namespace cv1 = advocacy::consent::v1;
namespace ct1 = advocacy::content::v1;
namespace nv1 = advocacy::notifications::v1;
namespace notif = advocacy::notifications;

constexpr std::string_view kNoticeVersion = "notif-bench-1";
constexpr std::string_view kMailDomain = "bench.example";

struct Options {
  std::string mode;
  std::string target;          // notifications gRPC
  std::string consent_target;  // consent gRPC
  std::string brokers;
  std::string topic = "advocacy.content.v1";
  std::string smtp_url;
  std::string mails_file;  // the sink's mails.jsonl
  std::string tenant = "notif-bench";
  std::string private_key_file;
  std::string issuer = "advocacy-bench";
  std::string audience = "advocacy";
  std::string marker;  // unique text in this measurement's subjects
  std::string name;    // the RESULT line's name (default: the mode)
  int recipients = 100000;
  int consent_every = 10;
  int concurrency = 4;  // baseline senders; seeding threads use -c too
  int deadline_ms = 10000;
  double timeout_s = 600;
  double settle_s = 2;
  bool wait_view = true;
};

// ---------------------------------------------------------------------------------- helpers --

std::string EmployeeId(int i) { return absl::StrFormat("e%07d", i); }
// Unique per employee; the tenant is not in it, so the sink's records are told apart by the
// subject marker instead (one tenant per run, one marker per measurement).
std::string EmailOf(int i) { return advocacy::StrCat(EmployeeId(i), "@", kMailDomain); }

void Warn(const std::string& message) {
  std::fprintf(stderr, "notifications_bench: %s\n", message.c_str());
}

int Fail(const std::string& message) {
  Warn(message);
  return 1;
}

int64_t WallNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

Clock::time_point After(double seconds) {
  return Clock::now() +
         std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(seconds));
}

absl::StatusOr<Minter> MakeMinter(const Options& o) {
  return Minter::Create(o.private_key_file, o.issuer, o.audience, o.tenant);
}

// The employees that consent: every consent_every-th, starting with the first.
std::vector<int> ConsentingIndexes(const Options& o) {
  std::vector<int> out;
  for (int i = 0; i < o.recipients; i += o.consent_every) out.push_back(i);
  return out;
}

// The unfolded value of the first `name:` header in a raw message, or "" when absent.
std::string HeaderValue(std::string_view data, std::string_view name) {
  const size_t body = data.find("\r\n\r\n");
  const std::string_view head = data.substr(0, body == std::string_view::npos ? data.size() : body);
  size_t pos = 0;
  while (pos < head.size()) {
    size_t eol = head.find("\r\n", pos);
    if (eol == std::string_view::npos) eol = head.size();
    const std::string_view line = head.substr(pos, eol - pos);
    if (line.size() > name.size() && line[name.size()] == ':' &&
        std::equal(name.begin(), name.end(), line.begin(), [](char a, char b) {
          return std::tolower(static_cast<unsigned char>(a)) ==
                 std::tolower(static_cast<unsigned char>(b));
        })) {
      std::string value(line.substr(name.size() + 1));
      // Folded continuation lines start with white space.
      size_t next = eol + 2;
      while (next < head.size() && (head[next] == ' ' || head[next] == '\t')) {
        size_t e = head.find("\r\n", next);
        if (e == std::string_view::npos) e = head.size();
        value.append(head.substr(next, e - next));
        next = e + 2;
      }
      const size_t first = value.find_first_not_of(" \t");
      return first == std::string::npos ? std::string() : value.substr(first);
    }
    pos = eol + 2;
  }
  return "";
}

// ----------------------------------------------------------------------------- sink reader --

// Follows the sink's mails.jsonl from where it ended when constructed: the sink appends one JSON
// line per accepted mail before it answers 250, so a line here is a mail the relay accepted.
class SinkTail final {
 public:
  struct Mail {
    std::vector<std::string> rcpt_tos;
    std::string subject;
    int64_t received_ns = 0;
  };

  static absl::StatusOr<SinkTail> Open(const std::string& path) {
    std::ifstream in(path, std::ios::binary | std::ios::ate);
    if (!in) {
      return absl::NotFoundError(advocacy::StrCat(
          "cannot open the SMTP sink's record ", path,
          "; is tests/integration/smtp_sink.py running with --out pointing at its directory?"));
    }
    return SinkTail(path, static_cast<int64_t>(in.tellg()));
  }

  // The mails appended since the last call (complete lines only).
  absl::StatusOr<std::vector<Mail>> Poll() {
    std::ifstream in(path_, std::ios::binary);
    if (!in) return absl::UnavailableError(advocacy::StrCat("cannot read ", path_));
    in.seekg(offset_);
    std::string chunk((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    std::vector<Mail> out;
    size_t start = 0;
    for (size_t nl = chunk.find('\n'); nl != std::string::npos; nl = chunk.find('\n', start)) {
      const std::string_view line(chunk.data() + start, nl - start);
      start = nl + 1;
      if (line.empty()) continue;
      nlohmann::json j = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
      if (j.is_discarded() || !j.is_object()) {
        return absl::DataLossError(advocacy::StrCat("a line of ", path_,
                                                    " is not a JSON object; is it the sink's "
                                                    "mails.jsonl?"));
      }
      Mail m;
      if (auto it = j.find("rcpt_tos"); it != j.end() && it->is_array()) {
        for (const auto& r : *it) {
          if (r.is_string()) m.rcpt_tos.push_back(r.get<std::string>());
        }
      }
      if (auto it = j.find("data"); it != j.end() && it->is_string()) {
        m.subject = HeaderValue(it->get_ref<const std::string&>(), "Subject");
      }
      if (auto it = j.find("received_unix_nanos"); it != j.end() && it->is_number_integer()) {
        m.received_ns = it->get<int64_t>();
      }
      out.push_back(std::move(m));
    }
    offset_ += static_cast<int64_t>(start);
    return out;
  }

 private:
  SinkTail(std::string path, int64_t offset) : path_(std::move(path)), offset_(offset) {}

  std::string path_;
  int64_t offset_;
};

// What the sink received for one measurement, checked against who should have got a mail.
struct Tally final {
  std::unordered_map<std::string, int> expected;  // address -> mails received
  // Mails with the marker.
  int64_t received = 0;
  // Expected addresses with at least one mail.
  int64_t unique_expected = 0;
  // Mails beyond the first to an expected address.
  int64_t duplicates = 0;
  // Mails with the marker to anyone else.
  int64_t unexpected = 0;
  // Mails without the marker: another measurement's, not counted.
  int64_t foreign = 0;
  std::string first_unexpected;
  int64_t first_ns = 0;
  int64_t last_expected_ns = 0;  // when the last expected address got its first mail

  explicit Tally(const std::vector<std::string>& addresses) {
    for (const auto& a : addresses) expected.emplace(a, 0);
  }

  void Add(const SinkTail::Mail& m, const std::string& marker) {
    if (m.subject.find(marker) == std::string::npos) {
      ++foreign;
      return;
    }
    ++received;
    if (first_ns == 0 || m.received_ns < first_ns) first_ns = m.received_ns;
    for (const auto& rcpt : m.rcpt_tos) {
      auto it = expected.find(rcpt);
      if (it == expected.end()) {
        ++unexpected;
        if (first_unexpected.empty()) first_unexpected = rcpt;
        continue;
      }
      if (++it->second == 1) {
        ++unique_expected;
        last_expected_ns = std::max(last_expected_ns, m.received_ns);
      } else {
        ++duplicates;
      }
    }
  }

  bool Complete() const { return unique_expected == static_cast<int64_t>(expected.size()); }
  bool Clean() const { return Complete() && duplicates == 0 && unexpected == 0; }
};

// Reads the sink until every expected address got a mail (or `timeout_s` passes), then for
// `settle_s` more to catch duplicates and strays. Progress goes to stderr every 5 s.
absl::Status Collect(SinkTail& tail, Tally& tally, const Options& o, const std::string& what) {
  const auto deadline = After(o.timeout_s);
  auto next_report = After(5);
  std::optional<Clock::time_point> settle_end;
  for (;;) {
    auto mails = tail.Poll();
    if (!mails.ok()) return mails.status();
    for (const auto& m : *mails) tally.Add(m, o.marker);
    if (!settle_end.has_value() && tally.Complete()) settle_end = After(o.settle_s);
    const auto now = Clock::now();
    if (settle_end.has_value() && now >= *settle_end) return absl::OkStatus();
    if (!settle_end.has_value() && now >= deadline) {
      return absl::DeadlineExceededError(advocacy::StrCat(
          what, ": only ", tally.unique_expected, " of ", tally.expected.size(),
          " expected recipients got a mail within ", absl::StrFormat("%.0f", o.timeout_s),
          " s; see the service's log, and raise --timeout if it was still sending"));
    }
    if (now >= next_report) {
      Warn(advocacy::StrCat(what, ": ", tally.unique_expected, " of ", tally.expected.size(),
                            " mails accepted so far"));
      next_report = After(5);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

// Prints the RESULT line; the exit code: 0 only when the tally is clean.
int Report(const Options& o, const std::string& name, int64_t start_ns, const Tally& t,
           const std::string& extra) {
  const auto mails = static_cast<int64_t>(t.expected.size());
  const double total_s = static_cast<double>(t.last_expected_ns - start_ns) / 1e9;
  const double first_s = static_cast<double>(t.first_ns - start_ns) / 1e9;
  const double send_s = static_cast<double>(t.last_expected_ns - t.first_ns) / 1e9;
  const double rate = total_s > 0 ? static_cast<double>(mails) / total_s : 0;
  const double send_rate = send_s > 0 ? static_cast<double>(mails - 1) / send_s : 0;
  const int64_t missing = mails - t.unique_expected;
  std::printf(
      "RESULT name=%s mode=%s recipients=%d mails=%lld received=%lld missing=%lld "
      "duplicates=%lld unexpected=%lld foreign=%lld first_mail_s=%.3f total_s=%.3f "
      "mails_per_s=%.1f send_phase_mails_per_s=%.1f%s ok=%d\n",
      name.c_str(), o.mode.c_str(), o.recipients, static_cast<long long>(mails),
      static_cast<long long>(t.received), static_cast<long long>(missing),
      static_cast<long long>(t.duplicates), static_cast<long long>(t.unexpected),
      static_cast<long long>(t.foreign), first_s, total_s, rate, send_rate, extra.c_str(),
      t.Clean() ? 1 : 0);
  std::fflush(stdout);
  if (t.duplicates > 0) {
    Warn(advocacy::StrCat(name, ": ", t.duplicates, " duplicate mails to consenting recipients"));
  }
  if (t.unexpected > 0) {
    Warn(advocacy::StrCat(name, ": ", t.unexpected,
                          " mails to recipients who should get none (first: ", t.first_unexpected,
                          ")"));
  }
  if (t.foreign > 0) {
    Warn(advocacy::StrCat(name, ": ", t.foreign,
                          " mails of another measurement arrived during this one (late mail "
                          "from an earlier round?); they are not counted"));
  }
  return t.Clean() ? 0 : 1;
}

std::vector<std::string> ExpectedAddresses(const Options& o) {
  std::vector<std::string> out;
  for (int i : ConsentingIndexes(o)) out.push_back(EmailOf(i));
  return out;
}

// ------------------------------------------------------------------------------------ modes --

int RunWait(const Options& o) {
  auto minter = MakeMinter(o);
  if (!minter.ok()) return Fail(std::string(minter.status().message()));
  auto admin = minter->Mint(auth::Role::kAdmin, "bench-admin");
  if (!admin.ok()) return Fail(advocacy::StrCat("cannot mint a token: ", admin.status().message()));
  auto stub = nv1::NotificationsService::NewStub(
      grpc::CreateChannel(o.target, grpc::InsecureChannelCredentials()));
  const auto deadline = After(o.timeout_s);
  std::string last = "no answer yet";
  while (Clock::now() < deadline) {
    nv1::GetRecipientRequest req;
    req.set_tenant_id(o.tenant);
    req.set_employee_id("bench-wait-probe");
    nv1::GetRecipientResponse resp;
    const grpc::Status st = stub->GetRecipient(Ctx(*admin, 1000).get(), req, &resp);
    // NOT_FOUND is an answer from the service's own store: it is up.
    if (st.ok() || st.error_code() == grpc::StatusCode::NOT_FOUND) {
      std::printf("notifications service at %s answers GetRecipient\n", o.target.c_str());
      return 0;
    }
    last = Describe(st);
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return Fail(advocacy::StrCat("the notifications service at ", o.target,
                               " did not answer GetRecipient within ",
                               absl::StrFormat("%.0f", o.timeout_s), " s; last error: ", last));
}

int RunSeed(const Options& o) {
  if (o.target.empty() || o.consent_target.empty()) {
    return Fail("seed needs --target (notifications) and --consent-target (consent) host:port");
  }
  auto minter = MakeMinter(o);
  if (!minter.ok()) return Fail(std::string(minter.status().message()));
  auto admin = minter->Mint(auth::Role::kAdmin, "bench-admin");
  auto service = minter->Mint(auth::Role::kService, "notifications-bench");
  if (!admin.ok() || !service.ok()) {
    return Fail(advocacy::StrCat("cannot mint tokens: ",
                                 (admin.ok() ? service.status() : admin.status()).message()));
  }
  const int threads = std::max(1, o.concurrency);
  const auto notif_channels = MakeChannels(o.target, (threads + 7) / 8);
  const auto consent_channels = MakeChannels(o.consent_target, (threads + 7) / 8);
  std::vector<std::unique_ptr<nv1::NotificationsService::Stub>> notif_stubs;
  std::vector<std::unique_ptr<cv1::ConsentService::Stub>> consent_stubs;
  notif_stubs.reserve(notif_channels.size());
  consent_stubs.reserve(consent_channels.size());
  for (const auto& ch : notif_channels) {
    notif_stubs.push_back(nv1::NotificationsService::NewStub(ch));
  }
  for (const auto& ch : consent_channels) {
    consent_stubs.push_back(cv1::ConsentService::NewStub(ch));
  }
  const auto start = Clock::now();

  // The consent service may still be starting: the notice is retried until --timeout.
  {
    cv1::PublishNoticeRequest req;
    req.set_tenant_id(o.tenant);
    req.set_version(std::string(kNoticeVersion));
    req.set_summary("Notifications benchmark notice.");
    req.set_url("https://example.com/advocacy/notifications-bench-notice");
    const auto deadline = After(o.timeout_s);
    for (;;) {
      cv1::PublishNoticeResponse resp;
      const grpc::Status st = consent_stubs[0]->PublishNotice(Ctx(*admin, 1000).get(), req, &resp);
      if (st.ok()) break;
      if (Clock::now() >= deadline) {
        return Fail(advocacy::StrCat(
            "the consent service at ", o.consent_target, " did not accept PublishNotice within ",
            absl::StrFormat("%.0f", o.timeout_s), " s; last error: ", Describe(st)));
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
  }

  std::atomic<int> done{0};
  absl::Status st = ParallelFor(o.recipients, threads, [&](int i) -> absl::Status {
    nv1::UpsertRecipientRequest req;
    nv1::Recipient* r = req.mutable_recipient();
    r->set_tenant_id(o.tenant);
    r->set_employee_id(EmployeeId(i));
    r->set_email(EmailOf(i));
    r->set_display_name(advocacy::StrCat("Bench Employee ", i));
    r->set_locale("en-GB");
    r->set_time_zone("Europe/Oslo");
    nv1::UpsertRecipientResponse resp;
    auto& stub = notif_stubs[static_cast<size_t>(i) % notif_stubs.size()];
    if (auto s = Check(stub->UpsertRecipient(Ctx(*admin, o.deadline_ms).get(), req, &resp),
                       advocacy::StrCat("UpsertRecipient ", EmployeeId(i)));
        !s.ok()) {
      return s;
    }
    const int n = done.fetch_add(1) + 1;
    if (n % 20000 == 0) Warn(advocacy::StrCat("seed: ", n, " recipients stored"));
    return absl::OkStatus();
  });
  if (!st.ok()) return Fail(std::string(st.message()));
  const double recipients_s = std::chrono::duration<double>(Clock::now() - start).count();

  const std::vector<int> consenting = ConsentingIndexes(o);
  std::vector<int64_t> sequences(consenting.size(), 0);
  st = ParallelFor(static_cast<int>(consenting.size()), threads, [&](int k) -> absl::Status {
    const int i = consenting[static_cast<size_t>(k)];
    cv1::GiveConsentRequest req;
    req.set_tenant_id(o.tenant);
    req.set_employee_id(EmployeeId(i));
    req.add_scopes()->set_purpose(cv1::PURPOSE_EMAIL_TIPS);
    req.set_notice_version(std::string(kNoticeVersion));
    req.set_method(cv1::CONSENT_METHOD_ADMIN_ON_BEHALF);
    cv1::GiveConsentResponse resp;
    auto& stub = consent_stubs[static_cast<size_t>(k) % consent_stubs.size()];
    if (auto s = Check(stub->GiveConsent(Ctx(*admin, o.deadline_ms).get(), req, &resp),
                       advocacy::StrCat("GiveConsent ", EmployeeId(i)));
        !s.ok()) {
      return s;
    }
    sequences[static_cast<size_t>(k)] = resp.sequence();
    return absl::OkStatus();
  });
  if (!st.ok()) return Fail(std::string(st.message()));
  const double consent_s = std::chrono::duration<double>(Clock::now() - start).count();

  // The service checks consent with the consent service itself, so the mails do not depend on
  // its consent view; but applying 1 event per consenting employee is real work that would
  // otherwise overlap the first measurements. Its propagation receipts say when it is done.
  bool view_tracked = o.wait_view;
  if (o.wait_view) {
    std::atomic<bool> untracked{false};
    const auto deadline = After(o.timeout_s);
    st = ParallelFor(static_cast<int>(consenting.size()), threads, [&](int k) -> absl::Status {
      const std::string employee = EmployeeId(consenting[static_cast<size_t>(k)]);
      auto& stub = consent_stubs[static_cast<size_t>(k) % consent_stubs.size()];
      std::string last = "no answer yet";
      while (!untracked.load() && Clock::now() < deadline) {
        cv1::GetPropagationStatusRequest req;
        req.set_tenant_id(o.tenant);
        req.set_employee_id(employee);
        req.set_sequence(sequences[static_cast<size_t>(k)]);
        cv1::GetPropagationStatusResponse resp;
        const grpc::Status g =
            stub->GetPropagationStatus(Ctx(*admin, o.deadline_ms).get(), req, &resp);
        if (g.ok()) {
          const auto it = std::find_if(
              resp.services().begin(), resp.services().end(),
              [](const cv1::ServicePropagation& p) { return p.service() == "notifications"; });
          if (it == resp.services().end()) {
            untracked.store(true);
            break;
          }
          if (it->applied()) return absl::OkStatus();
          last = "not applied yet";
        } else {
          last = Describe(g);
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
      }
      if (untracked.load()) return absl::OkStatus();
      return absl::DeadlineExceededError(advocacy::StrCat(
          "the notifications service's consent view did not apply the consent of ", employee,
          " within ", absl::StrFormat("%.0f", o.timeout_s), " s (last: ", last,
          "); is it consuming advocacy.consent.v1 and sending receipts?"));
    });
    if (!st.ok()) return Fail(std::string(st.message()));
    if (untracked.load()) {
      view_tracked = false;
      Warn(
          "the consent service does not track the notifications service "
          "(CONSENT_PROPAGATION_SERVICES), so seeding cannot wait for its consent view; the "
          "first measurement may overlap it catching up");
    }
  }

  // The pattern the fan-out must reproduce, as the consent service answers it (the same RPC the
  // notifications service uses), on a sample from the start of the range.
  {
    const int sample = std::min(o.recipients, 10000);
    cv1::BatchCheckConsentRequest req;
    req.set_tenant_id(o.tenant);
    req.mutable_scope()->set_purpose(cv1::PURPOSE_EMAIL_TIPS);
    for (int i = 0; i < sample; ++i) req.add_employee_ids(EmployeeId(i));
    cv1::BatchCheckConsentResponse resp;
    if (auto s = Check(
            consent_stubs[0]->BatchCheckConsent(Ctx(*service, o.deadline_ms).get(), req, &resp),
            "BatchCheckConsent");
        !s.ok()) {
      return Fail(std::string(s.message()));
    }
    if (resp.results_size() != sample) {
      return Fail(advocacy::StrCat("BatchCheckConsent answered ", resp.results_size(), " of ",
                                   sample, " employees"));
    }
    for (int i = 0; i < sample; ++i) {
      const bool want = i % o.consent_every == 0;
      if (resp.results(i).granted() != want) {
        return Fail(advocacy::StrCat("after seeding, the consent service says ", EmployeeId(i),
                                     (want ? " does not consent" : " consents"),
                                     " to PURPOSE_EMAIL_TIPS; a tenant seeded before? use a "
                                     "new --tenant"));
      }
    }
  }
  std::printf(
      "seeded tenant %s: %d recipients in %.1f s, %zu of them consenting to "
      "PURPOSE_EMAIL_TIPS (%.1f s in all)%s; %.1f s in all\n",
      o.tenant.c_str(), o.recipients, recipients_s, consenting.size(), consent_s,
      view_tracked ? ", applied by notifications' consent view" : "",
      std::chrono::duration<double>(Clock::now() - start).count());
  return 0;
}

// The event exactly as the content service writes it to its outbox (content_manager.cc
// MakeEvent): key and subject the tenant, source /advocacy/content, type the full message name.
kafka::Message ItemPublishedMessage(const Options& o, const std::string& item_id,
                                    const std::string& title) {
  const absl::Time now = absl::Now();
  google::protobuf::Timestamp ts;
  ts.set_seconds(absl::ToUnixSeconds(now));
  ts.set_nanos(
      static_cast<int32_t>(absl::ToInt64Nanoseconds(now - absl::FromUnixSeconds(ts.seconds()))));
  ct1::ItemPublished e;
  ct1::Item* item = e.mutable_item();
  item->set_tenant_id(o.tenant);
  item->set_item_id(item_id);
  item->set_title(title);
  item->set_url(advocacy::StrCat("https://example.com/news/", item_id));
  item->set_language("en");
  item->add_hashtags("advocacy");
  item->add_topics("bench");
  ct1::NetworkCaptions* c = item->add_captions();
  c->set_network(cv1::NETWORK_LINKEDIN);
  c->add_captions("Proud of what the team shipped this week; have a look.");
  item->set_state(ct1::ITEM_STATE_PUBLISHED);
  item->set_created_by("bench-admin");
  *item->mutable_created_at() = ts;
  *item->mutable_updated_at() = ts;
  *item->mutable_publish_at() = ts;
  *e.mutable_published_at() = ts;

  kafka::Message m;
  m.topic = o.topic;
  m.key = o.tenant;
  m.payload = e.SerializeAsString();
  m.headers = kafka::ToHeaders({.id = kafka::NewEventId(),
                                .source = "/advocacy/content",
                                .type = ct1::ItemPublished::descriptor()->full_name(),
                                .time = kafka::NowRfc3339(),
                                .subject = o.tenant});
  return m;
}

int RunFanout(const Options& o) {
  if (o.brokers.empty() || o.mails_file.empty() || o.marker.empty()) {
    return Fail("fanout needs --brokers, --mails-file and --marker");
  }
  auto producer = kafka::Producer::Create({.brokers = o.brokers,
                                           .client_id = "notifications-bench",
                                           .security = advocacy::bench::SecurityFromEnv()});
  if (!producer.ok()) {
    return Fail(
        advocacy::StrCat("cannot create the Kafka producer: ", producer.status().message()));
  }
  auto tail = SinkTail::Open(o.mails_file);
  if (!tail.ok()) return Fail(std::string(tail.status().message()));
  Tally tally(ExpectedAddresses(o));
  const std::string title = advocacy::StrCat("Worth sharing ", o.marker);
  kafka::Message m = ItemPublishedMessage(o, advocacy::StrCat("item-", o.marker), title);

  // A running content service's producer is connected already: so is this one before the
  // clock starts (broker connection, idempotent producer id, the topic's metadata). The warm-up
  // is an ItemArchived of an item that never existed, a no-op for the notifications service.
  {
    ct1::ItemArchived archived;
    archived.set_tenant_id(o.tenant);
    archived.set_item_id(advocacy::StrCat("warmup-", o.marker));
    kafka::Message w;
    w.topic = o.topic;
    w.key = o.tenant;
    w.payload = archived.SerializeAsString();
    w.headers = kafka::ToHeaders({.id = kafka::NewEventId(),
                                  .source = "/advocacy/content",
                                  .type = ct1::ItemArchived::descriptor()->full_name(),
                                  .time = kafka::NowRfc3339(),
                                  .subject = o.tenant});
    if (auto st = (*producer)->ProduceSync(std::move(w), std::chrono::seconds(30)); !st.ok()) {
      return Fail(advocacy::StrCat("producing a warm-up ItemArchived to ", o.topic,
                                   " failed: ", st.message()));
    }
  }

  // The clock starts when the event is handed to Kafka, as the content service's relay would.
  const int64_t start_ns = WallNs();
  if (auto st = (*producer)->ProduceSync(std::move(m), std::chrono::seconds(30)); !st.ok()) {
    return Fail(
        advocacy::StrCat("producing ItemPublished to ", o.topic, " failed: ", st.message()));
  }
  const double produce_ms = static_cast<double>(WallNs() - start_ns) / 1e6;
  const std::string name = o.name.empty() ? o.mode : o.name;
  if (auto st = Collect(*tail, tally, o, name); !st.ok()) {
    Report(o, name, start_ns, tally, "");
    return Fail(std::string(st.message()));
  }
  return Report(o, name, start_ns, tally,
                absl::StrFormat(" produce_ms=%.1f start_unix_ms=%lld", produce_ms,
                                static_cast<long long>(start_ns / 1000000)));
}

int RunBaseline(const Options& o) {
  if (o.smtp_url.empty() || o.mails_file.empty() || o.marker.empty()) {
    return Fail("baseline needs --smtp-url, --mails-file and --marker");
  }
  // The service's own adapter with the service's settings (main.cc leaves the idle-connection
  // pool at its default), so the only difference left is everything the service does around it.
  notif::SmtpOptions smtp{.url = o.smtp_url, .verify_peer = true};
  if (auto st = notif::ValidateSmtpOptions(smtp); !st.ok()) {
    return Fail(advocacy::StrCat("--smtp-url: ", st.message()));
  }
  notif::SmtpMailSender sender(smtp);

  // Mails rendered like the dispatcher renders them (template, signed one-click unsubscribe
  // link and headers), built before the clock starts: the baseline is the SMTP path alone.
  std::string key(48, '\0');
  std::random_device rd;
  for (char& c : key) c = static_cast<char>('a' + rd() % 26);
  auto signer = notif::UnsubscribeTokenSigner::Create(key);
  if (!signer.ok()) return Fail(std::string(signer.status().message()));
  const std::string base_url = "https://notifications.bench.example";
  const std::string title = advocacy::StrCat("Worth sharing ", o.marker);
  const std::vector<int> indexes = ConsentingIndexes(o);
  std::vector<notif::OutgoingMail> mails;
  mails.reserve(indexes.size());
  for (int i : indexes) {
    notif::UnsubscribeClaims claims{.tenant_id = o.tenant,
                                    .employee_id = EmployeeId(i),
                                    .purpose = cv1::PURPOSE_EMAIL_TIPS,
                                    .expires = absl::Now() + absl::Hours(24 * 90)};
    auto token = signer->Sign(claims);
    if (!token.ok()) return Fail(std::string(token.status().message()));
    auto url = notif::UnsubscribeUrl(base_url, *token);
    auto headers = notif::OneClickUnsubscribeHeaders(base_url, *token);
    if (!url.ok() || !headers.ok()) return Fail("cannot build the unsubscribe link");
    const std::string name = advocacy::StrCat("Bench Employee ", i);
    auto rendered =
        notif::RenderMail("en-GB", name,
                          {{title, "Proud of what the team shipped this week; have a look.",
                            advocacy::StrCat("https://example.com/news/item-", o.marker)}},
                          *url);
    if (!rendered.ok()) return Fail(std::string(rendered.status().message()));
    notif::OutgoingMail m;
    m.from_address = advocacy::StrCat("notifications@", kMailDomain);
    m.from_name = "Advocacy";
    m.to_address = EmailOf(i);
    m.to_name = name;
    m.subject = std::move(rendered->subject);
    m.text = std::move(rendered->text);
    m.html = std::move(rendered->html);
    m.message_id = absl::StrFormat("b%s-%d@%s", o.marker, i, std::string(kMailDomain));
    m.headers = std::move(*headers);
    mails.push_back(std::move(m));
  }

  auto tail = SinkTail::Open(o.mails_file);
  if (!tail.ok()) return Fail(std::string(tail.status().message()));
  Tally tally(ExpectedAddresses(o));
  std::atomic<size_t> next{0};
  std::atomic<int64_t> errors{0};
  std::mutex mu;
  std::string first_error;
  const int64_t start_ns = WallNs();
  std::vector<std::thread> threads;
  threads.reserve(static_cast<size_t>(o.concurrency));
  for (int t = 0; t < o.concurrency; ++t) {
    threads.emplace_back([&] {
      for (size_t k = next.fetch_add(1); k < mails.size(); k = next.fetch_add(1)) {
        const absl::Status st = sender.Send(mails[k], notif::CommitGuard());
        if (!st.ok()) {
          errors.fetch_add(1);
          std::lock_guard lock(mu);
          if (first_error.empty()) first_error = std::string(st.message());
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  const std::string name = o.name.empty() ? o.mode : o.name;
  if (errors.load() > 0) {
    return Fail(advocacy::StrCat(name, ": ", errors.load(), " of ", mails.size(),
                                 " sends failed; first: ", first_error));
  }
  // Every Send returned after the sink's 250, and the sink records before it answers: the file
  // is complete now, Collect only reads it (and waits --settle for strays).
  if (auto st = Collect(*tail, tally, o, name); !st.ok()) {
    Report(o, name, start_ns, tally, "");
    return Fail(std::string(st.message()));
  }
  return Report(o, name, start_ns, tally, advocacy::StrCat(" concurrency=", o.concurrency));
}

int Run(int argc, char** argv) {
  Options o;
  CLI::App app{"notifications_bench: fan-out of one published item to SMTP acceptance"};
  app.add_option("mode", o.mode, "wait | seed | fanout | baseline")
      ->required()
      ->check(CLI::IsMember({"wait", "seed", "fanout", "baseline"}));
  app.add_option("--target", o.target, "notifications service host:port (wait, seed)");
  app.add_option("--consent-target", o.consent_target, "consent service host:port (seed)");
  app.add_option("--brokers", o.brokers, "Kafka bootstrap servers (fanout)");
  app.add_option("--topic", o.topic, "the content topic the service consumes (fanout)")
      ->capture_default_str();
  app.add_option("--smtp-url", o.smtp_url, "smtp://host:port of the sink (baseline)");
  app.add_option("--mails-file", o.mails_file, "the sink's mails.jsonl (fanout, baseline)");
  app.add_option("--marker", o.marker,
                 "text unique to this measurement, put in every subject (fanout, baseline)");
  app.add_option("--name", o.name, "name on the RESULT line (default: the mode)");
  app.add_option("--private-key", o.private_key_file,
                 "P-256 private key PEM whose public half the services trust (wait, seed)");
  app.add_option("--issuer", o.issuer, "token iss; must match ADVOCACY_JWT_ISSUER")
      ->capture_default_str();
  app.add_option("--audience", o.audience, "token aud; must match ADVOCACY_JWT_AUDIENCE")
      ->capture_default_str();
  app.add_option("--tenant", o.tenant, "tenant id (seed a fresh one per run)")
      ->capture_default_str();
  app.add_option("--recipients", o.recipients, "recipients of the tenant")
      ->check(CLI::Range(1, 10000000))
      ->capture_default_str();
  app.add_option("--consent-every", o.consent_every,
                 "every K-th recipient consents, starting with the first")
      ->check(CLI::Range(1, 1000000))
      ->capture_default_str();
  app.add_option("-c,--concurrency", o.concurrency,
                 "baseline: sending threads (as the service's NOTIFICATIONS_DISPATCH_WORKERS); "
                 "seed: RPC threads")
      ->check(CLI::Range(1, 256))
      ->capture_default_str();
  app.add_option("--deadline-ms", o.deadline_ms, "seed: deadline of each call")
      ->check(CLI::Range(1, 600000))
      ->capture_default_str();
  app.add_option("--timeout", o.timeout_s,
                 "wait, seed: how long to wait for the services; fanout, baseline: for the mails")
      ->check(CLI::Range(1.0, 86400.0))
      ->capture_default_str();
  app.add_option("--settle", o.settle_s,
                 "seconds to keep watching the sink after the last expected mail, for "
                 "duplicates and strays")
      ->check(CLI::Range(0.0, 3600.0))
      ->capture_default_str();
  app.add_flag("!--no-wait-view", o.wait_view,
               "seed: do not wait for the notifications service's consent view to apply the "
               "consents (its propagation receipts)");
  CLI11_PARSE(app, argc, argv);
  // The shared libraries' info lines (producer created, brokers reachable) would mix with the
  // RESULT lines on stdout.
  log::Init("notifications_bench", log::Severity::kWarning);

  if ((o.mode == "wait" || o.mode == "seed") && o.private_key_file.empty()) {
    return Fail(o.mode + " needs --private-key (the key whose public half the services trust)");
  }
  if (o.mode == "wait") {
    if (o.target.empty()) return Fail("wait needs --target host:port");
    return RunWait(o);
  }
  if (o.mode == "seed") return RunSeed(o);
  if (o.mode == "fanout") return RunFanout(o);
  return RunBaseline(o);
}

}  // namespace
}  // namespace advocacy::bench

int main(int argc, char** argv) {
  // Nothing here is expected to throw; an exception is a bug, reported rather than aborting.
  try {
    return advocacy::bench::Run(argc, argv);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "notifications_bench: unexpected error: %s\n", e.what());
    return 1;
  }
}
