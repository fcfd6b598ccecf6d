"""Reading numbers as Chinese reports write them: Arabic and Chinese numerals, 万/亿 multipliers."""

import math
import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

import cn2an

MULTIPLIERS = {"万": 10_000, "亿": 100_000_000, "千万": 10_000_000, "百万": 1_000_000}
CN_DIGITS = "零〇一二两三四五六七八九十百千"
NUMBER_RE = re.compile(
    rf"(?P<num>\d+(?:,\d{{3}})*(?:\.\d+)?|[{CN_DIGITS}]+)(?P<mult>千万|百万|万|亿)?"
)


@dataclass(frozen=True)
class NumberToken:
    """A number found in text: its value with the multiplier folded in, and where it stands."""

    value: float
    start: int
    end: int
    text: str
    multiplier: int


@lru_cache(maxsize=4096)
def parse_chinese_numeral(text: str) -> float | None:
    """三百二十 → 320; None when the characters do not form a number."""
    try:
        return float(cn2an.cn2an(text, "smart"))
    except (ValueError, KeyError, IndexError, TypeError):
        return None


def parse_number(text: str) -> float | None:
    """Read one numeral: 1,234.5 or 三百."""
    if text[0].isdigit():
        return float(text.replace(",", ""))
    return parse_chinese_numeral(text)


def read_numbers(text: str) -> list[NumberToken]:
    """Every number in `text` (NFKC-normalised first), multipliers folded in."""
    text = unicodedata.normalize("NFKC", text)
    tokens = []
    for m in NUMBER_RE.finditer(text):
        base = parse_number(m["num"])
        if base is None:
            continue
        mult = MULTIPLIERS.get(m["mult"] or "", 1)
        tokens.append(NumberToken(base * mult, m.start(), m.end(), m[0], mult))
    return tokens


def fold_unit(value: float, unit: str) -> tuple[float, str]:
    """2 万人次 → 20000 人次; 3860.85 万元 → 38608500 元. Percent units are left alone."""
    for prefix in sorted(MULTIPLIERS, key=len, reverse=True):
        rest = unit[len(prefix):]
        if unit.startswith(prefix) and rest and not rest.startswith("分"):
            return value * MULTIPLIERS[prefix], rest
    return value, unit


def same_value(a: float, b: float) -> bool:
    return math.isclose(a, b, rel_tol=1e-6, abs_tol=1e-9)


def value_readable(value: float, quote: str) -> bool:
    """Whether `value` can be read from `quote`, with or without its multiplier."""
    for token in read_numbers(quote):
        if same_value(token.value, value) or same_value(token.value / token.multiplier, value):
            return True
    return False


def as_number(value: float) -> int | float:
    """Whole values as int, so that JSON reads 3 rather than 3.0."""
    return int(value) if float(value).is_integer() and abs(value) < 2**53 else value
