"""The division of a report's body into parts: opening, achievements, problems, plans.

`segment` cuts a text into parts (offsets into the text, in order, not overlapping): the frame
(`frame.py`) gives header, title, closing and footer; top-level headings (第一部分, 一、, or unnumbered
headings such as 存在的问题), each with the kind its words say, divide the body into achievements,
problems and plans. A section that combines problems and plans (存在的不足和下一步工作打算) is split
where the plans begin (下一步…). With no problems heading, a paragraph that admits problems
(…还存在一些问题：一是…) becomes the problems part. Every pattern is bounded, so all of this runs in
linear time.
"""

import re
from dataclasses import dataclass

from fazhi.agent.genre import Part
from fazhi.schemas.rules.frame import Line, compact, frame_head, front, layout_lines, split_lines, tail
from fazhi.schemas.rules.headings import HEAD_RE, ITEM_START, heading_match, heading_title, marker, numeral_value
from fazhi.schemas.rules.lexicon import NEXT_STEP, PLAN_CUE, alt, any_of, words

PART_KINDS = ("header", "title", "opening", "achievements", "problems", "plans", "closing", "footer")
PROBLEM_WORDS = any_of("problems.words")
PROBLEM_NEG = re.compile(  # 着力解决…问题 is work done, not a problem admitted
    rf"(?:{alt(words('problems.remedies'))})[^，,。]{{0,8}}(?:{alt(words('problems.remedied'))})"
    rf"|{alt(words('problems.not_admitted'))}"
)
PLAN_STRONG = re.compile(
    rf"{alt(words('plans.heading_strong'))}|(?:{alt(words('plans.heading_year_verbs'))})(?:19|20)\d{{2}}年")
STRONG_ACHIEVE = re.compile(  # 回顾, 完成情况, 成效 (not 新成效)
    rf"{alt(words('achievements.reviews'))}|(?<![新更])(?:{alt(words('achievements.results'))})")
ASPIRATION = any_of("achievements.aspirations")  # 奋力推动…取得新成效 is a goal
ACHIEVE_WORDS = any_of("achievements.words")
PLAN_WEAK = any_of("plans.heading_weak")
UNNUMBERED = (
    ("problems", any_of("problems.sections")),
    ("plans", re.compile(
        rf"^(?:{alt(words('plans.openers'))})|^\d{{4}}年[^。]{{0,12}}(?:{alt(words('plans.year_heading_nouns'))})"
        rf"|{alt(words('plans.headings'))}")),
    ("achievements", any_of("achievements.headings")),
)
PROBLEM_ADMIT = any_of("problems.admissions")
LIST_CUE = re.compile(rf"[：:]|{alt(words('problems.list_cues'))}|[，,]\s*(?:{alt(words('problems.examples'))})")
ENUMERATED_PROBLEMS = re.compile(  # …还存在A、B、C等问题 / 主要表现为：A、B、C。
    rf"(?:{alt(words('problems.enumeration_lead'))})存在着?(?P<list>[^。；;]{{8,400}}?)等(?:方面的?)?"
    rf"(?:{alt(words('problems.enumeration_nouns'))})"
    rf"|(?:{alt(words('problems.listed_lead'))})[：:]?(?P<listed>[^。；;]{{8,400}}?)(?=。|$)"
)
HEADING_YEAR = re.compile(r"((?:19|20)\d{2})\s*年")
APPENDIX = re.compile(r"附件[一二三四五六七八九十\d]{0,3}(?:[:：](?P<title>.{0,40}))?")
NOTES = any_of("frame.appendix_notes")
DATED_WORK = re.compile(
    rf"(?:19|20)\d{{2}}年(?:度)?(?:的)?(?:{alt(words('achievements.dated_work_before'))})?"
    rf"(?:{alt(words('achievements.dated_work'))})(?:{alt(words('achievements.dated_work_after'))})?")
SECTION_TITLE_FILLER = any_of("problems.section_fillers")
SHI_START = re.compile(marker("shi"))  # 一是…: a point inside a paragraph, not a heading

@dataclass(frozen=True)
class Heading:
    line: Line
    kind: str
    combined: bool = False


# ---------------------------------------------------------------- headings and their kinds

