"""A content-addressed answer cache on disk: canonical JSON of the request, hashed, names the file.

The cache is an optimisation, never a source of failure: an entry that cannot be read (corrupt, the
wrong shape) is a miss, and a folder that cannot be written (read-only, full, a file in its place)
turns the cache off for the rest of the run. Either is said once, as a warning naming the path.
"""

import contextlib
import hashlib
import itertools
import json
import logging
import os
from pathlib import Path
from typing import Any

log = logging.getLogger("fazhi.cache")
WRITES = itertools.count()


def canonical_json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"), default=str)


def content_hash(value: Any) -> str:
    return hashlib.sha256(canonical_json(value).encode("utf-8")).hexdigest()


def exclusive_temp(target: Path) -> tuple[int, str]:
    """A new file beside `target` to write it through, unique to this process and write (a file left by a
    killed run is never reused: it is created exclusively)."""
    while True:
        path = f"{target}.{os.getpid()}-{next(WRITES)}.tmp"
        try:
            return os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), path
        except FileExistsError:
            continue


class AnswerCache:
    """Successful answers only, one JSON file each under `root/ab/abcdef….json`."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self.writable = True
        self.warnings: list[str] = []
        self.folders: set[Path] = set()  # made (or found) by this run: not made again for every entry

    def path(self, key: str) -> Path:
        return self.root / key[:2] / f"{key}.json"

    def warn(self, message: str) -> None:
        if message not in self.warnings:
            self.warnings.append(message)
            log.warning(message)

    def get(self, key: str) -> dict[str, Any] | None:
        """The entry, or None: absent, unreadable, or not an object (then with a warning)."""
        path = self.path(key)
        try:
            text = path.read_bytes()
        except FileNotFoundError:
            return None
        except OSError as exc:
            self.warn(f"cache entry {path} cannot be read ({exc.strerror}): asking the model instead")
            return None
        try:
            value = json.loads(text)
        except ValueError:
            value = None
        if not isinstance(value, dict):
            self.warn(f"cache entry {path} is not a cached answer: asking the model instead (delete it)")
            return None
        return value

    def temp_beside(self, target: Path) -> tuple[int, str]:
        """A temporary file in the entry's folder, the folder made once a run (again if it was removed)."""
        if target.parent not in self.folders:
            target.parent.mkdir(parents=True, exist_ok=True)
            self.folders.add(target.parent)
        try:
            return exclusive_temp(target)
        except FileNotFoundError:
            self.folders.discard(target.parent)
            target.parent.mkdir(parents=True, exist_ok=True)
            return exclusive_temp(target)

    def write(self, key: str, value: dict[str, Any]) -> None:
        """The entry written through a temporary file beside it and renamed (nothing left on a failure)."""
        target = self.path(key)
        tmp: str | None = None
        try:
            data = json.dumps(value, ensure_ascii=False).encode("utf-8")
            fd, tmp = self.temp_beside(target)
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
            os.replace(tmp, target)
        except OSError:
            if tmp is not None:
                with contextlib.suppress(OSError):
                    os.unlink(tmp)
            raise

    def refresh(self, key: str, value: dict[str, Any]) -> None:
        """Rewrite an entry that is already there (a new seal), silently: if the folder cannot be written,
        the entry stays as it was and still answers."""
        if self.writable:
            with contextlib.suppress(OSError):
                self.write(key, value)

    def put(self, key: str, value: dict[str, Any]) -> None:
        """Write atomically, so that a killed run never leaves a half-written entry; a cache that cannot
        be written is turned off with a warning (the answer itself is not lost: it is stored)."""
        if not self.writable:
            return
        try:
            self.write(key, value)
        except OSError as exc:
            self.writable = False
            self.warn(f"cache folder {self.root} cannot be written ({exc.strerror or exc}): the cache is off for "
                      "this run; fix the folder or pass --cache-dir")


class LayoutMemo:
    """Documents' layouts (a genre's reading of them, written down by its `LayoutCodec`) kept beside the
    answers, so that a re-run does not read a document again. Keyed by the text and the version of the
    rules that read it, and sealed: an entry that is corrupt, edited or not the document's is read again."""

    def __init__(self, root: Path, codec: Any, version: str) -> None:
        self.cache = AnswerCache(root)
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
            self.cache.warn(f"cache entry {self.cache.path(key)} is not this document's layout ({exc}): "
                            "reading the document again")
            return None

    def put(self, key: str, layout: Any) -> None:
        data = self.codec.dump(layout)
        self.cache.put(key, {"layout": data, "sealed": content_hash([key, data])})
