"""The offline metric rules (schemas/rules/metrics.py) on hand-made sentences in the reports' style."""

import pytest
from fazhi.agent.genre import Part
from fazhi.schemas.enums import Category, Qualifier
from fazhi.schemas.numerals import as_number
from fazhi.schemas.report import Metric
from fazhi.schemas.rules.metrics import extract_metrics


def metrics_of(text: str, kind: str = "achievements") -> list[Metric]:
    return extract_metrics(text, [Part(kind, 0, len(text))])


def quantities(text: str) -> list[tuple[float, str]]:
    return [(as_number(m.value), m.unit) for m in metrics_of(text)]


def only(text: str) -> Metric:
    found = metrics_of(text)
    assert len(found) == 1, [(m.value, m.unit, m.evidence) for m in found]
    return found[0]


# ---------------------------------------------------------------- reading numbers and units

@pytest.mark.parametrize(("text", "expected"), [
    ("全年共受理行政复议案件56件。", [(56, "件")]),
    ("组织专题法治学习3场390余人次。", [(3, "场"), (390, "人次")]),
    ("开展三次专项督察。", [(3, "次")]),
    ("先后举办两期培训班。", [(2, "期")]),
    ("行政诉讼案件出庭应诉率99.5%。", [(99.5, "%")]),
    ("较2021年同期提高5.27个百分点。", [(5.27, "个百分点")]),
    ("共2万人次积极参与该活动。", [(20000, "人次")]),
    ("罚没金额3860.85万元。", [(38608500, "元")]),
    ("完成投资1.2亿元。", [(120000000, "元")]),
    ("播送时间累计达3.61万小时。", [(36100, "小时")]),
    ("全年共立案查处各类违法案件1,268件。", [(1268, "件")]),
    ("全区持证执法人员１，２３６名。", [(1236, "名")]),
    ("12348热线接听来电2.3万通。", [(23000, "通")]),
    ("赤字规模4.06万亿元。", [(4060000000000, "元")]),
    ("受理投诉举报１２３件，办结率９９．５％。", [(123, "件"), (99.5, "%")]),
    ("群众满意率达到百分之九十五。", [(95, "%")]),
    ("储备物资85类110余万件。", [(85, "类"), (1100000, "件")]),
    ("其中个体企业6923 户。", [(6923, "户")]),
])
def test_numbers_are_read_with_their_unit_and_multiplier_folded(text: str, expected: list) -> None:
    assert quantities(text) == expected


def test_a_count_without_measure_word_gets_ge() -> None:
    assert quantities("梳理审核了区城管执法局、区市场监管局等5部门共351项下放事项。") == [(5, "个"), (351, "项")]


def test_ming_stays_ming_and_zong_stays_zong() -> None:
    assert quantities("组建行政执法监督员126名，作出行政处罚163宗。") == [(126, "名"), (163, "宗")]


# ---------------------------------------------------------------- qualifiers

@pytest.mark.parametrize(("text", "qualifier"), [
    ("全年办结案件56件。", Qualifier.exact),
    ("服务群众约3.7万人次。", Qualifier.approx),
    ("受教育人数近9万人。", Qualifier.approx),
    ("受教育人数近9万余人。", Qualifier.approx),
    ("覆盖群众5万人左右。", Qualifier.approx),
    ("开展主题宣传活动300余场。", Qualifier.more_than),
    ("为380多个农村基础组织提供服务。", Qualifier.more_than),
    ("实现业务应用8万多次。", Qualifier.more_than),
    ("登记率保持95%以上。", Qualifier.more_than),
    ("参与群众超过1000人。", Qualifier.more_than),
    ("18个镇乡至少具有1名公职律师。", Qualifier.more_than),
    ("办理时长不到3个工作日。", Qualifier.less_than),
    ("审批时限压缩至5个工作日以内。", Qualifier.less_than),
])
def test_qualifier_follows_the_words_around_the_number(text: str, qualifier: Qualifier) -> None:
    assert metrics_of(text)[-1].qualifier == qualifier


def test_yue_inside_a_word_is_not_a_qualifier() -> None:
    assert only("审查村规民约59件次。").qualifier == Qualifier.exact


# ---------------------------------------------------------------- what is not a metric

