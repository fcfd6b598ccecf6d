"""The metric taxonomy: canonical metrics, their Chinese names and the phrasings that map to them."""

import tomllib
from dataclasses import dataclass
from functools import cache, lru_cache
from pathlib import Path

from fazhi.schemas.enums import Category
from fazhi.schemas.rules.lexicon import words

TAXONOMY_FILE = Path(__file__).with_name("taxonomy.toml")
PERCENT_UNITS = frozenset({"%", "‰"})
CHANGE_UNITS = frozenset({"个百分点", "百分点"})
MONEY_UNITS = frozenset({"元"})
PEOPLE_UNITS = frozenset(words("units.people"))
EVENT_UNITS = frozenset(words("units.events"))


@dataclass(frozen=True)
class CanonicalMetric:
    key: str
    zh: str
    category: Category
    unit_kind: str
    phrasings: tuple[str, ...]
    excludes: tuple[str, ...] = ()  # words that, found with a phrasing, veto the match
    any_category: bool = False  # True when the metric may sit in any area (training of any staff)
    units: tuple[str, ...] = ()  # when given, the only units the metric is counted in


@cache
def load_taxonomy(path: Path = TAXONOMY_FILE) -> tuple[CanonicalMetric, ...]:
    """Read the taxonomy file; order is significant (first match wins)."""
    entries = tomllib.loads(path.read_text(encoding="utf-8"))["metric"]
    return tuple(
        CanonicalMetric(
            e["key"], e["zh"], Category(e["category"]), e["unit_kind"], tuple(e["phrasings"]),
            tuple(e.get("excludes", ())), bool(e.get("any_category", False)), tuple(e.get("units", ())),
        )
        for e in entries
    )


@cache
def canonical_keys() -> frozenset[str]:
    return frozenset(m.key for m in load_taxonomy())


def unit_kind(unit: str) -> str:
    """Classify a base unit into the taxonomy's unit kinds ("change": percentage points, which no key takes)."""
    if unit in PERCENT_UNITS:
        return "rate"
    if unit in CHANGE_UNITS:
        return "change"
    if unit in MONEY_UNITS:
        return "amount"
    if unit in PEOPLE_UNITS:
        return "people"
    return "events" if unit in EVENT_UNITS else "count"


def kind_fits(wanted: str, unit: str) -> bool:
    """Whether a unit suits a unit kind; "count" takes any count, "items" only things (件, 份, 个 …)."""
    have = unit_kind(unit)
    if wanted == "count":
        return have not in ("rate", "amount", "change")
    if wanted == "items":
        return have == "count"
    return wanted == have


def phrasing_in(phrasing: str, text: str) -> bool:
    """A phrasing occurs in text; "A+B" needs both A and B (热线+办结率 fits 热线工单办结率)."""
    return all(part in text for part in phrasing.split("+"))


@lru_cache(maxsize=32768)
def match_canonical(text: str, unit: str, category: Category | None = None) -> CanonicalMetric | None:
    """The first taxonomy entry one of whose phrasings occurs in `text` and whose unit kind fits.

    With `category`, an entry must also be of that area (unless it is marked `any_category`).
    None when no entry fits: the taxonomy is conservative.
    """
    for metric in load_taxonomy():
        if category is not None and metric.category != category and not metric.any_category:
            continue
        if not kind_fits(metric.unit_kind, unit) or any(x in text for x in metric.excludes):
            continue
        if metric.units and unit not in metric.units:
            continue
        if any(phrasing_in(p, text) for p in metric.phrasings):
            return metric
    return None
