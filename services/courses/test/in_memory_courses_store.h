#pragma once

// An in-memory CoursesStore with the same compare-and-set semantics as the Redis one, for unit
// tests of the domain logic. One mutex makes every call atomic, as a Lua script is.

#include <algorithm>
#include <limits>
#include <map>
#include <mutex>
#include <set>
#include <utility>

#include "advocacy/common/outbox.h"
#include "advocacy/common/strings.h"
#include "courses_domain.h"
#include "ports.h"

namespace advocacy::courses::testing {

class InMemoryCoursesStore final : public CoursesStore {
 public:
  // ---- Catalog ----
  absl::StatusOr<std::optional<storage::v1::StoredCourse>> GetCourse(
      const std::string& t, const std::string& c) override {
    std::lock_guard lock(mu_);
    if (fail_) return Down();
    auto& m = tenants_[t].courses;
    auto it = m.find(c);
    if (it == m.end()) return std::optional<storage::v1::StoredCourse>();
    return std::optional<storage::v1::StoredCourse>(it->second);
  }
  absl::StatusOr<std::vector<v1::CourseSummary>> ListCourseSummaries(
      const std::string& t) override {
    std::lock_guard lock(mu_);
    if (fail_) return Down();
    std::vector<v1::CourseSummary> out;
    for (auto& [id, s] : tenants_[t].summaries) out.push_back(s);
    return out;
  }
  absl::StatusOr<bool> PutCourse(const CourseWrite& w) override {
    std::lock_guard lock(mu_);
    if (fail_) return Down();
    Tenant& tn = tenants_[w.tenant_id];
    const std::string& id = w.course.course().course_id();
    if (tn.revisions["c:" + id] != w.expected_revision) return false;
    tn.revisions["c:" + id] = w.course.course().revision();
    tn.courses[id] = w.course;
    tn.summaries[id] = w.summary;
    if (!w.outbox_entry.empty()) outbox_.push_back(w.outbox_entry);
    return true;
  }
  absl::StatusOr<std::optional<storage::v1::StoredChecklist>> GetChecklist(
      const std::string& t, const std::string& id) override {
    std::lock_guard lock(mu_);
    if (fail_) return Down();
    auto& m = tenants_[t].checklists;
    auto it = m.find(id);
    if (it == m.end()) return std::optional<storage::v1::StoredChecklist>();
    return std::optional<storage::v1::StoredChecklist>(it->second);
  }
  absl::StatusOr<std::vector<storage::v1::StoredChecklist>> ListChecklists(
      const std::string& t) override {
    std::lock_guard lock(mu_);
    if (fail_) return Down();
    std::vector<storage::v1::StoredChecklist> out;
    for (auto& [id, c] : tenants_[t].checklists) out.push_back(c);
    return out;
  }
  absl::StatusOr<bool> PutChecklist(const ChecklistWrite& w) override {
    std::lock_guard lock(mu_);
    if (fail_) return Down();
    Tenant& tn = tenants_[w.tenant_id];
    const std::string& id = w.checklist.checklist().checklist_id();
    if (tn.revisions["k:" + id] != w.expected_revision) return false;
    tn.revisions["k:" + id] = w.checklist.checklist().revision();
    tn.checklists[id] = w.checklist;
    return true;
  }
  absl::StatusOr<std::optional<v1::TenantPolicy>> GetPolicy(const std::string& t) override {
    std::lock_guard lock(mu_);
    if (fail_) return Down();
    return tenants_[t].policy;
  }
  absl::StatusOr<bool> PutPolicy(const PolicyWrite& w) override {
    std::lock_guard lock(mu_);
    if (fail_) return Down();
    Tenant& tn = tenants_[w.tenant_id];
    if (tn.revisions["policy"] != w.expected_revision) return false;
    tn.revisions["policy"] = w.policy.revision();
    tn.policy = w.policy;
    if (!w.outbox_entry.empty()) outbox_.push_back(w.outbox_entry);
    return true;
  }

