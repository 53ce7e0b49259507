-- KEYS: digest, sent zset. ARGV: prefix, digest id, owner, now, claim end, weekly cap, topic
-- mask, cap window start, skip-all reason, ttl, ledger step:channel.
-- Returns {outcome, purpose, attempts, filtered, skipped, [suffix, job bytes]...}.
--@include job_lib.lua
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
