"""The DuckDB store: numbered, append-only migrations; documents, runs, extractions and call logs.

Results are written in one transaction per batch of documents, each with its call log, replacing an
earlier result of the same backend, model and prompt version (a failure never replaces a success): no
crash leaves half a document. Writers hold the file only while they write (a long run opens it for
each batch), so queries can run meanwhile; a read-only store cannot reach outside the database.
"""

import contextlib
import functools
import json
import os
import re
import socket
import time
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import duckdb
from fazhi.agent.calllog import CallRecord
from fazhi.agent.documents import Document
from fazhi.agent.errors import DatabaseLocked, FazhiError, QueryError
from fazhi.agent.genre import Genre

ENGINE_MIGRATIONS = Path(__file__).with_name("migrations")
MIGRATION_FILE = re.compile(r"^(\d+)_\w+\.sql$")
CALL_COLUMNS = ("run_id", "doc_id", "task", "chunk", "model", "base_url", "status", "error", "latency_s",
                "tokens_in", "tokens_out", "tokens_cached", "cache_hit", "cache_key", "created_at")


Save = tuple[dict[str, Any], dict[str, Any] | None, Sequence[CallRecord]]  # an outcome: record, result, calls


def to_json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, default=str)


def column_table(rows: Sequence[dict[str, Any]]) -> dict[str, Any] | None:
    """Rows as columns for DuckDB to scan (None for no rows): one NumPy array of the Python values for
    each key any row has (None where a row lacks it). DuckDB reads the values' types and the insert casts
    them to the table's. numpy is imported here, so that commands that write nothing do not pay for it;
    no pyarrow (which would load pandas, where it is installed, to convert a list)."""
    if not rows:
        return None
    import numpy

    names = list(dict.fromkeys(k for row in rows for k in row))
    return {n: numpy.fromiter((row.get(n) for row in rows), dtype=object, count=len(rows)) for n in names}


def unregister(db: duckdb.DuckDBPyConnection, name: str) -> None:
    """Forget a registered table (a failed statement's own error is the one raised, not this)."""
    with contextlib.suppress(duckdb.Error):
        db.unregister(name)


def distinct_runs(saves: Sequence[Save]) -> Iterator[list[Save]]:
    """The saves in order, cut where a document comes again (its later outcome replaces the earlier)."""
    group: list[Save] = []
    seen: set[str] = set()
    for save in saves:
        if save[0]["doc_id"] in seen:
            yield group
            group, seen = [], set()
        group.append(save)
        seen.add(save[0]["doc_id"])
    if group:
        yield group


LOCK_WAIT_S = {True: 3.0, False: 30.0}  # how long a reader, a writer waits for another process's write
# New files are written in the storage format of DuckDB 1.2, so that DuckDB 1.2 and later (CLIs, other
# Python or R clients) open them; a file keeps the format it was created with (tests/test_duckdb_compat.py).
STORAGE_VERSION = "v1.2.0"
OLDEST_READER = "1.2.0"  # the oldest DuckDB claimed (and tested) to open a new file


def connect(path: str | Path, read_only: bool = False, wait: float | None = None,
            external: bool | None = None) -> duckdb.DuckDBPyConnection:
    """A connection; a file locked by another writer is tried again for `wait` seconds. A read-only
    connection cannot read or write other files (no COPY TO, no ATTACH, no read_csv('/etc/…')) unless
    `external` (an export command) says so."""
    deadline = time.monotonic() + (LOCK_WAIT_S[read_only] if wait is None else wait)
    sealed = read_only if external is None else not external
    config: dict[str, Any] = {"enable_external_access": False, "lock_configuration": True} if sealed else {}
    if not read_only:
        config["storage_compatibility_version"] = STORAGE_VERSION
    while True:
        try:
            return duckdb.connect(str(path), read_only=read_only, config=config)
        except duckdb.IOException as exc:
            if "lock" not in str(exc).lower():
                raise FazhiError(f"Cannot open database {path}: {one_line(exc)}") from exc
            if time.monotonic() >= deadline:
                raise DatabaseLocked(str(path)) from exc
            time.sleep(0.2)


def one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split())[:300]


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def migration_files(folder: Path) -> list[tuple[int, Path]]:
    """The folder's numbered migrations in order (listed again only when the folder changes)."""
    return listed_migrations(folder, folder.stat().st_mtime_ns)


@functools.cache
def listed_migrations(folder: Path, _mtime_ns: int) -> list[tuple[int, Path]]:
    found = [(int(m.group(1)), p) for p in folder.glob("*.sql") if (m := MIGRATION_FILE.match(p.name))]
    return sorted(found)


