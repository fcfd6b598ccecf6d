"""Reading a report as a reader does, whatever form it came in.

`read(text)` returns a `Reading`: the text with its structure found in the text itself, not in where
its line breaks happen to fall:
- page furniture (page numbers such as — 3 —, 第3页 共8页; a running head repeated at the top or
  bottom of every page) is left out;
- a hard-wrapped line (text from a PDF) is joined to the next line of its paragraph;
- every heading and list marker (第一部分, 一、, （一）, 1., (1), ①) that starts a unit where it stands
  (…保障。一、加强…（一）…) begins a line of its own, and so do the labelled fields of web and
  disclosure headers and footers (发布日期：… 来源：… 浏览次数：…) and a signature run on after the
  last sentence.

The reading holds only characters of the stored text, plus the line breaks and spaces it adds;
`raw_span` maps a span of the reading back to the stored text, so that evidence cut from the
stored text at mapped offsets is what the reading quoted (whitespace aside). Everything here runs in
time linear in the text.
"""

from __future__ import annotations

import functools
import itertools
import re
from bisect import bisect_right
from collections import Counter
from dataclasses import dataclass, field
from statistics import quantiles

from fazhi.schemas.rules import areas, gazetteer
from fazhi.schemas.rules.frame import PUBLICITY_NOTE
from fazhi.schemas.rules.headings import MARKER_RE, Marker, marker_of
from fazhi.schemas.rules.lexicon import PLAN_OPENER, alt, table, words
from fazhi.schemas.rules.parts import admits_problems

LINE_BREAK = re.compile(r"[\n\r\f\v\u2028\u2029\x85]")
PAGE_BREAK = "\f"
SENTENCE_END = "。！？!?；;"
CLOSED = "。！？!?…"  # a line ending in one of these may end a paragraph (；and ： go on)
CLOSING_MARKS = "”’」』）)】]》"
INDENT = re.compile(r"[ \t\u3000\u00a0]{2,}")
PAGE_NUMBER = re.compile(
    r"[-—－–―~～]*\s*(?:第\s*\d{1,3}\s*页(?:\s*[,，/／]?\s*共\s*\d{1,3}\s*页)?|\d{1,3}\s*[/／]\s*\d{1,3}"
    r"|(?:page|p\.)\s*\d{1,3}(?:\s*of\s*\d{1,3})?|[-—－–―~～]+\s*\d{1,3}\s*[-—－–―~～]+)\s*[-—－–―~～]*",
    re.I,
)
BARE_NUMBER = re.compile(r"\d{1,3}")
RUNNING_HEAD_MAX = 50
WRAP_SHARE = 0.25  # of the lines of some length, this share ends mid-sentence near one width: hard-wrapped
WRAP_MIN_LINES = 6
FULL_LINE = 0.8  # a line at least this share of the wrap width was wrapped, not ended
TITLE_CONTEXT = 60  # a heading's title runs at most this far before its first sub-heading


# ---------------------------------------------------------------- the reading and its map to the text

