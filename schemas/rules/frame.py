"""The page frame of a report, line by line: web boilerplate, navigation, the title, the signature and date.

`layout_lines` cuts a text into its non-blank lines (a very long line, text that lost its line breaks,
is cut before the headings that follow a sentence's end). Each line is then told by its kind:
boilerplate (site banners, 索引号/发布日期 blocks, breadcrumbs, 返回顶部, reposting notices, site footers,
page numbers), navigation, a title, prose, a signature, a date. `front` finds where the body starts and
the title before it; `tail` the closing (signature and date) and the footer after it. Every pattern is
bounded, so all of this runs in linear time.
"""

import itertools
import re
from dataclasses import dataclass

from fazhi.agent.genre import Part
from fazhi.schemas.rules.headings import heading_match, markers
from fazhi.schemas.rules.lexicon import alt, words

LINE_RE = re.compile(r"[^\n\r\u2028\u2029]+")
SPACE_RE = re.compile(r"\s+")
SENTENCE_PUNCT = "。，,；;！!？?"
LONG_LINE = 1500
CJK_RE = re.compile(r"[\u3400-\u9fff]")
MIN_CJK_SHARE = 0.3
FLAT_BREAK = re.compile(  # a section heading after a sentence's end, in a line that lost its line breaks
    rf"(?<=[。！？!?\s])[ \t\u3000]*(?={markers(('part', 'cn', 'paren'))})"
)
STRONG_BOILER = re.compile(
    rf"{alt(words('frame.boiler_strong'))}|(?:{alt(words('frame.boiler_strong_labels'))})[:：]", re.I)
WEAK_BOILER = re.compile(rf"{alt(words('frame.boiler_weak'))}|(?:{alt(words('frame.boiler_weak_labels'))})[:：]", re.I)
TITLE_WORDS = re.compile(rf"{alt(words('frame.title_words'))}|(?:法治|依法).{{0,8}}建设")
DATE_LINE = re.compile(
    r"[(（]?(?:\d{4}年\d{1,2}月\d{1,2}日|[〇○零一二三四五六七八九]{4}年[一二三四五六七八九十]{1,3}月"
    r"[一二三四五六七八九十]{1,3}日|\d{4}[-/.]\d{1,2}[-/.]\d{1,2})[)）]?"
)
ORG_SUFFIX = rf"(?:{alt(words('orgs.signature'))})"
SIGNATURE = re.compile(rf"[^\d。，,；;：:！!？?]{{2,30}}?{ORG_SUFFIX}(?:[(（][^)）]{{0,10}}[)）])?")
PUBLICITY_NOTE = re.compile(rf"[(（](?:{alt(words('frame.publicity_notes'))})[^)）]{{0,12}}[)）]")  # （此件公开发布）
CLOSING_PHRASE = re.compile(
    rf"(?:{alt(words('frame.closing_phrases'))})[。.]?|以上报告[，,]?请(?:予)?审议[。.]?|{PUBLICITY_NOTE.pattern}"
)
PAGE_NUMBER = re.compile(r"[-—－–]*(?:第)?\d{1,3}(?:页)?(?:/(?:共)?\d{1,3}页?)?[-—－–]*|[-—－–]+\d{1,3}[-—－–]+")
NOT_TITLE = words("frame.not_title")
TITLE_ENDINGS = words("frame.title_endings")
LINK_TAIL = re.compile(r"(?:\d{4}[-/.])?\d{1,2}[-/.]\d{1,2}[)\]）】]?$")


@dataclass(frozen=True)
class Line:
    """A non-blank line: [start, end) without its surrounding whitespace, and that text."""

    start: int
    end: int
    text: str


def split_lines(text: str, start: int = 0, end: int | None = None) -> list[Line]:
    """The non-blank lines of text[start:end], stripped, with their offsets."""
    lines = []
    for m in LINE_RE.finditer(text, start, len(text) if end is None else end):
        raw = m.group()
        stripped = raw.strip()
        if stripped:
            begin = m.start() + len(raw) - len(raw.lstrip())
            lines.append(Line(begin, begin + len(stripped), stripped))
    return lines


def layout_lines(text: str) -> list[Line]:
    """Lines, with very long lines (text that lost its line breaks) cut before headings that follow
    a sentence's end (…成效。二、存在的问题 …)."""
    out: list[Line] = []
    for line in split_lines(text):
        if line.end - line.start <= LONG_LINE:
            out.append(line)
            continue
        cuts = [m.start() for m in FLAT_BREAK.finditer(text, line.start, line.end)]
        for a, b in itertools.pairwise([line.start, *cuts, line.end]):
            out.extend(split_lines(text, a, b))
    return out


def compact(s: str) -> str:
    return SPACE_RE.sub("", s)


# ---------------------------------------------------------------- line kinds

