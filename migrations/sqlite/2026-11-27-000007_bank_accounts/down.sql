DROP TABLE pool_members;
DROP TABLE restriction_events;
DROP TABLE restrictions;
DROP TABLE holds;
DROP TABLE postings;
DROP TABLE admissions;
DROP TABLE payments;
DROP TABLE bank_accounts;
