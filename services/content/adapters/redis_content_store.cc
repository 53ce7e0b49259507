#include "redis_content_store.h"

#include <algorithm>
#include <utility>

#include "absl/strings/numbers.h"
#include "advocacy/common/outbox.h"
#include "advocacy/common/status_macros.h"
#include "advocacy/common/strings.h"
#include "content_scripts.h"  // generated from lua/*.lua

namespace advocacy::content {
namespace {

constexpr int64_t kDayTtlSeconds = int64_t{3} * 24 * 3600;
constexpr int64_t kFeedScanLimit = 500;

std::string TenantKey(const std::string& t, std::string_view suffix) {
  return advocacy::StrCat("adv:content:{", t, "}:", suffix);
}
std::string EmpKey(const std::string& t, const std::string& e, std::string_view suffix) {
  return advocacy::StrCat("adv:content:{", t, ":", e, "}:", suffix);
}
std::string LinkKey(const std::string& code) {
  return advocacy::StrCat("adv:content:{lnk:", code, "}:link");
}

absl::StatusOr<std::vector<v1::Item>> DecodeItems(const redis::Reply& r) {
  if (!r.is_array()) return redis::RefusedError(r, "an item read");
  std::vector<v1::Item> items;
  for (const auto& e : r.elements) {
    if (!e.is_string()) continue;  // removed meanwhile
    v1::Item item;
    if (!item.ParseFromString(e.str)) {
      return absl::DataLossError("a stored content item cannot be decoded");
    }
    items.push_back(std::move(item));
  }
  return items;
}

// Error replies of a pipeline stay elements (redis::Pool::Pipeline); any of them fails `what`.
absl::StatusOr<std::vector<redis::Reply>> PipelineOrRefused(
    redis::Pool& pool, const std::vector<std::vector<std::string>>& commands,
    std::string_view what) {
  ASSIGN_OR_RETURN(std::vector<redis::Reply> replies, pool.Pipeline(commands));
  for (const redis::Reply& reply : replies) {
    if (reply.is_error()) return redis::RefusedError(reply, what);
  }
  return replies;
}

}  // namespace

RedisContentStore::RedisContentStore(redis::Pool* pool, std::string service)
    : pool_(pool),
      service_(std::move(service)),
      create_item_(std::string(scripts::kCreateItemLua)),
      replace_item_(std::string(scripts::kReplaceItemLua)),
      share_(std::string(scripts::kCommitShareLua)),
      cancel_(std::string(scripts::kCancelScheduledLua)),
      click_(std::string(scripts::kCountClickLua)),
      admit_groups_(std::string(scripts::kAdmitGroupsLua)),
      reserve_link_(std::string(scripts::kReserveLinkLua)),
      release_link_(std::string(scripts::kReleaseLinkLua)) {}

std::string RedisContentStore::EmployeeTag(const std::string& tenant, const std::string& employee) {
  return advocacy::StrCat(tenant, ":", employee);
}

absl::StatusOr<CreateOutcome> RedisContentStore::CreateItem(const v1::Item& item,
                                                            const std::string& t,
                                                            int64_t max_items) {
  ASSIGN_OR_RETURN(
      const redis::Reply r,
      pool_->Eval(create_item_,
                  {TenantKey(t, advocacy::StrCat("item:", item.item_id())), TenantKey(t, "items")},
                  {item.SerializeAsString(), std::to_string(ToMs(item.created_at())),
                   item.item_id(), std::to_string(max_items)},
                  "an item creation"));
  if (!r.is_integer()) return redis::RefusedError(r, "an item creation");
  switch (r.integer) {
    case 1:
      return CreateOutcome::kCreated;
    case 0:
      return CreateOutcome::kIdTaken;
    case -1:
      return CreateOutcome::kQuotaReached;
    default:
      return redis::RefusedError(r, "an item creation");
  }
}

absl::StatusOr<std::optional<v1::Item>> RedisContentStore::GetItem(const std::string& t,
                                                                   const std::string& id) {
  ASSIGN_OR_RETURN(
      const redis::Reply r,
      pool_->Run({"GET", TenantKey(t, advocacy::StrCat("item:", id))}, "an item read"));
  if (r.is_nil()) return std::optional<v1::Item>();
  v1::Item item;
  if (!item.ParseFromString(r.str)) {
    return absl::DataLossError("a stored content item cannot be decoded");
  }
  return std::optional<v1::Item>(std::move(item));
}

absl::StatusOr<bool> RedisContentStore::ReplaceItem(const v1::Item& before, const v1::Item& after,
                                                    std::optional<bool> published,
                                                    const std::optional<OutboxEntry>& event) {
  const std::string& t = after.tenant_id();
  const int64_t score = after.has_publish_at() ? ToMs(after.publish_at()) : 0;
  ASSIGN_OR_RETURN(
      const redis::Reply r,
      pool_->Eval(replace_item_,
                  {TenantKey(t, advocacy::StrCat("item:", after.item_id())), TenantKey(t, "pub"),
                   outbox::OutboxKey(kServiceName, t)},
                  {before.SerializeAsString(), after.SerializeAsString(),
                   !published.has_value() ? "" : (*published ? "pub" : "unpub"),
                   std::to_string(score), after.item_id(), event.has_value() ? event->encoded : ""},
                  "an item change"));
  if (!r.is_integer()) return redis::RefusedError(r, "an item change");
  return r.integer == 1;
}

absl::StatusOr<std::vector<v1::Item>> RedisContentStore::ItemsById(const std::string& t,
                                                                   const redis::Reply& ids) {
  if (ids.elements.empty()) return std::vector<v1::Item>();
  std::vector<std::string> mget = {"MGET"};
  for (const auto& e : ids.elements) {
    mget.push_back(TenantKey(t, advocacy::StrCat("item:", e.str)));
  }
  ASSIGN_OR_RETURN(const redis::Reply r, pool_->Run(mget, "an item read"));
  return DecodeItems(r);
}

absl::StatusOr<std::vector<v1::Item>> RedisContentStore::ListItems(const std::string& t,
                                                                   int64_t offset, int64_t limit) {
  ASSIGN_OR_RETURN(const redis::Reply ids,
                   pool_->Run({"ZREVRANGE", TenantKey(t, "items"), std::to_string(offset),
                               std::to_string(offset + limit - 1)},
                              "an item list"));
  return ItemsById(t, ids);
}

absl::StatusOr<std::vector<v1::Item>> RedisContentStore::PublishedItems(const std::string& t,
                                                                        int64_t limit) {
  ASSIGN_OR_RETURN(const redis::Reply ids,
                   pool_->Run({"ZREVRANGE", TenantKey(t, "pub"), "0",
                               std::to_string(std::min(limit, kFeedScanLimit) - 1)},
                              "a feed read"));
  return ItemsById(t, ids);
}

absl::StatusOr<v1::TenantSettings> RedisContentStore::GetSettings(const std::string& t) {
  ASSIGN_OR_RETURN(const redis::Reply r,
                   pool_->Run({"GET", TenantKey(t, "settings")}, "a settings read"));
  v1::TenantSettings s;
  if (r.is_string() && !s.ParseFromString(r.str)) {
    return absl::DataLossError("the stored tenant settings cannot be decoded");
  }
  s.set_tenant_id(t);
  return s;
}

absl::Status RedisContentStore::PutSettings(const v1::TenantSettings& s) {
  return pool_
      ->Run({"SET", TenantKey(s.tenant_id(), "settings"), s.SerializeAsString()},
            "a settings write")
      .status();
}

absl::StatusOr<uint64_t> RedisContentStore::NextRotation(const std::string& t,
                                                         const std::string& item, int network) {
  ASSIGN_OR_RETURN(const redis::Reply r,
                   pool_->Run({"INCR", TenantKey(t, advocacy::StrCat("rot:", item, ":", network))},
                              "a caption rotation"));
  return static_cast<uint64_t>(std::max<long long>(0, r.integer - 1));
}

absl::StatusOr<uint64_t> RedisContentStore::PeekRotation(const std::string& t,
                                                         const std::string& item, int network) {
  ASSIGN_OR_RETURN(const redis::Reply r,
                   pool_->Run({"GET", TenantKey(t, advocacy::StrCat("rot:", item, ":", network))},
                              "a caption rotation"));
  uint64_t next = 0;
  if (!r.str.empty() && !absl::SimpleAtoi(r.str, &next)) {
    return absl::DataLossError("a stored caption rotation is not a number");
  }
  return next;
}

absl::StatusOr<ShareOutcome> RedisContentStore::CommitShare(const ShareCommit& c) {
  const auto& s = c.share;
  const std::string& t = s.tenant_id();
  const std::string& e = s.employee_id();
  ASSIGN_OR_RETURN(
      const redis::Reply r,
      pool_->Eval(
          share_,
          {consent_view::ConsentView::KeyFor(service_, t, e), EmpKey(t, e, "shares"),
           EmpKey(t, e, advocacy::StrCat("day:", c.day, ":", static_cast<int>(s.network()))),
           EmpKey(t, e, "caps"), EmpKey(t, e, "stats"), c.event.key},
          {c.consent_field, SharedKey(s.item_id(), s.network()), s.SerializeAsString(),
           std::to_string(c.tenant_cap), std::to_string(static_cast<int>(s.network())),
           std::to_string(c.quiet_start), std::to_string(c.quiet_end), std::to_string(c.hour),
           c.event.encoded, std::to_string(kDayTtlSeconds)},
          "a share"));
  if (!r.is_integer()) return redis::RefusedError(r, "a share");
  switch (r.integer) {
    case 1:
      return ShareOutcome::kCommitted;
    case -1:
      return ShareOutcome::kNoConsent;
    case -2:
      return ShareOutcome::kDuplicate;
    case -3:
      return ShareOutcome::kCapReached;
    case -4:
      return ShareOutcome::kQuietHours;
    default:
      return redis::RefusedError(r, "a share");
  }
}

absl::StatusOr<std::vector<v1::Share>> RedisContentStore::ListShares(const std::string& t,
                                                                     const std::string& e) {
  std::vector<v1::Share> out;
  for (const char* which : {"shares", "cancelled"}) {
    ASSIGN_OR_RETURN(const redis::Reply r,
                     pool_->Run({"HVALS", EmpKey(t, e, which)}, "a share list"));
    for (const auto& el : r.elements) {
      v1::Share s;
      if (!s.ParseFromString(el.str)) {
        return absl::DataLossError("a stored share cannot be decoded");
      }
      out.push_back(std::move(s));
    }
  }
  std::sort(out.begin(), out.end(), [](const v1::Share& a, const v1::Share& b) {
    return ToMs(a.recorded_at()) < ToMs(b.recorded_at());
  });
  return out;
}

absl::StatusOr<std::set<std::string>> RedisContentStore::SharedKeys(const std::string& t,
                                                                    const std::string& e) {
  ASSIGN_OR_RETURN(const redis::Reply r,
                   pool_->Run({"HKEYS", EmpKey(t, e, "shares")}, "a share list"));
  std::set<std::string> out;
  for (const auto& el : r.elements) out.insert(el.str);
  return out;
}

absl::StatusOr<bool> RedisContentStore::CancelScheduled(const v1::Share& before,
                                                        const std::string& consent_field) {
  const std::string& t = before.tenant_id();
  const std::string& e = before.employee_id();
  v1::Share after = before;
  after.set_state(v1::SHARE_STATE_CANCELLED);
  const std::string day_key = EmpKey(t, e,
                                     advocacy::StrCat("day:", DayOf(ToMs(before.scheduled_for())),
                                                      ":", static_cast<int>(before.network())));
  ASSIGN_OR_RETURN(const redis::Reply r,
                   pool_->Eval(cancel_,
                               {consent_view::ConsentView::KeyFor(service_, t, e),
                                EmpKey(t, e, "shares"), EmpKey(t, e, "cancelled"), day_key},
                               {consent_field, SharedKey(before.item_id(), before.network()),
                                before.SerializeAsString(), after.SerializeAsString()},
                               "a share cancellation"));
  if (!r.is_integer()) return redis::RefusedError(r, "a share cancellation");
  return r.integer == 1;
}

absl::Status RedisContentStore::SetOwnCap(const std::string& t, const std::string& e, int network,
                                          int cap) {
  if (cap <= 0) {
    return pool_->Run({"HDEL", EmpKey(t, e, "caps"), std::to_string(network)}, "a cap change")
        .status();
  }
  return pool_
      ->Run({"HSET", EmpKey(t, e, "caps"), std::to_string(network), std::to_string(cap)},
            "a cap change")
      .status();
}

// One pipeline on the employee's slot: the own caps (one hash) and each network's day counter.
absl::StatusOr<std::map<int, ContentStore::NetworkUse>> RedisContentStore::Limits(
    const std::string& t, const std::string& e, const std::string& day,
    const std::vector<int>& networks) {
  std::vector<std::vector<std::string>> commands;
  commands.push_back({"HGETALL", EmpKey(t, e, "caps")});
  for (const int n : networks) {
    commands.push_back({"GET", EmpKey(t, e, advocacy::StrCat("day:", day, ":", n))});
  }
  ASSIGN_OR_RETURN(const std::vector<redis::Reply> replies, pool_->Pipeline(commands));
  std::map<int, NetworkUse> out;
  for (const int n : networks) out[n] = {};
  const redis::Reply& caps = replies[0];
  for (size_t i = 0; i + 1 < caps.elements.size(); i += 2) {
    int network = 0;
    int cap = 0;
    if (absl::SimpleAtoi(caps.elements[i].str, &network) &&
        absl::SimpleAtoi(caps.elements[i + 1].str, &cap) && out.contains(network)) {
      out[network].own_cap = cap;
    }
  }
  for (size_t i = 0; i < networks.size(); ++i) {
    int used = 0;
    if (replies[i + 1].is_string() && absl::SimpleAtoi(replies[i + 1].str, &used)) {
      out[networks[i]].used = used;
    }
  }
  return out;
}

absl::StatusOr<std::map<std::string, int64_t>> RedisContentStore::Stats(const std::string& t,
                                                                        const std::string& e) {
  ASSIGN_OR_RETURN(const redis::Reply r,
                   pool_->Run({"HGETALL", EmpKey(t, e, "stats")}, "a statistics read"));
  std::map<std::string, int64_t> out;
  for (size_t i = 0; i + 1 < r.elements.size(); i += 2) {
    int64_t n = 0;
    if (absl::SimpleAtoi(r.elements[i + 1].str, &n)) out[r.elements[i].str] = n;
  }
  return out;
}

absl::StatusOr<bool> RedisContentStore::PutLink(const std::string& code, const LinkRecord& l) {
  ASSIGN_OR_RETURN(const redis::Reply exists,
                   pool_->Run({"EXISTS", LinkKey(code)}, "a link write"));
  if (exists.integer == 1) return false;
  RETURN_IF_ERROR(pool_
                      ->Run({"HSET", LinkKey(code), "tenant", l.tenant_id, "employee",
                             l.employee_id, "item", l.item_id, "network", std::to_string(l.network),
                             "target", l.target, "clicks", "0"},
                            "a link write")
                      .status());
  return true;
}

absl::Status RedisContentStore::DeleteLink(const std::string& code) {
  return pool_->Run({"DEL", LinkKey(code)}, "a link deletion").status();
}

absl::StatusOr<std::optional<LinkRecord>> RedisContentStore::GetLink(const std::string& code) {
  ASSIGN_OR_RETURN(const redis::Reply r, pool_->Run({"HGETALL", LinkKey(code)}, "a link read"));
  if (r.elements.empty()) return std::optional<LinkRecord>();
  LinkRecord l;
  for (size_t i = 0; i + 1 < r.elements.size(); i += 2) {
    const std::string& f = r.elements[i].str;
    const std::string& v = r.elements[i + 1].str;
    if (f == "tenant") l.tenant_id = v;
    if (f == "employee") l.employee_id = v;
    if (f == "item") l.item_id = v;
    if (f == "network") (void)absl::SimpleAtoi(v, &l.network);
    if (f == "target") l.target = v;
    if (f == "clicks") (void)absl::SimpleAtoi(v, &l.clicks);
  }
  if (l.target.empty()) return std::optional<LinkRecord>();
  return std::optional<LinkRecord>(std::move(l));
}

absl::StatusOr<int64_t> RedisContentStore::CountClick(const std::string& code,
                                                      const OutboxEntry& event) {
  ASSIGN_OR_RETURN(const redis::Reply r,
                   pool_->Eval(click_, {LinkKey(code), event.key}, {event.encoded}, "a click"));
  if (!r.is_integer()) return redis::RefusedError(r, "a click");
  if (r.integer < 0) return absl::NotFoundError("the link is unknown");
  return r.integer;
}

absl::Status RedisContentStore::AddEmployeeClick(const std::string& t, const std::string& e,
                                                 int network) {
  return pool_
      ->Run({"HINCRBY", EmpKey(t, e, "stats"), advocacy::StrCat("c:", network), "1"},
            "a click statistic")
      .status();
}

absl::StatusOr<bool> RedisContentStore::AdmitGroups(const std::string& t,
                                                    const std::vector<std::string>& groups,
                                                    int64_t max_groups) {
  if (groups.empty()) return true;
  std::vector<std::string> args = {std::to_string(max_groups)};
  args.insert(args.end(), groups.begin(), groups.end());
  ASSIGN_OR_RETURN(const redis::Reply r,
                   pool_->Eval(admit_groups_, {TenantKey(t, "groups")}, args, "a group admission"));
  if (!r.is_integer()) return redis::RefusedError(r, "a group admission");
  return r.integer == 1;
}

absl::StatusOr<bool> RedisContentStore::ReserveLink(const std::string& t, int64_t max_links) {
  ASSIGN_OR_RETURN(const redis::Reply r,
                   pool_->Eval(reserve_link_, {TenantKey(t, "links")}, {std::to_string(max_links)},
                               "a link reservation"));
  if (!r.is_integer()) return redis::RefusedError(r, "a link reservation");
  return r.integer == 1;
}

absl::Status RedisContentStore::ReleaseLink(const std::string& t) {
  return pool_->Eval(release_link_, {TenantKey(t, "links")}, {}, "a link release").status();
}

absl::Status RedisContentStore::NoteShare(const std::string& t, const std::string& e,
                                          const std::vector<std::string>& groups,
                                          bool on_leaderboard, int64_t now_ms) {
  std::vector<std::vector<std::string>> cmds;
  cmds.push_back({"ZADD", TenantKey(t, "active"), std::to_string(now_ms), e});
  if (on_leaderboard) cmds.push_back({"ZINCRBY", TenantKey(t, "lb"), "1", e});
  for (const auto& g : groups) {
    cmds.push_back({"SADD", TenantKey(t, advocacy::StrCat("g:", g, ":m")), e});
    cmds.push_back({"SADD", TenantKey(t, advocacy::StrCat("g:", g, ":a")), e});
    cmds.push_back({"HINCRBY", TenantKey(t, "gs"), g, "1"});
  }
  return PipelineOrRefused(*pool_, cmds, "an engagement update").status();
}

absl::Status RedisContentStore::NoteMember(const std::string& t, const std::string& e,
                                           const std::vector<std::string>& groups) {
  if (groups.empty()) return absl::OkStatus();
  std::vector<std::vector<std::string>> cmds;
  cmds.reserve(groups.size());
  for (const auto& g : groups) {
    cmds.push_back({"SADD", TenantKey(t, advocacy::StrCat("g:", g, ":m")), e});
  }
  return PipelineOrRefused(*pool_, cmds, "a group membership update").status();
}

absl::StatusOr<int64_t> RedisContentStore::CountActive(const std::string& t, int64_t since_ms) {
  ASSIGN_OR_RETURN(const redis::Reply r,
                   pool_->Run({"ZCOUNT", TenantKey(t, "active"), std::to_string(since_ms), "+inf"},
                              "an active-advocate count"));
  return r.integer;
}

absl::Status RedisContentStore::RemoveFromLeaderboard(const std::string& t, const std::string& e) {
  return pool_->Run({"ZREM", TenantKey(t, "lb"), e}, "a leaderboard removal").status();
}

absl::StatusOr<std::vector<std::pair<std::string, int64_t>>> RedisContentStore::Leaderboard(
    const std::string& t, int64_t limit) {
  ASSIGN_OR_RETURN(const redis::Reply r, pool_->Run({"ZREVRANGE", TenantKey(t, "lb"), "0",
                                                     std::to_string(limit - 1), "WITHSCORES"},
                                                    "a leaderboard read"));
  std::vector<std::pair<std::string, int64_t>> out;
  for (size_t i = 0; i + 1 < r.elements.size(); i += 2) {
    double score = 0;
    (void)absl::SimpleAtod(r.elements[i + 1].str, &score);
    out.emplace_back(r.elements[i].str, static_cast<int64_t>(score));
  }
  return out;
}

absl::StatusOr<std::vector<ContentStore::GroupCounts>> RedisContentStore::Groups(
    const std::string& t) {
  ASSIGN_OR_RETURN(const redis::Reply groups,
                   pool_->Run({"SMEMBERS", TenantKey(t, "groups")}, "a group list"));
  std::vector<GroupCounts> out;
  if (groups.elements.empty()) return out;
  std::vector<std::vector<std::string>> cmds;
  for (const auto& g : groups.elements) {
    cmds.push_back({"SCARD", TenantKey(t, advocacy::StrCat("g:", g.str, ":m"))});
    cmds.push_back({"SCARD", TenantKey(t, advocacy::StrCat("g:", g.str, ":a"))});
    cmds.push_back({"HGET", TenantKey(t, "gs"), g.str});
  }
  ASSIGN_OR_RETURN(const std::vector<redis::Reply> r,
                   PipelineOrRefused(*pool_, cmds, "a group statistics read"));
  for (size_t i = 0; i < groups.elements.size(); ++i) {
    GroupCounts c;
    c.group = groups.elements[i].str;
    c.members = r[3 * i].integer;
    c.advocates = r[3 * i + 1].integer;
    int64_t shares = 0;
    if (r[3 * i + 2].is_string()) (void)absl::SimpleAtoi(r[3 * i + 2].str, &shares);
    c.shares = shares;
    out.push_back(std::move(c));
  }
  std::sort(out.begin(), out.end(),
            [](const GroupCounts& a, const GroupCounts& b) { return a.group < b.group; });
  return out;
}

}  // namespace advocacy::content
