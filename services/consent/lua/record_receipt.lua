-- Records a propagation receipt once (RedisPropagationStore::RecordReceipt), then forgets the
-- pending changes that every expected service applied.
-- KEYS[1] receipts of the reporting service, KEYS[2] pending changes, KEYS[3..] receipts of
-- every expected service. ARGV: sequence, applied ms, receipts kept.
-- Replies 1 for the first receipt of that service and sequence, 0 for a repeat.
local seq = tonumber(ARGV[1])
local keep = tonumber(ARGV[3])
local first = 0
if #redis.call('ZRANGEBYSCORE', KEYS[1], seq, seq, 'LIMIT', 0, 1) == 0 then
  local low = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
  -- A replay of a receipt that was already trimmed away is not new either.
  if redis.call('ZCARD', KEYS[1]) < keep or #low == 0 or seq > tonumber(low[2]) then
    redis.call('ZADD', KEYS[1], seq, ARGV[1] .. ':' .. ARGV[2])
    redis.call('ZREMRANGEBYRANK', KEYS[1], 0, -(keep + 1))
    first = 1
  end
end
if #KEYS > 2 then
  local done = nil
  for i = 3, #KEYS do
    local top = redis.call('ZREVRANGE', KEYS[i], 0, 0, 'WITHSCORES')
    local applied = 0
    if #top > 0 then applied = tonumber(top[2]) end
    if done == nil or applied < done then done = applied end
  end
  if done > 0 then redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', done) end
end
return first
