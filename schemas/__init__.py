"""The domain of fazhi: rule-of-law government reports (法治政府建设情况报告).

Pydantic models of the report, the areas, the metric taxonomy, the reading rules and the genre.
"""

from fazhi.schemas.enums import AdminLevel, Category, DocType, Qualifier
from fazhi.schemas.report import Issue, Metric, ReportExtraction, ReportMeta

__all__ = ["AdminLevel", "Category", "DocType", "Issue", "Metric", "Qualifier", "ReportExtraction", "ReportMeta"]
