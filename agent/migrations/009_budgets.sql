-- Budgets: a per-document token budget (a document estimated over it fails unasked) and a per-run cost
-- budget (the run starts no new document once its cost reaches it), and what the run left unstarted.
ALTER TABLE runs ADD COLUMN max_cost DOUBLE;            -- USD, NULL: none
ALTER TABLE runs ADD COLUMN max_doc_tokens INTEGER;     -- estimated prompt tokens per document, NULL: none
ALTER TABLE runs ADD COLUMN n_unstarted INTEGER DEFAULT 0;  -- documents not started: the cost budget was reached
ALTER TABLE runs ADD COLUMN stopped_by VARCHAR;         -- why documents were left unstarted, NULL: none were
