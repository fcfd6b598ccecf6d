-- Engine tables: documents, runs, extractions, and the log of model calls.
CREATE SEQUENCE run_seq START 1;
CREATE SEQUENCE extraction_seq START 1;
CREATE SEQUENCE call_seq START 1;

CREATE TABLE documents (
    doc_id      VARCHAR PRIMARY KEY,
    text        VARCHAR NOT NULL,
    n_chars     INTEGER NOT NULL,
    raw_sha256  VARCHAR NOT NULL,
    encoding    VARCHAR,
    first_seen  TIMESTAMPTZ NOT NULL DEFAULT current_timestamp
);

CREATE TABLE document_paths (
    doc_id      VARCHAR NOT NULL,
    path        VARCHAR NOT NULL,
    raw_sha256  VARCHAR NOT NULL,
    seen_at     TIMESTAMPTZ NOT NULL DEFAULT current_timestamp,
    PRIMARY KEY (doc_id, path)
);

CREATE TABLE runs (
    run_id          INTEGER PRIMARY KEY DEFAULT nextval('run_seq'),
    kind            VARCHAR NOT NULL,           -- extract | eval
    backend         VARCHAR NOT NULL,           -- offline | llm
    profile         VARCHAR,
    model           VARCHAR,
    base_url        VARCHAR,
    prompt_version  VARCHAR NOT NULL,
    schema_hash     VARCHAR NOT NULL,
    started_at      TIMESTAMPTZ NOT NULL DEFAULT current_timestamp,
    finished_at     TIMESTAMPTZ,
    status          VARCHAR NOT NULL DEFAULT 'running',   -- running | ok | failed | interrupted
    n_docs          INTEGER DEFAULT 0,
    n_done          INTEGER DEFAULT 0,
    n_failed        INTEGER DEFAULT 0,
    n_skipped       INTEGER DEFAULT 0,
    requests        INTEGER DEFAULT 0,
    cache_hits      INTEGER DEFAULT 0,
    tokens_in       BIGINT DEFAULT 0,
    tokens_out      BIGINT DEFAULT 0,
    tokens_cached   BIGINT DEFAULT 0,
    cost_usd        DOUBLE DEFAULT 0
);

CREATE TABLE extractions (
    extraction_id   INTEGER PRIMARY KEY DEFAULT nextval('extraction_seq'),
    run_id          INTEGER NOT NULL,
    doc_id          VARCHAR NOT NULL,
    backend         VARCHAR NOT NULL,
    model           VARCHAR,
    prompt_version  VARCHAR NOT NULL,
    status          VARCHAR NOT NULL,           -- ok | failed
    error           VARCHAR,
    attempts        INTEGER DEFAULT 0,
    requests        INTEGER DEFAULT 0,
    cache_hits      INTEGER DEFAULT 0,
    tokens_in       BIGINT DEFAULT 0,
    tokens_out      BIGINT DEFAULT 0,
    tokens_cached   BIGINT DEFAULT 0,
    cost_usd        DOUBLE DEFAULT 0,
    latency_s       DOUBLE DEFAULT 0,
    n_items         INTEGER DEFAULT 0,
    n_dropped       INTEGER DEFAULT 0,
    dropped         JSON,
    result          JSON,
    created_at      TIMESTAMPTZ NOT NULL DEFAULT current_timestamp
);

CREATE TABLE llm_calls (
    call_id         INTEGER PRIMARY KEY DEFAULT nextval('call_seq'),
    run_id          INTEGER,
    doc_id          VARCHAR,
    task            VARCHAR,
    chunk           INTEGER,
    model           VARCHAR,
    base_url        VARCHAR,
    status          VARCHAR,                    -- ok | timeout | error | HTTP status code
    error           VARCHAR,
    latency_s       DOUBLE,
    tokens_in       INTEGER,
    tokens_out      INTEGER,
    tokens_cached   INTEGER,
    cache_hit       BOOLEAN,
    cache_key       VARCHAR,
    created_at      TIMESTAMPTZ NOT NULL DEFAULT current_timestamp
);

-- The latest successful extraction of each document.
CREATE VIEW latest_extractions AS
SELECT * FROM extractions WHERE status = 'ok'
QUALIFY row_number() OVER (PARTITION BY doc_id ORDER BY created_at DESC, extraction_id DESC) = 1;
