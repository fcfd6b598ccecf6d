"""The fast NFKC of long texts (agent.grounding.nfkc) gives what unicodedata gives, on every text."""

import re
import sys
import unicodedata
from pathlib import Path

from fazhi.agent.grounding import COMPOSE_FREE, LONG_TEXT, QUOTES, nfkc, normalise


def reference(text: str) -> str:
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text)).translate(QUOTES)


def composition_seconds() -> set[str]:
    """Every character that composes with one before it: the second of a canonical pair, a Hangul vowel or final."""
    seconds = {chr(c) for c in [*range(0x1161, 0x1176), *range(0x11A8, 0x11C3)]}
    for code in range(sys.maxunicode + 1):
        parts = unicodedata.decomposition(chr(code)).split()
        if len(parts) == 2 and not parts[0].startswith("<"):
            seconds.add(chr(int(parts[1], 16)))
    return seconds


def test_every_compose_free_character_decomposes_to_characters_that_neither_reorder_nor_compose() -> None:
    seconds = composition_seconds()
    free = [chr(c) for c in range(sys.maxunicode + 1) if not 0xD800 <= c < 0xE000 and not COMPOSE_FREE.match(chr(c))]
    assert len(free) > 28_000
    decomposed = {ch: unicodedata.normalize("NFKD", ch) for ch in free}
    moving = [ch for ch, parts in decomposed.items() if any(unicodedata.combining(d) or d in seconds for d in parts)]
    assert moving == []


def test_nfkc_of_a_long_text_is_unicodedata_s(samples: Path) -> None:
    every_free = "".join(chr(c) for c in range(0x10000) if not 0xD800 <= c < 0xE000 and not COMPOSE_FREE.match(chr(c)))
    texts = [every_free, *(p.read_text(encoding="utf-8") for p in sorted(samples.glob("*.txt")))]
    composing = ["ｶﾞ" * LONG_TEXT, "ﾡￂ" * LONG_TEXT, ("Ａ\u0301，" + "中" * 10) * LONG_TEXT]  # compose across characters
    for text in [*texts, *composing]:
        assert len(text) >= LONG_TEXT
        assert nfkc(text) == unicodedata.normalize("NFKC", text)
        assert normalise(text) == reference(text)
