#include "redis_propagation_store.h"

#include <utility>

#include "absl/strings/numbers.h"
#include "advocacy/common/logging.h"
#include "advocacy/common/status_macros.h"
#include "advocacy/common/strings.h"
#include "consent_keys.h"
#include "consent_lua.h"

namespace advocacy::consent {
namespace {

// "<sequence>:<ms>" -> ms.
bool ParseMember(const std::string& member, int64_t* sequence, int64_t* ms) {
  const size_t colon = member.find(':');
  return colon != std::string::npos && absl::SimpleAtoi(member.substr(0, colon), sequence) &&
         absl::SimpleAtoi(member.substr(colon + 1), ms);
}

// A sorted-set score as Redis prints it; integral milliseconds print without a fraction.
absl::StatusOr<int64_t> ParseScore(const std::string& text) {
  int64_t score = 0;
  if (absl::SimpleAtoi(text, &score)) return score;
  double d = 0;
  if (!absl::SimpleAtod(text, &d)) {
    return absl::DataLossError("an unapplied-index score is not a number");
  }
  return static_cast<int64_t>(d);
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
      receipt_script_(std::string(lua::kRecordReceiptLua)),
      oldest_script_(std::string(lua::kOldestUnappliedLua)) {}

absl::StatusOr<bool> RedisPropagationStore::RecordReceipt(const std::string& tenant_id,
                                                          const std::string& employee_id,
                                                          const std::string& service,
                                                          int64_t sequence, int64_t applied_ms) {
  std::vector<std::string> script_keys = {keys::Receipts(tenant_id, employee_id, service),
                                          keys::Pending(tenant_id, employee_id)};
  for (const std::string& s : tracking_.services) {
    script_keys.push_back(keys::Receipts(tenant_id, employee_id, s));
  }
  ASSIGN_OR_RETURN(redis::Reply r,
                   pool_->Eval(receipt_script_, script_keys,
                               {std::to_string(sequence), std::to_string(applied_ms),
                                std::to_string(tracking_.receipts_kept)},
                               "to record a receipt"));
  if (!r.is_integer()) return redis::RefusedError(r, "to record a receipt");
  RETURN_IF_ERROR(Reconcile(tenant_id, employee_id));
  return r.integer == 1;
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
  ASSIGN_OR_RETURN(std::vector<redis::Reply> replies, pool_->Pipeline(cmds));
  for (size_t i = 0; i < services.size(); ++i) {
    const redis::Reply& covering = replies[2 * i];
    const redis::Reply& latest = replies[2 * i + 1];
    if (covering.is_error()) return redis::RefusedError(covering, "a receipts read");
    if (latest.is_error()) return redis::RefusedError(latest, "a receipts read");
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
    const std::string& tenant_id, const std::string& employee_id) {
  std::vector<std::string> script_keys = {keys::Pending(tenant_id, employee_id)};
  for (const std::string& s : tracking_.services) {
    script_keys.push_back(keys::Receipts(tenant_id, employee_id, s));
  }
  ASSIGN_OR_RETURN(redis::Reply r,
                   pool_->Eval(oldest_script_, script_keys, {}, "to read unapplied changes"));
  if (!r.is_array() || r.elements.size() != tracking_.services.size()) {
    return redis::RefusedError(r, "to read unapplied changes");
  }
  std::vector<int64_t> out;
  out.reserve(r.elements.size());
  for (const auto& e : r.elements) out.push_back(e.integer);
  return out;
}

absl::Status RedisPropagationStore::RunIndexUpdates(
    const std::vector<std::vector<std::string>>& cmds) {
  ASSIGN_OR_RETURN(std::vector<redis::Reply> replies, pool_->Pipeline(cmds));
  for (const auto& r : replies) {
    if (r.is_error()) return redis::RefusedError(r, "an unapplied-index update");
  }
  return absl::OkStatus();
}

absl::Status RedisPropagationStore::Reconcile(const std::string& tenant_id,
                                              const std::string& employee_id) {
  if (tracking_.services.empty()) return absl::OkStatus();
  ASSIGN_OR_RETURN(std::vector<int64_t> truth, OldestPerService(tenant_id, employee_id));
  const std::string member = keys::IndexMember(tenant_id, employee_id);
  std::vector<std::vector<std::string>> cmds;
  std::vector<size_t> removed;
  for (size_t i = 0; i < tracking_.services.size(); ++i) {
    const std::string index = keys::UnappliedIndex(tracking_.services[i]);
    if (truth[i] > 0) {
      cmds.push_back({"ZADD", index, std::to_string(truth[i]), member});
    } else {
      cmds.push_back({"ZREM", index, member});
      removed.push_back(i);
    }
  }
  RETURN_IF_ERROR(RunIndexUpdates(cmds));
  if (removed.empty()) return absl::OkStatus();
  // A change committed between the read above and the ZREM had its own ZADD NX swallowed by the
  // entry we just removed: read again and put back what is pending now.
  ASSIGN_OR_RETURN(std::vector<int64_t> again, OldestPerService(tenant_id, employee_id));
  cmds.clear();
  for (size_t i : removed) {
    if (again[i] > 0) {
      cmds.push_back(
          {"ZADD", keys::UnappliedIndex(tracking_.services[i]), std::to_string(again[i]), member});
    }
  }
  if (cmds.empty()) return absl::OkStatus();
  return RunIndexUpdates(cmds);
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
    ASSIGN_OR_RETURN(redis::Reply head, pool_->Run({"ZRANGE", index, "0", "0", "WITHSCORES"},
                                                   "an unapplied-index read"));
    if (head.elements.size() < 2) return std::optional<int64_t>();
    const std::string& member = head.elements[0].str;
    ASSIGN_OR_RETURN(int64_t score, ParseScore(head.elements[1].str));
    head_score = score;
    std::string tenant;
    std::string employee;
    if (!SplitMember(member, &tenant, &employee)) {
      log::Warning("dropping a malformed entry of the unapplied-change index",
                   {{"index", index}, {"member", member}});
      RETURN_IF_ERROR(pool_->Run({"ZREM", index, member}, "an unapplied-index update").status());
      continue;
    }
    ASSIGN_OR_RETURN(std::vector<int64_t> truth, OldestPerService(tenant, employee));
    if (truth[slot] == score) return head_score;
    RETURN_IF_ERROR(Reconcile(tenant, employee));
  }
  return head_score;
}

absl::StatusOr<int64_t> RedisPropagationStore::Reindex() {
  if (tracking_.services.empty()) return int64_t{0};
  std::string cursor = "0";
  int64_t seen = 0;
  do {
    ASSIGN_OR_RETURN(
        redis::Reply r,
        pool_->Run({"SCAN", cursor, "MATCH", std::string(keys::kPendingPattern), "COUNT", "1000"},
                   "a SCAN"));
    if (r.elements.size() != 2) return redis::RefusedError(r, "a SCAN");
    cursor = r.elements[0].str;
    for (const redis::Reply& found : r.elements[1].elements) {
      const std::string& key = found.str;
      const size_t open = key.find('{');
      const size_t close = key.find('}', open);
      if (open == std::string::npos || close == std::string::npos) continue;
      const std::string tag = key.substr(open + 1, close - open - 1);
      // Neither id may contain ':' (ids.h), so the first one separates them; employees stored
      // before that rule may still hold one after the first.
      const size_t colon = tag.find(':');
      if (colon == std::string::npos) continue;
      RETURN_IF_ERROR(Reconcile(tag.substr(0, colon), tag.substr(colon + 1)));
      ++seen;
    }
  } while (cursor != "0");
  return seen;
}

}  // namespace advocacy::consent
