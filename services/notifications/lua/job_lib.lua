-- The preamble of the job scripts (cancel_open, begin_send and finish_send include it with
-- `--@include job_lib.lua`): reading and writing a job's state line, and settling a digest
-- (terminal state, open-index pointer dropped, everything of it kept for the retention only).
local function meta_get(pre, suffix)
  local s = redis.call('HGET', pre .. 'j:' .. suffix, 's')
  if not s then return nil end
  local st, rs, dm, tp, dg, dt = string.match(s, '^(%d+)|(%d+)|(%d+)|(%d+)|([^|]*)|(.*)$')
  if not st then return nil end
  return {state = tonumber(st), reason = tonumber(rs), decide = dm, topic = tonumber(tp),
          digest = dg, detail = dt}
end
local function meta_set(pre, suffix, m)
  redis.call('HSET', pre .. 'j:' .. suffix, 's', m.state .. '|' .. m.reason .. '|' .. m.decide ..
             '|' .. m.topic .. '|' .. m.digest .. '|' .. m.detail)
end
local function live(state) return state == 1 or state == 2 or state == 3 end
local function settle(pre, id, st, ttl)
  local dk = pre .. 'd:' .. id
  redis.call('HSET', dk, 'st', st)
  redis.call('HDEL', dk, 'own', 'until')
  local base = redis.call('HGET', dk, 'base')
  if base and redis.call('HGET', pre .. 'open', base) == id then
    redis.call('HDEL', pre .. 'open', base)
  end
  redis.call('EXPIRE', dk, ttl)
  redis.call('EXPIRE', pre .. 'di:' .. id, ttl)
  for _, s in ipairs(redis.call('LRANGE', pre .. 'di:' .. id, 0, -1)) do
    redis.call('EXPIRE', pre .. 'j:' .. s, ttl)
  end
end
local function mark(pre, suffixes, state, reason, decide, detail)
  local n = 0
  for _, s in ipairs(suffixes) do
    local m = meta_get(pre, s)
    if m and live(m.state) then
      m.state = state; m.reason = reason; m.decide = decide; m.detail = detail
      meta_set(pre, s, m)
      n = n + 1
    end
  end
  return n
end
