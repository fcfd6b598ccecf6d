"""Layout of a report: web boilerplate, title, opening, achievements, problems, plans, closing, footer.

`segment` cuts a text into parts (offsets into the text, in order, not overlapping) by line-level rules:
leading and trailing web boilerplate (site banners, 索引号/发布日期 blocks, breadcrumbs, navigation, 返回顶部,
reposting notices, site footers) become header and footer; the title is the last title-like line before
the body; top-level headings (第一部分, 一、, or unnumbered headings such as 存在的问题) divide the body
into achievements, problems and plans; a signature and date at the end are the closing. A section that
combines problems and plans (存在的不足和下一步工作打算) is split where the plans begin (下一步…). With no
problems heading, a paragraph that admits problems (…还存在一些问题：一是…) becomes the problems part.

`part_items` lists the top-level items of a part (一、, (一), 1., 一是, or clauses separated by ；).
Every pattern is bounded, so all of this runs in linear time.
"""

import itertools
import re
from dataclasses import dataclass

from agent.genre import Part
from schemas.numerals import parse_chinese_numeral

PART_KINDS = ("header", "title", "opening", "achievements", "problems", "plans", "closing", "footer")
CN = "一二三四五六七八九十"
CIRCLED = "①②③④⑤⑥⑦⑧⑨⑩"
LINE_RE = re.compile(r"[^\n\r\u2028\u2029]+")
SPACE_RE = re.compile(r"\s+")
SENTENCE_PUNCT = "。，,；;！!？?"
LONG_LINE = 1500
CJK_RE = re.compile(r"[\u3400-\u9fff]")
MIN_CJK_SHARE = 0.3
FLAT_BREAK = re.compile(
    rf"(?<=[。！？!?\s])[ \t\u3000]*(?=第[{CN}]{{1,3}}部分|[{CN}]{{1,2}}、|[(（][{CN}]{{1,2}}[)）])"
)

STRONG_BOILER = re.compile(
    r"网站标识码|ICP备|公网安备|备案号|索引号|发布机构|发布日期|发布时间|浏览次数|访问次数|阅读次数|点击次数|点击数"
    r"|访问量|阅读量|您当前所在位置|您当前的位置|当前位置[:：]|您的位置|您现在的位置|所在的?位置[:：]|返回顶部|扫一扫"
    r"|手机打开|手机扫描|打印本页|打印页面|打印文章|关闭本页|关闭窗口|版权所有|copyright|©|主办单位|承办单位"
    r"|技术支持|网站地图|主题分类|公文时效|发文字号|发文机关|成文日期|生成日期|如若转载|转载请注明|转载须注明"
    r"|本文链接|原文链接|责任编辑|字号[:：]|【字体|字体[:：]|大中小】|\[大中小\]|分享到|上一篇|下一篇|相关链接"
    r"|相关阅读|相关文章|相关新闻|欢迎访问|今天是|信息来源[:：]|文章来源[:：]|发布单位|信息索取号|语音播报|浏览量"
    r"|转载",
    re.I,
)
WEAK_BOILER = re.compile(
    r"来源[:：]|作者[:：]|编辑[:：]|审核[:：]|校对[:：]|主办[:：]|承办[:：]|协办|联系电话|联系我们|联系方式|电话[:：]"
    r"|邮编|地址[:：]|传真|e-?mail|首页|登录|注册|无障碍|长者|适老化|关闭|打印|收藏|分享|微信|微博|点击|文号[:：]"
    r"|日期[:：]|时间[:：]|阅读[:：]",
    re.I,
)
TITLE_WORDS = re.compile(r"报告|总结|汇报|公报|情况|要点|意见|方案|规划|纲要|白皮书|(?:法治|依法).{0,8}建设")
DATE_LINE = re.compile(
    r"[(（]?(?:\d{4}年\d{1,2}月\d{1,2}日|[〇○零一二三四五六七八九]{4}年[一二三四五六七八九十]{1,3}月"
    r"[一二三四五六七八九十]{1,3}日|\d{4}[-/.]\d{1,2}[-/.]\d{1,2})[)）]?"
)
ORG_SUFFIX = r"(?:人民政府|政府|办公室|办公厅|委员会|常委会|局|厅|委|院|部|署|中心|所|处|办)"
SIGNATURE = re.compile(rf"[^\d。，,；;：:！!？?]{{2,30}}?{ORG_SUFFIX}(?:[(（][^)）]{{0,10}}[)）])?")
CLOSING_PHRASE = re.compile(
    r"(?:特此|专此)报告[。.]?|以上报告[，,]?请(?:予)?审议[。.]?|[(（](?:此件|本件)[^)）]{0,12}[)）]"
)
PAGE_NUMBER = re.compile(r"[-—－–]*(?:第)?\d{1,3}(?:页)?(?:/(?:共)?\d{1,3}页?)?[-—－–]*|[-—－–]+\d{1,3}[-—－–]+")
NOT_TITLE = (">", "»", "|", "｜", "首页", "当前位置", "上一篇", "下一篇")
LINK_TAIL = re.compile(r"(?:\d{4}[-/.])?\d{1,2}[-/.]\d{1,2}[)\]）】]?$")

