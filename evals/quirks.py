"""Real models' quirks, one at a time, on top of a perfect fake model; and what fazhi makes of them.

Each quirk rewrites the perfect model's answer the way real models do (a reasoning block with braces
before the JSON, a fenced answer, numbers as strings, straight quotes for curly ones, spaces around
numbers in quotes, 万 left out of a value, a clause quoting a year as a metric, an invented item, a
provider's reasoning_content field, an answer cut at the output limit). The benchmark runs the seed
fixtures through the model path under each quirk and prints, per quirk: gold metrics stored, items
dropped, items stored with a wrong value, requests per document, and prompt characters per document
character.

    python -m fazhi.evals.quirks [--fixtures evals/fixtures] [--quirks think fence ...] [--json OUT]

The model path runs as against a provider whose output limit is 8,192 tokens (FAZHI_MAX_TOKENS, as
DeepSeek's); the `truncated` quirk cuts answers at 4,096 characters all the same.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import tempfile
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from fazhi.agent.grounding import normalise
from fazhi.evals.fakellm import FakeLLM, Reply, document_of, perfect_brain
from fazhi.evals.fixtures_io import Fixture, load_fixtures

Brain = Callable[[dict[str, Any]], Any]
TRUNCATE_AT = 4096  # characters of answer a provider's output limit lets through (4,096 tokens is common)
CURLY = str.maketrans({"“": '"', "”": '"', "‘": "'", "’": "'"})
SCALED = re.compile(r"(\d+(?:\.\d+)?)\s*(万|亿)")
YEAR_CLAUSE = re.compile(r"[^，。；,;\n]{0,12}((?:19|20)\d{2})年[^，。；,;\n]{0,12}")


def dumps(payload: Any) -> str:
    return json.dumps(payload, ensure_ascii=False)


def items(payload: Any, key: str) -> list[dict[str, Any]]:
    return payload.get(key, []) if isinstance(payload, dict) else []


def think(request: dict[str, Any], payload: Any) -> Reply:
    thought = '<think>先列出数字：{"metrics": ["草稿"]}，再逐条核对原文。{未完成的想法</think>\n'
    return Reply(raw_content=thought + dumps(payload))


def fence(request: dict[str, Any], payload: Any) -> Reply:
    return Reply(raw_content=f"```json\n{dumps(payload)}\n```")


def reasoning_field(request: dict[str, Any], payload: Any) -> Reply:
    return Reply(body=payload, reasoning='先找出全部数字 {"metrics": []}，然后核对。')


def straight_quotes(request: dict[str, Any], payload: Any) -> Reply:
    for key in ("metrics", "issues"):
        for item in items(payload, key):
            item["evidence"] = item["evidence"].translate(CURLY)
    return Reply(body=payload)


def numeric_strings(request: dict[str, Any], payload: Any) -> Reply:
    for item in items(payload, "metrics"):
        value = item["value"]
        item["value"] = f"{int(value):,}" if float(value).is_integer() else str(value)
    return Reply(body=payload)


def spaced_numbers(request: dict[str, Any], payload: Any) -> Reply:
    for item in items(payload, "metrics"):
        item["evidence"] = re.sub(r"(\d+(?:\.\d+)?)", r" \1 ", item["evidence"])
    return Reply(body=payload)


def unscaled(request: dict[str, Any], payload: Any) -> Reply:
    """万 and 亿 left out of the value: 2.3万人 answered as 2.3."""
    for item in items(payload, "metrics"):
        written = SCALED.search(item["evidence"])
        if written and float(item["value"]) == float(written[1]) * (1e4 if written[2] == "万" else 1e8):
            item["value"] = float(written[1])
    return Reply(body=payload)


def year_clause(request: dict[str, Any], payload: Any) -> Reply:
    clause = YEAR_CLAUSE.search(document_of(request))
    if clause and "metrics" in payload:
        payload["metrics"].append({"name": "年份", "value": int(clause[1]), "unit": "年", "qualifier": "exact",
                                   "category": "other", "canonical": None, "evidence": clause.group()})
    return Reply(body=payload)


def invented(request: dict[str, Any], payload: Any) -> Reply:
    if "metrics" in payload:
        payload["metrics"].append({"name": "虚构指标", "value": 99, "unit": "件", "qualifier": "exact",
                                   "category": "other", "canonical": None, "evidence": "全年共办理虚构案件99件"})
    return Reply(body=payload)


def truncated(request: dict[str, Any], payload: Any) -> Reply:
    content = dumps(payload)
    if len(content) <= TRUNCATE_AT:
        return Reply(body=payload)
    return Reply(raw_content=content[:TRUNCATE_AT], finish_reason="length")


QUIRKS: dict[str, Callable[[dict[str, Any], Any], Reply]] = {
    "none": lambda request, payload: Reply(body=payload), "think": think, "fence": fence,
    "reasoning_field": reasoning_field, "straight_quotes": straight_quotes, "numeric_strings": numeric_strings,
    "spaced_numbers": spaced_numbers, "unscaled": unscaled, "year_clause": year_clause, "invented": invented,
    "truncated": truncated,
}


def quirky(brain: Brain, quirk: str) -> Brain:
    """`brain` answering with `quirk`; asked again about some items with their problems, it answers
    those items right (or leaves them out when the text has no such item), as a good model does."""
    def answer(request: dict[str, Any]) -> Reply:
        payload = brain(request)
        reask = str(request["messages"][-1].get("content") or "")
        if len(request["messages"]) > 2 and "failed the checks" in reask:
            return Reply(body=asked_about(payload, reask))
        return QUIRKS[quirk](request, payload)
    return answer


def asked_about(payload: dict[str, Any], reask: str) -> dict[str, Any]:
    """The items of a right answer that the re-ask names (by their quotes)."""
    quoted = [normalise(q) for q in re.findall(r'"evidence": "((?:[^"\\]|\\.)*)"', reask)]
    def named(item: dict[str, Any]) -> bool:
        mine = normalise(item["evidence"])
        return any(q and (q in mine or mine in q) for q in quoted)
    return {key: [i for i in value if named(i)] if isinstance(value, list) else value
            for key, value in payload.items()}


@dataclass(frozen=True)
class QuirkScore:
    quirk: str
    gold: int
    stored_right: int  # gold metrics matched (value, unit and span)
    stored_wrong: int  # stored metrics over a gold metric's evidence with another value or unit
    dropped: int
    failed_docs: int
    requests_per_doc: float
    prompt_chars_per_doc_char: float


def run_quirk(fixtures: list[Fixture], quirk: str, work: Path) -> QuirkScore:
    from fazhi.agent import api
    from fazhi.agent.documents import read_document
    from fazhi.evals.runner import prediction, stored_result
    from fazhi.evals.scoring import score_fixture

    right = wrong = gold = dropped = failed = 0
    with FakeLLM() as fake:
        opts = api.Options(backend="llm", base_url=fake.base_url, model="perfect", api_key="k",
                           db=str(work / f"{quirk}.duckdb"), use_cache=False, force=True)
        for fixture in fixtures:
            fake.brain = quirky(perfect_brain(fixture.gold, fixture.source), quirk)
            run = api.extract([fixture.source_path], opts)
            dropped, failed = dropped + run.dropped, failed + run.failed
            with api.open_store(opts.db) as store:
                pred = prediction(fixture, stored_result(store, read_document(fixture.source_path).doc_id, run))
            score = score_fixture(fixture.fixture_id, fixture.source, fixture.gold, pred)
            gold += score.metrics.gold
            right += score.metrics.matched
            wrong += sum(1 for o in score.outcomes if o.kind == "metric" and o.outcome == "spurious"
                         and o.pred_span is not None and overlaps_gold(o.pred_span, score))
        prompt_chars = sum(len(str(m.get("content") or "")) for r in fake.requests for m in r["messages"])
        requests = len(fake.requests)
    doc_chars = sum(len(f.source) for f in fixtures)
    return QuirkScore(quirk, gold, right, wrong, dropped, failed, requests / len(fixtures),
                      round(prompt_chars / doc_chars, 2))


def overlaps_gold(span: tuple[int, int], score: Any) -> bool:
    golds = [o.gold_span for o in score.outcomes if o.kind == "metric" and o.gold_span is not None]
    return any(a < span[1] and span[0] < b for a, b in golds)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--fixtures", type=Path, default=Path(__file__).resolve().parent / "fixtures")
    parser.add_argument("--quirks", nargs="*", default=list(QUIRKS), choices=list(QUIRKS))
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    fixtures = load_fixtures(args.fixtures)
    os.environ.setdefault("FAZHI_MAX_TOKENS", "8192")
    rows = []
    print("quirk            gold  stored  wrong  dropped  failed docs  requests/doc  prompt chars/doc char")
    with tempfile.TemporaryDirectory() as tmp:
        for quirk in args.quirks:
            s = run_quirk(fixtures, quirk, Path(tmp))
            rows.append(s)
            print(f"{s.quirk:16} {s.gold:5} {s.stored_right:7} {s.stored_wrong:6} {s.dropped:8} {s.failed_docs:12}"
                  f" {s.requests_per_doc:13.1f} {s.prompt_chars_per_doc_char:22.2f}", flush=True)
    if args.json:
        args.json.write_text(json.dumps([asdict(r) for r in rows], ensure_ascii=False, indent=1), encoding="utf-8")
    sys.exit(0)


if __name__ == "__main__":
    main()
