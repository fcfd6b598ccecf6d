"""`fazhi eval` and `fazhi eval diff`: score extraction against labelled fixtures, gate regressions."""

from pathlib import Path
from typing import Annotated, Any

import typer
from fazhi.agent import api
from fazhi.agent.cli import say
from fazhi.agent.errors import FazhiError
from fazhi.agent.formatting import as_table
from fazhi.evals.compare import diff, gate, parse_thresholds, resolve_eval, summary_of
from fazhi.evals.fixtures_io import DEFAULT_FIXTURES
from fazhi.evals.runner import EvalResult, open_eval_store, run_eval
from fazhi.evals.scoring import summarise

eval_app = typer.Typer(help="Score extraction against labelled fixtures; compare runs; gate regressions.")
Db = Annotated[str | None, typer.Option("--db", help="DuckDB file, the one extraction uses [default: "
                                                    "./fazhi.duckdb or FAZHI_DB].")]


def fmt(value: Any) -> str:
    return "-" if value is None else f"{value:.3f}" if isinstance(value, float) else str(value)


def score_table(summary: dict[str, Any]) -> str:
    columns = ["fixture", "m.P", "m.R", "m.F1", "m.ungr", "i.P", "i.R", "i.F1", "i.ungr", "meta"]
    rows = [[fid, *score_cells(report)] for fid, report in summary["fixtures"].items()]
    rows.append(["TOTAL", *score_cells(summary)])
    return as_table(columns, rows)


def score_cells(report: dict[str, Any]) -> list[str]:
    m, i = report["metrics"], report["issues"]
    return [fmt(m["precision"]), fmt(m["recall"]), fmt(m["f1"]), fmt(m["ungrounded"]), fmt(i["precision"]),
            fmt(i["recall"]), fmt(i["f1"]), fmt(i["ungrounded"]), fmt(report["meta"]["accuracy"])]


def secondary(summary: dict[str, Any]) -> str:
    m = summary["metrics"]
    return (f"matched metrics: category {fmt(m['category_accuracy'])}, canonical {fmt(m['canonical_accuracy'])}, "
            f"qualifier {fmt(m['qualifier_accuracy'])}, name similarity {fmt(m['name_similarity'])}; "
            f"issues category {fmt(summary['issues']['category_accuracy'])}")


def print_diff(db: str | None, before: int, after: int) -> None:
    with open_eval_store(db) as store:
        changes = diff(store, before, after)
    typer.echo(f"\nChanges from eval {before} to eval {after}:")
    if not changes.scores and not changes.items:
        typer.echo("no score or item changed")
    if changes.scores:
        typer.echo(as_table(["fixture", "section", "field", "before", "after", "change"],
                            [[f, s, n, fmt(a), fmt(b), fmt(c)] for f, s, n, a, b, c in changes.scores]))
    for change, fixture_id, kind, item, rule in changes.items:
        typer.echo(f"{change:15} {fixture_id:28} {kind:6} {describe(item)}" + (f"  [rule: {rule}]" if rule else ""))


def describe(item: dict[str, Any] | None) -> str:
    if not item:
        return ""
    if "summary" in item:
        return f"{item.get('summary')} «{item.get('evidence')}»"
    return f"{item.get('value')} {item.get('unit')} {item.get('name')} «{item.get('evidence')}»"


def gate_names() -> list[str]:
    """The scores --fail-under can name: the numbers of a summary's metrics, issues and meta sections."""
    empty = summarise([])
    return [f"{section}.{name}" for section in ("metrics", "issues", "meta")
            for name, value in empty[section].items() if not isinstance(value, dict)]


def checked_gate(text: str | None) -> str | None:
    """--fail-under, checked before anything runs: a malformed gate or a score name that does not exist
    is a usage error (exit 2), never a regression."""
    try:
        names = parse_thresholds(text)
    except FazhiError as exc:
        raise typer.BadParameter(str(exc)) from None
    known = gate_names()
    unknown = [name for name in names if name not in known]
    if unknown:
        raise typer.BadParameter(f"no score named {', '.join(unknown)}: choose from {', '.join(known)}")
    return text


def model_options(backend: str | None, profile: str | None, model: str | None, base_url: str | None) -> str:
    return backend or ("llm" if profile or model or base_url else "offline")


