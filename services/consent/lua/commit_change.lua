-- Compare-and-set commit of one employee's consent change (RedisConsentStore::Commit): state,
-- ledger entry, idempotency record, outbox event and pending record in one atomic step.
-- KEYS: scopes hash, ledger, idempotency record, outbox list, pending changes.
-- ARGV: expected seq, new seq, ledger entry, outbox entry, idempotency record ('' = none),
-- idempotency ttl ms, scope count, acknowledged ms ('' = not tracked), pending kept, then
-- field/value pairs of the changed scopes.
-- Replies {1, new seq} committed, {0, current} the sequence moved, {2, current} the
-- idempotency key was taken meanwhile.
--@include cas_check.lua
local refused = cas_check(KEYS[1], ARGV[1], KEYS[3], ARGV[5], ARGV[6])
if refused then return refused end
local n = tonumber(ARGV[7])
if n > 0 then
  local args = {'_seq', ARGV[2]}
  for i = 1, n do
    args[#args + 1] = ARGV[8 + 2 * i]
    args[#args + 1] = ARGV[9 + 2 * i]
  end
  redis.call('HSET', KEYS[1], unpack(args))
end
if ARGV[3] ~= '' then redis.call('RPUSH', KEYS[2], ARGV[3]) end
if ARGV[4] ~= '' then redis.call('RPUSH', KEYS[4], ARGV[4]) end
if n > 0 and ARGV[8] ~= '' then
  redis.call('ZADD', KEYS[5], ARGV[2], ARGV[2] .. ':' .. ARGV[8])
  redis.call('ZREMRANGEBYRANK', KEYS[5], 0, -(tonumber(ARGV[9]) + 1))
end
return {1, tonumber(ARGV[2])}
