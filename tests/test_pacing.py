"""Pacing to a provider's limits: the buckets, pauses and AIMD on an injected clock, then whole runs
against a fake provider that enforces its limits over a sliding window."""

import asyncio
import random
from email.utils import formatdate
from pathlib import Path

import httpx2
import pytest
from fazhi.agent import api
from fazhi.agent.pacing import Pacer, PastDeadline, retry_after
from fazhi.evals.fakellm import FakeLLM, Limits, Reply, document_of, tasks_of
from fazhi.evals.soak import report


class Clock:
    """Time that passes only when the pacer sleeps."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.now += seconds


def pacer(clock: Clock, **settings: float) -> Pacer:
    return Pacer(clock=clock, sleep=clock.sleep, **settings)  # type: ignore[arg-type]


def admit(p: Pacer, n: int, tokens: int = 1) -> None:
    async def go() -> None:
        for _ in range(n):
            async with p.slot(tokens):
                pass
    asyncio.run(go())


def test_requests_per_minute_are_spread_evenly_just_under_the_limit() -> None:
    clock = Clock()
    p = pacer(clock, rpm=60)
    admit(p, 11)
    assert 10 / 0.99 - 0.01 < clock.now - 1000 < 10 / 0.99 + 0.01


def test_a_request_larger_than_the_burst_is_sent_and_the_next_waits_until_its_tokens_are_repaid() -> None:
    clock = Clock()
    p = pacer(clock, tpm=6000)
    admit(p, 1, tokens=3000)
    assert clock.now == 1000
    admit(p, 1, tokens=3000)
    assert clock.now - 1000 == pytest.approx(3000 / (6000 * 0.99 / 60), rel=0.01)


@pytest.mark.parametrize(("headers", "pause"), [
    ({"retry-after-ms": "1500", "retry-after": "9"}, 1.5),  # the precise header wins
    ({"retry-after": "3"}, 3.0),
    ({"x-ratelimit-reset-requests": "2s", "x-ratelimit-reset-tokens": "1m0.5s"}, 60.5),
    ({}, 1.0),
])
def test_a_429_pauses_every_request_for_as_long_as_the_provider_says(headers: dict[str, str], pause: float) -> None:
    clock = Clock()
    p = pacer(clock)
    p.observe(429, httpx2.Headers(headers))
    admit(p, 3)
    assert clock.now - 1000 == pytest.approx(pause)


def test_retry_after_as_an_http_date() -> None:
    in_ten = formatdate(1_700_000_010, usegmt=True)
    assert retry_after(httpx2.Headers({"Retry-After": in_ten}), now=1_700_000_000) == pytest.approx(10)


def test_concurrency_halves_once_per_burst_of_429s_and_grows_back_one_request_per_window() -> None:
    clock = Clock()
    p = pacer(clock, ceiling=16)
    for _ in range(5):  # five 429s from one burst
        p.observe(429, httpx2.Headers({"retry-after-ms": "100"}))
    assert p.limit == 8
    for _ in range(8):
        p.observe(200, httpx2.Headers())
    assert 8.9 < p.limit < 9.0
    for _ in range(1000):
        p.observe(200, httpx2.Headers())
    assert p.limit == 16  # never past the ceiling


def test_requests_wait_for_a_free_slot_under_the_concurrency_limit() -> None:
    clock = Clock()
    p = pacer(clock, ceiling=2)
    order: list[str] = []

    async def one(name: str) -> None:
        async with p.slot(1):
            order.append(f"+{name}")
            await asyncio.sleep(0)
            await asyncio.sleep(0)
            order.append(f"-{name}")

    async def go() -> None:
        await asyncio.gather(*(one(n) for n in "abc"))
    asyncio.run(go())
    assert order.index("+c") > min(order.index("-a"), order.index("-b"))


def test_headers_set_the_limit_and_an_empty_window_blocks_until_its_reset() -> None:
    clock = Clock()
    p = pacer(clock)
    p.observe(200, httpx2.Headers({"x-ratelimit-limit-requests": "600", "x-ratelimit-remaining-requests": "0",
                                   "x-ratelimit-reset-requests": "2s"}))
    assert p.requests is not None and p.requests.per_minute == 600
    admit(p, 1)
    assert clock.now - 1000 == pytest.approx(2.0)


def test_the_token_estimate_is_recalibrated_from_the_answers() -> None:
    p = pacer(Clock())
    assert p.estimate(1000) == 701  # 0.7 tokens per CJK character before any answer
    p.calibrate(1000, 1200)
    assert p.estimate(1000) == 1201


def test_a_pause_past_the_run_deadline_fails_the_request_instead_of_waiting() -> None:
    clock = Clock()
    p = pacer(clock, deadline=30)
    p.observe(429, httpx2.Headers({"retry-after": "60"}))
    with pytest.raises(PastDeadline, match="deadline"):
        admit(p, 1)


# ---------------------------------------------------------------- whole runs

def reports(folder: Path, n: int) -> Path:
    rng = random.Random(3)
    folder.mkdir()
    for i in range(n):
        (folder / f"r{i:03d}.txt").write_text(report(i, rng), encoding="utf-8")
    return folder


def options(fake: FakeLLM, **extra: object) -> api.Options:
    return api.Options(backend="llm", base_url=fake.base_url, model="fake", concurrency=8, **extra)  # type: ignore


@pytest.mark.parametrize("sent", ["retry-after-ms", "Retry-After", "x-ratelimit-*"])
def test_a_run_paces_to_the_limit_and_no_document_fails_or_is_paid_twice(tmp_path: Path, sent: str) -> None:
    limits = Limits(rpm=2, window=0.5, latency=0.02, retry_after_ms=sent == "retry-after-ms",
                    retry_after=sent == "Retry-After", ratelimit_headers=sent == "x-ratelimit-*")
    with FakeLLM(limits=limits) as fake:
        summary = api.extract([reports(tmp_path / "docs", 16)], options(fake))
    assert (summary.done, summary.failed) == (16, 0)
    if sent != "x-ratelimit-*":  # the limit is found by meeting it (with its headers, perhaps never)
        assert limits.refused > 0
    assert fake.duplicates() == 0
    assert sum(fake.answered.values()) == summary.requests - limits.refused


def test_a_profile_that_knows_its_rpm_is_never_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FAZHI_RPM", "150")  # well under the fake's 2 per 0.5 s (240 a minute)
    limits = Limits(rpm=2, window=0.5, latency=0.02, ratelimit_headers=False)
    with FakeLLM(limits=limits) as fake:
        summary = api.extract([reports(tmp_path / "docs", 12)], options(fake))
    assert (summary.done, summary.failed, limits.refused) == (12, 0, 0)


def test_a_rate_limit_that_outlasts_the_run_deadline_fails_the_document_naming_it(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FAZHI_DEADLINE", "1")
    with FakeLLM() as fake:
        fake.rules.append(lambda r: Reply(429, {"error": {"message": "slow down"}}, {"retry-after-ms": "300"}))
        summary = api.extract([reports(tmp_path / "docs", 1)], options(fake))
    assert summary.failed == 1
    assert "rate limit" in summary.failures[0][1] and "deadline (1s)" in summary.failures[0][1]
    assert summary.tokens_in == 0  # no 429 is paid


def test_answers_for_a_document_whose_other_request_failed_are_cached_and_not_paid_again(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, samples: Path) -> None:
    monkeypatch.setenv("FAZHI_MAX_RETRIES", "0")
    monkeypatch.setenv("FAZHI_CHUNK_TOKENS", "1500")  # several requests for one report
    doc = samples / "dongyang-2022.txt"

    def first_metrics_chunk(request: dict) -> Reply | None:
        asks_first = "metrics" in tasks_of(request) and "一、主要工作和成效" in document_of(request)
        return Reply(500, {"error": {"message": "boom"}}) if asks_first else None

    with FakeLLM() as fake:
        fake.rules.append(first_metrics_chunk)
        first = api.extract([doc], options(fake))
        paid = sum(fake.answered.values())
        fake.rules.clear()
        second = api.extract([doc], options(fake))
    assert first.failed == 1 and paid >= 2  # the document failed, its other requests were answered
    assert second.done == 1 and second.cache_hits >= 2
    assert fake.duplicates() == 0  # nothing answered in the first run was asked again
