"""HTML to plain text with the standard library: scripts and styles dropped, blocks on their own lines.

Table rows are read row by row: each <tr> one line, its <td>/<th> cells joined by " | ", so that a
reader downstream can pair each cell with its column header. A row that is page layout rather than
data (a single cell, a cell holding a table of its own, or a cell of many lines) keeps its cells'
block structure instead.
"""

import codecs
import re
from dataclasses import dataclass, field
from html.parser import HTMLParser

BLOCKS = frozenset({
    "address", "article", "aside", "blockquote", "br", "dd", "div", "dl", "dt", "footer", "form", "h1", "h2",
    "h3", "h4", "h5", "h6", "header", "hr", "li", "main", "nav", "ol", "p", "pre", "section", "title", "ul",
    "caption",
})
SKIPPED = frozenset({"script", "style", "noscript", "template", "svg"})
CELLS = frozenset({"td", "th"})
ROW_GROUPS = frozenset({"thead", "tbody", "tfoot"})
CELL_SEPARATOR = " | "
MAX_CELL_LINES = 4
SPACES = re.compile(r"[ \t\u00a0]+")

CHARSET = re.compile(rb"""<meta[^>]*?charset\s*=\s*["']?\s*([\w.:-]+)|<\?xml[^>]*?encoding\s*=\s*["']([\w.:-]+)""",
                     re.I)
CHARSET_SCAN_BYTES = 8192
# Labels that browsers read as a wider encoding than they name (WHATWG Encoding Standard).
CHARSET_ALIASES = {
    "gb2312": "gb18030", "gbk": "gb18030", "x-gbk": "gb18030", "cp936": "gb18030", "ms936": "gb18030",
    "euc-cn": "gb18030", "gb_2312-80": "gb18030", "chinese": "gb18030", "csgb2312": "gb18030",
    "big5": "big5hkscs", "big5-hkscs": "big5hkscs", "x-x-big5": "big5hkscs",
    "iso-8859-1": "cp1252", "latin1": "cp1252", "us-ascii": "cp1252", "ascii": "cp1252",
}


def declared_charset(raw: bytes) -> str | None:
    """The Python codec a page declares in <meta charset>, http-equiv or an XML declaration; None if none.

    A page that declares UTF-16 is read as if it declared nothing: a BOM or the bytes decide.
    """
    found = CHARSET.search(raw[:CHARSET_SCAN_BYTES])
    if not found:
        return None
    label = (found.group(1) or found.group(2)).decode("ascii").lower()
    try:
        name = codecs.lookup(CHARSET_ALIASES.get(label, label)).name
    except LookupError:
        return None
    return None if name.startswith("utf-16") or name.startswith("utf-32") else name


@dataclass
class _Cell:
    parts: list[str] = field(default_factory=list)
    holds_table: bool = False

    def lines(self) -> list[str]:
        return [line for raw in "".join(self.parts).split("\n") if (line := SPACES.sub(" ", raw).strip())]


@dataclass
class _Table:
    row: list[_Cell] | None = None


def render_row(cells: list[_Cell]) -> str:
    """One line of cells joined by ' | ', or, for a layout row, each cell's own lines."""
    lines = [cell.lines() for cell in cells]
    layout = len(cells) < 2 or any(c.holds_table for c in cells) or any(len(ls) > MAX_CELL_LINES for ls in lines)
    if layout:
        return "".join(f"\n{''.join(cell.parts)}\n" for cell in cells)
    if not any(lines):
        return ""
    return "\n" + CELL_SEPARATOR.join(" ".join(ls) for ls in lines) + "\n"


class _TextParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.top: list[str] = []
        self.tables: list[_Table] = []
        self.skipping = 0

    def _cell(self) -> _Cell | None:
        """The innermost open cell, if any."""
        for table in reversed(self.tables):
            if table.row:
                return table.row[-1]
        return None

    @property
    def sink(self) -> list[str]:
        cell = self._cell()
        return cell.parts if cell else self.top

    def _table(self) -> _Table:
        if not self.tables:  # a row or cell outside any table
            self.tables.append(_Table())
        return self.tables[-1]

    def _close_row(self) -> None:
        if self.tables and self.tables[-1].row is not None:
            row, self.tables[-1].row = self.tables[-1].row, None
            self.sink.append(render_row(row))

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in SKIPPED:
            self.skipping += 1
        elif tag == "table":
            if cell := self._cell():
                cell.holds_table = True
            self.sink.append("\n")
            self.tables.append(_Table())
        elif tag == "tr" or tag in ROW_GROUPS:
            self._table()
            self._close_row()
        elif tag in CELLS:
            table = self._table()
            table.row = [] if table.row is None else table.row
            table.row.append(_Cell())
        elif tag in BLOCKS:
            self.sink.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in SKIPPED:
            self.skipping = max(self.skipping - 1, 0)
        elif tag == "table":
            self.close_table()
        elif tag == "tr" or tag in ROW_GROUPS:
            self._close_row()
        elif tag in BLOCKS:
            self.sink.append("\n")

    def handle_data(self, data: str) -> None:
        if not self.skipping:
            self.sink.append(data)

    def close_table(self) -> None:
        if self.tables:
            self._close_row()
            self.tables.pop()
            self.sink.append("\n")

    def close(self) -> None:
        super().close()
        while self.tables:  # tables left open by a truncated page
            self.close_table()


def html_to_text(html: str) -> str:
    parser = _TextParser()
    parser.feed(html)
    parser.close()
    lines = (SPACES.sub(" ", line).strip() for line in "".join(parser.top).split("\n"))
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip() + "\n"
