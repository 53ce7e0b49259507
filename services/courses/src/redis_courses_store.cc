#include "redis_courses_store.h"

#include <limits>

#include "absl/strings/numbers.h"
#include "advocacy/common/outbox.h"
#include "advocacy/common/strings.h"
#include "courses_domain.h"

namespace advocacy::courses {
namespace {

// Compare-and-set of one catalog record on its revision. Returns 1 written, 0 revision moved.
// KEYS: revisions hash, values hash, second values hash (may repeat KEYS[2]), outbox list.
// ARGV: rev field, expected, new revision, value field, value, second value, outbox entry.
constexpr char kTenantScript[] = R"lua(
local cur = tonumber(redis.call('HGET', KEYS[1], ARGV[1]) or '0')
if cur ~= tonumber(ARGV[2]) then return 0 end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[3])
redis.call('HSET', KEYS[2], ARGV[4], ARGV[5])
if ARGV[6] ~= '' then redis.call('HSET', KEYS[3], ARGV[4], ARGV[6]) end
if ARGV[7] ~= '' then redis.call('RPUSH', KEYS[4], ARGV[7]) end
return 1
)lua";

// Compare-and-set of one employee's learning on their sequence. Returns {code, sequence}:
// 1 committed, 0 sequence moved, 2 idempotency key taken meanwhile.
// KEYS: progress hash, idempotency key, outbox list.
// ARGV: expected, new, idempotency record ('' none), ttl ms, n, n field/value pairs, m, m
// outbox entries.
constexpr char kLearnerScript[] = R"lua(
local cur = tonumber(redis.call('HGET', KEYS[1], '_seq') or '0')
if cur ~= tonumber(ARGV[1]) then return {0, cur} end
if ARGV[3] ~= '' then
  if not redis.call('SET', KEYS[2], ARGV[3], 'NX', 'PX', ARGV[4]) then return {2, cur} end
end
if ARGV[2] ~= ARGV[1] then redis.call('HSET', KEYS[1], '_seq', ARGV[2]) end
local n = tonumber(ARGV[5])
local i = 6
for _ = 1, n do
  redis.call('HSET', KEYS[1], ARGV[i], ARGV[i + 1])
  i = i + 2
end
local m = tonumber(ARGV[i])
i = i + 1
for _ = 1, m do
  redis.call('RPUSH', KEYS[3], ARGV[i])
  i = i + 1
end
return {1, tonumber(ARGV[2])}
)lua";

// Compare-and-set of one broadcast on its sequence: definition, seats, waiting list and
// events in one step, so capacity and promotion from the waiting list are never seen half done.
// Returns {code, sequence} as above.
// KEYS: broadcast hash, seats zset, waiting zset, idempotency key, outbox list.
// ARGV: expected, new, idempotency record ('' none), ttl ms, definition ('' unchanged), n,
// n (op, employee, order) triples, m, m outbox entries.
constexpr char kBroadcastScript[] = R"lua(
local cur = tonumber(redis.call('HGET', KEYS[1], '_seq') or '0')
if cur ~= tonumber(ARGV[1]) then return {0, cur} end
if ARGV[3] ~= '' then
  if not redis.call('SET', KEYS[4], ARGV[3], 'NX', 'PX', ARGV[4]) then return {2, cur} end
end
if ARGV[2] ~= ARGV[1] then redis.call('HSET', KEYS[1], '_seq', ARGV[2]) end
if ARGV[5] ~= '' then redis.call('HSET', KEYS[1], 'def', ARGV[5]) end
local n = tonumber(ARGV[6])
local i = 7
for _ = 1, n do
  local op, member, order = ARGV[i], ARGV[i + 1], ARGV[i + 2]
  if op == 'S+' then redis.call('ZADD', KEYS[2], order, member)
  elseif op == 'S-' then redis.call('ZREM', KEYS[2], member)
  elseif op == 'W+' then redis.call('ZADD', KEYS[3], order, member)
  elseif op == 'W-' then redis.call('ZREM', KEYS[3], member)
  end
  i = i + 3
