"""Metrics without a model: every figure of the opening, achievements and problems parts.

Per part: `scan` finds each number with its unit and qualifier; `exclusion` drops the ones whose
context shows they are not metrics (names and slogans, ordinals, rankings, lists, ranges, other
bodies' figures, targets …); `evidence_span` cuts the clause that holds the number; `Namer`
says what is counted, in the report's words; then the area (`categories.classify_layers`, from
the clause out to the headings) and the canonical key (taxonomy phrasings, same area, unit kind).

All context is read from a length-preserving half-width copy of the text (`halfwidth`), so every
offset indexes the original text and `evidence == text[start:end]`. Everything a number needs
from the whole text (stops, quoted spans, headings) is computed once per document.

Given a `trace` list, `extract_metrics` records there what became of every number with a unit (a
`Candidate`): "kept", the name of the exclusion rule that dropped it (`CHECKS` in order, then "target";
"quoted" for a number inside 《》 or quotes), or "not_read" for the parts it does not read. The words
the rules match are in data/words.toml (see `lexicon`).
"""

import itertools
import re
from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass

from fazhi.agent.genre import Part
from fazhi.schemas.enums import Qualifier
from fazhi.schemas.numerals import CHINESE, CN_DIGITS, halfwidth, is_chinese, parse_number, scale
from fazhi.schemas.report import Metric
from fazhi.schemas.rules.categories import classify_layers
from fazhi.schemas.rules.headings import CN, marker
from fazhi.schemas.rules.lexicon import PLAN_SENTENCE, alt, any_of, chars, table, words
from fazhi.schemas.rules.meta import covered_year
from fazhi.schemas.rules.tables import TableIndex
from fazhi.schemas.taxonomy import match_canonical

READ_KINDS = frozenset({"opening", "achievements", "problems"})

UNITS = words("units.percent", "units.compound", "units.single")
UNIT_NOT_BEFORE = table("units.not_before")
DURATION_UNITS = frozenset(words("units.durations"))
NOUN_UNITS = frozenset(words("units.nouns"))
EVENT_UNITS = frozenset(words("units.events"))
CHINESE_COUNT_UNITS = frozenset(words("units.chinese_counts"))
SUFFIX_BY_UNIT = table("units.name_suffix")
PREFIX_QUALIFIERS = table("qualifiers.before")
SUFFIX_QUALIFIERS = table("qualifiers.after")
NOT_QUALIFIER_BEFORE = words("qualifiers.not_before")
ORDINAL_BEFORE = words("exclusions.ordinal_before")
RANK_BEFORE = words("exclusions.rank_before")
RANK_BEFORE_EXCEPT = words("exclusions.rank_before_except")
RANK_WORDS = words("exclusions.rank_words")
STREAK_BEFORE = words("exclusions.streak_before")
LIST_BEFORE = words("exclusions.list_before")
LIST_BEFORE_ARABIC = words("exclusions.list_before_arabic")
FREQUENCY_BEFORE = words("exclusions.frequency_before")
DIVISION_BEFORE = words("exclusions.division_before")
DIVISION_EXCEPT = words("exclusions.division_except")
SLOGAN_SIGNS = "".join(words("exclusions.slogan_signs"))
DURATION_NAME_AFTER = words("exclusions.duration_names")
CHINESE_LIST_AFTER = words("chinese_numerals.list_after")
NUMERAL_IDIOMS = words("chinese_numerals.idioms")
PLAN_HEADINGS = words("plans.figure_headings")
RESULT_HEADINGS = words("plans.result_headings")
GENERIC_RATES = words("naming.generic_rates")
COMPLEMENTS = words("naming.complements")
LIGHT_VERB_NOUNS = words("naming.light_verb_nouns")
CONJUNCTIONS = frozenset(words("naming.conjunctions"))
WHOLE_ENDINGS = words("naming.whole_endings")


def _is_cjk(char: str) -> bool:
    return bool(char) and "\u4e00" <= char <= "\u9fff"


MULTIPLIER = {"万亿": 1e12, "千万": 1e7, "百万": 1e6, "万": 1e4, "亿": 1e8}
QUANTITY_RE = re.compile(
    rf"(?<![\d.])(?P<num>\d+(?:[,，]\d{{3}}(?!\d))*(?:\.\d+)?|{CHINESE})"
    rf"(?P<q1>余|多)?(?P<mult>{alt(MULTIPLIER)})?(?P<q2>余|多)?[ \u00a0]?(?P<unit>{alt(UNITS)})?"
)
CLAUSE_STOP_RE = re.compile(r"[；;。：:！？!?\n]|(?<!\d)[,，]|[,，](?!\d{3}(?!\d))")
SENTENCE_STOP_RE = re.compile(r"[。！？!?\n]")
PHRASE_STOP_RE = re.compile(r"[。！？!?\n；;]")
SHIELD_RE = re.compile(
    r"《[^《》\n]{0,100}》|“[^“”\n]{0,40}”|「[^」\n]{0,40}」|『[^』\n]{0,40}』|【[^】\n]{0,40}】"
    r"|〔[^〕\n]{0,12}〕|\[[^\]\n]{0,12}\]|\"[^\"\n]{1,30}\"|‘[^’\n]{0,30}’"
)
YEAR_RE = re.compile(r"(?<!\d)(20\d\d|19\d\d)年(?![\d—\-–~～至])")
LINE_START = r"(?m)^[ \t\u3000]*"
HEADING_RES = (  # section (一、), item (（一）), sub-item (1. or 一是 after a sentence's end) headings
    re.compile(LINE_START + marker("cn")),
    re.compile(LINE_START + marker("paren")),
    re.compile(rf"{LINE_START}{marker('num')}|(?:^|(?<=[。；;\s])){marker('shi')}"),
)
HEADING_END_RE = re.compile(r"[。；;！？!?\n]")
LAYER_WEIGHTS = (3.0, 2.0, 1.0, 1.2, 1.0, 0.3)  # evidence, clause, ；-phrase, item, section, top heading
REACH = 500  # characters of context read around a number at most (text without stops stays linear)
EVIDENCE_REACH = (50, 40)  # at most this many characters before and after the number in an evidence

