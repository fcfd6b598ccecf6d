"""Report metadata without a model: title, region, province, level, year, date, issuer, document type.

Every field comes from stated text (the title line, a header field such as 发布日期/发布机构, the
signature and date, the opening sentence) or from the gazetteer; a field the text does not settle is
None. Anonymised places (XX市, ***县) give no region or province.
"""

import re
from collections import Counter
from dataclasses import dataclass

from fazhi.agent.genre import Part
from fazhi.schemas.enums import AdminLevel, DocType
from fazhi.schemas.numerals import chinese_digits, chinese_int
from fazhi.schemas.report import ReportMeta
from fazhi.schemas.rules import areas, gazetteer
from fazhi.schemas.rules.frame import SIGNATURE, compact, is_signature, split_lines
from fazhi.schemas.rules.lexicon import alt, any_of, words
from fazhi.schemas.rules.reading import FIELD_LABEL

BODY_KINDS = ("opening", "achievements", "problems", "plans")
WINDOW = 30_000
FRAME_CAP = 5_000  # characters read from each header, title, closing or footer part
ANON = re.compile(r"(?:[XxＸｘ×*＊某○〇□]{1,4})(?:省|自治区|市|县|区|州|旗|盟)")
YEAR = re.compile(r"(?<![\d.\-—－~～至])((?:19|20)\d{2})\s*年(度)?(?!\s*[\-—－~～至]\s*\d)(?![\d])")
COMPARE = re.compile(rf"(?:{alt(words('meta.comparison_before'))})\s*$")
PLAN_AFTER = re.compile(rf"^[^，,。；]{{0,8}}(?:{alt(words('meta.plan_after'))})")
LEADING_YEAR = re.compile(rf"^((?:19|20)\d{{2}})\s*年(?:度)?(?:{alt(words('meta.year_opening_then'))})")
REPORTED_YEAR = re.compile(rf"(?:{alt(words('meta.reported'))})\s*((?:19|20)\d{{2}})\s*年")
DATE = re.compile(r"((?:19|20)\d{2})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})")
CN_DATE = re.compile(
    r"([〇○零一二三四五六七八九]{4})\s*年\s*([一二三四五六七八九十]{1,3})\s*月\s*([一二三四五六七八九十]{1,3})\s*日"
)
LABELLED_DATE = re.compile(rf"(?P<label>{alt(words('fields.date_labels'))})?(?:日期|时间)\s*[:：]\s*")
TITLE_FIELDS = words("fields.title_labels")
ISSUER_FIELDS = words("fields.issuer_labels")
OWN_SITE = words("fields.own_site")
LABELLED = re.compile(rf"(?P<label>{alt(ISSUER_FIELDS + TITLE_FIELDS)})\s*[:：]\s*(?P<value>[^\s|｜]{{2,80}})")
TITLE_ORG = re.compile(
    rf"^(.{{2,30}}?(?:{alt(words('orgs.title'))}))(?={alt(words('orgs.title_then'))}|(?:19|20)\d{{2}}|$)"
)
RUN_ON_TITLE = re.compile(
    rf"\s*(?P<title>[\u4e00-\u9fff\d（）()]{{6,60}}?(?:{alt(words('fields.run_on_endings'))}))"
    rf"(?={alt(words('fields.run_on_labels'))})"
)
NEXT_LABEL = any_of("fields.next_labels")
UNLISTED = re.compile(
    rf"([\u4e00-\u9fff]{{2,4}}?[区县市旗])(?={alt(words('orgs.place_then'))}|(?:19|20)\d{{2}}|[^\s]{{0,4}}局)")
