"""The HTTP side of `ModelClient` (agent/llm.py): the async openai client over a recording, paced
transport, one request at a time, and what a failed request tells the user to do.

Imported only when a request actually goes out: a run answered from the cache never loads openai,
instructor or the HTTP stack.
"""

import json
from typing import TYPE_CHECKING, Any

import httpx2
import openai
from fazhi.agent.conversation import Messages
from fazhi.agent.errors import ExtractionError, ProviderUnusable
from fazhi.agent.pacing import PastDeadline, message_units
from fazhi.agent.transport import PacedTransport, RecordingTransport

if TYPE_CHECKING:
    from fazhi.agent.checks import Parts
    from fazhi.agent.llm import ModelClient

RATE_LIMITED = ("the provider's rate limit held past the run deadline ({deadline:g}s): set rpm/tpm in the profile, "
                "lower --concurrency or raise deadline, then run the same command again (answers already received "
                "are cached)")
ADVICE: tuple[tuple[type[openai.APIError], str], ...] = (
    (openai.AuthenticationError, "the server refused the API key: check the key (--api-key, FAZHI_API_KEY or the "
                                 "profile's variable)"),
    (openai.PermissionDeniedError, "the key may not use this model: check --model and the key's access"),
    (openai.NotFoundError, "no such model or endpoint at {url}: check --model and --base-url"),
    (openai.RateLimitError, RATE_LIMITED),
    (openai.APITimeoutError, "no complete answer within {timeout:g}s: raise --timeout, or check the server"),
    (openai.APIConnectionError, "cannot reach {url}: check --base-url and that the server is running"),
    (openai.BadRequestError, "the server refused the request: check --model, --mode and the profile's settings"),
    (openai.InternalServerError, "the provider failed: run the same command again later (answers already received "
                                 "are cached)"),
)


UNUSABLE = (openai.AuthenticationError, openai.PermissionDeniedError, openai.NotFoundError)  # for every request


DROPPED = ("the connection to {url} dropped before the answer was complete: run the same command again (answers "
           "already received are cached); if it keeps happening, check any proxy in between")


def prompt_tokens(answer: Any) -> int:
    """The prompt's tokens as the provider counted them (0 when it did not say)."""
    usage = answer.get("usage") if isinstance(answer, dict) else None
    tokens = usage.get("prompt_tokens") if isinstance(usage, dict) else None
    return tokens if isinstance(tokens, int) else 0


def first_line(exc: BaseException) -> str:
    return " ".join(str(exc).split())[:300]


def detail(exc: openai.APIError) -> str:
    """The error's kind and text, with the network error under a connection error."""
    cause = exc.__cause__
    under = f" ({type(cause).__name__}: {first_line(cause)})" if cause and str(cause) else ""
    return f"{type(exc).__name__}: {first_line(exc)}" + (under if isinstance(exc, openai.APIConnectionError) else "")


def connected(exc: openai.APIConnectionError) -> bool:
    """Whether the connection was made (and then dropped), rather than refused or never reached."""
    return not isinstance(exc, openai.APITimeoutError) and not isinstance(exc.__cause__, httpx2.ConnectError)


def unusable(exc: openai.APIError) -> bool:
    """Whether every other request would fail the same way: the key or model refused, or no connection made
    (refused, no such host). A timeout, a dropped connection or a server error may pass."""
    return isinstance(exc, UNUSABLE) or (isinstance(exc, openai.APIConnectionError)
                                         and isinstance(exc.__cause__, httpx2.ConnectError))


class PacedOpenAI(openai.AsyncOpenAI):
    """The async client, but a 429 is left to the pacer (which waits and sends again) instead of retried."""

    def _should_retry(self, response: httpx2.Response) -> bool:
        return response.status_code != 429 and super()._should_retry(response)


class Sender:
    """Sends one client's requests: every request logged (RecordingTransport) and paced (its pacer)."""

    def __init__(self, client: "ModelClient", api_key: str) -> None:
        self.client = client
        profile = client.profile
        transport = RecordingTransport(profile.model, client.base_url, profile.timeout, PacedTransport(client.pacer),
                                       redact=client.redact)
        self.raw = PacedOpenAI(
            base_url=profile.base_url, api_key=api_key, max_retries=profile.max_retries,
            timeout=profile.timeout, http_client=httpx2.AsyncClient(transport=transport, timeout=profile.timeout),
        )

    async def send(self, messages: Messages, parts: "Parts") -> Any:
        """One request's answer; a 429 waits as the pacer says and goes again, until the run deadline."""
        pacer = self.client.pacer
        weighted = message_units(messages)
        while True:
            try:
                async with pacer.slot(pacer.estimate(weighted)):
                    answer = await self.post(messages, parts)
            except openai.RateLimitError as exc:
                if pacer.expired():
                    raise self.failure(exc) from exc
                continue
            except PastDeadline as exc:
                advice = RATE_LIMITED.format(deadline=self.client.profile.deadline)
                raise ExtractionError(f"model request not sent: {exc} ({advice})") from exc
            except openai.APIError as exc:
                raise self.failure(exc) from exc
            pacer.calibrate(weighted, prompt_tokens(answer))
            return answer

    async def post(self, messages: Messages, parts: "Parts") -> Any:
        """The answer's body as parsed JSON (its text when it is not JSON). The body sent is already what the
        API takes: posting it skips the SDK's per-request walk over the parameters (about 12 ms a request)."""
        response = await self.raw.post("/chat/completions", body=self.client.body(messages, parts),
                                       cast_to=httpx2.Response)
        try:
            return json.loads(response.content)
        except ValueError:
            return response.text

    def failure(self, exc: openai.APIError) -> ExtractionError:
        kind = ProviderUnusable if unusable(exc) else ExtractionError
        return kind(self.client.redact(f"model request failed: {detail(exc)} ({self.advice(exc)})"))

    def advice(self, exc: openai.APIError) -> str:
        """What to do about a failed request, by its kind (the answers already received are cached)."""
        base_url, profile = self.client.base_url, self.client.profile
        if isinstance(exc, openai.APIConnectionError) and connected(exc):
            return DROPPED.format(url=base_url)
        for kind, advice in ADVICE:
            if isinstance(exc, kind):
                return advice.format(url=base_url, timeout=profile.timeout, deadline=profile.deadline)
        return "run the same command again later: answers already received are cached"

    async def aclose(self) -> None:
        await self.raw.close()
