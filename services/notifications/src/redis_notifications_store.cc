#include "redis_notifications_store.h"

#include <algorithm>
#include <utility>

#include "absl/strings/numbers.h"
#include "advocacy/common/outbox.h"
#include "advocacy/common/strings.h"

namespace advocacy::notifications {
namespace {

constexpr size_t kPipelineChunk = 1000;

// Shared by the job scripts: reading and writing a job's state line, and settling a digest
// (terminal state, open-index pointer dropped, everything of it kept for the retention only).
constexpr char kLuaLib[] = R"lua(
local function meta_get(pre, suffix)
  local s = redis.call('HGET', pre .. 'j:' .. suffix, 's')
  if not s then return nil end
  local st, rs, dm, tp, dg, dt = string.match(s, '^(%d+)|(%d+)|(%d+)|(%d+)|([^|]*)|(.*)$')
  if not st then return nil end
  return {state = tonumber(st), reason = tonumber(rs), decide = dm, topic = tonumber(tp),
          digest = dg, detail = dt}
end
local function meta_set(pre, suffix, m)
  redis.call('HSET', pre .. 'j:' .. suffix, 's', m.state .. '|' .. m.reason .. '|' .. m.decide ..
             '|' .. m.topic .. '|' .. m.digest .. '|' .. m.detail)
end
local function live(state) return state == 1 or state == 2 or state == 3 end
local function settle(pre, id, st, ttl)
  local dk = pre .. 'd:' .. id
  redis.call('HSET', dk, 'st', st)
  redis.call('HDEL', dk, 'own', 'until')
  local base = redis.call('HGET', dk, 'base')
  if base and redis.call('HGET', pre .. 'open', base) == id then
    redis.call('HDEL', pre .. 'open', base)
  end
  redis.call('EXPIRE', dk, ttl)
  redis.call('EXPIRE', pre .. 'di:' .. id, ttl)
  for _, s in ipairs(redis.call('LRANGE', pre .. 'di:' .. id, 0, -1)) do
    redis.call('EXPIRE', pre .. 'j:' .. s, ttl)
  end
end
local function mark(pre, suffixes, state, reason, decide, detail)
  local n = 0
  for _, s in ipairs(suffixes) do
    local m = meta_get(pre, s)
    if m and live(m.state) then
      m.state = state; m.reason = reason; m.decide = decide; m.detail = detail
      meta_set(pre, s, m)
      n = n + 1
    end
  end
  return n
end
)lua";

// KEYS: prefs hash. ARGV: bytes. Returns the new version.
constexpr char kPutPrefs[] = R"lua(
local v = redis.call('HINCRBY', KEYS[1], 'v', 1)
redis.call('HSET', KEYS[1], 'b', ARGV[1])
return v
)lua";

// KEYS: index hash. ARGV: employee, mask, version, only-if-present "1"|"0".
// A newer preferences version is never overwritten by an older one (Upsert and SetPreferences
// may race: each indexes the version it read or wrote).
constexpr char kIndex[] = R"lua(
local cur = redis.call('HGET', KEYS[1], ARGV[1])
if not cur then
  if ARGV[4] == '1' then return 0 end
else
  local v = tonumber(string.match(cur, ':(%d+)$') or '0')
  if v > tonumber(ARGV[3]) then return 0 end
end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2] .. ':' .. ARGV[3])
return 1
)lua";

// KEYS: idempotency record. ARGV: body hash, ttl seconds. 0 new, 1 replay, -1 conflict.
constexpr char kIdempotency[] = R"lua(
local cur = redis.call('GET', KEYS[1])
if not cur then
  redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[2])
  return 0
end
if cur == ARGV[1] then return 1 end
return -1
)lua";

// KEYS: open index, job key. ARGV: prefix, suffix, job bytes, window base, due ms, job state,
// now ms, purpose, topic.
// Returns {created, merged, digest id, digest due, digest open}. Joining the open digest of the
// window and creating it when there is none happen in this one script, so concurrent triggers
// agree on one digest. A closed digest (sent, cancelled) of the same window is never reopened:
// a new generation "<base>~<suffix>" takes the items that come after it.
constexpr char kMerge[] = R"lua(
local pre = ARGV[1]
local existing = redis.call('HGET', KEYS[2], 's')
if existing then
  local dg = string.match(existing, '^%d+|%d+|%d+|%d+|([^|]*)|') or ''
  local d = redis.call('HMGET', pre .. 'd:' .. dg, 'st', 'due')
  local open = 0
  if d[1] == 'O' or d[1] == 'W' then open = 1 end
  return {0, 0, dg, tonumber(d[2] or '0'), open}
end
local id = redis.call('HGET', KEYS[1], ARGV[4])
local merged = 0
if id and redis.call('HGET', pre .. 'd:' .. id, 'st') == 'O' then
  merged = 1
else
  id = ARGV[4]
  if redis.call('EXISTS', pre .. 'd:' .. id) == 1 then id = ARGV[4] .. '~' .. ARGV[2] end
  redis.call('HSET', pre .. 'd:' .. id, 'st', 'O', 'p', ARGV[8], 'due', ARGV[5], 'att', '0',
             'base', ARGV[4], 'c', ARGV[7])
  redis.call('HSET', KEYS[1], ARGV[4], id)
