"""A self-contained HTML page for one eval run: totals, then each fixture's source with its items highlighted.

Spans from the scorer index the normalised source (NFKC, whitespace removed); they are mapped back to
raw character offsets with `SourceIndex.raw_to_norm`, and the source is cut at every highlight boundary so
that overlapping gold and predicted spans render as one run of segments, each listing every item on it.
No JavaScript and no external assets: collapsible parts are <details>, tooltips are title attributes.
"""

from __future__ import annotations

import html
from bisect import bisect_left, bisect_right
from collections.abc import Iterable
from dataclasses import dataclass
from itertools import pairwise
from typing import Any

from fazhi.evals.scoring import (
    FixtureScore,
    Outcome,
    SourceIndex,
    Span,
    fields_equal,
    issue_report,
    meta_report,
    metric_report,
)

KINDS: tuple[str, ...] = ("matched", "missed", "spurious", "ungrounded")
COLOURS: dict[str, str] = {"matched": "#a8e0b6", "missed": "#ffc27a", "spurious": "#c9b6ff", "ungrounded": "#ff9a9a"}
LEGEND: dict[str, str] = {
    "matched": "matched (gold and prediction agree)",
    "missed": "missed (gold not found)",
    "spurious": "spurious (predicted, no gold match)",
    "ungrounded": "ungrounded (evidence not at its start offset; shown where the text occurs, if anywhere)",
}
RUN_KEYS: tuple[str, ...] = ("eval_id", "backend", "model", "prompt_version")
SUMMARY_KEYS: frozenset[str] = frozenset({"fixture_count", "missing_predictions", "metrics", "issues", "meta",
                                          "fixtures"})


@dataclass(frozen=True)
class Mark:
    """One highlight over raw characters [start, end) of the source."""

    start: int
    end: int
    kind: str
    tip: str
    anchor: str


# ---------------------------------------------------------------- small helpers

def esc(x: Any) -> str:
    return html.escape("" if x is None else str(x), quote=True)


def pct(x: float | None) -> str:
    return "—" if x is None else f"{100 * x:.1f}%"


def tag(name: str, body: str, cls: str = "", **attrs: Any) -> str:
    """An element; `body` is already HTML, attribute values are escaped."""
    pairs = ([("class", cls)] if cls else []) + [(k.rstrip("_"), v) for k, v in attrs.items() if v is not None]
    attr = "".join(f' {k}="{esc(v)}"' for k, v in pairs)
    return f"<{name}{attr}>{body}</{name}>"


def table(head: Iterable[str], rows: Iterable[Iterable[str]], cls: str = "") -> str:
    """A table whose header cells are plain text and whose row cells are already HTML."""
    thead = tag("tr", "".join(tag("th", esc(h)) for h in head))
    tbody = "".join(tag("tr", "".join(tag("td", c) for c in row)) for row in rows)
    return tag("table", tag("thead", thead) + tag("tbody", tbody), cls)


def kv_table(rows: Iterable[tuple[str, str]]) -> str:
    return tag("table", "".join(tag("tr", tag("th", esc(k)) + tag("td", v)) for k, v in rows), "kv")


# ---------------------------------------------------------------- describing items

def describe(kind: str, item: dict | None) -> str:
    """One line for a metric (name = value unit [qualifier, category, canonical]) or an issue."""
    if not item:
        return "—"
    if kind == "metric":
        labels = [item.get(k) for k in ("qualifier", "category", "canonical")]
        tail = ", ".join(str(x) for x in labels if x not in (None, ""))
        return f"{item.get('name') or '?'} = {item.get('value')} {item.get('unit') or ''}".rstrip() + f" [{tail}]"
    return f"{item.get('summary') or '?'} [{item.get('category') or ''}]"


def tip_for(o: Outcome) -> str:
    """The tooltip of an outcome's highlight."""
    head = f"{o.outcome.upper()} {o.kind}"
    lines = [head + (" (gold evidence not in source)" if o.note == "gold_ungrounded" else "")]
    if o.gold is not None:
        lines.append("gold: " + describe(o.kind, o.gold))
    if o.pred is not None:
        lines.append("pred: " + describe(o.kind, o.pred))
    if o.outcome == "ungrounded":
        lines.append(f"evidence not found at start={(o.pred or {}).get('start')}")
    return "\n".join(lines)


