"""The standard analysis queries on a database of 100,000 reports:

    python evals/sqlscale.py [--reports 100000] [--metrics 139] [--issues 20] [--db FILE] [--repeat 3]

Builds the database once (kept at --db; rebuilt when its size differs) through fazhi's own migrations,
then fills it by SQL (`range()`, not by running extraction): per report one extraction, one meta row,
--metrics metric rows and --issues issue rows, each item with its evidence quote and offsets into a
short synthetic document (about 600 characters: the real reports' 56 KB each would make a 5.6 GB
file, and no query here reads the text). The default counts are the real corpus's averages under the
offline rules (139 metrics a report: 13.9 M metric rows).

Each query of README's "Querying" section (plus "every metric with its quote", read from the stored
evidence, and the old way by `substr` of the document) is timed twice: through `fazhi sql` as a fresh
process (start-up included, output to a pipe), and in this process on an open read-only store (the
median of --repeat runs).
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

QUERIES = {
    "reports": "SELECT doc_id, region, province, report_year, n_metrics, n_issues FROM reports",
    "court appearance by region, year": "SELECT region, report_year, value FROM latest_metrics"
                                        " WHERE canonical = 'court_appearance_rate' ORDER BY report_year, region",
    "issues by category": "SELECT category, count(*) AS issues FROM latest_issues GROUP BY ALL ORDER BY issues DESC",
    "model vs rules disagreement": "SELECT doc_id, (crosscheck->>'$.metrics.model')::INT AS by_model,"
                                   " (crosscheck->>'$.metrics.rules')::INT AS by_rules,"
                                   " (crosscheck->>'$.metrics.agree')::INT AS agreeing FROM latest_extractions"
                                   " WHERE backend = 'llm'"
                                   " ORDER BY agreeing / greatest(by_model, by_rules, 1) LIMIT 10",
    "metrics with quotes (evidence)": "SELECT name, value, unit, evidence FROM latest_metrics LIMIT 20",
    "metrics with quotes (substr join)": "SELECT m.name, m.value, m.unit, substr(d.text, m.start + 1,"
                                         " m.\"end\" - m.start) AS quote FROM latest_metrics m JOIN documents d"
                                         " USING (doc_id) LIMIT 20",
}

REGIONS = ["深圳市", "东阳市", "杭州市", "广州市", "南京市", "成都市", "武汉市", "西安市"]
CATEGORIES = ["legislation", "enforcement", "supervision", "judiciary", "publicity", "government", "other"]
# one court-appearance rate a report, as real reports give; a few other taxonomy keys; most metrics none
CANONICAL_OF_K = ("CASE WHEN k = 0 THEN 'court_appearance_rate' WHEN k % 10 = 1 THEN 'reconsideration_cases'"
                  " WHEN k % 10 = 2 THEN 'litigation_cases' END")
SENTENCE = "全年共办理行政复议案件一百二十件，行政机关负责人出庭应诉率达到百分之九十八。"


def build(db: Path, reports: int, metrics: int, issues: int) -> None:
    from fazhi.agent.api import load_genre
    from fazhi.agent.store import Store

    db.unlink(missing_ok=True)
    with Store(db, load_genre()) as store:
        sql = store.db.execute
        sql("SET preserve_insertion_order = false")
        sql(f"""INSERT INTO documents (doc_id, text, n_chars, raw_sha256)
                SELECT 'd' || i, repeat('{SENTENCE}', 16), 16 * {len(SENTENCE)}, md5(i::VARCHAR)
                FROM range({reports}) t(i)""")
        sql("""INSERT INTO runs (run_id, kind, backend, model, prompt_version, schema_hash, status)
                VALUES (1, 'extract', 'llm', 'm', 'p', 's', 'ok')""")
        sql(f"""INSERT INTO extractions (extraction_id, run_id, doc_id, backend, model, prompt_version, status,
                                         n_items, result, crosscheck)
                SELECT i, 1, 'd' || i, 'llm', 'm', 'p', 'ok', {metrics + issues}, '{{}}',
                       json_object('metrics', json_object('model', {metrics}, 'rules', {metrics} - i % 7,
                                   'agree', {metrics} - i % 11), 'meta_disagree', json_array())
                FROM range({reports}) t(i)""")
        sql(f"""INSERT INTO meta (extraction_id, doc_id, title, region, province, admin_level, report_year, issuer)
                SELECT i, 'd' || i, '法治政府建设年度报告', {pick(REGIONS, 'i')}, '广东省', 'city',
                       2015 + i % 10, '人民政府' FROM range({reports}) t(i)""")
        sql(f"""INSERT INTO metrics (extraction_id, doc_id, idx, name, value, unit, category, canonical, evidence,
                                     start, "end")
                SELECT r, 'd' || r, k, '行政复议案件', (r * 7 + k) % 1000, '件', {pick(CATEGORIES, 'k')},
                       {CANONICAL_OF_K}, substr('{SENTENCE}', 1 + (k % 8), 20), k % 8, k % 8 + 20
                FROM range({reports}) a(r), range({metrics}) b(k)""")
        sql(f"""INSERT INTO issues (extraction_id, doc_id, idx, summary, category, evidence, start, "end")
                SELECT r, 'd' || r, k, '执法不规范', {pick(CATEGORIES, 'k + r')}, substr('{SENTENCE}', 1, 30), 0, 30
                FROM range({reports}) a(r), range({issues}) b(k)""")
        sql("CHECKPOINT")


def pick(values: Sequence[str | None], index: str) -> str:
    """SQL choosing values[index % len] (NULL for None)."""
    listed = ", ".join("NULL" if v is None else f"'{v}'" for v in values)
    return f"([{listed}])[1 + ({index}) % {len(values)}]"


def through_cli(db: Path, query: str) -> float:
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "fazhi.agent.cli", "sql", query, "--db", str(db), "--format", "csv"],
                          cwd=ROOT, capture_output=True, text=True)
    if done.returncode:
        raise SystemExit(done.stderr)
    return time.perf_counter() - started


def in_process(db: Path, query: str, repeat: int) -> float:
    from fazhi.agent.api import open_store

    times = []
    with open_store(str(db)) as store:
        for _ in range(repeat):
            started = time.perf_counter()
            store.query(query)
            times.append(time.perf_counter() - started)
    return statistics.median(times)


def count(db: Path, table: str) -> int:
    from fazhi.agent.api import open_store

    with open_store(str(db)) as store:
        return int(store.query(f"SELECT count(*) FROM {table}")[1][0][0])


def main() -> dict[str, tuple[float, float]]:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--reports", type=int, default=100_000)
    parser.add_argument("--metrics", type=int, default=139, help="metric rows per report")
    parser.add_argument("--issues", type=int, default=20, help="issue rows per report")
    parser.add_argument("--db", type=Path, default=Path("/tmp/fazhi-sqlscale.duckdb"))
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    return run(args.db, args.reports, args.metrics, args.issues, args.repeat)


def run(db: Path, reports: int, metrics: int, issues: int, repeat: int = 3) -> dict[str, tuple[float, float]]:
    if not db.exists() or count(db, "meta") != reports or count(db, "metrics") != reports * metrics:
        started = time.perf_counter()
        build(db, reports, metrics, issues)
        print(f"built {db} in {time.perf_counter() - started:.1f} s")
    print(f"{reports:,} reports, {count(db, 'metrics'):,} metric rows, {count(db, 'issues'):,} issue rows "
          f"({db.stat().st_size / 1e6:.0f} MB)")
    figures = {}
    for name, query in QUERIES.items():
        figures[name] = (through_cli(db, query), in_process(db, query, repeat))
        print(f"  {name:36s} fazhi sql {figures[name][0]:6.2f} s   in-process {figures[name][1]:6.3f} s")
    return figures


if __name__ == "__main__":
    main()
