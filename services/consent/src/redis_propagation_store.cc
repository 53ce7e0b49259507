#include "redis_propagation_store.h"

#include <utility>

#include "absl/strings/numbers.h"
#include "advocacy/common/logging.h"
#include "advocacy/common/strings.h"
#include "consent_keys.h"

namespace advocacy::consent {
namespace {

// Records a receipt once, then forgets pending changes that every expected service applied.
// KEYS[1] receipts of the reporting service, KEYS[2] pending changes, KEYS[3..] receipts of
// every expected service. ARGV: sequence, applied ms, receipts kept.
// Returns 1 for the first receipt of that service and sequence, 0 for a repeat.
constexpr char kReceiptScript[] = R"lua(
local seq = tonumber(ARGV[1])
local keep = tonumber(ARGV[3])
local first = 0
if #redis.call('ZRANGEBYSCORE', KEYS[1], seq, seq, 'LIMIT', 0, 1) == 0 then
  local low = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
  -- A replay of a receipt that was already trimmed away is not new either.
  if redis.call('ZCARD', KEYS[1]) < keep or #low == 0 or seq > tonumber(low[2]) then
    redis.call('ZADD', KEYS[1], seq, ARGV[1] .. ':' .. ARGV[2])
    redis.call('ZREMRANGEBYRANK', KEYS[1], 0, -(keep + 1))
    first = 1
  end
end
if #KEYS > 2 then
  local done = nil
  for i = 3, #KEYS do
    local top = redis.call('ZREVRANGE', KEYS[i], 0, 0, 'WITHSCORES')
    local applied = 0
    if #top > 0 then applied = tonumber(top[2]) end
    if done == nil or applied < done then done = applied end
  end
  if done > 0 then redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', done) end
end
return first
)lua";

// KEYS[1] pending changes, KEYS[2..] receipts of each expected service. Returns, per service,
// the ack ms of the oldest pending change with a sequence above the highest one it applied
// (a receipt for sequence n covers every earlier change), or 0.
constexpr char kOldestScript[] = R"lua(
local out = {}
for i = 2, #KEYS do
  local top = redis.call('ZREVRANGE', KEYS[i], 0, 0, 'WITHSCORES')
  local applied = '0'
  if #top > 0 then applied = top[2] end
  local first = redis.call('ZRANGEBYSCORE', KEYS[1], '(' .. applied, '+inf', 'LIMIT', 0, 1)
  local ack = 0
  if #first > 0 then ack = tonumber(string.match(first[1], ':(%d+)$')) or 0 end
  out[#out + 1] = ack
end
return out
)lua";

// "<sequence>:<ms>" -> ms.
bool ParseMember(const std::string& member, int64_t* sequence, int64_t* ms) {
  const size_t colon = member.find(':');
  return colon != std::string::npos && absl::SimpleAtoi(member.substr(0, colon), sequence) &&
         absl::SimpleAtoi(member.substr(colon + 1), ms);
}

absl::Status ReplyError(const redis::Reply& r, std::string_view what) {
  return absl::InternalError(advocacy::StrCat("Redis refused ", what, ": ", r.DebugString()));
}

// "tenant/employee" -> parts; false for anything else.
bool SplitMember(const std::string& member, std::string* tenant, std::string* employee) {
  const size_t slash = member.find('/');
  if (slash == std::string::npos || slash == 0 || slash + 1 == member.size()) return false;
  *tenant = member.substr(0, slash);
  *employee = member.substr(slash + 1);
  return true;
}

}  // namespace

RedisPropagationStore::RedisPropagationStore(redis::Pool* pool, PropagationTracking tracking)
    : pool_(pool),
      tracking_(std::move(tracking)),
      receipt_script_(kReceiptScript),
      oldest_script_(kOldestScript) {}

absl::StatusOr<bool> RedisPropagationStore::RecordReceipt(const std::string& tenant_id,
                                                          const std::string& employee_id,
                                                          const std::string& service,
                                                          int64_t sequence, int64_t applied_ms) {
  std::vector<std::string> script_keys = {keys::Receipts(tenant_id, employee_id, service),
                                          keys::Pending(tenant_id, employee_id)};
  for (const std::string& s : tracking_.services) {
    script_keys.push_back(keys::Receipts(tenant_id, employee_id, s));
  }
  bool first = false;
  {
    auto conn = pool_->Acquire();
    if (!conn.ok()) return conn.status();
    auto r = (*conn)->Eval(receipt_script_, script_keys,
                           {std::to_string(sequence), std::to_string(applied_ms),
                            std::to_string(tracking_.receipts_kept)});
    if (!r.ok()) return r.status();
    if (r->is_error() || !r->is_integer()) return ReplyError(*r, "to record a receipt");
    first = r->integer == 1;
  }
  if (auto st = Reconcile(tenant_id, employee_id); !st.ok()) return st;
  return first;
}

