// fault_check: the checks of bench/run_faults.sh (issue 7: faults while the load runs, each
// ending with a check that nothing was lost and nothing applied twice).
//
// Modes:
//   poison  produces, to every partition of each --poison TOPIC=CE_TYPE=CE_SOURCE, two messages
//           no consumer can process: bytes that are not a CloudEvent at all (no headers), and a
//           message with valid CloudEvent headers whose body does not decode (a protobuf tag with
//           the invalid wire type 7). Their keys start with --marker.
//   dlq     counts the messages whose key starts with --marker in each --expect DLQ=N topic
//           (read from the beginning) until every count is reached or --timeout passes; prints
//           one DLQ line per topic with the dead-letter reasons seen. Exit 1 on a shortfall.
//   verify  waits (up to --timeout) until the system agrees with what advocacy_load logged as
//           acknowledged, then prints DETAIL lines and one CHECK line. Exit 1 when anything
//           acknowledged is missing or anything was applied twice:
//     consent: for every churn employee (the load must be paused: --pause-file), the consent
//       service's GetConsentState sequence is the last acknowledged change's, or a later one that
//       a failed (unacknowledged) call of the log explains; both scopes' states match that
//       change. Each --views service's Redis view (adv:<service>:cv:{tenant:employee}, fields
//       "<PURPOSE>.<NETWORK>" -> "G:<seq>" / "W:<seq>") holds exactly that sequence and state:
//       behind = lost (after the timeout), ahead = the consent service lost a change, and a
//       sequence lower than the one this tool saw at an earlier check (--state) went backwards.
//     shares: every share the load acknowledged (ok, or ALREADY_EXISTS on a retry) before the
//       check started is listed by ListMyShares exactly once; no (item, network) is listed
//       twice for any employee that shared; an ok share's link code is the listed one.
//     mails (--mails): for every publish acknowledged before the check started, each of the
//       --recipients got a mail; no recipient got two mails with different Message-IDs for one
//       item; repeats with the same Message-ID are counted, and allowed only when the first copy
//       was accepted inside a --resend-ok START_NS:END_NS window (a SIGKILL of notifications
//       between the relay's 250 and its ledger write).

#include <grpcpp/grpcpp.h>
#include <librdkafka/rdkafka.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <fstream>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <tuple>
#include <utility>
#include <vector>

#include "absl/strings/str_format.h"
#include "advocacy/common/redis_client.h"
#include "advocacy/common/strings.h"
#include "advocacy/consent/v1/consent_service.grpc.pb.h"
#include "advocacy/content/v1/content_service.grpc.pb.h"
#include "bench_util.h"
#include "rdkafka_util.h"

