-- CancelScheduled. KEYS: consent view, shares, cancelled, day counter. ARGV: consent field,
-- shared key, expected bytes, cancelled bytes. Cancels only while consent stands withdrawn and
-- the share is unchanged, and gives the day's cap back. Returns 1, or 0 when nothing changed.
local v = redis.call('HGET', KEYS[1], ARGV[1])
if v ~= false and string.sub(v, 1, 2) == 'G:' then return 0 end
if redis.call('HGET', KEYS[2], ARGV[2]) ~= ARGV[3] then return 0 end
redis.call('HDEL', KEYS[2], ARGV[2])
redis.call('HSET', KEYS[3], ARGV[2], ARGV[4])
if tonumber(redis.call('GET', KEYS[4]) or '0') > 0 then redis.call('DECR', KEYS[4]) end
return 1
