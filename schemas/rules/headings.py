"""Heading and list markers, one copy for every reader: 第一部分, 一、, （一）, 1. / 1、, (1), ①.

A marker's style says its usual level (a part above 一、 above （一） above 1. …); its value is its
number (一 → 1, 十二 → 12, ③ → 3), read by the shared numeral reader.
"""

import re
from dataclasses import dataclass

from schemas.numerals import parse_chinese_numeral

CN = "一二三四五六七八九十"
CIRCLED = "①②③④⑤⑥⑦⑧⑨⑩⑪⑫⑬⑭⑮⑯⑰⑱⑲⑳"
STYLES = ("part", "cn", "paren", "num", "paren_num", "circled")
MARKER_RE = re.compile(
    rf"(?P<part>第(?P<part_n>[{CN}]{{1,3}})(?:部分|章|篇))"
    rf"|(?P<cn>[{CN}]{{1,3}})\s*(?:、|[.．](?![\d０-９]))"
    rf"|[(（]\s*(?P<paren>[{CN}]{{1,3}})\s*[)）]"
    rf"|(?P<num>\d{{1,2}})\s*(?:、|[.．](?![\d０-９]))"
    rf"|[(（]\s*(?P<paren_num>\d{{1,2}})\s*[)）]"
    rf"|(?P<circled>[{CIRCLED}])"
)


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
    return int(parse_chinese_numeral(numeral) or 0)


def marker_of(m: re.Match[str]) -> Marker | None:
    """The marker a MARKER_RE match stands for; None for a number that cannot be one (0, 零)."""
    style = next((s for s in STYLES if m.group(s) is not None), None)
    if style is None:
        return None
    value = numeral_value(m.group("part_n") if style == "part" else m.group(style))
    return Marker(style, value, m.start(), m.end()) if value > 0 else None
