"""Exports: the tables as Parquet, CSV or JSON lines files (DuckDB's own COPY), and reviewed documents as
gold fixtures in the contract's shape (`<fixture_id>/source.txt` + `gold.json`)."""

import json
import re
from pathlib import Path

from fazhi.agent.review.corrections import gold, has_review_tables, load_state
from fazhi.agent.review.fields import ReviewError, ReviewSchema
from fazhi.agent.store import Store

FORMATS = {"parquet": "(FORMAT parquet)", "csv": "(FORMAT csv, HEADER)", "jsonl": "(FORMAT json)"}
UNSAFE = re.compile(r"[^\w.\-]+")


def export_tables(store: Store, out: Path, fmt: str, all_runs: bool = False) -> list[Path]:
    """One file per table: reports, each item table, corrections (and the reviewed_* views when latest)."""
    if fmt not in FORMATS:
        raise ReviewError(f"Unknown export format {fmt!r}: choose parquet, csv or jsonl")
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for name, sql in export_queries(store, ReviewSchema.of(store.genre), all_runs):
        path = out / f"{name}.{fmt}"
        literal = str(path).replace("'", "''")
        store.query(f"COPY ({sql}) TO '{literal}' {FORMATS[fmt]}")
        written.append(path)
    return written


def export_queries(store: Store, schema: ReviewSchema, all_runs: bool) -> list[tuple[str, str]]:
    runs = "extractions" if all_runs else "latest_extractions"
    queries = [("reports", reports_sql(schema, runs))]
    for task in schema.item_tasks:
        queries.append((task.name, f"SELECT t.* FROM {task.name} t JOIN {runs} e USING (extraction_id)"
                                   " ORDER BY t.doc_id, t.extraction_id, t.idx"))
    if has_review_tables(store):
        queries.append(("corrections", "SELECT * FROM corrections ORDER BY correction_id"))
        if not all_runs and has_views(store, schema):
            queries += [(f"reviewed_{t.name}", f"SELECT * FROM reviewed_{t.name} ORDER BY ALL") for t in schema.tasks]
    return queries


def reports_sql(schema: ReviewSchema, runs: str) -> str:
    """Each extraction with its flat record's fields and its item counts."""
    flat = schema.flat
    fields = "".join(f', f."{n}"' for n in flat.names) if flat else ""
    join = f" LEFT JOIN {flat.name} f USING (extraction_id)" if flat else ""
    counts = "".join(f", (SELECT count(*) FROM {t.name} x WHERE x.extraction_id = e.extraction_id) AS n_{t.name}"
                     for t in schema.item_tasks)
    return (f"SELECT e.doc_id, e.extraction_id, e.run_id, e.backend, e.model, e.prompt_version, e.status,"
            f" e.created_at AS extracted_at{fields}{counts} FROM {runs} e{join} ORDER BY e.doc_id, e.extraction_id")


def has_views(store: Store, schema: ReviewSchema) -> bool:
    names = [f"reviewed_{t.name}" for t in schema.tasks]
    _, rows = store.query("SELECT count(*) FROM information_schema.tables WHERE table_name IN"
                          " (SELECT unnest(?::VARCHAR[]))", [names])
    return rows[0][0] == len(names)


def export_fixtures(store: Store, out: Path, reviewed_only: bool = False) -> list[Path]:
    """Each document's corrected result as `<fixture_id>/gold.json` beside its stored text as source.txt."""
    schema = ReviewSchema.of(store.genre)
    written: list[Path] = []
    taken: set[str] = set()
    for doc_id, path in documents(store, reviewed_only):
        state = load_state(store, schema, doc_id)
        fixture_id = unique(fixture_stem(path, doc_id), taken)
        folder = out / fixture_id
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "source.txt").write_bytes(state.text.encode("utf-8"))
        text = json.dumps(gold(state, schema, fixture_id), ensure_ascii=False, indent=1)
        (folder / "gold.json").write_text(text + "\n", encoding="utf-8")
        written.append(folder)
    return written


def documents(store: Store, reviewed_only: bool) -> list[tuple[str, str | None]]:
    """(doc_id, first path) of every document with a successful extraction (marked reviewed, if asked)."""
    if reviewed_only and not has_review_tables(store):
        return []
    reviewed = (" AND e.extraction_id IN (SELECT extraction_id FROM corrections WHERE action = 'reviewed')"
                if reviewed_only else "")
    _, rows = store.query(
        "SELECT e.doc_id, (SELECT p.path FROM document_paths p WHERE p.doc_id = e.doc_id"
        " ORDER BY p.seen_at, p.path LIMIT 1) AS path FROM latest_extractions e WHERE true" + reviewed
        + " ORDER BY path, e.doc_id")
    return [(str(d), p) for d, p in rows]


def fixture_stem(path: str | None, doc_id: str) -> str:
    stem = UNSAFE.sub("_", Path(path).stem).strip("._") if path else ""
    return stem or doc_id


def unique(stem: str, taken: set[str]) -> str:
    name, n = stem, 1
    while name in taken:
        n += 1
        name = f"{stem}-{n}"
    taken.add(name)
    return name
