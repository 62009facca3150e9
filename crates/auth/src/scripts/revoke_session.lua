-- Revokes a session: its refresh token stops at once and every access token carrying its
-- sid is refused until it would have expired anyway; the revocation is announced to every
-- instance's mirror in the same step. One slot: {s:<sid>}.
-- KEYS[1] meta, KEYS[2] grace, KEYS[3] spent, KEYS[4] revoked
-- ARGV[1] access_ttl_s, ARGV[2] revocation channel, ARGV[3] announcement
-- Returns the session's user id, or '' when there was no live session.
local uid = redis.call('HGET', KEYS[1], 'uid')
redis.call('DEL', KEYS[1], KEYS[2], KEYS[3])
redis.call('SET', KEYS[4], '1', 'EX', tonumber(ARGV[1]))
redis.call('PUBLISH', ARGV[2], ARGV[3])
return uid or ''