  // ---- One employee ----
  absl::StatusOr<LearnerSnapshot> LoadLearner(const std::string& t, const std::string& e) override {
    std::lock_guard lock(mu_);
    if (fail_) return Down();
    return learners_[LearnerTag(t, e)].snapshot;
  }
  absl::StatusOr<std::optional<storage::v1::IdempotencyRecord>> GetLearnerIdempotency(
      const std::string& t, const std::string& e, const std::string& key) override {
    std::lock_guard lock(mu_);
    if (fail_) return Down();
    return Idem(learners_[LearnerTag(t, e)].idempotency, key);
  }
  absl::StatusOr<CommitResult> CommitLearner(const LearnerCommit& c) override {
    std::lock_guard lock(mu_);
    if (fail_) return Down();
    Learner& l = learners_[LearnerTag(c.tenant_id, c.employee_id)];
    if (l.snapshot.sequence != c.expected_sequence) return CommitResult::kSequenceConflict;
    if (!c.idempotency_key.empty() &&
        !l.idempotency.emplace(c.idempotency_key, c.idempotency_record).second) {
      return CommitResult::kIdempotencyConflict;
    }
    l.snapshot.sequence = c.new_sequence;
    for (const auto& en : c.enrollments) l.snapshot.enrollments[en.course_id()] = en;
    for (const auto& p : c.checklists) l.snapshot.checklists[p.checklist_id()] = p;
    for (const auto& o : c.outbox_entries) outbox_.push_back(o);
    return CommitResult::kCommitted;
  }
  absl::Status PutCertificateIndex(const std::string& t, const std::string& code,
                                   const std::string& e, const std::string& c) override {
    std::lock_guard lock(mu_);
    if (fail_) return Down();
    tenants_[t].certificates[code] = {e, c};
    return absl::OkStatus();
  }
  absl::StatusOr<CertificateHolder> FindCertificate(const std::string& t,
                                                    const std::string& code) override {
    std::lock_guard lock(mu_);
    if (fail_) return Down();
    auto& m = tenants_[t].certificates;
    auto it = m.find(code);
    if (it == m.end()) return std::optional<std::pair<std::string, std::string>>();
    return std::optional<std::pair<std::string, std::string>>(it->second);
  }
  absl::Status RecordActivity(const std::string& t, const std::string& e, int64_t now) override {
    std::lock_guard lock(mu_);
    if (fail_) return Down();
    active_[LearnerTag(t, e)] = now;
    return absl::OkStatus();
  }
  absl::StatusOr<int64_t> CountActiveLearners(int64_t since) override {
    std::lock_guard lock(mu_);
    if (fail_) return Down();
    std::erase_if(active_, [&](const auto& kv) { return kv.second < since; });
    return static_cast<int64_t>(active_.size());
  }

  // ---- Broadcasts ----
  absl::Status IndexBroadcast(const std::string& t, const std::string& b, int64_t starts) override {
    std::lock_guard lock(mu_);
    if (fail_) return Down();
    tenants_[t].broadcast_index[b] = starts;
    return absl::OkStatus();
  }
  absl::StatusOr<Page> ListBroadcastIds(const std::string& t, int64_t min_starts, int64_t offset,
                                        int limit) override {
    std::lock_guard lock(mu_);
    if (fail_) return Down();
    std::vector<std::pair<int64_t, std::string>> sorted;
    for (auto& [id, s] : tenants_[t].broadcast_index) {
      if (s >= min_starts) sorted.emplace_back(s, id);
    }
    std::sort(sorted.begin(), sorted.end());
    Page page;
    for (size_t i = static_cast<size_t>(offset); i < sorted.size(); ++i) {
      if (page.ids.size() == static_cast<size_t>(limit)) {
        page.more = true;
        break;
      }
      page.ids.push_back(sorted[i].second);
    }
    return page;
  }
  absl::StatusOr<BroadcastSnapshot> LoadBroadcast(const std::string& t, const std::string& b,
                                                  const std::string& e, int head) override {
    std::lock_guard lock(mu_);
    if (fail_) return Down();
    return Snapshot(broadcasts_[BroadcastTag(t, b)], e, head);
  }
  absl::StatusOr<std::vector<BroadcastSnapshot>> LoadBroadcasts(
      const std::string& t, const std::vector<std::string>& ids) override {
    std::lock_guard lock(mu_);
    if (fail_) return Down();
    std::vector<BroadcastSnapshot> out;
    for (const auto& b : ids) out.push_back(Snapshot(broadcasts_[BroadcastTag(t, b)], "", 0));
    return out;
  }
  absl::StatusOr<std::optional<storage::v1::IdempotencyRecord>> GetBroadcastIdempotency(
      const std::string& t, const std::string& b, const std::string& e,
      const std::string& key) override {
    std::lock_guard lock(mu_);
    if (fail_) return Down();
    return Idem(broadcasts_[BroadcastTag(t, b)].idempotency, e + "\x1f" + key);
  }
  absl::StatusOr<CommitResult> CommitBroadcast(const BroadcastCommit& c) override {
    std::lock_guard lock(mu_);
    if (fail_) return Down();
    ++broadcast_commits_;
    Broadcast& br = broadcasts_[BroadcastTag(c.tenant_id, c.broadcast_id)];
    if (br.sequence != c.expected_sequence) return CommitResult::kSequenceConflict;
    if (!c.idempotency_key.empty() &&
        !br.idempotency
             .emplace(c.idempotency_employee_id + "\x1f" + c.idempotency_key, c.idempotency_record)
             .second) {
      return CommitResult::kIdempotencyConflict;
    }
    br.sequence = c.new_sequence;
    if (c.broadcast.has_value()) br.def = c.broadcast;
    for (const auto& s : c.seats) {
      switch (s.op) {
        case SeatOp::kAddSeat:
          br.seats[s.employee_id] = s.order;
          break;
        case SeatOp::kRemoveSeat:
          br.seats.erase(s.employee_id);
          break;
        case SeatOp::kAddWaiting:
          br.waiting[s.employee_id] = s.order;
          break;
        case SeatOp::kRemoveWaiting:
          br.waiting.erase(s.employee_id);
          break;
      }
    }
    for (const auto& o : c.outbox_entries) outbox_.push_back(o);
    return CommitResult::kCommitted;
  }
  absl::StatusOr<Page> ListSeats(const std::string& t, const std::string& b, bool waiting,
                                 int64_t offset, int limit) override {
    std::lock_guard lock(mu_);
    if (fail_) return Down();
    Broadcast& br = broadcasts_[BroadcastTag(t, b)];
    const auto ordered = Ordered(waiting ? br.waiting : br.seats);
    Page page;
    for (size_t i = static_cast<size_t>(offset); i < ordered.size(); ++i) {
      if (page.ids.size() == static_cast<size_t>(limit)) {
        page.more = true;
        break;
      }
      page.ids.push_back(ordered[i]);
    }
    return page;
  }

