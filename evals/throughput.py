"""Throughput at the provider's limit: python -m fazhi.evals.throughput [--docs 1000] [--rpm 2400] [--tpm 0]
[--latency 0.2] [--concurrency 4 8 16 32] [--headers both|ms|seconds]

Writes --docs distinct documents (the samples in turn, each paragraph marked with the document's number,
so every request is its own cache key), serves a fake provider enforcing --rpm and --tpm over a sliding
minute with --latency per answer (evals/fakellm.py `Limits`, in its own process), and runs `fazhi extract`
in-process once per concurrency with the default settings otherwise (a fresh cache and database each).

Per concurrency it prints: wall time, the floor (the most of requests ÷ RPM, prompt tokens ÷ TPM, and
requests × latency ÷ the requests the client keeps in flight), their ratio, failed documents, duplicate
paid requests (the same messages answered twice), the 429s the provider sent, the CPU seconds of the
fazhi process and the machine's load average (a busy machine starves the run: compare cpu s to wall s).
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import tempfile
import time
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path

from fazhi.agent import api  # imported before any run is timed
from fazhi.agent.llm import REQUESTS_PER_SLOT

ROOT = Path(__file__).resolve().parents[1]


def write_docs(folder: Path, n: int) -> list[Path]:
    samples = sorted((ROOT / "samples").glob("*.txt"))
    texts = [p.read_text(encoding="utf-8") for p in samples]
    paths = []
    for i in range(n):
        path = folder / f"d{i:05d}.txt"
        text = texts[i % len(texts)].replace("。\n", f"（{i:05d}）。\n")  # every chunk its own
        path.write_text(text, encoding="utf-8")
        paths.append(path)
    return paths


def serve(conn: Connection, rpm: int | None, tpm: int | None, latency: float, headers: str) -> None:
    """The fake in a child process: sends its base URL, then its counts when asked."""
    from fazhi.evals.fakellm import FakeLLM, Limits

    limits = Limits(rpm, tpm, latency, retry_after_ms=headers in ("both", "ms"),
                    retry_after=headers in ("both", "seconds"))
    with FakeLLM(limits=limits) as fake:
        conn.send(fake.base_url)
        conn.recv()
        with fake.lock:
            answered = sum(fake.answered.values())
            conn.send({"answered": answered, "refused": limits.refused, "duplicates": fake.duplicates(),
                       "tokens": limits.admitted_tokens})


@dataclass
class Measured:
    concurrency: int
    wall: float
    floor: float
    failed: int
    done: int
    answered: int
    duplicates: int
    refused: int
    cpu: float  # CPU seconds of the fazhi process
    load: float  # the machine's load average at the end (other processes slow a run down)


def measure(docs: list[Path], concurrency: int, args: argparse.Namespace, work: Path) -> Measured:
    parent, child = multiprocessing.Pipe()
    server = multiprocessing.Process(target=serve, args=(child, args.rpm or None, args.tpm or None, args.latency,
                                                         args.headers), daemon=True)
    server.start()
    base_url = parent.recv()
    folder = Path(tempfile.mkdtemp(prefix=f"c{concurrency}-", dir=work))
    options = api.Options(backend="llm", base_url=base_url, model="fake", concurrency=concurrency,
                          db=str(folder / "run.duckdb"), cache_dir=str(folder / "cache"))
    started, cpu = time.perf_counter(), time.process_time()
    summary = api.extract(docs, options)
    wall, cpu = time.perf_counter() - started, time.process_time() - cpu
    parent.send("stats")
    stats = parent.recv()
    server.terminate()
    requests = stats["answered"]
    floor = max(requests / args.rpm * 60 if args.rpm else 0.0, stats["tokens"] / args.tpm * 60 if args.tpm else 0.0,
                requests * args.latency / (concurrency * REQUESTS_PER_SLOT))
    return Measured(concurrency, wall, floor, summary.failed, summary.done, requests, stats["duplicates"],
                    stats["refused"], cpu, os.getloadavg()[0])


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m fazhi.evals.throughput")
    parser.add_argument("--docs", type=int, default=1000)
    parser.add_argument("--rpm", type=int, default=2400)
    parser.add_argument("--tpm", type=int, default=0, help="0: no token limit")
    parser.add_argument("--latency", type=float, default=0.2)
    parser.add_argument("--concurrency", type=int, nargs="+", default=[4, 8, 16, 32])
    parser.add_argument("--headers", choices=("both", "ms", "seconds"), default="both",
                        help="what a 429 carries: retry-after-ms, Retry-After, or both")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        (work / "docs").mkdir()
        docs = write_docs(work / "docs", args.docs)
        print(f"{args.docs} docs, rpm {args.rpm or '-'}, tpm {args.tpm or '-'}, latency {args.latency:g}s, "
              f"429 headers: {args.headers}")
        print(f"{'conc':>4} {'wall s':>8} {'floor s':>8} {'ratio':>6} {'done':>5} {'failed':>6} {'requests':>8} "
              f"{'dupes':>5} {'429s':>5} {'cpu s':>6} {'load':>5}")
        for concurrency in args.concurrency:
            m = measure(docs, concurrency, args, work)
            print(f"{m.concurrency:>4} {m.wall:>8.1f} {m.floor:>8.1f} {m.wall / m.floor:>6.3f} {m.done:>5} "
                  f"{m.failed:>6} {m.answered:>8} {m.duplicates:>5} {m.refused:>5} {m.cpu:>6.1f} {m.load:>5.1f}",
                  flush=True)


if __name__ == "__main__":
    main()