@pytest.mark.parametrize("text", [
    "2022年3月15日召开会议。",
    "依照《互助县法治政府建设工作方案(2021-2025年)》细化任务。",
    "编制《行政审批中介服务事项清单(53项)》。",
    "一是坚持党的领导，二是压实责任。",
    "认真做好第二批示范创建迎检工作，成立全省首家执法协调监督局。",
    "营商环境跃升至全省第三名。",
    "事件量等考核指标均居金华前3。",
    "组织“1+8”执法部门制定教科书，推行“三服务”活动。",
    "矛盾纠纷化解“136”工作格局基本形成。",
    "创新1153工作模式。",
    "落实柔性执法3.0版新型监管品牌。",
    "入选省数字法治系统一本账S3，推进5G基站建设。",
    "需要三番五次催报。",
    "力争新开工亿元以上项目50个。",
    "全年计划实施重点项目120个。",
    "将新建城市社区养老服务中心8个。",
    "今年主要预期目标是：地区生产总值增长6%左右；城镇新增就业6000人以上。",
    "努力实现年底100%覆盖目标。",
    "我市行政复议调撤率高于金华地区平均水平(33.8%)。",
    "开展培训提升、科学评价和基础保障三项工程。",
    "主要体现在以下三个方面。",
    "存在的问题主要有三个方面。",
    "聚焦执法不规范、执法粗暴等八个方面。",
    "咨询电话0579-86631234。",
    "印发《实施方案》(东政发〔2022〕15号)。",
    "每次检查6-8个行政执法单位。",
    "每月开展一次专项检查。",
    "严格执行24小时领导带班值守制度。",
    "打造15分钟公共法律服务圈。",
    "其中10亿元以上项目共有若干。",
    "分三个调研小组走访调研。",
    "全区受理有效警情连续九年下降，连续3次获评先进。",
])
def test_non_metrics_are_not_extracted(text: str) -> None:
    assert quantities(text) == []


def test_the_body_own_figure_is_kept_next_to_a_comparison() -> None:
    text = "我市行政复议调撤率为36.78%，高于金华地区平均水平(33.8%)。"
    assert quantities(text) == [(36.78, "%")]


def test_a_size_class_is_not_counted_but_the_count_of_its_members_is() -> None:
    assert quantities("其中10亿元以上项目12个。") == [(12, "个")]


def test_an_arabic_count_after_deng_still_counts() -> None:
    assert quantities("住建、环保、税务等15个领域实行信用监管。") == [(15, "个")]


def test_a_plan_sentence_with_a_future_year_is_a_target() -> None:
    text = "2022年全县办结案件56件。到2025年，全县规上工业企业达到500家。"
    assert quantities(text) == [(56, "件")]


def test_figures_under_a_plans_heading_are_targets_even_when_layout_missed_it() -> None:
    text = "一、2023年工作回顾\n全年新增市场主体1.36万户。\n二、今年重点工作\n全年实施重点项目120个。"
    assert quantities(text) == [(13600, "户")]


def test_jiang_as_ba_does_not_make_a_target() -> None:
    assert quantities("将述法情况纳入考核，全年述法主体达到300余人次。") == [(300, "人次")]


def test_header_footer_and_plans_parts_are_not_read() -> None:
    text = "浏览次数：35次\n全年办结案件56件。\n下一步，力争办结案件100件。\n返回顶部 共5页"
    parts = [Part("header", 0, 9), Part("achievements", 9, 20), Part("plans", 20, 36), Part("footer", 36, len(text))]
    assert [(as_number(m.value), m.unit) for m in extract_metrics(text, parts)] == [(56, "件")]


def test_a_problems_part_is_read_until_its_plans_begin() -> None:
    text = "二、存在的不足和下一步打算\n全市仍有8个部门未聘请法律顾问。下一步，确保出庭应诉率达到100%，新建工作站5个。"
    found = extract_metrics(text, [Part("problems", 0, len(text))])
    assert [(as_number(m.value), m.unit) for m in found] == [(8, "个")]


# ---------------------------------------------------------------- evidence

SENTENCE = "2022年，共开展执法监督98起，案卷评查167份，整改问题374个，专题培训1101人次。"


def test_evidence_is_the_source_text_at_start_end() -> None:
    text = "前言\n" + SENTENCE + "\n县、乡、村共储备物资85类110余万件。"
    for m in metrics_of(text):
        assert m.evidence == text[m.start:m.end]


def test_evidence_is_the_clause_that_holds_the_number() -> None:
    assert [m.evidence for m in metrics_of(SENTENCE)] == ["共开展执法监督98起", "案卷评查167份", "整改问题374个",
                                                          "专题培训1101人次"]


