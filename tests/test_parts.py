"""The frame and the parts of a report (schemas/rules/frame.py, parts.py), and the items of its problems
part (items.py): each test protects one way reports are built."""

from pathlib import Path

from fazhi.agent.genre import Part
from fazhi.schemas.rules.items import part_items
from fazhi.schemas.rules.parts import PART_KINDS, segment

FIXTURES = Path(__file__).resolve().parents[1] / "evals" / "fixtures"


def kinds(text: str) -> list[str]:
    return [p.kind for p in segment(text)]


def part_text(text: str, kind: str) -> str:
    return "".join(text[p.start: p.end] for p in segment(text) if p.kind == kind)


def item_texts(text: str, kind: str = "problems") -> list[str]:
    part = next(p for p in segment(text) if p.kind == kind)
    return [text[i.body: i.end].strip() for i in part_items(text, part)]


def assert_well_formed(text: str, parts: list[Part]) -> None:
    position = 0
    for part in parts:
        assert part.kind in PART_KINDS
        assert position <= part.start < part.end <= len(text)
        position = part.end


WEB_PAGE = """今天是,欢迎访问广州市从化区政府网
您当前所在位置: 首页 > 政务公开 > 总结公报 > 法治政府建设

从化区2020年法治政府建设工作情况报告

来源:本网 发布时间:2021-01-13 11:07

  2020年以来,从化区在区委的正确领导下,深入推进法治政府建设,取得积极成效。

  一、主要工作情况

  全年办理行政复议案件56件。

  二、存在的问题

  (一)依法行政意识和能力有待加强。个别部门认识不足。

  (二)行政执法质量有待提高。一是执法程序不规范。二是执法文书不规范。

  三、下一步工作计划

  (一)持续提升领导干部法治意识。

  专此报告。

  广州市从化区人民政府

  2021年1月12日

返回顶部打印页面关闭本页浏览次数:-
扫一扫在手机打开当前页
"""


def test_web_page_frame_is_header_title_closing_and_footer() -> None:
    assert kinds(WEB_PAGE) == [
        "header", "title", "header", "opening", "achievements", "problems", "plans", "closing", "footer",
    ]
    assert part_text(WEB_PAGE, "title") == "从化区2020年法治政府建设工作情况报告"
    assert "发布时间:2021-01-13" in part_text(WEB_PAGE, "header")
    assert "返回顶部" in part_text(WEB_PAGE, "footer") and "扫一扫" in part_text(WEB_PAGE, "footer")
    closing = part_text(WEB_PAGE, "closing")
    assert "广州市从化区人民政府" in closing and "2021年1月12日" in closing


def test_parts_are_in_order_and_do_not_overlap() -> None:
    for path in sorted(FIXTURES.glob("*/source.txt")):
        text = path.read_text(encoding="utf-8")
        assert_well_formed(text, segment(text))
    assert_well_formed(WEB_PAGE, segment(WEB_PAGE))


def test_information_table_header_comes_before_the_title() -> None:
    text = (
        "网站标识码:6302230002 主办单位:互助县人民政府办公室\n青公网安备 63022302000103号 备案号:青ICP备16000286号-1\n"
        "索 引 号:sfj/2025-00002 | 发文字号: |\n"
        "发布机构:司法局 | 公文时效:是 |\n主题分类:司法 | 发布日期:2025-04-01 |\n"
        "2024年,互助县法治政府建设工作取得新成效,现将工作开展情况报告如下。\n一、工作开展情况\n受理案件28件。\n"
    )
    assert kinds(text) == ["header", "opening", "achievements"]
    assert part_text(text, "header").count("\n") == 5


def test_text_without_headings_is_opening_then_achievements() -> None:
    text = "2022年,我市深入推进法治政府建设,取得明显成效。\n全年办理行政复议案件120件,审查规范性文件30件。\n"
    assert kinds(text) == ["opening", "achievements"]
    assert "120件" in part_text(text, "achievements")


def test_single_paragraph_without_headings_is_achievements() -> None:
    text = "2022年,我市深入推进法治政府建设,全年办理行政复议案件120件,审查规范性文件30件。"
    assert kinds(text) == ["achievements"]


