"""Robustness and plans check on the corpus of real work reports (政府工作报告, ../shared/corpus-sz).

    python evals/corpus_check.py [--corpus ../shared/corpus-sz] [--annotations evals/corpus-sz-plans.json]
        [--db /tmp/x.duckdb] [--backend offline|llm] [--base-url URL --model M --api-key K] [--json OUT]

Runs `fazhi extract` on the whole corpus through the public API (force, so every document is extracted
again), then checks that every file became a document, every document has an 'ok' extraction in this
run, nothing crashed and no metric or issue row is duplicated. It then counts the stored metrics whose
`start` falls inside a hand-annotated plans span (targets and tasks for the coming year or period,
which are not metrics of the past year). Exit code 0 when nothing was lost or duplicated and no
document failed, else 1.
"""

from __future__ import annotations

import argparse
import bisect
import hashlib
import json
import sys
import tempfile
import traceback
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from fazhi.agent import api

ROOT = Path(__file__).resolve().parents[1]

READ_SUFFIXES = (".txt", ".md", ".html", ".htm")  # what `fazhi ingest` reads from a folder (README)
EXAMPLES = 3
TOP = 10


@dataclass
class Robustness:
    files: int = 0
    documents: int = 0
    ok: int = 0
    failed: int = 0
    lost: int = 0
    duplicated: int = 0
    failures: list[tuple[str, str]] = field(default_factory=list)  # (doc_id, error)
    losses: list[str] = field(default_factory=list)  # what was lost, and why

    def verdict(self) -> str:
        return (f"{self.files} files, {self.documents} documents, {self.ok} ok, {self.failed} failed, "
                f"{self.lost} lost, {self.duplicated} duplicated")

    @property
    def passed(self) -> bool:
        return not (self.failed or self.lost or self.duplicated)


@dataclass
class FilePlans:
    doc_id: str
    metrics: int = 0
    in_plans: int = 0
    no_offset: int = 0
    examples: list[str] = field(default_factory=list)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--corpus", default=str(ROOT.parent / "shared" / "corpus-sz"))
    p.add_argument("--annotations", default=str(ROOT / "evals" / "corpus-sz-plans.json"))
    p.add_argument("--db", help="DuckDB file (default: a new temporary file)")
    p.add_argument("--backend", choices=("offline", "llm"), default="offline")
    p.add_argument("--base-url")
    p.add_argument("--model")
    p.add_argument("--api-key")
    p.add_argument("--profile")
    p.add_argument("--cache-dir", help="answer cache of the llm backend (default: fazhi's)")
    p.add_argument("--json", dest="json_out", help="write every number to this JSON file")
    return p.parse_args(argv)


def make_options(args: argparse.Namespace) -> api.Options:
    return api.Options(backend=args.backend, db=args.db, base_url=args.base_url, model=args.model,
                       api_key=args.api_key, profile=args.profile, cache_dir=args.cache_dir, force=True)


def corpus_files(corpus: Path) -> list[Path]:
    return sorted(p for p in corpus.rglob("*") if p.is_file() and p.suffix.lower() in READ_SUFFIXES)


def run_extract(corpus: Path, options: api.Options) -> Any | None:
    """The run summary, or None when extraction crashed (the traceback is printed)."""
    try:
        return api.extract([corpus], options, notify=lambda m: print(m, file=sys.stderr))
    except Exception:
        traceback.print_exc()
        return None


def docs_of_files(store: Any, files: list[Path]) -> dict[Path, str]:
    """File → doc_id, through the paths the documents were read from."""
    _, rows = store.query("SELECT doc_id, path FROM document_paths")
    by_path = {Path(path).resolve(): doc_id for doc_id, path in rows}
    return {f: by_path[f.resolve()] for f in files if f.resolve() in by_path}


def run_statuses(store: Any, run_id: int) -> dict[str, tuple[str, str | None]]:
    _, rows = store.query("SELECT doc_id, status, error FROM extractions WHERE run_id = ?", [run_id])
    return {doc_id: (status, error) for doc_id, status, error in rows}


