"""The log of model calls: one record per HTTP request (and per cache hit), labelled by document."""

import json
import time
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

CALL_LABELS: ContextVar[dict[str, Any]] = ContextVar("fazhi_call_labels", default={})  # noqa: B039 (never mutated)


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


def usage_from_body(body: bytes) -> tuple[int, int, int]:
    """(prompt, completion, cached prompt) tokens from a chat completion body; zeros if absent."""
    try:
        usage = json.loads(body).get("usage") or {}
    except (ValueError, AttributeError):
        return 0, 0, 0
    details = usage.get("prompt_tokens_details") or {}
    cached = details.get("cached_tokens") or usage.get("prompt_cache_hit_tokens") or 0
    return int(usage.get("prompt_tokens") or 0), int(usage.get("completion_tokens") or 0), int(cached)


class CallLog:
    """Records collect here and are taken per document, to be stored with its result."""

    def __init__(self, model: str, base_url: str) -> None:
        self.model = model
        self.base_url = base_url
        self.records: list[CallRecord] = []

    def add(self, status: str, started: float, **values: Any) -> CallRecord:
        labels = CALL_LABELS.get()
        record = CallRecord(
            labels.get("doc_id"), labels.get("task"), labels.get("chunk"), self.model, self.base_url,
            status, time.perf_counter() - started, cache_key=labels.get("cache_key"), **values,
        )
        self.records.append(record)
        return record

    def take(self, doc_id: str) -> list[CallRecord]:
        mine = [r for r in self.records if r.doc_id == doc_id]
        self.records = [r for r in self.records if r.doc_id != doc_id]
        return mine
