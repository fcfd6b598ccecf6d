"""Labelled fixtures re-dressed in the forms real reports arrive in, for invariance tests.

A form keeps every word of the document in order and adds only what a real upload adds: the whole
text on one line (a crawled page), hard wraps and page furniture (text from a PDF), a web page's
navigation and numeric footer, a disclosure header, or a PDF / Word file. Scoring compares text with
whitespace removed, so the gold stays valid; each gold item is moved onto the new text by aligning
the old text with the new (the new text holds the old one as a subsequence, furniture added).

    python -m fazhi.evals.forms --fixtures evals/fixtures --form oneline --out /tmp/forms/oneline
    fazhi eval --fixtures /tmp/forms/oneline
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from fazhi.agent.grounding import normalise_with_map
from fazhi.evals.fixtures_io import Fixture, load_fixtures

WRAP = 40
PAGE_LINES = 36
SYNC_WINDOW = 400  # how far ahead in the new text an old character is looked for


# ---------------------------------------------------------------- text forms

def lines_of(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip()]


def pick(fixture: Fixture, options: list[Any]) -> Any:
    """A deterministic choice per fixture, so that every fixture set sees every variant."""
    digest = hashlib.sha256(fixture.fixture_id.encode("utf-8")).digest()
    return options[digest[0] % len(options)]


def oneline(fixture: Fixture) -> str:
    """The whole text on one line, as a crawler that drops every line break saves it."""
    out = ""
    for line in lines_of(fixture.source):
        ascii_seam = out[-1:].isascii() and out[-1:].isalnum() and line[0].isascii() and line[0].isalnum()
        out += (" " if ascii_seam else "") + line
    return out + "\n"


def page_footer(fixture: Fixture) -> Callable[[int, int], str]:
    styles: list[Callable[[int, int], str]] = [
        lambda n, total: f"— {n} —", lambda n, total: f"- {n} -", lambda n, total: f"第{n}页 共{total}页",
        lambda n, total: f"第 {n} 页",
    ]
    return pick(fixture, styles)


ASCII_RUN = re.compile(r"[0-9A-Za-z:.\-/]+$")


def wrap(line: str) -> list[str]:
    """The line in pieces of at most WRAP characters, not breaking a run of Latin letters and digits
    (a date, a time, a link), as typesetting does not."""
    pieces = []
    while len(line) > WRAP:
        cut = WRAP
        run = ASCII_RUN.search(line[:WRAP])
        if run and run.start() > 0 and line[WRAP: WRAP + 1].isascii() and line[WRAP: WRAP + 1].isalnum():
            cut = run.start()
        pieces.append(line[:cut])
        line = line[cut:]
    return [*pieces, line] if line else pieces


def wrapped(fixture: Fixture) -> str:
    """Hard-wrapped at ~40 characters, a page footer between paragraphs every ~36 lines, the title
    repeated as a running header at the top of every later page."""
    pages: list[list[str]] = [[]]
    for line in lines_of(fixture.source):
        if len(pages[-1]) >= PAGE_LINES:
            pages.append([])
        pages[-1] += wrap(line)
    footer = page_footer(fixture)
    running = (fixture.gold.get("meta") or {}).get("title")
    out: list[str] = []
    for n, page in enumerate(pages, 1):
        if n > 1 and running:
            out.append(running)
        out += [*page, "", footer(n, len(pages)), ""]
    return "\n".join(out)


def site_name(meta: dict[str, Any]) -> str:
    return f"{meta['region']}人民政府门户网站" if meta.get("region") else "政府门户网站"


def web(fixture: Fixture) -> str:
    """The text inside a web page: banner, menu, breadcrumb, tool bar; related links and a footer
    full of numbers that are not the report's."""
    meta = fixture.gold.get("meta") or {}
    head = [
        site_name(meta), "首页 | 政务公开 | 政务服务 | 互动交流 | 数据开放 | 走进本地",
        "当前位置：首页 > 政务公开 > 法定主动公开内容 > 法治政府建设",
        "字号：大 中 小　打印本页　关闭窗口　分享到：微信 微博",
    ]
    tail = [
        "扫一扫在手机打开当前页", "相关链接", "· 关于印发2019年度政务公开工作要点的通知 2019-04-12",
        "· 市政府办公室关于做好防汛工作的通知 2020-06-03", "返回顶部",
        "主办单位：人民政府办公室　承办单位：大数据发展管理中心", "网站标识码：3307830001　ICP备05012345号-1",
        "公网安备 33078302000123号　联系电话：0579-86661234　传真：0579-86661235", "浏览次数：2345",
    ]
    return "\n".join([*head, fixture.source.strip(), *tail]) + "\n"