class Reading:
    """The text as read, and for each stretch copied from the stored text where it came from."""

    def __init__(self, raw: str) -> None:
        self.raw = raw
        self.starts: list[int] = []  # reading offset where each copied stretch begins
        self.sources: list[int] = []  # stored-text offset of each copied stretch
        self.lengths: list[int] = []
        self._pieces: list[str] = []
        self._size = 0
        self._text: str | None = None

    @classmethod
    def verbatim(cls, raw: str) -> Reading:
        """The stored text read as it stands."""
        reading = cls(raw)
        reading.copy(0, len(raw))
        return reading

    def stretches(self) -> list[int | str]:
        """How the reading was made, as data: a stored-text offset and a length for each copied stretch,
        the characters themselves for each added one (`from_stretches` makes the same reading again)."""
        out: list[int | str] = []
        pos, copied = 0, 0
        text = self.text
        for start, source, length in zip(self.starts, self.sources, self.lengths):
            if start > pos:
                out.append(text[pos:start])
            out.extend((source, length))
            pos, copied = start + length, copied + 1
        if pos < len(text):
            out.append(text[pos:])
        return out

    @classmethod
    def from_stretches(cls, raw: str, stretches: list[int | str]) -> Reading:
        """The reading `stretches` describe over `raw`; ValueError when they do not fit it."""
        reading, items = cls(raw), iter(stretches)
        for item in items:
            if isinstance(item, str):
                reading.add(item)
                continue
            length = next(items, None)
            if not isinstance(item, int) or not isinstance(length, int) or not 0 <= item <= item + length <= len(raw):
                raise ValueError("a copied stretch outside the text")
            reading.copy(item, item + length)
        return reading

    @property
    def text(self) -> str:
        if self._text is None:
            self._text = "".join(self._pieces)
            self._pieces = [self._text]
        return self._text

    def __len__(self) -> int:
        return self._size

    def last(self) -> str:
        return self._pieces[-1][-1] if self._size else ""

    def copy(self, start: int, end: int) -> None:
        if end > start:
            self.starts.append(self._size)
            self.sources.append(start)
            self.lengths.append(end - start)
            self.add(self.raw[start:end])

    def add(self, s: str) -> None:
        self._pieces.append(s)
        self._size += len(s)
        self._text = None

    def copied(self, pos: int) -> int:
        """Index of the copied stretch holding reading offset `pos`, or -1 for an added character."""
        i = bisect_right(self.starts, pos) - 1
        return i if i >= 0 and pos < self.starts[i] + self.lengths[i] else -1

    def raw_offset(self, pos: int) -> int:
        """The stored-text offset of the reading's character at `pos` (an added character: the next
        copied one's)."""
        i = self.copied(pos)
        if i >= 0:
            return self.sources[i] + pos - self.starts[i]
        after = bisect_right(self.starts, pos)
        return self.sources[after] if after < len(self.starts) else len(self.raw)

    def raw_end(self, pos: int) -> int:
        """Just past the stored-text character of the reading's character at `pos` (an added
        character: just past the previous copied one)."""
        i = self.copied(pos)
        if i >= 0:
            return self.sources[i] + pos - self.starts[i] + 1
        before = bisect_right(self.starts, pos) - 1
        return self.sources[before] + self.lengths[before] if before >= 0 else 0

    def raw_span(self, start: int, end: int) -> tuple[int, int]:
        """[start, end) of the reading as [start, end) of the stored text."""
        if end <= start:
            at = self.raw_offset(start)
            return at, at
        return self.raw_offset(start), max(self.raw_offset(start), self.raw_end(end - 1))


# ---------------------------------------------------------------- physical lines

@dataclass(frozen=True)
class Line:
    start: int  # offsets of the line without its surrounding whitespace
    end: int
    page: int
    blank_before: bool  # a blank line stands between it and the line before (a page break is no blank)
    indented: bool  # it begins with an indent (a paragraph's first line)


def physical_lines(raw: str) -> list[Line]:
    lines: list[Line] = []
    page, blank, pos = 0, True, 0
    for m in LINE_BREAK.finditer(raw + "\n"):
        body = raw[pos: m.start()]
        stripped = body.strip()
        if stripped:
            lead = len(body) - len(body.lstrip())
            start = pos + lead
            lines.append(Line(start, start + len(stripped), page, blank, bool(INDENT.match(body))))
            blank = False
        elif m.group() != PAGE_BREAK:  # the empty stretch before a page break is no blank line
            blank = True
        if m.group() == PAGE_BREAK:
            page += 1
        pos = m.end()
    return lines


def compact(s: str) -> str:
    return "".join(s.split())


# ---------------------------------------------------------------- page furniture

def is_page_number(s: str) -> bool:
    return PAGE_NUMBER.fullmatch(compact(s)) is not None


def furniture(raw: str, lines: list[Line]) -> set[int]:
    """Indices of page numbers and of running heads: a short line repeated next to page breaks."""
    texts = [compact(raw[ln.start: ln.end]) for ln in lines]
    pages = {i for i, t in enumerate(texts) if is_page_number(t)}
    pages |= {i for i, t in enumerate(texts) if BARE_NUMBER.fullmatch(t) and page_edge(lines, i)}
    counts = Counter(t for t in texts if len(t) <= RUNNING_HEAD_MAX)
    heads = {i for i, t in enumerate(texts)
             if counts[t] >= 2 and i not in pages and near(pages, lines, i) and not first_of(texts, i)}
    return pages | heads


def page_edge(lines: list[Line], i: int) -> bool:
    """The line is the first or last of its page (page breaks known from form feeds)."""
    before = i == 0 or lines[i - 1].page != lines[i].page
    after = i + 1 == len(lines) or lines[i + 1].page != lines[i].page
    return (before or after) and lines[-1].page > 0


