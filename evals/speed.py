"""Every speed figure of issue 10 in one run, each as a ratio to its target on this machine:

    python evals/speed.py [--docs 1000] [--corpus DIR ...] [--reports 100000] [--skip sql]

- CPU per document on the model path (zero-latency fake provider, in this process): evals/cpu.py;
- a fully cached re-run of those documents into a new database, `fazhi extract` as a fresh process;
- the offline backend over real reports, `fazhi extract --backend offline` as a fresh process into a new
  database: bytes of the files read ÷ wall time (default: /work/shared/corpus-sz and /work/shared/seeds);
- the standard analysis queries on --reports reports through `fazhi sql` (start-up included) and in
  process: evals/sqlscale.py (the slowest query is the figure).

A ratio ≤ 1 meets the target (for MB/s the target ÷ the figure). Wall times depend on what else the
machine runs: the CPU seconds of each fresh process are printed beside them.
"""

from __future__ import annotations

import argparse
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from fazhi.evals import cpu, sqlscale
from fazhi.evals.soak import start_fake, write_corpus

ROOT = Path(__file__).resolve().parents[1]

CORPUS = [Path("/work/shared/corpus-sz"), Path("/work/shared/seeds")]
TARGETS = {"cpu_ms_per_doc": 5.0, "cached_rerun_s": 2.0, "offline_mb_s": 2.0, "sql_s": 1.0}


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def offline(paths: list[Path], db: Path) -> tuple[float, float, float]:
    """(MB read, wall seconds, CPU seconds) of `fazhi extract --backend offline` as a fresh process."""
    size = sum(f.stat().st_size for p in paths for f in p.rglob("*") if f.is_file())
    before, started = children_cpu(), time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "fazhi.agent.cli", "extract", *map(str, paths), "--backend", "offline",
                           "--db", str(db)], cwd=ROOT, capture_output=True, text=True)
    wall = time.perf_counter() - started
    if done.returncode:
        raise SystemExit(done.stderr)
    return size / 1e6, wall, children_cpu() - before


def model_path(docs: int, work: Path) -> tuple[float, float, float, float]:
    """(CPU ms per document in process: the whole run, and its steady state; cached re-run wall seconds,
    its CPU seconds)."""
    corpus, cache = work / "reports", work / "cache"
    corpus.mkdir()
    write_corpus(corpus, docs, seed=11)
    fake, base_url = start_fake(0.0, 0)
    try:
        spent, steady, _ = cpu.measured_run(corpus, work / "first.duckdb", cache, base_url, None)
        before = children_cpu()
        wall, _ = cpu.cached_rerun(corpus, work / "again.duckdb", cache, base_url)
        return 1000 * spent / docs, 1000 * steady, wall, children_cpu() - before
    finally:
        fake.terminate()
        fake.wait()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--docs", type=int, default=1000)
    parser.add_argument("--corpus", type=Path, nargs="*", default=CORPUS)
    parser.add_argument("--reports", type=int, default=100_000)
    parser.add_argument("--sql-db", type=Path, default=Path("/tmp/fazhi-sqlscale.duckdb"))
    parser.add_argument("--skip", nargs="*", default=[], choices=["model", "offline", "sql"])
    args = parser.parse_args()
    rows: list[tuple[str, float, float, str]] = []  # (figure, value, ratio to target, note)
    with tempfile.TemporaryDirectory(prefix="fazhi-speed-") as tmp:
        work = Path(tmp)
        if "model" not in args.skip:
            per_doc, steady, wall, spent = model_path(args.docs, work)
            rows.append(("CPU ms per document (model path, whole run)", per_doc,
                         per_doc / TARGETS["cpu_ms_per_doc"], "start-up included"))
            rows.append(("CPU ms per document (model path, steady state)", steady,
                         steady / TARGETS["cpu_ms_per_doc"], "after the first tenth of the documents"))
            rows.append((f"cached re-run of {args.docs} documents, s", wall, wall / TARGETS["cached_rerun_s"],
                         f"CPU {spent:.2f} s"))
        if "offline" not in args.skip:
            mb, wall, spent = offline(args.corpus, work / "offline.duckdb")
            rows.append((f"offline MB/s ({mb:.1f} MB, whole process)", mb / wall, TARGETS["offline_mb_s"] * wall / mb,
                         f"wall {wall:.2f} s, CPU {spent:.2f} s"))
    if "sql" not in args.skip:
        figures = sqlscale.run(args.sql_db, args.reports, 139, 20)
        for name, (through, inside) in figures.items():
            rows.append((f"sql: {name}, s", through, through / TARGETS["sql_s"], f"in-process {inside:.3f} s"))
    print(f"\n{'figure':58s} {'value':>9s} {'÷ target':>9s}")
    for name, value, ratio, note in rows:
        print(f"{name:58s} {value:9.2f} {ratio:9.2f}  {'ok' if ratio <= 1 else 'SHORT'}  {note}")


if __name__ == "__main__":
    main()
