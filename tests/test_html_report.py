"""The HTML eval report: totals, fixture ids, escaping, highlight classes on the right text, overlaps."""

from __future__ import annotations

from html.parser import HTMLParser

from fazhi.evals.html_report import render_report
from fazhi.evals.scoring import FixtureScore, score_fixture, summarise

SOURCE = ("一、工作成效\n全年办理行政复议案件56件，其中办结50件。开展普法宣传活动300余场。\n"
          "二、存在问题\n普法宣传效果有待进一步提高。")


def metric(value: float, evidence: str, unit: str = "件", name: str = "案件数", start: int | None = None) -> dict:
    return {"name": name, "value": value, "unit": unit, "qualifier": "exact", "category": "disputes",
            "canonical": None, "evidence": evidence, "start": start}


def issue(summary: str, evidence: str) -> dict:
    return {"summary": summary, "category": "legal_services", "evidence": evidence, "start": None}


def doc(metrics: list[dict], issues: list[dict] | None = None, **meta: object) -> dict:
    return {"meta": {"region": "东阳市", **meta}, "metrics": metrics, "issues": issues or []}


class Highlights(HTMLParser):
    """Collects the text of the source <pre> and each highlight (classes, title, text) inside it."""

    def __init__(self) -> None:
        super().__init__()
        self.text, self.marks, self.depth = "", [], 0
        self.current: dict | None = None

    def handle_starttag(self, tag: str, attrs: list) -> None:
        a = dict(attrs)
        if tag == "pre" and "source" in (a.get("class") or ""):
            self.depth = 1
        elif self.depth and tag == "span" and (a.get("class") or "").startswith("hl"):
            self.current = {"classes": set(a["class"].split()), "title": a.get("title", ""), "text": ""}
            self.marks.append(self.current)

    def handle_endtag(self, tag: str) -> None:
        if tag == "pre":
            self.depth = 0
        elif tag == "span":
            self.current = None

    def handle_data(self, data: str) -> None:
        if self.depth:
            self.text += data
            if self.current is not None:
                self.current["text"] += data


def render(*cases: tuple[str, str, dict, dict | None], **extra: object) -> tuple[str, list[FixtureScore]]:
    scores = [score_fixture(fid, src, gold, pred) for fid, src, gold, pred in cases]
    views = [(fid, src, s) for (fid, src, _, _), s in zip(cases, scores)]
    return render_report("评测报告", summarise(scores) | extra, views), scores


def highlights(page: str) -> Highlights:
    parser = Highlights()
    parser.feed(page)
    return parser


def texts_with(h: Highlights, cls: str) -> list[str]:
    return [m["text"] for m in h.marks if cls in m["classes"]]


def test_page_is_one_self_contained_document() -> None:
    page, _ = render(("a", SOURCE, doc([metric(56, "办理行政复议案件56件")]), None))
    assert page.startswith("<!DOCTYPE html>") and page.count("<html") == 1
    assert "<style>" in page
    assert "http://" not in page and "https://" not in page and "<link" not in page


def test_page_contains_each_fixture_id_and_the_totals_and_run_info() -> None:
    gold = doc([metric(56, "办理行政复议案件56件"), metric(50, "其中办结50件")])
    pred = doc([metric(56, "办理行政复议案件56件"), metric(300, "开展普法宣传活动300余场", "场")])
    page, _ = render(("dongyang-2022", SOURCE, gold, pred), ("huzhu-2024", SOURCE, gold, gold),
                     backend="offline", model="qwen-max", prompt_version="v7", eval_id=12)
    assert "dongyang-2022" in page and "huzhu-2024" in page
    assert "Totals" in page
    assert "3 / 4 / 4" in page  # metrics matched / predicted / gold over both fixtures
    assert "75.0%" in page  # metric precision and recall
    for value in ("offline", "qwen-max", "v7", "12"):
        assert value in page
    for label in ("ungrounded", "category accuracy", "canonical accuracy", "qualifier accuracy", "name similarity"):
        assert label in page


def test_hostile_text_is_escaped_everywhere() -> None:
    source = SOURCE + '<script>alert("x")</script>共有<b>7</b>件'
    hostile = metric(7, '<script>alert("x")</script>', name="<img src=x onerror=alert(1)>")
    page, _ = render(("<i>bad-id</i>", source, doc([hostile], region="<b>东阳</b>"), doc([hostile])))
    for raw in ("<script", "<img", "<i>bad", "<b>7", "<b>东阳"):
        assert raw not in page
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in page
    assert "&lt;i&gt;bad-id&lt;/i&gt;" in page
    assert highlights(page).text == source


