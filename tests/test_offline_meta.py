"""Offline metadata rules (schemas/rules/meta.py) and the gazetteer they rely on."""

import json
from pathlib import Path

import pytest
from fazhi.evals.scoring import score_fixture
from fazhi.schemas.report import ReportMeta
from fazhi.schemas.rules import gazetteer
from fazhi.schemas.rules.meta import extract_meta
from fazhi.schemas.rules.offline import extract_offline
from fazhi.schemas.rules.parts import segment

FIXTURES = Path(__file__).resolve().parents[1] / "evals" / "fixtures"


def meta_of(text: str) -> ReportMeta:
    return extract_meta(text, segment(text))


@pytest.mark.parametrize(
    ("name", "province", "level"),
    [("东阳市", "浙江省", "county"), ("互助县", "青海省", "county"), ("南阳市", "河南省", "prefecture"),
     ("从化区", "广东省", "county"), ("浙江省", "浙江省", "province")],
)
def test_gazetteer_resolves_divisions_to_their_province(name: str, province: str, level: str) -> None:
    place = gazetteer.resolve(name)
    assert place is not None and place.province == province and place.level == level


def test_gazetteer_knows_short_forms_of_autonomous_divisions() -> None:
    assert gazetteer.resolve("互助土族自治县") == gazetteer.resolve("互助县")
    assert gazetteer.province_of("恩施州") == "湖北省"


def test_gazetteer_leaves_shared_names_unresolved_without_context() -> None:
    assert gazetteer.resolve("鼓楼区") is None
    assert gazetteer.province_of("鼓楼区", ["福州市"]) == "福建省"


def test_gazetteer_finds_a_county_renamed_into_a_district_since_the_data() -> None:
    assert gazetteer.province_of("梁平区") == "重庆市"


def test_district_missing_from_the_gazetteer_takes_its_province_from_the_parent_city() -> None:
    text = "杭州市临平区人民政府关于2022年度法治政府建设情况的报告\n2022年，我区法治政府建设取得新成效，现报告如下。\n"
    meta = meta_of(text)
    assert (meta.region, meta.province, meta.admin_level) == ("临平区", "浙江省", "county")
    assert meta.issuer == "杭州市临平区人民政府"


def test_gazetteer_finds_chained_names_but_not_words_that_end_like_names() -> None:
    found = [name for _, _, name in gazetteer.mentions("广州市从化区创建示范县,推进城区建设")]
    assert found == ["广州市", "从化区"]


def test_government_report_with_web_header() -> None:
    text = (
        "东阳市人民政府关于2022年度法治政府建设情况的报告\n\n"
        "发布日期: 2023-03-31 17:31 来源: 东阳市人民政府 字号: [ ] 浏览次数:\n\n"
        "今年以来,我市坚持依法行政,取得积极成效。现将2022年度法治政府建设情况报告如下:\n"
        "一、主要工作和成效\n办理案件9个。\n"
    )
    assert meta_of(text) == ReportMeta(
        title="东阳市人民政府关于2022年度法治政府建设情况的报告", region="东阳市", province="浙江省",
        admin_level="county", report_year=2022, published_date="2023-03-31", issuer="东阳市人民政府",
        doc_type="government_report",
    )


def test_signature_is_the_issuer_and_header_date_is_the_publication_date() -> None:
    text = (
        "从化区2020年法治政府建设工作情况报告\n来源:本网 发布时间:2021-01-13 11:07\n"
        "2020年以来,从化区在市委市政府的正确领导下,推进法治政府建设。\n一、主要工作情况\n办理案件10件。\n"
        "专此报告。\n广州市从化区人民政府\n2021年1月12日\n"
    )
    meta = meta_of(text)
    assert (meta.region, meta.province, meta.issuer) == ("从化区", "广东省", "广州市从化区人民政府")
    assert (meta.report_year, meta.published_date) == (2020, "2021-01-13")


def test_publisher_without_place_gets_the_region_and_the_year_comes_from_the_opening() -> None:
    text = (
        "发布机构:司法局 | 公文时效:是 |\n主题分类:司法 | 发布日期:2025-04-01 |\n"
        "2024年,互助县法治政府建设工作在县委的正确领导下,取得新成效。我县持续推进。\n一、工作开展情况\n受理案件28件。\n"
    )
    meta = meta_of(text)
    assert meta.title is None
    assert (meta.region, meta.province, meta.issuer) == ("互助县", "青海省", "互助县司法局")
    assert (meta.report_year, meta.published_date, meta.doc_type) == (2024, "2025-04-01", "government_report")


def test_region_from_how_the_report_names_itself_and_composed_issuer() -> None:
    text = (
        "2022年,我市坚持以习近平法治思想为指导,法治政府建设取得良好成效。\n一、主要举措和成效\n"
        "制定《南阳市人民政府2022年度立法计划》,全市办理案件12件,南阳市各县区、镇平县同步推进。\n"
    )
    meta = meta_of(text)
    assert (meta.region, meta.province, meta.admin_level) == ("南阳市", "河南省", "prefecture")
    assert (meta.issuer, meta.title, meta.published_date) == ("南阳市人民政府", None, None)