namespace advocacy::bench {
namespace {

namespace cv1 = advocacy::consent::v1;
namespace v1 = advocacy::content::v1;

constexpr std::string_view kShareField = "PURPOSE_SHARE_CONTENT.NETWORK_LINKEDIN";
constexpr std::string_view kTipsField = "PURPOSE_EMAIL_TIPS.NETWORK_UNSPECIFIED";

struct Options {
  std::string mode;
  std::string brokers;
  std::string marker;
  std::vector<std::string> poison;  // TOPIC=CE_TYPE=CE_SOURCE
  std::vector<std::string> expect;  // DLQ_TOPIC=N
  double timeout_s = 60;
  // verify
  std::string label = "check";
  std::string consent_target;
  std::string content_target;
  std::string redis_url;
  std::string private_key_file;
  std::string issuer = "advocacy-bench";
  std::string audience = "advocacy";
  std::string tenant;
  int employees = 1000;
  double churn = 0.1;
  std::string views = "content,notifications";
  std::string change_log;
  std::string share_log;
  std::string publish_log;
  std::string mails;
  int recipients = 0;
  std::vector<std::string> resend_ok;  // START_NS:END_NS
  std::string state_file;
  int deadline_ms = 5000;
};

void Warn(const std::string& m) { std::fprintf(stderr, "fault_check: %s\n", m.c_str()); }
int Fail(const std::string& m) {
  Warn(m);
  return 2;
}

int64_t UnixNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string EmployeeId(int i) { return absl::StrFormat("e%07d", i); }

std::vector<std::string> Split(const std::string& s, char sep) {
  std::vector<std::string> out;
  std::stringstream ss(s);
  for (std::string part; std::getline(ss, part, sep);) {
    if (!part.empty()) out.push_back(part);
  }
  return out;
}

// ---------------------------------------------------------------------------------- Kafka --

int PartitionCount(rd_kafka_t* rk, const std::string& topic, std::string* err) {
  rd_kafka_topic_t* t = rd_kafka_topic_new(rk, topic.c_str(), nullptr);
  const rd_kafka_metadata_t* md = nullptr;
  const rd_kafka_resp_err_t e = rd_kafka_metadata(rk, 0, t, &md, 5000);
  int n = -1;
  if (e != RD_KAFKA_RESP_ERR_NO_ERROR) {
    *err = rd_kafka_err2str(e);
  } else if (md->topic_cnt != 1 || md->topics[0].err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    *err = md->topic_cnt == 1 ? rd_kafka_err2str(md->topics[0].err) : "no metadata";
  } else {
    n = md->topics[0].partition_cnt;
  }
  if (md != nullptr) rd_kafka_metadata_destroy(md);
  rd_kafka_topic_destroy(t);
  return n;
}

std::string NowRfc3339() {
  const std::time_t t = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

int RunPoison(const Options& o) {
  std::string err;
  KafkaPtr producer = MakeKafka(
      RD_KAFKA_PRODUCER, {{"bootstrap.servers", o.brokers}, {"enable.idempotence", "true"}}, &err);
  if (!producer) return Fail(err);
  int produced = 0;
  for (const std::string& spec : o.poison) {
    const std::vector<std::string> f = Split(spec, '=');
    if (f.size() != 3)
      return Fail(advocacy::StrCat("--poison '", spec, "' is not TOPIC=CE_TYPE=CE_SOURCE"));
    const std::string& topic = f[0];
    const int partitions = PartitionCount(producer.get(), topic, &err);
    if (partitions <= 0) return Fail(advocacy::StrCat("no metadata for ", topic, ": ", err));
    for (int p = 0; p < partitions; ++p) {
      // 1. Not an event at all: no CloudEvent headers, text for a body.
      const std::string raw_key = advocacy::StrCat(o.marker, "/raw/", p);
      const std::string raw = advocacy::StrCat("this is not an event (", o.marker, ")");
      rd_kafka_resp_err_t e =
          rd_kafka_producev(producer.get(), RD_KAFKA_V_TOPIC(topic.c_str()),
                            RD_KAFKA_V_PARTITION(p), RD_KAFKA_V_KEY(raw_key.data(), raw_key.size()),
                            RD_KAFKA_V_VALUE(const_cast<char*>(raw.data()), raw.size()),
                            RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_END);
      if (e != RD_KAFKA_RESP_ERR_NO_ERROR)
        return Fail(advocacy::StrCat(topic, ": ", rd_kafka_err2str(e)));
      // 2. Valid CloudEvent headers, a body that is not the protobuf they announce: field 1
      //    with wire type 7, which no protobuf parser accepts.
      const std::string body_key = advocacy::StrCat(o.marker, "/body/", p);
      const std::string body = advocacy::StrCat(std::string("\x0f\x0f\x0f", 3), o.marker);
      rd_kafka_headers_t* h = rd_kafka_headers_new(8);
      const std::string id = advocacy::StrCat(o.marker, "-body-", p);
      const std::string time = NowRfc3339();
      for (const auto& [k, v] : std::vector<std::pair<std::string, std::string>>{
               {"ce_id", id},
               {"ce_source", f[2]},
               {"ce_type", f[1]},
               {"ce_time", time},
               {"ce_specversion", "1.0"},
               {"ce_subject", body_key},
               {"content-type", "application/protobuf"}}) {
        rd_kafka_header_add(h, k.data(), static_cast<ssize_t>(k.size()), v.data(),
                            static_cast<ssize_t>(v.size()));
      }
      e = rd_kafka_producev(
          producer.get(), RD_KAFKA_V_TOPIC(topic.c_str()), RD_KAFKA_V_PARTITION(p),
          RD_KAFKA_V_KEY(body_key.data(), body_key.size()),
          RD_KAFKA_V_VALUE(const_cast<char*>(body.data()), body.size()),
          RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_HEADERS(h), RD_KAFKA_V_END);
      if (e != RD_KAFKA_RESP_ERR_NO_ERROR) {
        rd_kafka_headers_destroy(h);
        return Fail(advocacy::StrCat(topic, ": ", rd_kafka_err2str(e)));
      }
      produced += 2;
    }
    std::printf("POISON topic=%s partitions=%d messages=%d\n", topic.c_str(), partitions,
                2 * partitions);
  }
  if (rd_kafka_flush(producer.get(), 30000) != RD_KAFKA_RESP_ERR_NO_ERROR ||
      rd_kafka_outq_len(producer.get()) > 0) {
    return Fail("the poison messages were not acknowledged within 30 s");
  }
  std::printf("POISON produced=%d marker=%s\n", produced, o.marker.c_str());
  return 0;
}

std::string Header(const rd_kafka_message_t* m, const char* name) {
  rd_kafka_headers_t* h = nullptr;
  if (rd_kafka_message_headers(m, &h) != RD_KAFKA_RESP_ERR_NO_ERROR) return "";
  const void* v = nullptr;
  size_t n = 0;
  if (rd_kafka_header_get_last(h, name, &v, &n) != RD_KAFKA_RESP_ERR_NO_ERROR) return "";
  return std::string(static_cast<const char*>(v), n);
}

int RunDlq(const Options& o) {
  struct Want {
    std::string topic;
    int expected = 0;
    int seen = 0;
    std::map<std::string, int> reasons;
    bool assigned = false;
  };
  std::vector<Want> wants;
  for (const std::string& spec : o.expect) {
    const size_t eq = spec.rfind('=');
    if (eq == std::string::npos)
      return Fail(advocacy::StrCat("--expect '", spec, "' is not TOPIC=N"));
    wants.push_back({spec.substr(0, eq), std::stoi(spec.substr(eq + 1))});
  }
  std::string err;
  KafkaPtr consumer =
      MakeKafka(RD_KAFKA_CONSUMER,
                {{"bootstrap.servers", o.brokers},
                 {"group.id", advocacy::StrCat("fault-check-dlq-", ::getpid(), "-", UnixNs())},
                 {"enable.auto.commit", "false"},
                 {"auto.offset.reset", "earliest"}},
                &err);
  if (!consumer) return Fail(err);
  rd_kafka_poll_set_consumer(consumer.get());
  std::unique_ptr<rd_kafka_topic_partition_list_t, ListDeleter> assignment(
      rd_kafka_topic_partition_list_new(8));
  const auto deadline = std::chrono::steady_clock::now() +
                        std::chrono::milliseconds(static_cast<int64_t>(o.timeout_s * 1000));
  const auto done = [&] {
    return std::all_of(wants.begin(), wants.end(),
                       [](const Want& w) { return w.seen >= w.expected; });
  };
  while (!done() && std::chrono::steady_clock::now() < deadline) {
    bool changed = false;
    for (Want& w : wants) {
      if (w.assigned) continue;
      const int n = PartitionCount(consumer.get(), w.topic, &err);
      if (n <= 0) continue;  // not created yet: the consumer creates it with its first dead letter
      for (int p = 0; p < n; ++p) {
        rd_kafka_topic_partition_list_add(assignment.get(), w.topic.c_str(), p)->offset =
            RD_KAFKA_OFFSET_BEGINNING;
      }
      w.assigned = changed = true;
    }
    if (changed) rd_kafka_assign(consumer.get(), assignment.get());
    rd_kafka_message_t* m = rd_kafka_consumer_poll(consumer.get(), 200);
    if (m == nullptr) continue;
    if (m->err == RD_KAFKA_RESP_ERR_NO_ERROR && m->key != nullptr) {
      const std::string key(static_cast<const char*>(m->key), m->key_len);
      const std::string topic = rd_kafka_topic_name(m->rkt);
      if (key.rfind(o.marker, 0) == 0) {
        for (Want& w : wants) {
          if (w.topic != topic) continue;
          ++w.seen;
          std::string reason = Header(m, "dlq_reason");
          if (reason.size() > 70) reason = reason.substr(0, 70);
          for (char& c : reason) {
            if (c == ' ') c = '_';
          }
          ++w.reasons[reason];
        }
      }
    }
    rd_kafka_message_destroy(m);
  }
  rd_kafka_consumer_close(consumer.get());
  int rc = 0;
  for (const Want& w : wants) {
    std::string reasons;
    for (const auto& [r, n] : w.reasons)
      reasons += advocacy::StrCat(reasons.empty() ? "" : ",", r, "x", n);
    std::printf("DLQ topic=%s expected=%d seen=%d ok=%d reasons=%s\n", w.topic.c_str(), w.expected,
                w.seen, w.seen >= w.expected ? 1 : 0, reasons.empty() ? "-" : reasons.c_str());
    if (w.seen < w.expected) rc = 1;
  }
  return rc;
}

// --------------------------------------------------------------------------------- verify --

struct Change {
  char op = 0;  // 'G' or 'W'
  bool ok = false;
  int64_t sequence = 0;
  int64_t end_ns = 0;
};

struct ShareLine {
  std::string employee;
  std::string item;
  std::string outcome;
  std::string link;
  int64_t end_ns = 0;
};

struct Mail {
  std::string message_id;
  int64_t received_ns = 0;
};

std::string HeaderValue(const std::string& data, std::string_view name) {
  size_t pos = 0;
  while (pos < data.size()) {
    size_t end = data.find('\n', pos);
    if (end == std::string::npos) end = data.size();
    std::string line = data.substr(pos, end - pos);
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty()) break;  // end of the headers
    if (line.size() > name.size() && line[name.size()] == ':' &&
        std::equal(name.begin(), name.end(), line.begin(),
                   [](char a, char b) { return std::tolower(a) == std::tolower(b); })) {
      std::string v = line.substr(name.size() + 1);
      // Folded continuation lines.
      size_t next = end + 1;
      while (next < data.size() && (data[next] == ' ' || data[next] == '\t')) {
        size_t e2 = data.find('\n', next);
        if (e2 == std::string::npos) e2 = data.size();
        std::string cont = data.substr(next, e2 - next);
        if (!cont.empty() && cont.back() == '\r') cont.pop_back();
        v += cont;
        next = e2 + 1;
      }
      const size_t b = v.find_first_not_of(" \t");
      return b == std::string::npos ? "" : v.substr(b);
    }
    pos = end + 1;
  }
  return "";
}

class Verifier final {
 public:
  explicit Verifier(const Options& o) : o_(o) {}

