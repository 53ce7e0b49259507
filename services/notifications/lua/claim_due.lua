-- KEYS: due zset. ARGV: now, lease end, limit. The claimed entries move to the lease end, so
-- another worker sees them again only if this one dies before settling them.
local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, tonumber(ARGV[3]))
for _, m in ipairs(due) do redis.call('ZADD', KEYS[1], ARGV[2], m) end
return due
