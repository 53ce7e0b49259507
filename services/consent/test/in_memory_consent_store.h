#pragma once

// An in-memory ConsentStore with the same compare-and-set semantics as the Redis one, for
// unit tests of the domain logic.

#include <mutex>
#include <utility>

#include "advocacy/common/outbox.h"
#include "advocacy/common/status_macros.h"
#include "advocacy/common/strings.h"
#include "ports.h"

namespace advocacy::consent::testing {

class InMemoryConsentStore final : public ConsentStore {
 public:
  absl::StatusOr<Snapshot> Load(const std::string& t, const std::string& e) override {
    std::lock_guard lock(mu_);
    if (fail_) return absl::UnavailableError("store down");
    return employees_[Key(t, e)].snapshot;
  }
  absl::StatusOr<std::optional<storage::v1::StoredScope>> GetScope(
      const std::string& t, const std::string& e, const std::string& field) override {
    std::lock_guard lock(mu_);
    if (fail_) return absl::UnavailableError("store down");
    auto& s = employees_[Key(t, e)].snapshot.scopes;
    auto it = s.find(field);
    if (it == s.end()) return std::optional<storage::v1::StoredScope>();
    return std::optional<storage::v1::StoredScope>(it->second);
  }
  absl::StatusOr<std::vector<std::optional<storage::v1::StoredScope>>> GetScopeBatch(
      const std::string& t, const std::vector<std::string>& ids,
      const std::string& field) override {
    std::vector<std::optional<storage::v1::StoredScope>> out;
    for (const auto& e : ids) {
      ASSIGN_OR_RETURN(std::optional<storage::v1::StoredScope> r, GetScope(t, e, field));
      out.push_back(std::move(r));
    }
    return out;
  }
  absl::StatusOr<std::optional<storage::v1::IdempotencyRecord>> GetIdempotency(
      const std::string& t, const std::string& e, const std::string& key) override {
    std::lock_guard lock(mu_);
    auto& idem = employees_[Key(t, e)].idempotency;
    auto it = idem.find(key);
    if (it == idem.end()) return std::optional<storage::v1::IdempotencyRecord>();
    storage::v1::IdempotencyRecord r;
    r.ParseFromString(it->second);
    return std::optional<storage::v1::IdempotencyRecord>(r);
  }
  absl::StatusOr<CommitResult> Commit(const EmployeeCommit& c) override {
    std::lock_guard lock(mu_);
    if (fail_) return absl::UnavailableError("store down");
    ++commits_;
    Employee& emp = employees_[Key(c.tenant_id, c.employee_id)];
    if (emp.snapshot.sequence != c.expected_sequence) return CommitResult::kSequenceConflict;
    if (!c.idempotency_key.empty()) {
      if (!emp.idempotency.emplace(c.idempotency_key, c.idempotency_record).second) {
        return CommitResult::kIdempotencyConflict;
      }
    }
    if (!c.scopes.empty()) {
      emp.snapshot.sequence = c.new_sequence;
      for (const auto& s : c.scopes) emp.snapshot.scopes[ScopeField(s.scope())] = s;
    }
    if (!c.ledger_entry.empty()) emp.ledger.push_back(c.ledger_entry);
    if (!c.outbox_entry.empty()) outbox_.push_back(c.outbox_entry);
    return CommitResult::kCommitted;
  }
  absl::StatusOr<LedgerPage> ListLedger(const std::string& t, const std::string& e, int64_t first,
                                        int limit) override {
    std::lock_guard lock(mu_);
    auto& l = employees_[Key(t, e)].ledger;
    LedgerPage page;
    for (int64_t i = first - 1; i < static_cast<int64_t>(l.size()) && i < first - 1 + limit; ++i) {
      page.entries.push_back(l[static_cast<size_t>(i)]);
    }
    page.more = static_cast<int64_t>(l.size()) > first - 1 + limit;
    return page;
  }
  absl::StatusOr<std::optional<v1::Notice>> GetNotice(const std::string& t,
                                                      const std::string& version) override {
    std::lock_guard lock(mu_);
    auto& n = tenants_[t].notices;
    auto it = n.find(version);
    if (it == n.end()) return std::optional<v1::Notice>();
    return std::optional<v1::Notice>(it->second);
  }
  absl::StatusOr<std::optional<v1::Notice>> GetCurrentNotice(const std::string& t) override {
    std::string current;
    {
      std::lock_guard lock(mu_);
      current = tenants_[t].current;
    }
    if (current.empty()) return std::optional<v1::Notice>();
    return GetNotice(t, current);
  }
  absl::StatusOr<std::pair<int64_t, int64_t>> GetNoticeOrdinals(const std::string& t) override {
    std::lock_guard lock(mu_);
    return std::make_pair(tenants_[t].material, tenants_[t].ordinal);
  }
  absl::StatusOr<bool> CommitNotice(const NoticeCommit& c) override {
    std::lock_guard lock(mu_);
    Tenant& tn = tenants_[c.tenant_id];
    if (tn.ordinal != c.expected_ordinal || tn.notices.count(c.notice.version()) != 0) return false;
    tn.notices[c.notice.version()] = c.notice;
    tn.ordinal = c.notice.ordinal();
    tn.current = c.notice.version();
    if (c.notice.material()) tn.material = c.notice.ordinal();
    outbox_.push_back(c.outbox_entry);
    return true;
  }

  void set_fail(bool fail) {
    std::lock_guard lock(mu_);
    fail_ = fail;
  }
  std::vector<std::string> outbox() {
    std::lock_guard lock(mu_);
    return outbox_;
  }
  size_t ledger_size(const std::string& t, const std::string& e) {
    std::lock_guard lock(mu_);
    return employees_[Key(t, e)].ledger.size();
  }

 private:
  struct Employee {
    Snapshot snapshot;
    std::vector<std::string> ledger;
    std::map<std::string, std::string> idempotency;
  };
  struct Tenant {
    std::map<std::string, v1::Notice> notices;
    int64_t ordinal = 0;
    int64_t material = 0;
    std::string current;
  };
  static std::string Key(const std::string& t, const std::string& e) {
    return advocacy::StrCat(t, "\x1f", e);
  }

  std::mutex mu_;
  bool fail_ = false;
  int commits_ = 0;
  std::map<std::string, Employee> employees_;
  std::map<std::string, Tenant> tenants_;
  std::vector<std::string> outbox_;
};

class RecordingNotifier final : public outbox::Notifier {
 public:
  void Notify(std::string key, std::string encoded) override {
    std::lock_guard lock(mu_);
    notified_.emplace_back(std::move(key), std::move(encoded));
  }
  std::vector<std::pair<std::string, std::string>> notified() {
    std::lock_guard lock(mu_);
    return notified_;
  }

 private:
  std::mutex mu_;
  std::vector<std::pair<std::string, std::string>> notified_;
};

}  // namespace advocacy::consent::testing