end
local m = tonumber(ARGV[i])
i = i + 1
for _ = 1, m do
  redis.call('RPUSH', KEYS[5], ARGV[i])
  i = i + 1
end
return {1, tonumber(ARGV[2])}
)lua";

constexpr char kActiveKey[] = "adv:courses:{active}:learners";

std::string TenantKey(const std::string& t, std::string_view suffix) {
  return advocacy::StrCat("adv:courses:{", TenantTag(t), "}:", suffix);
}
std::string LearnerIdemKey(const std::string& t, const std::string& e, const std::string& k) {
  return advocacy::StrCat("adv:courses:{", LearnerTag(t, e), "}:i:", k);
}
std::string BroadcastPrefix(const std::string& t, const std::string& b) {
  return advocacy::StrCat("adv:courses:{", BroadcastTag(t, b), "}:");
}
// The employee id is length-prefixed so that ("a:b", "c") and ("a", "b:c") differ.
std::string BroadcastIdemKey(const std::string& t, const std::string& b, const std::string& e,
                             const std::string& k) {
  return advocacy::StrCat(BroadcastPrefix(t, b), "i:", e.size(), ":", e, ":", k);
}

absl::Status ReplyError(const redis::Reply& r, std::string_view what) {
  return absl::InternalError(advocacy::StrCat("Redis refused ", what, ": ", r.str));
}

template <typename T>
absl::StatusOr<std::optional<T>> ParseOptional(const redis::Reply& r, std::string_view what) {
  if (r.is_error()) return ReplyError(r, what);
  if (r.is_nil()) return std::optional<T>();
  T value;
  if (!value.ParseFromString(r.str)) {
    return absl::DataLossError(advocacy::StrCat("a stored ", what, " cannot be decoded"));
  }
  return std::optional<T>(std::move(value));
}

absl::StatusOr<int64_t> ParseInt(const redis::Reply& r, std::string_view what) {
  if (r.is_nil()) return 0;
  if (r.is_integer()) return static_cast<int64_t>(r.integer);
  int64_t v = 0;
  if (r.is_error() || !absl::SimpleAtoi(r.str, &v)) {
    return absl::DataLossError(advocacy::StrCat("the stored ", what, " is not a number"));
  }
  return v;
}

absl::StatusOr<CommitResult> CommitCode(const redis::Reply& r, std::string_view what) {
  if (r.is_error()) return ReplyError(r, what);
  if (r.elements.size() != 2) {
    return absl::InternalError(advocacy::StrCat("unexpected reply from the ", what));
  }
  switch (r.elements[0].integer) {
    case 1:
      return CommitResult::kCommitted;
    case 0:
      return CommitResult::kSequenceConflict;
    default:
      return CommitResult::kIdempotencyConflict;
  }
}

}  // namespace

RedisCoursesStore::RedisCoursesStore(redis::Pool* pool)
    : pool_(pool),
      tenant_script_(kTenantScript),
      learner_script_(kLearnerScript),
      broadcast_script_(kBroadcastScript) {}

std::string RedisCoursesStore::CourseKey(const std::string& t) { return TenantKey(t, "c"); }
std::string RedisCoursesStore::LearnerKey(const std::string& t, const std::string& e) {
  return advocacy::StrCat("adv:courses:{", LearnerTag(t, e), "}:p");
}
std::string RedisCoursesStore::BroadcastKey(const std::string& t, const std::string& b) {
  return BroadcastPrefix(t, b) + "b";
}
std::string RedisCoursesStore::SeatsKey(const std::string& t, const std::string& b) {
  return BroadcastPrefix(t, b) + "r";
}
std::string RedisCoursesStore::WaitingKey(const std::string& t, const std::string& b) {
  return BroadcastPrefix(t, b) + "w";
}

