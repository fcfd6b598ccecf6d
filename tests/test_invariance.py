"""Invariance: a labelled fixture re-dressed in each form real reports arrive in (one line, hard-wrapped
PDF text with page furniture, a web page, a disclosure header, a PDF file, a Word file) gives the same
extraction as its plain form. Offline: within 0.01 F1 of plain. Model path, answered by a perfect fake
model (the gold items found in the text it was sent): ≥ 0.99 F1 and ≥ 0.95 metadata on every fixture.
"""

from functools import cache
from pathlib import Path

import pytest
from fazhi.evals.forms import FORMS
from fazhi.evals.invariance import DEFAULT_SETS, EVALS, Score, score_set

SETS = [EVALS / name for name in DEFAULT_SETS]
FORMS_BUT_PLAIN = [f for f in FORMS if f != "plain"]


@cache
def scored(fixtures_dir: Path, form: str, backend: str, work: Path) -> Score:
    return score_set(fixtures_dir, form, backend, work)


@pytest.fixture(scope="module")
def work(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("forms")


def fixture_scores(score: Score) -> dict[str, tuple[float, float, float]]:
    return {fid: (r["metrics"]["f1"], r["issues"]["f1"], r["meta"]["accuracy"])
            for fid, r in score.summary["fixtures"].items()}


@pytest.mark.parametrize("form", FORMS_BUT_PLAIN)
@pytest.mark.parametrize("fixtures_dir", SETS, ids=lambda p: p.name)
def test_offline_backend_scores_within_a_hundredth_of_plain_in_every_form(
    fixtures_dir: Path, form: str, work: Path
) -> None:
    plain = scored(fixtures_dir, "plain", "offline", work)
    dressed = scored(fixtures_dir, form, "offline", work)
    assert dressed.metrics_f1 >= plain.metrics_f1 - 0.01
    assert dressed.issues_f1 >= plain.issues_f1 - 0.01


@pytest.mark.parametrize("form", FORMS)
@pytest.mark.parametrize("fixtures_dir", SETS, ids=lambda p: p.name)
def test_model_path_loses_nothing_with_a_perfect_model_in_any_form(fixtures_dir: Path, form: str, work: Path) -> None:
    per_fixture = fixture_scores(scored(fixtures_dir, form, "llm", work))
    short = {fid: s for fid, s in per_fixture.items() if s[0] < 0.99 or s[1] < 0.99 or s[2] < 0.95}
    assert short == {}
