"""Rules that read rule-of-law reports without a model: reading, layout, metrics, issues, metadata.

`read_layout` reads a report and divides it into parts (used by every backend); `extract_offline` is
the offline, deterministic backend.
"""

from schemas.rules.offline import extract_offline, read_layout
from schemas.rules.parts import PART_KINDS

__all__ = ["PART_KINDS", "extract_offline", "read_layout"]
