"""The public API: everything the CLI does, callable from Python (a notebook, a script)."""

import asyncio
import importlib
import json
import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from agent.backends import Backend, LLMBackend, OfflineBackend, Outcome
from agent.cache import AnswerCache
from agent.documents import Document, Rejected, read_documents
from agent.errors import ConfigError, FazhiError
from agent.genre import Genre
from agent.llm import ModelClient
from agent.providers import LOCAL_KEY, Profile, load_config, resolve_api_key, resolve_profile
from agent.runs import Runner, RunSummary
from agent.store import Store

if TYPE_CHECKING:
    from agent.batch import BatchStatus, Collected, Submitted

DEFAULT_GENRE = "schemas.genre:GENRE"
OFFLINE_NOTICE = ("Using the offline backend (no model configured). To use a model, pass --profile NAME "
                  "(openai, deepseek, qwen, moonshot, zhipu, vllm, ollama) or --base-url URL --model NAME.")


@dataclass
class Options:
    """What to run and where to store it. None means: from config file or environment, else default."""

    backend: str = "auto"  # auto | offline | llm
    profile: str | None = None
    model: str | None = None
    base_url: str | None = None
    api_key: str | None = None
    mode: str | None = None
    concurrency: int | None = None
    timeout: float | None = None
    db: str | None = None
    cache_dir: str | None = None
    use_cache: bool = True
    replay_only: bool = False
    force: bool = False
    genre: str | None = None


def setting(name: str, given: Any, default: Any, config: dict[str, Any] | None = None) -> Any:
    """Command line, else FAZHI_<NAME>, else the config file, else the default."""
    config = load_config() if config is None else config
    return given if given is not None else os.environ.get(f"FAZHI_{name.upper()}") or config.get(name, default)


def load_genre(spec: str | None = None) -> Genre:
    module_name, _, attr = setting("genre", spec, DEFAULT_GENRE).partition(":")
    try:
        return getattr(importlib.import_module(module_name), attr or "GENRE")
    except (ImportError, AttributeError) as exc:
        raise ConfigError(f"Cannot load genre {spec!r}: {exc}; use module:ATTRIBUTE") from exc


def db_path(options: Options) -> str:
    return str(setting("db", options.db, "fazhi.duckdb"))


def wants_model(options: Options) -> bool:
    if options.backend != "auto":
        return options.backend == "llm"
    explicit = (options.profile, options.model, options.base_url)
    return any(explicit) or bool(os.environ.get("FAZHI_PROFILE") or os.environ.get("FAZHI_BASE_URL")
                                  or load_config().get("profile"))


def profile_of(options: Options) -> Profile:
    """The profile the options name, with their overrides."""
    overrides = {"model": options.model, "base_url": options.base_url, "mode": options.mode,
                 "concurrency": options.concurrency, "timeout": options.timeout}
    return resolve_profile(options.profile, overrides)


def make_client(options: Options) -> tuple[ModelClient, str]:
    profile = profile_of(options)
    key = LOCAL_KEY if options.replay_only else resolve_api_key(profile, options.api_key)
    cache_dir = setting("cache_dir", options.cache_dir, "cache")
    cache = AnswerCache(Path(cache_dir)) if options.use_cache or options.replay_only else None
    return ModelClient(profile, key, cache, replay_only=options.replay_only), profile.name


def make_backend(options: Options, genre: Genre) -> tuple[Backend, str | None]:
    """The backend the options ask for, and a notice when the offline default was chosen."""
    if options.backend not in ("auto", "offline", "llm"):
        raise ConfigError(f"Unknown backend {options.backend!r}: choose auto, offline or llm")
    if not wants_model(options):
        return OfflineBackend(genre), OFFLINE_NOTICE if options.backend == "auto" else None
    client, profile_name = make_client(options)
    return LLMBackend(genre, client, profile_name), None


def ingest(paths: Iterable[str | Path], options: Options | None = None) -> tuple[list[Document], list[Rejected]]:
    """Read files and folders into the store; unreadable files are returned as rejected, not raised."""
    options = options or Options()
    docs, rejected = read_documents(Path(p) for p in paths)
    with Store(db_path(options), load_genre(options.genre)) as store:
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
    options = options or Options()
    docs, rejected = ingest(paths, options)
    genre = load_genre(options.genre)
    backend, notice = make_backend(options, genre)
    if notice:
        notify(notice)
    return asyncio.run(_extract(docs, rejected, options, genre, backend, on_start, on_done))


async def _extract(docs: list[Document], rejected: list[Rejected], options: Options, genre: Genre,
                   backend: Backend, on_start: Callable[[int], None], on_done: Callable[[Outcome], None]) -> RunSummary:
    store = Store(db_path(options), genre)
    runner = Runner(store, backend, options.concurrency or backend.concurrency)
    summary = runner.start(docs)
    summary.rejected = rejected
    todo = runner.pending(docs, options.force)
    summary.skipped = len(docs) - len(todo)
    on_start(len(todo))
    status = "interrupted"
    try:
        await runner.run(summary, todo, on_done)
        status = "ok" if not summary.failed else "failed"
    finally:
        runner.finish(summary, status)
        await backend.aclose()
        store.close()
    return summary


def open_store(db: str | None = None, read_only: bool = True, genre: str | None = None) -> Store:
    """The store, for queries. Read-only unless asked."""
    return Store(setting("db", db, "fazhi.duckdb"), load_genre(genre), read_only=read_only)


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
