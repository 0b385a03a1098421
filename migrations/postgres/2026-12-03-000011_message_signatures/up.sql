-- Message signatures (RFC 9421) on incoming requests: the Ed25519 public keys an
-- organization registered, the nonces its signatures used, and whether its API keys must sign.
CREATE TABLE message_signature_keys (
    id TEXT PRIMARY KEY NOT NULL,
    organization_id TEXT NOT NULL REFERENCES organizations (id),
    -- The key as registered: PEM of a SubjectPublicKeyInfo.
    public_key_pem TEXT NOT NULL,
    -- The 32 bytes of the Ed25519 key, base64url without padding: what verification uses.
    public_key TEXT NOT NULL,
    created_by_user_id TEXT NOT NULL REFERENCES users (id),
    created_at BIGINT NOT NULL
);
CREATE INDEX message_signature_keys_by_organization
    ON message_signature_keys (organization_id, created_at, id);
-- A key is registered once per organization.
CREATE UNIQUE INDEX message_signature_keys_unique ON message_signature_keys (organization_id, public_key);

-- A nonce is accepted once per key while its signature is valid; several server processes
-- share this table, so the primary key decides which of two racing requests wins. Rows
-- past their signature's expiry are pruned when the key's next nonce is recorded.
CREATE TABLE message_signature_nonces (
    key_id TEXT NOT NULL REFERENCES message_signature_keys (id) ON DELETE CASCADE,
    nonce TEXT NOT NULL,
    expires_at BIGINT NOT NULL,
    PRIMARY KEY (key_id, nonce)
);
CREATE INDEX message_signature_nonces_by_expiry ON message_signature_nonces (key_id, expires_at);

-- When set, every request with one of the organization's API keys must be signed.
ALTER TABLE organizations ADD COLUMN message_signatures_required BOOLEAN NOT NULL DEFAULT FALSE;
