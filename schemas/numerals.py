"""Reading numbers as Chinese reports write them: Arabic and Chinese numerals, 万/亿 multipliers.

Two ways in:
- `read_numbers(text)`: every number of a short quote (NFKC first), used to check grounding.
- `halfwidth(text)`: a length-preserving copy with full-width digits and signs made ASCII, so that a
  scanner can match numbers with offsets that still index the raw text (`scan_numbers`).
"""

import functools
import math
import re
import unicodedata
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache

MULTIPLIERS = {"万": 10_000, "亿": 100_000_000, "千万": 10_000_000, "百万": 1_000_000, "万亿": 10**12}
CN_DIGITS = "零〇一二两三四五六七八九十百千"
CN_HEAD = "零〇一二两三四五六七八九十百千"  # a Chinese numeral never starts with 万/亿
ARABIC = r"\d+(?:[,，]\d{3})*(?:\.\d+)?"
CHINESE = rf"[{CN_HEAD}][{CN_DIGITS}万亿]*(?:点[零〇一二三四五六七八九]+)?"
NUMBER_RE = re.compile(
    rf"(?<![\d.])(?P<num>{ARABIC}|{CHINESE})(?:[余多](?=万|亿|千万|百万))?(?P<mult>万亿|千万|百万|万|亿)?"
)
PERCENT_WORD = "百分之"
DIGIT_VALUES = {ch: str(i) for i, ch in enumerate("〇一二三四五六七八九")} | {"○": "0", "零": "0"}


def _halfwidth_table() -> dict[int, str]:
    """Characters whose NFKC form is one ASCII character (full-width digits, ％, ．, ，…)."""
    table: dict[int, str] = {}
    for code in range(0xFF01, 0xFF5F):
        table[code] = unicodedata.normalize("NFKC", chr(code))
    table.update({0x3000: " ", 0x00A0: " ", 0x2014: "—", 0xFF0C: "，", 0x3002: "。"})
    return table


HALFWIDTH = {chr(code): ch for code, ch in _halfwidth_table().items() if chr(code) != ch}
FULL_WIDTH = re.compile(f"[{re.escape(''.join(HALFWIDTH))}]")


def halfwidth(text: str) -> str:
    """Full-width digits, letters and signs as ASCII; same length as `text`, so offsets carry over.

    The full-width comma （，）stays as it is: in Chinese it separates clauses. Each character present
    is replaced throughout (what str.translate does, character by character, several times slower).
    """
    for ch in set(FULL_WIDTH.findall(text)):
        text = text.replace(ch, HALFWIDTH[ch])
    return text


@dataclass(frozen=True)
class NumberToken:
    """A number found in text: its value with the multiplier folded in, and where it stands."""

    value: float
    start: int
    end: int
    text: str
    multiplier: int


CN_UNITS = ((1000, "千"), (100, "百"), (10, "十"), (1, ""))


def written_forms(n: int) -> list[str]:
    """How a report writes a whole number under 10,000: 二百零五, 一千零一十; also 两百/两千 and 十二 for 一十二."""
    text, gap = "", False
    for unit, sign in CN_UNITS:
        digit = n // unit % 10
        if digit:
            text += ("零" if gap else "") + "〇一二三四五六七八九"[digit] + sign
            gap = False
        elif text:
            gap = True
    forms = [text or "零"]
    if text.startswith("二") and n >= 100:
        forms.append("两" + text[1:])
    if 10 <= n < 20:
        forms.append(text[1:])
    return forms


@functools.cache
def written_numbers() -> dict[str, int]:
    """Every written form of the whole numbers under 10,000 (tests check each against cn2an)."""
    return {form: n for n in range(10_000) for form in written_forms(n)} | {"〇": 0, "两": 2}


@lru_cache(maxsize=8192)
def parse_chinese_numeral(text: str) -> float | None:
    """三百二十 → 320; 两万 → 20000; None when the characters do not form a number."""
    if (small := written_numbers().get(text)) is not None:
        return float(small)  # the common numerals without importing cn2an (0.1 s), which reads the rest
    import cn2an

    try:
        return float(cn2an.cn2an(text, "smart"))
    except (ValueError, KeyError, IndexError, TypeError, AttributeError):
        return None


def chinese_int(text: str) -> int:
    """一 → 1, 十二 → 12, 三十一 → 31: a Chinese numeral as a whole number; 0 when it is none."""
    value = parse_chinese_numeral(text)
    return int(value) if value is not None and value == int(value) else 0