def test_combined_problems_and_plans_section_splits_where_plans_begin() -> None:
    text = (
        "一、工作开展情况\n受理案件28件。\n二、存在的不足和下一步工作打算\n"
        "虽然取得了一定成绩,但仍存在一些薄弱环节,主要表现在:一是学法成果转换不够明显。二是执法不够规范。"
        "下一步,我县将以示范创建为契机,重点做好以下工作:\n(一)持续推进学法。\n(二)确保出庭应诉率达到100%。\n"
    )
    assert kinds(text) == ["achievements", "problems", "plans"]
    assert part_text(text, "plans").startswith("下一步,我县将")
    assert item_texts(text) == ["学法成果转换不够明显。", "执法不够规范。"]


def test_combined_section_splits_at_its_plans_subheading() -> None:
    text = (
        "一、工作成效\n审查合同56件。\n二、存在问题和下一步打算\n(一)存在的问题\n1.依法决策机制还不健全;\n"
        "2.行政执法规范化程度不高。\n(二)下一步打算\n1.健全依法决策机制。\n"
    )
    assert kinds(text) == ["achievements", "problems", "plans"]
    assert part_text(text, "plans").startswith("(二)下一步打算")
    assert item_texts(text) == ["依法决策机制还不健全;", "行政执法规范化程度不高。"]


def test_semicolon_separated_problems_are_items_without_the_lead_in() -> None:
    text = (
        "一、主要举措和成效\n办结案件50件。\n二、存在的问题和不足\n"
        "2022年我市法治政府建设工作取得了一些成绩,但还存在一些薄弱环节,如重大行政决策民主化水平仍有提升空间;"
        "乡镇综合行政执法机构规范化建设任重道远;基层执法人员素质参差不齐。\n三、下步工作打算\n下一步,我市将继续努力。\n"
    )
    assert kinds(text) == ["achievements", "problems", "plans"]
    assert item_texts(text) == [
        "重大行政决策民主化水平仍有提升空间", "乡镇综合行政执法机构规范化建设任重道远", "基层执法人员素质参差不齐。",
    ]


def test_full_width_semicolons_split_like_ascii_ones() -> None:
    text = "二、存在的问题\n但仍存在一些不足，如普法针对性不强；执法力量薄弱；考核机制不健全。\n"
    assert item_texts(text) == ["普法针对性不强", "执法力量薄弱", "考核机制不健全。"]


def test_part_headings_divide_the_body() -> None:
    text = (
        "某市人民政府2022年度法治政府建设工作报告\n第一部分 2022年度主要工作\n一、深化改革。办理审批事项5000件。\n"
        "第二部分 存在的问题及原因\n一、法治意识仍需加强。少数干部观念淡薄。\n二、执法规范化水平不高。\n"
        "第三部分 下一步工作思路\n一、持续深化改革。\n"
    )
    assert kinds(text) == ["title", "achievements", "problems", "plans"]
    assert item_texts(text) == ["法治意识仍需加强。少数干部观念淡薄。", "执法规范化水平不高。"]


def test_unnumbered_headings_divide_the_body() -> None:
    text = (
        "XX县2021年法治政府建设情况报告\n今年以来,我县法治政府建设取得新成效。现将有关情况报告如下:\n主要工作和成效\n"
        "全年办理行政复议案件12件。\n存在的问题\n过去一年,我县虽取得一定成效,但仍存在一些不足。\n"
        "法治宣传针对性不够强,群众参与度不高。\n基层执法力量薄弱。\n下一步工作打算\n我们将进一步加强法治宣传。\n"
    )
    assert kinds(text) == ["title", "opening", "achievements", "problems", "plans"]
    assert item_texts(text) == ["法治宣传针对性不够强,群众参与度不高。", "基层执法力量薄弱。"]


def test_ascii_punctuation_headings_are_recognised() -> None:
    text = (
        "一. 主要工作\n办理案件10件.\n二. 存在的问题:\n"
        "(一) 普法效果不佳.\n(二) 执法力量不足.\n三. 下一步计划\n继续努力.\n"
    )
    assert kinds(text) == ["achievements", "problems", "plans"]
    assert len(item_texts(text)) == 2


