-- KEYS: digest, sent zset, outbox list. ARGV: prefix, digest id, owner, mode, now, skip reason,
-- detail, next due, message id, consent check (Unix microseconds), ttl, ledger step:channel,
-- outbox entry, suffixes... Returns {applied, attempts, cancelled}: cancelled = 1 when the
-- digest had been cancelled while this send was in flight and is now settled as cancelled.
-- "sent" records the truth whatever happened meanwhile (a cancellation that came after the
-- consent re-check, a lost claim): the relay has the mail, so the ledger says so.
--@include job_lib.lua
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
