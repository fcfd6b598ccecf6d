"""Pydantic models of a rule-of-law government report: metadata, metrics, issues, and the extraction.

Two families: the answers a model fills (`*Answer`, items without offsets, grounded against the
source by validators) and the stored result (`ReportExtraction`, in the fixture contract's shape).
"""

import re
from typing import ClassVar

from fazhi.agent.grounding import GroundedAnswer, GroundedItem, GroundedRecord
from fazhi.schemas.enums import AdminLevel, Category, DocType, Qualifier
from fazhi.schemas.numerals import fold_unit, number_from_text, value_problem
from fazhi.schemas.taxonomy import canonical_keys
from pydantic import BaseModel, ConfigDict, Field, field_validator

DATE = re.compile(r"((?:19|20)\d{2})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?")


class ReportMeta(GroundedRecord):
    """报告元数据。未知的字段为 null，不得猜测。"""

    title: str | None = Field(None, max_length=200, description="报告标题，原文照录；正文和页眉都没有标题时为 null")
    region: str | None = Field(None, max_length=40,
                               description="报告所属地区名称，如 东阳市、从化区；匿名（XX市）时为 null")
    province: str | None = Field(None, max_length=20, description="所属省级行政区全称，如 浙江省")
    admin_level: AdminLevel | None = Field(
        None, description="province 省级 | prefecture 地级市 | county 县、县级市、区 | department 部门"
    )
    report_year: int | None = Field(None, description="报告所总结的年度（不是发布年份）")
    published_date: str | None = Field(None, description="发布日期，ISO 格式 YYYY-MM-DD；原文未写明时为 null")
    issuer: str | None = Field(None, max_length=80, description="报告或发布的机关全称，如 东阳市人民政府")
    doc_type: DocType | None = Field(
        None,
        description="government_report 政府报告 | department_report 部门报告 | "
        "congress_survey 人大调研报告 | other 其他",
    )

    @field_validator("published_date", mode="before")
    @classmethod
    def _iso_date(cls, value: object) -> object:
        """2023-3-31, 2023/03/31 and 2023年3月31日 are read as 2023-03-31."""
        if value in (None, ""):
            return None
        found = DATE.fullmatch(str(value).strip())
        if found is None:
            raise ValueError("published_date must be a date (YYYY-MM-DD) or null")
        return f"{int(found[1]):04d}-{int(found[2]):02d}-{int(found[3]):02d}"

    def field_errors(self, source_normalised: str) -> dict[str, str]:
        """Names, dates and the year must be readable from the text: written in it, or (a province, an
        issuer) composed from what is (东阳市 → 浙江省; 东阳市 + 人民政府)."""
        from fazhi.schemas.meta_checks import meta_field_errors

        return meta_field_errors(self, source_normalised)


class MetricDraft(GroundedItem):
    """报告中的一个数字指标：一个数字一条。"""

    name: str = Field(description="所计量对象的简短名词短语，尽量用原文措辞，如 行政复议案件办结数")
    value: float = Field(description="数值，已折算倍数：2万人次 → 20000；3860.85万元 → 38608500")
    unit: str = Field(description="原文单位词（件、宗、名、人次、场、个、项、%、元、个百分点…），万/亿 已折算掉")
    qualifier: Qualifier = Field(
        Qualifier.exact,
        description="exact | approx（约、近、左右）| more_than（余、多、以上、超过）| less_than（不到、以内）",
    )
    category: Category = Field(description="所属工作领域")
    canonical: str | None = Field(None, description="指标分类表中的键；不确定时为 null")
    evidence: str = Field(description="原文中逐字摘录的、包含该数字并说明其计量对象的最短分句")

    @field_validator("value", mode="before")
    @classmethod
    def _number(cls, value: object) -> object:
        """Numbers written as text ("38,608,500", "99.5%", "2.3万") are read as numbers."""
        if isinstance(value, str):
            number = number_from_text(value)
            return number if number is not None else value
        return value

    @field_validator("canonical")
    @classmethod
    def _known_key(cls, value: str | None) -> str | None:
        return value if value in canonical_keys() else None

    def model_post_init(self, _context: object) -> None:
        self.value, self.unit = fold_unit(self.value, self.unit.strip())

    def grounding_error(self) -> str | None:
        return value_problem(self.value, self.evidence)


class IssueDraft(GroundedItem):
    """报告自己承认的一个问题或不足。"""

    summary: str = Field(description="一句话概括；有小标题时用小标题原话")
    category: Category = Field(description="所属工作领域")
    evidence: str = Field(description="该问题的小标题或第一句，原文逐字摘录")


class MetricsAnswer(GroundedAnswer):
    items_field: ClassVar[str] = "metrics"
    metrics: list[MetricDraft] = Field(default_factory=list, description="文中全部数字指标")


class IssuesAnswer(GroundedAnswer):
    items_field: ClassVar[str] = "issues"
    issues: list[IssueDraft] = Field(default_factory=list, description="文中承认的全部问题")


class Metric(MetricDraft):
    """A stored metric: a draft placed in the document by character offsets."""

    model_config = ConfigDict(extra="ignore")
    start: int | None = None
    end: int | None = None

    def grounding_error(self) -> str | None:
        return None


class Issue(IssueDraft):
    model_config = ConfigDict(extra="ignore")
    start: int | None = None
    end: int | None = None


class ReportExtraction(BaseModel):
    """One report's extraction, in the shape of the fixture contract."""

    fixture_id: str | None = None
    meta: ReportMeta = Field(default_factory=lambda: ReportMeta())
    metrics: list[Metric] = Field(default_factory=list)
    issues: list[Issue] = Field(default_factory=list)
