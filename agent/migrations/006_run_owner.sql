-- Which process runs a run, so that a run left 'running' by a process that died is marked 'interrupted'.
ALTER TABLE runs ADD COLUMN pid INTEGER;
ALTER TABLE runs ADD COLUMN host VARCHAR;
