"""`fazhi eval`: run fixtures through the normal pipeline, score them, store and compare the scores."""

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fazhi.agent import api
from fazhi.agent.cache import content_hash
from fazhi.agent.documents import read_document
from fazhi.agent.errors import FazhiError, InputError
from fazhi.agent.runs import RunSummary
from fazhi.agent.store import Store, to_json
from fazhi.evals.fixtures_io import Fixture, fixture_set_hash, load_fixtures
from fazhi.evals.scoring import FixtureScore, Outcome, SourceIndex, Span, quantities_equal, score_fixture, summarise
from fazhi.schemas.numerals import same_value
from fazhi.schemas.rules.offline import TraceEntry, trace_offline

MIGRATIONS = Path(__file__).with_name("migrations")  # evals' own tables, beside the engine's in the same file
NAMESPACE = "evals"
HEADLINE = ("metrics.precision", "metrics.recall", "metrics.f1", "issues.precision", "issues.recall",
            "issues.f1", "meta.accuracy")


@dataclass
class EvalResult:
    eval_id: int
    summary: dict[str, Any]
    fixtures: list[Fixture]
    scores: list[FixtureScore]
    run: RunSummary
    broken: list[str] = field(default_factory=list)


def raw_offsets(raw: str) -> list[int]:
    """For each character of the stored text (newlines unified), its index in the raw source."""
    index, i = [], 0
    while i < len(raw):
        index.append(i)
        i += 2 if raw.startswith("\r\n", i) else 1
    return [*index, len(raw)]


def prediction(fixture: Fixture, result: dict[str, Any] | None) -> dict[str, Any] | None:
    """The stored result in the contract's shape, offsets moved into the raw source."""
    if result is None:
        return None
    index = raw_offsets(fixture.source) if "\r" in fixture.source else None
    pred: dict[str, Any] = {"fixture_id": fixture.fixture_id, "meta": result.get("meta") or {}}
    for kind in ("metrics", "issues"):
        pred[kind] = [moved(item, index) for item in result.get(kind) or []]
    return pred


def moved(item: dict[str, Any], index: list[int] | None) -> dict[str, Any]:
    out = {k: v for k, v in item.items() if k != "end"}
    if index is not None and out.get("start") is not None:
        out["start"] = index[out["start"]]
    return out


def stored_result(store: Store, doc_id: str, run: RunSummary) -> dict[str, Any] | None:
    _, rows = store.query(
        "SELECT result FROM extractions WHERE doc_id = ? AND status = 'ok' AND backend = ?"
        " AND model IS NOT DISTINCT FROM ? AND prompt_version = ? ORDER BY extraction_id DESC LIMIT 1",
        [doc_id, run.backend, run.model, run.prompt_version])
    return json.loads(rows[0][0]) if rows else None


def result_of(store: Store, fixture: Fixture, run: RunSummary) -> dict[str, Any] | None:
    try:
        doc_id = read_document(fixture.source_path).doc_id
    except InputError:
        return None
    return stored_result(store, doc_id, run)


def write_outputs(out: Path, preds: dict[str, dict[str, Any] | None], summary: dict[str, Any]) -> None:
    out.mkdir(parents=True, exist_ok=True)
    for fixture_id, pred in preds.items():
        if pred is not None:
            (out / f"{fixture_id}.json").write_text(json.dumps(pred, ensure_ascii=False, indent=1), encoding="utf-8")
    (out / "summary.json").write_text(json.dumps(summary, ensure_ascii=False, indent=1), encoding="utf-8")


def open_eval_store(db: str | None, read_only: bool = True) -> Store:
    """The store with evals' tables: a writer applies evals' migrations; a reader of a database that has
    no eval run yet is told so."""
    store = api.open_store(db, read_only=read_only)
    if not read_only:
        store.migrate_set(NAMESPACE, MIGRATIONS)
    elif not store.query("SELECT 1 FROM duckdb_tables() WHERE table_name = 'eval_runs'")[1]:
        store.close()
        raise FazhiError(f"No eval run in {store.path}: run `fazhi eval` first (or pass --db FILE)")
    return store


def run_eval(fixtures_dir: Path, options: api.Options, out: Path) -> EvalResult:
    """Extract every fixture's source (the cache applies), score, write OUT/, store the eval run."""
    fixtures = load_fixtures(fixtures_dir)
    run = api.extract([f.source_path for f in fixtures], options)
    with open_eval_store(options.db, read_only=False) as store:
        preds = {f.fixture_id: prediction(f, result_of(store, f, run)) for f in fixtures}
        scores = [score_fixture(f.fixture_id, f.source, f.gold, preds[f.fixture_id]) for f in fixtures]
        if run.backend == "offline":
            for fixture, score in zip(fixtures, scores, strict=True):
                attach_rules(fixture, score)
        broken = [fid for fid, pred in preds.items() if pred is None]
        summary = summarise(scores) | run_info(run, fixtures_dir, broken)
        write_outputs(out, preds, summary)
        eval_id = save_eval(store, run, fixtures, fixtures_dir, scores, summary)
    summary["eval_id"] = eval_id
    return EvalResult(eval_id, summary, fixtures, scores, run, broken)


# ---------------------------------------------------------------- which offline rule kept or excluded each metric

Traced = tuple[Span, int, TraceEntry]  # the figure's span in the normalised source, its evidence's raw start