// ---- Catalog -------------------------------------------------------------------------------

absl::StatusOr<std::optional<storage::StoredCourse>> RedisCoursesStore::GetCourse(
    const std::string& t, const std::string& c) {
  auto conn = pool_->Acquire();
  if (!conn.ok()) return conn.status();
  auto r = (*conn)->Command({"HGET", CourseKey(t), c});
  if (!r.ok()) return r.status();
  return ParseOptional<storage::StoredCourse>(*r, "course");
}

absl::StatusOr<std::vector<v1::CourseSummary>> RedisCoursesStore::ListCourseSummaries(
    const std::string& t) {
  auto conn = pool_->Acquire();
  if (!conn.ok()) return conn.status();
  auto r = (*conn)->Command({"HVALS", TenantKey(t, "cs")});
  if (!r.ok()) return r.status();
  if (r->is_error()) return ReplyError(*r, "a course listing");
  std::vector<v1::CourseSummary> out;
  out.reserve(r->elements.size());
  for (const auto& el : r->elements) {
    v1::CourseSummary s;
    if (!s.ParseFromString(el.str))
      return absl::DataLossError("a stored course summary cannot be decoded");
    out.push_back(std::move(s));
  }
  return out;
}

absl::StatusOr<bool> RedisCoursesStore::TenantPut(
    const std::string& t, const std::string& values_key, const std::string& second_key,
    const std::string& rev_field, int64_t expected, int64_t revision, const std::string& field,
    const std::string& value, const std::string& second_value, const std::string& outbox_entry) {
  auto conn = pool_->Acquire();
  if (!conn.ok()) return conn.status();
  auto r =
      (*conn)->Eval(tenant_script_,
                    {TenantKey(t, "rev"), values_key, second_key, outbox::OutboxKey(TenantTag(t))},
                    {rev_field, std::to_string(expected), std::to_string(revision), field, value,
                     second_value, outbox_entry});
  if (!r.ok()) return r.status();
  if (r->is_error()) return ReplyError(*r, "a catalog write");
  return r->integer == 1;
}

absl::StatusOr<bool> RedisCoursesStore::PutCourse(const CourseWrite& w) {
  const std::string& id = w.course.course().course_id();
  return TenantPut(w.tenant_id, CourseKey(w.tenant_id), TenantKey(w.tenant_id, "cs"),
                   advocacy::StrCat("c:", id), w.expected_revision, w.course.course().revision(),
                   id, w.course.SerializeAsString(), w.summary.SerializeAsString(), w.outbox_entry);
}

absl::StatusOr<std::optional<storage::StoredChecklist>> RedisCoursesStore::GetChecklist(
    const std::string& t, const std::string& id) {
  auto conn = pool_->Acquire();
  if (!conn.ok()) return conn.status();
  auto r = (*conn)->Command({"HGET", TenantKey(t, "k"), id});
  if (!r.ok()) return r.status();
  return ParseOptional<storage::StoredChecklist>(*r, "checklist");
}

absl::StatusOr<std::vector<storage::StoredChecklist>> RedisCoursesStore::ListChecklists(
    const std::string& t) {
  auto conn = pool_->Acquire();
  if (!conn.ok()) return conn.status();
  auto r = (*conn)->Command({"HVALS", TenantKey(t, "k")});
  if (!r.ok()) return r.status();
  if (r->is_error()) return ReplyError(*r, "a checklist listing");
  std::vector<storage::StoredChecklist> out;
  for (const auto& el : r->elements) {
    storage::StoredChecklist c;
    if (!c.ParseFromString(el.str))
      return absl::DataLossError("a stored checklist cannot be decoded");
    out.push_back(std::move(c));
  }
  return out;
}

absl::StatusOr<bool> RedisCoursesStore::PutChecklist(const ChecklistWrite& w) {
  const std::string& id = w.checklist.checklist().checklist_id();
  const std::string key = TenantKey(w.tenant_id, "k");
  return TenantPut(w.tenant_id, key, key, advocacy::StrCat("k:", id), w.expected_revision,
                   w.checklist.checklist().revision(), id, w.checklist.SerializeAsString(), "", "");
}

