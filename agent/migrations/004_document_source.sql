-- The kind of file a document was read from: txt, md, html, pdf, docx or doc (NULL: read before this column).
ALTER TABLE documents ADD COLUMN source_type VARCHAR;
