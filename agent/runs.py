"""A run: extract every document that needs it, store each result as soon as it is done."""

import asyncio
import gc
import json
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from fazhi.agent.backends import Backend, Outcome, schema_hash
from fazhi.agent.calllog import CallRecord
from fazhi.agent.documents import Document, Rejected
from fazhi.agent.genre import Genre
from fazhi.agent.store import Store

FLUSH_SECONDS = 5.0  # each batch opens the database and checkpoints it on close (about 0.1 s of CPU)
FLUSH_SIZE = 500
YOUNG_COLLECTION_EVERY = 10_000  # objects allocated (net) between the collector's young collections in a run
UNUSABLE_IN_A_ROW = 3  # documents failed in a row on a refused key, an unknown model or no server: start no more


@dataclass
class RunSummary:
    run_id: int
    backend: str
    model: str | None
    prompt_version: str
    documents: int = 0
    done: int = 0
    failed: int = 0
    skipped: int = 0
    items: dict[str, int] = field(default_factory=dict)
    dropped: int = 0
    requests: int = 0
    cache_hits: int = 0
    tokens_in: int = 0
    tokens_out: int = 0
    tokens_cached: int = 0
    cost_usd: float = 0.0
    failures: list[tuple[str, str]] = field(default_factory=list)
    rejected: list[Rejected] = field(default_factory=list)
    paths: dict[str, str] = field(default_factory=dict)  # doc_id → the first file it was read from
    db: str = ""  # the database the results went to
    status: str = "running"  # ok | failed | interrupted when the run is over
    unstarted: int = 0  # documents not started: the run's cost budget was reached, or the provider is unusable
    stopped_by: str | None = None  # why they were not
    stop_advice: str = ""  # what to do about it

    @property
    def ok(self) -> bool:
        return not self.failures and not self.rejected and self.status != "interrupted"

    def name_of(self, doc_id: str) -> str:
        """The file a document was read from (its id when unknown)."""
        return self.paths.get(doc_id, doc_id)


def call_totals(calls: list[CallRecord]) -> dict[str, int]:
    fresh = [c for c in calls if not c.cache_hit]
    return {
        "requests": len(fresh), "cache_hits": sum(c.cache_hit for c in calls),
        "tokens_in": sum(c.tokens_in for c in fresh), "tokens_out": sum(c.tokens_out for c in fresh),
        "tokens_cached": sum(c.tokens_cached for c in fresh),
    }


def item_counts(result: dict[str, Any] | None) -> dict[str, int]:
    return {k: len(v) for k, v in (result or {}).items() if isinstance(v, list)}