absl::StatusOr<std::optional<v1::TenantPolicy>> RedisCoursesStore::GetPolicy(const std::string& t) {
  auto conn = pool_->Acquire();
  if (!conn.ok()) return conn.status();
  auto r = (*conn)->Command({"HGET", TenantKey(t, "t"), "policy"});
  if (!r.ok()) return r.status();
  return ParseOptional<v1::TenantPolicy>(*r, "tenant policy");
}

absl::StatusOr<bool> RedisCoursesStore::PutPolicy(const PolicyWrite& w) {
  const std::string key = TenantKey(w.tenant_id, "t");
  return TenantPut(w.tenant_id, key, key, "policy", w.expected_revision, w.policy.revision(),
                   "policy", w.policy.SerializeAsString(), "", w.outbox_entry);
}

// ---- One employee --------------------------------------------------------------------------

absl::StatusOr<LearnerSnapshot> RedisCoursesStore::LoadLearner(const std::string& t,
                                                               const std::string& e) {
  auto conn = pool_->Acquire();
  if (!conn.ok()) return conn.status();
  auto r = (*conn)->Command({"HGETALL", LearnerKey(t, e)});
  if (!r.ok()) return r.status();
  if (r->is_error()) return ReplyError(*r, "a progress read");
  LearnerSnapshot snap;
  for (size_t i = 0; i + 1 < r->elements.size(); i += 2) {
    const std::string& field = r->elements[i].str;
    const std::string& value = r->elements[i + 1].str;
    if (field == "_seq") {
      if (!absl::SimpleAtoi(value, &snap.sequence)) {
        return absl::DataLossError("the stored progress sequence is not a number");
      }
    } else if (field.rfind("c:", 0) == 0) {
      storage::StoredEnrollment en;
      if (!en.ParseFromString(value))
        return absl::DataLossError("a stored enrollment cannot be decoded");
      snap.enrollments.emplace(field.substr(2), std::move(en));
    } else if (field.rfind("k:", 0) == 0) {
      storage::StoredChecklistProgress p;
      if (!p.ParseFromString(value)) {
        return absl::DataLossError("a stored checklist progress cannot be decoded");
      }
      snap.checklists.emplace(field.substr(2), std::move(p));
    }
  }
  return snap;
}

absl::StatusOr<std::optional<storage::IdempotencyRecord>> RedisCoursesStore::GetIdempotency(
    const std::string& key) {
  auto conn = pool_->Acquire();
  if (!conn.ok()) return conn.status();
  auto r = (*conn)->Command({"GET", key});
  if (!r.ok()) return r.status();
  return ParseOptional<storage::IdempotencyRecord>(*r, "idempotency record");
}

absl::StatusOr<std::optional<storage::IdempotencyRecord>> RedisCoursesStore::GetLearnerIdempotency(
    const std::string& t, const std::string& e, const std::string& key) {
  return GetIdempotency(LearnerIdemKey(t, e, key));
}