class Store:
    """One DuckDB file. Open read-only for queries; writers migrate on open."""

    def __init__(self, path: str | Path, genre: Genre, read_only: bool = False, external: bool | None = None,
                 migrate: bool = True) -> None:
        self.path = str(path)
        self.genre = genre
        if read_only and not Path(self.path).exists():
            raise FazhiError(f"No database at {self.path}: run `fazhi extract` first, or pass --db FILE")
        self.db = connect(self.path, read_only, external=external)
        if migrate and not read_only:
            self.migrate()

    def close(self) -> None:
        self.db.close()

    def __enter__(self) -> "Store":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def migrate(self) -> None:
        """Apply every migration not yet applied, engine first, then the genre's, each in a transaction
        (one query when none is missing, as for every batch a long run writes)."""
        sets = (("engine", ENGINE_MIGRATIONS), (self.genre.name, self.genre.migrations_dir))
        if self.applied_all(sets):
            return
        for namespace, folder in sets:
            self.migrate_set(namespace, folder)

    def applied_all(self, sets: Sequence[tuple[str, Path]]) -> bool:
        try:
            applied = set(self.db.execute("SELECT namespace, version FROM schema_migrations").fetchall())
        except duckdb.CatalogException:
            return False
        return all((namespace, v) in applied for namespace, folder in sets for v, _ in migration_files(folder))

    def migrate_set(self, namespace: str, folder: Path) -> None:
        """Apply a client's numbered migrations (`NNN_name.sql` in `folder`) not yet applied in its own
        `namespace`, in order, each in a transaction, recorded in schema_migrations."""
        self.db.execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations (namespace VARCHAR, version INTEGER, name VARCHAR,"
            " applied_at TIMESTAMPTZ DEFAULT current_timestamp, PRIMARY KEY (namespace, version))"
        )
        done = {v for (v,) in self.db.execute(
            "SELECT version FROM schema_migrations WHERE namespace = ?", [namespace]).fetchall()}
        for version, path in migration_files(folder):
            if version not in done:
                self._apply(namespace, version, path)

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """All or nothing: a failure (or a kill) inside leaves the database as it was. A write the disk
        refuses (full, read-only) is a one-line error."""
        self.db.execute("BEGIN")
        try:
            yield
            self.db.execute("COMMIT")
        except (duckdb.IOException, duckdb.TransactionException) as exc:  # the commit's own write failing
            self.rollback()
            raise FazhiError(f"Cannot write the database {self.path}: {one_line(exc)} (is the disk full or "
                             "read-only?)") from exc
        except BaseException:
            self.rollback()
            raise

    @contextmanager
    def refused_writes(self) -> Iterator[None]:
        """A single statement's write that the disk refuses is a one-line error too."""
        try:
            yield
        except (duckdb.IOException, duckdb.TransactionException) as exc:
            raise FazhiError(f"Cannot write the database {self.path}: {one_line(exc)} (is the disk full or "
                             "read-only?)") from exc

    def rollback(self) -> None:
        with contextlib.suppress(duckdb.Error):
            self.db.execute("ROLLBACK")

    def _apply(self, namespace: str, version: int, path: Path) -> None:
        with self.transaction():
            self.db.execute(path.read_text(encoding="utf-8"))
            self.db.execute("INSERT INTO schema_migrations (namespace, version, name) VALUES (?, ?, ?)",
                            [namespace, version, path.name])

    def add_documents(self, docs: Iterable[Document]) -> None:
        """New documents and new paths of known ones; what is already there stays."""
        docs = list(docs)
        with self.transaction():
            self.insert_rows("documents", [
                {"doc_id": d.doc_id, "text": d.text, "n_chars": len(d.text), "raw_sha256": d.raw_sha256,
                 "encoding": d.encoding, "source_type": d.source_type} for d in docs],
                conflict="ON CONFLICT DO NOTHING")
            self.insert_rows("document_paths", [
                {"doc_id": d.doc_id, "path": p, "raw_sha256": d.path_sha256.get(p, d.raw_sha256)}
                for d in docs for p in d.paths],
                conflict="ON CONFLICT DO NOTHING")

    def mark_interrupted(self) -> int:
        """Runs left 'running' by a process of this machine that is gone are marked 'interrupted'. A batch
        run whose documents wait on their batch is not: it outlives the process that submitted it."""
        rows = self.db.execute("SELECT run_id, pid FROM runs WHERE status = 'running' AND host = ? AND NOT"
                               " (kind = 'batch' AND run_id IN (SELECT run_id FROM batch_docs WHERE status ="
                               " 'waiting'))", [socket.gethostname()]).fetchall()
        dead = [run_id for run_id, pid in rows if pid is None or not alive(pid)]
        if dead:
            with self.refused_writes():
                self.db.execute("UPDATE runs SET status = 'interrupted', finished_at = current_timestamp"
                                " WHERE run_id IN (SELECT unnest(?::INTEGER[]))", [dead])
        return len(dead)

    def start_run(self, **values: Any) -> int:
        values = values | {"pid": os.getpid(), "host": socket.gethostname()}
        columns = ", ".join(values)
        marks = ", ".join("?" for _ in values)
        with self.refused_writes():
            row = self.db.execute(f"INSERT INTO runs ({columns}) VALUES ({marks}) RETURNING run_id",
                                  list(values.values())).fetchone()
        assert row is not None  # RETURNING gives the row inserted
        return int(row[0])

    def finish_run(self, run_id: int, **values: Any) -> None:
        sets = ", ".join(f"{k} = ?" for k in values)
        with self.refused_writes():
            self.db.execute(f"UPDATE runs SET {sets}, finished_at = current_timestamp WHERE run_id = ?",
                            [*values.values(), run_id])

    def done_documents(self, backend: str, model: str | None, prompt_version: str) -> set[str]:
        rows = self.db.execute(
            "SELECT doc_id FROM extractions WHERE status = 'ok' AND backend = ? AND model IS NOT DISTINCT FROM ?"
            " AND prompt_version = ?", [backend, model, prompt_version]).fetchall()
        return {r[0] for r in rows}

    def save_extraction(
        self, record: dict[str, Any], result: dict[str, Any] | None, calls: Sequence[CallRecord]
    ) -> int:
        """Store one document's outcome, its items and its calls in one transaction."""
        with self.transaction():
            return self.insert_extractions([(record, result, calls)])[0]

    def save_extractions(self, saves: Sequence[Save]) -> None:
        """Store many documents' outcomes in one transaction."""
        with self.transaction():
            for group in distinct_runs(saves):
                self.insert_extractions(group)

    def insert_extractions(self, saves: Sequence[Save]) -> list[int]:
        """Documents' outcomes (each document once), replacing earlier results: one statement per table."""
        records = [record for record, _, _ in saves]
        self._drop_previous(records)
        ids = [r[0] for r in self.db.execute("SELECT nextval('extraction_seq') FROM range(?)", [len(saves)]).fetchall()]
        self.insert_rows("extractions", [{"extraction_id": i} | r for i, r in zip(ids, records)])
        for task in self.genre.tasks:
            rows: list[dict[str, Any]] = []
            for extraction_id, (record, result, _) in zip(ids, saves):
                value = (result or {}).get(task.name)
                keys = {"extraction_id": extraction_id, "doc_id": record["doc_id"]}
                if isinstance(value, dict):
                    rows.append(keys | value)
                elif result is not None:
                    rows += [keys | {"idx": i} | item for i, item in enumerate(value or [])]
            self.insert_rows(task.name, rows)
        self.insert_rows("llm_calls", [{"run_id": record["run_id"], **{k: getattr(c, k) for k in CALL_COLUMNS[1:]}}
                                       for record, _, calls in saves for c in calls])
        return ids

    def _drop_previous(self, records: Sequence[dict[str, Any]]) -> None:
        """Earlier results of the same backend, model and prompt version: a success replaces them all, a
        failure only earlier failures (a failed re-extraction never loses a stored result)."""
        keys = column_table([{"doc_id": r["doc_id"], "backend": r["backend"], "model": r["model"],
                              "prompt_version": r["prompt_version"], "ok": r["status"] == "ok"} for r in records])
        self.db.register("fazhi_keys", keys)
        try:
            old = [r[0] for r in self.db.execute(
                "SELECT e.extraction_id FROM extractions e JOIN fazhi_keys k ON e.doc_id = k.doc_id"
                " AND e.backend = k.backend AND e.model IS NOT DISTINCT FROM k.model"
                " AND e.prompt_version = k.prompt_version WHERE k.ok OR e.status <> 'ok'").fetchall()]
        finally:
            unregister(self.db, "fazhi_keys")
        if not old:
            return
        for table in ("extractions", *(task.name for task in self.genre.tasks)):
            self.db.execute(f"DELETE FROM {table} WHERE extraction_id IN (SELECT unnest(?::INTEGER[]))", [old])

    def insert_row(self, table: str, row: dict[str, Any], returning: str | None = None) -> int:
        columns = ", ".join(f'"{k}"' for k in row)
        marks = ", ".join("?" for _ in row)
        sql = f"INSERT INTO {table} ({columns}) VALUES ({marks})" + (f" RETURNING {returning}" if returning else "")
        fetched = self.db.execute(sql, list(row.values())).fetchone()
        return int(fetched[0]) if returning and fetched else 0

    def insert_rows(self, table: str, rows: list[dict[str, Any]], conflict: str = "") -> None:
        """Many rows in one statement, by column name (a key some rows lack is null in them; columns no
        row names take their defaults), through a table of columns: no per-row parameters."""
        data = column_table(rows)
        if data is not None:
            self.db.register("fazhi_rows", data)
            try:
                self.db.execute(f"INSERT INTO {table} BY NAME SELECT * FROM fazhi_rows {conflict}")
            finally:
                unregister(self.db, "fazhi_rows")

    def query(self, sql: str, params: Sequence[Any] = ()) -> tuple[list[str], list[tuple[Any, ...]]]:
        try:
            cursor = self.db.execute(sql, list(params))
        except duckdb.Error as exc:
            message = str(exc).strip()
            if "read-only mode" in message:
                message = "the database is open read-only: pass --write to change it"
            elif "external access" in message.lower():
                message += "\n(a read-only query cannot reach files: use `fazhi export`, or --write)"
            raise QueryError(message) from exc
        columns = [d[0] for d in cursor.description or []]
        return columns, cursor.fetchall() if columns else []