HEAD_RE = re.compile(
    rf"[\s*#【\[]*(?:(?P<part>第[{CN}]{{1,3}}(?:部分|章|篇))|(?P<cn>[{CN}]{{1,3}})\s*(?:、|[.．](?!\d))"
    rf"|[(（]\s*(?P<paren>[{CN}]{{1,3}})\s*[)）]|(?P<num>\d{{1,2}})\s*(?:、|[.．](?!\d)))[\s:：*]*"
)
TITLE_END = re.compile(r"[。！!？?：:]|\s")
PROBLEM_WORDS = re.compile(r"问题|不足|短板|困难|差距|薄弱|弱项|瓶颈|难点")
PROBLEM_NEG = re.compile(
    r"(?:解决|整治|整改|破解|化解|聚焦|针对|排查|治理|回应|梳理|破除|攻克|补齐|补强|弥补|填补|克服|突破)"
    r"[^，,。]{0,8}(?:问题|困难|短板|瓶颈|难点|弱项|薄弱)"
    r"|问题导向"
)
PLAN_STRONG = re.compile(
    r"下一步|下步|打算|思路|展望|今后|明年|未来|努力方向|工作重点|重点工作|奋斗目标|(?:做好|抓好|推进|实现)(?:19|20)\d{2}年")
STRONG_ACHIEVE = re.compile(r"回顾|完成情况|工作情况|(?<![新更])(?:成效|进展|成绩)")
ASPIRATION = re.compile(r"奋力|力争|确保|全力|加快|努力|争取|推动")  # 奋力推动…取得新成效 is a goal
ACHIEVE_WORDS = re.compile(r"成效|成绩|成果|进展|回顾|情况|做法|亮点|经验|基本|概况")
PLAN_WEAK = re.compile(r"计划|安排|举措|措施|建议|目标|任务|对策|意见|方向")
UNNUMBERED = (
    ("problems", re.compile(
        r"存在的?(?:主要)?(?:问题|不足|短板|困难|差距)|(?:问题|困难)(?:和|与|及)(?:不足|差距|短板|挑战)"
        r"|不足(?:和|与|及|之处)|主要问题|短板弱项")),
    ("plans", re.compile(
        r"^(?:下一步|下步|今后)|^\d{4}年[^。]{0,12}(?:打算|计划|安排|思路|举措|措施|重点工作|目标)"
        r"|工作(?:打算|计划|安排|思路|展望)|努力方向|意见建议|对策建议|几点建议")),
    ("achievements", re.compile(
        r"主要(?:工作|做法|成效|成绩)|工作(?:成效|成绩|情况|进展|回顾)|基本情况|取得的(?:成效|成绩)")),
)
PLAN_CUE = re.compile(
    r"(?:下一步|下步|今后|接下来|为此|针对(?:上述|以上|这些|存在的)|(?:\d{4}年(?:度)?[，,]?\s*)?"
    r"(?:我们|我市|我县|我区|我局|我省|我州|我委)(?:将|要|会))"
)
STRONG_PLAN_CUE = re.compile(r"下一步|下步")
PROBLEM_ADMIT = re.compile(r"存在|面临|看到|认识到|正视|还有")
LIST_CUE = re.compile(r"[：:]|一是|主要(?:是|有|表现|体现)|具体(?:表现|体现)|[，,]\s*(?:如|比如|例如)")
# Problems listed inside one sentence: …还存在A、B、C等问题。
ENUMERATED_PROBLEMS = re.compile(
    r"(?:还|仍|也|依然|仍然|同时)存在着?(?P<list>[^。；;]{8,400}?)等(?:方面的?)?(?:问题|不足|短板|困难|差距)"
    r"|(?:主要是|主要表现[为在]|具体表现[为在])[：:]?(?P<listed>[^。；;]{8,400}?)(?=。|$)"
)
HEADING_YEAR = re.compile(r"((?:19|20)\d{2})\s*年")
APPENDIX = re.compile(r"附件[一二三四五六七八九十\d]{0,3}(?:[:：](?P<title>.{0,40}))?")
NOTES = re.compile(r"名词解释|术语|注释|说明")
DATED_WORK = re.compile(
    r"(?:19|20)\d{2}年(?:度)?(?:的)?(?:主要|重点)?(?:工作|任务|指标|目标)(?:任务|安排|重点|目标|预期)?")
