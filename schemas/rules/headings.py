"""Heading and list markers, one copy for every reader: 第一部分, 一、, （一）, 1. / 1、, (1), ①.

A marker's style says its usual level (a part above 一、 above （一） above 1. …); its value is its
number (一 → 1, 十二 → 12, ③ → 3), read by the shared numeral reader. `heading_match` reads the
numbering of a heading line (第一部分, 一、, (一), 1.) and `heading_title` the words after it.
"""

import re
from dataclasses import dataclass

from fazhi.schemas.numerals import chinese_int

CN = "一二三四五六七八九十"
CIRCLED = "①②③④⑤⑥⑦⑧⑨⑩⑪⑫⑬⑭⑮⑯⑰⑱⑲⑳"
STYLES = ("part", "cn", "paren", "num", "paren_num", "circled")
NUMERALS = {"cn": f"[{CN}]{{1,3}}", "num": r"\d{1,2}", "circled": f"[{CIRCLED}]"}
POINT = r"(?:、|[.．](?![\d０-９]))"  # 一、 or 1. (not the point of 1.5)
SHAPES = {  # each style's marker around its numeral {n}
    "part": ("cn", "第{n}(?:部分|章|篇)"),
    "cn": ("cn", r"{n}\s*" + POINT),
    "paren": ("cn", r"[(（]\s*{n}\s*[)）]"),
    "num": ("num", r"{n}\s*" + POINT),
    "paren_num": ("num", r"[(（]\s*{n}\s*[)）]"),
    "circled": ("circled", "{n}"),
    "shi": ("cn", "{n}是"),  # 一是, 二是 inside a paragraph
    "ordinal": ("cn", "第{n}[，,、：:]"),  # 第一，第二，
}


def marker(style: str, group: str | None = None, numeral: str | None = None) -> str:
    """The pattern of one marker style, its numeral captured as `group` (a part's whole marker as
    "part", its numeral as "part_n"); `numeral` replaces the style's usual numeral pattern."""
    kind, shape = SHAPES[style]
    n = numeral or NUMERALS[kind]
    if style == "part" and group == "part":
        return f"(?P<part>{shape.format(n=f'(?P<part_n>{n})')})"
    return shape.format(n=f"(?P<{group}>{n})" if group else n)


def markers(styles: tuple[str, ...]) -> str:
    """An alternation of the styles' markers, each numeral captured under its style's name."""
    return "|".join(marker(style, style) for style in styles)


MARKER_RE = re.compile(markers(STYLES))
HEADING_STYLES = ("part", "cn", "paren", "num")  # what numbers a heading line
HEAD_RE = re.compile(rf"[\s*#【\[]*(?:{markers(HEADING_STYLES)})[\s:：*]*")
TITLE_END = re.compile(r"[。！!？?：:]|\s")
ITEM_START = re.compile("|".join(marker(style) for style in ("paren", "cn", "num", "shi")))


@dataclass(frozen=True)
class Marker:
    style: str
    value: int
    start: int
    end: int


def numeral_value(numeral: str) -> int:
    """一 → 1, 十二 → 12, 7 → 7, ③ → 3; 0 when it is no number."""
    if numeral in CIRCLED:
        return CIRCLED.index(numeral) + 1
    if numeral.isascii() and numeral.isdigit():
        return int(numeral)
    return chinese_int(numeral)


def marker_of(m: re.Match[str]) -> Marker | None:
    """The marker a MARKER_RE match stands for; None for a number that cannot be one (0, 零)."""
    style = next((s for s in STYLES if m.group(s) is not None), None)
    if style is None:
        return None
    value = numeral_value(m.group("part_n") if style == "part" else m.group(style))
    return Marker(style, value, m.start(), m.end()) if value > 0 else None


def heading_match(s: str) -> re.Match[str] | None:
    """The numbering of a heading line (第一部分, 一、, (一), 1.), or None."""
    m = HEAD_RE.match(s)
    if m is None or not m.lastgroup or m.end() >= len(s):
        return None
    return m


def heading_title(s: str, m: re.Match[str]) -> str:
    rest = s[m.end(): m.end() + 80]
    end = TITLE_END.search(rest)
    return rest[: end.start()] if end else rest
