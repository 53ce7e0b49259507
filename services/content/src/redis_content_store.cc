#include "redis_content_store.h"

#include <algorithm>
#include <utility>

#include "absl/strings/numbers.h"
#include "advocacy/common/strings.h"

namespace advocacy::content {
namespace {

constexpr int64_t kDayTtlSeconds = 3 * 24 * 3600;
constexpr int64_t kFeedScanLimit = 500;

// KEYS: item, items zset. ARGV: bytes, created ms, id. 0 when the id is taken.
constexpr char kCreateItem[] = R"lua(
if redis.call('SET', KEYS[1], ARGV[1], 'NX') == false then return 0 end
redis.call('ZADD', KEYS[2], ARGV[2], ARGV[3])
return 1
)lua";

// KEYS: item, pub zset, outbox. ARGV: expected bytes, new bytes, "pub"|"unpub"|"", score, id,
// event ("" for none).
constexpr char kReplaceItem[] = R"lua(
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('SET', KEYS[1], ARGV[2])
if ARGV[3] == 'pub' then redis.call('ZADD', KEYS[2], ARGV[4], ARGV[5]) end
if ARGV[3] == 'unpub' then redis.call('ZREM', KEYS[2], ARGV[5]) end
if ARGV[6] ~= '' then redis.call('RPUSH', KEYS[3], ARGV[6]) end
return 1
)lua";

// KEYS: consent view, shares, day counter, own caps, stats, outbox.
// ARGV: consent field, shared key, share bytes, tenant cap, network, quiet start, quiet end,
// hour, event, day ttl.
// Returns 1 committed, -1 no consent, -2 duplicate, -3 cap reached, -4 quiet hours.
// Consent, duplicate, caps and quiet hours are checked and the share written in one script, so
// concurrent shares can never exceed the cap.
constexpr char kShare[] = R"lua(
local v = redis.call('HGET', KEYS[1], ARGV[1])
if v == false or string.sub(v, 1, 2) ~= 'G:' then return -1 end
if redis.call('HEXISTS', KEYS[2], ARGV[2]) == 1 then return -2 end
local qs, qe, h = tonumber(ARGV[6]), tonumber(ARGV[7]), tonumber(ARGV[8])
if qs ~= qe then
  local quiet
  if qs < qe then quiet = h >= qs and h < qe else quiet = h >= qs or h < qe end
  if quiet then return -4 end
end
local cap = tonumber(ARGV[4])
if cap <= 0 then cap = 5 end
local own = tonumber(redis.call('HGET', KEYS[4], ARGV[5]) or '0')
if own > 0 and own < cap then cap = own end
local used = tonumber(redis.call('GET', KEYS[3]) or '0')
if used >= cap then return -3 end
redis.call('INCR', KEYS[3])
redis.call('EXPIRE', KEYS[3], ARGV[10])
redis.call('HSET', KEYS[2], ARGV[2], ARGV[3])
redis.call('HINCRBY', KEYS[5], 's:' .. ARGV[5], 1)
redis.call('RPUSH', KEYS[6], ARGV[9])
return 1
)lua";

// KEYS: consent view, shares, cancelled, day counter. ARGV: consent field, shared key,
// expected bytes, cancelled bytes. Cancels only while consent stands withdrawn.
constexpr char kCancel[] = R"lua(
local v = redis.call('HGET', KEYS[1], ARGV[1])
if v ~= false and string.sub(v, 1, 2) == 'G:' then return 0 end
if redis.call('HGET', KEYS[2], ARGV[2]) ~= ARGV[3] then return 0 end
redis.call('HDEL', KEYS[2], ARGV[2])
redis.call('HSET', KEYS[3], ARGV[2], ARGV[4])
if tonumber(redis.call('GET', KEYS[4]) or '0') > 0 then redis.call('DECR', KEYS[4]) end
return 1
)lua";

// KEYS: link, outbox. ARGV: event. -1 when the link is unknown.
constexpr char kClick[] = R"lua(
if redis.call('EXISTS', KEYS[1]) == 0 then return -1 end
local n = redis.call('HINCRBY', KEYS[1], 'clicks', 1)
redis.call('RPUSH', KEYS[2], ARGV[1])
return n
)lua";

