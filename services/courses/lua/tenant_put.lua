-- Compare-and-set of one catalog record (a course, a checklist, the policy) on its revision.
-- The revision lives in a field of one hash per tenant, not in a '_seq' field, and catalog writes
-- carry no idempotency record (creations derive their id from the key), so this script does not
-- use the shared cas_check preamble.
-- KEYS: revisions hash, values hash, second values hash (may repeat KEYS[2]), outbox list.
-- ARGV: revision field, expected revision, new revision, value field, value, second value
--       ('' none), outbox entry ('' none).
-- Returns 1 written, 0 the revision moved.
local cur = tonumber(redis.call('HGET', KEYS[1], ARGV[1]) or '0')
if cur ~= tonumber(ARGV[2]) then return 0 end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[3])
redis.call('HSET', KEYS[2], ARGV[4], ARGV[5])
if ARGV[6] ~= '' then redis.call('HSET', KEYS[3], ARGV[4], ARGV[6]) end
if ARGV[7] ~= '' then redis.call('RPUSH', KEYS[4], ARGV[7]) end
return 1
