"""Splitting text into chunks under a token budget, on paragraph and then sentence boundaries."""

import itertools
import re
from dataclasses import dataclass

PARAGRAPH_END = re.compile(r"\n+")
SENTENCE_END = re.compile(r"(?<=[\u3002\uff1b\uff01\uff1f.;!?])")


@dataclass(frozen=True)
class Chunk:
    """Text [start, end) of a document."""

    start: int
    end: int


def estimate_tokens(text: str) -> int:
    """A conservative token count: one per CJK character, one per four other characters."""
    wide = sum(1 for ch in text if ord(ch) > 0x2E80)
    return wide + (len(text) - wide + 3) // 4


def pieces(text: str, start: int, end: int, pattern: re.Pattern[str]) -> list[tuple[int, int]]:
    """[start, end) cut after every match of `pattern`."""
    cuts = [m.end() + start for m in pattern.finditer(text[start:end]) if 0 < m.end() < end - start]
    bounds = [start, *cuts, end]
    return [(a, b) for a, b in itertools.pairwise(bounds) if b > a]


def units(text: str, start: int, end: int, budget: int) -> list[tuple[int, int]]:
    """Paragraphs, with any paragraph over budget split into sentences (and, failing that, slices)."""
    out = []
    for a, b in pieces(text, start, end, PARAGRAPH_END):
        if estimate_tokens(text[a:b]) <= budget:
            out.append((a, b))
            continue
        for c, d in pieces(text, a, b, SENTENCE_END):
            out.extend((i, min(i + budget, d)) for i in range(c, d, budget))
    return out


def chunk(text: str, start: int, end: int, budget: int) -> list[Chunk]:
    """Greedily pack whole units into chunks of at most `budget` estimated tokens."""
    chunks: list[Chunk] = []
    begin, size = start, 0
    for a, b in units(text, start, end, budget):
        cost = estimate_tokens(text[a:b])
        if size and size + cost > budget:
            chunks.append(Chunk(begin, a))
            begin, size = a, 0
        size += cost
    if end > begin and text[begin:end].strip():
        chunks.append(Chunk(begin, end))
    return chunks
