-- Rotates a refresh token atomically. All keys share the session's hash tag {s:<sid>},
-- so the script touches one Redis Cluster slot.
-- KEYS[1] meta (hash), KEYS[2] grace (hash: spent-token hash -> sealed pair),
-- KEYS[3] spent (set of spent-token hashes), KEYS[4] revoked (access-token kill marker)
-- ARGV: presented_hash, new_hash, sealed_pair, tid, scope, now_ms, idle_ttl_s, grace_ms,
--       access_ttl_s, revocation channel, announcement (published on reuse only)
-- Returns {0} unknown/expired, {1} rotated, {2, sealed} replay within grace,
-- {3} reuse (session revoked, and announced).
local meta, grace, spent, revoked = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
local presented = ARGV[1]
local cur = redis.call('HGET', meta, 'cur')
if not cur then
  return {0}
end
if cur == presented then
  local now = tonumber(ARGV[6])
  local abs = tonumber(redis.call('HGET', meta, 'abs'))
  local ttl = math.min(tonumber(ARGV[7]), math.floor((abs - now) / 1000))
  if ttl <= 0 then
    redis.call('DEL', meta, grace, spent)
    return {0}
  end
  redis.call('HSET', meta, 'cur', ARGV[2], 'tid', ARGV[4], 'scope', ARGV[5], 'last', ARGV[6])
  redis.call('EXPIRE', meta, ttl)
  redis.call('SADD', spent, presented)
  redis.call('EXPIRE', spent, ttl)
  redis.call('DEL', grace)
  local grace_ms = tonumber(ARGV[8])
  if grace_ms > 0 then
    redis.call('HSET', grace, presented, ARGV[3])
    redis.call('PEXPIRE', grace, grace_ms)
  end
  return {1}
end
local sealed = redis.call('HGET', grace, presented)
if sealed then
  return {2, sealed}
end
if redis.call('SISMEMBER', spent, presented) == 1 then
  redis.call('DEL', meta, grace, spent)
  redis.call('SET', revoked, '1', 'EX', tonumber(ARGV[9]))
  redis.call('PUBLISH', ARGV[10], ARGV[11])
  return {3}
end
return {0}
