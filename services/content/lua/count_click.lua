-- CountClick. KEYS: link, outbox. ARGV: event. Returns the link's click count, or -1 when the
-- link is unknown.
if redis.call('EXISTS', KEYS[1]) == 0 then return -1 end
local n = redis.call('HINCRBY', KEYS[1], 'clicks', 1)
redis.call('RPUSH', KEYS[2], ARGV[1])
return n
