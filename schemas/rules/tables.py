"""Tables in a report's reading: lines of cells separated by | (from text, HTML or Word), read row by
row, the first row naming the columns when it holds no figures (指标 | 2021年 | 同比).

A figure in a table is named by its row and its column: 行政复议收案 | 312件 | +8.3% under 指标 | 2021年
| 同比 gives 行政复议收案 (the year column says when, not what) and 行政复议收案同比增长.
"""

import re
from bisect import bisect_right
from dataclasses import dataclass

from fazhi.schemas.rules.lexicon import alt, any_of, words

SEPARATOR = re.compile(r"\s*[|｜]\s*")
FIGURE = re.compile(r"\d")
PERIOD_COLUMN = re.compile(rf"(?:19|20)\d{{2}}\s*年(?:度)?|{alt(words('tables.period_columns'))}")
CHANGE_COLUMN = any_of("tables.change_headers")
SIGN = re.compile(r"\s*([+＋\-－−])")


@dataclass(frozen=True)
class Row:
    start: int
    end: int
    cells: tuple[tuple[int, int], ...]  # [start, end) of each cell's text


@dataclass(frozen=True)
class Table:
    header: Row | None
    rows: tuple[Row, ...]


def row_of(text: str, start: int, end: int) -> Row | None:
    """The line text[start:end] as a row of at least two cells, or None."""
    bounds, pos = [], start
    for m in SEPARATOR.finditer(text, start, end):
        bounds.append((pos, m.start()))
        pos = m.end()
    bounds.append((pos, end))
    cells = tuple((a, b) for a, b in bounds if b > a)
    return Row(start, end, cells) if len(cells) >= 2 else None


def find_tables(text: str) -> list[Table]:
    """Runs of consecutive lines that are rows; a first row without figures (but years) is the header."""
    tables, run = [], []
    pos = 0
    for line in [*text.split("\n"), ""]:
        row = row_of(text, pos, pos + len(line)) if "|" in line or "｜" in line else None
        if row is not None:
            run.append(row)
        elif run:
            tables.append(table_of(text, run))
            run = []
        pos += len(line) + 1
    return tables


def table_of(text: str, rows: list[Row]) -> Table:
    first = rows[0]
    values = [text[a:b] for a, b in first.cells[1:]]
    if len(rows) > 1 and not any(FIGURE.search(PERIOD_COLUMN.sub("", v)) for v in values):
        return Table(first, tuple(rows[1:]))
    return Table(None, tuple(rows))


class TableIndex:
    """Where the tables of a text are, to name a figure by its row and column."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.rows = [(row, table) for table in find_tables(text) for row in table.rows]
        self.starts = [row.start for row, _ in self.rows]

    def name(self, pos: int) -> str | None:
        """The name of the figure at `pos` when it stands in a table's cell (not the row's label)."""
        i = bisect_right(self.starts, pos) - 1
        if i < 0 or pos >= self.rows[i][0].end:
            return None
        row, table = self.rows[i]
        column = next((k for k, (a, b) in enumerate(row.cells) if a <= pos < b), 0)
        if column == 0:
            return None
        label = self.text[slice(*row.cells[0])].strip()
        header = self.text[slice(*table.header.cells[column])].strip() if table.header and column < len(
            table.header.cells) else ""
        return label + self.column_words(header, row.cells[column])

    def column_words(self, header: str, cell: tuple[int, int]) -> str:
        """What the column adds to the row's label: nothing for a period, 同比增长/同比下降 for a change."""
        if not header or PERIOD_COLUMN.fullmatch(header):
            return ""
        if CHANGE_COLUMN.search(header):
            sign = SIGN.match(self.text, cell[0])
            rising = sign is None or sign.group(1) in "+＋"
            points = "个百分点" in self.text[slice(*cell)]
            return header + ("提高" if points and rising else "增长" if rising else "下降")
        return header
