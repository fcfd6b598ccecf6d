"""Backends turn one document into the genre's result: offline rules, or a model through prompts.

Every backend has the shape of `Backend`; what a run needs to store (the result, the calls made and
their usage) travels in the `Outcome`, so a run never looks inside a backend.
"""

import asyncio
import inspect
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from fazhi.agent.cache import LayoutMemo, canonical_json, content_hash
from fazhi.agent.calllog import CallRecord, labelled, scope
from fazhi.agent.checks import Parts
from fazhi.agent.chunking import Chunk, chunk, estimate_tokens, split_chunk
from fazhi.agent.conversation import Answer, Truncated
from fazhi.agent.documents import Document
from fazhi.agent.errors import ExtractionError, FazhiError, ProviderUnusable
from fazhi.agent.genre import Genre, Layout, Part, Task
from fazhi.agent.grounding import SourceIndex, normalise, source_index
from fazhi.agent.llm import ModelClient
from fazhi.agent.pacing import message_units
from pydantic import BaseModel

USER_TEMPLATE = "<document>\n{text}\n</document>"
COMBINED = ("Do all of the tasks above for the text: answer with one JSON object holding each task's key "
            "({keys}), each as its task says.")
ANSWER_PER_TEXT = 1.5
CONTEXT_TEMPLATE = "<context>{context}</context>\n"
PART_GAP = "\n……\n"
MIN_SPLIT_CHARS = 400  # an answer cut at the output limit splits its text in two down to this size
INLINE_SEGMENT_CHARS = 20_000  # a shorter document is segmented in the event loop (about a millisecond): a
# thread would cost more than that, and its hold on the GIL would stall the loop's other work


@dataclass
class Outcome:
    """One document's extraction: the result, or the error that stopped it, and the calls it made."""

    doc_id: str
    result: BaseModel | None = None
    error: str | None = None
    attempts: int = 0
    dropped: list[str] = field(default_factory=list)
    latency_s: float = 0.0
    calls: list[CallRecord] = field(default_factory=list)
    crosscheck: dict[str, Any] | None = None
    coverage: dict[str, Any] | None = None
    unusable: bool = False  # the error would fail every other document too (agent.errors.ProviderUnusable)

    @property
    def ok(self) -> bool:
        return self.error is None


class Backend(Protocol):
    """What a run needs of a backend (read-only attributes, so a narrower type satisfies them)."""

    @property
    def name(self) -> str: ...
    @property
    def model(self) -> str | None: ...
    @property
    def profile_name(self) -> str | None: ...
    @property
    def base_url(self) -> str | None: ...
    @property
    def concurrency(self) -> int: ...
    @property
    def max_doc_tokens(self) -> int | None: ...

    def prompt_version(self) -> str: ...

    def cost(self, tokens_in: int, tokens_cached: int, tokens_out: int) -> float: ...

    async def extract(self, doc: Document) -> Outcome: ...

    async def aclose(self) -> None: ...


def schema_hash(genre: Genre) -> str:
    return content_hash(genre.result.model_json_schema())[:12]


def rules_version(genre: Genre) -> str:
    """The hash of the genre's rules (they read and segment every document, for every backend)."""
    sources = [Path(inspect.getfile(genre.offline)), *genre.offline_sources]
    return content_hash([p.read_text(encoding="utf-8") for p in sources])


class OfflineBackend:
    """The genre's deterministic rules; no model, no network."""

    name = "offline"
    model: str | None = None
    profile_name: str | None = None
    base_url: str | None = None
    concurrency = 1
    max_doc_tokens: int | None = None

    def __init__(self, genre: Genre) -> None:
        self.genre = genre

    def prompt_version(self) -> str:
        return "rules-" + rules_version(self.genre)[:12]

    def cost(self, tokens_in: int, tokens_cached: int, tokens_out: int) -> float:
        return 0.0

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
    """The items in text order, each equal one (the same item from overlapping chunks) once."""
    seen: set[str] = set()
    unique = []
    for item in sorted(items, key=lambda it: (it.get("start") or 0, it.get("end") or 0)):
        key = canonical_json(item)  # the JSON itself: hashing it cost more than comparing it
        if key not in seen:
            seen.add(key)
            unique.append(item)
    return unique


