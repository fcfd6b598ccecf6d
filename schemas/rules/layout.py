"""Layout of a report: web boilerplate, title, opening, achievements, problems, plans, closing.

STUB: a first cut by top-level headings; to be replaced by the full structure rules.
"""

import re

from agent.genre import Part

PART_KINDS = ("header", "title", "opening", "achievements", "problems", "plans", "closing", "footer")
TOP_HEADING = re.compile(r"^\s*[一二三四五六七八九十]+、(?P<title>.*)$", re.M)
PROBLEM_WORDS = ("问题", "不足", "短板", "困难", "差距")
PLAN_WORDS = ("下一步", "打算", "计划", "思路", "举措", "安排")


def heading_kind(title: str) -> str:
    if any(w in title for w in PROBLEM_WORDS):
        return "problems"
    if any(w in title for w in PLAN_WORDS):
        return "plans"
    return "achievements"


def segment(text: str) -> list[Part]:
    """Parts covering the text in order; before the first heading is the opening."""
    headings = list(TOP_HEADING.finditer(text))
    if not headings:
        return [Part("opening", 0, min(len(text), 400)), Part("achievements", 0, len(text))]
    parts = [Part("opening", 0, headings[0].start())]
    bounds = [h.start() for h in headings] + [len(text)]
    for heading, end in zip(headings, bounds[1:]):
        parts.append(Part(heading_kind(heading["title"]), heading.start(), end))
    return parts