std::string TenantKey(const std::string& t, std::string_view suffix) {
  return advocacy::StrCat("adv:content:{", t, "}:", suffix);
}
std::string EmpKey(const std::string& t, const std::string& e, std::string_view suffix) {
  return advocacy::StrCat("adv:content:{", t, ":", e, "}:", suffix);
}
std::string LinkKey(const std::string& code) {
  return advocacy::StrCat("adv:content:{lnk:", code, "}:link");
}

absl::Status Refused(const redis::Reply& r, std::string_view what) {
  return absl::InternalError(advocacy::StrCat("Redis refused ", what, ": ", r.DebugString()));
}

absl::StatusOr<std::vector<v1::Item>> DecodeItems(const redis::Reply& r) {
  if (!r.is_array()) return Refused(r, "an item read");
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

}  // namespace

RedisContentStore::RedisContentStore(redis::Pool* pool, std::string service)
    : pool_(pool),
      service_(std::move(service)),
      create_item_(kCreateItem),
      replace_item_(kReplaceItem),
      share_(kShare),
      cancel_(kCancel),
      click_(kClick) {}

std::string RedisContentStore::EmployeeTag(const std::string& tenant, const std::string& employee) {
  return advocacy::StrCat(tenant, ":", employee);
}

absl::StatusOr<redis::Reply> RedisContentStore::Run(const std::vector<std::string>& args) {
  auto conn = pool_->Acquire();
  if (!conn.ok()) return conn.status();
  auto r = (*conn)->Command(args);
  if (!r.ok()) return r.status();
  if (r->is_error()) return Refused(*r, args[0]);
  return std::move(*r);
}

absl::StatusOr<bool> RedisContentStore::CreateItem(const v1::Item& item, const std::string& t) {
  auto conn = pool_->Acquire();
  if (!conn.ok()) return conn.status();
  auto r = (*conn)->Eval(
      create_item_,
      {TenantKey(t, advocacy::StrCat("item:", item.item_id())), TenantKey(t, "items")},
      {item.SerializeAsString(), std::to_string(ToMs(item.created_at())), item.item_id()});
  if (!r.ok()) return r.status();
  if (!r->is_integer()) return Refused(*r, "an item creation");
  return r->integer == 1;
}

absl::StatusOr<std::optional<v1::Item>> RedisContentStore::GetItem(const std::string& t,
                                                                   const std::string& id) {
  auto r = Run({"GET", TenantKey(t, advocacy::StrCat("item:", id))});
  if (!r.ok()) return r.status();
  if (r->is_nil()) return std::optional<v1::Item>();
  v1::Item item;
  if (!item.ParseFromString(r->str)) {
    return absl::DataLossError("a stored content item cannot be decoded");
  }
  return std::optional<v1::Item>(std::move(item));
}

absl::StatusOr<bool> RedisContentStore::ReplaceItem(const v1::Item& before, const v1::Item& after,
                                                    std::optional<bool> published,
                                                    const std::optional<OutboxEntry>& event) {
  const std::string& t = after.tenant_id();
  const int64_t score = after.has_publish_at() ? ToMs(after.publish_at()) : 0;
  auto conn = pool_->Acquire();
  if (!conn.ok()) return conn.status();
  auto r = (*conn)->Eval(
      replace_item_,
      {TenantKey(t, advocacy::StrCat("item:", after.item_id())), TenantKey(t, "pub"),
       advocacy::StrCat("adv:outbox:{", t, "}")},
      {before.SerializeAsString(), after.SerializeAsString(),
       !published.has_value() ? "" : (*published ? "pub" : "unpub"), std::to_string(score),
       after.item_id(), event.has_value() ? event->encoded : ""});
  if (!r.ok()) return r.status();
  if (!r->is_integer()) return Refused(*r, "an item change");
  return r->integer == 1;
}

