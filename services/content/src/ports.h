#pragma once

// What the content domain needs from outside, as interfaces the domain owns (the adapters in
// adapters/ implement them; unit tests may fake them). The outbox notifier is the shared
// outbox::Notifier and the consent view the shared consent_view::ConsentView (common).
//
// ContentStore, the storage of the content service. The contract every implementation keeps: a
// write that changes state and emits an event does both atomically (RedisContentStore: one Lua
// script in one hash slot); CommitShare checks consent (from the consent view), duplicates, the
// daily cap and quiet hours and writes the share in one atomic step, so concurrent shares never
// exceed the cap.

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "content_domain.h"

namespace advocacy::content {

// The service's name: its Redis keys start with "adv:content:", its events' ce_source is
// "/advocacy/content".
inline constexpr std::string_view kServiceName = "content";

// An event already in outbox wire form, with the outbox list it goes to.
struct OutboxEntry {
  std::string key;      // adv:outbox:{tag}
  std::string encoded;  // outbox::Encode(message)
};

enum class CreateOutcome { kCreated, kIdTaken, kQuotaReached };

enum class ShareOutcome { kCommitted, kNoConsent, kDuplicate, kCapReached, kQuietHours };

struct ShareCommit {
  v1::Share share;
  std::string consent_field;  // ConsentView::ScopeField(SHARE_CONTENT, network)
  std::string day;            // DayOf(effective time)
  int tenant_cap = 0;
  int quiet_start = 0;
  int quiet_end = 0;
  int hour = 0;  // UTC hour of the effective time
  OutboxEntry event;
};

struct LinkRecord {
  std::string tenant_id;
  std::string employee_id;
  std::string item_id;
  int network = 0;
  std::string target;  // the stored item URL with UTM parameters
  int64_t clicks = 0;
};

class ContentStore {
 public:
  virtual ~ContentStore() = default;

  // Items (tenant slot). CreateItem: kIdTaken when the id is taken (checked first, so a retry
  // is never counted twice), kQuotaReached when the tenant stores `max_items` items already
  // (archived ones included); in both cases nothing is written.
  virtual absl::StatusOr<CreateOutcome> CreateItem(const v1::Item& item, const std::string& tenant,
                                                   int64_t max_items) = 0;
  virtual absl::StatusOr<std::optional<v1::Item>> GetItem(const std::string& tenant,
                                                          const std::string& id) = 0;
  // Compare-and-set on the stored item; `published` adds it to (true) or removes it from (false)
  // the feed index; the event (optional) is written atomically with it. False when it moved.
  virtual absl::StatusOr<bool> ReplaceItem(const v1::Item& before, const v1::Item& after,
                                           std::optional<bool> published,
                                           const std::optional<OutboxEntry>& event) = 0;
  // Newest created first.
  virtual absl::StatusOr<std::vector<v1::Item>> ListItems(const std::string& tenant, int64_t offset,
                                                          int64_t limit) = 0;
  // Published items, newest publish time first, at most `limit`.
  virtual absl::StatusOr<std::vector<v1::Item>> PublishedItems(const std::string& tenant,
                                                               int64_t limit) = 0;
  virtual absl::StatusOr<v1::TenantSettings> GetSettings(const std::string& tenant) = 0;
  virtual absl::Status PutSettings(const v1::TenantSettings& settings) = 0;
  // The next caption-rotation counter (0-based) of an item on a network.
  virtual absl::StatusOr<uint64_t> NextRotation(const std::string& tenant, const std::string& item,
                                                int network) = 0;
  // The counter NextRotation would return now, without taking it (a preview).
  virtual absl::StatusOr<uint64_t> PeekRotation(const std::string& tenant, const std::string& item,
                                                int network) = 0;