  int Run() {
    auto minter = Minter::Create(o_.private_key_file, o_.issuer, o_.audience, o_.tenant);
    if (!minter.ok()) return Fail(std::string(minter.status().message()));
    minter_ = std::make_unique<Minter>(std::move(*minter));
    auto admin = minter_->Mint(auth::Role::kAdmin, "fault-check");
    if (!admin.ok()) return Fail(std::string(admin.status().message()));
    admin_ = *admin;
    consent_ = cv1::ConsentService::NewStub(MakeChannels(o_.consent_target, 1)[0]);
    content_ = v1::ContentService::NewStub(MakeChannels(o_.content_target, 1)[0]);
    auto ropts = redis::ParseUrl(o_.redis_url);
    if (!ropts.ok()) return Fail(std::string(ropts.status().message()));
    if (ropts->tls) {  // rediss://: the files the services read (deploy/local/stack.sh, TLS on)
      const auto env = [](const char* name) {
        const char* v = std::getenv(name);
        return std::string(v != nullptr ? v : "");
      };
      ropts->tls_ca_file = env("ADVOCACY_REDIS_TLS_CA_FILE");
      ropts->tls_cert_file = env("ADVOCACY_REDIS_TLS_CERT_FILE");
      ropts->tls_key_file = env("ADVOCACY_REDIS_TLS_KEY_FILE");
    }
    // The Redis ACL user the bench scripts give their tools (bench/lib.sh, the admin), as the
    // services read it: ADVOCACY_REDIS_USERNAME and ADVOCACY_REDIS_PASSWORD_FILE.
    if (const char* user = std::getenv("ADVOCACY_REDIS_USERNAME"); user != nullptr && *user) {
      ropts->username = user;
      const char* file = std::getenv("ADVOCACY_REDIS_PASSWORD_FILE");
      std::ifstream in(file != nullptr ? file : "");
      std::getline(in, ropts->password);
      if (ropts->password.empty()) return Fail("ADVOCACY_REDIS_PASSWORD_FILE names no password");
    }
    redis_ = std::make_unique<redis::Pool>(*ropts, 2);
    services_ = Split(o_.views, ',');
    steady_ = std::max(1, static_cast<int>(o_.employees * (1.0 - o_.churn)));
    if (steady_ >= o_.employees && o_.churn > 0) steady_ = o_.employees - 1;
    for (const std::string& w : o_.resend_ok) {
      const size_t c = w.find(':');
      if (c == std::string::npos)
        return Fail(advocacy::StrCat("--resend-ok '", w, "' is not START_NS:END_NS"));
      windows_.emplace_back(std::stoll(w.substr(0, c)), std::stoll(w.substr(c + 1)));
    }
    LoadState();

    const auto start = std::chrono::steady_clock::now();
    cutoff_ns_ = UnixNs();
    const auto deadline =
        start + std::chrono::milliseconds(static_cast<int64_t>(o_.timeout_s * 1000));
    ReadLogs();
    bool converged = false;
    for (int round = 0;; ++round) {
      ResetCounts();
      CheckConsent();
      CheckShares();
      CheckMails();
      const bool pending =
          c_.view_behind + c_.consent_behind + c_.share_missing + c_.mail_missing > 0;
      if (!pending) {
        converged = true;
        break;
      }
      if (std::chrono::steady_clock::now() >= deadline) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(round < 10 ? 300 : 1000));
    }
    const double converged_s =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    SaveState();
    for (const std::string& d : details_)
      std::printf("DETAIL %s %s\n", o_.label.c_str(), d.c_str());
    // Lost: acknowledged and not there (after the wait), or the source behind its own views.
    const int64_t lost = c_.consent_lost + c_.consent_behind + c_.view_behind + c_.view_ahead +
                         c_.view_wrong + c_.unexplained + c_.share_missing + c_.mail_missing;
    const int64_t duplicated =
        c_.view_backwards + c_.share_dup + c_.mail_dup_ids + c_.same_id_outside;
    std::printf(
        "CHECK label=%s converged=%d converged_s=%.1f lost=%lld duplicated=%lld churn_employees=%d "
        "consent_lost=%lld consent_behind=%lld unexplained=%lld view_behind=%lld view_ahead=%lld "
        "view_wrong=%lld view_backwards=%lld changes_acked=%lld changes_failed=%lld "
        "withdrawals_not_fully_propagated=%lld shares_acked=%lld shares_exists_on_retry=%lld "
        "shares_ok_after_retry=%lld shares_failed=%lld share_missing=%lld share_dup=%lld "
        "publishes_acked=%lld mails=%lld mail_missing=%lld mail_dup_ids=%lld "
        "same_id_resends=%lld same_id_outside=%lld\n",
        o_.label.c_str(), converged ? 1 : 0, converged_s, static_cast<long long>(lost),
        static_cast<long long>(duplicated), o_.employees - steady_,
        static_cast<long long>(c_.consent_lost), static_cast<long long>(c_.consent_behind),
        static_cast<long long>(c_.unexplained), static_cast<long long>(c_.view_behind),
        static_cast<long long>(c_.view_ahead), static_cast<long long>(c_.view_wrong),
        static_cast<long long>(c_.view_backwards), static_cast<long long>(changes_acked_),
        static_cast<long long>(changes_failed_), static_cast<long long>(not_fully_propagated_),
        static_cast<long long>(shares_acked_), static_cast<long long>(shares_exists_),
        static_cast<long long>(shares_ok_retried_), static_cast<long long>(shares_failed_),
        static_cast<long long>(c_.share_missing), static_cast<long long>(c_.share_dup),
        static_cast<long long>(publishes_acked_), static_cast<long long>(c_.mails),
        static_cast<long long>(c_.mail_missing), static_cast<long long>(c_.mail_dup_ids),
        static_cast<long long>(c_.same_id_resends), static_cast<long long>(c_.same_id_outside));
    return lost == 0 && duplicated == 0 ? 0 : 1;
  }

