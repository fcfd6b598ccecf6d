"""The model path end to end: the real openai client through instructor against a fake server."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import cachefile
import pytest
from fazhi.agent import api
from fazhi.agent.errors import NoApiKey
from fazhi.agent.runs import FLUSH_SECONDS, RunSummary
from fazhi.evals.fakellm import FakeLLM, Reply, default_brain, document_of, task_of, ungrounded, when

SMALL = (
    "某县2023年法治政府建设情况报告\n一、主要工作和成效\n全年办结行政复议案件12件，组织培训3场。\n"
    "二、存在的问题\n（一）执法力量不足。\n"
)


def run(fake: FakeLLM, paths: list[Path], **options: object) -> RunSummary:
    return api.extract(paths, api.Options(base_url=fake.base_url, model="m", api_key="k", **options))


def query(sql: str) -> list[tuple]:
    with api.open_store() as store:
        return store.query(sql)[1]


@pytest.fixture
def small(tmp_path: Path) -> Path:
    path = tmp_path / "small.txt"
    path.write_text(SMALL, encoding="utf-8")
    return path


def test_extract_stores_all_five_seed_reports_with_results(fake: FakeLLM, samples: Path) -> None:
    summary = run(fake, [samples])
    assert (summary.done, summary.failed, summary.documents) == (5, 0, 5)
    assert summary.requests == len(fake.requests) > 5
    assert query("SELECT count(*) FROM reports") == [(5,)]
    assert query("SELECT count(*) FROM latest_metrics") == [(summary.items["metrics"],)]
    assert summary.items["metrics"] > 100
    assert query("SELECT count(*), sum(tokens_in) FROM llm_calls WHERE NOT cache_hit") == [
        (summary.requests, summary.tokens_in)]


def test_second_run_sends_zero_requests(fake: FakeLLM, samples: Path) -> None:
    run(fake, [samples])
    sent = len(fake.requests)
    again = run(fake, [samples])
    forced = run(fake, [samples], force=True)
    assert (again.skipped, again.requests) == (5, 0)
    assert (forced.done, forced.requests, forced.cache_hits) == (5, 0, sent)
    assert len(fake.requests) == sent


def test_every_stored_item_quotes_its_document_at_its_offsets(fake: FakeLLM, samples: Path) -> None:
    run(fake, [samples])
    for table in ("metrics", "issues"):
        rows = query(f"SELECT x.evidence, substr(d.text, x.start + 1, x.\"end\" - x.start) FROM {table} x "
                     "JOIN documents d USING (doc_id)")
        assert rows and all(evidence == located for evidence, located in rows)


def test_ungrounded_quote_is_reasked_and_the_corrected_answer_accepted(fake: FakeLLM, small: Path) -> None:
    fake.queue.append(when("metrics", ungrounded))
    summary = run(fake, [small])
    reasks = [r for r in fake.requests if task_of(r) == "metrics" and len(r["messages"]) > 2]
    assert len(reasks) == 1
    assert "not a verbatim quote" in str(reasks[0]["messages"][-1]["content"])
    assert (summary.done, summary.dropped, summary.items["metrics"]) == (1, 0, 2)


def test_quote_still_ungrounded_after_reasks_is_dropped_and_counted(fake: FakeLLM, small: Path) -> None:
    fake.rules.append(when("metrics", ungrounded))
    summary = run(fake, [small])
    assert (summary.done, summary.dropped, summary.items["metrics"]) == (1, 1, 2)
    assert query("SELECT n_dropped, attempts > 2 FROM extractions") == [(1, True)]
    assert query("SELECT count(*) FROM metrics WHERE evidence LIKE '%并不存在%'") == [(0,)]


def test_malformed_json_then_valid_answer_is_accepted(fake: FakeLLM, small: Path) -> None:
    fake.queue.append(when("metrics", lambda r: Reply(raw_content='{"metrics": [ {"name": ')))
    summary = run(fake, [small])
    assert (summary.done, summary.items["metrics"]) == (1, 2)
    assert sum(task_of(r) == "metrics" for r in fake.requests) == 2


def test_rate_limit_429_with_retry_after_then_success(fake: FakeLLM, small: Path) -> None:
    fake.queue.append(lambda r: Reply(429, {"error": {"message": "slow down"}}, {"Retry-After": "1"}))
    started = time.monotonic()
    summary = run(fake, [small])
    assert summary.done == 1
    assert time.monotonic() - started >= 1.0
    assert query("SELECT status FROM llm_calls WHERE status = '429'") == [("429",)]


def test_server_error_500_then_success(fake: FakeLLM, small: Path) -> None:
    fake.queue.append(lambda r: Reply(500, {"error": {"message": "boom"}}))
    summary = run(fake, [small])
    assert (summary.done, summary.failed) == (1, 0)
    assert query("SELECT count(*) FROM llm_calls WHERE status = '500'") == [(1,)]


def test_hanging_server_trips_the_deadline_and_only_that_document_fails(
    fake: FakeLLM, samples: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FAZHI_MAX_RETRIES", "0")
    fake.rules.append(lambda r: Reply(delay=5) if "东阳" in document_of(r) else None)
    summary = run(fake, [samples], timeout=1.5)
    assert (summary.done, summary.failed) == (4, 1), summary.failures
    assert "deadline" in summary.failures[0][1] or "Timeout" in summary.failures[0][1]
    assert query("SELECT count(*) > 0 FROM llm_calls WHERE status = 'timeout'") == [(True,)]
    assert query("SELECT status, count(*) FROM extractions GROUP BY ALL ORDER BY 1") == [("failed", 1), ("ok", 4)]


def test_killed_run_resumes_without_duplicates(fake: FakeLLM, samples: Path) -> None:
    fake.rules.append(lambda r: Reply(delay=60) if "东阳" in document_of(r) else None)
    env = {**os.environ, "FAZHI_BASE_URL": fake.base_url, "FAZHI_MODEL": "m", "FAZHI_API_KEY": "k"}
    child = subprocess.Popen([sys.executable, "-m", "fazhi.agent.cli", "extract", str(samples)], env=env,
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    settle(fake)
    child.send_signal(signal.SIGKILL)
    child.wait()
    fake.rules.clear()
    resumed = run(fake, [samples])
    assert (resumed.skipped, resumed.done) == (4, 1)
    assert query("SELECT count(*), count(DISTINCT doc_id) FROM extractions WHERE status = 'ok'") == [(5, 5)]
    assert query("SELECT count(*) FROM (SELECT extraction_id, idx FROM metrics GROUP BY ALL HAVING count(*) > 1)"
                 ) == [(0,)]


def settle(fake: FakeLLM, quiet: float = FLUSH_SECONDS + 1.5, limit: float = 40) -> None:
    """Wait until requests stop arriving (everything but the hanging document is done) and the results
    that came are stored (a batch is written at most FLUSH_SECONDS late)."""
    deadline, seen, since = time.monotonic() + limit, -1, time.monotonic()
    while time.monotonic() < deadline:
        if len(fake.requests) != seen:
            seen, since = len(fake.requests), time.monotonic()
        elif seen > 0 and time.monotonic() - since > quiet:
            return
        time.sleep(0.1)


def test_offline_replay_answers_from_cache_and_a_miss_names_the_document(fake: FakeLLM, small: Path) -> None:
    missed = run(fake, [small], replay_only=True)
    assert missed.failed == 1 and "no cached answer" in missed.failures[0][1]
    assert fake.requests == []
    run(fake, [small])
    sent = len(fake.requests)
    replayed = run(fake, [small], replay_only=True, force=True)
    assert (replayed.done, replayed.requests, len(fake.requests)) == (1, 0, sent)


def test_no_cache_sends_the_requests_again(fake: FakeLLM, small: Path) -> None:
    run(fake, [small])
    sent = len(fake.requests)
    again = run(fake, [small], use_cache=False, force=True)
    assert again.requests == sent and len(fake.requests) == 2 * sent


def test_tools_mode_gets_the_same_results(fake: FakeLLM, small: Path) -> None:
    summary = run(fake, [small], mode="tools")
    assert summary.items == {"metrics": 2, "issues": 1}
    assert all("tools" in r for r in fake.requests)


@pytest.mark.parametrize("mode", ["json_schema", "md_json"])
def test_other_instructor_modes_get_the_same_results(fake: FakeLLM, small: Path, mode: str) -> None:
    summary = run(fake, [small], mode=mode)
    assert (summary.done, summary.items) == (1, {"metrics": 2, "issues": 1})


def test_missing_api_key_names_the_environment_variable(small: Path) -> None:
    with pytest.raises(NoApiKey, match="DEEPSEEK_API_KEY"):
        api.extract([small], api.Options(profile="deepseek"))


def test_a_document_too_long_for_a_model_is_a_recorded_failure(
    fake: FakeLLM, small: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FAZHI_MAX_DOC_CHARS", "1000")
    huge = tmp_path / "huge.txt"
    huge.write_text(SMALL * 100, encoding="utf-8")
    summary = run(fake, [small, huge])
    assert (summary.done, summary.failed) == (1, 1)
    assert "over max_doc_chars=1000" in summary.failures[0][1]
    assert fake.requests and all(len(document_of(r)) <= len(SMALL) for r in fake.requests)


def test_model_results_are_cross_checked_against_the_offline_rules_on_request(
    fake: FakeLLM, samples: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    run(fake, [samples])
    assert query("SELECT count(*) FROM extractions WHERE crosscheck IS NOT NULL") == [(0,)]
    monkeypatch.setenv("FAZHI_CROSSCHECK", "true")
    run(fake, [samples], force=True)
    rows = query("SELECT crosscheck->>'$.metrics.model', crosscheck->>'$.metrics.rules', "
                 "crosscheck->>'$.metrics.agree', crosscheck->'$.meta_disagree' FROM extractions")
    assert len(rows) == 5
    for model, rules, agree, disagree in rows:
        assert 0 < int(agree) <= min(int(model), int(rules))
        assert "issuer" in disagree


def test_the_text_sent_is_the_text_stored_with_no_templating(fake: FakeLLM, tmp_path: Path) -> None:
    hostile = "{{附件1}}与{% 目录 %}及{# 注释 #}：全年办结行政复议案件12件，{{ config }}组织培训3场。"
    path = tmp_path / "template.txt"
    path.write_text(f"某县2023年法治政府建设情况报告\n一、主要工作和成效\n{hostile}\n", encoding="utf-8")
    summary = run(fake, [path])
    assert summary.done == 1
    assert fake.requests and all(hostile in document_of(r) for r in fake.requests)


def test_a_reasoning_field_and_a_think_block_with_braces_are_not_read(fake: FakeLLM, small: Path) -> None:
    def thinking(request: dict) -> Reply:
        answer = json.dumps(default_brain(request), ensure_ascii=False)
        return Reply(raw_content='<think>先看 {"metrics": ["草稿"]} 再说</think>' + answer,
                     reasoning='{"metrics": [{"evidence": "不在原文"}]}')
    fake.rules.append(thinking)
    summary = run(fake, [small])
    assert (summary.done, summary.items, summary.dropped, summary.requests) == (
        1, {"metrics": 2, "issues": 1}, 0, 1)


def test_a_forced_replay_of_sealed_answers_stores_the_same_rows(fake: FakeLLM, samples: Path, tmp_path: Path) -> None:
    first = run(fake, [samples], cache_dir=str(tmp_path / "cache"))
    stored = query("SELECT doc_id, idx, name, value, unit, evidence, start, \"end\" FROM metrics ORDER BY ALL")
    entries = cachefile.entries(tmp_path / "cache")
    assert entries and all("sealed" in entry for entry in entries.values())
    again = run(fake, [samples], cache_dir=str(tmp_path / "cache"), force=True)
    assert (again.requests, again.cache_hits, again.items) == (0, first.requests, first.items)
    assert query("SELECT doc_id, idx, name, value, unit, evidence, start, \"end\" FROM latest_metrics"
                 " ORDER BY ALL") == stored


def test_an_answer_edited_in_the_cache_after_it_was_sealed_is_checked_again(
    fake: FakeLLM, small: Path, tmp_path: Path
) -> None:
    run(fake, [small], cache_dir=str(tmp_path / "cache"))
    planted = {"evidence": "全年办结行政复议案件99999件", "name": "行政复议案件", "value": 99999.0, "unit": "件",
               "qualifier": "exact", "category": "other", "canonical": None}
    for key, data in cachefile.entries(tmp_path / "cache").items():
        if "metrics" in data["answers"]:
            data["answers"]["metrics"]["value"]["metrics"].append(planted)  # the seal is left as it was
            cachefile.write(tmp_path / "cache", key, data)
    again = run(fake, [small], cache_dir=str(tmp_path / "cache"), force=True)
    assert (again.requests, again.dropped) == (0, 1)
    assert query("SELECT count(*) FROM latest_metrics WHERE value = 99999") == [(0,)]


def test_an_answer_sealed_by_other_code_is_sealed_again_once_it_passes_the_checks(
    fake: FakeLLM, small: Path, tmp_path: Path
) -> None:
    first = run(fake, [small], cache_dir=str(tmp_path / "cache"))
    for key, entry in cachefile.entries(tmp_path / "cache").items():
        cachefile.write(tmp_path / "cache", key, entry | {"sealed": "older code"})
    again = run(fake, [small], cache_dir=str(tmp_path / "cache"), force=True)
    assert (again.requests, again.items, again.dropped) == (0, first.items, first.dropped)
    assert all(entry["sealed"] != "older code" for entry in cachefile.entries(tmp_path / "cache").values())


def test_the_seal_covers_the_engine_and_the_genre_package_under_their_fazhi_names() -> None:
    from fazhi.agent import conversation
    from fazhi.schemas.report import ReportMeta

    assert conversation.package_of(ReportMeta.__module__) == "fazhi.schemas"  # not the namespace `fazhi`
    engine = {p.name for p in conversation.package_files(conversation.ENGINE)}
    genre = {p.name for p in conversation.package_files("fazhi.schemas")}
    assert {"conversation.py", "checks.py", "grounding.py"} <= engine and {"report.py", "taxonomy.toml"} <= genre


def test_a_change_to_a_checking_package_changes_the_seal(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from fazhi.agent import conversation

    (tmp_path / "sealgenre").mkdir()
    (tmp_path / "sealgenre" / "__init__.py").write_text("LIMIT = 1\n", encoding="utf-8")
    monkeypatch.syspath_prepend(str(tmp_path))
    before = conversation.files_hash(("sealgenre",))
    (tmp_path / "sealgenre" / "__init__.py").write_text("LIMIT = 2\n", encoding="utf-8")
    conversation.files_hash.cache_clear()
    assert conversation.files_hash(("sealgenre",)) != before


def test_a_cached_rerun_reads_no_document_again_and_stores_the_same_rows(
    fake: FakeLLM, samples: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from fazhi.schemas.rules import offline

    read = offline.read_layout
    calls: list[int] = []
    monkeypatch.setattr(offline, "read_layout", lambda text: calls.append(len(text)) or read(text))
    run(fake, [samples], cache_dir=str(tmp_path / "cache"))
    stored = query("SELECT doc_id, idx, name, value, evidence, start, \"end\" FROM latest_metrics ORDER BY ALL")
    assert len(calls) == 5 and len(cachefile.entries(tmp_path / "cache", "layouts")) == 5
    again = run(fake, [samples], cache_dir=str(tmp_path / "cache"), force=True)
    assert (again.requests, len(calls)) == (0, 5)
    assert query("SELECT doc_id, idx, name, value, evidence, start, \"end\" FROM latest_metrics ORDER BY ALL") == stored


def test_a_kept_layout_that_was_edited_is_not_used(fake: FakeLLM, samples: Path, tmp_path: Path,
                                                    caplog: pytest.LogCaptureFixture) -> None:
    run(fake, [samples], cache_dir=str(tmp_path / "cache"))
    stored = query("SELECT doc_id, idx, name, value, evidence, start, \"end\" FROM latest_metrics ORDER BY ALL")
    for key, data in cachefile.entries(tmp_path / "cache", "layouts").items():
        data["layout"]["parts"] = [["achievements", 0, 5]]  # the seal is left as it was
        cachefile.write(tmp_path / "cache", key, data, "layouts")
    again = run(fake, [samples], cache_dir=str(tmp_path / "cache"), force=True)
    assert again.requests == 0 and "is not this document's layout (its seal does not match)" in caplog.text
    assert query("SELECT doc_id, idx, name, value, evidence, start, \"end\" FROM latest_metrics ORDER BY ALL") == stored