GOVERNMENTS = alt(words("orgs.governments"))
GENERAL_OFFICE = re.compile(rf"({GOVERNMENTS})(?:{alt(words('orgs.offices'))})$")  # posts for the government itself
GOVERNMENT = re.compile(rf"(?:{GOVERNMENTS})$")  # a zone's 管委会 governs it
CONGRESS = any_of("orgs.congress")
SURVEY = any_of("meta.survey")
SURVEY_OPENING = any_of("meta.survey_opening")
SALUTATION = any_of("meta.salutation")
PREFECTURE_CUES = any_of("meta.prefecture_cues")
COUNTY_CUES = any_of("meta.county_cues")


@dataclass(frozen=True)
class Sources:
    """The stretches of the report that metadata is read from."""

    header: str
    subheader: str  # the header lines right below the title
    title: str
    opening: str
    closing: str
    body: str
    has_body: bool
    fields: dict[str, str]  # labelled fields of the page's header and footer (发布日期 → 2023-03-31)


def gather(text: str, parts: list[Part]) -> Sources:
    def joined(*kinds: str) -> str:
        return "\n".join(text[p.start: min(p.end, p.start + FRAME_CAP)] for p in parts if p.kind in kinds)

    body_parts = [p for p in parts if p.kind in BODY_KINDS]
    body_start = body_parts[0].start if body_parts else len(text)
    counted = [p for p in parts if p.kind in ("opening", "achievements", "problems")]
    body = "\n".join(text[p.start: min(p.end, p.start + WINDOW)] for p in counted)[:WINDOW]
    title = unlabelled("".join(line.text for line in split_lines(joined("title"))).strip(DECORATION))
    frame = joined("header", "footer")
    return Sources(
        frame, subheader(text, parts), title, joined("opening")[:2000], joined("closing"),
        body or text[body_start: body_start + WINDOW], bool(body_parts), fields_of(frame + "\n" + joined("closing")),
    )


DECORATION = "#*【】[] \u3000"


def unlabelled(line: str) -> str:
    """A line without the field label it may start with (名　　称：…, 标题：…)."""
    m = FIELD_LABEL.match(line)
    return line[m.end():].strip() if m else line


def fields_of(block: str) -> dict[str, str]:
    """Labelled fields, one per line as the reading puts them: label (spaces removed) → value."""
    found: dict[str, str] = {}
    for line in split_lines(block):
        m = FIELD_LABEL.match(line.text)
        value = line.text[m.end():].strip(" |｜\u3000") if m else ""
        if m and value:
            found.setdefault(compact(m["label"]), value)
    return found


def subheader(text: str, parts: list[Part]) -> str:
    kinds = [p.kind for p in parts]
    if "title" not in kinds:
        return ""
    after = kinds.index("title") + 1
    return text[parts[after].start: parts[after].end][:500] if after < len(parts) and kinds[after] == "header" else ""


# ---------------------------------------------------------------- title and dates

def find_title(src: Sources) -> str | None:
    """The title line, else a labelled title of the page's header (名称：…), else a title run into the text."""
    if src.title:
        return page_title(src.title)
    labelled = next((src.fields[k] for k in TITLE_FIELDS if len(src.fields.get(k, "")) >= 6), None)
    if labelled:
        return labelled
    run_on = RUN_ON_TITLE.match(src.opening or src.body)  # text that lost its line breaks: 标题发布时间：…
    return run_on["title"] if run_on else None


def page_title(title: str) -> str:
    """A page title with the site's name after it (…的报告_东阳市人民政府门户网站) keeps the report's part."""
    pieces = [p.strip() for p in re.split(r"_| - | — |--", title) if p.strip()]
    if len(pieces) < 2:
        return title
    return max(pieces, key=lambda p: ("报告" in p or "总结" in p, len(p)))


def iso(year: str, month: str, day: str) -> str | None:
    y, mo, d = int(year), int(month), int(day)
    return f"{y:04d}-{mo:02d}-{d:02d}" if 1 <= mo <= 12 and 1 <= d <= 31 else None


def first_date(s: str) -> str | None:
    m = DATE.search(s)
    if m:
        return iso(*m.groups())
    m = CN_DATE.search(s)
    if m:
        return iso(chinese_digits(m[1]), str(chinese_int(m[2])), str(chinese_int(m[3])))
    return None


