"""The public API: everything the CLI does, callable from Python (a notebook, a script).

The model libraries (openai, instructor) are imported when a model is used, not with this module:
queries start fast.
"""

from __future__ import annotations

import importlib
import json
import signal
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from fazhi.agent.config import Options, Settings, resolve
from fazhi.agent.documents import SUFFIXES, Document, Rejected, read_documents
from fazhi.agent.errors import ConfigError, FazhiError, InputError
from fazhi.agent.genre import Genre
from fazhi.agent.store import Store

if TYPE_CHECKING:
    from fazhi.agent.backends import Backend, Outcome
    from fazhi.agent.batch.flow import BatchStatus, Collected, Submitted
    from fazhi.agent.llm import ModelClient
    from fazhi.agent.runs import RunSummary

__all__ = ["Options", "Settings", "extract", "ingest", "issues", "metrics", "open_store", "reports", "resolve",
           "show"]
Frame = Literal["pandas", "polars", "arrow"]
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
    from fazhi.agent.cache import AnswerCache
    from fazhi.agent.llm import ModelClient

    cache = AnswerCache(Path(settings.cache_dir)) if settings.use_cache or settings.replay_only else None
    return ModelClient(settings.provider_profile(), settings.key(), cache, replay_only=settings.replay_only)


def make_backend(settings: Settings, genre: Genre) -> tuple[Backend, str | None]:
    """The backend the settings ask for, and a notice when the offline default was chosen."""
    from fazhi.agent.backends import LLMBackend, OfflineBackend

    if not settings.use_model:
        return OfflineBackend(genre), OFFLINE_NOTICE if settings.backend == "auto" else None
    return LLMBackend(genre, make_client(settings), settings.profile), None


def ingest(paths: Iterable[str | Path], options: Options | None = None) -> tuple[list[Document], list[Rejected]]:
    """Read files and folders into the store; unreadable files are returned as rejected, not raised."""
    settings = resolve(replace(options or Options(), backend="offline"))  # no model asked: no key needed
    return ingest_with(settings, import_genre(settings.genre), paths)


def ingest_with(settings: Settings, genre: Genre, paths: Iterable[str | Path]) -> tuple[list[Document], list[Rejected]]:
    """Read `paths` into the store; an error (stored nothing) when they hold no readable report."""
    docs, rejected = read_input(paths)
    with Store(settings.db, genre) as store:
        store.add_documents(docs)
    return docs, rejected


def read_input(paths: Iterable[str | Path]) -> tuple[list[Document], list[Rejected]]:
    """The documents of `paths`, and the files rejected; an error when they hold no readable report."""
    paths = list(paths)
    docs, rejected = read_documents(Path(p) for p in paths)
    if not docs:
        raise InputError(no_input(paths, rejected))
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
    docs, rejected = read_input(paths)  # stored by the run, once the offline rules' workers are started
    backend, notice = make_backend(settings, genre)
    if notice:
        notify(notice)
    import asyncio

    return asyncio.run(_extract(docs, rejected, settings, genre, backend, on_start, on_done))


def no_input(paths: list[str | Path], rejected: list[Rejected]) -> str:
    named = ", ".join(str(p) for p in paths[:3]) + (", ..." if len(paths) > 3 else "")
    why = "; ".join(f"{r.path}: {r.reason}" for r in rejected[:3]) + ("; ..." if len(rejected) > 3 else "")
    return (f"No report to read in {named or 'no path'}" + (f" ({why})" if why else "")
            + f": give files or folders holding {' '.join(SUFFIXES)} files")


async def _extract(docs: list[Document], rejected: list[Rejected], settings: Settings, genre: Genre,
                   backend: Backend, on_start: Callable[[int], None], on_done: Callable[[Outcome], None]) -> RunSummary:
    """The documents stored and the run; SIGTERM or Ctrl-C ends it as `interrupted`, with what was done
    stored and the summary returned."""
    from asyncio import CancelledError

    from fazhi.agent.runs import Runner, fewer_collections

    concurrency = settings.concurrency if settings.from_command_line("concurrency") else backend.concurrency
    runner = Runner(settings.db, genre, backend, concurrency, settings.max_cost)
    summary, todo = runner.start(docs, settings.force)
    from fazhi.agent.pool import with_pool  # multiprocessing only for a run that extracts

    backend = runner.backend = with_pool(backend, todo)  # the offline rules on every core
    summary.rejected = rejected
    on_start(len(todo))
    status = "interrupted"
    # The offline rules wait on no model: their run holds the database (opened after the pool's workers
    # are forked) rather than opening it for each batch, which costs a checkpoint each time.
    with terminate_cancels(), fewer_collections(), runner.holding(backend.name == "offline"):
        try:
            with runner.store() as store:
                store.add_documents(docs)  # while the pool's workers (if any) run the rules
            await runner.run(summary, todo, on_done)
            status = "ok" if not summary.failed else "failed"
        except CancelledError:
            status = "interrupted"
        finally:
            runner.finish(summary, status)
            await backend.aclose()
    return summary


