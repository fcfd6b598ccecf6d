"""The review loop without a browser: corrections through the web app (Starlette's TestClient), the
reviewed_* views, reviewed_result, the table exports and the gold fixtures they make."""

import copy
import json
import re
import shutil
from collections.abc import Iterator
from enum import StrEnum
from pathlib import Path
from typing import Any

import duckdb
import httpx
import pytest
from fazhi.agent import api
from fazhi.agent.cli import app as cli
from fazhi.agent.review import pages
from fazhi.agent.review.app import create_app
from fazhi.agent.review.corrections import reviewed_result
from fazhi.agent.review.fields import ReviewSchema, field_specs, item_model
from fazhi.agent.store import Store
from fazhi.evals import runner as evals_runner
from fazhi.evals.fakellm import FakeLLM
from pydantic import BaseModel
from starlette.testclient import TestClient
from typer.testing import CliRunner

SAMPLES = Path(__file__).resolve().parent.parent / "samples"
ADDED = "在18个镇乡街道成立派出机构"


@pytest.fixture(scope="module")
def extracted(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The five samples extracted once with the offline backend; each test gets its own copy."""
    db = tmp_path_factory.mktemp("review") / "fazhi.duckdb"
    summary = api.extract([SAMPLES], api.Options(backend="offline", db=str(db)))
    assert summary.done == 5
    return db


@pytest.fixture
def db(extracted: Path, tmp_path: Path) -> Path:
    copy_path = tmp_path / "fazhi.duckdb"
    shutil.copy(extracted, copy_path)
    return copy_path


class Session:
    """A browser's session with the app: its cookie and the CSRF token of its pages."""

    def __init__(self, store: Store, reviewer: str | None = "ana") -> None:
        self.store = store
        self.client = TestClient(create_app(store.path, store.genre, reviewer, hosts=["testserver"]))
        self.token = csrf(self.client.get("/").text)

    def post(self, doc_id: str, **body: Any) -> httpx.Response:
        body.setdefault("extraction_id", extraction_of(self.store, doc_id))
        return self.client.post(f"/doc/{doc_id}/correct", json=body, headers={"X-CSRF-Token": self.token})


def csrf(page: str) -> str:
    found = re.search(r'name="csrf-token" content="([^"]+)"', page)
    assert found, "no CSRF token in the page"
    return found.group(1)


@pytest.fixture
def session(db: Path) -> Iterator[Session]:
    with api.open_store(str(db), read_only=False) as store:
        yield Session(store)


def doc_of(store: Store, name: str) -> str:
    _, rows = store.query("SELECT doc_id FROM document_paths WHERE path LIKE '%/' || ?", [name])
    return rows[0][0]


def extraction_of(store: Store, doc_id: str) -> int:
    _, rows = store.query("SELECT extraction_id FROM latest_extractions WHERE doc_id = ?", [doc_id])
    return int(rows[0][0])


def stored_result(store: Store, doc_id: str) -> dict[str, Any]:
    _, rows = store.query("SELECT result FROM latest_extractions WHERE doc_id = ?", [doc_id])
    return json.loads(rows[0][0])


def key(store: Store, doc_id: str, task: str, idx: int) -> str:
    page = Session(store).client.get(f"/doc/{doc_id}").text
    found = re.search(rf'data-task="{task}" data-key="({idx}:[0-9a-f]+)"', page)
    assert found
    return found.group(1)


def rows(store: Store, sql: str, params: list[Any] | None = None) -> list[dict[str, Any]]:
    columns, found = store.query(sql, params or [])
    return [dict(zip(columns, r)) for r in found]


def four_corrections(s: Session, doc_id: str) -> tuple[int, int]:
    """Reject metric 0, set metric 1's value to 391, add a metric, set the region; returns the added span."""
    text = s.store.query("SELECT text FROM documents WHERE doc_id = ?", [doc_id])[1][0][0]
    start = text.index(ADDED)
    assert s.post(doc_id, action="reject", task="metrics", key=key(s.store, doc_id, "metrics", 0)).status_code == 200
    edit = s.post(doc_id, action="edit", task="metrics", key=key(s.store, doc_id, "metrics", 1),
                  values={"value": "391"})
    assert edit.status_code == 200, edit.text
    added = s.post(doc_id, action="add", task="metrics", start=start, end=start + len(ADDED),
                   values={"name": "派出机构数", "value": "18", "unit": "个", "qualifier": "exact",
                           "category": "enforcement", "canonical": ""})
    assert added.status_code == 200, added.text
    assert s.post(doc_id, action="set", task="meta", values={"region": "东阳"}).status_code == 200
    return start, start + len(ADDED)


def expected_result(original: dict[str, Any], start: int, end: int) -> dict[str, Any]:
    want = copy.deepcopy(original)
    del want["metrics"][0]
    want["metrics"][0]["value"] = 391.0
    want["metrics"].append({"name": "派出机构数", "value": 18.0, "unit": "个", "qualifier": "exact",
                            "category": "enforcement", "canonical": None, "evidence": ADDED, "start": start,
                            "end": end})
    want["meta"]["region"] = "东阳"
    return want


def test_corrections_are_rows_and_the_extraction_is_untouched(session: Session) -> None:
    doc_id = doc_of(session.store, "dongyang-2022.txt")
    original = stored_result(session.store, doc_id)
    start, end = four_corrections(session, doc_id)
    assert session.post(doc_id, action="reviewed").status_code == 200
    found = rows(session.store, "SELECT task, item_idx, action, old_value, new_value, reviewer FROM corrections"
                                " ORDER BY correction_id")
    for row in found:
        row["old_value"], row["new_value"] = (json.loads(v) if v else None for v in (row["old_value"],
                                                                                      row["new_value"]))
    assert [(r["task"], r["item_idx"], r["action"], r["reviewer"]) for r in found] == [
        ("metrics", 0, "reject", "ana"), ("metrics", 1, "edit", "ana"), ("metrics", None, "add", "ana"),
        ("meta", None, "set", "ana"), (None, None, "reviewed", "ana")]
    assert found[0]["old_value"] == original["metrics"][0] and found[0]["new_value"] is None
    assert (found[1]["old_value"], found[1]["new_value"]) == ({"value": 390.0}, {"value": 391.0})
    assert found[2]["new_value"]["evidence"] == ADDED and found[2]["new_value"]["start"] == start
    assert (found[3]["old_value"], found[3]["new_value"]) == ({"region": "东阳市"}, {"region": "东阳"})
    assert stored_result(session.store, doc_id) == original
    assert reviewed_result(session.store, doc_id) == expected_result(original, start, end)


def test_reviewed_views_give_the_corrected_rows(session: Session) -> None:
    doc_id = doc_of(session.store, "dongyang-2022.txt")
    n_before = len(stored_result(session.store, doc_id)["metrics"])
    start, end = four_corrections(session, doc_id)
    metrics = rows(session.store, "SELECT * FROM reviewed_metrics WHERE doc_id = ? ORDER BY idx", [doc_id])
    assert len(metrics) == n_before  # one rejected, one added
    assert (metrics[0]["value"], metrics[0]["unit"], metrics[0]["name"]) == (391.0, "人次", "专题法治学习人次")
    assert {k: metrics[-1][k] for k in ("idx", "name", "value", "unit", "category", "canonical", "evidence", "start",
                                        "end")} == {
        "idx": n_before - 1, "name": "派出机构数", "value": 18.0, "unit": "个", "category": "enforcement",
        "canonical": None, "evidence": ADDED, "start": start, "end": end}
    meta = rows(session.store, "SELECT region, report_year, reviewed FROM reviewed_meta WHERE doc_id = ?", [doc_id])
    assert meta == [{"region": "东阳", "report_year": 2022, "reviewed": False}]
    session.post(doc_id, action="reviewed")
    assert rows(session.store, "SELECT DISTINCT reviewed FROM reviewed_issues WHERE doc_id = ?", [doc_id]) == [
        {"reviewed": True}]
    others = rows(session.store, "SELECT count(*) AS n FROM reviewed_metrics WHERE doc_id <> ?", [doc_id])
    assert others[0]["n"] == rows(session.store, "SELECT count(*) AS n FROM latest_metrics WHERE doc_id <> ?",
                                  [doc_id])[0]["n"]


def test_exported_gold_is_the_corrected_result_with_every_start(session: Session, tmp_path: Path) -> None:
    doc_id = doc_of(session.store, "dongyang-2022.txt")
    original = stored_result(session.store, doc_id)
    start, end = four_corrections(session, doc_id)
    session.post(doc_id, action="reviewed")
    session.store.close()
    result = CliRunner().invoke(cli, ["fixtures", "export", str(tmp_path / "gold"), "--db", session.store.path,
                                      "--reviewed-only"])
    assert result.exit_code == 0, result.output
    assert result.stdout.split() == [str(tmp_path / "gold" / "dongyang-2022")]
    folder = tmp_path / "gold" / "dongyang-2022"
    want = expected_result(original, start, end)
    want = {"fixture_id": "dongyang-2022", "meta": want["meta"],
            "metrics": [{k: v for k, v in m.items() if k != "end"} for m in want["metrics"]],
            "issues": [{k: v for k, v in i.items() if k != "end"} for i in want["issues"]]}
    assert json.loads((folder / "gold.json").read_text(encoding="utf-8")) == want
    assert (folder / "source.txt").read_bytes() == (SAMPLES / "dongyang-2022.txt").read_bytes()


def test_exported_gold_scores_perfectly_against_the_offline_backend(db: Path, tmp_path: Path) -> None:
    runner = CliRunner()
    exported = runner.invoke(cli, ["fixtures", "export", str(tmp_path / "gold"), "--db", str(db)])
    assert exported.exit_code == 0, exported.output
    assert len(exported.stdout.split()) == 5
    scored = runner.invoke(cli, ["eval", "--fixtures", str(tmp_path / "gold"), "--db", str(tmp_path / "ev.duckdb"),
                                 "--out", str(tmp_path / "out")])
    assert scored.exit_code == 0, scored.output
    summary = json.loads((tmp_path / "out" / "summary.json").read_text(encoding="utf-8"))
    assert (summary["metrics"]["f1"], summary["issues"]["f1"], summary["meta"]["accuracy"]) == (1.0, 1.0, 1.0)
    assert summary["metrics"]["gold"] > 300


def test_fixture_ids_come_from_file_names_and_are_unique(tmp_path: Path) -> None:
    for folder in ("a", "b"):
        (tmp_path / folder).mkdir()
        shutil.copy(SAMPLES / ("huzhu-2024.txt" if folder == "a" else "nanyang-2022.txt"),
                    tmp_path / folder / "report.txt")
    api.extract([tmp_path / "a", tmp_path / "b"], api.Options(backend="offline", db="two.duckdb"))
    result = CliRunner().invoke(cli, ["fixtures", "export", "out", "--db", "two.duckdb"])
    assert result.exit_code == 0, result.output
    assert sorted(Path(p).name for p in result.stdout.split()) == ["report", "report-2"]
    ids = {json.loads(Path(p, "gold.json").read_text(encoding="utf-8"))["fixture_id"] for p in result.stdout.split()}
    assert ids == {"report", "report-2"}


def test_reviewed_only_export_without_reviews_writes_nothing(db: Path, tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["fixtures", "export", str(tmp_path / "g"), "--db", str(db), "--reviewed-only"])
    assert result.exit_code == 0 and result.stdout == ""
    assert "none is marked reviewed" in result.stderr


def test_corrections_carry_over_to_a_new_extraction_of_the_document(session: Session) -> None:
    doc_id = doc_of(session.store, "dongyang-2022.txt")
    original = stored_result(session.store, doc_id)
    start, end = four_corrections(session, doc_id)
    session.post(doc_id, action="reviewed")
    before = extraction_of(session.store, doc_id)
    session.store.close()
    api.extract([SAMPLES / "dongyang-2022.txt"], api.Options(backend="offline", db=session.store.path, force=True))
    with api.open_store(session.store.path, read_only=False) as store:
        assert extraction_of(store, doc_id) != before
        assert reviewed_result(store, doc_id) == expected_result(original, start, end)
        Session(store)  # opening the app refreshes the reviewed views
        meta = rows(store, "SELECT region, reviewed FROM reviewed_meta WHERE doc_id = ?", [doc_id])
        assert meta == [{"region": "东阳", "reviewed": False}]  # to be reviewed again
        assert rows(store, "SELECT count(*) AS n FROM reviewed_metrics WHERE doc_id = ? AND value = 391",
                    [doc_id]) == [{"n": 1}]


def test_accept_restores_a_rejected_item_and_no_change_records_nothing(session: Session) -> None:
    doc_id = doc_of(session.store, "huzhu-2024.txt")
    item = key(session.store, doc_id, "issues", 0)
    session.post(doc_id, action="reject", task="issues", key=item)
    assert len(reviewed_result(session.store, doc_id)["issues"]) == 2
    session.post(doc_id, action="accept", task="issues", key=item)
    assert reviewed_result(session.store, doc_id) == stored_result(session.store, doc_id)
    same = session.post(doc_id, action="set", task="meta", values={"report_year": "2024"})
    assert same.json() == {"ok": True, "correction_id": None}
    assert rows(session.store, "SELECT action FROM corrections ORDER BY correction_id") == [
        {"action": "reject"}, {"action": "accept"}]


def test_edits_and_added_items_can_be_corrected_again(session: Session) -> None:
    doc_id = doc_of(session.store, "dongyang-2022.txt")
    text = session.store.query("SELECT text FROM documents WHERE doc_id = ?", [doc_id])[1][0][0]
    start = text.index(ADDED)
    session.post(doc_id, action="add", task="issues", start=start, end=start + len(ADDED),
                 values={"summary": "s", "category": "other"})
    page = session.client.get(f"/doc/{doc_id}").text
    added = re.search(r'data-task="issues" data-key="(:[0-9a-f]+)"', page).group(1)
    assert session.post(doc_id, action="edit", task="issues", key=added, values={"category": "rules"}).json()["ok"]
    assert reviewed_result(session.store, doc_id)["issues"][-1]["category"] == "rules"
    session.post(doc_id, action="reject", task="issues", key=added)
    assert reviewed_result(session.store, doc_id) == stored_result(session.store, doc_id)


def test_bad_changes_are_refused_with_a_one_line_reason(session: Session) -> None:
    doc_id = doc_of(session.store, "dongyang-2022.txt")
    metric = key(session.store, doc_id, "metrics", 0)
    cases = [
        (dict(action="edit", task="metrics", key=metric, values={"value": "many"}), 400, "metrics.value"),
        (dict(action="edit", task="metrics", key=metric, values={"qualifier": "roughly"}), 400, "metrics.qualifier"),
        (dict(action="edit", task="metrics", key=metric, values={"evidence": "x"}), 400, "has no field 'evidence'"),
        (dict(action="set", task="meta", values={"published_date": "2023"}), 400, "YYYY-MM-DD"),
        (dict(action="add", task="metrics", start=5, end=5, values={}), 400, "Select the item's text"),
        (dict(action="add", task="meta", start=5, end=9, values={}), 400, "flat record"),
        (dict(action="edit", task="metrics", key="0:feedface", values={"value": 1}), 409, "reload the page"),
        (dict(action="reject", task="nothing", key=metric), 400, "Unknown task"),
        (dict(action="reject", task="metrics", key=metric, extraction_id=999), 409, "extracted again"),
        (dict(action="delete", task="metrics", key=metric), 400, "Bad request"),
    ]
    for body, status, words in cases:
        answer = session.post(doc_id, **body)
        assert (answer.status_code, words in answer.json()["error"]) == (status, True), (body, answer.text)
        assert "\n" not in answer.json()["error"]
    assert rows(session.store, "SELECT count(*) AS n FROM corrections") == [{"n": 0}]


def test_writes_need_the_sessions_csrf_token(session: Session) -> None:
    doc_id = doc_of(session.store, "dongyang-2022.txt")
    body = {"action": "reviewed", "extraction_id": extraction_of(session.store, doc_id)}
    url = f"/doc/{doc_id}/correct"
    assert session.client.post(url, json=body).status_code == 403
    assert session.client.post(url, json=body, headers={"X-CSRF-Token": "guess"}).status_code == 403
    stranger = TestClient(session.client.app)
    assert stranger.post(url, json=body, headers={"X-CSRF-Token": session.token}).status_code == 403
    assert session.client.get(url).status_code == 405
    assert rows(session.store, "SELECT count(*) AS n FROM corrections") == [{"n": 0}]
    assert session.post(doc_id, action="reviewed").status_code == 200


def test_only_local_host_names_are_served(db: Path) -> None:
    with api.open_store(str(db), read_only=False) as store:
        app = create_app(store.path, store.genre)
        assert TestClient(app, base_url="http://127.0.0.1:8765").get("/").status_code == 200
        assert TestClient(app, base_url="http://evil.example:8765").get("/").status_code == 400


def test_hostile_text_is_shown_as_text(tmp_path: Path) -> None:
    hostile = tmp_path / "hostile.html.txt"
    hostile.write_text("<script>alert(1)</script>{{ 7*7 }}关于XX市2022年法治政府建设情况的报告\n"
                       "一、主要工作\n全年办理行政复议案件12件<img src=x onerror=alert(2)>。\n", encoding="utf-8")
    api.extract([hostile], api.Options(backend="offline", db="h.duckdb"))
    with api.open_store("h.duckdb", read_only=False) as store:
        s = Session(store)
        doc_id = doc_of(store, "hostile.html.txt")
        s.post(doc_id, action="set", task="meta", values={"issuer": "<b>bold</b>", "region": "{{ 7*7 }}"})
        for url in ("/", f"/doc/{doc_id}", "/charts", "/?f_region=%3Cscript%3E"):
            page = s.client.get(url)
            assert page.status_code == 200
            assert "<script>alert" not in page.text and "<img src=x" not in page.text and "<b>bold" not in page.text
            assert "script-src 'self'" in page.headers["content-security-policy"]
        doc = s.client.get(f"/doc/{doc_id}").text
        assert "&lt;script&gt;alert(1)&lt;/script&gt;{{ 7*7 }}" in doc
        assert not re.search(r"[>;\s]49[<&\s]", doc)  # the template was never evaluated (a time 05:49 is fine)


def test_list_filters_and_pages(session: Session, monkeypatch: pytest.MonkeyPatch) -> None:
    doc_id = doc_of(session.store, "nanyang-2022.txt")
    session.post(doc_id, action="reviewed")
    page = session.client.get("/", params={"f_region": "南阳市"}).text
    assert "nanyang-2022.txt" in page and "huzhu-2024.txt" not in page and "1 document " in page
    assert "nanyang-2022.txt" in session.client.get("/", params={"status": "reviewed"}).text
    assert "nanyang-2022.txt" not in session.client.get("/", params={"status": "not_reviewed"}).text
    assert "xx-congress" in session.client.get("/", params={"f_region": "(empty)"}).text
    assert "conghua" in session.client.get("/", params={"f_title": "从化", "backend": "offline"}).text
    monkeypatch.setattr(pages, "PER_PAGE", 2)
    third = session.client.get("/", params={"page": "3"}).text
    assert "page 3 of 3" in third and third.count('href="/doc/') == 1


def test_document_page_marks_every_item_at_its_offsets(session: Session) -> None:
    doc_id = doc_of(session.store, "dongyang-2022.txt")
    page = session.client.get(f"/doc/{doc_id}").text
    text = session.store.query("SELECT text FROM documents WHERE doc_id = ?", [doc_id])[1][0][0]
    source = re.search(r'<pre id="source" class="source">(.*?)</pre>', page, re.S).group(1)
    spans = re.findall(r'<span class="([^"]*)" data-o="(\d+)"(?: data-keys="[^"]*")?>(.*?)</span>', source, re.S)
    import html
    assert "".join(html.unescape(t) for _, _, t in spans) == text
    assert all(text.startswith(html.unescape(t), int(o)) for _, o, t in spans)
    first = stored_result(session.store, doc_id)["metrics"][0]
    marked = [(int(o), c) for c, o, _ in spans if int(o) == first["start"]]
    assert marked and "hl" in marked[0][1]


def test_charts_are_svg_and_eval_runs_show_when_present(session: Session) -> None:
    page = session.client.get("/charts").text
    assert page.count("<svg") == 2 and "No eval runs" in page
    assert 'name="k_value"' in page and "canonical" in page and "report_year" in page and "region" in page
    picked = session.client.get("/charts", params={"k_value": "legal_aid_cases", "agg": "sum", "c_field": "category"})
    assert picked.status_code == 200 and "sum(value)" in picked.text
    session.store.migrate_set(evals_runner.NAMESPACE, evals_runner.MIGRATIONS)  # evals' tables: `fazhi eval` makes them
    session.store.db.execute("INSERT INTO eval_runs (backend, prompt_version, fixture_set, fixture_hash, n_fixtures,"
                             " status) VALUES ('offline', 'p', 'f', 'h', 5, 'ok'), ('offline', 'p', 'f', 'h', 5, 'ok')")
    session.store.db.execute("INSERT INTO eval_scores VALUES (1, '*', 'metrics', 'f1', 0.9), (2, '*', 'metrics', 'f1',"
                             " 0.95), (1, '*', 'meta', 'accuracy', 0.8), (2, '*', 'meta', 'accuracy', 0.85)")
    page = session.client.get("/charts").text
    assert page.count("<svg") == 3 and "Scores over eval runs" in page and "metrics.f1" in page


def test_export_writes_each_table_in_each_format(session: Session, tmp_path: Path, fake: FakeLLM) -> None:
    doc_id = doc_of(session.store, "dongyang-2022.txt")
    four_corrections(session, doc_id)
    session.store.close()
    api.extract([SAMPLES / "huzhu-2024.txt"], api.Options(base_url=fake.base_url, model="m", api_key="k",
                                                           db=session.store.path))
    runner = CliRunner()
    for fmt in ("parquet", "csv", "jsonl"):
        out = tmp_path / fmt
        result = runner.invoke(cli, ["export", "--db", session.store.path, "--format", fmt, "--out", str(out)])
        assert result.exit_code == 0, result.output
        names = [Path(p).name for p in result.stdout.split()]
        assert names == [f"{n}.{fmt}" for n in ("reports", "metrics", "issues", "corrections", "reviewed_meta",
                                                 "reviewed_metrics", "reviewed_issues")]
    read = {"parquet": "read_parquet", "csv": "read_csv_auto", "jsonl": "read_json_auto"}
    con = duckdb.connect()
    for fmt, reader in read.items():
        count = con.execute(f"SELECT count(*) FROM {reader}('{tmp_path / fmt / ('reports.' + fmt)}')").fetchone()
        assert count == (5,)
        assert con.execute(f"SELECT count(*) FROM {reader}('{tmp_path / fmt / ('corrections.' + fmt)}')"
                           ).fetchone() == (4,)
    all_runs = runner.invoke(cli, ["export", "--db", session.store.path, "--all-runs", "--out", str(tmp_path / "all"),
                                   "-f", "csv"])
    assert [Path(p).name for p in all_runs.stdout.split()] == ["reports.csv", "metrics.csv", "issues.csv",
                                                               "corrections.csv"]
    assert con.execute(f"SELECT count(*) FROM read_csv_auto('{tmp_path / 'all' / 'reports.csv'}')").fetchone() == (6,)
    bad = runner.invoke(cli, ["export", "--db", session.store.path, "--format", "xml"])
    assert bad.exit_code == 2 and "choose parquet, csv or jsonl" in bad.stderr


def test_review_migrations_are_their_own_set(session: Session) -> None:
    found = rows(session.store, "SELECT namespace, version, name FROM schema_migrations WHERE namespace = 'review'")
    assert found == [{"namespace": "review", "version": 1, "name": "001_corrections.sql"}]
    session.store.migrate_set("review", Path(__file__).resolve().parent.parent / "agent" / "review" / "migrations")
    assert len(rows(session.store, "SELECT * FROM schema_migrations WHERE namespace = 'review'")) == 1


class Colour(StrEnum):
    red = "red"
    blue = "blue"


class Thing(BaseModel):
    label: str
    size: float
    count: int | None = None
    colour: Colour = Colour.red
    ok: bool = False
    evidence: str


class Things(BaseModel):
    things: list[Thing]


def test_fields_and_widgets_come_from_any_answer_model() -> None:
    assert item_model(Things) is Thing
    specs = {f.name: (f.kind, f.widget, f.options, f.nullable) for f in field_specs(Thing)}
    assert specs == {"label": ("text", "text", (), False), "size": ("number", "number", (), False),
                     "count": ("integer", "number", (), True), "colour": ("enum", "select", ("red", "blue"), False),
                     "ok": ("boolean", "select", (), False)}
    schema = ReviewSchema.of(api.load_genre())
    assert [(t.name, t.chunked) for t in schema.tasks] == [("meta", False), ("metrics", True), ("issues", True)]
    assert schema.task("metrics").field("qualifier").options[0] == "exact"


def test_review_on_a_missing_database_says_how_to_make_one() -> None:
    result = CliRunner().invoke(cli, ["review", "--db", "none.duckdb", "--no-browser", "--port", "0"])
    assert result.exit_code == 2 and "No database at none.duckdb" in result.stderr