PAGE_DATE_FIELDS = words("fields.page_dates")


def published_date(src: Sources) -> str | None:
    """The page's publication date (发布日期 before 成文日期 and other labelled dates), else a date right
    below the title, else the signature's."""
    for name in PAGE_DATE_FIELDS:
        found = DATE.match(src.fields.get(name, ""))
        if found:
            return iso(*found.groups())
    page = src.header or (src.opening or src.body)[:300]  # text that lost its line breaks keeps its header
    labelled = [(m["label"] != "发布", DATE.match(page, m.end())) for m in LABELLED_DATE.finditer(page)]
    dated = sorted((rank, i, found) for i, (rank, found) in enumerate(labelled) if found)
    if dated:
        return iso(*dated[0][2].groups())
    return first_date(src.subheader) or first_date(src.closing)


def report_year(src: Sources) -> int | None:
    """The year covered: stated in the title, opening the first sentence, or most often in the body."""
    for year in (title_year(src.title), opening_year(src.opening), body_year(src.body)):
        if year is not None:
            return year
    return None


def covered_year(text: str, parts: list[Part]) -> int | None:
    """The year the report covers (see `report_year`); None without a body."""
    src = gather(text, parts)
    return report_year(src) if src.has_body else None


def years(s: str) -> list[int]:
    """Years written as YYYY年, leaving out ranges, comparisons (较2021年) and plans (2023年工作计划)."""
    out = []
    for m in YEAR.finditer(s):
        before, after = s[max(0, m.start() - 4): m.start()], s[m.end(): m.end() + 12]
        if not COMPARE.search(before) and not PLAN_AFTER.search(after):
            out.append(int(m[1]))
    return out


def title_year(title: str) -> int | None:
    """The year in the title; not for a 政府工作报告, whose year is the one it is delivered in."""
    if "政府工作报告" in title:
        return None
    found = set(years(title))
    return found.pop() if len(found) == 1 else None


def opening_year(opening: str) -> int | None:
    """2022年，我市… at the start of one of the opening's first paragraphs, or 现将2022年度…报告如下."""
    for line in split_lines(opening)[:3]:
        lead = LEADING_YEAR.match(compact(line.text[:200]))
        if lead:
            return int(lead[1])
    stated = REPORTED_YEAR.search(compact(opening))
    return int(stated[1]) if stated else None


def body_year(body: str) -> int | None:
    """The year named most often; of years named equally often, the first named (a review names its
    year before the plans name the next)."""
    counts = Counter(years(body))
    return counts.most_common(1)[0][0] if counts else None


# ---------------------------------------------------------------- place

@dataclass(frozen=True)
class Region:
    name: str | None  # as written; None when anonymised or unknown
    written: str | None  # as written, anonymised or not (for composing the issuer)
    place: gazetteer.Place | None
    province: str | None
    area: areas.Area | None = None  # a functional area (新区, 开发区, 综合实验区) outside the divisions


Found = tuple[str, str, str | None]  # (name or "" when anonymised, as written, the parent named before it)


def leading_place(s: str) -> Found | None:
    """The first run of place names in `s` (广州市从化区 → 从化区, parent 广州市); an anonymised place
    (XX市 → ("", XX市)) when that comes first; a functional area (贵安新区) when it comes first or runs on
    from the places before it (长春经济技术开发区); a division missing from the gazetteer (a new
    district) when the title or the issuing body starts with it."""
    anon = ANON.search(s)
    found = gazetteer.mentions(s)
    if anon and (not found or anon.start() < found[0][0]):
        return "", anon.group(), None
    area = leading_area(s, found)
    if area is not None:
        return area
    chain = found[:1]
    for item in found[1:]:
        if item[0] != chain[-1][1]:
            break
        chain.append(item)
    parent = chain[-1][2] if chain else None
    unlisted = UNLISTED.match(s, chain[-1][1] if chain else 0)
    if unlisted and is_name(unlisted[1]) and not gazetteer.lookup(unlisted[1]) and (chain or unlisted.start() == 0):
        return unlisted[1], unlisted[1], parent
    if not chain:
        return None
    return chain[-1][2], chain[-1][2], chain[-2][2] if len(chain) > 1 else None


