"""Batch files on the wire: the JSONL of requests (OpenAI's batch input, also read by `vllm run-batch`),
the output and error files read back, and the provider's /files and /batches endpoints."""

import json
from dataclasses import dataclass
from typing import Any

import openai
from fazhi.agent.calllog import usage_of
from fazhi.agent.errors import FazhiError
from fazhi.agent.providers import Profile

ENDED = ("completed", "failed", "expired", "cancelled")  # a batch in any other status is still running
MAX_LINES = 50_000  # requests in one batch at most (OpenAI, DashScope and Zhipu document this limit)


class BatchError(FazhiError):
    """The provider's /files or /batches endpoint refused or failed."""


def custom_id(run_id: int, doc_id: str, ask_no: int, attempt: int) -> str:
    return f"fazhi-{run_id}-{doc_id}-{ask_no}-{attempt}"


def jsonl(lines: list[tuple[str, dict[str, Any]]], url: str) -> bytes:
    """One request per line: custom id, method, url and the chat-completions body."""
    rows = [json.dumps({"custom_id": cid, "method": "POST", "url": url, "body": body},
                       ensure_ascii=False) for cid, body in lines]
    return ("\n".join(rows) + "\n").encode("utf-8")


@dataclass
class LineAnswer:
    """One request's answer in a batch output or error file."""

    custom_id: str
    status: str  # "ok", or the HTTP status, or "error"
    body: dict[str, Any] | None = None
    error: str | None = None

    @property
    def usage(self) -> tuple[int, int, int]:
        return usage_of(self.body)


def read_output(data: bytes, source: str) -> list[LineAnswer]:
    """The answers of an output (or error) file: `{"custom_id", "response": {"status_code", "body"},
    "error"}` per line, as OpenAI, DashScope, Zhipu and `vllm run-batch` write them."""
    answers = []
    for number, line in enumerate(data.decode("utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            answers.append(line_answer(row))
        except (ValueError, AttributeError, KeyError, TypeError) as exc:
            raise BatchError(f"Line {number} of {source} is not a batch answer ({exc}): pass the file the "
                             "batch wrote (its lines hold custom_id and response)") from None
    return answers


def line_answer(row: dict[str, Any]) -> LineAnswer:
    cid = row["custom_id"]
    response = row.get("response") or {}
    body = response.get("body")
    code = response.get("status_code")
    if row.get("error"):
        error = row["error"]
        message = error.get("message") if isinstance(error, dict) else str(error)
        return LineAnswer(cid, str(code or "error"), None, message or json.dumps(error))
    if code == 200 and isinstance(body, dict):
        return LineAnswer(cid, "ok", body)
    detail = body.get("error") if isinstance(body, dict) else body
    message = detail.get("message") if isinstance(detail, dict) else detail
    return LineAnswer(cid, str(code or "error"), None, str(message or "no answer"))


def provider(profile: Profile, api_key: str) -> openai.OpenAI:
    return openai.OpenAI(base_url=profile.base_url, api_key=api_key, max_retries=profile.max_retries,
                         timeout=profile.timeout)


def upload(client: openai.OpenAI, data: bytes, name: str, endpoint: str) -> tuple[str, str]:
    """Upload the JSONL and start a batch on it: (batch id, input file id)."""
    try:
        sent = client.files.create(file=(name, data, "application/jsonl"), purpose="batch")
        batch = client.batches.create(input_file_id=sent.id, endpoint=endpoint,  # type: ignore[arg-type]
                                      completion_window="24h")
    except openai.APIError as exc:
        raise BatchError(f"The batch could not be submitted ({type(exc).__name__}: {exc}): check that the "
                         "provider offers /files and /batches, and the base URL and key") from None
    return batch.id, sent.id


def retrieve(client: openai.OpenAI, batch_id: str) -> Any:
    try:
        return client.batches.retrieve(batch_id)
    except openai.APIError as exc:
        raise BatchError(f"Cannot read batch {batch_id} ({type(exc).__name__}: {exc}): check the base URL "
                         "and key it was submitted with") from None


def download(client: openai.OpenAI, file_id: str | None) -> bytes:
    if not file_id:
        return b""
    try:
        return client.files.content(file_id).content
    except openai.APIError as exc:
        raise BatchError(f"Cannot download batch file {file_id} ({type(exc).__name__}: {exc}): try "
                         "collecting again later") from None
