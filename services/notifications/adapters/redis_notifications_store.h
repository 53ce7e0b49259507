#pragma once

// Redis storage of the notifications service (NotificationsStore in ports.h). Every multi-key
// change is one Lua script (../lua/, embedded at build time) within one hash slot:
//   employee slot {t:e}: adv:notif:{t:e}:r (Recipient), :p (hash b=Preferences, v=version),
//                        :j:<suffix> (hash b=Job, s=state line), :d:<digest> (digest hash),
//                        :di:<digest> (list of job suffixes), :l:<digest>:<step>:<channel>
//                        (send ledger), :open (window base -> open digest), :sent (zset of
//                        digests sent or being sent, for the weekly cap), adv:outbox:{t:e},
//                        and the consent view adv:notifications:cv:{t:e}
//   tenant slot {t}:     adv:notif:{t}:idx (employee -> "<topic mask>:<prefs version>"),
//                        :idem:<sha256(key)> (body hash), :skip:<suffix> (employee -> skip)
//   one key:             adv:notif:due (zset "<t>/<e>/<digest>" -> due or lease end, ms)
// A job's state line is "<JobState>|<SkipReason>|<decide ms>|<Topic>|<digest>|<detail>".
// Scripts build the names of the employee's digest and job keys from the key prefix; they all
// carry the employee's hash tag, so every key a script touches is in the slot of its KEYS.

#include <string>
#include <vector>

#include "advocacy/common/redis_client.h"
#include "ports.h"

namespace advocacy::notifications {

class RedisNotificationsStore final : public NotificationsStore {
 public:
  // `pool` must outlive the store.
  explicit RedisNotificationsStore(redis::Pool* pool);

  absl::Status PutRecipient(const v1::Recipient& recipient) override;
  absl::StatusOr<std::optional<v1::Recipient>> GetRecipient(const std::string& tenant,
                                                            const std::string& employee) override;
  absl::StatusOr<int64_t> PutPreferences(const v1::Preferences& prefs) override;
  absl::StatusOr<PreferencesRecord> GetPreferences(const std::string& tenant,
                                                   const std::string& employee) override;
  absl::Status IndexRecipient(const std::string& tenant, const std::string& employee, uint32_t mask,
                              int64_t version, bool only_if_present) override;
  absl::StatusOr<IndexPage> ScanRecipients(const std::string& tenant, const std::string& cursor,
                                           size_t count) override;
  absl::StatusOr<std::vector<std::optional<uint32_t>>> LookupRecipients(
      const std::string& tenant, const std::vector<std::string>& employees) override;
  absl::StatusOr<std::vector<Profile>> LoadProfiles(
      const std::string& tenant, const std::vector<std::string>& employees) override;
  absl::StatusOr<IdempotencyOutcome> CheckIdempotency(const std::string& tenant,
                                                      const std::string& key,
                                                      const std::string& body_hash,
                                                      int64_t ttl_seconds) override;
  absl::StatusOr<std::vector<MergeResult>> MergeJobs(const std::vector<MergeRequest>& requests,
                                                     int64_t now_ms) override;
  absl::Status RecordSkips(const std::string& tenant, const std::string& suffix,
                           const std::vector<std::pair<std::string, v1::SkipReason>>& skips,
                           int64_t now_ms, int64_t ttl_seconds) override;
  absl::StatusOr<std::optional<JobView>> GetJob(const std::string& tenant,
                                                const std::string& employee,
                                                const std::string& suffix) override;
  absl::StatusOr<std::optional<SkipRecord>> GetSkip(const std::string& tenant,
                                                    const std::string& suffix,
                                                    const std::string& employee) override;
  absl::StatusOr<CancelResult> CancelOpen(const std::string& tenant, const std::string& employee,
                                          cv1::Purpose purpose, int64_t now_ms,
                                          const std::string& detail) override;
  absl::StatusOr<bool> SendsSettled(const std::string& tenant, const std::string& employee,
                                    const std::vector<std::string>& digests,
                                    int64_t now_ms) override;
  absl::StatusOr<std::vector<DueRef>> ClaimDue(int64_t now_ms, int64_t lease_until_ms,
                                               size_t limit) override;
  absl::Status Reschedule(const DueRef& ref, int64_t due_ms) override;
  absl::Status RemoveDue(const std::vector<DueRef>& refs) override;
  absl::StatusOr<int64_t> QueueDepth() override;
  absl::StatusOr<BeginResult> BeginSend(const BeginRequest& request) override;
  absl::StatusOr<FinishResult> FinishSend(const FinishRequest& request) override;

  // "adv:notif:{t:e}:" and "adv:notif:{t}:".
  static std::string EmployeePrefix(const std::string& tenant, const std::string& employee);
  static std::string TenantPrefix(const std::string& tenant);
  static constexpr char kDueKey[] = "adv:notif:due";
  // The send ledger's step and channel: one mail per digest.
  static constexpr char kLedgerStep[] = "1:email";

  // How long settled jobs, digests, ledger entries and skip records are kept.
  void set_retention_seconds(int64_t seconds) { retention_seconds_ = seconds; }

 private:
  redis::Pool* pool_;
  int64_t retention_seconds_ = 30LL * 24 * 3600;
  redis::Script put_prefs_;
  redis::Script index_;
  redis::Script idempotency_;
  redis::Script merge_;
  redis::Script cancel_;
  redis::Script claim_;
  redis::Script begin_;
  redis::Script finish_;
};

}  // namespace advocacy::notifications