def chinese_digits(text: str) -> str:
    """二〇二一 → "2021": a numeral written digit by digit, as years are (an unknown character reads 0)."""
    return "".join(DIGIT_VALUES.get(ch, "0") for ch in text)


@lru_cache(maxsize=8192)
def parse_number(text: str) -> float | None:
    """Read one numeral: 1,234.5, １２３ or 三百; None when it is not a number."""
    text = halfwidth(text).replace(",", "").replace("，", "")
    if not text:
        return None
    if text[0].isdigit():
        try:
            return float(text)
        except ValueError:
            return None
    return parse_chinese_numeral(text)


def scale(value: float, multiplier: float) -> float:
    """value × multiplier without binary noise: 4.06 × 10¹² is 4060000000000, not …999.9995."""
    return float(Decimal(repr(float(value))) * Decimal(repr(float(multiplier))))


def is_chinese(numeral: str) -> bool:
    return bool(numeral) and not numeral[0].isdigit()


def read_numbers(text: str) -> list[NumberToken]:
    """Every number in `text` (NFKC-normalised first), multipliers folded in; offsets index the NFKC text."""
    text = unicodedata.normalize("NFKC", text)
    tokens = []
    for m in NUMBER_RE.finditer(text):
        base = parse_number(m["num"])
        if base is None:
            continue
        mult = MULTIPLIERS.get(m["mult"] or "", 1)
        tokens.append(NumberToken(scale(base, mult), m.start(), m.end(), m[0], mult))
    return tokens


def fold_unit(value: float, unit: str) -> tuple[float, str]:
    """2 万人次 → 20000 人次; 3860.85 万元 → 38608500 元. Percent units are left alone."""
    for prefix in sorted(MULTIPLIERS, key=len, reverse=True):
        rest = unit[len(prefix):]
        if unit.startswith(prefix) and rest and not rest.startswith("分"):
            return scale(value, MULTIPLIERS[prefix]), rest
    return value, unit


def same_value(a: float, b: float) -> bool:
    return math.isclose(a, b, rel_tol=1e-6, abs_tol=1e-9)


def as_number(value: float) -> int | float:
    """Whole values as int, so that JSON reads 3 rather than 3.0; others rounded to 10 digits."""
    if float(value).is_integer() and abs(value) < 2**53:
        return int(value)
    return round(float(value), 10)


APPROXIMATE = {"近百": 100.0, "上百": 100.0, "数百": 100.0, "近千": 1000.0, "上千": 1000.0, "数千": 1000.0,
               "近万": 10_000.0, "上万": 10_000.0, "数万": 10_000.0, "数十": 10.0}
DATE_AFTER = re.compile(r"\s*(?:年|月|日|号)")


def number_from_text(text: str) -> float | None:
    """A value a model wrote as text: "38,608,500", "99.5", "2.3万" → 23000; None when it is no number."""
    compact = "".join(halfwidth(text).split()).rstrip("%‰")
    tokens = read_numbers(compact)
    if len(tokens) != 1 or tokens[0].end - tokens[0].start != len(unicodedata.normalize("NFKC", compact)):
        return None
    return tokens[0].value


def value_problem(value: float, quote: str) -> str | None:
    """Why `value` is not a figure that `quote` gives (None when it is): the value must equal a number
    of the quote with its 万/亿 folded in (spaces inside numbers ignored), or an approximate figure
    (近百 → 100); a year, a date or an ordinal is never a value."""
    compact = "".join(quote.split())
    tokens = read_numbers(compact)
    for token in tokens:
        if same_value(token.value, value):
            return date_or_ordinal(compact, token)
    if any(word in compact and same_value(v, value) for word, v in APPROXIMATE.items()):
        return None
    for token in tokens:
        if token.multiplier > 1 and same_value(token.value / token.multiplier, value):
            return (f"value {value:g} leaves out the multiplier: the quote says {token.text}, so the value is "
                    f"{as_number(token.value)}")
    return f"value {value:g} cannot be read from evidence {quote!r}"


def date_or_ordinal(text: str, token: NumberToken) -> str | None:
    normalised = unicodedata.normalize("NFKC", text)
    if token.multiplier == 1 and DATE_AFTER.match(normalised, token.end):
        return f"{token.text} is a year or a date, not a metric"
    if normalised[max(0, token.start - 1): token.start] == "第":
        return f"第{token.text} is an ordinal, not a metric"
    return None
