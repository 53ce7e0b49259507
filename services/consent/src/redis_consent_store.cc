#include "redis_consent_store.h"

#include <utility>

#include "absl/strings/numbers.h"
#include "advocacy/common/logging.h"
#include "advocacy/common/outbox.h"
#include "advocacy/common/strings.h"
#include "consent_keys.h"

namespace advocacy::consent {
namespace {

// Compare-and-set commit of one employee change. Returns {code, sequence}:
// 1 committed, 0 sequence moved, 2 idempotency key taken meanwhile.
// KEYS: scopes hash, ledger, idempotency record, outbox list, pending changes.
// ARGV: expected seq, new seq, ledger entry, outbox entry, idempotency record, idempotency ttl,
// scope count, acknowledged ms ('' = not tracked), pending kept, then field/value pairs.
constexpr char kCommitScript[] = R"lua(
local cur = tonumber(redis.call('HGET', KEYS[1], '_seq') or '0')
if cur ~= tonumber(ARGV[1]) then return {0, cur} end
if ARGV[5] ~= '' then
  if not redis.call('SET', KEYS[3], ARGV[5], 'NX', 'PX', ARGV[6]) then return {2, cur} end
end
local n = tonumber(ARGV[7])
if n > 0 then
  local args = {'_seq', ARGV[2]}
  for i = 1, n do
    args[#args + 1] = ARGV[8 + 2 * i]
    args[#args + 1] = ARGV[9 + 2 * i]
  end
  redis.call('HSET', KEYS[1], unpack(args))
end
if ARGV[3] ~= '' then redis.call('RPUSH', KEYS[2], ARGV[3]) end
if ARGV[4] ~= '' then redis.call('RPUSH', KEYS[4], ARGV[4]) end
if n > 0 and ARGV[8] ~= '' then
  redis.call('ZADD', KEYS[5], ARGV[2], ARGV[2] .. ':' .. ARGV[8])
  redis.call('ZREMRANGEBYRANK', KEYS[5], 0, -(tonumber(ARGV[9]) + 1))
end
return {1, tonumber(ARGV[2])}
)lua";

// Compare-and-set publication of a notice: ordinal moves by one, version must be new.
constexpr char kNoticeScript[] = R"lua(
local cur = tonumber(redis.call('HGET', KEYS[1], '_ordinal') or '0')
if cur ~= tonumber(ARGV[1]) then return 0 end
if redis.call('HEXISTS', KEYS[1], 'v:' .. ARGV[2]) == 1 then return 0 end
redis.call('HSET', KEYS[1], 'v:' .. ARGV[2], ARGV[3], '_ordinal', cur + 1, '_current', ARGV[2])
if ARGV[4] == '1' then redis.call('HSET', KEYS[1], '_material', cur + 1) end
redis.call('RPUSH', KEYS[2], ARGV[5])
return 1
)lua";

std::string ScopesKey(const std::string& t, const std::string& e) { return keys::Scopes(t, e); }
std::string LedgerKey(const std::string& t, const std::string& e) { return keys::Ledger(t, e); }
std::string IdemKey(const std::string& t, const std::string& e, const std::string& k) {
  return keys::Idempotency(t, e, k);
}
std::string NoticeKey(const std::string& t) { return keys::Notices(t); }

absl::Status ReplyError(const redis::Reply& r, std::string_view what) {
  return absl::InternalError(advocacy::StrCat("Redis refused ", what, ": ", r.str));
}

absl::StatusOr<std::optional<storage::StoredScope>> ParseScope(const redis::Reply& r) {
  if (r.is_error()) return ReplyError(r, "a consent read");
  if (r.is_nil()) return std::optional<storage::StoredScope>();
  storage::StoredScope s;
  if (!s.ParseFromString(r.str)) {
    return absl::DataLossError("a stored consent record cannot be decoded");
  }
  return std::optional<storage::StoredScope>(std::move(s));
}

}  // namespace

RedisConsentStore::RedisConsentStore(redis::Pool* pool, PropagationTracking tracking)
    : pool_(pool),
      tracking_(std::move(tracking)),
      commit_script_(kCommitScript),
      notice_script_(kNoticeScript) {}

absl::StatusOr<Snapshot> RedisConsentStore::Load(const std::string& tenant_id,
                                                 const std::string& employee_id) {
  auto conn = pool_->Acquire();
  if (!conn.ok()) return conn.status();
  auto r = (*conn)->Command({"HGETALL", ScopesKey(tenant_id, employee_id)});
  if (!r.ok()) return r.status();
  if (r->is_error()) return ReplyError(*r, "a consent read");
  Snapshot snap;
  for (size_t i = 0; i + 1 < r->elements.size(); i += 2) {
    const std::string& field = r->elements[i].str;
    const std::string& value = r->elements[i + 1].str;
    if (field == "_seq") {
      if (!absl::SimpleAtoi(value, &snap.sequence)) {
        return absl::DataLossError("the stored consent sequence is not a number");
      }
      continue;
    }
    storage::StoredScope s;
    if (!s.ParseFromString(value))
      return absl::DataLossError("a stored consent record cannot be decoded");
    snap.scopes.emplace(field, std::move(s));
  }
  return snap;
}

absl::StatusOr<std::optional<storage::StoredScope>> RedisConsentStore::GetScope(
    const std::string& tenant_id, const std::string& employee_id, const std::string& field) {
  auto conn = pool_->Acquire();
  if (!conn.ok()) return conn.status();
  auto r = (*conn)->Command({"HGET", ScopesKey(tenant_id, employee_id), field});
  if (!r.ok()) return r.status();
  return ParseScope(*r);
}

absl::StatusOr<std::vector<std::optional<storage::StoredScope>>> RedisConsentStore::GetScopeBatch(
    const std::string& tenant_id, const std::vector<std::string>& employee_ids,
    const std::string& field) {
  auto conn = pool_->Acquire();
  if (!conn.ok()) return conn.status();
  std::vector<std::optional<storage::StoredScope>> out;
  out.reserve(employee_ids.size());
  // Pipelined in chunks: one round trip per chunk, bounded buffers on both sides.
  constexpr size_t kChunk = 1000;
  for (size_t start = 0; start < employee_ids.size(); start += kChunk) {
    const size_t end = std::min(employee_ids.size(), start + kChunk);
    std::vector<std::vector<std::string>> cmds;
    cmds.reserve(end - start);
    for (size_t i = start; i < end; ++i) {
      cmds.push_back({"HGET", ScopesKey(tenant_id, employee_ids[i]), field});
    }
    auto replies = (*conn)->Pipeline(cmds);
    if (!replies.ok()) return replies.status();
    for (const auto& r : *replies) {
      auto s = ParseScope(r);
      if (!s.ok()) return s.status();
      out.push_back(std::move(*s));
    }
  }
  return out;
}

absl::StatusOr<std::optional<storage::IdempotencyRecord>> RedisConsentStore::GetIdempotency(
    const std::string& tenant_id, const std::string& employee_id, const std::string& key) {
  auto conn = pool_->Acquire();
  if (!conn.ok()) return conn.status();
  auto r = (*conn)->Command({"GET", IdemKey(tenant_id, employee_id, key)});
  if (!r.ok()) return r.status();
  if (r->is_error()) return ReplyError(*r, "an idempotency read");
  if (r->is_nil()) return std::optional<storage::IdempotencyRecord>();
  storage::IdempotencyRecord rec;
  if (!rec.ParseFromString(r->str))
    return absl::DataLossError("an idempotency record cannot be decoded");
  return std::optional<storage::IdempotencyRecord>(std::move(rec));
}

absl::StatusOr<CommitResult> RedisConsentStore::Commit(const EmployeeCommit& c) {
  const std::string& t = c.tenant_id;
  const std::string& e = c.employee_id;
  std::vector<std::string> script_keys = {
      ScopesKey(t, e), LedgerKey(t, e),
      // Without an idempotency key the script still needs a same-slot key name; it is unused.
      IdemKey(t, e, c.idempotency_key.empty() ? "-" : c.idempotency_key),
      outbox::OutboxKey(advocacy::StrCat(t, ":", e)), keys::Pending(t, e)};
  const bool track = c.acknowledged_ms > 0 && !tracking_.services.empty() && !c.scopes.empty();
  std::vector<std::string> args = {std::to_string(c.expected_sequence),
                                   std::to_string(c.new_sequence),
                                   c.ledger_entry,
                                   c.outbox_entry,
                                   c.idempotency_key.empty() ? "" : c.idempotency_record,
                                   std::to_string(c.idempotency_ttl_ms),
                                   std::to_string(c.scopes.size()),
                                   track ? std::to_string(c.acknowledged_ms) : "",
                                   std::to_string(tracking_.pending_kept)};
  for (const auto& s : c.scopes) {
    args.push_back(ScopeField(s.scope()));
    args.push_back(s.SerializeAsString());
  }
  auto conn = pool_->Acquire();
  if (!conn.ok()) return conn.status();
  auto r = (*conn)->Eval(commit_script_, script_keys, args);
  if (!r.ok()) return r.status();
  if (r->is_error()) return ReplyError(*r, "the consent commit");
  if (r->elements.size() != 2)
    return absl::InternalError("unexpected reply from the consent commit");
  switch (r->elements[0].integer) {
    case 1:
      if (track) IndexPending(**conn, t, e, c.acknowledged_ms);
      return CommitResult::kCommitted;
    case 0:
      return CommitResult::kSequenceConflict;
    default:
      return CommitResult::kIdempotencyConflict;
  }
}

void RedisConsentStore::IndexPending(redis::Connection& conn, const std::string& t,
                                     const std::string& e, int64_t acknowledged_ms) {
  // A separate write, not part of the commit script: the index is one global key per service,
  // in another hash slot than the employee (Redis Cluster runs a script on one slot only). NX
  // keeps an older entry, which already makes the employee count as waiting. If this write is
  // lost (a crash right after the commit), the pending record written by the commit script
  // brings it back: the next receipt of the employee, or Reindex() at start, re-indexes it.
  std::vector<std::vector<std::string>> cmds;
  const std::string member = keys::IndexMember(t, e);
  for (const std::string& service : tracking_.services) {
    cmds.push_back(
        {"ZADD", keys::UnappliedIndex(service), "NX", std::to_string(acknowledged_ms), member});
  }
  auto replies = conn.Pipeline(cmds);
  std::string failure;
  if (!replies.ok()) {
    failure = std::string(replies.status().message());
  } else {
    for (const auto& reply : *replies) {
      if (reply.is_error()) failure = reply.str;
    }
  }
  if (!failure.empty()) {
    // The change itself is committed; only the gauge may under-report until the re-index.
    log::Warning("a committed consent change could not be added to the unapplied-change index",
                 {{"tenant", t}, {"employee", e}, {"error", failure}});
  }
}

absl::StatusOr<LedgerPage> RedisConsentStore::ListLedger(const std::string& tenant_id,
                                                         const std::string& employee_id,
                                                         int64_t first_sequence, int limit) {
  auto conn = pool_->Acquire();
  if (!conn.ok()) return conn.status();
  // One extra entry tells whether another page follows.
  auto r = (*conn)->Command({"LRANGE", LedgerKey(tenant_id, employee_id),
                             std::to_string(first_sequence - 1),
                             std::to_string(first_sequence - 1 + limit)});
  if (!r.ok()) return r.status();
  if (r->is_error()) return ReplyError(*r, "a ledger read");
  LedgerPage page;
  for (auto& el : r->elements) page.entries.push_back(std::move(el.str));
  if (page.entries.size() > static_cast<size_t>(limit)) {
    page.entries.pop_back();
    page.more = true;
  }
  return page;
}

absl::StatusOr<std::optional<v1::Notice>> RedisConsentStore::GetNotice(const std::string& tenant_id,
                                                                       const std::string& version) {
  auto conn = pool_->Acquire();
  if (!conn.ok()) return conn.status();
  auto r = (*conn)->Command({"HGET", NoticeKey(tenant_id), advocacy::StrCat("v:", version)});
  if (!r.ok()) return r.status();
  if (r->is_error()) return ReplyError(*r, "a notice read");
  if (r->is_nil()) return std::optional<v1::Notice>();
  v1::Notice n;
  if (!n.ParseFromString(r->str)) return absl::DataLossError("a stored notice cannot be decoded");
  return std::optional<v1::Notice>(std::move(n));
}

absl::StatusOr<std::optional<v1::Notice>> RedisConsentStore::GetCurrentNotice(
    const std::string& tenant_id) {
  std::string current;
  {
    auto conn = pool_->Acquire();
    if (!conn.ok()) return conn.status();
    auto r = (*conn)->Command({"HGET", NoticeKey(tenant_id), "_current"});
    if (!r.ok()) return r.status();
    if (r->is_error()) return ReplyError(*r, "a notice read");
    if (r->is_nil()) return std::optional<v1::Notice>();
    current = r->str;
  }
  return GetNotice(tenant_id, current);
}

absl::StatusOr<std::pair<int64_t, int64_t>> RedisConsentStore::GetNoticeOrdinals(
    const std::string& tenant_id) {
  auto conn = pool_->Acquire();
  if (!conn.ok()) return conn.status();
  auto r = (*conn)->Command({"HMGET", NoticeKey(tenant_id), "_material", "_ordinal"});
  if (!r.ok()) return r.status();
  if (r->is_error() || r->elements.size() != 2) return ReplyError(*r, "a notice read");
  std::pair<int64_t, int64_t> out{0, 0};
  if (!r->elements[0].is_nil() && !absl::SimpleAtoi(r->elements[0].str, &out.first)) {
    return absl::DataLossError("the stored material notice ordinal is not a number");
  }
  if (!r->elements[1].is_nil() && !absl::SimpleAtoi(r->elements[1].str, &out.second)) {
    return absl::DataLossError("the stored notice ordinal is not a number");
  }
  return out;
}

absl::StatusOr<bool> RedisConsentStore::CommitNotice(const NoticeCommit& c) {
  auto conn = pool_->Acquire();
  if (!conn.ok()) return conn.status();
  auto r = (*conn)->Eval(
      notice_script_, {NoticeKey(c.tenant_id), outbox::OutboxKey(c.tenant_id)},
      {std::to_string(c.expected_ordinal), c.notice.version(), c.notice.SerializeAsString(),
       c.notice.material() ? "1" : "0", c.outbox_entry});
  if (!r.ok()) return r.status();
  if (r->is_error()) return ReplyError(*r, "the notice commit");
  return r->integer == 1;
}

}  // namespace advocacy::consent
