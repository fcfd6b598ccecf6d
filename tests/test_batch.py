"""Batch mode end to end: the real openai client against the fake server's Batch API (/v1/files,
/v1/batches), and the JSONL route of `vllm run-batch`; what a batch stores is what `extract` stores."""

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from fazhi.agent import api
from fazhi.agent.batch.wire import BatchError
from fazhi.agent.cli import app
from fazhi.agent.config import profile_key
from fazhi.agent.errors import ConfigError, NoApiKey
from fazhi.agent.providers import LOCAL_KEY, PROFILES
from fazhi.evals.fakellm import FakeLLM, Reply, document_of, tasks_of, ungrounded, when
from typer.testing import CliRunner

DOCS = {
    "a.txt": "某县2023年法治政府建设情况报告\n一、主要工作和成效\n全年办结行政复议案件12件，组织培训3场。\n"
             "二、存在的问题\n（一）执法力量不足。\n",
    "b.txt": "某市2022年法治政府建设情况报告\n一、主要工作和成效\n全年审查规范性文件45件，开展普法活动8场。\n"
             "二、存在的问题\n（一）基层法治队伍薄弱。\n",
    "c.txt": "某区2021年法治政府建设情况报告\n一、主要工作和成效\n全年受理行政诉讼案件27件，培训执法人员300人。\n"
             "二、存在的问题\n（一）执法规范化水平不高。\n",
}


@pytest.fixture
def docs(tmp_path: Path) -> Path:
    folder = tmp_path / "docs"
    folder.mkdir()
    for name, text in DOCS.items():
        (folder / name).write_text(text, encoding="utf-8")
    return folder


def options(fake: FakeLLM, name: str = "batch", **more: Any) -> api.Options:
    return api.Options(base_url=fake.base_url, model="m", api_key="k", db=f"{name}.duckdb", cache_dir=f"cache-{name}",
                       **more)


def query(db: str, sql: str) -> list[tuple]:
    with api.open_store(db) as store:
        return store.query(sql)[1]


def results(db: str) -> dict[str, Any]:
    """Each document's stored result, as JSON."""
    return {doc: json.loads(result) for doc, result in query(db, "SELECT doc_id, result FROM latest_extractions")}


def live(fake: FakeLLM, paths: list[Path]) -> dict[str, Any]:
    summary = api.extract(paths, options(fake, "live"))
    assert summary.failed == 0, summary.failures
    return results("live.duckdb")


def test_batch_stores_what_extract_stores_and_fills_the_cache(fake: FakeLLM, samples: Path) -> None:
    submitted = api.batch_submit([samples], options(fake))
    assert submitted.requests == len(fake.batched) > 5 and not fake.requests
    [status] = api.batch_status(None, options(fake))
    assert (status.batch_id, status.provider_status, status.total) == (
        submitted.batch_id, "completed", len(fake.batched))
    [collected] = api.batch_collect(None, options(fake))
    assert collected.finished and collected.summary and collected.summary.done == 5
    assert query("batch.duckdb", "SELECT kind, status, n_done, requests FROM runs") == [
        ("batch", "ok", 5, submitted.requests)]
    assert query("batch.duckdb", "SELECT status, count(*), min(tokens_in) > 0 FROM llm_calls GROUP BY ALL") == [
        ("batch", submitted.requests, True)]
    assert results("batch.duckdb") == live(fake, [samples])
    sent = len(fake.requests)
    again = api.extract([samples], options(fake))
    forced = api.extract([samples], options(fake, force=True))
    assert (again.skipped, again.requests) == (5, 0)
    assert (forced.done, forced.requests, forced.cache_hits) == (5, 0, submitted.requests)
    assert len(fake.requests) == sent


