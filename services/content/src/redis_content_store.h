#pragma once

// Redis storage of the content service. Every write that changes state and emits an event does
// both in one Lua script within one hash slot:
//   tenant slot {t}:      adv:content:{t}:item:<id> (Item bytes), adv:content:{t}:items (zset,
//                         created ms), adv:content:{t}:pub (zset of published ids, publish ms),
//                         adv:content:{t}:settings, adv:content:{t}:rot:<item>:<net>,
//                         adv:content:{t}:lb (leaderboard), adv:content:{t}:active,
//                         adv:content:{t}:groups, adv:content:{t}:g:<group>:m|a, adv:content:{t}:gs,
//                         adv:outbox:{t}
//   employee slot {t:e}:  adv:content:cv:{t:e} (the consent view), adv:content:{t:e}:shares,
//                         adv:content:{t:e}:cancelled, adv:content:{t:e}:day:<YYYYMMDD>:<net>,
//                         adv:content:{t:e}:caps, adv:content:{t:e}:stats, adv:outbox:{t:e}
//   link slot {lnk:code}: adv:content:{lnk:code}:link, adv:outbox:{lnk:code}

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "advocacy/common/consent_view.h"
#include "advocacy/common/redis_client.h"
#include "content_domain.h"

namespace advocacy::content {

// An event already in outbox wire form, with the outbox list it goes to.
struct OutboxEntry {
  std::string key;      // adv:outbox:{tag}
  std::string encoded;  // outbox::Encode(message)
};

enum class ShareOutcome { kCommitted, kNoConsent, kDuplicate, kCapReached, kQuietHours };

struct ShareCommit {
  v1::Share share;
  std::string consent_field;  // ConsentView::ScopeField(SHARE_CONTENT, network)
  std::string day;            // DayOf(effective time)
  int tenant_cap = 0;
  int quiet_start = 0;
  int quiet_end = 0;
  int hour = 0;               // UTC hour of the effective time
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

class RedisContentStore final {
 public:
  RedisContentStore(redis::Pool* pool, std::string service = "content");

  // Items.
  absl::StatusOr<bool> CreateItem(const v1::Item& item, const std::string& tenant);  // false: exists
  absl::StatusOr<std::optional<v1::Item>> GetItem(const std::string& tenant, const std::string& id);
  // Compare-and-set on the stored bytes; `published` adds to (true) or removes from (false) the
  // feed index; the event (optional) is written in the same script. False when it moved.
  absl::StatusOr<bool> ReplaceItem(const v1::Item& before, const v1::Item& after,
                                   std::optional<bool> published,
                                   const std::optional<OutboxEntry>& event);
  absl::StatusOr<std::vector<v1::Item>> ListItems(const std::string& tenant, int64_t offset,
                                                  int64_t limit);
  // Published item ids, newest publish time first, at most `limit`.
  absl::StatusOr<std::vector<v1::Item>> PublishedItems(const std::string& tenant, int64_t limit);
  absl::StatusOr<v1::TenantSettings> GetSettings(const std::string& tenant);
  absl::Status PutSettings(const v1::TenantSettings& settings);
  // The next caption-rotation counter (0-based) of an item on a network.
  absl::StatusOr<uint64_t> NextRotation(const std::string& tenant, const std::string& item,
                                        int network);

  // Shares.
  absl::StatusOr<ShareOutcome> CommitShare(const ShareCommit& commit);
  absl::StatusOr<std::vector<v1::Share>> ListShares(const std::string& tenant,
                                                    const std::string& employee);
  absl::StatusOr<std::set<std::string>> SharedKeys(const std::string& tenant,
                                                   const std::string& employee);
  // Cancels one scheduled share if its consent is (still) withdrawn and it is unchanged.
  absl::StatusOr<bool> CancelScheduled(const v1::Share& before, const std::string& consent_field);
  absl::Status SetOwnCap(const std::string& tenant, const std::string& employee, int network,
                         int cap);
  // field -> count; fields "s:<net>" and "c:<net>".
  absl::StatusOr<std::map<std::string, int64_t>> Stats(const std::string& tenant,
                                                       const std::string& employee);

  // Links.
  absl::StatusOr<bool> PutLink(const std::string& code, const LinkRecord& link);  // false: taken
  absl::Status DeleteLink(const std::string& code);
  absl::StatusOr<std::optional<LinkRecord>> GetLink(const std::string& code);
  // Counts one click and writes its event atomically; NotFound when the link vanished.
  absl::StatusOr<int64_t> CountClick(const std::string& code, const OutboxEntry& event);
  absl::Status AddEmployeeClick(const std::string& tenant, const std::string& employee,
                                int network);

  // Engagement aggregates (tenant slot; secondary data, written after the share commit).
  absl::Status NoteShare(const std::string& tenant, const std::string& employee,
                         const std::vector<std::string>& groups, bool on_leaderboard,
                         int64_t now_ms);
  absl::Status NoteMember(const std::string& tenant, const std::string& employee,
                          const std::vector<std::string>& groups);
  absl::StatusOr<int64_t> CountActive(const std::string& tenant, int64_t since_ms);
  absl::Status RemoveFromLeaderboard(const std::string& tenant, const std::string& employee);
  absl::StatusOr<std::vector<std::pair<std::string, int64_t>>> Leaderboard(
      const std::string& tenant, int64_t limit);
  struct GroupCounts {
    std::string group;
    int64_t members = 0;
    int64_t advocates = 0;
    int64_t shares = 0;
  };
  absl::StatusOr<std::vector<GroupCounts>> Groups(const std::string& tenant);

  static std::string EmployeeTag(const std::string& tenant, const std::string& employee);

 private:
  absl::StatusOr<redis::Reply> Run(const std::vector<std::string>& args);

  redis::Pool* pool_;
  std::string service_;
  redis::Script create_item_;
  redis::Script replace_item_;
  redis::Script share_;
  redis::Script cancel_;
  redis::Script click_;
};

}  // namespace advocacy::content
