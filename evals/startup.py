"""How long `fazhi sql`, `show`, `runs` and `--help` take to start: whole-process wall time (median of
five runs), the CPU time they use, and the slowest imports (`python -X importtime`).

    python evals/startup.py [--runs 5] [--top 8]

It makes a database of one sample report (offline backend) in a temporary folder first. The machine's
load average is printed beside the figures: on a busy machine the wall time grows, the CPU time less.
"""

import argparse
import os
import re
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "samples" / "huzhu-2024.txt"
TARGET_S = 0.5
COMMANDS = {"sql": ["sql", "select 1"], "show": ["show", SAMPLE.name], "runs": ["runs"], "--help": ["--help"]}
IMPORT_LINE = re.compile(r"import time:\s+(\d+) \|\s+(\d+) \| (\s*)(\S+)")


def fazhi_command() -> list[str]:
    """The installed `fazhi` script beside this Python (as a user runs it), else the module."""
    script = Path(sys.executable).parent / "fazhi"
    return [str(script)] if script.exists() else [sys.executable, "-m", "fazhi.agent.cli"]


def timed(args: list[str], cwd: Path) -> tuple[float, float]:
    """Wall and CPU (user + system) seconds of one whole process."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(args, cwd=cwd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def import_times(args: list[str], cwd: Path) -> list[tuple[str, int, int, int]]:
    """(module, self µs, cumulative µs, depth) of every import the command makes."""
    code = f"import sys; sys.argv = ['fazhi', *{args!r}]; from agent.cli import app; app()"
    done = subprocess.run([sys.executable, "-X", "importtime", "-c", code], cwd=cwd, capture_output=True, text=True)
    found = []
    for line in done.stderr.splitlines():
        if match := IMPORT_LINE.match(line):
            own, total, indent, name = match.groups()
            found.append((name, int(own), int(total), len(indent) // 2))
    return found


def offenders(imports: list[tuple[str, int, int, int]], top: int) -> str:
    """The top-level packages by the import time spent in their modules."""
    by_package: dict[str, int] = defaultdict(int)
    for name, own, _, _ in imports:
        by_package[name.split(".")[0]] += own
    total = sum(by_package.values())
    ranked = sorted(by_package.items(), key=lambda kv: -kv[1])[:top]
    return f"imports {total / 1e6:.2f} s: " + ", ".join(f"{name} {us / 1e6:.3f}" for name, us in ranked)


def make_database(cwd: Path) -> None:
    subprocess.run([*fazhi_command(), "extract", str(SAMPLE), "--backend", "offline"], cwd=cwd, check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--top", type=int, default=8)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        cwd = Path(folder)
        make_database(cwd)
        print(f"load average {' '.join(f'{x:.1f}' for x in os.getloadavg())} on {os.cpu_count()} cores; "
              f"target {TARGET_S} s per command")
        for label, command in COMMANDS.items():
            runs = [timed([*fazhi_command(), *command], cwd) for _ in range(args.runs)]
            wall = statistics.median(w for w, _ in runs)
            cpu = statistics.median(c for _, c in runs)
            verdict = "ok" if wall < TARGET_S else "OVER"
            print(f"fazhi {label:7} wall {wall:.3f} s (median of {args.runs}), cpu {cpu:.3f} s  {verdict}")
            print(f"   {offenders(import_times(command, cwd), args.top)}")


if __name__ == "__main__":
    main()
