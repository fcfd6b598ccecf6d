"""Render text as the files reports are published in: PDF (hard-wrapped pages with footers) and DOCX.

For tests and evals: each file is generated on the spot, nothing binary is kept. Chinese is written
with reportlab's built-in CID font STSong-Light (no font file needed; readers map its codes back to
Unicode through the standard UniGB-UCS2-H encoding).
"""

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from docx.document import Document as WordDocument

CELL_SEPARATOR = " | "
CJK_FONT = "STSong-Light"
FONT_SIZE = 12
LINE_HEIGHT = 18
MARGIN = 56


def wrap(text: str, chars_per_line: int) -> list[str]:
    """Each line of `text` cut every `chars_per_line` characters; an empty line stays one empty line."""
    lines: list[str] = []
    for paragraph in text.splitlines():
        chunks = [paragraph[i : i + chars_per_line] for i in range(0, len(paragraph), chars_per_line)]
        lines += chunks or [""]
    return lines


def write_pdf(text: str, path: Path, *, chars_per_line: int = 38, lines_per_page: int = 40,
              footer: str | None = "— {page} —", header: str | None = None) -> None:
    """A PDF of `text`: hard wraps at `chars_per_line`, `lines_per_page` lines a page, a footer (with
    `{page}` filled in) and an optional header on every page."""
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfgen import canvas

    pdfmetrics.registerFont(UnicodeCIDFont(CJK_FONT))
    width, height = A4
    lines = wrap(text, chars_per_line)
    pdf = canvas.Canvas(str(path), pagesize=A4, invariant=True)
    for number, start in enumerate(range(0, max(len(lines), 1), lines_per_page), 1):
        pdf.setFont(CJK_FONT, FONT_SIZE)
        if header is not None:
            pdf.drawCentredString(width / 2, height - MARGIN / 2, header.format(page=number))
        y = height - MARGIN - FONT_SIZE
        for line in lines[start : start + lines_per_page]:
            pdf.drawString(MARGIN, y, line)
            y -= LINE_HEIGHT
        if footer is not None:
            pdf.drawCentredString(width / 2, MARGIN / 2, footer.format(page=number))
        pdf.showPage()
    pdf.save()


def write_scan_pdf(path: Path, pages: int = 1) -> None:
    """A PDF like a scan: every page one image, no text layer."""
    from PIL import Image, ImageDraw
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.utils import ImageReader
    from reportlab.pdfgen import canvas

    image = Image.new("L", (420, 594), 255)
    draw = ImageDraw.Draw(image)
    for y in range(60, 540, 24):  # grey bars where lines of text would be
        draw.rectangle((40, y, 380, y + 10), fill=80)
    width, height = A4
    pdf = canvas.Canvas(str(path), pagesize=A4, invariant=True)
    for _ in range(pages):
        pdf.drawImage(ImageReader(image), 0, 0, width, height)
        pdf.showPage()
    pdf.save()


def write_docx(text: str, path: Path, *, header: str | None = None, footer: str | None = None) -> None:
    """A DOCX of `text`: one paragraph per non-empty line; consecutive lines of as many ' | '-separated
    cells become the rows of one table. `header` and `footer` go in the page header and footer."""
    from docx import Document

    document = Document()
    rows: list[list[str]] = []
    for line in [*text.splitlines(), ""]:
        cells = line.split(CELL_SEPARATOR) if CELL_SEPARATOR in line else []
        if rows and len(cells) != len(rows[0]):
            _add_table(document, rows)
            rows = []
        if cells:
            rows.append(cells)
        elif line.strip():
            document.add_paragraph(line)
    section = document.sections[0]
    if header is not None:
        section.header.paragraphs[0].text = header
    if footer is not None:
        section.footer.paragraphs[0].text = footer
    document.save(str(path))


def _add_table(document: "WordDocument", rows: list[list[str]]) -> None:
    table = document.add_table(rows=len(rows), cols=len(rows[0]))
    for cells, row in zip(rows, table.rows):
        for value, cell in zip(cells, row.cells):
            cell.text = value