def duplicate_rows(store: Any, run_id: int) -> int:
    count = 0
    for table in ("metrics", "issues"):
        _, rows = store.query(
            f"SELECT extraction_id, idx FROM {table} WHERE extraction_id IN "
            "(SELECT extraction_id FROM extractions WHERE run_id = ?) GROUP BY ALL HAVING count(*) > 1", [run_id])
        count += len(rows)
    return count


def robustness(store: Any, run_id: int, files: list[Path], doc_of: dict[Path, str], rejected: list[Any]) -> Robustness:
    statuses = run_statuses(store, run_id)
    docs = sorted(set(doc_of.values()))
    r = Robustness(files=len(files), documents=len(docs), duplicated=duplicate_rows(store, run_id))
    r.losses = [f"{f}: no document ({reason_of(f, rejected)})" for f in files if f not in doc_of]
    r.losses += [f"{d}: no extraction in run {run_id}" for d in docs if d not in statuses]
    r.lost = len(r.losses)
    r.failures = [(d, statuses[d][1] or "") for d in docs if d in statuses and statuses[d][0] != "ok"]
    r.failed = len(r.failures)
    r.ok = sum(1 for d in docs if statuses.get(d, ("",))[0] == "ok")
    return r


def reason_of(path: Path, rejected: list[Any]) -> str:
    reasons = [r.reason for r in rejected if Path(r.path).resolve() == path.resolve()]
    return reasons[0] if reasons else "not in document_paths"


def stored_text(raw: bytes) -> str:
    """The file as fazhi stores it: UTF-8 with \\r\\n (and lone \\r) as \\n."""
    return raw.decode("utf-8").replace("\r\n", "\n").replace("\r", "\n")


def to_stored(raw_text: str, offset: int) -> int:
    """An offset into the file decoded as UTF-8 → the offset into the stored text."""
    crlf = [i for i in range(len(raw_text) - 1) if raw_text[i] == "\r" and raw_text[i + 1] == "\n"]
    return offset - bisect.bisect_left(crlf, offset)


def stored_spans(raw: bytes, spans: list[list[Any]]) -> list[tuple[int, int]]:
    text = raw.decode("utf-8")
    if "\r\n" not in text:
        return [(int(s), int(e)) for s, e, *_ in spans]
    return [(to_stored(text, int(s)), to_stored(text, int(e))) for s, e, *_ in spans]


def annotated_spans(corpus: Path, annotations: dict[str, Any], doc_of: dict[Path, str], store: Any,
                    warnings: list[str]) -> dict[str, list[tuple[int, int]]]:
    """doc_id → plans spans in stored-text offsets, for every annotated file that checks out."""
    spans: dict[str, list[tuple[int, int]]] = {}
    for name, entry in annotations["files"].items():
        path = corpus / name
        if not path.is_file() or path not in doc_of:
            warnings.append(f"{name}: annotated but {'not stored' if path.is_file() else 'missing'}; not counted")
            continue
        raw = path.read_bytes()
        if hashlib.sha256(raw).hexdigest() != entry["sha256"]:
            warnings.append(f"{name}: sha256 differs from the annotation; its spans are not counted")
            continue
        if not same_text(store, doc_of[path], raw):
            warnings.append(f"{name}: stored text differs from the file; offsets may not line up")
        spans[doc_of[path]] = stored_spans(raw, entry["plans"])
    return spans


def same_text(store: Any, doc_id: str, raw: bytes) -> bool:
    _, rows = store.query("SELECT text FROM documents WHERE doc_id = ?", [doc_id])
    return bool(rows) and rows[0][0] == stored_text(raw)


def run_metrics(store: Any, run_id: int) -> list[tuple[Any, ...]]:
    _, rows = store.query(
        'SELECT doc_id, start, "end", value, unit, evidence FROM latest_metrics WHERE extraction_id IN '
        '(SELECT extraction_id FROM extractions WHERE run_id = ?) ORDER BY doc_id, start', [run_id])
    return rows


def inside(start: int | None, spans: list[tuple[int, int]]) -> bool:
    return start is not None and any(s <= start < e for s, e in spans)