absl::StatusOr<std::vector<ServiceReceipts>> RedisPropagationStore::LoadReceipts(
    const std::string& tenant_id, const std::string& employee_id,
    const std::vector<std::string>& services, int64_t sequence) {
  // All keys share the employee's slot: one pipeline, one round trip, one node on a cluster.
  std::vector<std::vector<std::string>> cmds;
  for (const std::string& s : services) {
    const std::string key = keys::Receipts(tenant_id, employee_id, s);
    cmds.push_back({"ZRANGEBYSCORE", key, std::to_string(sequence), "+inf", "LIMIT", "0", "1"});
    cmds.push_back({"ZREVRANGE", key, "0", "0"});
  }
  std::vector<ServiceReceipts> out(services.size());
  if (cmds.empty()) return out;
  auto conn = pool_->Acquire();
  if (!conn.ok()) return conn.status();
  auto replies = (*conn)->Pipeline(cmds);
  if (!replies.ok()) return replies.status();
  for (size_t i = 0; i < services.size(); ++i) {
    const redis::Reply& covering = (*replies)[2 * i];
    const redis::Reply& latest = (*replies)[2 * i + 1];
    if (covering.is_error() || latest.is_error()) return ReplyError(covering, "a receipts read");
    int64_t seq = 0;
    int64_t ms = 0;
    if (!covering.elements.empty()) {
      if (!ParseMember(covering.elements[0].str, &seq, &ms)) {
        return absl::DataLossError("a stored propagation receipt cannot be decoded");
      }
      out[i].covering = StoredReceipt{.sequence = seq, .applied_ms = ms};
    }
    if (!latest.elements.empty()) {
      if (!ParseMember(latest.elements[0].str, &seq, &ms)) {
        return absl::DataLossError("a stored propagation receipt cannot be decoded");
      }
      out[i].latest_sequence = seq;
    }
  }
  return out;
}

absl::StatusOr<std::vector<int64_t>> RedisPropagationStore::OldestPerService(
    redis::Connection& conn, const std::string& tenant_id, const std::string& employee_id) {
  std::vector<std::string> script_keys = {keys::Pending(tenant_id, employee_id)};
  for (const std::string& s : tracking_.services) {
    script_keys.push_back(keys::Receipts(tenant_id, employee_id, s));
  }
  auto r = conn.Eval(oldest_script_, script_keys, {});
  if (!r.ok()) return r.status();
  if (r->is_error() || !r->is_array() || r->elements.size() != tracking_.services.size()) {
    return ReplyError(*r, "to read unapplied changes");
  }
  std::vector<int64_t> out;
  out.reserve(r->elements.size());
  for (const auto& e : r->elements) out.push_back(e.integer);
  return out;
}

absl::Status RedisPropagationStore::Reconcile(const std::string& tenant_id,
                                              const std::string& employee_id) {
  if (tracking_.services.empty()) return absl::OkStatus();
  auto conn = pool_->Acquire();
  if (!conn.ok()) return conn.status();
  auto truth = OldestPerService(**conn, tenant_id, employee_id);
  if (!truth.ok()) return truth.status();
  const std::string member = keys::IndexMember(tenant_id, employee_id);
  std::vector<std::vector<std::string>> cmds;
  std::vector<size_t> removed;
  for (size_t i = 0; i < tracking_.services.size(); ++i) {
    const std::string index = keys::UnappliedIndex(tracking_.services[i]);
    if ((*truth)[i] > 0) {
      cmds.push_back({"ZADD", index, std::to_string((*truth)[i]), member});
    } else {
      cmds.push_back({"ZREM", index, member});
      removed.push_back(i);
    }
  }
  auto replies = (*conn)->Pipeline(cmds);
  if (!replies.ok()) return replies.status();
  for (const auto& r : *replies) {
    if (r.is_error()) return ReplyError(r, "an unapplied-index update");
  }
  if (removed.empty()) return absl::OkStatus();
  // A change committed between the read above and the ZREM had its own ZADD NX swallowed by the
  // entry we just removed: read again and put back what is pending now.
  auto again = OldestPerService(**conn, tenant_id, employee_id);
  if (!again.ok()) return again.status();
  cmds.clear();
  for (size_t i : removed) {
    if ((*again)[i] > 0) {
      cmds.push_back({"ZADD", keys::UnappliedIndex(tracking_.services[i]),
                      std::to_string((*again)[i]), member});
    }
  }
  if (cmds.empty()) return absl::OkStatus();
  replies = (*conn)->Pipeline(cmds);
  if (!replies.ok()) return replies.status();
  for (const auto& r : *replies) {
    if (r.is_error()) return ReplyError(r, "an unapplied-index update");
  }
  return absl::OkStatus();
}

