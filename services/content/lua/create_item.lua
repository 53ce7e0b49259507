-- CreateItem. KEYS: item, items zset. ARGV: item bytes, created ms, item id.
-- Returns 1, or 0 when the id is taken.
if redis.call('SET', KEYS[1], ARGV[1], 'NX') == false then return 0 end
redis.call('ZADD', KEYS[2], ARGV[2], ARGV[3])
return 1
