-- KEYS: open index, sent zset. ARGV: prefix, purpose, now ms, ttl, detail.
-- Returns {jobs cancelled, number of digests settled, settled digest id..., sending digest id...}.
-- A digest being sent ("W") becomes "X": its jobs are cancelled, but the send in flight decides
-- the digest's end (sent if the relay accepted it, else cancelled); its claim bounds the wait.
--@include job_lib.lua
local pre = ARGV[1]
local settled, sending, jobs = {}, {}, 0
local open = redis.call('HGETALL', KEYS[1])
for i = 1, #open, 2 do
  local id = open[i + 1]
  local dk = pre .. 'd:' .. id
  local d = redis.call('HMGET', dk, 'st', 'p')
  if (d[1] == 'O' or d[1] == 'W' or d[1] == 'X') and d[2] == ARGV[2] then
    local items = redis.call('LRANGE', pre .. 'di:' .. id, 0, -1)
    jobs = jobs + mark(pre, items, 6, 0, ARGV[3], ARGV[5])
    if d[1] ~= 'O' then
      -- Stays in the open index until its send ends, so a repeated withdrawal waits for it too.
      redis.call('HSET', dk, 'st', 'X')
      sending[#sending + 1] = id
    else
      redis.call('ZREM', KEYS[2], id)
      settle(pre, id, 'C', tonumber(ARGV[4]))
      settled[#settled + 1] = id
    end
  end
end
local out = {jobs, #settled}
for _, id in ipairs(settled) do out[#out + 1] = id end
for _, id in ipairs(sending) do out[#out + 1] = id end
return out