PREFIX_QUALIFIER_RE = re.compile(rf"({alt(PREFIX_QUALIFIERS)})(?:达到|达|为|是)?$")
DISTANT_QUALIFIER_RE = re.compile(rf"({alt(words('qualifiers.distant'))})[^，,；;。\d]{{0,4}}$")
SUFFIX_QUALIFIER_RE = re.compile(alt(SUFFIX_QUALIFIERS))
CN_COUNT_BEFORE_RE = re.compile(rf"(?:{alt(words('chinese_numerals.count_before'))})了?$")
FUTURE_RE = any_of("targets.before")
FUTURE_EXCEPT_RE = re.compile(
    rf"{alt(words('targets.before_except'))}|(?:{alt(words('targets.achieved_verbs'))})[^，,；;。]{{0,8}}目标"
    r"|拟[\u4e00-\u9fff]{1,4}的"
)
JIANG_RE = re.compile(rf"(?<![即必])将(?:要|会|可|能)?(?:{alt(words('targets.jiang_verbs'))})")
FUTURE_AFTER_RE = any_of("targets.after")
TARGET_LIST_RE = re.compile(
    rf"(?:{alt(words('targets.list_heads'))})(?:是|为|如下)?[:：]|{alt(words('targets.sentence'))}")
DEADLINE_RE = re.compile(r"(?<!截)(?:到|至|在)?(20\d\d)年(?:底|末)?(?:前|以前|之前)")
# 到2025年 is a deadline; 提高到2022年的97.2% reports a change (…由2021年的86.4%提高到…).
NOT_AFTER_CHANGE = "".join(f"(?<!{re.escape(verb)})" for verb in words("targets.change_verbs"))
TO_YEAR_RE = re.compile(rf"(?<!截){NOT_AFTER_CHANGE}(?:到|至)(20\d\d)年")
HOTLINE_RE = re.compile(rf"1\d{{2,5}}[\u4e00-\u9fff]{{0,10}}?(?:{alt(words('exclusions.hotline_names'))})")
COMPARISON_RE = re.compile(rf"(?:{alt(words('exclusions.comparison'))})(?:的|为|是|:)?[(（]?$")
RANGE_LEFT_RE = re.compile(rf"[\d{CN_DIGITS}万%][{chars('exclusions.range_signs')}]$")
RANGE_RIGHT_RE = re.compile(rf"[{chars('exclusions.range_signs')}][\d零〇一二两三四五六七八九十]")
BARE_NOUN_RE = any_of("units.bare_count_nouns")


@dataclass(frozen=True)
class Quantity:
    """A number with its unit and qualifier. [start, end) runs from any 百分之 to the unit and a
    qualifier after it; [num_start, num_end) is the numeral itself."""

    start: int
    num_start: int
    num_end: int
    end: int
    value: float
    unit: str
    qualifier: Qualifier
    numeral: str

    @property
    def chinese(self) -> bool:
        return is_chinese(self.numeral)

    @property
    def percent(self) -> bool:
        return self.unit in ("%", "‰")


@dataclass(frozen=True)
class Candidate:
    """What became of one number with a unit: kept as a metric ("kept", with its evidence span), excluded by
    a rule (`rule`, the check that excluded it; `reason`, its finer word: rank, streak …), or not read
    ("not_read": it lies in a part the metric rules do not read, `part` says which). Offsets index the text
    the rules read."""

    start: int  # the number with its unit (and a qualifier after it)
    end: int
    value: float
    unit: str
    part: str
    rule: str
    reason: str | None = None
    evidence: tuple[int, int] | None = None