ENUMERATION_MIN = 8  # a 、-separated part shorter than this is a list inside one problem


@dataclass(frozen=True)
class Line:
    """A non-blank line: [start, end) without its surrounding whitespace, and that text."""

    start: int
    end: int
    text: str


@dataclass(frozen=True)
class Heading:
    line: Line
    kind: str
    combined: bool = False


@dataclass(frozen=True)
class Item:
    """A top-level item of a part: the marker at `start`, its words from `body` to `end`."""

    start: int
    body: int
    end: int
    style: str


def split_lines(text: str, start: int = 0, end: int | None = None) -> list[Line]:
    """The non-blank lines of text[start:end], stripped, with their offsets."""
    lines = []
    for m in LINE_RE.finditer(text, start, len(text) if end is None else end):
        raw = m.group()
        stripped = raw.strip()
        if stripped:
            begin = m.start() + len(raw) - len(raw.lstrip())
            lines.append(Line(begin, begin + len(stripped), stripped))
    return lines


def layout_lines(text: str) -> list[Line]:
    """Lines, with very long lines (text that lost its line breaks) cut before headings that follow
    a sentence's end (…成效。二、存在的问题 …)."""
    out: list[Line] = []
    for line in split_lines(text):
        if line.end - line.start <= LONG_LINE:
            out.append(line)
            continue
        cuts = [m.start() for m in FLAT_BREAK.finditer(text, line.start, line.end)]
        for a, b in itertools.pairwise([line.start, *cuts, line.end]):
            out.extend(split_lines(text, a, b))
    return out


def compact(s: str) -> str:
    return SPACE_RE.sub("", s)


# ---------------------------------------------------------------- line kinds

def is_boiler(s: str) -> bool:
    """Web boilerplate: a site banner, a metadata block, a breadcrumb, a site footer line, a page number."""
    c = compact(s)
    if len(c) > 300 or ("。" in c and len(c) > 60):
        return False
    if PAGE_NUMBER.fullmatch(c):
        return True
    if STRONG_BOILER.search(c):
        return True
    return len(c) <= 40 and not is_title_like(s) and bool(WEAK_BOILER.search(c))


def is_nav(s: str) -> bool:
    """A navigation entry, a menu line, or a link with its date."""
    c = compact(s)
    if any(p in c for p in SENTENCE_PUNCT) or is_date(c) or is_signature(c):
        return False
    if len(c) <= 12 or c[0] in "·•●◆■▪>»":
        return True
    tokens = [t for t in re.split(r"[\s|｜·•>»/]+", s) if t]
    return (len(tokens) >= 3 and max(map(len, tokens)) <= 10) or bool(LINK_TAIL.search(c))


def is_date(c: str) -> bool:
    return len(c) <= 24 and DATE_LINE.fullmatch(c) is not None


def is_signature(c: str) -> bool:
    """A signing body (广州市从化区人民政府), possibly followed by the date."""
    if len(c) > 44:
        return False
    m = DATE_LINE.search(c)
    name = c[: m.start()] if m and m.end() == len(c) else c
    return bool(name) and SIGNATURE.fullmatch(name) is not None


def is_title_like(s: str) -> bool:
    c = compact(s)
    if not 6 <= len(c) <= 80 or c[-1] in "。；;，,：:" or heading_match(s) is not None:
        return False
    if any(mark in c for mark in NOT_TITLE):
        return False
    return TITLE_WORDS.search(c) is not None and not STRONG_BOILER.search(c)


