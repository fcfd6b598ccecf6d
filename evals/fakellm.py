"""A fake OpenAI-compatible chat-completions server on 127.0.0.1, for driving the real client.

It answers from a simple rule "brain" that reads the document out of the request (so answers are
grounded), and it can be scripted to misbehave: HTTP errors, malformed JSON, ungrounded quotes, hangs, and
faults of the wire (a reset connection, a body trickled a few bytes at a time, a body cut short, a raw body
such as an HTML page).
It can enforce a provider's requests and tokens per minute over a sliding minute (`Limits`), with a
fixed latency per answer, refusing with 429s that carry `retry-after-ms`, `Retry-After` and `x-ratelimit-*`.
It also offers the Batch API (/v1/files, /v1/batches: evals/fakebatch.py), each line answered the same way.
"""

import hashlib
import json
import math
import random
import re
import socket
import struct
import threading
import time
from collections import Counter, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from fazhi.agent.grounding import normalise, normalise_with_map
from fazhi.evals.fakebatch import BatchDesk, run_file
from fazhi.schemas.meta_checks import composable, date_in
from fazhi.schemas.rules.reading import is_page_number

DOC_RE = re.compile(r"<document>\n(.*)\n</document>", re.S)
NUMBER_UNIT = re.compile(r"(\d+(?:\.\d+)?)(人次|件|场|名|个|项|份|次|家|人|%)")
CLAUSE_SPLIT = re.compile(r"[，。；,;：:\n]")


@dataclass
class Reply:
    status: int = 200
    body: Any = None  # dict for a JSON answer payload; str for raw content
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    raw_content: str | None = None  # assistant content sent as is (e.g. malformed JSON)
    finish_reason: str | None = None  # "length": the answer was cut at the output limit
    reasoning: str | None = None  # a provider's reasoning_content field beside the answer
    raw_body: bytes | None = None  # the HTTP body sent as is (an HTML page, a completion without choices)
    reset: bool = False  # the connection is reset instead of answered
    trickle: float = 0.0  # seconds between chunks of 16 bytes of the body
    cut: int | None = None  # only this many bytes of the body are sent, then the connection is reset


Action = Callable[[dict[str, Any]], Reply | None]


def document_of(request: dict[str, Any]) -> str:
    for message in request["messages"]:
        found = DOC_RE.search(str(message.get("content") or ""))
        if found:
            return found.group(1)
    return ""


TASKS = ("meta", "metrics", "issues")


def tasks_of(request: dict[str, Any]) -> list[str]:
    """The tasks a request asks: the keys its instructions (or its schema) give the answer; a re-ask
    asks only those of the rejected parts its last message names."""
    last = str(request["messages"][-1].get("content") or "")
    if len(request["messages"]) > 2 and "failed the checks" in last:
        return [t for t in TASKS if f"- {t}:" in last]
    text = str(request["messages"][0].get("content") or "") + json.dumps(
        request.get("tools") or request.get("response_format") or "", ensure_ascii=False)
    return [t for t in TASKS if f'{{"{t}"' in text or f'"{t}": ' in text] or ["meta"]


def task_of(request: dict[str, Any]) -> str:
    """The request's single task (a request asking several gives its item task first: metrics)."""
    tasks = tasks_of(request)
    return next((t for t in ("metrics", "issues") if t in tasks), tasks[0])


def clause_around(text: str, start: int, end: int) -> str:
    left = max((m.end() for m in CLAUSE_SPLIT.finditer(text, 0, start)), default=0)
    right = CLAUSE_SPLIT.search(text, end)
    return text[left : right.start() if right else len(text)]


def brain_metrics(text: str) -> list[dict[str, Any]]:
    metrics = []
    for m in NUMBER_UNIT.finditer(text):
        clause = clause_around(text, m.start(), m.end())
        metrics.append({"name": clause[:12], "value": float(m.group(1)), "unit": m.group(2),
                        "qualifier": "exact", "category": "other", "canonical": None, "evidence": clause})
    return metrics


def brain_issues(text: str) -> list[dict[str, Any]]:
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
    items = [ln for ln in lines[1:] if ln.startswith(("(", "（", "一是", "二是", "三是"))] or lines[1:2]
    return [{"summary": ln[:30], "category": "other", "evidence": ln[:30]} for ln in items]


