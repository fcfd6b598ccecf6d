"""A fresh fazhi database opens in the oldest DuckDB fazhi claims (store.OLDEST_READER) and in the DuckDB CLI
1.5.6 (which cannot read duckdb 2.x's default storage), whatever duckdb wrote it.

The old duckdb and the CLI come from the package index through pip, installed once into a cache folder
(~/.cache/fazhi-test, shared by test sessions); the tests are skipped, saying why, when pip cannot get them."""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest
from conftest import SAMPLES
from fazhi.agent import api
from fazhi.agent.store import OLDEST_READER, STORAGE_VERSION

CACHE = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "fazhi-test"  # before HOME is isolated
CLI_VERSION = "1.5.6"
READ = """
import json, sys
import duckdb
db = duckdb.connect(sys.argv[1], read_only=True)
print(json.dumps({"version": duckdb.__version__, "rows": [db.execute(q).fetchall() for q in sys.argv[2:]]},
                 default=str))
"""
QUERIES = ("SELECT count(*) FROM reports", "SELECT count(*) FROM latest_metrics WHERE value IS NOT NULL",
           "SELECT count(*) FROM latest_issues", "SELECT count(*) FROM eval_items")


def installed(requirement: str, *extra: str) -> Path:
    """A folder holding `requirement` and `extra` (pip install --target), made once; skip when the index
    lacks them."""
    target = CACHE / "-".join([requirement.replace("==", "-"), *extra])
    if not (target / ".complete").exists():
        building = target.with_name(f"{target.name}.{os.getpid()}")
        shutil.rmtree(building, ignore_errors=True)
        done = subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--target", str(building),
                               requirement, *extra], capture_output=True, text=True, timeout=600)
        if done.returncode != 0:
            shutil.rmtree(building, ignore_errors=True)
            pytest.skip(f"pip cannot install {requirement}: {done.stderr.strip().splitlines()[-1:]}")
        (building / ".complete").touch()
        try:
            building.rename(target)
        except OSError:  # another worker made it first
            shutil.rmtree(building, ignore_errors=True)
    return target


def old_duckdb_reads(db: Path, *queries: str) -> dict:
    """Run the queries with the oldest claimed duckdb, in another Python process."""
    env = {**os.environ, "PYTHONPATH": str(installed(f"duckdb=={OLDEST_READER}", "pytz"))}
    done = subprocess.run([sys.executable, "-c", READ, str(db), *queries], capture_output=True, text=True, env=env,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


@pytest.fixture
def fresh_db(tmp_path: Path) -> Path:
    """A fazhi database as a new user makes it: the samples extracted, the seed fixtures evaluated."""
    db = tmp_path / "fazhi.duckdb"
    assert api.extract([SAMPLES], api.Options(backend="offline", db=str(db))).done == 5
    from fazhi.evals.fixtures_io import DEFAULT_FIXTURES
    from fazhi.evals.runner import run_eval

    run_eval(DEFAULT_FIXTURES, api.Options(backend="offline", db=str(db)), tmp_path / "eval-out")
    return db


def test_a_new_database_is_written_in_the_claimed_storage_version(fresh_db: Path) -> None:
    with duckdb.connect(str(fresh_db), read_only=True) as db:
        tags = db.execute("SELECT tags FROM duckdb_databases() WHERE database_name = 'fazhi'").fetchone()[0]
    assert tags["storage_version"] == f"{STORAGE_VERSION}+"


def test_the_oldest_claimed_duckdb_opens_a_new_database_and_queries_it(fresh_db: Path) -> None:
    with api.open_store(str(fresh_db)) as store:
        expected = [store.query(q)[1] for q in QUERIES]
    read = old_duckdb_reads(fresh_db, *QUERIES)
    assert read["version"] == OLDEST_READER
    assert [[list(r) for r in rows] for rows in expected] == read["rows"]
    assert all(rows[0][0] > 0 for rows in read["rows"])


def test_the_oldest_claimed_duckdb_reads_every_column_of_the_views(fresh_db: Path) -> None:
    """Every column, timestamps and JSON included (duckdb 1.x's Python client needs pytz for TIMESTAMPTZ)."""
    views = ("reports", "latest_extractions", "latest_metrics", "latest_issues", "eval_runs", "eval_items")
    with api.open_store(str(fresh_db)) as store:
        expected = [len(store.query(f"SELECT * FROM {v}")[1]) for v in views]
    read = old_duckdb_reads(fresh_db, *(f"SELECT * FROM {v}" for v in views))
    assert [len(rows) for rows in read["rows"]] == expected and all(expected)


def test_without_the_setting_the_oldest_duckdb_cannot_open_the_file(tmp_path: Path) -> None:
    """Why the setting is there: the installed duckdb's own default is not readable by the old one (when it
    is newer than that old one's format)."""
    plain = tmp_path / "plain.duckdb"
    with duckdb.connect(str(plain)) as db:
        db.execute("CREATE TABLE t AS SELECT 1 AS a")
        default = db.execute("SELECT tags FROM duckdb_databases() WHERE database_name = 'plain'").fetchone()[0]
    if default["storage_version"] <= f"{STORAGE_VERSION}+":
        pytest.skip(f"duckdb {duckdb.__version__} writes {default['storage_version']} by default")
    env = {**os.environ, "PYTHONPATH": str(installed(f"duckdb=={OLDEST_READER}", "pytz"))}
    done = subprocess.run([sys.executable, "-c", READ, str(plain), "SELECT 1"], capture_output=True, text=True,
                          env=env, timeout=120)
    assert done.returncode != 0 and "storage" in done.stderr.lower()


def test_the_duckdb_cli_opens_a_new_database(fresh_db: Path) -> None:
    cli = installed(f"duckdb-cli=={CLI_VERSION}") / "duckdb_cli" / "duckdb"
    done = subprocess.run([str(cli), "-readonly", "-csv", "-noheader", str(fresh_db), "-c",
                           "SELECT version(), (SELECT count(*) FROM reports), (SELECT count(*) FROM eval_runs)"],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == f"v{CLI_VERSION},5,1"
