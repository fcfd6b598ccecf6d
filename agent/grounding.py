"""Grounding: every extracted item quotes its source verbatim, and is placed at character offsets.

Comparison is width- and whitespace-insensitive (NFKC, whitespace removed), offsets are always into
the stored text. Answer models subclass `GroundedAnswer`; their items subclass `GroundedItem`.
"""

import bisect
import re
import unicodedata
from typing import Any, ClassVar

from pydantic import BaseModel, Field, PrivateAttr, ValidationInfo, model_validator


def normalise_with_map(text: str) -> tuple[str, list[int]]:
    """NFKC with whitespace removed, and for each normalised character the raw index it came from."""
    if unicodedata.is_normalized("NFKC", text):
        index = [i for i, ch in enumerate(text) if not ch.isspace()]
        return "".join([text[i] for i in index]), index
    chars: list[str] = []
    index: list[int] = []
    for i, ch in enumerate(text):
        for out in unicodedata.normalize("NFKC", ch):
            if not out.isspace():
                chars.append(out)
                index.append(i)
    return "".join(chars), index


WHITESPACE = re.compile(r"\s+")


def normalise(text: str) -> str:
    """NFKC with whitespace removed (the comparison form of quotes and sources)."""
    return WHITESPACE.sub("", unicodedata.normalize("NFKC", text))


class SourceIndex:
    """A text with its normalised form, for repeated look-ups of quotes."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.normalised, self.index = normalise_with_map(text)

    def locate(self, quote: str, after: int = 0) -> tuple[int, int] | None:
        """Raw [start, end) of `quote`, found at or after raw offset `after`; None if absent."""
        needle = normalise(quote)
        if not needle:
            return None
        begin = bisect.bisect_left(self.index, after)
        pos = self.normalised.find(needle, begin)
        if pos < 0:
            return None
        return self.index[pos], self.index[pos + len(needle) - 1] + 1


def locate(quote: str, text: str, after: int = 0) -> tuple[int, int] | None:
    """Raw [start, end) of `quote` in `text` at or after `after`; None if absent."""
    return SourceIndex(text).locate(quote, after)


class GroundedItem(BaseModel):
    """An extracted item that quotes its evidence from the source."""

    evidence: str = Field(description="A verbatim quote of the source.")

    def grounding_error(self) -> str | None:
        """Item-specific check of the quote (e.g. that a number can be read from it)."""
        return None


def item_error(item: GroundedItem, source_normalised: str) -> str | None:
    quote = normalise(item.evidence)
    if not quote or quote not in source_normalised:
        return f"evidence {item.evidence!r} is not a verbatim quote of the text"
    return item.grounding_error()


class GroundedAnswer(BaseModel):
    """A model answer holding a list of grounded items in the field named by `items_field`.

    Validated with context {"source": text}: an ungrounded item is an error (the model is re-asked).
    With {"source": text, "salvage": True} ungrounded items are dropped and listed in `dropped`.
    """

    items_field: ClassVar[str] = "items"
    _dropped: list[str] = PrivateAttr(default_factory=list)

    @property
    def items(self) -> list[GroundedItem]:
        return getattr(self, self.items_field)

    @property
    def dropped(self) -> list[str]:
        return self._dropped

    @model_validator(mode="after")
    def _check_grounding(self, info: ValidationInfo) -> "GroundedAnswer":
        context: dict[str, Any] = info.context or {}
        if context.get("source") is None:
            return self
        source = normalise(context["source"])
        errors = [(i, e) for i, it in enumerate(self.items) if (e := item_error(it, source))]
        if errors and not context.get("salvage"):
            lines = [f"{self.items_field}[{i}]: {e}" for i, e in errors]
            raise ValueError("Fix or remove these items:\n" + "\n".join(lines))
        bad = {i for i, _ in errors}
        setattr(self, self.items_field, [it for i, it in enumerate(self.items) if i not in bad])
        self._dropped = [e for _, e in errors]
        return self