def test_a_rejected_item_is_reasked_in_a_follow_up_round(fake: FakeLLM, docs: Path) -> None:
    fake.queue.append(when("metrics", ungrounded))
    first = api.batch_submit([docs], options(fake))
    [collected] = api.batch_collect(None, options(fake))
    assert collected.next_batch and collected.next_batch != first.batch_id and collected.waiting == 1
    assert collected.summary and collected.summary.done == 2
    reask = fake.batched[-1]
    assert "failed the checks" in reask["messages"][-1]["content"] and not fake.requests
    [last] = api.batch_collect(collected.next_batch, options(fake))
    assert last.finished and not last.next_batch and last.summary and last.summary.done == 1
    assert query("batch.duckdb", "SELECT round, status FROM batches ORDER BY round") == [
        (1, "collected"), (2, "collected")]
    fake.queue.append(when("metrics", ungrounded))
    assert results("batch.duckdb") == live(fake, [docs])


def test_live_reasks_are_sent_live(fake: FakeLLM, docs: Path) -> None:
    fake.queue.append(when("metrics", ungrounded))
    api.batch_submit([docs], options(fake))
    [collected] = api.batch_collect(None, options(fake), live_reasks=True)
    assert collected.finished and not collected.next_batch and collected.summary.done == 3
    assert len(fake.requests) == 1 and "failed the checks" in fake.requests[0]["messages"][-1]["content"]
    assert query("batch.duckdb", "SELECT status, count(*) FROM llm_calls GROUP BY ALL ORDER BY 1") == [
        ("batch", len(fake.batched)), ("ok", 1)]
    assert query("batch.duckdb", "SELECT count(*) FROM batches") == [(1,)]


def test_a_failed_line_fails_only_its_document(fake: FakeLLM, docs: Path) -> None:
    fake.rules.append(lambda r: Reply(500, {"error": {"message": "boom"}}) if "某市" in document_of(r) else None)
    api.batch_submit([docs], options(fake))
    [collected] = api.batch_collect(None, options(fake))
    assert collected.finished and collected.counts[2] >= 1
    assert (collected.summary.done, collected.summary.failed) == (2, 1)
    [(error,)] = query("batch.duckdb", "SELECT error FROM extractions WHERE status = 'failed'")
    assert "(500): boom" in error
    assert query("batch.duckdb", "SELECT status FROM runs") == [("failed",)]
    assert query("batch.duckdb", "SELECT count(*) FROM llm_calls WHERE status = '500'") == [(collected.counts[2],)]


def test_a_cut_answer_is_asked_again_in_halves_in_the_next_round(fake: FakeLLM, docs: Path) -> None:
    one = docs / "a.txt"
    cut = lambda r: Reply(raw_content='{"meta": {"title": ', finish_reason="length") if len(tasks_of(r)) > 1 else None  # noqa: E731
    fake.queue.append(cut)
    submitted = api.batch_submit([one], options(fake))
    [collected] = api.batch_collect(None, options(fake))
    assert submitted.requests == 1 and collected.next_batch and not collected.summary.done
    assert [tasks_of(r) for r in fake.batched[1:]] == [["meta"], ["metrics"], ["issues"]]
    [last] = api.batch_collect(None, options(fake))
    assert last.finished and last.summary.done == 1
    fake.queue.append(cut)
    assert results("batch.duckdb") == live(fake, [one])


def test_cached_answers_are_not_sent(fake: FakeLLM, docs: Path) -> None:
    api.extract([docs], options(fake))
    submitted = api.batch_submit([docs], options(fake, force=True))
    assert (submitted.batch_id, submitted.requests, submitted.summary.done) == (None, 0, 3)
    assert not fake.batched and not fake.desk.files
    assert query("batch.duckdb", "SELECT kind, status, cache_hits > 0 FROM runs ORDER BY run_id") == [
        ("extract", "ok", False), ("batch", "ok", True)]


