-- Applies one consent event to a service's consent view (ConsentView::Apply).
-- KEYS[1] the view hash adv:<service>:cv:{tenant:employee}.
-- ARGV: sequence, "G" (given) | "W" (withdrawn), all scopes "1" | "0", the largest gap allowed
-- above _seq, the scope fields...
-- An event whose sequence is more than the gap above _seq (the highest applied) changes nothing
-- and returns {-1, _seq}: the caller dead-letters it (a forged or inconsistent event).
-- A scope changes only when the event's sequence is greater than the one stored for it (and, for
-- a grant, greater than _wall, the last withdraw-all), so replays and late events are no-ops.
-- Returns {changed, _seq after, field...}: the fields listed are, for a withdrawal, those whose
-- stored value is now "W:<this sequence>" (stable across replays).
local seq = tonumber(ARGV[1])
local grant = ARGV[2] == 'G'
local top = tonumber(redis.call('HGET', KEYS[1], '_seq') or '0')
if seq > top + tonumber(ARGV[4]) then return {-1, top} end
local wall = tonumber(redis.call('HGET', KEYS[1], '_wall') or '0')
local fields, seen = {}, {}
for i = 5, #ARGV do
  if not seen[ARGV[i]] then seen[ARGV[i]] = true; fields[#fields + 1] = ARGV[i] end
end
if ARGV[3] == '1' then
  for _, f in ipairs(redis.call('HKEYS', KEYS[1])) do
    if string.sub(f, 1, 1) ~= '_' and not seen[f] then seen[f] = true; fields[#fields + 1] = f end
  end
end
local changed = 0
local out = {0, 0}
local mine = ARGV[2] .. ':' .. ARGV[1]
for _, f in ipairs(fields) do
  local cur = redis.call('HGET', KEYS[1], f)
  local cseq = 0
  if cur then cseq = tonumber(string.sub(cur, 3)) or 0 end
  if seq > cseq and not (grant and seq <= wall) then
    redis.call('HSET', KEYS[1], f, mine)
    changed = changed + 1
    cur = mine
  end
  if not grant and cur == mine then out[#out + 1] = f end
end
if ARGV[3] == '1' and seq > wall then redis.call('HSET', KEYS[1], '_wall', seq) end
if seq > top then
  redis.call('HSET', KEYS[1], '_seq', ARGV[1])
  top = seq
end
out[1] = changed
out[2] = top
return out