def brain_meta(text: str) -> dict[str, Any]:
    year = re.search(r"(20\d\d)年", text)
    return {"title": None, "region": None, "province": None, "admin_level": None,
            "report_year": int(year.group(1)) if year else None, "published_date": None, "issuer": None,
            "doc_type": "government_report"}


BRAINS = {"metrics": brain_metrics, "issues": brain_issues, "meta": brain_meta}


def default_brain(request: dict[str, Any]) -> dict[str, Any]:
    text = document_of(request)
    return {task: BRAINS[task](text) for task in tasks_of(request)}


def quote_in(text: str, evidence: str, furniture: tuple[str, ...] = (),
             mapped: tuple[str, list[int]] | None = None) -> str | None:
    """`evidence` as it stands in `text` (whitespace and width may differ; page numbers and running
    heads that the evidence crosses in the file may be missing from the text sent), or None.
    `mapped`: normalise_with_map(text), when the caller has it already."""
    flat, index = mapped or normalise_with_map(text)
    for quote in (evidence, without_furniture(evidence, furniture)):
        needle = normalise_with_map(quote)[0]
        pos = flat.find(needle) if needle else -1
        if pos >= 0:
            return text[index[pos]: index[pos + len(needle) - 1] + 1]
    return None


def without_furniture(evidence: str, furniture: tuple[str, ...]) -> str:
    lines = re.split(r"[\n\f]", evidence)
    return "".join(ln for ln in lines if not is_page_number(ln) and ln.strip() not in furniture)


def unique_quote(item: dict[str, Any], source: str, flat: str | None = None) -> str:
    """The item's evidence, lengthened to the left until it occurs once in the source (a careful model
    quotes a repeated clause with enough words to tell which one it means). `flat`: normalise(source)."""
    evidence = item["evidence"]
    flat = normalise(source) if flat is None else flat
    if not source or flat.count(normalise(evidence)) < 2:
        return evidence
    start = source.find(evidence) if item.get("start") is None else item["start"]
    begin = start
    while begin > 0 and flat.count(normalise(source[begin: start + len(evidence)])) > 1:
        begin -= 1
    return source[begin: start + len(evidence)]


def found_items(gold: list[dict[str, Any]], text: str, fields: tuple[str, ...], source: str = "",
                furniture: tuple[str, ...] = ()) -> list[dict[str, Any]]:
    items, mapped, flat = [], normalise_with_map(text), normalise(source)
    for item in gold:
        quote = quote_in(text, unique_quote(item, source, flat), furniture, mapped)
        if quote is not None:
            items.append({k: item.get(k) for k in fields} | {"evidence": quote})
    return items


def found_meta(meta: dict[str, Any], text: str) -> dict[str, Any]:
    """Gold metadata, but a name or date the text sent does not hold (nor compose: region + 人民政府,
    司法局 under a region named) is null: no model could know it."""
    flat = normalise_with_map(text)[0]
    answer = dict(meta)
    for name in ("title", "region"):
        if meta.get(name) and normalise_with_map(meta[name])[0] not in flat:
            answer[name] = None
    if meta.get("issuer") and not composable(normalise_with_map(meta["issuer"])[0], flat):
        answer["issuer"] = None
    if meta.get("published_date") and not date_in(meta["published_date"], flat):
        answer["published_date"] = None
    if answer.get("region") is None and meta.get("region"):
        answer["province"] = None
    return answer


FINGERPRINT, STRIDE = 16, 40


def perfect_brain_of(fixtures: list[tuple[dict[str, Any], str]]) -> Callable[[dict[str, Any]], Any]:
    """A perfect model for several fixtures at once: a request is answered for the fixture whose text
    it holds most of (16-character pieces of each source, every 40 characters)."""
    brains = [perfect_brain(gold, source) for gold, source in fixtures]
    prints = []
    for _, source in fixtures:
        flat = normalise(source)
        prints.append([flat[i: i + FINGERPRINT] for i in range(0, max(1, len(flat) - FINGERPRINT), STRIDE)])

    def brain(request: dict[str, Any]) -> Any:
        sent = normalise(document_of(request))
        hits = [sum(piece in sent for piece in pieces) for pieces in prints]
        return brains[hits.index(max(hits))](request)
    return brain


