-- Records a failed login for one submitted username; locks it once the failures reach the
-- threshold, for base × 2^(failures − threshold), at most max. One key, one slot.
-- KEYS[1] hash {fails, until}. ARGV: threshold, base ms, max ms, now ms, memory ms.
-- Returns the lock's remaining ms (0 when not locked).
local threshold = tonumber(ARGV[1])
local base = tonumber(ARGV[2])
local max = tonumber(ARGV[3])
local now = tonumber(ARGV[4])
local fails = redis.call('HINCRBY', KEYS[1], 'fails', 1)
local lock = 0
if fails >= threshold then
  lock = math.min(max, base * 2 ^ (fails - threshold))
  redis.call('HSET', KEYS[1], 'until', now + lock)
end
redis.call('PEXPIRE', KEYS[1], lock + tonumber(ARGV[5]))
return lock
