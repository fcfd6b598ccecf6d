"""The `fazhi` command: a thin shell over `fazhi.agent.api`. Data goes to stdout, messages to stderr.

Each command imports `fazhi.agent.api` when it runs, so that `fazhi --help` does not load DuckDB or pydantic;
`eval`, `review`, `export`, `fixtures` and `batch` are other packages' commands (agent/commands.py).
"""

import json
import logging
import sys
from collections.abc import Callable
from functools import wraps
from importlib.metadata import version as installed_version
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import typer
from fazhi.agent.commands import WithPlugins
from fazhi.agent.errors import FazhiError
from fazhi.agent.formatting import FORMATS, render
from fazhi.agent.readers import SUFFIXES

if TYPE_CHECKING:
    from fazhi.agent.runs import RunSummary

app = typer.Typer(cls=WithPlugins, help="Turn rule-of-law government reports into rows you can query.",
                  no_args_is_help=True, add_completion=True, rich_markup_mode=None,
                  context_settings={"help_option_names": ["-h", "--help"]})
F = TypeVar("F", bound=Callable[..., Any])

Paths = Annotated[list[Path], typer.Argument(
    help=f"Files or folders ({' '.join(SUFFIXES)}); folders are read recursively.", show_default=False,
    metavar="PATH")]
Db = Annotated[str | None, typer.Option("--db", help="DuckDB file [default: ./fazhi.duckdb or FAZHI_DB].",
                                        show_default=False, metavar="FILE")]
Format = Annotated[str, typer.Option("--format", "-f", help="table, csv or json.", metavar="FORMAT")]


def say(message: str) -> None:
    typer.echo(message, err=True)


class WarningsToStderr(logging.Handler):
    """The library's warnings (a broken cache entry, a folder that cannot be written) as one line each."""

    def emit(self, record: logging.LogRecord) -> None:
        say(f"Warning: {record.getMessage()}")


def print_version(asked: bool) -> None:
    if asked:
        typer.echo(f"fazhi {installed_version('fazhi')}")
        raise typer.Exit()


@app.callback()
def main(
    version: Annotated[bool, typer.Option("--version", help="Print the version and exit.", is_eager=True,
                                          callback=print_version)] = False,
) -> None:
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
    from fazhi.agent import api

    docs, rejected = api.ingest(paths, api.Options(db=db))
    for bad in rejected:
        say(f"Skipped {bad.path}: {bad.reason}")
    say(f"Ingested {len(docs)} documents ({len(rejected)} files skipped) into {api.store_settings(db).db}")
    if rejected:
        raise typer.Exit(1)


def print_summary(s: "RunSummary") -> None:
    items = ", ".join(f"{n} {k}" for k, n in s.items.items()) or "no items"
    state = " INTERRUPTED" if s.status == "interrupted" else ""
    say(f"Run {s.run_id}{state} ({s.backend}{' ' + s.model if s.model else ''}, {s.prompt_version}): "
        f"{s.done} done, {s.failed} failed, {s.skipped} already done, {len(s.rejected)} files skipped")
    say(f"  {items}; {s.dropped} items dropped by the checks")
    say(f"  {s.requests} requests, {s.cache_hits} cache hits, {s.tokens_in} tokens in "
        f"({s.tokens_cached} cached), {s.tokens_out} out, ${s.cost_usd:.4f}")
    if s.stopped_by:
        say(f"  STOPPED: {s.stopped_by}; {s.unstarted} documents not started ({s.stop_advice})")
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
    api_key: Annotated[str | None, typer.Option(help="API key [default: FAZHI_API_KEY or the profile's variable].",
                                                show_default=False)] = None,
    mode: Annotated[str | None, typer.Option(help="instructor mode: json, tools, json_schema, md_json.")] = None,
    concurrency: Annotated[int | None, typer.Option(help="Requests in flight at once [default: the profile's].",
                                                    show_default=False)] = None,
    timeout: Annotated[float | None, typer.Option(help="Wall-clock deadline per request, seconds.")] = None,
    cache_dir: Annotated[str | None, typer.Option(help="Answer cache folder [default: ./cache].",
                                                  show_default=False)] = None,
    no_cache: Annotated[bool, typer.Option("--no-cache", help="Neither read nor write the cache.")] = False,
    offline: Annotated[bool, typer.Option("--offline", help="Replay model answers from the cache only.")] = False,
    force: Annotated[bool, typer.Option("--force", help="Re-extract documents that already have a result.")] = False,
    max_cost: Annotated[float | None, typer.Option(help="Cost budget of the run, USD: no new document starts once "
                                                        "it is reached.")] = None,
) -> None:
    """Ingest reports, extract metadata, metrics and issues, and store them."""
    from fazhi.agent import api

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
    """Documents done out of all, the rate and the time left, on stderr when it is a terminal."""

    def __init__(self) -> None:
        self.bar: Any = None
        self.task: Any = None

    def __enter__(self) -> "Progress":
        return self

    def start(self, total: int) -> None:
        if not (sys.stderr.isatty() and total):
            return
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, TextColumn, TimeRemainingColumn
        from rich.progress import Progress as Bar

        self.bar = Bar(TextColumn("Extracting"), BarColumn(), MofNCompleteColumn(),
                       TextColumn("{task.fields[rate]}"), TimeRemainingColumn(),
                       console=Console(stderr=True), speed_estimate_period=300)
        self.bar.start()
        self.task = self.bar.add_task("extract", total=total, rate="")

    def advance(self, _outcome: object) -> None:
        if self.bar is not None:
            self.bar.advance(self.task)
            speed = self.bar.tasks[0].speed
            self.bar.update(self.task, rate=f"{speed:.2f} docs/s" if speed else "")

    def __exit__(self, *exc: object) -> None:
        if self.bar is not None:
            self.bar.stop()


