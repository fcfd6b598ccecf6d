"""Hand-made cases for evals/scoring.py: each test protects one rule of fixtures.md."""

from __future__ import annotations

from typing import Any

import pytest
from fazhi.evals.scoring import (
    FixtureScore,
    normalise_text,
    score_fixture,
    summarise,
)

SOURCE = "全年共受理行政复议案件56件，办结50件，组织专题法治学习3场390余人次，罚没金额3860.85万元。"


def metric(value: Any, unit: str, evidence: str, start: int | None = None, **kw: Any) -> dict:
    base = {"name": "", "value": value, "unit": unit, "qualifier": "exact",
            "category": "other", "canonical": None, "evidence": evidence, "start": start}
    return base | kw


def issue(summary: str, evidence: str, start: int | None = None, category: str = "other") -> dict:
    return {"summary": summary, "category": category, "evidence": evidence, "start": start}


def doc(metrics: list[dict] | None = None, issues: list[dict] | None = None,
        meta: dict | None = None) -> dict:
    return {"fixture_id": "f", "meta": meta or {}, "metrics": metrics or [], "issues": issues or []}


def outcomes(score: FixtureScore, kind: str = "metric") -> list[str]:
    return sorted(o.outcome for o in score.outcomes if o.kind == kind)


def metric_counts(score: FixtureScore) -> tuple[int, int, int, int]:
    m = score.metrics
    return m.matched, m.predicted, m.gold, m.ungrounded


# ---------------------------------------------------------------- units


def test_wan_yuan_prediction_matches_yuan_gold() -> None:
    gold = doc([metric(38608500, "元", "罚没金额3860.85万元")])
    pred = doc([metric(3860.85, "万元", "罚没金额3860.85万元")])
    s = score_fixture("f", SOURCE, gold, pred)
    assert metric_counts(s) == (1, 1, 1, 0)
    assert summarise([s])["metrics"]["f1"] == 1.0


def test_yi_prefix_scales_value_by_1e8() -> None:
    src = "财政投入1.2亿元"
    gold = doc([metric(120000000, "元", "财政投入1.2亿元")])
    pred = doc([metric(1.2, "亿元", "财政投入1.2亿元")])
    assert metric_counts(score_fixture("f", src, gold, pred)) == (1, 1, 1, 0)


def test_wan_renci_scales_and_value_tolerance_is_relative_1e6() -> None:
    src = "覆盖群众2万人次"
    gold = doc([metric(20000, "人次", "覆盖群众2万人次")])
    close = doc([metric(2.000001, "万人次", "覆盖群众2万人次")])
    far = doc([metric(2.0001, "万人次", "覆盖群众2万人次")])
    assert score_fixture("f", src, gold, close).metrics.matched == 1
    assert score_fixture("f", src, gold, far).metrics.matched == 0


def test_renci_does_not_match_ren() -> None:
    gold = doc([metric(390, "人次", "组织专题法治学习3场390余人次")])
    pred = doc([metric(390, "人", "组织专题法治学习3场390余人次")])
    s = score_fixture("f", SOURCE, gold, pred)
    assert metric_counts(s) == (0, 1, 1, 0)
    assert outcomes(s) == ["missed", "spurious"]
    rep = summarise([s])["metrics"]
    assert (rep["precision"], rep["recall"], rep["f1"]) == (0.0, 0.0, 0.0)


def test_value_mismatch_does_not_match() -> None:
    gold = doc([metric(56, "件", "受理行政复议案件56件")])
    pred = doc([metric(50, "件", "受理行政复议案件56件")])
    assert score_fixture("f", SOURCE, gold, pred).metrics.matched == 0


# ---------------------------------------------------------------- matching


def test_duplicate_predictions_only_one_matches_other_is_spurious() -> None:
    gold = doc([metric(56, "件", "受理行政复议案件56件")])
    pred = doc([metric(56, "件", "受理行政复议案件56件")] * 2)
    s = score_fixture("f", SOURCE, gold, pred)
    assert metric_counts(s) == (1, 2, 1, 0)
    assert outcomes(s) == ["matched", "spurious"]
    rep = summarise([s])["metrics"]
    assert rep["precision"] == 0.5
    assert rep["recall"] == 1.0
    assert rep["f1"] == pytest.approx(2 / 3)