 private:
  struct Counts {
    int64_t consent_lost = 0, consent_behind = 0, unexplained = 0;
    int64_t view_behind = 0, view_ahead = 0, view_wrong = 0, view_backwards = 0;
    int64_t share_missing = 0, share_dup = 0;
    int64_t mails = 0, mail_missing = 0, mail_dup_ids = 0, same_id_resends = 0, same_id_outside = 0;
  };

  void ResetCounts() {
    c_ = Counts{};
    details_.clear();
  }
  void Detail(const std::string& d) {
    if (details_.size() < 40) details_.push_back(d);
  }

  void ReadLogs() {
    {
      std::ifstream in(o_.change_log);
      std::string t, e, op, outcome, fp;
      int64_t seq = 0, start = 0, end = 0;
      int code = 0;
      while (in >> t >> e >> op >> outcome >> seq >> fp >> start >> end >> code) {
        if (t != o_.tenant) continue;
        changes_[e].push_back({op[0], outcome == "ok", seq, end});
        if (outcome == "ok") {
          ++changes_acked_;
          if (op == "W" && fp == "0") ++not_fully_propagated_;
        } else {
          ++changes_failed_;
        }
      }
    }
    if (!o_.share_log.empty()) {
      std::ifstream in(o_.share_log);
      std::string t, e, item, outcome, link;
      int attempts = 0, code = 0;
      int64_t end = 0;
      while (in >> t >> e >> item >> outcome >> attempts >> link >> end >> code) {
        if (t != o_.tenant) continue;
        shares_.push_back({e, item, outcome, link, end});
        if (outcome == "ok" || outcome == "exists") {
          ++shares_acked_;
          if (outcome == "exists") ++shares_exists_;
          if (outcome == "ok" && attempts > 1) ++shares_ok_retried_;
        } else if (outcome == "err") {
          ++shares_failed_;
        }
      }
    }
    if (!o_.publish_log.empty()) {
      std::ifstream in(o_.publish_log);
      std::string t, item, outcome;
      int64_t end = 0;
      while (in >> t >> item >> outcome >> end) {
        if (t == o_.tenant && outcome == "ok" && end <= cutoff_ns_) {
          published_.push_back(item);
          ++publishes_acked_;
        }
      }
    }
  }

