"""Comparing eval runs (score changes, items whose outcome changed) and the regression gate."""

import json
from dataclasses import dataclass, field
from typing import Any

from fazhi.agent.errors import FazhiError
from fazhi.agent.store import Store
from fazhi.evals.runner import HEADLINE

CHANGED_SCORES = """
SELECT coalesce(a.fixture_id, b.fixture_id) AS fixture_id, coalesce(a.section, b.section) AS section,
       coalesce(a.field, b.field) AS field, a.value AS before, b.value AS after, b.value - a.value AS change
FROM (SELECT * FROM eval_scores WHERE eval_id = ?) a
FULL JOIN (SELECT * FROM eval_scores WHERE eval_id = ?) b USING (fixture_id, section, field)
WHERE a.value IS DISTINCT FROM b.value
  AND coalesce(a.field, b.field) IN ('precision', 'recall', 'f1', 'ungrounded', 'accuracy',
      'category_accuracy', 'canonical_accuracy', 'qualifier_accuracy', 'name_similarity')
ORDER BY fixture_id = '*' DESC, fixture_id, section, field
"""

# Gold items matched before and missed now (and the reverse); predictions spurious now but not before; with
# each, the offline rule that kept or excluded it now (NULL for other backends).
CHANGED_ITEMS = """
WITH a AS (SELECT * FROM eval_items WHERE eval_id = ?), b AS (SELECT * FROM eval_items WHERE eval_id = ?)
SELECT 'newly missed' AS change, b.fixture_id, b.kind, b.gold AS item, b.rule FROM b JOIN a USING (fixture_id, gold_key)
  WHERE b.outcome = 'missed' AND a.outcome = 'matched'
UNION ALL
SELECT 'newly matched', b.fixture_id, b.kind, b.gold, b.rule FROM b JOIN a USING (fixture_id, gold_key)
  WHERE b.outcome = 'matched' AND a.outcome = 'missed'
UNION ALL
SELECT 'newly spurious', b.fixture_id, b.kind, b.pred, b.rule FROM b
  WHERE b.outcome IN ('spurious', 'ungrounded') AND NOT EXISTS (
    SELECT 1 FROM a WHERE a.fixture_id = b.fixture_id AND a.pred_key = b.pred_key
      AND a.outcome IN ('spurious', 'ungrounded'))
ORDER BY 1, 2, 3
"""


@dataclass
class Diff:
    before: int
    after: int
    scores: list[tuple[Any, ...]] = field(default_factory=list)
    items: list[tuple[Any, ...]] = field(default_factory=list)


def resolve_eval(store: Store, ref: str, current: int | None = None) -> int:
    """An eval id from 'last' (the newest before `current` on the same fixture set) or a number."""
    if ref != "last":
        if not ref.isdigit() or not store.query("SELECT 1 FROM eval_runs WHERE eval_id = ?", [int(ref)])[1]:
            raise FazhiError(f"No eval run {ref!r}: see `fazhi sql 'SELECT * FROM eval_runs'`")
        return int(ref)
    sql = ("SELECT eval_id FROM eval_runs WHERE eval_id < ? AND fixture_hash = "
           "(SELECT fixture_hash FROM eval_runs WHERE eval_id = ?) ORDER BY eval_id DESC LIMIT 1")
    rows = store.query(sql, [current, current])[1] if current else store.query(
        "SELECT eval_id FROM eval_runs ORDER BY eval_id DESC LIMIT 1 OFFSET 1")[1]
    if not rows:
        raise FazhiError("No earlier eval run on this fixture set to compare with: run `fazhi eval` once first")
    return int(rows[0][0])


def diff(store: Store, before: int, after: int) -> Diff:
    scores = store.query(CHANGED_SCORES, [before, after])[1]
    rows = store.query(CHANGED_ITEMS, [before, after])[1]
    items = [(c, f, k, json.loads(i) if i else None, rule) for c, f, k, i, rule in rows]
    return Diff(before, after, scores, items)


def summary_of(store: Store, eval_id: int) -> dict[str, Any]:
    return json.loads(store.query("SELECT summary FROM eval_runs WHERE eval_id = ?", [eval_id])[1][0][0])


def lookup(summary: dict[str, Any], dotted: str) -> float | None:
    section, _, name = dotted.partition(".")
    value = (summary.get(section) or {}).get(name)
    return float(value) if isinstance(value, int | float) else None


def parse_thresholds(text: str | None) -> dict[str, float]:
    """'metrics.f1=0.85,issues.f1=0.8' → {'metrics.f1': 0.85, 'issues.f1': 0.8}."""
    out: dict[str, float] = {}
    for part in filter(None, (p.strip() for p in (text or "").split(","))):
        name, sep, value = part.partition("=")
        try:
            out[name.strip()] = float(value)
        except ValueError:
            sep = ""
        if not sep or "." not in name:
            raise FazhiError(f"Bad threshold {part!r}: write SECTION.FIELD=NUMBER, e.g. metrics.f1=0.85")
    return out


def gate(summary: dict[str, Any], fail_under: dict[str, float], max_drop: float | None,
         baseline: dict[str, Any] | None) -> list[str]:
    """The reasons this eval is a regression (empty when it passes)."""
    failures = []
    for name, floor in fail_under.items():
        value = lookup(summary, name)
        if value is None or value < floor:
            failures.append(f"{name} = {value if value is None else round(value, 4)} is under {floor}")
    if max_drop is not None and baseline is not None:
        for name in HEADLINE:
            now, then = lookup(summary, name), lookup(baseline, name)
            if now is not None and then is not None and then - now > max_drop:
                failures.append(f"{name} dropped {then - now:.4f} (from {then:.4f} to {now:.4f}), over {max_drop}")
    return failures
