"""A content-addressed answer cache in one SQLite file: canonical JSON of the request, hashed, is the key.

The cache is an optimisation, never a source of failure: an entry that cannot be read (corrupt, the
wrong shape) is a miss, and a cache that cannot be written (a read-only folder, a full disk, a file in
the folder's place, a file that is not a database) is turned off for the rest of the run. Either is said
once, as a warning naming the file.

One file, not one file per entry: creating a file (through a temporary file and a rename, so that a
killed run leaves no half-written entry) cost 0.3-0.5 ms of system time an entry on the benchmark
machine, while a row in a write-ahead-logged SQLite file costs about 0.03 ms, and is as safe: each
entry is its own transaction. Several processes may share the file (they wait up to 30 s for each
other's writes). Entries of an older fazhi (`root/ab/abcdef….json`, one file each) are still answered,
and copied into the file when first read.
"""

import contextlib
import hashlib
import json
import logging
import sqlite3
from pathlib import Path
from typing import Any

log = logging.getLogger("fazhi.cache")
FILE = "cache.sqlite"
BUSY_SECONDS = 30.0  # how long a write waits for another process's


def canonical_json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"), default=str)


def content_hash(value: Any) -> str:
    return hashlib.sha256(canonical_json(value).encode("utf-8")).hexdigest()


class CacheOff(Exception):
    """The cache file cannot be opened or written; the message says why."""


class AnswerCache:
    """Successful answers only: one row each (`key`, JSON `value`) in table `table` of `root/cache.sqlite`."""

    def __init__(self, root: Path, table: str = "answers") -> None:
        self.root = Path(root)
        self.table = table
        self.file = self.root / FILE
        self.writable = True
        self.warnings: list[str] = []
        self.con: sqlite3.Connection | None = None
        self.legacy_root = self.root if table == "answers" else self.root / table  # an older fazhi's files
        self.has_legacy: bool | None = None  # whether there are any: looked at on the first miss

    def where(self, key: str) -> str:
        """An entry, as a warning names it."""
        return f"{self.file} ({self.table} {key[:16]}…)"

    def warn(self, message: str) -> None:
        if message not in self.warnings:
            self.warnings.append(message)
            log.warning(message)

    def connection(self, create: bool) -> sqlite3.Connection | None:
        """The open file (made when `create`), or None when there is none yet; `CacheOff` when it cannot be used."""
        if self.con is not None:
            return self.con
        if not create and not self.file.exists():
            return None
        try:
            self.root.mkdir(parents=True, exist_ok=True)
            con = sqlite3.connect(self.file, timeout=BUSY_SECONDS, isolation_level=None, check_same_thread=False)
            try:
                con.execute("PRAGMA journal_mode=WAL")
                con.execute("PRAGMA synchronous=NORMAL")
                con.execute(f'CREATE TABLE IF NOT EXISTS "{self.table}" (key TEXT PRIMARY KEY, value TEXT NOT NULL)'
                            " WITHOUT ROWID")
            except sqlite3.Error:
                con.close()
                raise
        except (OSError, sqlite3.Error) as exc:
            raise CacheOff(getattr(exc, "strerror", None) or str(exc)) from exc
        self.con = con
        return con

    def turn_off(self, why: str, reading: bool = False) -> None:
        self.writable = False
        self.close()
        problem = f"cache file {self.file} cannot be read" if reading else f"cache folder {self.root} cannot be written"
        self.warn(f"{problem} ({why}): the cache is off for this run; fix the folder, move {FILE} away, or pass "
                  "--cache-dir")

    def get(self, key: str) -> dict[str, Any] | None:
        """The entry, or None: absent, unreadable, or not an object (then with a warning)."""
        if not self.writable and self.con is None:
            return None
        try:
            con = self.connection(create=False)
            row = con.execute(f'SELECT value FROM "{self.table}" WHERE key = ?', (key,)).fetchone() if con else None
        except (CacheOff, sqlite3.Error) as exc:
            self.turn_off(str(exc), reading=True)
            return None
        if row is None:
            return self.legacy(key)
        return self.entry(key, row[0])

    def entry(self, key: str, text: str | bytes) -> dict[str, Any] | None:
        try:
            value = json.loads(text)
        except ValueError:
            value = None
        if not isinstance(value, dict):
            self.warn(f"cache entry {self.where(key)} is not a cached answer: asking the model instead (delete it)")
            return None
        return value

    def legacy(self, key: str) -> dict[str, Any] | None:
        """An older fazhi's entry of `key` (one JSON file), copied into the file; None when there is none."""
        if self.has_legacy is None:
            self.has_legacy = any(self.legacy_root.glob("[0-9a-f][0-9a-f]/*.json"))
        if not self.has_legacy:
            return None
        path = self.legacy_root / key[:2] / f"{key}.json"
        try:
            text = path.read_bytes()
        except OSError:
            return None
        value = self.entry(key, text)
        if value is not None:
            self.put(key, value)
        return value

    def write(self, key: str, value: dict[str, Any]) -> None:
        con = self.connection(create=True)
        assert con is not None
        text = json.dumps(value, ensure_ascii=False)
        con.execute(f'INSERT OR REPLACE INTO "{self.table}" VALUES (?, ?)', (key, text))

    def refresh(self, key: str, value: dict[str, Any]) -> None:
        """Rewrite an entry that is already there (a new seal), silently: if the file cannot be written, the
        entry stays as it was and still answers."""
        if self.writable:
            with contextlib.suppress(CacheOff, sqlite3.Error):
                self.write(key, value)

    def put(self, key: str, value: dict[str, Any]) -> None:
        """Write one entry in its own transaction, so that a killed run never leaves a half-written one; a
        cache that cannot be written is turned off with a warning (the answer itself is not lost: it is stored)."""
        if not self.writable:
            return
        try:
            self.write(key, value)
        except (CacheOff, sqlite3.Error) as exc:
            self.turn_off(str(exc))

    def close(self) -> None:
        if self.con is not None:
            self.con.close()
            self.con = None


class LayoutMemo:
    """Documents' layouts (a genre's reading of them, written down by its `LayoutCodec`) kept beside the
    answers, so that a re-run does not read a document again. Keyed by the text and the version of the
    rules that read it, and sealed: an entry that is corrupt, edited or not the document's is read again."""

    def __init__(self, root: Path, codec: Any, version: str) -> None:
        self.cache = AnswerCache(root, table="layouts")
        self.codec = codec  # agent.genre.LayoutCodec
        self.version = version

    def key(self, text: str) -> str:
        return content_hash(["layout", self.version, text])

    def get(self, key: str, text: str) -> Any:
        """The kept layout of `text` (whose `key` it is), or None."""
        if (entry := self.cache.get(key)) is None:
            return None
        try:
            if entry.get("sealed") != content_hash([key, entry.get("layout")]):
                raise ValueError("its seal does not match")
            return self.codec.load(text, entry["layout"])
        except ValueError as exc:
            self.cache.warn(f"cache entry {self.cache.where(key)} is not this document's layout ({exc}): "
                            "reading the document again")
            return None

    def put(self, key: str, layout: Any) -> None:
        data = self.codec.dump(layout)
        self.cache.put(key, {"layout": data, "sealed": content_hash([key, data])})
