#pragma once

// Redis storage of the content service. Every write that changes state and emits an event does
// both in one Lua script within one hash slot:
//   tenant slot {t}:      adv:content:{t}:item:<id> (Item bytes), adv:content:{t}:items (zset,
//                         created ms), adv:content:{t}:pub (zset of published ids, publish ms),
//                         adv:content:{t}:settings, adv:content:{t}:rot:<item>:<net>,
//                         adv:content:{t}:lb (leaderboard), adv:content:{t}:active,
//                         adv:content:{t}:groups, adv:content:{t}:g:<group>:m|a,
//                         adv:content:{t}:gs, adv:content:{t}:links (the link quota counter),
//                         adv:content:outbox:{t}
//                         Quotas: the size of :items (items), of :groups (groups) and :links.
//   employee slot {t:e}:  adv:content:cv:{t:e} (the consent view), adv:content:{t:e}:shares,
//                         adv:content:{t:e}:cancelled, adv:content:{t:e}:day:<YYYYMMDD>:<net>,
//                         adv:content:{t:e}:caps, adv:content:{t:e}:stats, adv:outbox:{t:e}
//   link slot {lnk:code}: adv:content:{lnk:code}:link, adv:outbox:{lnk:code}
// The scripts are lua/*.lua, embedded at build time. Error replies become statuses
// (redis::Pool::Run/Eval, redis::RefusedError for pipeline elements).

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "advocacy/common/consent_view.h"
#include "advocacy/common/redis_client.h"
#include "ports.h"

namespace advocacy::content {

class RedisContentStore final : public ContentStore {
 public:
  explicit RedisContentStore(redis::Pool* pool, std::string service = "content");

  absl::StatusOr<CreateOutcome> CreateItem(const v1::Item& item, const std::string& tenant,
                                           int64_t max_items) override;
  absl::StatusOr<std::optional<v1::Item>> GetItem(const std::string& tenant,
                                                  const std::string& id) override;
  absl::StatusOr<bool> ReplaceItem(const v1::Item& before, const v1::Item& after,
                                   std::optional<bool> published,
                                   const std::optional<OutboxEntry>& event) override;
  absl::StatusOr<std::vector<v1::Item>> ListItems(const std::string& tenant, int64_t offset,
                                                  int64_t limit) override;
  absl::StatusOr<std::vector<v1::Item>> PublishedItems(const std::string& tenant,
                                                       int64_t limit) override;
  absl::StatusOr<v1::TenantSettings> GetSettings(const std::string& tenant) override;
  absl::Status PutSettings(const v1::TenantSettings& settings) override;
  absl::StatusOr<uint64_t> NextRotation(const std::string& tenant, const std::string& item,
                                        int network) override;
  absl::StatusOr<uint64_t> PeekRotation(const std::string& tenant, const std::string& item,
                                        int network) override;
  absl::StatusOr<ShareOutcome> CommitShare(const ShareCommit& commit) override;
  absl::StatusOr<std::vector<v1::Share>> ListShares(const std::string& tenant,
                                                    const std::string& employee) override;
  absl::StatusOr<std::set<std::string>> SharedKeys(const std::string& tenant,
                                                   const std::string& employee) override;
  absl::StatusOr<bool> CancelScheduled(const v1::Share& before,
                                       const std::string& consent_field) override;
  absl::StatusOr<std::map<int, NetworkUse>> Limits(const std::string& tenant,
                                                   const std::string& employee,
                                                   const std::string& day,
                                                   const std::vector<int>& networks) override;
  absl::Status SetOwnCap(const std::string& tenant, const std::string& employee, int network,
                         int cap) override;
  absl::StatusOr<std::map<std::string, int64_t>> Stats(const std::string& tenant,
                                                       const std::string& employee) override;
  absl::StatusOr<bool> PutLink(const std::string& code, const LinkRecord& link) override;
  absl::Status DeleteLink(const std::string& code) override;
  absl::StatusOr<std::optional<LinkRecord>> GetLink(const std::string& code) override;
  absl::StatusOr<int64_t> CountClick(const std::string& code, const OutboxEntry& event) override;
  absl::Status AddEmployeeClick(const std::string& tenant, const std::string& employee,
                                int network) override;
  absl::StatusOr<bool> AdmitGroups(const std::string& tenant,
                                   const std::vector<std::string>& groups,
                                   int64_t max_groups) override;
  absl::StatusOr<bool> ReserveLink(const std::string& tenant, int64_t max_links) override;
  absl::Status ReleaseLink(const std::string& tenant) override;
  absl::Status NoteShare(const std::string& tenant, const std::string& employee,
                         const std::vector<std::string>& groups, bool on_leaderboard,
                         int64_t now_ms) override;
  absl::Status NoteMember(const std::string& tenant, const std::string& employee,
                          const std::vector<std::string>& groups) override;
  absl::StatusOr<int64_t> CountActive(const std::string& tenant, int64_t since_ms) override;
  absl::Status RemoveFromLeaderboard(const std::string& tenant,
                                     const std::string& employee) override;
  absl::StatusOr<std::vector<std::pair<std::string, int64_t>>> Leaderboard(
      const std::string& tenant, int64_t limit) override;
  absl::StatusOr<std::vector<GroupCounts>> Groups(const std::string& tenant) override;

  static std::string EmployeeTag(const std::string& tenant, const std::string& employee);

 private:
  // The items named by a reply of ids, in its order (MGET); ids removed meanwhile are skipped.
  absl::StatusOr<std::vector<v1::Item>> ItemsById(const std::string& tenant,
                                                  const redis::Reply& ids);

  redis::Pool* pool_;
  std::string service_;
  redis::Script create_item_;
  redis::Script replace_item_;
  redis::Script share_;
  redis::Script cancel_;
  redis::Script click_;
  redis::Script admit_groups_;
  redis::Script reserve_link_;
  redis::Script release_link_;
};

}  // namespace advocacy::content
