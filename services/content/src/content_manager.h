#pragma once

// The content service's domain logic: items, feed, shares, links, engagement. Plain C++ on
// protobuf messages; storage is a ContentStore (ports.h), consent comes from the local
// ConsentView, and committed outbox entries are handed to an outbox::Notifier.
// Every method validates its input, then authorizes the caller; errors are absl::Status, with
// the field path first for InvalidArgument. Items are bounded (content_domain.h) and stored
// without unknown fields. A write beyond a tenant quota (ContentQuotas) is ResourceExhausted and
// changes nothing; a retry of a write already made (an existing item id, a share already
// recorded) is answered as before (ALREADY_EXISTS) and never counted twice.

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "advocacy/common/auth.h"
#include "advocacy/common/consent_view.h"
#include "advocacy/common/outbox.h"
#include "advocacy/content/v1/content_service.pb.h"
#include "content_metrics.h"
#include "ports.h"
#include "post_text.h"

namespace advocacy::content {

// Per-tenant quotas (CONTENT_MAX_*_PER_TENANT). Each counter lives in the tenant's own Redis
// keys and is checked in the same script that writes, so concurrent writers never exceed it.
struct ContentQuotas {
  // Stored items, archived ones included (they stay stored and their links keep redirecting).
  int64_t items = 10000;
  // Distinct groups employees report (GetFeed, RecordShare) for the group aggregates.
  int64_t groups = 1000;
  // Tracked links, one per share (scheduled and cancelled shares keep theirs).
  int64_t links = 1000000;
};

struct ContentOptions {
  std::string content_topic = "advocacy.content.v1";
  std::string engagement_topic = "advocacy.engagement.v1";
  // Prefix of tracked links: the code is appended, e.g. "http://127.0.0.1:8080/l/".
  std::string link_base_url = "http://127.0.0.1:8080/l/";
  // Group aggregates are shown only for groups of at least this many known members.
  int min_group_size = 5;
  std::chrono::milliseconds active_window = std::chrono::hours(24 * 30);
  ContentQuotas quotas;
  // The clock (Unix ms); tests replace it.
  std::function<int64_t()> now_ms;
};

class ContentManager final {
 public:
  // `notifier` is told of every outbox entry a script committed, so the relay publishes it at
  // once (may be null: the relay's sweep publishes it after its lease). `metrics` may be null.
  ContentManager(ContentStore* store, consent_view::ConsentView* view, ContentMetrics* metrics,
                 outbox::Notifier* notifier, ContentOptions options);

  using P = auth::Principal;
  absl::StatusOr<v1::CreateItemResponse> CreateItem(const P& p, const v1::CreateItemRequest& r);
  absl::StatusOr<v1::SubmitItemResponse> SubmitItem(const P& p, const v1::SubmitItemRequest& r);
  absl::StatusOr<v1::PublishItemResponse> PublishItem(const P& p, const v1::PublishItemRequest& r);
  absl::StatusOr<v1::ArchiveItemResponse> ArchiveItem(const P& p, const v1::ArchiveItemRequest& r);
  absl::StatusOr<v1::GetItemResponse> GetItem(const P& p, const v1::GetItemRequest& r);
  absl::StatusOr<v1::ListItemsResponse> ListItems(const P& p, const v1::ListItemsRequest& r);
  absl::StatusOr<v1::GetTenantSettingsResponse> GetTenantSettings(
      const P& p, const v1::GetTenantSettingsRequest& r);
  absl::StatusOr<v1::UpdateTenantSettingsResponse> UpdateTenantSettings(
      const P& p, const v1::UpdateTenantSettingsRequest& r);

