"""Every command through typer's CliRunner: data on stdout, one-line errors on stderr, exit codes."""

import json
from pathlib import Path

import duckdb
from fazhi.agent.cli import app
from fazhi.evals.fakellm import FakeLLM
from typer.testing import CliRunner

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
    assert rows == [*(("engine", v) for v in range(1, 10)), ("fazhi_report", 1), ("fazhi_report", 2)]


def test_sql_error_keeps_duckdbs_suggestion_and_caret(fake: FakeLLM, samples: Path) -> None:
    extracted(fake, samples)
    result = fazhi("sql", "SELECT * FROM reprts")
    assert result.exit_code == 2
    lines = result.stderr.splitlines()
    assert lines[0].startswith("Error: Catalog Error: Table with name reprts does not exist")
    assert 'Did you mean "reports"?' in lines
    assert "LINE 1: SELECT * FROM reprts" in lines and lines[-1].strip() == "^^^^^^"


def test_help_shows_defaults_and_every_readable_file_type() -> None:
    extract = fazhi("extract", "--help").stdout
    assert "[default: auto]" in extract and "[default: ./fazhi.duckdb or FAZHI_DB]" in extract
    assert "[default: ./cache]" in extract
    assert ".txt .md .html .htm .pdf .docx .doc" in " ".join(extract.split())
    assert "[default: table]" in fazhi("sql", "--help").stdout
    assert "[default: 20]" in fazhi("runs", "--help").stdout


def test_version_short_help_and_completion() -> None:
    from importlib.metadata import version

    assert fazhi("--version").stdout == f"fazhi {version('fazhi')}\n"
    short, long = fazhi("-h"), fazhi("--help")
    assert short.exit_code == 0 and short.stdout == long.stdout
    assert "--install-completion" in long.stdout and "-h, --help" in long.stdout
    assert fazhi("sql", "-h").stdout == fazhi("sql", "--help").stdout


def test_usage_errors_exit_2() -> None:
    assert fazhi("sql").exit_code == 2
    assert fazhi("nosuch").exit_code == 2
    assert fazhi("runs", "--limit", "many").exit_code == 2


def test_a_misspelt_gate_is_a_usage_error_before_the_eval_runs(tmp_path: Path) -> None:
    result = fazhi("eval", "--fail-under", "metrics.f=0.85", "--out", str(tmp_path / "out"))
    assert result.exit_code == 2
    assert "Invalid value for '--fail-under': no score named metrics.f: choose from" in result.stderr
    assert "metrics.f1" in result.stderr and not (tmp_path / "out").exists()
    assert fazhi("eval", "--fail-under", "metrics.f1", "--out", str(tmp_path / "out")).exit_code == 2


def test_show_csv_is_one_csv_table_of_items(fake: FakeLLM, samples: Path) -> None:
    import csv
    import io

    extracted(fake, samples)
    report = json.loads(fazhi("show", "huzhu-2024.txt", "-f", "json").stdout)
    result = fazhi("show", "huzhu-2024.txt", "--format", "csv")
    assert result.exit_code == 0
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert len(rows) == len(report["metrics"]) + len(report["issues"])
    assert {r["doc_id"] for r in rows} == {report["doc_id"]}
    metrics = [r for r in rows if r["kind"] == "metrics"]
    assert [r["evidence"] for r in metrics] == [m["evidence"] for m in report["metrics"]]
    assert [r["name"] for r in metrics] == [m["name"] for m in report["metrics"]]
    assert f"meta.report_year: {report['meta']['report_year']}" in result.stderr


def test_extract_summary_names_the_database_file(samples: Path) -> None:
    result = fazhi("extract", str(samples / "huzhu-2024.txt"), "--db", "other.duckdb")
    assert result.exit_code == 0
    assert "stored in other.duckdb" in result.stderr


def test_extract_that_finds_no_file_is_an_error_and_records_no_run(samples: Path, tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    mistyped = fazhi("extract", "sampels/")
    assert mistyped.exit_code == 2
    assert mistyped.stderr.startswith("Error: No report to read in sampels (sampels: no such file or folder)")
    assert fazhi("extract", "empty").exit_code == 2
    assert not Path("fazhi.duckdb").exists()
    fazhi("extract", str(samples / "huzhu-2024.txt"))
    assert fazhi("ingest", "empty").exit_code == 2
    assert json.loads(fazhi("runs", "-f", "json").stdout)[0]["run_id"] == 1


def test_progress_on_a_terminal_shows_count_rate_and_time_left(samples: Path) -> None:
    code, shown = on_a_terminal("extract", str(samples), "--backend", "offline")
    assert code == 0
    assert "Extracting" in shown and "5/5" in shown and "docs/s" in shown and "0:00:00" in shown


def on_a_terminal(*args: str) -> tuple[int, str]:
    """Exit code and stderr of `fazhi ARGS` run with its stderr on a pseudo-terminal."""
    import os
    import pty
    import select
    import subprocess
    import sys

    leader, follower = pty.openpty()
    process = subprocess.Popen([sys.executable, "-m", "fazhi.agent.cli", *args], stdin=subprocess.DEVNULL,
                               stdout=subprocess.DEVNULL, stderr=follower)
    os.close(follower)
    chunks = []
    for _ in range(1200):  # 0.1 s each: two minutes at most
        if select.select([leader], [], [], 0.1)[0]:
            try:
                chunks.append(os.read(leader, 65536))
            except OSError:  # the process closed the terminal
                break
        elif process.poll() is not None:
            break
    os.close(leader)
    return process.wait(timeout=60), b"".join(chunks).decode(errors="replace")


def test_commands_of_other_packages_are_listed_with_their_own_help() -> None:
    from fazhi.agent.commands import plugin_commands

    listing = " ".join(fazhi("--help").stdout.split())
    for command in plugin_commands():
        loaded = command.loaded
        declared = command.help or ""
        assert declared == (loaded.help or "").strip().split("\n")[0]
        assert f"{command.name} {declared[:30]}" in listing
    assert {c.name for c in plugin_commands()} >= {"eval", "review", "export", "fixtures", "batch"}
    assert fazhi("fixtures", "export", "--help").exit_code == 0


def test_readme_cli_reference_is_current() -> None:
    from fazhi.evals.clidoc import README, current_section, reference

    assert current_section(README.read_text(encoding="utf-8")) == reference(), "run python evals/clidoc.py"
