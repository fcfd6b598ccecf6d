"""The review loop in a real browser: Playwright drives Debian's chromium (never a downloaded browser).

Skipped when /usr/bin/chromium is missing, unless CI is set: then it fails. With REVIEW_SHOTS=DIR it also
saves a screenshot of each page there.
"""

import json
import os
from pathlib import Path

import pytest
from fazhi.agent import api
from fazhi.agent.cli import app as cli
from fazhi.agent.review.server import running
from test_review import ADDED, SAMPLES, expected_result, rows
from typer.testing import CliRunner

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]
SELECT = """([start, end]) => {
  const walker = document.createTreeWalker(document.getElementById("source"), NodeFilter.SHOW_TEXT);
  const range = document.createRange();
  let pos = 0, started = false, node;
  while ((node = walker.nextNode())) {
    const len = node.data.length;
    if (!started && start <= pos + len) { range.setStart(node, start - pos); started = true; }
    if (end <= pos + len) { range.setEnd(node, end - pos); break; }
    pos += len;
  }
  const selection = window.getSelection();
  selection.removeAllRanges();
  selection.addRange(range);
}"""


def need_chromium() -> None:
    if CHROMIUM.exists():
        return
    if os.environ.get("CI"):
        pytest.fail("CI is set but /usr/bin/chromium is missing: install it with `apt-get install -y chromium`")
    pytest.skip("no /usr/bin/chromium (install it with `apt-get install -y chromium`); CI fails here instead")


def shoot(page, name: str) -> None:  # type: ignore[no-untyped-def]
    folder = os.environ.get("REVIEW_SHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(folder) / f"{name}.png"), full_page=name != "document")


def test_review_a_document_in_a_browser_and_export_it(tmp_path: Path) -> None:
    need_chromium()
    from playwright.sync_api import expect, sync_playwright

    db = str(tmp_path / "fazhi.duckdb")
    assert api.extract([SAMPLES], api.Options(backend="offline", db=db)).done == 5
    with api.open_store(db) as store:
        doc_id = rows(store, "SELECT doc_id FROM document_paths WHERE path LIKE '%/dongyang-2022.txt'")[0]["doc_id"]
        original = json.loads(rows(store, "SELECT result FROM latest_extractions WHERE doc_id = ?", [doc_id])[0]
                              ["result"])
        text = rows(store, "SELECT text FROM documents WHERE doc_id = ?", [doc_id])[0]["text"]
    start, end = text.index(ADDED), text.index(ADDED) + len(ADDED)
    errors: list[str] = []
    with running(db, api.load_genre(), "bob") as url, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        page = browser.new_page(viewport={"width": 1440, "height": 900})
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(url)
        expect(page.locator("table.docs tbody tr")).to_have_count(5)
        shoot(page, "list")
        page.get_by_role("link", name="dongyang-2022.txt").click()
        expect(page.locator("h1")).to_have_text("dongyang-2022.txt")

        def act(locator) -> None:  # type: ignore[no-untyped-def]
            with page.expect_navigation():
                locator.click()

        metrics = page.locator('li.item[data-task="metrics"]')
        act(metrics.nth(0).get_by_role("button", name="reject"))
        expect(metrics.nth(0)).to_have_class("item rejected")
        second = metrics.nth(1)
        second.get_by_role("button", name="edit").click()
        second.locator('form.edit input[name="value"]').fill("391")
        act(second.locator("form.edit").get_by_role("button", name="Save"))

        page.evaluate(SELECT, [start, end])
        expect(page.locator("#sel-span")).to_have_text(f"[{start}, {end})")
        expect(page.locator("#sel-text")).to_have_text(ADDED)
        fields = page.locator('.add-fields[data-task="metrics"]')
        page.locator("#add-task").select_option("metrics")
        fields.locator('input[name="name"]').fill("派出机构数")
        fields.locator('input[name="value"]').fill("18")
        fields.locator('input[name="unit"]').fill("个")
        fields.locator('select[name="category"]').select_option("enforcement")
        act(page.locator("#add-button"))
        expect(page.locator('li.item.added[data-task="metrics"]')).to_have_count(1)

        page.locator('form.record[data-task="meta"] input[name="region"]').fill("东阳")
        act(page.get_by_role("button", name="Save meta"))
        act(page.locator("#mark-reviewed"))
        expect(page.locator("#reviewed-badge")).to_be_visible()
        page.locator(f'#source [data-o="{start}"]').first.scroll_into_view_if_needed()
        shoot(page, "document")
        page.goto(url + "charts")
        expect(page.locator("svg.chart")).to_have_count(2)
        shoot(page, "charts")
        browser.close()
    assert errors == []

    out = tmp_path / "gold"
    result = CliRunner().invoke(cli, ["fixtures", "export", str(out), "--db", db, "--reviewed-only"])
    assert result.exit_code == 0, result.output
    gold = json.loads((out / "dongyang-2022" / "gold.json").read_text(encoding="utf-8"))
    want = expected_result(original, start, end)
    assert gold == {"fixture_id": "dongyang-2022", "meta": want["meta"],
                    "metrics": [{k: v for k, v in m.items() if k != "end"} for m in want["metrics"]],
                    "issues": [{k: v for k, v in i.items() if k != "end"} for i in want["issues"]]}
    with api.open_store(db) as store:
        assert [(r["action"], r["task"], r["item_idx"], r["reviewer"]) for r in rows(
            store, "SELECT * FROM corrections ORDER BY correction_id")] == [
            ("reject", "metrics", 0, "bob"), ("edit", "metrics", 1, "bob"), ("add", "metrics", None, "bob"),
            ("set", "meta", None, "bob"), ("reviewed", None, None, "bob")]
        added = rows(store, "SELECT name, value, unit, category, evidence, start, \"end\", reviewed FROM"
                            " reviewed_metrics WHERE doc_id = ? AND name = '派出机构数'", [doc_id])
        assert added == [{"name": "派出机构数", "value": 18.0, "unit": "个", "category": "enforcement",
                          "evidence": ADDED, "start": start, "end": end, "reviewed": True}]
