"""One exchange with a model about one text, free of any transport: the first request, then re-asks
of the rejected parts only, merged into what passed.

`request()` gives the messages and tasks to send next (None when the exchange is over); `take()` reads
the completion that came back. The live client drives it one request at a time; a batch drives many
conversations a round at a time. The rules are the same either way.
"""

import functools
import hashlib
import importlib.metadata
import importlib.util
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pydantic
from fazhi.agent.cache import content_hash
from fazhi.agent.checks import (
    Checked,
    NotACompletion,
    Parts,
    Unreadable,
    assemble,
    check,
    merge,
    reask_message,
    rejected_json,
    rejected_parts,
)
from fazhi.agent.errors import ExtractionError
from fazhi.agent.grounding import GroundedAnswer
from pydantic import BaseModel

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


MAX_ANSWER_CHARS = 1 << 20  # instructor's own limit for finding JSON in a text


def answer_text(completion: Any) -> str:
    """The answer's JSON-bearing text: a tool call's arguments or the message, reasoning blocks removed
    (a provider's separate reasoning_content field is never read). `completion` is the response body as
    parsed JSON (the SDK's typed model is not built: it cost 0.2 ms a request and only these fields are read)."""
    message = first_choice(completion).get("message") or {}
    calls = message.get("tool_calls")
    text = calls[0].get("function", {}).get("arguments") if calls else (message.get("content") or "")
    if not isinstance(text, str):
        raise Unreadable(f"the answer's text is not a string: {str(text)[:120]!r}")
    return REASONING.sub("", text)


def first_choice(completion: Any) -> dict[str, Any]:
    choices = completion.get("choices") if isinstance(completion, dict) else None
    if not isinstance(choices, list):
        raise NotACompletion("the server did not answer with a chat completion (an HTML page?)")
    if not choices or not isinstance(choices[0], dict):
        raise NotACompletion("the answer has no choices")
    return choices[0]


def json_object(text: str) -> dict[str, Any]:
    """The last complete JSON object of an answer (fenced or not), found by instructor."""
    from instructor.v2.core.json import extract_json_from_codeblock

    if len(text) > MAX_ANSWER_CHARS:
        raise Unreadable(f"the answer is {len(text):,} characters, more than any JSON answer may be "
                         f"({MAX_ANSWER_CHARS:,}): a runaway model? lower max_tokens")
    try:
        data = plain_json(text)
        if data is None:
            data = json.loads(extract_json_from_codeblock(text))
    except ValueError as exc:
        raise Unreadable(f"no JSON object in the answer: {text[:120]!r}") from exc
    if not isinstance(data, dict):
        raise Unreadable("the answer's JSON is not an object")
    return data


def plain_json(text: str) -> Any:
    """The answer when it is nothing but one JSON object (most are), without searching it; else None."""
    stripped = text.strip()
    if not (stripped.startswith("{") and stripped.endswith("}")):
        return None
    try:
        return json.loads(stripped)
    except ValueError:
        return None


def answer_data(completion: Any) -> dict[str, Any]:
    """The JSON object of a completion; a cut answer raises `Truncated`."""
    text = answer_text(completion)
    if first_choice(completion).get("finish_reason") == "length":
        raise Truncated("the answer was cut at the output limit (max_tokens)")
    return json_object(text)


@dataclass
class Conversation:
    messages: Messages
    parts: Parts
    source: str
    reasks: int
    attempts: int = 0
    first: dict[str, Checked] | None = None
    checked: dict[str, Checked] | None = None
    unreadable: Unreadable | None = None  # why the last first answer could not be read
    closed: bool = False

    def request(self) -> tuple[Messages, Parts] | None:
        """The messages and tasks to send next; None when the exchange is over."""
        if self.closed:
            return None
        if self.checked is None:
            if self.attempts > self.reasks:
                why = self.unreadable
                assert why is not None  # no answer was checked, so the last one was unreadable
                raise ExtractionError(f"answer still unreadable after {self.attempts} attempts: {why} ({why.advice})")
            return self.first_messages(), self.parts
        rejected = rejected_parts(self.checked)
        if not rejected or self.attempts > self.reasks:
            return None
        followup = [*self.messages, {"role": "assistant", "content": rejected_json(self.parts, rejected)},
                    {"role": "user", "content": reask_message(self.parts, rejected)}]
        return followup, {name: self.parts[name] for name in rejected}

    def first_messages(self) -> Messages:
        if self.unreadable is None:
            return self.messages
        return [*self.messages, {"role": "user", "content": f"Your last answer could not be read: "
                                 f"{self.unreadable}. Answer with the JSON object only."}]

    def take(self, completion: Any) -> None:
        """Read the completion of the request last given."""
        self.attempts += 1
        if self.checked is None:
            self.take_first(completion)
            return
        asked = {name: self.parts[name] for name in rejected_parts(self.checked)}
        try:
            later = check(asked, answer_data(completion), self.source)
        except (Unreadable, Truncated):
            self.closed = True  # the rejected parts stay rejected
            return
        self.checked = merge(self.checked, later)

    def take_first(self, completion: Any) -> None:
        try:
            self.checked = self.first = check(self.parts, answer_data(completion), self.source)
        except Unreadable as exc:
            self.unreadable = exc

    def answers(self) -> dict[str, Answer]:
        """Each task's answer; a task of which no part passed fails the exchange."""
        assert self.checked is not None and self.first is not None
        for name, c in self.checked.items():
            if c.rejected and c.given and not c.kept:
                raise ExtractionError(f"no part of the {name} answer passed the checks after {self.attempts} "
                                      f"attempts, e.g. {c.rejected[0].reason} ({Unreadable.advice})")
        return {name: outcome_of(self.parts[name], self.first[name], c, self.attempts)
                for name, c in self.checked.items()}