absl::StatusOr<std::vector<v1::Item>> RedisContentStore::ListItems(const std::string& t,
                                                                   int64_t offset, int64_t limit) {
  auto ids = Run({"ZREVRANGE", TenantKey(t, "items"), std::to_string(offset),
                  std::to_string(offset + limit - 1)});
  if (!ids.ok()) return ids.status();
  if (ids->elements.empty()) return std::vector<v1::Item>();
  std::vector<std::string> mget = {"MGET"};
  for (const auto& e : ids->elements)
    mget.push_back(TenantKey(t, advocacy::StrCat("item:", e.str)));
  auto r = Run(mget);
  if (!r.ok()) return r.status();
  return DecodeItems(*r);
}

absl::StatusOr<std::vector<v1::Item>> RedisContentStore::PublishedItems(const std::string& t,
                                                                        int64_t limit) {
  auto ids = Run(
      {"ZREVRANGE", TenantKey(t, "pub"), "0", std::to_string(std::min(limit, kFeedScanLimit) - 1)});
  if (!ids.ok()) return ids.status();
  if (ids->elements.empty()) return std::vector<v1::Item>();
  std::vector<std::string> mget = {"MGET"};
  for (const auto& e : ids->elements)
    mget.push_back(TenantKey(t, advocacy::StrCat("item:", e.str)));
  auto r = Run(mget);
  if (!r.ok()) return r.status();
  return DecodeItems(*r);
}

absl::StatusOr<v1::TenantSettings> RedisContentStore::GetSettings(const std::string& t) {
  auto r = Run({"GET", TenantKey(t, "settings")});
  if (!r.ok()) return r.status();
  v1::TenantSettings s;
  if (r->is_string() && !s.ParseFromString(r->str)) {
    return absl::DataLossError("the stored tenant settings cannot be decoded");
  }
  s.set_tenant_id(t);
  return s;
}

absl::Status RedisContentStore::PutSettings(const v1::TenantSettings& s) {
  return Run({"SET", TenantKey(s.tenant_id(), "settings"), s.SerializeAsString()}).status();
}

absl::StatusOr<uint64_t> RedisContentStore::NextRotation(const std::string& t,
                                                         const std::string& item, int network) {
  auto r = Run({"INCR", TenantKey(t, advocacy::StrCat("rot:", item, ":", network))});
  if (!r.ok()) return r.status();
  return static_cast<uint64_t>(std::max<long long>(0, r->integer - 1));
}

absl::StatusOr<ShareOutcome> RedisContentStore::CommitShare(const ShareCommit& c) {
  const auto& s = c.share;
  const std::string& t = s.tenant_id();
  const std::string& e = s.employee_id();
  auto conn = pool_->Acquire();
  if (!conn.ok()) return conn.status();
  auto r = (*conn)->Eval(
      share_,
      {consent_view::ConsentView::KeyFor(service_, t, e), EmpKey(t, e, "shares"),
       EmpKey(t, e, advocacy::StrCat("day:", c.day, ":", static_cast<int>(s.network()))),
       EmpKey(t, e, "caps"), EmpKey(t, e, "stats"), c.event.key},
      {c.consent_field, SharedKey(s.item_id(), s.network()), s.SerializeAsString(),
       std::to_string(c.tenant_cap), std::to_string(static_cast<int>(s.network())),
       std::to_string(c.quiet_start), std::to_string(c.quiet_end), std::to_string(c.hour),
       c.event.encoded, std::to_string(kDayTtlSeconds)});
  if (!r.ok()) return r.status();
  if (!r->is_integer()) return Refused(*r, "a share");
  switch (r->integer) {
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
      return Refused(*r, "a share");
  }
}

