"""The DuckDB store: numbered, append-only migrations; documents, runs, extractions and call logs.

Results are written in one transaction per batch of documents, each with its call log, replacing an
earlier result of the same backend, model and prompt version (a failure never replaces a success): no
crash leaves half a document. Writers hold the file only while they write (a long run opens it for
each batch), so queries can run meanwhile; a read-only store cannot reach outside the database.
"""

import contextlib
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

from agent.calllog import CallRecord
from agent.documents import Document
from agent.errors import DatabaseLocked, FazhiError, QueryError
from agent.genre import Genre

ENGINE_MIGRATIONS = Path(__file__).with_name("migrations")
MIGRATION_FILE = re.compile(r"^(\d+)_\w+\.sql$")
CALL_COLUMNS = ("run_id", "doc_id", "task", "chunk", "model", "base_url", "status", "error", "latency_s",
                "tokens_in", "tokens_out", "tokens_cached", "cache_hit", "cache_key", "created_at")


def to_json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, default=str)


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
        """Apply every migration not yet applied, engine first, then the genre's, each in a transaction."""
        for namespace, folder in (("engine", ENGINE_MIGRATIONS), (self.genre.name, self.genre.migrations_dir)):
            self.migrate_set(namespace, folder)

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
            self.db.execute("UPDATE runs SET status = 'interrupted', finished_at = current_timestamp"
                            " WHERE run_id IN (SELECT unnest(?::INTEGER[]))", [dead])
        return len(dead)

    def start_run(self, **values: Any) -> int:
        values = values | {"pid": os.getpid(), "host": socket.gethostname()}
        columns = ", ".join(values)
        marks = ", ".join("?" for _ in values)
        row = self.db.execute(f"INSERT INTO runs ({columns}) VALUES ({marks}) RETURNING run_id",
                              list(values.values())).fetchone()
        return int(row[0])

    def finish_run(self, run_id: int, **values: Any) -> None:
        sets = ", ".join(f"{k} = ?" for k in values)
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
            return self.insert_extraction(record, result, calls)

    def save_extractions(self, saves: Sequence[tuple[dict[str, Any], dict[str, Any] | None, Sequence[CallRecord]]]
                         ) -> None:
        """Store many documents' outcomes in one transaction."""
        with self.transaction():
            for record, result, calls in saves:
                self.insert_extraction(record, result, calls)

    def insert_extraction(self, record: dict[str, Any], result: dict[str, Any] | None,
                          calls: Sequence[CallRecord]) -> int:
        self._drop_previous(record)
        extraction_id = self.insert_row("extractions", record, returning="extraction_id")
        if result is not None:
            self._insert_result(extraction_id, record["doc_id"], result)
        self._insert_calls(record["run_id"], calls)
        return extraction_id

    def _drop_previous(self, record: dict[str, Any]) -> None:
        """Earlier results of the same backend, model and prompt version: a success replaces them all, a
        failure only earlier failures (a failed re-extraction never loses a stored result)."""
        only_failed = "" if record["status"] == "ok" else " AND status <> 'ok'"
        old = [r[0] for r in self.db.execute(
            "SELECT extraction_id FROM extractions WHERE doc_id = ? AND backend = ?"
            " AND model IS NOT DISTINCT FROM ? AND prompt_version = ?" + only_failed,
            [record["doc_id"], record["backend"], record["model"], record["prompt_version"]]).fetchall()]
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
        """Many rows with the same keys, a few hundred to a statement."""
        if not rows:
            return
        columns = ", ".join(f'"{k}"' for k in rows[0])
        row_marks = "(" + ", ".join("?" for _ in rows[0]) + ")"
        for start in range(0, len(rows), 500):
            batch = rows[start : start + 500]
            values = ", ".join(row_marks for _ in batch)
            self.db.execute(f"INSERT INTO {table} ({columns}) VALUES {values} {conflict}",
                            [v for r in batch for v in r.values()])

    def _insert_result(self, extraction_id: int, doc_id: str, result: dict[str, Any]) -> None:
        keys = {"extraction_id": extraction_id, "doc_id": doc_id}
        for task in self.genre.tasks:
            value = result.get(task.name)
            if isinstance(value, dict):
                self.insert_row(task.name, keys | value)
            else:
                self.insert_rows(task.name, [keys | {"idx": i} | item for i, item in enumerate(value or [])])

    def _insert_calls(self, run_id: int, calls: Sequence[CallRecord]) -> None:
        self.insert_rows("llm_calls", [{"run_id": run_id, **{k: getattr(c, k) for k in CALL_COLUMNS[1:]}}
                                       for c in calls])

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