class Doc:
    """A text with what every number needs computed once: stops, shielded spans, headings."""

    def __init__(self, text: str, report_year: int = 0) -> None:
        self.text = text
        self.report_year = report_year  # the year the report covers (0: unknown)
        self.flat = halfwidth(text)
        self.clause_stops = [m.start() for m in CLAUSE_STOP_RE.finditer(self.flat)]
        self.sentence_stops = [m.start() for m in SENTENCE_STOP_RE.finditer(self.flat)]
        self.phrase_stops = [m.start() for m in PHRASE_STOP_RE.finditer(self.flat)]
        self.line_starts = [m.end() for m in re.finditer(r"\n", self.flat)]
        shields = [m.span() for m in SHIELD_RE.finditer(self.flat)]
        self.shield_starts = [s for s, _ in shields]
        self.shield_ends = [e for _, e in shields]
        self.headings = [self._headings(rx) for rx in HEADING_RES]
        self.tables = TableIndex(text)

    def _headings(self, rx: re.Pattern[str]) -> tuple[list[int], list[str]]:
        starts = [m.start() for m in rx.finditer(self.flat)]
        return starts, [self._heading_text(p) for p in starts]

    def _heading_text(self, pos: int) -> str:
        m = HEADING_END_RE.search(self.flat, pos + 1, pos + 60)
        return self.flat[pos:m.start() if m else pos + 60]

    def shielded(self, pos: int) -> bool:
        """Inside 《…》, quotes or document-number brackets."""
        i = bisect_right(self.shield_starts, pos) - 1
        return i >= 0 and pos < self.shield_ends[i]

    def between(self, stops: list[int], pos: int, lo: int = 0, hi: int | None = None) -> tuple[int, int]:
        """The stretch around `pos` between two stops, kept within [lo, hi) and within REACH of `pos`."""
        i = bisect_right(stops, pos)
        start = stops[i - 1] + 1 if i > 0 else 0
        end = stops[i] if i < len(stops) else len(self.flat)
        hi = len(self.flat) if hi is None else hi
        return max(start, lo, pos - REACH), min(end, hi, pos + REACH)

    def paragraph(self, pos: int) -> int:
        """Where the line holding `pos` begins."""
        i = bisect_right(self.line_starts, pos)
        return self.line_starts[i - 1] if i else 0

    def clause(self, pos: int, lo: int = 0, hi: int | None = None) -> tuple[int, int]:
        return self.between(self.clause_stops, pos, lo, hi)

    def sentence(self, pos: int, lo: int = 0, hi: int | None = None) -> tuple[int, int]:
        return self.between(self.sentence_stops, pos, lo, hi)

    def plan_heading(self, pos: int) -> bool:
        """Whether the top or section heading in force at `pos` announces plans (三、2024年工作安排)."""
        return any(_announces_plans(text, self.report_year) for text in self.enclosing_headings(pos)[-2:])

    def enclosing_headings(self, pos: int) -> list[str]:
        """Headings in force at `pos`, innermost first (an item heading only under its own section)."""
        found, floor = [], -1
        for starts, texts in self.headings:
            i = bisect_right(starts, pos) - 1
            if i >= 0 and starts[i] > floor:
                found.append(texts[i])
                floor = starts[i]
        return found[::-1]


# ---------------------------------------------------------------- scanning numbers

def scan(doc: Doc, lo: int, hi: int, trace: list[Candidate] | None = None,
         parts: Sequence[Part] = ()) -> list[Quantity]:
    """Every number with a unit in [lo, hi) that its context does not exclude; with `trace`, each excluded
    one is recorded there with the rule that excluded it and the kind of its part (of `parts`)."""
    found = []
    for m in QUANTITY_RE.finditer(doc.flat, lo, hi):
        quantity = quantity_of(doc.flat, m)
        if quantity is None:
            continue
        excluded = exclusion(doc, quantity, lo)
        if excluded is None:
            found.append(quantity)
        elif trace is not None:
            trace.append(candidate(quantity, part_at(parts, quantity.start), *excluded))
    return found


def candidate(q: Quantity, part: str, rule: str, reason: str | None = None,
              evidence: tuple[int, int] | None = None) -> Candidate:
    return Candidate(q.start, q.end, q.value, q.unit, part, rule, reason, evidence)


def quantity_of(flat: str, m: re.Match[str]) -> Quantity | None:
    """Value, unit and qualifier of one match; None when it has no unit or cannot be read."""
    unit, end = unit_of(flat, m)
    base = parse_number(m["num"]) if unit else None
    if base is None or unit is None:
        return None
    start = m.start() - 3 if flat.endswith("百分之", 0, m.start()) else m.start()
    value = scale(base, MULTIPLIER.get(m["mult"] or "", 1))
    qualifier, end = qualifier_of(flat, m, start, end, unit)
    return Quantity(start, m.start(), m.end("num"), end, value, unit, qualifier, m["num"])


def unit_of(flat: str, m: re.Match[str]) -> tuple[str | None, int]:
    """The unit written after the number, and where it ends; 等5部门 counts 5 个, 百分之九十 is %."""
    unit, end = m["unit"], m.end()
    if unit and flat[end:end + 1] and flat[end] in UNIT_NOT_BEFORE.get(unit, ""):
        unit, end = None, m.start("unit")
    if flat.endswith("百分之", 0, m.start()):
        return ("%", end) if unit is None else (None, end)
    if unit is None and not is_chinese(m["num"]) and BARE_NOUN_RE.match(flat, end):
        return "个", end
    return unit, end


def qualifier_of(flat: str, m: re.Match[str], start: int, end: int, unit: str) -> tuple[Qualifier, int]:
    """The first qualifier wins (近9万余人 is approx): before the number, 余/多, then after the unit."""
    left = flat[max(0, start - 8):start]
    pre = PREFIX_QUALIFIER_RE.search(left)
    if pre and not left[:pre.start() + 2].endswith(NOT_QUALIFIER_BEFORE):
        return Qualifier(PREFIX_QUALIFIERS[pre[1]]), end
    distant = DISTANT_QUALIFIER_RE.search(left)
    if distant:
        return Qualifier(PREFIX_QUALIFIERS[distant[1]]), end
    if m["q1"] or m["q2"]:
        return Qualifier.more_than, end
    suffix = SUFFIX_QUALIFIER_RE.match(flat, end)
    if suffix and (suffix[0] != "内" or unit in DURATION_UNITS):
        return Qualifier(SUFFIX_QUALIFIERS[suffix[0]]), suffix.end()
    return Qualifier.exact, end


# ---------------------------------------------------------------- exclusions

