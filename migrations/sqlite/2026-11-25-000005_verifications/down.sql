DROP TABLE decisions;
DROP TABLE verifications;