@dataclass(frozen=True)
class Piece:
    """What one request sends: stretches of the layout's text, joined by PART_GAP."""

    spans: tuple[tuple[int, int], ...]

    def text(self, layout: Layout) -> str:
        return PART_GAP.join(layout.text[a:b] for a, b in self.spans)

    def to_layout(self, pos: int) -> int:
        """The layout offset of the sent text's character at `pos`."""
        for a, b in self.spans:
            if pos < b - a:
                return a + pos
            pos -= b - a + len(PART_GAP)
        return self.spans[-1][1]

    def halves(self, layout: Layout) -> tuple["Piece", "Piece"] | None:
        if len(self.spans) != 1:
            return None
        split = split_chunk(layout.text, Chunk(*self.spans[0]))
        return None if split is None else (Piece(((split[0].start, split[0].end),)),
                                           Piece(((split[1].start, split[1].end),)))


@dataclass(frozen=True)
class Ask:
    """One request: the tasks it asks (several when their text fits one request) and what it sends."""

    tasks: tuple[Task, ...]
    piece: Piece
    index: int = 0
    partial: bool = False  # one of several pieces of a task's text: it carries its context


@dataclass
class DocumentRun:
    """One document on the model path: its layout, its calls, and whether a request has failed (then
    no new request starts; those in flight finish, and are cached and logged)."""

    doc: Document
    layout: Layout
    calls: list[CallRecord] = field(default_factory=list)
    failed: bool = False
    answers: list[Answer] = field(default_factory=list)
    values: dict[str, Any] = field(default_factory=dict)  # flat tasks' answers
    items: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # item tasks' placed items


