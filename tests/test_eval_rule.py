"""Tracing a miss: the offline rules say what became of every figure (schemas.rules.offline.trace_offline),
and `fazhi eval` stores with each metric item the rule that kept or excluded it (eval_items.rule)."""

import json
from pathlib import Path

from fazhi.agent import api
from fazhi.agent.cli import app
from fazhi.schemas.rules import extract_offline, trace_offline
from typer.testing import CliRunner

FIXTURES = Path(__file__).resolve().parent.parent / "evals" / "fixtures"
REPORT = (
    "XX县2022年法治政府建设情况报告\n"
    "一、主要工作\n"
    "全年办理行政复议案件56件，法治政府建设考核排名全省第3位。下一步，全县将新增调解组织12个。\n"
    "二、存在的问题\n"
    "执法力量不足。\n"
    "三、下一步工作\n"
    "新建法律援助工作站8个。\n"
)


def metric(name: str, value: int, unit: str, evidence: str) -> dict:
    return {"name": name, "value": value, "unit": unit, "qualifier": "exact", "category": "other",
            "canonical": None, "evidence": evidence, "start": None}


def write_fixture(root: Path, metrics: list[dict]) -> Path:
    folder = root / "xx-2022"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "source.txt").write_text(REPORT, encoding="utf-8")
    gold = {"fixture_id": "xx-2022", "meta": {}, "metrics": metrics, "issues": []}
    (folder / "gold.json").write_text(json.dumps(gold, ensure_ascii=False), encoding="utf-8")
    return root


CASES = [  # a gold metric, and the rule the trace gives it
    (metric("行政复议案件数", 56, "件", "全年办理行政复议案件56件"), "kept: achievements"),
    (metric("考核排名", 3, "位", "法治政府建设考核排名全省第3位"), "ordinal_or_rank: ordinal"),
    (metric("新增调解组织数", 12, "个", "全县将新增调解组织12个"), "target"),
    (metric("法律援助工作站数", 8, "个", "新建法律援助工作站8个"), "not read: plans"),
]


def test_trace_names_what_became_of_every_figure_with_offsets_in_the_stored_text() -> None:
    trace = trace_offline(REPORT)
    assert [(REPORT[e.start:e.end], e.label) for e in trace] == [
        ("56件", "kept: achievements"), ("3位", "ordinal_or_rank: ordinal"), ("12个", "target"),
        ("8个", "not read: plans")]
    kept = trace[0]
    assert REPORT[kept.evidence_start:kept.evidence_end] == extract_offline(REPORT).metrics[0].evidence


def test_trace_keeps_exactly_the_extracted_metrics() -> None:
    text = (FIXTURES / "dongyang-2022" / "source.txt").read_text(encoding="utf-8")
    kept = [(e.evidence_start, e.evidence_end, e.value, e.unit) for e in trace_offline(text) if e.rule == "kept"]
    assert kept == [(m.start, m.end, m.value, m.unit) for m in extract_offline(text).metrics]


def eval_items() -> dict[str, tuple[str, str | None]]:
    with api.open_store() as store:
        rows = store.query("SELECT outcome, gold->>'evidence', rule FROM eval_items"
                           " WHERE eval_id = 1 AND kind = 'metric'")[1]
    return {evidence: (outcome, rule) for outcome, evidence, rule in rows}


def test_eval_items_record_the_rule_that_kept_or_excluded_each_metric(tmp_path: Path) -> None:
    fixtures = write_fixture(tmp_path / "fx", [gold for gold, _ in CASES])
    result = CliRunner().invoke(app, ["eval", "--fixtures", str(fixtures), "--html", str(tmp_path / "r.html")])
    assert result.exit_code == 0, result.output
    assert eval_items() == {
        "全年办理行政复议案件56件": ("matched", "kept: achievements"),
        "法治政府建设考核排名全省第3位": ("missed", "ordinal_or_rank: ordinal"),
        "全县将新增调解组织12个": ("missed", "target"),
        "新建法律援助工作站8个": ("missed", "not read: plans"),
    }
    assert "rule: ordinal_or_rank: ordinal" in (tmp_path / "r.html").read_text(encoding="utf-8")


def test_eval_diff_shows_the_rule_of_each_changed_item(tmp_path: Path) -> None:
    runner = CliRunner()
    assert runner.invoke(app, ["eval", "--fixtures", str(write_fixture(tmp_path / "a", [CASES[0][0]]))]).exit_code == 0
    assert runner.invoke(app, ["eval", "--fixtures", str(write_fixture(tmp_path / "b", [CASES[1][0]]))]).exit_code == 0
    result = runner.invoke(app, ["eval", "diff", "1", "2"])
    assert result.exit_code == 0, result.output
    assert "newly spurious" in result.stdout and "[rule: kept: achievements]" in result.stdout