def test_collect_in_a_new_process_reads_the_batch_from_the_database(fake: FakeLLM, docs: Path) -> None:
    submitted = api.batch_submit([docs], options(fake))
    env = {**os.environ, "FAZHI_API_KEY": "k"}
    done = subprocess.run([sys.executable, "-m", "fazhi.agent.cli", "batch", "collect", str(submitted.batch_id),
                           "--db", "batch.duckdb"], env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout == "" and "Run 1 is finished" in done.stderr
    assert query("batch.duckdb", "SELECT count(*) FROM extractions WHERE status = 'ok'") == [(3,)]


def test_the_vllm_route_writes_and_reads_jsonl_files(fake: FakeLLM, docs: Path, tmp_path: Path) -> None:
    fake.queue.append(when("metrics", ungrounded))
    requests = tmp_path / "requests.jsonl"
    submitted = api.batch_submit([docs], options(fake), write_jsonl=requests)
    assert submitted.batch_id == "local-1-1" and not fake.desk.files
    lines = [json.loads(line) for line in requests.read_text(encoding="utf-8").splitlines()]
    assert len(lines) == submitted.requests
    assert {(line["method"], line["url"], line["body"]["model"]) for line in lines} == {
        ("POST", "/v1/chat/completions", "m")}
    fake.run_file(requests, tmp_path / "out.jsonl")
    [collected] = api.batch_collect(None, options(fake), from_jsonl=tmp_path / "out.jsonl")
    assert collected.next_batch == "local-1-2" and collected.next_path == str(tmp_path / "requests.round2.jsonl")
    fake.run_file(tmp_path / "requests.round2.jsonl", tmp_path / "out2.jsonl")
    [last] = api.batch_collect(None, options(fake), from_jsonl=tmp_path / "out2.jsonl")
    assert last.finished and not fake.requests and not fake.desk.files
    assert query("batch.duckdb", "SELECT count(*) FROM extractions WHERE status = 'ok'") == [(3,)]


def test_a_batch_not_complete_yet_says_so_and_stores_nothing(fake: FakeLLM, docs: Path) -> None:
    fake.desk.polls = 2
    model = ["--base-url", fake.base_url, "--model", "m", "--api-key", "k"]
    runner = CliRunner()
    submitted = runner.invoke(app, ["batch", "submit", str(docs), *model])
    assert submitted.exit_code == 0, submitted.output
    batch_id = submitted.stdout.strip()
    status = runner.invoke(app, ["batch", "status", "--api-key", "k", "-f", "json"])
    [row] = json.loads(status.stdout)
    assert (row["batch_id"], row["provider_status"], row["total"], row["completed"]) == (batch_id, "in_progress", 3, 0)
    waiting = runner.invoke(app, ["batch", "collect", "--api-key", "k"])
    assert waiting.exit_code == 0 and "not complete yet (in_progress" in waiting.stderr and waiting.stdout == ""
    assert query("fazhi.duckdb", "SELECT count(*) FROM extractions") == [(0,)]
    done = runner.invoke(app, ["batch", "collect", batch_id, "--api-key", "k"])
    assert done.exit_code == 0 and "3 done, 0 failed" in done.stderr
    again = runner.invoke(app, ["batch", "collect", batch_id, "--api-key", "k"])
    assert again.exit_code == 2 and "was collected already" in again.stderr


def test_a_document_waiting_in_a_batch_is_not_submitted_twice(fake: FakeLLM, docs: Path) -> None:
    fake.desk.polls = 1
    first = api.batch_submit([docs], options(fake))
    second = api.batch_submit([docs], options(fake))
    assert (first.requests, second.batch_id, second.requests, second.summary.skipped) == (3, None, 0, 3)
    assert query("batch.duckdb", "SELECT run_id, status, n_skipped FROM runs WHERE run_id = 2") == [(2, "ok", 3)]
    [waiting] = api.batch_collect(None, options(fake))
    assert (waiting.run_id, waiting.ready) == (1, False)
    [collected] = api.batch_collect(None, options(fake))
    assert collected.summary.done == 3 and len(fake.batched) == 3


def test_a_batch_the_provider_refuses_leaves_no_document_waiting(fake: FakeLLM, docs: Path) -> None:
    fake.desk.create = lambda request: (400, {"error": {"message": "batches are not offered"}})  # type: ignore[method-assign]
    with pytest.raises(BatchError, match="batches are not offered"):
        api.batch_submit([docs], options(fake))
    assert query("batch.duckdb", "SELECT status FROM runs") == [("failed",)]
    assert query("batch.duckdb", "SELECT DISTINCT status FROM batch_docs") == [("abandoned",)]
    assert api.batch_collect(None, options(fake)) == []


def test_batch_mode_needs_a_model(docs: Path) -> None:
    result = CliRunner().invoke(app, ["batch", "submit", str(docs)])
    assert result.exit_code == 2 and "Batch mode needs a model" in result.stderr


def test_a_request_body_carries_the_extra_body_at_the_top_level_as_the_sdk_sends_it() -> None:
    from fazhi.agent.llm import ModelClient
    from fazhi.agent.providers import Profile
    from fazhi.schemas.report import ReportMeta

    profile = Profile("p", "http://127.0.0.1:1/v1", "m", extra_body={"enable_thinking": False}, max_tokens=None)
    body = ModelClient(profile, "k", None).body([], {"meta": ReportMeta})
    assert body == {"model": "m", "messages": [], "response_format": {"type": "json_object"}, "temperature": 0,
                    "enable_thinking": False}


def test_a_run_waiting_on_its_batch_is_not_marked_interrupted(fake: FakeLLM, docs: Path) -> None:
    fake.desk.polls = 1
    api.batch_submit([docs], options(fake))
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    with api.open_store("batch.duckdb", read_only=False) as store:
        store.db.execute("UPDATE runs SET pid = ?", [gone.pid])  # the submitting process is gone
        dead = store.start_run(kind="extract", backend="offline", prompt_version="v", schema_hash="h", n_docs=0)
        store.db.execute("UPDATE runs SET pid = ? WHERE run_id = ?", [gone.pid, dead])
    api.extract([docs], options(fake, backend="offline"))
    assert query("batch.duckdb", "SELECT run_id, kind, status FROM runs ORDER BY run_id") == [
        (1, "batch", "running"), (2, "extract", "interrupted"), (3, "extract", "ok")]
    [waiting] = api.batch_collect(None, options(fake))
    [collected] = api.batch_collect(None, options(fake))
    assert not waiting.ready and collected.finished and collected.summary.status == "ok"
    assert query("batch.duckdb", "SELECT status, n_done FROM runs WHERE run_id = 1") == [("ok", 3)]


def test_a_failure_names_its_file_and_the_summary_its_database(fake: FakeLLM, docs: Path) -> None:
    fake.rules.append(lambda r: Reply(500, {"error": {"message": "boom"}}) if "某市" in document_of(r) else None)
    api.batch_submit([docs], options(fake))
    [collected] = api.batch_collect(None, options(fake))
    assert collected.summary.db == "batch.duckdb" and collected.summary.status == "failed"
    [(doc_id, _)] = collected.summary.failures
    assert collected.summary.name_of(doc_id) == str(docs / "b.txt")


def test_a_stored_profile_finds_its_key_as_extract_does(monkeypatch: pytest.MonkeyPatch) -> None:
    qwen, vllm = PROFILES["qwen"], PROFILES["vllm"]
    assert profile_key(vllm) == LOCAL_KEY and profile_key(qwen, "given") == "given"
    with pytest.raises(NoApiKey):
        profile_key(qwen)
    monkeypatch.setenv(str(qwen.api_key_env), "from-env")
    assert profile_key(qwen) == "from-env"
    with pytest.raises(ConfigError, match="must not be empty"):
        profile_key(qwen, " ")


def test_a_config_file_profile_can_name_its_batch_endpoint(tmp_path: Path) -> None:
    (tmp_path / "fazhi.toml").write_text('[profiles.mine]\nbase_url = "http://127.0.0.1:9/v4"\nmodel = "m"\n'
                                         'batch_endpoint = "/v4/chat/completions"\n', encoding="utf-8")
    settings = api.resolve(api.Options(profile="mine"))
    assert settings.provider_profile().batch_endpoint == "/v4/chat/completions"
    (tmp_path / "fazhi.toml").write_text('[profiles.mine]\nbase_url = "http://127.0.0.1:9/v4"\nmodel = "m"\n'
                                         'batch_endpoint = "v4 chat"\n', encoding="utf-8")
    with pytest.raises(ConfigError, match="Invalid batch_endpoint 'v4 chat' from config file"):
        api.resolve(api.Options(profile="mine"))
