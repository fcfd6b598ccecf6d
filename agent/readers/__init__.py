"""Readers: the bytes of a supported file into text, by kind (plain text, HTML, PDF, Word).

`read(raw, suffix)` picks the reader from the suffix, corrected by the content where files are
commonly misnamed (a .doc that is really .docx or a saved web page, and the reverse). Failures are
`InputError`s with one-line messages that say what to do.
"""

import re
from dataclasses import dataclass

from fazhi.agent.errors import InputError
from fazhi.agent.htmltext import declared_charset, html_to_text
from fazhi.agent.readers.text import decode

KINDS = {".txt": "txt", ".md": "md", ".html": "html", ".htm": "html", ".pdf": "pdf", ".docx": "docx", ".doc": "doc"}
SUFFIXES = tuple(KINDS)
ZIP_MAGIC = b"PK\x03\x04"
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ENCRYPTED_OOXML = "EncryptedPackage".encode("utf-16-le")  # the stream an encrypted .docx is wrapped in
HTML_START = re.compile(rb"^(\xef\xbb\xbf)?\s*(<!doctype html|<html|<\?xml[^>]*>\s*<html|<meta|<head|<body)", re.I)


@dataclass(frozen=True)
class Extracted:
    """A file's text, the kind it was read as, and the text encoding (None for binary formats)."""

    text: str
    source_type: str
    encoding: str | None


def sniff(raw: bytes, suffix: str) -> str:
    """The kind to read: by suffix, except that Word files are recognised by their content."""
    kind = KINDS.get(suffix.lower())
    if kind is None:
        raise InputError(f"unsupported file type {suffix or '(none)'}: use {', '.join(SUFFIXES)}")
    if kind not in ("doc", "docx"):
        return kind
    if raw.startswith(ZIP_MAGIC):
        return "docx"
    if raw.startswith(OLE_MAGIC):
        if ENCRYPTED_OOXML in raw:
            raise InputError("password-protected Word file: remove the password (save a copy without it) first")
        return "doc"
    if HTML_START.match(raw[:1024]):
        return "html"  # a web page saved with a Word name
    if raw.lstrip().startswith(b"{\\rtf"):
        raise InputError("an RTF file named like a Word file: convert it to .docx or PDF first")
    raise InputError("not a Word file (neither .docx nor .doc content): check the file, or rename it")


def read(raw: bytes, suffix: str) -> Extracted:
    """The text of a file's bytes; `suffix` is the file name's (".pdf", ".docx", ...)."""
    kind = sniff(raw, suffix)
    if kind == "pdf":
        from fazhi.agent.readers.pdf import pdf_text  # imported on use: pypdf is not needed for text files

        return Extracted(pdf_text(raw), kind, None)
    if kind in ("docx", "doc"):
        from fazhi.agent.readers.word import doc_text, docx_text

        return Extracted((docx_text if kind == "docx" else doc_text)(raw), kind, None)
    if kind == "html":
        text, encoding = decode(raw, declared_charset(raw))
        return Extracted(html_to_text(_newlines(text)), kind, encoding)
    text, encoding = decode(raw)
    return Extracted(text, kind, encoding)


def _newlines(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n")
