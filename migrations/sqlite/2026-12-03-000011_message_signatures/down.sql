ALTER TABLE organizations DROP COLUMN message_signatures_required;
DROP TABLE message_signature_nonces;
DROP TABLE message_signature_keys;