  void CheckConsent() {
    for (int i = steady_; i < o_.employees; ++i) {
      const std::string e = EmployeeId(i);
      const std::vector<Change>& log = changes_[e];
      // The seeding gave both scopes (sequence 1 for a fresh tenant): the acknowledged start.
      Change seeded{'G', true, 0, 0};
      const Change* last_ok = &seeded;
      size_t last_ok_index = 0;
      for (size_t k = 0; k < log.size(); ++k) {
        if (log[k].ok && log[k].sequence >= last_ok->sequence) {
          last_ok = &log[k];
          last_ok_index = k + 1;
        }
      }
      // Ops of failed calls after the last acknowledged one: they may have been committed.
      std::set<char> maybe;
      for (size_t k = last_ok_index; k < log.size(); ++k) {
        if (!log[k].ok) maybe.insert(log[k].op);
      }
      cv1::GetConsentStateRequest req;
      req.set_tenant_id(o_.tenant);
      req.set_employee_id(e);
      cv1::GetConsentStateResponse resp;
      const grpc::Status st =
          consent_->GetConsentState(Ctx(admin_, o_.deadline_ms).get(), req, &resp);
      if (!st.ok()) {
        ++c_.consent_behind;
        Detail(advocacy::StrCat("consent_unreachable employee=", e, " error=", Describe(st)));
        continue;
      }
      std::map<std::string, std::pair<char, int64_t>> source;  // field -> (state, sequence)
      for (const auto& sc : resp.consents()) {
        const std::string field = advocacy::StrCat(cv1::Purpose_Name(sc.scope().purpose()), ".",
                                                   cv1::Network_Name(sc.scope().network()));
        source[field] = {sc.state() == cv1::CONSENT_STATE_GIVEN ? 'G' : 'W', sc.sequence()};
      }
      const int64_t s_c = resp.sequence();
      if (last_ok->sequence > 0 && s_c < last_ok->sequence) {
        ++c_.consent_lost;
        Detail(advocacy::StrCat("consent_lost employee=", e, " acked_seq=", last_ok->sequence,
                                " acked_op=", std::string(1, last_ok->op), " consent_seq=", s_c));
        continue;
      }
      for (const std::string_view field : {kShareField, kTipsField}) {
        auto it = source.find(std::string(field));
        if (it == source.end()) {
          ++c_.consent_lost;
          Detail(advocacy::StrCat("consent_scope_missing employee=", e, " field=", field));
          continue;
        }
        const auto [state, seq] = it->second;
        if (last_ok->sequence > 0 && seq == last_ok->sequence && state != last_ok->op) {
          ++c_.consent_lost;
          Detail(advocacy::StrCat("consent_wrong employee=", e, " field=", field, " seq=", seq,
                                  " state=", std::string(1, state),
                                  " acked=", std::string(1, last_ok->op)));
        } else if (seq > last_ok->sequence && last_ok->sequence > 0 && maybe.count(state) == 0) {
          // A later change no logged call explains (every call of the load is logged).
          ++c_.unexplained;
          Detail(advocacy::StrCat("consent_unexplained employee=", e, " field=", field,
                                  " seq=", seq, " state=", std::string(1, state),
                                  " last_acked=", last_ok->sequence));
        }
        CheckViews(e, std::string(field), state, seq);
      }
    }
  }