def outcome_of(model: type[BaseModel], first: Checked, last: Checked, attempts: int) -> Answer:
    """A task's answer: what passed, what was corrected on a re-ask, and what was dropped (still failing,
    or withdrawn by the model when asked again)."""
    corrected = len(last.kept) - len(first.kept) if isinstance(last.kept, list) else len(first.rejected) - len(
        last.rejected)
    withdrawn = max(0, len(first.rejected) - corrected - len(last.rejected))
    dropped = [r.reason for r in last.rejected] + [f"withdrawn when asked again: {r.reason}"
                                                   for r in first.rejected[:withdrawn]]
    return Answer(assemble(model, last), dropped, attempts, reasked=corrected)


def cached_entry(answers: dict[str, Answer]) -> dict[str, Any]:
    """What the cache keeps of an exchange, sealed: the seal says that these answers passed the checks
    of this code, so that a replay need not check them again (an entry edited since fails its seal)."""
    entry = {"answers": {name: {"value": a.value.model_dump(mode="json"), "dropped": a.dropped,
                                "reasked": a.reasked} for name, a in answers.items()},
             "attempts": next(iter(answers.values())).attempts}
    return entry | {"sealed": seal(entry, {name: type(a.value) for name, a in answers.items()})}


def seal(entry: dict[str, Any], parts: Parts) -> str:
    """The hash of an entry's answers with the version of the code that checked them."""
    return content_hash([checks_version(tuple(parts.values())), sorted(parts), entry["answers"], entry["attempts"]])


@functools.cache
def checks_version(models: tuple[type[BaseModel], ...]) -> str:
    """The version of the code that checks answers of these models: the engine's and their packages' files."""
    return files_hash(tuple(sorted({ENGINE, *(package_of(m.__module__) for m in models)})))


ENGINE = __name__.rpartition(".")[0]  # fazhi.agent


def package_of(module: str) -> str:
    """The outermost regular package holding `module` (fazhi.schemas for fazhi.schemas.report: `fazhi` is a
    namespace package), else the module itself."""
    parts = module.split(".")
    for depth in range(1, len(parts)):
        spec = importlib.util.find_spec(".".join(parts[:depth]))
        if spec is not None and spec.origin is not None:
            return ".".join(parts[:depth])
    return module


def package_files(name: str) -> list[Path]:
    """Every file of a package (its module's own file when it is no package), sorted."""
    spec = importlib.util.find_spec(name)
    if spec is None:
        return []
    roots = list(spec.submodule_search_locations or [])
    files = [p for r in roots for p in Path(r).rglob("*") if "__pycache__" not in p.parts] if roots else (
        [Path(spec.origin)] if spec.origin else [])
    return sorted(f for f in files if f.is_file())


@functools.cache
def files_hash(packages: tuple[str, ...]) -> str:
    """A hash of every file of these packages, with the versions of pydantic and of what fazhi requires (the
    region and numeral data the checks read): a change to any of them (a stricter check) makes entries
    sealed before check again."""
    digest = hashlib.sha256(f"pydantic {pydantic.VERSION} {requirement_versions()}".encode())
    for path in (f for name in packages for f in package_files(name)):
        digest.update(f"{path.name}:{path.stat().st_size}:".encode() + path.read_bytes())
    return digest.hexdigest()


def requirement_versions() -> str:
    """`name version` of each installed distribution fazhi requires ("" when fazhi is not installed)."""
    try:
        required = importlib.metadata.requires("fazhi") or []
    except importlib.metadata.PackageNotFoundError:
        return ""
    names = sorted({re.split(r"[\s\[<>=!~;]", r, maxsplit=1)[0] for r in required if "extra ==" not in r})
    found = []
    for name in names:
        try:
            found.append(f"{name} {importlib.metadata.version(name)}")
        except importlib.metadata.PackageNotFoundError:
            continue
    return ", ".join(found)


def is_sealed(hit: dict[str, Any], parts: Parts) -> bool:
    return "sealed" in hit and hit["sealed"] == seal(hit, parts)


def resealed(hit: dict[str, Any], parts: Parts, answers: dict[str, Answer]) -> dict[str, Any] | None:
    """An entry that was not sealed by this code, sealed now if its answers passed this code's checks
    whole (nothing newly dropped); else None."""
    if any(len(a.dropped) != len(hit["answers"][name]["dropped"]) for name, a in answers.items()):
        return None
    entry = {"answers": hit["answers"], "attempts": hit.get("attempts", 1)}
    return entry | {"sealed": seal(entry, parts)}


def replayed(hit: dict[str, Any], parts: Parts, source: str, sealed: bool | None = None) -> dict[str, Answer]:
    """A cached exchange's answers: as sealed when they were checked by this code, else checked again
    against the text (the checks may have grown stricter, or the entry been edited)."""
    stored = hit["answers"]
    if is_sealed(hit, parts) if sealed is None else sealed:
        return {name: Answer(parts[name].model_validate(stored[name]["value"]), list(stored[name]["dropped"]),
                             hit.get("attempts", 1), True, stored[name].get("reasked", 0)) for name in parts}
    data = {name: value_of(parts[name], stored[name]["value"]) for name in parts}
    checked = check(parts, data, source)
    return {name: Answer(assemble(parts[name], c), list(stored[name]["dropped"]) + [r.reason for r in c.rejected],
                         hit.get("attempts", 1), True, stored[name].get("reasked", 0))
            for name, c in checked.items()}


def value_of(model: type[BaseModel], value: dict[str, Any]) -> Any:
    """A stored answer as it stands in a JSON answer (an item task's list, or the fields)."""
    return value[model.items_field] if issubclass(model, GroundedAnswer) else value