absl::StatusOr<CommitResult> RedisCoursesStore::CommitLearner(const LearnerCommit& c) {
  const std::string& t = c.tenant_id;
  const std::string& e = c.employee_id;
  // Without an idempotency key the script still needs a same-slot key name; it is unused.
  std::vector<std::string> keys = {
      LearnerKey(t, e), LearnerIdemKey(t, e, c.idempotency_key.empty() ? "-" : c.idempotency_key),
      outbox::OutboxKey(LearnerTag(t, e))};
  std::vector<std::string> args = {
      std::to_string(c.expected_sequence), std::to_string(c.new_sequence),
      c.idempotency_key.empty() ? "" : c.idempotency_record, std::to_string(c.idempotency_ttl_ms),
      std::to_string(c.enrollments.size() + c.checklists.size())};
  for (const auto& en : c.enrollments) {
    args.push_back(advocacy::StrCat("c:", en.course_id()));
    args.push_back(en.SerializeAsString());
  }
  for (const auto& p : c.checklists) {
    args.push_back(advocacy::StrCat("k:", p.checklist_id()));
    args.push_back(p.SerializeAsString());
  }
  args.push_back(std::to_string(c.outbox_entries.size()));
  for (const auto& o : c.outbox_entries) args.push_back(o);
  auto conn = pool_->Acquire();
  if (!conn.ok()) return conn.status();
  auto r = (*conn)->Eval(learner_script_, keys, args);
  if (!r.ok()) return r.status();
  return CommitCode(*r, "progress commit");
}

absl::Status RedisCoursesStore::PutCertificateIndex(const std::string& t, const std::string& code,
                                                    const std::string& e, const std::string& c) {
  auto conn = pool_->Acquire();
  if (!conn.ok()) return conn.status();
  auto r = (*conn)->Command(
      {"SET", TenantKey(t, advocacy::StrCat("v:", code)), advocacy::StrCat(e, "\x1f", c)});
  if (!r.ok()) return r.status();
  if (r->is_error()) return ReplyError(*r, "a certificate index write");
  return absl::OkStatus();
}

absl::StatusOr<std::optional<std::pair<std::string, std::string>>>
RedisCoursesStore::FindCertificate(const std::string& t, const std::string& code) {
  using Result = std::optional<std::pair<std::string, std::string>>;
  auto conn = pool_->Acquire();
  if (!conn.ok()) return conn.status();
  auto r = (*conn)->Command({"GET", TenantKey(t, advocacy::StrCat("v:", code))});
  if (!r.ok()) return r.status();
  if (r->is_error()) return ReplyError(*r, "a certificate index read");
  if (r->is_nil()) return Result();
  const size_t sep = r->str.find('\x1f');
  if (sep == std::string::npos)
    return absl::DataLossError("a certificate index entry is malformed");
  return Result(std::make_pair(r->str.substr(0, sep), r->str.substr(sep + 1)));
}

absl::Status RedisCoursesStore::RecordActivity(const std::string& t, const std::string& e,
                                               int64_t now_ms) {
  auto conn = pool_->Acquire();
  if (!conn.ok()) return conn.status();
  auto r = (*conn)->Command({"ZADD", kActiveKey, std::to_string(now_ms), LearnerTag(t, e)});
  if (!r.ok()) return r.status();
  if (r->is_error()) return ReplyError(*r, "an activity write");
  return absl::OkStatus();
}

absl::StatusOr<int64_t> RedisCoursesStore::CountActiveLearners(int64_t since_ms) {
  auto conn = pool_->Acquire();
  if (!conn.ok()) return conn.status();
  auto r =
      (*conn)->Pipeline({{"ZREMRANGEBYSCORE", kActiveKey, "-inf", advocacy::StrCat("(", since_ms)},
                         {"ZCARD", kActiveKey}});
  if (!r.ok()) return r.status();
  if ((*r)[1].is_error()) return ReplyError((*r)[1], "an activity count");
  return static_cast<int64_t>((*r)[1].integer);
}

// ---- Broadcasts ----------------------------------------------------------------------------

absl::Status RedisCoursesStore::IndexBroadcast(const std::string& t, const std::string& b,
                                               int64_t starts_at_ms) {
  auto conn = pool_->Acquire();
  if (!conn.ok()) return conn.status();
  auto r = (*conn)->Command({"ZADD", TenantKey(t, "bx"), std::to_string(starts_at_ms), b});
  if (!r.ok()) return r.status();
  if (r->is_error()) return ReplyError(*r, "a broadcast index write");
  return absl::OkStatus();
}

