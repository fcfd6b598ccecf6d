"""The words of the offline rules, read once from data/words.toml, and the regexes made of them.

Every word the rules match is in data/words.toml, grouped by what the rules use it for; the rules'
.py files hold the logic and ask for words by a dotted key: `words("problems.words")`. A list may name
another list ("@plans.next_step") or hold phrases built slot by slot ([["存在"], ["的", ""], ["问题"]]);
`words` expands both. `alt` escapes words and joins them longest first, so that a regex alternation
prefers 个百分点 to 个; `any_of` compiles that alternation.

The words that announce plans are used by reading, parts and metrics alike, so their regexes are built
here, once: `PLAN_OPENER` (a sentence turning to plans), `PLAN_CUE` (where plans begin inside a
problems section), `SELF_FUTURE` (我市将…).
"""

import itertools
import re
import tomllib
from collections.abc import Iterable
from functools import cache
from pathlib import Path
from typing import Any

WORDS_FILE = Path(__file__).resolve().parent / "data" / "words.toml"


@cache
def data() -> dict[str, Any]:
    """The parsed word file."""
    return tomllib.loads(WORDS_FILE.read_text(encoding="utf-8"))


def entry(key: str) -> Any:
    """The value at a dotted key (group.name) of the word file."""
    value: Any = data()
    for name in key.split("."):
        if not isinstance(value, dict) or name not in value:
            raise KeyError(f"{WORDS_FILE.name} has no {key!r}")
        value = value[name]
    return value


@cache
def words(*keys: str) -> tuple[str, ...]:
    """The words of the lists at `keys`, in file order, references and phrases expanded."""
    found: list[str] = []
    for key in keys:
        for item in entry(key):
            found += expand(item)
    return tuple(found)


def expand(item: str | list[list[str]]) -> list[str]:
    """A word, the words of a referenced list (@group.name), or every phrase of a list of slots (a slot
    may name a list too)."""
    if isinstance(item, list):
        slots = [[word for entry in slot for word in expand(entry)] for slot in item]
        return ["".join(parts) for parts in itertools.product(*slots)]
    return list(words(item[1:])) if item.startswith("@") else [item]


@cache
def table(key: str) -> dict[str, str]:
    """A table of the word file (word → value)."""
    return dict(entry(key))


def alt(items: Iterable[str]) -> str:
    """A regex alternation of literal words, longest first."""
    return "|".join(re.escape(w) for w in sorted(dict.fromkeys(items), key=len, reverse=True))


def any_of(*keys: str, flags: int = 0) -> re.Pattern[str]:
    """A regex matching any word of the lists at `keys`."""
    return re.compile(alt(words(*keys)), flags)


def chars(key: str) -> str:
    """The one-character words of a list, as the body of a regex character class."""
    return "".join(re.escape(w) for w in words(key))


# ---------------------------------------------------------------- the words that announce plans

YEAR = r"\d{4}年(?:度)?"  # 2023年, 2023年度
SELF_FUTURE = rf"(?:{alt(words('plans.selves'))})(?:{alt(words('plans.future_verbs'))})"  # 我市将, 我们要
# A sentence that opens a paragraph of plans: 下一步，… 2023年，我们将…
PLAN_OPENER = re.compile(rf"(?:{alt(words('plans.openers'))})[，,]|{YEAR}[，,]\s*{SELF_FUTURE}")
# Where plans begin inside a problems section: 下一步…, 为此…, 针对上述问题…, 我们将…
PLAN_CUE = re.compile(rf"{alt(words('plans.openers', 'plans.turns'))}|(?:{YEAR}[，,]?\s*)?{SELF_FUTURE}")
# A sentence about plans, for the metric rules (下一步…, 明年…, 未来五年…)
PLAN_SENTENCE = re.compile(rf"[\s\u3000]*(?:{alt(words('plans.openers', 'plans.later'))})")
NEXT_STEP = any_of("plans.next_step")  # 下一步, 下步: plans begin here even under a problems heading
