"""One database for everything: eval tables beside extraction's in the default file, made by evals' own
migrations (also in a database made before they moved out of the engine's); the README's eval SQL answering
from the default file after `fazhi eval`; and the review app sharing the file with a running `fazhi extract`."""

import re
import shutil
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from click.testing import Result
from conftest import ROOT, SAMPLES
from fazhi.agent import api
from fazhi.agent.cli import app
from fazhi.agent.documents import read_document
from fazhi.agent.review.server import running
from fazhi.evals.runner import MIGRATIONS, NAMESPACE
from typer.testing import CliRunner

FIXTURES = ROOT / "evals" / "fixtures"
FAZHI = Path(sys.executable).with_name("fazhi")  # the installed command, run as another process


def fazhi(*args: str) -> Result:
    return CliRunner().invoke(app, list(args))


def rows(sql: str, db: str | None = None) -> list[tuple]:
    with api.open_store(db) as store:
        return store.query(sql)[1]


def eval_tables(db: str | None = None) -> set[str]:
    return {t for (t,) in rows("SELECT table_name FROM duckdb_tables() WHERE table_name LIKE 'eval%'", db)}


@pytest.fixture
def two(tmp_path: Path) -> Path:
    """A fixture folder with two of the seed fixtures."""
    root = tmp_path / "fx"
    for name in ("xx-congress-survey-2022", "nanyang-2022"):
        shutil.copytree(FIXTURES / name, root / name)
    return root


def test_eval_stores_its_run_beside_the_extractions_in_the_default_database(two: Path) -> None:
    assert fazhi("extract", str(SAMPLES / "dongyang-2022.txt")).exit_code == 0
    result = fazhi("eval", "--fixtures", str(two))
    assert result.exit_code == 0, result.output
    assert "stored in fazhi.duckdb" in result.stderr
    assert not Path("evals.duckdb").exists()
    assert rows("SELECT count(*) FROM eval_runs") == [(1,)]
    assert rows("SELECT count(*) FROM reports") == [(3,)]  # the extracted report and the two fixtures' sources
    assert rows("SELECT count(*) FROM eval_runs JOIN runs USING (run_id)") == [(1,)]
    assert rows("SELECT namespace, version FROM schema_migrations WHERE namespace = 'evals'") == [("evals", 1)]


def test_engine_migrations_make_no_eval_tables_and_eval_diff_says_there_is_no_run() -> None:
    assert fazhi("extract", str(SAMPLES / "dongyang-2022.txt")).exit_code == 0
    assert eval_tables() == set()
    result = fazhi("eval", "diff", "last", "last")
    assert result.exit_code == 2 and "No eval run in fazhi.duckdb: run `fazhi eval` first" in result.stderr


@pytest.mark.parametrize("applied", [(2,), (2, 7)], ids=["engine-2", "engine-2-and-7"])
def test_a_database_made_when_the_engine_held_the_eval_tables_keeps_working(
        two: Path, applied: tuple[int, ...]) -> None:
    """Before evals had its own migrations, engine migration 2 made the eval tables (without IF NOT EXISTS)
    and 7 added eval_items.rule. Such a file keeps its eval runs and takes new ones."""
    old_sql = (MIGRATIONS / "001_evals.sql").read_text(encoding="utf-8").replace(" IF NOT EXISTS", "")
    if 7 not in applied:
        old_sql = old_sql[: old_sql.index("ALTER TABLE eval_items ADD COLUMN rule")]
    with api.open_store(read_only=False) as store, store.transaction():
        store.query(old_sql)
        for version in applied:
            store.query("INSERT INTO schema_migrations (namespace, version, name) VALUES ('engine', ?, 'old.sql')"
                        " ON CONFLICT DO NOTHING", [version])
        store.query("INSERT INTO eval_runs (backend, prompt_version, fixture_set, fixture_hash, n_fixtures, status)"
                    " VALUES ('offline', 'old', 'old', 'h', 0, 'ok')")
    result = fazhi("eval", "--fixtures", str(two))
    assert result.exit_code == 0, result.output
    assert rows("SELECT eval_id, prompt_version = 'old' FROM eval_runs ORDER BY eval_id") == [(1, True), (2, False)]
    assert rows("SELECT count(*) > 0 FROM eval_items WHERE eval_id = 2 AND rule IS NOT NULL") == [(True,)]
    assert rows(f"SELECT version FROM schema_migrations WHERE namespace = '{NAMESPACE}'") == [(1,)]


def readme_eval_statements() -> list[str]:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    blocks = [b for b in re.findall(r"```sql\n(.*?)```", readme, re.S) if "eval_" in b]
    return [s.strip() for b in blocks for s in b.split(";") if s.strip()]


def test_every_eval_query_of_the_readme_answers_from_the_default_database_after_fazhi_eval() -> None:
    statements = readme_eval_statements()
    assert len(statements) >= 4
    result = fazhi("eval")
    assert result.exit_code == 0, result.output
    for sql in statements:
        assert rows(sql), f"no rows from the README's\n{sql}"


def get(url: str) -> str:
    with urllib.request.urlopen(url, timeout=60) as response:
        assert response.status == 200
        return response.read().decode("utf-8")


def test_review_app_shows_a_report_that_extract_stored_while_it_ran(tmp_path: Path) -> None:
    db = str(tmp_path / "fazhi.duckdb")
    assert api.extract([SAMPLES / "dongyang-2022.txt"], api.Options(backend="offline", db=db)).done == 1
    new_docs = [read_document(SAMPLES / name).doc_id for name in ("huzhu-2024.txt", "nanyang-2022.txt")]
    with running(db, api.load_genre()) as url:
        assert "dongyang-2022.txt" in get(url) and not any(d in get(url) for d in new_docs)
        extract = subprocess.Popen([str(FAZHI), "extract", str(SAMPLES / "huzhu-2024.txt"),
                                    str(SAMPLES / "nanyang-2022.txt"), "--db", db, "--backend", "offline"],
                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        pages, deadline = 0, time.monotonic() + 120
        while extract.poll() is None and time.monotonic() < deadline:  # the app answers while extract runs
            get(url)
            pages += 1
        _, err = extract.communicate(timeout=120)
        assert extract.returncode == 0, err
        listing = get(url)
    assert pages > 0
    assert all(f"/doc/{d}" in listing for d in new_docs) and "dongyang-2022.txt" in listing
