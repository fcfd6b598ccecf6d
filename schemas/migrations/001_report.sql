-- Tables and views of the rule-of-law report genre. Rows are keyed by extraction_id; the views
-- show the latest successful extraction of each document.
CREATE TABLE meta (
    extraction_id   INTEGER PRIMARY KEY,
    doc_id          VARCHAR NOT NULL,
    title           VARCHAR,
    region          VARCHAR,
    province        VARCHAR,
    admin_level     VARCHAR,
    report_year     INTEGER,
    published_date  DATE,
    issuer          VARCHAR,
    doc_type        VARCHAR
);

CREATE TABLE metrics (
    extraction_id   INTEGER NOT NULL,
    doc_id          VARCHAR NOT NULL,
    idx             INTEGER NOT NULL,
    name            VARCHAR,
    value           DOUBLE,
    unit            VARCHAR,
    qualifier       VARCHAR,
    category        VARCHAR,
    canonical       VARCHAR,
    evidence        VARCHAR,
    start           INTEGER,
    "end"           INTEGER,
    PRIMARY KEY (extraction_id, idx)
);

CREATE TABLE issues (
    extraction_id   INTEGER NOT NULL,
    doc_id          VARCHAR NOT NULL,
    idx             INTEGER NOT NULL,
    summary         VARCHAR,
    category        VARCHAR,
    evidence        VARCHAR,
    start           INTEGER,
    "end"           INTEGER,
    PRIMARY KEY (extraction_id, idx)
);

CREATE VIEW reports AS
SELECT e.doc_id, m.title, m.region, m.province, m.admin_level, m.report_year, m.published_date,
       m.issuer, m.doc_type, e.backend, e.model, e.prompt_version, e.extraction_id, e.run_id,
       e.created_at AS extracted_at,
       (SELECT count(*) FROM metrics x WHERE x.extraction_id = e.extraction_id) AS n_metrics,
       (SELECT count(*) FROM issues x WHERE x.extraction_id = e.extraction_id) AS n_issues
FROM latest_extractions e LEFT JOIN meta m USING (extraction_id);

CREATE VIEW latest_metrics AS
SELECT r.region, r.province, r.admin_level, r.report_year, x.*
FROM metrics x JOIN reports r USING (extraction_id);

CREATE VIEW latest_issues AS
SELECT r.region, r.province, r.admin_level, r.report_year, x.*
FROM issues x JOIN reports r USING (extraction_id);
