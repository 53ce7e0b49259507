-- Per expected service, the acknowledgement time of the employee's oldest change it has not
-- applied (RedisPropagationStore::OldestPerService).
-- KEYS[1] pending changes, KEYS[2..] receipts of each expected service.
-- Replies one integer per service: the ack ms of the oldest pending change with a sequence
-- above the highest one it applied (a receipt for sequence n covers every earlier change), or 0.
local out = {}
for i = 2, #KEYS do
  local top = redis.call('ZREVRANGE', KEYS[i], 0, 0, 'WITHSCORES')
  local applied = '0'
  if #top > 0 then applied = top[2] end
  local first = redis.call('ZRANGEBYSCORE', KEYS[1], '(' .. applied, '+inf', 'LIMIT', 0, 1)
  local ack = 0
  if #first > 0 then ack = tonumber(string.match(first[1], ':(%d+)$')) or 0 end
  out[#out + 1] = ack
end
return out