absl::StatusOr<std::vector<v1::Share>> RedisContentStore::ListShares(const std::string& t,
                                                                     const std::string& e) {
  std::vector<v1::Share> out;
  for (const char* which : {"shares", "cancelled"}) {
    auto r = Run({"HVALS", EmpKey(t, e, which)});
    if (!r.ok()) return r.status();
    for (const auto& el : r->elements) {
      v1::Share s;
      if (!s.ParseFromString(el.str))
        return absl::DataLossError("a stored share cannot be decoded");
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
  auto r = Run({"HKEYS", EmpKey(t, e, "shares")});
  if (!r.ok()) return r.status();
  std::set<std::string> out;
  for (const auto& el : r->elements) out.insert(el.str);
  return out;
}

absl::StatusOr<bool> RedisContentStore::CancelScheduled(const v1::Share& before,
                                                        const std::string& consent_field) {
  const std::string& t = before.tenant_id();
  const std::string& e = before.employee_id();
  v1::Share after = before;
  after.set_state(v1::SHARE_STATE_CANCELLED);
  auto conn = pool_->Acquire();
  if (!conn.ok()) return conn.status();
  auto r = (*conn)->Eval(cancel_,
                         {consent_view::ConsentView::KeyFor(service_, t, e), EmpKey(t, e, "shares"),
                          EmpKey(t, e, "cancelled"),
                          EmpKey(t, e,
                                 advocacy::StrCat("day:", DayOf(ToMs(before.scheduled_for())), ":",
                                                  static_cast<int>(before.network())))},
                         {consent_field, SharedKey(before.item_id(), before.network()),
                          before.SerializeAsString(), after.SerializeAsString()});
  if (!r.ok()) return r.status();
  if (!r->is_integer()) return Refused(*r, "a share cancellation");
  return r->integer == 1;
}

absl::Status RedisContentStore::SetOwnCap(const std::string& t, const std::string& e, int network,
                                          int cap) {
  if (cap <= 0) return Run({"HDEL", EmpKey(t, e, "caps"), std::to_string(network)}).status();
  return Run({"HSET", EmpKey(t, e, "caps"), std::to_string(network), std::to_string(cap)}).status();
}

absl::StatusOr<std::map<std::string, int64_t>> RedisContentStore::Stats(const std::string& t,
                                                                        const std::string& e) {
  auto r = Run({"HGETALL", EmpKey(t, e, "stats")});
  if (!r.ok()) return r.status();
  std::map<std::string, int64_t> out;
  for (size_t i = 0; i + 1 < r->elements.size(); i += 2) {
    int64_t n = 0;
    if (absl::SimpleAtoi(r->elements[i + 1].str, &n)) out[r->elements[i].str] = n;
  }
  return out;
}

absl::StatusOr<bool> RedisContentStore::PutLink(const std::string& code, const LinkRecord& l) {
  auto conn = pool_->Acquire();
  if (!conn.ok()) return conn.status();
  auto exists = (*conn)->Command({"EXISTS", LinkKey(code)});
  if (!exists.ok()) return exists.status();
  if (exists->integer == 1) return false;
  auto r = (*conn)->Command({"HSET", LinkKey(code), "tenant", l.tenant_id, "employee",
                             l.employee_id, "item", l.item_id, "network", std::to_string(l.network),
                             "target", l.target, "clicks", "0"});
  if (!r.ok()) return r.status();
  if (r->is_error()) return Refused(*r, "a link write");
  return true;
}

absl::Status RedisContentStore::DeleteLink(const std::string& code) {
  return Run({"DEL", LinkKey(code)}).status();
}

absl::StatusOr<std::optional<LinkRecord>> RedisContentStore::GetLink(const std::string& code) {
  auto r = Run({"HGETALL", LinkKey(code)});
  if (!r.ok()) return r.status();
  if (r->elements.empty()) return std::optional<LinkRecord>();
  LinkRecord l;
  for (size_t i = 0; i + 1 < r->elements.size(); i += 2) {
    const std::string& f = r->elements[i].str;
    const std::string& v = r->elements[i + 1].str;
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
  auto conn = pool_->Acquire();
  if (!conn.ok()) return conn.status();
  auto r = (*conn)->Eval(click_, {LinkKey(code), event.key}, {event.encoded});
  if (!r.ok()) return r.status();
  if (!r->is_integer()) return Refused(*r, "a click");
  if (r->integer < 0) return absl::NotFoundError("the link is unknown");
  return r->integer;
}

absl::Status RedisContentStore::AddEmployeeClick(const std::string& t, const std::string& e,
                                                 int network) {
  return Run({"HINCRBY", EmpKey(t, e, "stats"), advocacy::StrCat("c:", network), "1"}).status();
}

absl::Status RedisContentStore::NoteShare(const std::string& t, const std::string& e,
                                          const std::vector<std::string>& groups,
                                          bool on_leaderboard, int64_t now_ms) {
  std::vector<std::vector<std::string>> cmds;
  cmds.push_back({"ZADD", TenantKey(t, "active"), std::to_string(now_ms), e});
  if (on_leaderboard) cmds.push_back({"ZINCRBY", TenantKey(t, "lb"), "1", e});
  for (const auto& g : groups) {
    cmds.push_back({"SADD", TenantKey(t, "groups"), g});
    cmds.push_back({"SADD", TenantKey(t, advocacy::StrCat("g:", g, ":m")), e});
    cmds.push_back({"SADD", TenantKey(t, advocacy::StrCat("g:", g, ":a")), e});
    cmds.push_back({"HINCRBY", TenantKey(t, "gs"), g, "1"});
  }
  auto conn = pool_->Acquire();
  if (!conn.ok()) return conn.status();
  auto r = (*conn)->Pipeline(cmds);
  return r.status();
}

absl::Status RedisContentStore::NoteMember(const std::string& t, const std::string& e,
                                           const std::vector<std::string>& groups) {
  if (groups.empty()) return absl::OkStatus();
  std::vector<std::vector<std::string>> cmds;
  for (const auto& g : groups) {
    cmds.push_back({"SADD", TenantKey(t, "groups"), g});
    cmds.push_back({"SADD", TenantKey(t, advocacy::StrCat("g:", g, ":m")), e});
  }
  auto conn = pool_->Acquire();
  if (!conn.ok()) return conn.status();
  return (*conn)->Pipeline(cmds).status();
}

absl::StatusOr<int64_t> RedisContentStore::CountActive(const std::string& t, int64_t since_ms) {
  auto r = Run({"ZCOUNT", TenantKey(t, "active"), std::to_string(since_ms), "+inf"});
  if (!r.ok()) return r.status();
  return r->integer;
}

absl::Status RedisContentStore::RemoveFromLeaderboard(const std::string& t, const std::string& e) {
  return Run({"ZREM", TenantKey(t, "lb"), e}).status();
}

absl::StatusOr<std::vector<std::pair<std::string, int64_t>>> RedisContentStore::Leaderboard(
    const std::string& t, int64_t limit) {
  auto r = Run({"ZREVRANGE", TenantKey(t, "lb"), "0", std::to_string(limit - 1), "WITHSCORES"});
  if (!r.ok()) return r.status();
  std::vector<std::pair<std::string, int64_t>> out;
  for (size_t i = 0; i + 1 < r->elements.size(); i += 2) {
    double score = 0;
    (void)absl::SimpleAtod(r->elements[i + 1].str, &score);
    out.emplace_back(r->elements[i].str, static_cast<int64_t>(score));
  }
  return out;
}

absl::StatusOr<std::vector<ContentStore::GroupCounts>> RedisContentStore::Groups(
    const std::string& t) {
  auto groups = Run({"SMEMBERS", TenantKey(t, "groups")});
  if (!groups.ok()) return groups.status();
  std::vector<GroupCounts> out;
  if (groups->elements.empty()) return out;
  std::vector<std::vector<std::string>> cmds;
  for (const auto& g : groups->elements) {
    cmds.push_back({"SCARD", TenantKey(t, advocacy::StrCat("g:", g.str, ":m"))});
    cmds.push_back({"SCARD", TenantKey(t, advocacy::StrCat("g:", g.str, ":a"))});
    cmds.push_back({"HGET", TenantKey(t, "gs"), g.str});
  }
  auto conn = pool_->Acquire();
  if (!conn.ok()) return conn.status();
  auto r = (*conn)->Pipeline(cmds);
  if (!r.ok()) return r.status();
  for (size_t i = 0; i < groups->elements.size(); ++i) {
    GroupCounts c;
    c.group = groups->elements[i].str;
    c.members = (*r)[3 * i].integer;
    c.advocates = (*r)[3 * i + 1].integer;
    int64_t shares = 0;
    if ((*r)[3 * i + 2].is_string()) (void)absl::SimpleAtoi((*r)[3 * i + 2].str, &shares);
    c.shares = shares;
    out.push_back(std::move(c));
  }
  std::sort(out.begin(), out.end(),
            [](const GroupCounts& a, const GroupCounts& b) { return a.group < b.group; });
  return out;
}

}  // namespace advocacy::content
