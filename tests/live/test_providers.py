"""Live checks against real providers: the same small extraction through each built-in profile whose
API key is in the environment (skipped otherwise, so CI and machines without keys skip them all).

    DEEPSEEK_API_KEY=sk-... python -m pytest tests/live -n0 -v

Keys are read when the tests are collected (the suite's fixtures clear provider variables for every
test) and passed to fazhi explicitly.
"""

import os
from pathlib import Path

import pytest
from fazhi.agent import api
from fazhi.agent.providers import PROFILES

KEYS = {name: os.environ.get(p.api_key_env or "") for name, p in PROFILES.items() if p.api_key_env}
REPORT = (
    "东阳市人民政府关于2022年度法治政府建设情况的报告\n发布日期: 2023-03-31\n"
    "2022年，我市坚持以习近平新时代中国特色社会主义思想为指导，法治政府建设取得新成效。\n"
    "一、主要工作和成效\n全年办结行政复议案件126件，行政机关负责人出庭应诉率100%，组织专题法治学习3场390余人次，"
    "力争2023年实现行政复议案件纠错率控制在10%以内。\n"
    "二、存在的问题\n（一）普法宣传效果有待进一步提高。\n（二）基层法治力量有待进一步充实。\n"
)


@pytest.mark.parametrize("profile", sorted(KEYS))
def test_a_small_report_through_a_real_provider(profile: str, tmp_path: Path) -> None:
    key = KEYS[profile]
    if not key:
        pytest.skip(f"{PROFILES[profile].api_key_env} is not set")
    path = tmp_path / "report.txt"
    path.write_text(REPORT, encoding="utf-8")
    summary = api.extract([path], api.Options(profile=profile, api_key=key, use_cache=False))
    assert (summary.done, summary.failed) == (1, 0), summary.failures
    report = api.show("report.txt")
    values = {(m["value"], m["unit"]) for m in report["metrics"]}
    assert {(126, "件"), (100, "%"), (3, "场"), (390, "人次")} <= values
    assert (10, "%") not in values  # a target, not a metric
    assert len(report["issues"]) == 2
    assert report["meta"]["region"] == "东阳市" and report["meta"]["report_year"] == 2022