def is_prose(s: str) -> bool:
    """Running Chinese text: long, or with sentence punctuation, and mostly Chinese characters."""
    c = compact(s)
    if not (len(c) > 60 or (len(c) >= 20 and any(p in c for p in SENTENCE_PUNCT))):
        return False
    return chinese(c[:400], MIN_CJK_SHARE)


def chinese(s: str, share: float) -> bool:
    """At least `share` of the characters of `s` (non-empty) are Chinese."""
    return bool(s) and len(CJK_RE.findall(s)) >= share * len(s)


def starts_body(line: Line) -> bool:
    """The first line of the report's body: prose, a heading, or a salutation (各位委员：)."""
    s = line.text
    if is_boiler(s):
        return False
    if is_prose(s):
        return True
    m = heading_match(s)
    if m is not None:
        return chinese(compact(s[m.end(): m.end() + 12]), 0.5)
    c = compact(s)
    return c[-1] in "：:" and len(c) <= 30 and chinese(c, 0.5)


def is_closing_line(s: str) -> bool:
    c = compact(s)
    return is_date(c) or is_signature(c) or CLOSING_PHRASE.fullmatch(c) is not None


# ---------------------------------------------------------------- headings

def heading_match(s: str) -> re.Match[str] | None:
    """The numbering of a heading line (第一部分, 一、, (一), 1.), or None."""
    m = HEAD_RE.match(s)
    if m is None or not m.lastgroup or m.end() >= len(s):
        return None
    return m


def heading_title(s: str, m: re.Match[str]) -> str:
    rest = s[m.end(): m.end() + 80]
    end = TITLE_END.search(rest)
    return rest[: end.start()] if end else rest


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
    if len(c) > 30 or c[-1] in "。；;，," or HEAD_RE.match(s) is not None or re.match(rf"[{CN}]是", c):
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


def in_sequence(found: list[tuple[Line, str]]) -> list[tuple[Line, str]]:
    """Keep the headings numbered 一、二、三… in order (from 一 when present), dropping the others."""
    values = [cn_value(HEAD_RE.match(line.text)["cn"]) for line, _ in found]
    kept, expected = [], 1 if 1 in values else values[0]
    for line, title in found:
        numeral = HEAD_RE.match(line.text)["cn"]
        if cn_value(numeral) == expected:
            kept.append((line, title))
            expected += 1
    return kept


def cn_value(numeral: str) -> int:
    """一 → 1, 十二 → 12 (the shared numeral reader); 0 when it is no number."""
    return int(parse_chinese_numeral(numeral) or 0)


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


# ---------------------------------------------------------------- frame: header, title, closing, footer

def front(lines: list[Line]) -> tuple[int, tuple[int, int] | None]:
    """Index of the first body line, and the line range of the title within the lines before it."""
    body = next((i for i, line in enumerate(lines) if starts_body(line)), len(lines))
    if body == len(lines):
        return body, None
    titles = [i for i in range(body) if is_title_like(lines[i].text)]
    if not titles:
        return body, None
    first = last = titles[-1]
    if first > 0 and joins_title(lines[first - 1], lines[first]):
        first -= 1
    if last + 1 < body and continues_title(lines[last], lines[last + 1]):
        last += 1
    return body, (first, last)


def joins_title(before: Line, title: Line) -> bool:
    """东阳市人民政府 / 关于2022年度…的报告: an issuing body on the line above a title starting with 关于."""
    c = compact(before.text)
    return compact(title.text).startswith("关于") and is_signature(c) and not is_boiler(before.text)


def continues_title(title: Line, after: Line) -> bool:
    c = compact(after.text)
    return (
        not compact(title.text).endswith(("报告", "总结", "情况"))
        and len(c) <= 30
        and c.endswith(("报告", "总结", "情况"))
        and not is_boiler(after.text)
    )


def tail(lines: list[Line], body: int) -> tuple[int, int]:
    """Indices of the first closing line and the first footer line (len(lines) when absent)."""
    footer = len(lines)
    i = len(lines) - 1
    while i >= body and (is_boiler(lines[i].text) or is_nav(lines[i].text)):
        if is_boiler(lines[i].text):
            footer = i
        i -= 1
    closing, signed = footer, False
    while closing - 1 >= body and footer - closing < 4 and is_closing_line(lines[closing - 1].text):
        closing -= 1
        c = compact(lines[closing].text)
        signed = signed or is_date(c) or is_signature(c)
    return (closing if signed else footer), footer


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
    cue = PLAN_CUE if heading.combined else STRONG_PLAN_CUE
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


