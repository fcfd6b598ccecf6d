"""Checking a model's answer against the text it was sent, part by part.

An answer is a JSON object with one key per task asked (several tasks may share a request): a task
whose answer model is a `GroundedAnswer` gives a list of items, each quoting the text; another task
gives an object of fields. `check` keeps every item or field that passes and lists the others with
the reason, so that only those are asked again (`reask_message`), and the corrections are merged into
what was kept.
"""

import json
from dataclasses import dataclass, field
from typing import Any

from fazhi.agent.grounding import GroundedAnswer, GroundedRecord, item_error, normalise
from pydantic import BaseModel, Field, ValidationError, create_model

Parts = dict[str, type[BaseModel]]  # task name → its answer model


class Unreadable(ValueError):
    """An answer with no JSON object of the expected shape in it."""

    advice = "the model's answers do not fit: try another --mode or model; llm_calls shows each request"


class NotACompletion(Unreadable):
    """A body that is not a chat completion at all (an HTML page, no choices)."""

    advice = "the server is not an OpenAI-compatible chat API, or is failing: check --base-url, then run again"


@dataclass(frozen=True)
class Rejection:
    raw: Any  # the item as the model wrote it, or {field: value}
    reason: str


@dataclass
class Checked:
    """What passed (items, or a flat answer's fields) and what did not."""

    kept: list[BaseModel] | dict[str, Any]
    rejected: list[Rejection] = field(default_factory=list)
    given: int = 0  # how many items (or fields) the answer held


def request_model(parts: Parts) -> type[BaseModel]:
    """One model for a request asking several tasks: a key per task (a list of items, or an object)."""
    fields: dict[str, Any] = {}
    for name, model in parts.items():
        if issubclass(model, GroundedAnswer):
            fields[name] = (list[model.item_model()], Field(default_factory=list))  # type: ignore[misc]
        else:
            fields[name] = (model | None, None)
    return create_model("Answer", **fields)


def validation_reason(exc: ValidationError) -> str:
    return "; ".join(f"{'.'.join(map(str, e['loc'])) or 'value'}: {e['msg']}" for e in exc.errors()[:3])


def check(parts: Parts, data: dict[str, Any], source: str) -> dict[str, Checked]:
    """Each task's part of the answer, checked; a missing or misshapen part makes the answer unreadable."""
    flat = normalise(source)
    checked = {}
    for name, model in parts.items():
        value = data.get(name)
        if issubclass(model, GroundedAnswer):
            if not isinstance(value, list):
                raise Unreadable(f'the answer needs a list "{name}"')
            checked[name] = check_items(model, value, flat)
        else:
            if not isinstance(value, dict):
                raise Unreadable(f'the answer needs an object "{name}"')
            checked[name] = check_fields(model, value, flat)
    return checked


def check_items(model: type[GroundedAnswer], raw_items: list[Any], source_normalised: str) -> Checked:
    item_model = model.item_model()
    kept: list[BaseModel] = []
    rejected: list[Rejection] = []
    for raw in raw_items:
        if not isinstance(raw, dict):
            rejected.append(Rejection(raw, "an item must be an object with the fields of the schema"))
            continue
        try:
            item = item_model.model_validate(raw)
        except ValidationError as exc:
            rejected.append(Rejection(raw, validation_reason(exc)))
            continue
        problem = item_error(item, source_normalised)
        if problem:
            rejected.append(Rejection(raw, problem))
        else:
            kept.append(item)
    return Checked(kept, rejected, len(raw_items))


def check_fields(model: type[BaseModel], data: dict[str, Any], source_normalised: str = "") -> Checked:
    """The fields that validate and, for a `GroundedRecord`, that the text supports (the fields that
    validate are checked against the text even when others do not validate)."""
    known = {k: v for k, v in data.items() if k in model.model_fields}
    bad = invalid_fields(model, known)
    try:
        record = model.model_validate({k: v for k, v in known.items() if k not in bad})
    except ValidationError:  # a rule across fields: nothing of the record is kept
        record, bad = None, {k: "the record does not validate" for k in known} | bad
    if isinstance(record, GroundedRecord):
        bad = record.field_errors(source_normalised) | bad
    rejected = [Rejection({name: known.get(name)}, reason) for name, reason in bad.items()]
    return Checked({k: v for k, v in known.items() if k not in bad}, rejected, len(known))


def invalid_fields(model: type[BaseModel], known: dict[str, Any]) -> dict[str, str]:
    try:
        model.model_validate(known)
    except ValidationError as exc:
        return {str(e["loc"][0]): e["msg"] for e in exc.errors() if e["loc"]}
    return {}


def merge(first: dict[str, Checked], later: dict[str, Checked]) -> dict[str, Checked]:
    """The first answer's kept parts with a re-asked answer's kept parts; the latter's rejections remain.
    Tasks the re-ask did not concern keep their first answer."""
    merged = dict(first)
    for name, again in later.items():
        before = first[name]
        if isinstance(before.kept, list) and isinstance(again.kept, list):
            merged[name] = Checked([*before.kept, *again.kept], again.rejected, before.given)
        elif isinstance(before.kept, dict) and isinstance(again.kept, dict):
            merged[name] = Checked({**before.kept, **again.kept}, again.rejected, before.given)
    return merged


def assemble(model: type[BaseModel], checked: Checked) -> BaseModel:
    """A task's answer made of what passed."""
    if isinstance(checked.kept, list):
        items_field: str = getattr(model, "items_field")  # noqa: B009 (a ClassVar of GroundedAnswer)
        return model.model_validate({items_field: checked.kept})  # the items as checked, not validated again
    return model.model_validate(checked.kept)


def rejected_parts(checked: dict[str, Checked]) -> dict[str, list[Rejection]]:
    return {name: c.rejected for name, c in checked.items() if c.rejected}


def reask_message(parts: Parts, rejected: dict[str, list[Rejection]]) -> str:
    """Ask again for the rejected parts only, each with its reason."""
    lines = []
    for name, rejections in rejected.items():
        for r in rejections:
            lines.append(f"- {name}: {json.dumps(r.raw, ensure_ascii=False)}\n  problem: {r.reason}")
    shape = ", ".join(f'"{name}": [...]' if issubclass(parts[name], GroundedAnswer) else f'"{name}": {{...}}'
                      for name in rejected)
    return ("These parts of your answer failed the checks below. Answer again with corrected versions of these "
            f"parts only, as JSON {{{shape}}} (for an object, the whole object with these fields corrected, null "
            "when the text does not state them); leave out any item that the text does not support.\n"
            + "\n".join(lines))


def rejected_json(parts: Parts, rejected: dict[str, list[Rejection]]) -> str:
    """The rejected parts as the model's own previous turn (only what is re-asked, not the whole answer)."""
    shown: dict[str, Any] = {}
    for name, rejections in rejected.items():
        if issubclass(parts[name], GroundedAnswer):
            shown[name] = [r.raw for r in rejections]
        else:
            shown[name] = {k: v for r in rejections if isinstance(r.raw, dict) for k, v in r.raw.items()}
    return json.dumps(shown, ensure_ascii=False)
