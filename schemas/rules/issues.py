"""Issues without a model: the top-level items of the problems part, each quoted from the source.

Granularity follows domain.md: one issue per top-level item of the problems part ((一)(二)…, 一是/二是…
when there are no headings, or the clauses of one sentence separated by ；). The evidence is the item's
heading or first sentence, cut at its first comma when very long, and is always text[start:end].
"""

import re

from fazhi.agent.genre import Part
from fazhi.schemas.enums import Category
from fazhi.schemas.report import Issue
from fazhi.schemas.rules.categories import classify_layers
from fazhi.schemas.rules.items import Item, part_items

SENTENCE_END = re.compile(r"[。；;！!？?]")
WRAPPED_LINE = 30  # a line at least this long that stops mid-sentence was wrapped, not a heading
CLAUSE_END = re.compile(r"[，,：:]")
TRIM = " \t\u3000，,、：:。；;！!？?*"
LONG_EVIDENCE = 60
SHORT_SUMMARY = 30
MIN_EVIDENCE = 4
CATEGORY_WINDOW = 300
CATEGORY_WEIGHTS = (3.0, 1.0)  # the heading's words first, then the item's first lines


def evidence_span(text: str, item: Item) -> tuple[int, int]:
    """[start, end) of the item's heading or first sentence; its first clause when that sentence is long."""
    start, end = item.body, item.end
    while start < end and text[start] in TRIM:
        start += 1
    stop = SENTENCE_END.search(text, start, end)
    end = stop.start() if stop else end
    end = heading_line_end(text, start, end)
    if end - start > LONG_EVIDENCE:
        comma = CLAUSE_END.search(text, start + MIN_EVIDENCE * 2, end)
        end = comma.start() if comma else start + LONG_EVIDENCE
    while end > start and text[end - 1] in TRIM:
        end -= 1
    return start, end


def heading_line_end(text: str, start: int, end: int) -> int:
    """The end of the item's line when that line is a heading of its own (no wrapped sentence)."""
    newline = text.find("\n", start, end)
    if newline < 0:
        return end
    line_start = text.rfind("\n", 0, start) + 1
    line = text[line_start:newline].strip()
    if len(line) >= WRAPPED_LINE and line[-1] not in "。；;！!？?：:":
        return end
    return newline


def summary_of(evidence: str) -> str:
    """The evidence itself when short, else its first clause (line breaks dropped)."""
    evidence = re.sub(r"\s*\n\s*", "", evidence)
    if len(evidence) <= SHORT_SUMMARY:
        return evidence
    clause = CLAUSE_END.split(evidence, maxsplit=1)[0]
    return clause if len(clause) >= MIN_EVIDENCE * 2 else evidence[:SHORT_SUMMARY]


def issue_of(text: str, item: Item) -> Issue | None:
    start, end = evidence_span(text, item)
    if end - start < MIN_EVIDENCE:
        return None
    evidence = text[start:end]
    window = text[start: min(item.end, start + CATEGORY_WINDOW)]
    category = classify_layers([evidence, window], CATEGORY_WEIGHTS, Category.other)
    return Issue(summary=summary_of(evidence), category=category, evidence=evidence, start=start, end=end)


def extract_issues(text: str, parts: list[Part]) -> list[Issue]:
    """One issue per top-level item of each problems part; none without a problems part."""
    issues: list[Issue] = []
    for part in parts:
        if part.kind != "problems":
            continue
        for item in part_items(text, part):
            issue = issue_of(text, item)
            if issue is not None:
                issues.append(issue)
    return issues
