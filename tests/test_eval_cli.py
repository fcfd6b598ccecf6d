"""`fazhi eval`: any folder in the contract's shape, outputs, storage, baseline diff, gate, replay."""

import json
import shutil
from pathlib import Path

import pytest
from fazhi.agent import api
from fazhi.agent.cli import app
from fazhi.evals.compare import gate, parse_thresholds
from fazhi.evals.fakellm import FakeLLM, Reply, default_brain, when
from typer.testing import CliRunner

FIXTURES = Path(__file__).resolve().parent.parent / "evals" / "fixtures"
runner = CliRunner()


@pytest.fixture
def two(tmp_path: Path) -> Path:
    """A fixture folder with two of the seed fixtures."""
    root = tmp_path / "fx"
    for name in ("xx-congress-survey-2022", "nanyang-2022"):
        shutil.copytree(FIXTURES / name, root / name)
    return root


def fazhi(*args: str):
    return runner.invoke(app, ["eval", *args])


def query(sql: str) -> list[tuple]:
    with api.open_store() as store:
        return store.query(sql)[1]


def test_eval_writes_predictions_and_a_summary_in_the_contract_shape(two: Path, tmp_path: Path) -> None:
    result = fazhi("--fixtures", str(two), "--out", str(tmp_path / "out"))
    assert result.exit_code == 0, result.output
    summary = json.loads((tmp_path / "out" / "summary.json").read_text())
    for section in ("metrics", "issues"):
        assert {"precision", "recall", "f1", "ungrounded"} <= set(summary[section])
    assert "accuracy" in summary["meta"] and set(summary["fixtures"]) == {"nanyang-2022", "xx-congress-survey-2022"}
    pred = json.loads((tmp_path / "out" / "nanyang-2022.json").read_text())
    assert pred["fixture_id"] == "nanyang-2022" and {"meta", "metrics", "issues"} <= set(pred)
    assert "TOTAL" in result.stdout and "nanyang-2022" in result.stdout


def test_eval_run_scores_and_item_outcomes_are_stored(two: Path) -> None:
    assert fazhi("--fixtures", str(two)).exit_code == 0
    assert query("SELECT count(*), min(backend) FROM eval_runs") == [(1, "offline")]
    assert query("SELECT count(DISTINCT fixture_id) FROM eval_scores") == [(3,)]
    outcomes = {o for (o,) in query("SELECT DISTINCT outcome FROM eval_items")}
    assert outcomes <= {"matched", "missed", "spurious", "ungrounded"} and outcomes


def test_gate_fails_under_threshold_with_exit_code_1(two: Path) -> None:
    result = fazhi("--fixtures", str(two), "--fail-under", "metrics.f1=1.01")
    assert result.exit_code == 1
    assert "Regression: metrics.f1" in result.stderr


def test_broken_run_exits_2_and_names_the_fixture(two: Path) -> None:
    (two / "nanyang-2022" / "source.txt").write_bytes(b"")
    result = fazhi("--fixtures", str(two))
    assert result.exit_code == 2
    assert "Broken run: no prediction for nanyang-2022" in result.stderr


def test_a_missing_fixtures_folder_is_a_clear_error(tmp_path: Path) -> None:
    result = fazhi("--fixtures", str(tmp_path / "nope"))
    assert result.exit_code == 2 and "No fixtures folder" in result.stderr


def test_baseline_diff_lists_newly_missed_items_and_max_drop_gates(fake: FakeLLM, two: Path) -> None:
    first = fazhi("--fixtures", str(two), "--base-url", fake.base_url, "--model", "m", "--api-key", "k")
    assert first.exit_code == 0, first.output
    fake.rules.append(when("metrics", lambda r: Reply(body=default_brain(r) | {"metrics": []})))
    second = fazhi("--fixtures", str(two), "--base-url", fake.base_url, "--model", "m2", "--api-key", "k",
                   "--baseline", "last", "--max-drop", "0.02")
    assert second.exit_code == 1
    assert "Changes from eval 1 to eval 2" in second.stdout
    assert "newly missed" in second.stdout and "Regression: metrics.recall dropped" in second.stderr
    again = runner.invoke(app, ["eval", "diff", "1", "2"])
    assert again.exit_code == 0 and again.stdout.count("newly missed") == second.stdout.count("newly missed")


def test_offline_replay_scores_cached_answers_without_requests(fake: FakeLLM, two: Path, tmp_path: Path) -> None:
    model = ["--base-url", fake.base_url, "--model", "m", "--api-key", "k"]
    assert fazhi("--fixtures", str(two), "--out", str(tmp_path / "a"), *model).exit_code == 0
    sent = len(fake.requests)
    replay = fazhi("--fixtures", str(two), "--out", str(tmp_path / "b"), "--offline", "--db", "other.duckdb", *model)
    assert replay.exit_code == 0, replay.output
    assert len(fake.requests) == sent
    a, b = (json.loads((tmp_path / d / "summary.json").read_text()) for d in "ab")
    assert a["metrics"] == b["metrics"] and a["issues"] == b["issues"]


def test_replay_without_cached_answers_is_a_broken_run(two: Path) -> None:
    result = fazhi("--fixtures", str(two), "--offline", "--model", "never-run", "--base-url", "http://127.0.0.1:9/v1")
    assert result.exit_code == 2 and "no cached answer" in result.stderr


def test_thresholds_parse_and_gate_reports_each_failure() -> None:
    assert parse_thresholds("metrics.f1=0.85, issues.f1=0.8") == {"metrics.f1": 0.85, "issues.f1": 0.8}
    summary = {"metrics": {"f1": 0.9}, "issues": {"f1": 0.7}, "meta": {"accuracy": 1.0}}
    baseline = {"metrics": {"f1": 0.95}, "issues": {"f1": 0.7}, "meta": {"accuracy": 1.0}}
    assert gate(summary, {"issues.f1": 0.8}, 0.02, baseline) == [
        "issues.f1 = 0.7 is under 0.8", "metrics.f1 dropped 0.0500 (from 0.9500 to 0.9000), over 0.02"]


def test_bad_threshold_is_a_clear_error(two: Path) -> None:
    result = fazhi("--fixtures", str(two), "--fail-under", "f1")
    assert result.exit_code == 2 and "Bad threshold 'f1'" in result.stderr


def test_html_report_is_written_for_the_eval_run(two: Path, tmp_path: Path) -> None:
    page = tmp_path / "report.html"
    result = fazhi("--fixtures", str(two), "--html", str(page))
    assert result.exit_code == 0, result.output
    html = page.read_text(encoding="utf-8")
    assert html.startswith("<!DOCTYPE html>") and "nanyang-2022" in html and "xx-congress-survey-2022" in html