METRIC_FIELDS = ("name", "value", "unit", "qualifier", "category", "canonical")
ISSUE_FIELDS = ("summary", "category")


def perfect_brain(gold: dict[str, Any], source: str = "") -> Callable[[dict[str, Any]], Any]:
    """A model that answers every request with the fixture's gold items found in the text it was
    sent: whatever it loses, fazhi lost before or after asking. Given the labelled source, it quotes a
    clause that occurs twice with enough words to tell which one it means."""
    furniture = tuple(t for t in [(gold.get("meta") or {}).get("title")] if t)

    def brain(request: dict[str, Any]) -> Any:
        text = document_of(request)
        answers = {
            "metrics": lambda: found_items(gold.get("metrics") or [], text, METRIC_FIELDS, source, furniture),
            "issues": lambda: found_items(gold.get("issues") or [], text, ISSUE_FIELDS, source, furniture),
            "meta": lambda: found_meta(gold.get("meta") or {}, text),
        }
        return {task: answers[task]() for task in tasks_of(request)}
    return brain


def prompt_tokens(request: dict[str, Any]) -> int:
    """The fake's token count of a request: one per character of its messages."""
    return sum(len(str(m.get("content") or "")) for m in request["messages"])


@dataclass
class Limits:
    """Requests and tokens per minute enforced over a sliding window, as a provider does; each answer
    takes `latency` seconds. A refused request does not count against the window."""

    rpm: int | None = None
    tpm: int | None = None
    latency: float = 0.0
    retry_after_ms: bool = True  # OpenAI's precise header
    retry_after: bool = True  # the standard header, whole seconds
    ratelimit_headers: bool = True  # x-ratelimit-limit/remaining/reset-requests/tokens on every answer
    window: float = 60.0  # seconds (tests shorten it; the headers still give limits per minute)
    clock: Callable[[], float] = time.monotonic
    sent: deque[tuple[float, int]] = field(default_factory=deque)  # (when, tokens) of admitted requests
    tokens: int = 0  # in the window
    admitted_tokens: int = 0  # in all
    refused: int = 0

    def admit(self, request: dict[str, Any]) -> Reply | None:
        """None with the request counted, or a 429 saying how long to wait (call under the fake's lock)."""
        now, need = self.clock(), prompt_tokens(request)
        while self.sent and self.sent[0][0] <= now - self.window:
            self.tokens -= self.sent.popleft()[1]
        wait = max(self.wait_requests(now), self.wait_tokens(now, need))
        if wait > 0:
            self.refused += 1
            headers = {**({"retry-after-ms": f"{wait * 1000:.0f}"} if self.retry_after_ms else {}),
                       **({"Retry-After": str(math.ceil(wait))} if self.retry_after else {}), **self.headers(now)}
            return Reply(429, {"error": {"message": "Rate limit reached", "type": "requests"}}, headers)
        self.sent.append((now, need))
        self.tokens += need
        self.admitted_tokens += need
        return None

    def wait_requests(self, now: float) -> float:
        if not self.rpm or len(self.sent) < self.rpm:
            return 0.0
        return self.sent[-self.rpm][0] + self.window - now

    def wait_tokens(self, now: float, need: int) -> float:
        if not self.tpm or self.tokens + need <= self.tpm:
            return 0.0
        freed = self.tokens + need - self.tpm
        for when, tokens in self.sent:
            freed -= tokens
            if freed <= 0:
                return when + self.window - now
        return self.window  # more than the whole window holds: wait it out

    def headers(self, now: float) -> dict[str, str]:
        if not self.ratelimit_headers:
            return {}
        oldest = self.sent[0][0] + self.window - now if self.sent else 0.0
        out: dict[str, str] = {}
        for kind, limit, used in (("requests", self.rpm, len(self.sent)), ("tokens", self.tpm, self.tokens)):
            if limit:  # the limit as per minute (a window shorter than a minute is time compressed)
                out |= {f"x-ratelimit-limit-{kind}": str(round(limit * 60 / self.window)),
                        f"x-ratelimit-remaining-{kind}": str(max(limit - used, 0)),
                        f"x-ratelimit-reset-{kind}": f"{max(oldest, 0.0):.3f}s"}
        return out


