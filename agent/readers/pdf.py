"""PDF text layers with pypdf: pages joined by form feeds, hard wraps and page furniture kept as extracted."""

import io
import logging
import warnings

from fazhi.agent.errors import InputError
from pypdf import PasswordType, PdfReader
from pypdf.errors import DependencyError

PAGE_BREAK = "\f"
NO_TEXT_LAYER = "no text layer (a scanned PDF?): OCR it first"
MAGIC = b"%PDF-"

logging.getLogger("pypdf").setLevel(logging.ERROR)  # its warnings on damaged files are ours to report


def _problem(exc: Exception) -> str:
    message = " ".join(str(exc).split())[:200]
    return f"{type(exc).__name__}: {message}" if message else type(exc).__name__


def open_pdf(raw: bytes) -> PdfReader:
    """A reader with the document decrypted (the empty password is tried), or a one-line rejection."""
    if MAGIC not in raw[:1024]:
        raise InputError("not a PDF file (no %PDF- header): check the file, it may be a failed download")
    try:
        reader = PdfReader(io.BytesIO(raw), strict=False)
        if reader.is_encrypted and reader.decrypt("") == PasswordType.NOT_DECRYPTED:
            raise InputError("password-protected PDF: remove the password (or print it to a new PDF) first")
    except DependencyError as exc:
        raise InputError(f"encrypted PDF needs the cryptography package: pip install 'pypdf[crypto]' ({exc})") from exc
    except InputError:
        raise
    except Exception as exc:  # a damaged file can fail in any way; it is a rejection, never a traceback
        raise InputError(f"corrupt PDF ({_problem(exc)}): repair or re-export it") from exc
    return reader


def _page_text(reader: PdfReader, number: int) -> str:
    try:
        return reader.pages[number].extract_text()
    except Exception as exc:  # as above: one damaged page rejects the file, by page number
        raise InputError(f"corrupt PDF, page {number + 1} ({_problem(exc)}): repair or re-export it") from exc


def pdf_text(raw: bytes) -> str:
    """Every page's text layer, in page order, joined by form feeds."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        reader = open_pdf(raw)
        try:
            count = len(reader.pages)
        except Exception as exc:  # a broken page tree
            raise InputError(f"corrupt PDF ({_problem(exc)}): repair or re-export it") from exc
        if not count:
            raise InputError("PDF without pages: check the file")
        pages = [_page_text(reader, n) for n in range(count)]
    if not "".join(pages).strip():
        raise InputError(NO_TEXT_LAYER)
    return PAGE_BREAK.join(page.replace("\r\n", "\n").replace("\r", "\n") for page in pages)
