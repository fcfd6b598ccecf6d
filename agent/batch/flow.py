"""`submit`, `status` and `collect`: a backfill through a provider's Batch API or `vllm run-batch`.

submit: every document planned as the live path plans it; the first request of every ask whose answer
is not cached goes into one JSONL, uploaded as a batch (or written for vllm run-batch). collect: the
answers read, each document's conversations fed them (checks, re-asks of the rejected parts, cut
answers halved); re-asks go into the next round (a new batch) or are sent live; a document whose
asks are all answered is stored as `extract` stores it, its answers cached under the live path's keys.
"""

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from fazhi.agent.api import import_genre, ingest_with
from fazhi.agent.backends import DocumentRun, LLMBackend
from fazhi.agent.batch.replay import ask_json, ask_key
from fazhi.agent.batch.session import Session, next_path, open_session
from fazhi.agent.batch.state import BatchState
from fazhi.agent.batch.wire import ENDED, BatchError, LineAnswer, download, provider, read_output, retrieve
from fazhi.agent.cache import AnswerCache
from fazhi.agent.config import Options, Settings, profile_key, resolve
from fazhi.agent.documents import Document, Rejected
from fazhi.agent.errors import ConfigError
from fazhi.agent.llm import ModelClient
from fazhi.agent.runs import Runner, RunSummary
from fazhi.agent.store import Store

NEEDS_MODEL = "Batch mode needs a model: pass --profile NAME, or --base-url URL --model NAME"


@dataclass
class Submitted:
    run_id: int
    batch_id: str | None  # None: nothing to send (every answer cached)
    requests: int
    waiting: int  # documents waiting on the batch
    summary: RunSummary  # documents stored at once: every answer cached, or too long for a model
    jsonl_path: str | None = None


@dataclass
class BatchStatus:
    batch_id: str
    run_id: int
    round: int
    state: str  # submitted | collected
    provider_status: str
    total: int
    completed: int
    failed: int


@dataclass
class Collected:
    run_id: int
    batch_id: str | None
    ready: bool  # False: the batch has not ended yet; nothing was stored
    provider_status: str
    counts: tuple[int, int, int]  # the batch's requests, answered, failed
    summary: RunSummary | None = None  # the documents stored now
    next_batch: str | None = None  # the follow-up round (re-asks, halves of cut answers)
    next_path: str | None = None  # where the follow-up round was written (a JSONL batch)
    waiting: int = 0  # documents still waiting
    finished: bool = False  # the run is over


def submit(paths: Iterable[str | Path], options: Options, write_jsonl: Path | None = None) -> Submitted:
    """Ingest `paths`, plan every document needing a result, and send the first requests as one batch
    (or write them to `write_jsonl` for vllm run-batch)."""
    # A JSONL file is sent by whoever runs it: resolved as for a replay, no key is needed here.
    settings = resolve(replace(options, replay_only=True) if write_jsonl is not None else options)
    if not settings.use_model:
        raise ConfigError(NEEDS_MODEL)
    genre = import_genre(settings.genre)
    docs, rejected = ingest_with(settings, genre, paths)
    cache_dir = str(Path(settings.cache_dir).resolve())
    client = ModelClient(settings.provider_profile(), settings.key(), AnswerCache(Path(cache_dir)))
    backend = LLMBackend(genre, client, settings.profile)
    with (Store(settings.db, genre) as store,
          start(store, backend, docs, rejected, settings, options.api_key) as session):
        return first_round(session, cache_dir, settings.genre, write_jsonl)


def start(store: Store, backend: LLMBackend, docs: list[Document], rejected: list[Rejected],
          settings: Settings, api_key: str | None) -> Session:
    """The run, with the documents it skips: done already, or waiting in another batch of the same
    model and prompts (unless forced)."""
    runner = Runner(store, backend.genre, backend)
    summary, todo = runner.start(docs, settings.force, kind="batch")
    if not settings.force:
        elsewhere = BatchState(store).waiting_elsewhere(str(backend.model), runner.version)
        todo = [d for d in todo if d.doc_id not in elsewhere]
    summary.skipped, summary.rejected = len(docs) - len(todo), rejected
    session = Session(store, backend, summary.run_id, api_key, datetime.now(UTC))
    session.summary, session.todo = summary, todo
    return session


