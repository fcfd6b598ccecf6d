"""The public API: everything the CLI does, callable from Python (a notebook, a script)."""

import asyncio
import importlib
import json
import signal
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from agent.backends import Backend, LLMBackend, OfflineBackend, Outcome
from agent.cache import AnswerCache
from agent.config import Options, Settings, resolve
from agent.documents import Document, Rejected, read_documents
from agent.errors import ConfigError, FazhiError
from agent.genre import Genre
from agent.llm import ModelClient
from agent.runs import Runner, RunSummary
from agent.store import Store

if TYPE_CHECKING:
    from agent.batch import BatchStatus, Collected, Submitted

__all__ = ["Options", "Settings", "extract", "ingest", "open_store", "resolve", "show"]
OFFLINE_NOTICE = ("Using the offline backend (no model configured). To use a model, pass --profile NAME "
                  "(openai, deepseek, qwen, moonshot, zhipu, vllm, ollama) or --base-url URL --model NAME.")


def store_settings(db: str | None = None, genre: str | None = None) -> Settings:
    """The settings of a command that reads or writes the store but asks no model."""
    return resolve(Options(backend="offline", db=db, genre=genre))


def load_genre(spec: str | None = None) -> Genre:
    """The genre `spec` (module:ATTRIBUTE), else FAZHI_GENRE or the config file's, else the default."""
    return import_genre(store_settings(genre=spec).genre)


def import_genre(spec: str) -> Genre:
    module_name, _, attr = spec.partition(":")
    try:
        return getattr(importlib.import_module(module_name), attr or "GENRE")
    except (ImportError, AttributeError) as exc:
        raise ConfigError(f"Cannot load genre {spec!r}: {exc}; use module:ATTRIBUTE") from exc


def make_client(settings: Settings) -> ModelClient:
    cache = AnswerCache(Path(settings.cache_dir)) if settings.use_cache or settings.replay_only else None
    return ModelClient(settings.provider_profile(), settings.key(), cache, replay_only=settings.replay_only)


def make_backend(settings: Settings, genre: Genre) -> tuple[Backend, str | None]:
    """The backend the settings ask for, and a notice when the offline default was chosen."""
    if not settings.use_model:
        return OfflineBackend(genre), OFFLINE_NOTICE if settings.backend == "auto" else None
    return LLMBackend(genre, make_client(settings), settings.profile), None


def ingest(paths: Iterable[str | Path], options: Options | None = None) -> tuple[list[Document], list[Rejected]]:
    """Read files and folders into the store; unreadable files are returned as rejected, not raised."""
    settings = resolve(replace(options or Options(), backend="offline"))  # no model asked: no key needed
    return ingest_with(settings, import_genre(settings.genre), paths)


def ingest_with(settings: Settings, genre: Genre, paths: Iterable[str | Path]) -> tuple[list[Document], list[Rejected]]:
    docs, rejected = read_documents(Path(p) for p in paths)
    with Store(settings.db, genre) as store:
        store.add_documents(docs)
    return docs, rejected


def extract(
    paths: Iterable[str | Path],
    options: Options | None = None,
    on_start: Callable[[int], None] = lambda n: None,
    on_done: Callable[[Outcome], None] = lambda o: None,
    notify: Callable[[str], None] = lambda m: None,
) -> RunSummary:
    """Ingest `paths`, then extract every document that has no current result (all with force)."""
    settings = resolve(options or Options())
    genre = import_genre(settings.genre)
    docs, rejected = ingest_with(settings, genre, paths)
    backend, notice = make_backend(settings, genre)
    if notice:
        notify(notice)
    return asyncio.run(_extract(docs, rejected, settings, genre, backend, on_start, on_done))