  // Shares (employee slot).
  virtual absl::StatusOr<ShareOutcome> CommitShare(const ShareCommit& commit) = 0;
  // Shared, scheduled and cancelled, oldest first.
  virtual absl::StatusOr<std::vector<v1::Share>> ListShares(const std::string& tenant,
                                                            const std::string& employee) = 0;
  // SharedKey(item, network) of every share that is not cancelled.
  virtual absl::StatusOr<std::set<std::string>> SharedKeys(const std::string& tenant,
                                                           const std::string& employee) = 0;
  // Cancels one scheduled share if its consent is (still) withdrawn and it is unchanged; the
  // day's cap is given back.
  virtual absl::StatusOr<bool> CancelScheduled(const v1::Share& before,
                                               const std::string& consent_field) = 0;
  // cap 0 removes the employee's own cap.
  virtual absl::Status SetOwnCap(const std::string& tenant, const std::string& employee,
                                 int network, int cap) = 0;
  // The employee's own caps and the shares counted on `day` (DayOf), per network of `networks`.
  struct NetworkUse {
    int own_cap = 0;  // 0: none
    int used = 0;
  };
  virtual absl::StatusOr<std::map<int, NetworkUse>> Limits(const std::string& tenant,
                                                           const std::string& employee,
                                                           const std::string& day,
                                                           const std::vector<int>& networks) = 0;
  // field -> count; fields "s:<net>" (shares) and "c:<net>" (clicks).
  virtual absl::StatusOr<std::map<std::string, int64_t>> Stats(const std::string& tenant,
                                                               const std::string& employee) = 0;

  // Links (link slot). PutLink: false when the code is taken.
  virtual absl::StatusOr<bool> PutLink(const std::string& code, const LinkRecord& link) = 0;
  virtual absl::Status DeleteLink(const std::string& code) = 0;
  virtual absl::StatusOr<std::optional<LinkRecord>> GetLink(const std::string& code) = 0;
  // Counts one click and writes its event atomically; NotFound when the link vanished.
  virtual absl::StatusOr<int64_t> CountClick(const std::string& code, const OutboxEntry& event) = 0;
  virtual absl::Status AddEmployeeClick(const std::string& tenant, const std::string& employee,
                                        int network) = 0;

  // Quotas (tenant slot). AdmitGroups: true when every group is one of the tenant's groups
  // afterwards (known groups cost nothing); false, writing nothing, when the new ones would take
  // the tenant past `max_groups`. ReserveLink: true and counts one more link, or false when the
  // tenant holds `max_links`; ReleaseLink gives one reservation back (a share not committed).
  virtual absl::StatusOr<bool> AdmitGroups(const std::string& tenant,
                                           const std::vector<std::string>& groups,
                                           int64_t max_groups) = 0;
  virtual absl::StatusOr<bool> ReserveLink(const std::string& tenant, int64_t max_links) = 0;
  virtual absl::Status ReleaseLink(const std::string& tenant) = 0;

  // Engagement aggregates (tenant slot; secondary data, written after the share commit). The
  // groups must have been admitted (AdmitGroups).
  virtual absl::Status NoteShare(const std::string& tenant, const std::string& employee,
                                 const std::vector<std::string>& groups, bool on_leaderboard,
                                 int64_t now_ms) = 0;
  virtual absl::Status NoteMember(const std::string& tenant, const std::string& employee,
                                  const std::vector<std::string>& groups) = 0;
  virtual absl::StatusOr<int64_t> CountActive(const std::string& tenant, int64_t since_ms) = 0;
  virtual absl::Status RemoveFromLeaderboard(const std::string& tenant,
                                             const std::string& employee) = 0;
  // Highest first.
  virtual absl::StatusOr<std::vector<std::pair<std::string, int64_t>>> Leaderboard(
      const std::string& tenant, int64_t limit) = 0;
  struct GroupCounts {
    std::string group;
    int64_t members = 0;
    int64_t advocates = 0;
    int64_t shares = 0;
  };
  virtual absl::StatusOr<std::vector<GroupCounts>> Groups(const std::string& tenant) = 0;
};

}  // namespace advocacy::content
