"""CPU per document on the model path, and a fully cached re-run:

    python evals/cpu.py [--docs 1000] [--profile OUT.prof] [--top 25]

Generates --docs short distinct reports (evals/soak.py's generator), serves the fake OpenAI-compatible
provider (evals/fakellm.py) in its own process with no latency, and runs the extraction in this process
through `fazhi.agent.api.extract`. It prints the CPU seconds this process spent (user + system, so the fake's
own work is not counted) per document, over the whole run and in its steady state (after the first tenth
of the documents, so without the start-up: importing openai and the rules, opening the database),
optionally with a cProfile breakdown; then the wall time of a
fully cached re-run of the same documents into a new database (`fazhi extract` as a fresh process, every
answer from the cache), which is what a user waits for.

With --floor it also measures what the openai client costs with nothing of fazhi around it: in a fresh
process, the CPU of `import openai`, then of posting the run's own request bodies (written by
`fazhi batch submit --write-jsonl`) through a bare `AsyncOpenAI` at the same concurrency, so the rest of
the run's CPU is fazhi's own.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import json
import os
import pstats
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from fazhi.evals.soak import start_fake, write_corpus

ROOT = Path(__file__).resolve().parents[1]


def cpu_seconds() -> float:
    times = os.times()
    return times.user + times.system


def measured_run(corpus: Path, db: Path, cache: Path, base_url: str,
                 profile: Path | None) -> tuple[float, float, int]:
    """(CPU seconds of the whole run, CPU seconds per document in its steady state, requests sent).

    The steady state is from the moment the first tenth of the documents are done to the end of the run
    (the last batch and the run's totals stored): it leaves out the run's start-up (importing openai and
    the rules, opening the database), which a longer run spreads thinner."""
    from fazhi.agent import api

    options = api.Options(db=str(db), cache_dir=str(cache), base_url=base_url, model="m", api_key="cpu")
    marks: list[float] = []
    profiler = cProfile.Profile() if profile else None
    before = cpu_seconds()
    if profiler:
        profiler.enable()
    summary = api.extract([corpus], options, on_done=lambda outcome: marks.append(cpu_seconds()))
    if profiler:
        profiler.disable()
        profiler.dump_stats(str(profile))
    after = cpu_seconds()
    if not summary.ok:
        raise SystemExit(f"the run failed: {summary.failures[:3]}")
    first = len(marks) // 10
    return after - before, (after - marks[first]) / max(len(marks) - 1 - first, 1), summary.requests


def cached_rerun(corpus: Path, db: Path, cache: Path, base_url: str) -> tuple[float, str]:
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "fazhi.agent.cli", "extract", str(corpus), "--db", str(db),
                           "--cache-dir", str(cache), "--base-url", base_url, "--model", "m", "--api-key", "cpu"],
                          cwd=ROOT, capture_output=True, text=True)
    elapsed = time.perf_counter() - started
    if done.returncode:
        raise SystemExit(done.stderr)
    return elapsed, done.stderr.strip().splitlines()[0]


def bare_client(bodies_file: str, base_url: str, concurrency: int) -> None:
    """Run by `sdk_floor` in a fresh process: prints the CPU seconds of `import openai`, the CPU seconds of
    posting every body through a plain `AsyncOpenAI` by `concurrency` workers, and how many were posted."""
    start = cpu_seconds()
    import httpx2
    import openai

    imported = cpu_seconds()
    bodies = [json.loads(line)["body"] for line in Path(bodies_file).read_text(encoding="utf-8").splitlines()]

    async def post_all() -> None:
        client = openai.AsyncOpenAI(base_url=base_url, api_key="cpu")
        queue = list(reversed(bodies))

        async def worker() -> None:
            while queue:
                response = await client.post("/chat/completions", body=queue.pop(), cast_to=httpx2.Response)
                json.loads(response.content)

        await asyncio.gather(*(worker() for _ in range(concurrency)))
        await client.close()

    begun = cpu_seconds()
    asyncio.run(post_all())
    print(imported - start, cpu_seconds() - begun, len(bodies))


def sdk_floor(corpus: Path, work: Path, base_url: str) -> tuple[float, float, int]:
    """(CPU seconds of `import openai`, CPU seconds of posting the run's bodies, requests) in a fresh process."""
    bodies = work / "bodies.jsonl"
    subprocess.run([sys.executable, "-m", "fazhi.agent.cli", "batch", "submit", str(corpus), "--db",
                    str(work / "floor.duckdb"), "--cache-dir", str(work / "floor-cache"), "--base-url", base_url,
                    "--model", "m", "--api-key", "cpu", "--write-jsonl", str(bodies)],
                   cwd=ROOT, capture_output=True, text=True, check=True)
    from fazhi.agent.providers import Profile

    child = f"from fazhi.evals.cpu import bare_client; bare_client({str(bodies)!r}, {base_url!r}, " \
            f"{Profile.concurrency})"
    done = subprocess.run([sys.executable, "-c", child], cwd=ROOT, capture_output=True, text=True, check=True)
    imported, posted, requests = done.stdout.split()
    return float(imported), float(posted), int(requests)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--docs", type=int, default=1000)
    parser.add_argument("--profile", type=Path, help="write the cProfile stats of the first run here")
    parser.add_argument("--top", type=int, default=25, help="functions of the profile to print (cumulative)")
    parser.add_argument("--floor", action="store_true", help="also measure the bare openai client (see above)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="fazhi-cpu-") as tmp:
        work = Path(tmp)
        corpus, cache = work / "reports", work / "cache"
        corpus.mkdir()
        write_corpus(corpus, args.docs, seed=11)
        fake, base_url = start_fake(0.0, 0)
        try:
            cpu, steady, requests = measured_run(corpus, work / "first.duckdb", cache, base_url, args.profile)
            wall, line = cached_rerun(corpus, work / "again.duckdb", cache, base_url)
            floor = sdk_floor(corpus, work, base_url) if args.floor else None
        finally:
            fake.terminate()
            fake.wait()
    print(f"{args.docs} documents, {requests} requests, zero-latency fake provider")
    print(f"  CPU of the fazhi process: {cpu:.2f} s = {1000 * cpu / args.docs:.2f} ms per document "
          f"({1000 * cpu / max(requests, 1):.2f} ms per request)")
    print(f"  steady state (after the first {args.docs // 10} documents, to the end of the run): "
          f"{1000 * steady:.2f} ms per document")
    print(f"  fully cached re-run into a new database (fresh process): {wall:.2f} s wall")
    print(f"    {line}")
    if floor:
        imported, posted, sent = floor
        print(f"  the bare openai client, fresh process: import {imported:.2f} s, posting the run's {sent} bodies "
              f"{posted:.2f} s = {1000 * (imported + posted) / args.docs:.2f} ms per document of CPU; fazhi's own: "
              f"{1000 * (cpu - imported - posted) / args.docs:.2f} ms per document")
    if args.profile:
        pstats.Stats(str(args.profile)).sort_stats("cumulative").print_stats(args.top)


if __name__ == "__main__":
    main()
