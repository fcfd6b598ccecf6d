"""Rules that read rule-of-law reports without a model: layout, metrics, issues, metadata.

`segment` divides a report into parts (used by every backend); `extract_offline` is the offline,
deterministic backend.
"""

from schemas.rules.layout import PART_KINDS, segment
from schemas.rules.offline import extract_offline

__all__ = ["PART_KINDS", "extract_offline", "segment"]
