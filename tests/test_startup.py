"""Commands that only read the database import no model library, web app or document reader (the
startup time they would cost is measured by evals/startup.py)."""

import json
import subprocess
import sys
from pathlib import Path

import pytest
from fazhi.agent import api
from fazhi.evals.fakellm import FakeLLM

HEAVY = ("openai", "instructor", "httpx", "httpx2", "starlette", "jinja2", "uvicorn", "pypdf", "docx", "cn2an", "rich",
         "fazhi.schemas.rules.offline", "fazhi.evals.cli", "fazhi.evals.runner", "fazhi.agent.review.app",
         "fazhi.agent.batch.flow")


def imported_by(*args: str, heavy: tuple[str, ...] = HEAVY) -> list[str]:
    """The heavy modules loaded by a fresh Python that imports the CLI and runs `fazhi ARGS`."""
    code = (f"import json, sys; sys.argv = ['fazhi', *{list(args)!r}]\n"
            "from fazhi.agent.cli import app\n"
            "try:\n    app()\nexcept SystemExit as exc:\n    assert not exc.code, exc.code\n"
            f"print(json.dumps([m for m in {heavy!r} if m in sys.modules]), file=sys.stderr)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stderr.strip().splitlines()[-1])


@pytest.fixture
def database(samples: Path) -> None:
    api.extract([samples / "huzhu-2024.txt"], api.Options(backend="offline"))


def test_importing_the_cli_loads_no_model_library() -> None:
    done = subprocess.run([sys.executable, "-c", "import sys, fazhi.agent.cli; print(sorted(sys.modules))"],
                          capture_output=True, text=True, timeout=60, check=True)
    loaded = set(json.loads(done.stdout.replace("'", '"')))
    assert not loaded & {"openai", "instructor", "duckdb", "pydantic", "fazhi.evals", "fazhi.evals.cli"}


@pytest.mark.usefixtures("database")
@pytest.mark.parametrize("args", [("sql", "select count(*) from reports"), ("runs",), ("show", "huzhu-2024.txt"),
                                  ("--help",), ("fixtures", "--help")])
def test_read_only_commands_import_no_model_library(args: tuple[str, ...]) -> None:
    assert imported_by(*args) == []


def test_offline_extraction_imports_no_model_library(samples: Path, tmp_path: Path) -> None:
    loaded = imported_by("extract", str(samples / "huzhu-2024.txt"), "--backend", "offline",
                         "--db", str(tmp_path / "offline.duckdb"))
    assert not set(loaded) & {"openai", "instructor", "httpx", "httpx2"}


def test_a_run_answered_from_the_cache_loads_no_http_client(fake: FakeLLM, samples: Path) -> None:
    args = ("extract", str(samples / "huzhu-2024.txt"), "--base-url", fake.base_url, "--model", "m", "--api-key", "k")
    assert "openai" in imported_by(*args, heavy=("openai",))  # the first run asks the model
    sent = len(fake.requests)
    assert imported_by(*args, "--force", heavy=("openai", "instructor", "httpx2", "httpcore2")) == []
    assert len(fake.requests) == sent