def exclusion(doc: Doc, q: Quantity, lo: int) -> tuple[str, str] | None:
    """Why this number is not a metric: (the rule that excludes it, a short reason), or None when it is one.
    The rules are tried in order and the first that answers wins; their names are the trace's rule names."""
    if doc.shielded(q.num_start):
        return "quoted", "name"
    left = doc.flat[max(lo, q.start - 8):q.start]
    for rule, check in CHECKS:
        reason = check(doc, q, left)
        if reason:
            return rule, reason
    reason = _target(doc, q, lo)
    return ("target", reason) if reason else None


def _code(doc: Doc, q: Quantity, left: str) -> str | None:
    """Part of a code or slogan: S3, 5G, 1+8, 4A级, 3.0版."""
    before, after = left[-1:], doc.flat[q.num_end:q.num_end + 1]
    signed = before in "+-" and not left[-2:-1].isalnum()  # +8.3% in a table of changes
    if before and ((before.isascii() and before.isalnum()) or (before in SLOGAN_SIGNS and not signed)):
        return "code"
    if after and (after in SLOGAN_SIGNS or (after.isascii() and after.isalpha())):
        return "code"
    return None


def _ordinal_or_rank(doc: Doc, q: Quantity, left: str) -> str | None:
    """第三批, 前3, 排名第5位, 连续三次."""
    if left.endswith(ORDINAL_BEFORE):
        return "ordinal"
    if left.endswith(RANK_BEFORE) and not left.endswith(RANK_BEFORE_EXCEPT):
        return "rank"
    if q.unit in ("名", "位") and any(w in left for w in RANK_WORDS):
        return "rank"
    return "streak" if left.endswith(STREAK_BEFORE) else None


def _hotline(doc: Doc, q: Quantity, left: str) -> str | None:
    """A hotline's number as its name: 12345市民服务热线, 12348公共法律服务热线."""
    return "hotline" if HOTLINE_RE.match(doc.flat, q.num_start) else None


def _list_or_routine(doc: Doc, q: Quantity, left: str) -> str | None:
    """A count of items listed just before (A、B和C三项工程), a frequency (每…), a division (分三批)."""
    if left.endswith(FREQUENCY_BEFORE):
        return "frequency"
    if left.endswith(DIVISION_BEFORE) and not left.endswith(DIVISION_EXCEPT):
        return "division"
    heads = LIST_BEFORE if q.chinese else LIST_BEFORE_ARABIC
    if left.endswith(heads):
        return "list"
    if q.chinese and "、" in doc.flat[doc.clause(q.num_start)[0]:q.num_start]:
        return "list"
    return None


def _range(doc: Doc, q: Quantity, left: str) -> str | None:
    """6-8个, 5%—8%, 3至5人: a range is not a count."""
    flat = doc.flat
    if RANGE_LEFT_RE.search(left) or RANGE_RIGHT_RE.match(flat, q.num_end) or RANGE_RIGHT_RE.match(flat, q.end):
        return "range"
    return None


def _descriptor(doc: Doc, q: Quantity, left: str) -> str | None:
    """A size class or a service's name, not a figure: 10亿元以上项目, 24小时值班, 15分钟服务圈."""
    after = doc.flat[q.end:q.end + 8]
    if not q.percent and doc.flat.endswith(("以上", "以下"), 0, q.end) and _is_cjk(after[:1]):
        return None if after[0] in "和或及" else "descriptor"
    if q.unit in DURATION_UNITS and (after.startswith(DURATION_NAME_AFTER) or "圈" in after):
        return "name"
    if q.unit == "小时" and q.value == 24 and _is_cjk(after[:1]):
        return "name"
    return None


def _comparison(doc: Doc, q: Quantity, left: str) -> str | None:
    """Another body's figure quoted for comparison: 高于全省平均水平(33.8%)."""
    return "comparison" if COMPARISON_RE.search(left) else None


def _chinese_words(doc: Doc, q: Quantity, left: str) -> str | None:
    """Chinese numerals count after a verb (开展三次督察), before a counting unit (学法四次), when over
    ten (slogans use small numerals: 一百零五个 is a count) or after 百分之; 一 alone is an article."""
    if not q.chinese or q.start < q.num_start:  # 百分之九十五
        return None
    window = doc.flat[max(0, q.num_start - 3):q.end + 3]
    if (q.numeral == "一" and q.value == 1) or any(idiom in window for idiom in NUMERAL_IDIOMS):
        return "words"
    if doc.flat.startswith(CHINESE_LIST_AFTER, q.num_end):
        return "list"
    if CN_COUNT_BEFORE_RE.search(left) or q.value > 10 or (q.value >= 2 and q.unit in CHINESE_COUNT_UNITS):
        return None
    return "words"


CHECKS = (("code", _code), ("hotline", _hotline), ("ordinal_or_rank", _ordinal_or_rank),
          ("list_or_routine", _list_or_routine), ("range", _range), ("descriptor", _descriptor),
          ("comparison", _comparison), ("chinese_words", _chinese_words))  # then "target"


def _target(doc: Doc, q: Quantity, lo: int) -> str | None:
    """A target or plan: 力争…, 将新建…, 到2025年…, 目标是：…, a sentence opened by 下一步."""
    flat = doc.flat
    c_start, c_end = doc.clause(q.num_start, lo)
    s_start, _ = doc.sentence(q.num_start, lo)
    clause_left = FUTURE_EXCEPT_RE.sub("　", flat[c_start:q.num_start])
    sentence_left = flat[s_start:q.num_start]
    if FUTURE_RE.search(clause_left) or FUTURE_AFTER_RE.search(flat, q.end, c_end):
        return "target"
    if JIANG_RE.search(sentence_left) or TARGET_LIST_RE.search(sentence_left):
        return "target"
    if PLAN_SENTENCE.match(sentence_left) or _future_year(doc, sentence_left) or doc.plan_heading(q.num_start):
        return "target"
    return None


