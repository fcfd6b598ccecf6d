"""Word files: .docx body text with python-docx (paragraphs and table rows in order), .doc with antiword."""

import io
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

from docx import Document as open_docx
from docx.oxml.ns import qn
from docx.oxml.text.run import CT_R
from fazhi.agent.errors import InputError
from lxml.etree import _Element

CELL_SEPARATOR = " | "
OLD_DOC_HINT = ("old .doc format: convert it to .docx or PDF first "
                "(e.g. libreoffice --headless --convert-to docx FILE)")
ANTIWORD_TIMEOUT_S = 120
W_P, W_TBL, W_TR, W_TC, W_R = qn("w:p"), qn("w:tbl"), qn("w:tr"), qn("w:tc"), qn("w:r")
MC_FALLBACK = "{http://schemas.openxmlformats.org/markup-compatibility/2006}Fallback"
# Not body text: deleted or moved-away revisions, text boxes, duplicate fallbacks, properties.
PRUNED = frozenset({qn("w:del"), qn("w:moveFrom"), qn("w:txbxContent"), MC_FALLBACK, qn("w:pPr"), qn("w:rPr"),
                    qn("w:sdtPr"), qn("w:sectPr"), qn("w:tblPr"), qn("w:trPr"), qn("w:tcPr")})


def _runs(element: _Element) -> Iterator[CT_R]:
    for child in element:
        if child.tag == W_R:
            yield child
        elif child.tag not in PRUNED:
            yield from _runs(child)


def paragraph_text(p: _Element) -> str:
    """The paragraph's runs in order, inside hyperlinks, fields, content controls and insertions too."""
    return "".join(run.text for run in _runs(p))


def _cell_text(tc: _Element) -> str:
    return " ".join(" ".join(line.split()) for line in _blocks(tc) if line.strip())


def _row_line(tr: _Element) -> str:
    cells = [_cell_text(tc) for tc in _children(tr, W_TC)]
    return CELL_SEPARATOR.join(cells).rstrip() if any(cells) else ""


def _children(element: _Element, tag: str) -> Iterator[_Element]:
    """Children with `tag`, looking through wrappers such as content controls."""
    for child in element:
        if child.tag == tag:
            yield child
        elif child.tag not in PRUNED and child.tag not in (W_P, W_TBL, W_TR, W_TC):
            yield from _children(child, tag)


def _blocks(parent: _Element) -> Iterator[str]:
    """Paragraph texts and table-row lines in document order."""
    for child in parent:
        if child.tag == W_P:
            yield paragraph_text(child)
        elif child.tag == W_TBL:
            yield from (_row_line(tr) for tr in _children(child, W_TR))
        elif child.tag not in PRUNED:
            yield from _blocks(child)


def docx_text(raw: bytes) -> str:
    """Body paragraphs and table rows (cells joined by ' | '), empty ones skipped; headers and footers are not body."""
    try:
        body = open_docx(io.BytesIO(raw)).element.body
    except Exception as exc:  # a damaged package can fail in any way; it is a rejection, never a traceback
        message = " ".join(str(exc).split())[:200].replace("<_io.BytesIO object>", "it")
        raise InputError(f"corrupt Word file ({type(exc).__name__}: {message}): re-save it as .docx") from exc
    return "".join(line + "\n" for line in _blocks(body) if line.strip())


def doc_text(raw: bytes) -> str:
    """An old binary .doc through antiword, when it is installed."""
    antiword = shutil.which("antiword")
    if antiword is None:
        raise InputError(OLD_DOC_HINT)
    with tempfile.TemporaryDirectory() as folder:
        source = Path(folder, "input.doc")
        source.write_bytes(raw)
        try:
            done = subprocess.run([antiword, "-m", "UTF-8.txt", "-w", "0", str(source)], capture_output=True,
                                  timeout=ANTIWORD_TIMEOUT_S, check=False)
        except subprocess.TimeoutExpired as exc:
            raise InputError(f"antiword took over {ANTIWORD_TIMEOUT_S} s; {OLD_DOC_HINT}") from exc
    if done.returncode != 0:
        said = done.stderr.decode("utf-8", "replace").replace(str(source), "the file").strip().splitlines()
        raise InputError(f"antiword cannot read it ({said[0] if said else done.returncode}); {OLD_DOC_HINT}")
    return done.stdout.decode("utf-8", "replace")
