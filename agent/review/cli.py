"""`fazhi review`, `fazhi export` and `fazhi fixtures export`. Heavy imports wait until a command runs."""

import socket
from pathlib import Path
from typing import Annotated

import typer
from fazhi.agent.cli import Db, fails_cleanly, say
from fazhi.agent.commands import Commands
from fazhi.agent.errors import FazhiError


@fails_cleanly
def review(
    db: Db = None,
    port: Annotated[int, typer.Option(help="Port to listen on (0: any free port).")] = 8765,
    host: Annotated[str, typer.Option(help="Address to listen on; keep it local.")] = "127.0.0.1",
    reviewer: Annotated[str | None, typer.Option(help="Your name, recorded with every correction.")] = None,
    no_browser: Annotated[bool, typer.Option("--no-browser", help="Do not open a browser.")] = False,
) -> None:
    """Review extractions in a local web app: accept, reject, edit and add items; correct metadata."""
    from fazhi.agent.review.server import serve

    listener = bind(host, port)
    if host not in ("127.0.0.1", "localhost", "::1"):
        say(f"Warning: listening on {host}: anyone who can reach it can change the corrections")
    serve(db, listener, reviewer, open_browser=not no_browser, notify=say)


def bind(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        raise FazhiError(f"Cannot listen on {host}:{port} ({exc.strerror}): pass --port OTHER (0 picks a free one)"
                         ) from None
    return sock


@fails_cleanly
def export(
    db: Db = None,
    fmt: Annotated[str, typer.Option("--format", "-f", help="parquet, csv or jsonl.")] = "parquet",
    all_runs: Annotated[bool, typer.Option("--all-runs", help="Every extraction, not only each document's "
                                                              "latest successful one.")] = False,
    out: Annotated[Path, typer.Option(help="Folder to write the files into.")] = Path("export"),
) -> None:
    """Write reports, each item table and the corrections as Parquet, CSV or JSON lines files."""
    from fazhi.agent import api
    from fazhi.agent.review.exports import export_tables

    with api.open_store(db, external=True) as store:
        written = export_tables(store, out, fmt, all_runs)
    for path in written:
        typer.echo(str(path))
    say(f"Wrote {len(written)} files to {out}/")


@fails_cleanly
def fixtures_export(
    folder: Annotated[Path, typer.Argument(help="Folder to write <fixture_id>/source.txt + gold.json into.")],
    db: Db = None,
    reviewed_only: Annotated[bool, typer.Option("--reviewed-only", help="Only documents marked reviewed.")] = False,
) -> None:
    """Write each document's corrected result as a gold fixture in the contract's shape."""
    from fazhi.agent import api
    from fazhi.agent.review.exports import export_fixtures

    with api.open_store(db) as store:
        written = export_fixtures(store, folder, reviewed_only)
    for path in written:
        typer.echo(str(path))
    say(f"Wrote {len(written)} fixtures to {folder}/" + ("" if written or not reviewed_only else
                                                         " (none is marked reviewed: use `fazhi review`)"))


fixtures_app = typer.Typer(help="Labelled fixtures made from reviewed documents.", no_args_is_help=True)
fixtures_app.command("export")(fixtures_export)


def register(commands: Commands) -> None:
    """Declare `review`, `export` and `fixtures export` (the `fazhi.commands` entry point)."""
    commands.add("review", "fazhi.agent.review.cli:review",
                 "Review extractions in a local web app: accept, reject, edit and add items; correct metadata.")
    commands.add("export", "fazhi.agent.review.cli:export",
                 "Write reports, each item table and the corrections as Parquet, CSV or JSON lines files.")
    commands.add("fixtures", "fazhi.agent.review.cli:fixtures_app", "Labelled fixtures made from reviewed documents.")