def completion(request: dict[str, Any], payload: Any, raw: str | None, finish: str | None = None,
               reasoning: str | None = None) -> dict[str, Any]:
    content = raw if raw is not None else json.dumps(payload, ensure_ascii=False)
    message: dict[str, Any] = {"role": "assistant", "content": content}
    if reasoning is not None:
        message["reasoning_content"] = reasoning
    if request.get("tools") and (raw is None or finish == "length"):
        name = request["tools"][0]["function"]["name"]
        message = {"role": "assistant", "content": None, "tool_calls": [
            {"id": "call_1", "type": "function", "function": {"name": name, "arguments": content}}]}
    prompt = prompt_tokens(request)
    return {
        "id": "chatcmpl-fake", "object": "chat.completion", "created": int(time.time()), "model": request["model"],
        "choices": [{"index": 0, "message": message, "finish_reason": finish or (
            "tool_calls" if "tool_calls" in message else "stop")}],
        "usage": {"prompt_tokens": prompt, "completion_tokens": len(content), "total_tokens": prompt + len(content),
                  "prompt_tokens_details": {"cached_tokens": prompt // 2}},
    }


class Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 256  # the default backlog of 5 refuses connections when many requests arrive at once


class FakeLLM:
    """Start with `with FakeLLM() as fake:`; `fake.base_url` goes to the client."""

    def __init__(self, brain: Callable[[dict[str, Any]], Any] = default_brain, limits: Limits | None = None) -> None:
        self.brain = brain
        self.limits = limits
        self.answered: Counter[str] = Counter()  # live requests answered 200, by their messages' hash
        self.queue: list[Action] = []  # one-shot actions: the first that answers a request is used up
        self.rules: list[Action] = []  # standing actions, tried on every request
        self.requests: list[dict[str, Any]] = []  # live requests
        self.batched: list[dict[str, Any]] = []  # requests that came as lines of a batch
        self.lock = threading.Lock()
        self.desk = BatchDesk(lambda request: self.respond(request, self.batched))
        self.server = Server(("127.0.0.1", 0), self._handler())

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/v1"

    def __enter__(self) -> "FakeLLM":
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()

    def decide(self, request: dict[str, Any], log: list[dict[str, Any]] | None = None) -> Reply:
        with self.lock:
            (self.requests if log is None else log).append(request)
            if self.limits and log is None and (refused := self.limits.admit(request)) is not None:
                return refused
            for rule in self.rules:
                if (reply := rule(request)) is not None:
                    return reply
            for i, action in enumerate(self.queue):
                if (reply := action(request)) is not None:
                    del self.queue[i]
                    return reply
        answer = self.brain(request)
        reply = answer if isinstance(answer, Reply) else Reply(body=answer)
        if log is None:
            with self.lock:
                if reply.status == 200 and not reply.reset:
                    self.answered[content_key(request)] += 1
                if self.limits:
                    reply.headers = self.limits.headers(self.limits.clock()) | reply.headers
            reply.delay += self.limits.latency if self.limits else 0.0
        return reply

    def duplicates(self) -> int:
        """Answers paid twice: live requests answered more than once for the same messages."""
        return sum(n - 1 for n in self.answered.values() if n > 1)

    def respond(self, request: dict[str, Any], log: list[dict[str, Any]] | None = None) -> tuple[int, Any]:
        """A chat request's HTTP status and body, as the live endpoint answers it (without its delay)."""
        reply = self.decide(request, log)
        return reply.status, reply.body if reply.status != 200 else completion(
            request, reply.body, reply.raw_content, reply.finish_reason, reply.reasoning)

    def run_file(self, source: Path, target: Path) -> None:
        """What `vllm run-batch -i SOURCE -o TARGET` does, with this fake as the model."""
        run_file(source, target, lambda request: self.respond(request, self.batched))

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # connections kept open between requests, as providers' servers do

            def log_message(self, *args: object) -> None:
                return None

            def do_POST(self) -> None:
                data = self.rfile.read(int(self.headers["Content-Length"]))
                if self.path.endswith("/files"):
                    return self.answer(200, fake.desk.upload(self.headers["Content-Type"], data))
                if self.path.endswith("/batches"):
                    return self.answer(*fake.desk.create(json.loads(data)))
                request = json.loads(data)
                reply = fake.decide(request)
                time.sleep(reply.delay)
                if reply.reset:
                    return self.reset()
                body = reply.raw_body if reply.raw_body is not None else reply.body if reply.status != 200 else (
                    completion(request, reply.body, reply.raw_content, reply.finish_reason, reply.reasoning))
                self.answer(reply.status, body, reply.headers, reply.trickle, reply.cut)

            def do_GET(self) -> None:
                parts = self.path.strip("/").split("/")
                if parts[-3:-2] == ["files"] and parts[-1] == "content" and parts[-2] in fake.desk.files:
                    return self.answer(200, fake.desk.files[parts[-2]], {"Content-Type": "application/jsonl"})
                if parts[-2:-1] == ["batches"]:
                    return self.answer(*fake.desk.retrieve(parts[-1]))
                self.answer(404, {"error": {"message": f"no route {self.path}"}})

            def answer(self, status: int, body: Any, headers: dict[str, str] | None = None, trickle: float = 0.0,
                       cut: int | None = None) -> None:
                data = body if isinstance(body, bytes) else json.dumps(body, ensure_ascii=False).encode()
                try:
                    self.send_response(status)
                    for key, value in {"Content-Type": "application/json", **(headers or {})}.items():
                        self.send_header(key, value)
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    step = 16 if trickle else len(data) or 1
                    for start in range(0, len(data) if cut is None else cut, step):
                        self.wfile.write(data[start:start + step if cut is None else min(start + step, cut)])
                        time.sleep(trickle)
                except (BrokenPipeError, ConnectionResetError):
                    return
                if cut is not None:
                    self.reset()

            def reset(self) -> None:
                """Close the connection with a TCP reset (SO_LINGER 0), as a dropped proxy does."""
                self.close_connection = True
                self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                self.connection.close()

        return Handler


def content_key(request: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(request["messages"], ensure_ascii=False, sort_keys=True).encode()).hexdigest()


def when(task: str, reply: Callable[[dict[str, Any]], Reply]) -> Action:
    """An action that answers requests that ask this task (metrics, issues, meta) only."""
    return lambda request: reply(request) if task in tasks_of(request) else None


def ungrounded(request: dict[str, Any]) -> Reply:
    """The brain's answer plus one metric whose quote is not in the text."""
    payload = default_brain(request)
    bogus = {"name": "虚构", "value": 99, "unit": "件", "qualifier": "exact", "category": "other",
             "canonical": None, "evidence": "本句在原文中并不存在99件"}
    return Reply(body=payload | {"metrics": [*payload.get("metrics", []), bogus]})


def failing(rate: float, seed: int) -> Action:
    """A rule that fails this share of requests at random (seeded): 500, 503, 429 or a reset connection."""
    chance = random.Random(seed)
    kinds = [Reply(500, {"error": {"message": "internal error"}}), Reply(503, {"error": {"message": "overloaded"}}),
             Reply(429, {"error": {"message": "rate limit"}}, {"Retry-After": "0"}), Reply(reset=True)]
    return lambda request: chance.choice(kinds) if chance.random() < rate else None


def main() -> None:
    """Serve the fake on a port for trying the CLI by hand:
    python -m fazhi.evals.fakellm [PORT] [--fail-rate 0.1] [--seed 0]"""
    import argparse

    parser = argparse.ArgumentParser(prog="python -m fazhi.evals.fakellm")
    parser.add_argument("port", type=int, nargs="?", default=0)
    parser.add_argument("--fail-rate", type=float, default=0.0, help="share of requests failed at random")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    fake = FakeLLM()
    if args.fail_rate:
        fake.rules.append(failing(args.fail_rate, args.seed))
    fake.server.server_close()
    fake.server = Server(("127.0.0.1", args.port), fake._handler())
    print(f"fake OpenAI-compatible server at {fake.base_url}", flush=True)
    try:
        fake.server.serve_forever()
    except KeyboardInterrupt:
        fake.server.server_close()


if __name__ == "__main__":
    main()
