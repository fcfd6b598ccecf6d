-- The analyst's review: every change is a row of `corrections`; extractions are never overwritten.
-- `reviewed_results` holds each corrected result (refreshed on every correction) for the reviewed_* views.
CREATE SEQUENCE correction_seq START 1;

CREATE TABLE corrections (
    correction_id   INTEGER PRIMARY KEY DEFAULT nextval('correction_seq'),
    doc_id          VARCHAR NOT NULL,
    extraction_id   INTEGER NOT NULL,
    task            VARCHAR,                    -- NULL for a document-level action (reviewed)
    item_idx        INTEGER,                    -- the item's index in the extraction; NULL: added item, flat record
    item_hash       VARCHAR,                    -- stable hash of the item as extracted (or as added)
    action          VARCHAR NOT NULL,           -- accept | reject | edit | add | set | reviewed
    old_value       JSON,
    new_value       JSON,
    reviewer        VARCHAR,
    created_at      TIMESTAMPTZ NOT NULL DEFAULT current_timestamp
);

CREATE TABLE reviewed_results (
    extraction_id   INTEGER PRIMARY KEY,
    doc_id          VARCHAR NOT NULL,
    result          JSON NOT NULL,              -- the extraction's result with every correction applied
    reviewed_at     TIMESTAMPTZ,                -- when a reviewer marked the document reviewed
    updated_at      TIMESTAMPTZ NOT NULL DEFAULT current_timestamp
);

-- The corrected result of each document's latest successful extraction (the extraction's own when uncorrected).
CREATE VIEW reviewed_sources AS
SELECT e.doc_id, e.extraction_id, coalesce(r.result, e.result) AS result, r.reviewed_at,
       r.extraction_id IS NOT NULL AS corrected
FROM latest_extractions e LEFT JOIN reviewed_results r USING (extraction_id);