def test_template_sections_after_problems_keep_their_own_kind() -> None:
    text = (
        "一、2023年推进法治政府建设的主要举措和成效\n组织集体学法4次。\n二、2023年推进法治政府建设存在的不足和原因\n"
        "(一)普法针对性不强。\n三、党政主要负责人履行推进法治建设第一责任人职责，加强法治政府建设的有关情况\n"
        "带头讲法治课2次。\n四、2024年推进法治政府建设的主要安排\n(一)深化普法。\n"
    )
    assert kinds(text) == ["achievements", "problems", "achievements", "plans"]


def test_arabic_numbered_sections_are_used_when_nothing_ranks_higher() -> None:
    text = (
        "1.主要工作\n全年办理复议案件10件。\n2.存在的问题\n"
        "（1）依法行政意识不强。\n（2）执法程序不规范。\n3.下一步打算\n加强学习。\n"
    )
    assert kinds(text) == ["achievements", "problems", "plans"]
    assert item_texts(text) == ["依法行政意识不强。", "执法程序不规范。"]


def test_problems_subsection_inside_achievements_becomes_the_problems_part() -> None:
    text = (
        "一、工作情况\n（一）加强组织领导。召开专题会议5次。\n"
        "（二）存在的问题\n一是法治宣传形式单一；二是执法能力不足。\n"
        "（三）其他工作\n完成各项任务。\n二、下一步工作打算\n继续努力。\n"
    )
    assert kinds(text) == ["achievements", "problems", "achievements", "plans"]
    assert item_texts(text) == ["法治宣传形式单一；", "执法能力不足。"]


def test_problems_paragraph_of_a_work_report_becomes_the_problems_part() -> None:
    text = (
        "各位代表：\n一、2023年工作回顾\n过去一年，全市地区生产总值增长6.5%。\n"
        "在肯定成绩的同时，我们也清醒看到，发展中还存在不少困难和问题：经济回升的基础还不稳固；民生领域还有短板。"
        "对此，我们将认真加以解决。\n二、2024年工作总体要求和目标任务\n地区生产总值增长6%左右。\n"
    )
    assert kinds(text) == ["opening", "achievements", "problems", "plans"]
    assert part_text(text, "problems").startswith("在肯定成绩的同时")
    assert item_texts(text)[0] == "经济回升的基础还不稳固"


def test_navigation_page_has_no_report_body() -> None:
    text = (
        "首页 | 政务公开 | 政务服务 | 互动交流 | 走进东阳\n当前位置：首页 > 政务公开 > 法治政府建设\n"
        "东阳市2022年法治政府建设年度报告 2023-03-30\n东阳市司法局2022年法治政府建设工作报告 2023-03-28\n"
        "共2条 1/1页\n主办单位：东阳市人民政府办公室 联系电话：0579-12345678\n"
        "网站标识码：3307830001 浙ICP备12345678号-1\n"
    )
    assert set(kinds(text)) <= {"header", "footer"}


def test_reposting_notice_after_a_truncated_report_is_footer() -> None:
    text = (
        "二、存在问题\n(一)法治意识有待进一步强化。一是重视程度不平衡\n"
        "如若转载,请注明出处:https://www.example.com/71885.html"
    )
    assert kinds(text) == ["problems", "footer"]


def test_text_that_lost_its_line_breaks_is_still_divided() -> None:
    filler = "我市持续推进法治政府建设各项工作，全年办理行政复议案件120件，审查规范性文件30件。" * 40
    text = (
        f"2022年，我市法治政府建设取得新进展。 一、主要工作和成效 {filler} 二、存在的问题 "
        f"一是依法行政意识有待提高；二是执法队伍建设有待加强。 三、下一步工作打算 下一步，我市将持续推进。"
    )
    assert kinds(text) == ["opening", "achievements", "problems", "plans"]
    assert item_texts(text) == ["依法行政意识有待提高；", "执法队伍建设有待加强。"]


def test_hard_wrapped_problem_paragraph_stays_one_item() -> None:
    text = (
        "二、存在的问题\n但还存在一些薄弱环节，如重大行政决策民主化、法治化\n"
        "水平仍有提升空间；乡镇综合行政执法机构规范\n"
        "化建设任重道远。\n"
    )
    assert len(item_texts(text)) == 2
