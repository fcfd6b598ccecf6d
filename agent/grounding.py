"""Grounding: every extracted item quotes its source verbatim, and is placed at character offsets.

Comparison ignores what a copy may change without changing the text: width (NFKC), whitespace, and
the style of quotation marks (“” 「」 『』 and " are one mark, ‘’ and ' another). Offsets always index
the stored text. Answer models subclass `GroundedAnswer`; their items subclass `GroundedItem`.
"""

import bisect
import functools
import re
import unicodedata
from typing import Any, ClassVar

from pydantic import BaseModel, Field

QUOTES = str.maketrans({"“": '"', "”": '"', "„": '"', "‟": '"', "〝": '"', "〞": '"', "「": '"', "」": '"',
                        "『": '"', "』": '"', "‘": "'", "’": "'", "‚": "'", "‛": "'"})


@functools.cache
def fold(ch: str) -> str:
    """One character's comparison form: NFKC, whitespace removed, quote marks folded."""
    return "".join(c for c in unicodedata.normalize("NFKC", ch) if not c.isspace()).translate(QUOTES)


UNSTABLE = re.compile(r"[^\u4e00-\u9fff!#-&(-~\u3001\u3002]")  # all but characters that fold to themselves


def normalise_with_map(text: str) -> tuple[str, list[int]]:
    """The comparison form (each character's `fold`) and for each of its characters the raw index it
    came from. Only the characters that may change (not CJK ideographs, not ASCII) are looked at one by
    one; the index is ranges between those that are removed or widened."""
    folds = {ch: fold(ch) for ch in set(UNSTABLE.findall(text))}
    changed = "".join(ch for ch, f in folds.items() if f != ch)
    flat = re.sub(f"[{re.escape(changed)}]", lambda m: folds[m.group()], text) if changed else text
    odd = "".join(ch for ch, f in folds.items() if len(f) != 1)  # removed (whitespace) or widened (… → ...)
    if not odd:
        return flat, list(range(len(text)))
    index: list[int] = []
    last = 0
    for found in re.finditer(f"[{re.escape(odd)}]", text):
        at = found.start()
        index += range(last, at)
        index += [at] * len(folds[text[at]])
        last = at + 1
    index += range(last, len(text))
    return flat, index


WHITESPACE = re.compile(r"\s+")


def normalise(text: str) -> str:
    """The comparison form of quotes and sources: NFKC, whitespace removed, quote marks folded."""
    return WHITESPACE.sub("", unicodedata.normalize("NFKC", text)).translate(QUOTES)


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


@functools.lru_cache(maxsize=32)
def source_index(text: str) -> SourceIndex:
    """The index of a text, kept for the few texts in use (a request's text is read by its checks and
    by the placing of its items)."""
    return SourceIndex(text)


def locate(quote: str, text: str, after: int = 0) -> tuple[int, int] | None:
    """Raw [start, end) of `quote` in `text` at or after `after`; None if absent."""
    return source_index(text).locate(quote, after)


class GroundedItem(BaseModel):
    """An extracted item that quotes its evidence from the source."""

    evidence: str = Field(description="A verbatim quote of the source.")

    def grounding_error(self) -> str | None:
        """Item-specific check of the quote (e.g. that a number can be read from it)."""
        return None


def item_error(item: GroundedItem, source_normalised: str) -> str | None:
    """Why the item cannot be kept (its quote is not in the source, or its own check fails), or None."""
    quote = normalise(item.evidence)
    if not quote or quote not in source_normalised:
        return f"evidence {item.evidence!r} is not a verbatim quote of the text"
    return item.grounding_error()


class GroundedRecord(BaseModel):
    """A flat answer (fields, no list of items) whose fields must be readable from the text sent: a
    field that is not is null and counted as dropped, never stored as a fact."""

    def field_errors(self, source_normalised: str) -> dict[str, str]:
        """Field → why the text does not support it (nothing, by default)."""
        return {}


class GroundedAnswer(BaseModel):
    """A model answer holding a list of grounded items in the field named by `items_field`.

    The items are checked one by one against the text the model was sent (`fazhi.agent.checks`), so that
    only the failing ones are asked again; this model itself holds what passed.
    """

    items_field: ClassVar[str] = "items"

    @property
    def items(self) -> list[GroundedItem]:
        return getattr(self, self.items_field)

    @classmethod
    def item_model(cls) -> type[GroundedItem]:
        annotation: Any = cls.model_fields[cls.items_field].annotation
        return annotation.__args__[0]
