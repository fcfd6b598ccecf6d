-- For the offline backend, the rule that kept or excluded each metric of an eval (evals/runner.py):
-- "kept: <part>", an exclusion rule of schemas/rules/metrics.py (ordinal_or_rank: rank, target, …),
-- "not read: <part>", "own_figures" or "no candidate". NULL for issues and for other backends.
-- (The eval tables belong to evals; they are to move to evals' own migration set.)
ALTER TABLE eval_items ADD COLUMN rule VARCHAR;
