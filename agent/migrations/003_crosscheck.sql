-- A model's extraction compared with the offline rules' extraction of the same document.
ALTER TABLE extractions ADD COLUMN crosscheck JSON;
