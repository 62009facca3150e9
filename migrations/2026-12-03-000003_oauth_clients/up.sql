-- OAuth clients (SPEC §11). Platform-wide, not tenant-owned: the authorization endpoint
-- reads a client before any tenant is known, so the table has no tenant_id and no
-- row-level security; only platform admins manage it (`/api/v1/platform/clients`).
CREATE TABLE oauth_clients (
    id                        uuid PRIMARY KEY,
    client_id                 text NOT NULL UNIQUE CHECK (client_id ~ '^[a-z0-9-]{3,64}$'),
    name                      text NOT NULL,
    client_type               text NOT NULL CHECK (client_type IN ('public', 'confidential')),
    -- SHA-256 of the generated secret (256 random bits: no slow hash needed).
    secret_hash               text,
    redirect_uris             text[] NOT NULL CHECK (cardinality(redirect_uris) >= 1),
    allowed_origins           text[] NOT NULL DEFAULT '{}',
    refresh_delivery          text NOT NULL CHECK (refresh_delivery IN ('body', 'cookie')),
    first_party               boolean NOT NULL DEFAULT false,
    post_logout_redirect_uris text[] NOT NULL DEFAULT '{}',
    created_at                timestamptz NOT NULL DEFAULT now(),
    updated_at                timestamptz NOT NULL DEFAULT now(),
    -- A confidential client has a secret; a public one never does.
    CHECK ((client_type = 'confidential') = (secret_hash IS NOT NULL)),
    -- The refresh cookie is checked against the client's origins: it needs some.
    CHECK (refresh_delivery = 'body' OR cardinality(allowed_origins) >= 1)
);
