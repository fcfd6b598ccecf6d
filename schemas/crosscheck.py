"""Cross-checking a model's extraction against the offline rules' extraction of the same text.

Agreement is counted as the eval suite counts matches: metrics agree when value and unit are equal
and their evidence spans overlap; issues when their spans overlap; metadata field by field. A
document where the two disagree much is one to read by hand.
"""

from typing import Any

from fazhi.schemas.numerals import same_value
from fazhi.schemas.report import Issue, Metric, ReportExtraction

META_FIELDS = ("title", "region", "province", "admin_level", "report_year", "published_date", "issuer", "doc_type")


def overlaps(a: Metric | Issue, b: Metric | Issue) -> bool:
    if None in (a.start, a.end, b.start, b.end):
        return False
    return a.start < b.end and b.start < a.end  # type: ignore[operator]


def metrics_agree(a: Metric, b: Metric) -> bool:
    return a.unit == b.unit and same_value(a.value, b.value) and overlaps(a, b)


def agreeing(model: list[Any], rules: list[Any], same: Any) -> int:
    """Greedy one-to-one count of model items that some rule item agrees with."""
    free = list(rules)
    count = 0
    for item in model:
        match = next((r for r in free if same(item, r)), None)
        if match is not None:
            free.remove(match)
            count += 1
    return count


def crosscheck(model: ReportExtraction, rules: ReportExtraction) -> dict[str, Any]:
    disagree = [f for f in META_FIELDS if getattr(model.meta, f) != getattr(rules.meta, f)]
    return {
        "metrics": {"model": len(model.metrics), "rules": len(rules.metrics),
                    "agree": agreeing(model.metrics, rules.metrics, metrics_agree)},
        "issues": {"model": len(model.issues), "rules": len(rules.issues),
                   "agree": agreeing(model.issues, rules.issues, overlaps)},
        "meta_disagree": disagree,
    }