def frame_head(lines: list[Line], body: int, title: tuple[int, int] | None, body_start: int) -> list[Part]:
    if title is None:
        return [Part("header", 0, body_start)]
    first, last = lines[title[0]], lines[title[1]]
    return [Part("header", 0, first.start), Part("title", first.start, last.end), Part("header", last.end, body_start)]


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


# ---------------------------------------------------------------- items within a part

ITEM_START = re.compile(
    rf"[(（]\s*[{CN}]{{1,3}}\s*[)）]|[{CN}]{{1,3}}\s*(?:、|[.．](?!\d))|\d{{1,2}}\s*(?:、|[.．](?!\d))|[{CN}]{{1,3}}是"
)
AFTER_BREAK = r"(?:^|(?<=[。；;：:！？!?\s]))[ \t\u3000]*"
MARKERS = (
    ("section", re.compile(rf"(?m){AFTER_BREAK}(?P<n>[{CN}]{{1,3}})\s*(?:、|[.．](?!\d))")),
    ("paren", re.compile(rf"(?m){AFTER_BREAK}[(（]\s*(?P<n>[{CN}]{{1,3}})\s*[)）]")),
    ("arabic", re.compile(rf"(?m){AFTER_BREAK}(?P<n>\d{{1,2}})\s*(?:、|[.．](?!\d))")),
    ("paren_num", re.compile(rf"(?m){AFTER_BREAK}[(（]\s*(?P<n>\d{{1,2}})\s*[)）]")),
    ("circled", re.compile(rf"(?m){AFTER_BREAK}(?P<n>[{CIRCLED}])")),
    ("shi", re.compile(rf"(?m)(?:^|(?<=[。；;：:！？!?，,\s]))[ \t\u3000]*(?P<n>[{CN}]{{1,3}})是")),
    ("ordinal", re.compile(rf"(?m){AFTER_BREAK}第(?P<n>[{CN}]{{1,2}})[，,、：:]")),
)
PARAGRAPH_END = "。！!？?：:；;…”」"
WRAP_MIN = 16  # a line shorter than this ends its paragraph (a heading, or a paragraph's last line)
LEAD_IN_WORDS = re.compile(
    r"(?:存在|面临|还有|仍有)着?(?:一些|不少|以下|如下|若干|诸多|许多|一定的?|的)[^。]{0,12}(?:问题|不足|短板|困难|差距|薄弱)"
    r"|(?:成绩|成效|进展)[^。]{0,30}(?:但|然而|同时)"
)
LEAD_IN = re.compile(
    r"[：:]|[，,]\s*(?:如|例如|比如|主要是|主要有|主要表现[为在]|主要体现[为在]|具体表现[为在]|表现[为在])"
)


def content_start(text: str, part: Part) -> int:
    """Where the part's own words begin: after its heading line, if it opens with one."""
    lines = split_lines(text, part.start, min(part.end, part.start + 400))
    if not lines:
        return part.start
    first = lines[0]
    m = heading_match(first.text)
    if m is not None and m.lastgroup in ("part", "cn"):
        return first.start + m.end() + len(heading_title(first.text, m))
    return first.end if unnumbered_kind(first.text) else part.start


def part_items(text: str, part: Part) -> list[Item]:
    """The top-level items of a part, below its own heading. Items headed only 存在的问题 (beside,
    say, 原因分析) are headings, not issues: their own items are returned instead."""
    items = numbered_items(text, content_start(text, part), part.end)
    if not items or items[0].style in ("clause", "paragraph"):
        return items
    titled = [(item, item_title(text, item)) for item in items]
    if not any(is_section_title(title) for _, title in titled):
        return items
    return [sub for item, title in titled if is_section_title(title)
            for sub in numbered_items(text, item.body + len(title), item.end)]


def item_title(text: str, item: Item) -> str:
    head = text[item.body: min(item.end, item.body + 40)]
    return re.split(r"[。；;：:\n]", head, maxsplit=1)[0]


SECTION_TITLE_FILLER = re.compile(r"[的和与及、]|主要|方面|原因|分析|当前|目前|工作中|一些|几个|及其")