  void CheckViews(const std::string& e, const std::string& field, char state, int64_t seq) {
    for (const std::string& svc : services_) {
      const std::string key = advocacy::StrCat("adv:", svc, ":cv:{", o_.tenant, ":", e, "}");
      auto lease = redis_->Acquire();
      if (!lease.ok()) {
        ++c_.view_behind;
        Detail(advocacy::StrCat("redis_unreachable ", lease.status().message()));
        return;
      }
      auto reply = (*lease)->Command({"HGET", key, field});
      if (!reply.ok() || reply->is_error()) {
        ++c_.view_behind;
        Detail(advocacy::StrCat("redis_error key=", key));
        continue;
      }
      char vstate = 0;
      int64_t vseq = 0;
      if (reply->is_string() && reply->str.size() > 2 && reply->str[1] == ':') {
        vstate = reply->str[0];
        vseq = std::stoll(reply->str.substr(2));
      }
      const std::string skey = advocacy::StrCat(svc, " ", e, " ", field);
      auto prev = seen_.find(skey);
      if (prev != seen_.end() && vseq < prev->second) {
        ++c_.view_backwards;
        Detail(advocacy::StrCat("view_backwards service=", svc, " employee=", e, " field=", field,
                                " seq=", vseq, " earlier=", prev->second));
      }
      if (vseq > seen_[skey]) seen_[skey] = vseq;
      if (vseq < seq) {
        ++c_.view_behind;
        Detail(advocacy::StrCat("view_behind service=", svc, " employee=", e, " field=", field,
                                " view_seq=", vseq, " consent_seq=", seq));
      } else if (vseq > seq) {
        ++c_.view_ahead;
        Detail(advocacy::StrCat("view_ahead service=", svc, " employee=", e, " field=", field,
                                " view_seq=", vseq, " consent_seq=", seq));
      } else if (vstate != state) {
        ++c_.view_wrong;
        Detail(advocacy::StrCat("view_wrong service=", svc, " employee=", e, " field=", field,
                                " seq=", vseq, " view=", std::string(1, vstate),
                                " consent=", std::string(1, state)));
      }
    }
  }

