-- Redeems an authorization code once (RFC 6749 §4.1.2, SPEC §11).
-- KEYS[1] = <p>{code:<hash>}   ARGV[1] = how long to remember a redeemed code (s)
-- Returns {0, nil} for no such code (never issued, or expired unredeemed), {1, grant} the
-- first time, and {2, sid} every later time: sid is the session the first redemption
-- started ('' until it is recorded), which a replay revokes.
local grant = redis.call('HGET', KEYS[1], 'grant')
if not grant then
  return {0, false}
end
if redis.call('HEXISTS', KEYS[1], 'used') == 1 then
  return {2, redis.call('HGET', KEYS[1], 'sid') or ''}
end
redis.call('HSET', KEYS[1], 'used', '1')
redis.call('EXPIRE', KEYS[1], tonumber(ARGV[1]))
return {1, grant}
