"""A document's progress on the batch path, rebuilt from what is stored: each ask's conversation is fed
the answers read so far (the same `Conversation` the live client drives), so any process can tell what
the document needs next (a request: a first one, a re-ask, or the halves of a cut answer) or that it
is done (its `Outcome`, assembled as the live path assembles it).
"""

from dataclasses import dataclass, field
from typing import Any

from fazhi.agent.backends import Ask, DocumentRun, LLMBackend, Outcome, Piece
from fazhi.agent.batch.state import Reply
from fazhi.agent.calllog import CallRecord
from fazhi.agent.checks import Parts
from fazhi.agent.conversation import Answer, Conversation, Messages, Truncated, cached_entry, replayed
from fazhi.agent.documents import Document
from fazhi.agent.errors import ExtractionError
from fazhi.agent.genre import Genre, Layout


@dataclass
class AskRow:
    """One of a document's asks: its number, the ask it halves (a cut answer), and its first request's
    cache key (the live path's)."""

    no: int
    ask: Ask
    parent: int | None
    key: str


@dataclass
class Request:
    """A request a document needs next."""

    doc_id: str
    ask_no: int
    attempt: int
    messages: Messages
    parts: Parts


@dataclass
class Step:
    """A document after a replay: its outcome when done (stored, ok or failed); else the requests it
    needs. Asks newly split from a cut answer, and the answers to cache, either way."""

    doc_id: str
    outcome: Outcome | None = None
    requests: list[Request] = field(default_factory=list)
    asks: list[AskRow] = field(default_factory=list)
    entries: dict[str, dict[str, Any]] = field(default_factory=dict)
    in_flight: bool = False


def ask_json(ask: Ask) -> dict[str, Any]:
    return {"tasks": [t.name for t in ask.tasks], "spans": [list(s) for s in ask.piece.spans], "index": ask.index,
            "partial": ask.partial}


def ask_from(data: dict[str, Any], genre: Genre) -> Ask:
    tasks = {t.name: t for t in genre.tasks}
    return Ask(tuple(tasks[name] for name in data["tasks"]), Piece(tuple((a, b) for a, b in data["spans"])),
               data["index"], data["partial"])


def ask_key(backend: LLMBackend, run: DocumentRun, ask: Ask) -> str:
    """The cache key of an ask's first request: the key the live path caches its answers under."""
    messages, parts, _ = backend.request(run, ask)
    return backend.client.cache_key(messages, parts)


class DocReplay:
    """Replays one document's asks against its stored answers."""

    def __init__(self, backend: LLMBackend, doc: Document, layout: Layout, asks: list[AskRow],
                 replies: dict[tuple[int, int], Reply]) -> None:
        self.backend = backend
        self.client = backend.client
        self.run = DocumentRun(doc, layout)
        self.asks = asks
        self.replies = replies
        self.step = Step(doc.doc_id)
        self.errors: list[BaseException] = []
        self.next_no = max((a.no for a in asks), default=-1) + 1

    def replay(self, latency_s: float) -> Step:
        for row in [a for a in self.asks if a.parent is None]:
            self.walk(row)
        if self.errors or not (self.step.requests or self.step.in_flight):
            self.step.outcome = self.outcome(latency_s)
        return self.step

    def outcome(self, latency_s: float) -> Outcome:
        outcome = self.backend.outcome(self.run, self.errors, latency_s)
        if outcome.ok and outcome.result is not None and self.client.profile.crosscheck:
            outcome.crosscheck = self.backend.check(self.run.doc, outcome.result)
        return outcome

    def walk(self, row: AskRow) -> None:
        try:
            self.one(row)
        except Exception as exc:  # one ask's failure fails the document, as on the live path
            self.errors.append(exc)

    def one(self, row: AskRow) -> None:
        messages, parts, text = self.backend.request(self.run, row.ask)
        if self.client.cache_key(messages, parts) != row.key:
            raise ExtractionError("the document reads differently since its batch was submitted (prompts, reading "
                                  "rules or settings changed): submit it again")
        mine = {attempt: r for (no, attempt), r in self.replies.items() if no == row.no}
        if not mine and self.client.cache and (hit := self.client.cache.get(row.key)) and "answers" in hit:
            self.record(row, None)
            self.backend.absorb(self.run, row.ask, replayed(hit, parts, text))
            return
        answers = self.converse(row, Conversation(messages, parts, text, self.client.profile.reasks), mine)
        if answers is not None:
            self.step.entries[row.key] = cached_entry(answers)
            self.backend.absorb(self.run, row.ask, answers)

    def converse(self, row: AskRow, talk: Conversation, mine: dict[int, Reply]) -> dict[str, Answer] | None:
        """The conversation fed its stored answers: its answers when over, else None (a request needed,
        or the ask split into halves)."""
        attempt = 0
        while (request := talk.request()) is not None:
            attempt += 1
            reply = mine.get(attempt)
            if reply is None:
                self.step.requests.append(Request(self.run.doc.doc_id, row.no, attempt, *request))
                return None
            if reply.status is None:
                self.step.in_flight = True
                return None
            self.record(row, reply)
            if reply.status != "ok" or reply.response is None:
                raise ExtractionError(f"request {reply.custom_id} failed ({reply.status}): {reply.error}")
            try:
                talk.take(reply.response)
            except Truncated:
                self.split(row)
                return None
        return talk.answers()

    def split(self, row: AskRow) -> None:
        """An answer cut at the output limit: the ask's halves (as the live path splits it), made once."""
        halves = [a for a in self.asks if a.parent == row.no]
        if not halves:
            halves = [AskRow(self.next_no + k, ask, row.no, ask_key(self.backend, self.run, ask))
                      for k, ask in enumerate(self.smaller(row))]
            self.next_no += len(halves)
            self.asks += halves
            self.step.asks += halves
        for half in halves:
            self.walk(half)

    def smaller(self, row: AskRow) -> list[Ask]:
        """LLMBackend.smaller after the limit learnt from this answer alone (another document's cut answer
        does not change how this one splits)."""
        budget = self.backend.budget
        try:
            self.backend.learn_limit(self.run.layout, row.ask)
            return self.backend.smaller(self.run.layout, row.ask)
        finally:
            self.backend.budget = budget

    def record(self, row: AskRow, reply: Reply | None) -> None:
        """The call log entry of a stored answer (a batch line, a live re-ask) or of a cache hit."""
        p = self.client.profile
        labels = (self.run.doc.doc_id, "+".join(t.name for t in row.ask.tasks), row.ask.index, p.model, p.base_url)
        if reply is None:
            self.run.calls.append(CallRecord(*labels, "ok", cache_hit=True, cache_key=row.key))
            return
        status = ("ok" if reply.live else "batch") if reply.status == "ok" else str(reply.status)
        self.run.calls.append(CallRecord(*labels, status, reply.latency_s, reply.tokens_in, reply.tokens_out,
                                         reply.tokens_cached, cache_key=row.key, error=reply.error))
