"""Documents: reading files of any supported kind into text with a content-derived id."""

import hashlib
import os
import re
import stat
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from fazhi.agent import readers
from fazhi.agent.errors import InputError
from fazhi.agent.grounding import normalise
from fazhi.agent.readers.text import decode, looks_binary

__all__ = ["SUFFIXES", "Document", "Rejected", "decode", "display_path", "document_from_bytes", "expand",
           "looks_binary", "read_document", "read_documents", "text_id"]

SUFFIXES = readers.SUFFIXES
MAX_BYTES = 64 * 1024 * 1024
LONE_SURROGATE = re.compile("[\ud800-\udfff]")


@dataclass
class Document:
    """A document's text, read from one or more files. `doc_id` hashes its normalised text, so re-uploads
    are one document; `raw_sha256` and `source_type` (txt, md, html, pdf, docx, doc) describe the first file."""

    doc_id: str
    text: str
    raw_sha256: str
    encoding: str | None
    paths: list[str] = field(default_factory=list)
    source_type: str = "txt"
    path_sha256: dict[str, str] = field(default_factory=dict)  # each path's own file hash

    def add_path(self, path: str, raw_sha256: str) -> None:
        self.paths.append(path)
        self.path_sha256[path] = raw_sha256


@dataclass
class Rejected:
    path: str
    reason: str


def text_id(text: str) -> str:
    return hashlib.sha256(normalise(text).encode("utf-8")).hexdigest()[:16]


def display_path(path: str | Path) -> str:
    """The path as valid UTF-8 text: a name that is not UTF-8 is read as GB18030, else escaped."""
    parts = os.fsencode(path).split(b"/")
    return "/".join(_decode_name(part) for part in parts)


def _decode_name(name: bytes) -> str:
    for encoding in ("utf-8", "gb18030"):
        try:
            return name.decode(encoding)
        except UnicodeDecodeError:
            continue
    return name.decode("utf-8", "backslashreplace")


def _check_size(size: int) -> None:
    if size > MAX_BYTES:
        raise InputError(f"{size / 2**20:.0f} MiB is over the {MAX_BYTES // 2**20} MiB limit: split the file")


def storable(text: str) -> str:
    """The text with any lone surrogate (a broken character map can yield one) replaced: the store takes UTF-8."""
    return LONE_SURROGATE.sub("\ufffd", text)


def document_from_bytes(raw: bytes, path: str, suffix: str = ".txt") -> Document:
    _check_size(len(raw))
    extracted = readers.read(raw, suffix)
    text = storable(extracted.text.replace("\r\n", "\n").replace("\r", "\n"))
    if not text.strip():
        raise InputError("empty: no text")
    digest = hashlib.sha256(raw).hexdigest()
    return Document(text_id(text), text, digest, extracted.encoding, [path], extracted.source_type, {path: digest})


def read_document(path: Path) -> Document:
    suffix = path.suffix.lower()
    if suffix not in SUFFIXES:
        raise InputError(f"unsupported file type {suffix or '(none)'}: use {', '.join(SUFFIXES)}")
    try:
        info = path.stat()
        if not stat.S_ISREG(info.st_mode):
            raise InputError("not a regular file: give a file or a folder")
        _check_size(info.st_size)
        raw = path.read_bytes()
    except OSError as exc:
        advice = "check its permissions" if isinstance(exc, PermissionError) else "check the file"
        raise InputError(f"cannot read: {exc.strerror or exc}: {advice}") from exc
    return document_from_bytes(raw, display_path(path), suffix)


def _file_key(path: Path) -> tuple[int, int] | None:
    try:
        info = path.stat()
    except OSError:
        return None
    return info.st_dev, info.st_ino


def _walk(root: Path, rejected: list[Rejected]) -> list[Path]:
    """Supported files under `root`, following links to folders but entering each folder once."""
    entered: set[tuple[int, int]] = set()
    found: list[Path] = []

    def unreadable(exc: OSError) -> None:
        rejected.append(Rejected(display_path(exc.filename or root), f"cannot read folder: {exc.strerror}"))

    for folder, subfolders, files in os.walk(root, onerror=unreadable, followlinks=True):
        key = _file_key(Path(folder))
        if key is None or key in entered:  # a link back to a folder already read: a loop
            subfolders.clear()
            continue
        entered.add(key)
        found += (Path(folder, name) for name in files if Path(name).suffix.lower() in SUFFIXES)
    return sorted(p for p in found if p.is_file())


def expand(paths: Iterable[Path], rejected: list[Rejected] | None = None) -> Iterator[Path]:
    """Files as given, folders recursively (supported suffixes only, sorted); each file once.

    Unreadable folders are added to `rejected` when it is given.
    """
    seen: set[tuple[int, int]] = set()
    for path in paths:
        for file in _walk(path, [] if rejected is None else rejected) if path.is_dir() else [path]:
            key = _file_key(file)
            if key is not None and key in seen:
                continue
            if key is not None:
                seen.add(key)
            yield file


def read_documents(paths: Iterable[Path]) -> tuple[list[Document], list[Rejected]]:
    """Read every file; a bad one is rejected by name and the rest go on. Duplicates merge."""
    docs: dict[str, Document] = {}
    rejected: list[Rejected] = []
    for path in expand(paths, rejected):
        if not path.exists():
            rejected.append(Rejected(display_path(path), "no such file or folder"))
            continue
        try:
            doc = read_document(path)
        except InputError as exc:
            rejected.append(Rejected(display_path(path), str(exc)))
            continue
        if doc.doc_id in docs:
            docs[doc.doc_id].add_path(doc.paths[0], doc.raw_sha256)
        else:
            docs[doc.doc_id] = doc
    return list(docs.values()), rejected
