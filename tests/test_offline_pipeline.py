"""The offline backend through the whole pipeline: stored, grounded, deterministic, resumable."""

import json
from pathlib import Path

from fazhi.agent import api


def query(sql: str) -> list[tuple]:
    with api.open_store() as store:
        return store.query(sql)[1]


def test_offline_extract_stores_grounded_items_for_every_sample(samples: Path) -> None:
    summary = api.extract([samples], api.Options(backend="offline"))
    assert (summary.done, summary.failed, summary.requests) == (5, 0, 0)
    assert summary.items["metrics"] > 250 and summary.items["issues"] >= 10
    for table in ("metrics", "issues"):
        rows = query(f"SELECT x.evidence, substr(d.text, x.start + 1, x.\"end\" - x.start) FROM {table} x "
                     "JOIN documents d USING (doc_id)")
        assert all(evidence == located for evidence, located in rows)


def test_offline_results_are_identical_on_a_second_forced_run(samples: Path) -> None:
    api.extract([samples], api.Options(backend="offline"))
    first = query("SELECT doc_id, result FROM extractions ORDER BY doc_id")
    again = api.extract([samples], api.Options(backend="offline", force=True))
    assert again.done == 5
    second = query("SELECT doc_id, result FROM extractions ORDER BY doc_id")
    assert [(d, json.loads(r)) for d, r in first] == [(d, json.loads(r)) for d, r in second]


def test_offline_run_skips_documents_already_done_with_the_same_rules(samples: Path) -> None:
    api.extract([samples], api.Options(backend="offline"))
    again = api.extract([samples], api.Options(backend="offline"))
    assert (again.skipped, again.done) == (5, 0)
    assert query("SELECT count(*) FROM reports WHERE prompt_version LIKE 'rules-%'") == [(5,)]
