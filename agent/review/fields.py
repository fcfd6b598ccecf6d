"""What the review app learns from a genre: its tasks, which are item lists, and each one's fields.

Fields come from each task's answer model's JSON schema: an enum becomes a select, a number or an
integer a number input, anything else a text input. The grounding fields (evidence and its offsets)
are the engine's own: they come from the selection in the text, never from a form.
"""

from dataclasses import dataclass
from typing import Any, get_args, get_origin

from fazhi.agent.errors import ConfigError, FazhiError
from fazhi.agent.genre import Genre
from pydantic import BaseModel, TypeAdapter, ValidationError

GROUNDING = ("evidence", "start", "end")


class ReviewError(FazhiError):
    """A correction that cannot be applied (unknown item, bad value, stale page)."""


@dataclass(frozen=True)
class FieldSpec:
    name: str
    kind: str  # enum | number | integer | boolean | text
    options: tuple[str, ...] = ()
    nullable: bool = False
    description: str = ""
    default: Any = None

    @property
    def widget(self) -> str:
        return {"enum": "select", "number": "number", "integer": "number", "boolean": "select"}.get(self.kind, "text")

    @property
    def choices(self) -> tuple[str, ...]:
        return ("true", "false") if self.kind == "boolean" else self.options


@dataclass(frozen=True)
class TaskSpec:
    """One task as the review sees it: an item list (chunked) or a flat record."""

    name: str
    chunked: bool
    model: type[BaseModel]  # the item model of a list task, the record model of a flat one
    fields: tuple[FieldSpec, ...]
    colour: int

    def field(self, name: str) -> FieldSpec:
        found = next((f for f in self.fields if f.name == name), None)
        if found is None:
            raise ReviewError(f"{self.name} has no field {name!r}: use one of {', '.join(self.names)}")
        return found

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(f.name for f in self.fields)

    def of_kind(self, *kinds: str) -> list[FieldSpec]:
        return [f for f in self.fields if f.kind in kinds]

    @property
    def defaults(self) -> dict[str, Any]:
        return {f.name: f.default for f in self.fields if f.default is not None}

    @property
    def label_field(self) -> str | None:
        """The field that names an item in a list: its first free-text field."""
        texts = self.of_kind("text")
        return texts[0].name if texts else None


@dataclass(frozen=True)
class ReviewSchema:
    tasks: tuple[TaskSpec, ...]
    result_keys: tuple[str, ...]

    @classmethod
    def of(cls, genre: Genre) -> "ReviewSchema":
        tasks = tuple(task_spec(t.name, t.chunked, t.answer, n) for n, t in enumerate(genre.tasks))
        return cls(tasks, tuple(genre.result.model_fields))

    def task(self, name: str | None) -> TaskSpec:
        found = next((t for t in self.tasks if t.name == name), None)
        if found is None:
            raise ReviewError(f"Unknown task {name!r}: use one of {', '.join(t.name for t in self.tasks)}")
        return found

    @property
    def item_tasks(self) -> list[TaskSpec]:
        return [t for t in self.tasks if t.chunked]

    @property
    def flat_tasks(self) -> list[TaskSpec]:
        return [t for t in self.tasks if not t.chunked]

    @property
    def flat(self) -> TaskSpec | None:
        return next(iter(self.flat_tasks), None)


def task_spec(name: str, chunked: bool, answer: type[BaseModel], colour: int) -> TaskSpec:
    model = item_model(answer) if chunked else answer
    return TaskSpec(name, chunked, model, field_specs(model), colour)


def item_model(answer: type[BaseModel]) -> type[BaseModel]:
    """The model of one item of a list answer: the field named by `items_field`, else its one list field."""
    named = getattr(answer, "items_field", None)
    lists = [n for n, f in answer.model_fields.items() if get_origin(f.annotation) is list]
    chosen = named if named in answer.model_fields else (lists[0] if len(lists) == 1 else None)
    args = get_args(answer.model_fields[chosen].annotation) if chosen else ()
    if not args or not (isinstance(args[0], type) and issubclass(args[0], BaseModel)):
        raise ConfigError(f"Answer model {answer.__name__} has no list of items: give it one list field of a model")
    return args[0]


def field_specs(model: type[BaseModel]) -> tuple[FieldSpec, ...]:
    schema = model.model_json_schema()
    defs = schema.get("$defs", {})
    props = schema.get("properties", {})
    return tuple(field_spec(n, p, defs) for n, p in props.items() if n not in GROUNDING)


def resolve(prop: dict[str, Any], defs: dict[str, Any]) -> dict[str, Any]:
    if "$ref" in prop:
        return resolve(defs[prop["$ref"].rsplit("/", 1)[-1]], defs)
    if len(prop.get("allOf", [])) == 1:
        return resolve(prop["allOf"][0], defs)
    return prop


def field_spec(name: str, prop: dict[str, Any], defs: dict[str, Any]) -> FieldSpec:
    options = [resolve(p, defs) for p in prop.get("anyOf", [prop])]
    nullable = any(o.get("type") == "null" for o in options)
    main = next((o for o in options if o.get("type") != "null"), {})
    kind = "enum" if "enum" in main else {"number": "number", "integer": "integer", "boolean": "boolean"}.get(
        main.get("type", ""), "text")
    enum = tuple(str(v) for v in main.get("enum", ()))
    return FieldSpec(name, kind, enum, nullable, prop.get("description", ""), prop.get("default"))


def coerce(task: TaskSpec, values: dict[str, Any]) -> dict[str, Any]:
    """Form values typed by the model's own field types ("" is null where null is allowed)."""
    out: dict[str, Any] = {}
    for name, value in values.items():
        spec = task.field(name)
        if value == "" and spec.nullable:
            out[name] = None
            continue
        adapter: TypeAdapter[Any] = TypeAdapter(task.model.model_fields[name].annotation or Any)
        try:
            out[name] = adapter.dump_python(adapter.validate_python(value), mode="json")
        except ValidationError as exc:
            raise ReviewError(f"{task.name}.{name}: {first_error(exc)}") from None
    return out


def validated(task: TaskSpec, record: dict[str, Any]) -> dict[str, Any]:
    """The record as the task's model reads it (its validators and normalisation applied), as JSON."""
    known = {k: v for k, v in record.items() if k in task.model.model_fields}
    try:
        checked = task.model.model_validate(known).model_dump(mode="json")
    except ValidationError as exc:
        raise ReviewError(f"{task.name}: {first_error(exc)}") from None
    return record | {k: checked[k] for k in task.names if k in checked}


def first_error(exc: ValidationError) -> str:
    err = exc.errors()[0]
    where = ".".join(str(p) for p in err.get("loc", ()))
    return f"{where + ': ' if where else ''}{err.get('msg', 'invalid value')}"