def is_section_title(title: str) -> bool:
    """存在的问题, 主要问题及不足: a title naming the problems section, not one problem
    (法治工作队伍建设存在短板 names a problem: it says what falls short)."""
    c = compact(title)
    found = UNNUMBERED[0][1].search(c)
    if len(c) > 16 or found is None:
        return False
    rest = SECTION_TITLE_FILLER.sub("", c[: found.start()] + c[found.end():])
    return len(rest) <= 2


def numbered_items(text: str, start: int, end: int) -> list[Item]:
    """Top-level items of text[start:end]: the highest numbering style present, numbered from 1 in
    sequence; with no numbering, the paragraphs, or the clauses of one paragraph separated by ；."""
    for style, pattern in MARKERS:
        chain = marker_chain(text, start, end, pattern)
        if chain:
            bounds = [m.start() for m in chain[1:]] + [end]
            return [Item(m.start(), m.end(), stop, style) for m, stop in zip(chain, bounds, strict=True)]
    return unnumbered_items(text, start, end)


def marker_chain(text: str, start: int, end: int, pattern: re.Pattern[str]) -> list[re.Match[str]]:
    chain: list[re.Match[str]] = []
    for m in pattern.finditer(text, start, end):
        value = marker_value(m["n"])
        if value == len(chain) + 1:
            chain.append(m)
        elif value == 1 and chain:
            break
    return chain


def marker_value(n: str) -> int:
    if n in CIRCLED:
        return CIRCLED.index(n) + 1
    return int(n) if n.isascii() and n.isdigit() else cn_value(n)


def unnumbered_items(text: str, start: int, end: int) -> list[Item]:
    """Paragraphs after a lead-in, or the ；-separated clauses of a single paragraph."""
    lines = paragraphs(text, start, end)
    if len(lines) > 1 and is_lead_in(lines[0].text):
        lines = lines[1:]
    if len(lines) > 1:
        return [Item(line.start, line.start, line.end, "paragraph") for line in lines]
    if not lines:
        return []
    return clause_items(text, lines[0])


def paragraphs(text: str, start: int, end: int) -> list[Line]:
    """Lines joined into paragraphs: a long line that does not end a sentence runs on into the next
    (hard-wrapped text, as extracted from PDF)."""
    out: list[Line] = []
    current: Line | None = None
    for line in split_lines(text, start, end):
        current = line if current is None else Line(current.start, line.end, text[current.start: line.end])
        if line.text[-1] in PARAGRAPH_END or len(compact(line.text)) < WRAP_MIN:
            out.append(current)
            current = None
    return out if current is None else [*out, current]


def is_lead_in(s: str) -> bool:
    """A paragraph announcing the problems (…但也存在一些不足：) rather than stating one."""
    c = compact(s)
    if c[-1] in "：:":
        return True
    return len(c) <= 150 and "；" not in c and LEAD_IN_WORDS.search(c) is not None


def enumerated_items(text: str, line: Line) -> list[Item] | None:
    """…存在A、B、C等问题: A, B, C when each is clause-long, else the whole list as one item."""
    found = ENUMERATED_PROBLEMS.search(text, line.start, line.end)
    if found is None or re.search(r"[；;]", text[line.start: line.end]):
        return None
    start, end = found.span("list" if found["list"] else "listed")
    cuts = [m.start() for m in re.finditer("、", text[start:end])]
    bounds = [start, *(start + c for c in cuts), end]
    parts = [(a + (1 if a > start else 0), b) for a, b in itertools.pairwise(bounds)]
    if all(b - a >= ENUMERATION_MIN for a, b in parts):
        return [Item(a, a, b, "clause") for a, b in parts]
    return [Item(start, start, end, "clause")]


def clause_items(text: str, line: Line) -> list[Item]:
    """The clauses of one paragraph separated by ；/;, the first without its lead-in."""
    enumerated = enumerated_items(text, line)
    if enumerated is not None:
        return enumerated
    items, pos = [], line.start
    for m in re.finditer(r"[；;]", text[line.start: line.end]):
        items.append(Item(pos, pos, line.start + m.start(), "clause"))
        pos = line.start + m.end()
    items.append(Item(pos, pos, line.end, "clause"))
    first = items[0]
    leads = [m.end() for m in LEAD_IN.finditer(text, first.start, first.end)]
    if leads and leads[-1] < first.end:
        items[0] = Item(first.start, leads[-1], first.end, "clause")
    return items
