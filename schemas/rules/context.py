"""What a reader of a piece of a report should know that the piece may not say: the report's region
and year, and the headings above the piece (so that a model reading one chunk can tell results from
plans, and an area from its heading)."""

import functools
from collections.abc import Callable

from fazhi.agent.genre import Part
from fazhi.schemas.rules.headings import MARKER_RE, STYLES, marker_of

TITLE_STOP = "。；;：:，,"
TITLE_MAX = 30


def headings(text: str) -> list[tuple[int, int, str]]:
    """(offset, level, title) of every line of the reading that opens with a heading marker."""
    found, pos = [], 0
    for line in text.split("\n"):
        m = MARKER_RE.match(line)
        marker = marker_of(m) if m else None
        if marker is not None and marker.style in STYLES[:4]:
            title = line[: TITLE_MAX]
            cut = min((title.find(c) for c in TITLE_STOP if c in title), default=len(title))
            found.append((pos, STYLES.index(marker.style), title[:cut]))
        pos += len(line) + 1
    return found


def describer(text: str, parts: list[Part]) -> Callable[[int], str]:
    """A function from an offset of the reading to a line of context for what starts there. What it needs
    (the report's region and year, its headings) is read at its first call: a report sent whole needs none."""

    @functools.cache
    def known() -> tuple[str, list[tuple[int, int, str]]]:
        from fazhi.schemas.rules.meta import extract_meta  # the metadata rules load when a chunk needs them

        meta = extract_meta(text, parts)
        place = "".join(x for x in (meta.region, f"{meta.report_year}年度" if meta.report_year else "") if x)
        return place, headings(text)

    def describe(pos: int) -> str:
        place, found = known()
        path: dict[int, str] = {}
        for at, level, title in found:
            if at > pos:
                break
            path = {k: v for k, v in path.items() if k < level} | {level: title}
        trail = " > ".join(path[k] for k in sorted(path))
        return "；".join(x for x in (f"报告：{place}" if place else "", f"所在标题：{trail}" if trail else "") if x)

    return describe
