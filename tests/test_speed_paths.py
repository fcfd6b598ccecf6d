"""The fast paths give the results of the slow ones: the offline rules in a process pool as in this
process, a batch of outcomes written in one statement per table as one at a time (and all or nothing),
the one-pass normalisation map and the count of wide characters as their per-character definitions,
and each stored item's evidence as the stretch of its document between its offsets."""

import json
import subprocess
import sys
import unicodedata
from pathlib import Path

import duckdb
import pytest
from conftest import SAMPLES
from fazhi.agent import api, pool
from fazhi.agent.chunking import wide_count
from fazhi.agent.grounding import QUOTES, normalise_with_map
from fazhi.agent.store import Store
from fazhi.schemas.genre import GENRE


def numbered_reports(folder: Path, copies: int) -> list[str]:
    """Distinct reports: each sample again with a line naming its copy."""
    folder.mkdir()
    texts = []
    for k in range(copies):
        for sample in sorted(SAMPLES.glob("*.txt")):
            text = sample.read_text(encoding="utf-8") + f"\n（第{k}份）\n"
            (folder / f"{k}-{sample.name}").write_text(text, encoding="utf-8")
            texts.append(text)
    return texts


def test_the_pool_gives_the_in_process_results_in_input_order(tmp_path: Path) -> None:
    texts = numbered_reports(tmp_path / "reports", 2)
    given = [(f"doc{i}", text) for i, text in enumerate(texts)]
    pooled = list(pool.map_rules(GENRE, given, workers=2))
    assert [doc_id for doc_id, _, _ in pooled] == [doc_id for doc_id, _ in given]
    assert [error for _, _, error in pooled] == [None] * len(given)
    assert [r.model_dump() for _, r, _ in pooled] == [GENRE.offline(text).model_dump() for text in texts]


def test_chunks_keep_the_order_and_every_document() -> None:
    texts = [(f"d{i}", "字" * (i * 37 % 500 + 1)) for i in range(40)]
    cut = pool.chunks(texts, 6)
    assert [t for c in cut for t in c] == texts and 4 <= len(cut) <= 8


def test_a_small_run_stays_in_this_process(tmp_path: Path) -> None:
    texts = numbered_reports(tmp_path / "reports", 1)
    docs, _ = api.ingest([tmp_path / "reports"], api.Options(db=str(tmp_path / "x.duckdb")))
    assert len(texts) < pool.MIN_DOCS and pool.workers_for(docs, cores=2) == 0
    assert pool.workers_for(docs * 10, cores=1) == 0


def stored(db: Path) -> list[tuple]:
    with Store(db, GENRE, read_only=True) as store:
        return store.query(
            "SELECT doc_id, idx, name, value, unit, evidence, start, \"end\" FROM latest_metrics"
            " UNION ALL SELECT doc_id, idx, summary, NULL, category, evidence, start, \"end\" FROM latest_issues"
            " ORDER BY ALL")[1]


