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
class Task:
    """One extraction task: its answer fills the result field of the same name."""

    name: str
    prompt: str
    answer: type[BaseModel]
    parts: tuple[str, ...]
    chunked: bool = True


@dataclass(frozen=True)
class Genre:
    name: str
    result: type[BaseModel]
    tasks: tuple[Task, ...]
    segment: Callable[[str], list[Part]]
    offline: Callable[[str], BaseModel]
    prompts_dir: Path
    migrations_dir: Path
    offline_sources: tuple[Path, ...] = ()
    prompt_vars: dict[str, str] = field(default_factory=dict)
    crosscheck: Callable[[BaseModel, BaseModel], dict[str, Any]] | None = None

    def prompt_text(self, task: Task) -> str:
        """The task's prompt file with its {{placeholders}} filled from `prompt_vars`."""
        text = (self.prompts_dir / f"{task.prompt}.md").read_text(encoding="utf-8")
        for name, value in self.prompt_vars.items():
            text = text.replace("{{" + name + "}}", value)
        return text
