DROP TABLE legal_persons;
