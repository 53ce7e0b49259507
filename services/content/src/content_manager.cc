#include "content_manager.h"

#include <algorithm>
#include <chrono>
#include <optional>
#include <set>
#include <utility>

#include "absl/strings/numbers.h"
#include "advocacy/common/ids.h"
#include "advocacy/common/kafka.h"
#include "advocacy/common/logging.h"
#include "advocacy/common/status_macros.h"
#include "advocacy/common/strings.h"
#include "advocacy/content/v1/content_events.pb.h"

namespace advocacy::content {
namespace {

constexpr int kMaxGroups = 20;
constexpr int64_t kMaxScheduleAheadMs = int64_t{30} * 24 * 3600 * 1000;

absl::Status CheckGroups(const google::protobuf::RepeatedPtrField<std::string>& groups) {
  if (groups.size() > kMaxGroups) {
    return absl::InvalidArgumentError(advocacy::StrCat("groups: at most ", kMaxGroups));
  }
  for (int i = 0; i < groups.size(); ++i) {
    RETURN_IF_ERROR(ids::ValidateObjectId(advocacy::StrCat("groups[", i, "]"), groups.Get(i)));
  }
  return absl::OkStatus();
}

absl::Status CheckNetwork(cv1::Network n) {
  if (n == cv1::NETWORK_UNSPECIFIED || !cv1::Network_IsValid(n)) {
    return absl::InvalidArgumentError("network: must be a known network");
  }
  return absl::OkStatus();
}

absl::Status CheckTenantAndEmployee(const std::string& tenant, const std::string& employee) {
  RETURN_IF_ERROR(ids::ValidateTenantId("tenant_id", tenant));
  return ids::ValidateEmployeeId("employee_id", employee);
}

absl::StatusOr<int64_t> ParseToken(const std::string& token) {
  if (token.empty()) return 0;
  int64_t offset = 0;
  if (!absl::SimpleAtoi(token, &offset) || offset < 0 || offset > 100000) {
    return absl::InvalidArgumentError("page_token: is not a token this service returned");
  }
  return offset;
}

absl::StatusOr<int> PageSize(int requested, int def, int max) {
  if (requested < 0 || requested > max) {
    return absl::InvalidArgumentError(advocacy::StrCat("page_size: must be 0 to ", max));
  }
  return requested == 0 ? def : requested;
}

// Only the employee themselves: an admin must not share on somebody's behalf, and managers see
// aggregates, never one employee's feed, shares or statistics.
absl::Status AuthorizeSelf(const auth::Principal& p, const std::string& tenant,
                           const std::string& employee) {
  if (p.role != auth::Role::kEmployee || p.tenant_id != tenant || p.subject != employee) {
    return absl::PermissionDeniedError(advocacy::StrCat(
        "only employee '", employee, "' of tenant '", tenant, "' may do this for themselves"));
  }
  return absl::OkStatus();
}

absl::Status AuthorizeAnyoneInTenant(const auth::Principal& p, const std::string& tenant) {
  return auth::AuthorizeTenantAccess(
      p, tenant, {auth::Role::kAdmin, auth::Role::kEmployee, auth::Role::kService});
}

std::string NetworkName(cv1::Network n) { return std::string(cv1::Network_Name(n)); }

// The time a share takes effect: now, or the time it is scheduled for.
absl::StatusOr<int64_t> ValidateShare(const v1::RecordShareRequest& r, int64_t now) {
  RETURN_IF_ERROR(CheckTenantAndEmployee(r.tenant_id(), r.employee_id()));
  RETURN_IF_ERROR(ids::ValidateObjectId("item_id", r.item_id()));
  RETURN_IF_ERROR(CheckNetwork(r.network()));
  RETURN_IF_ERROR(CheckGroups(r.groups()));
  if (!r.has_scheduled_for()) return now;
  const int64_t when = ToMs(r.scheduled_for());
  if (when <= now || when > now + kMaxScheduleAheadMs) {
    return absl::InvalidArgumentError(
        "scheduled_for: must be in the future and at most 30 days ahead");
  }
  return when;
}

absl::Status AlreadyShared(const v1::RecordShareRequest& r) {
  return absl::AlreadyExistsError(advocacy::StrCat(
      "item '", r.item_id(), "' was already shared on ", NetworkName(r.network())));
}

absl::Status NoConsent(const v1::RecordShareRequest& r) {
  return absl::FailedPreconditionError(advocacy::StrCat(
      "employee '", r.employee_id(), "' has not consented to share on ", NetworkName(r.network())));
}

// What the caller is told when the share script did not commit; OK when it did.
absl::Status ShareRefusal(ShareOutcome outcome, const v1::RecordShareRequest& r, int64_t when,
                          const v1::TenantSettings& settings) {
  switch (outcome) {
    case ShareOutcome::kCommitted:
      return absl::OkStatus();
    case ShareOutcome::kNoConsent:
      return NoConsent(r);
    case ShareOutcome::kDuplicate:
      return AlreadyShared(r);
    case ShareOutcome::kCapReached:
      return absl::ResourceExhaustedError(
          advocacy::StrCat("the daily cap of shares on ", NetworkName(r.network()),
                           " is reached for ", DayOf(when), " (UTC)"));
    case ShareOutcome::kQuietHours:
      return absl::ResourceExhaustedError(advocacy::StrCat(
          "sharing is paused during the tenant's quiet hours (", settings.quiet_hours_start(),
          ":00-", settings.quiet_hours_end(), ":00 UTC); schedule the share for later"));
  }
  return absl::InternalError("unknown share outcome");
}

}  // namespace

ContentManager::ContentManager(ContentStore* store, consent_view::ConsentView* view,
                               ContentMetrics* metrics, outbox::Notifier* notifier,
                               ContentOptions options)
    : store_(store),
      view_(view),
      metrics_(metrics),
      notifier_(notifier),
      options_(std::move(options)),
      posts_(options_.link_base_url) {}

int64_t ContentManager::Now() const {
  if (options_.now_ms) return options_.now_ms();
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

OutboxEntry ContentManager::MakeEvent(const std::string& topic, const std::string& kafka_key,
                                      const std::string& tag,
                                      const google::protobuf::Message& payload) const {
  kafka::Message m;
  m.topic = topic;
  m.key = kafka_key;
  m.payload = payload.SerializeAsString();
  m.headers = kafka::ToHeaders({.id = kafka::NewEventId(),
                                .source = "/advocacy/content",
                                .type = payload.GetDescriptor()->full_name(),
                                .time = kafka::NowRfc3339(),
                                .subject = kafka_key});
  return {outbox::OutboxKey(kServiceName, tag), outbox::Encode(m)};
}

void ContentManager::Notify(const OutboxEntry& entry) {
  if (notifier_ != nullptr) notifier_->Notify(entry.key, entry.encoded);
}

// ----------------------------------------------------------------------------------------------
// Items

absl::StatusOr<v1::CreateItemResponse> ContentManager::CreateItem(const P& p,
                                                                  const v1::CreateItemRequest& r) {
  RETURN_IF_ERROR(ids::ValidateTenantId("tenant_id", r.tenant_id()));
  RETURN_IF_ERROR(auth::AuthorizeTenantAccess(p, r.tenant_id(), {auth::Role::kAdmin}));
  ASSIGN_OR_RETURN(const v1::TenantSettings settings, store_->GetSettings(r.tenant_id()));
  RETURN_IF_ERROR(ValidateItem(r.item(), settings.required_disclosure_tag()));
  // Each caption with the hashtags, the disclosure tag and the tracked link: refused here, so a
  // post is never cut when it is shared.
  RETURN_IF_ERROR(posts_.CheckForSave(r.item()));
  v1::Item item = r.item();
  // Fields this build does not know are not stored: they were never validated.
  item.DiscardUnknownFields();
  item.set_tenant_id(r.tenant_id());
  if (item.item_id().empty()) item.set_item_id(NewLinkCode());
  item.set_state(v1::ITEM_STATE_DRAFT);
  item.set_created_by(p.subject);
  *item.mutable_created_at() = FromMs(Now());
  *item.mutable_updated_at() = item.created_at();
  ASSIGN_OR_RETURN(const CreateOutcome created,
                   store_->CreateItem(item, r.tenant_id(), options_.quotas.items));
  if (created == CreateOutcome::kIdTaken) {
    return absl::AlreadyExistsError(
        advocacy::StrCat("item.item_id: item '", item.item_id(), "' already exists"));
  }
  if (created == CreateOutcome::kQuotaReached) {
    return absl::ResourceExhaustedError(
        advocacy::StrCat("tenant '", r.tenant_id(), "' holds its quota of ", options_.quotas.items,
                         " items (archived items count: they stay stored); the operator can raise "
                         "CONTENT_MAX_ITEMS_PER_TENANT"));
  }
  v1::CreateItemResponse out;
  *out.mutable_item() = std::move(item);
  return out;
}

absl::StatusOr<v1::Item> ContentManager::Transition(const P& p, const std::string& tenant,
                                                    const std::string& item_id, v1::ItemState to) {
  RETURN_IF_ERROR(ids::ValidateTenantId("tenant_id", tenant));
  RETURN_IF_ERROR(ids::ValidateObjectId("item_id", item_id));
  RETURN_IF_ERROR(auth::AuthorizeTenantAccess(p, tenant, {auth::Role::kAdmin}));
  ASSIGN_OR_RETURN(const v1::TenantSettings settings, store_->GetSettings(tenant));
  ASSIGN_OR_RETURN(const std::optional<v1::Item> before, store_->GetItem(tenant, item_id));
  if (!before.has_value()) {
    return absl::NotFoundError(advocacy::StrCat("item_id: no item '", item_id, "'"));
  }
  const v1::Item& cur = *before;
  const auto refuse = [&](std::string_view why) {
    return absl::FailedPreconditionError(
        advocacy::StrCat("item '", item_id, "' is ", v1::ItemState_Name(cur.state()), ": ", why));
  };
  v1::Item after = cur;
  after.set_state(to);
  *after.mutable_updated_at() = FromMs(Now());
  std::optional<bool> published;
  std::optional<OutboxEntry> event;
  switch (to) {
    case v1::ITEM_STATE_IN_REVIEW:
      if (cur.state() != v1::ITEM_STATE_DRAFT) return refuse("only drafts go into review");
      break;
    case v1::ITEM_STATE_PUBLISHED: {
      if (cur.state() == v1::ITEM_STATE_DRAFT && settings.approval_required()) {
        return refuse("the tenant requires approval: submit it for review first");
      }
      if (cur.state() != v1::ITEM_STATE_DRAFT && cur.state() != v1::ITEM_STATE_IN_REVIEW) {
        return refuse("only drafts and items in review can be published");
      }
      if (!settings.required_disclosure_tag().empty() &&
          cur.disclosure_tag() != settings.required_disclosure_tag()) {
        return refuse(advocacy::StrCat("the tenant requires the disclosure tag '",
                                       settings.required_disclosure_tag(), "'"));
      }
      if (!after.has_publish_at()) *after.mutable_publish_at() = after.updated_at();
      published = true;
      v1::ItemPublished e;
      *e.mutable_item() = after;
      *e.mutable_published_at() = after.updated_at();
      event = MakeEvent(options_.content_topic, tenant, tenant, e);
      break;
    }
    case v1::ITEM_STATE_ARCHIVED: {
      if (cur.state() == v1::ITEM_STATE_ARCHIVED) return refuse("it is archived already");
      published = false;
      v1::ItemArchived e;
      e.set_tenant_id(tenant);
      e.set_item_id(item_id);
      *e.mutable_archived_at() = after.updated_at();
      event = MakeEvent(options_.content_topic, tenant, tenant, e);
      break;
    }
    default:
      return absl::InternalError("unsupported item transition");
  }
  ASSIGN_OR_RETURN(const bool replaced, store_->ReplaceItem(cur, after, published, event));
  if (!replaced) {
    return absl::AbortedError(
        advocacy::StrCat("item '", item_id, "' changed concurrently; read it again and retry"));
  }
  if (event.has_value()) Notify(*event);
  if (to == v1::ITEM_STATE_PUBLISHED && metrics_ != nullptr) metrics_->ItemPublished(tenant);
  return after;
}

absl::StatusOr<v1::SubmitItemResponse> ContentManager::SubmitItem(const P& p,
                                                                  const v1::SubmitItemRequest& r) {
  v1::SubmitItemResponse out;
  ASSIGN_OR_RETURN(*out.mutable_item(),
                   Transition(p, r.tenant_id(), r.item_id(), v1::ITEM_STATE_IN_REVIEW));
  return out;
}

absl::StatusOr<v1::PublishItemResponse> ContentManager::PublishItem(
    const P& p, const v1::PublishItemRequest& r) {
  v1::PublishItemResponse out;
  ASSIGN_OR_RETURN(*out.mutable_item(),
                   Transition(p, r.tenant_id(), r.item_id(), v1::ITEM_STATE_PUBLISHED));
  return out;
}

absl::StatusOr<v1::ArchiveItemResponse> ContentManager::ArchiveItem(
    const P& p, const v1::ArchiveItemRequest& r) {
  v1::ArchiveItemResponse out;
  ASSIGN_OR_RETURN(*out.mutable_item(),
                   Transition(p, r.tenant_id(), r.item_id(), v1::ITEM_STATE_ARCHIVED));
  return out;
}

absl::StatusOr<v1::GetItemResponse> ContentManager::GetItem(const P& p,
                                                            const v1::GetItemRequest& r) {
  RETURN_IF_ERROR(ids::ValidateTenantId("tenant_id", r.tenant_id()));
  RETURN_IF_ERROR(ids::ValidateObjectId("item_id", r.item_id()));
  RETURN_IF_ERROR(AuthorizeAnyoneInTenant(p, r.tenant_id()));
  ASSIGN_OR_RETURN(std::optional<v1::Item> item, store_->GetItem(r.tenant_id(), r.item_id()));
  if (!item.has_value() ||
      (p.role == auth::Role::kEmployee && item->state() != v1::ITEM_STATE_PUBLISHED)) {
    return absl::NotFoundError(advocacy::StrCat("item_id: no item '", r.item_id(), "'"));
  }
  v1::GetItemResponse out;
  *out.mutable_item() = *std::move(item);
  return out;
}

absl::StatusOr<v1::ListItemsResponse> ContentManager::ListItems(const P& p,
                                                                const v1::ListItemsRequest& r) {
  RETURN_IF_ERROR(ids::ValidateTenantId("tenant_id", r.tenant_id()));
  ASSIGN_OR_RETURN(const int size, PageSize(r.page_size(), 20, 100));
  ASSIGN_OR_RETURN(const int64_t offset, ParseToken(r.page_token()));
  RETURN_IF_ERROR(auth::AuthorizeTenantAccess(p, r.tenant_id(), {auth::Role::kAdmin}));
  ASSIGN_OR_RETURN(std::vector<v1::Item> items, store_->ListItems(r.tenant_id(), offset, size + 1));
  v1::ListItemsResponse out;
  for (size_t i = 0; i < items.size() && static_cast<int>(i) < size; ++i) {
    *out.add_items() = std::move(items[i]);
  }
  if (static_cast<int>(items.size()) > size) {
    out.set_next_page_token(std::to_string(offset + size));
  }
  return out;
}

absl::StatusOr<v1::GetTenantSettingsResponse> ContentManager::GetTenantSettings(
    const P& p, const v1::GetTenantSettingsRequest& r) {
  RETURN_IF_ERROR(ids::ValidateTenantId("tenant_id", r.tenant_id()));
  RETURN_IF_ERROR(AuthorizeAnyoneInTenant(p, r.tenant_id()));
  v1::GetTenantSettingsResponse out;
  ASSIGN_OR_RETURN(*out.mutable_settings(), store_->GetSettings(r.tenant_id()));
  return out;
}

absl::StatusOr<v1::UpdateTenantSettingsResponse> ContentManager::UpdateTenantSettings(
    const P& p, const v1::UpdateTenantSettingsRequest& r) {
  RETURN_IF_ERROR(ids::ValidateTenantId("tenant_id", r.tenant_id()));
  const auto& s = r.settings();
  if (s.daily_share_cap() < 0 || s.daily_share_cap() > kMaxDailyCap) {
    return absl::InvalidArgumentError(
        advocacy::StrCat("settings.daily_share_cap: must be 0 to ", kMaxDailyCap));
  }
  if (s.quiet_hours_start() < 0 || s.quiet_hours_start() > 23) {
    return absl::InvalidArgumentError("settings.quiet_hours_start: must be 0 to 23");
  }
  if (s.quiet_hours_end() < 0 || s.quiet_hours_end() > 23) {
    return absl::InvalidArgumentError("settings.quiet_hours_end: must be 0 to 23");
  }
  if (s.required_disclosure_tag().size() > 50) {
    return absl::InvalidArgumentError("settings.required_disclosure_tag: at most 50 bytes");
  }
  RETURN_IF_ERROR(auth::AuthorizeTenantAccess(p, r.tenant_id(), {auth::Role::kAdmin}));
  v1::TenantSettings stored = s;
  stored.DiscardUnknownFields();
  stored.set_tenant_id(r.tenant_id());
  RETURN_IF_ERROR(store_->PutSettings(stored));
  v1::UpdateTenantSettingsResponse out;
  *out.mutable_settings() = std::move(stored);
  return out;
}

// ----------------------------------------------------------------------------------------------
// Feed and shares

absl::StatusOr<v1::GetFeedResponse> ContentManager::GetFeed(const P& p,
                                                            const v1::GetFeedRequest& r) {
  RETURN_IF_ERROR(CheckTenantAndEmployee(r.tenant_id(), r.employee_id()));
  RETURN_IF_ERROR(CheckGroups(r.groups()));
  if (r.language().size() > 35) return absl::InvalidArgumentError("language: too long");
  ASSIGN_OR_RETURN(const int size, PageSize(r.page_size(), 20, 50));
  ASSIGN_OR_RETURN(const int64_t offset, ParseToken(r.page_token()));
  RETURN_IF_ERROR(AuthorizeSelf(p, r.tenant_id(), r.employee_id()));

  ASSIGN_OR_RETURN(const consent_view::Snapshot snap, view_->Load(r.tenant_id(), r.employee_id()));
  FeedQuery q;
  q.groups.assign(r.groups().begin(), r.groups().end());
  q.language = r.language();
  q.now_ms = Now();
  for (const auto& field : snap.granted) {
    auto scope = consent_view::ConsentView::ParseScopeField(field);
    if (scope.ok() && scope->purpose() == cv1::PURPOSE_SHARE_CONTENT) {
      q.granted.insert(scope->network());
    }
  }
  if (!q.granted.empty()) {
    ASSIGN_OR_RETURN(q.shared, store_->SharedKeys(r.tenant_id(), r.employee_id()));
  }
  RETURN_IF_ERROR(AdmitGroups(r.tenant_id(), q.groups));
  if (absl::Status n = store_->NoteMember(r.tenant_id(), r.employee_id(), q.groups); !n.ok()) {
    log::Debug("group membership not noted", {{"error", std::string(n.message())}});
  }
  v1::GetFeedResponse out;
  out.set_consent_sequence(snap.sequence);
  if (q.granted.empty()) return out;  // no consent to share anywhere: nothing to offer
  ASSIGN_OR_RETURN(const std::vector<v1::Item> items, store_->PublishedItems(r.tenant_id(), 500));
  int64_t seen = 0;
  for (const auto& item : items) {
    auto networks = FeedNetworks(item, q);
    if (networks.empty()) continue;
    if (seen++ < offset) continue;
    if (out.entries_size() == size) {
      out.set_next_page_token(std::to_string(offset + size));
      break;
    }
    auto* e = out.add_entries();
    *e->mutable_item() = item;
    for (auto n : networks) e->add_networks(n);
  }
  return out;
}

absl::StatusOr<v1::RecordShareResponse> ContentManager::RecordShare(
    const P& p, const v1::RecordShareRequest& r) {
  const int64_t now = Now();
  ASSIGN_OR_RETURN(const int64_t when, ValidateShare(r, now));
  RETURN_IF_ERROR(AuthorizeSelf(p, r.tenant_id(), r.employee_id()));
  ASSIGN_OR_RETURN(const v1::Item item,
                   ShareableItem(r.tenant_id(), r.item_id(), r.network(), when));
  // Before anything is taken: an item saved before posts were checked may not fit.
  RETURN_IF_ERROR(posts_.CheckForShare(item, r.network()));
  // A cheap early refusal; the share script checks consent again atomically.
  ASSIGN_OR_RETURN(const consent_view::Snapshot snap, view_->Load(r.tenant_id(), r.employee_id()));
  const std::string field =
      consent_view::ConsentView::ScopeField(cv1::PURPOSE_SHARE_CONTENT, r.network());
  if (std::find(snap.granted.begin(), snap.granted.end(), field) == snap.granted.end()) {
    return NoConsent(r);
  }
  // A retry of a share already recorded is ALREADY_EXISTS, also when the tenant is at its link
  // quota (the share script checks it again atomically).
  ASSIGN_OR_RETURN(const std::set<std::string> shared,
                   store_->SharedKeys(r.tenant_id(), r.employee_id()));
  if (shared.count(SharedKey(r.item_id(), r.network())) != 0) return AlreadyShared(r);
  ASSIGN_OR_RETURN(const v1::TenantSettings settings, store_->GetSettings(r.tenant_id()));
  RETURN_IF_ERROR(ReserveShareQuotas(r));
  // From here on the link reservation is given back unless the share commits.
  absl::StatusOr<uint64_t> rotation = store_->NextRotation(r.tenant_id(), r.item_id(), r.network());
  absl::StatusOr<std::string> code =
      rotation.ok() ? AllocateLink(r, item) : absl::StatusOr<std::string>(rotation.status());
  if (!code.ok()) {
    ReleaseLinkQuota(r.tenant_id());
    return code.status();
  }
  const ShareCommit commit = PrepareShare(r, item, settings, *rotation, *code, now, when);
  ASSIGN_OR_RETURN(const ShareOutcome outcome, CommitOrReleaseLink(commit));
  RETURN_IF_ERROR(ShareRefusal(outcome, r, when, settings));
  Notify(commit.event);
  AfterShare(commit.share, {r.groups().begin(), r.groups().end()});
  v1::RecordShareResponse out;
  *out.mutable_share() = commit.share;
  out.set_consent_sequence(snap.sequence);
  // Cannot fail: CheckForShare passed every variant with a link of this length.
  ASSIGN_OR_RETURN(*out.mutable_post(), posts_.Compose(item, r.network(), commit.share.caption(),
                                                       commit.share.tracked_url()));
  return out;
}

absl::StatusOr<v1::PreviewShareResponse> ContentManager::PreviewShare(
    const P& p, const v1::PreviewShareRequest& r) {
  RETURN_IF_ERROR(CheckTenantAndEmployee(r.tenant_id(), r.employee_id()));
  RETURN_IF_ERROR(ids::ValidateObjectId("item_id", r.item_id()));
  RETURN_IF_ERROR(CheckNetwork(r.network()));
  RETURN_IF_ERROR(AuthorizeSelf(p, r.tenant_id(), r.employee_id()));
  ASSIGN_OR_RETURN(const std::vector<v1::Share> shares,
                   store_->ListShares(r.tenant_id(), r.employee_id()));
  const auto existing = std::find_if(shares.begin(), shares.end(), [&r](const v1::Share& s) {
    return s.item_id() == r.item_id() && s.network() == r.network() &&
           s.state() != v1::SHARE_STATE_CANCELLED;
  });
  v1::PreviewShareResponse out;
  if (existing != shares.end()) {
    // The share's own post: its caption and tracked link, also after the item expired.
    ASSIGN_OR_RETURN(const v1::Item item,
                     ShareableItem(r.tenant_id(), r.item_id(), r.network(), std::nullopt));
    ASSIGN_OR_RETURN(*out.mutable_post(), posts_.Compose(item, r.network(), existing->caption(),
                                                         existing->tracked_url()));
    *out.mutable_share() = *existing;
    return out;
  }
  ASSIGN_OR_RETURN(const v1::Item item,
                   ShareableItem(r.tenant_id(), r.item_id(), r.network(), Now()));
  RETURN_IF_ERROR(posts_.CheckForShare(item, r.network()));
  ASSIGN_OR_RETURN(const uint64_t rotation,
                   store_->PeekRotation(r.tenant_id(), r.item_id(), r.network()));
  ASSIGN_OR_RETURN(*out.mutable_post(),
                   posts_.Compose(item, r.network(),
                                  PickCaption(*CaptionsFor(item, r.network()), rotation), ""));
  return out;
}

absl::StatusOr<v1::Item> ContentManager::ShareableItem(const std::string& tenant,
                                                       const std::string& item_id,
                                                       cv1::Network network,
                                                       std::optional<int64_t> when) {
  ASSIGN_OR_RETURN(std::optional<v1::Item> item, store_->GetItem(tenant, item_id));
  if (!item.has_value() || item->state() != v1::ITEM_STATE_PUBLISHED) {
    return absl::NotFoundError(advocacy::StrCat("item_id: no published item '", item_id, "'"));
  }
  if (when.has_value() && item->has_expires_at() && ToMs(item->expires_at()) <= *when) {
    return absl::FailedPreconditionError(
        advocacy::StrCat("item '", item_id, "' has expired (or will have by then)"));
  }
  if (CaptionsFor(*item, network) == nullptr) {
    return absl::InvalidArgumentError(
        advocacy::StrCat("network: item '", item_id, "' is not meant for ", NetworkName(network)));
  }
  return *std::move(item);
}

absl::StatusOr<std::string> ContentManager::AllocateLink(const v1::RecordShareRequest& r,
                                                         const v1::Item& item) {
  const LinkRecord link = {.tenant_id = r.tenant_id(),
                           .employee_id = r.employee_id(),
                           .item_id = r.item_id(),
                           .network = r.network(),
                           .target = WithUtm(item.url(), r.network(), r.item_id())};
  // 95 random bits make a collision practically impossible; the retries are belt and braces.
  for (int attempt = 0; attempt < 3; ++attempt) {
    std::string candidate = NewLinkCode();
    ASSIGN_OR_RETURN(const bool stored, store_->PutLink(candidate, link));
    if (stored) return candidate;
  }
  return absl::InternalError("could not allocate a unique link code");
}

ShareCommit ContentManager::PrepareShare(const v1::RecordShareRequest& r, const v1::Item& item,
                                         const v1::TenantSettings& settings, uint64_t rotation,
                                         const std::string& code, int64_t now, int64_t when) const {
  const bool scheduled = r.has_scheduled_for();
  v1::Share share;
  share.set_tenant_id(r.tenant_id());
  share.set_employee_id(r.employee_id());
  share.set_item_id(r.item_id());
  share.set_network(r.network());
  share.set_caption(PickCaption(*CaptionsFor(item, r.network()), rotation));
  share.set_link_code(code);
  share.set_tracked_url(advocacy::StrCat(options_.link_base_url, code));
  share.set_state(scheduled ? v1::SHARE_STATE_SCHEDULED : v1::SHARE_STATE_SHARED);
  *share.mutable_recorded_at() = FromMs(now);
  if (scheduled) *share.mutable_scheduled_for() = FromMs(when);

  v1::ShareRecorded event;
  event.set_tenant_id(share.tenant_id());
  event.set_employee_id(share.employee_id());
  event.set_item_id(share.item_id());
  event.set_network(share.network());
  event.set_link_code(code);
  event.set_state(share.state());
  *event.mutable_occurred_at() = share.recorded_at();
  // The employee's hash tag: the outbox entry shares the slot of the share and the consent view.
  const std::string tag = advocacy::StrCat(r.tenant_id(), ":", r.employee_id());
  OutboxEntry entry = MakeEvent(options_.engagement_topic,
                                advocacy::StrCat(r.tenant_id(), "/", r.employee_id()), tag, event);
  return ShareCommit{.share = std::move(share),
                     .consent_field = consent_view::ConsentView::ScopeField(
                         cv1::PURPOSE_SHARE_CONTENT, r.network()),
                     .day = DayOf(when),
                     .tenant_cap = settings.daily_share_cap(),
                     .quiet_start = settings.quiet_hours_start(),
                     .quiet_end = settings.quiet_hours_end(),
                     .hour = static_cast<int>((when / 3600000) % 24),
                     .event = std::move(entry)};
}

absl::Status ContentManager::AdmitGroups(const std::string& tenant,
                                         const std::vector<std::string>& groups) {
  if (groups.empty()) return absl::OkStatus();
  ASSIGN_OR_RETURN(const bool admitted,
                   store_->AdmitGroups(tenant, groups, options_.quotas.groups));
  if (admitted) return absl::OkStatus();
  return absl::ResourceExhaustedError(
      advocacy::StrCat("groups: tenant '", tenant, "' holds its quota of ", options_.quotas.groups,
                       " groups and this request names a new one; the operator can raise "
                       "CONTENT_MAX_GROUPS_PER_TENANT"));
}

absl::Status ContentManager::ReserveShareQuotas(const v1::RecordShareRequest& r) {
  ASSIGN_OR_RETURN(const bool reserved, store_->ReserveLink(r.tenant_id(), options_.quotas.links));
  if (!reserved) {
    return absl::ResourceExhaustedError(advocacy::StrCat(
        "tenant '", r.tenant_id(), "' holds its quota of ", options_.quotas.links,
        " tracked links (one per share); the operator can raise CONTENT_MAX_LINKS_PER_TENANT"));
  }
  absl::Status groups = AdmitGroups(r.tenant_id(), {r.groups().begin(), r.groups().end()});
  if (!groups.ok()) ReleaseLinkQuota(r.tenant_id());
  return groups;
}

void ContentManager::ReleaseLinkQuota(const std::string& tenant) {
  if (absl::Status st = store_->ReleaseLink(tenant); !st.ok()) {
    log::Warning(
        "a link reservation was not given back: the tenant's link count is one too high "
        "(it errs towards refusing, never towards exceeding the quota)",
        {{"tenant", tenant}, {"error", std::string(st.message())}});
  }
}

absl::StatusOr<ShareOutcome> ContentManager::CommitOrReleaseLink(const ShareCommit& commit) {
  absl::StatusOr<ShareOutcome> outcome = store_->CommitShare(commit);
  if (!outcome.ok() || *outcome != ShareOutcome::kCommitted) {
    ReleaseLinkQuota(commit.share.tenant_id());
    const std::string& code = commit.share.link_code();
    if (absl::Status d = store_->DeleteLink(code); !d.ok()) {
      log::Warning(
          "an unused link record was left behind (harmless: it only redirects to the "
          "item's own URL)",
          {{"code", code}, {"error", std::string(d.message())}});
    }
  }
  return outcome;
}

void ContentManager::AfterShare(const v1::Share& share, const std::vector<std::string>& groups) {
  if (metrics_ != nullptr) metrics_->Share(share.tenant_id(), share.network());
  cv1::ConsentScope board;
  board.set_purpose(cv1::PURPOSE_LEADERBOARD);
  auto on_board = view_->IsGranted(share.tenant_id(), share.employee_id(), board);
  const int64_t now = Now();
  if (absl::Status st = store_->NoteShare(share.tenant_id(), share.employee_id(), groups,
                                          on_board.ok() && *on_board, now);
      !st.ok()) {
    log::Warning("engagement aggregates not updated for a share",
                 {{"tenant", share.tenant_id()}, {"error", std::string(st.message())}});
    return;
  }
  auto active = store_->CountActive(share.tenant_id(), now - options_.active_window.count());
  if (active.ok() && metrics_ != nullptr) metrics_->SetActiveAdvocates(share.tenant_id(), *active);
}

absl::StatusOr<v1::ListMySharesResponse> ContentManager::ListMyShares(
    const P& p, const v1::ListMySharesRequest& r) {
  RETURN_IF_ERROR(CheckTenantAndEmployee(r.tenant_id(), r.employee_id()));
  RETURN_IF_ERROR(AuthorizeSelf(p, r.tenant_id(), r.employee_id()));
  ASSIGN_OR_RETURN(std::vector<v1::Share> shares,
                   store_->ListShares(r.tenant_id(), r.employee_id()));
  v1::ListMySharesResponse out;
  for (auto& s : shares) *out.add_shares() = std::move(s);
  return out;
}

absl::StatusOr<v1::SetMyShareCapResponse> ContentManager::SetMyShareCap(
    const P& p, const v1::SetMyShareCapRequest& r) {
  RETURN_IF_ERROR(CheckTenantAndEmployee(r.tenant_id(), r.employee_id()));
  RETURN_IF_ERROR(CheckNetwork(r.network()));
  if (r.daily_cap() < 0 || r.daily_cap() > kMaxDailyCap) {
    return absl::InvalidArgumentError(advocacy::StrCat("daily_cap: must be 0 to ", kMaxDailyCap));
  }
  RETURN_IF_ERROR(AuthorizeSelf(p, r.tenant_id(), r.employee_id()));
  RETURN_IF_ERROR(store_->SetOwnCap(r.tenant_id(), r.employee_id(), r.network(), r.daily_cap()));
  return v1::SetMyShareCapResponse();
}

absl::StatusOr<v1::GetMySharingLimitsResponse> ContentManager::GetMySharingLimits(
    const P& p, const v1::GetMySharingLimitsRequest& r) {
  RETURN_IF_ERROR(CheckTenantAndEmployee(r.tenant_id(), r.employee_id()));
  RETURN_IF_ERROR(AuthorizeSelf(p, r.tenant_id(), r.employee_id()));
  ASSIGN_OR_RETURN(const v1::TenantSettings settings, store_->GetSettings(r.tenant_id()));
  std::vector<int> networks;
  for (int n = cv1::Network_MIN; n <= cv1::Network_MAX; ++n) {
    if (n != cv1::NETWORK_UNSPECIFIED && cv1::Network_IsValid(n)) networks.push_back(n);
  }
  const std::string day = DayOf(Now());
  ASSIGN_OR_RETURN(const auto use, store_->Limits(r.tenant_id(), r.employee_id(), day, networks));
  // EffectiveCap is commit_share.lua's rule: the tenant's cap (its default when unset), lowered
  // by the employee's own.
  const int tenant_cap = EffectiveCap(settings.daily_share_cap(), 0);
  v1::GetMySharingLimitsResponse out;
  out.set_day(advocacy::StrCat(day.substr(0, 4), "-", day.substr(4, 2), "-", day.substr(6)));
  out.set_quiet_hours_start(settings.quiet_hours_start());
  out.set_quiet_hours_end(settings.quiet_hours_end());
  for (const int n : networks) {
    const ContentStore::NetworkUse& u = use.at(n);
    auto* limit = out.add_networks();
    limit->set_network(static_cast<cv1::Network>(n));
    limit->set_tenant_daily_cap(tenant_cap);
    limit->set_own_daily_cap(u.own_cap);
    limit->set_daily_cap(EffectiveCap(settings.daily_share_cap(), u.own_cap));
    limit->set_used_today(u.used);
  }
  return out;
}

absl::StatusOr<v1::GetMyStatsResponse> ContentManager::GetMyStats(const P& p,
                                                                  const v1::GetMyStatsRequest& r) {
  RETURN_IF_ERROR(CheckTenantAndEmployee(r.tenant_id(), r.employee_id()));
  // Own statistics: only the employee; managers see group aggregates, never individuals.
  RETURN_IF_ERROR(AuthorizeSelf(p, r.tenant_id(), r.employee_id()));
  ASSIGN_OR_RETURN(auto stats, store_->Stats(r.tenant_id(), r.employee_id()));
  v1::GetMyStatsResponse out;
  for (int n = cv1::Network_MIN; n <= cv1::Network_MAX; ++n) {
    if (n == cv1::NETWORK_UNSPECIFIED || !cv1::Network_IsValid(n)) continue;
    const int64_t s = stats[advocacy::StrCat("s:", n)];
    const int64_t c = stats[advocacy::StrCat("c:", n)];
    if (s == 0 && c == 0) continue;
    auto* ns = out.add_networks();
    ns->set_network(static_cast<cv1::Network>(n));
    ns->set_shares(s);
    ns->set_clicks(c);
    out.set_total_shares(out.total_shares() + s);
    out.set_total_clicks(out.total_clicks() + c);
  }
  return out;
}

absl::StatusOr<v1::GetLeaderboardResponse> ContentManager::GetLeaderboard(
    const P& p, const v1::GetLeaderboardRequest& r) {
  RETURN_IF_ERROR(ids::ValidateTenantId("tenant_id", r.tenant_id()));
  if (r.limit() < 0 || r.limit() > 100) {
    return absl::InvalidArgumentError("limit: must be 0 to 100");
  }
  const int limit = r.limit() == 0 ? 10 : r.limit();
  RETURN_IF_ERROR(AuthorizeAnyoneInTenant(p, r.tenant_id()));
  ASSIGN_OR_RETURN(const auto rows, store_->Leaderboard(r.tenant_id(), 2 * limit + 10));
  cv1::ConsentScope board;
  board.set_purpose(cv1::PURPOSE_LEADERBOARD);
  v1::GetLeaderboardResponse out;
  for (const auto& [employee, shares] : rows) {
    if (out.entries_size() == limit) break;
    // The view is the authority: a withdrawal applied after this row was written still hides it.
    ASSIGN_OR_RETURN(const bool granted, view_->IsGranted(r.tenant_id(), employee, board));
    if (!granted) continue;
    auto* e = out.add_entries();
    e->set_employee_id(employee);
    e->set_shares(shares);
  }
  return out;
}

absl::StatusOr<v1::GetGroupStatsResponse> ContentManager::GetGroupStats(
    const P& p, const v1::GetGroupStatsRequest& r) {
  RETURN_IF_ERROR(ids::ValidateTenantId("tenant_id", r.tenant_id()));
  RETURN_IF_ERROR(auth::AuthorizeTenantAccess(p, r.tenant_id(), {auth::Role::kAdmin}));
  ASSIGN_OR_RETURN(const std::vector<ContentStore::GroupCounts> groups,
                   store_->Groups(r.tenant_id()));
  v1::GetGroupStatsResponse out;
  for (const auto& g : groups) {
    if (g.members < options_.min_group_size) {
      out.set_suppressed_groups(out.suppressed_groups() + 1);
      continue;
    }
    auto* s = out.add_groups();
    s->set_group(g.group);
    s->set_members(g.members);
    s->set_advocates(g.advocates);
    s->set_shares(g.shares);
  }
  return out;
}

// ----------------------------------------------------------------------------------------------
// Links and consent

absl::StatusOr<std::string> ContentManager::ResolveClick(std::string_view code) {
  if (!IsValidLinkCode(code)) return absl::NotFoundError("no such link");
  const std::string c(code);
  ASSIGN_OR_RETURN(const std::optional<LinkRecord> link, store_->GetLink(c));
  if (!link.has_value()) return absl::NotFoundError("no such link");
  const LinkRecord& l = *link;
  v1::LinkClicked event;
  event.set_tenant_id(l.tenant_id);
  event.set_employee_id(l.employee_id);
  event.set_item_id(l.item_id);
  event.set_network(static_cast<cv1::Network>(l.network));
  event.set_link_code(c);
  *event.mutable_occurred_at() = FromMs(Now());
  const OutboxEntry entry =
      MakeEvent(options_.engagement_topic, advocacy::StrCat(l.tenant_id, "/", l.employee_id),
                advocacy::StrCat("lnk:", c), event);
  RETURN_IF_ERROR(store_->CountClick(c, entry).status());
  Notify(entry);
  if (metrics_ != nullptr) metrics_->Click(l.tenant_id, static_cast<cv1::Network>(l.network));
  if (absl::Status st = store_->AddEmployeeClick(l.tenant_id, l.employee_id, l.network); !st.ok()) {
    log::Warning("an employee's click statistic was not updated",
                 {{"tenant", l.tenant_id}, {"error", std::string(st.message())}});
  }
  return l.target;
}

absl::Status ContentManager::OnConsentWithdrawn(const consent_view::ApplyResult& result) {
  std::optional<std::vector<v1::Share>> shares;
  for (const auto& field : result.withdrawn) {
    auto scope = consent_view::ConsentView::ParseScopeField(field);
    if (!scope.ok()) continue;  // a purpose this service does not act on
    if (scope->purpose() == cv1::PURPOSE_LEADERBOARD) {
      RETURN_IF_ERROR(store_->RemoveFromLeaderboard(result.tenant_id, result.employee_id));
    } else if (scope->purpose() == cv1::PURPOSE_SHARE_CONTENT) {
      if (!shares.has_value()) {
        ASSIGN_OR_RETURN(shares, store_->ListShares(result.tenant_id, result.employee_id));
      }
      for (const auto& s : *shares) {
        if (s.state() != v1::SHARE_STATE_SCHEDULED || s.network() != scope->network()) continue;
        ASSIGN_OR_RETURN(const bool cancelled, store_->CancelScheduled(s, field));
        if (cancelled) {
          log::Info("scheduled share cancelled after consent withdrawal",
                    {{"tenant", s.tenant_id()},
                     {"item", s.item_id()},
                     {"network", NetworkName(s.network())}});
        }
      }
    }
  }
  return absl::OkStatus();
}

}  // namespace advocacy::content