def near(pages: set[int], lines: list[Line], i: int) -> bool:
    """Next to a page number, or at a page break."""
    return any(j in pages for j in (i - 2, i - 1, i + 1, i + 2)) or page_edge(lines, i)


def first_of(texts: list[str], i: int) -> bool:
    return texts.index(texts[i]) == i and i < 8  # a title at the top stays; its repeats go


# ---------------------------------------------------------------- hard wraps

NARROW = re.compile("[\x00-\u2e7f]")  # counted as 3/4 of a CJK character


def width(s: str) -> float:
    """Width of a line, between display width (a Latin character or digit is half a CJK character's)
    and character count, so that text wrapped either way reads as full lines."""
    return len(s) - 0.25 * len(NARROW.findall(s))


def wrap_width(raw: str, lines: list[Line]) -> float | None:
    """The width at which the text was hard-wrapped, or None when it was not."""
    widths = [width(raw[ln.start: ln.end]) for ln in lines]
    long = [w for w in widths if w >= 8]
    if len(long) < WRAP_MIN_LINES:
        return None
    top = quantiles(long, n=10)[-1]
    open_full = sum(1 for ln, w in zip(lines, widths) if w >= FULL_LINE * top and prose_cut(raw[ln.start: ln.end]))
    return top if top <= 200 and open_full >= max(WRAP_MIN_LINES, WRAP_SHARE * len(long)) else None


def runs_on(raw: str, before: Line, after: Line, wrap: float | None) -> bool:
    """Whether `after` continues the paragraph of `before` (a line break a PDF put in a sentence)."""
    if wrap is None or after.blank_before or after.indented or not prose_cut(raw[before.start: before.end]):
        return False
    if width(raw[before.start: before.end]) < FULL_LINE * wrap:
        return False
    return not starts_unit(raw[after.start: after.start + 12])


DATE_TAIL = re.compile(
    r"(?:\d{4}\s*[-/.年]\s*\d{1,2}\s*[-/.月]\s*\d{1,2}\s*日?|\d{1,2}-\d{1,2}|\d{1,2}月\d{1,2}日)[)\]）】]?$")
CJK = re.compile(r"[\u3400-\u9fff]")


def prose_cut(line: str) -> bool:
    """The line is running Chinese text that stops mid-sentence (not a link with its date, not a
    heading or a field)."""
    if closed(line) or DATE_TAIL.search(line) or len(CJK.findall(line)) < 0.3 * len(line):
        return False
    if "|" in line or "｜" in line or len(breadcrumb_steps(line)) >= 2:
        return False
    return not (FIELD_LABEL.match(line) or (STANDALONE_WORDS.search(line) and STANDALONE.search(line)))


def closed(line: str) -> bool:
    """The line ends a sentence (。, ：, or a closing quote or bracket right after one)."""
    tail = line.rstrip(CLOSING_MARKS)
    return bool(tail) and tail[-1] in CLOSED and (tail == line or len(line) - len(tail) <= 2)


def starts_unit(head: str) -> bool:
    """The line opens with a heading or list marker, or a labelled field."""
    m = MARKER_RE.match(head)
    return (m is not None and marker_of(m) is not None) or FIELD_LABEL.match(head) is not None


# ---------------------------------------------------------------- labelled fields of page headers and footers

SPACED_LABELS = frozenset(words("fields.spaced"))  # 名　　称：


def label_pattern(label: str) -> str:
    """A field label as a regex: 名称, or 名 称 with any spaces between for a label set out with them."""
    return r"\s*".join(map(re.escape, label)) if label in SPACED_LABELS else re.escape(label)


LABELS = "|".join(map(label_pattern, sorted(dict.fromkeys(words("fields.labels")), key=len, reverse=True)))
FIELD_LABEL = re.compile(rf"[\[【(（]?\s*(?P<label>{LABELS})\s*(?:[\]】)）]\s*[:：]?|[:：])")
ANY_LABEL = re.compile(LABELS)  # in every field label's match: a line without one has none (a fast scan)
STRONG_LABELS = frozenset(words("fields.strong"))
DATE_VALUE = r"\s*\d{4}\s*[-/.年]\s*\d{1,2}\s*[-/.月]\s*\d{1,2}\s*日?(?:\s*\d{1,2}[:：]\d{2}(?:[:：]\d{2})?)?"
ORG_VALUE = (rf"\s*(?:{alt(words('fields.own_site'))}|[\u4e00-\u9fff（）()]{{2,30}}?"
             rf"(?:{alt(words('orgs.field_value'))}))")
