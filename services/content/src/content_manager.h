#pragma once

// The content service's domain logic: items, feed, shares, links, engagement. Plain C++ on
// protobuf messages; storage is a ContentStore (ports.h), consent comes from the local
// ConsentView, and committed outbox entries are handed to an outbox::Notifier.
// Every method validates its input, then authorizes the caller; errors are absl::Status, with
// the field path first for InvalidArgument.

#include <chrono>
#include <cstdint>
#include <functional>
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

namespace advocacy::content {

struct ContentOptions {
  std::string content_topic = "advocacy.content.v1";
  std::string engagement_topic = "advocacy.engagement.v1";
  // Prefix of tracked links: the code is appended, e.g. "http://127.0.0.1:8080/l/".
  std::string link_base_url = "http://127.0.0.1:8080/l/";
  // Group aggregates are shown only for groups of at least this many known members.
  int min_group_size = 5;
  std::chrono::milliseconds active_window = std::chrono::hours(24 * 30);
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
  absl::StatusOr<v1::ListMySharesResponse> ListMyShares(const P& p,
                                                        const v1::ListMySharesRequest& r);
  absl::StatusOr<v1::SetMyShareCapResponse> SetMyShareCap(const P& p,
                                                          const v1::SetMyShareCapRequest& r);
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
  // The published, unexpired item the request may share on its network at `when`.
  absl::StatusOr<v1::Item> ShareableItem(const v1::RecordShareRequest& r, int64_t when);
  // A fresh tracked-link code, stored with the item's URL (UTM parameters added) as its target.
  absl::StatusOr<std::string> AllocateLink(const v1::RecordShareRequest& r, const v1::Item& item);
  // The share and its ShareRecorded event, ready for the share script.
  ShareCommit PrepareShare(const v1::RecordShareRequest& r, const v1::Item& item,
                           const v1::TenantSettings& settings, uint64_t rotation,
                           const std::string& code, int64_t now, int64_t when) const;
  // Runs the share script; when it did not commit, the link allocated for it is deleted.
  absl::StatusOr<ShareOutcome> CommitOrReleaseLink(const ShareCommit& commit);
  // Engagement aggregates and metrics after a committed share (best effort).
  void AfterShare(const v1::Share& share, const std::vector<std::string>& groups);

  ContentStore* store_;
  consent_view::ConsentView* view_;
  ContentMetrics* metrics_;
  outbox::Notifier* notifier_;
  ContentOptions options_;
};

}  // namespace advocacy::content