def attach_rules(fixture: Fixture, score: FixtureScore) -> None:
    """Set each metric outcome's `rule` from the offline rules' trace of the fixture's stored text: a
    predicted metric was "kept: <part>"; a missed gold metric gets the label of the figure found inside
    its evidence ("ordinal_or_rank: rank", "target", "not read: plans" …) or "no candidate"."""
    try:
        text = read_document(fixture.source_path).text
    except InputError:
        return
    traced = traced_figures(fixture.source, trace_offline(text))
    for outcome in score.outcomes:
        if outcome.kind == "metric":
            outcome.rule = kept_rule(outcome.pred, traced) if outcome.pred is not None else missed_rule(outcome, traced)


def traced_figures(source: str, trace: list[TraceEntry]) -> list[Traced]:
    """Each trace entry with its figure's span in the normalised source (the scorer's coordinates) and its
    evidence's start in the raw source (a prediction's `start`)."""
    index = SourceIndex.build(source)
    raw = raw_offsets(source) if "\r" in source else range(len(source) + 1)  # stored offset → raw offset
    out = []
    for entry in trace:
        span = (index.raw_to_norm[raw[entry.start]], index.raw_to_norm[raw[entry.end]])
        out.append((span, raw[entry.evidence_start] if entry.evidence_start is not None else -1, entry))
    return out


def kept_rule(pred: dict[str, Any], traced: list[Traced]) -> str:
    """The kept figure a predicted metric came from: "kept: <part>"."""
    for _, evidence_start, entry in traced:
        if entry.rule == "kept" and evidence_start == pred.get("start") and same_figure(pred, entry):
            return entry.label
    return "kept"


def missed_rule(outcome: Outcome, traced: list[Traced]) -> str | None:
    """Why a gold metric was missed: the rule of the figure found inside its evidence with its value (and
    unit, when one has both), or "no candidate" when the rules found no such number with a unit there."""
    if outcome.gold_span is None or outcome.gold is None:
        return None
    start, end = outcome.gold_span
    inside = [entry for (a, _), _, entry in traced if start <= a < end]
    same = [e for e in inside if same_figure(outcome.gold, e)]
    valued = [e for e in inside if isinstance(outcome.gold.get("value"), int | float)
              and same_value(e.value, outcome.gold["value"])]
    found = same or valued
    return found[0].label if found else "no candidate"


def same_figure(item: dict[str, Any], entry: TraceEntry) -> bool:
    return quantities_equal(item, {"value": entry.value, "unit": entry.unit})


def run_info(run: RunSummary, fixtures_dir: Path, broken: list[str]) -> dict[str, Any]:
    return {"backend": run.backend, "model": run.model, "prompt_version": run.prompt_version,
            "fixtures_dir": str(fixtures_dir), "broken": broken}


def score_rows(fixture_id: str, report: dict[str, Any]) -> list[list[Any]]:
    rows = []
    for section in ("metrics", "issues"):
        for name, value in report[section].items():
            if isinstance(value, int | float) and not isinstance(value, bool):
                rows.append([fixture_id, section, name, float(value)])
    meta = report["meta"]
    rows.append([fixture_id, "meta", "accuracy", meta.get("accuracy")])
    rows += [[fixture_id, "meta", name, acc] for name, acc in (meta.get("fields") or {}).items()]
    return rows


def item_keys(kind: str, gold: dict | None, pred: dict | None) -> tuple[str | None, str | None]:
    def key(item: dict | None) -> str | None:
        if item is None:
            return None
        fields = [kind, item.get("evidence"), item.get("value"), item.get("unit"), item.get("summary")]
        return content_hash(fields)[:16]
    return key(gold), key(pred)


def save_eval(store: Store, run: RunSummary, fixtures: list[Fixture], fixtures_dir: Path,
              scores: list[FixtureScore], summary: dict[str, Any]) -> int:
    with store.transaction():
        return insert_eval(store, run, fixtures, fixtures_dir, scores, summary)


def insert_eval(store: Store, run: RunSummary, fixtures: list[Fixture], fixtures_dir: Path,
                scores: list[FixtureScore], summary: dict[str, Any]) -> int:
    eval_id = store.insert_row("eval_runs", {
        "run_id": run.run_id, "backend": run.backend, "model": run.model, "prompt_version": run.prompt_version,
        "fixture_set": str(fixtures_dir), "fixture_hash": fixture_set_hash(fixtures), "n_fixtures": len(fixtures),
        "status": "broken" if summary["broken"] else "ok", "summary": to_json(summary)}, returning="eval_id")
    rows = score_rows("*", summary)
    for score in scores:
        rows += score_rows(score.fixture_id, score.to_dict())
    store.insert_rows("eval_scores", [dict(zip(SCORE_COLUMNS, [eval_id, *r], strict=True)) for r in rows])
    store.insert_rows("eval_items", [item_row(eval_id, s.fixture_id, o) for s in scores for o in s.outcomes])
    return eval_id


SCORE_COLUMNS = ("eval_id", "fixture_id", "section", "field", "value")


def item_row(eval_id: int, fixture_id: str, o: Outcome) -> dict[str, Any]:
    gold_key, pred_key = item_keys(o.kind, o.gold, o.pred)
    return {"eval_id": eval_id, "fixture_id": fixture_id, "kind": o.kind, "outcome": o.outcome, "gold_key": gold_key,
            "pred_key": pred_key, "gold": to_json(o.gold), "pred": to_json(o.pred), "rule": o.rule}
