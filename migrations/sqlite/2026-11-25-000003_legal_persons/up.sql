-- Legal persons: an organization's customers (individuals and corporations), and the
-- organization itself.

CREATE TABLE legal_persons (
    id TEXT PRIMARY KEY NOT NULL,
    organization_id TEXT NOT NULL REFERENCES organizations (id),
    legal_person_type TEXT NOT NULL CHECK (legal_person_type IN ('individual', 'corporation')),
    display_name TEXT NOT NULL,
    -- Derived from claims (individual-identity, uk-company-register, …) when they arrive.
    legal_name TEXT,
    application_status TEXT,
    legal_person_status TEXT,
    status_changed_at BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX legal_persons_by_organization ON legal_persons (organization_id, created_at, id);
CREATE INDEX legal_persons_by_status_change
    ON legal_persons (organization_id, status_changed_at, id);

-- Every organization is a legal person of its own (a corporation, onboarded by the bank);
-- its id was fixed when the organization was created.
INSERT INTO legal_persons (id, organization_id, legal_person_type, display_name, legal_name,
    application_status, legal_person_status, status_changed_at, created_at, updated_at)
SELECT own_legal_person_id, id, 'corporation', display_name, display_name,
    'accepted', 'onboarded', created_at, created_at, created_at
FROM organizations;
