"""A run: extract every document that needs it, store each result as soon as it is done."""

import asyncio
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from agent.backends import Backend, Outcome, schema_hash
from agent.calllog import CallRecord
from agent.documents import Document, Rejected
from agent.store import Store


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

    @property
    def ok(self) -> bool:
        return not self.failures and not self.rejected


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
    """Runs one backend over documents, writing to the store as each document finishes."""

    def __init__(self, store: Store, backend: Backend, concurrency: int = 4) -> None:
        self.store = store
        self.backend = backend
        self.in_flight = asyncio.Semaphore(max(concurrency, 1) * 2)
        self.version = backend.prompt_version()

    def start(self, docs: list[Document], kind: str = "extract") -> RunSummary:
        b = self.backend
        run_id = self.store.start_run(
            kind=kind, backend=b.name, profile=b.profile_name, model=b.model, base_url=b.base_url,
            prompt_version=self.version, schema_hash=schema_hash(self.store.genre), n_docs=len(docs))
        return RunSummary(run_id, b.name, b.model, self.version, documents=len(docs))

    def pending(self, docs: list[Document], force: bool) -> list[Document]:
        if force:
            return docs
        done = self.store.done_documents(self.backend.name, self.backend.model, self.version)
        return [d for d in docs if d.doc_id not in done]

    async def _one(self, doc: Document) -> Outcome:
        async with self.in_flight:
            try:
                return await self.backend.extract(doc)
            except Exception as exc:  # one document's failure never loses the others
                return Outcome(doc.doc_id, error=f"{type(exc).__name__}: {exc}")

    def cost(self, totals: dict[str, int]) -> float:
        return self.backend.cost(totals["tokens_in"], totals["tokens_cached"], totals["tokens_out"])

    def save(self, summary: RunSummary, outcome: Outcome) -> None:
        calls = outcome.calls
        totals = call_totals(calls)
        result = outcome.result.model_dump(mode="json") if outcome.result is not None else None
        record = {
            "run_id": summary.run_id, "doc_id": outcome.doc_id, "backend": self.backend.name,
            "model": self.backend.model, "prompt_version": self.version,
            "status": "ok" if outcome.ok else "failed", "error": outcome.error, "attempts": outcome.attempts,
            **totals, "cost_usd": self.cost(totals), "latency_s": outcome.latency_s,
            "n_items": sum(item_counts(result).values()), "n_dropped": len(outcome.dropped),
            "dropped": json.dumps(outcome.dropped, ensure_ascii=False),
            "result": json.dumps(result, ensure_ascii=False) if result else None,
            "crosscheck": json.dumps(outcome.crosscheck, ensure_ascii=False) if outcome.crosscheck else None,
            "coverage": json.dumps(outcome.coverage, ensure_ascii=False) if outcome.coverage else None,
        }
        self.store.save_extraction(record, result, calls)
        tally(summary, outcome, totals, result, record["cost_usd"])

    async def run(self, summary: RunSummary, docs: list[Document], on_done: Callable[[Outcome], None]) -> None:
        tasks = [asyncio.create_task(self._one(d)) for d in docs]
        try:
            for next_done in asyncio.as_completed(tasks):
                outcome = await next_done
                self.save(summary, outcome)
                on_done(outcome)
        finally:
            for task in tasks:
                task.cancel()

    def finish(self, summary: RunSummary, status: str) -> None:
        self.store.finish_run(
            summary.run_id, status=status, n_done=summary.done, n_failed=summary.failed, n_skipped=summary.skipped,
            requests=summary.requests, cache_hits=summary.cache_hits, tokens_in=summary.tokens_in,
            tokens_out=summary.tokens_out, tokens_cached=summary.tokens_cached, cost_usd=summary.cost_usd)


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
