-- Transactional email (SPEC §12). Platform-wide, like users: no tenant, no row-level
-- security.

-- When the user proved they read mail at their address; NULL: not yet.
ALTER TABLE users ADD COLUMN email_verified_at timestamptz;

-- Every email is a row written in the same transaction as the change that causes it; a
-- sender on every instance claims due rows (FOR UPDATE SKIP LOCKED) and sends them.
CREATE TABLE outbox (
    id              uuid PRIMARY KEY,
    -- Which template renders it (`verify_email`, …).
    kind            text NOT NULL,
    recipient       text NOT NULL,
    -- The template's parameters, sealed (ChaCha20-Poly1305 under a key derived from
    -- GATEHOUSE_DATA_KEY) because they may carry a one-time token; NULL once sent.
    payload         bytea,
    -- Stable across retries: a crash between sending and marking sent resends the same
    -- message, which receivers can recognise.
    message_id      text NOT NULL UNIQUE,
    status          text NOT NULL DEFAULT 'queued' CHECK (status IN ('queued', 'sent', 'failed')),
    attempts        integer NOT NULL DEFAULT 0,
    next_attempt_at timestamptz NOT NULL DEFAULT now(),
    last_error      text,
    created_at      timestamptz NOT NULL DEFAULT now(),
    sent_at         timestamptz,
    -- Sent or failed, its parameters (and any token in them) are gone.
    CHECK ((status = 'queued') = (payload IS NOT NULL))
);
CREATE INDEX outbox_due ON outbox (next_attempt_at) WHERE status = 'queued';

-- One-time tokens sent by email (SPEC §12): only their SHA-256 is stored.
CREATE TABLE email_tokens (
    token_hash  text PRIMARY KEY,
    user_id     uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    purpose     text NOT NULL CHECK (purpose IN ('verify_email')),
    -- The address the token proves (a later change of address voids it).
    email       text NOT NULL,
    expires_at  timestamptz NOT NULL,
    used_at     timestamptz,
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX email_tokens_user ON email_tokens (user_id, purpose);
