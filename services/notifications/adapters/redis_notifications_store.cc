#include "redis_notifications_store.h"

#include <algorithm>
#include <utility>

#include "absl/strings/numbers.h"
#include "advocacy/common/outbox.h"
#include "advocacy/common/status_macros.h"
#include "advocacy/common/strings.h"
#include "notifications_lua.h"

namespace advocacy::notifications {
namespace {

constexpr size_t kPipelineChunk = 1000;

// One run of a script in a pipeline.
struct ScriptCall {
  std::vector<std::string> keys;
  std::vector<std::string> args;
};

// Runs `script` once per call, all in one pipeline (EVALSHA). An element Redis answered with
// NOSCRIPT (it restarted or failed over and forgot the script) ran nothing, so that element
// alone is run again with EVAL: every call runs exactly once. Any other error reply is
// RefusedError naming `what`.
absl::StatusOr<std::vector<redis::Reply>> EvalEach(redis::Pool& pool, const redis::Script& script,
                                                   const std::vector<ScriptCall>& calls,
                                                   std::string_view what) {
  std::vector<std::vector<std::string>> commands;
  commands.reserve(calls.size());
  for (const ScriptCall& call : calls) {
    std::vector<std::string> cmd = {"EVALSHA", script.sha1(), std::to_string(call.keys.size())};
    cmd.insert(cmd.end(), call.keys.begin(), call.keys.end());
    cmd.insert(cmd.end(), call.args.begin(), call.args.end());
    commands.push_back(std::move(cmd));
  }
  ASSIGN_OR_RETURN(std::vector<redis::Reply> replies, pool.Pipeline(commands));
  for (size_t i = 0; i < replies.size(); ++i) {
    if (replies[i].is_error() && replies[i].str.starts_with("NOSCRIPT")) {
      ASSIGN_OR_RETURN(replies[i], pool.Eval(script, calls[i].keys, calls[i].args, what));
    } else if (replies[i].is_error()) {
      return redis::RefusedError(replies[i], what);
    }
  }
  return replies;
}

// Runs `commands` in one pipeline; an error reply to any of them is RefusedError naming `what`.
absl::Status RunEach(redis::Pool& pool, const std::vector<std::vector<std::string>>& commands,
                     std::string_view what) {
  if (commands.empty()) return absl::OkStatus();
  ASSIGN_OR_RETURN(std::vector<redis::Reply> replies, pool.Pipeline(commands));
  for (const redis::Reply& reply : replies) {
    if (reply.is_error()) return redis::RefusedError(reply, what);
  }
  return absl::OkStatus();
}

int64_t ToInt(const redis::Reply& r) {
  if (r.is_integer()) return r.integer;
  int64_t v = 0;
  if (r.is_string() && absl::SimpleAtoi(r.str, &v)) return v;
  return 0;
}

std::string EmpKey(const std::string& t, const std::string& e, std::string_view suffix) {
  return advocacy::StrCat(RedisNotificationsStore::EmployeePrefix(t, e), suffix);
}
std::string TenantKey(const std::string& t, std::string_view suffix) {
  return advocacy::StrCat(RedisNotificationsStore::TenantPrefix(t), suffix);
}

// "<state>|<reason>|<decide ms>|<topic>|<digest>|<detail>"
bool ParseMeta(const std::string& s, JobView* view) {
  std::vector<std::string> parts;
  size_t start = 0;
  for (int i = 0; i < 5; ++i) {
    const size_t bar = s.find('|', start);
    if (bar == std::string::npos) return false;
    parts.push_back(s.substr(start, bar - start));
    start = bar + 1;
  }
  int state = 0;
  int reason = 0;
  if (!absl::SimpleAtoi(parts[0], &state) || !absl::SimpleAtoi(parts[1], &reason) ||
      !absl::SimpleAtoi(parts[2], &view->decide_ms)) {
    return false;
  }
  view->job.set_state(v1::JobState_IsValid(state) ? static_cast<v1::JobState>(state)
                                                  : v1::JOB_STATE_UNSPECIFIED);
  view->skip_reason = v1::SkipReason_IsValid(reason) ? static_cast<v1::SkipReason>(reason)
                                                     : v1::SKIP_REASON_UNSPECIFIED;
  view->digest_id = parts[4];
  view->detail = s.substr(start);
  return true;
}

// The merge script's arguments for one request (see lua/merge_job.lua).
ScriptCall MergeCall(const MergeRequest& m, const std::string& now) {
  const std::string pre = RedisNotificationsStore::EmployeePrefix(m.tenant_id, m.employee_id);
  return {.keys = {pre + "open", advocacy::StrCat(pre, "j:", m.suffix)},
          .args = {pre, m.suffix, m.job.SerializeAsString(), m.digest_base,
                   std::to_string(m.due_ms), std::to_string(static_cast<int>(m.job.state())), now,
                   std::to_string(static_cast<int>(m.job.purpose())),
                   std::to_string(static_cast<int>(m.job.topic()))}};
}

// {created, merged, digest id, digest due, digest open}
absl::StatusOr<MergeResult> ParseMerge(const redis::Reply& reply) {
  if (!reply.is_array() || reply.elements.size() != 5) {
    return redis::RefusedError(reply, "a job merge");
  }
  MergeResult res;
  res.created = ToInt(reply.elements[0]) == 1;
  res.merged = ToInt(reply.elements[1]) == 1;
  res.digest_id = reply.elements[2].str;
  res.due_ms = ToInt(reply.elements[3]);
  res.open = ToInt(reply.elements[4]) == 1;
  return res;
}

// One employee's recipient record (GET) and preferences (HMGET b v), as LoadProfiles reads them.
absl::StatusOr<Profile> ParseProfile(const std::string& t, const std::string& e,
                                     const redis::Reply& r, const redis::Reply& p) {
  if (r.is_error()) return redis::RefusedError(r, "a recipient read");
  if (p.is_error()) return redis::RefusedError(p, "a preferences read");
  Profile profile;
  profile.employee_id = e;
  if (r.is_string()) {
    v1::Recipient rec;
    if (!rec.ParseFromString(r.str)) {
      return absl::DataLossError("a stored recipient record cannot be decoded");
    }
    profile.recipient = std::move(rec);
  }
  profile.preferences.prefs = DefaultPreferences(t, e);
  if (p.is_array() && p.elements.size() == 2 && p.elements[0].is_string()) {
    if (!profile.preferences.prefs.ParseFromString(p.elements[0].str)) {
      return absl::DataLossError("stored preferences cannot be decoded");
    }
    profile.preferences.version = ToInt(p.elements[1]);
  }
  return profile;
}

// {outcome, purpose, attempts, filtered, skipped, [suffix, job bytes]...} (lua/begin_send.lua).
absl::StatusOr<BeginResult> ParseBegin(const redis::Reply& r, v1::SkipReason skip_all) {
  if (!r.is_array() || r.elements.size() < 5) return redis::RefusedError(r, "a send claim");
  BeginResult out;
  const std::string& outcome = r.elements[0].str;
  int purpose = 0;
  (void)absl::SimpleAtoi(r.elements[1].str, &purpose);
  out.purpose =
      cv1::Purpose_IsValid(purpose) ? static_cast<cv1::Purpose>(purpose) : cv1::PURPOSE_UNSPECIFIED;
  out.attempts = static_cast<int>(ToInt(r.elements[2]));
  out.filtered = static_cast<int>(ToInt(r.elements[3]));
  out.skipped = static_cast<int>(ToInt(r.elements[4]));
  if (outcome == "GO") {
    out.outcome = BeginOutcome::kGo;
    for (size_t i = 5; i + 1 < r.elements.size(); i += 2) {
      v1::Job job;
      if (!job.ParseFromString(r.elements[i + 1].str)) {
        return absl::DataLossError("a stored job cannot be decoded");
      }
      out.items.emplace_back(r.elements[i].str, std::move(job));
    }
  } else if (outcome == "BUSY") {
    out.outcome = BeginOutcome::kBusy;
  } else if (outcome == "SENT") {
    out.outcome = BeginOutcome::kSent;
  } else if (outcome == "SKIP") {
    out.outcome = BeginOutcome::kSkipped;
    out.skip_reason = skip_all;
  } else if (outcome == "CAP") {
    out.outcome = BeginOutcome::kSkipped;
    out.skip_reason = v1::SKIP_REASON_WEEKLY_CAP;
  } else if (outcome == "EMPTY") {
    out.outcome = BeginOutcome::kEmpty;
  } else {
    out.outcome = BeginOutcome::kGone;
  }
  return out;
}

std::string_view FinishModeName(FinishMode mode) {
  switch (mode) {
    case FinishMode::kSent:
      return "sent";
    case FinishMode::kSkip:
      return "skip";
    case FinishMode::kRetry:
      return "retry";
    case FinishMode::kRelease:
      return "release";
    case FinishMode::kFail:
      return "fail";
  }
  return "";
}

}  // namespace

RedisNotificationsStore::RedisNotificationsStore(redis::Pool* pool)
    : pool_(pool),
      put_prefs_(std::string(lua::kPutPreferencesLua)),
      index_(std::string(lua::kIndexRecipientLua)),
      idempotency_(std::string(lua::kCheckIdempotencyLua)),
      merge_(std::string(lua::kMergeJobLua)),
      cancel_(std::string(lua::kCancelOpenLua)),
      claim_(std::string(lua::kClaimDueLua)),
      begin_(std::string(lua::kBeginSendLua)),
      finish_(std::string(lua::kFinishSendLua)) {}

std::string RedisNotificationsStore::EmployeePrefix(const std::string& tenant,
                                                    const std::string& employee) {
  return advocacy::StrCat("adv:notif:{", tenant, ":", employee, "}:");
}

std::string RedisNotificationsStore::TenantPrefix(const std::string& tenant) {
  return advocacy::StrCat("adv:notif:{", tenant, "}:");
}

absl::Status RedisNotificationsStore::PutRecipient(const v1::Recipient& r) {
  return pool_->Run({"SET", EmpKey(r.tenant_id(), r.employee_id(), "r"), r.SerializeAsString()})
      .status();
}

absl::StatusOr<std::optional<v1::Recipient>> RedisNotificationsStore::GetRecipient(
    const std::string& t, const std::string& e) {
  ASSIGN_OR_RETURN(redis::Reply r, pool_->Run({"GET", EmpKey(t, e, "r")}));
  if (!r.is_string()) return std::optional<v1::Recipient>();
  v1::Recipient rec;
  if (!rec.ParseFromString(r.str)) {
    return absl::DataLossError("a stored recipient record cannot be decoded");
  }
  return std::optional<v1::Recipient>(std::move(rec));
}

absl::StatusOr<int64_t> RedisNotificationsStore::PutPreferences(const v1::Preferences& p) {
  ASSIGN_OR_RETURN(redis::Reply r,
                   pool_->Eval(put_prefs_, {EmpKey(p.tenant_id(), p.employee_id(), "p")},
                               {p.SerializeAsString()}, "a preferences write"));
  return ToInt(r);
}

absl::StatusOr<PreferencesRecord> RedisNotificationsStore::GetPreferences(const std::string& t,
                                                                          const std::string& e) {
  ASSIGN_OR_RETURN(redis::Reply r, pool_->Run({"HMGET", EmpKey(t, e, "p"), "b", "v"}));
  PreferencesRecord rec;
  rec.prefs = DefaultPreferences(t, e);
  if (r.is_array() && r.elements.size() == 2 && r.elements[0].is_string()) {
    if (!rec.prefs.ParseFromString(r.elements[0].str)) {
      return absl::DataLossError("stored preferences cannot be decoded");
    }
    rec.version = ToInt(r.elements[1]);
  }
  return rec;
}

absl::Status RedisNotificationsStore::IndexRecipient(const std::string& t, const std::string& e,
                                                     uint32_t mask, int64_t version,
                                                     bool only_if_present) {
  return pool_
      ->Eval(index_, {TenantKey(t, "idx")},
             {e, std::to_string(mask), std::to_string(version), only_if_present ? "1" : "0"},
             "a recipient index update")
      .status();
}

absl::StatusOr<IndexPage> RedisNotificationsStore::ScanRecipients(const std::string& t,
                                                                  const std::string& cursor,
                                                                  size_t count) {
  ASSIGN_OR_RETURN(redis::Reply r, pool_->Run({"HSCAN", TenantKey(t, "idx"), cursor, "COUNT",
                                               std::to_string(count)}));
  if (!r.is_array() || r.elements.size() != 2 || !r.elements[1].is_array()) {
    return redis::RefusedError(r, "a recipient scan");
  }
  IndexPage page;
  page.next_cursor = r.elements[0].str;
  const auto& kv = r.elements[1].elements;
  for (size_t i = 0; i + 1 < kv.size(); i += 2) {
    uint32_t mask = 0;
    const std::string& v = kv[i + 1].str;
    (void)absl::SimpleAtoi(v.substr(0, v.find(':')), &mask);
    page.entries.push_back({kv[i].str, mask});
  }
  return page;
}

absl::StatusOr<std::vector<std::optional<uint32_t>>> RedisNotificationsStore::LookupRecipients(
    const std::string& t, const std::vector<std::string>& employees) {
  std::vector<std::optional<uint32_t>> out;
  out.reserve(employees.size());
  for (size_t start = 0; start < employees.size(); start += kPipelineChunk) {
    const size_t end = std::min(employees.size(), start + kPipelineChunk);
    std::vector<std::string> cmd = {"HMGET", TenantKey(t, "idx")};
    cmd.insert(cmd.end(), employees.begin() + static_cast<ptrdiff_t>(start),
               employees.begin() + static_cast<ptrdiff_t>(end));
    ASSIGN_OR_RETURN(redis::Reply r, pool_->Run(cmd));
    if (!r.is_array()) return redis::RefusedError(r, "a recipient lookup");
    for (const auto& e : r.elements) {
      if (!e.is_string()) {
        out.emplace_back();
        continue;
      }
      uint32_t mask = 0;
      (void)absl::SimpleAtoi(e.str.substr(0, e.str.find(':')), &mask);
      out.emplace_back(mask);
    }
  }
  return out;
}

absl::StatusOr<std::vector<Profile>> RedisNotificationsStore::LoadProfiles(
    const std::string& t, const std::vector<std::string>& employees) {
  std::vector<Profile> out;
  out.reserve(employees.size());
  for (size_t start = 0; start < employees.size(); start += kPipelineChunk / 2) {
    const size_t end = std::min(employees.size(), start + kPipelineChunk / 2);
    std::vector<std::vector<std::string>> cmds;
    for (size_t i = start; i < end; ++i) {
      cmds.push_back({"GET", EmpKey(t, employees[i], "r")});
      cmds.push_back({"HMGET", EmpKey(t, employees[i], "p"), "b", "v"});
    }
    ASSIGN_OR_RETURN(std::vector<redis::Reply> replies, pool_->Pipeline(cmds));
    for (size_t i = start; i < end; ++i) {
      ASSIGN_OR_RETURN(Profile profile, ParseProfile(t, employees[i], replies[2 * (i - start)],
                                                     replies[2 * (i - start) + 1]));
      out.push_back(std::move(profile));
    }
  }
  return out;
}

absl::StatusOr<IdempotencyOutcome> RedisNotificationsStore::CheckIdempotency(
    const std::string& t, const std::string& key, const std::string& body_hash,
    int64_t ttl_seconds) {
  ASSIGN_OR_RETURN(
      redis::Reply r,
      pool_->Eval(idempotency_, {TenantKey(t, advocacy::StrCat("idem:", SourceHash("idem", key)))},
                  {body_hash, std::to_string(ttl_seconds)}, "an idempotency check"));
  switch (ToInt(r)) {
    case 0:
      return IdempotencyOutcome::kNew;
    case 1:
      return IdempotencyOutcome::kReplay;
    default:
      return IdempotencyOutcome::kConflict;
  }
}

absl::StatusOr<std::vector<MergeResult>> RedisNotificationsStore::MergeJobs(
    const std::vector<MergeRequest>& requests, int64_t now_ms) {
  std::vector<MergeResult> out;
  out.reserve(requests.size());
  const std::string now = std::to_string(now_ms);
  for (size_t start = 0; start < requests.size(); start += kPipelineChunk) {
    const size_t end = std::min(requests.size(), start + kPipelineChunk);
    std::vector<ScriptCall> calls;
    calls.reserve(end - start);
    for (size_t i = start; i < end; ++i) calls.push_back(MergeCall(requests[i], now));
    ASSIGN_OR_RETURN(std::vector<redis::Reply> replies,
                     EvalEach(*pool_, merge_, calls, "a job merge"));
    std::vector<std::vector<std::string>> zadds;
    for (size_t i = start; i < end; ++i) {
      ASSIGN_OR_RETURN(MergeResult res, ParseMerge(replies[i - start]));
      if (res.open && !res.digest_id.empty()) {
        // NX: an entry already there carries a lease or a retry time that must stand.
        zadds.push_back(
            {"ZADD", kDueKey, "NX", std::to_string(res.due_ms),
             DueRef{requests[i].tenant_id, requests[i].employee_id, res.digest_id}.Member()});
      }
      out.push_back(std::move(res));
    }
    RETURN_IF_ERROR(RunEach(*pool_, zadds, "a due-queue entry"));
  }
  return out;
}

absl::Status RedisNotificationsStore::RecordSkips(
    const std::string& t, const std::string& suffix,
    const std::vector<std::pair<std::string, v1::SkipReason>>& skips, int64_t now_ms,
    int64_t ttl_seconds) {
  if (skips.empty()) return absl::OkStatus();
  const std::string key = TenantKey(t, advocacy::StrCat("skip:", suffix));
  for (size_t start = 0; start < skips.size(); start += kPipelineChunk) {
    const size_t end = std::min(skips.size(), start + kPipelineChunk);
    std::vector<std::string> cmd = {"HSET", key};
    for (size_t i = start; i < end; ++i) {
      cmd.push_back(skips[i].first);
      cmd.push_back(advocacy::StrCat(static_cast<int>(skips[i].second), ":", now_ms));
    }
    RETURN_IF_ERROR(
        RunEach(*pool_, {cmd, {"EXPIRE", key, std::to_string(ttl_seconds)}}, "a skip record"));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::optional<JobView>> RedisNotificationsStore::GetJob(const std::string& t,
                                                                       const std::string& e,
                                                                       const std::string& suffix) {
  ASSIGN_OR_RETURN(redis::Reply r,
                   pool_->Run({"HMGET", EmpKey(t, e, advocacy::StrCat("j:", suffix)), "b", "s"}));
  if (!r.is_array() || r.elements.size() != 2 || !r.elements[0].is_string() ||
      !r.elements[1].is_string()) {
    return std::optional<JobView>();
  }
  JobView view;
  if (!view.job.ParseFromString(r.elements[0].str) || !ParseMeta(r.elements[1].str, &view)) {
    return absl::DataLossError("a stored job cannot be decoded");
  }
  if (!view.digest_id.empty()) {
    ASSIGN_OR_RETURN(redis::Reply d,
                     pool_->Run({"HMGET", EmpKey(t, e, advocacy::StrCat("d:", view.digest_id)),
                                 "st", "att", "due", "mid", "ck", "err"}));
    if (d.is_array() && d.elements.size() == 6) {
      view.digest_state = d.elements[0].str;
      view.attempts = static_cast<int>(ToInt(d.elements[1]));
      view.due_ms = ToInt(d.elements[2]);
      view.message_id = d.elements[3].str;
      view.consent_check_us = ToInt(d.elements[4]);
      view.last_error = d.elements[5].str;
    }
  }
  return std::optional<JobView>(std::move(view));
}

absl::StatusOr<std::optional<SkipRecord>> RedisNotificationsStore::GetSkip(
    const std::string& t, const std::string& suffix, const std::string& e) {
  ASSIGN_OR_RETURN(redis::Reply r,
                   pool_->Run({"HGET", TenantKey(t, advocacy::StrCat("skip:", suffix)), e}));
  if (!r.is_string()) return std::optional<SkipRecord>();
  SkipRecord rec;
  const size_t colon = r.str.find(':');
  int reason = 0;
  if (colon == std::string::npos || !absl::SimpleAtoi(r.str.substr(0, colon), &reason) ||
      !absl::SimpleAtoi(r.str.substr(colon + 1), &rec.decide_ms) ||
      !v1::SkipReason_IsValid(reason)) {
    return absl::DataLossError("a stored skip record cannot be decoded");
  }
  rec.reason = static_cast<v1::SkipReason>(reason);
  return std::optional<SkipRecord>(rec);
}

absl::StatusOr<CancelResult> RedisNotificationsStore::CancelOpen(const std::string& t,
                                                                 const std::string& e,
                                                                 cv1::Purpose purpose,
                                                                 int64_t now_ms,
                                                                 const std::string& detail) {
  const std::string pre = EmployeePrefix(t, e);
  ASSIGN_OR_RETURN(redis::Reply r,
                   pool_->Eval(cancel_, {pre + "open", pre + "sent"},
                               {pre, std::to_string(static_cast<int>(purpose)),
                                std::to_string(now_ms), std::to_string(retention_seconds_), detail},
                               "a cancellation"));
  if (!r.is_array() || r.elements.size() < 2) return redis::RefusedError(r, "a cancellation");
  CancelResult out;
  out.jobs = static_cast<int>(ToInt(r.elements[0]));
  const size_t settled = static_cast<size_t>(std::max<int64_t>(0, ToInt(r.elements[1])));
  for (size_t i = 2; i < r.elements.size(); ++i) {
    (i - 2 < settled ? out.digest_ids : out.sending).push_back(r.elements[i].str);
  }
  return out;
}

absl::StatusOr<bool> RedisNotificationsStore::SendsSettled(const std::string& t,
                                                           const std::string& e,
                                                           const std::vector<std::string>& digests,
                                                           int64_t now_ms) {
  if (digests.empty()) return true;
  std::vector<std::vector<std::string>> cmds;
  cmds.reserve(digests.size());
  for (const auto& id : digests) {
    cmds.push_back({"HMGET", EmpKey(t, e, advocacy::StrCat("d:", id)), "st", "until"});
  }
  ASSIGN_OR_RETURN(std::vector<redis::Reply> replies, pool_->Pipeline(cmds));
  for (const auto& r : replies) {
    if (r.is_error() || !r.is_array() || r.elements.size() != 2) {
      return redis::RefusedError(r, "a digest read");
    }
    if (r.elements[0].str == "X" && ToInt(r.elements[1]) > now_ms) return false;
  }
  return true;
}

absl::StatusOr<std::vector<DueRef>> RedisNotificationsStore::ClaimDue(int64_t now_ms,
                                                                      int64_t lease_until_ms,
                                                                      size_t limit) {
  ASSIGN_OR_RETURN(
      redis::Reply r,
      pool_->Eval(claim_, {kDueKey},
                  {std::to_string(now_ms), std::to_string(lease_until_ms), std::to_string(limit)},
                  "a due-queue claim"));
  if (!r.is_array()) return redis::RefusedError(r, "a due-queue claim");
  std::vector<DueRef> out;
  std::vector<std::string> bad;
  for (const auto& m : r.elements) {
    if (auto ref = DueRef::Parse(m.str); ref.has_value()) {
      out.push_back(std::move(*ref));
    } else {
      bad.push_back(m.str);
    }
  }
  if (!bad.empty()) {
    std::vector<std::string> cmd = {"ZREM", kDueKey};
    cmd.insert(cmd.end(), bad.begin(), bad.end());
    (void)pool_->Run(cmd);  // an unparsable entry can never be sent; a failed removal is retried
  }
  return out;
}

absl::Status RedisNotificationsStore::Reschedule(const DueRef& ref, int64_t due_ms) {
  return pool_->Run({"ZADD", kDueKey, "XX", std::to_string(due_ms), ref.Member()}).status();
}

absl::Status RedisNotificationsStore::RemoveDue(const std::vector<DueRef>& refs) {
  if (refs.empty()) return absl::OkStatus();
  std::vector<std::string> cmd = {"ZREM", kDueKey};
  for (const auto& r : refs) cmd.push_back(r.Member());
  return pool_->Run(cmd).status();
}

absl::StatusOr<int64_t> RedisNotificationsStore::QueueDepth() {
  ASSIGN_OR_RETURN(redis::Reply r, pool_->Run({"ZCARD", kDueKey}));
  return ToInt(r);
}

absl::StatusOr<BeginResult> RedisNotificationsStore::BeginSend(const BeginRequest& q) {
  const std::string pre = EmployeePrefix(q.ref.tenant_id, q.ref.employee_id);
  constexpr int64_t kWeekMs = 7LL * 24 * 3600 * 1000;
  ASSIGN_OR_RETURN(redis::Reply r,
                   pool_->Eval(begin_, {advocacy::StrCat(pre, "d:", q.ref.digest_id), pre + "sent"},
                               {pre, q.ref.digest_id, q.owner, std::to_string(q.now_ms),
                                std::to_string(q.claim_until_ms), std::to_string(q.weekly_cap),
                                std::to_string(q.topic_mask), std::to_string(q.now_ms - kWeekMs),
                                std::to_string(static_cast<int>(q.skip_all)),
                                std::to_string(retention_seconds_), kLedgerStep},
                               "a send claim"));
  return ParseBegin(r, q.skip_all);
}

absl::StatusOr<FinishResult> RedisNotificationsStore::FinishSend(const FinishRequest& q) {
  const std::string pre = EmployeePrefix(q.ref.tenant_id, q.ref.employee_id);
  std::vector<std::string> args = {pre,
                                   q.ref.digest_id,
                                   q.owner,
                                   std::string(FinishModeName(q.mode)),
                                   std::to_string(q.now_ms),
                                   std::to_string(static_cast<int>(q.skip_reason)),
                                   q.detail,
                                   std::to_string(q.next_due_ms),
                                   q.message_id,
                                   std::to_string(q.consent_check_us),
                                   std::to_string(retention_seconds_),
                                   kLedgerStep,
                                   q.outbox_entry};
  args.insert(args.end(), q.suffixes.begin(), q.suffixes.end());
  const std::string outbox_key =
      q.outbox_key.empty() ? outbox::OutboxKey(kServiceName, advocacy::StrCat(q.ref.tenant_id, ":",
                                                                              q.ref.employee_id))
                           : q.outbox_key;
  ASSIGN_OR_RETURN(
      redis::Reply r,
      pool_->Eval(finish_, {advocacy::StrCat(pre, "d:", q.ref.digest_id), pre + "sent", outbox_key},
                  args, "a send outcome"));
  if (!r.is_array() || r.elements.size() != 3) return redis::RefusedError(r, "a send outcome");
  return FinishResult{.applied = ToInt(r.elements[0]) == 1,
                      .attempts = static_cast<int>(ToInt(r.elements[1])),
                      .cancelled = ToInt(r.elements[2]) == 1};
}

}  // namespace advocacy::notifications