absl::StatusOr<Page> RedisCoursesStore::ListBroadcastIds(const std::string& t, int64_t min_starts,
                                                         int64_t offset, int limit) {
  auto conn = pool_->Acquire();
  if (!conn.ok()) return conn.status();
  const std::string min =
      min_starts == std::numeric_limits<int64_t>::min() ? "-inf" : std::to_string(min_starts);
  // One extra id tells whether another page follows.
  auto r = (*conn)->Command({"ZRANGEBYSCORE", TenantKey(t, "bx"), min, "+inf", "LIMIT",
                             std::to_string(offset), std::to_string(limit + 1)});
  if (!r.ok()) return r.status();
  if (r->is_error()) return ReplyError(*r, "a broadcast listing");
  Page page;
  for (auto& el : r->elements) page.ids.push_back(std::move(el.str));
  if (page.ids.size() > static_cast<size_t>(limit)) {
    page.ids.pop_back();
    page.more = true;
  }
  return page;
}

absl::StatusOr<BroadcastSnapshot> RedisCoursesStore::LoadBroadcast(const std::string& t,
                                                                   const std::string& b,
                                                                   const std::string& e,
                                                                   int waiting_head) {
  const std::string hash = BroadcastKey(t, b);
  const std::string seats = SeatsKey(t, b);
  const std::string waiting = WaitingKey(t, b);
  // "_seq" is read first: anything read after it is at least as new, and a commit in between
  // moves the sequence, so a write decided on this snapshot fails its compare-and-set.
  std::vector<std::vector<std::string>> cmds = {
      {"HGET", hash, "_seq"}, {"HGET", hash, "def"}, {"ZCARD", seats}, {"ZCARD", waiting}};
  if (!e.empty()) {
    cmds.push_back({"ZSCORE", seats, e});
    cmds.push_back({"ZRANK", waiting, e});
  }
  if (waiting_head > 0) cmds.push_back({"ZRANGE", waiting, "0", std::to_string(waiting_head - 1)});
  auto conn = pool_->Acquire();
  if (!conn.ok()) return conn.status();
  auto r = (*conn)->Pipeline(cmds);
  if (!r.ok()) return r.status();
  for (const auto& reply : *r) {
    if (reply.is_error()) return ReplyError(reply, "a broadcast read");
  }
  BroadcastSnapshot snap;
  auto seq = ParseInt((*r)[0], "broadcast sequence");
  if (!seq.ok()) return seq.status();
  snap.sequence = *seq;
  auto def = ParseOptional<storage::StoredBroadcast>((*r)[1], "broadcast");
  if (!def.ok()) return def.status();
  snap.broadcast = std::move(*def);
  snap.registered_count = (*r)[2].integer;
  snap.waiting_count = (*r)[3].integer;
  size_t next = 4;
  if (!e.empty()) {
    if (!(*r)[next].is_nil()) {
      snap.status = v1::REGISTRATION_STATUS_REGISTERED;
    } else if (!(*r)[next + 1].is_nil()) {
      snap.status = v1::REGISTRATION_STATUS_WAITLISTED;
      snap.waiting_position = (*r)[next + 1].integer + 1;
    }
    next += 2;
  }
  if (waiting_head > 0) {
    for (auto& el : (*r)[next].elements) snap.waiting_head.push_back(std::move(el.str));
  }
  return snap;
}