  // ---- Test controls ----
  void set_fail(bool fail) {
    std::lock_guard lock(mu_);
    fail_ = fail;
  }
  std::vector<std::string> outbox() {
    std::lock_guard lock(mu_);
    return outbox_;
  }
  int broadcast_commits() {
    std::lock_guard lock(mu_);
    return broadcast_commits_;
  }

 private:
  struct Tenant {
    std::map<std::string, storage::v1::StoredCourse> courses;
    std::map<std::string, v1::CourseSummary> summaries;
    std::map<std::string, storage::v1::StoredChecklist> checklists;
    std::optional<v1::TenantPolicy> policy;
    std::map<std::string, int64_t> revisions;
    std::map<std::string, std::pair<std::string, std::string>> certificates;
    std::map<std::string, int64_t> broadcast_index;
  };
  struct Learner {
    LearnerSnapshot snapshot;
    std::map<std::string, std::string> idempotency;
  };
  struct Broadcast {
    int64_t sequence = 0;
    std::optional<storage::v1::StoredBroadcast> def;
    std::map<std::string, int64_t> seats;    // employee -> order
    std::map<std::string, int64_t> waiting;  // employee -> order
    std::map<std::string, std::string> idempotency;
  };

  static absl::Status Down() { return absl::UnavailableError("store down"); }

  static absl::StatusOr<std::optional<storage::v1::IdempotencyRecord>> Idem(
      const std::map<std::string, std::string>& m, const std::string& key) {
    auto it = m.find(key);
    if (it == m.end()) return std::optional<storage::v1::IdempotencyRecord>();
    storage::v1::IdempotencyRecord r;
    r.ParseFromString(it->second);
    return std::optional<storage::v1::IdempotencyRecord>(r);
  }

  static std::vector<std::string> Ordered(const std::map<std::string, int64_t>& m) {
    std::vector<std::pair<int64_t, std::string>> v;
    for (const auto& [e, o] : m) v.emplace_back(o, e);
    std::sort(v.begin(), v.end());
    std::vector<std::string> out;
    for (auto& [o, e] : v) out.push_back(e);
    return out;
  }

  static BroadcastSnapshot Snapshot(const Broadcast& br, const std::string& e, int head) {
    BroadcastSnapshot s;
    s.sequence = br.sequence;
    s.broadcast = br.def;
    s.registered_count = static_cast<int64_t>(br.seats.size());
    s.waiting_count = static_cast<int64_t>(br.waiting.size());
    const auto queue = Ordered(br.waiting);
    if (!e.empty()) {
      if (br.seats.count(e) != 0) {
        s.status = v1::REGISTRATION_STATUS_REGISTERED;
      } else if (auto pos = std::find(queue.begin(), queue.end(), e); pos != queue.end()) {
        s.status = v1::REGISTRATION_STATUS_WAITLISTED;
        s.waiting_position = (pos - queue.begin()) + 1;
      }
    }
    for (int i = 0; i < head && i < static_cast<int>(queue.size()); ++i) {
      s.waiting_head.push_back(queue[static_cast<size_t>(i)]);
    }
    return s;
  }

  std::mutex mu_;
  bool fail_ = false;
  int broadcast_commits_ = 0;
  std::map<std::string, Tenant> tenants_;
  std::map<std::string, Learner> learners_;
  std::map<std::string, Broadcast> broadcasts_;
  std::map<std::string, int64_t> active_;
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

class RecordingObserver final : public CoursesObserver {
 public:
  void Enrolled(const std::string& course_id, v1::CourseLevel level) override {
    std::lock_guard lock(mu_);
    enrolled.emplace_back(course_id, level);
  }
  void Completed(const std::string& course_id, v1::CourseLevel level) override {
    std::lock_guard lock(mu_);
    completed.emplace_back(course_id, level);
  }
  void RegistrationChanged(std::string_view outcome) override {
    std::lock_guard lock(mu_);
    registrations.emplace_back(outcome);
  }
  std::mutex mu_;
  std::vector<std::pair<std::string, v1::CourseLevel>> enrolled;
  std::vector<std::pair<std::string, v1::CourseLevel>> completed;
  std::vector<std::string> registrations;
};

}  // namespace advocacy::courses::testing
