-- The same views, faster on large databases: the item views join the latest extractions and their
-- metadata directly (not through `reports`, whose item counts cost a pass over every item), and the
-- counts of `reports` are one grouped pass each instead of a subquery per report.
CREATE OR REPLACE VIEW reports AS
SELECT e.doc_id, m.title, m.region, m.province, m.admin_level, m.report_year, m.published_date,
       m.issuer, m.doc_type, e.backend, e.model, e.prompt_version, e.extraction_id, e.run_id,
       e.created_at AS extracted_at, coalesce(nm.n, 0) AS n_metrics, coalesce(ni.n, 0) AS n_issues
FROM latest_extractions e LEFT JOIN meta m USING (extraction_id)
LEFT JOIN (SELECT extraction_id, count(*) AS n FROM metrics GROUP BY ALL) nm USING (extraction_id)
LEFT JOIN (SELECT extraction_id, count(*) AS n FROM issues GROUP BY ALL) ni USING (extraction_id);

CREATE OR REPLACE VIEW latest_metrics AS
SELECT m.region, m.province, m.admin_level, m.report_year, x.*
FROM metrics x JOIN latest_extractions e USING (extraction_id) LEFT JOIN meta m USING (extraction_id);

CREATE OR REPLACE VIEW latest_issues AS
SELECT m.region, m.province, m.admin_level, m.report_year, x.*
FROM issues x JOIN latest_extractions e USING (extraction_id) LEFT JOIN meta m USING (extraction_id);