@app.command()
@fails_cleanly
def sql(
    query: Annotated[str, typer.Argument(help="SQL to run, e.g. \"SELECT * FROM reports\".", show_default=False,
                                                 metavar="SQL")],
    db: Db = None,
    fmt: Format = "table",
    write: Annotated[bool, typer.Option("--write", help="Allow statements that change the database.")] = False,
) -> None:
    """Run SQL against the database (read-only unless --write)."""
    from fazhi.agent import api

    check_format(fmt)
    with api.open_store(db, read_only=not write) as store:
        columns, rows = store.query(query)
    if columns:
        typer.echo(render(columns, rows, fmt))


@app.command()
@fails_cleanly
def show(
    doc: Annotated[str, typer.Argument(help="Document id (or a unique prefix) or the path it was read from.",
                                       show_default=False, metavar="DOC")],
    db: Db = None,
    fmt: Annotated[str, typer.Option("--format", "-f", help="table, json, or csv (one row per item: metrics and "
                                                            "issues; the metadata goes to stderr).",
                                         metavar="FORMAT")] = "table",
) -> None:
    """One report's metadata, metrics and issues."""
    from fazhi.agent import api

    check_format(fmt)
    report = api.show(doc, db)
    if fmt == "json":
        typer.echo(json.dumps(report, ensure_ascii=False, indent=1))
    elif fmt == "csv":
        show_csv(report)
    else:
        show_table(report)


def show_table(report: dict[str, Any]) -> None:
    for key, value in report.items():
        if isinstance(value, dict):
            typer.echo(render(["field", "value"], list(value.items()), "table"))
        elif isinstance(value, list):
            typer.echo(f"\n{key} ({len(value)})")
            if value:
                columns = sorted(value[0], key=lambda k: k == "evidence")
                typer.echo(render(columns, [[v.get(c) for c in columns] for v in value], "table"))
        elif value is not None:
            say(f"{key}: {value}")


def show_csv(report: dict[str, Any]) -> None:
    """One CSV table: a row per item with its kind (the result's list: metrics, issues), every field any
    item has; the rest (metadata, the run's backend and model) as lines on stderr."""
    items = [(kind, item) for kind, value in report.items() if isinstance(value, list) for item in value]
    fields = list(dict.fromkeys(field for _, item in items for field in item))
    fields.sort(key=lambda f: f == "evidence")
    typer.echo(render(["doc_id", "kind", *fields],
                      [[report["doc_id"], kind, *(item.get(f) for f in fields)] for kind, item in items], "csv"))
    for key, value in report.items():
        if isinstance(value, dict):
            for name, field_value in value.items():
                say(f"{key}.{name}: {field_value}")
        elif not isinstance(value, list) and value is not None:
            say(f"{key}: {value}")


@app.command()
@fails_cleanly
def runs(db: Db = None, fmt: Format = "table", limit: Annotated[int, typer.Option(help="How many.")] = 20) -> None:
    """Recent runs: backend, model, prompt version, documents, tokens, cost, budgets."""
    from fazhi.agent import api

    check_format(fmt)
    with api.open_store(db) as store:
        columns, rows = store.query(
            "SELECT run_id, kind, backend, model, prompt_version, status, n_docs, n_done, n_failed, n_skipped,"
            " n_unstarted, requests, cache_hits, tokens_in, tokens_out, round(cost_usd, 4) AS cost_usd, max_cost,"
            " max_doc_tokens, started_at, finished_at"
            " FROM runs ORDER BY run_id DESC LIMIT ?", [limit])
    typer.echo(render(columns, rows, fmt))


if __name__ == "__main__":
    app()
