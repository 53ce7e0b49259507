--@include cas_check.lua
-- Compare-and-set of one employee's learning on their sequence (field _seq of the progress
-- hash): enrollments, checklist ticks, the idempotency record and the events in one step.
-- KEYS: progress hash, idempotency key, outbox list.
-- ARGV: expected sequence, new sequence, idempotency record ('' none), its ttl (ms), n, n
--       field/value pairs, m, m outbox entries.
-- Returns {1, new sequence} committed, or cas_check's {0, current} / {2, current}.
local refused = cas_check(KEYS[1], ARGV[1], KEYS[2], ARGV[3], ARGV[4])
if refused then return refused end
if ARGV[2] ~= ARGV[1] then redis.call('HSET', KEYS[1], '_seq', ARGV[2]) end
local n = tonumber(ARGV[5])
local i = 6
for _ = 1, n do
  redis.call('HSET', KEYS[1], ARGV[i], ARGV[i + 1])
  i = i + 2
end
local m = tonumber(ARGV[i])
i = i + 1
for _ = 1, m do
  redis.call('RPUSH', KEYS[3], ARGV[i])
  i = i + 1
end
return {1, tonumber(ARGV[2])}
