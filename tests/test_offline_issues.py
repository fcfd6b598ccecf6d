"""Offline issue rules (schemas/rules/issues.py): granularity and evidence of admitted problems."""

import json
from pathlib import Path

import pytest
from fazhi.evals.scoring import score_fixture, summarise
from fazhi.schemas.rules.issues import extract_issues
from fazhi.schemas.rules.offline import extract_offline
from fazhi.schemas.rules.parts import segment

FIXTURES = Path(__file__).resolve().parents[1] / "evals" / "fixtures"


def issues_of(text: str) -> list[str]:
    return [i.evidence for i in extract_issues(text, segment(text))]


def test_one_issue_per_heading_and_its_subpoints_are_detail() -> None:
    text = (
        "一、主要工作情况\n办理案件56件。\n二、存在的问题\n2020年我区取得积极进展,但仍存在不足:\n"
        "(一)依法行政意识和能力有待加强。个别部门认识不足。\n"
        "(二)行政执法质量有待提高。一是执法程序不规范。二是执法文书不规范。三是执法监督不到位。\n"
        "(三)法治建设力量仍需加强。一是法制工作力量不足。二是律师顾问作用不足。\n"
        "三、下一步工作计划\n(一)提升法治意识。\n"
    )
    assert issues_of(text) == ["依法行政意识和能力有待加强", "行政执法质量有待提高", "法治建设力量仍需加强"]


def test_yishi_points_are_issues_when_there_are_no_headings() -> None:
    text = (
        "二、存在的问题\n虽然取得了一定成绩,但仍存在一些薄弱环节,主要表现在:一是学法成果转换不够明显。"
        "二是部分领导干部履行第一责任人职责的意识不强、力度不大,"
        "极个别干部对履行法治建设第一责任人职责的认识模糊、观念淡薄、行动迟缓、效果不佳、"
        "群众不满意。三是执法不够规范。\n"
    )
    assert issues_of(text) == [
        "学法成果转换不够明显",
        "部分领导干部履行第一责任人职责的意识不强、力度不大",
        "执法不够规范",
    ]


def test_semicolon_clauses_are_issues_without_the_lead_in() -> None:
    text = (
        "二、存在的问题和不足\n2022年我市取得了一些成绩,但还存在一些薄弱环节,如重大行政决策民主化水平仍有提升空间;"
        "乡镇综合行政执法机构规范化建设任重道远;基层执法人员素质参差不齐,行政执法质量有待进一步提高。\n"
        "三、下步工作打算\n下一步,我市将继续努力。\n"
    )
    assert issues_of(text) == [
        "重大行政决策民主化水平仍有提升空间",
        "乡镇综合行政执法机构规范化建设任重道远",
        "基层执法人员素质参差不齐,行政执法质量有待进一步提高",
    ]


def test_plans_after_a_combined_heading_are_not_issues() -> None:
    text = (
        "二、存在的不足和下一步工作打算\n主要表现在:一是学法不够深入。二是执法不够规范。"
        "下一步,我县将重点做好以下工作:\n(一)持续推进学法。\n(二)持续规范执法。\n"
    )
    assert issues_of(text) == ["学法不够深入", "执法不够规范"]


def test_report_without_problems_section_has_no_issues() -> None:
    text = "一、主要工作\n办理行政复议案件12件,存在问题的案件均已纠正。\n二、下一步打算\n解决群众反映的突出问题。\n"
    assert issues_of(text) == []


def test_lone_problems_heading_is_looked_through() -> None:
    text = "二、存在问题和原因\n(一)存在的问题\n1.普法针对性不强。\n2.执法力量薄弱。\n"
    assert issues_of(text) == ["普法针对性不强", "执法力量薄弱"]


def test_issue_evidence_is_the_exact_source_slice() -> None:
    for path in sorted(FIXTURES.glob("*/source.txt")):
        text = path.read_text(encoding="utf-8")
        for issue in extract_issues(text, segment(text)):
            assert text[issue.start: issue.end] == issue.evidence
            assert issue.summary and len(issue.summary) <= len(issue.evidence)


def test_summary_is_the_first_clause_of_a_long_evidence() -> None:
    text = (
        "二、存在的问题\n一是学习宣传贯彻法治思想成果转换不够明显,"
        "与依法治国和建设高效法治政府的要求还存在一定差距。\n"
    )
    (issue,) = extract_issues(text, segment(text))
    assert issue.summary == "学习宣传贯彻法治思想成果转换不够明显"
    assert issue.evidence.endswith("还存在一定差距")


def test_issue_category_comes_from_the_area_keywords() -> None:
    text = "二、存在的问题\n(一)行政执法质量有待提高。执法程序不规范。\n(二)普法宣传效果有待提高。\n"
    categories = [i.category.value for i in extract_issues(text, segment(text))]
    assert categories == ["enforcement", "legal_services"]


def fixture_scores() -> list:
    scores = []
    for folder in sorted(p for p in FIXTURES.iterdir() if (p / "gold.json").exists()):
        source = (folder / "source.txt").read_text(encoding="utf-8")
        gold = json.loads((folder / "gold.json").read_text(encoding="utf-8"))
        pred = extract_offline(source).model_dump(mode="json")
        scores.append(score_fixture(folder.name, source, gold, pred))
    return scores


@pytest.fixture(scope="module")
def summary() -> dict:
    return summarise(fixture_scores())


def test_fixture_issues_reach_the_target_without_ungrounded_items(summary: dict) -> None:
    assert summary["issues"]["f1"] >= 0.9
    assert summary["issues"]["ungrounded"] == 0


def test_work_on_solving_problems_is_not_a_problems_section() -> None:
    text = (
        "一、主要工作\n(一)加强学习。开展学习5次。\n(二)着力解决存在的问题\n针对检查中存在的问题：一是加强整改；二是建立台账。\n"
        "二、下一步打算\n继续努力。\n"
    )
    assert issues_of(text) == []


def test_a_problem_heading_that_says_what_falls_short_is_an_issue_not_a_section_title() -> None:
    text = ("二、存在的问题和不足\n在肯定成绩的同时，也存在一些问题。\n"
            "（一）执法规范化水平仍需提升。一是能力不足；二是程序不规范。\n"
            "（二）法治工作队伍建设存在短板。一是编制偏紧；二是作用发挥不充分。\n三、下一步工作\n加强队伍建设。\n")
    issues = extract_issues(text, segment(text))
    assert [i.summary for i in issues] == ["执法规范化水平仍需提升", "法治工作队伍建设存在短板"]


def test_problems_listed_inside_one_sentence_are_split_at_their_top_level_commas() -> None:
    text = ("某市人民政府关于2020年法治政府建设情况的报告\n一年来，全市依法行政水平不断提高。\n"
            "同时，我们也清醒地看到，我市法治政府建设还存在一些薄弱环节，主要是部分领导干部运用法治思维解决问题的能力"
            "有待提高、基层行政执法力量配备不足，执法不规范现象仍有发生、矛盾纠纷源头预防机制还不够健全。\n"
            "下一步，我们将继续推进法治政府建设。\n")
    summaries = [i.evidence for i in extract_issues(text, segment(text))]
    assert summaries == ["部分领导干部运用法治思维解决问题的能力有待提高",
                         "基层行政执法力量配备不足，执法不规范现象仍有发生", "矛盾纠纷源头预防机制还不够健全"]
