"""Throughput of the offline backend: python evals/benchmark.py [--mb 5] [--single]

Builds a corpus of at least --mb megabytes (UTF-8) by repeating the fixture sources, runs
`extract_offline` over it on one core, and prints MB/s, per-stage time and peak memory (max RSS from
`resource`; per document also the peak traced by `tracemalloc`).
By default each repetition is its own document (as uploads are); --single runs the whole corpus as
one document, which exposes any cost that grows faster than the text.
"""

from __future__ import annotations

import argparse
import resource
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path

from fazhi.schemas.rules import issues, meta, metrics, parts
from fazhi.schemas.rules.offline import extract_offline

ROOT = Path(__file__).resolve().parents[1]

FIXTURES = ROOT / "evals" / "fixtures"
MB = 1_000_000


def fixture_sources() -> list[str]:
    return [p.read_text(encoding="utf-8") for p in sorted(FIXTURES.glob("*/source.txt"))]


def build_corpus(megabytes: float) -> list[str]:
    """Fixture sources repeated until their UTF-8 size reaches `megabytes`."""
    sources = fixture_sources()
    if not sources:
        raise SystemExit(f"no fixtures under {FIXTURES}")
    docs: list[str] = []
    size = 0
    while size < megabytes * MB:
        for source in sources:
            docs.append(source)
            size += len(source.encode("utf-8"))
    return docs


def stage_times(docs: list[str]) -> dict[str, float]:
    """Seconds spent in each rule over the corpus (a second, untraced pass)."""
    stages: dict[str, Callable] = {
        "segment": lambda t, p: parts.segment(t),
        "metrics": metrics.extract_metrics,
        "issues": issues.extract_issues,
        "meta": meta.extract_meta,
    }
    totals = dict.fromkeys(stages, 0.0)
    for doc in docs:
        doc_parts = parts.segment(doc)
        for name, rule in stages.items():
            start = time.perf_counter()
            rule(doc, doc_parts)
            totals[name] += time.perf_counter() - start
    return totals


def run(docs: list[str]) -> tuple[float, int, int]:
    """(seconds, metrics found, issues found) of extract_offline over the documents."""
    found_metrics = found_issues = 0
    start = time.perf_counter()
    for doc in docs:
        result = extract_offline(doc)
        found_metrics += len(result.metrics)
        found_issues += len(result.issues)
    return time.perf_counter() - start, found_metrics, found_issues


def peak_memory(docs: list[str]) -> float:
    """Peak traced allocation (MB) while extracting the documents, one at a time."""
    tracemalloc.start()
    for doc in docs:
        extract_offline(doc)
    peak = tracemalloc.get_traced_memory()[1] / MB
    tracemalloc.stop()
    return peak


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mb", type=float, default=5.0, help="corpus size in megabytes (default 5)")
    parser.add_argument("--single", action="store_true", help="run the corpus as one document")
    parser.add_argument("--trace", action="store_true", help="with --single, also trace allocations (slow)")
    args = parser.parse_args(argv)
    docs = build_corpus(args.mb)
    if args.single:
        docs = ["\n".join(docs)]
    size = sum(len(d.encode("utf-8")) for d in docs) / MB
    extract_offline(fixture_sources()[0])  # warm caches (gazetteer, taxonomy) outside the timing
    seconds, n_metrics, n_issues = run(docs)
    print(f"corpus: {size:.2f} MB in {len(docs)} document(s)")
    print(f"extract_offline: {seconds:.2f} s, {size / seconds:.2f} MB/s on one core")
    print(f"found: {n_metrics} metrics, {n_issues} issues")
    if not args.single:
        stages = stage_times(docs)
        print("stages: " + ", ".join(f"{k} {v:.2f} s" for k, v in stages.items()))
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1000  # ru_maxrss is in kB on Linux
    print(f"peak memory (max RSS of the process, corpus included): {rss:.0f} MB")
    if args.trace or not args.single:
        traced = docs if args.single else docs[: len(fixture_sources())]
        print(f"peak traced allocation while extracting one document: {peak_memory(traced):.1f} MB")


if __name__ == "__main__":
    main()