def differences(o: Outcome) -> list[str]:
    """Labels on which a matched pair disagrees."""
    keys = ("category", "qualifier", "canonical", "name") if o.kind == "metric" else ("category", "summary")
    g, p = o.gold or {}, o.pred or {}
    return [k for k in keys if not fields_equal(g.get(k), p.get(k))]


# ---------------------------------------------------------------- spans and highlights

def raw_span(index: SourceIndex, span: Span) -> tuple[int, int]:
    """Raw offsets [start, end) covering the normalised span (whitespace around it excluded)."""
    r2n, raw = index.raw_to_norm, index.raw
    start = max(0, bisect_right(r2n, span[0], 0, len(raw)) - 1)
    while start > 0 and r2n[start - 1] == r2n[start] and not raw[start - 1].isspace():
        start -= 1  # a base character whose combining mark starts the same segment
    end = bisect_left(r2n, span[1], start, len(raw) + 1)
    return start, max(end, start + 1)


def outcome_spans(o: Outcome, index: SourceIndex) -> list[Span]:
    if o.outcome == "ungrounded":  # evidence not at its start: show its first occurrence, if any
        found = index.locate((o.pred or {}).get("evidence"), None)
        return [found] if found else []
    return sorted({s for s in (o.gold_span, o.pred_span) if s is not None})


def build_marks(index: SourceIndex, outcomes: list[Outcome], prefix: str) -> list[Mark]:
    marks: list[Mark] = []
    for k, o in enumerate(outcomes):
        for span in outcome_spans(o, index):
            marks.append(Mark(*raw_span(index, span), o.outcome, tip_for(o), f"{prefix}-{k}"))
    return marks


def segment(text: str, active: list[Mark], starts: bool) -> str:
    """A run of source text under zero or more highlights; `starts` marks the first character of an item."""
    if not active:
        return esc(text)
    kinds = [k for k in KINDS if any(m.kind == k for m in active)]
    tips = "\n\n".join(dict.fromkeys(m.tip for m in active))
    style = None
    if len(kinds) > 1:  # horizontal bands, one per kind
        step = 100 / len(kinds)
        bands = ", ".join(f"{COLOURS[k]} {i * step:.0f}% {(i + 1) * step:.0f}%" for i, k in enumerate(kinds))
        style = f"background: linear-gradient(to bottom, {bands})"
    cls = "hl " + " ".join(kinds) + (" stacked" if len(active) > 1 else "") + (" start" if starts else "")
    return tag("span", esc(text), cls, title=tips, style=style)


def render_source(raw: str, marks: list[Mark]) -> str:
    """The source cut at every highlight boundary; each item's anchor sits where its first span starts."""
    cuts = sorted({0, len(raw), *(m.start for m in marks), *(m.end for m in marks)})
    first: dict[str, int] = {}
    for m in marks:
        first[m.anchor] = min(m.start, first.get(m.anchor, m.start))
    anchors: dict[int, list[str]] = {}
    for anchor, pos in first.items():
        anchors.setdefault(pos, []).append(anchor)
    out: list[str] = []
    for a, b in pairwise(cuts):
        out += [f'<a class="anchor" id="{esc(i)}"></a>' for i in anchors.get(a, [])]
        active = [m for m in marks if m.start <= a and b <= m.end]
        out.append(segment(raw[a:b], active, any(m.start == a for m in active)))
    return "".join(out)


# ---------------------------------------------------------------- scores

def metric_rows(r: dict) -> list[tuple[str, str]]:
    return [
        *base_rows(r),
        ("category accuracy", pct(r.get("category_accuracy"))),
        ("canonical accuracy", f"{pct(r.get('canonical_accuracy'))} of {r.get('canonical_pairs', 0)} pairs"),
        ("qualifier accuracy", pct(r.get("qualifier_accuracy"))),
        ("name similarity", pct(r.get("name_similarity"))),
    ]


