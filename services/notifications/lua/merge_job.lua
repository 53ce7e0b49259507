-- KEYS: open index, job key. ARGV: prefix, suffix, job bytes, window base, due ms, job state,
-- now ms, purpose, topic.
-- Returns {created, merged, digest id, digest due, digest open}. Joining the open digest of the
-- window and creating it when there is none happen in this one script, so concurrent triggers
-- agree on one digest. A closed digest (sent, cancelled) of the same window is never reopened:
-- a new generation "<base>~<suffix>" takes the items that come after it.
local pre = ARGV[1]
local existing = redis.call('HGET', KEYS[2], 's')
if existing then
  local dg = string.match(existing, '^%d+|%d+|%d+|%d+|([^|]*)|') or ''
  local d = redis.call('HMGET', pre .. 'd:' .. dg, 'st', 'due')
  local open = 0
  if d[1] == 'O' or d[1] == 'W' then open = 1 end
  return {0, 0, dg, tonumber(d[2] or '0'), open}
end
local id = redis.call('HGET', KEYS[1], ARGV[4])
local merged = 0
if id and redis.call('HGET', pre .. 'd:' .. id, 'st') == 'O' then
  merged = 1
else
  id = ARGV[4]
  if redis.call('EXISTS', pre .. 'd:' .. id) == 1 then id = ARGV[4] .. '~' .. ARGV[2] end
  redis.call('HSET', pre .. 'd:' .. id, 'st', 'O', 'p', ARGV[8], 'due', ARGV[5], 'att', '0',
             'base', ARGV[4], 'c', ARGV[7])
  redis.call('HSET', KEYS[1], ARGV[4], id)
end
redis.call('RPUSH', pre .. 'di:' .. id, ARGV[2])
redis.call('HSET', KEYS[2], 'b', ARGV[3], 's', ARGV[6] .. '|0|0|' .. ARGV[9] .. '|' .. id .. '|')
return {1, merged, id, tonumber(redis.call('HGET', pre .. 'd:' .. id, 'due')), 1}
