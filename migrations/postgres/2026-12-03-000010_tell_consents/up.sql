-- Tell consents (open banking): registered by an organization for some of its accounts.
CREATE TABLE tell_consents (
    -- `tc.` and the 16 bytes of the caller's UUID, which is the consent's public name.
    id TEXT PRIMARY KEY NOT NULL,
    organization_id TEXT NOT NULL REFERENCES organizations (id),
    -- The caller's UUID in its canonical (lower-case) text.
    consent_uuid TEXT NOT NULL UNIQUE,
    tell_gateway_id TEXT NOT NULL,
    -- accounts | payments
    tell_consent_scope TEXT NOT NULL,
    -- A JSON array of Griffin's permission names, in the order given.
    tell_consent_permissions TEXT NOT NULL,
    -- authorised | consumed | revoked
    tell_consent_status TEXT NOT NULL,
    tell_consent_expiry BIGINT,
    consumed_at BIGINT,
    revoked_at BIGINT,
    created_at BIGINT NOT NULL
);
CREATE INDEX tell_consents_by_organization ON tell_consents (organization_id, created_at, id);

-- The accounts a consent covers, in the order the request gave them.
CREATE TABLE tell_consent_accounts (
    tell_consent_id TEXT NOT NULL REFERENCES tell_consents (id),
    position INTEGER NOT NULL,
    account_id TEXT NOT NULL REFERENCES bank_accounts (id),
    PRIMARY KEY (tell_consent_id, position)
);
CREATE INDEX tell_consent_accounts_by_account ON tell_consent_accounts (account_id);
