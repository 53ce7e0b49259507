#include "redis_consent_store.h"

#include <algorithm>
#include <utility>

#include "absl/strings/numbers.h"
#include "advocacy/common/logging.h"
#include "advocacy/common/outbox.h"
#include "advocacy/common/status_macros.h"
#include "advocacy/common/strings.h"
#include "consent_keys.h"
#include "consent_lua.h"

namespace advocacy::consent {
namespace {

absl::StatusOr<std::optional<storage::v1::StoredScope>> ParseScope(const redis::Reply& r) {
  if (r.is_nil()) return std::optional<storage::v1::StoredScope>();
  storage::v1::StoredScope s;
  if (!s.ParseFromString(r.str)) {
    return absl::DataLossError("a stored consent record cannot be decoded");
  }
  return std::optional<storage::v1::StoredScope>(std::move(s));
}

}  // namespace

RedisConsentStore::RedisConsentStore(redis::Pool* pool, PropagationTracking tracking)
    : pool_(pool),
      tracking_(std::move(tracking)),
      commit_script_(std::string(lua::kCommitChangeLua)),
      notice_script_(std::string(lua::kPublishNoticeLua)) {}

absl::StatusOr<Snapshot> RedisConsentStore::Load(const std::string& tenant_id,
                                                 const std::string& employee_id) {
  ASSIGN_OR_RETURN(redis::Reply r,
                   pool_->Run({"HGETALL", keys::Scopes(tenant_id, employee_id)}, "a consent read"));
  Snapshot snap;
  for (size_t i = 0; i + 1 < r.elements.size(); i += 2) {
    const std::string& field = r.elements[i].str;
    const std::string& value = r.elements[i + 1].str;
    if (field == "_seq") {
      if (!absl::SimpleAtoi(value, &snap.sequence)) {
        return absl::DataLossError("the stored consent sequence is not a number");
      }
      continue;
    }
    storage::v1::StoredScope s;
    if (!s.ParseFromString(value)) {
      return absl::DataLossError("a stored consent record cannot be decoded");
    }
    snap.scopes.emplace(field, std::move(s));
  }
  return snap;
}

absl::StatusOr<std::optional<storage::v1::StoredScope>> RedisConsentStore::GetScope(
    const std::string& tenant_id, const std::string& employee_id, const std::string& field) {
  ASSIGN_OR_RETURN(redis::Reply r, pool_->Run({"HGET", keys::Scopes(tenant_id, employee_id), field},
                                              "a consent read"));
  return ParseScope(r);
}

absl::StatusOr<std::vector<std::optional<storage::v1::StoredScope>>>
RedisConsentStore::GetScopeBatch(const std::string& tenant_id,
                                 const std::vector<std::string>& employee_ids,
                                 const std::string& field) {
  std::vector<std::optional<storage::v1::StoredScope>> out;
  out.reserve(employee_ids.size());
  // Pipelined in chunks: one round trip per chunk, bounded buffers on both sides.
  constexpr size_t kChunk = 1000;
  for (size_t start = 0; start < employee_ids.size(); start += kChunk) {
    const size_t end = std::min(employee_ids.size(), start + kChunk);
    std::vector<std::vector<std::string>> cmds;
    cmds.reserve(end - start);
    for (size_t i = start; i < end; ++i) {
      cmds.push_back({"HGET", keys::Scopes(tenant_id, employee_ids[i]), field});
    }
    ASSIGN_OR_RETURN(std::vector<redis::Reply> replies, pool_->Pipeline(cmds));
    for (const auto& r : replies) {
      if (r.is_error()) return redis::RefusedError(r, "a consent read");
      ASSIGN_OR_RETURN(std::optional<storage::v1::StoredScope> s, ParseScope(r));
      out.push_back(std::move(s));
    }
  }
  return out;
}

absl::StatusOr<std::optional<storage::v1::IdempotencyRecord>> RedisConsentStore::GetIdempotency(
    const std::string& tenant_id, const std::string& employee_id, const std::string& key) {
  ASSIGN_OR_RETURN(
      redis::Reply r,
      pool_->Run({"GET", keys::Idempotency(tenant_id, employee_id, key)}, "an idempotency read"));
  if (r.is_nil()) return std::optional<storage::v1::IdempotencyRecord>();
  storage::v1::IdempotencyRecord rec;
  if (!rec.ParseFromString(r.str)) {
    return absl::DataLossError("an idempotency record cannot be decoded");
  }
  return std::optional<storage::v1::IdempotencyRecord>(std::move(rec));
}

absl::StatusOr<CommitResult> RedisConsentStore::Commit(const EmployeeCommit& c) {
  const std::string& t = c.tenant_id;
  const std::string& e = c.employee_id;
  std::vector<std::string> script_keys = {
      keys::Scopes(t, e), keys::Ledger(t, e),
      // Without an idempotency key the script still needs a same-slot key name; it is unused.
      keys::Idempotency(t, e, c.idempotency_key.empty() ? "-" : c.idempotency_key),
      outbox::OutboxKey(kServiceName, StrCat(t, ":", e)), keys::Pending(t, e)};
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
  ASSIGN_OR_RETURN(redis::Reply r,
                   pool_->Eval(commit_script_, script_keys, args, "the consent commit"));
  if (r.elements.size() != 2) {
    return absl::InternalError("unexpected reply from the consent commit");
  }
  switch (r.elements[0].integer) {
    case 1:
      if (track) IndexPending(t, e, c.acknowledged_ms);
      return CommitResult::kCommitted;
    case 0:
      return CommitResult::kSequenceConflict;
    default:
      return CommitResult::kIdempotencyConflict;
  }
}

void RedisConsentStore::IndexPending(const std::string& t, const std::string& e,
                                     int64_t acknowledged_ms) {
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
  absl::StatusOr<std::vector<redis::Reply>> replies = pool_->Pipeline(cmds);
  absl::Status failure = replies.status();
  if (replies.ok()) {
    for (const auto& reply : *replies) {
      if (reply.is_error()) failure = redis::RefusedError(reply, "an unapplied-index update");
    }
  }
  if (!failure.ok()) {
    // The change itself is committed; only the gauge may under-report until the re-index.
    log::Warning("a committed consent change could not be added to the unapplied-change index",
                 {{"tenant", t}, {"employee", e}, {"error", std::string(failure.message())}});
  }
}

absl::StatusOr<LedgerPage> RedisConsentStore::ListLedger(const std::string& tenant_id,
                                                         const std::string& employee_id,
                                                         int64_t first_sequence, int limit) {
  // One extra entry tells whether another page follows.
  ASSIGN_OR_RETURN(redis::Reply r, pool_->Run({"LRANGE", keys::Ledger(tenant_id, employee_id),
                                               std::to_string(first_sequence - 1),
                                               std::to_string(first_sequence - 1 + limit)},
                                              "a ledger read"));
  LedgerPage page;
  for (auto& el : r.elements) page.entries.push_back(std::move(el.str));
  if (page.entries.size() > static_cast<size_t>(limit)) {
    page.entries.pop_back();
    page.more = true;
  }
  return page;
}

absl::StatusOr<std::optional<v1::Notice>> RedisConsentStore::GetNotice(const std::string& tenant_id,
                                                                       const std::string& version) {
  ASSIGN_OR_RETURN(
      redis::Reply r,
      pool_->Run({"HGET", keys::Notices(tenant_id), StrCat("v:", version)}, "a notice read"));
  if (r.is_nil()) return std::optional<v1::Notice>();
  v1::Notice n;
  if (!n.ParseFromString(r.str)) return absl::DataLossError("a stored notice cannot be decoded");
  return std::optional<v1::Notice>(std::move(n));
}

absl::StatusOr<std::optional<v1::Notice>> RedisConsentStore::GetCurrentNotice(
    const std::string& tenant_id) {
  ASSIGN_OR_RETURN(redis::Reply current,
                   pool_->Run({"HGET", keys::Notices(tenant_id), "_current"}, "a notice read"));
  if (current.is_nil()) return std::optional<v1::Notice>();
  return GetNotice(tenant_id, current.str);
}

absl::StatusOr<std::pair<int64_t, int64_t>> RedisConsentStore::GetNoticeOrdinals(
    const std::string& tenant_id) {
  ASSIGN_OR_RETURN(
      redis::Reply r,
      pool_->Run({"HMGET", keys::Notices(tenant_id), "_material", "_ordinal"}, "a notice read"));
  if (r.elements.size() != 2) return redis::RefusedError(r, "a notice read");
  std::pair<int64_t, int64_t> out{0, 0};
  if (!r.elements[0].is_nil() && !absl::SimpleAtoi(r.elements[0].str, &out.first)) {
    return absl::DataLossError("the stored material notice ordinal is not a number");
  }
  if (!r.elements[1].is_nil() && !absl::SimpleAtoi(r.elements[1].str, &out.second)) {
    return absl::DataLossError("the stored notice ordinal is not a number");
  }
  return out;
}

absl::StatusOr<bool> RedisConsentStore::CommitNotice(const NoticeCommit& c) {
  ASSIGN_OR_RETURN(
      redis::Reply r,
      pool_->Eval(notice_script_,
                  {keys::Notices(c.tenant_id), outbox::OutboxKey(kServiceName, c.tenant_id)},
                  {std::to_string(c.expected_ordinal), c.notice.version(),
                   c.notice.SerializeAsString(), c.notice.material() ? "1" : "0", c.outbox_entry},
                  "the notice commit"));
  return r.integer == 1;
}

}  // namespace advocacy::consent
