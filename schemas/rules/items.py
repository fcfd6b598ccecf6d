"""The listed items of a part: `part_items` lists its top-level items (一、, (一), 1., 一是, or clauses
separated by ；), below the part's own heading. Every pattern is bounded, so this runs in linear time.
"""

import itertools
import re
from dataclasses import dataclass

from fazhi.agent.genre import Part
from fazhi.schemas.rules.frame import Line, compact, split_lines
from fazhi.schemas.rules.headings import heading_match, heading_title, marker, numeral_value
from fazhi.schemas.rules.lexicon import alt, words
from fazhi.schemas.rules.parts import ENUMERATED_PROBLEMS, is_section_title, unnumbered_kind

ENUMERATION_MIN = 8  # a 、-separated part shorter than this is a list inside one problem
AFTER_BREAK = r"(?:^|(?<=[。；;：:！？!?\s]))[ \t\u3000]*"  # a marker opens a line, a sentence or a clause
SHI_BREAK = r"(?:^|(?<=[。；;：:！？!?，,\s]))[ \t\u3000]*"  # 一是 may follow a comma too
ITEM_STYLES = (  # (item style, marker style, what the marker follows), highest level first
    ("section", "cn", AFTER_BREAK), ("paren", "paren", AFTER_BREAK), ("arabic", "num", AFTER_BREAK),
    ("paren_num", "paren_num", AFTER_BREAK), ("circled", "circled", AFTER_BREAK), ("shi", "shi", SHI_BREAK),
    ("ordinal", "ordinal", AFTER_BREAK),
)
MARKERS = tuple((name, re.compile(f"(?m){brk}{marker(style, 'n')}")) for name, style, brk in ITEM_STYLES)
PARAGRAPH_END = "。！!？?：:；;…”」"
WRAP_MIN = 16  # a line shorter than this ends its paragraph (a heading, or a paragraph's last line)
LEAD_IN_WORDS = re.compile(  # 存在一些不足：… / 成效明显，但…
    rf"(?:{alt(words('problems.lead_in_verbs'))})着?(?:{alt(words('problems.lead_in_quantities'))})[^。]{{0,12}}"
    rf"(?:{alt(words('problems.lead_in_nouns'))})"
    rf"|(?:{alt(words('achievements.results'))})[^。]{{0,30}}(?:{alt(words('problems.lead_in_turns'))})"
)
LEAD_IN = re.compile(rf"[：:]|[，,]\s*(?:{alt(words('problems.item_leads'))})")

@dataclass(frozen=True)
class Item:
    """A top-level item of a part: the marker at `start`, its words from `body` to `end`."""

    start: int
    body: int
    end: int
    style: str


def content_start(text: str, part: Part) -> int:
    """Where the part's own words begin: after its heading line, if it opens with one."""
    lines = split_lines(text, part.start, min(part.end, part.start + 400))
    if not lines:
        return part.start
    first = lines[0]
    m = heading_match(first.text)
    if m is not None and m.lastgroup in ("part", "cn"):
        return first.start + m.end() + len(heading_title(first.text, m))
    return first.end if unnumbered_kind(first.text) else part.start


def part_items(text: str, part: Part) -> list[Item]:
    """The top-level items of a part, below its own heading. Items headed only 存在的问题 (beside,
    say, 原因分析) are headings, not issues: their own items are returned instead."""
    items = numbered_items(text, content_start(text, part), part.end)
    if not items or items[0].style in ("clause", "paragraph"):
        return items
    titled = [(item, item_title(text, item)) for item in items]
    if not any(is_section_title(title) for _, title in titled):
        return items
    return [sub for item, title in titled if is_section_title(title)
            for sub in numbered_items(text, item.body + len(title), item.end)]


def item_title(text: str, item: Item) -> str:
    head = text[item.body: min(item.end, item.body + 40)]
    return re.split(r"[。；;：:\n]", head, maxsplit=1)[0]


def numbered_items(text: str, start: int, end: int) -> list[Item]:
    """Top-level items of text[start:end]: the highest numbering style present, numbered from 1 in
    sequence; with no numbering, the paragraphs, or the clauses of one paragraph separated by ；."""
    for style, pattern in MARKERS:
        chain = marker_chain(text, start, end, pattern)
        if chain:
            bounds = [m.start() for m in chain[1:]] + [end]
            return [Item(m.start(), m.end(), stop, style) for m, stop in zip(chain, bounds, strict=True)]
    return unnumbered_items(text, start, end)


def marker_chain(text: str, start: int, end: int, pattern: re.Pattern[str]) -> list[re.Match[str]]:
    chain: list[re.Match[str]] = []
    for m in pattern.finditer(text, start, end):
        value = numeral_value(m["n"])
        if value == len(chain) + 1:
            chain.append(m)
        elif value == 1 and chain:
            break
    return chain



def unnumbered_items(text: str, start: int, end: int) -> list[Item]:
    """Paragraphs after a lead-in, or the ；-separated clauses of a single paragraph."""
    lines = paragraphs(text, start, end)
    if len(lines) > 1 and is_lead_in(lines[0].text):
        lines = lines[1:]
    if len(lines) > 1:
        return [Item(line.start, line.start, line.end, "paragraph") for line in lines]
    if not lines:
        return []
    return clause_items(text, lines[0])


def paragraphs(text: str, start: int, end: int) -> list[Line]:
    """Lines joined into paragraphs: a long line that does not end a sentence runs on into the next
    (hard-wrapped text, as extracted from PDF)."""
    out: list[Line] = []
    current: Line | None = None
    for line in split_lines(text, start, end):
        current = line if current is None else Line(current.start, line.end, text[current.start: line.end])
        if line.text[-1] in PARAGRAPH_END or len(compact(line.text)) < WRAP_MIN:
            out.append(current)
            current = None
    return out if current is None else [*out, current]


def is_lead_in(s: str) -> bool:
    """A paragraph announcing the problems (…但也存在一些不足：) rather than stating one."""
    c = compact(s)
    if c[-1] in "：:":
        return True
    return len(c) <= 150 and "；" not in c and LEAD_IN_WORDS.search(c) is not None


def enumerated_items(text: str, line: Line) -> list[Item] | None:
    """…存在A、B、C等问题: A, B, C when each is clause-long, else the whole list as one item."""
    found = ENUMERATED_PROBLEMS.search(text, line.start, line.end)
    if found is None or re.search(r"[；;]", text[line.start: line.end]):
        return None
    start, end = found.span("list" if found["list"] else "listed")
    cuts = [m.start() for m in re.finditer("、", text[start:end])]
    bounds = [start, *(start + c for c in cuts), end]
    parts = [(a + (1 if a > start else 0), b) for a, b in itertools.pairwise(bounds)]
    if all(b - a >= ENUMERATION_MIN for a, b in parts):
        return [Item(a, a, b, "clause") for a, b in parts]
    return [Item(start, start, end, "clause")]


def clause_items(text: str, line: Line) -> list[Item]:
    """The clauses of one paragraph separated by ；/;, the first without its lead-in."""
    enumerated = enumerated_items(text, line)
    if enumerated is not None:
        return enumerated
    items, pos = [], line.start
    for m in re.finditer(r"[；;]", text[line.start: line.end]):
        items.append(Item(pos, pos, line.start + m.start(), "clause"))
        pos = line.start + m.end()
    items.append(Item(pos, pos, line.end, "clause"))
    first = items[0]
    leads = [m.end() for m in LEAD_IN.finditer(text, first.start, first.end)]
    if leads and leads[-1] < first.end:
        items[0] = Item(first.start, leads[-1], first.end, "clause")
    return items
