"""The offline backend: deterministic rules, no model, pure Python.

`extract_offline` segments the text once and runs the metric, issue and metadata rules over the parts.
On a text longer than any report (over METRIC_WINDOW characters) the metric rules run window by window,
cut at line (or sentence) ends, so that the time stays linear whatever they do within a window.
It never raises: a rule that fails on some input (it should not) leaves its field empty rather than
losing the others, and the failure is logged.

`trace_offline` runs the same rules and says what became of every number with a unit they found: kept
as a metric (and in which part), excluded by a named rule of `metrics.py` (code, hotline, ordinal_or_rank,
list_or_routine, range, descriptor, comparison, chinese_words, target, quoted), not read (it lies in a
part the metric rules skip: header, title, plans, closing, footer), or left out as a congress survey's
own figures. Its offsets index the stored text, like the extraction's.
"""

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from fazhi.agent.genre import Layout, Part
from fazhi.schemas.enums import DocType
from fazhi.schemas.report import Issue, Metric, ReportExtraction, ReportMeta
from fazhi.schemas.rules.issues import extract_issues
from fazhi.schemas.rules.layouts import layout_of
from fazhi.schemas.rules.meta import extract_meta
from fazhi.schemas.rules.metrics import Candidate, extract_metrics
from fazhi.schemas.rules.parts import segment
from fazhi.schemas.rules.reading import Reading, read

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


def windowed_metrics(text: str, parts: list[Part], report_year: int,
                     trace: list[Candidate] | None = None) -> list[Metric]:
    """extract_metrics, run window by window on a very long text so that time stays linear in it."""
    if len(text) <= METRIC_WINDOW:
        return extract_metrics(text, parts, report_year, trace)
    found: list[Metric] = []
    for start, end in windows(text):
        window_parts = clip(parts, start, end)
        window_trace: list[Candidate] | None = [] if trace is not None else None
        if window_parts:
            found += [shifted(m, start) for m in extract_metrics(text[start:end], window_parts, report_year,
                                                                  window_trace)]
        if trace is not None and window_trace:
            trace += [moved(c, start) for c in window_trace]
    return found


def moved(c: Candidate, offset: int) -> Candidate:
    evidence = (c.evidence[0] + offset, c.evidence[1] + offset) if c.evidence else None
    return Candidate(c.start + offset, c.end + offset, c.value, c.unit, c.part, c.rule, c.reason, evidence)


def survey_opening_end(parts: list[Part], meta: ReportMeta) -> int:
    """Where a congress survey's body begins (0 for any other report): its opening tells how the survey
    was done (分三个调研小组, 召开座谈会8场), and those are the congress's figures, not the surveyed
    government's."""
    if meta.doc_type != DocType.congress_survey:
        return 0
    return min((p.start for p in parts if p.kind in ("achievements", "problems")), default=0)


def own_figures(metrics: list[Metric], parts: list[Part], meta: ReportMeta) -> list[Metric]:
    """The metrics without a congress survey's own figures (see `survey_opening_end`)."""
    body = survey_opening_end(parts, meta)
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
    return layout_of(reading, safe_segment(reading.text))


def stored(item: T, reading: Reading) -> T:
    """An item found in the reading, with its offsets and evidence in the stored text."""
    start, end = reading.raw_span(item.start, item.end)  # type: ignore[attr-defined]
    return item.model_copy(update={"start": start, "end": end, "evidence": reading.raw[start:end]})  # type: ignore


@dataclass(frozen=True)
class Run:
    """One run of the rules: the extraction, and what it was read from."""

    result: ReportExtraction
    reading: Reading
    parts: list[Part]


def run_rules(raw: str, trace: list[Candidate] | None = None) -> Run:
    """Metadata, metrics and issues of one report, read by rules from its reading; with `trace`, every
    number with a unit the metric rules found is recorded there (offsets in the reading)."""
    raw = raw if isinstance(raw, str) else str(raw)
    reading = safe_read(raw)
    text = reading.text
    parts = safe_segment(text)
    meta = guarded(extract_meta, text, parts, lambda: ReportMeta())
    metrics: list[Metric] = guarded(windowed_metrics, text, parts, list, meta.report_year or 0, trace)
    issues: list[Issue] = guarded(extract_issues, text, parts, list)
    result = ReportExtraction(meta=meta, metrics=[stored(m, reading) for m in own_figures(metrics, parts, meta)],
                              issues=[stored(i, reading) for i in issues])
    return Run(result, reading, parts)


def extract_offline(raw: str) -> ReportExtraction:
    """Metadata, metrics and issues of one report, read by rules from its reading."""
    return run_rules(raw).result


# ---------------------------------------------------------------- the trace


@dataclass(frozen=True)
class TraceEntry:
    """What the offline rules did with one number with a unit; offsets index the stored text.

    `rule`: "kept" (it is a metric; `evidence_start`/`evidence_end` give its evidence), the exclusion rule
    that dropped it (code, hotline, ordinal_or_rank, list_or_routine, range, descriptor, comparison,
    chinese_words, target, quoted; `reason` says more: rank, streak, list …), "not_read" (it lies in a part
    the metric rules do not read) or "own_figures" (a congress survey's opening). `part`: the kind of
    part it lies in (plans for the plans that close a problems section)."""

    start: int
    end: int
    value: float
    unit: str
    part: str
    rule: str
    reason: str | None = None
    evidence_start: int | None = None
    evidence_end: int | None = None

    @property
    def label(self) -> str:
        """kept: achievements, not read: plans, ordinal_or_rank: rank, target …"""
        if self.rule in ("kept", "not_read"):
            return f"{self.rule.replace('_', ' ')}: {self.part or 'no part'}"
        return f"{self.rule}: {self.reason}" if self.reason and self.reason != self.rule else self.rule


def trace_offline(raw: str) -> list[TraceEntry]:
    """What became of every number with a unit that the offline metric rules found in the report, in
    text order (see `TraceEntry`)."""
    trace: list[Candidate] = []
    run = run_rules(raw, trace)
    body = survey_opening_end(run.parts, run.result.meta)
    return [traced(c, run.reading, body) for c in trace]


def traced(c: Candidate, reading: Reading, body: int) -> TraceEntry:
    """A candidate in the reading as a trace entry in the stored text."""
    start, end = reading.raw_span(c.start, c.end)
    rule = "own_figures" if c.rule == "kept" and c.evidence and c.evidence[0] < body else c.rule
    if c.evidence is None:
        return TraceEntry(start, end, c.value, c.unit, c.part, rule, c.reason)
    evidence = reading.raw_span(*c.evidence)
    return TraceEntry(start, end, c.value, c.unit, c.part, rule, c.reason, *evidence)
