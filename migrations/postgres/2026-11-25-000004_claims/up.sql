-- Claims: unverified statements about a legal person (identity, addresses, directors, …).
CREATE TABLE claims (
    id TEXT PRIMARY KEY NOT NULL,
    legal_person_id TEXT NOT NULL REFERENCES legal_persons (id),
    organization_id TEXT NOT NULL REFERENCES organizations (id),
    claim_type TEXT NOT NULL,
    -- The claim as the client sent it (validated), JSON.
    body TEXT NOT NULL,
    -- unverified | verified
    verification_status TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX claims_by_legal_person ON claims (legal_person_id, created_at, id);