def test_one_to_one_tie_broken_by_largest_overlap() -> None:
    src = "甲乙丙丁戊己庚辛壬癸"
    g_small = metric(5, "件", "甲乙丙")  # span [0, 3)
    g_large = metric(5, "件", "丁戊己庚")  # span [3, 7)
    pred = metric(5, "件", "丙丁戊己")  # span [2, 6): overlaps g_small by 1, g_large by 3
    s = score_fixture("f", src, doc([g_small, g_large]), doc([pred]))
    matched = [o for o in s.outcomes if o.outcome == "matched"]
    assert len(matched) == 1
    assert matched[0].gold is g_large
    assert matched[0].overlap == 3
    assert (matched[0].gold_span, matched[0].pred_span) == ((3, 7), (2, 6))


def test_maximum_matching_where_greedy_by_overlap_loses_a_match() -> None:
    src = "甲乙丙丁戊己庚辛壬癸"
    g1 = metric(5, "件", "甲乙丙丁")  # [0, 4)
    g2 = metric(5, "件", "戊己")  # [4, 6)
    p1 = metric(5, "件", "乙丙丁戊")  # [1, 5): overlaps g1 by 3 (greedy pick), g2 by 1
    p2 = metric(5, "件", "甲")  # [0, 1): overlaps only g1
    s = score_fixture("f", src, doc([g1, g2]), doc([p1, p2]))
    assert metric_counts(s) == (2, 2, 2, 0)
    pairs = {(id(o.gold), id(o.pred)) for o in s.outcomes if o.outcome == "matched"}
    assert pairs == {(id(g1), id(p2)), (id(g2), id(p1))}


def test_spans_must_overlap_not_just_touch() -> None:
    src = "甲乙丙丁"
    s = score_fixture("f", src, doc([metric(1, "个", "甲乙")]), doc([metric(1, "个", "丙丁")]))
    assert s.metrics.matched == 0


# ---------------------------------------------------------------- grounding


def test_ungrounded_prediction_counted_in_precision_and_not_matched() -> None:
    gold = doc([metric(56, "件", "受理行政复议案件56件")])
    pred = doc([metric(56, "件", "受理行政复议案件56件"),
                metric(56, "件", "受理行政复议案件共56件")])  # not in the source
    s = score_fixture("f", SOURCE, gold, pred)
    assert metric_counts(s) == (1, 2, 1, 1)
    assert outcomes(s) == ["matched", "ungrounded"]
    rep = summarise([s])["metrics"]
    assert (rep["precision"], rep["ungrounded"], rep["ungrounded_rate"]) == (0.5, 1, 0.5)


def test_ungrounded_prediction_alone_matches_nothing() -> None:
    gold = doc([metric(56, "件", "受理行政复议案件56件")])
    pred = doc([metric(56, "件", "行政复议案件56件（虚构）")])
    s = score_fixture("f", SOURCE, gold, pred)
    assert metric_counts(s) == (0, 1, 1, 1)
    assert outcomes(s) == ["missed", "ungrounded"]


def test_start_not_pointing_at_evidence_is_ungrounded() -> None:
    pred = doc([metric(56, "件", "受理行政复议案件56件", start=0)])  # it is at raw index 3
    gold = doc([metric(56, "件", "受理行政复议案件56件")])
    s = score_fixture("f", SOURCE, gold, pred)
    assert metric_counts(s) == (0, 1, 1, 1)


def test_gold_ungrounded_item_is_flagged_and_missed() -> None:
    gold = doc([metric(1, "件", "源文中没有这句")])
    s = score_fixture("f", SOURCE, gold, doc())
    assert (s.metrics.gold, s.metrics.gold_ungrounded) == (1, 1)
    assert [(o.outcome, o.note) for o in s.outcomes] == [("missed", "gold_ungrounded")]


def test_start_points_to_second_occurrence_of_repeated_evidence() -> None:
    src = "上半年办结10件。下半年办结10件。"
    second = src.index("办结10件", 5)  # 12
    gold = doc([metric(10, "件", "办结10件", start=second)])
    first_pred = score_fixture("f", src, gold, doc([metric(10, "件", "办结10件")]))
    second_pred = score_fixture("f", src, gold, doc([metric(10, "件", "办结10件", start=second)]))
    assert metric_counts(first_pred) == (0, 1, 1, 0)
    assert metric_counts(second_pred) == (1, 1, 1, 0)
    assert second_pred.outcomes[0].gold_span == (12, 17)


def test_whitespace_and_fullwidth_evidence_normalised() -> None:
    src = "标题\n\n　　受理案件 １０ 件，办结９件。"
    raw_start = src.index("受理")  # 6 in raw text, 2 in the normalised text
    gold = doc([metric(10, "件", "受理案件 １０ 件")])
    pred = doc([metric(10, "件", "受理案件10件", start=raw_start)])
    s = score_fixture("f", src, gold, pred)
    assert metric_counts(s) == (1, 1, 1, 0)
    assert (s.outcomes[0].gold_span, s.outcomes[0].pred_span) == ((2, 9), (2, 9))


