-- KEYS: prefs hash. ARGV: bytes. Returns the new version.
local v = redis.call('HINCRBY', KEYS[1], 'v', 1)
redis.call('HSET', KEYS[1], 'b', ARGV[1])
return v