end
redis.call('RPUSH', pre .. 'di:' .. id, ARGV[2])
redis.call('HSET', KEYS[2], 'b', ARGV[3], 's', ARGV[6] .. '|0|0|' .. ARGV[9] .. '|' .. id .. '|')
return {1, merged, id, tonumber(redis.call('HGET', pre .. 'd:' .. id, 'due')), 1}
)lua";

// KEYS: open index, sent zset. ARGV: prefix, purpose, now ms, ttl, detail.
// Returns {jobs cancelled, number of digests settled, settled digest id..., sending digest id...}.
// A digest being sent ("W") becomes "X": its jobs are cancelled, but the send in flight decides
// the digest's end (sent if the relay accepted it, else cancelled); its claim bounds the wait.
constexpr char kCancel[] = R"lua(
local pre = ARGV[1]
local settled, sending, jobs = {}, {}, 0
local open = redis.call('HGETALL', KEYS[1])
for i = 1, #open, 2 do
  local id = open[i + 1]
  local dk = pre .. 'd:' .. id
  local d = redis.call('HMGET', dk, 'st', 'p')
  if (d[1] == 'O' or d[1] == 'W' or d[1] == 'X') and d[2] == ARGV[2] then
    local items = redis.call('LRANGE', pre .. 'di:' .. id, 0, -1)
    jobs = jobs + mark(pre, items, 6, 0, ARGV[3], ARGV[5])
    if d[1] ~= 'O' then
      -- Stays in the open index until its send ends, so a repeated withdrawal waits for it too.
      redis.call('HSET', dk, 'st', 'X')
      sending[#sending + 1] = id
    else
      redis.call('ZREM', KEYS[2], id)
      settle(pre, id, 'C', tonumber(ARGV[4]))
      settled[#settled + 1] = id
    end
  end
end
local out = {jobs, #settled}
for _, id in ipairs(settled) do out[#out + 1] = id end
for _, id in ipairs(sending) do out[#out + 1] = id end
return out
)lua";

// KEYS: due zset. ARGV: now, lease end, limit. The claimed entries move to the lease end, so
// another worker sees them again only if this one dies before settling them.
constexpr char kClaim[] = R"lua(
local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, tonumber(ARGV[3]))
for _, m in ipairs(due) do redis.call('ZADD', KEYS[1], ARGV[2], m) end
return due
)lua";

// KEYS: digest, sent zset. ARGV: prefix, digest id, owner, now, claim end, weekly cap, topic
// mask, cap window start, skip-all reason, ttl, ledger step:channel.
// Returns {outcome, purpose, attempts, filtered, skipped, [suffix, job bytes]...}.
constexpr char kBegin[] = R"lua(
local pre, id, owner = ARGV[1], ARGV[2], ARGV[3]
local now = tonumber(ARGV[4])
local ttl = tonumber(ARGV[10])
local d = redis.call('HMGET', KEYS[1], 'st', 'own', 'until', 'att', 'p')
if d[1] == 'X' then
  -- Cancelled while a send was in flight: once that send's claim is over it can no longer
  -- reach the relay, and a cancelled digest is never sent again.
  if tonumber(d[3] or '0') > now then return {'BUSY', d[5] or '0', 0, 0, 0} end
  redis.call('ZREM', KEYS[2], id)
  settle(pre, id, 'C', ttl)
  return {'GONE', d[5] or '0', 0, 0, 0}
end
if d[1] ~= 'O' and d[1] ~= 'W' then return {'GONE', '0', 0, 0, 0} end
local purpose = d[5] or '0'
local att = tonumber(d[4] or '0')
if d[1] == 'W' and d[2] ~= owner and tonumber(d[3] or '0') > now then
  return {'BUSY', purpose, att, 0, 0}
end
local items = redis.call('LRANGE', pre .. 'di:' .. id, 0, -1)
local led = redis.call('GET', pre .. 'l:' .. id .. ':' .. ARGV[11])
if led and string.sub(led, 1, 2) == 'S:' then
  local n = mark(pre, items, 4, 0, string.match(led, '^S:(%d+)') or ARGV[4], '')
  settle(pre, id, 'S', ttl)
  return {'SENT', purpose, att, 0, n}
end
local mask = tonumber(ARGV[7])
local live_items, filtered = {}, 0
for _, s in ipairs(items) do
  local m = meta_get(pre, s)
  if m and live(m.state) then
    if mask ~= 0 and bit.band(mask, bit.lshift(1, m.topic)) == 0 then
      m.state = 5; m.reason = 3; m.decide = ARGV[4]; m.detail = ''
      meta_set(pre, s, m)
      filtered = filtered + 1
    else
      live_items[#live_items + 1] = s
    end
  end
end
if #live_items == 0 then
  local st = 'C'
  if filtered > 0 then st = 'K' end
  redis.call('ZREM', KEYS[2], id)
  settle(pre, id, st, ttl)
  return {'EMPTY', purpose, att, filtered, filtered}
end
local skip_all = tonumber(ARGV[9])
if skip_all ~= 0 then
  local n = mark(pre, live_items, 5, skip_all, ARGV[4], '')
  redis.call('ZREM', KEYS[2], id)
  settle(pre, id, 'K', ttl)
  return {'SKIP', purpose, att, filtered, n + filtered}
end
local cap = tonumber(ARGV[6])
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', ARGV[8])
if cap > 0 and not redis.call('ZSCORE', KEYS[2], id) and redis.call('ZCARD', KEYS[2]) >= cap then
  local n = mark(pre, live_items, 5, 2, ARGV[4], '')
  settle(pre, id, 'K', ttl)
  return {'CAP', purpose, att, filtered, n + filtered}
end
redis.call('ZADD', KEYS[2], now, id)
redis.call('EXPIRE', KEYS[2], 8 * 86400)
redis.call('HSET', KEYS[1], 'st', 'W', 'own', owner, 'until', ARGV[5])
local out = {'GO', purpose, att, filtered, filtered}
for _, s in ipairs(live_items) do
  out[#out + 1] = s
  out[#out + 1] = redis.call('HGET', pre .. 'j:' .. s, 'b') or ''
end
return out
)lua";

// KEYS: digest, sent zset, outbox list. ARGV: prefix, digest id, owner, mode, now, skip reason,
// detail, next due, message id, consent check (µs), ttl, ledger step:channel, outbox entry,
// suffixes... Returns {applied, attempts, cancelled}: cancelled = 1 when the digest had been
// cancelled while this send was in flight and is now settled as cancelled.
// "sent" records the truth whatever happened meanwhile (a cancellation that came after the
// consent re-check, a lost claim): the relay has the mail, so the ledger says so.
constexpr char kFinish[] = R"lua(
local pre, id, owner, mode = ARGV[1], ARGV[2], ARGV[3], ARGV[4]
local ttl = tonumber(ARGV[11])
local d = redis.call('HMGET', KEYS[1], 'st', 'own', 'att')
local att = tonumber(d[3] or '0')
local items = {}
for i = 14, #ARGV do items[#items + 1] = ARGV[i] end
if mode == 'sent' then
  redis.call('SET', pre .. 'l:' .. id .. ':' .. ARGV[12], 'S:' .. ARGV[5] .. ':' .. ARGV[9],
             'EX', ttl)
  for _, s in ipairs(items) do
    local m = meta_get(pre, s)
    if m and m.state ~= 4 then
      m.state = 4; m.reason = 0; m.decide = ARGV[5]; m.detail = ''
      meta_set(pre, s, m)
    end
  end
  att = att + 1
  redis.call('HSET', KEYS[1], 'att', att, 'mid', ARGV[9], 'ck', ARGV[10], 'sent', ARGV[5])
  redis.call('ZADD', KEYS[2], ARGV[5], id)
  settle(pre, id, 'S', ttl)
  return {1, att, 0}
end
if d[1] == 'X' and d[2] == owner then
  -- Not accepted by the relay, and consent was withdrawn meanwhile: never retried or
  -- dead-lettered, the mail is no longer wanted.
  redis.call('ZREM', KEYS[2], id)
  settle(pre, id, 'C', ttl)
  return {1, att, 1}
end
if d[1] ~= 'W' or d[2] ~= owner then return {0, att, 0} end
redis.call('ZREM', KEYS[2], id)
if mode == 'skip' then
  mark(pre, items, 5, tonumber(ARGV[6]), ARGV[5], ARGV[7])
  settle(pre, id, 'K', ttl)
elseif mode == 'retry' or mode == 'release' then
  if mode == 'retry' then
    att = att + 1
    redis.call('HSET', KEYS[1], 'att', att, 'err', ARGV[7])
  end
  redis.call('HSET', KEYS[1], 'st', 'O', 'due', ARGV[8])
  redis.call('HDEL', KEYS[1], 'own', 'until')
elseif mode == 'fail' then
  att = att + 1
  mark(pre, items, 7, 0, ARGV[5], ARGV[7])
  redis.call('HSET', KEYS[1], 'att', att, 'err', ARGV[7])
  settle(pre, id, 'F', ttl)
  if ARGV[13] ~= '' then redis.call('RPUSH', KEYS[3], ARGV[13]) end
end
return {1, att, 0}
)lua";

std::string WithLib(const char* body) { return advocacy::StrCat(kLuaLib, body); }

absl::Status Refused(const redis::Reply& r, std::string_view what) {
  return absl::InternalError(advocacy::StrCat("Redis refused ", what, ": ", r.DebugString()));
}

int64_t ToInt(const redis::Reply& r) {
  if (r.is_integer()) return r.integer;
  int64_t v = 0;
  if (r.is_string() && absl::SimpleAtoi(r.str, &v)) return v;
  return 0;
}

std::string EmpKey(const std::string& t, const std::string& e, std::string_view suffix) {
  return advocacy::StrCat(RedisNotificationsStore::EmployeePrefix(t, e), suffix);
}
std::string TenantKey(const std::string& t, std::string_view suffix) {
  return advocacy::StrCat(RedisNotificationsStore::TenantPrefix(t), suffix);
}

// "<state>|<reason>|<decide ms>|<topic>|<digest>|<detail>"
bool ParseMeta(const std::string& s, JobView* view) {
  std::vector<std::string> parts;
  size_t start = 0;
  for (int i = 0; i < 5; ++i) {
    const size_t bar = s.find('|', start);
    if (bar == std::string::npos) return false;
    parts.push_back(s.substr(start, bar - start));
    start = bar + 1;
  }
  int state = 0;
  int reason = 0;
  if (!absl::SimpleAtoi(parts[0], &state) || !absl::SimpleAtoi(parts[1], &reason) ||
      !absl::SimpleAtoi(parts[2], &view->decide_ms)) {
    return false;
  }
  view->job.set_state(v1::JobState_IsValid(state) ? static_cast<v1::JobState>(state)
                                                  : v1::JOB_STATE_UNSPECIFIED);
  view->skip_reason = v1::SkipReason_IsValid(reason) ? static_cast<v1::SkipReason>(reason)
                                                     : v1::SKIP_REASON_UNSPECIFIED;
  view->digest_id = parts[4];
  view->detail = s.substr(start);
  return true;
}

}  // namespace

std::string DueRef::Member() const {
  return advocacy::StrCat(tenant_id, "/", employee_id, "/", digest_id);
}

std::optional<DueRef> DueRef::Parse(std::string_view member) {
  const size_t a = member.find('/');
  if (a == std::string_view::npos) return std::nullopt;
  const size_t b = member.find('/', a + 1);
  if (b == std::string_view::npos) return std::nullopt;
  DueRef ref{std::string(member.substr(0, a)), std::string(member.substr(a + 1, b - a - 1)),
             std::string(member.substr(b + 1))};
  if (ref.tenant_id.empty() || ref.employee_id.empty() || ref.digest_id.empty()) {
    return std::nullopt;
  }
  return ref;
}

RedisNotificationsStore::RedisNotificationsStore(redis::Pool* pool)
    : pool_(pool),
      put_prefs_(kPutPrefs),
      index_(kIndex),
      idempotency_(kIdempotency),
      merge_(kMerge),
      cancel_(WithLib(kCancel)),
      claim_(kClaim),
      begin_(WithLib(kBegin)),
      finish_(WithLib(kFinish)) {}

std::string RedisNotificationsStore::EmployeePrefix(const std::string& tenant,
                                                    const std::string& employee) {
  return advocacy::StrCat("adv:notif:{", tenant, ":", employee, "}:");
}

std::string RedisNotificationsStore::TenantPrefix(const std::string& tenant) {
  return advocacy::StrCat("adv:notif:{", tenant, "}:");
}

absl::StatusOr<redis::Reply> RedisNotificationsStore::Run(const std::vector<std::string>& args) {
  auto conn = pool_->Acquire();
  if (!conn.ok()) return conn.status();
  auto r = (*conn)->Command(args);
  if (!r.ok()) return r.status();
  if (r->is_error()) return Refused(*r, args[0]);
  return std::move(*r);
}

absl::StatusOr<redis::Reply> RedisNotificationsStore::Eval(const redis::Script& script,
                                                           const std::vector<std::string>& keys,
                                                           const std::vector<std::string>& args) {
  auto conn = pool_->Acquire();
  if (!conn.ok()) return conn.status();
  auto r = (*conn)->Eval(script, keys, args);
  if (!r.ok()) return r.status();
  if (r->is_error()) return Refused(*r, "a notifications script");
  return std::move(*r);
}

absl::Status RedisNotificationsStore::PutRecipient(const v1::Recipient& r) {
  return Run({"SET", EmpKey(r.tenant_id(), r.employee_id(), "r"), r.SerializeAsString()}).status();
}

absl::StatusOr<std::optional<v1::Recipient>> RedisNotificationsStore::GetRecipient(
    const std::string& t, const std::string& e) {
  auto r = Run({"GET", EmpKey(t, e, "r")});
  if (!r.ok()) return r.status();
  if (!r->is_string()) return std::optional<v1::Recipient>();
  v1::Recipient rec;
  if (!rec.ParseFromString(r->str)) {
    return absl::DataLossError("a stored recipient record cannot be decoded");
  }
  return std::optional<v1::Recipient>(std::move(rec));
}

absl::StatusOr<int64_t> RedisNotificationsStore::PutPreferences(const v1::Preferences& p) {
  auto r = Eval(put_prefs_, {EmpKey(p.tenant_id(), p.employee_id(), "p")}, {p.SerializeAsString()});
  if (!r.ok()) return r.status();
  return ToInt(*r);
}

absl::StatusOr<PreferencesRecord> RedisNotificationsStore::GetPreferences(const std::string& t,
                                                                          const std::string& e) {
  auto r = Run({"HMGET", EmpKey(t, e, "p"), "b", "v"});
  if (!r.ok()) return r.status();
  PreferencesRecord rec;
  rec.prefs = DefaultPreferences(t, e);
  if (r->is_array() && r->elements.size() == 2 && r->elements[0].is_string()) {
    if (!rec.prefs.ParseFromString(r->elements[0].str)) {
      return absl::DataLossError("stored preferences cannot be decoded");
    }
    rec.version = ToInt(r->elements[1]);
  }
  return rec;
}

absl::Status RedisNotificationsStore::IndexRecipient(const std::string& t, const std::string& e,
                                                     uint32_t mask, int64_t version,
                                                     bool only_if_present) {
  return Eval(index_, {TenantKey(t, "idx")},
              {e, std::to_string(mask), std::to_string(version), only_if_present ? "1" : "0"})
      .status();
}

absl::StatusOr<IndexPage> RedisNotificationsStore::ScanRecipients(const std::string& t,
                                                                  const std::string& cursor,
                                                                  size_t count) {
  auto r = Run({"HSCAN", TenantKey(t, "idx"), cursor, "COUNT", std::to_string(count)});
  if (!r.ok()) return r.status();
  if (!r->is_array() || r->elements.size() != 2 || !r->elements[1].is_array()) {
    return Refused(*r, "a recipient scan");
  }
  IndexPage page;
  page.next_cursor = r->elements[0].str;
  const auto& kv = r->elements[1].elements;
  for (size_t i = 0; i + 1 < kv.size(); i += 2) {
    uint32_t mask = 0;
    const std::string& v = kv[i + 1].str;
    (void)absl::SimpleAtoi(v.substr(0, v.find(':')), &mask);
    page.entries.push_back({kv[i].str, mask});
  }
  return page;
}

absl::StatusOr<std::vector<std::optional<uint32_t>>> RedisNotificationsStore::LookupRecipients(
    const std::string& t, const std::vector<std::string>& employees) {
  std::vector<std::optional<uint32_t>> out;
  out.reserve(employees.size());
  for (size_t start = 0; start < employees.size(); start += kPipelineChunk) {
    const size_t end = std::min(employees.size(), start + kPipelineChunk);
    std::vector<std::string> cmd = {"HMGET", TenantKey(t, "idx")};
    cmd.insert(cmd.end(), employees.begin() + static_cast<ptrdiff_t>(start),
               employees.begin() + static_cast<ptrdiff_t>(end));
    auto r = Run(cmd);
    if (!r.ok()) return r.status();
    if (!r->is_array()) return Refused(*r, "a recipient lookup");
    for (const auto& e : r->elements) {
      if (!e.is_string()) {
        out.emplace_back();
        continue;
      }
      uint32_t mask = 0;
      (void)absl::SimpleAtoi(e.str.substr(0, e.str.find(':')), &mask);
      out.emplace_back(mask);
    }
  }
  return out;
}

absl::StatusOr<std::vector<Profile>> RedisNotificationsStore::LoadProfiles(
    const std::string& t, const std::vector<std::string>& employees) {
  std::vector<Profile> out;
  out.reserve(employees.size());
  auto conn = pool_->Acquire();
  if (!conn.ok()) return conn.status();
  for (size_t start = 0; start < employees.size(); start += kPipelineChunk / 2) {
    const size_t end = std::min(employees.size(), start + kPipelineChunk / 2);
    std::vector<std::vector<std::string>> cmds;
    for (size_t i = start; i < end; ++i) {
      cmds.push_back({"GET", EmpKey(t, employees[i], "r")});
      cmds.push_back({"HMGET", EmpKey(t, employees[i], "p"), "b", "v"});
    }
    auto replies = (*conn)->Pipeline(cmds);
    if (!replies.ok()) return replies.status();
    for (size_t i = start; i < end; ++i) {
      const redis::Reply& r = (*replies)[2 * (i - start)];
      const redis::Reply& p = (*replies)[2 * (i - start) + 1];
      if (r.is_error()) return Refused(r, "a recipient read");
      if (p.is_error()) return Refused(p, "a preferences read");
      Profile profile;
      profile.employee_id = employees[i];
      if (r.is_string()) {
        v1::Recipient rec;
        if (!rec.ParseFromString(r.str)) {
          return absl::DataLossError("a stored recipient record cannot be decoded");
        }
        profile.recipient = std::move(rec);
      }
      profile.preferences.prefs = DefaultPreferences(t, employees[i]);
      if (p.is_array() && p.elements.size() == 2 && p.elements[0].is_string()) {
        if (!profile.preferences.prefs.ParseFromString(p.elements[0].str)) {
          return absl::DataLossError("stored preferences cannot be decoded");
        }
        profile.preferences.version = ToInt(p.elements[1]);
      }
      out.push_back(std::move(profile));
    }
  }
  return out;
}

absl::StatusOr<IdempotencyOutcome> RedisNotificationsStore::CheckIdempotency(
    const std::string& t, const std::string& key, const std::string& body_hash,
    int64_t ttl_seconds) {
  auto r = Eval(idempotency_, {TenantKey(t, advocacy::StrCat("idem:", SourceHash("idem", key)))},
                {body_hash, std::to_string(ttl_seconds)});
  if (!r.ok()) return r.status();
  switch (ToInt(*r)) {
    case 0:
      return IdempotencyOutcome::kNew;
    case 1:
      return IdempotencyOutcome::kReplay;
    default:
      return IdempotencyOutcome::kConflict;
  }
}

absl::StatusOr<std::vector<MergeResult>> RedisNotificationsStore::MergeJobs(
    const std::vector<MergeRequest>& requests, int64_t now_ms) {
  std::vector<MergeResult> out;
  out.reserve(requests.size());
  auto conn = pool_->Acquire();
  if (!conn.ok()) return conn.status();
  const std::string now = std::to_string(now_ms);
  for (size_t start = 0; start < requests.size(); start += kPipelineChunk) {
    const size_t end = std::min(requests.size(), start + kPipelineChunk);
    std::vector<std::vector<std::string>> cmds;
    std::vector<std::vector<std::string>> keys;
    std::vector<std::vector<std::string>> args;
    for (size_t i = start; i < end; ++i) {
      const MergeRequest& m = requests[i];
      const std::string pre = EmployeePrefix(m.tenant_id, m.employee_id);
      keys.push_back({pre + "open", advocacy::StrCat(pre, "j:", m.suffix)});
      args.push_back({pre, m.suffix, m.job.SerializeAsString(), m.digest_base,
                      std::to_string(m.due_ms), std::to_string(static_cast<int>(m.job.state())),
                      now, std::to_string(static_cast<int>(m.job.purpose())),
                      std::to_string(static_cast<int>(m.job.topic()))});
      std::vector<std::string> cmd = {"EVALSHA", merge_.sha1(), "2"};
      cmd.insert(cmd.end(), keys.back().begin(), keys.back().end());
      cmd.insert(cmd.end(), args.back().begin(), args.back().end());
      cmds.push_back(std::move(cmd));
    }
    auto replies = (*conn)->Pipeline(cmds);
    if (!replies.ok()) return replies.status();
    std::vector<std::vector<std::string>> zadds;
    for (size_t i = start; i < end; ++i) {
      redis::Reply reply = std::move((*replies)[i - start]);
      if (reply.is_error() && reply.str.rfind("NOSCRIPT", 0) == 0) {
        // Redis restarted and forgot the script; nothing ran, so run this one with EVAL.
        auto again = (*conn)->Eval(merge_, keys[i - start], args[i - start]);
        if (!again.ok()) return again.status();
        reply = std::move(*again);
      }
      if (!reply.is_array() || reply.elements.size() != 5) return Refused(reply, "a job merge");
      MergeResult res;
      res.created = ToInt(reply.elements[0]) == 1;
      res.merged = ToInt(reply.elements[1]) == 1;
      res.digest_id = reply.elements[2].str;
      res.due_ms = ToInt(reply.elements[3]);
      res.open = ToInt(reply.elements[4]) == 1;
      if (res.open && !res.digest_id.empty()) {
        // NX: an entry already there carries a lease or a retry time that must stand.
        zadds.push_back(
            {"ZADD", kDueKey, "NX", std::to_string(res.due_ms),
             DueRef{requests[i].tenant_id, requests[i].employee_id, res.digest_id}.Member()});
      }
      out.push_back(std::move(res));
    }
    if (!zadds.empty()) {
      auto z = (*conn)->Pipeline(zadds);
      if (!z.ok()) return z.status();
      for (const auto& r : *z) {
        if (r.is_error()) return Refused(r, "a due-queue entry");
      }
    }
  }
  return out;
}

absl::Status RedisNotificationsStore::RecordSkips(
    const std::string& t, const std::string& suffix,
    const std::vector<std::pair<std::string, v1::SkipReason>>& skips, int64_t now_ms,
    int64_t ttl_seconds) {
  if (skips.empty()) return absl::OkStatus();
  const std::string key = TenantKey(t, advocacy::StrCat("skip:", suffix));
  auto conn = pool_->Acquire();
  if (!conn.ok()) return conn.status();
  for (size_t start = 0; start < skips.size(); start += kPipelineChunk) {
    const size_t end = std::min(skips.size(), start + kPipelineChunk);
    std::vector<std::string> cmd = {"HSET", key};
    for (size_t i = start; i < end; ++i) {
      cmd.push_back(skips[i].first);
      cmd.push_back(advocacy::StrCat(static_cast<int>(skips[i].second), ":", now_ms));
    }
    auto r = (*conn)->Pipeline({cmd, {"EXPIRE", key, std::to_string(ttl_seconds)}});
    if (!r.ok()) return r.status();
    for (const auto& reply : *r) {
      if (reply.is_error()) return Refused(reply, "a skip record");
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<std::optional<JobView>> RedisNotificationsStore::GetJob(const std::string& t,
                                                                       const std::string& e,
                                                                       const std::string& suffix) {
  auto r = Run({"HMGET", EmpKey(t, e, advocacy::StrCat("j:", suffix)), "b", "s"});
  if (!r.ok()) return r.status();
  if (!r->is_array() || r->elements.size() != 2 || !r->elements[0].is_string() ||
      !r->elements[1].is_string()) {
    return std::optional<JobView>();
  }
  JobView view;
  if (!view.job.ParseFromString(r->elements[0].str) || !ParseMeta(r->elements[1].str, &view)) {
    return absl::DataLossError("a stored job cannot be decoded");
  }
  if (!view.digest_id.empty()) {
    auto d = Run({"HMGET", EmpKey(t, e, advocacy::StrCat("d:", view.digest_id)), "st", "att", "due",
                  "mid", "ck", "err"});
    if (!d.ok()) return d.status();
    if (d->is_array() && d->elements.size() == 6) {
      view.digest_state = d->elements[0].str;
      view.attempts = static_cast<int>(ToInt(d->elements[1]));
      view.due_ms = ToInt(d->elements[2]);
      view.message_id = d->elements[3].str;
      view.consent_check_us = ToInt(d->elements[4]);
      view.last_error = d->elements[5].str;
    }
  }
  return std::optional<JobView>(std::move(view));
}

absl::StatusOr<std::optional<SkipRecord>> RedisNotificationsStore::GetSkip(
    const std::string& t, const std::string& suffix, const std::string& e) {
  auto r = Run({"HGET", TenantKey(t, advocacy::StrCat("skip:", suffix)), e});
  if (!r.ok()) return r.status();
  if (!r->is_string()) return std::optional<SkipRecord>();
  SkipRecord rec;
  const size_t colon = r->str.find(':');
  int reason = 0;
  if (colon == std::string::npos || !absl::SimpleAtoi(r->str.substr(0, colon), &reason) ||
      !absl::SimpleAtoi(r->str.substr(colon + 1), &rec.decide_ms) ||
      !v1::SkipReason_IsValid(reason)) {
    return absl::DataLossError("a stored skip record cannot be decoded");
  }
  rec.reason = static_cast<v1::SkipReason>(reason);
  return std::optional<SkipRecord>(rec);
}

absl::StatusOr<CancelResult> RedisNotificationsStore::CancelOpen(const std::string& t,
                                                                 const std::string& e,
                                                                 cv1::Purpose purpose,
                                                                 int64_t now_ms,
                                                                 const std::string& detail) {
  const std::string pre = EmployeePrefix(t, e);
  auto r = Eval(cancel_, {pre + "open", pre + "sent"},
                {pre, std::to_string(static_cast<int>(purpose)), std::to_string(now_ms),
                 std::to_string(retention_seconds_), detail});
  if (!r.ok()) return r.status();
  if (!r->is_array() || r->elements.empty()) return Refused(*r, "a cancellation");
  if (r->elements.size() < 2) return Refused(*r, "a cancellation");
  CancelResult out;
  out.jobs = static_cast<int>(ToInt(r->elements[0]));
  const size_t settled = static_cast<size_t>(std::max<int64_t>(0, ToInt(r->elements[1])));
  for (size_t i = 2; i < r->elements.size(); ++i) {
    (i - 2 < settled ? out.digest_ids : out.sending).push_back(r->elements[i].str);
  }
  return out;
}

absl::StatusOr<bool> RedisNotificationsStore::SendsSettled(const std::string& t,
                                                           const std::string& e,
                                                           const std::vector<std::string>& digests,
                                                           int64_t now_ms) {
  if (digests.empty()) return true;
  auto conn = pool_->Acquire();
  if (!conn.ok()) return conn.status();
  std::vector<std::vector<std::string>> cmds;
  cmds.reserve(digests.size());
  for (const auto& id : digests) {
    cmds.push_back({"HMGET", EmpKey(t, e, advocacy::StrCat("d:", id)), "st", "until"});
  }
  auto replies = (*conn)->Pipeline(cmds);
  if (!replies.ok()) return replies.status();
  for (const auto& r : *replies) {
    if (r.is_error() || !r.is_array() || r.elements.size() != 2) {
      return Refused(r, "a digest read");
    }
    if (r.elements[0].str == "X" && ToInt(r.elements[1]) > now_ms) return false;
  }
  return true;
}

absl::StatusOr<std::vector<DueRef>> RedisNotificationsStore::ClaimDue(int64_t now_ms,
                                                                      int64_t lease_until_ms,
                                                                      size_t limit) {
  auto r = Eval(claim_, {kDueKey},
                {std::to_string(now_ms), std::to_string(lease_until_ms), std::to_string(limit)});
  if (!r.ok()) return r.status();
  if (!r->is_array()) return Refused(*r, "a due-queue claim");
  std::vector<DueRef> out;
  std::vector<std::string> bad;
  for (const auto& m : r->elements) {
    if (auto ref = DueRef::Parse(m.str); ref.has_value()) {
      out.push_back(std::move(*ref));
    } else {
      bad.push_back(m.str);
    }
  }
  if (!bad.empty()) {
    std::vector<std::string> cmd = {"ZREM", kDueKey};
    cmd.insert(cmd.end(), bad.begin(), bad.end());
    (void)Run(cmd);  // an unparsable entry can never be sent; a failed removal is retried later
  }
  return out;
}

absl::Status RedisNotificationsStore::Reschedule(const DueRef& ref, int64_t due_ms) {
  return Run({"ZADD", kDueKey, "XX", std::to_string(due_ms), ref.Member()}).status();
}

absl::Status RedisNotificationsStore::RemoveDue(const std::vector<DueRef>& refs) {
  if (refs.empty()) return absl::OkStatus();
  std::vector<std::string> cmd = {"ZREM", kDueKey};
  for (const auto& r : refs) cmd.push_back(r.Member());
  return Run(cmd).status();
}

absl::StatusOr<int64_t> RedisNotificationsStore::QueueDepth() {
  auto r = Run({"ZCARD", kDueKey});
  if (!r.ok()) return r.status();
  return ToInt(*r);
}

absl::StatusOr<BeginResult> RedisNotificationsStore::BeginSend(const BeginRequest& q) {
  const std::string pre = EmployeePrefix(q.ref.tenant_id, q.ref.employee_id);
  constexpr int64_t kWeekMs = 7LL * 24 * 3600 * 1000;
  auto r = Eval(
      begin_, {advocacy::StrCat(pre, "d:", q.ref.digest_id), pre + "sent"},
      {pre, q.ref.digest_id, q.owner, std::to_string(q.now_ms), std::to_string(q.claim_until_ms),
       std::to_string(q.weekly_cap), std::to_string(q.topic_mask),
       std::to_string(q.now_ms - kWeekMs), std::to_string(static_cast<int>(q.skip_all)),
       std::to_string(retention_seconds_), kLedgerStep});
  if (!r.ok()) return r.status();
  if (!r->is_array() || r->elements.size() < 5) return Refused(*r, "a send claim");
  BeginResult out;
  const std::string& outcome = r->elements[0].str;
  int purpose = 0;
  (void)absl::SimpleAtoi(r->elements[1].str, &purpose);
  out.purpose =
      cv1::Purpose_IsValid(purpose) ? static_cast<cv1::Purpose>(purpose) : cv1::PURPOSE_UNSPECIFIED;
  out.attempts = static_cast<int>(ToInt(r->elements[2]));
  out.filtered = static_cast<int>(ToInt(r->elements[3]));
  out.skipped = static_cast<int>(ToInt(r->elements[4]));
  if (outcome == "GO") {
    out.outcome = BeginOutcome::kGo;
    for (size_t i = 5; i + 1 < r->elements.size(); i += 2) {
      v1::Job job;
      if (!job.ParseFromString(r->elements[i + 1].str)) {
        return absl::DataLossError("a stored job cannot be decoded");
      }
      out.items.emplace_back(r->elements[i].str, std::move(job));
    }
  } else if (outcome == "BUSY") {
    out.outcome = BeginOutcome::kBusy;
  } else if (outcome == "SENT") {
    out.outcome = BeginOutcome::kSent;
  } else if (outcome == "SKIP") {
    out.outcome = BeginOutcome::kSkipped;
    out.skip_reason = q.skip_all;
  } else if (outcome == "CAP") {
    out.outcome = BeginOutcome::kSkipped;
    out.skip_reason = v1::SKIP_REASON_WEEKLY_CAP;
  } else if (outcome == "EMPTY") {
    out.outcome = BeginOutcome::kEmpty;
  } else {
    out.outcome = BeginOutcome::kGone;
  }
  return out;
}

absl::StatusOr<FinishResult> RedisNotificationsStore::FinishSend(const FinishRequest& q) {
  const std::string pre = EmployeePrefix(q.ref.tenant_id, q.ref.employee_id);
  std::string mode;
  switch (q.mode) {
    case FinishMode::kSent:
      mode = "sent";
      break;
    case FinishMode::kSkip:
      mode = "skip";
      break;
    case FinishMode::kRetry:
      mode = "retry";
      break;
    case FinishMode::kRelease:
      mode = "release";
      break;
    case FinishMode::kFail:
      mode = "fail";
      break;
  }
  std::vector<std::string> args = {pre,
                                   q.ref.digest_id,
                                   q.owner,
                                   mode,
                                   std::to_string(q.now_ms),
                                   std::to_string(static_cast<int>(q.skip_reason)),
                                   q.detail,
                                   std::to_string(q.next_due_ms),
                                   q.message_id,
                                   std::to_string(q.consent_check_us),
                                   std::to_string(retention_seconds_),
                                   kLedgerStep,
                                   q.outbox_entry};
  args.insert(args.end(), q.suffixes.begin(), q.suffixes.end());
  const std::string outbox_key =
      q.outbox_key.empty()
          ? outbox::OutboxKey(advocacy::StrCat(q.ref.tenant_id, ":", q.ref.employee_id))
          : q.outbox_key;
  auto r =
      Eval(finish_, {advocacy::StrCat(pre, "d:", q.ref.digest_id), pre + "sent", outbox_key}, args);
  if (!r.ok()) return r.status();
  if (!r->is_array() || r->elements.size() != 3) return Refused(*r, "a send outcome");
  return FinishResult{.applied = ToInt(r->elements[0]) == 1,
                      .attempts = static_cast<int>(ToInt(r->elements[1])),
                      .cancelled = ToInt(r->elements[2]) == 1};
}

}  // namespace advocacy::notifications