def heading_kind(title: str) -> str | None:
    """problems / plans / achievements by the heading's words; None when they say nothing."""
    if PROBLEM_WORDS.search(title) and ("存在" in title or not PROBLEM_NEG.search(title)):
        return "problems"
    if PLAN_STRONG.search(title):
        return "plans"
    if ACHIEVE_WORDS.search(title):
        return "achievements"
    if PLAN_WEAK.search(title):
        return "plans"
    return "achievements" if "主要工作" in title else None


def unnumbered_kind(s: str) -> str | None:
    """The kind of a short heading line without numbering (存在的问题, 下一步工作打算); "dated" for a
    year's work (2018年主要工作), which the years around it settle."""
    c = compact(s)
    if len(c) > 30 or c[-1] in "。；;，," or HEAD_RE.match(s) is not None or SHI_START.match(c):
        return None
    if DATED_WORK.fullmatch(c):
        return "dated"
    for kind, pattern in UNNUMBERED:
        if pattern.search(c):
            return kind
    return None


def headings_of_style(lines: list[Line], style: str) -> list[tuple[Line, str]]:
    """(line, title) of every heading line numbered in `style` (part, cn, paren, num)."""
    found = []
    for line in lines:
        m = heading_match(line.text)
        if m is not None and m.lastgroup == style:
            found.append((line, heading_title(line.text, m)))
    return found


def numbered_headings(lines: list[Line]) -> list[tuple[Line, str]]:
    """Top-level numbered headings: 第X部分 if any, else X、 in sequence (一、二、三、…)."""
    for style in ("part", "cn"):
        found = headings_of_style(lines, style)
        if found:
            return found if style == "part" else in_sequence(found)
    return []


def heading_numeral(line: Line) -> str:
    """The Chinese numeral of a line that `HEAD_RE` found to be a heading."""
    match = HEAD_RE.match(line.text)
    assert match is not None
    return match["cn"]


def in_sequence(found: list[tuple[Line, str]]) -> list[tuple[Line, str]]:
    """Keep the headings numbered 一、二、三… in order (from 一 when present), dropping the others."""
    values = [numeral_value(heading_numeral(line)) for line, _ in found]
    kept, expected = [], 1 if 1 in values else values[0]
    for line, title in found:
        numeral = heading_numeral(line)
        if numeral_value(numeral) == expected:
            kept.append((line, title))
            expected += 1
    return kept


def minor_headings(lines: list[Line]) -> list[tuple[Line, str]]:
    """(一)(二)… or 1. 2. … headings, used as top level (in a text without 一、 or 第一部分) only
    when some of them name problems or plans."""
    for style in ("paren", "num"):
        found = headings_of_style(lines, style)
        kinds = {heading_kind(title) for _, title in found}
        if len(found) >= 2 and kinds & {"problems", "plans"}:
            return found
    return []


def find_headings(lines: list[Line]) -> list[Heading]:
    """The body's section headings, each with its kind (neutral headings follow their predecessor)."""
    numbered = numbered_headings(lines)
    bare = [(line, kind) for line in lines if (kind := unnumbered_kind(line.text))]
    if not numbered and not bare:
        numbered = minor_headings(lines)
    raw = [(line, heading_kind(title), title) for line, title in numbered]
    raw += [(line, kind, compact(line.text)) for line, kind in bare]
    raw += appendices(lines)
    raw.sort(key=lambda h: h[0].start)
    return resolve_kinds(raw)


def appendices(lines: list[Line]) -> list[tuple[Line, str | None, str]]:
    """附件 headings: an appendix of notes (名词解释) is read as the closing; another by its title
    (2016年民生实事完成情况 reviews, 2017年民生实事项目 plans), given on the line or the next."""
    found: list[tuple[Line, str | None, str]] = []
    for k, line in enumerate(lines):
        m = APPENDIX.fullmatch(compact(line.text))
        if m is None:
            continue
        title = m["title"] or (compact(lines[k + 1].text)[:40] if k + 1 < len(lines) else "")
        kind = "closing" if NOTES.search(title) else heading_kind(title) or (
            "dated" if HEADING_YEAR.search(title) else None)
        found.append((line, kind, title))
    return found