FIELD_VALUES = {
    "date": re.compile(DATE_VALUE), "count": re.compile(r"\s*(?:\d[\d,，]*(?![\d年月日.]))?\s*次?"),
    "org": re.compile(ORG_VALUE), "url": re.compile(r"\s*https?://[!-~]+"), "code": re.compile(r"\s*[0-9A-Za-z/\-]+"),
}
LABEL_VALUE = table("fields.values")
STANDALONE_SHAPES = (  # (words every match holds, the page tool's pattern)
    ("字体", r"[\[【]?字体[:：]?\s*[\[【]?\s*大\s*中\s*小\s*[\]】]*"),
    (alt(words("fields.page_tools_colon")), rf"(?:{alt(words('fields.page_tools_colon'))})[:：]?"),
    (alt(words("fields.page_tools")), alt(words("fields.page_tools"))),
    ("ICP备", r"(?:[\u4e00-\u9fff]{1,2}\s*)?ICP备\s*\d+号(?:-\d+)?"),
    ("公网安备", r"[\u4e00-\u9fff]公网安备\s*\d+号"),
    (alt(words("fields.page_tool_buttons")),
     rf"[【\[]\s*(?:{alt(words('fields.page_tool_buttons'))})[^】\]]{{0,4}}[】\]]"),
    ("建议使用", r"建议使用[^。，]{0,24}?(?:分辨率|浏览器)(?:浏览|访问)?"),
    (r"共\d+条", r"共\d+条"),
    (r"每页\d+条", r"每页\d+条"),
)
STANDALONE = re.compile("|".join(shape for _, shape in STANDALONE_SHAPES))
# Every page tool holds one of these words: a line without any has none (a fast scan, where STANDALONE
# itself tries every character).
STANDALONE_WORDS = re.compile("|".join(held for held, _ in STANDALONE_SHAPES))
BULLETS = "·•●◆■▪►"
BULLET = re.compile(rf"(?<=\S)\s*[{BULLETS}]")
SEPARATOR_BEFORE = " \t\u3000|｜]】)）"
TITLE_ENDINGS = words("reading.page_title_endings")


def field_cuts(line: str) -> list[int]:
    """Where a labelled field (发布日期：…, 来源：…) or a page tool (字号 大中小, 打印, 分享到) begins and,
    when its value has a known shape (a date, a count, a body's name, a link), where it ends."""
    cuts: list[int] = []
    for m in FIELD_LABEL.finditer(line) if ANY_LABEL.search(line) else ():
        label = compact(m["label"])
        spaced = label != m["label"]  # 名　　称, 文　　号: a label set out as one
        if not (label in STRONG_LABELS or spaced or weak_label_stands(line, m.start("label"))):
            continue
        cuts.append(m.start())
        shape = FIELD_VALUES.get(LABEL_VALUE.get(label, ""))
        value = shape.match(line, m.end()) if shape else None
        if value is not None and (value.end() > m.end() or LABEL_VALUE[label] == "count"):
            cuts.append(value.end())
    for m in STANDALONE.finditer(line) if STANDALONE_WORDS.search(line) else ():
        cuts += [m.start(), m.end()]
    return cuts + ([m.start() for m in BULLET.finditer(line)] if holds_any(line, BULLETS) else [])


def holds_any(line: str, chars: str) -> bool:
    """Whether the line holds any of the characters: the test before a pattern that would try every
    position of a line that cannot match it (one that starts with optional spaces)."""
    return char_class(chars).search(line) is not None


@functools.cache
def char_class(chars: str) -> re.Pattern[str]:
    return re.compile(f"[{re.escape(chars)}]")


def weak_label_stands(line: str, pos: int) -> bool:
    """A common word as a label (来源, 名称, 地址): only at a line's start, after a separator, after a
    number (a time), or right after a page title (…的报告来源：本网)."""
    before = line[pos - 1] if pos else " "
    return before in SEPARATOR_BEFORE or before.isdigit() or line[:pos].endswith(TITLE_ENDINGS)


# ---------------------------------------------------------------- headings and markers where they stand

