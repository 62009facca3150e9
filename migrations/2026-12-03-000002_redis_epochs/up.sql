-- The epoch of each Redis key prefix (`GATEHOUSE_REDIS_PREFIX`), SPEC §14: Redis holds the
-- revocations, so a Redis that comes back empty would let revoked tokens through. Redis
-- keeps the epoch in a sentinel key (`<prefix>epoch`); an instance that finds it missing or
-- different records a reset here: `epoch` moves on (compare-and-set, so instances noticing
-- the same loss reset once) and every token issued before `not_before` is refused.
-- A global table (no tenant data, no row-level security): one row per deployment or test
-- run sharing this database under its own prefix.

CREATE TABLE redis_epochs (
    prefix     text PRIMARY KEY CHECK (char_length(prefix) <= 200),
    epoch      bigint NOT NULL CHECK (epoch > 0),
    -- When the last reset happened: tokens issued before are refused. NULL: never reset.
    not_before timestamptz,
    created_at timestamptz NOT NULL DEFAULT now()
);