def first_round(session: Session, cache_dir: str, genre: str, write_jsonl: Path | None) -> Submitted:
    state, run_id = session.state, session.run_id
    try:
        plan(session, cache_dir, genre)
        requests = session.advance()
        batch_id = session.send_round(requests, write_jsonl) if requests else None
    except BaseException:
        state.abandon(run_id)
        session.store.finish_run(run_id, status="failed")
        raise
    state.update_run(run_id, {"n_skipped": session.summary.skipped})
    session.update_run()
    return Submitted(run_id, batch_id, len(requests), len(state.waiting(run_id)), session.summary,
                     str(write_jsonl) if write_jsonl and batch_id else None)


def plan(session: Session, cache_dir: str, genre: str) -> None:
    """Each document's asks as the live path plans them, with their first requests' cache keys; a
    document too long for a model is stored failed, as `extract` stores it."""
    backend, statuses, asks = session.backend, {}, []
    for doc in session.todo:
        if (refused := backend.too_long(doc)) is not None:
            session.runner.save(session.summary, refused)  # written by the flush below
            statuses[doc.doc_id] = "failed"
            continue
        layout = session.layouts[doc.doc_id] = backend.genre.segment(doc.text)
        run = DocumentRun(doc, layout)
        asks += [{"run_id": session.run_id, "doc_id": doc.doc_id, "ask_no": no, "parent": None,
                  "ask": ask_json(ask), "cache_key": ask_key(backend, run, ask)}
                 for no, ask in enumerate(backend.plan(layout))]
        statuses[doc.doc_id] = "waiting"
    session.runner.flush()
    with session.store.transaction():
        session.state.add_run(session.run_id, backend.client.profile, genre, cache_dir, session.runner.version)
        session.state.add_docs(session.run_id, statuses)
        session.state.add_asks(asks)


def status(batch_id: str | None, options: Options) -> list[BatchStatus]:
    """A batch's status (the provider's, for an uploaded one); without an id, every batch not collected."""
    settings = resolve(replace(options, backend="offline"))  # the stored run's profile asks the provider
    with Store(settings.db, import_genre(settings.genre)) as store:
        state = BatchState(store)
        rows = [named(state, batch_id)] if batch_id else state.batches("status = 'submitted'", [])
        return [status_of(state, row, options.api_key) for row in rows]


def named(state: BatchState, batch_id: str) -> dict[str, Any]:
    row = state.batch(batch_id)
    if row is None:
        raise BatchError(f"No batch {batch_id} in {state.store.path}: see `fazhi batch status`, or pass --db")
    return row


def status_of(state: BatchState, row: dict[str, Any], api_key: str | None) -> BatchStatus:
    head = (row["batch_id"], row["run_id"], row["round"], row["status"])
    if row["via"] != "api" or row["status"] != "submitted":
        return BatchStatus(*head, row["provider_status"] or "", *state.counts(row["batch_id"]))
    profile = state.settings(row["run_id"]).profile
    batch = retrieve(provider(profile, profile_key(profile, api_key)), row["batch_id"])
    return BatchStatus(*head, batch.status, *provider_counts(batch, row["n_requests"]))


def provider_counts(batch: Any, total: int) -> tuple[int, int, int]:
    counts = batch.request_counts
    if counts is None:
        return total, 0, 0
    return counts.total or total, counts.completed or 0, counts.failed or 0


def collect(batch_id: str | None, options: Options, live_reasks: bool = False, from_jsonl: Path | None = None,
            write_jsonl: Path | None = None) -> list[Collected]:
    """Collect a batch (without an id: every run waiting on one): its answers read, its documents
    advanced, those done stored; re-asks sent as the next round, or live."""
    settings = resolve(replace(options, backend="offline"))  # each run's stored profile asks the model
    cache_dir = settings.cache_dir if settings.from_command_line("cache_dir") else None  # else the run's
    with Store(settings.db, import_genre(settings.genre)) as store:
        state = BatchState(store)
        answers = read_output(from_jsonl.read_bytes(), str(from_jsonl)) if from_jsonl else None
        targets = chosen(state, batch_id, answers, from_jsonl)
        collected = []
        for run_id, batch in targets:
            with open_session(store, run_id, options.api_key, cache_dir) as session:
                collected.append(collect_run(session, batch, answers, live_reasks, write_jsonl))
        return collected


