"""Rules that read rule-of-law reports without a model: reading, frame, parts, items, metrics, issues, metadata.

`read_layout` reads a report and divides it into parts (used by every backend); `extract_offline` is
the offline, deterministic backend; `trace_offline` says what became of every figure it found. How the
modules fit together and how to add a rule: schemas/rules/README.md.

The exports are imported on first use, so that the genre's other modules (the taxonomy) can read the
word lists (`fazhi.schemas.rules.lexicon`) without loading every rule.
"""

from importlib import import_module
from typing import Any

EXPORTS = {"PART_KINDS": "parts", "segment": "parts", "extract_offline": "offline", "read_layout": "offline",
           "trace_offline": "offline", "dump_layout": "layouts", "load_layout": "layouts"}
__all__ = sorted(EXPORTS)


def __getattr__(name: str) -> Any:
    if name not in EXPORTS:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(import_module(f"{__name__}.{EXPORTS[name]}"), name)