  void CheckShares() {
    std::map<std::string, std::vector<const ShareLine*>> by_employee;
    for (const ShareLine& s : shares_) by_employee[s.employee].push_back(&s);
    for (const auto& [e, lines] : by_employee) {
      auto& token = tokens_[e];
      if (token.empty()) {
        auto t = minter_->Mint(auth::Role::kEmployee, e);
        if (!t.ok()) {
          ++c_.share_missing;
          continue;
        }
        token = *t;
      }
      v1::ListMySharesRequest req;
      req.set_tenant_id(o_.tenant);
      req.set_employee_id(e);
      v1::ListMySharesResponse resp;
      const grpc::Status st = content_->ListMyShares(Ctx(token, o_.deadline_ms).get(), req, &resp);
      if (!st.ok()) {
        ++c_.share_missing;
        Detail(advocacy::StrCat("content_unreachable employee=", e, " error=", Describe(st)));
        continue;
      }
      std::map<std::pair<std::string, int>, std::vector<std::string>> listed;  // -> link codes
      for (const auto& s : resp.shares()) {
        listed[{s.item_id(), static_cast<int>(s.network())}].push_back(s.link_code());
      }
      for (const auto& [k, links] : listed) {
        if (links.size() > 1) {
          c_.share_dup += static_cast<int64_t>(links.size()) - 1;
          Detail(advocacy::StrCat("share_dup employee=", e, " item=", k.first,
                                  " count=", links.size()));
        }
      }
      for (const ShareLine* s : lines) {
        if (s->outcome != "ok" && s->outcome != "exists") continue;
        if (s->end_ns > cutoff_ns_) continue;
        auto it = listed.find({s->item, static_cast<int>(cv1::NETWORK_LINKEDIN)});
        if (it == listed.end()) {
          ++c_.share_missing;
          Detail(advocacy::StrCat("share_missing employee=", e, " item=", s->item,
                                  " outcome=", s->outcome));
        } else if (s->outcome == "ok" && s->link != "-" &&
                   std::find(it->second.begin(), it->second.end(), s->link) == it->second.end()) {
          ++c_.share_dup;
          Detail(advocacy::StrCat("share_other_link employee=", e, " item=", s->item,
                                  " acked=", s->link));
        }
      }
    }
  }

  void CheckMails() {
    if (o_.mails.empty()) return;
    // (recipient, subject) -> message id -> receive times.
    std::map<std::pair<std::string, std::string>, std::map<std::string, std::vector<int64_t>>> got;
    std::ifstream in(o_.mails);
    for (std::string line; std::getline(in, line);) {
      nlohmann::json j = nlohmann::json::parse(line, nullptr, false);
      if (j.is_discarded() || !j.contains("data")) continue;
      const std::string data = j["data"].get<std::string>();
      const std::string subject = HeaderValue(data, "Subject");
      const std::string id = HeaderValue(data, "Message-ID");
      const int64_t t = j.value("received_unix_nanos", int64_t{0});
      ++c_.mails;
      for (const auto& r : j["rcpt_tos"]) got[{r.get<std::string>(), subject}][id].push_back(t);
    }
    const auto in_window = [&](int64_t t) {
      return std::any_of(windows_.begin(), windows_.end(),
                         [t](const auto& w) { return t >= w.first && t <= w.second; });
    };
    for (const auto& [k, ids] : got) {
      if (ids.size() > 1) {
        c_.mail_dup_ids += static_cast<int64_t>(ids.size()) - 1;
        Detail(advocacy::StrCat("mail_dup_ids rcpt=", k.first, " subject='", k.second,
                                "' ids=", ids.size()));
      }
      for (const auto& [id, times] : ids) {
        if (times.size() < 2) continue;
        c_.same_id_resends += static_cast<int64_t>(times.size()) - 1;
        const int64_t first = *std::min_element(times.begin(), times.end());
        if (!in_window(first)) {
          c_.same_id_outside += static_cast<int64_t>(times.size()) - 1;
          Detail(advocacy::StrCat("mail_resend_outside_window rcpt=", k.first, " id=", id));
        }
      }
    }
    for (const std::string& item : published_) {
      const std::string subject = advocacy::StrCat("Load item ", item);
      for (int r = 0; r < o_.recipients; ++r) {
        const std::string rcpt = advocacy::StrCat(EmployeeId(r), "@load.test");
        if (got.find({rcpt, subject}) == got.end()) {
          ++c_.mail_missing;
          Detail(advocacy::StrCat("mail_missing rcpt=", rcpt, " item=", item));
        }
      }
    }
  }

