"""Structured answers from any OpenAI-compatible model: the async openai client (agent/sending.py, loaded
when the first request goes out), with instructor preparing tool and JSON-schema requests and finding the
JSON in an answer.

One `ask` = the cache, else a `Conversation` (agent/conversation.py) driven one request at a time: the
answer read and checked part by part against the text sent, only the rejected parts asked again, what
still fails dropped and counted. An answer cut at the output limit raises `Truncated`, for the caller
to split its text. The messages are sent as given: no templating.
"""

import time
from typing import TYPE_CHECKING, Any

from fazhi.agent.cache import AnswerCache, content_hash
from fazhi.agent.calllog import CALL_SCOPE, labelled, record
from fazhi.agent.checks import Parts, request_model
from fazhi.agent.conversation import (
    Answer,
    Conversation,
    Messages,
    Truncated,
    cached_entry,
    is_sealed,
    replayed,
    resealed,
)
from fazhi.agent.errors import CacheMiss
from fazhi.agent.pacing import Pacer
from fazhi.agent.providers import MODES, Profile
from fazhi.agent.redaction import redact, secrets_of, without_userinfo
from pydantic import BaseModel

if TYPE_CHECKING:
    from fazhi.agent.sending import Sender

__all__ = ["Answer", "ModelClient", "Truncated"]


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
        self.api_key = api_key
        self._sender: Sender | None = None  # the HTTP side, made when the first request goes out
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
                import instructor
                from instructor.processing.response import handle_response_model

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
        """A cached exchange (checked again unless sealed by this code, then sealed again when it passed);
        an entry of another shape is a miss (with a warning)."""
        assert self.cache is not None
        try:
            sealed = is_sealed(hit, parts)
            answers = replayed(hit, parts, source, sealed)
            entry = None if sealed else resealed(hit, parts, answers)
        except (KeyError, TypeError, ValueError, AttributeError):
            self.cache.warn(f"cache entry {self.cache.where(key)} is not a cached answer: asking the model instead "
                            "(delete it)")
            return None
        if entry is not None:
            self.cache.refresh(key, entry)
        record(self.profile.model, self.base_url, "ok", time.perf_counter(), cache_hit=True)
        return answers

    async def converse(self, messages: Messages, parts: Parts, source: str) -> dict[str, Answer]:
        conversation = Conversation(messages, parts, source, self.profile.reasks)
        while (request := conversation.request()) is not None:
            conversation.take(await self.send(*request))
        return conversation.answers()

    async def send(self, messages: Messages, parts: Parts) -> Any:
        """One request's answer (agent/sending.py, loaded with the first request that goes out)."""
        return await self.sender().send(messages, parts)

    def sender(self) -> "Sender":
        if self._sender is None:
            from fazhi.agent.sending import Sender

            self._sender = Sender(self, self.api_key)
        return self._sender

    def redact(self, text: str) -> str:
        """The text without the API key or the base URL's credentials."""
        return redact(text, self.secrets)

    async def aclose(self) -> None:
        if self._sender is not None:
            await self._sender.aclose()
