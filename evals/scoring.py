"""Score predictions against gold fixtures (the contract in fixtures.md).

Pure and dependency-free. Text is compared in normalised form (NFKC, all whitespace removed);
`start` offsets index the raw decoded source and are mapped onto the normalised source.
Matching is one-to-one maximum-cardinality bipartite matching, ties broken lexicographically
(metrics: total overlap; issues: number of span matches, then total overlap, then summary F1),
solved exactly per connected component with a pure-Python Hungarian algorithm.
"""

from __future__ import annotations

import math
import unicodedata
from collections import Counter
from dataclasses import asdict, dataclass, field
from typing import Any

META_FIELDS: tuple[str, ...] = (
    "title", "region", "province", "admin_level",
    "report_year", "published_date", "issuer", "doc_type",
)
UNIT_MULTIPLIERS: dict[str, float] = {"万": 1e4, "亿": 1e8}
REL_TOL = 1e-6
F1_SCALE = 10**6  # summary F1 as an integer tie-break weight
SUMMARY_F1_THRESHOLD = 0.5

Span = tuple[int, int]
Edge = tuple[int, int, tuple[int, ...]]  # (gold index, pred index, lexicographic key)


# ---------------------------------------------------------------- text and spans

def normalise_text(s: str) -> str:
    """NFKC form with all whitespace removed."""
    return "".join(c for c in unicodedata.normalize("NFKC", s) if not c.isspace())


def char_f1(a: str, b: str) -> float:
    """Character F1 of two strings (multisets of the normalised characters); both empty = 1.0."""
    x, y = normalise_text(a or ""), normalise_text(b or "")
    if not x and not y:
        return 1.0
    common = sum((Counter(x) & Counter(y)).values())
    return 2 * common / (len(x) + len(y))


def _segments(raw: str) -> list[str]:
    """Split raw text so that NFKC of the whole equals the concatenation of NFKC of the parts."""
    segs: list[str] = []
    for c in raw:
        if segs and not _starts_segment(segs[-1], c):
            segs[-1] += c
        else:
            segs.append(c)
    return segs


def _starts_segment(prev: str, c: str) -> bool:
    """True when `c` neither carries a combining mark nor composes with `prev` under NFKC."""
    nc = unicodedata.normalize("NFKC", c)
    if nc and unicodedata.combining(nc[0]):
        return False
    return unicodedata.normalize("NFKC", prev + c) == unicodedata.normalize("NFKC", prev) + nc


@dataclass(frozen=True)
class SourceIndex:
    """The normalised source and the map raw index -> normalised index."""

    raw: str
    text: str
    raw_to_norm: tuple[int, ...]  # length len(raw) + 1

    @classmethod
    def build(cls, raw: str) -> SourceIndex:
        parts: list[str] = []
        mapping: list[int] = []
        pos = 0
        for seg in _segments(raw):
            mapping.extend([pos] * len(seg))  # a raw index inside a segment maps to its start
            norm = normalise_text(seg)
            parts.append(norm)
            pos += len(norm)
        mapping.append(pos)
        return cls(raw, "".join(parts), tuple(mapping))

    def locate(self, evidence: Any, start: Any) -> Span | None:
        """The normalised span of `evidence`, or None when ungrounded."""
        ev = normalise_text(evidence) if isinstance(evidence, str) else ""
        if not ev:
            return None
        if start is None:
            pos = self.text.find(ev)
        elif _is_int(start) and 0 <= start <= len(self.raw):
            pos = self.raw_to_norm[start]
            pos = pos if self.text.startswith(ev, pos) else -1
        else:
            pos = -1
        return None if pos < 0 else (pos, pos + len(ev))


def _is_int(x: Any) -> bool:
    return isinstance(x, int) and not isinstance(x, bool)


def overlap(a: Span | None, b: Span | None) -> int:
    if a is None or b is None:
        return 0
    return max(0, min(a[1], b[1]) - max(a[0], b[0]))


# ---------------------------------------------------------------- values and units

def _as_number(v: Any) -> float | None:
    if isinstance(v, bool) or v is None:
        return None
    if isinstance(v, (int, float)):
        return float(v)
    if isinstance(v, str):
        try:
            return float(normalise_text(v).replace(",", ""))
        except ValueError:
            return None
    return None


def normalise_quantity(value: Any, unit: Any) -> tuple[float, str] | None:
    """(value, unit) with 万/亿 prefixes folded into the value: (3, 万元) -> (30000.0, 元)."""
    number = _as_number(value)
    if number is None or math.isnan(number):
        return None
    u = normalise_text(unit) if isinstance(unit, str) else ""
    while len(u) > 1 and u[0] in UNIT_MULTIPLIERS:
        number *= UNIT_MULTIPLIERS[u[0]]
        u = u[1:]
    return number, u


