#pragma once

// The consent domain: opt-in only, default deny, withdrawal as easy as giving, every change in
// an append-only ledger with a per-employee sequence number, and the event for each change
// written atomically with it (transactional outbox). No gRPC and no Redis types here: the
// manager is built in unit tests with an in-memory store.

#include <chrono>
#include <cstdint>
#include <functional>
#include <mutex>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "advocacy/common/auth.h"
#include "advocacy/common/idempotent_write.h"
#include "advocacy/common/outbox.h"
#include "advocacy/consent/v1/consent_service.pb.h"
#include "ports.h"

namespace advocacy::consent {

struct ManagerOptions {
  std::string topic = "advocacy.consent.v1";
  std::string event_source = "/advocacy/consent";
  std::chrono::milliseconds idempotency_ttl{std::chrono::hours(24)};
  // How long a tenant's notice ordinals are cached for needs_renewal. Renewal flags may lag a
  // newly published material notice by this much; consent state itself is never cached.
  std::chrono::milliseconds notice_cache_ttl{1000};
  int max_commit_attempts = 16;
};

class ConsentManager final {
 public:
  using Clock = std::function<int64_t()>;  // milliseconds since the epoch

  ConsentManager(ConsentStore* store, outbox::Notifier* notifier, ManagerOptions options,
                 Clock clock = nullptr);

  absl::StatusOr<v1::GiveConsentResponse> Give(const auth::Principal& caller,
                                               const v1::GiveConsentRequest& request);
  absl::StatusOr<v1::WithdrawConsentResponse> Withdraw(const auth::Principal& caller,
                                                       const v1::WithdrawConsentRequest& request);
  absl::StatusOr<v1::GetConsentStateResponse> GetState(const auth::Principal& caller,
                                                       const v1::GetConsentStateRequest& request);
  absl::StatusOr<v1::CheckConsentResponse> Check(const auth::Principal& caller,
                                                 const v1::CheckConsentRequest& request);
  absl::StatusOr<v1::BatchCheckConsentResponse> BatchCheck(
      const auth::Principal& caller, const v1::BatchCheckConsentRequest& request);
  absl::StatusOr<v1::ListConsentHistoryResponse> ListHistory(
      const auth::Principal& caller, const v1::ListConsentHistoryRequest& request);
  absl::StatusOr<v1::PublishNoticeResponse> PublishNotice(const auth::Principal& caller,
                                                          const v1::PublishNoticeRequest& request);
  absl::StatusOr<v1::GetCurrentNoticeResponse> GetCurrentNotice(
      const auth::Principal& caller, const v1::GetCurrentNoticeRequest& request);

 private:
  struct Change {
    std::string tenant_id;
    std::string employee_id;
    v1::ConsentState target = v1::CONSENT_STATE_UNSPECIFIED;  // GIVEN or WITHDRAWN
    google::protobuf::RepeatedPtrField<v1::ConsentScope> scopes;
    bool all_scopes = false;
    v1::Notice notice;  // for GIVEN
    v1::ConsentMethod method = v1::CONSENT_METHOD_UNSPECIFIED;
    std::string idempotency_key;
  };
  struct ChangeResult {
    int64_t sequence = 0;
    bool unchanged = false;
    Snapshot after;
    std::vector<std::string> fields;  // the scopes the response reports
  };
  // A change of one employee's consent, idempotent with change.idempotency_key: the steps
  // below, retried by idempotent::Write while other writers move the sequence.
  absl::StatusOr<ChangeResult> Apply(const auth::Principal& caller, const Change& change);
  // The bytes an idempotency record binds its key to. Stored records keep them: never change
  // the canonical form.
  static std::string Fingerprint(const auth::Principal& caller, const Change& change,
                                 const std::set<std::string>& requested);
  // The first answer again, for a retry with a recorded key.
  absl::StatusOr<ChangeResult> Replay(const Change& change,
                                      const storage::v1::IdempotencyRecord& record,
                                      const std::set<std::string>& requested);
  // One load -> decide -> commit; a conflict when another writer came first.
  idempotent::Attempt<ChangeResult> TryApply(const auth::Principal& caller, const Change& change,
                                             const std::string& fingerprint,
                                             const std::set<std::string>& requested);
  // The scopes a change is about: the requested ones, or every stored one for all_scopes.
  static std::vector<std::string> TargetFields(const Change& change, const Snapshot& before,
                                               const std::set<std::string>& requested);
  // The new state of the targets that really change (a repeated give or withdraw is a no-op).
  static std::vector<storage::v1::StoredScope> ChangedScopes(
      const Change& change, const Snapshot& before, const std::vector<std::string>& targets,
      int64_t now_ms);
  // The compare-and-set commit of `changed` over `before`, with the idempotency record, and for
  // a real change the ledger entry and the event.
  EmployeeCommit BuildCommit(const auth::Principal& caller, const Change& change,
                             const std::string& fingerprint, const Snapshot& before,
                             std::vector<storage::v1::StoredScope> changed, int64_t now_ms) const;
  static v1::LedgerEntry LedgerEntryFor(const auth::Principal& caller, const Change& change,
                                        const std::vector<storage::v1::StoredScope>& changed,
                                        int64_t sequence, int64_t now_ms);
  // The ConsentGiven or ConsentWithdrawn event of a ledger entry, as an outbox entry.
  std::string EventFor(const Change& change, const v1::LedgerEntry& entry, int64_t now_ms) const;

  // One attempt of PublishNotice (validated and authorized).
  idempotent::Attempt<v1::PublishNoticeResponse> TryPublishNotice(
      const v1::PublishNoticeRequest& request);

  absl::StatusOr<int64_t> MaterialOrdinal(const std::string& tenant_id);
  void Fill(const storage::v1::StoredScope& stored, int64_t material_ordinal,
            v1::ScopeConsent* out) const;

  ConsentStore* store_;
  outbox::Notifier* notifier_;
  ManagerOptions options_;
  Clock clock_;

  struct CachedOrdinal {
    int64_t material = 0;
    int64_t fetched_at_ms = 0;
  };
  std::mutex cache_mu_;
  std::unordered_map<std::string, CachedOrdinal> ordinal_cache_;
};

}  // namespace advocacy::consent
