"""The seed fixtures are sound: grounded evidence, readable numbers, valid fields, no duplicates."""

import json
from pathlib import Path

import pytest
from fazhi.schemas.enums import AdminLevel, Category, DocType, Qualifier
from fazhi.schemas.numerals import fold_unit, value_problem
from fazhi.schemas.taxonomy import canonical_keys

FIXTURES = sorted((Path(__file__).resolve().parent.parent / "evals" / "fixtures").glob("*/gold.json"))
META_FIELDS = {"title", "region", "province", "admin_level", "report_year", "published_date", "issuer", "doc_type"}


def load(gold_path: Path) -> tuple[str, dict]:
    return (gold_path.parent / "source.txt").read_text(encoding="utf-8"), json.loads(gold_path.read_text("utf-8"))


def test_all_five_seed_fixtures_are_present() -> None:
    assert [p.parent.name for p in FIXTURES] == [
        "conghua-2020", "dongyang-2022", "huzhu-2024", "nanyang-2022", "xx-congress-survey-2022"]


@pytest.mark.parametrize("gold_path", FIXTURES, ids=lambda p: p.parent.name)
def test_every_evidence_is_in_its_source_at_its_start(gold_path: Path) -> None:
    source, gold = load(gold_path)
    for item in gold["metrics"] + gold["issues"]:
        start = item["start"]
        if start is None:
            assert item["evidence"] in source, item
        else:
            assert source[start : start + len(item["evidence"])] == item["evidence"], item


@pytest.mark.parametrize("gold_path", FIXTURES, ids=lambda p: p.parent.name)
def test_every_metric_value_is_readable_from_its_evidence(gold_path: Path) -> None:
    _, gold = load(gold_path)
    unreadable = [m for m in gold["metrics"] if value_problem(fold_unit(m["value"], m["unit"])[0], m["evidence"])]
    assert unreadable == []


@pytest.mark.parametrize("gold_path", FIXTURES, ids=lambda p: p.parent.name)
def test_fields_hold_valid_codes_and_no_item_is_listed_twice(gold_path: Path) -> None:
    _, gold = load(gold_path)
    assert gold["fixture_id"] == gold_path.parent.name
    assert set(gold["meta"]) == META_FIELDS
    meta = gold["meta"]
    assert meta["admin_level"] in {*AdminLevel, None} and meta["doc_type"] in {*DocType, None}
    for m in gold["metrics"]:
        assert m["category"] in set(Category) and m["qualifier"] in set(Qualifier)
        assert m["canonical"] is None or m["canonical"] in canonical_keys()
    keys = [(m["evidence"], m["value"], m["unit"], m["start"]) for m in gold["metrics"]]
    issue_keys = [(i["evidence"], i["start"]) for i in gold["issues"]]
    assert len(set(keys)) == len(keys) and len(set(issue_keys)) == len(issue_keys)
