#include "redis_courses_store.h"

#include <limits>

#include "absl/strings/numbers.h"
#include "advocacy/common/outbox.h"
#include "advocacy/common/status_macros.h"
#include "advocacy/common/strings.h"
#include "courses_domain.h"
#include "courses_lua.h"

namespace advocacy::courses {
namespace {

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

template <typename T>
absl::StatusOr<std::optional<T>> ParseOptional(const redis::Reply& r, std::string_view what) {
  if (r.is_nil()) return std::optional<T>();
  T value;
  if (!value.ParseFromString(r.str)) {
    return absl::DataLossError(advocacy::StrCat("a stored ", what, " cannot be decoded"));
  }
  return std::optional<T>(std::move(value));
}

template <typename T>
absl::StatusOr<std::vector<T>> ParseAll(const redis::Reply& r, std::string_view what) {
  std::vector<T> out;
  out.reserve(r.elements.size());
  for (const auto& el : r.elements) {
    T value;
    if (!value.ParseFromString(el.str)) {
      return absl::DataLossError(advocacy::StrCat("a stored ", what, " cannot be decoded"));
    }
    out.push_back(std::move(value));
  }
  return out;
}

absl::StatusOr<int64_t> ParseInt(const redis::Reply& r, std::string_view what) {
  if (r.is_nil()) return 0;
  if (r.is_integer()) return static_cast<int64_t>(r.integer);
  int64_t v = 0;
  if (!absl::SimpleAtoi(r.str, &v)) {
    return absl::DataLossError(advocacy::StrCat("the stored ", what, " is not a number"));
  }
  return v;
}

// The reply of learner_commit.lua and broadcast_commit.lua: {1, sequence} committed, cas_check's
// {0, current} sequence moved or {2, current} idempotency key taken.
absl::StatusOr<CommitResult> CommitCode(const redis::Reply& r, std::string_view what) {
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

// RefusedError for the first error reply of a pipeline, if any.
absl::Status FirstRefusal(const std::vector<redis::Reply>& replies, std::string_view what) {
  for (const auto& reply : replies) {
    if (reply.is_error()) return redis::RefusedError(reply, what);
  }
  return absl::OkStatus();
}

// Ids of a ZRANGE asked for one more than `limit`: the extra one tells that a page follows.
Page ToPage(redis::Reply reply, int limit) {
  Page page;
  for (auto& el : reply.elements) page.ids.push_back(std::move(el.str));
  if (page.ids.size() > static_cast<size_t>(limit)) {
    page.ids.pop_back();
    page.more = true;
  }
  return page;
}

// Broadcast hash "_seq" and "def", then the two ZCARDs, as read by LoadBroadcast(s).
absl::StatusOr<BroadcastSnapshot> SnapshotOf(const redis::Reply* replies) {
  BroadcastSnapshot snap;
  ASSIGN_OR_RETURN(snap.sequence, ParseInt(replies[0], "broadcast sequence"));
  ASSIGN_OR_RETURN(snap.broadcast,
                   ParseOptional<storage::v1::StoredBroadcast>(replies[1], "broadcast"));
  snap.registered_count = replies[2].integer;
  snap.waiting_count = replies[3].integer;
  return snap;
}

}  // namespace

RedisCoursesStore::RedisCoursesStore(redis::Pool* pool)
    : pool_(pool),
      tenant_script_(std::string(lua::kTenantPutLua)),
      learner_script_(std::string(lua::kLearnerCommitLua)),
      broadcast_script_(std::string(lua::kBroadcastCommitLua)) {}

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

absl::StatusOr<std::optional<storage::v1::StoredCourse>> RedisCoursesStore::GetCourse(
    const std::string& t, const std::string& c) {
  ASSIGN_OR_RETURN(const redis::Reply r, pool_->Run({"HGET", CourseKey(t), c}, "a course read"));
  return ParseOptional<storage::v1::StoredCourse>(r, "course");
}

absl::StatusOr<std::vector<v1::CourseSummary>> RedisCoursesStore::ListCourseSummaries(
    const std::string& t) {
  ASSIGN_OR_RETURN(const redis::Reply r,
                   pool_->Run({"HVALS", TenantKey(t, "cs")}, "a course listing"));
  return ParseAll<v1::CourseSummary>(r, "course summary");
}

absl::StatusOr<bool> RedisCoursesStore::TenantPut(
    const std::string& t, const std::string& values_key, const std::string& second_key,
    const std::string& rev_field, int64_t expected, int64_t revision, const std::string& field,
    const std::string& value, const std::string& second_value, const std::string& outbox_entry) {
  ASSIGN_OR_RETURN(const redis::Reply r,
                   pool_->Eval(tenant_script_,
                               {TenantKey(t, "rev"), values_key, second_key,
                                outbox::OutboxKey(kServiceName, TenantTag(t))},
                               {rev_field, std::to_string(expected), std::to_string(revision),
                                field, value, second_value, outbox_entry},
                               "a catalog write"));
  return r.integer == 1;
}

absl::StatusOr<bool> RedisCoursesStore::PutCourse(const CourseWrite& w) {
  const std::string& id = w.course.course().course_id();
  return TenantPut(w.tenant_id, CourseKey(w.tenant_id), TenantKey(w.tenant_id, "cs"),
                   advocacy::StrCat("c:", id), w.expected_revision, w.course.course().revision(),
                   id, w.course.SerializeAsString(), w.summary.SerializeAsString(), w.outbox_entry);
}

absl::StatusOr<std::optional<storage::v1::StoredChecklist>> RedisCoursesStore::GetChecklist(
    const std::string& t, const std::string& id) {
  ASSIGN_OR_RETURN(const redis::Reply r,
                   pool_->Run({"HGET", TenantKey(t, "k"), id}, "a checklist read"));
  return ParseOptional<storage::v1::StoredChecklist>(r, "checklist");
}

absl::StatusOr<std::vector<storage::v1::StoredChecklist>> RedisCoursesStore::ListChecklists(
    const std::string& t) {
  ASSIGN_OR_RETURN(const redis::Reply r,
                   pool_->Run({"HVALS", TenantKey(t, "k")}, "a checklist listing"));
  return ParseAll<storage::v1::StoredChecklist>(r, "checklist");
}

absl::StatusOr<bool> RedisCoursesStore::PutChecklist(const ChecklistWrite& w) {
  const std::string& id = w.checklist.checklist().checklist_id();
  const std::string key = TenantKey(w.tenant_id, "k");
  return TenantPut(w.tenant_id, key, key, advocacy::StrCat("k:", id), w.expected_revision,
                   w.checklist.checklist().revision(), id, w.checklist.SerializeAsString(), "", "");
}

absl::StatusOr<std::optional<v1::TenantPolicy>> RedisCoursesStore::GetPolicy(const std::string& t) {
  ASSIGN_OR_RETURN(const redis::Reply r,
                   pool_->Run({"HGET", TenantKey(t, "t"), "policy"}, "a tenant policy read"));
  return ParseOptional<v1::TenantPolicy>(r, "tenant policy");
}

absl::StatusOr<bool> RedisCoursesStore::PutPolicy(const PolicyWrite& w) {
  const std::string key = TenantKey(w.tenant_id, "t");
  return TenantPut(w.tenant_id, key, key, "policy", w.expected_revision, w.policy.revision(),
                   "policy", w.policy.SerializeAsString(), "", w.outbox_entry);
}

// ---- One employee --------------------------------------------------------------------------

absl::StatusOr<LearnerSnapshot> RedisCoursesStore::LoadLearner(const std::string& t,
                                                               const std::string& e) {
  ASSIGN_OR_RETURN(const redis::Reply r,
                   pool_->Run({"HGETALL", LearnerKey(t, e)}, "a progress read"));
  LearnerSnapshot snap;
  for (size_t i = 0; i + 1 < r.elements.size(); i += 2) {
    const std::string& field = r.elements[i].str;
    const std::string& value = r.elements[i + 1].str;
    if (field == "_seq") {
      if (!absl::SimpleAtoi(value, &snap.sequence)) {
        return absl::DataLossError("the stored progress sequence is not a number");
      }
    } else if (field.rfind("c:", 0) == 0) {
      storage::v1::StoredEnrollment en;
      if (!en.ParseFromString(value)) {
        return absl::DataLossError("a stored enrollment cannot be decoded");
      }
      snap.enrollments.emplace(field.substr(2), std::move(en));
    } else if (field.rfind("k:", 0) == 0) {
      storage::v1::StoredChecklistProgress p;
      if (!p.ParseFromString(value)) {
        return absl::DataLossError("a stored checklist progress cannot be decoded");
      }
      snap.checklists.emplace(field.substr(2), std::move(p));
    }
  }
  return snap;
}

absl::StatusOr<std::optional<storage::v1::IdempotencyRecord>> RedisCoursesStore::GetIdempotency(
    const std::string& key) {
  ASSIGN_OR_RETURN(const redis::Reply r, pool_->Run({"GET", key}, "an idempotency record read"));
  return ParseOptional<storage::v1::IdempotencyRecord>(r, "idempotency record");
}

absl::StatusOr<std::optional<storage::v1::IdempotencyRecord>>
RedisCoursesStore::GetLearnerIdempotency(const std::string& t, const std::string& e,
                                         const std::string& key) {
  return GetIdempotency(LearnerIdemKey(t, e, key));
}

absl::StatusOr<CommitResult> RedisCoursesStore::CommitLearner(const LearnerCommit& c) {
  const std::string& t = c.tenant_id;
  const std::string& e = c.employee_id;
  // Without an idempotency key the script still needs a same-slot key name; it is unused.
  std::vector<std::string> keys = {
      LearnerKey(t, e), LearnerIdemKey(t, e, c.idempotency_key.empty() ? "-" : c.idempotency_key),
      outbox::OutboxKey(kServiceName, LearnerTag(t, e))};
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
  ASSIGN_OR_RETURN(const redis::Reply r,
                   pool_->Eval(learner_script_, keys, args, "the progress commit"));
  return CommitCode(r, "progress commit");
}

absl::Status RedisCoursesStore::PutCertificateIndex(const std::string& t, const std::string& code,
                                                    const std::string& e, const std::string& c) {
  return pool_
      ->Run({"SET", TenantKey(t, advocacy::StrCat("v:", code)), advocacy::StrCat(e, "\x1f", c)},
            "a certificate index write")
      .status();
}

absl::StatusOr<CertificateHolder> RedisCoursesStore::FindCertificate(const std::string& t,
                                                                     const std::string& code) {
  ASSIGN_OR_RETURN(
      const redis::Reply r,
      pool_->Run({"GET", TenantKey(t, advocacy::StrCat("v:", code))}, "a certificate index read"));
  if (r.is_nil()) return CertificateHolder();
  const size_t sep = r.str.find('\x1f');
  if (sep == std::string::npos) {
    return absl::DataLossError("a certificate index entry is malformed");
  }
  return CertificateHolder(std::make_pair(r.str.substr(0, sep), r.str.substr(sep + 1)));
}

absl::Status RedisCoursesStore::RecordActivity(const std::string& t, const std::string& e,
                                               int64_t now_ms) {
  return pool_
      ->Run({"ZADD", kActiveKey, std::to_string(now_ms), LearnerTag(t, e)}, "an activity write")
      .status();
}

absl::StatusOr<int64_t> RedisCoursesStore::CountActiveLearners(int64_t since_ms) {
  ASSIGN_OR_RETURN(
      const std::vector<redis::Reply> r,
      pool_->Pipeline({{"ZREMRANGEBYSCORE", kActiveKey, "-inf", advocacy::StrCat("(", since_ms)},
                       {"ZCARD", kActiveKey}}));
  RETURN_IF_ERROR(FirstRefusal(r, "an activity count"));
  return static_cast<int64_t>(r[1].integer);
}

// ---- Broadcasts ----------------------------------------------------------------------------

absl::Status RedisCoursesStore::IndexBroadcast(const std::string& t, const std::string& b,
                                               int64_t starts_at_ms) {
  return pool_
      ->Run({"ZADD", TenantKey(t, "bx"), std::to_string(starts_at_ms), b},
            "a broadcast index write")
      .status();
}

absl::StatusOr<Page> RedisCoursesStore::ListBroadcastIds(const std::string& t, int64_t min_starts,
                                                         int64_t offset, int limit) {
  const std::string min =
      min_starts == std::numeric_limits<int64_t>::min() ? "-inf" : std::to_string(min_starts);
  ASSIGN_OR_RETURN(redis::Reply r,
                   pool_->Run({"ZRANGEBYSCORE", TenantKey(t, "bx"), min, "+inf", "LIMIT",
                               std::to_string(offset), std::to_string(limit + 1)},
                              "a broadcast listing"));
  return ToPage(std::move(r), limit);
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
  ASSIGN_OR_RETURN(std::vector<redis::Reply> r, pool_->Pipeline(cmds));
  RETURN_IF_ERROR(FirstRefusal(r, "a broadcast read"));
  ASSIGN_OR_RETURN(BroadcastSnapshot snap, SnapshotOf(r.data()));
  size_t next = 4;
  if (!e.empty()) {
    if (!r[next].is_nil()) {
      snap.status = v1::REGISTRATION_STATUS_REGISTERED;
    } else if (!r[next + 1].is_nil()) {
      snap.status = v1::REGISTRATION_STATUS_WAITLISTED;
      snap.waiting_position = r[next + 1].integer + 1;
    }
    next += 2;
  }
  if (waiting_head > 0) {
    for (auto& el : r[next].elements) snap.waiting_head.push_back(std::move(el.str));
  }
  return snap;
}

absl::StatusOr<std::vector<BroadcastSnapshot>> RedisCoursesStore::LoadBroadcasts(
    const std::string& t, const std::vector<std::string>& ids) {
  std::vector<BroadcastSnapshot> out;
  if (ids.empty()) return out;
  std::vector<std::vector<std::string>> cmds;
  for (const auto& b : ids) {
    const std::string hash = BroadcastKey(t, b);
    cmds.push_back({"HGET", hash, "_seq"});
    cmds.push_back({"HGET", hash, "def"});
    cmds.push_back({"ZCARD", SeatsKey(t, b)});
    cmds.push_back({"ZCARD", WaitingKey(t, b)});
  }
  ASSIGN_OR_RETURN(const std::vector<redis::Reply> r, pool_->Pipeline(cmds));
  RETURN_IF_ERROR(FirstRefusal(r, "a broadcast read"));
  for (size_t i = 0; i < ids.size(); ++i) {
    ASSIGN_OR_RETURN(BroadcastSnapshot snap, SnapshotOf(&r[4 * i]));
    out.push_back(std::move(snap));
  }
  return out;
}

absl::StatusOr<std::optional<storage::v1::IdempotencyRecord>>
RedisCoursesStore::GetBroadcastIdempotency(const std::string& t, const std::string& b,
                                           const std::string& e, const std::string& key) {
  return GetIdempotency(BroadcastIdemKey(t, b, e, key));
}

namespace {

std::string SeatOpCode(SeatOp op) {
  switch (op) {
    case SeatOp::kAddSeat:
      return "S+";
    case SeatOp::kRemoveSeat:
      return "S-";
    case SeatOp::kAddWaiting:
      return "W+";
    case SeatOp::kRemoveWaiting:
      return "W-";
  }
  return "";
}

}  // namespace

absl::StatusOr<CommitResult> RedisCoursesStore::CommitBroadcast(const BroadcastCommit& c) {
  const std::string& t = c.tenant_id;
  const std::string& b = c.broadcast_id;
  std::vector<std::string> keys = {
      BroadcastKey(t, b), SeatsKey(t, b), WaitingKey(t, b),
      BroadcastIdemKey(t, b, c.idempotency_employee_id,
                       c.idempotency_key.empty() ? "-" : c.idempotency_key),
      outbox::OutboxKey(kServiceName, BroadcastTag(t, b))};
  std::vector<std::string> args = {std::to_string(c.expected_sequence),
                                   std::to_string(c.new_sequence),
                                   c.idempotency_key.empty() ? "" : c.idempotency_record,
                                   std::to_string(c.idempotency_ttl_ms),
                                   c.broadcast.has_value() ? c.broadcast->SerializeAsString() : "",
                                   std::to_string(c.seats.size())};
  for (const auto& s : c.seats) {
    args.push_back(SeatOpCode(s.op));
    args.push_back(s.employee_id);
    args.push_back(std::to_string(s.order));
  }
  args.push_back(std::to_string(c.outbox_entries.size()));
  for (const auto& o : c.outbox_entries) args.push_back(o);
  ASSIGN_OR_RETURN(const redis::Reply r,
                   pool_->Eval(broadcast_script_, keys, args, "the broadcast commit"));
  return CommitCode(r, "broadcast commit");
}

absl::StatusOr<Page> RedisCoursesStore::ListSeats(const std::string& t, const std::string& b,
                                                  bool waiting, int64_t offset, int limit) {
  ASSIGN_OR_RETURN(redis::Reply r,
                   pool_->Run({"ZRANGE", waiting ? WaitingKey(t, b) : SeatsKey(t, b),
                               std::to_string(offset), std::to_string(offset + limit)},
                              "a registration listing"));
  return ToPage(std::move(r), limit);
}

}  // namespace advocacy::courses
