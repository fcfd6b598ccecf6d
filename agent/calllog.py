"""The log of model calls: one record per HTTP request (and per cache hit), kept with its document.

Each document's extraction opens a `CallScope` (its id and the list its records go to) in a context
variable; a task or chunk narrows it with `labelled`. Whatever sends a request (the transport) or
answers from the cache records into the scope in force, so a document's outcome carries exactly its
own calls: nothing is looked up in a shared log afterwards.
"""

import json
import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any


@dataclass
class CallRecord:
    doc_id: str | None
    task: str | None
    chunk: int | None
    model: str
    base_url: str
    status: str
    latency_s: float = 0.0
    tokens_in: int = 0
    tokens_out: int = 0
    tokens_cached: int = 0
    cache_hit: bool = False
    cache_key: str | None = None
    error: str | None = None
    created_at: datetime = field(default_factory=lambda: datetime.now(UTC))


@dataclass(frozen=True)
class CallScope:
    """Where requests belong: the document (and task, chunk, cache key) and the list they go to."""

    doc_id: str | None
    records: list[CallRecord]
    task: str | None = None
    chunk: int | None = None
    cache_key: str | None = None


CALL_SCOPE: ContextVar[CallScope | None] = ContextVar("fazhi_call_scope", default=None)


@contextmanager
def scope(doc_id: str | None, records: list[CallRecord]) -> Iterator[None]:
    token = CALL_SCOPE.set(CallScope(doc_id, records))
    try:
        yield
    finally:
        CALL_SCOPE.reset(token)


@contextmanager
def labelled(**labels: Any) -> Iterator[None]:
    """The scope in force, with task / chunk / cache_key set for what runs inside."""
    current = CALL_SCOPE.get()
    token = CALL_SCOPE.set(replace(current, **labels) if current is not None else None)
    try:
        yield
    finally:
        CALL_SCOPE.reset(token)


def record(model: str, base_url: str, status: str, started: float, **values: Any) -> CallRecord | None:
    """Add a record to the scope in force (none outside an extraction)."""
    current = CALL_SCOPE.get()
    if current is None:
        return None
    entry = CallRecord(current.doc_id, current.task, current.chunk, model, base_url, status,
                       time.perf_counter() - started, cache_key=current.cache_key, **values)
    current.records.append(entry)
    return entry


def usage_from_body(body: bytes) -> tuple[int, int, int]:
    """(prompt, completion, cached prompt) tokens from a chat completion body; zeros if absent."""
    try:
        data = json.loads(body)
    except ValueError:
        return 0, 0, 0
    return usage_of(data)


def usage_of(data: Any) -> tuple[int, int, int]:
    """(prompt, completion, cached prompt) tokens from a chat completion's JSON; zeros if absent."""
    usage = data.get("usage") if isinstance(data, dict) else None
    if not isinstance(usage, dict):
        return 0, 0, 0
    details = usage.get("prompt_tokens_details") or {}
    cached = details.get("cached_tokens") or usage.get("prompt_cache_hit_tokens") or 0
    return int(usage.get("prompt_tokens") or 0), int(usage.get("completion_tokens") or 0), int(cached)
