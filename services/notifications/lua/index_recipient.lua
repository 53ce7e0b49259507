-- KEYS: index hash. ARGV: employee, mask, version, only-if-present "1"|"0".
-- A newer preferences version is never overwritten by an older one (Upsert and SetPreferences
-- may race: each indexes the version it read or wrote).
local cur = redis.call('HGET', KEYS[1], ARGV[1])
if not cur then
  if ARGV[4] == '1' then return 0 end
else
  local v = tonumber(string.match(cur, ':(%d+)$') or '0')
  if v > tonumber(ARGV[3]) then return 0 end
end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2] .. ':' .. ARGV[3])
return 1
