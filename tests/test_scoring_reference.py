"""The scorer agrees with a second, deliberately naive reading of fixtures.md on random cases.

The reference here shares no code with evals/scoring.py: it normalises with str methods, finds spans
with str.find, and takes the maximum matching by trying every assignment (small cases only).
"""

import itertools
import random
import unicodedata

import pytest
from fazhi.evals.scoring import score_fixture, summarise

CLAUSES = ["办结行政复议案件12件", "组织培训3场", "覆盖群众2万人", "出庭应诉率99.5%", "调解纠纷120件",
           "开展督察3次", "罚没3860.85万元", "培训3场", "受理案件12件"]
UNITS = {"件": 1, "场": 1, "人": 1, "%": 1, "次": 1, "元": 1, "万元": 10_000, "万人": 10_000}


def norm(s: str) -> str:
    return "".join(ch for ch in unicodedata.normalize("NFKC", s) if not ch.isspace())


def span(source: str, item: dict) -> tuple[int, int] | None:
    ev = norm(item["evidence"])
    at = norm(source).find(ev) if item.get("start") is None else len(norm(source[: item["start"]]))
    return (at, at + len(ev)) if ev and at >= 0 and norm(source)[at:].startswith(ev) else None


def base(value: float, unit: str) -> tuple[float, str]:
    for prefix, factor in (("万", 10_000), ("亿", 100_000_000)):
        if unit.startswith(prefix) and len(unit) > 1:
            return value * factor, unit[1:]
    return value, unit


def same(g: dict, p: dict, gs: tuple[int, int], ps: tuple[int, int]) -> bool:
    (gv, gu), (pv, pu) = base(g["value"], g["unit"]), base(p["value"], p["unit"])
    return gu == pu and abs(gv - pv) <= 1e-6 * max(abs(gv), abs(pv), 1e-12) and gs[0] < ps[1] and ps[0] < gs[1]


def reference_matched(source: str, gold: list[dict], pred: list[dict]) -> int:
    """Maximum matching by brute force over every assignment of predictions to gold items."""
    gs, ps = [span(source, g) for g in gold], [span(source, p) for p in pred]
    ok = [[gs[i] is not None and ps[j] is not None and same(gold[i], pred[j], gs[i], ps[j])
           for j in range(len(pred))] for i in range(len(gold))]
    if len(gold) <= len(pred):  # every way of giving each gold item its own prediction
        return max((sum(ok[i][j] for i, j in enumerate(perm))
                    for perm in itertools.permutations(range(len(pred)), len(gold))), default=0)
    return max((sum(ok[i][j] for j, i in enumerate(perm))
                for perm in itertools.permutations(range(len(gold)), len(pred))), default=0)


def random_case(rng: random.Random) -> tuple[str, list[dict], list[dict]]:
    clauses = rng.sample(CLAUSES, 5)
    source = "，".join(clauses) + "。"

    def item() -> dict:
        clause = rng.choice([*clauses, "不存在的句子5件"])
        value, unit = rng.choice([(12, "件"), (3, "场"), (20000, "人"), (2, "万人"), (99.5, "%"), (120, "件"),
                                  (38608500, "元"), (3860.85, "万元"), (3, "次")])
        return {"name": "x", "value": value, "unit": unit, "qualifier": "exact", "category": "other",
                "canonical": None, "evidence": clause[2:] if rng.random() < 0.3 else clause, "start": None}

    return source, [item() for _ in range(rng.randint(0, 4))], [item() for _ in range(rng.randint(0, 5))]


@pytest.mark.parametrize("seed", range(200))
def test_metric_matching_agrees_with_a_brute_force_reference(seed: int) -> None:
    rng = random.Random(seed)
    source, gold, pred = random_case(rng)
    score = score_fixture("f", source, {"metrics": gold, "issues": [], "meta": {}},
                          {"metrics": pred, "issues": [], "meta": {}})
    assert score.metrics.matched == reference_matched(source, gold, pred)
    summary = summarise([score])["metrics"]
    matched, predicted, total = score.metrics.matched, len(pred), len(gold)
    precision = matched / predicted if predicted else (1.0 if not total else 0.0)
    recall = matched / total if total else (1.0 if not predicted else 0.0)
    assert summary["precision"] == pytest.approx(precision) and summary["recall"] == pytest.approx(recall)
    ungrounded = sum(span(source, p) is None for p in pred)
    assert summary["ungrounded"] == ungrounded
