-- Verifications of legal persons against a workflow, and the decisions taken on them.
CREATE TABLE verifications (
    id TEXT PRIMARY KEY NOT NULL,
    organization_id TEXT NOT NULL REFERENCES organizations (id),
    legal_person_id TEXT NOT NULL REFERENCES legal_persons (id),
    workflow_id TEXT NOT NULL,
    -- pending | in-progress | checks-complete | checks-declined | failed
    verification_status TEXT NOT NULL,
    risk_rating TEXT,
    -- When the background worker should move it on; NULL once it is settled.
    due_at BIGINT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX verifications_by_legal_person ON verifications (legal_person_id, created_at, id);
CREATE INDEX verifications_due ON verifications (due_at);

CREATE TABLE decisions (
    id TEXT PRIMARY KEY NOT NULL,
    organization_id TEXT NOT NULL REFERENCES organizations (id),
    legal_person_id TEXT NOT NULL REFERENCES legal_persons (id),
    verification_id TEXT NOT NULL REFERENCES verifications (id),
    decision_outcome TEXT NOT NULL,
    decision_notes TEXT NOT NULL,
    decision_maker TEXT NOT NULL,
    user_id TEXT REFERENCES users (id),
    created_at BIGINT NOT NULL
);
CREATE INDEX decisions_by_legal_person ON decisions (legal_person_id, created_at, id);
