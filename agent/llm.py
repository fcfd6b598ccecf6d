"""Structured answers from any OpenAI-compatible model: the async openai client, with instructor
preparing tool and JSON-schema requests and finding the JSON in an answer.

One `ask` = the cache, else a `Conversation` (agent/conversation.py) driven one request at a time: the
answer read and checked part by part against the text sent, only the rejected parts asked again, what
still fails dropped and counted. An answer cut at the output limit raises `Truncated`, for the caller
to split its text. The messages are sent as given: no templating.
"""

import time
from typing import Any

import httpx2
import instructor
import openai
from fazhi.agent.cache import AnswerCache, content_hash
from fazhi.agent.calllog import CALL_SCOPE, labelled, record
from fazhi.agent.checks import Parts, request_model
from fazhi.agent.conversation import Answer, Conversation, Messages, Truncated, cached_entry, replayed
from fazhi.agent.errors import CacheMiss, ExtractionError
from fazhi.agent.pacing import PacedTransport, Pacer, PastDeadline, message_units
from fazhi.agent.providers import MODES, Profile
from fazhi.agent.redaction import redact, secrets_of, without_userinfo
from fazhi.agent.transport import RecordingTransport
from instructor.processing.response import handle_response_model
from openai.types.chat import ChatCompletion
from pydantic import BaseModel

__all__ = ["Answer", "ModelClient", "Truncated"]


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


DROPPED = ("the connection to {url} dropped before the answer was complete: run the same command again (answers "
           "already received are cached); if it keeps happening, check any proxy in between")


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


class PacedOpenAI(openai.AsyncOpenAI):
    """The async client, but a 429 is left to the pacer (which waits and sends again) instead of retried."""

    def _should_retry(self, response: httpx2.Response) -> bool:
        return response.status_code != 429 and super()._should_retry(response)


REQUESTS_PER_SLOT = 8  # requests in flight per unit of concurrency (two documents of up to four asks)