def test_normalise_text_removes_all_whitespace_and_applies_nfkc() -> None:
    assert normalise_text(" １０\u3000％\n\tＡ ") == "10%A"


# ---------------------------------------------------------------- matched-pair accuracies


def test_pair_accuracies_and_name_similarity() -> None:
    g1 = metric(56, "件", "受理行政复议案件56件", name="行政复议案件办结数",
                category="disputes", canonical="reconsideration_received")
    g2 = metric(50, "件", "办结50件", name="办结数", category="disputes")
    p1 = metric(56, "件", "受理行政复议案件56件", name="复议案件办结数",
                category="disputes", canonical="reconsideration_concluded", qualifier="approx")
    p2 = metric(50, "件", "办结50件", name="办结数", category="other", canonical="x")
    rep = summarise([score_fixture("f", SOURCE, doc([g1, g2]), doc([p1, p2]))])["metrics"]
    assert rep["category_accuracy"] == 0.5
    assert rep["canonical_accuracy"] == 0.0  # only g1 has a gold canonical
    assert rep["canonical_pairs"] == 1
    assert rep["qualifier_accuracy"] == 0.5
    assert rep["name_similarity"] == pytest.approx((14 / 16 + 1.0) / 2)


# ---------------------------------------------------------------- issues

ISSUE_SRC = "存在的问题：一是普法宣传效果不足。二是执法队伍素质不高。"


def test_issue_spans_overlap_match_regardless_of_summary() -> None:
    gold = doc(issues=[issue("普法宣传效果不足", "普法宣传效果不足", category="legal_services")])
    pred = doc(issues=[issue("完全不同", "一是普法宣传", category="legal_services")])
    s = score_fixture("f", ISSUE_SRC, gold, pred)
    assert (s.issues.matched, s.issues.category_correct) == (1, 1)
    assert s.outcomes[0].match_by == "span"


def test_issue_summary_fallback_f1_at_least_half_matches() -> None:
    gold = doc(issues=[issue("普法宣传效果不足", "普法宣传效果不足")])
    # summaries share 6 chars: F1 = 12 / 18; spans do not overlap
    pred = doc(issues=[issue("普法宣传效果有待提高", "执法队伍素质不高")])
    s = score_fixture("f", ISSUE_SRC, gold, pred)
    assert s.issues.matched == 1
    assert s.outcomes[0].match_by == "summary"


def test_issue_summary_fallback_exactly_half_matches() -> None:
    gold = doc(issues=[issue("甲乙丙丁", "普法宣传效果不足")])
    pred = doc(issues=[issue("甲乙戊己", "执法队伍素质不高")])  # F1 = 4 / 8
    assert score_fixture("f", ISSUE_SRC, gold, pred).issues.matched == 1


def test_issue_summary_fallback_below_half_does_not_match() -> None:
    gold = doc(issues=[issue("普法宣传效果不足", "普法宣传效果不足")])
    pred = doc(issues=[issue("执法队伍素质不高", "执法队伍素质不高")])  # F1 = 2 / 16
    s = score_fixture("f", ISSUE_SRC, gold, pred)
    assert (s.issues.matched, s.issues.predicted, s.issues.gold) == (0, 1, 1)
    assert outcomes(s, "issue") == ["missed", "spurious"]


def test_issue_summary_fallback_needs_grounded_prediction() -> None:
    gold = doc(issues=[issue("普法宣传效果不足", "普法宣传效果不足")])
    pred = doc(issues=[issue("普法宣传效果不足", "不在原文中的句子")])
    s = score_fixture("f", ISSUE_SRC, gold, pred)
    assert (s.issues.matched, s.issues.ungrounded) == (0, 1)


def test_issue_span_match_preferred_over_summary_match() -> None:
    g1 = issue("普法宣传效果不足", "普法宣传效果不足")
    g2 = issue("执法队伍素质不高", "执法队伍素质不高")
    pred = issue("普法宣传效果不足", "执法队伍")  # summary equals g1, span overlaps g2
    s = score_fixture("f", ISSUE_SRC, doc(issues=[g1, g2]), doc(issues=[pred]))
    matched = [o for o in s.outcomes if o.outcome == "matched"]
    assert [(o.gold is g2, o.match_by) for o in matched] == [(True, "span")]


