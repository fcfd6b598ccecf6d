"""Backends turn one document into the genre's result: offline rules, or a model through prompts."""

import asyncio
import inspect
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from agent.cache import content_hash
from agent.calllog import CALL_LABELS, CallRecord
from agent.chunking import Chunk, chunk
from agent.documents import Document
from agent.errors import FazhiError
from agent.genre import Genre, Layout, Part, Task
from agent.grounding import SourceIndex, normalise
from agent.llm import Answer, ModelClient

USER_TEMPLATE = "<document>\n{text}\n</document>"
PART_GAP = "\n……\n"


@dataclass
class Outcome:
    """One document's extraction: the result, or the error that stopped it."""

    doc_id: str
    result: BaseModel | None = None
    error: str | None = None
    attempts: int = 0
    dropped: list[str] = field(default_factory=list)
    latency_s: float = 0.0
    calls: list[CallRecord] = field(default_factory=list)
    crosscheck: dict[str, Any] | None = None
    coverage: dict[str, Any] | None = None

    @property
    def ok(self) -> bool:
        return self.error is None


def schema_hash(genre: Genre) -> str:
    return content_hash(genre.result.model_json_schema())[:12]


class OfflineBackend:
    """The genre's deterministic rules; no model, no network."""

    name = "offline"
    model: str | None = None
    profile_name: str | None = None
    base_url: str | None = None

    def __init__(self, genre: Genre) -> None:
        self.genre = genre

    def prompt_version(self) -> str:
        sources = [Path(inspect.getfile(self.genre.offline)), *self.genre.offline_sources]
        return "rules-" + content_hash([p.read_text(encoding="utf-8") for p in sources])[:12]

    async def extract(self, doc: Document) -> Outcome:
        started = time.perf_counter()
        try:
            result = self.genre.offline(doc.text)
        except Exception as exc:  # a rule bug must not lose the other documents
            return Outcome(doc.doc_id, error=f"offline rules failed: {type(exc).__name__}: {exc}")
        return Outcome(doc.doc_id, result, latency_s=time.perf_counter() - started)

    async def aclose(self) -> None:
        return None