  void LoadState() {
    if (o_.state_file.empty()) return;
    std::ifstream in(o_.state_file);
    std::string svc, e, field;
    int64_t seq = 0;
    while (in >> svc >> e >> field >> seq) seen_[advocacy::StrCat(svc, " ", e, " ", field)] = seq;
  }
  void SaveState() {
    if (o_.state_file.empty()) return;
    std::ofstream out(o_.state_file, std::ios::trunc);
    for (const auto& [k, seq] : seen_) out << k << ' ' << seq << '\n';
  }

  const Options& o_;
  std::unique_ptr<Minter> minter_;
  std::string admin_;
  std::map<std::string, std::string> tokens_;
  std::unique_ptr<cv1::ConsentService::Stub> consent_;
  std::unique_ptr<v1::ContentService::Stub> content_;
  std::unique_ptr<redis::Pool> redis_;
  std::vector<std::string> services_;
  int steady_ = 0;
  std::vector<std::pair<int64_t, int64_t>> windows_;
  int64_t cutoff_ns_ = 0;

  std::map<std::string, std::vector<Change>> changes_;
  std::vector<ShareLine> shares_;
  std::vector<std::string> published_;
  std::map<std::string, int64_t> seen_;
  int64_t changes_acked_ = 0, changes_failed_ = 0, not_fully_propagated_ = 0;
  int64_t shares_acked_ = 0, shares_exists_ = 0, shares_ok_retried_ = 0, shares_failed_ = 0;
  int64_t publishes_acked_ = 0;
  Counts c_;
  std::vector<std::string> details_;
};

}  // namespace
}  // namespace advocacy::bench

int main(int argc, char** argv) {
  advocacy::bench::Options o;
  CLI::App app{"fault_check: poison messages, dead-letter counts, and the lost/duplicated check"};
  app.add_option("mode", o.mode, "poison | dlq | verify")
      ->required()
      ->check(CLI::IsMember({"poison", "dlq", "verify"}));
  app.add_option("--brokers", o.brokers, "Kafka bootstrap servers (poison, dlq)");
  app.add_option("--marker", o.marker, "key prefix of the poison messages (poison, dlq)");
  app.add_option("--poison", o.poison, "TOPIC=CE_TYPE=CE_SOURCE (repeatable)");
  app.add_option("--expect", o.expect, "DLQ_TOPIC=N (repeatable)");
  app.add_option("--timeout", o.timeout_s, "seconds to wait");
  app.add_option("--label", o.label, "verify: the name on the CHECK line");
  app.add_option("--consent", o.consent_target, "consent service host:port");
  app.add_option("--content", o.content_target, "content service host:port");
  app.add_option("--redis", o.redis_url, "redis://host:port of the services");
  app.add_option("--private-key", o.private_key_file, "PKCS#8 key the services trust");
  app.add_option("--issuer", o.issuer, "JWT issuer");
  app.add_option("--audience", o.audience, "JWT audience");
  app.add_option("--tenant", o.tenant, "the load's tenant");
  app.add_option("--employees", o.employees, "advocacy_load --employees");
  app.add_option("--churn", o.churn, "advocacy_load --churn");
  app.add_option("--views", o.views, "services whose consent views to compare");
  app.add_option("--change-log", o.change_log, "advocacy_load --change-log");
  app.add_option("--share-log", o.share_log, "advocacy_load --share-log");
  app.add_option("--publish-log", o.publish_log, "advocacy_load --publish-log");
  app.add_option("--mails", o.mails, "the SMTP sink's mails.jsonl");
  app.add_option("--recipients", o.recipients, "advocacy_load seed --recipients");
  app.add_option("--resend-ok", o.resend_ok,
                 "START_NS:END_NS where same-Message-ID repeats are allowed");
  app.add_option("--state", o.state_file,
                 "view sequences seen by earlier checks (read and updated)");
  app.add_option("--deadline-ms", o.deadline_ms, "per-call deadline");
  CLI11_PARSE(app, argc, argv);
  if (o.mode == "poison") {
    if (o.brokers.empty() || o.marker.empty() || o.poison.empty()) {
      return advocacy::bench::Fail("poison needs --brokers, --marker and --poison");
    }
    return advocacy::bench::RunPoison(o);
  }
  if (o.mode == "dlq") {
    if (o.brokers.empty() || o.marker.empty() || o.expect.empty()) {
      return advocacy::bench::Fail("dlq needs --brokers, --marker and --expect");
    }
    return advocacy::bench::RunDlq(o);
  }
  if (o.consent_target.empty() || o.content_target.empty() || o.redis_url.empty() ||
      o.private_key_file.empty() || o.tenant.empty() || o.change_log.empty()) {
    return advocacy::bench::Fail(
        "verify needs --consent, --content, --redis, --private-key, --tenant and --change-log");
  }
  advocacy::bench::Verifier v(o);
  return v.Run();
}
