-- KEYS: idempotency record. ARGV: body hash, ttl seconds. 0 new, 1 replay, -1 conflict.
local cur = redis.call('GET', KEYS[1])
if not cur then
  redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[2])
  return 0
end
if cur == ARGV[1] then return 1 end
return -1