def dedupe(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    seen: set[str] = set()
    unique = []
    for item in sorted(items, key=lambda it: (it.get("start") or 0, it.get("end") or 0)):
        key = content_hash(item)
        if key not in seen:
            seen.add(key)
            unique.append(item)
    return unique


class LLMBackend:
    """Prompts a model per task and chunk; grounds every item to offsets in the document."""

    name = "llm"

    def __init__(self, genre: Genre, client: ModelClient, profile_name: str) -> None:
        self.genre = genre
        self.client = client
        self.model = client.profile.model
        self.base_url = client.profile.base_url
        self.profile_name = profile_name
        self.budget = client.profile.chunk_tokens

    def prompt_version(self) -> str:
        tasks = [[t.name, self.genre.prompt_text(t), t.answer.model_json_schema()] for t in self.genre.tasks]
        return "prompts-" + content_hash(tasks)[:12]

    def messages(self, task: Task, text: str) -> list[dict[str, str]]:
        """Fixed instructions first, the document last, so providers' prefix caches hit."""
        return [{"role": "system", "content": self.genre.prompt_text(task)},
                {"role": "user", "content": USER_TEMPLATE.format(text=text)}]

    async def ask(self, doc: Document, task: Task, index: int, text: str) -> Answer:
        CALL_LABELS.set({"doc_id": doc.doc_id, "task": task.name, "chunk": index})
        return await self.client.ask(self.messages(task, text), task.answer, text)

    def chunks(self, layout: Layout, task: Task) -> list[Chunk]:
        return [c for a, b in task_spans(layout, task) for c in chunk(layout.text, a, b, self.budget)]

    async def run_whole(self, doc: Document, layout: Layout, task: Task) -> tuple[Any, list[Answer]]:
        text = PART_GAP.join(layout.text[a:b].strip() for a, b in task_spans(layout, task, self.genre.frame))
        text = text[: self.budget] or layout.text[: self.budget]
        answer = await self.ask(doc, task, 0, text)
        return answer.value.model_dump(mode="json"), [answer]

    async def run_chunked(self, doc: Document, layout: Layout, task: Task) -> tuple[Any, list[Answer]]:
        pieces = self.chunks(layout, task)
        answers = await asyncio.gather(
            *(self.ask(doc, task, i, layout.text[c.start : c.end]) for i, c in enumerate(pieces)))
        index = SourceIndex(layout.text)
        items = [placed for c, a in zip(pieces, answers) for placed in place(a.value, c, index, layout, doc.text)]
        return dedupe(items), list(answers)

    async def extract(self, doc: Document) -> Outcome:
        started = time.perf_counter()
        limit = self.client.profile.max_doc_chars
        if len(doc.text) > limit:
            return Outcome(doc.doc_id, error=f"{len(doc.text)} characters is over max_doc_chars={limit} for a "
                           "model: raise it in fazhi.toml or FAZHI_MAX_DOC_CHARS, or use --backend offline")
        layout = self.genre.segment(doc.text)
        try:
            runs = await asyncio.gather(*(
                (self.run_chunked if t.chunked else self.run_whole)(doc, layout, t) for t in self.genre.tasks))
        except FazhiError as exc:
            return Outcome(doc.doc_id, error=str(exc), latency_s=time.perf_counter() - started)
        fields = {t.name: value for t, (value, _) in zip(self.genre.tasks, runs)}
        answers = [a for _, task_answers in runs for a in task_answers]
        result = self.genre.result.model_validate(fields)
        return Outcome(doc.doc_id, result, attempts=sum(a.attempts for a in answers),
                       dropped=[d for a in answers for d in a.dropped], latency_s=time.perf_counter() - started,
                       crosscheck=self.check(doc, result), coverage=coverage(layout, self.genre))

    def check(self, doc: Document, result: BaseModel) -> dict[str, Any] | None:
        """The model's result against the genre's offline rules, when the genre can compare them."""
        if self.genre.crosscheck is None:
            return None
        try:
            return self.genre.crosscheck(result, self.genre.offline(doc.text))
        except Exception as exc:  # the check is advice; it never fails a document
            return {"error": f"{type(exc).__name__}: {exc}"}

    async def aclose(self) -> None:
        await self.client.aclose()


def place(answer: BaseModel, piece: Chunk, index: SourceIndex, layout: Layout, stored: str) -> list[dict[str, Any]]:
    """The answer's items, found inside their chunk of the reading, with `start`/`end` offsets into the
    stored text and their evidence cut from it. An item repeating an earlier one's quote and numbers
    (the same clause twice in the text) is placed at the quote's next occurrence."""
    placed, seen = [], Counter[tuple[Any, ...]]()
    for item in getattr(answer, "items", []):
        key = (normalise(item.evidence), *sorted((k, v) for k, v in item if isinstance(v, int | float)))
        span = occurrence(index, item.evidence, piece, seen[key]) or occurrence(index, item.evidence, piece, 0)
        seen[key] += 1
        if span is None:
            continue
        start, end = layout.raw_span(*span)
        placed.append(item.model_dump(mode="json") | {"evidence": stored[start:end], "start": start, "end": end})
    return placed


def occurrence(index: SourceIndex, quote: str, piece: Chunk, nth: int) -> tuple[int, int] | None:
    """The `nth` occurrence (from 0) of `quote` inside the chunk."""
    after = piece.start
    for _ in range(nth + 1):
        span = index.locate(quote, after)
        if span is None or span[1] > piece.end:
            return None
        after = span[0] + 1
    return span


def task_spans(layout: Layout, task: Task, frame: tuple[str, ...] = ()) -> list[tuple[int, int]]:
    """What a task reads: its parts, or its fallback parts when the document has none of them, and
    the first `lead` characters of the body."""
    spans = layout.spans(task.parts) or layout.spans(task.fallback)
    body = [p for p in layout.parts if p.kind not in frame]
    if not task.lead or not body:
        return spans
    lead = (body[0].start, min(body[0].start + task.lead, body[-1].end))
    return Layout(layout.text, [Part("lead", *span) for span in sorted([*spans, lead])], layout.raw_span).spans(
        ("lead",))


def coverage(layout: Layout, genre: Genre) -> dict[str, Any]:
    """Which parts were found (characters of each kind), and for each chunked task the share of the
    body's characters it was sent, with the kinds of the body it was not sent (the reason)."""
    found: dict[str, int] = {}
    for part in layout.parts:
        found[part.kind] = found.get(part.kind, 0) + part.end - part.start
    body = {k: n for k, n in found.items() if k not in genre.frame}
    total = sum(body.values())
    tasks = {}
    for task in genre.tasks:
        if task.chunked:
            kinds = set(task.parts if layout.spans(task.parts) else task.fallback)
            sent = sum(n for k, n in body.items() if k in kinds)
            tasks[task.name] = {"share": round(sent / total, 4) if total else 1.0,
                                "not_sent": {k: n for k, n in body.items() if k not in kinds}}
    return {"parts": found, "tasks": tasks}
