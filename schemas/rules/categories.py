"""Which area (Category) a stretch of text is about: keyword rules for the 11 areas of domain.md.

Each area has keywords (data/words.toml, [areas]); a keyword found in the text scores its length
(longer phrases are more specific: 行政复议 outweighs 复议, 规范性文件 outweighs 文件). `classify`
picks the best-scoring area. `classify_layers` weighs several texts, innermost first (the clause, its
sentence, its item heading, its section heading), so that a clause with no telling word falls back on
its heading.
"""

import re
from collections.abc import Sequence
from functools import lru_cache

from fazhi.schemas.enums import Category
from fazhi.schemas.rules.lexicon import entry, words

KEYWORDS: dict[Category, tuple[str, ...]] = {Category(area): words(f"areas.{area}") for area in entry("areas")}
_PATTERN = re.compile("|".join(sorted({re.escape(k) for ks in KEYWORDS.values() for k in ks}, key=len, reverse=True)))
_AREA_OF: dict[str, list[Category]] = {}
for _area, _words in KEYWORDS.items():
    for _word in _words:
        _AREA_OF.setdefault(_word, []).append(_area)


@lru_cache(maxsize=16384)
def scores(text: str) -> dict[Category, float]:
    """Keyword score per area: each keyword occurrence counts its length."""
    result: dict[Category, float] = {}
    for m in _PATTERN.finditer(text):
        for area in _AREA_OF[m[0]]:
            result[area] = result.get(area, 0.0) + min(len(m[0]), 4)
    return result


def best(score: dict[Category, float], default: Category) -> Category:
    """The area with the highest score; `default` when nothing scored."""
    if not score:
        return default
    return max(score.items(), key=lambda kv: (kv[1], -list(KEYWORDS).index(kv[0])))[0]


def classify(text: str, default: Category = Category.other) -> Category:
    """The area the words of `text` point to; `default` when none does."""
    return best(scores(text), default)


def classify_layers(texts: Sequence[str], weights: Sequence[float], default: Category = Category.other) -> Category:
    """The best area over several texts (innermost first), each text's scores times its weight."""
    total: dict[Category, float] = {}
    for text, weight in zip(texts, weights):
        for area, score in scores(text).items():
            total[area] = total.get(area, 0.0) + score * weight
    return best(total, default)
