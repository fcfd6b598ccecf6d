"""The `fazhi` command: a thin shell over `agent.api`. Data goes to stdout, messages to stderr."""

import json
import logging
import sys
from collections.abc import Callable
from functools import wraps
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer

from agent import api
from agent.batch import register as register_batch
from agent.errors import FazhiError
from agent.formatting import FORMATS, render
from agent.review import register as register_review
from agent.runs import RunSummary

app = typer.Typer(help="Turn rule-of-law government reports into rows you can query.", no_args_is_help=True,
                  add_completion=False)
F = TypeVar("F", bound=Callable[..., Any])

Paths = Annotated[list[Path], typer.Argument(help="Files or folders (.txt .md .html .htm), folders recursively.")]
Db = Annotated[str | None, typer.Option("--db", help="DuckDB file [default: ./fazhi.duckdb or FAZHI_DB].")]
Format = Annotated[str, typer.Option("--format", "-f", help="table, csv or json.")]


def say(message: str) -> None:
    typer.echo(message, err=True)


class WarningsToStderr(logging.Handler):
    """The library's warnings (a broken cache entry, a folder that cannot be written) as one line each."""

    def emit(self, record: logging.LogRecord) -> None:
        say(f"Warning: {record.getMessage()}")


@app.callback()
def main() -> None:
    """Turn rule-of-law government reports into rows you can query."""
    logger = logging.getLogger("fazhi")
    if not any(isinstance(h, WarningsToStderr) for h in logger.handlers):
        handler = WarningsToStderr(logging.WARNING)
        logger.addHandler(handler)


def fails_cleanly(func: F) -> F:
    """Typed errors become one line on stderr and exit code 2."""

    @wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except FazhiError as exc:
            say(f"Error: {exc}")
            raise typer.Exit(2) from None

    return wrapper  # type: ignore[return-value]


def check_format(fmt: str) -> None:
    if fmt not in FORMATS:
        raise FazhiError(f"Unknown format {fmt!r}: choose one of {', '.join(FORMATS)}")


@app.command()
@fails_cleanly
def ingest(paths: Paths, db: Db = None) -> None:
    """Read reports into the database (no extraction)."""
    docs, rejected = api.ingest(paths, api.Options(db=db))
    for bad in rejected:
        say(f"Skipped {bad.path}: {bad.reason}")
    say(f"Ingested {len(docs)} documents ({len(rejected)} files skipped) into {api.store_settings(db).db}")
    if rejected:
        raise typer.Exit(1)


def print_summary(s: RunSummary) -> None:
    items = ", ".join(f"{n} {k}" for k, n in s.items.items()) or "no items"
    state = " INTERRUPTED" if s.status == "interrupted" else ""
    say(f"Run {s.run_id}{state} ({s.backend}{' ' + s.model if s.model else ''}, {s.prompt_version}): "
        f"{s.done} done, {s.failed} failed, {s.skipped} already done, {len(s.rejected)} files skipped")
    say(f"  {items}; {s.dropped} items dropped by the checks")
    say(f"  {s.requests} requests, {s.cache_hits} cache hits, {s.tokens_in} tokens in "
        f"({s.tokens_cached} cached), {s.tokens_out} out, ${s.cost_usd:.4f}")
    if s.stopped_by:
        say(f"  STOPPED: {s.stopped_by}; {s.unstarted} documents not started (run again, with a higher "
            "--max-cost, to do them)")
    say(f"  stored in {s.db}" + ("; run the same command again to finish the rest" if state else ""))
    for doc_id, error in s.failures:
        say(f"  failed {s.name_of(doc_id)}: {error}")
    for bad in s.rejected:
        say(f"  skipped {bad.path}: {bad.reason}")


