-- Bank accounts and the double-entry ledger.
--
-- Every movement of money is one ledger entry: postings that sum to zero. A posting to a
-- customer account is that account's transaction (`tr.` id, with the balance after it and
-- its place in the account's sequence); internal accounts (sandbox funding, scheme
-- settlement) have postings only, and their balance is the sum of those.
CREATE TABLE bank_accounts (
    id TEXT PRIMARY KEY NOT NULL,
    organization_id TEXT NOT NULL REFERENCES organizations (id),
    bank_product_type TEXT NOT NULL,
    client_money_type TEXT,
    savings_type TEXT,
    pooled_funds BOOLEAN NOT NULL,
    primary_account BOOLEAN NOT NULL,
    display_name TEXT NOT NULL,
    -- opening | open | closing | closed
    account_status TEXT NOT NULL,
    owner_id TEXT NOT NULL REFERENCES legal_persons (id),
    controller_id TEXT NOT NULL REFERENCES legal_persons (id),
    beneficiary_id TEXT REFERENCES legal_persons (id),
    -- The name on the account: its owner's, as it was when the account was opened.
    account_holder TEXT NOT NULL,
    account_number TEXT NOT NULL UNIQUE,
    bank_id TEXT NOT NULL,
    -- Ledger balance in minor units: always the sum of the account's postings.
    balance BIGINT NOT NULL DEFAULT 0,
    -- Sum of placed debit holds; available balance = balance - held.
    held BIGINT NOT NULL DEFAULT 0,
    -- How many transactions the account has: the sequence number of the latest.
    transaction_count BIGINT NOT NULL DEFAULT 0,
    -- Active restrictions by type: freezes stop money out, blocks stop both ways.
    active_freezes INTEGER NOT NULL DEFAULT 0,
    active_blocks INTEGER NOT NULL DEFAULT 0,
    -- When an opening account is due to open.
    opens_at BIGINT,
    created_at BIGINT NOT NULL,
    opened_at BIGINT,
    closed_at BIGINT,
    updated_at BIGINT NOT NULL,
    CHECK (balance >= 0 AND held >= 0 AND balance - held >= 0)
);
CREATE INDEX bank_accounts_by_organization ON bank_accounts (organization_id, created_at, id);
CREATE INDEX bank_accounts_by_owner ON bank_accounts (owner_id);
CREATE INDEX bank_accounts_opening ON bank_accounts (opens_at) WHERE account_status = 'opening';
CREATE INDEX bank_accounts_closing ON bank_accounts (account_status) WHERE account_status = 'closing';

-- Payments: outbound ones made by customers, inbound ones admitted to an account.
CREATE TABLE payments (
    id TEXT PRIMARY KEY NOT NULL,
    organization_id TEXT NOT NULL REFERENCES organizations (id),
    account_id TEXT NOT NULL REFERENCES bank_accounts (id),
    -- inbound-payment | outbound-payment
    payment_direction TEXT NOT NULL,
    amount BIGINT NOT NULL CHECK (amount > 0),
    payment_reference TEXT,
    -- JSON objects as Griffin shows them.
    creditor TEXT NOT NULL,
    debtor TEXT NOT NULL,
    created_by_user_id TEXT REFERENCES users (id),
    created_at BIGINT NOT NULL
);
CREATE INDEX payments_by_account ON payments (account_id, created_at, id);
CREATE INDEX payments_by_organization ON payments (organization_id, created_at, id);

-- Admissions: an inbound payment arriving on an account.
CREATE TABLE admissions (
    id TEXT PRIMARY KEY NOT NULL,
    organization_id TEXT NOT NULL REFERENCES organizations (id),
    payment_id TEXT NOT NULL UNIQUE REFERENCES payments (id),
    account_id TEXT NOT NULL REFERENCES bank_accounts (id),
    -- processing | delivered | returned | cancelled
    admission_status TEXT NOT NULL,
    payment_scheme TEXT NOT NULL,
    end_to_end_identification TEXT NOT NULL,
    unique_scheme_identifier TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX admissions_by_account ON admissions (account_id, created_at, id);

CREATE TABLE postings (
    id TEXT PRIMARY KEY NOT NULL,
    entry_id TEXT NOT NULL,
    organization_id TEXT NOT NULL REFERENCES organizations (id),
    -- A bank account id (`ba.…`) or an internal account (`internal.…`).
    account_id TEXT NOT NULL,
    -- Signed minor units: credits positive, debits negative; never zero.
    amount BIGINT NOT NULL CHECK (amount <> 0),
    -- For bank accounts: the balance after this posting and its sequence number.
    balance_after BIGINT,
    account_seq BIGINT,
    -- payment | transfer | fee | interest | commission | deposit | manual-payment | card-transaction
    origin_type TEXT NOT NULL,
    payment_id TEXT REFERENCES payments (id),
    reference TEXT,
    description TEXT,
    processed_at BIGINT NOT NULL,
    effective_at BIGINT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX postings_account_sequence ON postings (account_id, account_seq);
CREATE INDEX postings_by_account ON postings (account_id, processed_at, id);
CREATE INDEX postings_by_entry ON postings (entry_id);

CREATE TABLE holds (
    id TEXT PRIMARY KEY NOT NULL,
    organization_id TEXT NOT NULL REFERENCES organizations (id),
    account_id TEXT NOT NULL REFERENCES bank_accounts (id),
    -- placed | released
    status TEXT NOT NULL,
    -- debit | credit
    direction TEXT NOT NULL,
    amount BIGINT NOT NULL CHECK (amount > 0),
    origin_type TEXT NOT NULL,
    origin_metadata TEXT,
    release_reason TEXT,
    expires_at BIGINT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX holds_by_account ON holds (account_id, created_at, id);
CREATE INDEX holds_expiring ON holds (expires_at) WHERE status = 'placed';

CREATE TABLE restrictions (
    id TEXT PRIMARY KEY NOT NULL,
    organization_id TEXT NOT NULL REFERENCES organizations (id),
    account_id TEXT NOT NULL REFERENCES bank_accounts (id),
    -- active | lifted
    restriction_status TEXT NOT NULL,
    -- block | freeze
    restriction_type TEXT NOT NULL,
    restriction_reason_code TEXT NOT NULL,
    restriction_legal_status TEXT NOT NULL,
    applied_by_user_id TEXT NOT NULL REFERENCES users (id),
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX restrictions_by_account ON restrictions (account_id, created_at, id);

-- What happened to a restriction (applied, updated, lifted), with the notes given.
CREATE TABLE restriction_events (
    id TEXT PRIMARY KEY NOT NULL,
    restriction_id TEXT NOT NULL REFERENCES restrictions (id),
    restriction_event_type TEXT NOT NULL,
    restriction_type TEXT NOT NULL,
    restriction_reason_code TEXT NOT NULL,
    restriction_legal_status TEXT NOT NULL,
    notes TEXT NOT NULL,
    user_id TEXT NOT NULL REFERENCES users (id),
    created_at BIGINT NOT NULL
);
CREATE INDEX restriction_events_by_restriction ON restriction_events (restriction_id, created_at, id);

-- The legal persons whose money a pooled account holds.
CREATE TABLE pool_members (
    account_id TEXT NOT NULL REFERENCES bank_accounts (id),
    legal_person_id TEXT NOT NULL REFERENCES legal_persons (id),
    created_at BIGINT NOT NULL,
    PRIMARY KEY (account_id, legal_person_id)
);
CREATE INDEX pool_members_by_account ON pool_members (account_id, created_at, legal_person_id);