def test_evidence_keeps_one_item_of_a_numbered_list() -> None:
    text = "重点对全县40座水库、62座淤地坝进行了全面检查。"
    assert [m.evidence for m in metrics_of(text)] == ["重点对全县40座水库", "62座淤地坝进行了全面检查"]


def test_evidence_keeps_to_its_side_of_a_bracket() -> None:
    text = "作出行政处罚163230宗(罚没金额3860.85万元)。"
    assert [m.evidence for m in metrics_of(text)] == ["作出行政处罚163230宗", "罚没金额3860.85万元"]


def test_evidence_drops_a_leading_list_marker() -> None:
    assert only("二是8个镇街设立法制机构。").evidence == "8个镇街设立法制机构"


def test_evidence_may_repeat_and_start_tells_occurrences_apart() -> None:
    text = "办结23件。另有一批。办结23件。"
    first, second = metrics_of(text)
    assert first.evidence == second.evidence == "办结23件"
    assert (first.start, second.start) == (0, 11)


# ---------------------------------------------------------------- names

def test_name_is_the_counted_phrase_with_a_suffix_by_unit() -> None:
    names = [m.name for m in metrics_of("通过举办学习会等形式组织专题法治学习3场390余人次。")]
    assert names == ["专题法治学习场次", "专题法治学习人次"]


def test_name_drops_time_scope_and_light_verbs() -> None:
    assert only("2022年，全市共开展督导检查47次。").name == "督导检查次数"
    assert only("全县组建行政执法监督员126名。").name == "行政执法监督员人数"


def test_name_keeps_the_content_verb() -> None:
    assert only("区政府共收到行政复议案件45件。").name == "收到行政复议案件数"


def test_a_bare_verb_borrows_the_object_counted_before() -> None:
    found = metrics_of("区政府共收到行政复议案件45件，受理44件，办结34件。")
    assert [m.name for m in found] == ["收到行政复议案件数", "行政复议案件受理数", "行政复议案件办结数"]


def test_a_bare_rate_borrows_what_it_is_a_rate_of() -> None:
    assert only("组织领导干部任前法律知识考试，合格率为100%。").name == "领导干部任前法律知识考试合格率"


def test_a_noun_after_the_unit_names_the_count_with_what_was_done() -> None:
    found = metrics_of("8个镇街和23个政府部门聘请法律顾问。")
    assert [m.name for m in found] == ["聘请法律顾问的镇街数", "聘请法律顾问的政府部门数"]


def test_a_total_after_a_list_of_bodies_is_named_by_what_they_did() -> None:
    found = metrics_of("全市380多个农村基础组织共2万人次积极参与该活动。")
    assert found[-1].name == "参与该活动人次"


def test_people_of_the_bodies_counted_before_are_named_after_those_bodies() -> None:
    found = metrics_of("目前全市共有7支专职应急救援队伍627人。")
    assert [m.name for m in found] == ["专职应急救援队伍数", "专职应急救援队伍人数"]


def test_a_share_in_a_breakdown_names_its_own_item_and_the_total_comes_back_after() -> None:
    text = "全年共受理热线件6879件，其中，求助类5078件，占73.8%；投诉类1447件，占21%。办结6638件，办结率96.5%。"
    names = [m.name for m in metrics_of(text)]
    assert names[2] == "求助类占比"
    assert names[-1] == "热线件办结率"


def test_a_specific_rate_needs_no_owner() -> None:
    assert metrics_of("判决败诉15件，败诉率4.9%。")[-1].name == "败诉率"


def test_a_percentage_before_its_noun_is_named_by_that_noun() -> None:
    assert only("全区依申请类政务服务事项100%可网办。").name == "依申请类政务服务事项可网办比例"


def test_an_enumeration_before_deng_is_left_out_of_the_name() -> None:
    assert only("制定实施规则、基准公开、过错责任追究等制度37项。").name == "制度数"


def test_money_is_named_as_an_amount() -> None:
    assert only("为企业减税降费4.3亿元。").name == "企业减税降费金额"


# ---------------------------------------------------------------- category and canonical