def chosen(state: BatchState, batch_id: str | None, answers: list[LineAnswer] | None,
           source: Path | None) -> list[tuple[int, dict[str, Any] | None]]:
    """The runs to advance, each with its latest batch."""
    if answers is not None:
        found = state.batch_of([a.custom_id for a in answers])
        if len(found) != 1 or (batch_id and found != [batch_id]):
            raise BatchError(f"{source} answers {len(found)} batches of {state.store.path}, not one: pass the "
                             "file vllm run-batch wrote from the file fazhi batch submit --write-jsonl wrote")
        batch_id = found[0]
    if batch_id is None:
        return [(run_id, state.latest(run_id)) for run_id in state.waiting_runs()]
    batch = named(state, batch_id)
    latest = state.latest(batch["run_id"])
    if batch["status"] == "collected" and (latest is None or latest["batch_id"] != batch_id
                                           or not state.waiting(batch["run_id"])):
        raise BatchError(f"Batch {batch_id} was collected already: see `fazhi batch status` for its run's later "
                         "rounds, and `fazhi runs` for what was stored")
    return [(batch["run_id"], batch)]


def collect_run(session: Session, batch: dict[str, Any] | None, answers: list[LineAnswer] | None,
                live: bool, write_jsonl: Path | None) -> Collected:
    batch_id = batch["batch_id"] if batch else None
    if batch is not None and batch["status"] == "submitted":
        ended = fetch(session, batch, answers)
        if ended is not None:
            return ended
    requests = session.advance()
    if live:
        requests = session.live(requests)
    result = Collected(session.run_id, batch_id, True, batch["provider_status"] if batch else "",
                       session.state.counts(batch_id) if batch_id else (0, 0, 0), session.summary)
    if requests:
        path = write_jsonl or (next_path(batch["jsonl_path"], session.state.next_round(session.run_id))
                               if batch and batch["via"] == "file" else None)
        result.next_batch = session.send_round(requests, path)
        result.next_path = str(path) if path else None
    result.finished = session.update_run()
    result.waiting = len(session.state.waiting(session.run_id))
    return result


def fetch(session: Session, batch: dict[str, Any], answers: list[LineAnswer] | None) -> Collected | None:
    """Read a batch's answers into the database; a batch not ended yet is reported, not read."""
    state, batch_id = session.state, batch["batch_id"]
    files: tuple[str | None, str | None] = (None, None)
    ended, why = "read", ""
    if batch["via"] == "file":
        if answers is None:
            return Collected(session.run_id, batch_id, False, "written", state.counts(batch_id))
    else:
        client = provider(session.client.profile, session.key())
        found = retrieve(client, batch_id)
        if found.status not in ENDED:
            return Collected(session.run_id, batch_id, False, found.status, provider_counts(found, batch["n_requests"]))
        files, ended, why = (found.output_file_id, found.error_file_id), found.status, batch_errors(found)
        answers = [*read_output(download(client, files[0]), f"the output of batch {batch_id}"),
                   *read_output(download(client, files[1]), f"the error file of batch {batch_id}")]
    reason = f"no answer in the batch's output (batch {ended}{': ' + why if why else ''})"
    state.collected(batch_id, answer_rows(state.requests_of(batch_id), answers, reason), ended, files)
    batch["provider_status"] = ended
    return None


def batch_errors(batch: Any) -> str:
    """Why the provider failed a batch as a whole (e.g. its input did not validate), if it says."""
    errors = getattr(getattr(batch, "errors", None), "data", None) or []
    return "; ".join(str(e.message) for e in errors[:3] if getattr(e, "message", None))


def answer_rows(custom_ids: list[str], answers: list[LineAnswer], missing: str) -> list[dict[str, Any]]:
    """One row per request of the batch: its answer, or why it has none."""
    by_id: dict[str, LineAnswer] = {}
    for a in answers:
        if a.custom_id not in by_id or a.status == "ok":
            by_id[a.custom_id] = a
    rows = []
    for cid in custom_ids:
        a = by_id.get(cid) or LineAnswer(cid, "missing", None, missing)
        t_in, t_out, t_cached = a.usage
        rows.append({"custom_id": cid, "status": a.status, "error": a.error, "response": a.body,
                     "tokens_in": t_in, "tokens_out": t_out, "tokens_cached": t_cached})
    return rows
