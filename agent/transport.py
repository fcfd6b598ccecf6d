"""HTTP transports: one that enforces a wall-clock deadline per request and logs every request, one that
shows every response to the run's pacer."""

import asyncio
import time
from collections.abc import Callable
from typing import Any

import httpx2
from fazhi.agent.calllog import record, usage_from_body
from fazhi.agent.pacing import Pacer


class RecordingTransport(httpx2.AsyncBaseTransport):
    """Wraps a real transport: the whole exchange, body included, must finish within `deadline`."""

    def __init__(self, model: str, base_url: str, deadline: float, inner: httpx2.AsyncBaseTransport | None = None,
                 redact: Callable[[str], str] = lambda text: text) -> None:
        self.model = model
        self.base_url = base_url  # as it may be stored: without credentials
        self.deadline = deadline
        self.inner = inner or httpx2.AsyncHTTPTransport()
        self.redact = redact

    def log(self, status: str, started: float, **values: Any) -> None:
        if values.get("error"):
            values["error"] = self.redact(str(values["error"]))
        record(self.model, self.base_url, status, started, **values)

    async def _exchange(self, request: httpx2.Request) -> httpx2.Response:
        response = await self.inner.handle_async_request(request)
        try:
            body = await response.aread()
        finally:
            await response.aclose()
        return httpx2.Response(response.status_code, headers=response.headers, content=body, request=request)

    async def handle_async_request(self, request: httpx2.Request) -> httpx2.Response:
        started = time.perf_counter()
        try:
            async with asyncio.timeout(self.deadline):  # in this task: wait_for would start another per request
                response = await self._exchange(request)
        except TimeoutError as exc:
            self.log("timeout", started, error=f"no complete answer within {self.deadline:g}s")
            raise httpx2.ReadTimeout(f"deadline of {self.deadline:g}s exceeded", request=request) from exc
        except httpx2.HTTPError as exc:
            self.log("error", started, error=f"{type(exc).__name__}: {exc}")
            raise
        except asyncio.CancelledError:
            self.log("cancelled", started, error="cancelled before the answer arrived")
            raise
        self._record(response, started)
        return response

    def _record(self, response: httpx2.Response, started: float) -> None:
        if response.status_code >= 400:
            self.log(str(response.status_code), started, error=response.text[:500])
            return
        tokens_in, tokens_out, cached = usage_from_body(response.content)
        self.log("ok", started, tokens_in=tokens_in, tokens_out=tokens_out, tokens_cached=cached)

    async def aclose(self) -> None:
        await self.inner.aclose()


class PacedTransport(httpx2.AsyncBaseTransport):
    """Shows every response's status and headers to the pacer (a 429's too), then passes it on."""

    def __init__(self, pacer: Pacer, inner: httpx2.AsyncBaseTransport | None = None) -> None:
        self.pacer = pacer
        self.inner = inner or httpx2.AsyncHTTPTransport()

    async def handle_async_request(self, request: httpx2.Request) -> httpx2.Response:
        response = await self.inner.handle_async_request(request)
        self.pacer.observe(response.status_code, response.headers)
        return response

    async def aclose(self) -> None:
        await self.inner.aclose()
