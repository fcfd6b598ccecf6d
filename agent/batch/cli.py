"""`fazhi batch submit|status|collect`: a thin shell over `fazhi.agent.api`'s batch functions."""

from collections.abc import Callable
from pathlib import Path
from typing import Annotated

import typer
from fazhi.agent import api
from fazhi.agent.batch.flow import Collected
from fazhi.agent.cli import Db, check_format, fails_cleanly, say
from fazhi.agent.formatting import render
from fazhi.agent.runs import RunSummary

Key = Annotated[str | None, typer.Option(help="API key (default: FAZHI_API_KEY or the profile's variable).")]
BatchId = Annotated[str | None, typer.Argument(help="Batch id (default: every batch not collected yet).")]

batch_app = typer.Typer(help="Backfills through a provider's Batch API (about half price) or vllm run-batch.",
                        no_args_is_help=True)


@batch_app.command("submit")
@fails_cleanly
def submit(
    paths: Annotated[list[Path], typer.Argument(help="Files or folders, folders recursively.")],
    db: Db = None,
    profile: Annotated[str | None, typer.Option(help="Provider profile: openai, qwen, zhipu, vllm, ... or one "
                                                     "from fazhi.toml.")] = None,
    model: Annotated[str | None, typer.Option(help="Model name (overrides the profile's).")] = None,
    base_url: Annotated[str | None, typer.Option(help="OpenAI-compatible base URL (overrides the profile's).")]
    = None,
    api_key: Key = None,
    mode: Annotated[str | None, typer.Option(help="instructor mode: json, tools, json_schema, md_json.")] = None,
    cache_dir: Annotated[str | None, typer.Option(help="Answer cache folder (default: ./cache).")] = None,
    force: Annotated[bool, typer.Option("--force", help="Also documents that have a result or wait in a batch.")]
    = False,
    write_jsonl: Annotated[Path | None, typer.Option(help="Write the requests to this JSONL file (for vllm "
                                                          "run-batch) instead of uploading them.")] = None,
) -> None:
    """Plan documents as `extract` does and send every first request as one batch; prints the batch id."""
    options = api.Options(profile=profile, model=model, base_url=base_url, api_key=api_key, mode=mode, db=db,
                          cache_dir=cache_dir, force=force)
    done = api.batch_submit(paths, options, write_jsonl)
    s = done.summary
    say(f"Run {done.run_id}: {done.waiting} documents wait on {done.requests} requests; {s.done} stored from the "
        f"cache, {s.failed} failed, {s.skipped} already done or waiting, {len(s.rejected)} files skipped")
    for doc_id, error in s.failures:
        say(f"  failed {doc_id}: {error}")
    for bad in s.rejected:
        say(f"  skipped {bad.path}: {bad.reason}")
    if done.batch_id and done.jsonl_path:
        say(f"Wrote {done.jsonl_path}: run `vllm run-batch -i {done.jsonl_path} -o OUT.jsonl --model MODEL`, then "
            "`fazhi batch collect --from-jsonl OUT.jsonl`")
    elif done.batch_id:
        say(f"Submitted batch {done.batch_id}: `fazhi batch status` shows its progress, `fazhi batch collect` "
            "reads it when it is complete")
    if done.batch_id:
        typer.echo(done.batch_id)
    if not s.ok:
        raise typer.Exit(1)


@batch_app.command("status")
@fails_cleanly
def status(
    batch: BatchId = None,
    db: Db = None,
    api_key: Key = None,
    fmt: Annotated[str, typer.Option("--format", "-f", help="table, csv or json.")] = "table",
) -> None:
    """The provider's status and request counts of a batch (or of every batch not collected yet)."""
    check_format(fmt)
    found = api.batch_status(batch, api.Options(db=db, api_key=api_key))
    if not found:
        say("No batch is waiting to be collected")
        return
    columns = ["batch_id", "run_id", "round", "state", "provider_status", "total", "completed", "failed"]
    typer.echo(render(columns, [[getattr(s, c) for c in columns] for s in found], fmt))


@batch_app.command("collect")
@fails_cleanly
def collect(
    batch: BatchId = None,
    db: Db = None,
    api_key: Key = None,
    live_reasks: Annotated[bool, typer.Option("--live-reasks", help="Send re-asks live instead of as a new "
                                                                    "batch round.")] = False,
    from_jsonl: Annotated[Path | None, typer.Option(help="Read the answers from this file (what vllm run-batch "
                                                         "wrote) instead of downloading them.")] = None,
    write_jsonl: Annotated[Path | None, typer.Option(help="Write a follow-up round to this JSONL file instead "
                                                          "of uploading it.")] = None,
) -> None:
    """Read a complete batch: store the documents it completes, send their re-asks as the next round."""
    from fazhi.agent.cli import print_summary

    results = api.batch_collect(batch, api.Options(db=db, api_key=api_key), live_reasks, from_jsonl, write_jsonl)
    if not results:
        say("No batch is waiting to be collected")
    for result in results:
        report(result, print_summary)
    if any(r.summary is not None and not r.summary.ok for r in results):
        raise typer.Exit(1)


def report(result: Collected, print_summary: Callable[[RunSummary], None]) -> None:
    total, answered, failed = result.counts
    if not result.ready and result.provider_status == "written":
        say(f"Batch {result.batch_id} is a JSONL file waiting for its answers: run it with vllm run-batch, then "
            "pass --from-jsonl OUT (the file run-batch wrote); nothing was stored")
        return
    if not result.ready:
        say(f"Batch {result.batch_id} is not complete yet ({result.provider_status}: {answered} of {total} "
            f"answered, {failed} failed): collect again later; nothing was stored")
        return
    say(f"Batch {result.batch_id}: {answered} of {total} requests answered, {failed} failed")
    if result.summary is not None:
        print_summary(result.summary)
    if result.next_batch:
        where = f"written to {result.next_path}" if result.next_path else "submitted"
        say(f"{result.waiting} documents need another round: batch {result.next_batch} {where}; collect it next")
        typer.echo(result.next_batch)
    elif result.finished:
        say(f"Run {result.run_id} is finished")


def register(app: typer.Typer) -> None:
    """Add `fazhi batch submit|status|collect` to the `fazhi` command."""
    app.add_typer(batch_app, name="batch")
