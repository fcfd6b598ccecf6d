"""The offline backend: deterministic rules, no model, pure Python.

`extract_offline` segments the text once and runs the metric, issue and metadata rules over the parts.
On a text longer than any report (over METRIC_WINDOW characters) the metric rules run window by window,
cut at line (or sentence) ends, so that the time stays linear whatever they do within a window.
It never raises: a rule that fails on some input (it should not) leaves its field empty rather than
losing the others, and the failure is logged.
"""

import logging
from collections.abc import Callable
from typing import TypeVar

from agent.genre import Layout, Part
from schemas.enums import DocType
from schemas.report import Metric, ReportExtraction, ReportMeta
from schemas.rules.issues import extract_issues
from schemas.rules.meta import extract_meta
from schemas.rules.metrics import extract_metrics
from schemas.rules.parts import segment
from schemas.rules.reading import Reading, read

log = logging.getLogger(__name__)
METRIC_WINDOW = 200_000  # characters; reports are far shorter, only huge inputs are cut
T = TypeVar("T")


def guarded(rule: Callable[..., T], text: str, parts: list[Part], empty: Callable[[], T], *extra: object) -> T:
    """The rule's answer (`rule(text, parts, *extra)`), or `empty()` if the rule fails."""
    try:
        return rule(text, parts, *extra)
    except Exception:  # one failing rule must not lose the whole extraction
        log.exception("offline rule %s failed on a %d-character text", rule.__name__, len(text))
        return empty()


def safe_segment(text: str) -> list[Part]:
    try:
        return segment(text)
    except Exception:  # a layout failure must not lose the extraction
        log.exception("segment failed on a %d-character text", len(text))
        return [Part("achievements", 0, len(text))] if text else []


def windows(text: str, size: int = METRIC_WINDOW) -> list[tuple[int, int]]:
    """[start, end) stretches of about `size` characters (at most twice that), cut after a line's or,
    failing that, a sentence's end."""
    bounds, start = [], 0
    while start < len(text):
        end = cut_after(text, start + size, start + 2 * size)
        bounds.append((start, end))
        start = end
    return bounds


def cut_after(text: str, low: int, high: int) -> int:
    if high >= len(text):
        return len(text)
    for mark in ("\n", "。"):
        found = text.find(mark, low, high)
        if found >= 0:
            return found + 1
    return high


def clip(parts: list[Part], start: int, end: int) -> list[Part]:
    """The parts' pieces inside [start, end), shifted to offsets into text[start:end]."""
    out = []
    for p in parts:
        a, b = max(p.start, start), min(p.end, end)
        if a < b:
            out.append(Part(p.kind, a - start, b - start))
    return out


def shifted(metric: Metric, offset: int) -> Metric:
    start = None if metric.start is None else metric.start + offset
    end = None if metric.end is None else metric.end + offset
    return metric.model_copy(update={"start": start, "end": end})


def windowed_metrics(text: str, parts: list[Part], report_year: int) -> list[Metric]:
    """extract_metrics, run window by window on a very long text so that time stays linear in it."""
    if len(text) <= METRIC_WINDOW:
        return extract_metrics(text, parts, report_year)
    found: list[Metric] = []
    for start, end in windows(text):
        window_parts = clip(parts, start, end)
        if window_parts:
            found += [shifted(m, start) for m in extract_metrics(text[start:end], window_parts, report_year)]
    return found


def own_figures(metrics: list[Metric], parts: list[Part], meta: ReportMeta) -> list[Metric]:
    """A congress survey's opening tells how the survey was done (分三个调研小组, 召开座谈会8场):
    those are the congress's figures, not the surveyed government's."""
    if meta.doc_type != DocType.congress_survey:
        return metrics
    body = min((p.start for p in parts if p.kind in ("achievements", "problems")), default=0)
    return [m for m in metrics if m.start is None or m.start >= body]


def safe_read(raw: str) -> Reading:
    try:
        return read(raw)
    except Exception:  # a reading failure must not lose the extraction: read the text as it is
        log.exception("read failed on a %d-character text", len(raw))
        return Reading.verbatim(raw)


def read_layout(raw: str) -> Layout:
    """The report as read (see `reading`), its parts, and the map back to the stored text."""
    reading = safe_read(raw)
    return Layout(reading.text, safe_segment(reading.text), reading.raw_span)


def stored(item: T, reading: Reading) -> T:
    """An item found in the reading, with its offsets and evidence in the stored text."""
    start, end = reading.raw_span(item.start, item.end)  # type: ignore[attr-defined]
    return item.model_copy(update={"start": start, "end": end, "evidence": reading.raw[start:end]})  # type: ignore


def extract_offline(raw: str) -> ReportExtraction:
    """Metadata, metrics and issues of one report, read by rules from its reading."""
    raw = raw if isinstance(raw, str) else str(raw)
    reading = safe_read(raw)
    text = reading.text
    parts = safe_segment(text)
    meta = guarded(extract_meta, text, parts, ReportMeta)
    metrics = own_figures(guarded(windowed_metrics, text, parts, list, meta.report_year or 0), parts, meta)
    issues = guarded(extract_issues, text, parts, list)
    return ReportExtraction(meta=meta, metrics=[stored(m, reading) for m in metrics],
                            issues=[stored(i, reading) for i in issues])
