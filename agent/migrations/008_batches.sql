-- Batch mode: a run's requests sent in rounds through a provider's Batch API (or a JSONL file for
-- vllm run-batch), its documents replayed from the answers stored here, so any process can collect.
CREATE TABLE batch_runs (
    run_id          INTEGER PRIMARY KEY,
    profile         JSON NOT NULL,              -- the resolved provider profile (never the key)
    genre           VARCHAR,                    -- the genre spec (module:ATTRIBUTE), NULL: the default
    cache_dir       VARCHAR NOT NULL,           -- where answers are cached, absolute
    prompt_version  VARCHAR NOT NULL
);

CREATE TABLE batches (
    batch_id        VARCHAR PRIMARY KEY,        -- the provider's id, or local-RUN-ROUND for a JSONL file
    run_id          INTEGER NOT NULL,
    round           INTEGER NOT NULL,           -- 1: first requests; 2, 3, ...: re-asks and split answers
    via             VARCHAR NOT NULL,           -- api | file
    status          VARCHAR NOT NULL,           -- submitted | collected
    provider_status VARCHAR,                    -- the provider's last reported status
    input_file_id   VARCHAR,
    output_file_id  VARCHAR,
    error_file_id   VARCHAR,
    jsonl_path      VARCHAR,                    -- the JSONL written (via = file)
    n_requests      INTEGER NOT NULL,
    created_at      TIMESTAMPTZ NOT NULL DEFAULT current_timestamp,
    collected_at    TIMESTAMPTZ
);

CREATE TABLE batch_docs (
    run_id          INTEGER NOT NULL,
    doc_id          VARCHAR NOT NULL,
    status          VARCHAR NOT NULL,           -- waiting | ok | failed
    PRIMARY KEY (run_id, doc_id)
);

-- A document's asks: the plan's, then those split from an answer cut at the output limit.
CREATE TABLE batch_asks (
    run_id          INTEGER NOT NULL,
    doc_id          VARCHAR NOT NULL,
    ask_no          INTEGER NOT NULL,
    parent          INTEGER,                    -- the ask whose cut answer this one halves
    ask             JSON NOT NULL,              -- tasks, spans of the read text, index, partial
    cache_key       VARCHAR NOT NULL,           -- the first request's key, as the live path keys it
    PRIMARY KEY (run_id, doc_id, ask_no)
);

CREATE TABLE batch_requests (
    custom_id       VARCHAR PRIMARY KEY,        -- fazhi-RUN-DOC-ASK-ATTEMPT
    run_id          INTEGER NOT NULL,
    batch_id        VARCHAR,                    -- NULL: sent live (collect --live-reasks)
    doc_id          VARCHAR NOT NULL,
    ask_no          INTEGER NOT NULL,
    attempt         INTEGER NOT NULL,           -- 1: the first request, 2...: re-asks
    created_at      TIMESTAMPTZ NOT NULL DEFAULT current_timestamp
);

CREATE TABLE batch_answers (
    custom_id       VARCHAR PRIMARY KEY,
    status          VARCHAR NOT NULL,           -- ok | an HTTP status | missing | error
    error           VARCHAR,
    response        JSON,                       -- the chat completion; cleared once its document is stored
    tokens_in       INTEGER DEFAULT 0,
    tokens_out      INTEGER DEFAULT 0,
    tokens_cached   INTEGER DEFAULT 0,
    latency_s       DOUBLE DEFAULT 0,
    answered_at     TIMESTAMPTZ NOT NULL DEFAULT current_timestamp
);