def leading_area(s: str, found: list[tuple[int, int, str]]) -> Found | None:
    """A functional area named before any division, or holding the first division's name in its own."""
    named = areas.find_areas(s)
    if not named:
        return None
    start, _, _, written = named[0]
    return (written, written, None) if not found or start <= chain_end(found) else None


def chain_end(found: list[tuple[int, int, str]]) -> int:
    """Where the run of adjacent place names that starts the text ends (吉林省长春市 …)."""
    end = found[0][1]
    for a, b, _ in found[1:]:
        if a != end:
            break
        end = b
    return end


def is_name(candidate: str) -> bool:
    """Not a phrase such as 关于全市 or 我县: a place's own name."""
    return not candidate.startswith("关于") and candidate[-2] not in "全我本各该"


def self_suffix(body: str) -> str | None:
    """How the report calls itself: 我市/全市 → 市, 我县 → 县."""
    kinds = Counter(re.findall(r"[我全本]([省市县区州旗])", body))
    return kinds.most_common(1)[0][0] if kinds else None


def self_reference_region(body: str, suffix: str | None) -> Found | None:
    """The most named place of the kind the report calls itself (我市 → a 市)."""
    if suffix is None:
        return None
    names = Counter(n for _, _, n in gazetteer.mentions(body) if n.endswith(suffix))
    if not names:
        return None
    name = names.most_common(1)[0][0]
    return name, name, None


def opening_place(opening: str, suffix: str | None) -> Found | None:
    """The place the opening sentence starts with (2024年，互助县…), if it is of the report's own kind."""
    found = leading_place(opening[:60])
    if found is None or (suffix is not None and found[0] and not found[0].endswith(suffix)):
        return None
    return found


def find_region(src: Sources, issuer_hint: str) -> Region:
    suffix = self_suffix(src.body)
    found = None
    for s in (src.title, issuer_hint):
        found = found or (leading_place(s) if s else None)
    found = found or opening_place(src.opening, suffix)
    found = found or (self_reference_region(src.body, suffix) if src.has_body else None)
    found = found or opening_place(src.subheader, suffix)
    return make_region(found, src) if found else Region(None, None, None, None)


def make_region(found: Found, src: Sources) -> Region:
    name, written, parent = found
    if not name:
        return Region(None, written, None, None)
    area = next((a for _, _, a, w in areas.find_areas(name) if w == name), None)
    if area is not None:
        return Region(name, written, None, area.province, area)
    context = {n for _, _, n in gazetteer.mentions(src.title + src.body + src.closing)}
    place = gazetteer.resolve(name, context)
    if place is not None:
        return Region(name, written, place, place.province)
    return Region(name, written, None, gazetteer.province_of(parent, context) if parent else None)


def admin_level(region: Region, doc_type: DocType | None, src: Sources) -> AdminLevel | None:
    if doc_type == DocType.department_report:
        return AdminLevel.department
    if region.place is not None:
        return AdminLevel(region.place.level)
    if region.area is not None:  # a zone under a city ranks with its counties, one under a province with its cities
        municipal = region.area.province.endswith("市")
        return AdminLevel.county if region.area.prefecture or municipal else AdminLevel.prefecture
    written = region.written or ""
    if written.endswith(("省", "自治区")):
        return AdminLevel.province
    if written.endswith(("县", "区", "旗")):
        return AdminLevel.county
    if written.endswith(("州", "盟")):
        return AdminLevel.prefecture
    return city_level(src.body) if written.endswith("市") else None