def is_boiler(s: str) -> bool:
    """Web boilerplate: a site banner, a metadata block, a breadcrumb, a site footer line, a page number."""
    c = compact(s)
    if len(c) > 300 or ("。" in c and len(c) > 60):
        return False
    if PAGE_NUMBER.fullmatch(c):
        return True
    if STRONG_BOILER.search(c):
        return True
    return len(c) <= 40 and not is_title_like(s) and bool(WEAK_BOILER.search(c))


def is_nav(s: str) -> bool:
    """A navigation entry, a menu line, or a link with its date."""
    c = compact(s)
    if any(p in c for p in SENTENCE_PUNCT) or is_date(c) or is_signature(c):
        return False
    if len(c) <= 12 or c[0] in "·•●◆■▪>»":
        return True
    tokens = [t for t in re.split(r"[\s|｜·•>»/]+", s) if t]
    return (len(tokens) >= 3 and max(map(len, tokens)) <= 10) or bool(LINK_TAIL.search(c))


def is_date(c: str) -> bool:
    return len(c) <= 24 and DATE_LINE.fullmatch(c) is not None


def is_signature(c: str) -> bool:
    """A signing body (广州市从化区人民政府), possibly followed by the date."""
    if len(c) > 44:
        return False
    m = DATE_LINE.search(c)
    name = c[: m.start()] if m and m.end() == len(c) else c
    return bool(name) and SIGNATURE.fullmatch(name) is not None


def is_title_like(s: str) -> bool:
    c = compact(s)
    if not 6 <= len(c) <= 80 or c[-1] in "。；;，,：:" or heading_match(s) is not None:
        return False
    if any(mark in c for mark in NOT_TITLE):
        return False
    return TITLE_WORDS.search(c) is not None and not STRONG_BOILER.search(c)


def is_prose(s: str) -> bool:
    """Running Chinese text: long, or with sentence punctuation, and mostly Chinese characters."""
    c = compact(s)
    if not (len(c) > 60 or (len(c) >= 20 and any(p in c for p in SENTENCE_PUNCT))):
        return False
    return chinese(c[:400], MIN_CJK_SHARE)


def chinese(s: str, share: float) -> bool:
    """At least `share` of the characters of `s` (non-empty) are Chinese."""
    return bool(s) and len(CJK_RE.findall(s)) >= share * len(s)


def starts_body(line: Line) -> bool:
    """The first line of the report's body: prose, a heading, or a salutation (各位委员：)."""
    s = line.text
    if is_boiler(s):
        return False
    if is_prose(s):
        return True
    m = heading_match(s)
    if m is not None:
        return chinese(compact(s[m.end(): m.end() + 12]), 0.5)
    c = compact(s)
    return c[-1] in "：:" and len(c) <= 30 and chinese(c, 0.5)


def is_closing_line(s: str) -> bool:
    c = compact(s)
    return is_date(c) or is_signature(c) or CLOSING_PHRASE.fullmatch(c) is not None


# ---------------------------------------------------------------- the frame: header, title, closing, footer

def front(lines: list[Line]) -> tuple[int, tuple[int, int] | None]:
    """Index of the first body line, and the line range of the title within the lines before it."""
    body = next((i for i, line in enumerate(lines) if starts_body(line)), len(lines))
    if body == len(lines):
        return body, None
    titles = [i for i in range(body) if is_title_like(lines[i].text)]
    if not titles:
        return body, None
    first = last = titles[-1]
    if first > 0 and joins_title(lines[first - 1], lines[first]):
        first -= 1
    if last + 1 < body and continues_title(lines[last], lines[last + 1]):
        last += 1
    return body, (first, last)


def joins_title(before: Line, title: Line) -> bool:
    """东阳市人民政府 / 关于2022年度…的报告: an issuing body on the line above a title starting with 关于."""
    c = compact(before.text)
    return compact(title.text).startswith("关于") and is_signature(c) and not is_boiler(before.text)


def continues_title(title: Line, after: Line) -> bool:
    c = compact(after.text)
    return (
        not compact(title.text).endswith(TITLE_ENDINGS)
        and len(c) <= 30
        and c.endswith(TITLE_ENDINGS)
        and not is_boiler(after.text)
    )


def tail(lines: list[Line], body: int) -> tuple[int, int]:
    """Indices of the first closing line and the first footer line (len(lines) when absent)."""
    footer = len(lines)
    i = len(lines) - 1
    while i >= body and (is_boiler(lines[i].text) or is_nav(lines[i].text)):
        if is_boiler(lines[i].text):
            footer = i
        i -= 1
    closing, signed = footer, False
    while closing - 1 >= body and footer - closing < 4 and is_closing_line(lines[closing - 1].text):
        closing -= 1
        c = compact(lines[closing].text)
        signed = signed or is_date(c) or is_signature(c)
    return (closing if signed else footer), footer


def frame_head(lines: list[Line], body: int, title: tuple[int, int] | None, body_start: int) -> list[Part]:
    if title is None:
        return [Part("header", 0, body_start)]
    first, last = lines[title[0]], lines[title[1]]
    return [Part("header", 0, first.start), Part("title", first.start, last.end), Part("header", last.end, body_start)]