def quantities_equal(gold: dict, pred: dict) -> bool:
    g = normalise_quantity(gold.get("value"), gold.get("unit"))
    p = normalise_quantity(pred.get("value"), pred.get("unit"))
    if g is None or p is None or g[1] != p[1]:
        return False
    return math.isclose(g[0], p[0], rel_tol=REL_TOL)


def normalise_field(v: Any) -> str | None:
    """Metadata/label normalisation: None stays None; else str(), NFKC, whitespace removed."""
    if v is None:
        return None
    if isinstance(v, float) and v.is_integer():
        v = int(v)
    return normalise_text(str(v))


def fields_equal(a: Any, b: Any) -> bool:
    return normalise_field(a) == normalise_field(b)


# ---------------------------------------------------------------- matching

def lexicographic_weights(keys: list[tuple[int, ...]]) -> list[int]:
    """Integer weights whose sums order any matching lexicographically by the keys' levels."""
    weights = [0] * len(keys)
    for level in reversed(range(len(keys[0]) if keys else 0)):
        scale = sum(weights) + 1  # exceeds every matching's total of the lower levels
        weights = [w + k[level] * scale for w, k in zip(weights, keys)]
    return weights


def _hungarian_row(cost: list[list[int]], i: int, u: list, v: list, p: list[int]) -> None:
    """Add row i (1-based) to the assignment p (column -> row), shortest augmenting path."""
    n = len(cost)
    way = [0] * (n + 1)
    minv = [math.inf] * (n + 1)
    used = [False] * (n + 1)
    p[0], j0 = i, 0
    while p[j0] != 0:
        used[j0] = True
        i0, delta, j1 = p[j0], math.inf, 0
        for j in range(1, n + 1):
            if not used[j]:
                cur = cost[i0 - 1][j - 1] - u[i0] - v[j]
                if cur < minv[j]:
                    minv[j], way[j] = cur, j0
                if minv[j] < delta:
                    delta, j1 = minv[j], j
        for j in range(n + 1):
            if used[j]:
                u[p[j]] += delta
                v[j] -= delta
            else:
                minv[j] -= delta
        j0 = j1
    while j0:
        p[j0], j0 = p[way[j0]], way[j0]


def hungarian_max(weight: list[list[int]]) -> list[tuple[int, int]]:
    """Maximum-weight perfect assignment of a square matrix; returns (row, col) pairs."""
    n = len(weight)
    cost = [[-w for w in row] for row in weight]
    u, v, p = [0] * (n + 1), [0] * (n + 1), [0] * (n + 1)
    for i in range(1, n + 1):
        _hungarian_row(cost, i, u, v, p)
    return [(p[j] - 1, j - 1) for j in range(1, n + 1)]


def _components(edges: list[Edge]) -> list[list[Edge]]:
    """Group edges into connected components of the bipartite graph."""
    parent: dict[tuple[str, int], tuple[str, int]] = {}

    def find(x: tuple[str, int]) -> tuple[str, int]:
        while parent.setdefault(x, x) != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for g, q, _ in edges:
        parent[find(("g", g))] = find(("p", q))
    groups: dict[tuple[str, int], list[Edge]] = {}
    for e in edges:
        groups.setdefault(find(("g", e[0])), []).append(e)
    return list(groups.values())


def max_matching(edges: list[Edge]) -> list[Edge]:
    """One-to-one matching maximising the edges' keys lexicographically (cardinality first)."""
    result: list[Edge] = []
    for comp in _components(edges):
        golds = sorted({e[0] for e in comp})
        preds = sorted({e[1] for e in comp})
        gi, pi = {g: k for k, g in enumerate(golds)}, {q: k for k, q in enumerate(preds)}
        n = max(len(golds), len(preds))
        weights = lexicographic_weights([(1, *e[2]) for e in comp])
        matrix = [[0] * n for _ in range(n)]
        by_cell: dict[tuple[int, int], Edge] = {}
        for e, w in zip(comp, weights):
            matrix[gi[e[0]]][pi[e[1]]] = w
            by_cell[(gi[e[0]], pi[e[1]])] = e
        result.extend(by_cell[c] for c in hungarian_max(matrix) if c in by_cell)
    return sorted(result)


# ---------------------------------------------------------------- per-fixture records

