-- CommitShare. KEYS: consent view, shares, day counter, own caps, stats, outbox.
-- ARGV: consent field, shared key, share bytes, tenant cap, network, quiet start, quiet end,
-- hour, event, day ttl.
-- Returns 1 committed, -1 no consent, -2 duplicate, -3 cap reached, -4 quiet hours.
-- Consent, duplicate, caps and quiet hours are checked and the share written in one script, so
-- concurrent shares can never exceed the cap.
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