class Runner:
    """Runs one backend over documents, storing results a batch at a time (at most FLUSH_SECONDS or
    FLUSH_SIZE documents late); the database is opened for each batch only, so it can be queried
    while a long run waits on a model. Given an open `Store` instead of a path (a short command that
    holds the database anyway, e.g. `fazhi batch collect`), it writes through that one; its writes
    must then not be made inside another open transaction of that store."""

    def __init__(self, db: str | Store, genre: Genre, backend: Backend, concurrency: int = 4,
                 max_cost: float | None = None) -> None:
        self.max_cost = max_cost  # USD: no new document starts once the run's cost reaches it
        self.unusable_in_a_row = 0  # documents failed in a row on an error every request would meet
        self.stop: tuple[str, str] | None = None  # why no new document starts, and what to do about it
        self.held = db if isinstance(db, Store) else None
        self.db_path = db.path if isinstance(db, Store) else db
        self.genre = genre
        self.backend = backend
        self.in_flight = asyncio.Semaphore(max(concurrency, 1) * 2)
        self.version = backend.prompt_version()
        self.pending_saves: list[tuple[dict[str, Any], dict[str, Any] | None, list[CallRecord]]] = []
        self.flushed_at = time.monotonic()

    @contextmanager
    def store(self) -> Iterator[Store]:
        if self.held is not None:
            yield self.held
            return
        with Store(self.db_path, self.genre) as store:
            yield store

    @contextmanager
    def holding(self, hold: bool) -> Iterator[None]:
        """With `hold`, one opening of the database for the rest of the run instead of one a batch."""
        if not hold or self.held is not None:
            yield
            return
        with Store(self.db_path, self.genre) as self.held:
            try:
                yield
            finally:
                self.held = None

    def start(self, docs: list[Document], force: bool, kind: str = "extract") -> tuple[RunSummary, list[Document]]:
        """A new run (`kind`: extract, batch), and the documents it has to extract (all, with force)."""
        b = self.backend
        with self.store() as store:
            store.mark_interrupted()
            with store.transaction():  # a disk that refuses the write is a one-line error
                run_id = store.start_run(
                    kind=kind, backend=b.name, profile=b.profile_name, model=b.model, base_url=b.base_url,
                    prompt_version=self.version, schema_hash=schema_hash(self.genre), n_docs=len(docs),
                    max_cost=self.max_cost, max_doc_tokens=b.max_doc_tokens)
            done = set() if force else store.done_documents(b.name, b.model, self.version)
        summary = RunSummary(run_id, b.name, b.model, self.version, documents=len(docs), db=self.db_path)
        todo = [d for d in docs if d.doc_id not in done]
        summary.skipped = len(docs) - len(todo)
        summary.paths = {d.doc_id: d.paths[0] for d in docs if d.paths}
        return summary, todo

    async def _one(self, doc: Document, summary: RunSummary) -> Outcome | None:
        async with self.in_flight:
            if self.max_cost is not None and summary.cost_usd >= self.max_cost:
                self.stop = (f"the cost budget --max-cost {self.max_cost:g} USD was reached",
                             "run again, with a higher --max-cost, to do them")
            if self.stop is not None:
                return None  # not started
            try:
                return await self.backend.extract(doc)
            except Exception as exc:  # one document's failure never loses the others
                return Outcome(doc.doc_id, error=f"{type(exc).__name__}: {exc}")

    def cost(self, totals: dict[str, int]) -> float:
        return self.backend.cost(totals["tokens_in"], totals["tokens_cached"], totals["tokens_out"])

    def save(self, summary: RunSummary, outcome: Outcome) -> None:
        """Count the outcome and queue it for the next batch written."""
        totals = call_totals(outcome.calls)
        result = outcome.result.model_dump(mode="json") if outcome.result is not None else None
        cost = self.cost(totals)
        record = {
            "run_id": summary.run_id, "doc_id": outcome.doc_id, "backend": self.backend.name,
            "model": self.backend.model, "prompt_version": self.version,
            "status": "ok" if outcome.ok else "failed", "error": outcome.error, "attempts": outcome.attempts,
            **totals, "cost_usd": cost, "latency_s": outcome.latency_s,
            "n_items": sum(item_counts(result).values()), "n_dropped": len(outcome.dropped),
            "dropped": json.dumps(outcome.dropped, ensure_ascii=False),
            "result": json.dumps(result, ensure_ascii=False) if result else None,
            "crosscheck": json.dumps(outcome.crosscheck, ensure_ascii=False) if outcome.crosscheck else None,
            "coverage": json.dumps(outcome.coverage, ensure_ascii=False) if outcome.coverage else None,
        }
        self.pending_saves.append((record, result, outcome.calls))
        tally(summary, outcome, totals, result, cost)

    def flush(self, due_only: bool = False) -> None:
        """Write the queued outcomes in one transaction (when due: enough of them, or time enough)."""
        due = len(self.pending_saves) >= FLUSH_SIZE or time.monotonic() - self.flushed_at >= FLUSH_SECONDS
        if not self.pending_saves or (due_only and not due):
            return
        with self.store() as store:
            self.write_pending(store)

    def write_pending(self, store: Store) -> None:
        if self.pending_saves:
            store.save_extractions(self.pending_saves)
        self.pending_saves = []
        self.flushed_at = time.monotonic()

    async def run(self, summary: RunSummary, docs: list[Document], on_done: Callable[[Outcome], None]) -> None:
        tasks = [asyncio.create_task(self._one(d, summary)) for d in docs]
        flusher = asyncio.create_task(self.flush_every())
        try:
            for next_done in asyncio.as_completed(tasks):
                if (outcome := await next_done) is None:
                    summary.unstarted += 1
                    summary.stopped_by, summary.stop_advice = self.stop or ("", "")
                    continue
                self.watch(outcome)
                self.save(summary, outcome)
                on_done(outcome)
                self.flush(due_only=True)
        finally:
            for task in [*tasks, flusher]:
                task.cancel()
            await asyncio.gather(*tasks, flusher, return_exceptions=True)

    def watch(self, outcome: Outcome) -> None:
        """After UNUSABLE_IN_A_ROW documents failed in a row on an error that every request would meet (a
        refused key, no such model, nobody at the base URL), start no more: each would fail the same way,
        after its retries (1,000 documents at a wrong --base-url took over 6 minutes to fail one by one)."""
        self.unusable_in_a_row = self.unusable_in_a_row + 1 if outcome.unusable else 0
        if self.unusable_in_a_row >= UNUSABLE_IN_A_ROW and self.stop is None:
            self.stop = (f"{self.unusable_in_a_row} documents in a row failed on an error every request would "
                         f"meet: {outcome.error}", "fix that, then run the same command again to do them")

    async def flush_every(self) -> None:
        """Results are stored within FLUSH_SECONDS even while the next document takes its time."""
        while True:
            await asyncio.sleep(FLUSH_SECONDS)
            self.flush()

    def finish(self, summary: RunSummary, status: str) -> None:
        """Write what is queued and close the run with its totals (the database opened once for both)."""
        summary.status = status
        with self.store() as store:
            self.write_pending(store)
            store.finish_run(
                summary.run_id, status=status, n_done=summary.done, n_failed=summary.failed,
                n_skipped=summary.skipped, requests=summary.requests, cache_hits=summary.cache_hits,
                tokens_in=summary.tokens_in, tokens_out=summary.tokens_out, tokens_cached=summary.tokens_cached,
                cost_usd=summary.cost_usd, n_unstarted=summary.unstarted, stopped_by=summary.stopped_by)


@contextmanager
def fewer_collections() -> Iterator[None]:
    """The cyclic garbage collector's young collections every YOUNG_COLLECTION_EVERY allocations instead of
    Python's 700, for the run, then as they were. A run's objects are mostly freed by their reference
    counts, but each young collection scans what is alive, and the survivors promoted bring on full
    collections (about 70 ms each with openai loaded): collections took 0.42 s of 1,000 documents' CPU at
    700, 0.20 s at 10,000 (gc.callbacks, evals/cpu.py)."""
    before = gc.get_threshold()
    gc.set_threshold(YOUNG_COLLECTION_EVERY, *before[1:])
    try:
        yield
    finally:
        gc.set_threshold(*before)


def tally(summary: RunSummary, outcome: Outcome, totals: dict[str, int], result: dict | None, cost: float) -> None:
    if outcome.ok:
        summary.done += 1
    else:
        summary.failed += 1
        summary.failures.append((outcome.doc_id, outcome.error or "unknown error"))
    for name, count in item_counts(result).items():
        summary.items[name] = summary.items.get(name, 0) + count
    summary.dropped += len(outcome.dropped)
    for key, value in totals.items():
        setattr(summary, key, getattr(summary, key) + value)
    summary.cost_usd += cost