  absl::StatusOr<v1::GetFeedResponse> GetFeed(const P& p, const v1::GetFeedRequest& r);
  absl::StatusOr<v1::RecordShareResponse> RecordShare(const P& p, const v1::RecordShareRequest& r);
  // Read-only: no share, link, cap, quota or rotation is touched (post_text.h makes the post).
  absl::StatusOr<v1::PreviewShareResponse> PreviewShare(const P& p,
                                                        const v1::PreviewShareRequest& r);
  absl::StatusOr<v1::ListMySharesResponse> ListMyShares(const P& p,
                                                        const v1::ListMySharesRequest& r);
  absl::StatusOr<v1::SetMyShareCapResponse> SetMyShareCap(const P& p,
                                                          const v1::SetMyShareCapRequest& r);
  absl::StatusOr<v1::GetMySharingLimitsResponse> GetMySharingLimits(
      const P& p, const v1::GetMySharingLimitsRequest& r);
  absl::StatusOr<v1::GetMyStatsResponse> GetMyStats(const P& p, const v1::GetMyStatsRequest& r);
  absl::StatusOr<v1::GetLeaderboardResponse> GetLeaderboard(const P& p,
                                                            const v1::GetLeaderboardRequest& r);
  absl::StatusOr<v1::GetGroupStatsResponse> GetGroupStats(const P& p,
                                                          const v1::GetGroupStatsRequest& r);

  // The redirect target of a tracked link (the stored item URL with UTM parameters), after
  // counting the click once. NotFound for malformed or unknown codes.
  absl::StatusOr<std::string> ResolveClick(std::string_view code);

  // The consent view's withdrawal callback: drops the employee from the leaderboard and cancels
  // their scheduled shares on withdrawn networks. Idempotent.
  absl::Status OnConsentWithdrawn(const consent_view::ApplyResult& result);

 private:
  int64_t Now() const;
  OutboxEntry MakeEvent(const std::string& topic, const std::string& kafka_key,
                        const std::string& tag, const google::protobuf::Message& payload) const;
  void Notify(const OutboxEntry& entry);
  absl::StatusOr<v1::Item> Transition(const P& p, const std::string& tenant,
                                      const std::string& item_id, v1::ItemState to);

  // The steps of RecordShare, in order.
  // The published item meant for `network`, unexpired at `when` when given (a share exists
  // already otherwise).
  absl::StatusOr<v1::Item> ShareableItem(const std::string& tenant, const std::string& item_id,
                                         cv1::Network network, std::optional<int64_t> when);
  // A fresh tracked-link code, stored with the item's URL (UTM parameters added) as its target.
  absl::StatusOr<std::string> AllocateLink(const v1::RecordShareRequest& r, const v1::Item& item);
  // The share and its ShareRecorded event, ready for the share script.
  ShareCommit PrepareShare(const v1::RecordShareRequest& r, const v1::Item& item,
                           const v1::TenantSettings& settings, uint64_t rotation,
                           const std::string& code, int64_t now, int64_t when) const;
  // The tenant's quotas for a share: one more link, and the groups it names (a new group counts
  // once). On a refusal nothing is held: ResourceExhausted naming the quota.
  absl::Status ReserveShareQuotas(const v1::RecordShareRequest& r);
  // Gives a link reservation back (a share that was not committed); logs a failure.
  void ReleaseLinkQuota(const std::string& tenant);
  // Runs the share script; when it did not commit, the link allocated for it is deleted and its
  // reservation given back.
  absl::StatusOr<ShareOutcome> CommitOrReleaseLink(const ShareCommit& commit);
  // ResourceExhausted when `groups` name a group the tenant does not have and it holds its quota.
  absl::Status AdmitGroups(const std::string& tenant, const std::vector<std::string>& groups);
  // Engagement aggregates and metrics after a committed share (best effort).
  void AfterShare(const v1::Share& share, const std::vector<std::string>& groups);

  ContentStore* store_;
  consent_view::ConsentView* view_;
  ContentMetrics* metrics_;
  outbox::Notifier* notifier_;
  ContentOptions options_;
  PostComposer posts_;
};

}  // namespace advocacy::content
