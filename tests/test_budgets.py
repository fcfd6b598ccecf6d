"""Budgets: a document estimated over the per-document token budget fails before any request; a run
whose cost reaches --max-cost starts no new document and says so. Both are recorded in `runs`."""

import json
import random
from pathlib import Path

import pytest
from fazhi.agent import api
from fazhi.agent.cli import app
from fazhi.evals.fakellm import FakeLLM, document_of
from fazhi.evals.soak import report
from typer.testing import CliRunner


def short_reports(folder: Path, n: int) -> Path:
    rng = random.Random(5)
    folder.mkdir()
    for i in range(n):
        (folder / f"r{i:03d}.txt").write_text(report(i, rng), encoding="utf-8")
    return folder


def runs_row(columns: str) -> tuple:
    with api.open_store() as store:
        return store.query(f"SELECT {columns} FROM runs ORDER BY run_id DESC LIMIT 1")[1][0]


def test_a_document_over_the_token_budget_fails_unasked_and_the_error_names_the_budget(
        fake: FakeLLM, samples: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FAZHI_MAX_DOC_TOKENS", "8000")
    long = samples / "huzhu-2024.txt"
    short = short_reports(tmp_path / "short", 1)
    summary = api.extract([long, short], api.Options(base_url=fake.base_url, model="m", concurrency=1))
    assert (summary.done, summary.failed) == (1, 1)
    error = summary.failures[0][1]
    assert "per-document token budget max_doc_tokens=8,000" in error and "estimated" in error
    assert fake.requests and all("互助" not in document_of(r) for r in fake.requests)  # none for the long one
    assert runs_row("max_doc_tokens, n_failed") == (8000, 1)
    with api.open_store() as store:
        assert store.query("SELECT count(*) FROM extractions WHERE status = 'failed' AND error LIKE "
                           "'%max_doc_tokens=8,000%'")[1] == [(1,)]


def test_a_run_that_reaches_its_cost_budget_starts_no_new_document_and_says_so(
        fake: FakeLLM, tmp_path: Path) -> None:
    (tmp_path / "fazhi.toml").write_text("[profiles.custom]\nprice_input = 100.0\n", encoding="utf-8")
    docs = short_reports(tmp_path / "docs", 12)
    result = CliRunner().invoke(app, ["extract", str(docs), "--base-url", fake.base_url, "--model", "m",
                                      "--concurrency", "1", "--max-cost", "0.3"])
    output = " ".join(result.output.split())
    done, unstarted, cost, max_cost, stopped_by = runs_row("n_done, n_unstarted, cost_usd, max_cost, stopped_by")
    assert 1 <= done < 12 and done + unstarted == 12
    assert cost >= 0.3 and max_cost == 0.3
    assert stopped_by == "the cost budget --max-cost 0.3 USD was reached"
    assert f"STOPPED: the cost budget --max-cost 0.3 USD was reached; {unstarted} documents not started" in output
    assert len(fake.requests) == done  # one request a short report: none for a document not started
    listed = json.loads(CliRunner().invoke(app, ["runs", "--format", "json"]).output)[0]
    assert (listed["n_unstarted"], listed["max_cost"]) == (unstarted, 0.3)


def test_without_budgets_every_document_is_done(fake: FakeLLM, tmp_path: Path) -> None:
    (tmp_path / "fazhi.toml").write_text("[profiles.custom]\nprice_input = 100.0\n", encoding="utf-8")
    summary = api.extract([short_reports(tmp_path / "docs", 4)], api.Options(base_url=fake.base_url, model="m"))
    assert (summary.done, summary.unstarted, summary.stopped_by) == (4, 0, None)
    assert runs_row("max_cost, max_doc_tokens, n_unstarted, stopped_by") == (None, None, 0, None)
