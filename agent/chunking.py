"""Splitting text into chunks under a token budget: at paragraph ends, else at sentence ends; a
sentence is cut only when it alone is over the budget (then at its clauses, and last at the budget).
"""

import itertools
import re
from dataclasses import dataclass

PARAGRAPH_END = re.compile(r"\n+")
WIDE_RUNS = re.compile("[\u2e81-\U0010ffff]+")
STOPS = (
    re.compile(r"(?<=[\u3002\uff01\uff1f!?])[\u201d\u2019\u300d\u300f)\uff09]*"),  # sentence ends
    re.compile(r"(?<=[\uff1b;])"),  # clauses
    re.compile(r"(?<=[\uff0c,\u3001])"),  # phrases
)


@dataclass(frozen=True)
class Chunk:
    """Text [start, end) of a document."""

    start: int
    end: int


def wide_count(text: str) -> int:
    """The characters above U+2E80 (CJK and wider), counted by one regex rather than a loop."""
    return len(text) - len(WIDE_RUNS.sub("", text))


def estimate_tokens(text: str) -> int:
    """A conservative token count: one per CJK character, one per four other characters."""
    wide = wide_count(text)
    return wide + (len(text) - wide + 3) // 4


def pieces(text: str, start: int, end: int, pattern: re.Pattern[str]) -> list[tuple[int, int]]:
    """[start, end) cut after every match of `pattern`."""
    cuts = [m.end() + start for m in pattern.finditer(text[start:end]) if 0 < m.end() < end - start]
    bounds = [start, *cuts, end]
    return [(a, b) for a, b in itertools.pairwise(bounds) if b > a]


def fitted(text: str, start: int, end: int, budget: int, level: int = 0) -> list[tuple[int, int]]:
    """[start, end) in stretches each within budget: cut at sentence ends, then clauses, phrases,
    and last at the budget itself."""
    if estimate_tokens(text[start:end]) <= budget:
        return [(start, end)]
    if level == len(STOPS):
        return [(i, min(i + budget, end)) for i in range(start, end, budget)]
    return [unit for a, b in pieces(text, start, end, STOPS[level]) for unit in fitted(text, a, b, budget, level + 1)]


def units(text: str, start: int, end: int, budget: int) -> list[tuple[int, int]]:
    """Paragraphs, a paragraph over budget in sentences (and a sentence over budget in clauses)."""
    return [unit for a, b in pieces(text, start, end, PARAGRAPH_END) for unit in fitted(text, a, b, budget)]


def chunk(text: str, start: int, end: int, budget: int) -> list[Chunk]:
    """Pack whole units into as few chunks as the budget allows, of even size (no short tail chunk)."""
    pieces_ = units(text, start, end, budget)
    total = sum(estimate_tokens(text[a:b]) for a, b in pieces_)
    needed = max(1, -(-total // budget))
    target = min(budget, -(-total // needed))  # an even share, rounded up
    chunks: list[Chunk] = []
    begin, size = start, 0
    for a, b in pieces_:
        cost = estimate_tokens(text[a:b])
        if size and size + cost > (target if len(chunks) < needed - 1 else budget):
            chunks.append(Chunk(begin, a))
            begin, size = a, 0
        size += cost
    if end > begin and text[begin:end].strip():
        chunks.append(Chunk(begin, end))
    return chunks


def split_chunk(text: str, piece: Chunk) -> tuple[Chunk, Chunk] | None:
    """The chunk in two halves, cut at the paragraph or sentence end nearest its middle (None when it
    holds no such end)."""
    middle = (piece.start + piece.end) // 2
    for pattern in (PARAGRAPH_END, *STOPS):
        cuts = [a for a, _ in pieces(text, piece.start, piece.end, pattern)][1:]
        if cuts:
            cut = min(cuts, key=lambda c: abs(c - middle))
            return Chunk(piece.start, cut), Chunk(cut, piece.end)
    return None