@dataclass
class Chains:
    """The numbering seen so far: the next number expected of each marker style."""

    expected: dict[str, int] = field(default_factory=dict)

    def fits(self, marker: Marker) -> bool:
        return marker.value in (1, self.expected.get(marker.style, 1))

    def accept(self, marker: Marker) -> None:
        self.expected[marker.style] = marker.value + 1
        for style, level in LEVELS.items():
            if level > LEVELS[marker.style]:
                self.expected.pop(style, None)


SECTION_TITLE_END = re.compile(
    rf"(?:{alt(words('reading.section_title_ends'))})(?=(?:19|20)\d{{2}}年|{alt(words('reading.section_text_openers'))})"
)
DECORATION = " \t\u3000#*"
LEVELS = {"part": 0, "cn": 1, "paren": 2, "num": 3, "paren_num": 4, "circled": 5}
TOP_STYLES = frozenset({"part", "cn"})


def marker_cuts(line: str, chains: Chains) -> list[int]:
    """Where a heading or list marker opens a unit inside a line: after a sentence's end, or right
    after a heading's title (一、主要工作（一）…), numbered in sequence with what came before."""
    cuts, title_from = [], -1
    for m in MARKER_RE.finditer(line):
        marker = marker_of(m)
        if marker is None:
            continue
        at_start = m.start() == 0
        if not at_start and not opens_unit(line, m.start(), marker, chains, title_from):
            continue
        chains.accept(marker)
        title_from = m.end()
        if not at_start:
            cuts.append(m.start())
        if marker.style in TOP_STYLES and (end := title_end(line, m.end())) is not None:
            cuts.append(end)
    return cuts


def title_end(line: str, start: int) -> int | None:
    """Where a section heading's title ends when the text runs on after it without a break
    (二、存在的主要问题过去一年，我市…)."""
    m = SECTION_TITLE_END.search(line, start, start + TITLE_CONTEXT)
    if m is None or any(ch in SENTENCE_END + "，," for ch in line[start: m.start()]):
        return None
    return m.end()


def opens_unit(line: str, pos: int, marker: Marker, chains: Chains, title_from: int) -> bool:
    before = line[:pos].rstrip(DECORATION)[-1:] or "。"  # markdown's ## and ** stand outside the text
    if marker.style in TOP_STYLES:  # top-level headings only in sequence, never a restart mid-text
        in_order = marker.value == chains.expected.get(marker.style, 1)
    else:
        in_order = chains.fits(marker)
    if not in_order:
        return False
    if before in SENTENCE_END or before in "：:":
        return True
    in_title = title_from >= 0 and pos - title_from <= TITLE_CONTEXT and not any(
        ch in SENTENCE_END for ch in line[title_from:pos])
    return in_title and marker.value == 1


# ---------------------------------------------------------------- the signature run on after the last sentence

SIGNATURE_TAIL = re.compile(
    rf"(?<=[。！？!?])\s*(?P<sig>[\u4e00-\u9fff（）()]{{2,30}}?(?:{alt(words('orgs.core'))})"
    r"(?:[（(][^）)]{0,10}[）)])?\s*(?:\d{4}\s*年\s*\d{1,2}\s*月\s*\d{1,2}\s*日|[〇○零一二三四五六七八九]{4}年"
    r"[一二三四五六七八九十]{1,3}月[一二三四五六七八九十]{1,3}日))"
)
SENTENCE_START = re.compile(r"[。！？!?]\s*")
CLOSING_WORDS = re.compile(
    rf"(?<=[。！？!?])\s*(?:{alt(words('frame.closing_phrases'))}|以上报告[，,]?请(?:予)?审议)")
CLOSING_HELD = re.compile(rf"{alt(words('frame.closing_phrases'))}|以上报告")  # in every closing

SALUTATION = re.compile(rf"(?:主任、副主任[，,、]\s*)?各位(?:{alt(words('reading.addressees'))})[：:，,]")
TITLE_AT_START = re.compile(
    rf"[^。！？!?，,：:；;\n]{{2,60}}?(?:{alt(words('reading.title_endings'))})"
    rf"(?![。，,：:；;》”]|{alt(words('reading.title_not_then'))})"
)
SUBTITLE = re.compile(r"——\s*\d{4}\s*年")


BREADCRUMB_MARKS = ">»›"
BREADCRUMB_STEP = re.compile(rf"\s*[{BREADCRUMB_MARKS}]\s*")
DOC_NUMBER = re.compile(r"[\u4e00-\u9fff]{1,8}[〔\[［(（]\s*(?:19|20)\d{2}\s*[〕\]］)）]\s*\d{1,4}\s*号")
RED_HEAD = re.compile(rf"(?:{alt(words('orgs.red_head'))})文件")


