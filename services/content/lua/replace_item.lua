-- ReplaceItem: compare-and-set on the stored item bytes. KEYS: item, pub zset, outbox.
-- ARGV: expected bytes, new bytes, "pub"|"unpub"|"", publish score, item id, event ("" for
-- none). Returns 1, or 0 when the item changed meanwhile.
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('SET', KEYS[1], ARGV[2])
if ARGV[3] == 'pub' then redis.call('ZADD', KEYS[2], ARGV[4], ARGV[5]) end
if ARGV[3] == 'unpub' then redis.call('ZREM', KEYS[2], ARGV[5]) end
if ARGV[6] ~= '' then redis.call('RPUSH', KEYS[3], ARGV[6]) end
return 1