def test_anonymised_congress_survey() -> None:
    text = (
        "关于XX市法治政府建设情况的调研报告\n主任、副主任,各位委员:\n根据市人大常委会2023年监督工作计划的安排,"
        "开展专题调研。现将有关情况报告如下:\n一、基本情况\n"
        "一是2022年法治政府审议意见有效落实,较2021年同期提高5个百分点。"
        "全市18个乡镇(街道)全面推进。\n"
    )
    meta = meta_of(text)
    assert (meta.region, meta.province, meta.issuer) == (None, None, "XX市人大常委会")
    assert (meta.doc_type, meta.report_year, meta.admin_level) == ("congress_survey", 2022, "county")


def test_department_report_names_its_department() -> None:
    text = (
        "市司法局2022年法治政府建设工作报告\n2022年,市司法局认真贯彻东阳市委部署,全市法治政府建设取得新进展。\n"
        "一、主要做法\n组织学法活动12场。\n东阳市司法局\n二〇二三年三月十日\n"
    )
    meta = meta_of(text)
    assert (meta.doc_type, meta.admin_level, meta.issuer) == ("department_report", "department", "东阳市司法局")
    assert (meta.region, meta.province, meta.published_date) == ("东阳市", "浙江省", "2023-03-10")


def test_work_report_year_is_the_year_reviewed_and_its_date_the_one_below_the_title() -> None:
    text = (
        "2024年政府工作报告\n——2024年1月10日在金华市第八届人民代表大会第四次会议上\n各位代表：\n"
        "现在，我代表市人民政府，向大会报告工作，请予审议。\n一、2023年工作回顾\n2023年，全市生产总值增长6.5%。\n"
        "二、2024年工作安排\n2024年，全市生产总值增长6%左右。\n"
    )
    meta = meta_of(text)
    assert (meta.report_year, meta.published_date, meta.region) == (2023, "2024-01-10", "金华市")


def test_page_title_loses_the_site_name() -> None:
    text = (
        "东阳市司法局2022年度法治政府建设工作报告_东阳市人民政府门户网站\n"
        "2022年,市司法局扎实推进法治政府建设,取得成效。\n"
    )
    assert meta_of(text).title == "东阳市司法局2022年度法治政府建设工作报告"


def test_navigation_page_has_no_metadata() -> None:
    text = (
        "首页 | 政务公开 | 政务服务 | 互动交流\n当前位置：首页 > 政务公开 > 法治政府建设\n"
        "东阳市2022年法治政府建设年度报告 2023-03-30\n主办单位：东阳市人民政府办公室 联系电话：0579-12345678\n"
    )
    assert meta_of(text) == ReportMeta()


def test_unknown_fields_stay_null() -> None:
    meta = meta_of("一、主要工作\n本单位认真开展各项工作,取得一定成效,办理案件5件。\n")
    assert (meta.title, meta.region, meta.province, meta.published_date, meta.issuer) == (None,) * 5


def test_fixture_metadata_reaches_the_target() -> None:
    correct = total = 0
    for folder in sorted(p for p in FIXTURES.iterdir() if (p / "gold.json").exists()):
        source = (folder / "source.txt").read_text(encoding="utf-8")
        gold = json.loads((folder / "gold.json").read_text(encoding="utf-8"))
        score = score_fixture(folder.name, source, gold, extract_offline(source).model_dump(mode="json"))
        correct += sum(field.correct for field in score.meta)
        total += len(score.meta)
    assert correct / total >= 0.9


def test_the_publication_date_wins_over_the_date_of_writing() -> None:
    text = ("江西省人民政府门户网站\n发布机构：江西省人民政府　成文日期：2024-03-26\n发布日期：2024-03-29\n"
            "江西省人民政府关于2023年法治政府建设情况的报告\n2023年，我省法治政府建设取得新成效。\n")
    assert extract_meta(text, segment(text)).published_date == "2024-03-29"


def test_a_government_work_report_is_not_a_rule_of_law_report() -> None:
    text = ("政府工作报告\n各位代表：\n现在，我代表县人民政府向大会报告工作。\n一、2023年工作回顾\n"
            "全县地区生产总值增长6%，推进法治政府建设。\n二、2024年主要目标\n增长6%左右。\n")
    assert extract_meta(text, segment(text)).doc_type == "other"


def test_text_without_line_breaks_keeps_its_title_and_page_date() -> None:
    text = ("长兴县人民政府关于2021年度法治政府建设情况的报告发布时间：2022-01-26 来源：长兴县人民政府 "
            "2021年，长兴县法治政府建设取得新成效。一、主要工作 全年办结行政复议案件12件。"
            "二、存在的问题 一是能力不足。")
    meta = extract_meta(text, segment(text))
    assert (meta.title, meta.published_date) == ("长兴县人民政府关于2021年度法治政府建设情况的报告", "2022-01-26")


def test_a_phrase_like_quanshi_is_never_a_region() -> None:
    text = "关于全市法治政府建设情况的调研报告\n市人大常委会：\n一、基本情况\n全市办结行政复议案件12件。\n"
    assert extract_meta(text, segment(text)).region is None