def opening_cuts(line: str, starts: list[int]) -> list[int]:
    """A report's title, subtitle (——2024年1月9日在…会议上) and salutation (各位代表：) run into the text
    that follows them, where a line (or a stretch cut from it) starts; a title run on after a breadcrumb's
    last step (…> 年度报告长沙市司法局2024年度…报告) starts where its place name does."""
    salutations = SALUTATION.finditer(line, 0, 200) if line.find("各位", 0, 200) >= 0 else ()  # in every one
    cuts = [m.start() for m in salutations if m.start() and line[m.start() - 1] not in "。，,"]
    numbers = DOC_NUMBER.finditer(line, 0, 300) if line.find("号", 0, 300) >= 0 else ()  # every one ends in 号
    heads = [*numbers, *RED_HEAD.finditer(line, 0, 100)]
    cuts += [c for m in heads for c in (m.start(), m.end())] if len(line) > 60 else []
    for start in [*starts, *breadcrumb_titles(line), *(m.end() for m in heads)]:
        title = TITLE_AT_START.match(line, start)
        if title is not None:
            cuts += [start, title.end(), *(m.start() for m in SUBTITLE.finditer(line, title.end(), title.end() + 2))]
    return cuts


def breadcrumb_titles(line: str) -> list[int]:
    """Where a place name starts inside a breadcrumb's last step (the title that a crawler ran on)."""
    steps = breadcrumb_steps(line)
    if len(steps) < 2:
        return []
    last = steps[-1].end()
    named = [a for a, _, _ in gazetteer.mentions(line, last)] + [a for a, _, _, _ in areas.find_areas(line[last:])]
    return [min(a if a >= last else a + last for a in named)] if named else []


def breadcrumb_steps(line: str) -> list[re.Match[str]]:
    return list(BREADCRUMB_STEP.finditer(line)) if holds_any(line, BREADCRUMB_MARKS) else []


def paragraph_cuts(line: str) -> list[int]:
    """Sentences that open a paragraph of their own in any report: one admitting problems (同时，我们也
    清醒地看到…存在…问题) or announcing plans (下一步，…)."""
    cuts = []
    for m in SENTENCE_START.finditer(line):
        head = line[m.end(): m.end() + 120]
        if PLAN_OPENER.match(head) or admits_problems(head):
            cuts.append(m.end())
    return cuts


CELL_MARKS = "|｜"
CELL_SEPARATOR = re.compile(rf"\s*[{CELL_MARKS}]\s*")
VALUE_THEN_WORDS = re.compile(  # atomic: a unit, when there is one, belongs to the figure
    r"(?>[+＋\-－−]?\d[\d.,，]*\s*(?:万|亿)?\s*(?:%|‰|个百分点|[件个名人次项元户家份条起场期卷宗]{1,2})?)"
    r"(?![年月日])(?=[\u4e00-\u9fff（(]{2})"
)


COLUMN_WORDS = re.compile(
    rf"(?:{alt(words('tables.change_columns'))}|(?:19|20)\d{{2}}年(?:度)?)(?=[\u4e00-\u9fff]{{2}})")
FIRST_COLUMN = re.compile(rf"(?<=[\u4e00-\u9fff])(?:{alt(words('tables.first_columns'))})$")

def table_cuts(line: str) -> list[int]:
    """Rows of a table that lost its line breaks (…| 312件 | +8.3%行政复议受理 | 287件 |…): a cell that
    holds a figure and then words ends its row there, and so does a header cell (同比) run into the
    first row's label; the header's first cell (指标) starts a line."""
    seps = list(CELL_SEPARATOR.finditer(line)) if holds_any(line, CELL_MARKS) else []
    if len(seps) < 2:
        return []
    first = FIRST_COLUMN.search(line, 0, seps[0].start())
    cuts = [first.start()] if first else []
    for sep in seps:
        column = COLUMN_WORDS.match(line, sep.end())
        if column is not None:
            cuts.append(column.end())
    for before, after in zip(seps, [*seps[1:], None], strict=True):
        stop = after.start() if after is not None else len(line)
        value = VALUE_THEN_WORDS.match(line, before.end(), stop)
        if value is not None and value.end() < stop:
            cuts.append(value.end())
    return cuts


