-- A preamble for a service's own one-slot scripts that read its consent view (the view hash
-- shares the employee's hash tag): `--@include consent_view_granted.lua`, or
-- ConsentView::ScopeGrantedLua() in front of the script's text.
-- cv_granted(key, field) is true while the scope `field` of the view hash `key` is granted
-- ("G:<sequence>"); an unknown scope is not granted.
-- luacheck: ignore 211/cv_granted
local function cv_granted(key, field)
  local v = redis.call('HGET', key, field)
  return v ~= false and string.sub(v, 1, 2) == 'G:'
end
