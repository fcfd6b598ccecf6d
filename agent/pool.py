"""The offline rules on every core: documents go to a process pool in chunks, results come back in the
order the documents were given.

The rules are pure Python and CPU-bound, so one process uses one core. `PooledOffline` is the offline
backend with its work done by `workers` processes (forked, so they start with the genre imported); a run
too small to gain from it (fewer than MIN_DOCS documents or MIN_CHARS characters, or one core) stays in
this process. Results are the same either way: the rules are deterministic, and `map_rules` gives them
in input order.
"""

import asyncio
import multiprocessing
import os
import signal
import time
from collections.abc import Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from typing import Any

from fazhi.agent.backends import OfflineBackend, Outcome
from fazhi.agent.documents import Document
from fazhi.agent.genre import Genre

MIN_DOCS = 8
MIN_CHARS = 400_000  # below this the pool's start-up costs more than a second core gains
CHUNKS_PER_WORKER = 6  # several chunks each, so that one slow chunk does not leave a core idle
Texts = list[tuple[str, str]]  # (doc_id, text)
Results = dict[str, tuple[Any, str | None, float]]  # doc_id → (result, error, seconds)

_genre: Genre | None = None  # a worker's genre, set by `load`


def workers_for(docs: Sequence[Document], cores: int | None = None) -> int:
    """How many worker processes a run over `docs` should use (0: none, stay in this process)."""
    cores = cores or os.cpu_count() or 1
    if cores < 2 or len(docs) < MIN_DOCS or sum(len(d.text) for d in docs) < MIN_CHARS:
        return 0
    return cores


def chunks(texts: Texts, count: int) -> list[Texts]:
    """`texts` cut, in order, into about `count` chunks of similar size in characters."""
    size = max(1, sum(len(t) for _, t in texts) // max(count, 1))
    out: list[Texts] = [[]]
    held = 0
    for item in texts:
        if held >= size:
            out.append([])
            held = 0
        out[-1].append(item)
        held += len(item[1])
    return [c for c in out if c]


def load(genre: Genre) -> None:
    """A worker's start: the genre, and Ctrl-C left to the parent (which ends the pool)."""
    global _genre
    _genre = genre
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def run_chunk(texts: Texts) -> Results:
    """The rules over one chunk in a worker; a rule bug fails its document, not the chunk."""
    assert _genre is not None
    results: Results = {}
    for doc_id, text in texts:
        started = time.perf_counter()
        try:
            results[doc_id] = (_genre.offline(text), None, time.perf_counter() - started)
        except Exception as exc:
            results[doc_id] = (None, f"offline rules failed: {type(exc).__name__}: {exc}", 0.0)
    return results


def executor(genre: Genre, workers: int) -> ProcessPoolExecutor:
    methods = multiprocessing.get_all_start_methods()
    context = multiprocessing.get_context("fork" if "fork" in methods else None)
    return ProcessPoolExecutor(workers, mp_context=context, initializer=load, initargs=(genre,))


def map_rules(genre: Genre, texts: Texts, workers: int) -> Iterator[tuple[str, Any, str | None]]:
    """(doc_id, result, error) for each text, in input order, computed by `workers` processes."""
    with executor(genre, workers) as pool:
        for results in pool.map(run_chunk, chunks(texts, workers * CHUNKS_PER_WORKER)):
            for doc_id, (result, error, _) in results.items():
                yield doc_id, result, error


class PooledOffline(OfflineBackend):
    """The offline backend, its documents' rules run by a process pool started by `start`; a document
    not given to `start` is extracted in this process."""

    def __init__(self, genre: Genre, workers: int) -> None:
        super().__init__(genre)
        self.pool = executor(genre, workers)
        self.workers = workers
        self.pending: dict[str, Future[Results]] = {}

    def start(self, docs: Sequence[Document]) -> None:
        """Send the documents to the pool, in chunks (the workers start now, before any signal handler)."""
        for chunk in chunks([(d.doc_id, d.text) for d in docs], self.workers * CHUNKS_PER_WORKER):
            future = self.pool.submit(run_chunk, chunk)
            self.pending.update((doc_id, future) for doc_id, _ in chunk)

    async def extract(self, doc: Document) -> Outcome:
        future = self.pending.pop(doc.doc_id, None)
        if future is None:
            return await super().extract(doc)
        result, error, seconds = (await asyncio.wrap_future(future))[doc.doc_id]
        return Outcome(doc.doc_id, result, error=error, latency_s=seconds)

    async def aclose(self) -> None:
        self.pool.shutdown(wait=False, cancel_futures=True)


def with_pool(backend: Any, docs: Sequence[Document]) -> Any:
    """The offline backend over a started pool when `docs` are worth one; any other backend as it is."""
    if type(backend) is not OfflineBackend or not (workers := workers_for(docs)):
        return backend
    pooled = PooledOffline(backend.genre, workers)
    pooled.start(docs)
    return pooled
