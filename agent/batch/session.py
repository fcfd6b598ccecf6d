"""One batch run at work: its documents replayed from the stored answers, those done stored as `extract`
stores them (and their answers cached under the live path's keys), the requests still needed sent as
the next batch round, written to a JSONL file, or sent live."""

import asyncio
import re
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from fazhi.agent.api import load_genre
from fazhi.agent.backends import LLMBackend
from fazhi.agent.batch.replay import AskRow, DocReplay, Request, Step, ask_from, ask_json
from fazhi.agent.batch.state import BatchState, Reply
from fazhi.agent.batch.wire import MAX_LINES, BatchError, custom_id, jsonl, provider, upload
from fazhi.agent.cache import AnswerCache
from fazhi.agent.calllog import usage_of
from fazhi.agent.config import profile_key
from fazhi.agent.documents import Document
from fazhi.agent.errors import ConfigError, ExtractionError
from fazhi.agent.genre import Genre, Layout
from fazhi.agent.llm import ModelClient
from fazhi.agent.providers import LOCAL_KEY
from fazhi.agent.runs import Runner, RunSummary
from fazhi.agent.store import Store


@dataclass
class Session:
    """A batch run: its store and state, and the backend its documents were planned with."""

    store: Store
    backend: LLMBackend
    run_id: int
    api_key: str | None  # --api-key, when given; else the profile's variable, looked up when needed
    started: datetime
    runner: Runner = field(init=False)
    summary: RunSummary = field(init=False)
    layouts: dict[str, Layout] = field(default_factory=dict)
    todo: list[Document] = field(default_factory=list)  # the documents to plan (at submit)

    def __enter__(self) -> "Session":
        return self

    def __exit__(self, *exc: object) -> None:
        self.backend.close_caches()

    def __post_init__(self) -> None:
        self.state = BatchState(self.store)
        self.runner = Runner(self.store, self.genre, self.backend)  # writes through the store held open
        b = self.backend
        self.summary = RunSummary(self.run_id, b.name, b.model, self.runner.version, db=self.store.path)

    @property
    def genre(self) -> Genre:
        return self.backend.genre

    @property
    def client(self) -> ModelClient:
        return self.backend.client

    def key(self) -> str:
        return profile_key(self.client.profile, self.api_key)

    def advance(self) -> list[Request]:
        """Replay every waiting document; store those done; the requests the others need next."""
        asks, replies = self.state.asks(self.run_id), self.state.replies(self.run_id)
        texts = self.state.texts(self.run_id)
        self.summary.paths |= self.state.paths(list(texts))
        steps = [self.replay(doc_id, text, asks.get(doc_id, []), replies.get(doc_id, {}))
                 for doc_id, text in texts.items()]
        self.state.add_asks([self.ask_row(step.doc_id, row) for step in steps for row in step.asks])
        self.store_docs([step for step in steps if step.outcome is not None])
        return [r for step in steps if step.outcome is None for r in step.requests]

    def replay(self, doc_id: str, text: str, rows: list[tuple[int, int | None, dict[str, Any], str]],
               replies: dict[tuple[int, int], Reply]) -> Step:
        if doc_id not in self.layouts:
            self.layouts[doc_id] = self.genre.segment(text)
        asks = [AskRow(no, ask_from(ask, self.genre), parent, key) for no, parent, ask, key in rows]
        doc = Document(doc_id, text, "", None)
        latency = (datetime.now(UTC) - self.started).total_seconds()
        return DocReplay(self.backend, doc, self.layouts[doc_id], asks, replies).replay(latency)

    def ask_row(self, doc_id: str, row: AskRow) -> dict[str, Any]:
        return {"run_id": self.run_id, "doc_id": doc_id, "ask_no": row.no, "parent": row.parent,
                "ask": ask_json(row.ask), "cache_key": row.key}

    def store_docs(self, steps: list[Step]) -> None:
        """Documents done: their answers cached, their outcomes stored as `extract` stores them (in one
        transaction), then marked done. A crash in between leaves them waiting: the next collect
        stores them again, replacing what was stored."""
        for step in steps:
            assert step.outcome is not None
            if self.client.cache:
                for key, entry in step.entries.items():
                    self.client.cache.put(key, entry)
            self.runner.save(self.summary, step.outcome)
        self.runner.flush()
        if steps:
            with self.store.transaction():
                for step in steps:
                    assert step.outcome is not None
                    self.state.set_doc(self.run_id, step.doc_id, "ok" if step.outcome.ok else "failed")
                    self.state.clear_responses(self.run_id, step.doc_id)

    def send_round(self, requests: list[Request], jsonl_path: Path | None) -> str:
        """The requests as the run's next batch round: uploaded and started, or written to `jsonl_path`."""
        profile = self.client.profile
        round_no = self.state.next_round(self.run_id)
        ids = [custom_id(self.run_id, r.doc_id, r.ask_no, r.attempt) for r in requests]
        data = jsonl([(cid, self.client.body(r.messages, r.parts)) for cid, r in zip(ids, requests)],
                     profile.batch_endpoint)
        row: dict[str, Any] = {"run_id": self.run_id, "round": round_no, "status": "submitted",
                               "n_requests": len(requests)}
        if jsonl_path is not None:
            jsonl_path.write_bytes(data)
            row |= {"batch_id": f"local-{self.run_id}-{round_no}", "via": "file", "provider_status": "written",
                    "jsonl_path": str(jsonl_path)}
        else:
            if len(requests) > MAX_LINES:
                raise BatchError(f"{len(requests)} requests are more than a provider's batch takes ({MAX_LINES}): "
                                 "submit the documents in parts")
            name = f"fazhi-run{self.run_id}-round{round_no}.jsonl"
            batch_id, file_id = upload(provider(profile, self.key()), data, name, profile.batch_endpoint)
            row |= {"batch_id": batch_id, "via": "api", "provider_status": "submitted", "input_file_id": file_id}
        self.state.add_batch(row, [{"custom_id": cid, "run_id": self.run_id, "batch_id": row["batch_id"],
                                    "doc_id": r.doc_id, "ask_no": r.ask_no, "attempt": r.attempt}
                                   for cid, r in zip(ids, requests)])
        return str(row["batch_id"])

    def live(self, requests: list[Request]) -> list[Request]:
        """Send the requests live, round after round, until no document needs another."""
        while requests:
            asyncio.run(self.send_live(requests))
            requests = self.advance()
        return requests

    async def send_live(self, requests: list[Request]) -> None:
        client = ModelClient(self.client.profile, self.key(), None)
        slots = asyncio.Semaphore(max(1, self.client.profile.concurrency))
        try:
            answers = await asyncio.gather(*(self.send_one(client, slots, r) for r in requests))
        finally:
            await client.aclose()
        with self.store.transaction():
            self.store.insert_rows("batch_requests", [
                {"custom_id": a["custom_id"], "run_id": self.run_id, "batch_id": None, "doc_id": r.doc_id,
                 "ask_no": r.ask_no, "attempt": r.attempt} for a, r in zip(answers, requests)])
            self.state.add_answers(answers)

    async def send_one(self, client: ModelClient, slots: asyncio.Semaphore, r: Request) -> dict[str, Any]:
        row: dict[str, Any] = {"custom_id": custom_id(self.run_id, r.doc_id, r.ask_no, r.attempt)}
        async with slots:
            started = time.perf_counter()
            try:
                answer = await client.send(r.messages, r.parts)
            except ExtractionError as exc:
                return row | {"status": "error", "error": str(exc), "latency_s": time.perf_counter() - started}
        body = answer if isinstance(answer, dict) else {"body": answer}  # not JSON: read as no completion
        t_in, t_out, t_cached = usage_of(body)
        return row | {"status": "ok", "response": body, "tokens_in": t_in, "tokens_out": t_out,
                      "tokens_cached": t_cached, "latency_s": time.perf_counter() - started}

    def update_run(self) -> bool:
        """The run's totals from its stored documents; finished when none waits. True when finished."""
        totals = self.state.run_totals(self.run_id)
        if self.state.waiting(self.run_id):
            self.state.update_run(self.run_id, totals)
            return False
        self.summary.status = "failed" if totals["n_failed"] else "ok"
        self.store.finish_run(self.run_id, status=self.summary.status, **totals)
        return True


