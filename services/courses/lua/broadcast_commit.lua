--@include cas_check.lua
-- Compare-and-set of one broadcast on its sequence (field _seq of the broadcast hash):
-- definition, seats, waiting list, the idempotency record and the events in one step, so
-- capacity and promotion from the waiting list are never seen half done.
-- KEYS: broadcast hash, seats zset, waiting zset, idempotency key, outbox list.
-- ARGV: expected sequence, new sequence, idempotency record ('' none), its ttl (ms), definition
--       ('' unchanged), n, n (op, employee, order) triples, m, m outbox entries.
--       op: S+ / S- add to / remove from the seats, W+ / W- the same for the waiting list.
-- Returns {1, new sequence} committed, or cas_check's {0, current} / {2, current}.
local refused = cas_check(KEYS[1], ARGV[1], KEYS[4], ARGV[3], ARGV[4])
if refused then return refused end
if ARGV[2] ~= ARGV[1] then redis.call('HSET', KEYS[1], '_seq', ARGV[2]) end
if ARGV[5] ~= '' then redis.call('HSET', KEYS[1], 'def', ARGV[5]) end
local n = tonumber(ARGV[6])
local i = 7
for _ = 1, n do
  local op, member, order = ARGV[i], ARGV[i + 1], ARGV[i + 2]
  if op == 'S+' then redis.call('ZADD', KEYS[2], order, member)
  elseif op == 'S-' then redis.call('ZREM', KEYS[2], member)
  elseif op == 'W+' then redis.call('ZADD', KEYS[3], order, member)
  elseif op == 'W-' then redis.call('ZREM', KEYS[3], member)
  end
  i = i + 3
end
local m = tonumber(ARGV[i])
i = i + 1
for _ = 1, m do
  redis.call('RPUSH', KEYS[5], ARGV[i])
  i = i + 1
end
return {1, tonumber(ARGV[2])}