def test_an_offline_run_through_the_pool_stores_what_one_in_process_stores(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    numbered_reports(tmp_path / "reports", 2)
    monkeypatch.setattr(pool, "MIN_CHARS", 10**12)
    alone = api.extract([tmp_path / "reports"], api.Options(backend="offline", db=str(tmp_path / "alone.duckdb")))
    monkeypatch.setattr(pool, "MIN_CHARS", 0)
    monkeypatch.setattr(pool.os, "cpu_count", lambda: 2)
    pooled = api.extract([tmp_path / "reports"], api.Options(backend="offline", db=str(tmp_path / "pool.duckdb")))
    assert alone.ok and pooled.ok and pooled.done == alone.done == 10
    assert stored(tmp_path / "pool.duckdb") == stored(tmp_path / "alone.duckdb") != []


FORK_SPY = """
import os, sys, threading
from fazhi.agent import pool
from fazhi.agent.cli import app
pool.MIN_DOCS, pool.MIN_CHARS = 2, 0
fork = os.fork
def spy():
    print("threads at fork:", threading.active_count(), file=sys.stderr)
    return fork()
os.fork = spy
sys.argv = ["fazhi", "extract", sys.argv[1], "--backend", "offline", "--db", sys.argv[2]]
app()
"""


def test_the_pool_forks_its_workers_while_this_process_has_one_thread(tmp_path: Path) -> None:
    """A fork while another thread (DuckDB's, an executor's) holds a lock can deadlock the child (Python 3.12+
    warns); the workers start before the database is opened or any thread is."""
    done = subprocess.run([sys.executable, "-c", FORK_SPY, str(SAMPLES), str(tmp_path / "f.duckdb")],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    forks = [line for line in done.stderr.splitlines() if line.startswith("threads at fork:")]
    assert forks and set(forks) == {"threads at fork: 1"}


def test_each_stored_item_quotes_its_document_between_its_offsets(tmp_path: Path) -> None:
    db = tmp_path / "x.duckdb"
    api.extract([SAMPLES], api.Options(backend="offline", db=str(db)))
    with Store(db, GENRE, read_only=True) as store:
        for table in ("latest_metrics", "latest_issues"):
            n, differing = store.query(
                f"SELECT count(*), count(*) FILTER (WHERE x.evidence IS DISTINCT FROM substr(d.text, x.start + 1,"
                f" x.\"end\" - x.start)) FROM {table} x JOIN documents d USING (doc_id)")[1][0]
            assert n > 0 and differing == 0, table


def outcome(doc_id: str, status: str = "ok", metrics: int = 2) -> tuple[dict, dict | None, list]:
    record = {"run_id": 1, "doc_id": doc_id, "backend": "llm", "model": "m", "prompt_version": "p",
              "status": status, "error": None if status == "ok" else "boom"}
    result = {"meta": {"title": f"t-{doc_id}", "report_year": 2022, "published_date": "2022-03-01"},
              "metrics": [{"name": f"m{i}", "value": i + 0.5, "unit": "件", "evidence": "某", "start": i, "end": i + 1}
                          for i in range(metrics)], "issues": []}
    return record, result if status == "ok" else None, []


def rows(db: Path, sql: str) -> list[tuple]:
    with Store(db, GENRE, read_only=True) as store:
        return store.query(sql)[1]


def test_a_batch_replaces_earlier_results_as_single_saves_do(tmp_path: Path) -> None:
    db = tmp_path / "x.duckdb"
    with Store(db, GENRE) as store:
        store.save_extractions([outcome("a", metrics=3), outcome("b"), outcome("c", "failed")])
        store.save_extractions([outcome("a", "failed"), outcome("b", metrics=1), outcome("c", "failed"),
                                outcome("b", metrics=4)])  # b twice in one batch: the later one stands
    assert rows(db, "SELECT doc_id, status, count(*) FROM extractions GROUP BY ALL ORDER BY ALL") == [
        ("a", "failed", 1), ("a", "ok", 1), ("b", "ok", 1), ("c", "failed", 1)]
    assert rows(db, "SELECT doc_id, count(*) FROM latest_metrics GROUP BY ALL ORDER BY ALL") == [("a", 3), ("b", 4)]
    assert rows(db, "SELECT title, published_date::VARCHAR FROM meta ORDER BY 1") == [
        ("t-a", "2022-03-01"), ("t-b", "2022-03-01")]


def test_a_batch_is_written_whole_or_not_at_all(tmp_path: Path) -> None:
    db = tmp_path / "x.duckdb"
    bad = outcome("z")
    bad[1]["metrics"][0]["no_such_column"] = "x"
    with Store(db, GENRE) as store:
        store.save_extractions([outcome("a")])
        with pytest.raises(duckdb.BinderException, match="no_such_column"):
            store.save_extractions([outcome("b"), outcome("c"), bad])
    assert rows(db, "SELECT doc_id FROM extractions") == [("a",)]
    assert rows(db, "SELECT count(*) FROM metrics") == [(2,)]


def per_character(text: str) -> tuple[str, list[int]]:
    """The definition: each character's NFKC form, whitespace dropped, quote marks folded."""
    chars, index = [], []
    for i, ch in enumerate(text):
        for out in unicodedata.normalize("NFKC", ch):
            if not out.isspace():
                chars.append(out)
                index.append(i)
    return "".join(chars).translate(QUOTES), index


@pytest.mark.parametrize("text", [
    "", "   ", "abc", "全年办理１２０件，同比增长５％……", "“引号”「括号」‘单’ ﬁ ㍱ ① \u3000e\u0301\t\n",
    "".join(chr(c) for c in range(0x20, 0x3100)), (SAMPLES / "dongyang-2022.txt").read_text(encoding="utf-8"),
])
def test_the_normalisation_map_is_the_per_character_definition(text: str) -> None:
    assert normalise_with_map(text) == per_character(text)


@pytest.mark.parametrize("text", [
    "", "abc", "\u2e80\u2e81", "全年办理１２０件，同比增长５％……😀", "".join(chr(c) for c in range(0x20, 0x3100)),
    (SAMPLES / "dongyang-2022.txt").read_text(encoding="utf-8"),
])
def test_the_wide_count_is_the_per_character_definition(text: str) -> None:
    assert wide_count(text) == sum(1 for ch in text if ord(ch) > 0x2E80)


def test_reports_count_each_reports_items(tmp_path: Path) -> None:
    db = tmp_path / "x.duckdb"
    api.extract([SAMPLES], api.Options(backend="offline", db=str(db)))
    counted = rows(db, "SELECT doc_id, n_metrics, n_issues FROM reports ORDER BY 1")
    assert counted == rows(db, "SELECT e.doc_id,"
                               " (SELECT count(*) FROM metrics x WHERE x.extraction_id = e.extraction_id),"
                               " (SELECT count(*) FROM issues x WHERE x.extraction_id = e.extraction_id)"
                               " FROM latest_extractions e ORDER BY 1")
    assert len(counted) == 5 and all(n > 0 for _, n, _ in counted)
    assert rows(db, "SELECT count(*) FROM latest_metrics") == rows(db, "SELECT sum(n_metrics) FROM reports")


def test_a_layout_written_down_reads_back_as_the_same_layout() -> None:
    """The genre's LayoutCodec over every seed and held-out fixture in every text form of the invariance tests."""
    from fazhi.evals.fixtures_io import load_fixtures
    from fazhi.evals.forms import TEXT_FORMS

    codec = GENRE.layout_codec
    assert codec is not None
    root = Path(__file__).resolve().parents[1] / "evals"
    fixtures = [f for folder in ("fixtures", "heldout-dev3", "heldout-forms") for f in load_fixtures(root / folder)]
    for fixture in fixtures:
        for text in [fixture.source, *(dress(fixture) for dress in TEXT_FORMS.values())]:
            layout = GENRE.segment(text)
            back = codec.load(text, json.loads(json.dumps(codec.dump(layout), ensure_ascii=False)))
            assert (back.text, back.parts) == (layout.text, layout.parts)
            for start in range(0, len(layout.text), 101):
                end = min(start + 40, len(layout.text))
                assert back.raw_span(start, end) == layout.raw_span(start, end)
            assert back.context(len(layout.text) // 2) == layout.context(len(layout.text) // 2)


def test_a_layout_that_does_not_fit_the_text_is_refused() -> None:
    codec = GENRE.layout_codec
    assert codec is not None
    text = (SAMPLES / "huzhu-2024.txt").read_text(encoding="utf-8")
    data = codec.dump(GENRE.segment(text))
    with pytest.raises(ValueError):
        codec.load(text[:100], data)
    with pytest.raises(ValueError):
        codec.load(text, {"reading": data["reading"], "parts": [["achievements", 0, len(text) * 2]]})
    with pytest.raises(ValueError):
        codec.load(text, {"parts": []})
