-- Eval runs: scores per fixture and field, and each item's outcome, so regressions are SQL queries.
-- Idempotent: databases made before evals had its own migration set already hold these tables (engine
-- migrations 2 and 7), and keep them as they are.
CREATE SEQUENCE IF NOT EXISTS eval_seq START 1;

CREATE TABLE IF NOT EXISTS eval_runs (
    eval_id         INTEGER PRIMARY KEY DEFAULT nextval('eval_seq'),
    run_id          INTEGER,                    -- the extraction run that produced the predictions
    backend         VARCHAR NOT NULL,
    model           VARCHAR,
    prompt_version  VARCHAR NOT NULL,
    fixture_set     VARCHAR NOT NULL,           -- the fixtures folder
    fixture_hash    VARCHAR NOT NULL,           -- hash of every fixture's source and gold
    n_fixtures      INTEGER NOT NULL,
    status          VARCHAR NOT NULL,           -- ok | broken (some fixture could not be extracted)
    created_at      TIMESTAMPTZ NOT NULL DEFAULT current_timestamp,
    summary         JSON
);

CREATE TABLE IF NOT EXISTS eval_scores (
    eval_id         INTEGER NOT NULL,
    fixture_id      VARCHAR NOT NULL,           -- '*' for the whole set
    section         VARCHAR NOT NULL,           -- metrics | issues | meta
    field           VARCHAR NOT NULL,           -- precision, recall, f1, ungrounded, ..., or a meta field
    value           DOUBLE,
    PRIMARY KEY (eval_id, fixture_id, section, field)
);

CREATE TABLE IF NOT EXISTS eval_items (
    eval_id         INTEGER NOT NULL,
    fixture_id      VARCHAR NOT NULL,
    kind            VARCHAR NOT NULL,           -- metric | issue
    outcome         VARCHAR NOT NULL,           -- matched | missed | spurious | ungrounded
    gold_key        VARCHAR,                    -- stable hash of the gold item, to follow it across runs
    pred_key        VARCHAR,                    -- stable hash of the predicted item
    gold            JSON,
    pred            JSON
);

-- For the offline backend, the rule that kept or excluded each metric (evals/runner.py): "kept: <part>",
-- an exclusion rule of schemas/rules/metrics.py (ordinal_or_rank: rank, target, …), "not read: <part>",
-- "own_figures" or "no candidate". NULL for issues and for other backends.
ALTER TABLE eval_items ADD COLUMN IF NOT EXISTS rule VARCHAR;
