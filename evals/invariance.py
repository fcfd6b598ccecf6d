"""Scores of each fixture set in each form, for the offline backend and for the model path answered
by a perfect fake model (it returns the gold items found in the text it was sent, so every point it
loses is lost inside fazhi).

    python -m fazhi.evals.invariance [--sets evals/fixtures evals/heldout-dev ...] [--forms plain oneline ...]
                               [--backends offline llm] [--json OUT]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fazhi.agent import api
from fazhi.agent.documents import read_document
from fazhi.evals.fakellm import FakeLLM, perfect_brain_of
from fazhi.evals.fixtures_io import Fixture, load_fixtures
from fazhi.evals.forms import FORMS, redress_set
from fazhi.evals.runner import prediction, stored_result
from fazhi.evals.scoring import score_fixture, summarise

BACKENDS = ("offline", "llm")
DEFAULT_SETS = ("fixtures", "heldout-dev", "heldout-dev2", "heldout-dev3", "heldout-test", "heldout-test2",
                "heldout-forms")
EVALS = Path(__file__).resolve().parent


@dataclass(frozen=True)
class Score:
    fixture_set: str
    form: str
    backend: str
    metrics_f1: float
    issues_f1: float
    meta: float
    summary: dict[str, Any]


@contextmanager
def model_server(backend: str) -> Iterator[FakeLLM | None]:
    if backend != "llm":
        yield None
        return
    with FakeLLM() as fake:
        yield fake


def options(backend: str, db: Path, fake: FakeLLM | None) -> api.Options:
    if fake is None:
        return api.Options(backend="offline", db=str(db), force=True)
    return api.Options(backend="llm", base_url=fake.base_url, model="perfect", api_key="k", db=str(db),
                       use_cache=False, force=True)


def predict(fixtures: list[Fixture], opts: api.Options, fake: FakeLLM | None) -> list[dict[str, Any] | None]:
    """Every fixture extracted in one run (the perfect model answers each request for the fixture whose
    text it holds), each fixture's prediction in the contract's shape."""
    if fake is not None:
        fake.brain = perfect_brain_of([(f.gold, f.source) for f in fixtures])
    run = api.extract([f.source_path for f in fixtures], opts)
    with api.open_store(opts.db) as store:
        return [prediction(f, stored_result(store, read_document(f.source_path).doc_id, run)) for f in fixtures]


def score_set(fixtures_dir: Path, form: str, backend: str, work: Path) -> Score:
    fixtures = load_fixtures(redress_set(fixtures_dir, form, work / form / fixtures_dir.name))
    with model_server(backend) as fake:
        opts = options(backend, work / f"{form}-{backend}.duckdb", fake)
        preds = predict(fixtures, opts, fake)
        scores = [score_fixture(f.fixture_id, f.source, f.gold, pred) for f, pred in zip(fixtures, preds, strict=True)]
    summary = summarise(scores)
    return Score(fixtures_dir.name, form, backend, summary["metrics"]["f1"], summary["issues"]["f1"],
                 summary["meta"]["accuracy"], summary)


def table(scores: list[Score]) -> str:
    plain = {(s.fixture_set, s.backend): s for s in scores if s.form == "plain"}
    lines = ["set            form        backend  metrics.f1  issues.f1  meta   (change from plain)"]
    for s in scores:
        base = plain.get((s.fixture_set, s.backend))
        change = "" if base is None or s.form == "plain" else (
            f"  {s.metrics_f1 - base.metrics_f1:+.3f} {s.issues_f1 - base.issues_f1:+.3f} {s.meta - base.meta:+.3f}")
        lines.append(f"{s.fixture_set:14} {s.form:11} {s.backend:8} {s.metrics_f1:10.3f} {s.issues_f1:10.3f}"
                     f" {s.meta:6.3f}{change}")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sets", nargs="*", default=[str(EVALS / s) for s in DEFAULT_SETS])
    parser.add_argument("--forms", nargs="*", default=list(FORMS), choices=FORMS)
    parser.add_argument("--backends", nargs="*", default=list(BACKENDS), choices=BACKENDS)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    scores = []
    with tempfile.TemporaryDirectory() as tmp:
        for fixtures_dir in map(Path, args.sets):
            if not fixtures_dir.is_dir():
                print(f"skipping {fixtures_dir}: no such folder", file=sys.stderr)
                continue
            for backend in args.backends:
                for form in args.forms:
                    scores.append(score_set(fixtures_dir, form, backend, Path(tmp)))
                    print(table(scores[-1:]).splitlines()[1], file=sys.stderr, flush=True)
    print(table(scores))
    if args.json:
        args.json.write_text(json.dumps([s.__dict__ for s in scores], ensure_ascii=False, indent=1), encoding="utf-8")


if __name__ == "__main__":
    main()
