"""The offline backend never crashes, stays deterministic, and reads nothing from non-reports."""

import random
from pathlib import Path

import pytest
from fazhi.schemas.report import ReportMeta
from fazhi.schemas.rules.offline import METRIC_WINDOW, extract_offline
from fazhi.schemas.rules.parts import segment

FIXTURES = Path(__file__).resolve().parents[1] / "evals" / "fixtures"
NAV_PAGE = (
    "首页 | 政务公开 | 政务服务 | 互动交流 | 走进东阳\n当前位置：首页 > 政务公开 > 法治政府建设\n"
    "东阳市2022年法治政府建设年度报告 2023-03-30\n东阳市司法局2022年法治政府建设工作报告 2023-03-28\n"
    "关于印发《东阳市法治政府建设实施方案》的通知 2023-01-05\n共3条 1/1页\n上一页 1 下一页\n"
    "主办单位：东阳市人民政府办公室 联系电话：0579-12345678\n网站标识码：3307830001 浙ICP备12345678号-1\n"
)


def sources() -> list[str]:
    return [p.read_text(encoding="utf-8") for p in sorted(FIXTURES.glob("*/source.txt"))]


@pytest.mark.parametrize("text", ["", " ", "\n\n\t\r\n", "\ufeff", "。", "一、", "(一)", "1.", "一是"])
def test_empty_and_tiny_texts_give_an_empty_extraction(text: str) -> None:
    result = extract_offline(text)
    assert result.metrics == [] and result.issues == []
    assert result.meta.region is None and result.meta.report_year is None


@pytest.mark.parametrize("encoding", ["utf-8", "latin-1", "gb18030", "utf-16-le"])
def test_random_bytes_decoded_as_text_do_not_crash(encoding: str) -> None:
    data = random.Random(7).randbytes(200_000)
    result = extract_offline(data.decode(encoding, errors="replace"))
    assert result.issues == []
    assert result.meta.region is None


def test_random_utf8_bytes_have_no_report_body() -> None:
    text = random.Random(3).randbytes(100_000).decode("utf-8", errors="replace")
    assert {p.kind for p in segment(text)} <= {"header", "footer"}
    assert extract_offline(text).metrics == []


def test_text_without_numbers_has_no_metrics() -> None:
    text = "一、主要工作\n我市深入推进法治政府建设，依法行政水平不断提高。\n二、存在的问题\n法治宣传针对性不强。\n"
    result = extract_offline(text)
    assert result.metrics == []
    assert [i.evidence for i in result.issues] == ["法治宣传针对性不强"]


def test_navigation_page_gives_no_metrics_no_issues_and_null_metadata() -> None:
    result = extract_offline(NAV_PAGE)
    assert result.metrics == [] and result.issues == []
    assert result.meta == ReportMeta()


@pytest.mark.parametrize(
    "text",
    ["一" * 100_000, "(" * 100_000, "第" * 50_000 + "部分", "一、" * 50_000, "1." * 50_000, "一是" * 50_000,
     "XX市" * 30_000, "。" * 100_000, "存在问题：" * 20_000, "2022年" * 30_000, "\n" * 100_000, "a" * 1_000_000],
)
def test_pathological_repetitions_complete(text: str) -> None:
    result = extract_offline(text)
    assert isinstance(result.metrics, list)


def test_extraction_is_deterministic() -> None:
    for text in sources():
        assert extract_offline(text) == extract_offline(text)


def test_multi_megabyte_text_completes_with_grounded_offsets() -> None:
    base = "\n".join(sources())
    text = "\n".join([base] * (5_000_000 // len(base.encode("utf-8")) + 1))
    assert len(text) > METRIC_WINDOW
    result = extract_offline(text)
    assert result.metrics and result.meta.region is not None
    for metric in result.metrics[:: max(1, len(result.metrics) // 500)]:
        assert text[metric.start: metric.end] == metric.evidence
    for issue in result.issues:
        assert text[issue.start: issue.end] == issue.evidence


def test_long_text_without_line_breaks_completes() -> None:
    text = "我市推进法治政府建设，办理复议案件12件。" * 20_000
    result = extract_offline(text)
    assert result.issues == []