def base_rows(r: dict) -> list[tuple[str, str]]:
    rows = [("precision", pct(r["precision"])), ("recall", pct(r["recall"])), ("F1", pct(r["f1"])),
            ("matched / predicted / gold", f"{r['matched']} / {r['predicted']} / {r['gold']}"),
            ("ungrounded", f"{r['ungrounded']} ({pct(r.get('ungrounded_rate'))} of predicted)")]
    if r.get("gold_ungrounded"):
        rows.append(("gold ungrounded", tag("span", esc(r["gold_ungrounded"]), "bad")))
    return rows


def issue_rows(r: dict) -> list[tuple[str, str]]:
    return [*base_rows(r), ("category accuracy", pct(r.get("category_accuracy")))]


def meta_rows(r: dict) -> list[tuple[str, str]]:
    rows = [("accuracy", f"{pct(r.get('accuracy'))} ({r.get('correct', 0)} / {r.get('compared', 0)})")]
    return rows + [(name, pct(acc)) for name, acc in (r.get("fields") or {}).items()]


def card(title: str, headline: str, rows: list[tuple[str, str]]) -> str:
    return tag("div", tag("h3", esc(title) + tag("span", esc(headline), "big")) + kv_table(rows), "card")


def score_cards(metrics: dict, issues: dict, meta: dict) -> str:
    return tag("div", card("Metrics", f"F1 {pct(metrics['f1'])}", metric_rows(metrics))
               + card("Issues", f"F1 {pct(issues['f1'])}", issue_rows(issues))
               + card("Meta", pct(meta.get("accuracy")), meta_rows(meta)), "cards")


# ---------------------------------------------------------------- page parts

def run_info(summary: dict) -> str:
    """Run identity (eval id, backend, model, prompt version) and any other scalar keys of the summary."""
    extra = [k for k in summary if k not in SUMMARY_KEYS and k not in RUN_KEYS]
    rows = [(k, summary[k]) for k in (*RUN_KEYS, *extra) if k in summary and summary[k] != []]
    cells = [(k, "—" if v is None else ", ".join(map(str, v)) if isinstance(v, list) else v) for k, v in rows
             if isinstance(v, str | int | float | bool | list) or v is None]
    cells.append(("fixtures", summary.get("fixture_count", "")))
    missing = summary.get("missing_predictions") or []
    if missing:
        cells.append(("missing predictions", ", ".join(map(str, missing))))
    return tag("div", "".join(tag("span", tag("b", esc(k)) + " " + esc(v), "chip") for k, v in cells), "run")


def legend() -> str:
    items = "".join(tag("span", tag("span", "&nbsp;", f"swatch {k}") + esc(LEGEND[k]), "key") for k in KINDS)
    note = tag("span", "bands = overlapping kinds; bold = several items; hover for details", "hint")
    return tag("div", items + note, "legend")


def overview(fixtures: list[tuple[str, str, FixtureScore]]) -> str:
    head = ["fixture", "metrics P / R / F1", "m / p / g", "ungrounded", "issues P / R / F1", "m / p / g",
            "ungrounded", "meta"]
    return tag("section", tag("h2", "Fixtures") + table(head, [overview_row(n, f, s) for n, (f, _, s)
                                                            in enumerate(fixtures)], "overview"))


def overview_row(n: int, fixture_id: str, score: FixtureScore) -> list[str]:
    m, i, meta = metric_report(score.metrics), issue_report(score.issues), meta_report([score])
    flag = tag("span", " no prediction", "bad") if score.missing_prediction else ""
    link = tag("a", esc(fixture_id), href=f"#fx{n}") + flag
    prf = [esc(" / ".join(pct(r[k]) for k in ("precision", "recall", "f1"))) for r in (m, i)]
    counts = [esc(f"{r['matched']} / {r['predicted']} / {r['gold']}") for r in (m, i)]
    return [link, prf[0], counts[0], esc(m["ungrounded"]), prf[1], counts[1], esc(i["ungrounded"]),
            esc(pct(meta["accuracy"]))]