absl::StatusOr<std::vector<BroadcastSnapshot>> RedisCoursesStore::LoadBroadcasts(
    const std::string& t, const std::vector<std::string>& ids) {
  std::vector<std::vector<std::string>> cmds;
  for (const auto& b : ids) {
    const std::string hash = BroadcastKey(t, b);
    cmds.push_back({"HGET", hash, "_seq"});
    cmds.push_back({"HGET", hash, "def"});
    cmds.push_back({"ZCARD", SeatsKey(t, b)});
    cmds.push_back({"ZCARD", WaitingKey(t, b)});
  }
  std::vector<BroadcastSnapshot> out;
  if (ids.empty()) return out;
  auto conn = pool_->Acquire();
  if (!conn.ok()) return conn.status();
  auto r = (*conn)->Pipeline(cmds);
  if (!r.ok()) return r.status();
  for (size_t i = 0; i < ids.size(); ++i) {
    const redis::Reply* rep = &(*r)[4 * i];
    for (int k = 0; k < 4; ++k) {
      if (rep[k].is_error()) return ReplyError(rep[k], "a broadcast read");
    }
    BroadcastSnapshot snap;
    auto seq = ParseInt(rep[0], "broadcast sequence");
    if (!seq.ok()) return seq.status();
    snap.sequence = *seq;
    auto def = ParseOptional<storage::StoredBroadcast>(rep[1], "broadcast");
    if (!def.ok()) return def.status();
    snap.broadcast = std::move(*def);
    snap.registered_count = rep[2].integer;
    snap.waiting_count = rep[3].integer;
    out.push_back(std::move(snap));
  }
  return out;
}

absl::StatusOr<std::optional<storage::IdempotencyRecord>>
RedisCoursesStore::GetBroadcastIdempotency(const std::string& t, const std::string& b,
                                           const std::string& e, const std::string& key) {
  return GetIdempotency(BroadcastIdemKey(t, b, e, key));
}

absl::StatusOr<CommitResult> RedisCoursesStore::CommitBroadcast(const BroadcastCommit& c) {
  const std::string& t = c.tenant_id;
  const std::string& b = c.broadcast_id;
  std::vector<std::string> keys = {
      BroadcastKey(t, b), SeatsKey(t, b), WaitingKey(t, b),
      BroadcastIdemKey(t, b, c.idempotency_employee_id,
                       c.idempotency_key.empty() ? "-" : c.idempotency_key),
      outbox::OutboxKey(BroadcastTag(t, b))};
  std::vector<std::string> args = {std::to_string(c.expected_sequence),
                                   std::to_string(c.new_sequence),
                                   c.idempotency_key.empty() ? "" : c.idempotency_record,
                                   std::to_string(c.idempotency_ttl_ms),
                                   c.broadcast.has_value() ? c.broadcast->SerializeAsString() : "",
                                   std::to_string(c.seats.size())};
  for (const auto& s : c.seats) {
    switch (s.op) {
      case SeatOp::kAddSeat:
        args.push_back("S+");
        break;
      case SeatOp::kRemoveSeat:
        args.push_back("S-");
        break;
      case SeatOp::kAddWaiting:
        args.push_back("W+");
        break;
      case SeatOp::kRemoveWaiting:
        args.push_back("W-");
        break;
    }
    args.push_back(s.employee_id);
    args.push_back(std::to_string(s.order));
  }
  args.push_back(std::to_string(c.outbox_entries.size()));
  for (const auto& o : c.outbox_entries) args.push_back(o);
  auto conn = pool_->Acquire();
  if (!conn.ok()) return conn.status();
  auto r = (*conn)->Eval(broadcast_script_, keys, args);
  if (!r.ok()) return r.status();
  return CommitCode(*r, "broadcast commit");
}

absl::StatusOr<Page> RedisCoursesStore::ListSeats(const std::string& t, const std::string& b,
                                                  bool waiting, int64_t offset, int limit) {
  auto conn = pool_->Acquire();
  if (!conn.ok()) return conn.status();
  auto r = (*conn)->Command({"ZRANGE", waiting ? WaitingKey(t, b) : SeatsKey(t, b),
                             std::to_string(offset), std::to_string(offset + limit)});
  if (!r.ok()) return r.status();
  if (r->is_error()) return ReplyError(*r, "a registration listing");
  Page page;
  for (auto& el : r->elements) page.ids.push_back(std::move(el.str));
  if (page.ids.size() > static_cast<size_t>(limit)) {
    page.ids.pop_back();
    page.more = true;
  }
  return page;
}

}  // namespace advocacy::courses
