"""Real models' quirks, one at a time, on top of a perfect fake model (evals/quirks.py): what is stored,
what is dropped, what is stored wrong, and how many requests each document costs."""

from pathlib import Path

import pytest
from fazhi.evals.fixtures_io import load_fixtures
from fazhi.evals.quirks import run_quirk

FIXTURES = load_fixtures(Path(__file__).resolve().parents[1] / "evals" / "fixtures")
GOLD = sum(len(f.gold["metrics"]) for f in FIXTURES)


@pytest.fixture(autouse=True)
def provider_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FAZHI_MAX_TOKENS", "8192")  # as DeepSeek's: the seeds' shorter reports take one request


@pytest.mark.parametrize("quirk", ["none", "think", "fence", "reasoning_field", "straight_quotes", "numeric_strings",
                                   "spaced_numbers"])
def test_answers_that_are_right_underneath_are_stored_whole_with_no_extra_request(quirk: str, tmp_path: Path) -> None:
    score = run_quirk(FIXTURES, quirk, tmp_path)
    assert (score.stored_right, score.stored_wrong, score.dropped, score.failed_docs) == (GOLD, 0, 0, 0)
    assert score.requests_per_doc == 1.4  # one request for four seeds, three for the longest
    assert score.prompt_chars_per_doc_char <= 2.0


def test_a_value_missing_its_wan_is_asked_again_never_stored_wrong(tmp_path: Path) -> None:
    score = run_quirk(FIXTURES, "unscaled", tmp_path)
    assert (score.stored_right, score.stored_wrong, score.dropped) == (GOLD, 0, 0)
    assert score.requests_per_doc == 2.0  # one re-ask, for the documents that have a 万 figure


@pytest.mark.parametrize("quirk", ["year_clause", "invented"])
def test_a_year_clause_or_an_invented_item_is_dropped_after_one_reask(quirk: str, tmp_path: Path) -> None:
    score = run_quirk(FIXTURES, quirk, tmp_path)
    assert (score.stored_right, score.stored_wrong, score.failed_docs) == (GOLD, 0, 0)
    assert score.dropped >= 5  # one per document that has such an item
    assert score.requests_per_doc <= 2.6


def test_an_answer_cut_at_the_output_limit_splits_its_text_until_it_fits(tmp_path: Path) -> None:
    score = run_quirk(FIXTURES, "truncated", tmp_path)
    assert (score.stored_right, score.stored_wrong, score.dropped, score.failed_docs) == (GOLD, 0, 0, 0)
    assert score.requests_per_doc < 12
