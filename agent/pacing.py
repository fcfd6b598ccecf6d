"""Pacing one run's requests to the provider's limits, shared by every request of the run.

Token buckets for requests and tokens per minute (the profile's `rpm` and `tpm`, corrected by the
`x-ratelimit-*` headers the provider sends), a pause for the whole run on a 429 (`retry-after-ms`,
`Retry-After` in seconds or as an HTTP date), and a concurrency limit that grows by one request per
window of answers and halves on a 429 (AIMD). Tokens are estimated from characters, the ratio
recalibrated from the `usage.prompt_tokens` of the answers (no tokenizer is needed).
"""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from typing import TYPE_CHECKING

from fazhi.agent.chunking import wide_count

if TYPE_CHECKING:  # the HTTP stack is loaded only when a request goes out (agent/sending.py)
    import httpx2

MARGIN = 0.99  # pace at this share of a limit: a sliding window never sees more than the limit
BURST_SHARE = 0.005  # a bucket holds at most this share of its minute (and at least one request)
START_RATIO = 0.7  # tokens per CJK character before the first answer says better
OTHER_WEIGHT = 0.35  # a non-CJK character counts as this share of a CJK one (about 0.25 tokens)
DEFAULT_PAUSE = 1.0  # seconds a 429 without any header pauses the run
EPSILON = 1e-6  # seconds: a wait shorter than this is none (the clock cannot count it)
DURATION = re.compile(r"(\d+(?:\.\d+)?)(ms|s|m|h)")
UNIT_SECONDS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0}


class PastDeadline(Exception):
    """The rate limit would hold a request past the run's deadline."""


def units(text: str) -> float:
    """Characters weighted as tokens relative to a CJK character (one unit each)."""
    wide = wide_count(text)
    return wide + (len(text) - wide) * OTHER_WEIGHT


def duration(text: str | None) -> float | None:
    """Seconds in a reset header: "1s", "6m0s", "20ms", "0.5" (seconds); None if unreadable."""
    if not text:
        return None
    try:
        return float(text)
    except ValueError:
        pass
    found = DURATION.findall(text)
    return sum(float(n) * UNIT_SECONDS[u] for n, u in found) if found else None


def retry_after(headers: httpx2.Headers, now: float | None = None) -> float | None:
    """Seconds to wait from `retry-after-ms`, else `Retry-After` (seconds or an HTTP date)."""
    if (ms := headers.get("retry-after-ms")) is not None:
        try:
            return max(float(ms) / 1000, 0.0)
        except ValueError:
            pass
    value = headers.get("retry-after")
    if value is None:
        return None
    try:
        return max(float(value), 0.0)
    except ValueError:
        pass
    try:
        return max(parsedate_to_datetime(value).timestamp() - (now if now is not None else time.time()), 0.0)
    except (TypeError, ValueError):
        return None


@dataclass
class Bucket:
    """A per-minute limit as a token bucket: it refills at MARGIN of the limit, holds a small burst, and
    may go into debt for a request larger than the burst (the next waits until it is repaid)."""

    per_minute: float
    at: float
    level: float = 0.0
    blocked_until: float = 0.0

    @property
    def rate(self) -> float:
        return self.per_minute * MARGIN / 60

    @property
    def burst(self) -> float:
        return max(1.0, self.per_minute * BURST_SHARE)

    def refill(self, now: float) -> None:
        self.level = min(self.burst, self.level + max(now - self.at, 0.0) * self.rate)
        self.at = now

    def wait(self, amount: float, now: float) -> float:
        """Seconds until `amount` may be taken."""
        self.refill(now)
        need = min(amount, self.burst)
        return max(self.blocked_until - now, (need - self.level) / self.rate, 0.0)

    def take(self, amount: float) -> None:
        self.level -= amount

    def observe(self, limit: str | None, remaining: str | None, reset: str | None, now: float) -> None:
        """What the provider says of this limit: its size, what is left, when it resets."""
        if limit and limit.isdigit() and int(limit) > 0:
            self.per_minute = float(limit)
        if remaining is None:
            return
        try:
            left = float(remaining)
        except ValueError:
            return
        self.refill(now)
        self.level = min(self.level, left)
        if left < 1 and (seconds := duration(reset)) is not None:
            self.blocked_until = max(self.blocked_until, now + seconds)


@dataclass
class Stats:
    admitted: int = 0
    rate_limited: int = 0
    paused_s: float = 0.0