def test_matched_missed_and_spurious_items_get_distinct_classes_on_their_own_text() -> None:
    gold = doc([metric(56, "办理行政复议案件56件"), metric(50, "其中办结50件")])
    pred = doc([metric(56, "办理行政复议案件56件"), metric(300, "开展普法宣传活动300余场", "场")])
    page, _ = render(("f", SOURCE, gold, pred))
    h = highlights(page)
    assert texts_with(h, "matched") == ["办理行政复议案件56件"]
    assert texts_with(h, "missed") == ["其中办结50件"]
    assert texts_with(h, "spurious") == ["开展普法宣传活动300余场"]
    assert h.text == SOURCE


def test_each_highlight_has_a_tooltip_naming_its_item() -> None:
    gold = doc([metric(50, "其中办结50件", name="办结案件数")], [issue("普法效果不佳", "普法宣传效果有待进一步提高")])
    page, _ = render(("f", SOURCE, gold, doc([])))
    titles = [m["title"] for m in highlights(page).marks]
    assert any("办结案件数 = 50 件" in t and "MISSED metric" in t for t in titles)
    assert any("普法效果不佳" in t and "MISSED issue" in t for t in titles)


def test_overlapping_gold_and_predicted_spans_split_into_segments_carrying_both_kinds() -> None:
    gold = doc([metric(56, "行政复议案件56件")])
    pred = doc([metric(57, "56件，其中办结")])  # wrong value: missed gold + spurious prediction, overlapping
    page, _ = render(("f", SOURCE, gold, pred))
    h = highlights(page)
    assert [(m["text"], {"missed", "spurious"} & m["classes"]) for m in h.marks] == [
        ("行政复议案件", {"missed"}), ("56件", {"missed", "spurious"}), ("，其中办结", {"spurious"})]
    both = h.marks[1]
    assert "stacked" in both["classes"] and "= 56 件" in both["title"] and "= 57 件" in both["title"]
    assert h.text == SOURCE


def test_nested_spans_of_a_matched_metric_inside_a_missed_issue_both_render() -> None:
    gold = doc([metric(300, "300余场", "场")], [issue("普法活动", "开展普法宣传活动300余场")])
    page, _ = render(("f", SOURCE, gold, doc([metric(300, "300余场", "场")])))
    h = highlights(page)
    assert texts_with(h, "missed") == ["开展普法宣传活动", "300余场"]
    assert texts_with(h, "matched") == ["300余场"]
    assert h.text == SOURCE


def test_normalised_spans_map_back_to_raw_text_with_whitespace_and_fullwidth_digits() -> None:
    source = "全年 共办理\n行政复议 案件 ５６ 件 ，其中办结50件。"
    page, _ = render(("f", source, doc([metric(56, "行政复议案件56件")]), doc([metric(56, "行政复议案件56件")])))
    h = highlights(page)
    assert texts_with(h, "matched") == ["行政复议 案件 ５６ 件"]
    assert h.text == source


def test_missing_prediction_shows_a_banner_and_every_gold_item_as_missed() -> None:
    gold = doc([metric(56, "办理行政复议案件56件")], [issue("普法效果不佳", "普法宣传效果有待进一步提高")])
    page, scores = render(("nanyang-2022", SOURCE, gold, None))
    assert scores[0].missing_prediction
    assert "No prediction for this fixture" in page and "no prediction" in page
    h = highlights(page)
    assert texts_with(h, "missed") == ["办理行政复议案件56件", "普法宣传效果有待进一步提高"]
    assert not texts_with(h, "matched") and not texts_with(h, "spurious")


def test_ungrounded_predictions_are_listed_and_a_misplaced_one_is_highlighted_where_its_text_is() -> None:
    pred = doc([metric(50, "其中办结50件", start=0), metric(9, "并不存在的证据")])
    page, _ = render(("f", SOURCE, doc([]), pred))
    assert texts_with(highlights(page), "ungrounded") == ["其中办结50件"]
    assert "evidence text is not in the source" in page
    assert "start=0 does not point at the evidence" in page


def test_meta_fields_table_shows_gold_predicted_and_correctness() -> None:
    page, _ = render(("f", SOURCE, doc([], issuer="东阳市人民政府"), doc([], issuer="金华市人民政府")))
    assert "东阳市人民政府" in page and "金华市人民政府" in page
    assert "✗" in page and "✓" in page


def test_a_large_fixture_renders_quickly_and_keeps_its_text() -> None:
    parts = [f"第{i}项工作稳步推进，依法行政水平持续提高，全年办理案件{i}件。\n" for i in range(400)]
    source = "".join(parts)
    gold = doc([metric(i, f"办理案件{i}件") for i in range(200)])
    pred = doc([metric(i + (i % 5 == 0), f"办理案件{i}件") for i in range(0, 200, 2)])
    page, _ = render(("big", source, gold, pred))
    h = highlights(page)
    assert h.text == source
    assert len(texts_with(h, "matched")) == 80 and len(texts_with(h, "spurious")) == 20