@eval_app.callback(invoke_without_command=True)
def evaluate(
    ctx: typer.Context,
    fixtures: Annotated[Path, typer.Option(help="Fixtures folder: <id>/source.txt + gold.json.",
                                           show_default="the seed fixtures, evals/fixtures")] = DEFAULT_FIXTURES,
    backend: Annotated[str | None, typer.Option(help="offline (default) or llm.")] = None,
    profile: Annotated[str | None, typer.Option(help="Provider profile (implies --backend llm).")] = None,
    model: Annotated[str | None, typer.Option(help="Model name (implies --backend llm).")] = None,
    base_url: Annotated[str | None, typer.Option(help="OpenAI-compatible base URL (implies --backend llm).")] = None,
    api_key: Annotated[str | None, typer.Option(help="API key.")] = None,
    out: Annotated[Path, typer.Option(help="Where predictions and summary.json go.")] = Path("eval-out"),
    db: Db = None,
    offline: Annotated[bool, typer.Option("--offline", help="Score cached model answers only, no network.")] = False,
    baseline: Annotated[str | None, typer.Option(help="Compare with eval run RUN, or 'last'.")] = None,
    fail_under: Annotated[str | None, typer.Option(help="Gate, e.g. metrics.f1=0.85,issues.f1=0.8.",
                                                   callback=checked_gate)] = None,
    max_drop: Annotated[float | None, typer.Option(help="Gate: largest allowed drop of a headline score "
                                                       "against the baseline.")] = None,
    html: Annotated[Path | None, typer.Option(help="Write a self-contained HTML report here.")] = None,
) -> None:
    """Run the fixtures through the pipeline and score them (exit 1: regression, 2: broken run)."""
    if ctx.invoked_subcommand:
        return
    try:
        thresholds = parse_thresholds(fail_under)
        options = api.Options(backend=model_options(backend, profile, model, base_url), profile=profile,
                              model=model, base_url=base_url, api_key=api_key, db=db, replay_only=offline)
        result = run_eval(fixtures, options, out)
        report(result, db, out, html)
        failures = check(result, db, baseline, thresholds, max_drop)
    except FazhiError as exc:
        say(f"Error: {exc}")
        raise typer.Exit(2) from None
    finish(result, failures)


def report(result: EvalResult, db: str | None, out: Path, html: Path | None) -> None:
    typer.echo(score_table(result.summary))
    say(secondary(result.summary))
    say(f"Eval {result.eval_id} ({result.run.backend} {result.run.model or ''} {result.run.prompt_version}): "
        f"predictions and summary.json in {out}/, stored in {api.store_settings(db).db}")
    if html:
        from fazhi.evals.html_report import render_report

        views = [(f.fixture_id, f.source, s) for f, s in zip(result.fixtures, result.scores)]
        html.write_text(render_report(f"fazhi eval {result.eval_id}", result.summary, views), encoding="utf-8")
        say(f"HTML report: {html}")


def check(result: EvalResult, db: str | None, baseline: str | None, thresholds: dict[str, float],
          max_drop: float | None) -> list[str]:
    before = None
    if baseline:
        with open_eval_store(db) as store:
            base_id = resolve_eval(store, baseline, result.eval_id)
            before = summary_of(store, base_id)
        print_diff(db, base_id, result.eval_id)
    return gate(result.summary, thresholds, max_drop, before)


def finish(result: EvalResult, failures: list[str]) -> None:
    if result.broken:
        reasons = [e for _, e in result.run.failures] + [f"{r.path}: {r.reason}" for r in result.run.rejected]
        say(f"Broken run: no prediction for {', '.join(result.broken)} ({'; '.join(reasons)})")
        raise typer.Exit(2)
    for failure in failures:
        say(f"Regression: {failure}")
    if failures:
        raise typer.Exit(1)


@eval_app.command("diff")
def eval_diff(
    before: Annotated[str, typer.Argument(help="Eval run id (or 'last').")],
    after: Annotated[str, typer.Argument(help="Eval run id.")],
    db: Db = None,
) -> None:
    """Show score changes and the items whose outcome changed between two eval runs."""
    try:
        with open_eval_store(db) as store:
            after_id = resolve_eval(store, after)
            before_id = resolve_eval(store, before, after_id)
        print_diff(db, before_id, after_id)
    except FazhiError as exc:
        say(f"Error: {exc}")
        raise typer.Exit(2) from None