@dataclass
class Outcome:
    """One gold and/or predicted item and what became of it."""

    kind: str  # 'metric' | 'issue'
    outcome: str  # 'matched' | 'missed' | 'spurious' | 'ungrounded'
    gold: dict | None
    pred: dict | None
    gold_span: Span | None = None  # [start, end) in the normalised source
    pred_span: Span | None = None
    match_by: str | None = None  # 'span' | 'summary' for matched pairs
    overlap: int = 0
    note: str | None = None  # 'gold_ungrounded' for a gold item not found in the source
    rule: str | None = None  # offline backend: the rule that kept or excluded the metric (set by fazhi.evals.runner)

    def to_dict(self) -> dict:
        d = asdict(self)
        for k in ("gold_span", "pred_span"):
            d[k] = list(d[k]) if d[k] is not None else None
        return d


@dataclass
class MatchCounts:
    """Counts for one kind of item (metrics or issues)."""

    matched: int = 0
    predicted: int = 0
    gold: int = 0
    ungrounded: int = 0  # predictions whose evidence is not in the source
    gold_ungrounded: int = 0  # gold items whose evidence is not in the source (should be 0)
    category_correct: int = 0
    canonical_correct: int = 0
    canonical_total: int = 0  # matched pairs whose gold canonical is not null
    qualifier_correct: int = 0
    name_similarity_sum: float = 0.0

    def add(self, other: MatchCounts) -> None:
        for f in self.__dataclass_fields__:
            setattr(self, f, getattr(self, f) + getattr(other, f))


@dataclass
class MetaField:
    name: str
    gold: Any
    pred: Any
    correct: bool


@dataclass
class FixtureScore:
    fixture_id: str
    missing_prediction: bool
    metrics: MatchCounts
    issues: MatchCounts
    meta: list[MetaField]
    outcomes: list[Outcome] = field(default_factory=list)

    def to_dict(self) -> dict:
        return {
            "fixture_id": self.fixture_id,
            "missing_prediction": self.missing_prediction,
            "metrics": metric_report(self.metrics),
            "issues": issue_report(self.issues),
            "meta": meta_report([self]),
            "meta_fields": {m.name: asdict(m) for m in self.meta},
            "outcomes": [o.to_dict() for o in self.outcomes],
        }


# ---------------------------------------------------------------- scoring

def _items(doc: dict | None, key: str) -> list[dict]:
    items = (doc or {}).get(key) or []
    return [it if isinstance(it, dict) else {} for it in items]


def _spans(index: SourceIndex, items: list[dict]) -> list[Span | None]:
    return [index.locate(it.get("evidence"), it.get("start")) for it in items]


def _metric_edges(gold: list[dict], pred: list[dict], gs: list, ps: list) -> list[Edge]:
    edges: list[Edge] = []
    for i, g in enumerate(gold):
        for j, p in enumerate(pred):
            ov = overlap(gs[i], ps[j])
            if ov > 0 and quantities_equal(g, p):
                edges.append((i, j, (ov,)))
    return edges


def _issue_edges(gold: list[dict], pred: list[dict], gs: list, ps: list) -> list[Edge]:
    """Key (is span match, overlap, scaled summary F1); ungrounded items have no edges."""
    edges: list[Edge] = []
    for i, g in enumerate(gold):
        for j, p in enumerate(pred):
            if gs[i] is None or ps[j] is None:
                continue
            ov = overlap(gs[i], ps[j])
            f1 = char_f1(str(g.get("summary") or ""), str(p.get("summary") or ""))
            if ov > 0:
                edges.append((i, j, (1, ov, 0)))
            elif f1 >= SUMMARY_F1_THRESHOLD:
                edges.append((i, j, (0, 0, round(f1 * F1_SCALE))))
    return edges


def _pair_counts(kind: str, g: dict, p: dict) -> MatchCounts:
    c = MatchCounts(matched=1, category_correct=int(fields_equal(g.get("category"), p.get("category"))))
    if kind == "metric":
        if g.get("canonical") is not None:
            c.canonical_total = 1
            c.canonical_correct = int(fields_equal(g["canonical"], p.get("canonical")))
        c.qualifier_correct = int(fields_equal(g.get("qualifier"), p.get("qualifier")))
        c.name_similarity_sum = char_f1(str(g.get("name") or ""), str(p.get("name") or ""))
    return c


def _score_items(kind: str, index: SourceIndex, gold: list[dict], pred: list[dict]
                 ) -> tuple[MatchCounts, list[Outcome]]:
    gs, ps = _spans(index, gold), _spans(index, pred)
    make_edges = _metric_edges if kind == "metric" else _issue_edges
    pairs = max_matching(make_edges(gold, pred, gs, ps))
    counts = MatchCounts(predicted=len(pred), gold=len(gold),
                         ungrounded=ps.count(None), gold_ungrounded=gs.count(None))
    outcomes: list[Outcome] = []
    for i, j, key in pairs:
        counts.add(_pair_counts(kind, gold[i], pred[j]))
        by = "span" if kind == "metric" or key[0] else "summary"
        outcomes.append(Outcome(kind, "matched", gold[i], pred[j], gs[i], ps[j], by, overlap(gs[i], ps[j])))
    outcomes.extend(_unmatched(kind, gold, pred, gs, ps, pairs))
    return counts, outcomes


