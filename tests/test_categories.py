"""Keyword rules for the 11 areas (schemas/rules/categories.py)."""

import pytest
from fazhi.schemas.enums import Category
from fazhi.schemas.rules.categories import classify, classify_layers, scores


@pytest.mark.parametrize(("text", "area"), [
    ("组织专题法治学习3场390余人次", Category.leadership),
    ("党政主要负责人年度述法情况纳入考核", Category.leadership),
    ("全程网办率达到92.6%", Category.government_functions),
    ("12345热线受理群众诉求18.6万件", Category.government_functions),
    ("新登记市场主体1.36万户", Category.government_functions),
    ("共审查规范性文件3件、备案2件", Category.rules),
    ("提出9条立法修改意见", Category.rules),
    ("梳理公布重大行政决策事项15项", Category.decisions),
    ("开展重大合同审查12件", Category.decisions),
    ("评查行政处罚案卷240卷", Category.enforcement),
    ("全市执法人员行政执法证件持证率达91%", Category.enforcement),
    ("全市累计开展各类综合性应急演练2295场次", Category.emergencies),
    ("共办理行政复议案件28件", Category.disputes),
    ("行政机关负责人出庭应诉率达100%", Category.disputes),
    ("共排查社会各类矛盾纠纷651件", Category.disputes),
    ("收到检察建议238份", Category.oversight),
    ("2022年共组织实施审计项目436个", Category.oversight),
    ("依托政府网站主动公开各类信息6604条", Category.oversight),
    ("签发电子证照8.9万张", Category.digital),
    ("开展岁末年初普法宣传活动138场次", Category.legal_services),
    ("办理法律援助案件1732件", Category.legal_services),
])
def test_typical_clauses_fall_in_their_area(text: str, area: Category) -> None:
    assert classify(text) == area


def test_text_without_a_telling_word_gets_the_default() -> None:
    assert classify("全市共有41个") == Category.other
    assert classify("全市共有41个", default=Category.enforcement) == Category.enforcement


def test_longer_keywords_weigh_more_than_short_ones() -> None:
    assert scores("行政复议")[Category.disputes] > scores("复议")[Category.disputes]


def test_the_clause_decides_when_it_has_telling_words() -> None:
    layers = ["审核市政府行政规范性文件17个", "（二）深化重大行政决策合法性审查"]
    assert classify_layers(layers, (3.0, 1.0)) == Category.rules


def test_a_clause_without_telling_words_falls_back_on_its_heading() -> None:
    layers = ["专题培训1101人次", "1.构建县乡行政执法协调监督工作体系"]
    assert classify_layers(layers, (3.0, 1.0)) == Category.enforcement


def test_no_telling_word_anywhere_gives_the_default() -> None:
    assert classify_layers(["全市共有41个", "一、基本情况"], (3.0, 1.0)) == Category.other
