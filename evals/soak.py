"""Soak benchmark: python evals/soak.py [--docs 2000] [--fail-rate 0.1] [--kills 3] [--seed 7]

Generates --docs distinct short reports, serves a fake OpenAI-compatible provider (evals/fakellm.py, in
its own process) that fails --fail-rate of requests at random (500, 503, 429, a reset connection), and
runs `fazhi extract` over them as a separate process, killed with SIGKILL --kills times at seeded moments
and started again each time, then run again until nothing is left to do (at most --reruns more runs).

It prints what a user cares about: documents stored, failed (recorded), lost (neither), duplicated
(twice in latest_extractions, or an item row twice), stored results that disappeared after a kill,
runs left `running`, requests and their failures, wall time and the peak memory of the largest fazhi
process and of the fake provider. Exit code 1 when anything was lost or duplicated.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import random
import re
import resource
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import duckdb

ROOT = Path(__file__).resolve().parents[1]
PLACES = ["东阳市", "义乌市", "兰溪市", "永康市", "武义县", "浦江县", "磐安县", "婺城区", "金东区", "临海市",
          "温岭市", "玉环市", "天台县", "仙居县", "三门县", "椒江区", "黄岩区", "路桥区", "龙泉市", "青田县"]
WORK = [
    "全年办理行政复议案件{n}件，综合纠错率{p}%。",
    "开展行政执法检查{n}次，培训执法人员{m}人次。",
    "审核规范性文件{n}件，清理行政规范性文件{m}件。",
    "办理人大代表建议{n}件、政协提案{m}件，办结率100%。",
    "组织法治宣传活动{n}场，发放宣传资料{m}份。",
    "受理行政诉讼案件{n}件，行政机关负责人出庭应诉率{p}%。",
    "调解矛盾纠纷{n}件，调解成功率{p}%。",
    "公开政府信息{n}条，办理依申请公开{m}件。",
]
PROBLEMS = ["一是法治政府建设推进不够平衡，部分乡镇重视程度不够", "二是行政执法队伍专业化水平有待提高",
            "三是基层法治力量较为薄弱", "四是行政复议纠错后的跟踪问效不够"]


def report(index: int, rng: random.Random) -> str:
    place, year = rng.choice(PLACES), rng.randint(2019, 2024)
    work = [w.format(n=rng.randint(3, 900), m=rng.randint(10, 9000), p=rng.randint(60, 99))
            for w in rng.sample(WORK, rng.randint(3, 6))]
    return "\n".join([
        f"{place}{year}年法治政府建设情况报告（第{index}号）",
        f"{year}年，{place}坚持以习近平法治思想为指导，深入推进法治政府建设。现将有关情况报告如下：",
        "一、主要工作", *work,
        "二、存在的问题", "；".join(rng.sample(PROBLEMS, 2)) + "。",
        "三、下一步工作安排", "持续深化法治政府建设，不断提升依法行政水平。",
        f"{place}人民政府", f"{year + 1}年3月{rng.randint(1, 28)}日", ""])


def write_corpus(folder: Path, n: int, seed: int) -> None:
    rng = random.Random(seed)
    for i in range(n):
        (folder / f"r{i:05d}.txt").write_text(report(i, rng), encoding="utf-8")


def start_fake(fail_rate: float, seed: int) -> tuple[subprocess.Popen[str], str]:
    fake = subprocess.Popen([sys.executable, "-m", "fazhi.evals.fakellm", "0", "--fail-rate", str(fail_rate),
                             "--seed", str(seed)], cwd=ROOT, stdout=subprocess.PIPE, text=True)
    assert fake.stdout is not None
    line = fake.stdout.readline()
    found = re.search(r"(http://\S+)", line)
    if not found:
        fake.kill()
        raise SystemExit(f"the fake provider did not start: {line!r}")
    return fake, found.group(1)


def peak_kib(pid: int) -> int:
    with contextlib.suppress(OSError):
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return 0


def ok_docs(db: Path) -> set[str]:
    """Documents with a stored result (read-only; a writer holding the file is waited for)."""
    if not db.exists():
        return set()
    for _ in range(100):
        try:
            with contextlib.closing(duckdb.connect(str(db), read_only=True)) as con:
                return {d for (d,) in con.execute("SELECT doc_id FROM latest_extractions WHERE status = 'ok'")
                        .fetchall()}
        except duckdb.IOException:
            time.sleep(0.1)
    raise SystemExit(f"{db} stayed locked")


def run_fazhi(args: list[str], kill_after: float | None) -> int:
    """One `fazhi extract`; killed with SIGKILL after `kill_after` seconds when given. Its exit code."""
    proc = subprocess.Popen([sys.executable, "-m", "fazhi.agent.cli", *args], cwd=ROOT, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, text=True)
    try:
        _, err = proc.communicate(timeout=kill_after)
    except subprocess.TimeoutExpired:
        proc.send_signal(signal.SIGKILL)
        proc.communicate()
        return -9
    if "Traceback" in err:
        print(err, file=sys.stderr)
    return proc.returncode


def audit(db: Path) -> dict[str, int]:
    with contextlib.closing(duckdb.connect(str(db), read_only=True)) as con:
        def one(sql: str) -> int:
            return int(con.execute(sql).fetchone()[0])  # type: ignore[index]
        return {
            "documents": one("SELECT count(*) FROM documents"),
            "stored": one("SELECT count(*) FROM latest_extractions WHERE status = 'ok'"),
            "failed": one("SELECT count(*) FROM latest_extractions WHERE status = 'failed'"),
            "duplicated docs": one("SELECT count(*) FROM (SELECT doc_id FROM latest_extractions GROUP BY 1"
                                   " HAVING count(*) > 1)"),
            "duplicated metric rows": one("SELECT count(*) FROM (SELECT extraction_id, idx FROM metrics GROUP BY ALL"
                                          " HAVING count(*) > 1)"),
            "duplicated issue rows": one("SELECT count(*) FROM (SELECT extraction_id, idx FROM issues GROUP BY ALL"
                                         " HAVING count(*) > 1)"),
            "runs": one("SELECT count(*) FROM runs"),
            "runs interrupted": one("SELECT count(*) FROM runs WHERE status = 'interrupted'"),
            "runs left running": one("SELECT count(*) FROM runs WHERE status = 'running'"),
            "requests": one("SELECT count(*) FROM llm_calls WHERE NOT cache_hit"),
            "requests failed": one("SELECT count(*) FROM llm_calls WHERE NOT cache_hit AND status <> 'ok'"),
        }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--docs", type=int, default=2000)
    parser.add_argument("--fail-rate", type=float, default=0.1)
    parser.add_argument("--kills", type=int, default=3)
    parser.add_argument("--reruns", type=int, default=5)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--concurrency", type=int, default=8)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    with tempfile.TemporaryDirectory(prefix="fazhi-soak-") as tmp:
        work = Path(tmp)
        corpus, db = work / "reports", work / "soak.duckdb"
        corpus.mkdir()
        write_corpus(corpus, args.docs, args.seed)
        fake, base_url = start_fake(args.fail_rate, args.seed)
        command = ["extract", str(corpus), "--db", str(db), "--cache-dir", str(work / "cache"), "--base-url", base_url,
                   "--model", "m", "--api-key", "soak", "--concurrency", str(args.concurrency)]
        os.environ["FAZHI_MAX_RETRIES"] = "2"
        started, seen, vanished, codes = time.monotonic(), set[str](), 0, []
        try:
            for kill in [*[rng.uniform(6, 20) for _ in range(args.kills)], *[None] * (1 + args.reruns)]:
                codes.append(run_fazhi(command, kill))
                now = ok_docs(db)
                vanished += len(seen - now)
                seen |= now
                print(f"run {len(codes)}: exit {codes[-1]}, {len(now)} stored", flush=True)
                if kill is None and codes[-1] == 0:
                    break
        finally:
            fazhi_peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss  # the fake is not waited for yet
            fake_peak = peak_kib(fake.pid)
            fake.terminate()
            fake.wait()
        elapsed = time.monotonic() - started
        figures = audit(db)
    lost = args.docs - figures["stored"] - figures["failed"]
    figures |= {"generated": args.docs, "lost": lost, "stored results that disappeared": vanished}
    print(f"\n{args.docs} documents, fail rate {args.fail_rate:.0%}, {args.kills} kill -9s, seed {args.seed}: "
          f"{len(codes)} runs (exit codes {codes}) in {elapsed:.0f} s")
    for name, value in figures.items():
        print(f"  {name:32} {value}")
    print(f"  {'peak memory, largest fazhi run':32} {fazhi_peak / 1024:.0f} MiB")
    print(f"  {'peak memory, fake provider':32} {fake_peak / 1024:.0f} MiB")
    bad = lost or vanished or figures["duplicated docs"] or figures["duplicated metric rows"] or figures[
        "duplicated issue rows"] or figures["runs left running"]
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
