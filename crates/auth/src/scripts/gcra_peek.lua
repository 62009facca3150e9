-- Whether a GCRA bucket (see gcra.lua) would refuse a request now, without spending one.
-- KEYS[1] the bucket. ARGV: burst tolerance µs.
-- Returns 0 when a request would pass, else µs until one would.
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local tat = tonumber(redis.call('GET', KEYS[1]) or now)
local over = tat - now - tonumber(ARGV[1])
if over > 0 then
  return over
end
return 0
