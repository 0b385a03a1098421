-- Reliance onboarding applications: a customer you verified yourself, submitted in one step.
CREATE TABLE onboarding_applications (
    id TEXT PRIMARY KEY NOT NULL,
    organization_id TEXT NOT NULL REFERENCES organizations (id),
    workflow_id TEXT NOT NULL,
    -- submitted | processing | complete | errored
    onboarding_application_status TEXT NOT NULL,
    legal_person_id TEXT NOT NULL REFERENCES legal_persons (id),
    verification_id TEXT NOT NULL REFERENCES verifications (id),
    decision_outcome TEXT,
    due_at BIGINT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX onboarding_applications_by_status ON onboarding_applications (onboarding_application_status);
