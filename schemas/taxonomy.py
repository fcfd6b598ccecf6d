"""The metric taxonomy: canonical metrics, their Chinese names and the phrasings that map to them."""

import tomllib
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from schemas.enums import Category

TAXONOMY_FILE = Path(__file__).with_name("taxonomy.toml")
PERCENT_UNITS = frozenset({"%", "个百分点"})
MONEY_UNITS = frozenset({"元"})
PEOPLE_UNITS = frozenset({"人", "人次", "名", "位", "户"})
EVENT_UNITS = frozenset({"场", "场次", "次", "期", "轮", "批", "堂", "课"})


@dataclass(frozen=True)
class CanonicalMetric:
    key: str
    zh: str
    category: Category
    unit_kind: str
    phrasings: tuple[str, ...]


@cache
def load_taxonomy(path: Path = TAXONOMY_FILE) -> tuple[CanonicalMetric, ...]:
    """Read the taxonomy file; order is significant (first match wins)."""
    entries = tomllib.loads(path.read_text(encoding="utf-8"))["metric"]
    return tuple(
        CanonicalMetric(e["key"], e["zh"], Category(e["category"]), e["unit_kind"], tuple(e["phrasings"]))
        for e in entries
    )


def canonical_keys() -> frozenset[str]:
    return frozenset(m.key for m in load_taxonomy())


def unit_kind(unit: str) -> str:
    """Classify a base unit into the taxonomy's unit kinds."""
    if unit in PERCENT_UNITS:
        return "rate"
    if unit in MONEY_UNITS:
        return "amount"
    if unit in PEOPLE_UNITS:
        return "people"
    return "events" if unit in EVENT_UNITS else "count"


def kind_fits(wanted: str, unit: str) -> bool:
    have = unit_kind(unit)
    if wanted == "count":
        return have not in ("rate", "amount")
    return wanted == have


def match_canonical(text: str, unit: str) -> CanonicalMetric | None:
    """The first taxonomy entry one of whose phrasings occurs in `text` and whose unit kind fits."""
    for metric in load_taxonomy():
        if kind_fits(metric.unit_kind, unit) and any(p in text for p in metric.phrasings):
            return metric
    return None
