-- Compare-and-set publication of a tenant's notice (RedisConsentStore::CommitNotice): the
-- ordinal moves by one and the version must be new; the NoticePublished event goes to the
-- tenant's outbox in the same step.
-- KEYS: notices hash, tenant outbox list.
-- ARGV: expected ordinal, version, notice, material ('1' or '0'), outbox entry.
-- Replies 1 published, 0 the ordinal moved or the version exists (reload and decide again).
local cur = tonumber(redis.call('HGET', KEYS[1], '_ordinal') or '0')
if cur ~= tonumber(ARGV[1]) then return 0 end
if redis.call('HEXISTS', KEYS[1], 'v:' .. ARGV[2]) == 1 then return 0 end
redis.call('HSET', KEYS[1], 'v:' .. ARGV[2], ARGV[3], '_ordinal', cur + 1, '_current', ARGV[2])
if ARGV[4] == '1' then redis.call('HSET', KEYS[1], '_material', cur + 1) end
redis.call('RPUSH', KEYS[2], ARGV[5])
return 1