@dataclass
class Pacer:
    """One run's pacing. `clock` and `sleep` are injectable (tests drive them by hand)."""

    rpm: float | None = None
    tpm: float | None = None
    ceiling: int = 32  # the most requests in flight at once
    deadline: float = 6 * 3600.0  # seconds from the pacer's start after which a rate limit fails a request
    clock: Callable[[], float] = time.monotonic
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep
    stats: Stats = field(default_factory=Stats)

    def __post_init__(self) -> None:
        now = self.clock()
        self.deadline_at = now + self.deadline
        self.requests = Bucket(self.rpm, now, 1.0) if self.rpm else None
        self.tokens = Bucket(self.tpm, now, max(1.0, self.tpm * BURST_SHARE)) if self.tpm else None
        self.limit = float(self.ceiling)  # the AIMD concurrency limit
        self.in_flight = 0
        self.paused_until = now
        self.decreased_at = -1e18
        self.seen_tokens, self.seen_units = 0, 0.0  # prompt tokens answered, and their estimated units
        self.turn = asyncio.Lock()  # admissions one at a time, first come first served
        self.freed = asyncio.Event()

    # --- estimates
    def estimate(self, weighted: float) -> int:
        """Tokens for `weighted` units (see `units`), by the calibrated ratio."""
        return int(weighted * self.ratio) + 1

    @property
    def ratio(self) -> float:
        return self.seen_tokens / self.seen_units if self.seen_units else START_RATIO

    def calibrate(self, weighted: float, prompt_tokens: int) -> None:
        """An answer's prompt tokens for what was estimated from `weighted` units."""
        if prompt_tokens > 0 and weighted > 0:
            self.seen_tokens += prompt_tokens
            self.seen_units += weighted

    # --- admission
    def wait(self, tokens: int) -> float:
        now = self.clock()
        waits = [self.paused_until - now]
        if self.requests:
            waits.append(self.requests.wait(1, now))
        if self.tokens:
            waits.append(self.tokens.wait(tokens, now))
        return max(0.0, *waits)

    async def acquire(self, tokens: int) -> None:
        """Wait for a free request slot and room in the buckets, then take them."""
        async with self.turn:
            while self.in_flight >= int(self.limit):
                self.freed.clear()
                await self.freed.wait()
            while (wait := self.wait(tokens)) > EPSILON:
                if self.clock() + wait > self.deadline_at:
                    raise PastDeadline(f"the rate limit would hold requests past the run deadline "
                                       f"({self.deadline:g}s)")
                await self.sleep(wait)
            for bucket, amount in ((self.requests, 1), (self.tokens, tokens)):
                if bucket:
                    bucket.take(amount)
            self.in_flight += 1
            self.stats.admitted += 1

    def release(self) -> None:
        self.in_flight -= 1
        self.freed.set()

    @asynccontextmanager
    async def slot(self, tokens: int) -> AsyncIterator[None]:
        await self.acquire(tokens)
        try:
            yield
        finally:
            self.release()

    def expired(self) -> bool:
        return self.clock() >= self.deadline_at

    # --- what the provider says
    def observe(self, status: int, headers: httpx2.Headers) -> None:
        """A response's rate-limit headers; a 429 pauses every request and halves the concurrency."""
        now = self.clock()
        for kind in ("requests", "tokens"):
            limit, left = headers.get(f"x-ratelimit-limit-{kind}"), headers.get(f"x-ratelimit-remaining-{kind}")
            reset = headers.get(f"x-ratelimit-reset-{kind}")
            if getattr(self, kind) is None and limit and limit.isdigit() and int(limit) > 0:
                setattr(self, kind, Bucket(float(limit), now, 1.0))
            if (bucket := getattr(self, kind)) is not None:
                bucket.observe(limit, left, reset, now)
        if status == 429:
            self.rate_limited(headers, now)
        elif status < 400:
            self.limit = min(float(self.ceiling), self.limit + 1 / max(self.limit, 1.0))

    def rate_limited(self, headers: httpx2.Headers, now: float) -> None:
        self.stats.rate_limited += 1
        pause = retry_after(headers)
        if pause is None:
            resets = [duration(headers.get(f"x-ratelimit-reset-{k}")) for k in ("requests", "tokens")]
            pause = max([r for r in resets if r is not None], default=DEFAULT_PAUSE)
        until = now + pause
        if until > self.paused_until:
            self.stats.paused_s += until - max(self.paused_until, now)
            self.paused_until = until
        if now - self.decreased_at > max(pause, 1.0):  # one burst of 429s halves the limit once
            self.limit = max(1.0, self.limit / 2)
            self.decreased_at = now


def message_units(messages: list[dict[str, str]]) -> float:
    return sum(units(str(m.get("content") or "")) for m in messages)
