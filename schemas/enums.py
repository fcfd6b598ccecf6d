"""Enumerations of the rule-of-law report genre: areas, qualifiers, admin levels, document types."""

from enum import StrEnum


class Category(StrEnum):
    """The area of government work a metric or an issue belongs to (domain.md)."""

    leadership = "leadership"  # 党的领导、学法述法、考核督察
    government_functions = "government_functions"  # 政府职能、放管服、营商环境、政务服务
    rules = "rules"  # 依法行政制度体系、立法、规范性文件
    decisions = "decisions"  # 行政决策、合法性审查、法律顾问
    enforcement = "enforcement"  # 行政执法
    emergencies = "emergencies"  # 突发事件应对
    disputes = "disputes"  # 复议、应诉、调解、信访
    oversight = "oversight"  # 制约监督、政务公开
    digital = "digital"  # 数字法治政府
    legal_services = "legal_services"  # 普法、公共法律服务、法律援助
    other = "other"  # 其他


class Qualifier(StrEnum):
    """How exact a reported number is."""

    exact = "exact"
    approx = "approx"  # 约、近、左右
    more_than = "more_than"  # 余、多、以上、超过
    less_than = "less_than"  # 不到、以内


class AdminLevel(StrEnum):
    """Administrative level of the reporting body."""

    province = "province"
    prefecture = "prefecture"
    county = "county"  # county, county-level city, district
    department = "department"


class DocType(StrEnum):
    """What kind of document the report is."""

    government_report = "government_report"
    department_report = "department_report"
    congress_survey = "congress_survey"
    other = "other"


CATEGORY_ZH: dict[Category, str] = {
    Category.leadership: "党的领导、学法述法、考核督察",
    Category.government_functions: "政府职能、放管服、营商环境、政务服务",
    Category.rules: "依法行政制度体系、立法、规范性文件",
    Category.decisions: "行政决策、合法性审查、法律顾问",
    Category.enforcement: "行政执法",
    Category.emergencies: "突发事件应对",
    Category.disputes: "复议、应诉、调解、信访",
    Category.oversight: "制约监督、政务公开",
    Category.digital: "数字法治政府",
    Category.legal_services: "普法、公共法律服务、法律援助",
    Category.other: "其他",
}
