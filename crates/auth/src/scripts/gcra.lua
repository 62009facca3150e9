-- GCRA rate limit (one key, one slot). KEYS[1] the bucket's theoretical arrival time, µs.
-- ARGV: emission interval µs (≥ 1), burst tolerance µs.
-- Time is Redis's own clock, so every instance (and every worker thread) agrees on it.
-- Returns {1, 0} allowed, or {0, µs until the next request would be allowed}.
local interval = tonumber(ARGV[1])
local tolerance = tonumber(ARGV[2])
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local tat = tonumber(redis.call('GET', KEYS[1]) or now)
if tat < now then
  tat = now
end
if tat - now > tolerance then
  return {0, tat - now - tolerance}
end
local new_tat = tat + interval
redis.call('SET', KEYS[1], string.format('%d', new_tat), 'PX', math.max(1, math.ceil((new_tat - now) / 1000)))
return {1, 0}
