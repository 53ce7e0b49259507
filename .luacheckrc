-- luacheck settings for the Redis scripts (services/*/lua/*.lua, expanded with their
-- --@include preambles into <build>/services/*/generated/lua/ and checked there by
-- deploy/local/check_lua.sh). Redis runs Lua 5.1 with these globals and no others.
std = "lua51"
read_globals = { "redis", "KEYS", "ARGV", "cjson", "cmsgpack", "bit", "struct" }
-- A script's body is the body of a function Redis wraps around it: a top-level `return` is the
-- reply, and a shared preamble may define helpers a given script does not use.
unused_secondaries = false
max_line_length = 100
