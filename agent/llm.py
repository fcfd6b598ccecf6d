"""Structured answers from any OpenAI-compatible model: the async openai client, with instructor
preparing tool and JSON-schema requests and finding the JSON in an answer.

One `ask` = the cache, else a request; the answer is read (a reasoning block or field dropped, the
last complete JSON object taken), checked part by part against the text sent (`agent.checks`), and
only the rejected parts are asked again, each with its reason, up to the profile's `reasks`; what is
still wrong is dropped and counted. An answer cut at the output limit raises `Truncated`, for the
caller to split its text. The messages are sent as given: no templating.
"""

import json
import re
import time
from dataclasses import dataclass, field
from typing import Any

import httpx2
import instructor
import openai
from instructor.processing.response import handle_response_model
from instructor.v2.core.json import extract_json_from_codeblock
from pydantic import BaseModel

from agent.cache import AnswerCache, content_hash
from agent.calllog import CALL_SCOPE, labelled, record
from agent.checks import (
    Checked,
    Parts,
    Unreadable,
    assemble,
    check,
    merge,
    reask_message,
    rejected_json,
    rejected_parts,
    request_model,
)
from agent.errors import CacheMiss, ExtractionError
from agent.grounding import GroundedAnswer
from agent.providers import MODES, Profile
from agent.transport import RecordingTransport

REASONING = re.compile(r"<(think|thinking|reasoning)>.*?(?:</\1>|$)", re.S | re.I)
Messages = list[dict[str, str]]


class Truncated(ExtractionError):
    """The answer stopped at the provider's output limit (finish_reason "length")."""


@dataclass
class Answer:
    """One task's answer from one exchange (a request and its re-asks)."""

    value: BaseModel
    dropped: list[str] = field(default_factory=list)
    attempts: int = 1  # requests sent in the exchange (the first and its re-asks)
    cache_hit: bool = False
    reasked: int = 0  # items (or fields) rejected at first and then corrected


def answer_text(completion: Any) -> str:
    """The answer's JSON-bearing text: a tool call's arguments or the message, reasoning blocks removed
    (a provider's separate reasoning_content field is never read)."""
    choices = getattr(completion, "choices", None)
    if choices is None:
        raise Unreadable("the server did not answer with a chat completion: check the base URL (an HTML page?)")
    if not choices:
        raise Unreadable("the answer has no choices")
    message = choices[0].message
    calls = getattr(message, "tool_calls", None)
    text = calls[0].function.arguments if calls else (message.content or "")
    return REASONING.sub("", text)


def json_object(text: str) -> dict[str, Any]:
    """The last complete JSON object of an answer (fenced or not)."""
    try:
        data = json.loads(extract_json_from_codeblock(text))
    except ValueError as exc:
        raise Unreadable(f"no JSON object in the answer: {text[:120]!r}") from exc
    if not isinstance(data, dict):
        raise Unreadable("the answer's JSON is not an object")
    return data