def _announces_plans(heading: str, report_year: int) -> bool:
    if any(w in heading for w in RESULT_HEADINGS):
        return False
    future = bool(report_year) and any(int(y) > report_year for y in YEAR_RE.findall(heading))
    return future or any(w in heading for w in PLAN_HEADINGS)


def _future_year(doc: Doc, sentence_left: str) -> bool:
    """到2025年…, 2024年底前… for a year after the one the report covers."""
    years = DEADLINE_RE.findall(sentence_left) + TO_YEAR_RE.findall(sentence_left)
    return bool(doc.report_year) and any(int(y) > doc.report_year for y in years)


# ---------------------------------------------------------------- evidence

def evidence_span(doc: Doc, q: Quantity, lo: int, hi: int) -> tuple[int, int]:
    """The clause holding the number: between stops, inside its brackets, one item of a 、 list."""
    flat = doc.flat
    start, end = doc.clause(q.num_start, lo, hi)
    start, end = max(start, q.start - EVIDENCE_REACH[0]), min(end, q.end + EVIDENCE_REACH[1])
    start, end = _inside_brackets(flat, q, start, end)
    start, end = _list_item(flat, q, start, end)
    listed = LIST_MARKER_RE.match(flat, start, end)
    if listed and listed.end() <= q.start:
        start = listed.end()
    while start < q.start and flat[start] in " \t\u3000":
        start += 1
    while end > q.end and flat[end - 1] in " \t\u3000":
        end -= 1
    return start, end


def _inside_brackets(flat: str, q: Quantity, start: int, end: int) -> tuple[int, int]:
    """行政处罚163230宗(罚没金额3860.85万元): each figure keeps to its side of the bracket."""
    opening = max(flat.rfind("(", start, q.start), flat.rfind("（", start, q.start))
    closing = [i for i in (flat.find(")", q.end, end), flat.find("）", q.end, end)) if i >= 0]
    if opening >= 0 and closing and not any(c in ")）" for c in flat[opening:q.start]):
        return opening + 1, min(closing)
    after = min([i for i in (flat.find("(", q.end, end), flat.find("（", q.end, end)) if i >= 0], default=-1)
    shut = min([i for i in (flat.find(")", after, end), flat.find("）", after, end)) if i >= 0], default=end)
    if after >= 0 and any(c.isdigit() for c in flat[after:shut]):
        return start, after
    return start, end


def _list_item(flat: str, q: Quantity, start: int, end: int) -> tuple[int, int]:
    """In 40座水库、62座淤地坝、7座水电站 keep the item holding this number (with its unnumbered neighbours)."""
    cuts = [i for i in range(start, end) if flat[i] == "、"]
    if not cuts:
        return start, end
    pieces = [(a + 1, b) for a, b in itertools.pairwise([start - 1, *cuts, end])]
    numbered = [i for i, (a, b) in enumerate(pieces) if any(c.isdigit() for c in flat[a:b])]
    if len(numbered) < 2:
        return start, end
    mine = next(i for i, (a, b) in enumerate(pieces) if a <= q.num_start < b)
    first = max([i + 1 for i in numbered if i < mine], default=0)
    last = min([i - 1 for i in numbered if i > mine], default=len(pieces) - 1)
    return pieces[first][0], pieces[last][1]


# ---------------------------------------------------------------- naming

LIST_MARKER = "|".join([*(marker(style) for style in ("shi", "paren", "paren_num", "num")), f"其[{CN}]"])
LIST_MARKER_RE = re.compile(rf"^[\s\u3000]*(?:(?:{LIST_MARKER})[\s\u3000]*)+")
TIME_PREFIX = (  # 截至2022年底, 今年以来, 三年来 …
    rf"(?:[^，,。；;]{{1,6}}?以来|(?:{alt(words('naming.since'))})?(?:\d{{4}}年(?:度)?(?:\d{{1,2}}月(?:份|底|末)?)?"
    rf"(?:以来|来|内|底|末|全年)?|{alt(words('naming.time'))}))"
)
NAME_PREFIX_RE = re.compile(
    rf"^(?:{TIME_PREFIX}|(?:{alt(words('naming.scope'))})|{alt(words('naming.fillers'))}|[\s\u3000、]+)")