def count_plans(rows: list[tuple[Any, ...]], spans: dict[str, list[tuple[int, int]]],
                names: dict[str, str]) -> dict[str, FilePlans]:
    """Per annotated file: stored metrics, those starting inside a plans span, and example evidences."""
    per_file = {names[d]: FilePlans(doc_id=d) for d in spans}
    for doc_id, start, _end, value, unit, evidence in rows:
        if doc_id not in spans:
            continue
        fp = per_file[names[doc_id]]
        fp.metrics += 1
        fp.no_offset += start is None
        if inside(start, spans[doc_id]):
            fp.in_plans += 1
            if len(fp.examples) < EXAMPLES:
                fp.examples.append(f"{value:.12g} {unit or ''} ← {evidence}")
    return per_file


def totals(per_file: dict[str, FilePlans], rows: list[tuple[Any, ...]]) -> dict[str, Any]:
    annotated = sum(fp.metrics for fp in per_file.values())
    in_plans = sum(fp.in_plans for fp in per_file.values())
    return {"metrics_all_documents": len(rows), "metrics_annotated_files": annotated, "metrics_in_plans": in_plans,
            "share_in_plans": round(in_plans / annotated, 4) if annotated else 0.0,
            "metrics_without_offset": sum(fp.no_offset for fp in per_file.values()),
            "files_counted": len(per_file),
            "files_with_metrics_in_plans": sum(fp.in_plans > 0 for fp in per_file.values())}


def print_report(r: Robustness, tot: dict[str, Any], per_file: dict[str, FilePlans], warnings: list[str]) -> None:
    for doc_id, error in r.failures:
        print(f"FAILED {doc_id}: {error}")
    for loss in r.losses:
        print(f"LOST {loss}")
    for warning in warnings:
        print(f"WARNING {warning}", file=sys.stderr)
    print(f"metrics: {tot['metrics_annotated_files']} in {tot['files_counted']} annotated files "
          f"({tot['metrics_all_documents']} in all documents), {tot['metrics_in_plans']} start inside plans spans "
          f"({tot['share_in_plans']:.1%}), in {tot['files_with_metrics_in_plans']} files; "
          f"{tot['metrics_without_offset']} without offset")
    top = sorted(per_file.items(), key=lambda kv: (-kv[1].in_plans, kv[0]))[:TOP]
    for name, fp in top:
        print(f"{fp.in_plans:5d} / {fp.metrics:<5d} {name}")
        for example in fp.examples:
            print(f"              {example[:110]}")
    print(r.verdict())


def write_json(out: str, args: argparse.Namespace, summary: Any, r: Robustness, tot: dict[str, Any],
               per_file: dict[str, FilePlans], warnings: list[str]) -> None:
    data = {"corpus": args.corpus, "annotations": args.annotations, "backend": args.backend, "model": args.model,
            "run_id": summary.run_id, "prompt_version": summary.prompt_version, "verdict": r.verdict(),
            "robustness": asdict(r), "totals": tot, "warnings": warnings,
            "files": {name: asdict(fp) for name, fp in sorted(per_file.items())}}
    Path(out).write_text(json.dumps(data, ensure_ascii=False, indent=1), encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    args.db = args.db or str(Path(tempfile.mkdtemp(prefix="corpus-check-")) / "corpus.duckdb")
    corpus = Path(args.corpus)
    annotations = json.loads(Path(args.annotations).read_text(encoding="utf-8"))
    print(f"extracting {corpus} with the {args.backend} backend into {args.db}", file=sys.stderr)
    summary = run_extract(corpus, make_options(args))
    if summary is None:
        print("extraction crashed")
        return 1
    files = corpus_files(corpus)
    with api.open_store(args.db) as store:
        doc_of = docs_of_files(store, files)
        r = robustness(store, summary.run_id, files, doc_of, summary.rejected)
        warnings: list[str] = []
        spans = annotated_spans(corpus, annotations, doc_of, store, warnings)
        rows = run_metrics(store, summary.run_id)
    names = {doc_of[corpus / n]: n for n in annotations["files"] if corpus / n in doc_of}
    per_file = count_plans(rows, spans, names)
    tot = totals(per_file, rows)
    print_report(r, tot, per_file, warnings)
    if args.json_out:
        write_json(args.json_out, args, summary, r, tot, per_file, warnings)
    return 0 if r.passed else 1


if __name__ == "__main__":
    sys.exit(main())
