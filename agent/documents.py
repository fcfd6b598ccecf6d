"""Documents: reading files of any supported kind into text with a content-derived id."""

import codecs
import hashlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from agent.errors import InputError
from agent.grounding import normalise
from agent.htmltext import html_to_text

SUFFIXES = (".txt", ".md", ".html", ".htm")
MAX_BYTES = 64 * 1024 * 1024
FALLBACK_ENCODINGS = ("utf-8", "gb18030")
BOMS = ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"))


@dataclass
class Document:
    """A decoded document. `doc_id` hashes its normalised text, so re-uploads are one document."""

    doc_id: str
    text: str
    raw_sha256: str
    encoding: str
    paths: list[str] = field(default_factory=list)


@dataclass
class Rejected:
    path: str
    reason: str


def text_id(text: str) -> str:
    return hashlib.sha256(normalise(text).encode("utf-8")).hexdigest()[:16]


def looks_binary(raw: bytes) -> bool:
    sample = raw[:8192]
    controls = sum(1 for b in sample if b < 9 or 13 < b < 32)
    return b"\x00" in sample or controls > len(sample) // 100


def decode(raw: bytes) -> tuple[str, str]:
    """Text and encoding name: a BOM decides, else UTF-8, else GB18030 (a superset of GBK)."""
    boms = [name for bom, name in BOMS if raw.startswith(bom)]
    if not boms and looks_binary(raw):
        raise InputError("binary content, not text")
    for name in boms[:1] or FALLBACK_ENCODINGS:
        try:
            return raw.decode(name), name
        except UnicodeDecodeError:
            continue
    raise InputError(f"cannot decode as {boms[0] if boms else 'UTF-8 or GB18030/GBK'}")


def document_from_bytes(raw: bytes, path: str, suffix: str = ".txt") -> Document:
    if len(raw) > MAX_BYTES:
        raise InputError(f"{len(raw) / 2**20:.0f} MiB is over the {MAX_BYTES // 2**20} MiB limit")
    text, encoding = decode(raw)
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if suffix in (".html", ".htm"):
        text = html_to_text(text)
    if not text.strip():
        raise InputError("empty: no text")
    digest = hashlib.sha256(raw).hexdigest()
    return Document(text_id(text), text, digest, encoding, [path])


def read_document(path: Path) -> Document:
    suffix = path.suffix.lower()
    if suffix not in SUFFIXES:
        raise InputError(f"unsupported file type {suffix or '(none)'}: use {', '.join(SUFFIXES)}")
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise InputError(f"cannot read: {exc.strerror}") from exc
    return document_from_bytes(raw, str(path), suffix)


def expand(paths: Iterable[Path]) -> Iterator[Path]:
    """Files as given, folders recursively (supported suffixes only), in sorted order."""
    for path in paths:
        if path.is_dir():
            yield from sorted(p for p in path.rglob("*") if p.is_file() and p.suffix.lower() in SUFFIXES)
        else:
            yield path


def read_documents(paths: Iterable[Path]) -> tuple[list[Document], list[Rejected]]:
    """Read every file; a bad one is rejected by name and the rest go on. Duplicates merge."""
    docs: dict[str, Document] = {}
    rejected: list[Rejected] = []
    for path in expand(paths):
        if not path.exists():
            rejected.append(Rejected(str(path), "no such file or folder"))
            continue
        try:
            doc = read_document(path)
        except InputError as exc:
            rejected.append(Rejected(str(path), str(exc)))
            continue
        if doc.doc_id in docs:
            docs[doc.doc_id].paths.append(str(path))
        else:
            docs[doc.doc_id] = doc
    return list(docs.values()), rejected
