-- CreateItem. KEYS: item, items zset. ARGV: item bytes, created ms, item id, the tenant's item
-- quota. The items zset holds every stored item of the tenant (archived ones too: they stay
-- stored), so its size is the quota counter and can never drift.
-- Returns 1, 0 when the id is taken (checked first: a retry is never counted twice), or -1
-- when the tenant holds its quota of items (nothing is written).
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
if redis.call('ZCARD', KEYS[2]) >= tonumber(ARGV[4]) then return -1 end
redis.call('SET', KEYS[1], ARGV[1])
redis.call('ZADD', KEYS[2], ARGV[2], ARGV[3])
return 1
