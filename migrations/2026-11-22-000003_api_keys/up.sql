-- API keys for machine-to-machine calls: `gk_<key_id>_<secret>`. Only the SHA-256 of the
-- secret is stored. Keys are tenant-owned (forced RLS); the global index maps a key id to
-- its tenant (no secret in it), so a presented key is looked up in its tenant's context.

CREATE TABLE api_keys (
    id           uuid PRIMARY KEY,
    tenant_id    uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    key_id       text NOT NULL UNIQUE CHECK (key_id ~ '^[a-z0-9]{8}$'),
    name         text NOT NULL CHECK (char_length(name) BETWEEN 1 AND 100),
    secret_hash  text NOT NULL,
    scopes       text[] NOT NULL DEFAULT '{}',
    created_by   uuid REFERENCES users (id) ON DELETE SET NULL,
    expires_at   timestamptz,
    last_used_at timestamptz,
    revoked_at   timestamptz,
    created_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX api_keys_tenant_id_idx ON api_keys (tenant_id, id);

ALTER TABLE api_keys ENABLE ROW LEVEL SECURITY;
ALTER TABLE api_keys FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON api_keys
    USING (tenant_id = app_tenant_id()) WITH CHECK (tenant_id = app_tenant_id());

CREATE TABLE api_key_index (
    key_id    text PRIMARY KEY,
    tenant_id uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE
);