def city_level(body: str) -> AdminLevel | None:
    """An unresolved city: prefecture when it speaks of its counties, county-level when only of towns."""
    if PREFECTURE_CUES.search(body):
        return AdminLevel.prefecture
    return AdminLevel.county if COUNTY_CUES.search(body) else None


# ---------------------------------------------------------------- issuer and document type

def signer(block: str) -> str | None:
    """The signing body of a closing block or of the lines below the title."""
    for line in split_lines(block):
        c = compact(line.text)
        if is_signature(c):
            m = SIGNATURE.match(c)
            return m.group() if m else None
    return None


def title_org(title: str) -> str | None:
    m = TITLE_ORG.match(title)
    return m[1] if m and not m[1].startswith("关于") else None


def header_org(src: Sources) -> str | None:
    for label in ISSUER_FIELDS:
        value = NEXT_LABEL.split(src.fields.get(label, ""), maxsplit=1)[0]
        if SIGNATURE.fullmatch(value) and not value.startswith(OWN_SITE):
            return GENERAL_OFFICE.sub(r"\1", value)
    for label in ISSUER_FIELDS:
        for m in LABELLED.finditer(src.header):
            value = NEXT_LABEL.split(m["value"], maxsplit=1)[0]
            if m["label"] == label and SIGNATURE.fullmatch(value) and not value.startswith(OWN_SITE):
                return GENERAL_OFFICE.sub(r"\1", value)
    return None


def with_region(org: str, region: Region) -> str:
    """司法局 → 互助县司法局, 市司法局 → 东阳市司法局: a body named without its place gets the region."""
    written = region.written
    if written is None or gazetteer.mentions(org) or ANON.search(org) or org.startswith(written):
        return org
    if org[0] in "省市县区州旗盟" and written.endswith(org[0]):
        return written + org[1:]
    return org if org[0] in "省市县区州旗盟" else written + org


def is_congress(src: Sources, org: str | None) -> bool:
    if org and CONGRESS.search(org):
        return True
    head = src.title + src.opening[:300]
    surveyed = SURVEY.search(src.title) or SURVEY_OPENING.search(src.opening[:300])
    return bool(surveyed) and bool(CONGRESS.search(head) or SALUTATION.search(head))


def doc_type(src: Sources, org: str | None) -> DocType | None:
    if not src.has_body and not src.title:
        return None
    if is_congress(src, org):
        return DocType.congress_survey
    if org and not GOVERNMENT.search(org):
        return DocType.department_report
    if is_rule_of_law(src):
        return DocType.government_report
    return DocType.other


def is_rule_of_law(src: Sources) -> bool:
    """The genre's own subject: 法治 in the title, or a body that keeps coming back to 法治政府
    (a government work report mentions it in passing and is `other`)."""
    if src.title and "法治" in src.title:
        return True
    return src.body.count("法治政府") >= 3 or (not src.title and "法治" in src.body[:300])


def compose_issuer(region: Region, kind: DocType | None) -> str | None:
    if region.written is None:
        return None
    if kind == DocType.congress_survey:
        return region.written + "人大常委会"
    return region.written + "人民政府" if kind == DocType.government_report else None


# ---------------------------------------------------------------- assembly

def extract_meta(text: str, parts: list[Part]) -> ReportMeta:
    src = gather(text, parts)
    own = signer(src.closing) or title_org(src.title) or signer(src.subheader)
    region = find_region(src, own or header_org(src) or "")
    kind = doc_type(src, own)
    published = header_org(src)
    named = own or published
    issuer = with_region(named, region) if named else compose_issuer(region, kind)
    return ReportMeta(
        title=find_title(src),
        region=region.name,
        province=region.province,
        admin_level=admin_level(region, kind, src) if src.has_body or region.name else None,
        report_year=report_year(src) if src.has_body else None,
        published_date=published_date(src),
        issuer=issuer,
        doc_type=kind,
    )
