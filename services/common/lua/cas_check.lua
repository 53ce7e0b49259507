-- The opening of every compare-and-set script (a script includes it with `--@include
-- cas_check.lua`). cas_check(seq_key, expected, idem_key, idem_record, idem_ttl_ms) returns
-- nil when the write may go ahead, or the reply the script must return at once:
--   {0, current}  the sequence (field _seq of seq_key) is no longer `expected`;
--   {2, current}  the idempotency key was taken meanwhile (another request with it committed).
-- With a non-empty idem_record it stores the record under idem_key (SET NX PX idem_ttl_ms), in
-- the same atomic step as the write that follows.
local function cas_check(seq_key, expected, idem_key, idem_record, idem_ttl_ms)
  local cur = tonumber(redis.call('HGET', seq_key, '_seq') or '0')
  if cur ~= tonumber(expected) then return {0, cur} end
  if idem_record ~= '' then
    if not redis.call('SET', idem_key, idem_record, 'NX', 'PX', idem_ttl_ms) then
      return {2, cur}
    end
  end
  return nil
end
