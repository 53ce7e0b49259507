#pragma once

// Fakes of the outbound ports for unit tests: a consent service held in memory, a mail relay
// that records what it accepted, and an outbox notifier that records what it was told. They
// honour the port contracts (thread-safe; the relay calls the CommitGuard last and aborts on
// its error).

#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <tuple>
#include <vector>

#include "advocacy/common/outbox.h"
#include "advocacy/common/status_macros.h"
#include "ports.h"

namespace advocacy::notifications::fakes {

class FakeConsent final : public ConsentGateway {
 public:
  void Set(const std::string& tenant, const std::string& employee,
           advocacy::consent::v1::Purpose purpose, bool granted) {
    std::lock_guard lock(mu_);
    state_[{tenant, employee, purpose}] = granted;
  }
  // Every later BatchCheck (or Check) fails with `status` until reset with OkStatus().
  void FailBatch(absl::Status status) {
    std::lock_guard lock(mu_);
    batch_error_ = std::move(status);
  }
  void FailCheck(absl::Status status) {
    std::lock_guard lock(mu_);
    check_error_ = std::move(status);
  }
  // Runs inside Check before it answers: a withdrawal racing the commit.
  void OnCheck(std::function<void()> hook) {
    std::lock_guard lock(mu_);
    on_check_ = std::move(hook);
  }

  absl::StatusOr<std::vector<bool>> BatchCheck(
      std::string_view tenant_id, advocacy::consent::v1::Purpose purpose,
      const std::vector<std::string>& employee_ids) override {
    std::lock_guard lock(mu_);
    ++batch_calls_;
    if (!batch_error_.ok()) return batch_error_;
    std::vector<bool> out;
    out.reserve(employee_ids.size());
    for (const auto& e : employee_ids) out.push_back(GrantedLocked(tenant_id, e, purpose));
    return out;
  }
  absl::StatusOr<bool> Check(std::string_view tenant_id, std::string_view employee_id,
                             advocacy::consent::v1::Purpose purpose) override {
    std::function<void()> hook;
    {
      std::lock_guard lock(mu_);
      ++check_calls_;
      hook = on_check_;
    }
    if (hook) hook();
    std::lock_guard lock(mu_);
    if (!check_error_.ok()) return check_error_;
    return GrantedLocked(tenant_id, employee_id, purpose);
  }
  absl::Status Withdraw(std::string_view tenant_id, std::string_view employee_id,
                        advocacy::consent::v1::Purpose purpose,
                        std::string_view /*idempotency_key*/) override {
    std::lock_guard lock(mu_);
    state_[{std::string(tenant_id), std::string(employee_id), purpose}] = false;
    return absl::OkStatus();
  }

  int batch_calls() const {
    std::lock_guard lock(mu_);
    return batch_calls_;
  }
  int check_calls() const {
    std::lock_guard lock(mu_);
    return check_calls_;
  }

 private:
  bool GrantedLocked(std::string_view t, std::string_view e,
                     advocacy::consent::v1::Purpose p) const {
    auto it = state_.find({std::string(t), std::string(e), p});
    return it != state_.end() && it->second;
  }

  mutable std::mutex mu_;
  std::map<std::tuple<std::string, std::string, advocacy::consent::v1::Purpose>, bool> state_;
  absl::Status batch_error_;
  absl::Status check_error_;
  std::function<void()> on_check_;
  int batch_calls_ = 0;
  int check_calls_ = 0;
};

class FakeSender final : public MailSender {
 public:
  // The transport outcome of the next sends, in order (before the guard runs); when the
  // script is empty the relay accepts.
  void Script(std::vector<absl::Status> results) {
    std::lock_guard lock(mu_);
    for (auto& r : results) script_.push_back(std::move(r));
  }

  // Runs after the guard passed, while the relay "processes" the end of data: a non-OK status
  // is the relay's answer to it (the mail is not taken).
  void OnCommit(std::function<absl::Status()> hook) {
    std::lock_guard lock(mu_);
    on_commit_ = std::move(hook);
  }

  absl::Status Send(const OutgoingMail& mail, const CommitGuard& before_commit) override {
    {
      std::lock_guard lock(mu_);
      ++attempts_;
      if (!script_.empty()) {
        absl::Status next = script_.front();
        script_.pop_front();
        if (!next.ok()) return next;
      }
    }
    if (before_commit) {
      if (absl::Status st = before_commit(); !st.ok()) {
        std::lock_guard lock(mu_);
        ++aborted_;
        return st;
      }
    }
    std::function<absl::Status()> hook;
    {
      std::lock_guard lock(mu_);
      hook = on_commit_;
    }
    if (hook) {
      RETURN_IF_ERROR(hook());
    }
    std::lock_guard lock(mu_);
    mails_.push_back(mail);
    return absl::OkStatus();
  }

  std::vector<OutgoingMail> mails() const {
    std::lock_guard lock(mu_);
    return mails_;
  }
  std::vector<OutgoingMail> MailsTo(const std::string& address) const {
    std::lock_guard lock(mu_);
    std::vector<OutgoingMail> out;
    for (const auto& m : mails_) {
      if (m.to_address == address) out.push_back(m);
    }
    return out;
  }
  int attempts() const {
    std::lock_guard lock(mu_);
    return attempts_;
  }
  int aborted() const {
    std::lock_guard lock(mu_);
    return aborted_;
  }

 private:
  mutable std::mutex mu_;
  std::deque<absl::Status> script_;
  std::function<absl::Status()> on_commit_;
  std::vector<OutgoingMail> mails_;
  int attempts_ = 0;
  int aborted_ = 0;
};

// The outbox relay's fast path, recorded instead of produced.
class RecordingNotifier final : public outbox::Notifier {
 public:
  void Notify(std::string outbox_key, std::string encoded) override {
    std::lock_guard lock(mu_);
    keys_.push_back(std::move(outbox_key));
    entries_.push_back(std::move(encoded));
  }
  // The outbox keys notified, in order.
  std::vector<std::string> keys() const {
    std::lock_guard lock(mu_);
    return keys_;
  }

 private:
  mutable std::mutex mu_;
  std::vector<std::string> keys_;
  std::vector<std::string> entries_;
};

}  // namespace advocacy::notifications::fakes