PREPOSITION_RE = re.compile(rf"^(?:{alt(words('naming.prepositions'))})")
LINK_SUFFIX_RE = re.compile(rf"(?:{alt((*words('naming.links'), *PREFIX_QUALIFIERS))})$")
LIGHT_VERB_RE = re.compile(rf"(?:{alt(LIGHT_VERB_NOUNS)})|(?:{alt(words('naming.light_verbs'))})")
CONTENT_VERB_RE = any_of("naming.content_verbs")
TOTAL_RE = re.compile(r"(?<![公总一])共(?![享同建治商性识])|共计|合计|总计")
RIGHT_STOP_RE = re.compile(rf"{alt(words('naming.right_noun_stops'))}|{TOTAL_RE.pattern}|[，,；;。：:！？!?\n、]|\d")
VP_END_RE = re.compile(r"[，,；;。：:！？!?\n]|或|\d")
NAME_NOISE_RE = re.compile(rf"{alt(words('naming.noise'))}|\s")
NAME_HEAD_JUNK_RE = re.compile(r"^[\d.·:：、，,；;”’》)）\]\s]+")
SHORT_VP_NOISE_RE = re.compile(rf"^(?:{alt(words('naming.vp_lead'))})+|(?:{alt(words('naming.vp_tail'))})+$")
BODY_END_RE = re.compile(rf"(?:{alt(words('naming.body_endings'))})$")
RATE_END_RE = re.compile(rf"(?:{alt(words('naming.rate_endings'))})$")
CHANGE_END_RE = re.compile(rf"(?:{alt(words('naming.changes'))})$")
CHANGE_RE = re.compile(rf"(?:{alt(words('naming.change_bases'))})?(?:{alt(words('naming.changes'))})")


def _verbs(words: str) -> list[re.Match[str]]:
    """Verbs in `words`, light and content, in order (党组织 is a noun, not 组织)."""
    found = [m for m in LIGHT_VERB_RE.finditer(words) if m[0] not in LIGHT_VERB_NOUNS]
    found += list(CONTENT_VERB_RE.finditer(words))
    return sorted(found, key=lambda m: m.start())


def _ends_with_verb(words: str) -> bool:
    """受理, 已审结, 败诉: a phrase that is only an action, whose object was named before."""
    verbs = _verbs(words)
    return bool(verbs) and verbs[-1].end() == len(words)


def _strip_edges(words: str) -> str:
    """Drop time, scope, filler and preposition words in front; link words (达到, 为, 共) behind."""
    while True:
        head = NAME_PREFIX_RE.match(words) or PREPOSITION_RE.match(words)
        tail = LINK_SUFFIX_RE.search(words)
        if head and head.end() > 0:
            words = words[head.end():]
        elif tail and tail.start() > 0:
            words = words[:tail.start()]
        else:
            return words


def clean_left(words: str) -> str:
    """The phrase before a number that says what it counts: 通过…形式组织专题法治学习 → 专题法治学习."""
    words = NAME_NOISE_RE.sub("", LIST_MARKER_RE.sub("", words))
    words = words[max(words.rfind("》"), words.rfind("”") if "“" not in words else -1) + 1:]
    totals = list(TOTAL_RE.finditer(words))
    if totals and totals[-1].end() < len(words):
        words = words[totals[-1].end():]
    listed = words.rfind("等")
    if "、" in words[:max(listed, 0)] and len(words) - listed > 2:
        words = words[listed + 1:]  # 制定实施规则、基准公开等制度 → 制度
    words = _strip_edges(words)
    while True:
        light = [m for m in _verbs(words) if m.re is LIGHT_VERB_RE]
        if light and light[-1].end() == len(words) and light[-1].start() > 0:
            words = _strip_edges(words[:light[-1].start()])
        elif light and light[-1].end() < len(words):
            words = _strip_edges(words[light[-1].end():])
        else:
            return "" if words in CONJUNCTIONS else _cap(words)


def _cap(words: str, size: int = 18) -> str:
    """At most `size` characters from the end, starting at a verb when one allows it."""
    if len(words) <= size:
        return words
    starts = [m.start() for m in _verbs(words) if m.start() >= len(words) - size]
    return words[starts[0]:] if starts else words[-size:]


def object_noun(phrase: str) -> str:
    """The noun a phrase ends with, after its last verb: 收到行政复议案件 → 行政复议案件."""
    verbs = [m for m in _verbs(phrase) if len(phrase) - m.end() >= 2]
    return phrase[verbs[-1].end():] if verbs else phrase


def right_noun(words: str) -> tuple[str, str]:
    """The noun written after a measure word, and what follows (81个机关部门参与… → 机关部门, 参与…)."""
    stop = RIGHT_STOP_RE.search(words)
    cut = stop.start() if stop else len(words)
    return NAME_NOISE_RE.sub("", words[:cut])[:14], words[cut:]


def verb_phrase(words: str) -> str:
    """What the counted things did: 全部在省…平台上公示执法结果数据 → 公示执法结果数据."""
    words = _strip_edges(NAME_NOISE_RE.sub("", VP_END_RE.split(words, maxsplit=1)[0]))
    if len(words) > 12:
        verbs = [m for m in _verbs(words) if len(words) - m.end() >= 2 and words[m.end()] != "的"]
        words = words[verbs[-1].start():] if verbs else words[-14:]
    return SHORT_VP_NOISE_RE.sub("", words)[:14]


def rate_phrase(right: str) -> str:
    """What a percentage written before its noun measures: 100%可网办 → 可网办, 15%的执法人员… → 执法人员…."""
    right = right[1:] if right.startswith("的") else right
    if not _is_cjk(right[:1]) or right.startswith(("以上", "以下", "左右", "以内")):
        return ""
    phrase = verb_phrase(right)
    return phrase if len(phrase) >= 2 and phrase not in CONJUNCTIONS else ""


def with_suffix(name: str, unit: str) -> str:
    """专题法治学习 + 场 → 专题法治学习场次; 合格率 + % stays 合格率; 罚没金额 + 元 stays."""
    if unit in ("%", "‰"):
        if CHANGE_END_RE.search(name):
            return name + "率"  # 同比增长 → 同比增长率
        return name if RATE_END_RE.search(name) else name + "比例"
    if unit in ("个百分点", "百分点") or name.endswith(WHOLE_ENDINGS):
        return name
    suffix = SUFFIX_BY_UNIT.get(unit, "数")
    if suffix == "人数" and name.endswith(("人员", "人数")):
        suffix = "数" if name.endswith("人员") else ""
    if suffix and name.endswith((suffix, "数")):
        return name
    return name + suffix