def item_row(o: Outcome, anchor: str, has_mark: bool) -> list[str]:
    """kind, item (gold and/or prediction), evidence, a link to the highlight."""
    gold, pred = describe(o.kind, o.gold), describe(o.kind, o.pred)
    if o.gold is not None and o.pred is not None and gold == pred:
        item = tag("div", esc(gold), "both")
    else:
        item = tag("div", esc(gold), "gold") if o.gold is not None else ""
        item += tag("div", esc(pred), "pred") if o.pred is not None else ""
    diffs = differences(o) if o.outcome == "matched" else []
    item += tag("div", esc("differs: " + ", ".join(diffs)), "bad") if diffs else ""
    item += tag("div", "gold evidence not in source", "bad") if o.note == "gold_ungrounded" else ""
    item += tag("div", esc(ungrounded_note(o, has_mark)), "bad") if o.outcome == "ungrounded" else ""
    item += tag("div", esc(f"rule: {o.rule}"), "rule") if o.rule and o.outcome != "matched" else ""
    evidence = (o.gold if o.gold is not None else o.pred or {}).get("evidence")
    link = tag("a", "↗", href=f"#{anchor}", title="show in source") if has_mark else ""
    return [tag("span", esc(o.kind), f"badge {o.outcome}"), item, tag("span", esc(evidence), "ev"), link]


def ungrounded_note(o: Outcome, found: bool) -> str:
    if not found:
        return "evidence text is not in the source"
    return f"start={(o.pred or {}).get('start')} does not point at the evidence; highlighted at its first occurrence"


def item_lists(outcomes: list[Outcome], marks: list[Mark], prefix: str) -> str:
    marked = {m.anchor for m in marks}
    parts = []
    for kind in ("missed", "spurious", "ungrounded", "matched"):
        chosen = [(k, o) for k, o in enumerate(outcomes) if o.outcome == kind]
        chosen.sort(key=lambda ko: not differences(ko[1]))  # matched pairs that disagree on a label first
        rows = [item_row(o, f"{prefix}-{k}", f"{prefix}-{k}" in marked) for k, o in chosen]
        summary = tag("summary", tag("span", "&nbsp;", f"swatch {kind}") + esc(f"{kind} ({len(rows)})"))
        body = table(["", "item", "evidence", ""], rows, "items") if rows else tag("p", "none", "hint")
        parts.append(f"<details{'' if kind == 'matched' else ' open'}>{summary}{body}</details>")
    return "".join(parts)


def meta_table(score: FixtureScore) -> str:
    rows = [[esc(m.name), esc(m.gold), esc(m.pred) if m.correct else tag("span", esc(m.pred), "bad"),
             tag("span", "✓", "ok") if m.correct else tag("span", "✗", "bad")] for m in score.meta]
    return table(["field", "gold", "predicted", ""], rows, "meta")


def fixture_section(n: int, fixture_id: str, source: str, score: FixtureScore) -> str:
    prefix = f"fx{n}"
    marks = build_marks(SourceIndex.build(source), score.outcomes, prefix)
    banner = tag("p", "No prediction for this fixture: scored as an empty prediction.", "banner") \
        if score.missing_prediction else ""
    cards = score_cards(metric_report(score.metrics), issue_report(score.issues), meta_report([score]))
    src = tag("div", tag("h3", esc(f"Source ({len(source)} characters)")) + legend()
              + tag("pre", render_source(source, marks), "source"), "left")
    side = tag("div", tag("h3", "Items") + item_lists(score.outcomes, marks, prefix)
               + tag("h3", "Meta fields") + meta_table(score), "right")
    body = tag("summary", tag("h2", esc(fixture_id))) + banner + cards + tag("div", src + side, "split")
    return tag("section", f"<details open>{body}</details>", "fixture", id=prefix)


def render_report(heading: str, summary: dict, fixtures: list[tuple[str, str, FixtureScore]]) -> str:
    """One self-contained HTML page: run info and totals, an overview, then every fixture in detail."""
    totals = score_cards(summary["metrics"], summary["issues"], summary["meta"])
    body = [tag("h1", esc(heading)), run_info(summary), tag("section", tag("h2", "Totals") + totals),
            legend(), overview(fixtures)]
    body += [fixture_section(n, fid, src, score) for n, (fid, src, score) in enumerate(fixtures)]
    return PAGE.format(title=esc(heading), css=CSS, body="\n".join(body))


