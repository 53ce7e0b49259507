-- ReserveLink. KEYS: the tenant's link counter. ARGV: the tenant's link quota.
-- Returns 1 and counts one more link, or 0 when the tenant holds its quota (nothing changes).
-- ReleaseLink gives a reservation back when its share was not committed.
local n = tonumber(redis.call('GET', KEYS[1]) or '0')
if n >= tonumber(ARGV[1]) then return 0 end
redis.call('INCR', KEYS[1])
return 1