@pytest.mark.parametrize(("text", "category", "canonical"), [
    ("全市行政诉讼案件出庭应诉率99.5%。", Category.disputes, "court_appearance_rate"),
    ("办理法律援助案件1732件。", Category.legal_services, "legal_aid_cases"),
    ("先后开展主题宣传活动300余场。", Category.legal_services, "publicity_events"),
    ("罚没金额3860.85万元。", Category.enforcement, "fines_amount"),
    ("全县共有各级各类调委会342个。", Category.disputes, "mediation_committees"),
    ("收到检察建议238份。", Category.oversight, "procuratorial_suggestions"),
    ("全年累计开展各类综合性应急演练2295场次。", Category.emergencies, "emergency_drills"),
    ("共接收热线工单25765件。", Category.government_functions, "hotline_tickets"),
    ("共审查规范性文件30份。", Category.rules, "normative_docs_reviewed"),
])
def test_typical_clauses_get_their_area_and_canonical_key(text: str, category: Category, canonical: str) -> None:
    metric = only(text)
    assert (metric.category, metric.canonical) == (category, canonical)


def test_a_change_in_percentage_points_is_no_rate_canonical() -> None:
    assert only("行政诉讼败诉率较上年下降2.1个百分点。").canonical is None


def test_the_legal_services_hotline_is_not_the_12345_hotline() -> None:
    metric = only("12348热线接听来电2.3万通。")
    assert (metric.category, metric.canonical) == (Category.legal_services, None)


def test_a_verb_complement_is_not_taken_for_the_object() -> None:
    found = metrics_of("全年共调解各类矛盾纠纷3,526件，调解成功3,498件，成功率99.2%。")
    assert found[-1].name == "矛盾纠纷成功率"
    assert found[-1].canonical == "mediation_success_rate"


def test_a_figure_after_a_change_word_is_named_after_what_changed() -> None:
    found = metrics_of("新登记市场主体1.36万户，同比增长11.2%。")
    assert found[-1].name == "市场主体同比增长率"


def test_parallel_figures_share_their_name() -> None:
    found = metrics_of("城乡居民人均可支配收入分别增长5.1%和7.2%。")
    assert found[0].name == found[1].name


@pytest.mark.parametrize("text", [
    "整改问题374个。",
    "评出优秀案卷3份。",
    "下放行政许可事项282项。",
    "注销收缴行政执法证1258个。",
    "被采纳率约80%。",
])
def test_canonical_is_null_when_the_taxonomy_does_not_clearly_fit(text: str) -> None:
    assert only(text).canonical is None


def test_a_clause_without_telling_words_takes_the_area_of_its_heading() -> None:
    text = "(三)依法化解行政争议\n全年办结56件，其中区政府9件。"
    assert {m.category for m in metrics_of(text)} == {Category.disputes}


def test_training_of_enforcement_staff_keeps_its_area_and_its_canonical_key() -> None:
    text = "1.构建行政执法协调监督工作体系\n共开展执法监督98起，专题培训1101人次。"
    training = metrics_of(text)[-1]
    assert (training.category, training.canonical) == (Category.enforcement, "training_attendance")


def test_chinese_numerals_before_a_counting_unit_or_over_ten_are_counts() -> None:
    found = quantities("召开常务会议专题学法四次，反馈问题一百零五个，平台二期已上线，落实三项制度。")
    assert found == [(4, "次"), (105, "个")]


def test_a_modifier_with_ni_is_not_a_plan() -> None:
    assert quantities("对拟出台的文件开展合法性审核1486件。") == [(1486, "件")]


def test_compound_count_units_with_ci_are_kept_whole() -> None:
    assert quantities("发布政策解读216篇次，压缩至0.5个工作日。") == [(216, "篇次"), (0.5, "个工作日")]


def test_a_change_reported_with_to_a_year_is_not_a_deadline() -> None:
    found = quantities("出庭应诉率由2021年的86.4%提高到2022年上半年的97.2%。力争到2030年达到99%。")
    assert found == [(86.4, "%"), (97.2, "%")]


def test_hotline_numbers_are_names_and_geren_min_is_a_count() -> None:
    found = quantities("受理12345市民服务热线派单62.4万件，全区626个人民调解组织，平均成绩91.6分。")
    assert found == [(624000, "件"), (626, "个"), (91.6, "分")]


def test_signed_changes_in_a_table_row_are_metrics_and_slogans_are_not() -> None:
    found = quantities("行政复议收案 | 312件 | +8.3%\n推行“1+8”执法队伍构架，组建5+2支队伍。")
    assert found == [(312, "件"), (8.3, "%")]
