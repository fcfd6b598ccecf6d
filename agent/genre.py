"""What the engine needs to know about a genre of documents; the genre itself lives in `schemas/`.

A genre names its result model, the parts a document divides into, and the extraction tasks: which
prompt, which answer model, which parts each reads. A new genre is a new `Genre` value, not new
engine code.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel


@dataclass(frozen=True)
class Part:
    """A stretch [start, end) of a document's text with a genre-defined kind (e.g. "problems")."""

    kind: str
    start: int
    end: int


@dataclass(frozen=True)
class Layout:
    """A document as its genre reads it: the text it reads (structure restored, page furniture left
    out), the parts of that text, and the map of a span of it back to the stored text."""

    text: str
    parts: list[Part]
    raw_span: Callable[[int, int], tuple[int, int]]
    context: Callable[[int], str] = lambda pos: ""  # what a reader of text[pos:] should know (year, headings)
    reading: Any = None  # the genre's own record of how it read the text (what its LayoutCodec dumps)

    def spans(self, kinds: tuple[str, ...]) -> list[tuple[int, int]]:
        """Merged [start, end) stretches of the parts of the given kinds, in order."""
        merged: list[tuple[int, int]] = []
        for part in sorted((p for p in self.parts if p.kind in kinds), key=lambda p: p.start):
            if merged and part.start <= merged[-1][1]:
                merged[-1] = (merged[-1][0], max(merged[-1][1], part.end))
            else:
                merged.append((part.start, part.end))
        return merged


@dataclass(frozen=True)
class Task:
    """One extraction task: its answer fills the result field of the same name."""

    name: str
    prompt: str
    answer: type[BaseModel]
    parts: tuple[str, ...]
    chunked: bool = True
    fallback: tuple[str, ...] = ()  # the parts read when none of `parts` is found
    lead: int = 0  # characters of the body's beginning read besides the parts


@dataclass(frozen=True)
class LayoutCodec:
    """A genre's layouts as JSON data and back, so that the engine can keep a document's layout beside its
    cached answers (a cached re-run then does not read the document again). `load(text, data)` raises
    ValueError on data it did not write."""

    dump: Callable[[Layout], dict[str, Any]]
    load: Callable[[str, dict[str, Any]], Layout]


@dataclass(frozen=True)
class Genre:
    name: str
    result: type[BaseModel]
    tasks: tuple[Task, ...]
    segment: Callable[[str], Layout]
    offline: Callable[[str], BaseModel]
    prompts_dir: Path
    migrations_dir: Path
    offline_sources: tuple[Path, ...] = ()
    prompt_vars: dict[str, str] = field(default_factory=dict)
    crosscheck: Callable[[Any, Any], dict[str, Any]] | None = None  # (model's result, rules' result)
    frame: tuple[str, ...] = ()  # part kinds around the body (page header and footer): not the document's own words
    layout_codec: LayoutCodec | None = None  # layouts kept in the answer cache (none: read again every run)

    def prompt_text(self, task: Task | None) -> str:
        """The shared instructions (shared.md, when the genre has them) and the task's prompt file (none:
        the shared part only), with their {{placeholders}} filled from `prompt_vars`: one fixed prefix
        for every task's requests."""
        files = [self.prompts_dir / "shared.md", *([self.prompts_dir / f"{task.prompt}.md"] if task else [])]
        text = "\n".join(f.read_text(encoding="utf-8").strip() for f in files if f.is_file())
        for name, value in self.prompt_vars.items():
            text = text.replace("{{" + name + "}}", value)
        return text