INLINE_PAGE_NUMBER = re.compile(
    r"[—－–―]\s*\d{1,3}\s*[—－–―]|(?<=\s)-\s\d{1,3}\s-(?=\s)|第\s*\d{1,3}\s*页\s*共\s*\d{1,3}\s*页")


INLINE_PAGE_MARKS = "—－–―-页"  # every inline page number holds one


def furniture_cuts(line: str) -> list[int]:
    """Page numbers and publicity notes (（此件公开发布）) inside a line (a PDF's text on one line)."""
    patterns = (INLINE_PAGE_NUMBER, PUBLICITY_NOTE) if holds_any(line, INLINE_PAGE_MARKS) else (PUBLICITY_NOTE,)
    return [c for rx in patterns for m in rx.finditer(line) for c in m.span()]


def closing_cuts(line: str) -> list[int]:
    dated = "月" in line and "日" in line  # every signature ends with its date
    cuts = [m.start("sig") for m in SIGNATURE_TAIL.finditer(line)] if dated else []
    closings = CLOSING_WORDS.finditer(line) if CLOSING_HELD.search(line) else ()
    return cuts + [m.start() + len(m.group()) - len(m.group().lstrip()) for m in closings]


# ---------------------------------------------------------------- assembly

def logical_lines(raw: str) -> list[list[Line]]:
    """Physical lines without page furniture, grouped into the lines of the text as written
    (a hard-wrapped paragraph is one group)."""
    lines = physical_lines(raw)
    dropped = furniture(raw, lines)
    kept = [ln for i, ln in enumerate(lines) if i not in dropped]
    wrap = wrap_width(raw, kept)
    groups: list[list[Line]] = []
    for line in kept:
        if groups and (runs_on(raw, groups[-1][-1], line, wrap) or takes_value(raw, groups[-1], line)):
            groups[-1].append(line)
        else:
            groups.append([line])
    return groups


FIELD_VALUE_MAX = 80


def takes_value(raw: str, group: list[Line], line: Line) -> bool:
    """A field's label alone on its line (名称：) takes the next line, when short, as its value."""
    if len(group) != 1 or line.end - line.start > FIELD_VALUE_MAX:
        return False
    m = FIELD_LABEL.fullmatch(raw, group[0].start, group[0].end)
    return m is not None and LABEL_VALUE.get(compact(m["label"])) != "count" and not starts_unit(
        raw[line.start: line.start + 12])


def joined(raw: str, group: list[Line]) -> Reading:
    """One logical line: the group's lines side by side (a space only between two Latin letters)."""
    out = Reading(raw)
    for line in group:
        tail = out.last()
        if tail.isascii() and tail.isalpha() and raw[line.start].isascii() and raw[line.start].isalpha():
            out.add(" ")
        out.copy(line.start, line.end)
    return out


def read(raw: str) -> Reading:
    """The reading of a stored text: see the module's docstring."""
    reading, chains = Reading(raw), Chains()
    for group in logical_lines(raw):
        line = joined(raw, group)
        found = [*field_cuts(line.text), *marker_cuts(line.text, chains), *closing_cuts(line.text),
                 *paragraph_cuts(line.text), *table_cuts(line.text), *furniture_cuts(line.text)]
        found += opening_cuts(line.text, [0, *found])
        cuts = sorted({c for c in found if 0 < c < len(line.text)})
        bounds = [0, *cuts, len(line.text)]
        for a, b in itertools.pairwise(bounds):
            piece = line.text[a:b]
            lead, trail = len(piece) - len(piece.lstrip()), len(piece) - len(piece.rstrip())
            if b - trail > a + lead and not is_page_number(piece):
                append(reading, line, a + lead, b - trail)
    return reading


def append(reading: Reading, line: Reading, start: int, end: int) -> None:
    """Copy line.text[start:end] into the reading as a line of its own, keeping the map."""
    if len(reading):
        reading.add("\n")
    pos = start
    while pos < end:
        i = bisect_right(line.starts, pos) - 1
        if i >= 0 and pos < line.starts[i] + line.lengths[i]:
            stop = min(end, line.starts[i] + line.lengths[i])
            source = line.sources[i] + pos - line.starts[i]
            reading.copy(source, source + stop - pos)
        else:
            stop = pos + 1
            reading.add(line.text[pos])
        pos = stop
