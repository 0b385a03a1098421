-- Payees, outbound payments and their submissions, confirmation of payee, and the stored
-- answers of idempotent requests.
CREATE TABLE cop_requests (
    id TEXT PRIMARY KEY NOT NULL,
    organization_id TEXT NOT NULL REFERENCES organizations (id),
    -- The request and the answer, as Griffin shows them (JSON).
    account TEXT NOT NULL,
    cop_response TEXT NOT NULL,
    created_at BIGINT NOT NULL
);

CREATE TABLE payees (
    id TEXT PRIMARY KEY NOT NULL,
    organization_id TEXT NOT NULL REFERENCES organizations (id),
    legal_person_id TEXT NOT NULL REFERENCES legal_persons (id),
    account_holder TEXT NOT NULL,
    account_number TEXT NOT NULL,
    bank_id TEXT NOT NULL,
    -- active | deactivated
    payee_status TEXT NOT NULL,
    cop_request_id TEXT REFERENCES cop_requests (id),
    -- Set when the details are those of one of this organization's accounts.
    account_id TEXT REFERENCES bank_accounts (id),
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX payees_by_legal_person ON payees (legal_person_id, created_at, id);
CREATE INDEX payees_by_account ON payees (account_id);
-- A legal person has at most one active payee for the same account details.
CREATE UNIQUE INDEX payees_active_details ON payees (legal_person_id, account_number, bank_id)
    WHERE payee_status = 'active';

ALTER TABLE payments ADD COLUMN payee_id TEXT REFERENCES payees (id);
-- The creditor's bank account, when it is one of ours.
ALTER TABLE payments ADD COLUMN creditor_account_id TEXT REFERENCES bank_accounts (id);
ALTER TABLE payments ADD COLUMN created_via TEXT;
ALTER TABLE payments ADD COLUMN latest_submission_id TEXT;
ALTER TABLE payments ADD COLUMN latest_submission_status TEXT;
ALTER TABLE payments ADD COLUMN rejected_at BIGINT;
ALTER TABLE payments ADD COLUMN rejected_by_user_id TEXT REFERENCES users (id);
ALTER TABLE payments ADD COLUMN rejection_reason TEXT;
CREATE INDEX payments_by_payee ON payments (payee_id, created_at, id);
CREATE INDEX payments_by_creditor_account ON payments (creditor_account_id);

CREATE TABLE submissions (
    id TEXT PRIMARY KEY NOT NULL,
    organization_id TEXT NOT NULL REFERENCES organizations (id),
    payment_id TEXT NOT NULL REFERENCES payments (id),
    account_id TEXT NOT NULL REFERENCES bank_accounts (id),
    -- scheduled | processing | delivered | failed | returned
    submission_status TEXT NOT NULL,
    payment_scheme TEXT NOT NULL,
    end_to_end_identification TEXT NOT NULL,
    unique_scheme_identifier TEXT NOT NULL,
    created_by_user_id TEXT REFERENCES users (id),
    -- When a processing submission is due to be delivered (fps, by the worker).
    due_at BIGINT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX submissions_by_payment ON submissions (payment_id, created_at, id);
CREATE INDEX submissions_by_account ON submissions (account_id, created_at, id);
CREATE INDEX submissions_due ON submissions (due_at) WHERE submission_status = 'processing';

-- The first answer to a request carrying an `Idempotency-Key`, written in the same database
-- transaction as the work it answers: a retry gets it back instead of doing the work again.
CREATE TABLE idempotency_keys (
    organization_id TEXT NOT NULL REFERENCES organizations (id),
    idempotency_key TEXT NOT NULL,
    -- SHA-256 of the method, path and body of the first request.
    request_hash TEXT NOT NULL,
    response_status INTEGER NOT NULL,
    response_location TEXT,
    response_body TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (organization_id, idempotency_key)
);
CREATE INDEX idempotency_keys_by_age ON idempotency_keys (created_at);
