-- GCRA rate limit (one key, one slot). KEYS[1] the bucket's theoretical arrival time.
-- ARGV: emission interval ms, burst tolerance ms, now ms.
-- Returns {1, 0} allowed, or {0, ms until the next request would be allowed}.
local interval = tonumber(ARGV[1])
local tolerance = tonumber(ARGV[2])
local now = tonumber(ARGV[3])
local tat = tonumber(redis.call('GET', KEYS[1]) or now)
if tat < now then
  tat = now
end
local new_tat = tat + interval
local allowed_at = new_tat - tolerance - interval
if allowed_at > now then
  return {0, allowed_at - now}
end
redis.call('SET', KEYS[1], new_tat, 'PX', math.max(1, new_tat - now))
return {1, 0}
