"""Every command through typer's CliRunner: data on stdout, one-line errors on stderr, exit codes."""

import json
from pathlib import Path

import duckdb
from typer.testing import CliRunner

from agent.cli import app
from evals.fakellm import FakeLLM

runner = CliRunner()


def fazhi(*args: str):
    return runner.invoke(app, list(args))


def extracted(fake: FakeLLM, samples: Path) -> None:
    result = fazhi("extract", str(samples), "--base-url", fake.base_url, "--model", "m", "--api-key", "k")
    assert result.exit_code == 0, result.output


def test_ingest_reports_documents_and_skipped_files(samples: Path, tmp_path: Path) -> None:
    (tmp_path / "empty.txt").write_text("")
    result = fazhi("ingest", str(samples), str(tmp_path / "empty.txt"))
    assert result.exit_code == 1
    assert "Ingested 5 documents (1 files skipped)" in result.stderr
    assert "empty.txt: empty" in result.stderr


def test_extract_prints_a_summary_on_stderr(fake: FakeLLM, samples: Path) -> None:
    result = fazhi("extract", str(samples), "--base-url", fake.base_url, "--model", "m", "--api-key", "k")
    assert result.exit_code == 0
    assert result.stdout == ""
    assert "5 done, 0 failed" in result.stderr
    assert f"{len(fake.requests)} requests, 0 cache hits" in result.stderr


def test_extract_without_a_model_uses_offline_backend_with_a_notice(samples: Path) -> None:
    result = fazhi("extract", str(samples))
    assert result.exit_code == 0
    assert "offline backend" in result.stderr and "--profile" in result.stderr
    assert "5 done" in result.stderr


def test_extract_exits_non_zero_when_a_file_is_skipped(samples: Path, tmp_path: Path) -> None:
    (tmp_path / "bin.txt").write_bytes(bytes(range(256)))
    result = fazhi("extract", str(samples / "huzhu-2024.txt"), str(tmp_path / "bin.txt"))
    assert result.exit_code == 1
    assert "bin.txt: binary" in result.stderr


def test_missing_key_is_a_one_line_error_naming_the_variable(samples: Path) -> None:
    result = fazhi("extract", str(samples), "--profile", "qwen")
    assert result.exit_code == 2
    assert result.stderr.strip() == "Error: No API key: set DASHSCOPE_API_KEY or FAZHI_API_KEY, or pass --api-key"


def test_sql_prints_rows_as_table_csv_and_json(fake: FakeLLM, samples: Path) -> None:
    extracted(fake, samples)
    table = fazhi("sql", "SELECT count(*) AS n FROM reports")
    csv = fazhi("sql", "SELECT count(*) AS n FROM reports", "--format", "csv")
    as_json = fazhi("sql", "SELECT count(*) AS n FROM reports", "-f", "json")
    assert table.stdout.split() == ["n", "-", "5"]
    assert csv.stdout == "n\n5\n"
    assert json.loads(as_json.stdout) == [{"n": 5}]


def test_sql_refuses_writes_unless_asked(fake: FakeLLM, samples: Path) -> None:
    extracted(fake, samples)
    refused = fazhi("sql", "DELETE FROM metrics")
    assert refused.exit_code == 2
    assert "read-only" in refused.stderr and "--write" in refused.stderr
    assert fazhi("sql", "DELETE FROM metrics", "--write").exit_code == 0
    assert fazhi("sql", "SELECT count(*) FROM metrics", "-f", "csv").stdout == "count_star()\n0\n"


def test_sql_on_a_missing_database_says_how_to_make_one() -> None:
    result = fazhi("sql", "SELECT 1", "--db", "nothing.duckdb")
    assert result.exit_code == 2
    assert "No database at nothing.duckdb" in result.stderr


def test_locked_database_is_reported_as_such(fake: FakeLLM, samples: Path, tmp_path: Path) -> None:
    import subprocess
    import sys
    extracted(fake, samples)
    holder = subprocess.Popen([sys.executable, "-c", "import duckdb,time; c=duckdb.connect('fazhi.duckdb'); "
                               "print('ready', flush=True); time.sleep(30)"], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "ready"
        result = fazhi("sql", "SELECT 1")
    finally:
        holder.kill()
    assert result.exit_code == 2
    assert "locked by another process" in result.stderr


def test_show_prints_one_report_by_path_or_id_prefix(fake: FakeLLM, samples: Path) -> None:
    extracted(fake, samples)
    by_path = fazhi("show", "huzhu-2024.txt", "--format", "json")
    assert by_path.exit_code == 0, by_path.output
    report = json.loads(by_path.stdout)
    assert report["meta"]["report_year"] == 2024 and report["metrics"]
    by_id = fazhi("show", report["doc_id"][:6])
    assert by_id.exit_code == 0 and "metrics (" in by_id.stdout


def test_show_unknown_document_is_a_clear_error(fake: FakeLLM, samples: Path) -> None:
    extracted(fake, samples)
    result = fazhi("show", "zzzz")
    assert result.exit_code == 2 and "No document matches 'zzzz'" in result.stderr


def test_runs_lists_runs_newest_first(fake: FakeLLM, samples: Path) -> None:
    extracted(fake, samples)
    extracted(fake, samples)
    rows = json.loads(fazhi("runs", "-f", "json").stdout)
    assert [r["run_id"] for r in rows] == [2, 1]
    assert rows[0]["n_skipped"] == 5 and rows[1]["n_done"] == 5


def test_unknown_format_is_rejected() -> None:
    result = fazhi("runs", "--format", "xml")
    assert result.exit_code == 2 and "Unknown format 'xml'" in result.stderr


def test_store_migrations_are_recorded_once(fake: FakeLLM, samples: Path) -> None:
    extracted(fake, samples)
    extracted(fake, samples)
    rows = duckdb.connect("fazhi.duckdb", read_only=True).execute(
        "SELECT namespace, version FROM schema_migrations ORDER BY ALL").fetchall()
    assert rows == [*(("engine", v) for v in range(1, 10)), ("fazhi_report", 1)]