class LLMBackend:
    """Prompts a model for the genre's tasks, several in one request when their text fits; grounds every
    item to offsets in the document."""

    name = "llm"

    def __init__(self, genre: Genre, client: "ModelClient", profile_name: str) -> None:
        self.genre = genre
        self.client = client
        self.model = client.profile.model
        self.base_url = client.base_url  # without credentials: it is stored
        self.profile_name = profile_name
        self.concurrency = client.profile.concurrency
        self.max_doc_tokens = client.profile.max_doc_tokens
        self.budget = request_budget(client.profile.chunk_tokens, client.profile.max_tokens)
        self.prompts = {t.name: self.genre.prompt_text(t) for t in genre.tasks}
        self.shared = self.genre.prompt_text(None)
        self.layouts = LayoutMemo(client.cache.root, genre.layout_codec, rules_version(genre)) if (
            client.cache and genre.layout_codec) else None

    def prompt_version(self) -> str:
        tasks = [[t.name, self.prompts[t.name], t.answer.model_json_schema()] for t in self.genre.tasks]
        return "prompts-" + content_hash([tasks, COMBINED])[:12]

    def cost(self, tokens_in: int, tokens_cached: int, tokens_out: int) -> float:
        return self.client.profile.cost(tokens_in, tokens_cached, tokens_out)

    def system(self, tasks: tuple[Task, ...]) -> str:
        """The shared instructions, then each task's (one fixed prefix for every request)."""
        if len(tasks) == 1:
            return self.prompts[tasks[0].name]
        sections = [self.prompts[t.name][len(self.shared):].strip() for t in tasks]
        keys = ", ".join(f'"{t.name}"' for t in tasks)
        return "\n".join([self.shared, *sections, COMBINED.format(keys=keys)])

    def messages(self, ask: Ask, text: str, context: str = "") -> list[dict[str, str]]:
        """Fixed instructions first, the document last, so providers' prefix caches hit."""
        user = (CONTEXT_TEMPLATE.format(context=context) if context else "") + USER_TEMPLATE.format(text=text)
        return [{"role": "system", "content": self.system(ask.tasks)}, {"role": "user", "content": user}]

    def plan(self, layout: Layout, tasks: tuple[Task, ...] | None = None) -> list[Ask]:
        """The tasks' texts in one request when they fit the budget; else the task with the most text on
        its own (in chunks) and the others planned again: fewer, larger requests."""
        tasks = self.genre.tasks if tasks is None else tasks
        spans = {t.name: task_spans(layout, t, self.genre.frame) for t in tasks}
        everything = merged([s for t in tasks for s in spans[t.name]])
        if len(tasks) == 1 or fits(layout, everything, self.budget):
            return self.alone(layout, tasks[0]) if len(tasks) == 1 else [Ask(tasks, Piece(tuple(everything)))]
        largest = max(tasks, key=lambda t: sum(estimate_tokens(layout.text[a:b]) for a, b in spans[t.name]))
        return [*self.alone(layout, largest), *self.plan(layout, tuple(t for t in tasks if t is not largest))]

    def alone(self, layout: Layout, task: Task) -> list[Ask]:
        """A task's own requests: its text in chunks (items), or its beginning within the budget."""
        spans = task_spans(layout, task, self.genre.frame)
        if not task.chunked:
            return [Ask((task,), Piece(tuple(trimmed(layout, spans, self.budget))))]
        pieces = [c for a, b in spans for c in chunk(layout.text, a, b, self.budget)]
        return [Ask((task,), Piece(((c.start, c.end),)), k, len(pieces) > 1) for k, c in enumerate(pieces)]

    def request(self, run: DocumentRun, ask: Ask) -> tuple[list[dict[str, str]], Parts, str]:
        """What an ask sends: its messages, the tasks' answer models, and the text its quotes must be in."""
        text = ask.piece.text(run.layout)
        context = run.layout.context(ask.piece.spans[0][0]) if ask.partial else ""
        return self.messages(ask, text, context), {t.name: t.answer for t in ask.tasks}, text

    def absorb(self, run: DocumentRun, ask: Ask, answers: dict[str, Answer]) -> None:
        """An ask's answers into the run: flat answers as they are, items placed in the stored text."""
        run.answers += list(answers.values())
        for task in ask.tasks:
            value = answers[task.name].value
            if task.chunked:
                run.items.setdefault(task.name, []).extend(place(value, ask.piece, run.layout, run.doc.text))
            else:
                run.values[task.name] = value.model_dump(mode="json")

    async def run_ask(self, run: DocumentRun, ask: Ask) -> None:
        """One request's answers stored in the run; an answer cut at the output limit asks again for each
        task on its own, then for each half of its text."""
        if run.failed:
            raise ExtractionError("another request of this document failed")
        messages, parts, text = self.request(run, ask)
        try:
            with labelled(task="+".join(parts), chunk=ask.index):
                answers = await self.client.ask(messages, parts, text)
        except Truncated:
            self.learn_limit(run.layout, ask)
            await asyncio.gather(*(self.run_ask(run, smaller) for smaller in self.smaller(run.layout, ask)))
            return
        self.absorb(run, ask, answers)

    def learn_limit(self, layout: Layout, ask: Ask) -> None:
        """An answer cut at the output limit: later requests send at most half as much text."""
        sent = sum(estimate_tokens(layout.text[a:b]) for a, b in ask.piece.spans)
        self.budget = max(MIN_SPLIT_CHARS, min(self.budget, sent // 2))

    def smaller(self, layout: Layout, ask: Ask) -> list[Ask]:
        if len(ask.tasks) > 1:
            return [a for t in ask.tasks for a in self.alone(layout, t)]  # each task on its own
        halves = ask.piece.halves(layout)
        size = sum(b - a for a, b in ask.piece.spans)
        if halves is None or size < MIN_SPLIT_CHARS:
            raise Truncated(f"the {ask.tasks[0].name} answer was cut at the output limit even for {size} "
                            "characters: raise max_tokens")
        return [Ask(ask.tasks, half, ask.index, partial=True) for half in halves]

    def too_long(self, doc: Document) -> Outcome | None:
        limit = self.client.profile.max_doc_chars
        if len(doc.text) <= limit:
            return None
        return Outcome(doc.doc_id, error=f"{len(doc.text)} characters is over max_doc_chars={limit} for a "
                       "model: raise it in fazhi.toml or FAZHI_MAX_DOC_CHARS, or use --backend offline")

    async def extract(self, doc: Document) -> Outcome:
        started = time.perf_counter()
        if (refused := self.too_long(doc)) is not None:
            return refused
        run = DocumentRun(doc, await self.segment(doc.text))
        asks = self.plan(run.layout)
        if (over := self.over_budget(run, asks)) is not None:
            return over
        with scope(doc.doc_id, run.calls):
            results = await asyncio.gather(*(self.guarded(run, a) for a in asks), return_exceptions=True)
        errors = [r for r in results if isinstance(r, BaseException)]
        outcome = self.outcome(run, errors, time.perf_counter() - started)
        if outcome.ok and outcome.result is not None and self.client.profile.crosscheck:
            outcome.crosscheck = await asyncio.to_thread(self.check, doc, outcome.result)
        return outcome

    async def segment(self, text: str) -> Layout:
        """The document's layout (kept beside the cached answers when the genre can write it down); a long
        one is read in a thread, so that requests in flight are not held up."""
        key = self.layouts.key(text) if self.layouts else ""
        if self.layouts and (kept := self.layouts.get(key, text)):
            return kept
        layout = self.genre.segment(text) if len(text) < INLINE_SEGMENT_CHARS else (
            await asyncio.to_thread(self.genre.segment, text))
        if self.layouts:
            self.layouts.put(key, layout)
        return layout

    def over_budget(self, run: DocumentRun, asks: list[Ask]) -> Outcome | None:
        """A document whose requests are estimated over the per-document token budget fails unasked."""
        limit = self.max_doc_tokens
        if limit is None:
            return None
        pacer = self.client.pacer
        tokens = sum(pacer.estimate(message_units(self.request(run, ask)[0])) for ask in asks)
        if tokens <= limit:
            return None
        return Outcome(run.doc.doc_id, error=f"estimated {tokens:,} prompt tokens, over the per-document token "
                       f"budget max_doc_tokens={limit:,}: raise it in fazhi.toml or FAZHI_MAX_DOC_TOKENS, or use "
                       "--backend offline", coverage=coverage(run.layout, self.genre))

    def outcome(self, run: DocumentRun, errors: list[BaseException], latency_s: float) -> Outcome:
        """A document's outcome from its run: the result assembled, or the first error."""
        outcome = Outcome(run.doc.doc_id, calls=run.calls, attempts=sum(a.attempts for a in run.answers),
                          dropped=[d for a in run.answers for d in a.dropped], latency_s=latency_s,
                          coverage=coverage(run.layout, self.genre))
        if errors:
            outcome.error = str(errors[0]) if isinstance(errors[0], FazhiError) else (
                f"{type(errors[0]).__name__}: {errors[0]}")
            outcome.unusable = isinstance(errors[0], ProviderUnusable)
            return outcome
        fields = {t.name: dedupe(run.items.get(t.name, [])) if t.chunked else run.values.get(t.name, {})
                  for t in self.genre.tasks}
        outcome.result = self.genre.result.model_validate(fields)
        return outcome

    async def guarded(self, run: DocumentRun, ask: Ask) -> None:
        """Run a request; its failure stops the document's other requests from starting."""
        try:
            await self.run_ask(run, ask)
        except BaseException:
            run.failed = True
            raise

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
        self.close_caches()

    def close_caches(self) -> None:
        """The answers' and layouts' cache file closed (it opens again when used)."""
        for cache in (self.client.cache, self.layouts.cache if self.layouts else None):
            if cache is not None:
                cache.close()


def request_budget(chunk_tokens: int, max_tokens: int | None) -> int:
    """Tokens of text one request may send: the profile's chunk size, and no more than an answer cut
    at `max_tokens` can cover (a busy report's answer runs to ANSWER_PER_TEXT tokens per token read)."""
    return min(chunk_tokens, int(max_tokens / ANSWER_PER_TEXT)) if max_tokens else chunk_tokens


def merged(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    out: list[tuple[int, int]] = []
    for a, b in sorted(spans):
        if out and a <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], b))
        else:
            out.append((a, b))
    return out