def open_session(store: Store, run_id: int, api_key: str | None, cache_dir: str | None) -> Session:
    """A run's session rebuilt from the database: the stored profile, genre, cache folder and prompts."""
    state = BatchState(store)
    settings = state.settings(run_id)
    genre = load_genre(settings.genre)
    if genre.name != store.genre.name:
        raise ConfigError(f"Batch run {run_id} is of genre {settings.genre}: set FAZHI_GENRE to it to collect it")
    cache = AnswerCache(Path(cache_dir or settings.cache_dir))
    backend = LLMBackend(genre, ModelClient(settings.profile, api_key or LOCAL_KEY, cache), settings.profile.name)
    if backend.prompt_version() != settings.prompt_version:
        raise ConfigError(f"The prompts changed since batch run {run_id} was submitted ({settings.prompt_version}, "
                          f"now {backend.prompt_version()}): restore them to collect it, or submit again")
    return Session(store, backend, run_id, api_key, settings.started_at)


def next_path(previous: str | None, round_no: int) -> Path:
    """Where a follow-up round of a JSONL batch goes: beside the first round's file."""
    first = Path(previous or "batch.jsonl")
    stem = re.sub(r"\.round\d+$", "", first.stem)
    return first.with_name(f"{stem}.round{round_no}{first.suffix or '.jsonl'}")