# ---------------------------------------------------------------- meta


def test_null_metadata_equals_only_null() -> None:
    gold = doc(meta={"region": None, "province": None, "title": "报告", "report_year": 2022})
    pred = doc(meta={"region": None, "province": "", "title": None, "report_year": "２０２２"})
    fields = {m.name: m.correct for m in score_fixture("f", "", gold, pred).meta}
    assert (fields["region"], fields["province"], fields["title"]) == (True, False, False)
    assert fields["report_year"] is True


def test_meta_accuracy_per_field_and_pooled() -> None:
    gold = doc(meta={"title": "东阳市 报告", "region": "东阳市", "province": "浙江省",
                     "admin_level": "county", "report_year": 2022, "published_date": None,
                     "issuer": "东阳市人民政府", "doc_type": "government_report"})
    pred = doc(meta=gold["meta"] | {"title": "东阳市报告", "admin_level": "prefecture"})
    meta = summarise([score_fixture("f", "", gold, pred)])["meta"]
    assert meta["accuracy"] == 7 / 8
    assert (meta["fields"]["title"], meta["fields"]["admin_level"]) == (1.0, 0.0)


# ---------------------------------------------------------------- empty, missing, averaging


def test_empty_prediction_scores_zero_recall_and_precision() -> None:
    gold = doc([metric(56, "件", "受理行政复议案件56件")],
               [issue("普法宣传效果不足", "普法宣传效果不足")], {"region": "东阳市"})
    s = score_fixture("f", SOURCE + ISSUE_SRC, gold, doc())
    rep = summarise([s])
    assert s.missing_prediction is False
    for kind in ("metrics", "issues"):
        assert (rep[kind]["precision"], rep[kind]["recall"], rep[kind]["f1"]) == (0.0, 0.0, 0.0)
        assert rep[kind]["category_accuracy"] is None
    assert rep["meta"]["accuracy"] == 7 / 8  # only region is wrong; the 7 null fields agree


def test_missing_prediction_file_scores_as_empty_and_is_flagged() -> None:
    gold = doc([metric(56, "件", "受理行政复议案件56件")])
    s = score_fixture("f", SOURCE, gold, None)
    rep = summarise([s])
    assert s.missing_prediction is True
    assert metric_counts(s) == (0, 0, 1, 0)
    assert rep["missing_predictions"] == ["f"]
    assert rep["fixtures"]["f"]["missing_prediction"] is True
    assert rep["metrics"]["recall"] == 0.0


def test_nothing_gold_nothing_predicted_is_perfect_with_null_accuracies() -> None:
    rep = summarise([score_fixture("f", SOURCE, doc(), doc())])
    assert (rep["metrics"]["precision"], rep["metrics"]["recall"], rep["metrics"]["f1"]) == (1, 1, 1)
    assert rep["metrics"]["qualifier_accuracy"] is None
    assert rep["metrics"]["name_similarity"] is None


def test_micro_average_across_two_fixtures_differs_from_macro() -> None:
    good = score_fixture("a", SOURCE, doc([metric(56, "件", "受理行政复议案件56件")]),
                         doc([metric(56, "件", "受理行政复议案件56件")]))
    gold_b = doc([metric(50, "件", "办结50件"), metric(3, "场", "3场"), metric(56, "件", "56件")])
    bad = score_fixture("b", SOURCE, gold_b, doc([metric(1, "件", "办结50件")] * 3))
    rep = summarise([good, bad])
    fixtures = rep["fixtures"]
    macro = (fixtures["a"]["metrics"]["precision"] + fixtures["b"]["metrics"]["precision"]) / 2
    assert (rep["metrics"]["matched"], rep["metrics"]["predicted"], rep["metrics"]["gold"]) == (1, 4, 4)
    assert rep["metrics"]["precision"] == 0.25
    assert rep["metrics"]["recall"] == 0.25
    assert rep["metrics"]["f1"] == 0.25
    assert macro == 0.5


def test_summary_has_contract_keys_and_is_json_serialisable() -> None:
    import json

    rep = summarise([score_fixture("f", SOURCE, doc([metric(56, "件", "受理行政复议案件56件")]), None)])
    for kind in ("metrics", "issues"):
        assert {"precision", "recall", "f1", "ungrounded"} <= rep[kind].keys()
    assert "accuracy" in rep["meta"] and "fields" in rep["meta"]
    assert json.loads(json.dumps(rep, ensure_ascii=False))["fixtures"]["f"]["fixture_id"] == "f"