def disclosure_fields(meta: dict[str, Any]) -> list[tuple[str, str]]:
    """The 政府信息公开 table's fields, only those the gold metadata settles (a date added here would
    change the document's published date)."""
    fields = [("索引号", "113307830026098483/2023-00123")]
    if meta.get("issuer"):
        fields.append(("发布机构", meta["issuer"]))
    if meta.get("published_date"):
        published = date.fromisoformat(meta["published_date"])
        fields += [("成文日期", (published - timedelta(days=3)).isoformat()), ("发布日期", published.isoformat())]
    if meta.get("title"):
        fields.append(("名称", meta["title"]))
    return [*fields, ("文号", "政发〔2023〕12号"), ("主题分类", "司法")]


def disclosure(fixture: Fixture) -> str:
    """A disclosure header table in front, in one of the layouts sites use."""
    fields = disclosure_fields(fixture.gold.get("meta") or {})
    layouts: list[Callable[[list[tuple[str, str]]], list[str]]] = [
        lambda fs: [f"[ {k} ] {v}" for k, v in fs],
        lambda fs: [" | ".join(f"{k}：{v}" for k, v in fs[i: i + 2]) + " |" for i in range(0, len(fs), 2)],
        lambda fs: [x for k, v in fs for x in (f"{k}：", v)],
    ]
    return "\n".join([*pick(fixture, layouts)(fields), fixture.source.strip()]) + "\n"


TEXT_FORMS: dict[str, Callable[[Fixture], str]] = {
    "plain": lambda f: f.source, "oneline": oneline, "wrapped": wrapped, "web": web, "disclosure": disclosure,
}
FILE_FORMS = ("pdf", "docx")
FORMS = (*TEXT_FORMS, *FILE_FORMS)


# ---------------------------------------------------------------- moving the gold

def align(old: str, new: str) -> list[int]:
    """For each character of `old` (comparable form), its position in `new` (comparable form): old is
    a subsequence of new with furniture inserted; a character not found nearby maps to where it
    should have been."""
    where, j = [], 0
    for ch in old:
        found = new.find(ch, j, j + SYNC_WINDOW)
        if found < 0:
            where.append(min(j, len(new) - 1))
            continue
        where.append(found)
        j = found + 1
    return where


def move_items(items: list[dict[str, Any]], old_raw: str, new_raw: str) -> list[dict[str, Any]]:
    """Each item with its evidence re-cut from the new text and `start` set to where it now is."""
    old, old_index = normalise_with_map(old_raw)
    new, new_index = normalise_with_map(new_raw)
    where = align(old, new)
    moved = []
    for item in items:
        needle = normalise_with_map(item["evidence"])[0]
        start = item.get("start")
        pos = old.find(needle) if start is None else old_index.index(next(i for i in old_index if i >= start))
        if pos < 0 or not needle:
            moved.append(item)
            continue
        a, b = new_index[where[pos]], new_index[where[pos + len(needle) - 1]] + 1
        moved.append(item | {"evidence": new_raw[a:b], "start": a})
    return moved


def move_gold(gold: dict[str, Any], old_raw: str, new_raw: str) -> dict[str, Any]:
    return gold | {kind: move_items(gold.get(kind) or [], old_raw, new_raw) for kind in ("metrics", "issues")}


# ---------------------------------------------------------------- writing fixture sets

def write_fixture(folder: Path, source: str, gold: dict[str, Any]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "source.txt").write_text(source, encoding="utf-8")
    (folder / "gold.json").write_text(json.dumps(gold, ensure_ascii=False, indent=1), encoding="utf-8")


def redress(fixture: Fixture, form: str, out: Path) -> Path:
    """Write `fixture` in `form` to out/<fixture_id>/ and return that folder."""
    folder = out / fixture.fixture_id
    text = TEXT_FORMS[form](fixture) if form in TEXT_FORMS else render_file(fixture, form, folder)
    write_fixture(folder, text, move_gold(fixture.gold, fixture.source, text))
    return folder


def render_file(fixture: Fixture, form: str, folder: Path) -> str:
    """Render the fixture as a PDF or DOCX upload; the text is what fazhi reads back from it."""
    from fazhi.agent.documents import read_document
    from fazhi.evals.render import write_docx, write_pdf

    folder.mkdir(parents=True, exist_ok=True)
    upload = folder / f"source.{form}"
    if form == "pdf":  # wider than the ~40-character lines of sources that are PDF text already
        write_pdf(fixture.source, upload, chars_per_line=44, header=(fixture.gold.get("meta") or {}).get("title"))
    else:
        write_docx(fixture.source, upload)
    return read_document(upload).text


def redress_set(fixtures_dir: Path, form: str, out: Path) -> Path:
    if form not in FORMS:
        raise SystemExit(f"unknown form {form!r}: choose one of {', '.join(FORMS)}")
    for fixture in load_fixtures(fixtures_dir):
        redress(fixture, form, out)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--fixtures", type=Path, required=True)
    parser.add_argument("--form", choices=FORMS, required=True)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    print(redress_set(args.fixtures, args.form, args.out))


if __name__ == "__main__":
    main()