class ModelClient:
    """Asks one profile's model for answers of given pydantic models, with cache and call records."""

    def __init__(self, profile: Profile, api_key: str, cache: AnswerCache | None, replay_only: bool = False) -> None:
        self.profile = profile
        self.cache = cache
        self.replay_only = replay_only
        transport = RecordingTransport(profile.model, profile.base_url, profile.timeout)
        self.raw = openai.AsyncOpenAI(
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

    async def ask(self, messages: Messages, parts: Parts, source: str) -> dict[str, Answer]:
        """Each task's answer to `messages`, checked against `source` (the text sent)."""
        key = self.cache_key(messages, parts)
        with labelled(cache_key=key):
            if self.cache and (hit := self.cache.get(key)) and "answers" in hit:
                return self.replay(hit, parts, source)
            if self.replay_only:
                scope = CALL_SCOPE.get()
                raise CacheMiss(scope.doc_id if scope and scope.doc_id else "?")
            answers = await self.converse(messages, parts, source)
        if self.cache:
            self.cache.put(key, {"answers": {name: {"value": a.value.model_dump(mode="json"), "dropped": a.dropped,
                                                    "reasked": a.reasked} for name, a in answers.items()},
                                 "attempts": next(iter(answers.values())).attempts})
        return answers

    def replay(self, hit: dict[str, Any], parts: Parts, source: str) -> dict[str, Answer]:
        """A cached answer, checked again against the text (the checks may have grown stricter)."""
        record(self.profile.model, self.profile.base_url, "ok", time.perf_counter(), cache_hit=True)
        stored = hit["answers"]
        data = {name: value_of(parts[name], stored[name]["value"]) for name in parts}
        checked = check(parts, data, source)
        return {name: Answer(assemble(parts[name], c), list(stored[name]["dropped"]) + [r.reason for r in c.rejected],
                             hit.get("attempts", 1), True, stored[name].get("reasked", 0))
                for name, c in checked.items()}

    async def converse(self, messages: Messages, parts: Parts, source: str) -> dict[str, Answer]:
        """The first answer, then re-asks of its rejected parts only, merged into what was kept."""
        checked, attempts = await self.first_answer(messages, parts, source)
        first = checked
        while (rejected := rejected_parts(checked)) and attempts <= self.profile.reasks:
            asked = {name: parts[name] for name in rejected}
            followup = [*messages, {"role": "assistant", "content": rejected_json(parts, rejected)},
                        {"role": "user", "content": reask_message(parts, rejected)}]
            attempts += 1
            try:
                later = check(asked, await self.completion_data(followup, asked), source)
            except (Unreadable, Truncated):
                break
            checked = merge(checked, later)
        for name, c in checked.items():
            if c.rejected and c.given and not c.kept:
                raise ExtractionError(f"no part of the {name} answer passed the checks after {attempts} attempts, "
                                      f"e.g. {c.rejected[0].reason}")
        return {name: outcome_of(parts[name], first[name], c, attempts) for name, c in checked.items()}

    async def first_answer(self, messages: Messages, parts: Parts, source: str) -> tuple[dict[str, Checked], int]:
        """The first answer, checked; one without a readable JSON object of the right shape is asked
        again whole (it has no parts to keep)."""
        asked = messages
        for attempt in range(1, self.profile.reasks + 2):
            try:
                return check(parts, await self.completion_data(asked, parts), source), attempt
            except Unreadable as exc:
                problem = str(exc)
            asked = [*messages, {"role": "user", "content": f"Your last answer could not be read: {problem}. "
                                 "Answer with the JSON object only."}]
        raise ExtractionError(f"answer still unreadable after {self.profile.reasks + 1} attempts: {problem}")

    async def completion_data(self, messages: Messages, parts: Parts) -> dict[str, Any]:
        try:
            completion = await self.raw.chat.completions.create(
                model=self.profile.model, messages=messages, **self.request_extras(parts), **self.params())
        except openai.APIError as exc:
            raise ExtractionError(f"model request failed: {type(exc).__name__}: {exc}") from exc
        text = answer_text(completion)
        if completion.choices[0].finish_reason == "length":
            raise Truncated("the answer was cut at the output limit (max_tokens)")
        return json_object(text)

    async def aclose(self) -> None:
        await self.raw.close()


def outcome_of(model: type[BaseModel], first: Checked, last: Checked, attempts: int) -> Answer:
    """A task's answer: what passed, what was corrected on a re-ask, and what was dropped (still failing,
    or withdrawn by the model when asked again)."""
    corrected = len(last.kept) - len(first.kept) if isinstance(last.kept, list) else len(first.rejected) - len(
        last.rejected)
    withdrawn = max(0, len(first.rejected) - corrected - len(last.rejected))
    dropped = [r.reason for r in last.rejected] + [f"withdrawn when asked again: {r.reason}"
                                                   for r in first.rejected[:withdrawn]]
    return Answer(assemble(model, last), dropped, attempts, reasked=corrected)


def value_of(model: type[BaseModel], value: dict[str, Any]) -> Any:
    """A stored answer as it stands in a JSON answer (an item task's list, or the fields)."""
    return value[model.items_field] if issubclass(model, GroundedAnswer) else value