def kind_css() -> str:
    rules = [f".{k}.hl, .swatch.{k}, .badge.{k} {{ background: {c}; }}" for k, c in COLOURS.items()]
    return "\n".join([*rules, ".ungrounded.hl { outline: 1px dashed #c00; }"])


CSS = """
body { font: 14px/1.45 system-ui, sans-serif; margin: 0 24px 40px; color: #222; background: #fafafa; }
h1 { margin: 18px 0 8px; font-size: 22px; } h2 { font-size: 18px; margin: 18px 0 8px; display: inline; }
h3 { font-size: 14px; margin: 10px 0 6px; }
.run { display: flex; flex-wrap: wrap; gap: 6px; margin-bottom: 8px; }
.chip { background: #e8eef6; border-radius: 10px; padding: 2px 10px; font-size: 12px; }
.cards { display: flex; gap: 12px; flex-wrap: wrap; margin: 8px 0; }
.card { background: #fff; border: 1px solid #ddd; border-radius: 6px; padding: 6px 12px; min-width: 260px; }
.card h3 { display: flex; justify-content: space-between; gap: 12px; }
.big { font-size: 16px; font-weight: 700; }
table { border-collapse: collapse; } td, th { padding: 2px 8px; text-align: left; vertical-align: top; }
.kv th { font-weight: normal; color: #555; } .kv td { text-align: right; font-variant-numeric: tabular-nums; }
.overview, .items, .meta { background: #fff; border: 1px solid #ddd; }
.overview tr:nth-child(even), .items tr:nth-child(even), .meta tr:nth-child(even) { background: #f4f4f4; }
.overview th, .items th, .meta th { background: #eee; }
.fixture { border-top: 3px solid #999; margin-top: 22px; padding-top: 6px; }
summary { cursor: pointer; }
.split { display: grid; grid-template-columns: minmax(0, 3fr) minmax(0, 2fr); gap: 16px; }
@media (max-width: 1000px) { .split { grid-template-columns: minmax(0, 1fr); } }
.left, .right { min-width: 0; }
.right { max-height: 85vh; overflow: auto; }
pre.source { white-space: pre-wrap; overflow-wrap: anywhere; background: #fff; border: 1px solid #ccc;
  padding: 10px; max-height: 85vh; overflow: auto; font: 15px/1.9 "Noto Sans CJK SC", "Noto Sans SC", sans-serif;
  margin: 0; }
.hl { border-radius: 2px; padding: 3px 0; } .hl.start { border-left: 2px solid #0006; }
.hl.stacked { font-weight: 700; box-shadow: inset 0 -2px #555; }
.anchor:target + .hl { outline: 2px solid #000; }
.legend { display: flex; flex-wrap: wrap; gap: 4px 14px; margin: 6px 0; font-size: 12px; }
.swatch { display: inline-block; width: 14px; height: 12px; margin-right: 4px; border: 1px solid #888;
  vertical-align: middle; }
.badge { padding: 0 6px; border-radius: 3px; font-size: 12px; white-space: nowrap; }
.items td { font-size: 13px; } .items .ev { color: #666; font-size: 12px; }
.items .gold::before { content: "gold "; color: #888; font-size: 11px; }
.items .pred::before { content: "pred "; color: #888; font-size: 11px; }
.items .rule { color: #555; font-size: 12px; font-family: monospace; }
.items .both::before { content: "gold = pred "; color: #888; font-size: 11px; }
.hint { color: #777; font-size: 12px; }
.bad { color: #b00; font-weight: 600; } .ok { color: #080; font-weight: 600; }
.banner { background: #ffe3e3; border: 1px solid #d88; padding: 6px 10px; border-radius: 4px; }
""" + kind_css()

PAGE = """<!DOCTYPE html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<style>{css}</style>
</head>
<body>
{body}
</body>
</html>
"""
