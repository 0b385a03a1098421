DROP TABLE tell_consent_accounts;
DROP TABLE tell_consents;
