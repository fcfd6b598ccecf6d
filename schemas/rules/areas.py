"""Functional areas (功能区) that are not administrative divisions: national new areas, hi-tech zones, economic and
technological development zones, free trade zones and their 片区, cooperation zones, city new areas.

The gazetteer (schemas/rules/gazetteer.py) knows the Ministry of Civil Affairs' divisions only, so a report from
贵安新区, 合肥高新区 or 平潭综合实验区 has no region there. This module reads `rules/data/areas.tsv` (name, aliases,
kind, province, prefecture; its header tells where each row comes from) and finds the areas named in a text.

Matching takes the longest form at each position, left to right, without overlaps. An area's full name always
counts; an alias (a short form such as 平潭, 合肥高新区, 南沙片区) counts only where it is not the head or tail of an
administrative division's name (平潭 in 平潭县 is the county, not the area). A free trade zone followed at once by one
of its 片区 (中国（广东）自由贸易试验区南沙片区) gives one mention of the 片区.
"""

from collections import defaultdict
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from fazhi.schemas.rules import gazetteer

DATA_FILE = Path(__file__).resolve().parent / "data" / "areas.tsv"
COLUMNS = ("name", "aliases", "kind", "province", "prefecture", "source")
KINDS = frozenset({
    "national_new_area", "comprehensive_zone", "cooperation_zone", "hitech_zone", "etdz", "ftz_area",
    "functional_new_area", "other",
})
FTZ_SUFFIX = "自由贸易试验区"
# Half-width brackets are matched as full-width ones: the translation keeps every offset.
FOLD_BRACKETS = str.maketrans("()", "（）")
# How far past an alias (or before it) a division name may reach for the alias to be part of it: 平潭|县, 南沙|区.
DIVISION_REACH = 3


@dataclass(frozen=True)
class Area:
    """One functional area: official name, the short forms reports use, kind, and where it lies."""

    name: str
    aliases: tuple[str, ...]
    kind: str
    province: str
    prefecture: str | None  # None when it spans several cities, lies in a province-level city, or is provincial


@dataclass(frozen=True)
class Index:
    forms: dict[str, tuple[Area, bool]]  # folded form → (area, the form is the area's full name)
    lengths: dict[str, tuple[int, ...]]  # first character → lengths of the forms starting with it, longest first


def parse_rows(lines: list[str]) -> tuple[Area, ...]:
    """Areas from the lines of areas.tsv: `#` comments, a header naming COLUMNS, then one tab-separated row each."""
    rows = [line.rstrip("\r\n").split("\t") for line in lines if line.strip() and not line.startswith("#")]
    if not rows or tuple(rows[0]) != COLUMNS:
        raise ValueError(f"{DATA_FILE.name}: header must be {'/'.join(COLUMNS)}")
    areas = []
    for number, cells in enumerate(rows[1:], start=2):
        if len(cells) != len(COLUMNS) or cells[2] not in KINDS:
            raise ValueError(f"{DATA_FILE.name}: bad row {number}: {cells}")
        name, aliases, kind, province, prefecture, _source = cells
        areas.append(Area(name, tuple(a for a in aliases.split("|") if a), kind, province, prefecture or None))
    return tuple(areas)


@cache
def load_areas() -> tuple[Area, ...]:
    """Every area of areas.tsv, in file order."""
    return parse_rows(DATA_FILE.read_text(encoding="utf-8").splitlines())


@cache
def index() -> Index:
    forms: dict[str, tuple[Area, bool]] = {}
    for area in load_areas():
        for form in (area.name, *area.aliases):
            forms.setdefault(form.translate(FOLD_BRACKETS), (area, form == area.name))
    lengths: dict[str, set[int]] = defaultdict(set)
    for form in forms:
        lengths[form[0]].add(len(form))
    return Index(forms, {char: tuple(sorted(sizes, reverse=True)) for char, sizes in lengths.items()})


def find_areas(text: str) -> list[tuple[int, int, Area, str]]:
    """(start, end, area, written form) of every area named in text, left to right, longest form first, without
    overlaps."""
    idx, folded = index(), text.translate(FOLD_BRACKETS)
    found: list[tuple[int, int, Area, str]] = []
    at = 0
    while at < len(folded):
        hit = match_at(folded, at, idx)
        if hit is None:
            at += 1
            continue
        end, area = hit
        found.append((at, end, area, text[at:end]))
        at = end
    return join_ftz_areas(found)


def match_at(text: str, start: int, idx: Index) -> tuple[int, Area] | None:
    """The longest form starting at `start` that counts there: (end, area), or None."""
    for size in idx.lengths.get(text[start], ()):
        if start + size > len(text):
            continue
        entry = idx.forms.get(text[start: start + size])
        if entry is not None and (entry[1] or outside_division(text, start, start + size)):
            return start + size, entry[0]
    return None


def outside_division(text: str, start: int, end: int) -> bool:
    """False when text[start:end] is the head of a division's name (南沙 in 南沙区) or its tail."""
    divisions = gazetteer.load().by_name
    reach = range(1, DIVISION_REACH + 1)
    heads = (text[start: end + k] for k in reach if end + k <= len(text))
    tails = (text[start - k: end] for k in reach if start - k >= 0)
    return not any(word in divisions for word in (*heads, *tails))


def join_ftz_areas(found: list[tuple[int, int, Area, str]]) -> list[tuple[int, int, Area, str]]:
    """中国（广东）自由贸易试验区 + 南沙片区 written together → one mention of the 片区."""
    out: list[tuple[int, int, Area, str]] = []
    for item in found:
        if out and is_ftz_part(out[-1][2], item[2]) and out[-1][1] == item[0]:
            start, _, _, form = out.pop()
            item = (start, item[1], item[2], form + item[3])
        out.append(item)
    return out


def is_ftz_part(zone: Area, part: Area) -> bool:
    return (zone.kind == part.kind == "ftz_area" and zone.name.endswith(FTZ_SUFFIX)
            and part.name.startswith(zone.name) and part.name != zone.name)
