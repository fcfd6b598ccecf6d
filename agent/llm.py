"""Structured answers from any OpenAI-compatible model: instructor over the async openai client.

One `ask` = cache look-up, then (on a miss) a request with a bounded validation re-ask loop; what is
still invalid after the last re-ask is salvaged item by item (bad items dropped and counted).
"""

import asyncio
import json
import re
import time
from dataclasses import dataclass, field
from json import JSONDecodeError
from typing import Any

import httpx2
import instructor
import openai
from instructor.core.exceptions import InstructorRetryException, ResponseParsingError
from pydantic import BaseModel, ValidationError
from tenacity import AsyncRetrying, retry_if_exception_type, stop_after_attempt

from agent.cache import AnswerCache, content_hash
from agent.calllog import CALL_LABELS, CallLog
from agent.errors import CacheMiss, ExtractionError
from agent.grounding import GroundedAnswer
from agent.providers import Profile
from agent.transport import RecordingTransport

MODES = {
    "json": instructor.Mode.JSON,
    "tools": instructor.Mode.TOOLS,
    "json_schema": instructor.Mode.JSON_SCHEMA,
    "md_json": instructor.Mode.MD_JSON,
}
REASKABLE = (ValidationError, JSONDecodeError, ResponseParsingError)


@dataclass
class Answer:
    value: BaseModel
    dropped: list[str] = field(default_factory=list)
    attempts: int = 1
    cache_hit: bool = False


def reask_policy(reasks: int) -> AsyncRetrying:
    """Validation re-asks: at most `reasks` after the first answer, only for invalid answers."""
    return AsyncRetrying(stop=stop_after_attempt(reasks + 1), retry=retry_if_exception_type(REASKABLE), reraise=True)


def completion_text(completion: Any) -> str:
    message = completion.choices[0].message
    if getattr(message, "tool_calls", None):
        return message.tool_calls[0].function.arguments
    return message.content or ""


def json_payload(text: str) -> dict[str, Any]:
    """The JSON object in a model's text, fenced or bare."""
    fenced = re.search(r"```(?:json)?\s*(.*?)```", text, re.S)
    body = fenced.group(1) if fenced else text
    start, end = body.find("{"), body.rfind("}")
    data = json.loads(body[start : end + 1]) if start >= 0 else None
    if not isinstance(data, dict):
        raise ValueError("no JSON object in the answer")
    return data


def salvage_grounded(model: type[GroundedAnswer], data: dict[str, Any], source: str) -> GroundedAnswer:
    """Keep the valid, grounded items of an answer; list the rest as dropped."""
    item_model = model.model_fields[model.items_field].annotation.__args__[0]  # type: ignore[union-attr]
    kept, dropped = [], []
    for raw in data.get(model.items_field) or []:
        try:
            kept.append(item_model.model_validate(raw).model_dump())
        except ValidationError as exc:
            dropped.append(f"invalid item: {exc.errors()[0]['msg']}")
    answer = model.model_validate({model.items_field: kept}, context={"source": source, "salvage": True})
    answer._dropped = dropped + answer.dropped
    return answer


def salvage_plain(model: type[BaseModel], data: dict[str, Any]) -> BaseModel:
    """Keep the valid fields of a flat answer; invalid ones fall back to their defaults."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        bad = {err["loc"][0] for err in exc.errors() if err["loc"]}
        return model.model_validate({k: v for k, v in data.items() if k not in bad})


def salvage(model: type[BaseModel], completion: Any, source: str) -> BaseModel:
    data = json_payload(completion_text(completion))
    if issubclass(model, GroundedAnswer):
        return salvage_grounded(model, data, source)
    return salvage_plain(model, data)


class ModelClient:
    """Asks one profile's model for answers of a given pydantic model, with cache and call log."""

    def __init__(self, profile: Profile, api_key: str, cache: AnswerCache | None, replay_only: bool = False) -> None:
        self.profile = profile
        self.cache = cache
        self.replay_only = replay_only
        self.log = CallLog(profile.model, profile.base_url)
        self.limit = asyncio.Semaphore(max(profile.concurrency, 1))
        http = httpx2.AsyncClient(transport=RecordingTransport(self.log, profile.timeout), timeout=profile.timeout)
        raw = openai.AsyncOpenAI(
            base_url=profile.base_url, api_key=api_key, max_retries=profile.max_retries,
            timeout=profile.timeout, http_client=http,
        )
        self.client = instructor.from_openai(raw, mode=MODES[profile.mode])

    def params(self) -> dict[str, Any]:
        params: dict[str, Any] = {"temperature": 0}
        if self.profile.extra_body:
            params["extra_body"] = self.profile.extra_body
        if self.profile.max_tokens:
            params["max_tokens"] = self.profile.max_tokens
        return params

    def cache_key(self, messages: list[dict[str, str]], model: type[BaseModel]) -> str:
        p = self.profile
        return content_hash({
            "base_url": p.base_url, "model": p.model, "mode": p.mode, "messages": messages,
            "schema": model.model_json_schema(), "params": self.params(), "reasks": p.reasks,
        })

    async def ask(self, messages: list[dict[str, str]], model: type[BaseModel], source: str) -> Answer:
        key = self.cache_key(messages, model)
        CALL_LABELS.set({**CALL_LABELS.get(), "cache_key": key})
        if self.cache and (hit := self.cache.get(key)):
            self.log.add("ok", time.perf_counter(), cache_hit=True)
            value = model.model_validate(hit["answer"], context={"source": source, "salvage": True})
            return Answer(value, hit.get("dropped", []), hit.get("attempts", 1), cache_hit=True)
        if self.replay_only:
            raise CacheMiss(CALL_LABELS.get().get("doc_id", "?"))
        async with self.limit:
            answer = await self._request(messages, model, source)
        answer.attempts = sum(1 for r in self.log.records if r.cache_key == key and r.status == "ok")
        if self.cache:
            self.cache.put(key, {"answer": answer.value.model_dump(mode="json"), "dropped": answer.dropped,
                                 "attempts": answer.attempts})
        return answer

    async def _request(self, messages: list[dict[str, str]], model: type[BaseModel], source: str) -> Answer:
        try:
            value, _ = await self.client.create_with_completion(
                messages=messages, response_model=model, model=self.profile.model,
                max_retries=reask_policy(self.profile.reasks), context={"source": source}, strict=False,
                **self.params(),
            )
        except InstructorRetryException as exc:
            return self._after_reasks(exc, model, source)
        return Answer(value, list(getattr(value, "dropped", [])))

    def _after_reasks(self, exc: InstructorRetryException, model: type[BaseModel], source: str) -> Answer:
        cause = exc.__cause__ or exc
        if not exc.failed_attempts or not isinstance(cause, REASKABLE):
            raise ExtractionError(f"model request failed: {type(cause).__name__}: {cause}") from cause
        try:
            value = salvage(model, exc.failed_attempts[-1].completion, source)
        except (ValueError, ValidationError) as err:
            raise ExtractionError(f"answer still invalid after {exc.n_attempts} attempts: {err}") from err
        return Answer(value, list(getattr(value, "dropped", [])))

    async def aclose(self) -> None:
        await self.client.client.close()  # type: ignore[union-attr]