class ModelClient:
    """Asks one profile's model for answers of given pydantic models, with cache and call records."""

    def __init__(self, profile: Profile, api_key: str, cache: AnswerCache | None, replay_only: bool = False) -> None:
        self.profile = profile
        self.cache = cache
        self.replay_only = replay_only
        self.secrets = secrets_of(api_key, profile.base_url)
        self.base_url = without_userinfo(profile.base_url)
        self.pacer = Pacer(profile.rpm, profile.tpm, profile.concurrency * REQUESTS_PER_SLOT, profile.deadline)
        transport = RecordingTransport(profile.model, self.base_url, profile.timeout, PacedTransport(self.pacer),
                                       redact=self.redact)
        self.raw = PacedOpenAI(
            base_url=profile.base_url, api_key=api_key, max_retries=profile.max_retries,
            timeout=profile.timeout, http_client=httpx2.AsyncClient(transport=transport, timeout=profile.timeout),
        )
        self.extras: dict[tuple[tuple[str, type[BaseModel]], ...], dict[str, Any]] = {}

    def params(self) -> dict[str, Any]:
        params: dict[str, Any] = {"temperature": 0}
        if self.profile.extra_body:
            params["extra_body"] = self.profile.extra_body
        if self.profile.max_tokens:
            params["max_tokens"] = self.profile.max_tokens
        return params

    def request_extras(self, parts: Parts) -> dict[str, Any]:
        """What the mode adds to a request for these tasks (tools, a response format), built once."""
        key = tuple((name, model) for name, model in parts.items())
        if key not in self.extras:
            name = MODES[self.profile.mode]
            if name is None:
                extra = {"response_format": {"type": "json_object"}} if self.profile.mode == "json" else {}
            else:
                _, kwargs = handle_response_model(request_model(parts), mode=instructor.Mode[name])
                extra = {k: v for k, v in kwargs.items() if k in ("tools", "tool_choice", "response_format")}
            self.extras[key] = extra
        return self.extras[key]

    def cache_key(self, messages: Messages, parts: Parts) -> str:
        p = self.profile
        return content_hash({
            "base_url": p.base_url, "model": p.model, "mode": p.mode, "messages": messages,
            "request": self.request_extras(parts), "params": self.params(), "reasks": p.reasks,
        })

    def body(self, messages: Messages, parts: Parts) -> dict[str, Any]:
        """The chat-completions request body as it goes on the wire, live or as a line of a batch file (the
        profile's `extra_body` merged into the top level, as the SDK would)."""
        params = self.params()
        extra = params.pop("extra_body", None) or {}
        return {"model": self.profile.model, "messages": messages, **self.request_extras(parts), **params, **extra}

    async def ask(self, messages: Messages, parts: Parts, source: str) -> dict[str, Answer]:
        """Each task's answer to `messages`, checked against `source` (the text sent)."""
        key = self.cache_key(messages, parts)
        with labelled(cache_key=key):
            if self.cache and (hit := self.cache.get(key)) and (answers := self.replay(key, hit, parts, source)):
                return answers
            if self.replay_only:
                scope = CALL_SCOPE.get()
                raise CacheMiss(scope.doc_id if scope and scope.doc_id else "?")
            answers = await self.converse(messages, parts, source)
        if self.cache:
            self.cache.put(key, cached_entry(answers))
        return answers

    def replay(self, key: str, hit: dict[str, Any], parts: Parts, source: str) -> dict[str, Answer] | None:
        """A cached exchange, checked again; an entry of another shape is a miss (with a warning)."""
        assert self.cache is not None
        try:
            answers = replayed(hit, parts, source)
        except (KeyError, TypeError, ValueError, AttributeError):
            self.cache.warn(f"cache entry {self.cache.path(key)} is not a cached answer: asking the model instead "
                            "(delete it)")
            return None
        record(self.profile.model, self.base_url, "ok", time.perf_counter(), cache_hit=True)
        return answers

    async def converse(self, messages: Messages, parts: Parts, source: str) -> dict[str, Answer]:
        conversation = Conversation(messages, parts, source, self.profile.reasks)
        while (request := conversation.request()) is not None:
            conversation.take(await self.send(*request))
        return conversation.answers()

    async def send(self, messages: Messages, parts: Parts) -> Any:
        """One request's answer; a 429 waits as the pacer says and goes again, until the run deadline."""
        weighted = message_units(messages)
        while True:
            try:
                async with self.pacer.slot(self.pacer.estimate(weighted)):
                    answer = await self.post(messages, parts)
            except openai.RateLimitError as exc:
                if self.pacer.expired():
                    raise self.failure(exc) from exc
                continue
            except PastDeadline as exc:
                advice = RATE_LIMITED.format(deadline=self.profile.deadline)
                raise ExtractionError(f"model request not sent: {exc} ({advice})") from exc
            except openai.APIError as exc:
                raise self.failure(exc) from exc
            usage = getattr(answer, "usage", None)
            self.pacer.calibrate(weighted, getattr(usage, "prompt_tokens", 0) or 0)
            return answer

    async def post(self, messages: Messages, parts: Parts) -> Any:
        # The body is already what the API takes: posting it skips the SDK's per-request walk over
        # the parameters (about 12 ms a request), and the answer is still parsed into a ChatCompletion.
        return await self.raw.post("/chat/completions", body=self.body(messages, parts), cast_to=ChatCompletion)

    def failure(self, exc: openai.APIError) -> ExtractionError:
        return ExtractionError(self.redact(f"model request failed: {detail(exc)} ({self.advice(exc)})"))

    def advice(self, exc: openai.APIError) -> str:
        """What to do about a failed request, by its kind (the answers already received are cached)."""
        if isinstance(exc, openai.APIConnectionError) and connected(exc):
            return DROPPED.format(url=self.base_url)
        for kind, advice in ADVICE:
            if isinstance(exc, kind):
                return advice.format(url=self.base_url, timeout=self.profile.timeout, deadline=self.profile.deadline)
        return "run the same command again later: answers already received are cached"

    def redact(self, text: str) -> str:
        """The text without the API key or the base URL's credentials."""
        return redact(text, self.secrets)

    async def aclose(self) -> None:
        await self.raw.close()