def resolve_kinds(raw: list[tuple[Line, str | None, str]]) -> list[Heading]:
    """Kinds for the headings that say none: after problems or plans, plans; a heading naming a later
    year than the first dated heading (一、2016年工作回顾 … 二、2017年主要工作) announces that year's plans."""
    out: list[Heading] = []
    previous, review_year = "achievements", None
    for line, kind, title in raw:
        year = HEADING_YEAR.search(title)
        if year and kind in (None, "achievements", "dated"):
            if review_year is not None and int(year[1]) > review_year:
                kind = "plans"
            review_year = review_year or int(year[1])
        if kind in (None, "dated"):
            kind = "plans" if previous in ("problems", "plans") else "achievements"
        reviews = STRONG_ACHIEVE.search(title) and not ASPIRATION.search(title)
        if previous == "plans" and kind == "achievements" and not reviews:
            kind = "plans"  # once plans begin, only a heading that reviews results returns to them
        combined = kind == "problems" and (PLAN_STRONG.search(title) or PLAN_WEAK.search(title)) is not None
        out.append(Heading(line, kind, combined))
        previous = kind
    return out


def is_section_title(title: str) -> bool:
    """存在的问题, 主要问题及不足: a title naming the problems section, not one problem
    (法治工作队伍建设存在短板 names a problem: it says what falls short)."""
    c = compact(title)
    found = UNNUMBERED[0][1].search(c)
    if len(c) > 16 or found is None:
        return False
    rest = SECTION_TITLE_FILLER.sub("", c[: found.start()] + c[found.end():])
    return len(rest) <= 2


# ---------------------------------------------------------------- body

def body_parts(text: str, lines: list[Line], start: int, end: int) -> list[Part]:
    """Opening, achievements, problems, plans of the body text[start:end]."""
    headings = find_headings(lines)
    if not headings:
        return headingless_parts(text, lines, start, end)
    parts = [Part("opening", start, headings[0].line.start)]
    bounds = [h.line.start for h in headings[1:]] + [end]
    for heading, stop in zip(headings, bounds, strict=True):
        parts.extend(section_parts(text, heading, stop))
    return add_problem_paragraph(text, parts)


def headingless_parts(text: str, lines: list[Line], start: int, end: int) -> list[Part]:
    """No headings: the first paragraph opens, the rest is achievements."""
    if len(lines) > 1:
        parts = [Part("opening", start, lines[1].start), Part("achievements", lines[1].start, end)]
    else:
        parts = [Part("achievements", start, end)]
    return add_problem_paragraph(text, parts)


def section_parts(text: str, heading: Heading, stop: int) -> list[Part]:
    """A section as one part; a problems section is cut where its plans begin, if they do."""
    start = heading.line.start
    if heading.kind != "problems":
        return [Part(heading.kind, start, stop)]
    cue = PLAN_CUE if heading.combined else NEXT_STEP
    after = title_end(heading.line)
    splits = [plan_split(text, after, stop, cue), plan_subheading(text, after, stop, heading.combined)]
    split = min((x for x in splits if x is not None), default=None)
    if split is None:
        return [Part("problems", start, stop)]
    return [Part("problems", start, split), Part("plans", split, stop)]


def title_end(line: Line) -> int:
    """Where a heading line's title ends (its line may run on, in text that lost its line breaks)."""
    m = heading_match(line.text)
    if m is None:
        return line.end
    return line.start + m.end() + len(heading_title(line.text, m))


def plan_subheading(text: str, start: int, end: int, combined: bool) -> int | None:
    """A sub-heading announcing plans ((二)下一步工作打算; in a combined section also (二)整改措施)
    inside a problems section."""
    for line in split_lines(text, start, end):
        m = heading_match(line.text)
        if m is None:
            if unnumbered_kind(line.text) == "plans":
                return line.start
            continue
        title = heading_title(line.text, m)
        announces = PLAN_STRONG.search(title) or (combined and len(title) <= 10 and PLAN_WEAK.search(title))
        if announces and not PROBLEM_WORDS.search(title):
            return line.start
    return None


def plan_split(text: str, start: int, end: int, cue: re.Pattern[str]) -> int | None:
    """Where plans begin inside a problems stretch: a sentence opening with 下一步/今后/我们将…"""
    for m in cue.finditer(text, start, end):
        before = text[max(start, m.start() - 12): m.start()].rstrip()
        if not before or before[-1] in "。！？!?；;":
            return m.start()
    return None


def add_problem_paragraph(text: str, parts: list[Part]) -> list[Part]:
    """With no problems section, a sub-section headed 存在的问题, or else a paragraph admitting problems
    (…还存在一些问题：一是…), becomes the problems part."""
    if any(p.kind == "problems" for p in parts):
        return parts
    for finder in (problem_subsection, problem_paragraph):
        for i, part in enumerate(parts):
            found = finder(text, part) if part.kind in ("achievements", "opening") else None
            if found is not None:
                return parts[:i] + splice(part, found) + parts[i + 1:]
    return parts


