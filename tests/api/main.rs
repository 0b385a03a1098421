//! HTTP tests of the whole application, one binary. Each test gets its own database; set
//! `HYPERBANK_TEST_DATABASE_URL=postgres://…` to run the suite on PostgreSQL.

mod contract;
mod receiver;

mod support;

mod api_keys;
mod bank_accounts;
mod bank_products;
mod claims;
mod cli;
mod companies_house;
mod conformance;
mod errors;
mod events;
mod griffin_coverage;
mod groups;
mod health;
mod idempotency;
mod invitations;
mod isolation;
mod ledger;
mod ledger_properties;
mod legal_persons;
mod memberships;
mod message_signatures;
mod navigation;
mod onboarding;
mod openapi;
mod organizations;
mod owners;
mod payments;
mod python;
mod roles;
mod sessions;
mod slow_clients;
mod team;
mod tell_consents;
mod users;
mod verifications;
mod webhook_signers;
mod webhooks;
mod webhooks_served;
mod xero_csv;