@contextmanager
def terminate_cancels() -> Iterator[None]:
    """SIGTERM cancels the running task (as Ctrl-C does), in the main thread of a process."""
    import asyncio

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
                 write_jsonl: Path | None = None) -> Submitted:
    """Plan the documents and send their first requests as one batch (or write it for vllm run-batch):
    see agent/batch. Returns a `Submitted` (the batch id, the run, the requests sent)."""
    from fazhi.agent.batch.flow import submit

    return submit(paths, options or Options(), write_jsonl)


def batch_status(batch_id: str | None = None, options: Options | None = None) -> list[BatchStatus]:
    """Each batch's status (without an id: the batches not collected yet), a list of `BatchStatus`."""
    from fazhi.agent.batch.flow import status

    return status(batch_id, options or Options())


def batch_collect(batch_id: str | None = None, options: Options | None = None, live_reasks: bool = False,
                  from_jsonl: Path | None = None, write_jsonl: Path | None = None) -> list[Collected]:
    """Read a finished batch, store the documents it completes, and send their re-asks as the next round
    (or live): a list of `Collected`, one per run advanced."""
    from fazhi.agent.batch.flow import collect

    return collect(batch_id, options or Options(), live_reasks, from_jsonl, write_jsonl)


def metrics(db: str | None = None, as_: Frame = "pandas", **filters: Any) -> Any:
    """Each document's latest metrics as a data frame, e.g. `metrics(canonical="court_appearance_rate")`;
    a filter's value may be a list (any of them)."""
    return frame("latest_metrics", db, as_, filters)


def issues(db: str | None = None, as_: Frame = "pandas", **filters: Any) -> Any:
    """Each document's latest issues as a data frame, e.g. `issues(category="enforcement")`."""
    return frame("latest_issues", db, as_, filters)


def reports(db: str | None = None, as_: Frame = "pandas", **filters: Any) -> Any:
    """One row per report (metadata and item counts of its latest result), e.g. `reports(report_year=[2022, 2024])`."""
    return frame("reports", db, as_, filters)


def frame(view: str, db: str | None, as_: Frame, filters: dict[str, Any]) -> Any:
    """Rows of `view` matching `filters` (column=value, a list: any of them), converted by DuckDB itself
    to pandas (`.df()`), polars (`.pl()`) or an Arrow table (`.arrow()`)."""
    if as_ not in ("pandas", "polars", "arrow"):
        raise FazhiError(f"Unknown frame type {as_!r}: choose pandas, polars or arrow")
    with open_store(db) as store:
        columns, _ = store.query(f"SELECT * FROM {view} LIMIT 0")
        unknown = sorted(set(filters) - set(columns))
        if unknown:
            raise FazhiError(f"No column {', '.join(unknown)} in {view}: filter on {', '.join(columns)}")
        where = " AND ".join(f'"{c}" IN (SELECT unnest(?))' for c in filters) or "true"
        order = ", ".join(c for c in ("doc_id", "idx") if c in columns)
        relation = store.db.sql(f"SELECT * FROM {view} WHERE {where} ORDER BY {order}",
                                params=[v if isinstance(v, list | tuple) else [v] for v in filters.values()])
        try:
            converted = relation.df() if as_ == "pandas" else relation.pl() if as_ == "polars" else relation.arrow()
        except ModuleNotFoundError as exc:
            raise ConfigError(f"as_={as_!r} needs {exc.name}: pip install 'fazhi[notebook]'") from None
    return converted.read_all() if as_ == "arrow" and hasattr(converted, "read_all") else converted  # DuckDB >= 1.4
