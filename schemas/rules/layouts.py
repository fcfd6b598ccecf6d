"""A report's layout (see `reading` and `parts`) made from its reading, and written down as JSON data and
read back (the genre's LayoutCodec: the engine keeps layouts beside the cached answers). Light to import:
a cached re-run reads layouts back without loading the extraction rules."""

from typing import Any

from fazhi.agent.genre import Layout, Part
from fazhi.schemas.rules.context import describer
from fazhi.schemas.rules.reading import Reading


def layout_of(reading: Reading, parts: list[Part]) -> Layout:
    return Layout(reading.text, parts, reading.raw_span, describer(reading.text, parts), reading)


def dump_layout(layout: Layout) -> dict[str, Any]:
    """A layout as JSON data: how its reading was made, and its parts."""
    return {"reading": layout.reading.stretches(), "parts": [[p.kind, p.start, p.end] for p in layout.parts]}


def load_layout(raw: str, data: dict[str, Any]) -> Layout:
    """The layout `dump_layout` gave for `raw`; ValueError when the data does not fit it."""
    try:
        reading = Reading.from_stretches(raw, data["reading"])
        parts = [Part(str(kind), int(start), int(end)) for kind, start, end in data["parts"]]
    except (KeyError, TypeError) as exc:
        raise ValueError(f"not a layout: {exc}") from exc
    if any(not 0 <= p.start <= p.end <= len(reading) for p in parts):
        raise ValueError("a part outside the reading")
    return layout_of(reading, parts)
