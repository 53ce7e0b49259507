-- AdmitGroups. KEYS: the tenant's groups set. ARGV: the tenant's group quota, then the groups.
-- The set's size is the quota counter. Returns 1 when every group is in the set afterwards
-- (groups already known cost nothing, so a retry is never counted twice), or 0 when the new
-- ones would take the tenant past its quota (nothing is written).
local fresh = {}
for i = 2, #ARGV do
  if redis.call('SISMEMBER', KEYS[1], ARGV[i]) == 0 then fresh[#fresh + 1] = ARGV[i] end
end
if #fresh == 0 then return 1 end
if redis.call('SCARD', KEYS[1]) + #fresh > tonumber(ARGV[1]) then return 0 end
redis.call('SADD', KEYS[1], unpack(fresh))
return 1