@app.command()
@fails_cleanly
def extract(
    paths: Paths,
    db: Db = None,
    backend: Annotated[str, typer.Option(help="auto (a model if one is configured, else offline), offline or llm.")]
    = "auto",
    profile: Annotated[str | None, typer.Option(help="Provider profile: openai, deepseek, qwen, moonshot, zhipu, "
                                                     "vllm, ollama, or one from fazhi.toml.")] = None,
    model: Annotated[str | None, typer.Option(help="Model name (overrides the profile's).")] = None,
    base_url: Annotated[str | None, typer.Option(help="OpenAI-compatible base URL (overrides the profile's).")]
    = None,
    api_key: Annotated[str | None, typer.Option(help="API key [default: FAZHI_API_KEY or the profile's variable].")]
    = None,
    mode: Annotated[str | None, typer.Option(help="instructor mode: json, tools, json_schema, md_json.")] = None,
    concurrency: Annotated[int | None, typer.Option(help="Requests in flight at once.")] = None,
    timeout: Annotated[float | None, typer.Option(help="Wall-clock deadline per request, seconds.")] = None,
    cache_dir: Annotated[str | None, typer.Option(help="Answer cache folder [default: ./cache].")] = None,
    no_cache: Annotated[bool, typer.Option("--no-cache", help="Neither read nor write the cache.")] = False,
    offline: Annotated[bool, typer.Option("--offline", help="Replay model answers from the cache only.")] = False,
    force: Annotated[bool, typer.Option("--force", help="Re-extract documents that already have a result.")] = False,
    max_cost: Annotated[float | None, typer.Option(help="Cost budget of the run, USD: no new document starts once "
                                                        "it is reached.")] = None,
) -> None:
    """Ingest reports, extract metadata, metrics and issues, and store them."""
    options = api.Options(backend=backend, profile=profile, model=model, base_url=base_url, api_key=api_key,
                          mode=mode, concurrency=concurrency, timeout=timeout, db=db, cache_dir=cache_dir,
                          use_cache=not no_cache, replay_only=offline, force=force, max_cost=max_cost)
    with Progress() as progress:
        summary = api.extract(paths, options, on_start=progress.start, on_done=progress.advance, notify=say)
    print_summary(summary)
    if summary.status == "interrupted":
        raise typer.Exit(130)
    if not summary.ok:
        raise typer.Exit(1)


class Progress:
    """A progress bar on stderr, shown only on a terminal."""

    def __init__(self) -> None:
        self.bar: Any = None

    def __enter__(self) -> "Progress":
        return self

    def start(self, total: int) -> None:
        if sys.stderr.isatty() and total:
            self.bar = typer.progressbar(length=total, label="Extracting", file=sys.stderr).__enter__()

    def advance(self, _outcome: object) -> None:
        if self.bar is not None:
            self.bar.update(1)

    def __exit__(self, *exc: object) -> None:
        if self.bar is not None:
            self.bar.__exit__(None, None, None)


@app.command()
@fails_cleanly
def sql(
    query: Annotated[str, typer.Argument(help="SQL to run, e.g. \"SELECT * FROM reports\".")],
    db: Db = None,
    fmt: Format = "table",
    write: Annotated[bool, typer.Option("--write", help="Allow statements that change the database.")] = False,
) -> None:
    """Run SQL against the database (read-only unless --write)."""
    check_format(fmt)
    with api.open_store(db, read_only=not write) as store:
        columns, rows = store.query(query)
    if columns:
        typer.echo(render(columns, rows, fmt))


@app.command()
@fails_cleanly
def show(
    doc: Annotated[str, typer.Argument(help="Document id (or a unique prefix) or the path it was read from.")],
    db: Db = None,
    fmt: Format = "table",
) -> None:
    """One report's metadata, metrics and issues."""
    check_format(fmt)
    report = api.show(doc, db)
    if fmt == "json":
        typer.echo(json.dumps(report, ensure_ascii=False, indent=1))
        return
    for key, value in report.items():
        if isinstance(value, dict):
            typer.echo(render(["field", "value"], list(value.items()), fmt))
        elif isinstance(value, list):
            typer.echo(f"\n{key} ({len(value)})")
            if value:
                columns = sorted(value[0], key=lambda k: k == "evidence")
                typer.echo(render(columns, [[v.get(c) for c in columns] for v in value], fmt))
        elif value is not None:
            say(f"{key}: {value}")


@app.command()
@fails_cleanly
def runs(db: Db = None, fmt: Format = "table", limit: Annotated[int, typer.Option(help="How many.")] = 20) -> None:
    """Recent runs: backend, model, prompt version, documents, tokens, cost, budgets."""
    check_format(fmt)
    with api.open_store(db) as store:
        columns, rows = store.query(
            "SELECT run_id, kind, backend, model, prompt_version, status, n_docs, n_done, n_failed, n_skipped,"
            " n_unstarted, requests, cache_hits, tokens_in, tokens_out, round(cost_usd, 4) AS cost_usd, max_cost,"
            " max_doc_tokens, started_at, finished_at"
            " FROM runs ORDER BY run_id DESC LIMIT ?", [limit])
    typer.echo(render(columns, rows, fmt))


def register_eval() -> None:
    from evals.cli import eval_app

    app.add_typer(eval_app, name="eval")


register_eval()
register_review(app)
register_batch(app)

if __name__ == "__main__":
    app()