def fits(layout: Layout, spans: list[tuple[int, int]], budget: int) -> bool:
    return bool(spans) and sum(estimate_tokens(layout.text[a:b]) for a, b in spans) <= budget


def trimmed(layout: Layout, spans: list[tuple[int, int]], budget: int) -> list[tuple[int, int]]:
    """The spans cut to the budget (a flat task reads the beginning of what is long)."""
    out, left = [], budget
    for a, b in spans:
        if left <= 0:
            break
        end = min(b, a + left)
        out.append((a, end))
        left -= estimate_tokens(layout.text[a:end])
    return out or [(0, min(len(layout.text), budget))]


def place(answer: BaseModel, piece: Piece, layout: Layout, stored: str) -> list[dict[str, Any]]:
    """The answer's items, found in the text sent, with `start`/`end` offsets into the stored text and
    their evidence cut from it. An item repeating an earlier one's quote and numbers (the same clause
    twice in the text) is placed at the quote's next occurrence."""
    index = source_index(piece.text(layout))
    placed, seen = [], Counter[tuple[Any, ...]]()
    for item in getattr(answer, "items", []):
        key = (normalise(item.evidence), *sorted((k, v) for k, v in vars(item).items() if isinstance(v, int | float)))
        span = occurrence(index, item.evidence, seen[key]) or occurrence(index, item.evidence, 0)
        seen[key] += 1
        if span is None:
            continue
        start, end = layout.raw_span(piece.to_layout(span[0]), piece.to_layout(span[1] - 1) + 1)
        placed.append(item.model_dump(mode="json") | {"evidence": stored[start:end], "start": start, "end": end})
    return placed


def occurrence(index: SourceIndex, quote: str, nth: int) -> tuple[int, int] | None:
    """The `nth` occurrence (from 0) of `quote`."""
    after, span = 0, None
    for _ in range(nth + 1):
        span = index.locate(quote, after)
        if span is None:
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