async def _extract(docs: list[Document], rejected: list[Rejected], settings: Settings, genre: Genre,
                   backend: Backend, on_start: Callable[[int], None], on_done: Callable[[Outcome], None]) -> RunSummary:
    """The run; SIGTERM or Ctrl-C ends it as `interrupted`, with what was done stored and the summary
    returned."""
    concurrency = settings.concurrency if settings.from_command_line("concurrency") else backend.concurrency
    runner = Runner(settings.db, genre, backend, concurrency, settings.max_cost)
    summary, todo = runner.start(docs, settings.force)
    summary.rejected = rejected
    on_start(len(todo))
    status = "interrupted"
    with terminate_cancels():
        try:
            await runner.run(summary, todo, on_done)
            status = "ok" if not summary.failed else "failed"
        except asyncio.CancelledError:
            status = "interrupted"
        finally:
            runner.finish(summary, status)
            await backend.aclose()
    return summary


@contextmanager
def terminate_cancels() -> Iterator[None]:
    """SIGTERM cancels the running task (as Ctrl-C does), in the main thread of a process."""
    loop, task = asyncio.get_running_loop(), asyncio.current_task()
    try:
        loop.add_signal_handler(signal.SIGTERM, task.cancel) if task else None
        installed = task is not None
    except (RuntimeError, ValueError, NotImplementedError):
        installed = False
    try:
        yield
    finally:
        if installed:
            loop.remove_signal_handler(signal.SIGTERM)


def open_store(db: str | None = None, read_only: bool = True, genre: str | None = None,
               external: bool | None = None) -> Store:
    """The store, for queries. Read-only (and then sealed from other files) unless asked; `external`
    lets an export write its files."""
    settings = store_settings(db, genre)
    return Store(settings.db, import_genre(settings.genre), read_only=read_only, external=external)


def show(doc: str, db: str | None = None) -> dict[str, Any]:
    """One report's latest result: document id (or a unique prefix, or a path) → metadata and items."""
    with open_store(db) as store:
        return store_show(store, doc)


def store_show(store: Store, doc: str) -> dict[str, Any]:
    _, rows = store.query(
        "SELECT DISTINCT d.doc_id FROM documents d LEFT JOIN document_paths p USING (doc_id)"
        " WHERE d.doc_id LIKE ? || '%' OR p.path = ? OR p.path LIKE '%/' || ?", [doc, doc, doc])
    if len(rows) != 1:
        raise FazhiError(f"{'No' if not rows else 'More than one'} document matches {doc!r}: "
                         "give a document id (or a unique prefix) or a path, see `fazhi sql 'SELECT * FROM reports'`")
    doc_id = rows[0][0]
    columns, found = store.query("SELECT result, backend, model, prompt_version, created_at FROM latest_extractions"
                                 " WHERE doc_id = ?", [doc_id])
    if not found:
        raise FazhiError(f"Document {doc_id} has no successful extraction yet: run `fazhi extract` on it")
    info = dict(zip(columns, found[0]))
    return {"doc_id": doc_id, **{k: str(v) if k == "created_at" else v for k, v in info.items() if k != "result"},
            **json.loads(info["result"])}


def batch_submit(paths: Iterable[str | Path], options: Options | None = None,
                 write_jsonl: Path | None = None) -> "Submitted":
    """Plan the documents and send their first requests as one batch (or write it for vllm run-batch):
    see agent/batch. Returns a `Submitted` (the batch id, the run, the requests sent)."""
    from agent.batch import submit

    return submit(paths, options or Options(), write_jsonl)


def batch_status(batch_id: str | None = None, options: Options | None = None) -> list["BatchStatus"]:
    """Each batch's status (without an id: the batches not collected yet), a list of `BatchStatus`."""
    from agent.batch import status

    return status(batch_id, options or Options())


def batch_collect(batch_id: str | None = None, options: Options | None = None, live_reasks: bool = False,
                  from_jsonl: Path | None = None, write_jsonl: Path | None = None) -> list["Collected"]:
    """Read a finished batch, store the documents it completes, and send their re-asks as the next round
    (or live): a list of `Collected`, one per run advanced."""
    from agent.batch import collect

    return collect(batch_id, options or Options(), live_reasks, from_jsonl, write_jsonl)