def _unmatched(kind: str, gold: list[dict], pred: list[dict], gs: list, ps: list,
               pairs: list[Edge]) -> list[Outcome]:
    done_g, done_p = {e[0] for e in pairs}, {e[1] for e in pairs}
    out = [Outcome(kind, "missed", g, None, gs[i], note=None if gs[i] else "gold_ungrounded")
           for i, g in enumerate(gold) if i not in done_g]
    out += [Outcome(kind, "spurious" if ps[j] else "ungrounded", None, p, pred_span=ps[j])
            for j, p in enumerate(pred) if j not in done_p]
    return out


def _score_meta(gold: dict, pred: dict) -> list[MetaField]:
    gmeta = gold.get("meta") or {}
    pmeta = (pred.get("meta") if isinstance(pred.get("meta"), dict) else None) or {}
    names = list(META_FIELDS) + [k for k in gmeta if k not in META_FIELDS]
    return [MetaField(n, gmeta.get(n), pmeta.get(n), fields_equal(gmeta.get(n), pmeta.get(n)))
            for n in names]


def score_fixture(fixture_id: str, source: str, gold: dict, pred: dict | None) -> FixtureScore:
    """Score one fixture; `pred=None` (missing prediction file) scores as an empty prediction."""
    index = SourceIndex.build(source)
    doc = pred if isinstance(pred, dict) else {}
    m_counts, m_out = _score_items("metric", index, _items(gold, "metrics"), _items(doc, "metrics"))
    i_counts, i_out = _score_items("issue", index, _items(gold, "issues"), _items(doc, "issues"))
    return FixtureScore(fixture_id, pred is None, m_counts, i_counts,
                        _score_meta(gold, doc), m_out + i_out)


# ---------------------------------------------------------------- reports

def prf(matched: int, predicted: int, gold: int) -> tuple[float, float, float]:
    """Precision, recall, F1; 0/0 is 0.0 except that nothing predicted of nothing is 1.0."""
    if predicted == 0 and gold == 0:
        return 1.0, 1.0, 1.0
    p = matched / predicted if predicted else 0.0
    r = matched / gold if gold else 0.0
    return p, r, (2 * p * r / (p + r) if p + r else 0.0)


def ratio(num: float, den: int) -> float | None:
    return num / den if den else None


def _base_report(c: MatchCounts) -> dict:
    p, r, f1 = prf(c.matched, c.predicted, c.gold)
    return {"precision": p, "recall": r, "f1": f1,
            "ungrounded": c.ungrounded,
            "ungrounded_rate": c.ungrounded / c.predicted if c.predicted else 0.0,
            "matched": c.matched, "predicted": c.predicted, "gold": c.gold,
            "gold_ungrounded": c.gold_ungrounded,
            "category_accuracy": ratio(c.category_correct, c.matched)}


def metric_report(c: MatchCounts) -> dict:
    return _base_report(c) | {
        "canonical_accuracy": ratio(c.canonical_correct, c.canonical_total),
        "canonical_pairs": c.canonical_total,
        "qualifier_accuracy": ratio(c.qualifier_correct, c.matched),
        "name_similarity": ratio(c.name_similarity_sum, c.matched),
    }


def issue_report(c: MatchCounts) -> dict:
    return _base_report(c)


def meta_report(scores: list[FixtureScore]) -> dict:
    """Accuracy per field and pooled over every (fixture, field) comparison."""
    right: Counter[str] = Counter()
    total: Counter[str] = Counter()
    for s in scores:
        for m in s.meta:
            total[m.name] += 1
            right[m.name] += m.correct
    return {"accuracy": ratio(sum(right.values()), sum(total.values())),
            "correct": sum(right.values()), "compared": sum(total.values()),
            "fields": {n: ratio(right[n], total[n]) for n in total}}


def summarise(scores: list[FixtureScore]) -> dict:
    """The content of summary.json: micro-averaged over all fixtures, plus each fixture."""
    metrics, issues = MatchCounts(), MatchCounts()
    for s in scores:
        metrics.add(s.metrics)
        issues.add(s.issues)
    return {
        "fixture_count": len(scores),
        "missing_predictions": [s.fixture_id for s in scores if s.missing_prediction],
        "metrics": metric_report(metrics),
        "issues": issue_report(issues),
        "meta": meta_report(scores),
        "fixtures": {s.fixture_id: s.to_dict() for s in scores},
    }