class Namer:
    """Names the quantities of a part in order, carrying the last counted object within a paragraph."""

    def __init__(self, doc: Doc) -> None:
        self.doc = doc
        self.flat = doc.flat
        self.last_object = ""  # what the last figure counted (行政复议案件)
        self.main_object = ""  # the same, outside a 其中… breakdown
        self.paragraph = self.sentence = -1
        self.in_breakdown = False
        self.last_name = ""
        self.last_phrase = ""  # the phrase that named the figure before, without its unit's suffix

    def name(self, q: Quantity, prev: Quantity | None, nxt: Quantity | None, span: tuple[int, int],
             tail_vp: str) -> str:
        """`prev`/`nxt`: the neighbours in the same evidence; `tail_vp`: the evidence's closing verb phrase."""
        self._follow(q)
        left = clean_left(self._own_left(prev, q, span))
        right = self.flat[q.end:nxt.start if nxt else span[1]]
        name = self._choose(q, prev, left, right, tail_vp)
        if not self.in_breakdown:
            self.main_object = self.last_object
        self.last_name = NAME_HEAD_JUNK_RE.sub("", name)
        return self.last_name

    def _choose(self, q: Quantity, prev: Quantity | None, left: str, right: str, tail_vp: str) -> str:
        if prev is not None and not left and prev.unit == q.unit and self.last_name:
            return self.last_name  # 分别增长5.1%和7.2%
        if q.percent and rate_phrase(right):
            return f"{left}{rate_phrase(right)}比例"  # 100%可网办
        if q.percent and left in ("占", "占比"):
            return self.last_object + "占比"  # 求助类5078件,占73.8%
        adjacent = prev is not None and prev.end == q.start
        self.last_phrase = self.last_phrase if adjacent and not left else self._object(q, left, right, tail_vp)
        return with_suffix(self.last_phrase, q.unit)

    def _own_left(self, prev: Quantity | None, q: Quantity, span: tuple[int, int]) -> str:
        """The words before this figure that are not the noun of the figure before (380多个组织共2万人次)."""
        between = self.flat[prev.end if prev else span[0]:q.start]
        if prev is None or prev.unit not in NOUN_UNITS:
            return between
        noun, rest = right_noun(between)
        if not noun or clean_left(rest):
            return between
        # 共2万人次 counts all of them (named by what they did); 7支队伍627人 counts the teams' staff
        return "" if TOTAL_RE.search(rest) else noun

    def _follow(self, q: Quantity) -> None:
        """New paragraph: forget the object; sentence after a 其中… breakdown: back to the main object."""
        paragraph = self.doc.paragraph(q.start)
        if paragraph != self.paragraph:
            self.paragraph, self.last_object, self.main_object = paragraph, "", ""
        sentence, _ = self.doc.sentence(q.num_start)
        if sentence != self.sentence and self.in_breakdown:
            self.last_object = self.main_object
        self.sentence = sentence
        self.in_breakdown = "其中" in self.flat[sentence:q.start]

    def _object(self, q: Quantity, left: str, right: str, tail_vp: str) -> str:
        noun, rest = right_noun(right) if q.unit in NOUN_UNITS or q.unit in EVENT_UNITS else ("", right)
        if len(noun) >= 2 or (noun and not left):
            return self._right_named(q, left, noun, rest, tail_vp)
        if 2 <= len(left) <= 6 and BODY_END_RE.search(left) and self.last_object and not _verbs(left):
            return left + self.last_object  # 其中区政府9件: the body's share of the object before
        if len(left) >= 3 or (len(left) == 2 and not (self.last_object and _ends_with_verb(left))):
            return self._left_named(q, left)
        if not left and verb_phrase(right):
            return verb_phrase(right)  # 共2万人次积极参与该活动
        return self.last_object + left  # 受理44件 after 收到行政复议案件45件

    def _right_named(self, q: Quantity, left: str, noun: str, rest: str, tail_vp: str) -> str:
        """50多家民营企业集中开展安全生产法治讲座 → 开展安全生产法治讲座的民营企业."""
        if q.unit in EVENT_UNITS:
            self.last_object = noun
            return noun
        vp = verb_phrase(rest) if SHORT_VP_NOISE_RE.sub("", rest.strip("和及与、")) else tail_vp
        verbs = [m for m in _verbs(left) if m.re is CONTENT_VERB_RE]
        obj = (verbs[-1][0] if verbs else "") + noun
        self.last_object = obj
        return f"{vp}的{obj}" if len(vp) >= 2 else obj

    def _left_named(self, q: Quantity, left: str) -> str:
        if q.percent and len(left) <= 5 and left.endswith(GENERIC_RATES):
            return self._rate_owner(q) + left  # 办结率96.5% after 办结6638件 of 热线件
        if CHANGE_RE.fullmatch(left) and self.last_object:
            return self.last_object + left  # 经营主体22685户,同比增长10%
        noun = object_noun(left)
        if not RATE_END_RE.search(left) and noun not in COMPLEMENTS:
            self.last_object = noun
        return left

    def _rate_owner(self, q: Quantity) -> str:
        """What a bare rate is a rate of: the object counted just before, or the clause before."""
        start, _ = self.doc.clause(q.num_start)
        prev_start, prev_end = self.doc.clause(max(0, start - 2))
        before = self.flat[prev_start:prev_end]
        same_sentence = self.doc.sentence(q.num_start)[0] <= prev_start and prev_end < start
        if not same_sentence or any(c.isdigit() for c in before):
            return self.last_object
        return object_noun(clean_left(before)) or self.last_object