absl::StatusOr<std::optional<int64_t>> RedisPropagationStore::OldestUnapplied(
    const std::string& service) {
  size_t slot = tracking_.services.size();
  for (size_t i = 0; i < tracking_.services.size(); ++i) {
    if (tracking_.services[i] == service) slot = i;
  }
  if (slot == tracking_.services.size()) return std::optional<int64_t>();
  const std::string index = keys::UnappliedIndex(service);
  // Each round checks the head against the employee's truth; a stale head is corrected and the
  // next one checked. Bounded, so one slow scrape cannot spin: past the bound the (possibly
  // too old) head is reported, which errs on the side of alerting.
  constexpr int kMaxCorrections = 64;
  std::optional<int64_t> head_score;
  for (int round = 0; round <= kMaxCorrections; ++round) {
    std::string member;
    {
      auto conn = pool_->Acquire();
      if (!conn.ok()) return conn.status();
      auto head = (*conn)->Command({"ZRANGE", index, "0", "0", "WITHSCORES"});
      if (!head.ok()) return head.status();
      if (head->is_error()) return ReplyError(*head, "an unapplied-index read");
      if (head->elements.size() < 2) return std::optional<int64_t>();
      member = head->elements[0].str;
      int64_t score = 0;
      // Scores come back as text; integral milliseconds print without a fraction.
      if (!absl::SimpleAtoi(head->elements[1].str, &score)) {
        double d = 0;
        if (!absl::SimpleAtod(head->elements[1].str, &d)) {
          return absl::DataLossError("an unapplied-index score is not a number");
        }
        score = static_cast<int64_t>(d);
      }
      head_score = score;
      std::string tenant;
      std::string employee;
      if (!SplitMember(member, &tenant, &employee)) {
        log::Warning("dropping a malformed entry of the unapplied-change index",
                     {{"index", index}, {"member", member}});
        auto removed = (*conn)->Command({"ZREM", index, member});
        if (!removed.ok()) return removed.status();
        continue;
      }
      auto truth = OldestPerService(**conn, tenant, employee);
      if (!truth.ok()) return truth.status();
      if ((*truth)[slot] == score) return head_score;
    }
    std::string tenant;
    std::string employee;
    SplitMember(member, &tenant, &employee);
    if (auto st = Reconcile(tenant, employee); !st.ok()) return st;
  }
  return head_score;
}

absl::StatusOr<int64_t> RedisPropagationStore::Reindex() {
  if (tracking_.services.empty()) return int64_t{0};
  std::string cursor = "0";
  int64_t seen = 0;
  do {
    std::vector<std::string> found;
    {
      auto conn = pool_->Acquire();
      if (!conn.ok()) return conn.status();
      auto r = (*conn)->Command(
          {"SCAN", cursor, "MATCH", std::string(keys::kPendingPattern), "COUNT", "1000"});
      if (!r.ok()) return r.status();
      if (r->is_error() || r->elements.size() != 2) return ReplyError(*r, "a SCAN");
      cursor = r->elements[0].str;
      for (auto& k : r->elements[1].elements) found.push_back(std::move(k.str));
    }
    for (const std::string& key : found) {
      const size_t open = key.find('{');
      const size_t close = key.find('}', open);
      if (open == std::string::npos || close == std::string::npos) continue;
      const std::string tag = key.substr(open + 1, close - open - 1);
      // Tenant ids never contain ':', employee ids may: split at the first one.
      const size_t colon = tag.find(':');
      if (colon == std::string::npos) continue;
      if (auto st = Reconcile(tag.substr(0, colon), tag.substr(colon + 1)); !st.ok()) return st;
      ++seen;
    }
  } while (cursor != "0");
  return seen;
}

}  // namespace advocacy::consent