def problem_subsection(text: str, part: Part) -> tuple[int, int, int | None] | None:
    """(start, end, plans start or None) of a sub-section headed like 存在的问题, up to its next sibling."""
    lines = split_lines(text, part.start, part.end)
    for k, line in enumerate(lines):
        style = subheading_style(line.text)
        if style is None or not names_problems_section(line.text):
            continue
        for after in lines[k + 1:]:
            if subheading_style(after.text) == style:
                plans = after.start if heading_kind_of_line(after.text) == "plans" else None
                return line.start, after.start, plans
        return line.start, part.end, None
    return None


def names_problems_section(s: str) -> bool:
    """A heading line such as (二)存在的问题 (not (三)着力解决存在的问题)."""
    m = heading_match(s)
    title = heading_title(s, m) if m is not None else compact(s)
    return is_section_title(title) and PROBLEM_NEG.search(title) is None


def subheading_style(s: str) -> str | None:
    m = heading_match(s)
    if m is not None:
        return m.lastgroup
    return "bare" if unnumbered_kind(s) else None


def heading_kind_of_line(s: str) -> str | None:
    m = heading_match(s)
    return heading_kind(heading_title(s, m)) if m is not None else unnumbered_kind(s)


def problem_paragraph(text: str, part: Part) -> tuple[int, int, int | None] | None:
    """(start, end, plans start or None) of the first problems paragraph in the part."""
    lines = split_lines(text, part.start, part.end)
    for k, line in enumerate(lines):
        if not admits_problems(line.text):
            continue
        end = k + 1
        while end < len(lines) and ITEM_START.match(lines[end].text):
            end += 1
        stop = lines[end - 1].end
        split = plan_split(text, line.start, stop, PLAN_CUE)
        following = lines[end].start if end < len(lines) else None
        if split is None and following is not None and PLAN_CUE.match(lines[end].text):
            return line.start, following, following
        return line.start, stop, split
    return None


def admits_problems(s: str) -> bool:
    """The paragraph's first sentence admits problems and announces a list of them, or lists them
    itself (…还存在A、B等问题)."""
    first = s[:500].split("。", 1)[0]
    enumerated = ENUMERATED_PROBLEMS.search(first)
    if enumerated and enumerated["list"] and not PROBLEM_NEG.search(first[: enumerated.start("list")]):
        return True
    first = first[:200]
    admit = PROBLEM_ADMIT.search(first)
    word = PROBLEM_WORDS.search(first, admit.end(), admit.end() + 30) if admit else None
    if word is None or PROBLEM_NEG.search(first[: word.end()]):  # 着力解决…问题 is no admission
        return False
    return LIST_CUE.search(first, word.end(), word.end() + 30) is not None


def splice(part: Part, found: tuple[int, int, int | None]) -> list[Part]:
    """The part cut around its problems paragraph; plans, when announced, run to the part's end."""
    start, end, plans = found
    head = Part(part.kind, part.start, start)
    if plans is not None:
        return [head, Part("problems", start, plans), Part("plans", plans, part.end)]
    return [head, Part("problems", start, end), Part("achievements", end, part.end)]


# ---------------------------------------------------------------- assembly

def segment(text: str) -> list[Part]:
    """Parts covering the text in order, without overlaps; empty and blank parts are left out."""
    lines = layout_lines(text)
    body, title = front(lines)
    closing, footer = tail(lines, body)
    closing = max(closing, body)
    offset = lambda i: lines[i].start if i < len(lines) else len(text)  # noqa: E731
    parts = frame_head(lines, body, title, offset(body))
    if body < closing:
        parts += body_parts(text, lines[body:closing], offset(body), offset(closing))
    parts += [Part("closing", offset(closing), offset(footer)), Part("footer", offset(footer), len(text))]
    return tidy(text, parts)


def tidy(text: str, parts: list[Part]) -> list[Part]:
    """Drop blank parts and merge neighbours of the same kind."""
    out: list[Part] = []
    for part in parts:
        if part.end <= part.start or not text[part.start: part.end].strip():
            continue
        if out and out[-1].kind == part.kind and out[-1].end == part.start:
            out[-1] = Part(part.kind, out[-1].start, part.end)
        else:
            out.append(part)
    return out