def tail_verb_phrase(flat: str, last: Quantity, span: tuple[int, int]) -> str:
    """The verb phrase after the last counted noun of an evidence (8个镇街和32个部门设立… → 设立…)."""
    noun, rest = right_noun(flat[last.end:span[1]])
    return verb_phrase(rest) if noun else ""


# ---------------------------------------------------------------- assembling

def extract_metrics(text: str, parts: list[Part], report_year: int | None = None,
                    trace: list[Candidate] | None = None) -> list[Metric]:
    """Every metric of the opening, achievements and problems parts, in text order. `report_year`: the
    year the report covers (0 when unknown), as the metadata rules read it when not given. With `trace`,
    every number with a unit is recorded there: kept, excluded by a rule, or not read."""
    year = covered_year(text, parts) if report_year is None else report_year
    doc = Doc(text, year or 0)
    metrics: list[Metric] = []
    readable = readable_ranges(doc, parts)
    for lo, hi in readable:
        metrics.extend(_range_metrics(doc, lo, hi, trace, parts))
    if trace is not None:
        trace.extend(unread_candidates(doc, parts, readable))
        trace.sort(key=lambda c: c.start)
    return metrics


def readable_ranges(doc: Doc, parts: list[Part]) -> list[tuple[int, int]]:
    """Merged [start, end) ranges of the parts metrics are read from; a problems part stops at 下一步."""
    merged: list[tuple[int, int]] = []
    for start, end in sorted((p.start, _plan_cut(doc, p)) for p in parts if p.kind in READ_KINDS):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        elif end > start:
            merged.append((start, end))
    return merged


def _plan_cut(doc: Doc, part: Part) -> int:
    """Where plans begin inside a problems part (存在的不足和下一步工作打算): a sentence opened by 下一步."""
    if part.kind != "problems":
        return part.end
    first = bisect_right(doc.sentence_stops, part.start)
    for stop in itertools.takewhile(lambda s: s < part.end, doc.sentence_stops[first:]):
        if PLAN_SENTENCE.match(doc.flat, stop + 1):
            return stop + 1
    return part.end


def _range_metrics(doc: Doc, lo: int, hi: int, trace: list[Candidate] | None = None,
                   parts: Sequence[Part] = ()) -> list[Metric]:
    quantities = scan(doc, lo, hi, trace, parts)
    namer = Namer(doc)
    result = []
    keyed = ((evidence_span(doc, q, lo, hi), q) for q in quantities)
    for span, group in itertools.groupby(keyed, key=lambda pair: pair[0]):
        same = [q for _, q in group]
        tail_vp = tail_verb_phrase(doc.flat, same[-1], span)
        for k, q in enumerate(same):
            prev, nxt = (same[k - 1] if k else None), (same[k + 1] if k + 1 < len(same) else None)
            named = namer.name(q, prev, nxt, span, tail_vp)
            name = doc.tables.name(q.num_start) or named or doc.text[span[0]:span[1]][:16]
            result.append(_metric(doc, q, span, name))
            if trace is not None:
                trace.append(candidate(q, part_at(parts, q.start), "kept", evidence=span))
    return result


def part_at(parts: Sequence[Part], pos: int) -> str:
    """The kind of the part holding `pos` ("" when none does)."""
    return next((p.kind for p in parts if p.start <= pos < p.end), "")


def unread_candidates(doc: Doc, parts: list[Part], readable: list[tuple[int, int]]) -> list[Candidate]:
    """The numbers with a unit outside the ranges read: in the header, title, plans, closing or footer, and
    in the plans that close a problems part (after its 下一步)."""
    found = []
    for part in parts:
        kind = "plans" if part.kind in READ_KINDS else part.kind
        for lo, hi in uncovered(part.start, part.end, readable):
            found += [candidate(q, kind, "not_read") for m in QUANTITY_RE.finditer(doc.flat, lo, hi)
                      if (q := quantity_of(doc.flat, m)) is not None]
    return found


def uncovered(start: int, end: int, ranges: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """The stretches of [start, end) outside the sorted, disjoint `ranges`."""
    out, pos = [], start
    for lo, hi in ranges:
        if hi <= pos or lo >= end:
            continue
        if lo > pos:
            out.append((pos, lo))
        pos = max(pos, hi)
    return [*out, (pos, end)] if pos < end else out


def _metric(doc: Doc, q: Quantity, span: tuple[int, int], name: str) -> Metric:
    clause, phrase = doc.clause(q.num_start), doc.between(doc.phrase_stops, q.num_start)
    layers = [doc.flat[span[0]:span[1]], doc.flat[clause[0]:clause[1]], doc.flat[phrase[0]:phrase[1]],
              *doc.enclosing_headings(q.num_start)]
    category = classify_layers(layers, LAYER_WEIGHTS)
    canonical = match_canonical(name, q.unit, category)
    return Metric(
        name=name, value=q.value, unit=q.unit, qualifier=q.qualifier, category=category,
        canonical=canonical.key if canonical else None, evidence=doc.text[span[0]:span[1]],
        start=span[0], end=span[1],
    )
