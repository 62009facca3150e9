-- Counts a login attempt for one submitted username BEFORE its password is verified, so
-- parallel guesses cannot exceed the threshold (SPEC §8). One key, one slot.
-- KEYS[1] hash {fails, until}. ARGV: threshold, base ms, max ms, now ms, memory ms.
-- While a lock holds: returns its remaining ms and counts nothing. Otherwise the attempt
-- is counted (a success clears the key later); the attempt that reaches the threshold
-- proceeds but locks the username for base × 2^(attempts − threshold), at most max, so
-- after each lock exactly one more attempt is verified. Returns 0 when allowed.
local threshold = tonumber(ARGV[1])
local base = tonumber(ARGV[2])
local max = tonumber(ARGV[3])
local now = tonumber(ARGV[4])
local memory = tonumber(ARGV[5])
local until_ms = tonumber(redis.call('HGET', KEYS[1], 'until') or 0)
if until_ms > now then
  return until_ms - now
end
local attempts = redis.call('HINCRBY', KEYS[1], 'fails', 1)
local lock = 0
if attempts >= threshold then
  lock = math.min(max, base * 2 ^ (attempts - threshold))
  redis.call('HSET', KEYS[1], 'until', now + lock)
end
redis.call('PEXPIRE', KEYS[1], lock + memory)
return 0
